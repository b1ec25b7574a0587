/*
 * net.h: the guest's network (net.c): lo, and the NICs CREATE describes.
 */
#ifndef MOAT_AGENT_NET_H
#define MOAT_AGENT_NET_H

#include "../common/err.h"

#include <stddef.h>
#include <stdint.h>

/* Bring up lo in the calling thread's network namespace: 0 or -errno. */
int net_lo_up(void);

/*
 * Configure the guest's NICs from CREATE's net field (desc[0..len), as
 * src/proto/netdesc.h decodes it; docs/protocol.md): each found by its
 * MAC, named, its MTU set, brought up, its addresses and routes added.
 * Returns 0, or -1 with *e set.
 */
int net_configure(const uint8_t *desc, size_t len, struct moat_err **e);

#endif
