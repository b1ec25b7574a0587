/*
 * proc.h: the processes the agent started (proc.c): the container's init
 * and exec'd processes, by the handle the host knows them by, their end
 * (reaped here: the agent is PID 1 in the guest, a child subreaper on a
 * host) and the WAIT requests for it.
 */
#ifndef MOAT_AGENT_PROC_H
#define MOAT_AGENT_PROC_H

#include "outq.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct stream;

struct proc {
	struct proc *next;
	uint32_t handle;
	pid_t pid;
	bool exited;
	uint32_t code, signo;
	struct stream *in, *tty; /* its input and terminal streams, or NULL */
	uint32_t *waiters;	 /* WAIT request ids */
	size_t nwaiters;
};

struct procs {
	struct proc *all;
	uint32_t next_handle;
};

/* A new process with the next handle, or NULL (out of memory). */
struct proc *proc_new(struct procs *ps, pid_t pid);
struct proc *proc_find(struct procs *ps, uint32_t handle);
bool proc_all_exited(const struct procs *ps);

/* SIGKILL every process that has not exited. */
void proc_kill_all(struct procs *ps);

/*
 * Reap every child that has ended (WNOHANG); for each that is one of the
 * processes, record its status and call exited(ctx, p). Other children
 * (orphans, failed starts) are reaped and forgotten.
 */
void proc_reap(struct procs *ps, void (*exited)(void *ctx, struct proc *p),
	       void *ctx);

/* After SIGKILL: wait for every process that has not exited (blocking),
 * then free them all. */
void proc_fini(struct procs *ps);

/* Answer WAIT request id when p ends: 0, or -1 (out of memory). */
int proc_wait_add(struct proc *p, uint32_t id);

/* An EXIT message of kind (EVENT, or the REPLY to WAIT request id) for p. */
void proc_send_exit(struct outq *q, uint8_t kind, uint16_t op, uint32_t id,
		    const struct proc *p);
/* p has ended: its EXIT event, then the replies to its waiters. */
void proc_report_exit(struct outq *q, struct proc *p);

/*
 * The container's processes, in the agent's pid numbering, sorted: with
 * pidns, every process in the pid namespace of init (none once it has
 * exited), else the live processes the agent started. Returns the count
 * (at most cap).
 */
size_t proc_pids(const struct procs *ps, const struct proc *init, bool pidns,
		 uint32_t *pids, size_t cap);

#endif
