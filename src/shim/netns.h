/*
 * netns.h: the shim joins the container's network namespace on the host
 * (see netns.c for why).
 */
#ifndef MOAT_SHIM_NETNS_H
#define MOAT_SHIM_NETNS_H

#include "../common/err.h"

#include "../common/spec.h"
#include <stdbool.h>

/* Join the network namespace sp names, or unshare a new one
 * when it names none; nothing when the config has no network namespace.
 * Returns 0 or -1 with *e set. */
int shim_netns_enter(const struct spec *sp, struct moat_err **e);

#endif
