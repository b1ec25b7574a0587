/*
 * virtq.c: the hardened split virtqueue (see virtq.h). Pure.
 * Guest memory is shared with running vCPUs: the avail index is read with
 * acquire ordering, the used index written with release ordering, and each
 * descriptor is copied once into a local before any field is used.
 */
#include "virtq.h"

#include <string.h>

#define VIRTQ_DESC_SIZE 16

static uint16_t virtq_ld16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v; /* little-endian host: x86-64 only */
}

static size_t virtq_avail_bytes(uint16_t size)
{
	return 4 + 2 * (size_t)size + 2; /* flags, idx, ring, used_event */
}

static size_t virtq_used_bytes(uint16_t size)
{
	return 4 + 8 * (size_t)size + 2; /* flags, idx, ring, avail_event */
}

int virtq_check(struct virtq *q, const struct gmem *m, uint16_t max_size)
{
	q->desc = q->avail = q->used = NULL;
	q->ready = false;
	if (q->size == 0 || q->size > max_size || q->size > VIRTQ_MAX_SIZE ||
	    (q->size & (q->size - 1)))
		return VIRTQ_EBROKEN;
	if ((q->desc_gpa & 15) || (q->avail_gpa & 1) || (q->used_gpa & 3))
		return VIRTQ_EBROKEN;
	q->desc = gmem_ptr(m, q->desc_gpa, (uint64_t)q->size * VIRTQ_DESC_SIZE);
	q->avail = gmem_ptr(m, q->avail_gpa, virtq_avail_bytes(q->size));
	q->used = gmem_ptr(m, q->used_gpa, virtq_used_bytes(q->size));
	if (!q->desc || !q->avail || !q->used) {
		q->desc = q->avail = q->used = NULL;
		return VIRTQ_EBROKEN;
	}
	q->ready = true;
	return 0;
}

void virtq_reset(struct virtq *q)
{
	memset(q, 0, sizeof(*q));
}

int virtq_pop(struct virtq *q, const struct gmem *m, struct virtq_chain *c)
{
	uint16_t avail_idx, head, idx;
	unsigned hops;

	if (!q->ready)
		return VIRTQ_EBROKEN;
	/* GUEST: avail was checked for virtq_avail_bytes(size) bytes. */
	avail_idx =
		__atomic_load_n((uint16_t *)(q->avail + 2), __ATOMIC_ACQUIRE);
	if (avail_idx == q->last_avail)
		return VIRTQ_EEMPTY;
	if ((uint16_t)(avail_idx - q->last_avail) > q->size)
		return VIRTQ_EBROKEN;
	head = virtq_ld16(q->avail + 4 + 2 * (q->last_avail % q->size));
	if (head >= q->size)
		return VIRTQ_EBROKEN;
	c->head = head;
	c->nbufs = c->nread = 0;
	c->read_len = c->write_len = 0;
	idx = head;
	for (hops = 0;; hops++) {
		uint8_t d[VIRTQ_DESC_SIZE];
		uint64_t addr;
		uint32_t len;
		uint16_t flags, next;
		struct virtq_buf *b;

		if (hops >= q->size)
			return VIRTQ_EBROKEN; /* a loop, or longer than the ring
					       */
		/* GUEST: idx < size, desc checked for size * 16 bytes; read
		 * the descriptor once. */
		memcpy(d, q->desc + (size_t)idx * VIRTQ_DESC_SIZE, sizeof(d));
		memcpy(&addr, d, 8);
		memcpy(&len, d + 8, 4);
		memcpy(&flags, d + 12, 2);
		memcpy(&next, d + 14, 2);
		if (flags & VIRTQ_DESC_F_INDIRECT)
			return VIRTQ_EBROKEN; /* not negotiated */
		b = &c->buf[c->nbufs];
		b->writable = (flags & VIRTQ_DESC_F_WRITE) != 0;
		if (!b->writable && c->nbufs != c->nread)
			return VIRTQ_EBROKEN; /* readable after writable */
		b->len = len;
		b->host = len ? gmem_ptr(m, addr, len) : NULL;
		if (len && !b->host)
			return VIRTQ_EBROKEN;
		if (b->writable)
			c->write_len += len;
		else {
			c->read_len += len;
			c->nread++;
		}
		c->nbufs++;
		if (!(flags & VIRTQ_DESC_F_NEXT))
			break;
		if (next >= q->size)
			return VIRTQ_EBROKEN;
		idx = next;
	}
	q->last_avail++;
	return 0;
}

void virtq_unpop(struct virtq *q)
{
	q->last_avail--;
}

void virtq_push(struct virtq *q, uint16_t head, uint32_t written)
{
	uint8_t *e;
	uint32_t id = head;

	if (!q->ready)
		return;
	/* GUEST: used checked for virtq_used_bytes(size) bytes. */
	e = q->used + 4 + 8 * (size_t)(q->used_idx % q->size);
	memcpy(e, &id, 4);
	memcpy(e + 4, &written, 4);
	q->used_idx++;
	__atomic_store_n((uint16_t *)(q->used + 2), q->used_idx,
			 __ATOMIC_RELEASE);
}

bool virtq_want_irq(const struct virtq *q)
{
	uint16_t flags;

	if (!q->ready)
		return false;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	flags = virtq_ld16(q->avail);
	return !(flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

uint64_t virtq_chain_read(const struct virtq_chain *c, uint64_t off, void *dst,
			  uint64_t len)
{
	uint64_t left = len, done = 0, n;
	unsigned i = 0;
	uint8_t *h;

	while ((n = virtq_span_next(c, &i, c->nread, &off, &left, &h))) {
		memcpy((uint8_t *)dst + done, h, n);
		done += n;
	}
	return done;
}

uint64_t virtq_chain_write(const struct virtq_chain *c, uint64_t off,
			   const void *src, uint64_t len)
{
	uint64_t left = len, done = 0, n;
	unsigned i = c->nread;
	uint8_t *h;

	while ((n = virtq_span_next(c, &i, c->nbufs, &off, &left, &h))) {
		memcpy(h, (const uint8_t *)src + done, n);
		done += n;
	}
	return done;
}

int virtq_chain_iov(const struct virtq_chain *c, bool writable, uint64_t off,
		    uint64_t len, struct iovec *iov, unsigned max)
{
	unsigned i = writable ? c->nread : 0;
	unsigned end = writable ? c->nbufs : c->nread, n = 0;
	uint64_t k;
	uint8_t *h;

	while ((k = virtq_span_next(c, &i, end, &off, &len, &h))) {
		if (n >= max)
			return -1;
		iov[n].iov_base = h;
		iov[n].iov_len = (size_t)k;
		n++;
	}
	return len ? -1 : (int)n;
}
