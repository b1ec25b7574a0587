/*
 * resources.c: the OCI linux.resources object of an UPDATE request (the
 * same shape as a config's linux.resources, runtime-spec config-linux.md
 * "Control groups") -> struct cgroup_limits, with jansson.
 *
 * Input: the UPDATE's resources blob, from the host (the engine's update,
 * relayed by the shim). Duplicate keys are refused, every field used is
 * type- and range-checked. An absent or null member, or 0, leaves its
 * limit as it is; -1 lifts the limit (memory, swap, cpu quota, pids).
 * Members the agent does not act on are ignored, as config.c does at
 * CREATE.
 */
#include "resources.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

/* o.key, an integer in [min, max]: *out is set when present and not 0
 * (-1 becomes CGROUP_MAX). */
static int resources_int(json_t *o, const char *where, const char *key,
			 json_int_t min, json_int_t max, int64_t *out,
			 struct moat_err **e)
{
	json_t *v = json_object_get(o, key);
	json_int_t n;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return moat_err_set(e, EINVAL, "%s.%s: not an integer", where,
				    key);
	n = json_integer_value(v);
	if (n < min || n > max)
		return moat_err_set(e, EINVAL, "%s.%s: out of range", where,
				    key);
	if (n == -1)
		*out = CGROUP_MAX;
	else if (n != 0)
		*out = n;
	return 0;
}

/* r.key: an object, or absent (NULL). */
static int resources_obj(json_t *r, const char *key, json_t **out,
			 struct moat_err **e)
{
	json_t *o = json_object_get(r, key);

	*out = NULL;
	if (!o || json_is_null(o))
		return 0;
	if (!json_is_object(o))
		return moat_err_set(e, EINVAL, "resources.%s: not an object",
				    key);
	*out = o;
	return 0;
}

int resources_parse(const char *text, size_t len, struct cgroup_limits *l,
		    struct moat_err **e)
{
	json_t *r, *o;
	json_error_t je;
	int ret = -1;

	l->mem_limit = l->mem_swap = CGROUP_UNSET;
	l->cpu_quota = l->cpu_period = l->cpu_shares = CGROUP_UNSET;
	l->pids_limit = CGROUP_UNSET;
	r = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!r)
		return moat_err_set(e, EINVAL, "resources: line %d: %s",
				    je.line, je.text);
	if (!json_is_object(r)) {
		moat_err_set(e, EINVAL, "resources: not an object");
		goto out;
	}
	if (resources_obj(r, "memory", &o, e) ||
	    (o && (resources_int(o, "resources.memory", "limit", -1, INT64_MAX,
				 &l->mem_limit, e) ||
		   resources_int(o, "resources.memory", "swap", -1, INT64_MAX,
				 &l->mem_swap, e))))
		goto out;
	if (resources_obj(r, "cpu", &o, e) ||
	    (o && (resources_int(o, "resources.cpu", "quota", -1, INT64_MAX,
				 &l->cpu_quota, e) ||
		   resources_int(o, "resources.cpu", "period", 0, 1000000,
				 &l->cpu_period, e) ||
		   resources_int(o, "resources.cpu", "shares", 0, 262144,
				 &l->cpu_shares, e))))
		goto out;
	if (resources_obj(r, "pids", &o, e) ||
	    (o && resources_int(o, "resources.pids", "limit", -1, INT64_MAX,
				&l->pids_limit, e)))
		goto out;
	ret = 0;
out:
	json_decref(r);
	return ret;
}
