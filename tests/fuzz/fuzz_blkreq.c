/*
 * fuzz_blkreq.c: libFuzzer target for the virtio-blk request parser
 * (src/vmm/devices/virtio/blkreq.c). The input describes the device and a
 * descriptor chain as virtq_pop would hand it over:
 *   byte 0       bit 0: read-only
 *   bytes 1..8   capacity in sectors (le64, any value)
 *   byte 9       number of buffers (% 65)
 *   then 3 bytes per buffer: le16 length (% 8193), flags (bit 0: writable;
 *                a readable buffer after a writable one becomes writable,
 *                as virtq_pop allows no other order)
 *   the rest     the buffers' contents, laid end to end (the header is the
 *                first 16 bytes of the readable part)
 * The buffers do not overlap, so every pointer the parser returns can be
 * placed. Checks: the status is the chain's last writable byte; accepted
 * requests have their data wholly in buffers of the right direction, off
 * the header and the status, within the limits, sector range and capacity.
 */
#include "../../src/vmm/devices/virtio/blkreq.h"
#include "fuzz_chain.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MAX_BUFS 64
#define FUZZ_MAX_LEN 8192
#define FUZZ_MEM (FUZZ_MAX_BUFS * FUZZ_MAX_LEN)
#define FUZZ_MAX_DATA (32 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Index of the buffer holding p, or -1; *off gets p's offset in it. */
static int fuzz_where(const struct virtq_chain *c, const uint8_t *p,
		      uint64_t *off)
{
	unsigned i;

	for (i = 0; i < c->nbufs; i++) {
		const struct virtq_buf *b = &c->buf[i];

		if (b->len && p >= b->host && p < b->host + b->len) {
			*off = (uint64_t)(p - b->host);
			return (int)i;
		}
	}
	return -1;
}

/* Offset of the byte at buffer i, offset off, within its direction's part
 * (readable or writable) of the chain. */
static uint64_t fuzz_part_off(const struct virtq_chain *c, unsigned i,
			      uint64_t off)
{
	unsigned k = i < c->nread ? 0 : c->nread;

	for (; k < i; k++)
		off += c->buf[k].len;
	return off;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t mem[FUZZ_MEM];
	static struct virtq_chain c;
	static struct blkreq r;
	struct blkreq_limits lim;
	uint64_t used, sum = 0;
	unsigned n, i;
	int ret;

	if (size < 10)
		return 0;
	lim.ro = data[0] & 1;
	memcpy(&lim.capacity, data + 1, 8);
	lim.max_data = FUZZ_MAX_DATA;
	n = data[9] % (FUZZ_MAX_BUFS + 1);
	data += 10;
	size -= 10;
	if (size < 3 * (size_t)n)
		return 0;
	used = fuzz_chain(&c, data, n, FUZZ_MAX_LEN, mem);
	data += 3 * (size_t)n;
	size -= 3 * (size_t)n;
	memset(mem, 0, used);
	memcpy(mem, data, size < used ? size : used);

	ret = blkreq_parse(&c, &lim, &r);
	if (ret > 0 || ret < BLKREQ_ERO)
		abort();
	if (ret == BLKREQ_ESTATUS) {
		if (c.write_len != 0)
			abort();
		return 0;
	}
	{
		uint64_t off;
		int k = fuzz_where(&c, r.status, &off);

		if (k < 0 || (unsigned)k < c.nread ||
		    fuzz_part_off(&c, (unsigned)k, off) != c.write_len - 1)
			abort();
	}
	if (blkreq_status(ret) > VIRTIO_BLK_S_UNSUPP)
		abort();
	if (ret != 0)
		return 0;
	if (c.read_len < BLKREQ_HDR_SIZE)
		abort();
	for (i = 0; i < r.nseg; i++) {
		const struct blkreq_seg *s = &r.seg[i];
		uint64_t off, start, end;
		int k;

		if (!s->len)
			abort();
		k = fuzz_where(&c, s->host, &off);
		if (k < 0 || off + s->len > c.buf[k].len)
			abort();
		start = fuzz_part_off(&c, (unsigned)k, off);
		end = start + s->len;
		switch (r.type) {
		case VIRTIO_BLK_T_OUT:
			/* readable, after the header */
			if ((unsigned)k >= c.nread || start < BLKREQ_HDR_SIZE)
				abort();
			break;
		case VIRTIO_BLK_T_IN:
		case VIRTIO_BLK_T_GET_ID:
			/* writable, before the status */
			if ((unsigned)k < c.nread || end > c.write_len - 1)
				abort();
			break;
		default:
			abort(); /* FLUSH carries no data */
		}
		sum += s->len;
	}
	if (sum != r.data_len)
		abort();
	switch (r.type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		if (r.data_len % BLKREQ_SECTOR_SIZE ||
		    r.data_len > lim.max_data || r.sector > lim.capacity ||
		    r.data_len / BLKREQ_SECTOR_SIZE > lim.capacity - r.sector)
			abort();
		if (r.type == VIRTIO_BLK_T_OUT && lim.ro)
			abort();
		break;
	case VIRTIO_BLK_T_GET_ID:
		if (!r.data_len || r.data_len > BLKREQ_ID_BYTES)
			abort();
		break;
	case VIRTIO_BLK_T_FLUSH:
		if (c.read_len != BLKREQ_HDR_SIZE || c.write_len != 1)
			abort();
		break;
	default:
		abort();
	}
	return 0;
}
