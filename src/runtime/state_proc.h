/*
 * state_proc.h: is a container's recorded process alive and still the same
 * process (its pid and the start time of /proc/PID/stat field 22, so a
 * reused PID is never taken for it), and signalling it only then
 * (state_proc.c).
 */
#ifndef MOAT_RUNTIME_STATE_PROC_H
#define MOAT_RUNTIME_STATE_PROC_H

#include "state_json.h"

/*
 * Parse the text of /proc/PID/stat: *st the state letter (field 3), *start
 * the start time (field 22). The comm field may hold spaces and ')': the
 * fields after it are found from the last ')'. Returns 0 or -1. Pure.
 */
int state_parse_proc_stat(const char *buf, size_t len, char *st,
			  uint64_t *start);

/*
 * The start time of pid from /proc. Returns 0, or -1 with errno set
 * (ENOENT / ESRCH: no such process).
 */
int state_proc_start(pid_t pid, uint64_t *start);

/*
 * Is pid alive and the very process that started at start (not a zombie,
 * not a reuse of its PID)?
 */
bool state_proc_alive(pid_t pid, uint64_t start);

/*
 * Send sig to the recorded process of s, only if it is still that process
 * (a pidfd is opened first, then the start time checked, so a PID reused
 * in between is never signalled). With wait_ms > 0, then wait up to that
 * long for it to exit. Returns 0, or -1 with *e set: ESRCH when the
 * process is gone, ETIMEDOUT when it outlived wait_ms.
 */
int state_signal(const struct state *s, int sig, int wait_ms,
		 struct moat_err **e);

/* The status of a loaded record, from state_derive and /proc. */
enum state_status state_status_of(const struct state *s);

#endif
