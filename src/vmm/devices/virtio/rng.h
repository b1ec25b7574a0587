/*
 * rng.h: virtio-rng (entropy device, ID 4): each buffer the guest offers
 * is filled from the host's getrandom(2).
 * Inputs: guest descriptors (through virtq). Spec: Virtio 1.2, 5.4.
 */
#ifndef MOAT_VMM_VIRTIO_RNG_H
#define MOAT_VMM_VIRTIO_RNG_H

#include "dev.h"

#define VIRTIO_ID_RNG 4

void rng_setup(struct virtio_dev *vd);
extern const struct virtio_dev_ops rng_ops;
/* Its syscalls on the threads that serve its queue: getrandom. */
extern const struct filter_rules rng_filter_rules;

#endif
