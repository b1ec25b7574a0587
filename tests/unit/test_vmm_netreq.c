/*
 * test_vmm_netreq.c: virtio-net header parsing and building, and the
 * scatter-gather lists of TX and RX chains (src/vmm/devices/virtio/
 * netreq.c), on chains laid out by hand as virtq_pop would return them:
 * headers split over descriptors, frames spread over several, every kind
 * of malformed chain refused with its own code, and the header the guest
 * or the tap gave never passed on as is.
 */
#include "../harness/test.h"
#include "../../src/vmm/devices/virtio/netreq.h"

#include <string.h>

static uint8_t mem[65536];

/* Append a buffer of len bytes at mem + at to c. */
static void buf(struct virtq_chain *c, unsigned at, uint32_t len, bool wr)
{
	struct virtq_buf *b = &c->buf[c->nbufs++];

	b->host = len ? mem + at : NULL;
	b->len = len;
	b->writable = wr;
	if (wr) {
		c->write_len += len;
	} else {
		c->read_len += len;
		c->nread++;
	}
}

/* Gather t's iovecs into out; returns the byte count. */
static size_t gather(const struct iovec *iov, unsigned n, uint8_t *out)
{
	size_t k = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		memcpy(out + k, iov[i].iov_base, iov[i].iov_len);
		k += iov[i].iov_len;
	}
	return k;
}

TEST(header_parse_and_build_are_little_endian_and_inverse)
{
	static const uint8_t wire[12] = { 1,	3,    0x34, 0x12, 0x78, 0x56,
					  0xbc, 0x9a, 0xf0, 0xde, 2,	0 };
	struct netreq_hdr h;
	uint8_t back[12];

	netreq_hdr_parse(wire, &h);
	ASSERT_EQ(h.flags, 1);
	ASSERT_EQ(h.gso_type, 3);
	ASSERT_EQ(h.hdr_len, 0x1234);
	ASSERT_EQ(h.gso_size, 0x5678);
	ASSERT_EQ(h.csum_start, 0x9abc);
	ASSERT_EQ(h.csum_offset, 0xdef0);
	ASSERT_EQ(h.num_buffers, 2);
	netreq_hdr_build(back, &h);
	ASSERT(!memcmp(back, wire, sizeof(wire)));
}

TEST(tx_header_split_and_frame_scattered_become_one_clean_writev)
{
	static struct virtq_chain c;
	static struct netreq_tx t;
	uint8_t frame[100], out[200];
	unsigned i;

	memset(&c, 0, sizeof(c));
	for (i = 0; i < sizeof(frame); i++)
		frame[i] = (uint8_t)(i * 7 + 1);
	/* Header: 5 bytes here, 7 there (num_buffers set by the guest:
	 * ignored), then the frame in three pieces, one empty. */
	memset(mem, 0, 12);
	mem[10] = 9;
	memcpy(mem + 1000, mem + 5, 7);
	memcpy(mem + 1000 + 7, frame, 30);
	memcpy(mem + 2000, frame + 30, 70);
	buf(&c, 0, 5, false);
	buf(&c, 1000, 37, false);
	buf(&c, 3000, 0, false);
	buf(&c, 2000, 70, false);
	ASSERT_EQ(netreq_tx_parse(&c, 1518, &t), 0);
	ASSERT_EQ(t.frame_len, 100);
	ASSERT_EQ(t.niov, 3);
	ASSERT(t.iov[0].iov_base == t.hdr);
	ASSERT(t.iov[1].iov_base == mem + 1007);
	ASSERT(t.iov[2].iov_base == mem + 2000);
	ASSERT_EQ(gather(t.iov, t.niov, out), 112);
	for (i = 0; i < 12; i++)
		ASSERT_EQ(out[i], 0);
	ASSERT(!memcmp(out + 12, frame, sizeof(frame)));
}

TEST(tx_malformed_chains_fail_with_their_own_code)
{
	static struct virtq_chain c;
	static struct netreq_tx t;

	/* A writable buffer in a TX chain. */
	memset(&c, 0, sizeof(c));
	memset(mem, 0, 4096);
	buf(&c, 0, 100, false);
	buf(&c, 200, 10, true);
	ASSERT_EQ(netreq_tx_parse(&c, 1518, &t), NETREQ_EDIR);
	/* Shorter than a header. */
	memset(&c, 0, sizeof(c));
	buf(&c, 0, 11, false);
	ASSERT_EQ(netreq_tx_parse(&c, 1518, &t), NETREQ_EHDR);
	memset(&c, 0, sizeof(c));
	ASSERT_EQ(netreq_tx_parse(&c, 1518, &t), NETREQ_EHDR);
	/* A checksum or segmentation asked for, never negotiated. */
	memset(&c, 0, sizeof(c));
	buf(&c, 0, 100, false);
	mem[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	ASSERT_EQ(netreq_tx_parse(&c, 1518, &t), NETREQ_EOFFLOAD);
	mem[0] = 0;
	mem[1] = 1; /* GSO TCPv4 */
	ASSERT_EQ(netreq_tx_parse(&c, 1518, &t), NETREQ_EOFFLOAD);
	mem[1] = 0;
	/* DATA_VALID means nothing on TX: accepted, not passed on. */
	mem[0] = VIRTIO_NET_HDR_F_DATA_VALID;
	ASSERT_EQ(netreq_tx_parse(&c, 1518, &t), 0);
	ASSERT_EQ(t.hdr[0], 0);
	mem[0] = 0;
	/* A runt and an oversized frame. */
	memset(&c, 0, sizeof(c));
	buf(&c, 0, 12 + 13, false);
	ASSERT_EQ(netreq_tx_parse(&c, 1518, &t), NETREQ_ESIZE);
	memset(&c, 0, sizeof(c));
	buf(&c, 0, 12 + 14, false);
	ASSERT_EQ(netreq_tx_parse(&c, 1518, &t), 0);
	memset(&c, 0, sizeof(c));
	buf(&c, 0, 12 + 1519, false);
	ASSERT_EQ(netreq_tx_parse(&c, 1518, &t), NETREQ_ESIZE);
	ASSERT_EQ(netreq_tx_parse(&c, 1519, &t), 0);
}

TEST(rx_chain_gets_header_privately_and_frame_past_twelve_bytes)
{
	static struct virtq_chain c;
	static struct netreq_rx r;
	uint8_t out[12];
	struct netreq_hdr h;

	/* The guest's header area split 8 + 4, then the frame's room. */
	memset(&c, 0, sizeof(c));
	buf(&c, 0, 8, true);
	buf(&c, 100, 1000, true);
	buf(&c, 2000, 518, true);
	ASSERT_EQ(netreq_rx_prepare(&c, &r), 0);
	ASSERT_EQ(r.room, 1526);
	ASSERT_EQ(r.niov, 4);
	ASSERT(r.iov[3].iov_base == &r.spill);
	ASSERT_EQ(r.iov[3].iov_len, 1);
	ASSERT(r.iov[0].iov_base == r.hdr);
	ASSERT_EQ(r.iov[0].iov_len, 12);
	ASSERT(r.iov[1].iov_base == mem + 104);
	ASSERT_EQ(r.iov[1].iov_len, 996);
	ASSERT(r.iov[2].iov_base == mem + 2000);
	ASSERT_EQ(r.iov[2].iov_len, 518);
	/* The tap's header: DATA_VALID and stale bytes; the guest gets
	 * flags 0, GSO none, num_buffers 1. */
	memset(r.hdr, 0x55, sizeof(r.hdr));
	r.hdr[0] = VIRTIO_NET_HDR_F_DATA_VALID;
	r.hdr[1] = 0;
	ASSERT_EQ(netreq_rx_finish(&r, 12 + 60, out), 0);
	netreq_hdr_parse(out, &h);
	ASSERT_EQ(h.flags, 0);
	ASSERT_EQ(h.gso_type, 0);
	ASSERT_EQ(h.hdr_len, 0);
	ASSERT_EQ(h.csum_start, 0);
	ASSERT_EQ(h.num_buffers, 1);
	/* Exactly full is fine; one byte more was cut by the tap: dropped.
	 * A runt too. */
	ASSERT_EQ(netreq_rx_finish(&r, 1526, out), 0);
	ASSERT_EQ(netreq_rx_finish(&r, 1527, out), NETREQ_ESIZE);
	ASSERT_EQ(netreq_rx_finish(&r, 12 + 13, out), NETREQ_ESIZE);
	ASSERT_EQ(netreq_rx_finish(&r, 0, out), NETREQ_ESIZE);
	/* A partial checksum or GSO frame from the tap: dropped. */
	r.hdr[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	ASSERT_EQ(netreq_rx_finish(&r, 100, out), NETREQ_EOFFLOAD);
	r.hdr[0] = 0;
	r.hdr[1] = 4; /* GSO TCPv6 */
	ASSERT_EQ(netreq_rx_finish(&r, 100, out), NETREQ_EOFFLOAD);
}

TEST(rx_malformed_chains_fail_with_their_own_code)
{
	static struct virtq_chain c;
	static struct netreq_rx r;

	memset(&c, 0, sizeof(c));
	buf(&c, 0, 10, false);
	buf(&c, 100, 1600, true);
	ASSERT_EQ(netreq_rx_prepare(&c, &r), NETREQ_EDIR);
	memset(&c, 0, sizeof(c));
	buf(&c, 0, 6, true);
	buf(&c, 100, 5, true);
	ASSERT_EQ(netreq_rx_prepare(&c, &r), NETREQ_EHDR);
	memset(&c, 0, sizeof(c));
	ASSERT_EQ(netreq_rx_prepare(&c, &r), NETREQ_EHDR);
	/* Room for the header only: prepared, and every frame is dropped. */
	memset(&c, 0, sizeof(c));
	buf(&c, 0, 12, true);
	ASSERT_EQ(netreq_rx_prepare(&c, &r), 0);
	ASSERT_EQ(r.niov, 2);
	ASSERT_EQ(netreq_rx_finish(&r, 60, r.hdr), NETREQ_ESIZE);
}
