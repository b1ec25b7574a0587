/*
 * config.c: the OCI runtime config (config.json, runtime-spec 1.0.0 to
 * 1.3.0) -> struct config, with jansson.
 *
 * Input: the CREATE request's config blob, from the host (the engine's
 * bundle, relayed by the shim). Duplicate keys are refused, every field is
 * type-checked, and what the agent cannot carry out (a user namespace, a
 * namespace path but the network's, an unknown capability or rlimit) is
 * refused with a clear message instead of being ignored. A network
 * namespace with a path is the engine's on the host, which the shim carried
 * into the VM: the container uses the guest's own (net_guest; net.c); in
 * a VM a new one is the guest's too (serve.c).
 * Fields the agent does not act on (hooks, annotations, apparmor, selinux)
 * are left alone: the host handles them or they do not apply inside a VM.
 */
#include "config.h"
#include "../common/oci.h"

#include <errno.h>
#include <jansson.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* Mount options: set flags, or clear them ("rw" clears MS_RDONLY). */
static const struct {
	const char *name;
	unsigned long set;
	unsigned long clear;
} config_mount_opts[] = {
	{ "ro", MS_RDONLY, 0 },
	{ "rw", 0, MS_RDONLY },
	{ "nosuid", MS_NOSUID, 0 },
	{ "suid", 0, MS_NOSUID },
	{ "nodev", MS_NODEV, 0 },
	{ "dev", 0, MS_NODEV },
	{ "noexec", MS_NOEXEC, 0 },
	{ "exec", 0, MS_NOEXEC },
	{ "sync", MS_SYNCHRONOUS, 0 },
	{ "async", 0, MS_SYNCHRONOUS },
	{ "dirsync", MS_DIRSYNC, 0 },
	{ "remount", MS_REMOUNT, 0 },
	{ "mand", MS_MANDLOCK, 0 },
	{ "nomand", 0, MS_MANDLOCK },
	{ "atime", 0, MS_NOATIME },
	{ "noatime", MS_NOATIME, 0 },
	{ "diratime", 0, MS_NODIRATIME },
	{ "nodiratime", MS_NODIRATIME, 0 },
	{ "relatime", MS_RELATIME, 0 },
	{ "norelatime", 0, MS_RELATIME },
	{ "strictatime", MS_STRICTATIME, 0 },
	{ "nostrictatime", 0, MS_STRICTATIME },
};

static const struct {
	const char *name;
	unsigned long flags;
} config_propagation[] = {
	{ "private", MS_PRIVATE },
	{ "rprivate", MS_PRIVATE | MS_REC },
	{ "shared", MS_SHARED },
	{ "rshared", MS_SHARED | MS_REC },
	{ "slave", MS_SLAVE },
	{ "rslave", MS_SLAVE | MS_REC },
	{ "unbindable", MS_UNBINDABLE },
	{ "runbindable", MS_UNBINDABLE | MS_REC },
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int config_propagation_flags(const char *s, unsigned long *out)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(config_propagation); i++)
		if (!strcmp(s, config_propagation[i].name)) {
			*out = config_propagation[i].flags;
			return 0;
		}
	return -1;
}

static int config_caps(json_t *proc, struct config *c, struct moat_err **e)
{
	static const char *const sets[CONFIG_CAP_SETS] = {
		"bounding", "effective", "inheritable", "permitted", "ambient"
	};
	json_t *caps = json_object_get(proc, "capabilities"), *v, *n;
	size_t i, j;
	int cap;

	if (!caps || json_is_null(caps))
		return 0;
	if (!json_is_object(caps))
		return moat_err_set(e, EINVAL,
				    "process.capabilities: not an object");
	for (i = 0; i < CONFIG_CAP_SETS; i++) {
		v = json_object_get(caps, sets[i]);
		if (!v || json_is_null(v))
			continue;
		if (!json_is_array(v))
			return moat_err_set(e, EINVAL,
					    "process.capabilities.%s: not an "
					    "array",
					    sets[i]);
		json_array_foreach(v, j, n)
		{
			cap = json_is_string(n)
				      ? oci_lookup(oci_cap_names,
						   json_string_value(n))
				      : -1;
			if (cap < 0)
				return moat_err_set(
					e, EINVAL,
					"process.capabilities.%s[%zu]: unknown "
					"capability",
					sets[i], j);
			c->caps[i] |= 1ULL << cap;
		}
	}
	return 0;
}

static int config_rlimits(json_t *proc, struct config *c, struct moat_err **e)
{
	json_t *v = json_object_get(proc, "rlimits"), *r, *t;
	json_int_t soft, hard;
	const char *type;
	size_t i;
	int k;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return moat_err_set(e, EINVAL, "process.rlimits: not an array");
	c->rlimits = calloc(json_array_size(v) + 1, sizeof(*c->rlimits));
	if (!c->rlimits)
		return moat_err_set(e, ENOMEM, "process.rlimits");
	json_array_foreach(v, i, r)
	{
		t = json_object_get(r, "type");
		type = json_is_string(t) ? json_string_value(t) : "";
		k = oci_lookup(oci_rlimit_names, type);
		if (k < 0)
			return moat_err_set(e, EINVAL,
					    "process.rlimits[%zu]: unknown "
					    "type",
					    i);
		soft = hard = -1;
		if (!json_is_integer(json_object_get(r, "soft")) ||
		    !json_is_integer(json_object_get(r, "hard")))
			return moat_err_set(e, EINVAL,
					    "process.rlimits[%zu]: soft and "
					    "hard are required integers",
					    i);
		soft = json_integer_value(json_object_get(r, "soft"));
		hard = json_integer_value(json_object_get(r, "hard"));
		/* -1 (as JSON often carries RLIM_INFINITY) is unlimited */
		if (soft < -1 || hard < -1 ||
		    (hard != -1 && (soft == -1 || soft > hard)))
			return moat_err_set(e, EINVAL,
					    "process.rlimits[%zu]: soft over "
					    "hard",
					    i);
		c->rlimits[c->nrlimits].resource = oci_rlimit_resources[k];
		c->rlimits[c->nrlimits].lim.rlim_cur =
			soft < 0 ? RLIM_INFINITY : (rlim_t)soft;
		c->rlimits[c->nrlimits].lim.rlim_max =
			hard < 0 ? RLIM_INFINITY : (rlim_t)hard;
		c->nrlimits++;
	}
	return 0;
}

static int config_user(json_t *proc, struct config *c, struct moat_err **e)
{
	json_t *u = json_object_get(proc, "user"), *g, *ag;
	json_int_t v;
	size_t i;

	if (!u || json_is_null(u))
		return 0;
	if (!json_is_object(u))
		return moat_err_set(e, EINVAL, "process.user: not an object");
	v = 0;
	if (oci_get_int(u, "uid", "process.user", 0, 0xfffffffe, false, NULL,
			&v, e))
		return -1;
	c->uid = (uid_t)v;
	v = 0;
	if (oci_get_int(u, "gid", "process.user", 0, 0xfffffffe, false, NULL,
			&v, e))
		return -1;
	c->gid = (gid_t)v;
	v = 0;
	if (oci_get_int(u, "umask", "process.user", 0, 0777, false,
			&c->has_umask, &v, e))
		return -1;
	c->umask = (mode_t)v;
	if (json_object_get(u, "username"))
		return moat_err_set(e, EOPNOTSUPP,
				    "process.user.username: not supported "
				    "on Linux");
	ag = json_object_get(u, "additionalGids");
	if (!ag || json_is_null(ag))
		return 0;
	if (!json_is_array(ag) || json_array_size(ag) > 65536)
		return moat_err_set(
			e, EINVAL, "process.user.additionalGids: not an array");
	c->gids = calloc(json_array_size(ag) + 1, sizeof(*c->gids));
	if (!c->gids)
		return moat_err_set(e, ENOMEM, "additionalGids");
	json_array_foreach(ag, i, g)
	{
		if (!json_is_integer(g) || json_integer_value(g) < 0 ||
		    json_integer_value(g) > 0xfffffffe)
			return moat_err_set(e, EINVAL,
					    "process.user.additionalGids[%zu]: "
					    "not a gid",
					    i);
		c->gids[c->ngids++] = (gid_t)json_integer_value(g);
	}
	return 0;
}

static int config_process(json_t *root, struct config *c, struct moat_err **e)
{
	json_t *p = json_object_get(root, "process");
	json_int_t v = 0;
	bool has = false;

	if (!json_is_object(p))
		return moat_err_set(e, EINVAL, "process: required object");
	if (oci_get_strv(p, "args", "process", false, &c->args, e) ||
	    oci_get_strv(p, "env", "process", false, &c->env, e) ||
	    oci_get_str(p, "cwd", "process", false, &c->cwd, e) ||
	    oci_get_bool(p, "terminal", "process", &c->terminal, e) ||
	    oci_get_bool(p, "noNewPrivileges", "process", &c->no_new_privs, e))
		return -1;
	if (!c->args[0])
		return moat_err_set(e, EINVAL, "process.args: required");
	if (!c->cwd)
		return moat_err_set(e, EINVAL, "process.cwd: required");
	if (c->cwd[0] != '/')
		return moat_err_set(e, EINVAL, "process.cwd: not absolute");
	if (oci_get_int(p, "oomScoreAdj", "process", -1000, 1000, false, &has,
			&v, e))
		return -1;
	c->has_oom_score_adj = has;
	c->oom_score_adj = (int)v;
	if (config_user(p, c, e) || config_caps(p, c, e) ||
	    config_rlimits(p, c, e))
		return -1;
	return 0;
}

static int config_namespaces(json_t *lx, struct config *c, struct moat_err **e)
{
	static const struct {
		const char *type;
		int flag;
	} types[] = {
		{ "pid", CLONE_NEWPID },     { "mount", CLONE_NEWNS },
		{ "ipc", CLONE_NEWIPC },     { "uts", CLONE_NEWUTS },
		{ "network", CLONE_NEWNET }, { "cgroup", CLONE_NEWCGROUP },
		{ "user", CLONE_NEWUSER },   { "time", 0 },
	};
	json_t *v = json_object_get(lx, "namespaces"), *n, *t;
	size_t i, k;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return moat_err_set(e, EINVAL,
				    "linux.namespaces: not an array");
	json_array_foreach(v, i, n)
	{
		t = json_object_get(n, "type");
		for (k = 0; k < ARRAY_LEN(types); k++)
			if (json_is_string(t) &&
			    !strcmp(json_string_value(t), types[k].type))
				break;
		if (k == ARRAY_LEN(types))
			return moat_err_set(e, EINVAL,
					    "linux.namespaces[%zu]: unknown "
					    "type",
					    i);
		/* The engine's network namespace on the host: the shim
		 * carried its interfaces into the VM, whose own network
		 * namespace the container then uses (net.c). */
		if (types[k].flag == CLONE_NEWNET && c->net_guest)
			return moat_err_set(e, EINVAL,
					    "linux.namespaces[%zu]: %s twice",
					    i, types[k].type);
		if (json_object_get(n, "path") &&
		    types[k].flag == CLONE_NEWNET &&
		    !(c->ns_flags & CLONE_NEWNET)) {
			c->net_guest = true;
			continue;
		}
		if (json_object_get(n, "path"))
			return moat_err_set(
				e, EOPNOTSUPP,
				"linux.namespaces[%zu]: joining a "
				"namespace by path is not supported",
				i);
		if (!types[k].flag || types[k].flag == CLONE_NEWUSER)
			return moat_err_set(e, EOPNOTSUPP,
					    "linux.namespaces[%zu]: %s "
					    "namespaces are not supported",
					    i, types[k].type);
		if (c->ns_flags & types[k].flag)
			return moat_err_set(e, EINVAL,
					    "linux.namespaces[%zu]: %s twice",
					    i, types[k].type);
		c->ns_flags |= types[k].flag;
	}
	return 0;
}

static int config_mount_options(json_t *opts, struct config_mount *m,
				size_t idx, struct moat_err **e)
{
	char data[4096] = "";
	size_t i, k, dl = 0, n;
	unsigned long pf;
	const char *o;
	json_t *s;

	if (!opts || json_is_null(opts))
		return 0;
	if (!json_is_array(opts))
		return moat_err_set(e, EINVAL, "mounts[%zu].options", idx);
	json_array_foreach(opts, i, s)
	{
		if (!json_is_string(s))
			return moat_err_set(e, EINVAL,
					    "mounts[%zu].options[%zu]", idx, i);
		o = json_string_value(s);
		if (!strcmp(o, "bind") || !strcmp(o, "rbind")) {
			m->bind = true;
			if (o[0] == 'r')
				m->pflags |= MS_REC;
			continue;
		}
		/* runc's and crun's extension, which podman uses for the
		 * tmpfs mounts of --read-only containers. */
		if (!strcmp(o, "tmpcopyup") || !strcmp(o, "notmpcopyup")) {
			m->copyup = o[0] == 't';
			continue;
		}
		if (!config_propagation_flags(o, &pf)) {
			m->pflags |= pf;
			continue;
		}
		for (k = 0; k < ARRAY_LEN(config_mount_opts); k++)
			if (!strcmp(o, config_mount_opts[k].name))
				break;
		if (k < ARRAY_LEN(config_mount_opts)) {
			m->flags |= config_mount_opts[k].set;
			m->flags &= ~config_mount_opts[k].clear;
			m->clear |= config_mount_opts[k].clear;
			continue;
		}
		/* Everything else goes to the filesystem as data. */
		n = strlen(o);
		if (!n || strchr(o, ',') || dl + n + 2 > sizeof(data))
			return moat_err_set(e, EINVAL,
					    "mounts[%zu].options[%zu]: bad "
					    "option",
					    idx, i);
		if (dl)
			data[dl++] = ',';
		memcpy(data + dl, o, n + 1);
		dl += n;
	}
	if (dl && !(m->data = strdup(data)))
		return moat_err_set(e, ENOMEM, "mounts");
	return 0;
}

static int config_mounts(json_t *root, struct config *c, struct moat_err **e)
{
	json_t *v = json_object_get(root, "mounts"), *m;
	struct config_mount *cm;
	size_t i;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return moat_err_set(e, EINVAL, "mounts: not an array");
	c->mounts = calloc(json_array_size(v) + 1, sizeof(*c->mounts));
	if (!c->mounts)
		return moat_err_set(e, ENOMEM, "mounts");
	json_array_foreach(v, i, m)
	{
		cm = &c->mounts[c->nmounts++];
		if (!json_is_object(m))
			return moat_err_set(e, EINVAL, "mounts[%zu]", i);
		if (oci_get_str(m, "destination", "mounts", false, &cm->dest,
				e) ||
		    oci_get_str(m, "type", "mounts", false, &cm->type, e) ||
		    oci_get_str(m, "source", "mounts", false, &cm->source, e) ||
		    config_mount_options(json_object_get(m, "options"), cm, i,
					 e))
			return -1;
		if (!cm->dest || !oci_clean_abs(cm->dest))
			return moat_err_set(e, EINVAL,
					    "mounts[%zu].destination: not a "
					    "clean absolute path",
					    i);
		if (cm->type && !strcmp(cm->type, "bind")) {
			free(cm->type);
			cm->type = NULL;
			cm->bind = true;
		}
		/* A relative source is relative to the bundle (the OCI
		 * spec's rule): config_bundle_binds() completes it. */
		if (cm->bind &&
		    (!cm->source || !cm->source[0] ||
		     (cm->source[0] != '/' && !oci_clean_rel(cm->source))))
			return moat_err_set(e, EINVAL,
					    "mounts[%zu].source: a bind mount "
					    "needs an absolute source or a "
					    "clean one relative to the bundle",
					    i);
		/* The guest has cgroup v2 only: a v1 "cgroup" mount (what
		 * engines on v1 hosts ask for) gets the v2 hierarchy. */
		if (cm->type && !strcmp(cm->type, "cgroup")) {
			free(cm->type);
			cm->type = strdup("cgroup2");
			if (!cm->type)
				return moat_err_set(e, ENOMEM, "mounts");
		}
		if (!cm->bind && !cm->type)
			return moat_err_set(e, EINVAL,
					    "mounts[%zu].type: required", i);
	}
	return 0;
}

static int config_devices(json_t *lx, struct config *c, struct moat_err **e)
{
	json_t *v = json_object_get(lx, "devices"), *d;
	json_int_t maj, min, mode, id;
	struct config_device *cd;
	char *type = NULL;
	size_t i;
	int r;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return moat_err_set(e, EINVAL, "linux.devices: not an array");
	c->devices = calloc(json_array_size(v) + 1, sizeof(*c->devices));
	if (!c->devices)
		return moat_err_set(e, ENOMEM, "linux.devices");
	json_array_foreach(v, i, d)
	{
		cd = &c->devices[c->ndevices++];
		maj = min = 0;
		mode = 0666;
		type = NULL;
		r = oci_get_str(d, "path", "linux.devices", false, &cd->path,
				e) ||
		    oci_get_str(d, "type", "linux.devices", false, &type, e) ||
		    oci_get_int(d, "major", "linux.devices", 0, 4095, false,
				NULL, &maj, e) ||
		    oci_get_int(d, "minor", "linux.devices", 0, 1048575, false,
				NULL, &min, e) ||
		    oci_get_int(d, "fileMode", "linux.devices", 0, 07777, false,
				NULL, &mode, e);
		if (r) {
			free(type);
			return -1;
		}
		if (!cd->path || !oci_clean_abs(cd->path) ||
		    strncmp(cd->path, "/dev/", 5)) {
			free(type);
			return moat_err_set(e, EINVAL,
					    "linux.devices[%zu].path: not a "
					    "clean path under /dev",
					    i);
		}
		cd->mode = (mode_t)mode;
		if (type && (!strcmp(type, "c") || !strcmp(type, "u")))
			cd->mode |= S_IFCHR;
		else if (type && !strcmp(type, "b"))
			cd->mode |= S_IFBLK;
		else if (type && !strcmp(type, "p"))
			cd->mode |= S_IFIFO;
		else
			r = moat_err_set(e, EINVAL,
					 "linux.devices[%zu].type: not c, b, "
					 "u or p",
					 i);
		free(type);
		if (r)
			return -1;
		cd->dev = makedev((unsigned)maj, (unsigned)min);
		id = 0;
		if (oci_get_int(d, "uid", "linux.devices", 0, 0xfffffffe, false,
				NULL, &id, e))
			return -1;
		cd->uid = (uid_t)id;
		id = 0;
		if (oci_get_int(d, "gid", "linux.devices", 0, 0xfffffffe, false,
				NULL, &id, e))
			return -1;
		cd->gid = (gid_t)id;
	}
	return 0;
}

/* Only namespaced sysctls, and only when the container has the namespace
 * (as runc): anything else would change the whole guest. */
static int config_sysctls(json_t *lx, struct config *c, struct moat_err **e)
{
	json_t *v = json_object_get(lx, "sysctl"), *val;
	const char *key, *k;
	int need;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return moat_err_set(e, EINVAL, "linux.sysctl: not an object");
	c->sysctls = calloc(json_object_size(v) + 1, sizeof(*c->sysctls));
	if (!c->sysctls)
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
			return moat_err_set(e, EINVAL, "linux.sysctl: bad key");
		if (!json_is_string(val))
			return moat_err_set(e, EINVAL,
					    "linux.sysctl.%s: not a string",
					    key);
		if (!strncmp(key, "net.", 4))
			need = CLONE_NEWNET;
		else if (!strncmp(key, "fs.mqueue.", 10) ||
			 !strncmp(key, "kernel.msg", 10) ||
			 !strncmp(key, "kernel.shm", 10) ||
			 !strcmp(key, "kernel.sem"))
			need = CLONE_NEWIPC;
		else if (!strcmp(key, "kernel.hostname") ||
			 !strcmp(key, "kernel.domainname"))
			need = CLONE_NEWUTS;
		else
			return moat_err_set(e, EOPNOTSUPP,
					    "linux.sysctl.%s: not a "
					    "namespaced sysctl",
					    key);
		if (!(c->ns_flags & need) &&
		    !(need == CLONE_NEWNET && c->net_guest))
			return moat_err_set(e, EINVAL,
					    "linux.sysctl.%s: the container "
					    "does not have its namespace",
					    key);
		c->sysctls[c->nsysctls].key = strdup(key);
		c->sysctls[c->nsysctls].value = strdup(json_string_value(val));
		if (!c->sysctls[c->nsysctls++].key ||
		    !c->sysctls[c->nsysctls - 1].value)
			return moat_err_set(e, ENOMEM, "linux.sysctl");
	}
	return 0;
}

static int config_resources(json_t *lx, struct config *c, struct moat_err **e)
{
	json_t *r = json_object_get(lx, "resources"), *o;
	json_int_t v;

	if (!r || json_is_null(r))
		return 0;
	if (!json_is_object(r))
		return moat_err_set(e, EINVAL,
				    "linux.resources: not an object");
	o = json_object_get(r, "memory");
	if (json_is_object(o)) {
		v = 0;
		if (oci_get_int(o, "limit", "linux.resources.memory", -1,
				INT64_MAX, false, NULL, &v, e))
			return -1;
		c->mem_limit = v > 0 ? v : 0;
		v = 0;
		if (oci_get_int(o, "swap", "linux.resources.memory", -1,
				INT64_MAX, false, NULL, &v, e))
			return -1;
		c->mem_swap = v > 0 ? v : 0;
	}
	o = json_object_get(r, "cpu");
	if (json_is_object(o)) {
		v = 0;
		if (oci_get_int(o, "quota", "linux.resources.cpu", -1,
				INT64_MAX, false, NULL, &v, e))
			return -1;
		c->cpu_quota = v > 0 ? v : 0;
		v = 0;
		if (oci_get_int(o, "period", "linux.resources.cpu", 0, 1000000,
				false, NULL, &v, e))
			return -1;
		c->cpu_period = (uint64_t)v;
		v = 0;
		if (oci_get_int(o, "shares", "linux.resources.cpu", 0, 262144,
				false, NULL, &v, e))
			return -1;
		c->cpu_shares = (uint64_t)v;
	}
	o = json_object_get(r, "pids");
	if (json_is_object(o)) {
		v = 0;
		if (oci_get_int(o, "limit", "linux.resources.pids", -1,
				INT64_MAX, false, NULL, &v, e))
			return -1;
		c->pids_limit = v > 0 ? v : 0;
	}
	return 0;
}

static int config_linux(json_t *root, struct config *c, struct moat_err **e)
{
	json_t *l = json_object_get(root, "linux");
	char *prop = NULL;
	int r;

	c->root_propagation = MS_SLAVE | MS_REC;
	if (!l || json_is_null(l))
		return 0;
	if (!json_is_object(l))
		return moat_err_set(e, EINVAL, "linux: not an object");
	if (config_namespaces(l, c, e) ||
	    oci_get_strv(l, "maskedPaths", "linux", false, &c->masked, e) ||
	    oci_get_strv(l, "readonlyPaths", "linux", false, &c->readonly, e) ||
	    config_devices(l, c, e) || config_sysctls(l, c, e) ||
	    config_resources(l, c, e) ||
	    oci_get_str(l, "rootfsPropagation", "linux", false, &prop, e))
		return -1;
	if (prop) {
		r = config_propagation_flags(prop, &c->root_propagation);
		free(prop);
		if (r)
			return moat_err_set(e, EINVAL,
					    "linux.rootfsPropagation: unknown");
	}
	if (json_object_get(l, "uidMappings") ||
	    json_object_get(l, "gidMappings"))
		return moat_err_set(e, EOPNOTSUPP,
				    "linux.uidMappings: user namespaces are "
				    "not supported");
	return 0;
}

static int config_fill(json_t *root, struct config *c, struct moat_err **e)
{
	json_t *ver = json_object_get(root, "ociVersion"), *r;
	const char *vs;
	size_t i;

	if (!json_is_object(root))
		return moat_err_set(e, EINVAL, "not a JSON object");
	if (!json_is_string(ver))
		return moat_err_set(e, EINVAL, "ociVersion: required string");
	vs = json_string_value(ver);
	if (strncmp(vs, "1.0.", 4) && strncmp(vs, "1.1.", 4) &&
	    strncmp(vs, "1.2.", 4) && strncmp(vs, "1.3.", 4))
		return moat_err_set(e, EOPNOTSUPP,
				    "ociVersion: only 1.0.0 to 1.3.x are "
				    "supported");
	r = json_object_get(root, "root");
	if (!json_is_object(r))
		return moat_err_set(e, EINVAL, "root: required object");
	if (oci_get_str(r, "path", "root", false, &c->root_path, e) ||
	    oci_get_bool(r, "readonly", "root", &c->root_readonly, e))
		return -1;
	if (!c->root_path || !c->root_path[0])
		return moat_err_set(e, EINVAL, "root.path: required");
	if (c->root_path[0] == '/')
		return moat_err_set(e, EINVAL,
				    "root.path: must be relative to the "
				    "bundle");
	for (i = 0; c->root_path[i]; i++)
		if (c->root_path[i] == '.' && c->root_path[i + 1] == '.' &&
		    (i == 0 || c->root_path[i - 1] == '/') &&
		    (c->root_path[i + 2] == '/' || !c->root_path[i + 2]))
			return moat_err_set(e, EINVAL,
					    "root.path: no '..' components");
	if (oci_get_str(root, "hostname", "config", false, &c->hostname, e) ||
	    oci_get_str(root, "domainname", "config", false, &c->domainname,
			e) ||
	    config_process(root, c, e) || config_mounts(root, c, e) ||
	    config_linux(root, c, e))
		return -1;
	if ((c->hostname || c->domainname) && !(c->ns_flags & CLONE_NEWUTS))
		return moat_err_set(e, EINVAL,
				    "hostname: needs a uts namespace");
	if (!(c->ns_flags & CLONE_NEWNS))
		return moat_err_set(e, EINVAL,
				    "linux.namespaces: a mount namespace is "
				    "required");
	return 0;
}

int config_parse(const char *text, size_t len, struct config **out,
		 struct moat_err **e)
{
	json_error_t jerr;
	struct config *c;
	json_t *root;
	int r;

	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return moat_err_set(e, EINVAL, "config.json:%d:%d: %s",
				    jerr.line, jerr.column, jerr.text);
	c = calloc(1, sizeof(*c));
	if (!c) {
		json_decref(root);
		return moat_err_set(e, ENOMEM, "config");
	}
	r = config_fill(root, c, e);
	json_decref(root);
	if (r) {
		config_free(c);
		return moat_err_wrap(e, "config.json");
	}
	*out = c;
	return 0;
}

void config_free(struct config *c)
{
	size_t i;

	if (!c)
		return;
	free(c->root_path);
	oci_strv_free(c->args);
	oci_strv_free(c->env);
	free(c->cwd);
	free(c->gids);
	free(c->rlimits);
	free(c->hostname);
	free(c->domainname);
	for (i = 0; i < c->nmounts; i++) {
		free(c->mounts[i].dest);
		free(c->mounts[i].type);
		free(c->mounts[i].source);
		free(c->mounts[i].data);
	}
	free(c->mounts);
	oci_strv_free(c->masked);
	oci_strv_free(c->readonly);
	for (i = 0; i < c->ndevices; i++)
		free(c->devices[i].path);
	free(c->devices);
	for (i = 0; i < c->nsysctls; i++) {
		free(c->sysctls[i].key);
		free(c->sysctls[i].value);
	}
	free(c->sysctls);
	free(c);
}

int config_bundle_binds(struct config *c, const char *bundle,
			struct moat_err **e)
{
	struct config_mount *m;
	size_t i, n;
	char *p;

	for (i = 0; i < c->nmounts; i++) {
		m = &c->mounts[i];
		if (!m->bind || m->source[0] == '/')
			continue;
		n = strlen(bundle) + strlen(m->source) + 2;
		p = malloc(n);
		if (!p)
			return moat_err_set(e, ENOMEM, "mounts");
		snprintf(p, n, "%s/%s", bundle, m->source);
		free(m->source);
		m->source = p;
	}
	return 0;
}
