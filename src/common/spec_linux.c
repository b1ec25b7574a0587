/*
 * spec_linux.c: the linux object of config.json (see spec.h), for the
 * parser in spec.c: namespaces, uidMappings and gidMappings, maskedPaths
 * and readonlyPaths, devices, sysctl, rootfsPropagation, resources (also
 * an UPDATE's alone: the same reader), cgroupsPath; seccomp in
 * spec_seccomp.c.
 *
 * Input: as spec.c's (config.json from the engine or the user on the host,
 * from the host in the guest). Implements runtime-spec config-linux.md
 * ("Namespaces", "User namespace mappings", "Devices", "Control groups",
 * "Sysctl", "Masked Paths",
 * "Readonly Paths", "Rootfs Mount Propagation"). Pure.
 */
#include "spec.h"
#include "spec_priv.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int spec_namespaces(json_t *lx, struct spec *s, struct moat_err **e)
{
	json_t *v = json_object_get(lx, "namespaces"), *n, *t;
	size_t i;
	int k;

	if (oci_absent(v))
		return 0;
	if (!json_is_array(v))
		return moat_err_code(e, EINVAL,
				     "linux.namespaces: must be an array");
	json_array_foreach(v, i, n)
	{
		if (!json_is_object(n))
			return moat_err_code(
				e, EINVAL,
				"linux.namespaces[%zu]: must be an "
				"object",
				i);
		t = json_object_get(n, "type");
		k = json_is_string(t)
			    ? oci_lookup(spec_ns_names, json_string_value(t))
			    : -1;
		if (k < 0)
			return moat_err_code(e, EINVAL,
					     "linux.namespaces[%zu].type: must "
					     "be a namespace type",
					     i);
		if (s->namespaces & (1u << k))
			return moat_err_code(e, EINVAL,
					     "linux.namespaces[%zu].type: %s "
					     "given twice",
					     i, spec_ns_names[k]);
		if (!((1u << k) & SPEC_NS_SUPPORTED))
			return moat_err_code(e, EOPNOTSUPP,
					     "linux.namespaces[%zu].type: %s "
					     "namespaces are not supported",
					     i, spec_ns_names[k]);
		t = json_object_get(n, "path");
		if (!oci_absent(t) &&
		    (!json_is_string(t) || json_string_value(t)[0] != '/' ||
		     strlen(json_string_value(t)) != json_string_length(t)))
			return moat_err_code(e, EINVAL,
					     "linux.namespaces[%zu].path: must "
					     "be an absolute path",
					     i);
		/* The container lives in a VM: a host namespace cannot be
		 * joined from there. The network's is the exception: the
		 * shim carries its interfaces into the VM (sandbox/net.h). */
		if (!oci_absent(t) && k != SPEC_NS_NETWORK)
			return moat_err_code(e, EOPNOTSUPP,
					     "linux.namespaces[%zu].path: "
					     "joining a namespace by path is "
					     "not supported",
					     i);
		if (!oci_absent(t) &&
		    !(s->net_path = strdup(json_string_value(t))))
			return moat_err_set(e, ENOMEM, "linux.namespaces");
		s->namespaces |= 1u << k;
	}
	return 0;
}

/* linux.<key> (uidMappings, gidMappings): at most SPEC_IDMAP_MAX ranges,
 * none wrapping past 2^32 and none overlapping another on either side
 * (the kernel refuses such a map). */
static int spec_idmaps(json_t *lx, const char *key, struct spec_idmap **out,
		       size_t *n, struct moat_err **e)
{
	json_t *v = json_object_get(lx, key), *m;
	json_int_t c, h, sz;
	struct spec_idmap *a, *b;
	char list[32], where[64];
	size_t i, k;

	snprintf(list, sizeof(list), "linux.%s", key);
	if (spec_array(v, list, sizeof(**out), (void **)out, e))
		return -1;
	if (*out && json_array_size(v) > SPEC_IDMAP_MAX)
		return moat_err_code(e, EINVAL, "%s: at most %d ranges", list,
				     SPEC_IDMAP_MAX);
	json_array_foreach(v, i, m)
	{
		if (spec_item(m, list, i, where, sizeof(where), e) ||
		    oci_get_int(m, "containerID", where, 0, UINT32_MAX, true,
				NULL, &c, e) ||
		    oci_get_int(m, "hostID", where, 0, UINT32_MAX, true, NULL,
				&h, e) ||
		    oci_get_int(m, "size", where, 1, UINT32_MAX, true, NULL,
				&sz, e))
			return -1;
		if (c + sz - 1 > UINT32_MAX || h + sz - 1 > UINT32_MAX)
			return moat_err_code(e, EINVAL,
					     "%s.size: the range goes past "
					     "4294967295",
					     where);
		a = &(*out)[(*n)++];
		a->container_id = (uint32_t)c;
		a->host_id = (uint32_t)h;
		a->size = (uint32_t)sz;
		for (k = 0; k + 1 < *n; k++) {
			b = &(*out)[k];
			if ((a->container_id <=
				     b->container_id + (b->size - 1) &&
			     b->container_id <=
				     a->container_id + (a->size - 1)) ||
			    (a->host_id <= b->host_id + (b->size - 1) &&
			     b->host_id <= a->host_id + (a->size - 1)))
				return moat_err_code(e, EINVAL,
						     "%s: overlaps %s[%zu]",
						     where, list, k);
		}
	}
	return 0;
}

/* A user namespace and its maps go together (runc's rules and words). */
static int spec_userns(json_t *lx, struct spec *s, struct moat_err **e)
{
	bool userns = s->namespaces & (1u << SPEC_NS_USER);

	if (spec_idmaps(lx, "uidMappings", &s->uid_mappings, &s->nuid_mappings,
			e) ||
	    spec_idmaps(lx, "gidMappings", &s->gid_mappings, &s->ngid_mappings,
			e))
		return -1;
	if (!userns && (s->nuid_mappings || s->ngid_mappings))
		return moat_err_code(e, EINVAL,
				     "linux.uidMappings: user namespace "
				     "mappings specified, but user namespace "
				     "isn't enabled in the config");
	if (userns && !s->nuid_mappings && !s->ngid_mappings)
		return moat_err_code(e, EINVAL,
				     "linux.uidMappings: user namespaces "
				     "enabled, but no namespace path to join "
				     "nor mappings to apply specified");
	if (userns && !s->nuid_mappings)
		return moat_err_code(e, EINVAL,
				     "linux.uidMappings: required with "
				     "linux.gidMappings");
	if (userns && !s->ngid_mappings)
		return moat_err_code(e, EINVAL,
				     "linux.gidMappings: required with "
				     "linux.uidMappings");
	return 0;
}

static int spec_paths(char **v, const char *where, struct moat_err **e)
{
	size_t i;

	for (i = 0; v[i]; i++)
		if (v[i][0] != '/')
			return moat_err_code(
				e, EINVAL, "%s[%zu]: must be an absolute path",
				where, i);
	return 0;
}

/* linux.devices */
static int spec_devices(json_t *lx, struct spec *s, struct moat_err **e)
{
	json_t *v = json_object_get(lx, "devices"), *d;
	struct spec_device *sd;
	json_int_t maj, min, mode, uid, gid;
	char where[64], *type;
	size_t i;
	int r;

	if (spec_array(v, "linux.devices", sizeof(*s->devices),
		       (void **)&s->devices, e))
		return -1;
	json_array_foreach(v, i, d)
	{
		if (spec_item(d, "linux.devices", i, where, sizeof(where), e))
			return -1;
		sd = &s->devices[s->ndevices++];
		maj = min = uid = gid = 0;
		mode = 0666;
		type = NULL;
		r = oci_get_str(d, "path", where, true, &sd->path, e) ||
		    oci_get_str(d, "type", where, true, &type, e) ||
		    oci_get_int(d, "major", where, 0, 4095, false, NULL, &maj,
				e) ||
		    oci_get_int(d, "minor", where, 0, 1048575, false, NULL,
				&min, e) ||
		    oci_get_int(d, "fileMode", where, 0, 07777, false, NULL,
				&mode, e) ||
		    oci_get_int(d, "uid", where, 0, 0xfffffffe, false, NULL,
				&uid, e) ||
		    oci_get_int(d, "gid", where, 0, 0xfffffffe, false, NULL,
				&gid, e);
		if (!r &&
		    (!oci_clean_abs(sd->path) || strncmp(sd->path, "/dev/", 5)))
			r = moat_err_code(e, EINVAL,
					  "%s.path: must be a clean path "
					  "under /dev",
					  where);
		if (!r && (strlen(type) != 1 || !strchr("cbup", type[0])))
			r = moat_err_code(e, EINVAL,
					  "%s.type: must be c, b, u or p",
					  where);
		if (!r)
			sd->type = type[0];
		free(type);
		if (r)
			return -1;
		sd->major = (uint32_t)maj;
		sd->minor = (uint32_t)min;
		sd->file_mode = (uint32_t)mode;
		sd->uid = (uint32_t)uid;
		sd->gid = (uint32_t)gid;
	}
	return 0;
}

/* The namespace a sysctl belongs to, or -1 when it is the machine's. */
static int spec_sysctl_ns(const char *key)
{
	if (!strncmp(key, "net.", 4))
		return SPEC_NS_NETWORK;
	if (!strncmp(key, "fs.mqueue.", 10) ||
	    !strncmp(key, "kernel.msg", 10) ||
	    !strncmp(key, "kernel.shm", 10) || !strcmp(key, "kernel.sem"))
		return SPEC_NS_IPC;
	if (!strcmp(key, "kernel.hostname") ||
	    !strcmp(key, "kernel.domainname"))
		return SPEC_NS_UTS;
	return -1;
}

/* linux.sysctl: only namespaced ones, and only when the container has the
 * namespace (as runc): anything else would change the whole machine. */
static int spec_sysctls(json_t *lx, struct spec *s, struct moat_err **e)
{
	json_t *v, *val;
	const char *key, *k;
	int ns;

	if (oci_get_obj(lx, "sysctl", "linux", &v, e))
		return -1;
	if (!v)
		return 0;
	s->sysctls = calloc(json_object_size(v) + 1, sizeof(*s->sysctls));
	if (!s->sysctls)
		return moat_err_set(e, ENOMEM, "linux.sysctl");
	json_object_foreach(v, key, val)
	{
		for (k = key; *k; k++)
			if (!((*k >= 'a' && *k <= 'z') ||
			      (*k >= 'A' && *k <= 'Z') ||
			      (*k >= '0' && *k <= '9') || *k == '_' ||
			      *k == '.' || *k == '-' || *k == '/'))
				break;
		if (*k || !*key || strstr(key, "..") || key[0] == '.' ||
		    key[0] == '/')
			return moat_err_code(e, EINVAL,
					     "linux.sysctl: a key must be a "
					     "sysctl name");
		if (!json_is_string(val) ||
		    strlen(json_string_value(val)) != json_string_length(val))
			return moat_err_code(
				e, EINVAL, "linux.sysctl.%s: must be a string",
				key);
		ns = spec_sysctl_ns(key);
		if (ns < 0)
			return moat_err_code(e, EOPNOTSUPP,
					     "linux.sysctl.%s: not a "
					     "namespaced sysctl",
					     key);
		if (!(s->namespaces & (1u << ns)))
			return moat_err_code(e, EINVAL,
					     "linux.sysctl.%s: the container "
					     "does not have its namespace",
					     key);
		s->sysctls[s->nsysctls].key = strdup(key);
		s->sysctls[s->nsysctls].value = strdup(json_string_value(val));
		if (!s->sysctls[s->nsysctls++].key ||
		    !s->sysctls[s->nsysctls - 1].value)
			return moat_err_set(e, ENOMEM, "linux.sysctl");
	}
	return 0;
}

/* linux.resources.devices */
static int spec_devrules(json_t *r, const char *where, struct spec_resources *o,
			 struct moat_err **e)
{
	json_t *v = json_object_get(r, "devices"), *d, *a;
	struct spec_devrule *dr;
	char list[64], at[96], *type;
	json_int_t n;
	const char *c;
	size_t i;
	int bad;

	snprintf(list, sizeof(list), "%s.devices", where);
	if (spec_array(v, list, sizeof(*o->devices), (void **)&o->devices, e))
		return -1;
	json_array_foreach(v, i, d)
	{
		if (spec_item(d, list, i, at, sizeof(at), e))
			return -1;
		dr = &o->devices[o->ndevices++];
		dr->type = 'a';
		dr->major = dr->minor = -1;
		a = json_object_get(d, "allow");
		if (!json_is_boolean(a))
			return moat_err_code(e, EINVAL,
					     "%s.allow: required boolean", at);
		dr->allow = json_is_true(a);
		type = NULL;
		if (oci_get_str(d, "type", at, false, &type, e))
			return -1;
		bad = type && (strlen(type) != 1 || !strchr("acb", type[0]));
		if (type && !bad)
			dr->type = type[0];
		free(type);
		if (bad)
			return moat_err_code(e, EINVAL,
					     "%s.type: must be a, c or b", at);
		if (oci_get_int(d, "major", at, -1, 4095, false, NULL,
				&dr->major, e) ||
		    oci_get_int(d, "minor", at, -1, 1048575, false, NULL,
				&dr->minor, e))
			return -1;
		a = json_object_get(d, "access");
		if (oci_absent(a))
			continue;
		c = json_is_string(a) ? json_string_value(a) : "x";
		n = (json_int_t)strlen(c);
		if (n > 3 || (json_int_t)strspn(c, "rwm") != n ||
		    json_string_length(a) != (size_t)n)
			return moat_err_code(
				e, EINVAL, "%s.access: must be of r, w, m", at);
		memcpy(dr->access, c, (size_t)n + 1);
	}
	return 0;
}

/* A linux.resources object r, at JSON path where, into *o. */
static int spec_res(json_t *r, const char *where, struct spec_resources *o,
		    struct moat_err **e)
{
	char at[64];
	json_t *m;

	snprintf(at, sizeof(at), "%s.memory", where);
	if (oci_get_obj(r, "memory", where, &m, e) ||
	    (m && (oci_get_int(m, "limit", at, -1, INT64_MAX, false, NULL,
			       &o->mem_limit, e) ||
		   oci_get_int(m, "swap", at, -1, INT64_MAX, false, NULL,
			       &o->mem_swap, e))))
		return -1;
	snprintf(at, sizeof(at), "%s.cpu", where);
	if (oci_get_obj(r, "cpu", where, &m, e) ||
	    (m && (oci_get_int(m, "quota", at, -1, INT64_MAX, false, NULL,
			       &o->cpu_quota, e) ||
		   oci_get_int(m, "period", at, 0, 1000000, false, NULL,
			       &o->cpu_period, e) ||
		   oci_get_int(m, "shares", at, 0, 262144, false, NULL,
			       &o->cpu_shares, e))))
		return -1;
	snprintf(at, sizeof(at), "%s.pids", where);
	if (oci_get_obj(r, "pids", where, &m, e) ||
	    (m && oci_get_int(m, "limit", at, -1, INT64_MAX, false, NULL,
			      &o->pids_limit, e)))
		return -1;
	return spec_devrules(r, where, o, e);
}

int spec_resources_parse(const char *text, size_t len,
			 struct spec_resources *out, struct moat_err **e)
{
	json_error_t jerr;
	json_t *r;
	int ret;

	memset(out, 0, sizeof(*out));
	r = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!r)
		return moat_err_code(e, EINVAL, "resources: %d:%d: %s",
				     jerr.line, jerr.column, jerr.text);
	if (!json_is_object(r))
		ret = moat_err_code(e, EINVAL, "resources: not an object");
	else
		ret = spec_res(r, "resources", out, e);
	json_decref(r);
	if (ret)
		spec_resources_free(out);
	return ret;
}

void spec_resources_free(struct spec_resources *r)
{
	free(r->devices);
	r->devices = NULL;
	r->ndevices = 0;
}

int spec_linux_parse(json_t *root, struct spec *s, struct moat_err **e)
{
	unsigned long pf;
	json_t *lx, *o;

	if (oci_get_obj(root, "linux", "", &lx, e))
		return -1;
	if (!lx) {
		/* no linux object: no namespaces, so no maps either */
		s->masked_paths = calloc(1, sizeof(char *));
		s->readonly_paths = calloc(1, sizeof(char *));
		if (!s->masked_paths || !s->readonly_paths)
			return moat_err_set(e, ENOMEM, "linux");
		return 0;
	}
	if (spec_namespaces(lx, s, e) ||
	    oci_get_strv(lx, "maskedPaths", "linux", false, &s->masked_paths,
			 e) ||
	    spec_paths(s->masked_paths, "linux.maskedPaths", e) ||
	    oci_get_strv(lx, "readonlyPaths", "linux", false,
			 &s->readonly_paths, e) ||
	    spec_paths(s->readonly_paths, "linux.readonlyPaths", e) ||
	    oci_get_str(lx, "cgroupsPath", "linux", false, &s->cgroups_path, e))
		return -1;
	if (spec_userns(lx, s, e) || spec_devices(lx, s, e) ||
	    spec_sysctls(lx, s, e) ||
	    oci_get_str(lx, "rootfsPropagation", "linux", false,
			&s->rootfs_propagation, e))
		return -1;
	if (s->rootfs_propagation &&
	    spec_propagation(s->rootfs_propagation, &pf))
		return moat_err_code(e, EINVAL,
				     "linux.rootfsPropagation: must be a "
				     "propagation (\"rslave\", ...)");
	if (oci_get_obj(lx, "resources", "linux", &o, e))
		return -1;
	s->has_resources = o != NULL;
	if (o && spec_res(o, "linux.resources", &s->resources, e))
		return -1;
	return spec_seccomp_parse(lx, s, e);
}
