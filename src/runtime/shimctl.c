/*
 * shimctl.c: the CLI <-> shim control socket (see shimctl.h).
 * Inputs: the shim's reply line (bounded, checked for its "ok" / "error "
 * prefix; the rest is copied into the error message as text).
 */
#include "shimctl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int shimctl_addr(int dir_fd, struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	return (size_t)snprintf(a->sun_path, sizeof(a->sun_path),
				"/proc/self/fd/%d/%s", dir_fd,
				SHIMCTL_SOCK) >= sizeof(a->sun_path)
		       ? -1
		       : 0;
}

int shimctl_listen(int dir_fd, struct moat_err **e)
{
	struct sockaddr_un a;
	mode_t old;
	int fd, r;

	if (shimctl_addr(dir_fd, &a))
		return moat_err_set(e, ENAMETOOLONG, "%s", SHIMCTL_SOCK);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return moat_err_set(e, errno, "%s: socket", SHIMCTL_SOCK);
	unlinkat(dir_fd, SHIMCTL_SOCK, 0);
	old = umask(0177);
	r = bind(fd, (struct sockaddr *)&a, sizeof(a));
	umask(old);
	if (r < 0 || listen(fd, 16) < 0) {
		r = errno;
		close(fd);
		return moat_err_set(e, r, "%s: bind", SHIMCTL_SOCK);
	}
	return fd;
}

int shimctl_call(int dir_fd, const char *cmd, int timeout_ms,
		 struct moat_err **e)
{
	char line[SHIMCTL_LINE_MAX + 2], *nl;
	struct pollfd p;
	struct sockaddr_un a;
	size_t got = 0, n = strlen(cmd);
	ssize_t r;
	int fd, err;

	if (n > SHIMCTL_LINE_MAX || strchr(cmd, '\n'))
		return moat_err_set(e, EINVAL, "shim request too long");
	if (shimctl_addr(dir_fd, &a))
		return moat_err_set(e, ENAMETOOLONG, "%s", SHIMCTL_SOCK);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return moat_err_set(e, errno, "shim: socket");
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		err = errno;
		close(fd);
		return moat_err_set(e, err, "connect to the shim");
	}
	memcpy(line, cmd, n);
	line[n] = '\n';
	if (send(fd, line, n + 1, MSG_NOSIGNAL) != (ssize_t)(n + 1)) {
		err = errno;
		close(fd);
		return moat_err_set(e, err, "write to the shim");
	}
	while (got < SHIMCTL_LINE_MAX) {
		p.fd = fd;
		p.events = POLLIN;
		r = poll(&p, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0) {
			close(fd);
			return moat_err_set(e, ETIMEDOUT, "the shim");
		}
		r = read(fd, line + got, SHIMCTL_LINE_MAX - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
		if (memchr(line, '\n', got))
			break;
	}
	close(fd);
	line[got] = '\0';
	nl = strchr(line, '\n');
	if (!nl) {
		return moat_err_set(e, ECONNRESET,
				    "the shim closed without an answer");
	}
	*nl = '\0';
	if (!strcmp(line, "ok"))
		return 0;
	if (!strncmp(line, "error ", 6))
		return moat_err_set(e, 0, "%s", line + 6);
	return moat_err_set(e, EPROTO, "the shim answered something else");
}
