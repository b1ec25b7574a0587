/* le.h: little-endian loads and stores at any alignment.
 *
 * The byte order of virtio (1.2, 1.4 "little endian"), of 9P2000.L and of the
 * x86 boot protocol's setup header. Used by the pure parsers that read bytes a
 * guest controls, so these touch exactly the bytes they name and nothing else:
 * the caller has checked that p points at enough of them. No syscalls, no
 * globals; safe in the static guest agent as in the host.
 */
#ifndef MOAT_COMMON_LE_H
#define MOAT_COMMON_LE_H

#include <stdint.h>

static inline uint16_t le_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t le_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint64_t le_get64(const uint8_t *p)
{
	return (uint64_t)le_get32(p) | (uint64_t)le_get32(p + 4) << 32;
}

/* Store the low n bytes of v (n <= 8) at p, least significant first. */
static inline void le_put(uint8_t *p, uint64_t v, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void le_put16(uint8_t *p, uint16_t v)
{
	le_put(p, v, 2);
}

static inline void le_put32(uint8_t *p, uint32_t v)
{
	le_put(p, v, 4);
}

static inline void le_put64(uint8_t *p, uint64_t v)
{
	le_put(p, v, 8);
}

#endif
