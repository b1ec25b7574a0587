/*
 * resources.h: an UPDATE's linux.resources (resources.c).
 */
#ifndef MOAT_AGENT_RESOURCES_H
#define MOAT_AGENT_RESOURCES_H

#include "cgroup.h"

#include <stddef.h>

/*
 * Parse an UPDATE's OCI linux.resources JSON text[0..len) into *l: a
 * member absent or null leaves its limit unset, -1 lifts it (memory,
 * swap, quota, pids), a value sets it. Members the agent does not carry
 * out (blockIO, devices, hugepageLimits, ...) are ignored, as at CREATE.
 * Returns 0, or -1 with *e set (EINVAL: malformed, or out of range).
 */
int resources_parse(const char *text, size_t len, struct cgroup_limits *l,
		    struct moat_err **e);

#endif
