/*
 * device.h: one lifecycle for every kind of virtio device moat-vmm runs.
 * Each kind is an ops table (open, setup, start, stop, close, and the
 * seccomp rules its work needs); the device table lists the kinds in the
 * order the guest finds them, and vm.c walks it instead of naming any
 * kind. A kind's steps, for each instance the configuration asks for:
 *
 *   open   its host side (files, sockets, taps), before any seccomp filter
 *   setup  its transport and config space, its fds on the main loop
 *   start  its own thread, if it has one, running under its filter
 *   stop   that thread stopped and joined
 *   close  everything open undid
 *
 * undone in the reverse order (vm.c), each instance in reverse too.
 * Inputs: the configuration (main.c's, checked there); the guest reaches
 * the devices only through their virtio_dev_ops.
 */
#ifndef MOAT_VMM_DEVICE_H
#define MOAT_VMM_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "../../common/err.h"
#include "../../common/loop.h"
#include "../config.h"
#include "../seccomp/filter.h"
#include "virtio/dev.h"

/* The devices' counters, summed over the instances of each kind. */
struct device_stats {
	uint64_t p9_req, p9_copy, p9_sg;   /* 9p: requests, copied, scattered */
	uint64_t net_rx, net_tx, net_drop; /* net: frames */
};

struct device_ops {
	const char *many; /* in errors: "at most 4 block devices" */
	unsigned max;	  /* instances at most */
	size_t size;	  /* bytes of one instance's state (0: none) */
	/* How many instances c asks for. */
	unsigned (*count)(const struct vm_config *c);
	/* Open instance i's host side from c into dev (zeroed). On failure
	 * nothing is left to close; *e says which instance. NULL: nothing
	 * to open. */
	int (*open)(void *dev, const struct vm_config *c, unsigned i,
		    struct moat_err **e);
	/* Set up vd's device model and config space for dev, and put dev's
	 * fds on loop. On failure close still follows. */
	int (*setup)(void *dev, struct virtio_dev *vd, struct loop *loop,
		     struct moat_err **e);
	/* Start dev's own thread; returns once it runs under its filter
	 * (thread_filter). NULL: the device has no thread. */
	int (*start)(void *dev, struct moat_err **e);
	/* Stop and join that thread; a no-op when it is not running. */
	void (*stop)(void *dev);
	/* Undo open (and stop, when it is still running). */
	void (*close)(void *dev);
	/* Add dev's counters to s. NULL: none. */
	void (*stats)(const void *dev, struct device_stats *s);
	/* The transport's callbacks into the device model. */
	const struct virtio_dev_ops *virtio;
	/* Seccomp: the syscalls its device model makes on the threads that
	 * serve its queues (the main loop and the vCPUs), added to theirs;
	 * NULL: none beyond theirs. */
	const struct filter_rules *host_rules;
	/* The filter its own thread loads (with start). */
	enum filter_kind thread_filter;
};

/* The device table, in the order the guest finds them: consoles (hvc0,
 * ...), rng, block devices (vda, ...), 9p shares (by tag), net devices
 * (eth0, ...). NULL-terminated. */
extern const struct device_ops *const device_table[];

#endif
