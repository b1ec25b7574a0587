/*
 * fuzz_net.c: libFuzzer target for virtio-net's header and chain handling
 * (src/vmm/devices/virtio/netreq.c). The input describes a chain as
 * virtq_pop would hand it over, and what the tap returns:
 *   byte 0       bit 0: an RX chain (else TX)
 *   bytes 1..2   TX: the frame limit (le16, + 14); RX: the readv count
 *                (le16 + byte 3 << 16, any value)
 *   byte 3       RX: see above
 *   byte 4       number of buffers (% 65)
 *   then 3 bytes per buffer: le16 length (% 4097), flags (bit 0:
 *                writable; a readable buffer after a writable one becomes
 *                writable, as virtq_pop allows no other order)
 *   then 12 bytes: RX: the tap's header
 *   the rest     the buffers' contents, laid end to end
 * Checks: TX: an accepted chain gives our all-zero header, then iovecs
 * wholly inside the readable buffers, in order, covering exactly the bytes
 * past the guest's header, within the limit. RX: an accepted chain gives
 * the private header, iovecs inside the writable buffers covering all but
 * the first 12 bytes, then the spill byte; a finished frame fits the room
 * and its header is flags 0, GSO none, num_buffers 1.
 */
#include "../../src/vmm/devices/virtio/netreq.h"
#include "fuzz_chain.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_BUFS 64
#define FUZZ_MAX_LEN 4096
#define FUZZ_MEM (FUZZ_MAX_BUFS * FUZZ_MAX_LEN)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t mem[FUZZ_MEM];

/* iov[0..n) lie inside the buffers [first, last) of c, in order, and
 * cover exactly [off, off + len) of that part. */
static void fuzz_check_iov(const struct virtq_chain *c, unsigned first,
			   unsigned last, uint64_t off, uint64_t len,
			   const struct iovec *iov, unsigned n)
{
	uint64_t pos = 0, got = 0;
	unsigned i, k = first;

	for (i = 0; i < n; i++) {
		const uint8_t *p = iov[i].iov_base;

		if (!iov[i].iov_len)
			abort();
		/* find the buffer holding p, from k on */
		for (;; k++) {
			if (k >= last)
				abort();
			if (c->buf[k].len && p >= c->buf[k].host &&
			    p < c->buf[k].host + c->buf[k].len)
				break;
			pos += c->buf[k].len;
		}
		if (p + iov[i].iov_len > c->buf[k].host + c->buf[k].len)
			abort();
		if (pos + (uint64_t)(p - c->buf[k].host) != off + got)
			abort();
		got += iov[i].iov_len;
	}
	if (got != len)
		abort();
}

static void fuzz_tx(const struct virtq_chain *c, uint64_t max)
{
	static struct netreq_tx t;
	int r = netreq_tx_parse(c, max, &t);
	unsigned i;

	if (r > 0 || r < NETREQ_ESIZE)
		abort();
	if (r)
		return;
	if (c->nread != c->nbufs || c->read_len < NETREQ_HDR_SIZE ||
	    t.frame_len != c->read_len - NETREQ_HDR_SIZE ||
	    t.frame_len < NETREQ_ETH_HLEN || t.frame_len > max)
		abort();
	if (t.niov < 2 || t.iov[0].iov_base != t.hdr ||
	    t.iov[0].iov_len != NETREQ_HDR_SIZE)
		abort();
	for (i = 0; i < NETREQ_HDR_SIZE; i++)
		if (t.hdr[i])
			abort();
	fuzz_check_iov(c, 0, c->nread, NETREQ_HDR_SIZE, t.frame_len, t.iov + 1,
		       t.niov - 1);
}

static void fuzz_rx(const struct virtq_chain *c, uint64_t n,
		    const uint8_t tap[NETREQ_HDR_SIZE])
{
	static struct netreq_rx rx;
	struct netreq_hdr h;
	uint8_t out[NETREQ_HDR_SIZE];
	int r = netreq_rx_prepare(c, &rx);

	if (r > 0 || r < NETREQ_ESIZE)
		abort();
	if (r)
		return;
	if (c->nread || c->write_len < NETREQ_HDR_SIZE ||
	    rx.room != c->write_len || rx.niov < 2 ||
	    rx.iov[0].iov_base != rx.hdr || rx.iov[0].iov_len != 12 ||
	    rx.iov[rx.niov - 1].iov_base != &rx.spill ||
	    rx.iov[rx.niov - 1].iov_len != 1)
		abort();
	fuzz_check_iov(c, 0, c->nbufs, NETREQ_HDR_SIZE,
		       c->write_len - NETREQ_HDR_SIZE, rx.iov + 1, rx.niov - 2);
	memcpy(rx.hdr, tap, NETREQ_HDR_SIZE);
	r = netreq_rx_finish(&rx, n, out);
	if (r > 0 || r < NETREQ_ESIZE)
		abort();
	if (r)
		return;
	netreq_hdr_parse(out, &h);
	if (n > rx.room || n < NETREQ_HDR_SIZE + NETREQ_ETH_HLEN || h.flags ||
	    h.gso_type || h.hdr_len || h.gso_size || h.csum_start ||
	    h.csum_offset || h.num_buffers != 1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct virtq_chain c;
	uint8_t tap[NETREQ_HDR_SIZE];
	uint64_t used, arg;
	unsigned n;
	bool rx;

	if (size < 5 + NETREQ_HDR_SIZE)
		return 0;
	rx = data[0] & 1;
	arg = (uint64_t)data[1] | (uint64_t)data[2] << 8 |
	      (uint64_t)data[3] << 16;
	n = data[4] % (FUZZ_MAX_BUFS + 1);
	data += 5;
	size -= 5;
	if (size < 3 * (size_t)n + NETREQ_HDR_SIZE)
		return 0;
	used = fuzz_chain(&c, data, n, FUZZ_MAX_LEN, mem);
	data += 3 * (size_t)n;
	size -= 3 * (size_t)n;
	memcpy(tap, data, NETREQ_HDR_SIZE);
	data += NETREQ_HDR_SIZE;
	size -= NETREQ_HDR_SIZE;
	memset(mem, 0, used);
	memcpy(mem, data, size < used ? size : used);
	if (rx)
		fuzz_rx(&c, arg, tap);
	else
		fuzz_tx(&c, (arg & 0xffff) + NETREQ_ETH_HLEN);
	return 0;
}
