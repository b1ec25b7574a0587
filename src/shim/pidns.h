/*
 * pidns.h: the VM's processes in a PID namespace of their own, with that
 * namespace's /proc in the shim's mount namespace (see pidns.c for why).
 */
#ifndef MOAT_SHIM_PIDNS_H
#define MOAT_SHIM_PIDNS_H

#include "../common/err.h"

#include <sys/types.h>

struct shim_pidns {
	pid_t holder; /* the namespace's first process; 0: none */
	int ctl;      /* a socket to it, -1: none */
	int own;      /* the shim's own PID namespace, -1: none */
};

#define SHIM_PIDNS_INIT                           \
	{                                         \
		.holder = 0, .ctl = -1, .own = -1 \
	}

/* Put the shim's next children in a new PID namespace, whose first
 * process (the holder) it starts now. Returns 0 or -1 with *e set. */
int shim_pidns_start(struct shim_pidns *p, struct moat_err **e);

/* Once the monitor and its helpers are started: the shim's later children
 * (and threads: the kernel refuses a thread while they would go elsewhere)
 * stay in its own namespace again, and the holder mounts the namespace's
 * /proc over the shim's mount namespace's /proc. From then on the shim
 * itself, outside that namespace, has no /proc/self: call it once the shim
 * needs none. Returns 0 or -1 with *e set. */
int shim_pidns_proc(struct shim_pidns *p, struct moat_err **e);

/* The holder, run as `moat-shim --vm-init` with its socket on fd 3: mounts
 * the namespace's /proc when told, then reaps orphans until it is killed.
 * Never returns. */
#define SHIM_PIDNS_ARG "--vm-init"
void shim_pidns_holder_main(void) __attribute__((noreturn));

/* End the holder, and with it whatever is left in the namespace. */
void shim_pidns_stop(struct shim_pidns *p);

#endif
