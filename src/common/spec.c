/*
 * spec.c: config.json -> struct spec, with jansson (see spec.h): the
 * parser the host and the agent share. The linux object is read in
 * spec_linux.c; the document is written back in spec_encode.c.
 *
 * Input: config.json, from the engine or the user on the host, from the
 * host in the guest. Duplicate keys are refused (JSON_REJECT_DUPLICATES:
 * one document, one meaning), every field moat reads is type-checked, and
 * each error names the JSON path of the bad field. Implements runtime-spec
 * config.md ("Specification version", "Root", "Mounts", "Process",
 * "Hostname", "Domainname", "POSIX-platform Hooks", "Annotations") for
 * versions 1.0.0 to 1.3.x. Pure: no system calls.
 */
#include "spec.h"
#include "spec_priv.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#define SPEC_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define SPEC_MOUNT_DATA_MAX 4096 /* a mount's options for the filesystem */

const char *const spec_ns_names[] = {
	[SPEC_NS_PID] = "pid",	   [SPEC_NS_NETWORK] = "network",
	[SPEC_NS_MOUNT] = "mount", [SPEC_NS_IPC] = "ipc",
	[SPEC_NS_UTS] = "uts",	   [SPEC_NS_CGROUP] = "cgroup",
	[SPEC_NS_USER] = "user",   [SPEC_NS_TIME] = "time",
	[SPEC_NS_COUNT] = NULL,
};

const char *const spec_capset_names[] = {
	[SPEC_CAP_BOUNDING] = "bounding",
	[SPEC_CAP_EFFECTIVE] = "effective",
	[SPEC_CAP_INHERITABLE] = "inheritable",
	[SPEC_CAP_PERMITTED] = "permitted",
	[SPEC_CAP_AMBIENT] = "ambient",
	[SPEC_CAP_SETS] = NULL,
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

/* What the options of spec_mount_options mean: flags set, or cleared
 * ("rw" clears MS_RDONLY); propagation apart. */
static const struct {
	const char *name;
	unsigned long set;
	unsigned long clear;
} spec_mount_flags[] = {
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
} spec_propagations[] = {
	{ "private", MS_PRIVATE },
	{ "rprivate", MS_PRIVATE | MS_REC },
	{ "shared", MS_SHARED },
	{ "rshared", MS_SHARED | MS_REC },
	{ "slave", MS_SLAVE },
	{ "rslave", MS_SLAVE | MS_REC },
	{ "unbindable", MS_UNBINDABLE },
	{ "runbindable", MS_UNBINDABLE | MS_REC },
};

int spec_propagation(const char *name, unsigned long *flags)
{
	size_t i;

	for (i = 0; i < SPEC_ARRAY_LEN(spec_propagations); i++)
		if (!strcmp(name, spec_propagations[i].name)) {
			*flags = spec_propagations[i].flags;
			return 0;
		}
	return -1;
}

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

int spec_array(json_t *v, const char *where, size_t size, void **items,
	       struct moat_err **e)
{
	*items = NULL;
	if (oci_absent(v))
		return 0;
	if (!json_is_array(v))
		return moat_err_code(e, EINVAL, "%s: must be an array", where);
	*items = calloc(json_array_size(v) + 1, size);
	if (!*items)
		return moat_err_set(e, ENOMEM, "%s", where);
	return 0;
}

int spec_item(json_t *item, const char *where, size_t i, char *at, size_t cap,
	      struct moat_err **e)
{
	snprintf(at, cap, "%s[%zu]", where, i);
	if (!json_is_object(item))
		return moat_err_code(e, EINVAL, "%s: must be an object", at);
	return 0;
}

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
	json_t *caps, *v, *n;
	size_t i, j;
	int cap;

	if (oci_get_obj(proc, "capabilities", "process", &caps, e))
		return -1;
	if (!caps)
		return 0;
	p->has_caps = true;
	for (i = 0; i < SPEC_CAP_SETS; i++) {
		v = json_object_get(caps, spec_capset_names[i]);
		if (oci_absent(v))
			continue;
		if (!json_is_array(v))
			return moat_err_code(e, EINVAL,
					     "process.capabilities.%s: must be "
					     "an array of strings",
					     spec_capset_names[i]);
		json_array_foreach(v, j, n)
		{
			if (!json_is_string(n))
				return moat_err_code(e, EINVAL,
						     "process.capabilities.%s[%"
						     "zu]: must be a string",
						     spec_capset_names[i], j);
			cap = oci_lookup(oci_cap_names, json_string_value(n));
			if (cap < 0)
				return moat_err_code(e, EINVAL,
						     "process.capabilities.%s[%"
						     "zu]: unknown capability",
						     spec_capset_names[i], j);
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

	if (spec_array(v, "process.rlimits", sizeof(*p->rlimits),
		       (void **)&p->rlimits, e))
		return -1;
	json_array_foreach(v, i, r)
	{
		if (spec_item(r, "process.rlimits", i, where, sizeof(where), e))
			return -1;
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

/* m's options: flags, propagation, bind, tmpcopyup; the rest is data for
 * the filesystem, joined with commas. */
static int spec_mount_opts(struct spec_mount *m, const char *where,
			   struct moat_err **e)
{
	char data[SPEC_MOUNT_DATA_MAX] = "";
	size_t i, k, dl = 0, n;
	unsigned long pf;
	const char *o;

	for (i = 0; m->options[i]; i++) {
		o = m->options[i];
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
		if (!spec_propagation(o, &pf)) {
			m->pflags |= pf;
			continue;
		}
		for (k = 0; k < SPEC_ARRAY_LEN(spec_mount_flags); k++)
			if (!strcmp(o, spec_mount_flags[k].name))
				break;
		if (k < SPEC_ARRAY_LEN(spec_mount_flags)) {
			m->flags |= spec_mount_flags[k].set;
			m->flags &= ~spec_mount_flags[k].clear;
			m->clear |= spec_mount_flags[k].clear;
			continue;
		}
		n = strlen(o);
		if (!n || strchr(o, ',') || dl + n + 2 > sizeof(data))
			return moat_err_code(e, EINVAL,
					     "%s.options[%zu]: must be a mount "
					     "option without a comma (at most "
					     "%d bytes in all)",
					     where, i, SPEC_MOUNT_DATA_MAX);
		if (dl)
			data[dl++] = ',';
		memcpy(data + dl, o, n + 1);
		dl += n;
	}
	if (dl && !(m->data = strdup(data)))
		return moat_err_set(e, ENOMEM, "%s.options", where);
	return 0;
}

static int spec_mounts(json_t *root, struct spec *s, struct moat_err **e)
{
	json_t *v = json_object_get(root, "mounts"), *m;
	struct spec_mount *sm;
	char where[64];
	size_t i;

	if (spec_array(v, "mounts", sizeof(*s->mounts), (void **)&s->mounts, e))
		return -1;
	json_array_foreach(v, i, m)
	{
		if (spec_item(m, "mounts", i, where, sizeof(where), e))
			return -1;
		sm = &s->mounts[s->nmounts++];
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
		if (spec_mount_opts(sm, where, e))
			return -1;
		if (sm->type && !strcmp(sm->type, "bind"))
			sm->bind = true;
		if (sm->bind && (!sm->source || !sm->source[0]))
			return moat_err_code(e, EINVAL,
					     "%s.source: a bind mount needs a "
					     "source",
					     where);
	}
	return 0;
}

static int spec_hooks(json_t *root, struct spec *s, struct moat_err **e)
{
	json_t *hooks, *v, *h;
	struct spec_hook *sh;
	char where[64], kind[32];
	json_int_t t;
	size_t i, k;

	if (oci_get_obj(root, "hooks", "", &hooks, e))
		return -1;
	if (!hooks)
		return 0;
	for (k = 0; k < SPEC_HOOK_KINDS; k++) {
		v = json_object_get(hooks, spec_hook_names[k]);
		snprintf(kind, sizeof(kind), "hooks.%s", spec_hook_names[k]);
		if (spec_array(v, kind, sizeof(*sh), (void **)&s->hooks[k], e))
			return -1;
		json_array_foreach(v, i, h)
		{
			if (spec_item(h, kind, i, where, sizeof(where), e))
				return -1;
			sh = &s->hooks[k][s->nhooks[k]++];
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
	    spec_linux_parse(root, s, e))
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

/* Parse text[0..len) and fill a new spec with fill() from the root; with
 * process_only the text is a process object alone. */
static int spec_decode(const char *text, size_t len, bool process_only,
		       int (*fill)(json_t *, struct spec *, struct moat_err **),
		       struct spec **out, struct moat_err **e)
{
	json_error_t jerr;
	struct spec *s;
	json_t *root, *proc;
	int r;

	*out = NULL;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return moat_err_code(e, EINVAL, "%d:%d: %s", jerr.line,
				     jerr.column, jerr.text);
	if (process_only) {
		proc = root;
		root = json_object();
		/* json_object_set_new() releases proc when it fails */
		if (!root || json_object_set_new(root, "process", proc)) {
			if (!root)
				json_decref(proc);
			json_decref(root);
			root = NULL;
		}
	}
	s = root ? calloc(1, sizeof(*s)) : NULL;
	if (!s) {
		json_decref(root);
		return moat_err_set(e, ENOMEM, "spec");
	}
	r = fill(root, s, e);
	json_decref(root);
	if (r) {
		spec_free(s);
		return -1;
	}
	*out = s;
	return 0;
}

int spec_parse(const char *text, size_t len, struct spec **out,
	       struct moat_err **e)
{
	return spec_decode(text, len, false, spec_fill, out, e);
}

int spec_process_parse(const char *text, size_t len, struct spec **out,
		       struct moat_err **e)
{
	return spec_decode(text, len, true, spec_process, out, e);
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
		free(s->mounts[i].data);
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
	free(s->net_path);
	free(s->rootfs_propagation);
	free(s->uid_mappings);
	free(s->gid_mappings);
	for (i = 0; i < s->ndevices; i++)
		free(s->devices[i].path);
	free(s->devices);
	for (i = 0; i < s->nsysctls; i++) {
		free(s->sysctls[i].key);
		free(s->sysctls[i].value);
	}
	free(s->sysctls);
	spec_resources_free(&s->resources);
	spec_seccomp_free(s->seccomp);
	free(s);
}
