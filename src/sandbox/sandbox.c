/*
 * sandbox.c: what every backend shares (see sandbox.h): the defaults of a
 * sandbox config, the choice of the backend, and stopping the monitor
 * process.
 * Inputs: the environment (MOAT_KERNEL, MOAT_INITRAMFS, MOAT_QEMU,
 * MOAT_VIRTIOFSD, MOAT_VMM, MOAT_HYPERVISOR), moat.conf as parsed by
 * src/runtime/conf.c, the container's moat.hypervisor annotation.
 */
#include "sandbox.h"
#include "../common/subproc.h"
#include "../runtime/conf.h"

#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *sandbox_env(const char *var, const char *def)
{
	const char *v = getenv(var);

	return v && *v ? v : def;
}

/* The environment's var, else the config file's value (when not ""),
 * else def. */
static const char *sandbox_pick(const char *var, const char *file,
				const char *def)
{
	return sandbox_env(var, file && *file ? file : def);
}

/* moat-vmm beside the running program (the shim), as make install and
 * the build tree lay them out; else the bare name, for PATH. */
static const char *sandbox_vmm_default(void)
{
	static char path[PATH_MAX];
	char self[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return SANDBOX_VMM_NAME;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return SANDBOX_VMM_NAME;
	*slash = '\0';
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", self,
			     SANDBOX_VMM_NAME) >= sizeof(path))
		return SANDBOX_VMM_NAME;
	return path;
}

void sandbox_config_init(struct sandbox_config *c, const struct moat_conf *conf)
{
	memset(c, 0, sizeof(*c));
	c->kernel = sandbox_pick("MOAT_KERNEL", conf ? conf->kernel : NULL,
				 MOAT_DATADIR "/bzImage");
	c->initramfs =
		sandbox_pick("MOAT_INITRAMFS", conf ? conf->initramfs : NULL,
			     MOAT_DATADIR "/initramfs.cpio");
	c->qemu = sandbox_pick("MOAT_QEMU", conf ? conf->qemu : NULL,
			       SANDBOX_QEMU_DEFAULT);
	c->virtiofsd =
		sandbox_pick("MOAT_VIRTIOFSD", conf ? conf->virtiofsd : NULL,
			     SANDBOX_VIRTIOFSD_DEFAULT);
	c->vmm = sandbox_env("MOAT_VMM", conf && *conf->vmm
						 ? conf->vmm
						 : sandbox_vmm_default());
	c->mem_mib = conf && conf->memory_mib ? conf->memory_mib
					      : SANDBOX_MEM_DEFAULT_MIB;
	c->cpus = conf && conf->vcpus ? conf->vcpus : SANDBOX_CPUS_DEFAULT;
	c->log_fd = -1;
	c->dir_fd = -1;
}

void sandbox_config_defaults(struct sandbox_config *c)
{
	sandbox_config_init(c, NULL);
}

bool sandbox_cpu_hw_virt(uint32_t leaf1_ecx, uint32_t max_ext,
			 uint32_t ext1_ecx)
{
	/* CPUID.01H:ECX bit 5 is VMX; CPUID.80000001H:ECX bit 2 is SVM,
	 * valid only when the extended leaf exists. */
	return (leaf1_ecx & (1u << 5)) ||
	       (max_ext >= 0x80000001u && (ext1_ecx & (1u << 2)));
}

int sandbox_kvm_errno(void)
{
	unsigned a, b, c1 = 0, d, max_ext, c81 = 0;
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return errno ? errno : EIO;
	close(fd);
	/* kvm_intel and kvm_amd load only on a CPU that offers VMX or SVM;
	 * a /dev/kvm without either is a paravirtual KVM (PVM's kvm_pvm),
	 * which runs only guests built for it: moat's guest stops there
	 * with an emulation failure soon after boot. */
	__cpuid(1, a, b, c1, d);
	__cpuid(0x80000000u, max_ext, b, c81, d);
	if (max_ext >= 0x80000001u)
		__cpuid(0x80000001u, a, b, c81, d);
	return sandbox_cpu_hw_virt(c1, max_ext, c81) ? 0 : CONF_KVM_NO_HW;
}

int sandbox_choose(const char *annotation, const struct moat_conf *conf,
		   enum sandbox_kind *kind, struct moat_err **e)
{
	const char *env = getenv(CONF_ENV_HYPERVISOR);
	int hv;

	/* Probe only when the answer may depend on it. */
	hv = conf_choose(annotation, env, conf, 0, e);
	if (hv == CONF_HV_VMM)
		hv = conf_choose(annotation, env, conf, sandbox_kvm_errno(), e);
	if (hv < 0)
		return -1;
	*kind = hv == CONF_HV_VMM ? SANDBOX_KIND_VMM : SANDBOX_KIND_QEMU;
	return 0;
}

/* Wait up to timeout_ms for pid, then SIGKILL it; its wait status. */
static int sandbox_reap(pid_t pid, int timeout_ms)
{
	int status;

	subproc_reap(pid, timeout_ms, &status);
	return status;
}

/* See sandbox.h. */
int sandbox_wait(struct sandbox *sb, int timeout_ms)
{
	int status = -1;

	if (sb->pid <= 0 || subproc_wait(sb->pid, timeout_ms, &status) != 1)
		return -1;
	sb->pid = 0;
	return status;
}

int sandbox_stop(struct sandbox *sb, int timeout_ms)
{
	int status = -1;

	if (sb->chan_fd >= 0) {
		close(sb->chan_fd);
		sb->chan_fd = -1;
	}
	if (sb->pid > 0)
		status = sandbox_reap(sb->pid, timeout_ms);
	sb->pid = 0;
	/* The helper ends when the monitor hangs up; give it a moment. */
	if (sb->helper > 0)
		sandbox_reap(sb->helper, 1000);
	sb->helper = 0;
	if (sb->dir_fd >= 0)
		unlinkat(sb->dir_fd, SANDBOX_VIRTIOFS_SOCK, 0);
	return status;
}

/* --- helpers of the backends ------------------------------------------------
 */

/* See sandbox.h. */
int sandbox_check_file(const char *what, const char *path, struct moat_err **e)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return moat_err_set(e, errno, "%s %s", what, path);
	if (!S_ISREG(st.st_mode))
		return moat_err_set(e, EINVAL, "%s %s: not a regular file",
				    what, path);
	return 0;
}

/* See sandbox.h. */
pid_t sandbox_spawn(const char *const *argv, int log_fd, int from1, int to1,
		    int from2, int to2, struct moat_err **e)
{
	int errp[2], err = 0;
	pid_t parent = getpid(), pid;
	ssize_t got;

	if (pipe2(errp, O_CLOEXEC) < 0)
		return moat_err_set(e, errno, "pipe");
	pid = fork();
	if (pid < 0) {
		err = errno;
		close(errp[0]);
		close(errp[1]);
		return moat_err_set(e, err, "fork");
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
		pid_t ppid;
		sigset_t none;

		/* The shim blocks the signals it reads from a signalfd;
		 * the child starts with none blocked. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* Die with the shim, whatever kills it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* The parent is gone? (0: it is outside this process's PID
		 * namespace, as the shim is; see src/shim/pidns.c.) */
		ppid = getppid();
		if (ppid != parent && ppid != 0)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);
		/* Move the fds above every target first. */
		if (from1 >= 0)
			from1 = fcntl(from1, F_DUPFD_CLOEXEC, 16);
		if (from2 >= 0)
			from2 = fcntl(from2, F_DUPFD_CLOEXEC, 16);
		if (nul < 0 || dup2(nul, 0) < 0 ||
		    (log_fd >= 0 &&
		     (dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0)) ||
		    (from1 >= 0 && dup2(from1, to1) < 0) ||
		    (from2 >= 0 && dup2(from2, to2) < 0))
			goto child_fail;
		execvp(argv[0], (char *const *)argv);
child_fail:
		err = errno;
		if (write(errp[1], &err, sizeof(err)) < 0) {
			/* the parent sees EOF and a dead child */
		}
		_exit(127);
	}
	close(errp[1]);
	/* The pipe closes on exec (CLOEXEC): an errno means it failed. */
	while ((got = read(errp[0], &err, sizeof(err))) < 0 && errno == EINTR)
		;
	close(errp[0]);
	if (got == (ssize_t)sizeof(err)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return moat_err_set(e, err, "exec %s", argv[0]);
	}
	return pid;
}

void sandbox_nics_inherit(const struct sandbox_config *c, bool inherit)
{
	unsigned i;

	for (i = 0; i < c->nnics; i++)
		fcntl(c->nics[i].fd, F_SETFD, inherit ? 0 : FD_CLOEXEC);
}
