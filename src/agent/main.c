/*
 * moat-agent: PID 1 inside every moat VM (static binary, /init of the
 * guest initramfs).
 *
 * This is the foundation version: it mounts /proc, prints the ready line
 * (src/proto/ready.h) with the guest's uptime on the console, and ends the
 * VM. The container-building agent grows from here.
 *
 * Inputs: the kernel (command line, /proc). Output: the console, which the
 * host reads as untrusted bytes.
 *
 * Ending the VM: a guest without ACPI cannot power off (the kernel turns a
 * power-off into a halt), so the agent asks for a restart; the VMM is told
 * on the command line how to turn that into an exit (reboot=t/k and QEMU's
 * -no-reboot). Run as the init of a PID namespace on the host (the host
 * tests do this), the same reboot(2) call ends the namespace with SIGHUP.
 */
#include "../proto/ready.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

static void agent_log(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static void agent_log(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	n = snprintf(buf, sizeof(buf), "moat-agent: ");
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	n = (int)strlen(buf);
	if (n < (int)sizeof(buf) - 1)
		buf[n++] = '\n';
	if (write(STDERR_FILENO, buf, (size_t)n) < 0) {
		/* nowhere left to report to */
	}
}

/* End the VM (or, as a namespace's init, the namespace). Never returns. */
static void __attribute__((noreturn)) agent_end_vm(void)
{
	sync();
	reboot(RB_AUTOBOOT);
	agent_log("reboot: %s", strerror(errno));
	for (;;)
		pause();
}

/* Read the uptime in milliseconds from /proc/uptime ("SECS.CC IDLE"). */
static int agent_uptime_ms(unsigned long long *ms)
{
	char buf[128];
	unsigned long long s = 0, frac = 0;
	int fd, scale = 1000;
	ssize_t n;
	char *p;

	fd = open("/proc/uptime", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (p = buf; *p >= '0' && *p <= '9'; p++)
		s = s * 10 + (unsigned long long)(*p - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9' && scale > 1; p++) {
			scale /= 10;
			frac += (unsigned long long)(*p - '0') *
				(unsigned long long)scale;
		}
	*ms = s * 1000 + frac;
	return 0;
}

int main(void)
{
	unsigned long long ms = 0;
	char line[READY_LINE_MAX + 2];
	int n;

	if (getpid() != 1) {
		agent_log("must run as PID 1");
		return 1;
	}
	mkdir("/proc", 0555);
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) &&
	    errno != EBUSY) {
		agent_log("mount /proc: %s", strerror(errno));
		agent_end_vm();
	}
	if (agent_uptime_ms(&ms)) {
		agent_log("read /proc/uptime: %s", strerror(errno));
		agent_end_vm();
	}
	n = ready_format(line, sizeof(line), ms);
	if (n < 0 || write(STDOUT_FILENO, line, (size_t)n) != n)
		agent_log("cannot write the ready line");
	agent_end_vm();
}
