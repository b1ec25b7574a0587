/*
 * child.h: what a forked child does before execve (child.c), and how it
 * reports to the agent on the sync socket (container.c reads it).
 *
 * Inputs: the config and the request, from the host (validated by the
 * codec and the shared config parser before they get here).
 */
#ifndef MOAT_AGENT_CHILD_H
#define MOAT_AGENT_CHILD_H

#include "container.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define CHILD_MSG_READY 0 /* create: set up, waiting for start */
#define CHILD_MSG_TTY 1	  /* here is the terminal's master (fd) */
#define CHILD_MSG_ERROR 2 /* failed: err and text */

/* One message on the sync socket (SOCK_SEQPACKET). */
struct child_msg {
	int32_t kind;
	int32_t err;
	char text[480];
};

/* Report a failure ("<text>: strerror(err)" when err) and end the child. */
void child_fail(int sync, int err, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));

/* What every child does first: a clean signal state, its session and
 * stdio, its cgroup, and with own its oom score and rlimits (while /proc
 * is the agent's; container_create() sets the init's from the agent, as
 * runc: a child in its own user namespace may not raise them). */
void child_begin(int sync, const struct container_proc *p, bool own);

/* Set cfg's rlimits on process pid (0: this one). 0, or -1 with errno set
 * and *resource the RLIMIT_ that failed. */
int child_rlimits(pid_t pid, const struct spec_process *cfg, int *resource);

/* Close every fd but 0..2 and sync. */
void child_close_fds(int sync);

/* Open a terminal in the container's devpts, make it the process's, and
 * send the master to the agent. */
void child_tty(int sync);

/* The process's own set-up, then execve. Never returns. */
void child_run(int sync, const struct container_proc *p)
	__attribute__((noreturn));

#endif
