/*
 * ctl.c: the control socket (see ctl.h, src/proto/ctlproto.h).
 */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vm.h"

static void ctl_drop(struct ctl *c)
{
	if (c->conn_fd < 0)
		return;
	loop_del(c->loop, &c->h_conn);
	close(c->conn_fd);
	c->conn_fd = -1;
	c->len = 0;
}

/* Resident memory from /proc/self/statm, opened before the seccomp
 * filter (which allows pread but no open). */
static long ctl_rss_kib(const struct ctl *c)
{
	char buf[128];
	long size, resident;
	ssize_t n = pread(c->statm_fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "%ld %ld", &size, &resident) != 2)
		return -1;
	return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static void ctl_reply(struct ctl *c, const char *s)
{
	size_t n = strlen(s);

	/* Replies are short; a client that does not read them is dropped. */
	if (send(c->conn_fd, s, n, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)n)
		ctl_drop(c);
}

static void ctl_do(struct ctl *c, const char *line, size_t len)
{
	struct ctl_status st;
	struct vm_stats vs;
	char out[CTL_REPLY_MAX];

	switch (ctl_parse(line, len)) {
	case CTL_STATUS:
		vm_stats(c->vm, &vs);
		st = (struct ctl_status){
			.paused = vs.paused,
			.vcpus = vs.vcpus,
			.mem_mib = vs.mem_bytes >> 20,
			.rss_kib = ctl_rss_kib(c),
			.p9_req = vs.dev.p9_req,
			.p9_copy = vs.dev.p9_copy,
			.p9_sg = vs.dev.p9_sg,
			.net_rx = vs.dev.net_rx,
			.net_tx = vs.dev.net_tx,
			.net_drop = vs.dev.net_drop,
		};
		if (ctl_format_status(&st, out, sizeof(out)) < 0)
			snprintf(out, sizeof(out), "err status\n");
		ctl_reply(c, out);
		break;
	case CTL_PAUSE:
		ctl_reply(c, vm_pause(c->vm) == 0 ? "ok\n"
						  : "err pause: vCPUs busy\n");
		break;
	case CTL_RESUME:
		vm_resume(c->vm);
		ctl_reply(c, "ok\n");
		break;
	case CTL_STOP:
		ctl_reply(c, "ok\n");
		vm_stop(c->vm, VMM_EXIT_KILLED);
		break;
	default:
		ctl_reply(c, "err unknown command\n");
		break;
	}
}

static void ctl_on_conn(struct loop_handler *h, uint32_t events)
{
	struct ctl *c =
		(struct ctl *)((char *)h - offsetof(struct ctl, h_conn));
	ssize_t r;
	char *nl;

	(void)events;
	r = recv(c->conn_fd, c->buf + c->len, sizeof(c->buf) - c->len,
		 MSG_DONTWAIT);
	if (r <= 0) {
		if (r == 0 || (errno != EAGAIN && errno != EINTR))
			ctl_drop(c);
		return;
	}
	c->len += (size_t)r;
	while (c->conn_fd >= 0 && (nl = memchr(c->buf, '\n', c->len))) {
		size_t n = (size_t)(nl - c->buf);

		ctl_do(c, c->buf, n);
		if (c->conn_fd < 0)
			return;
		memmove(c->buf, nl + 1, c->len - n - 1);
		c->len -= n + 1;
	}
	if (c->len == sizeof(c->buf)) {
		ctl_reply(c, "err line too long\n");
		ctl_drop(c);
	}
}

static void ctl_on_listen(struct loop_handler *h, uint32_t events)
{
	struct ctl *c =
		(struct ctl *)((char *)h - offsetof(struct ctl, h_listen));
	int fd;

	(void)events;
	fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	if (c->conn_fd >= 0) {
		close(fd); /* one client at a time */
		return;
	}
	c->conn_fd = fd;
	c->h_conn.fd = fd;
	c->h_conn.fn = ctl_on_conn;
	if (loop_add(c->loop, &c->h_conn, EPOLLIN) < 0)
		ctl_drop(c);
}

int ctl_open(struct ctl *c, const char *path, struct vm *vm,
	     struct moat_err **e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct loop *l = vm_loop(vm);
	mode_t old;
	int r;

	memset(c, 0, sizeof(*c));
	c->vm = vm;
	c->loop = l;
	c->conn_fd = c->listen_fd = -1;
	c->statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	if (strlen(path) >= sizeof(sa.sun_path))
		return moat_err_set(e, ENAMETOOLONG, "control socket %s", path);
	strcpy(sa.sun_path, path);
	c->listen_fd =
		socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->listen_fd < 0)
		return moat_err_set(e, errno, "control socket: socket");
	old = umask(0177); /* the socket is the owner's alone */
	r = bind(c->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(c->listen_fd, 4) < 0) {
		moat_err_set(e, errno, "control socket %s", path);
		close(c->listen_fd);
		c->listen_fd = -1;
		return -1;
	}
	c->path = strdup(path);
	c->h_listen.fd = c->listen_fd;
	c->h_listen.fn = ctl_on_listen;
	if (loop_add(l, &c->h_listen, EPOLLIN) < 0)
		return moat_err_set(e, errno, "control socket: epoll");
	return 0;
}

void ctl_close(struct ctl *c)
{
	ctl_drop(c);
	if (c->listen_fd >= 0) {
		loop_del(c->loop, &c->h_listen);
		close(c->listen_fd);
	}
	if (c->statm_fd >= 0)
		close(c->statm_fd);
	c->statm_fd = -1;
	if (c->path) {
		unlink(c->path);
		free(c->path);
	}
	c->conn_fd = c->listen_fd = -1;
	c->path = NULL;
}
