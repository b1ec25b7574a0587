/*
 * spec.c: config.json -> struct spec, with jansson (see spec.h).
 *
 * Input: the bundle's config.json, from the engine or the user. Duplicate
 * keys are refused (JSON_REJECT_DUPLICATES: one document, one meaning),
 * every field moat reads is type-checked, and each error names the JSON
 * path of the bad field. Implements runtime-spec config.md ("Specification
 * version", "Root", "Mounts", "Process", "Hostname", "Domainname",
 * "POSIX-platform Hooks", "Annotations") and config-linux.md
 * ("Namespaces", "Control groups", "Masked Paths", "Readonly Paths",
 * "Seccomp") for versions 1.0.0 to 1.3.x.
 */
#include "spec.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SPEC_FILE_MAX (16u << 20) /* config.json size limit */

const char *const spec_ns_names[] = {
	[SPEC_NS_PID] = "pid",	   [SPEC_NS_NETWORK] = "network",
	[SPEC_NS_MOUNT] = "mount", [SPEC_NS_IPC] = "ipc",
	[SPEC_NS_UTS] = "uts",	   [SPEC_NS_CGROUP] = "cgroup",
	[SPEC_NS_USER] = "user",   [SPEC_NS_TIME] = "time",
	[SPEC_NS_COUNT] = NULL,
};

const char *const spec_hook_names[] = {
	[SPEC_HOOK_PRESTART] = "prestart",
	[SPEC_HOOK_CREATE_RUNTIME] = "createRuntime",
	[SPEC_HOOK_CREATE_CONTAINER] = "createContainer",
	[SPEC_HOOK_START_CONTAINER] = "startContainer",
	[SPEC_HOOK_POSTSTART] = "poststart",
	[SPEC_HOOK_POSTSTOP] = "poststop",
	[SPEC_HOOK_KINDS] = NULL,
};

/* The mount options the agent interprets itself; anything else goes to
 * the filesystem as data. */
const char *const spec_mount_options[] = {
	"async",      "atime",	    "bind",    "dev",	      "diratime",
	"dirsync",    "exec",	    "mand",    "noatime",     "nodev",
	"nodiratime", "noexec",	    "nomand",  "norelatime",  "nostrictatime",
	"nosuid",     "private",    "rbind",   "relatime",    "remount",
	"ro",	      "rprivate",   "rshared", "rslave",      "runbindable",
	"rw",	      "shared",	    "slave",   "strictatime", "suid",
	"sync",	      "unbindable", NULL,
};

/* --- ociVersion ----------------------------------------------------------- */

static int spec_num(const char **p, unsigned *out)
{
	unsigned long v = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
		return -1;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (unsigned long)(*s++ - '0');
		if (v > 100000)
			return -1;
	}
	*out = (unsigned)v;
	*p = s;
	return 0;
}

int spec_version_check(const char *v, unsigned *major, unsigned *minor,
		       unsigned *patch, struct moat_err **e)
{
	const char *p = v, *c;
	bool pre = false;

	if (spec_num(&p, major) || *p++ != '.' || spec_num(&p, minor) ||
	    *p++ != '.' || spec_num(&p, patch))
		goto bad;
	/* SemVer 2.0.0 pre-release ("-rc.1") and build ("+x") suffixes */
	if (*p == '-') {
		pre = true;
		p++;
	}
	if (pre || *p == '+') {
		if (*p == '+')
			p++;
		if (!*p)
			goto bad;
		for (c = p; *c; c++)
			if (!((*c >= '0' && *c <= '9') ||
			      (*c >= 'a' && *c <= 'z') ||
			      (*c >= 'A' && *c <= 'Z') || *c == '-' ||
			      *c == '.' || *c == '+'))
				goto bad;
	} else if (*p) {
		goto bad;
	}
	/* 1.0.0 <= v < 1.4.0; a pre-release of 1.0.0 comes before it */
	if (*major != 1 || *minor > 3 || (*minor == 0 && *patch == 0 && pre))
		return moat_err_code(e, EOPNOTSUPP,
				     "ociVersion: %s is not supported (moat "
				     "accepts %s to %s)",
				     v, SPEC_VERSION_MIN, SPEC_VERSION_MAX);
	return 0;
bad:
	return moat_err_code(e, EINVAL,
			     "ociVersion: must be a version like \"1.2.0\"");
}

/* --- process -------------------------------------------------------------- */

static int spec_user(json_t *proc, struct spec_process *p, struct moat_err **e)
{
	json_t *u, *ag, *g;
	json_int_t v = 0;
	size_t i;

	if (oci_get_obj(proc, "user", "process", &u, e))
		return -1;
	if (!u)
		return 0;
	if (oci_get_int(u, "uid", "process.user", 0, 0xfffffffe, true, NULL, &v,
			e))
		return -1;
	p->uid = (uint32_t)v;
	if (oci_get_int(u, "gid", "process.user", 0, 0xfffffffe, true, NULL, &v,
			e))
		return -1;
	p->gid = (uint32_t)v;
	if (oci_get_int(u, "umask", "process.user", 0, 0777, false,
			&p->has_umask, &v, e))
		return -1;
	if (p->has_umask)
		p->umask = (uint32_t)v;
	if (!oci_absent(json_object_get(u, "username")))
		return moat_err_code(e, EOPNOTSUPP,
				     "process.user.username: only for Windows");
	ag = json_object_get(u, "additionalGids");
	if (oci_absent(ag))
		return 0;
	if (!json_is_array(ag) || json_array_size(ag) > 65536)
		return moat_err_code(e, EINVAL,
				     "process.user.additionalGids: must be an "
				     "array of gids");
	p->additional_gids = calloc(json_array_size(ag) + 1, sizeof(uint32_t));
	if (!p->additional_gids)
		return moat_err_set(e, ENOMEM, "process.user.additionalGids");
	json_array_foreach(ag, i, g)
	{
		if (!json_is_integer(g) || json_integer_value(g) < 0 ||
		    json_integer_value(g) > 0xfffffffe)
			return moat_err_code(
				e, EINVAL,
				"process.user.additionalGids[%zu]: "
				"must be a gid (0 to 4294967294)",
				i);
		p->additional_gids[p->nadditional_gids++] =
			(uint32_t)json_integer_value(g);
	}
	return 0;
}

static int spec_caps(json_t *proc, struct spec_process *p, struct moat_err **e)
{
	static const char *const sets[SPEC_CAP_SETS] = {
		[SPEC_CAP_BOUNDING] = "bounding",
		[SPEC_CAP_EFFECTIVE] = "effective",
		[SPEC_CAP_INHERITABLE] = "inheritable",
		[SPEC_CAP_PERMITTED] = "permitted",
		[SPEC_CAP_AMBIENT] = "ambient",
	};
	json_t *caps, *v, *n;
	size_t i, j;
	int cap;

	if (oci_get_obj(proc, "capabilities", "process", &caps, e))
		return -1;
	if (!caps)
		return 0;
	p->has_caps = true;
	for (i = 0; i < SPEC_CAP_SETS; i++) {
		v = json_object_get(caps, sets[i]);
		if (oci_absent(v))
			continue;
		if (!json_is_array(v))
			return moat_err_code(e, EINVAL,
					     "process.capabilities.%s: must be "
					     "an array of strings",
					     sets[i]);
		json_array_foreach(v, j, n)
		{
			if (!json_is_string(n))
				return moat_err_code(e, EINVAL,
						     "process.capabilities.%s[%"
						     "zu]: must be a string",
						     sets[i], j);
			cap = oci_lookup(oci_cap_names, json_string_value(n));
			if (cap < 0)
				return moat_err_code(e, EINVAL,
						     "process.capabilities.%s[%"
						     "zu]: unknown capability",
						     sets[i], j);
			p->caps[i] |= 1ULL << cap;
		}
	}
	return 0;
}

static int spec_rlimits(json_t *proc, struct spec_process *p,
			struct moat_err **e)
{
	json_t *v = json_object_get(proc, "rlimits"), *r, *t;
	char where[64];
	json_int_t soft, hard;
	size_t i, k;
	int type;

	if (oci_absent(v))
		return 0;
	if (!json_is_array(v))
		return moat_err_code(e, EINVAL,
				     "process.rlimits: must be an array");
	p->rlimits = calloc(json_array_size(v) + 1, sizeof(*p->rlimits));
	if (!p->rlimits)
		return moat_err_set(e, ENOMEM, "process.rlimits");
	json_array_foreach(v, i, r)
	{
		snprintf(where, sizeof(where), "process.rlimits[%zu]", i);
		if (!json_is_object(r))
			return moat_err_code(e, EINVAL, "%s: must be an object",
					     where);
		t = json_object_get(r, "type");
		type = json_is_string(t) ? oci_lookup(oci_rlimit_names,
						      json_string_value(t))
					 : -1;
		if (type < 0)
			return moat_err_code(e, EINVAL,
					     "%s.type: must be a known "
					     "RLIMIT_ name",
					     where);
		for (k = 0; k < p->nrlimits; k++)
			if (p->rlimits[k].type == (unsigned)type)
				return moat_err_code(
					e, EINVAL, "%s.type: %s given twice",
					where, oci_rlimit_names[type]);
		soft = hard = 0;
		/* jansson's integers are signed: RLIM_INFINITY, 2^64-1, does
		 * not fit; -1 is taken for it, as engines write. */
		if (oci_get_int(r, "soft", where, -1, INT64_MAX, true, NULL,
				&soft, e) ||
		    oci_get_int(r, "hard", where, -1, INT64_MAX, true, NULL,
				&hard, e))
			return -1;
		p->rlimits[p->nrlimits].type = (unsigned)type;
		p->rlimits[p->nrlimits].soft = (uint64_t)soft;
		p->rlimits[p->nrlimits].hard = (uint64_t)hard;
		if (p->rlimits[p->nrlimits].soft > p->rlimits[p->nrlimits].hard)
			return moat_err_code(e, EINVAL,
					     "%s: soft must not exceed hard",
					     where);
		p->nrlimits++;
	}
	return 0;
}

static int spec_env_check(char **env, struct moat_err **e)
{
	size_t i;

	for (i = 0; env[i]; i++)
		if (!strchr(env[i], '=') || env[i][0] == '=')
			return moat_err_code(e, EINVAL,
					     "process.env[%zu]: must be "
					     "NAME=VALUE",
					     i);
	return 0;
}

static int spec_process(json_t *root, struct spec *s, struct moat_err **e)
{
	struct spec_process *p = &s->process;
	json_t *proc, *cs;
	json_int_t v = 0;

	if (oci_get_obj(root, "process", "", &proc, e))
		return -1;
	if (!proc)
		return moat_err_code(e, EINVAL, "process: required");
	if (oci_get_bool(proc, "terminal", "process", &p->terminal, e) ||
	    oci_get_strv(proc, "args", "process", true, &p->args, e) ||
	    oci_get_strv(proc, "env", "process", false, &p->env, e) ||
	    spec_env_check(p->env, e) ||
	    oci_get_str(proc, "cwd", "process", true, &p->cwd, e) ||
	    oci_get_bool(proc, "noNewPrivileges", "process",
			 &p->no_new_privileges, e) ||
	    oci_get_str(proc, "apparmorProfile", "process", false,
			&p->apparmor_profile, e) ||
	    oci_get_str(proc, "selinuxLabel", "process", false,
			&p->selinux_label, e) ||
	    oci_get_int(proc, "oomScoreAdj", "process", -1000, 1000, false,
			&p->has_oom_score_adj, &v, e))
		return -1;
	p->oom_score_adj = (int)v;
	if (p->cwd[0] != '/')
		return moat_err_code(e, EINVAL,
				     "process.cwd: must be an absolute path");
	if (oci_get_obj(proc, "consoleSize", "process", &cs, e))
		return -1;
	if (cs) {
		if (oci_get_int(cs, "height", "process.consoleSize", 0, 65535,
				true, NULL, &v, e))
			return -1;
		p->console_height = (unsigned)v;
		if (oci_get_int(cs, "width", "process.consoleSize", 0, 65535,
				true, NULL, &v, e))
			return -1;
		p->console_width = (unsigned)v;
	}
	if (spec_user(proc, p, e) || spec_caps(proc, p, e) ||
	    spec_rlimits(proc, p, e))
		return -1;
	return 0;
}

/* --- mounts, hooks, annotations ------------------------------------------- */

static int spec_mounts(json_t *root, struct spec *s, struct moat_err **e)
{
	json_t *v = json_object_get(root, "mounts"), *m;
	struct spec_mount *sm;
	char where[64];
	size_t i;

	if (oci_absent(v))
		return 0;
	if (!json_is_array(v))
		return moat_err_code(e, EINVAL, "mounts: must be an array");
	s->mounts = calloc(json_array_size(v) + 1, sizeof(*s->mounts));
	if (!s->mounts)
		return moat_err_set(e, ENOMEM, "mounts");
	json_array_foreach(v, i, m)
	{
		snprintf(where, sizeof(where), "mounts[%zu]", i);
		sm = &s->mounts[s->nmounts++];
		if (!json_is_object(m))
			return moat_err_code(e, EINVAL, "%s: must be an object",
					     where);
		if (oci_get_str(m, "destination", where, true, &sm->destination,
				e) ||
		    oci_get_str(m, "type", where, false, &sm->type, e) ||
		    oci_get_str(m, "source", where, false, &sm->source, e) ||
		    oci_get_strv(m, "options", where, false, &sm->options, e))
			return -1;
		if (!oci_clean_abs(sm->destination))
			return moat_err_code(e, EINVAL,
					     "%s.destination: must be an "
					     "absolute path without . or .. "
					     "components",
					     where);
		if (!oci_absent(json_object_get(m, "uidMappings")) ||
		    !oci_absent(json_object_get(m, "gidMappings")))
			return moat_err_code(e, EOPNOTSUPP,
					     "%s.uidMappings: id-mapped mounts "
					     "are not supported",
					     where);
	}
	return 0;
}

static int spec_hooks(json_t *root, struct spec *s, struct moat_err **e)
{
	json_t *hooks, *v, *h;
	struct spec_hook *sh;
	char where[64];
	json_int_t t;
	size_t i, k;

	if (oci_get_obj(root, "hooks", "", &hooks, e))
		return -1;
	if (!hooks)
		return 0;
	for (k = 0; k < SPEC_HOOK_KINDS; k++) {
		v = json_object_get(hooks, spec_hook_names[k]);
		if (oci_absent(v))
			continue;
		if (!json_is_array(v))
			return moat_err_code(e, EINVAL,
					     "hooks.%s: must be an array",
					     spec_hook_names[k]);
		s->hooks[k] = calloc(json_array_size(v) + 1, sizeof(*sh));
		if (!s->hooks[k])
			return moat_err_set(e, ENOMEM, "hooks");
		json_array_foreach(v, i, h)
		{
			snprintf(where, sizeof(where), "hooks.%s[%zu]",
				 spec_hook_names[k], i);
			sh = &s->hooks[k][s->nhooks[k]++];
			if (!json_is_object(h))
				return moat_err_code(e, EINVAL,
						     "%s: must be an object",
						     where);
			t = 0;
			if (oci_get_str(h, "path", where, true, &sh->path, e) ||
			    oci_get_strv(h, "args", where, false, &sh->args,
					 e) ||
			    oci_get_strv(h, "env", where, false, &sh->env, e) ||
			    oci_get_int(h, "timeout", where, 1, INT32_MAX,
					false, NULL, &t, e))
				return -1;
			sh->timeout = (int)t;
			if (sh->path[0] != '/')
				return moat_err_code(e, EINVAL,
						     "%s.path: must be an "
						     "absolute path",
						     where);
		}
	}
	return 0;
}

static int spec_annotations(json_t *root, struct spec *s, struct moat_err **e)
{
	json_t *a, *v;
	const char *key;
	struct spec_annotation *sa;

	if (oci_get_obj(root, "annotations", "", &a, e))
		return -1;
	if (!a)
		return 0;
	s->annotations = calloc(json_object_size(a) + 1, sizeof(*sa));
	if (!s->annotations)
		return moat_err_set(e, ENOMEM, "annotations");
	json_object_foreach(a, key, v)
	{
		sa = &s->annotations[s->nannotations];
		if (!*key)
			return moat_err_code(e, EINVAL,
					     "annotations: a key must not be "
					     "empty");
		if (!json_is_string(v) ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return moat_err_code(e, EINVAL,
					     "annotations.%s: must be a string",
					     key);
		sa->key = strdup(key);
		sa->value = strdup(json_string_value(v));
		s->nannotations++;
		if (!sa->key || !sa->value)
			return moat_err_set(e, ENOMEM, "annotations");
	}
	return 0;
}

/* --- linux ---------------------------------------------------------------- */

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
		if (!oci_absent(t) && !json_is_string(t))
			return moat_err_code(e, EINVAL,
					     "linux.namespaces[%zu].path: must "
					     "be a string",
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
		s->namespaces |= 1u << k;
	}
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

static int spec_linux(json_t *root, struct spec *s, struct moat_err **e)
{
	json_t *lx, *o;

	if (oci_get_obj(root, "linux", "", &lx, e))
		return -1;
	if (!lx) {
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
	if (!oci_absent(json_object_get(lx, "uidMappings")) ||
	    !oci_absent(json_object_get(lx, "gidMappings")))
		return moat_err_code(e, EOPNOTSUPP,
				     "linux.uidMappings: user namespaces are "
				     "not supported");
	if (oci_get_obj(lx, "resources", "linux", &o, e))
		return -1;
	if (o && !(s->resources_json = json_dumps(o, JSON_COMPACT)))
		return moat_err_set(e, ENOMEM, "linux.resources");
	if (oci_get_obj(lx, "seccomp", "linux", &o, e))
		return -1;
	if (o && !json_is_string(json_object_get(o, "defaultAction")))
		return moat_err_code(e, EINVAL,
				     "linux.seccomp.defaultAction: required "
				     "string");
	if (o && !(s->seccomp_json = json_dumps(o, JSON_COMPACT)))
		return moat_err_set(e, ENOMEM, "linux.seccomp");
	return 0;
}

/* --- the document --------------------------------------------------------- */

static int spec_fill(json_t *root, struct spec *s, struct moat_err **e)
{
	json_t *r;

	if (!json_is_object(root))
		return moat_err_code(e, EINVAL, "must be a JSON object");
	if (oci_get_str(root, "ociVersion", "", true, &s->oci_version, e) ||
	    spec_version_check(s->oci_version, &s->ver_major, &s->ver_minor,
			       &s->ver_patch, e))
		return -1;
	if (oci_get_obj(root, "root", "", &r, e))
		return -1;
	if (!r)
		return moat_err_code(e, EINVAL, "root: required on Linux");
	if (oci_get_str(r, "path", "root", true, &s->root_path, e) ||
	    oci_get_bool(r, "readonly", "root", &s->root_readonly, e))
		return -1;
	if (!s->root_path[0])
		return moat_err_code(e, EINVAL, "root.path: must not be empty");
	if (oci_get_str(root, "hostname", "", false, &s->hostname, e) ||
	    oci_get_str(root, "domainname", "", false, &s->domainname, e) ||
	    spec_process(root, s, e) || spec_mounts(root, s, e) ||
	    spec_hooks(root, s, e) || spec_annotations(root, s, e) ||
	    spec_linux(root, s, e))
		return -1;
	/* config.md: a hostname needs its own UTS namespace. */
	if ((s->hostname || s->domainname) &&
	    !(s->namespaces & (1u << SPEC_NS_UTS)))
		return moat_err_code(e, EINVAL,
				     "%s: needs a uts namespace in "
				     "linux.namespaces",
				     s->hostname ? "hostname" : "domainname");
	return 0;
}

int spec_parse(const char *text, size_t len, struct spec **out,
	       struct moat_err **e)
{
	json_error_t jerr;
	struct spec *s;
	json_t *root;
	int r;

	*out = NULL;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return moat_err_code(e, EINVAL, "%d:%d: %s", jerr.line,
				     jerr.column, jerr.text);
	s = calloc(1, sizeof(*s));
	if (!s) {
		json_decref(root);
		return moat_err_set(e, ENOMEM, "spec");
	}
	r = spec_fill(root, s, e);
	json_decref(root);
	if (r) {
		spec_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

int spec_process_parse(const char *text, size_t len, struct spec **out,
		       struct moat_err **e)
{
	json_error_t jerr;
	struct spec *s;
	json_t *proc, *root;
	int r;

	*out = NULL;
	proc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!proc)
		return moat_err_code(e, EINVAL, "%d:%d: %s", jerr.line,
				     jerr.column, jerr.text);
	root = json_object();
	s = calloc(1, sizeof(*s));
	if (!root || !s || json_object_set_new(root, "process", proc)) {
		json_decref(root);
		free(s);
		return moat_err_set(e, ENOMEM, "spec");
	}
	r = spec_process(root, s, e);
	json_decref(root);
	if (r) {
		spec_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

int spec_load(const char *path, struct spec **out, struct moat_err **e)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	struct stat st;
	char *buf;
	size_t got = 0;
	ssize_t n;
	int fd, r;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return moat_err_set(e, errno, "open %s", path);
	if (fstat(fd, &st) < 0) {
		r = errno;
		close(fd);
		return moat_err_set(e, r, "stat %s", path);
	}
	if (!S_ISREG(st.st_mode) || st.st_size > SPEC_FILE_MAX) {
		close(fd);
		return moat_err_code(e, EINVAL,
				     "%s: must be a regular file of at most "
				     "16 MiB",
				     path);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return moat_err_set(e, ENOMEM, "%s", path);
	}
	while (got < (size_t)st.st_size &&
	       (n = read(fd, buf + got, (size_t)st.st_size - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = errno;
			free(buf);
			close(fd);
			return moat_err_set(e, r, "read %s", path);
		}
		got += (size_t)n;
	}
	close(fd);
	r = spec_parse(buf, got, out, e);
	free(buf);
	if (r)
		return moat_err_wrap(e, "%s", base);
	return 0;
}

const char *spec_annotation(const struct spec *s, const char *key)
{
	size_t i;

	for (i = 0; i < s->nannotations; i++)
		if (!strcmp(s->annotations[i].key, key))
			return s->annotations[i].value;
	return NULL;
}

void spec_free(struct spec *s)
{
	size_t i, k;

	if (!s)
		return;
	free(s->oci_version);
	free(s->root_path);
	oci_strv_free(s->process.args);
	oci_strv_free(s->process.env);
	free(s->process.cwd);
	free(s->process.additional_gids);
	free(s->process.rlimits);
	free(s->process.apparmor_profile);
	free(s->process.selinux_label);
	free(s->hostname);
	free(s->domainname);
	for (i = 0; i < s->nmounts; i++) {
		free(s->mounts[i].destination);
		free(s->mounts[i].type);
		free(s->mounts[i].source);
		oci_strv_free(s->mounts[i].options);
	}
	free(s->mounts);
	for (k = 0; k < SPEC_HOOK_KINDS; k++) {
		for (i = 0; i < s->nhooks[k]; i++) {
			free(s->hooks[k][i].path);
			oci_strv_free(s->hooks[k][i].args);
			oci_strv_free(s->hooks[k][i].env);
		}
		free(s->hooks[k]);
	}
	for (i = 0; i < s->nannotations; i++) {
		free(s->annotations[i].key);
		free(s->annotations[i].value);
	}
	free(s->annotations);
	oci_strv_free(s->masked_paths);
	oci_strv_free(s->readonly_paths);
	free(s->cgroups_path);
	free(s->resources_json);
	free(s->seccomp_json);
	free(s);
}

/* --- the default config -----------------------------------------------------
 */

static const char spec_default_text[] =
	"{\n"
	"\t\"ociVersion\": \"" SPEC_VERSION_OUT "\",\n"
	"\t\"process\": {\n"
	"\t\t\"terminal\": true,\n"
	"\t\t\"user\": { \"uid\": 0, \"gid\": 0 },\n"
	"\t\t\"args\": [ \"sh\" ],\n"
	"\t\t\"env\": [\n"
	"\t\t\t\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
	"/sbin:/bin\",\n"
	"\t\t\t\"TERM=xterm\"\n"
	"\t\t],\n"
	"\t\t\"cwd\": \"/\",\n"
	"\t\t\"capabilities\": {\n"
	"\t\t\t\"bounding\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", "
	"\"CAP_NET_BIND_SERVICE\" ],\n"
	"\t\t\t\"effective\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", "
	"\"CAP_NET_BIND_SERVICE\" ],\n"
	"\t\t\t\"permitted\": [ \"CAP_AUDIT_WRITE\", \"CAP_KILL\", "
	"\"CAP_NET_BIND_SERVICE\" ]\n"
	"\t\t},\n"
	"\t\t\"rlimits\": [\n"
	"\t\t\t{ \"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024 }\n"
	"\t\t],\n"
	"\t\t\"noNewPrivileges\": true\n"
	"\t},\n"
	"\t\"root\": { \"path\": \"rootfs\", \"readonly\": true },\n"
	"\t\"hostname\": \"moat\",\n"
	"\t\"mounts\": [\n"
	"\t\t{ \"destination\": \"/proc\", \"type\": \"proc\", "
	"\"source\": \"proc\" },\n"
	"\t\t{ \"destination\": \"/dev\", \"type\": \"tmpfs\", "
	"\"source\": \"tmpfs\",\n"
	"\t\t  \"options\": [ \"nosuid\", \"strictatime\", \"mode=755\", "
	"\"size=65536k\" ] },\n"
	"\t\t{ \"destination\": \"/dev/pts\", \"type\": \"devpts\", "
	"\"source\": \"devpts\",\n"
	"\t\t  \"options\": [ \"nosuid\", \"noexec\", \"newinstance\", "
	"\"ptmxmode=0666\", \"mode=0620\", \"gid=5\" ] },\n"
	"\t\t{ \"destination\": \"/dev/shm\", \"type\": \"tmpfs\", "
	"\"source\": \"shm\",\n"
	"\t\t  \"options\": [ \"nosuid\", \"noexec\", \"nodev\", "
	"\"mode=1777\", \"size=65536k\" ] },\n"
	"\t\t{ \"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", "
	"\"source\": \"mqueue\",\n"
	"\t\t  \"options\": [ \"nosuid\", \"noexec\", \"nodev\" ] },\n"
	"\t\t{ \"destination\": \"/sys\", \"type\": \"sysfs\", "
	"\"source\": \"sysfs\",\n"
	"\t\t  \"options\": [ \"nosuid\", \"noexec\", \"nodev\", \"ro\" ] },\n"
	"\t\t{ \"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", "
	"\"source\": \"cgroup\",\n"
	"\t\t  \"options\": [ \"nosuid\", \"noexec\", \"nodev\", "
	"\"relatime\", \"ro\" ] }\n"
	"\t],\n"
	"\t\"linux\": {\n"
	"\t\t\"resources\": {\n"
	"\t\t\t\"devices\": [ { \"allow\": false, \"access\": \"rwm\" } ]\n"
	"\t\t},\n"
	"\t\t\"namespaces\": [\n"
	"\t\t\t{ \"type\": \"pid\" },\n"
	"\t\t\t{ \"type\": \"network\" },\n"
	"\t\t\t{ \"type\": \"ipc\" },\n"
	"\t\t\t{ \"type\": \"uts\" },\n"
	"\t\t\t{ \"type\": \"mount\" },\n"
	"\t\t\t{ \"type\": \"cgroup\" }\n"
	"\t\t],\n"
	"\t\t\"maskedPaths\": [\n"
	"\t\t\t\"/proc/acpi\",\n"
	"\t\t\t\"/proc/asound\",\n"
	"\t\t\t\"/proc/kcore\",\n"
	"\t\t\t\"/proc/keys\",\n"
	"\t\t\t\"/proc/latency_stats\",\n"
	"\t\t\t\"/proc/timer_list\",\n"
	"\t\t\t\"/proc/timer_stats\",\n"
	"\t\t\t\"/proc/sched_debug\",\n"
	"\t\t\t\"/sys/firmware\",\n"
	"\t\t\t\"/sys/devices/virtual/powercap\",\n"
	"\t\t\t\"/proc/scsi\"\n"
	"\t\t],\n"
	"\t\t\"readonlyPaths\": [\n"
	"\t\t\t\"/proc/bus\",\n"
	"\t\t\t\"/proc/fs\",\n"
	"\t\t\t\"/proc/irq\",\n"
	"\t\t\t\"/proc/sys\",\n"
	"\t\t\t\"/proc/sysrq-trigger\"\n"
	"\t\t]\n"
	"\t}\n"
	"}\n";

char *spec_default_json(void)
{
	return strdup(spec_default_text);
}
