/*
 * subproc.h: waiting for a child process within a time (subproc.c),
 * counted on now_ms() (now.h). Used by the
 * shim's backends (the monitor's end) and the CLI's hooks (a hook's
 * timeout).
 * Inputs: pids of our own children.
 */
#ifndef MOAT_COMMON_SUBPROC_H
#define MOAT_COMMON_SUBPROC_H

#include <sys/types.h>

/*
 * Wait for the child pid up to timeout_ms (negative: without a limit),
 * polling every 10 ms. Returns 1 when it was reaped (*status its wait
 * status), 0 when it still runs at the deadline (not reaped), or -1 when
 * waitpid failed (errno set; EINTR is retried).
 */
int subproc_wait(pid_t pid, int timeout_ms, int *status);

/*
 * subproc_wait, and a child still running at the deadline is killed
 * (SIGKILL) and reaped. Returns 1 when it ended by itself, 0 when it was
 * killed, -1 when waitpid failed; *status is the wait status (-1 when
 * none was had).
 */
int subproc_reap(pid_t pid, int timeout_ms, int *status);

#endif
