/*
 * bus.c: see bus.h. Pure.
 */
#include "bus.h"

#include <string.h>

int bus_add(struct bus *b, uint64_t base, uint64_t len,
	    const struct bus_ops *ops, void *dev)
{
	unsigned i;

	if (b->n >= BUS_MAX_DEVICES || !len || base + len < base)
		return -1;
	for (i = 0; i < b->n; i++)
		if (base < b->r[i].base + b->r[i].len &&
		    b->r[i].base < base + len)
			return -1;
	b->r[b->n++] = (struct bus_range){ base, len, ops, dev };
	return 0;
}

static const struct bus_range *bus_find(const struct bus *b, uint64_t addr,
					uint32_t len)
{
	unsigned i;

	if (len == 0 || len > 8 || addr + len < addr)
		return NULL;
	for (i = 0; i < b->n; i++) {
		const struct bus_range *r = &b->r[i];

		if (addr >= r->base && addr - r->base < r->len &&
		    len <= r->len - (addr - r->base))
			return r;
	}
	return NULL;
}

int bus_read(const struct bus *b, uint64_t addr, uint8_t *data, uint32_t len)
{
	const struct bus_range *r = bus_find(b, addr, len);

	if (!r) {
		if (len <= 8)
			memset(data, 0xff, len);
		return -1;
	}
	if (r->ops->read)
		r->ops->read(r->dev, addr - r->base, data, len);
	else
		memset(data, 0xff, len);
	return 0;
}

int bus_write(const struct bus *b, uint64_t addr, const uint8_t *data,
	      uint32_t len)
{
	const struct bus_range *r = bus_find(b, addr, len);

	if (!r)
		return -1;
	if (r->ops->write)
		r->ops->write(r->dev, addr - r->base, data, len);
	return 0;
}
