/*
 * filter.h: moat-vmm's seccomp allowlists, one per kind of thread, built
 * with libseccomp. A thread loads its filter itself (filters apply to the
 * calling thread only) before any guest code runs; a syscall outside the
 * list kills the whole VMM (SECCOMP_RET_KILL_PROCESS). The lists, and why
 * each syscall is there, are in docs/threat-model.md.
 */
#ifndef MOAT_VMM_SECCOMP_FILTER_H
#define MOAT_VMM_SECCOMP_FILTER_H

#include <stddef.h>

#include "../../common/err.h"

enum filter_kind {
	FILTER_MAIN, /* the event loop: devices' host side, control socket */
	FILTER_VCPU, /* a vCPU: KVM_RUN and the device models it exits to */
	FILTER_P9,   /* a virtio-9p device thread: the 9p server's *at() calls
			on its share's fds */
	FILTER_NET,  /* a virtio-net device thread: readv/writev on its tap,
			epoll on its own epoll fd */
};

/* Syscalls (allowed whatever their arguments) that a device model makes on
 * the threads serving its queues, the main loop and the vCPUs: each device
 * kind names its own (devices/device.h), and they are added to FILTER_MAIN
 * and FILTER_VCPU for the devices a VM has. */
struct filter_rules {
	const int *sys; /* syscall numbers */
	size_t n;
};

/* Build the filter for kind and load it on the calling thread. Callers on
 * several threads at once are serialised. */
int filter_load(enum filter_kind kind, struct moat_err **e);
/* The same with the n rule lists in rules added (a list may come twice). */
int filter_load_with(enum filter_kind kind,
		     const struct filter_rules *const *rules, size_t n,
		     struct moat_err **e);

#endif
