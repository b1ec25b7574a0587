/*
 * block.h: virtio-blk (ID 2) backed by a raw image file (or a block
 * device), read-only or read-write, with flush.
 *
 * The image is opened by block_open() before any seccomp filter (O_RDONLY
 * or O_RDWR, O_CLOEXEC) and locked with flock (shared when read-only,
 * exclusive when read-write) so two VMs cannot write one image; its size,
 * rounded down to whole 512-byte sectors, is the capacity. Requests are
 * parsed by the pure blkreq.c and served on the vCPU thread that notified
 * the queue, with preadv, pwritev and fdatasync on that fd; one
 * notification serves at most a queue's worth of requests. A malformed
 * request fails alone (status IOERR or UNSUPP); only a broken queue makes
 * the device need a reset.
 * Features offered: SIZE_MAX, SEG_MAX, BLK_SIZE, FLUSH, and RO for a
 * read-only image. Without FLUSH negotiated, every write is made stable
 * (fdatasync) before it completes.
 * Inputs: guest descriptors (through virtq, then blkreq).
 * Spec: Virtio 1.2, 5.2 "Block Device".
 */
#ifndef MOAT_VMM_VIRTIO_BLOCK_H
#define MOAT_VMM_VIRTIO_BLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "../../../common/err.h"
#include "blkreq.h"
#include "dev.h"

#define VIRTIO_ID_BLOCK 2

#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX 2
#define VIRTIO_BLK_F_RO 5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH 9

#define BLOCK_QUEUE_SIZE 128
#define BLOCK_SEG_MAX (BLOCK_QUEUE_SIZE - 2) /* + header and status */
#define BLOCK_SIZE_MAX (1u << 20)	     /* bytes per segment */
#define BLOCK_CONFIG_LEN 24 /* capacity .. blk_size of virtio_blk_config */

struct block {
	struct virtio_dev *vd;
	int fd;
	bool ro;
	uint64_t capacity; /* sectors */
	uint8_t id[BLKREQ_ID_BYTES];
	/* Per-request scratch, used under vd->lock. */
	struct virtq_chain chain;
	struct blkreq req;
	/* Counters (for the control socket and tests). */
	uint64_t nreq, nerr;
};

/* Open path read-only or read-write and size it; id is the GET_ID string
 * (at most 20 bytes are used). */
int block_open(struct block *b, const char *path, bool ro, const char *id,
	       struct moat_err **e);
/* Set up vd's transport and config space for b (capacity etc.). */
void block_setup(struct block *b, struct virtio_dev *vd);
void block_close(struct block *b);

extern const struct virtio_dev_ops block_ops;
/* Its syscalls on the threads that serve its queue (the main loop, a vCPU
 * that notified it): preadv, pwritev and fdatasync on the image fd. */
extern const struct filter_rules block_filter_rules;

#endif
