/*
 * fuzz_chain.h: a descriptor chain as virtq_pop would hand it over, built
 * from fuzz input, for the targets of the virtio request parsers
 * (fuzz_blkreq.c, fuzz_net.c). Each buffer is 3 bytes of input: le16
 * length (% (max_len + 1)), flags (bit 0: writable; a readable buffer
 * after a writable one becomes writable, as virtq_pop allows no other
 * order). The buffers are laid end to end in mem, so they never overlap.
 * Header-only: the libFuzzer build links each target alone.
 */
#ifndef MOAT_FUZZ_CHAIN_H
#define MOAT_FUZZ_CHAIN_H

#include "../../src/vmm/devices/virtio/virtq.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Fill c (cleared first) with the n buffers that desc[0..3n) describe,
 * placed in mem from its start; returns the bytes of mem they take. */
static inline uint64_t fuzz_chain(struct virtq_chain *c, const uint8_t *desc,
				  unsigned n, unsigned max_len, uint8_t *mem)
{
	bool any_writable = false;
	uint64_t used = 0;
	unsigned i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < n; i++) {
		struct virtq_buf *b = &c->buf[i];
		uint16_t len;

		memcpy(&len, desc + 3 * i, 2);
		len %= max_len + 1;
		b->writable = (desc[3 * i + 2] & 1) || any_writable;
		any_writable = b->writable;
		b->len = len;
		b->host = len ? mem + used : NULL;
		used += len;
		if (b->writable) {
			c->write_len += len;
		} else {
			c->read_len += len;
			c->nread++;
		}
	}
	c->nbufs = n;
	return used;
}

#endif
