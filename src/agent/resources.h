/*
 * resources.h: linux.resources -> cgroup limits (resources.c), for
 * CREATE's config and for an UPDATE.
 */
#ifndef MOAT_AGENT_RESOURCES_H
#define MOAT_AGENT_RESOURCES_H

#include "cgroup.h"
#include "../common/spec.h"

#include <stddef.h>

/*
 * The limits r asks for. At CREATE (update false) a positive value sets a
 * limit and anything else leaves it unset (the cpu period only with a
 * quota); in an UPDATE (update true) 0 leaves a limit as it is, -1 lifts
 * it (CGROUP_MAX), a value sets it.
 */
void resources_limits(const struct spec_resources *r, bool update,
		      struct cgroup_limits *l);

/*
 * Parse an UPDATE's OCI linux.resources JSON text[0..len) into *l: a
 * member absent or null leaves its limit unset, -1 lifts it (memory,
 * swap, quota, pids), a value sets it. Members the agent does not carry
 * out (blockIO, devices, hugepageLimits, ...) are ignored, as at CREATE:
 * the reader is the config's (spec_resources_parse()).
 * Returns 0, or -1 with *e set (EINVAL: malformed, or out of range).
 */
int resources_parse(const char *text, size_t len, struct cgroup_limits *l,
		    struct moat_err **e);

#endif
