/*
 * child.c: what a child of container_create() or container_exec() does
 * for its process before execve (child.h): a clean signal state, its
 * session, stdio, cgroup and oom score, a terminal in the container's
 * devpts, then rlimits, cwd, umask, the five capability sets, groups,
 * uid/gid, no_new_privs, seccomp and execve. An error on the way is sent
 * to the agent over the sync socket as {errno, text} and the child exits.
 *
 * Inputs: the config (the host's struct spec, decoded by the shared
 * parser) and the EXEC request's overrides, from the host.
 */
#include "child.h"
#include "../proto/msg.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CHILD_DEFAULT_PATH \
	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Report a failure to the agent and end the child. */
void child_fail(int sync, int err, const char *fmt, ...)
{
	struct child_msg m = { .kind = CHILD_MSG_ERROR,
			       .err = err ? err : EINVAL };
	size_t n;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m.text, sizeof(m.text), fmt, ap);
	va_end(ap);
	n = strlen(m.text);
	if (err && n < sizeof(m.text))
		snprintf(m.text + n, sizeof(m.text) - n, ": %s", strerror(err));
	if (send(sync, &m, sizeof(m), MSG_NOSIGNAL) < 0) {
		/* the agent is gone; nothing to tell */
	}
	_exit(127);
}

/* Close every fd but 0..2 and sync (the agent's fds are close-on-exec,
 * but a held init would keep them open until its execve). */
void child_close_fds(int sync)
{
	if (sync > 3)
		close_range(3, (unsigned)sync - 1, 0);
	close_range((unsigned)sync + 1, ~0U, 0);
}

int child_rlimits(pid_t pid, const struct spec_process *cfg, int *resource)
{
	size_t i;

	for (i = 0; i < cfg->nrlimits; i++) {
		struct rlimit rl = { cfg->rlimits[i].soft,
				     cfg->rlimits[i].hard };

		*resource = oci_rlimit_resources[cfg->rlimits[i].type];
		/* (rlim_t)-1, as spec.c reads -1, is RLIM_INFINITY */
		if (prlimit(pid, (__rlimit_resource_t)*resource, &rl, NULL) < 0)
			return -1;
	}
	return 0;
}

/* What every child does first: a clean signal state, its session and
 * stdio, its cgroup, and with own its oom score and rlimits (while /proc
 * is the agent's, and before a user namespace takes the capabilities
 * they may need). */
void child_begin(int sync, const struct container_proc *p, bool own)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t none;
	char buf[32];
	int i, fd, null = -1;

	for (i = 1; i < NSIG; i++)
		sigaction(i, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (setsid() < 0)
		child_fail(sync, errno, "setsid");
	if (!p->tty) {
		for (i = 0; i < 3; i++) {
			fd = p->stdio[i];
			if (fd < 0) {
				if (null < 0)
					null = open("/dev/null",
						    O_RDWR | O_CLOEXEC);
				if (null < 0)
					child_fail(sync, errno, "/dev/null");
				fd = null;
			}
			/* dup2 onto itself would keep FD_CLOEXEC */
			if (fd == i ? fcntl(fd, F_SETFD, 0) < 0
				    : dup2(fd, i) < 0)
				child_fail(sync, errno, "stdio");
		}
	}
	if (p->cgroup_procs) {
		fd = open(p->cgroup_procs, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1)
			child_fail(sync, errno, "join the cgroup");
		close(fd);
	}
	if (own && child_rlimits(0, &p->cfg->spec->process, &i) < 0)
		child_fail(sync, errno, "rlimit %d", i);
	if (own && p->cfg->spec->process.has_oom_score_adj) {
		snprintf(buf, sizeof(buf), "%d",
			 p->cfg->spec->process.oom_score_adj);
		fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, buf, strlen(buf)) < 0)
			child_fail(sync, errno, "oomScoreAdj");
		close(fd);
	}
}

/* Open a terminal in the container's devpts, make it the process's, and
 * send the master to the agent. */
void child_tty(int sync)
{
	struct child_msg m = { .kind = CHILD_MSG_TTY };
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &m, sizeof(m) };
	struct msghdr mh = { 0 };
	struct cmsghdr *cm;
	int master, slave, unlock = 0, i;

	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		child_fail(sync, errno,
			   "open /dev/ptmx in the container (is devpts "
			   "mounted?)");
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		child_fail(sync, errno, "unlock the terminal");
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		child_fail(sync, errno, "open the terminal");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		child_fail(sync, errno, "controlling terminal");
	for (i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			child_fail(sync, errno, "dup2");
	close(slave);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &master, sizeof(int));
	if (sendmsg(sync, &mh, MSG_NOSIGNAL) < 0)
		_exit(127);
	close(master);
}

static void child_seccomp(int sync, const struct container_proc *p)
{
	struct sock_fprog prog = {
		.len = (unsigned short)p->bpf_len,
		.filter = (struct sock_filter *)p->bpf,
	};

	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		child_fail(sync, errno, "seccomp");
}

static void child_caps(int sync, const uint64_t caps[SPEC_CAP_SETS],
		       uint64_t known)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	uint64_t eff = caps[SPEC_CAP_EFFECTIVE] & known;
	uint64_t perm = caps[SPEC_CAP_PERMITTED] & known;
	uint64_t inh = caps[SPEC_CAP_INHERITABLE] & known;
	unsigned long c;

	d[0].effective = (uint32_t)eff;
	d[1].effective = (uint32_t)(eff >> 32);
	d[0].permitted = (uint32_t)perm;
	d[1].permitted = (uint32_t)(perm >> 32);
	d[0].inheritable = (uint32_t)inh;
	d[1].inheritable = (uint32_t)(inh >> 32);
	if (syscall(SYS_capset, &h, d) < 0)
		child_fail(sync, errno, "capset");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		child_fail(sync, errno, "clear ambient capabilities");
	for (c = 0; c < 64; c++)
		if ((caps[SPEC_CAP_AMBIENT] & known) >> c & 1 &&
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			child_fail(sync, errno,
				   "ambient capability %lu (it must be "
				   "permitted and inheritable)",
				   c);
}

/* execve argv with env, searching PATH (from env) when argv[0] has no
 * slash. Returns only on failure, with errno set. */
static void child_execvpe(char *const *argv, char *const *env)
{
	const char *path = CHILD_DEFAULT_PATH, *p, *end;
	char buf[4096];
	int err = ENOENT;
	size_t i, n;

	if (strchr(argv[0], '/')) {
		execve(argv[0], argv, env);
		return;
	}
	for (i = 0; env && env[i]; i++)
		if (!strncmp(env[i], "PATH=", 5))
			path = env[i] + 5;
	for (p = path; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		n = (size_t)(end - p);
		if (snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, argv[0]) >=
		    (int)sizeof(buf))
			continue;
		execve(n ? buf : argv[0], argv, env);
		if (errno != ENOENT && errno != ENOTDIR)
			err = errno;
	}
	errno = err;
}

/* The process's own setup, then execve. Never returns. */
void child_run(int sync, const struct container_proc *p)
{
	const struct spec_process *cfg = &p->cfg->spec->process;
	char *const *argv = p->argv ? p->argv : cfg->args;
	char *const *env = p->env ? p->env : cfg->env;
	const char *cwd = p->cwd ? p->cwd : cfg->cwd;
	uid_t uid = p->has_user ? p->uid : cfg->uid;
	gid_t gid = p->has_user ? p->gid : cfg->gid;
	const gid_t *gids = p->has_user ? p->gids : cfg->additional_gids;
	size_t ngids = p->has_user ? p->ngids : cfg->nadditional_gids;
	const uint64_t *caps = p->has_caps ? p->caps : cfg->caps;
	bool nnp = p->nnp == MSG_NNP_CONTAINER ? cfg->no_new_privileges
					       : p->nnp == MSG_NNP_ON;
	uint64_t known = 0;
	int c;

	if (chdir(cwd) < 0)
		child_fail(sync, errno, "cwd %s", cwd);
	umask(cfg->has_umask ? cfg->umask : 022);
	if (p->bpf && !nnp)
		child_seccomp(sync, p);
	for (c = 0; c < 64 && prctl(PR_CAPBSET_READ, c) >= 0; c++) {
		known |= 1ULL << c;
		if (!(caps[SPEC_CAP_BOUNDING] >> c & 1) &&
		    prctl(PR_CAPBSET_DROP, c) < 0)
			child_fail(sync, errno, "drop capability %d", c);
	}
	if (setgroups(ngids, gids) < 0)
		child_fail(sync, errno, "setgroups");
	if (setresgid(gid, gid, gid) < 0)
		child_fail(sync, errno, "setgid %u", gid);
	if (prctl(PR_SET_KEEPCAPS, 1) < 0)
		child_fail(sync, errno, "keepcaps");
	if (setresuid(uid, uid, uid) < 0)
		child_fail(sync, errno, "setuid %u", uid);
	child_caps(sync, caps, known);
	if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(sync, errno, "noNewPrivileges");
	if (p->bpf && nnp)
		child_seccomp(sync, p);
	child_execvpe(argv, env);
	child_fail(sync, errno, "exec %s", argv[0]);
}
