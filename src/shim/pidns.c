/*
 * pidns.c: the VM's processes in a PID namespace of their own (pidns.h).
 *
 * Engines look at the processes of a container through the container's
 * pid, which for moat is the shim's: podman top joins the mount namespace
 * of that pid and lists the /proc it finds there. The shim has a mount
 * namespace of its own (share.c), where /proc was the host's, so podman
 * top listed every process of the host. Now the shim's children (the
 * monitor, virtiofsd) start in a new PID namespace, and once the VM runs
 * that namespace's /proc is mounted over /proc in the shim's mount
 * namespace: podman top shows what the container is on the host, the
 * namespace's first process, the monitor and its helpers. (The guest's
 * processes are the agent's business: `moat ps`, or `podman top ID -ef`,
 * which runs ps in the container.)
 *
 * The shim itself stays in the host's PID namespace: it is the engine's
 * container process, and must die of the container's fatal signal, which a
 * namespace's first process cannot do to itself. The first process is a
 * fork of the shim that runs it again as `moat-shim --vm-init`, the
 * holder: it mounts the /proc when told to (a /proc
 * reflects the PID namespace of the process that mounts it), reaps what is
 * orphaned in the namespace and dies with the shim (PR_SET_PDEATHSIG); its
 * end ends every process left in the namespace, a second guarantee that a
 * dead shim leaves no monitor behind.
 *
 * Inputs: none from the guest or the engine.
 */
#include "pidns.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define PIDNS_MOUNT 'm'

/* In the fork that becomes pid 1 of the namespace: the holder's fds, then
 * the shim's binary again as `moat-shim --vm-init` (so that it shows as
 * what it is). Never returns. */
static void __attribute__((noreturn)) pidns_holder(int ctl)
{
	static char *const argv[] = { "moat-shim", SHIM_PIDNS_ARG, NULL };
	int nul, fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* The parent is outside the namespace: 0 while it lives. */
	if (getppid() != 0)
		_exit(1);
	/* None of the shim's fds (the sync socket, the console pipe, the
	 * container's stdio) may be kept open by the holder. */
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (fd = 0; fd < 3; fd++)
		if (nul < 0 || dup2(nul, fd) < 0)
			_exit(1);
	if (ctl == 3 ? fcntl(3, F_SETFD, 0) < 0 : dup2(ctl, 3) < 0)
		_exit(1);
	/* The host's /proc still: the binary the shim runs. */
	execv("/proc/self/exe", argv);
	_exit(127);
}

void shim_pidns_holder_main(void)
{
	sigset_t chld;
	char c;
	int err;

	if (close_range(4, ~0U, 0) < 0)
		_exit(1);
	sigfillset(&chld);
	sigprocmask(SIG_SETMASK, &chld, NULL);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	while (read(3, &c, 1) == 1) {
		if (c != PIDNS_MOUNT)
			continue;
		err = mount("proc", "/proc", "proc",
			    MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0
			      ? errno
			      : 0;
		if (write(3, &err, sizeof(err)) < 0)
			break;
	}
	/* The shim closed its end (or is gone: then SIGKILL comes): reap
	 * the namespace's orphans until the end. */
	for (;;) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		sigwaitinfo(&chld, NULL);
	}
}

/* The shim's children go to its own PID namespace again. */
static int pidns_back(struct shim_pidns *p)
{
	int r = 0;

	if (p->own >= 0) {
		r = setns(p->own, CLONE_NEWPID);
		close(p->own);
		p->own = -1;
	}
	return r;
}

int shim_pidns_start(struct shim_pidns *p, struct moat_err **e)
{
	int sv[2];

	p->own = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
	if (p->own < 0)
		return moat_err_set(e, errno, "/proc/self/ns/pid");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		moat_err_set(e, errno, "pid namespace: socketpair");
		goto fail;
	}
	if (unshare(CLONE_NEWPID) < 0) {
		moat_err_set(e, errno, "a PID namespace for the VM");
		goto fail_sv;
	}
	p->holder = fork();
	if (p->holder < 0) {
		p->holder = 0;
		moat_err_set(e, errno,
			     "fork the PID namespace's first process");
		goto fail_sv;
	}
	if (p->holder == 0)
		pidns_holder(sv[1]);
	close(sv[1]);
	p->ctl = sv[0];
	return 0;
fail_sv:
	close(sv[0]);
	close(sv[1]);
fail:
	pidns_back(p);
	return -1;
}

int shim_pidns_proc(struct shim_pidns *p, struct moat_err **e)
{
	char c = PIDNS_MOUNT;
	int err = EPIPE;

	if (p->ctl < 0)
		return moat_err_set(e, ESRCH, "no PID namespace");
	if (pidns_back(p) < 0)
		return moat_err_set(e, errno,
				    "back to the shim's PID "
				    "namespace");
	if (send(p->ctl, &c, 1, MSG_NOSIGNAL) != 1 ||
	    read(p->ctl, &err, sizeof(err)) != (ssize_t)sizeof(err))
		err = EPIPE;
	close(p->ctl);
	p->ctl = -1;
	if (err)
		return moat_err_set(e, err, "/proc of the VM's PID namespace");
	return 0;
}

void shim_pidns_stop(struct shim_pidns *p)
{
	pidns_back(p);
	if (p->ctl >= 0)
		close(p->ctl);
	p->ctl = -1;
	if (p->holder > 0) {
		kill(p->holder, SIGKILL);
		while (waitpid(p->holder, NULL, 0) < 0 && errno == EINTR)
			;
	}
	p->holder = 0;
}
