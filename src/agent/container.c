/*
 * container.c: the agent's side of the container's processes, from
 * clone() to execve().
 *
 * container_create() clones the container's init into new namespaces and,
 * before the child goes on, writes what the child cannot write itself: a
 * new user namespace's uid_map and gid_map (as runc's parent does; root
 * needs no "setgroups deny" for them) and the oom score (lowering it needs
 * a capability of the guest's, which a child in its own user namespace
 * lacks). The child joins its cgroup, becomes the user namespace's root,
 * then takes a new cgroup namespace (after the join, as runc: its root is
 * the container's group), builds the root filesystem (rootfs.c), reports
 * over a SOCK_SEQPACKET sync socket, and is held there until
 * container_start().
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
#include <grp.h>
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

/* Write buf[0..len) in one write to /proc/<pid>/<file>; errors name
 * what. */
static int container_proc_write(pid_t pid, const char *file, const char *buf,
				size_t len, const char *what,
				struct moat_err **e)
{
	char path[64];
	int fd, r;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len) {
		r = errno;
		if (fd >= 0)
			close(fd);
		return moat_err_set(e, r, "%s", what);
	}
	close(fd);
	return 0;
}

/* Write one of the child's maps, "uid_map" or "gid_map": the kernel takes
 * it in one write of less than a page. */
static int container_idmap(pid_t pid, const char *file,
			   const struct spec_idmap *m, size_t n,
			   struct moat_err **e)
{
	char buf[4096], what[32];
	size_t len = 0, i;
	int r;

	snprintf(what, sizeof(what), "write %s", file);
	for (i = 0; i < n; i++) {
		r = snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n",
			     m[i].container_id, m[i].host_id, m[i].size);
		if (r < 0 || (size_t)r >= sizeof(buf) - len)
			return moat_err_set(e, E2BIG,
					    "%s: longer than the kernel takes",
					    what);
		len += (size_t)r;
	}
	return container_proc_write(pid, file, buf, len, what, e);
}

/* What the agent does for the new init before it goes on: its user
 * namespace's maps, the network sysctls it may not write (rootfs.h), its
 * rlimits (runc sets them from the parent too: raising one takes a
 * capability of the guest's) and oom score. */
static int container_prepare(pid_t pid, const struct config *c,
			     struct moat_err **e)
{
	const struct spec *s = c->spec;
	char buf[16];
	size_t n, i;
	int res;

	if ((c->ns_flags & CLONE_NEWUSER) &&
	    (container_idmap(pid, "uid_map", s->uid_mappings, s->nuid_mappings,
			     e) ||
	     container_idmap(pid, "gid_map", s->gid_mappings, s->ngid_mappings,
			     e)))
		return -1;
	for (i = 0; rootfs_net_by_agent(c) && i < s->nsysctls; i++)
		if (!strncmp(s->sysctls[i].key, "net.", 4) &&
		    rootfs_sysctl_write(&s->sysctls[i]) < 0)
			return moat_err_set(e, errno, "sysctl %s",
					    s->sysctls[i].key);
	if (child_rlimits(pid, &s->process, &res) < 0)
		return moat_err_set(e, errno, "rlimit %d", res);
	if (!s->process.has_oom_score_adj)
		return 0;
	n = (size_t)snprintf(buf, sizeof(buf), "%d", s->process.oom_score_adj);
	return container_proc_write(pid, "oom_score_adj", buf, n, "oomScoreAdj",
				    e);
}

/* In the child: become root of its new user namespace (runc's nsexec
 * does the same; the config's user comes at child_run()). */
static void container_userns_root(int sync)
{
	if (setresgid(0, 0, 0) < 0)
		child_fail(sync, errno,
			   "become root in the user namespace (is gid 0 "
			   "mapped?)");
	if (setgroups(0, NULL) < 0)
		child_fail(sync, errno, "setgroups");
	if (setresuid(0, 0, 0) < 0)
		child_fail(sync, errno,
			   "become root in the user namespace (is uid 0 "
			   "mapped?)");
}

pid_t container_create(const struct container_proc *p, const char *rootfs,
		       int *sync, int *master, struct moat_err **e)
{
	int flags = p->cfg->ns_flags;
	struct child_msg m = { 0 };
	pid_t pid;
	char c;
	int sv[2], r;

	if ((flags & CLONE_NEWUSER) && rootfs_premake(p->cfg, rootfs, e))
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return moat_err_set(e, errno, "socketpair");
	/* the cgroup namespace comes once the child is in its group */
	pid = (pid_t)syscall(SYS_clone, SIGCHLD | (flags & ~CLONE_NEWCGROUP), 0,
			     0, 0, 0);
	if (pid < 0) {
		r = errno;
		close(sv[0]);
		close(sv[1]);
		return moat_err_set(e, r, "clone");
	}
	if (pid == 0) {
		close(sv[0]);
		if (recv(sv[1], &c, 1, 0) != 1) /* container_prepare() done */
			_exit(127);
		umask(0);
		child_begin(sv[1], p, false);
		if (flags & CLONE_NEWUSER)
			container_userns_root(sv[1]);
		if ((flags & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0)
			child_fail(sv[1], errno, "cgroup namespace");
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
	if (container_prepare(pid, p->cfg, e) ||
	    send(sv[0], "p", 1, MSG_NOSIGNAL) != 1) {
		if (!*e)
			moat_err_set(e, errno, "create");
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		close(sv[0]);
		*master = -1;
		return -1;
	}
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
		child_begin(sv[1], p, true);
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
