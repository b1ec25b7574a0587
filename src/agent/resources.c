/*
 * resources.c: OCI linux.resources (runtime-spec config-linux.md "Control
 * groups") -> struct cgroup_limits, for CREATE's config and for UPDATE.
 *
 * Input: the UPDATE's resources blob, from the host (the engine's update,
 * relayed by the shim), parsed by the same code as a config's
 * linux.resources (spec_resources_parse(), src/common/spec.c): duplicate
 * keys are refused, every field used is type- and range-checked. Members
 * the agent does not act on (blockIO, devices, hugepageLimits, ...) are
 * ignored, at CREATE as at UPDATE.
 */
#include "resources.h"

#include <errno.h>
#include <string.h>

/* One limit: see resources_limits(). */
static int64_t resources_one(long long v, bool update)
{
	if (!update)
		return v > 0 ? v : CGROUP_UNSET;
	if (v == -1)
		return CGROUP_MAX;
	return v ? v : CGROUP_UNSET;
}

void resources_limits(const struct spec_resources *r, bool update,
		      struct cgroup_limits *l)
{
	l->mem_limit = resources_one(r->mem_limit, update);
	l->mem_swap = resources_one(r->mem_swap, update);
	l->cpu_quota = resources_one(r->cpu_quota, update);
	l->cpu_period = resources_one(r->cpu_period, update);
	if (!update && l->cpu_quota == CGROUP_UNSET)
		l->cpu_period = CGROUP_UNSET;
	l->cpu_shares = resources_one(r->cpu_shares, update);
	l->pids_limit = resources_one(r->pids_limit, update);
}

int resources_parse(const char *text, size_t len, struct cgroup_limits *l,
		    struct moat_err **e)
{
	struct spec_resources r;

	if (spec_resources_parse(text, len, &r, e))
		return -1;
	resources_limits(&r, true, l);
	spec_resources_free(&r);
	return 0;
}
