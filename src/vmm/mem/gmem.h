/*
 * gmem.h: guest memory. One anonymous mapping of the guest's RAM, split
 * into at most two guest-physical regions around the 32-bit MMIO gap.
 * All guest memory access goes through gmem_ptr()/gmem_read()/gmem_write(),
 * which check the whole range, with overflow, against one region: a range
 * that touches a hole or spans two regions is refused.
 * Inputs: guest-physical addresses and lengths that the guest controls.
 */
#ifndef MOAT_VMM_GMEM_H
#define MOAT_VMM_GMEM_H

#include <stddef.h>
#include <stdint.h>

#include "../../common/err.h"

#define GMEM_MAX_REGIONS 2

struct gmem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *host;
};

struct gmem {
	uint8_t *base; /* the whole mapping */
	uint64_t size; /* bytes of guest RAM */
	unsigned nregions;
	struct gmem_region region[GMEM_MAX_REGIONS];
};

/*
 * Describe a guest of `size` bytes laid out around the MMIO gap [gap, 4 GiB)
 * over a host buffer `host` (pure: used by gmem_map and by tests over fake
 * memory). Returns 0, or -1 when size is 0 or too large.
 */
int gmem_layout(struct gmem *m, uint8_t *host, uint64_t size, uint64_t gap);

/* Map `size` bytes of anonymous memory for the guest (not touched, not
 * reserved: an idle guest costs what it uses). */
int gmem_map(struct gmem *m, uint64_t size, struct moat_err **e);
void gmem_unmap(struct gmem *m);

/* Host pointer to [gpa, gpa+len) if it lies wholly in one region, or NULL.
 * len 0 is refused. */
void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len);

/* Copy to/from guest memory; return 0, or -1 when the range is not RAM. */
int gmem_read(const struct gmem *m, void *dst, uint64_t gpa, uint64_t len);
int gmem_write(const struct gmem *m, uint64_t gpa, const void *src,
	       uint64_t len);

#endif
