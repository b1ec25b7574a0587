/*
 * fuzz_virtio.c: libFuzzer target for the virtio-mmio transport and the
 * split virtqueue together. The input is a program of register writes
 * (the driver) followed by the guest memory's contents (rings and
 * descriptors); after it, every ready queue is drained. Checks that no
 * chain breaks the rules virtq promises to enforce and that the transport
 * never runs a queue that was not checked.
 */
#include "../../src/vmm/devices/virtio/mmio.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_MEM (64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t host[FUZZ_MEM];
	static struct virtq_chain c;
	struct mmio_dev d;
	struct mmio_effect fx;
	struct gmem m;
	size_t nops, i;
	unsigned q;

	if (size < 1)
		return 0;
	nops = data[0] % 64;
	data++;
	size--;
	if (size < nops * 5)
		return 0;
	memset(host, 0, sizeof(host));
	memcpy(host, data + nops * 5,
	       size - nops * 5 < FUZZ_MEM ? size - nops * 5 : FUZZ_MEM);
	if (gmem_layout(&m, host, FUZZ_MEM, FUZZ_MEM) < 0)
		abort();
	mmio_init(&d, 3, 0, 2, 64);
	for (i = 0; i < nops; i++) {
		const uint8_t *op = data + i * 5;
		uint32_t v;

		memcpy(&v, op + 1, 4);
		mmio_write(&d, &m, (uint64_t)op[0] * 4, (uint8_t *)&v, 4, &fx);
		if (fx.notify >= 0 &&
		    (!mmio_driver_ok(&d) || !d.q[fx.notify].ready))
			abort();
	}
	for (q = 0; q < d.nqueues; q++) {
		struct virtq *vq = &d.q[q];
		int n;

		if (!vq->ready)
			continue;
		if (!vq->desc || !vq->avail || !vq->used || !vq->size ||
		    (vq->size & (vq->size - 1)) || vq->size > 64)
			abort();
		for (n = 0; n < 2 * vq->size; n++) {
			int r = virtq_pop(vq, &m, &c);
			unsigned k;

			if (r == VIRTQ_EEMPTY || r == VIRTQ_EBROKEN)
				break;
			if (r != 0 || c.nbufs == 0 || c.nbufs > vq->size ||
			    c.head >= vq->size || c.nread > c.nbufs)
				abort();
			for (k = 0; k < c.nbufs; k++) {
				const struct virtq_buf *b = &c.buf[k];

				if (b->len &&
				    (b->host < host ||
				     b->host + b->len > host + FUZZ_MEM))
					abort();
				if ((k < c.nread) == b->writable)
					abort();
			}
			virtq_push(vq, c.head, (uint32_t)c.write_len);
		}
	}
	return 0;
}
