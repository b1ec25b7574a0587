/*
 * fakevq.h: virtqueues and virtio devices over fake guest memory for the
 * unit tests of the device models: descriptors written by hand, and a
 * struct virtio_dev set up as moat-vmm's transport would leave it at
 * DRIVER_OK (its interrupt an eventfd nobody reads, no KVM).
 */
#ifndef MOAT_TEST_FAKEVQ_H
#define MOAT_TEST_FAKEVQ_H

#include "../../src/vmm/devices/virtio/dev.h"

#include <stdint.h>

/* Write descriptor i of the table at desc (16 bytes each). */
void fakevq_desc(uint8_t *desc, unsigned i, uint64_t addr, uint32_t len,
		 uint16_t flags, uint16_t next);

/* Lay out gm over host (size bytes, zeroed) and set vd up over it with
 * ops: lock, memory, an eventfd as its interrupt. */
void fakevq_dev(struct virtio_dev *vd, struct gmem *gm, uint8_t *host,
		uint64_t size, const struct virtio_dev_ops *ops);

/* Bring vd to DRIVER_OK with features (VERSION_1 added) and queue 0 of
 * qsize entries at the given rings, checked against max. */
void fakevq_ready(struct virtio_dev *vd, uint64_t features, uint16_t qsize,
		  uint64_t desc, uint64_t avail, uint64_t used, uint16_t max);

#endif
