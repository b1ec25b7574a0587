/*
 * virtq.h: the split virtqueue, device side, hardened.
 *
 * Everything in a virtqueue is written by the guest. The rules:
 *  - the queue's size (a power of two, at most the device's maximum), the
 *    rings' alignment and their whole ranges in guest memory are checked
 *    once, by virtq_check(), before the queue is used;
 *  - the avail index may run at most `size` entries ahead of what the
 *    device has consumed; a head index must be below `size`;
 *  - a descriptor chain has at most `size` descriptors (no loops), and
 *    each descriptor is read from guest memory exactly once;
 *  - every buffer range is checked whole, with overflow, in guest memory;
 *  - device-readable buffers come before device-writable ones.
 * A violation is VIRTQ_EBROKEN: the device must then stop using the queue
 * and report DEVICE_NEEDS_RESET. Indirect descriptors and event indices are
 * not offered. Pure: guest memory is reached only through gmem.
 * Spec: Virtio 1.2, 2.7 "Split Virtqueues".
 */
#ifndef MOAT_VMM_VIRTQ_H
#define MOAT_VMM_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "../../mem/gmem.h"

#define VIRTQ_MAX_SIZE 256
#define VIRTQ_EEMPTY (-1)  /* no buffer available */
#define VIRTQ_EBROKEN (-2) /* the guest broke the queue's rules */

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

struct virtq {
	/* Set by the driver through the transport. */
	uint16_t size;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	/* Device state. */
	bool ready;	     /* checked and in use */
	uint16_t last_avail; /* next avail entry to consume */
	uint16_t used_idx;   /* next used entry to fill */
	/* Host views of the rings, valid once checked. */
	uint8_t *desc, *avail, *used;
};

struct virtq_buf {
	uint8_t *host; /* GUEST: checked by gmem_ptr for len bytes */
	uint32_t len;
	bool writable;
};

struct virtq_chain {
	uint16_t head;
	unsigned nbufs;
	unsigned nread; /* bufs[0..nread) are device-readable */
	uint64_t read_len, write_len;
	struct virtq_buf buf[VIRTQ_MAX_SIZE];
};

/* Check the configured queue against guest memory (see above) and map its
 * rings. Returns 0 or VIRTQ_EBROKEN. */
int virtq_check(struct virtq *q, const struct gmem *m, uint16_t max_size);

/* Reset the device-side state (not the driver's configuration). */
void virtq_reset(struct virtq *q);

/* Take the next available chain. Returns 0, VIRTQ_EEMPTY or VIRTQ_EBROKEN. */
int virtq_pop(struct virtq *q, const struct gmem *m, struct virtq_chain *c);

/* Give back the chain virtq_pop() returned last, unused: the next pop
 * returns it again. */
void virtq_unpop(struct virtq *q);

/* Return a chain to the driver with `written` bytes written into it. */
void virtq_push(struct virtq *q, uint16_t head, uint32_t written);

/* Whether the driver wants an interrupt now (it has not suppressed them). */
bool virtq_want_irq(const struct virtq *q);

/*
 * One walk over bytes [*off, *off + *left) of bufs [*i, end) of c, for the
 * copy helpers below and for devices that point at guest bytes in place:
 * each call gives the next non-empty piece (*host, and its length as the
 * return value), advancing *i, *off and *left; 0 when the range or the
 * bufs are used up (then *left says what the bufs lacked).
 */
static inline uint64_t virtq_span_next(const struct virtq_chain *c, unsigned *i,
				       unsigned end, uint64_t *off,
				       uint64_t *left, uint8_t **host)
{
	for (; *i < end && *left; (*i)++) {
		const struct virtq_buf *b = &c->buf[*i];
		uint64_t n;

		if (*off >= b->len) {
			*off -= b->len;
			continue;
		}
		n = b->len - *off;
		if (n > *left)
			n = *left;
		/* GUEST: inside a buffer virtq_pop checked whole. */
		*host = b->host + *off;
		*left -= n;
		*off = 0;
		(*i)++;
		return n;
	}
	return 0;
}

/* Copy helpers over a chain's readable / writable parts. Return bytes
 * copied. */
uint64_t virtq_chain_read(const struct virtq_chain *c, uint64_t off, void *dst,
			  uint64_t len);
uint64_t virtq_chain_write(const struct virtq_chain *c, uint64_t off,
			   const void *src, uint64_t len);

/* Point iov[] at bytes [off, off + len) of the chain's readable part (or
 * its writable part when writable), without copying; empty pieces are
 * skipped. Returns the number of iovecs filled, or -1 when the range
 * runs past that part or needs more than max iovecs. */
int virtq_chain_iov(const struct virtq_chain *c, bool writable, uint64_t off,
		    uint64_t len, struct iovec *iov, unsigned max);

#endif
