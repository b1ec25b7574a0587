/*
 * netreq.c: virtio-net headers and frame scatter-gather lists (see
 * netreq.h). Pure. The guest's TX header is copied once out of guest
 * memory before it is checked; frames stay in guest memory and are only
 * pointed at.
 */
#include "netreq.h"
#include "../../../common/le.h"

#include <string.h>

void netreq_hdr_parse(const uint8_t b[NETREQ_HDR_SIZE], struct netreq_hdr *h)
{
	h->flags = b[0];
	h->gso_type = b[1];
	h->hdr_len = le_get16(b + 2);
	h->gso_size = le_get16(b + 4);
	h->csum_start = le_get16(b + 6);
	h->csum_offset = le_get16(b + 8);
	h->num_buffers = le_get16(b + 10);
}

void netreq_hdr_build(uint8_t b[NETREQ_HDR_SIZE], const struct netreq_hdr *h)
{
	b[0] = h->flags;
	b[1] = h->gso_type;
	le_put16(b + 2, h->hdr_len);
	le_put16(b + 4, h->gso_size);
	le_put16(b + 6, h->csum_start);
	le_put16(b + 8, h->csum_offset);
	le_put16(b + 10, h->num_buffers);
}

int netreq_tx_parse(const struct virtq_chain *c, uint64_t max_frame,
		    struct netreq_tx *t)
{
	const struct netreq_hdr clean = { 0 };
	uint8_t raw[NETREQ_HDR_SIZE];
	struct netreq_hdr h;
	int n;

	t->niov = 0;
	t->frame_len = 0;
	if (c->nread != c->nbufs)
		return NETREQ_EDIR; /* the device writes nothing on TX */
	if (c->read_len < NETREQ_HDR_SIZE ||
	    virtq_chain_read(c, 0, raw, sizeof(raw)) != sizeof(raw))
		return NETREQ_EHDR;
	netreq_hdr_parse(raw, &h);
	/* Without CSUM or any HOST_* GSO feature the driver must leave both
	 * at zero (5.1.6.2.1); num_buffers and the rest are ignored. */
	if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM ||
	    h.gso_type != VIRTIO_NET_HDR_GSO_NONE)
		return NETREQ_EOFFLOAD;
	t->frame_len = c->read_len - NETREQ_HDR_SIZE;
	if (t->frame_len < NETREQ_ETH_HLEN || t->frame_len > max_frame)
		return NETREQ_ESIZE;
	netreq_hdr_build(t->hdr, &clean);
	t->iov[0].iov_base = t->hdr;
	t->iov[0].iov_len = NETREQ_HDR_SIZE;
	n = virtq_chain_iov(c, false, NETREQ_HDR_SIZE, t->frame_len, t->iov + 1,
			    NETREQ_IOV_MAX - 1);
	if (n < 0)
		return NETREQ_EHDR; /* not reached: read_len covers it */
	t->niov = 1 + (unsigned)n;
	return 0;
}

int netreq_rx_prepare(const struct virtq_chain *c, struct netreq_rx *r)
{
	int n;

	r->niov = 0;
	r->room = 0;
	if (c->nread != 0)
		return NETREQ_EDIR; /* RX buffers are all device-writable */
	if (c->write_len < NETREQ_HDR_SIZE)
		return NETREQ_EHDR;
	/* Zeroed: the tap writes 10 of the 12 bytes and skips the rest. */
	memset(r->hdr, 0, sizeof(r->hdr));
	r->iov[0].iov_base = r->hdr;
	r->iov[0].iov_len = NETREQ_HDR_SIZE;
	n = virtq_chain_iov(c, true, NETREQ_HDR_SIZE,
			    c->write_len - NETREQ_HDR_SIZE, r->iov + 1,
			    NETREQ_IOV_MAX - 2);
	if (n < 0)
		return NETREQ_EHDR; /* not reached: write_len covers it */
	r->iov[1 + n].iov_base = &r->spill;
	r->iov[1 + n].iov_len = 1;
	r->niov = 2 + (unsigned)n;
	r->room = c->write_len;
	return 0;
}

int netreq_rx_finish(const struct netreq_rx *r, uint64_t n,
		     uint8_t out[NETREQ_HDR_SIZE])
{
	struct netreq_hdr h, g = { .num_buffers = 1 };

	/* The tap returns the whole frame's length even when it copied only
	 * what fitted, a socket fills the spill byte: either way a count
	 * past the room means the frame was cut. */
	if (n < NETREQ_HDR_SIZE + NETREQ_ETH_HLEN || n > r->room)
		return NETREQ_ESIZE;
	netreq_hdr_parse(r->hdr, &h);
	/* A partial checksum or a GSO frame (the tap has no offloads turned
	 * on, so neither is expected) cannot be handed to a driver that did
	 * not negotiate them. DATA_VALID is dropped: without GUEST_CSUM the
	 * guest checks every checksum itself (5.1.6.3.1). */
	if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM ||
	    h.gso_type != VIRTIO_NET_HDR_GSO_NONE)
		return NETREQ_EOFFLOAD;
	netreq_hdr_build(out, &g);
	return 0;
}
