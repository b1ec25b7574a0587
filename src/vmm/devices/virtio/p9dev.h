/*
 * p9dev.h: virtio-9p (ID 9), one device per share: the transport glue
 * between a virtqueue and the 9P2000.L server (9p/p9server.h).
 *
 * The device has one request queue. Each chain holds one T-message in its
 * device-readable part and room for the R-message in its writable part,
 * both possibly split over many descriptors. The device decodes each
 * request once and hands the server the decoded message (p9_serve). The
 * request is copied out of guest memory into a private buffer before it is
 * decoded (at most the msize; the guest cannot change a name between the
 * codec's check and the server's use of it), except a Twrite that spans
 * several readable descriptors (Linux's zero-copy writes from the user's
 * pages): only its fixed-size header is copied and decoded, and its data
 * are written to the file with one pwritev from guest memory. The reply is
 * written straight into guest memory when the writable descriptors are
 * adjacent in memory (Linux's non-zero-copy requests: one kmalloc'd
 * buffer); a Tread into scattered buffers (Linux's zero-copy reads into
 * user pages) is read into them with one preadv; any other reply to
 * scattered buffers is built in a private buffer and copied out once.
 *
 * A device thread serves the queue, so a slow host filesystem never stalls
 * a vCPU: the vCPU that writes QueueNotify only wakes it. The thread takes
 * chains under the device lock, drops the lock while the server works,
 * and retakes it to return the chain and interrupt the guest. A driver
 * reset while a request is in the server drops that request's reply. The
 * thread runs under its own seccomp filter (FILTER_P9), loaded before any
 * guest code runs.
 * A malformed request gets an Rlerror (the server's contract) or, with no
 * room even for that, is returned with nothing written; only a broken
 * queue makes the device need a reset.
 * Feature offered: VIRTIO_9P_MOUNT_TAG; config space: le16 tag_len, tag.
 * Inputs: guest descriptors (through virtq), T-messages (through p9codec).
 * Spec: Virtio 1.2, 5.11 "9P Transport" (9P Over Virtio).
 */
#ifndef MOAT_VMM_VIRTIO_P9DEV_H
#define MOAT_VMM_VIRTIO_P9DEV_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "../../../common/err.h"
#include "9p/p9server.h"
#include "dev.h"

#define VIRTIO_ID_9P 9
#define VIRTIO_9P_MOUNT_TAG 0

/* Chains of a whole msize in 4 KiB pages (Linux: up to 128 descriptors
 * each, no indirect descriptors) must fit, with room for a few more. */
#define P9DEV_QUEUE_SIZE 256

struct p9dev {
	struct virtio_dev *vd;
	struct p9server *srv;
	uint32_t bufsize; /* the server's largest msize */
	uint8_t *req;	  /* bufsize: the request, copied */
	uint8_t *resp;	  /* bufsize: a reply for scattered buffers */
	struct virtq_chain chain;
	struct iovec iov[VIRTQ_MAX_SIZE]; /* the chain's data buffers */
	/* Under vd->lock. */
	struct virtio_thread th; /* th.cond: also kick or stop changed */
	bool kick, stop;
	unsigned gen; /* bumped by a driver reset */
	/* Counters (tests, control socket), updated atomically by the
	 * thread: requests; replies copied out of d->resp; Treads read
	 * straight into scattered buffers and Twrites written straight from
	 * them; chains with no room to answer. */
	uint64_t nreq, ncopy, nsg, nerr;
};

/* Open the share (path, tag, ro; submounts: lookups may cross mount
 * points under it) and the buffers. Control-plane errors; before any
 * seccomp filter. */
int p9dev_open(struct p9dev *d, const char *path, const char *tag, bool ro,
	       bool submounts, struct moat_err **e);
/* Set up vd's transport and config space for d. */
void p9dev_setup(struct p9dev *d, struct virtio_dev *vd);
/* Start the device thread and wait until it runs under its seccomp filter.
 * Returns 0, or -1 (e filled) when the thread or its filter failed. */
int p9dev_start(struct p9dev *d, struct moat_err **e);
/* Stop and join the thread; a no-op when it is not running. */
void p9dev_stop(struct p9dev *d);
/* p9dev_stop, then free everything. */
void p9dev_close(struct p9dev *d);

extern const struct virtio_dev_ops p9dev_ops;

#endif
