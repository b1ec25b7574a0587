/*
 * subproc.c: waiting for a child process within a time (see subproc.h).
 * Inputs: pids of the caller's own children.
 */
#include "subproc.h"
#include "now.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

int subproc_wait(pid_t pid, int timeout_ms, int *status)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	pid_t w;

	for (;;) {
		w = waitpid(pid, status, timeout_ms < 0 ? 0 : WNOHANG);
		if (w == pid)
			return 1;
		if (w < 0 && errno != EINTR)
			return -1;
		if (w == 0 && now_ms() >= deadline)
			return 0;
		if (w == 0)
			nanosleep(&tick, NULL);
	}
}

int subproc_reap(pid_t pid, int timeout_ms, int *status)
{
	int r;

	*status = -1;
	r = subproc_wait(pid, timeout_ms, status);
	if (r != 0)
		return r;
	kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return 0;
}
