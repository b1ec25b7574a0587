/*
 * vmrun.c: see vmrun.h. The console bytes come from the guest and are only
 * handed to the pure ready_scan() and printed escaped by the harness.
 */
#include "vmrun.h"
#include "../../src/proto/ready.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double vmrun_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *vmrun_env_path(const char *var)
{
	const char *p = getenv(var);
	struct stat st;

	if (!p || !*p || stat(p, &st) < 0)
		return NULL;
	return p;
}

int vmrun(char *const argv[], unsigned timeout_s, struct vmrun_result *r)
{
	int pfd[2], status;
	double t0, deadline;
	size_t cap = 65536;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->out = malloc(cap);
	if (!r->out)
		return -1;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -1;
	t0 = vmrun_now();
	deadline = t0 + timeout_s;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		if (nul < 0 || dup2(nul, 0) < 0 || dup2(pfd[1], 1) < 0 ||
		    dup2(pfd[1], 2) < 0)
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		double left = deadline - vmrun_now();
		ssize_t n;

		if (left <= 0)
			break;
		if (poll(&p, 1, (int)(left * 1000) + 1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (!p.revents)
			continue;
		if (r->out_len + 4096 + 1 > cap && cap < VMRUN_OUT_MAX) {
			char *nb = realloc(r->out, cap * 2);

			if (nb) {
				r->out = nb;
				cap *= 2;
			}
		}
		if (r->out_len + 4096 + 1 > cap) {
			char junk[4096]; /* over the cap: drain, keep nothing */

			n = read(pfd[0], junk, sizeof(junk));
		} else {
			n = read(pfd[0], r->out + r->out_len, 4096);
			if (n > 0)
				r->out_len += (size_t)n;
		}
		if (n <= 0)
			break; /* EOF: the monitor closed its output */
		if (!r->ready && !r->ready_bad) {
			struct ready_info ri;
			int s = ready_scan(r->out, r->out_len, &ri);

			if (s == 0) {
				r->ready = 1;
				r->uptime_ms = ri.uptime_ms;
				r->ready_s = vmrun_now() - t0;
			} else if (s == READY_EMALFORMED) {
				r->ready_bad = 1;
			}
		}
	}
	close(pfd[0]);
	r->out[r->out_len] = '\0';
	/* Give the monitor until the deadline to exit after closing output. */
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid) {
			r->exited = 1;
			r->status = status;
			r->exit_s = vmrun_now() - t0;
			break;
		}
		if (vmrun_now() >= deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			r->status = status;
			break;
		}
		usleep(10000);
	}
	return 0;
}

int vmrun_qemu_guest(const char *accel, unsigned timeout_s,
		     struct vmrun_result *r)
{
	const char *kernel = vmrun_env_path("MOAT_KERNEL");
	const char *initrd = vmrun_env_path("MOAT_INITRAMFS");
	int kvm = strcmp(accel, "kvm") == 0;
	/* No ACPI in the guest: QEMU then lists its virtio-mmio devices on
	 * the command line, and the agent's restart (reboot=t, a triple
	 * fault) ends QEMU because of -no-reboot. */
	char *argv[] = { "qemu-system-x86_64",
			 "-M",
			 "microvm,acpi=off",
			 "-accel",
			 (char *)accel,
			 "-cpu",
			 kvm ? "host" : "max",
			 "-m",
			 "256M",
			 "-smp",
			 "1",
			 "-nodefaults",
			 "-no-user-config",
			 "-display",
			 "none",
			 "-no-reboot",
			 "-serial",
			 "stdio",
			 "-kernel",
			 (char *)kernel,
			 "-initrd",
			 (char *)initrd,
			 "-append",
			 "console=ttyS0 reboot=t panic=-1 quiet",
			 NULL };

	if (!kernel || !initrd) {
		memset(r, 0, sizeof(*r));
		r->out = strdup(
			"MOAT_KERNEL or MOAT_INITRAMFS does not name a file");
		r->out_len = r->out ? strlen(r->out) : 0;
		return -1;
	}
	return vmrun(argv, timeout_s, r);
}

int vmrun_vmm_guest(unsigned ncpus, const char *cmdline, unsigned timeout_s,
		    struct vmrun_result *r)
{
	const char *vmm = vmrun_env_path("MOAT_VMM");
	const char *kernel = vmrun_env_path("MOAT_KERNEL");
	const char *initrd = vmrun_env_path("MOAT_INITRAMFS");
	char cpus[16];
	char *argv[] = { (char *)vmm,
			 "--kernel",
			 (char *)kernel,
			 "--initrd",
			 (char *)initrd,
			 "--cpus",
			 cpus,
			 "--memory",
			 "256",
			 "--console",
			 "stdio",
			 cmdline ? "--cmdline" : NULL,
			 (char *)cmdline,
			 NULL };

	if (!vmm || !kernel || !initrd) {
		memset(r, 0, sizeof(*r));
		r->out = strdup("MOAT_VMM, MOAT_KERNEL or MOAT_INITRAMFS does "
				"not name a file");
		r->out_len = r->out ? strlen(r->out) : 0;
		return -1;
	}
	snprintf(cpus, sizeof(cpus), "%u", ncpus);
	return vmrun(argv, timeout_s, r);
}
