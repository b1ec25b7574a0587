/*
 * dev.h: a virtio-mmio device as moat-vmm runs it: the pure transport
 * model (mmio.h) plus a lock, an irqfd for its interrupt, an ioeventfd per
 * queue for the driver's notifications, and the device model's ops.
 * Register accesses arrive on vCPU threads; queue notifications (KVM
 * signals the queue's eventfd on a 4-byte write of the queue's index to
 * QueueNotify, without leaving the guest) and backend events (fds becoming
 * readable or writable) on the main thread's event loop; all take the
 * device's lock.
 */
#ifndef MOAT_VMM_VIRTIO_DEV_H
#define MOAT_VMM_VIRTIO_DEV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "../../../common/err.h"
#include "../../../common/loop.h"
#include "../../bus/bus.h"
#include "../../seccomp/filter.h"
#include "mmio.h"

struct virtio_dev;

struct virtio_dev_ops {
	/* The driver notified queue q; called with the lock held. */
	void (*notify)(struct virtio_dev *vd, unsigned q);
	/* DRIVER_OK reached / the driver reset the device; lock held. */
	void (*activate)(struct virtio_dev *vd);
	void (*reset)(struct virtio_dev *vd);
};

#define VIRTIO_KICKS_MAX 2 /* queues per device with an ioeventfd */

struct virtio_kick {	       /* one queue's notifications, by ioeventfd */
	struct loop_handler h; /* h.fd: the eventfd */
	struct virtio_dev *vd;
	unsigned q;
};

struct virtio_dev {
	pthread_mutex_t lock;
	struct mmio_dev mmio;
	const struct gmem *mem;
	int irq_fd; /* eventfd bound to the device's GSI with KVM_IRQFD */
	unsigned gsi;
	uint64_t base;
	const struct virtio_dev_ops *ops;
	void *priv; /* the device model's state */
	struct virtio_kick kick[VIRTIO_KICKS_MAX];
	unsigned nkicks;
};

extern const struct bus_ops virtio_dev_bus_ops;

/* Set up the transport and its irqfd on GSI gsi of VM vm_fd. */
int virtio_dev_init(struct virtio_dev *vd, int vm_fd, const struct gmem *m,
		    uint64_t base, unsigned gsi,
		    const struct virtio_dev_ops *ops, void *priv,
		    struct moat_err **e);
void virtio_dev_destroy(struct virtio_dev *vd);

/* Once the device model has set the queues up (mmio_init): an eventfd per
 * queue (at most VIRTIO_KICKS_MAX), bound by KVM_IOEVENTFD to a 4-byte
 * write of the queue's index to QueueNotify, and added to loop, where it
 * calls ops->notify as an MMIO write would. Other writes there still exit
 * to the vCPU thread. Returns 0 or -1 with *e set. */
int virtio_dev_kicks(struct virtio_dev *vd, int vm_fd, struct loop *loop,
		     struct moat_err **e);

/* With the lock held: act on an effect (notify, activate, reset, irq). */
void virtio_dev_apply(struct virtio_dev *vd, const struct mmio_effect *fx);

/* With the lock held: buffers were used on some queue; interrupt the guest
 * if it has not suppressed interrupts on queue q. */
void virtio_dev_used(struct virtio_dev *vd, unsigned q);

/* With the lock held: a queue broke its rules; the device stops. */
void virtio_dev_broken(struct virtio_dev *vd);

/* A device's own thread (virtio-9p, virtio-net), which loads its seccomp
 * filter before it serves anything. cond and the flags are under the
 * device's lock; the device may wait on cond for its own reasons too. */
struct virtio_thread {
	pthread_t id;
	pthread_cond_t cond;
	bool started;	  /* the thread exists */
	bool filter_done; /* it tried to load its filter */
	int filter_rc;
};

/* Start fn(arg) on a thread that takes no signals (the main thread has a
 * signalfd, the vCPUs their kick) and wait until it has called
 * virtio_thread_filter. Returns 0, a positive errno (no thread), or -1
 * (its filter failed; the thread has ended or is ending). */
int virtio_thread_start(struct virtio_dev *vd, struct virtio_thread *t,
			void *(*fn)(void *), void *arg);

/* The thread's first call: load filter kind and report to the starter.
 * Returns 0, or -1 when the thread must return at once. */
int virtio_thread_filter(struct virtio_dev *vd, struct virtio_thread *t,
			 enum filter_kind kind);

#endif
