/*
 * container.c: the agent's side of the container's processes, from
 * clone() to execve().
 *
 * container_create() clones the container's init into new namespaces; the
 * child builds the root filesystem (rootfs.c), reports over a
 * SOCK_SEQPACKET sync socket, and is held there until container_start().
 * container_exec() starts a further process in the init's namespaces
 * (setns through a pidfd). Both children then set up the process
 * (child.c) and execve; an error on the way comes over the sync socket as
 * {errno, text} and the child exits, so the request fails with a clear
 * message. A successful execve closes the socket (it is close-on-exec):
 * EOF means "running".
 *
 * Inputs: the config (config.c, from the host) and what the children
 * report on the sync socket.
 */
#include "container.h"
#include "../common/log.h"
#include "child.h"
#include "rootfs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CONTAINER_SYNC_TIMEOUT_MS 60000

/* --- in the agent ----------------------------------------------------------
 */

/*
 * Read the child's report. Returns 1 on EOF (it exec'd), 0 with *m filled,
 * -1 on a timeout or error (errno). A terminal's master that comes with a
 * message is stored in *master (when it is still -1; else closed).
 */
static int container_sync_read(int sync, struct child_msg *m, int *master)
{
	struct pollfd pfd = { .fd = sync, .events = POLLIN };
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { m, sizeof(*m) };
	struct msghdr mh = { 0 };
	struct cmsghdr *cm;
	ssize_t n;
	int r, fd;

	do
		r = poll(&pfd, 1, CONTAINER_SYNC_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r == 0)
		errno = ETIMEDOUT;
	if (r <= 0)
		return -1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	n = recvmsg(sync, &mh, MSG_CMSG_CLOEXEC);
	for (cm = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL; cm;
	     cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(int))) {
			memcpy(&fd, CMSG_DATA(cm), sizeof(int));
			if (master && *master < 0)
				*master = fd;
			else
				close(fd);
		}
	if (n == 0)
		return 1;
	if (n != (ssize_t)sizeof(*m)) {
		if (n >= 0)
			errno = EPROTO;
		return -1;
	}
	m->text[sizeof(m->text) - 1] = '\0';
	return 0;
}

static int container_sync_fail(pid_t pid, int r, const struct child_msg *m,
			       const char *what, struct moat_err **e)
{
	int err = errno;

	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (r == 0) {
		moat_err_set(e, 0, "%s: %s", what, m->text);
		if (*e)
			(*e)->errnum = m->err;
		return -1;
	}
	if (r == 1)
		return moat_err_set(e, EPROTO, "%s: the child ended", what);
	return moat_err_set(e, err ? err : EPROTO, "%s", what);
}

pid_t container_create(const struct container_proc *p, const char *rootfs,
		       int *sync, int *master, struct moat_err **e)
{
	struct child_msg m = { 0 };
	pid_t pid;
	char c;
	int sv[2], r;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return moat_err_set(e, errno, "socketpair");
	pid = (pid_t)syscall(SYS_clone, SIGCHLD | p->cfg->ns_flags, 0, 0, 0, 0);
	if (pid < 0) {
		r = errno;
		close(sv[0]);
		close(sv[1]);
		return moat_err_set(e, r, "clone");
	}
	if (pid == 0) {
		close(sv[0]);
		umask(0);
		child_begin(sv[1], p);
		child_close_fds(sv[1]);
		rootfs_build(sv[1], p->cfg, rootfs);
		if (p->tty)
			child_tty(sv[1]);
		m.kind = CHILD_MSG_READY;
		if (send(sv[1], &m, sizeof(m), MSG_NOSIGNAL) < 0 ||
		    recv(sv[1], &c, 1, 0) != 1)
			_exit(127);
		child_run(sv[1], p);
	}
	close(sv[1]);
	*master = -1;
	do
		r = container_sync_read(sv[0], &m, master);
	while (r == 0 && m.kind == CHILD_MSG_TTY);
	if (r != 0 || m.kind != CHILD_MSG_READY || (p->tty && *master < 0)) {
		container_sync_fail(pid, r, &m, "create", e);
		close(sv[0]);
		if (*master >= 0)
			close(*master);
		*master = -1;
		return -1;
	}
	*sync = sv[0];
	return pid;
}

int container_start(int sync, struct moat_err **e)
{
	struct child_msg m;
	int r;

	if (send(sync, "s", 1, MSG_NOSIGNAL) != 1) {
		r = errno;
		close(sync);
		return moat_err_set(e, r, "start");
	}
	r = container_sync_read(sync, &m, NULL);
	close(sync);
	if (r == 1)
		return 0;
	if (r == 0) {
		moat_err_set(e, 0, "start: %s", m.text);
		if (*e)
			(*e)->errnum = m.err;
		return -1;
	}
	return moat_err_set(e, errno, "start");
}

pid_t container_exec(const struct container_proc *p, int init_pidfd,
		     int *master, struct moat_err **e)
{
	int other = p->cfg->ns_flags & ~CLONE_NEWPID;
	struct child_msg m;
	int sv[2], self = -1, r;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return moat_err_set(e, errno, "socketpair");
	/* Children of the agent go into the container's pid namespace for
	 * this one fork, so that the process stays the agent's child. */
	if (p->cfg->ns_flags & CLONE_NEWPID) {
		self = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		if (self < 0 || setns(init_pidfd, CLONE_NEWPID) < 0) {
			r = errno;
			if (self >= 0)
				close(self);
			close(sv[0]);
			close(sv[1]);
			return moat_err_set(e, r, "enter the pid namespace");
		}
	}
	pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	r = errno;
	if (pid == 0) {
		close(sv[0]);
		child_begin(sv[1], p);
		if (other && setns(init_pidfd, other) < 0)
			child_fail(sv[1], errno, "enter the namespaces");
		child_close_fds(sv[1]);
		if (p->tty)
			child_tty(sv[1]);
		child_run(sv[1], p);
	}
	if (self >= 0) {
		if (setns(self, CLONE_NEWPID) < 0)
			log_info("cannot return to the agent's pid namespace");
		close(self);
	}
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return moat_err_set(e, r, "clone");
	}
	*master = -1;
	do
		r = container_sync_read(sv[0], &m, master);
	while (r == 0 && m.kind == CHILD_MSG_TTY);
	close(sv[0]);
	if (r != 1 || (p->tty && *master < 0)) {
		if (*master >= 0)
			close(*master);
		*master = -1;
		return container_sync_fail(pid, r == 1 ? -1 : r, &m, "exec", e);
	}
	return pid;
}
