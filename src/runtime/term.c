/*
 * term.c: a pty for the engine, a foreground run's terminal relay, and
 * exiting as a process did (term.h).
 * Inputs: the console socket path (the engine's); the user's terminal;
 * the guest's terminal output, only copied.
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

int term_send_fd(const char *opt, const char *sock, int fd, const char *name,
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
		return moat_err_set(e, ENAMETOOLONG, "%s", opt);
	strcpy(a.sun_path, sock);
	sk = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sk < 0 || connect(sk, (struct sockaddr *)&a, sizeof(a)) < 0) {
		err = errno;
		if (sk >= 0)
			close(sk);
		return moat_err_set(e, err, "%s %s", opt, sock);
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
		return moat_err_set(e, err, "%s %s: send", opt, sock);
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
	if (term_send_fd("--console-socket", sock, m, name, e))
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

bool term_forwarded(int sig)
{
	switch (sig) {
	case SIGKILL:
	case SIGSTOP:
	case SIGCHLD:
	case SIGURG:
	case SIGWINCH:
	case SIGSEGV:
	case SIGBUS:
	case SIGFPE:
	case SIGILL:
	case SIGTRAP:
	case SIGSYS:
	case SIGABRT:
	case SIGPIPE:
	case SIGTTIN:
	case SIGTTOU:
		return false;
	}
	/* glibc's own real-time signals (32, 33) are below SIGRTMIN */
	return sig > 0 && (sig < 32 || (sig >= SIGRTMIN && sig <= SIGRTMAX));
}

void term_forward_mask(sigset_t *mask)
{
	int sig;

	for (sig = 1; sig <= SIGRTMAX; sig++)
		if (term_forwarded(sig))
			sigaddset(mask, sig);
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

/* --- a foreground run's own terminal --------------------------------------
 */

int term_relay_open(struct term_relay *t, unsigned rows, unsigned cols,
		    struct moat_err **e)
{
	static const int std[] = { STDERR_FILENO, STDOUT_FILENO, STDIN_FILENO };
	struct winsize ws = { .ws_row = (unsigned short)rows,
			      .ws_col = (unsigned short)cols };
	struct winsize host;
	struct termios raw;
	char name[64];
	size_t i;

	for (i = 0; i < 3 && t->host < 0; i++)
		if (isatty(std[i]))
			t->host = std[i];
	if (t->host < 0) {
		t->host = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
		if (t->host < 0)
			return moat_err_set(e, errno,
					    "process.terminal: moat run has "
					    "no terminal to lend (stdin, "
					    "stdout and stderr are not one; "
					    "/dev/tty)");
		t->host_opened = true;
	}
	if (ioctl(t->host, TIOCGWINSZ, &host) == 0 &&
	    (host.ws_row || host.ws_col))
		ws = host;
	t->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (t->master < 0 || grantpt(t->master) < 0 ||
	    unlockpt(t->master) < 0 || ptsname_r(t->master, name, sizeof(name)))
		goto fail;
	t->slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (t->slave < 0 || tcgetattr(t->slave, &raw) < 0)
		goto fail;
	/* the guest's terminal does the line discipline */
	cfmakeraw(&raw);
	if (tcsetattr(t->slave, TCSANOW, &raw) < 0 ||
	    ((ws.ws_row || ws.ws_col) && ioctl(t->slave, TIOCSWINSZ, &ws) < 0))
		goto fail;
	return 0;
fail:
	moat_err_set(e, errno, "process.terminal: a pty");
	term_relay_close(t);
	return -1;
}

int term_relay_raw(struct term_relay *t, struct moat_err **e)
{
	struct termios raw;

	if (tcgetattr(t->host, &t->saved) < 0)
		return moat_err_set(e, errno, "process.terminal: the terminal");
	raw = t->saved;
	cfmakeraw(&raw);
	if (tcsetattr(t->host, TCSANOW, &raw) < 0)
		return moat_err_set(e, errno, "process.terminal: raw mode");
	t->raw = true;
	return 0;
}

void term_relay_resize(struct term_relay *t)
{
	struct winsize ws;

	if (t->master >= 0 && ioctl(t->host, TIOCGWINSZ, &ws) == 0)
		ioctl(t->master, TIOCSWINSZ, &ws);
}

void term_relay_poll(const struct term_relay *t, struct pollfd p[2])
{
	p[0].fd = !t->in_eof && !t->in_len ? STDIN_FILENO : -1;
	p[0].events = POLLIN;
	p[0].revents = 0;
	p[1].fd = t->out_eof ? -1 : t->master;
	p[1].events = POLLIN | (t->in_len ? POLLOUT : 0);
	p[1].revents = 0;
}

/* Copy what the master holds to stdout; false once it is empty. */
static bool term_relay_out(struct term_relay *t)
{
	struct pollfd w = { .fd = STDOUT_FILENO, .events = POLLOUT };
	char buf[4096];
	ssize_t n, k, off;

	n = read(t->master, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	if (n <= 0) { /* EIO: every slave is closed */
		t->out_eof = true;
		return false;
	}
	for (off = 0; off < n; off += k) {
		k = write(STDOUT_FILENO, buf + off, (size_t)(n - off));
		if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
			poll(&w, 1, 1000);
			k = 0;
		} else if (k <= 0) {
			break; /* nobody reads stdout: the bytes are lost */
		}
	}
	return true;
}

void term_relay_io(struct term_relay *t, const struct pollfd p[2])
{
	ssize_t n;

	if (p[0].revents) {
		n = read(STDIN_FILENO, t->in, sizeof(t->in));
		if (n > 0) {
			t->in_len = (size_t)n;
			t->in_off = 0;
		} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
			t->in_eof = true; /* as runc, the pty stays open */
		}
	}
	if (p[1].revents & POLLOUT && t->in_len) {
		n = write(t->master, t->in + t->in_off, t->in_len - t->in_off);
		if (n > 0 && (t->in_off += (size_t)n) == t->in_len)
			t->in_len = 0;
	}
	if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
		term_relay_out(t);
}

void term_relay_drain(struct term_relay *t, int ms)
{
	struct pollfd p = { .fd = t->master, .events = POLLIN };

	while (t->master >= 0 && !t->out_eof && poll(&p, 1, ms) > 0)
		while (term_relay_out(t))
			;
}

void term_relay_close(struct term_relay *t)
{
	if (t->raw)
		tcsetattr(t->host, TCSANOW, &t->saved);
	t->raw = false;
	if (t->slave >= 0)
		close(t->slave);
	if (t->master >= 0)
		close(t->master);
	if (t->host_opened)
		close(t->host);
	t->slave = t->master = t->host = -1;
	t->host_opened = false;
}
