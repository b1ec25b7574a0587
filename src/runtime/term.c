/*
 * term.c: a pty for the engine, and exiting as a process did (term.h).
 * Inputs: the console socket path (the engine's); nothing from the guest.
 */
#include "term.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

static int term_send_fd(const char *sock, int fd, const char *name,
			struct moat_err **e)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct iovec iov = { (void *)name, strlen(name) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	int sk, err;

	if (strlen(sock) >= sizeof(a.sun_path))
		return moat_err_set(e, ENAMETOOLONG, "--console-socket");
	strcpy(a.sun_path, sock);
	sk = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sk < 0 || connect(sk, (struct sockaddr *)&a, sizeof(a)) < 0) {
		err = errno;
		if (sk >= 0)
			close(sk);
		return moat_err_set(e, err, "--console-socket %s", sock);
	}
	memset(&u, 0, sizeof(u));
	mh.msg_control = u.b;
	mh.msg_controllen = sizeof(u.b);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(sk, &mh, MSG_NOSIGNAL) < 0) {
		err = errno;
		close(sk);
		return moat_err_set(e, err, "--console-socket %s: send", sock);
	}
	close(sk);
	return 0;
}

int term_pty_send(const char *sock, unsigned rows, unsigned cols, bool ctty,
		  int *slave, struct moat_err **e)
{
	struct termios t;
	char name[64];
	int m, sl = -1;

	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0 ||
	    ptsname_r(m, name, sizeof(name)))
		goto fail;
	if (ctty && setsid() < 0 && errno != EPERM)
		goto fail;
	sl = open(name, O_RDWR | O_CLOEXEC | (ctty ? 0 : O_NOCTTY));
	if (sl < 0 || tcgetattr(sl, &t) < 0)
		goto fail;
	cfmakeraw(&t);
	if (tcsetattr(sl, TCSANOW, &t) < 0)
		goto fail;
	if (rows || cols) {
		struct winsize ws = { .ws_row = (unsigned short)rows,
				      .ws_col = (unsigned short)cols };

		if (ioctl(sl, TIOCSWINSZ, &ws) < 0)
			goto fail;
	}
	if (term_send_fd(sock, m, name, e))
		goto out;
	close(m);
	*slave = sl;
	return 0;
fail:
	moat_err_set(e, errno, "process.terminal: a pty");
out:
	if (sl >= 0)
		close(sl);
	if (m >= 0)
		close(m);
	return -1;
}

void term_exit_as(uint32_t code, uint32_t signo)
{
	struct rlimit no_core = { 0, 0 };
	sigset_t mask;
	int sig = (int)signo;

	/* Only a signal whose default action ends the process is raised:
	 * a guest reporting SIGSTOP (or TSTP, TTIN, TTOU, or one that is
	 * ignored by default) must not leave us stopped or alive. */
	if (sig > 0 && sig < 64 && sig != SIGSTOP && sig != SIGTSTP &&
	    sig != SIGTTIN && sig != SIGTTOU && sig != SIGCHLD &&
	    sig != SIGCONT && sig != SIGURG && sig != SIGWINCH) {
		setrlimit(RLIMIT_CORE, &no_core);
		signal(sig, SIG_DFL);
		sigemptyset(&mask);
		sigaddset(&mask, sig);
		sigprocmask(SIG_UNBLOCK, &mask, NULL);
		raise(sig);
		_exit(128 + sig);
	}
	_exit((int)(code & 0xff));
}
