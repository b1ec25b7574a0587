/*
 * sandbox.c: what every backend shares (see sandbox.h): the defaults of a
 * sandbox config and stopping the monitor process.
 * Inputs: the environment (MOAT_KERNEL, MOAT_INITRAMFS).
 */
#include "sandbox.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *sandbox_env(const char *var, const char *def)
{
	const char *v = getenv(var);

	return v && *v ? v : def;
}

void sandbox_config_defaults(struct sandbox_config *c)
{
	memset(c, 0, sizeof(*c));
	c->kernel = sandbox_env("MOAT_KERNEL", MOAT_DATADIR "/bzImage");
	c->initramfs =
		sandbox_env("MOAT_INITRAMFS", MOAT_DATADIR "/initramfs.cpio");
	c->mem_mib = SANDBOX_MEM_DEFAULT_MIB;
	c->cpus = SANDBOX_CPUS_DEFAULT;
	c->log_fd = -1;
	c->dir_fd = -1;
}

/* Wait up to timeout_ms for pid, then SIGKILL it; its wait status. */
static int sandbox_reap(pid_t pid, int timeout_ms)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int status = -1, waited;
	pid_t w;

	for (waited = 0;; waited += 10) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid || (w < 0 && errno != EINTR))
			break;
		if (waited >= timeout_ms) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			break;
		}
		nanosleep(&ts, NULL);
	}
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
