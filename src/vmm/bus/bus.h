/*
 * bus.h: port I/O and MMIO dispatch. A bus is a small fixed table of
 * address ranges, filled before any vCPU runs and read-only afterwards, so
 * lookups need no lock (each device locks its own state).
 * Inputs: addresses and sizes of guest accesses (guest-controlled).
 */
#ifndef MOAT_VMM_BUS_H
#define MOAT_VMM_BUS_H

#include <stdint.h>

#define BUS_MAX_DEVICES 32

struct bus_ops {
	/* off is relative to the range's base; len is 1, 2, 4 or 8 and the
	 * access lies wholly inside the range. */
	void (*read)(void *dev, uint64_t off, uint8_t *data, uint32_t len);
	void (*write)(void *dev, uint64_t off, const uint8_t *data,
		      uint32_t len);
};

struct bus_range {
	uint64_t base;
	uint64_t len;
	const struct bus_ops *ops;
	void *dev;
};

struct bus {
	unsigned n;
	struct bus_range r[BUS_MAX_DEVICES];
};

/* Add a device; returns -1 when the table is full or the range is empty,
 * wraps, or overlaps another. */
int bus_add(struct bus *b, uint64_t base, uint64_t len,
	    const struct bus_ops *ops, void *dev);

/* Dispatch an access. Returns 0 when a device took it, -1 when no device
 * covers [addr, addr+len) wholly (a read then returns all ones). */
int bus_read(const struct bus *b, uint64_t addr, uint8_t *data, uint32_t len);
int bus_write(const struct bus *b, uint64_t addr, const uint8_t *data,
	      uint32_t len);

#endif
