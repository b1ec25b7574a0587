/*
 * shimctl.c: the CLI <-> shim control socket (see shimctl.h).
 * Inputs: the shim's reply line (bounded, decoded by src/proto/shimmsg.c;
 * an error's text is copied into the error message).
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

int shimctl_connect(int dir_fd, struct moat_err **e)
{
	struct sockaddr_un a;
	int fd, err;

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
	return fd;
}

int shimctl_send(int fd, const char *line, const int *fds, size_t nfds,
		 struct moat_err **e)
{
	char buf[SHIMCTL_LINE_MAX + 1];
	union {
		char b[CMSG_SPACE(sizeof(int) * SHIMCTL_FDS_MAX)];
		struct cmsghdr align;
	} u;
	struct iovec iov;
	struct msghdr mh = { 0 };
	size_t n = strlen(line);
	ssize_t r;

	if (n >= SHIMCTL_LINE_MAX || strchr(line, '\n') ||
	    nfds > SHIMCTL_FDS_MAX)
		return moat_err_set(e, EINVAL, "shim request too long");
	memcpy(buf, line, n);
	buf[n++] = '\n';
	iov.iov_base = buf;
	iov.iov_len = n;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds) {
		struct cmsghdr *c;

		memset(&u, 0, sizeof(u));
		mh.msg_control = u.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do
		r = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	if (r != (ssize_t)n)
		return moat_err_set(e, r < 0 ? errno : EIO,
				    "write to the shim");
	return 0;
}

int shimctl_read_line(int fd, char *line, size_t cap, int timeout_ms,
		      struct moat_err **e)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t r;
	char c;

	while (got + 1 < cap) {
		r = poll(&p, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return moat_err_set(e, ETIMEDOUT, "the shim");
		r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return moat_err_set(e, ECONNRESET,
					    "the shim closed without an "
					    "answer");
		if (c == '\n') {
			line[got] = '\0';
			return 0;
		}
		line[got++] = c;
	}
	return moat_err_set(e, EPROTO, "the shim's answer is too long");
}

/* The reply line to verb, decoded (shimmsg.h): 0 for ok (into *out), -1
 * with the shim's text for an error, EPROTO for anything else. */
static int shimctl_answer(const char *line, enum shimmsg_verb verb,
			  struct shimmsg_reply *out, struct moat_err **e)
{
	if (shimmsg_reply_decode(line, strlen(line), verb, out))
		return moat_err_set(e, EPROTO,
				    "the shim answered something else");
	if (out->kind == SHIMMSG_ERROR)
		return moat_err_set(e, 0, "%.*s", (int)out->text_len,
				    out->text);
	if (out->kind != SHIMMSG_OK)
		return moat_err_set(e, EPROTO,
				    "the shim answered something else");
	return 0;
}

int shimctl_request(int dir_fd, const struct shimmsg_req *req, int timeout_ms,
		    struct shimmsg_reply *out, struct moat_err **e)
{
	char line[SHIMCTL_LINE_MAX + 1];
	int fd, r;

	r = shimmsg_req_encode(line, sizeof(line), req);
	if (r < 0)
		return moat_err_set(e, EINVAL, "shim request");
	fd = shimctl_connect(dir_fd, e);
	if (fd < 0)
		return -1;
	r = shimctl_send(fd, line, NULL, 0, e);
	if (r == 0)
		r = shimctl_read_line(fd, line, sizeof(line), timeout_ms, e);
	close(fd);
	if (!r)
		r = shimctl_answer(line, req->verb, out, e);
	out->text = NULL; /* it pointed into line */
	out->text_len = 0;
	return r ? -1 : 0;
}

int shimctl_call(int dir_fd, const char *cmd, int timeout_ms,
		 struct moat_err **e)
{
	static struct shimmsg_reply out;
	struct shimmsg_req req;

	if (shimmsg_req_decode(cmd, strlen(cmd), &req))
		return moat_err_set(e, EINVAL, "shim request %s", cmd);
	return shimctl_request(dir_fd, &req, timeout_ms, &out, e);
}

int shimctl_reply(const char *line, enum shimmsg_verb verb,
		  struct shimmsg_reply *out, struct moat_err **e)
{
	return shimctl_answer(line, verb, out, e);
}
