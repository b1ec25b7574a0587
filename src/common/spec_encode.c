/*
 * spec_encode.c: struct spec -> the OCI document (see spec.h): the copy
 * `moat create` saves for the shim and the later verbs, and the config the
 * shim sends the agent, both read back by spec_parse().
 *
 * Input: a struct spec that spec_parse() filled (and the shim adjusted),
 * so every value is already valid. Pure.
 */
#include "spec.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>

/* Builders that tolerate a NULL (out of memory) anywhere: spec_encode()
 * checks once, at the end, through spec_enc_ok. */
struct spec_enc {
	bool ok;
};

static void spec_set(struct spec_enc *x, json_t *o, const char *key, json_t *v)
{
	if (!v || json_object_set_new(o, key, v))
		x->ok = false;
}

static void spec_push(struct spec_enc *x, json_t *a, json_t *v)
{
	if (!v || json_array_append_new(a, v))
		x->ok = false;
}

static json_t *spec_strv_json(struct spec_enc *x, char *const *v)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && v && v[i]; i++)
		spec_push(x, a, json_string(v[i]));
	return a;
}

static void spec_set_str(struct spec_enc *x, json_t *o, const char *key,
			 const char *v)
{
	if (v)
		spec_set(x, o, key, json_string(v));
}

static void spec_set_int(struct spec_enc *x, json_t *o, const char *key,
			 long long v)
{
	if (v)
		spec_set(x, o, key, json_integer(v));
}

static json_t *spec_enc_process(struct spec_enc *x,
				const struct spec_process *p)
{
	json_t *o = json_object(), *u, *a, *c, *r;
	size_t i, k;

	if (!o)
		return NULL;
	spec_set(x, o, "terminal", json_boolean(p->terminal));
	if (p->console_height || p->console_width) {
		c = json_object();
		spec_set(x, o, "consoleSize", c);
		if (c) {
			spec_set(x, c, "height",
				 json_integer(p->console_height));
			spec_set(x, c, "width", json_integer(p->console_width));
		}
	}
	u = json_object();
	spec_set(x, o, "user", u);
	if (u) {
		spec_set(x, u, "uid", json_integer(p->uid));
		spec_set(x, u, "gid", json_integer(p->gid));
		if (p->has_umask)
			spec_set(x, u, "umask", json_integer(p->umask));
		if (p->nadditional_gids) {
			a = json_array();
			spec_set(x, u, "additionalGids", a);
			for (i = 0; a && i < p->nadditional_gids; i++)
				spec_push(x, a,
					  json_integer(p->additional_gids[i]));
		}
	}
	spec_set(x, o, "args", spec_strv_json(x, p->args));
	spec_set(x, o, "env", spec_strv_json(x, p->env));
	spec_set_str(x, o, "cwd", p->cwd);
	if (p->has_caps) {
		c = json_object();
		spec_set(x, o, "capabilities", c);
		for (i = 0; c && i < SPEC_CAP_SETS; i++) {
			a = json_array();
			spec_set(x, c, spec_capset_names[i], a);
			for (k = 0; a && oci_cap_names[k]; k++)
				if (p->caps[i] >> k & 1)
					spec_push(
						x, a,
						json_string(oci_cap_names[k]));
		}
	}
	if (p->nrlimits) {
		a = json_array();
		spec_set(x, o, "rlimits", a);
		for (i = 0; a && i < p->nrlimits; i++) {
			r = json_object();
			spec_push(x, a, r);
			if (!r)
				continue;
			spec_set(x, r, "type",
				 json_string(
					 oci_rlimit_names[p->rlimits[i].type]));
			/* RLIM_INFINITY is -1, as spec_rlimits() reads it */
			spec_set(x, r, "soft",
				 json_integer((json_int_t)p->rlimits[i].soft));
			spec_set(x, r, "hard",
				 json_integer((json_int_t)p->rlimits[i].hard));
		}
	}
	spec_set(x, o, "noNewPrivileges", json_boolean(p->no_new_privileges));
	if (p->has_oom_score_adj)
		spec_set(x, o, "oomScoreAdj", json_integer(p->oom_score_adj));
	spec_set_str(x, o, "apparmorProfile", p->apparmor_profile);
	spec_set_str(x, o, "selinuxLabel", p->selinux_label);
	return o;
}

static json_t *spec_enc_mounts(struct spec_enc *x, const struct spec *s)
{
	json_t *a = json_array(), *m;
	size_t i;

	for (i = 0; a && i < s->nmounts; i++) {
		m = json_object();
		spec_push(x, a, m);
		if (!m)
			continue;
		spec_set_str(x, m, "destination", s->mounts[i].destination);
		spec_set_str(x, m, "type", s->mounts[i].type);
		spec_set_str(x, m, "source", s->mounts[i].source);
		spec_set(x, m, "options",
			 spec_strv_json(x, s->mounts[i].options));
	}
	return a;
}

static json_t *spec_enc_hooks(struct spec_enc *x, const struct spec *s)
{
	const struct spec_hook *h;
	json_t *o = json_object(), *a, *j;
	size_t i, k;

	for (k = 0; o && k < SPEC_HOOK_KINDS; k++) {
		if (!s->nhooks[k])
			continue;
		a = json_array();
		spec_set(x, o, spec_hook_names[k], a);
		for (i = 0; a && i < s->nhooks[k]; i++) {
			h = &s->hooks[k][i];
			j = json_object();
			spec_push(x, a, j);
			if (!j)
				continue;
			spec_set_str(x, j, "path", h->path);
			spec_set(x, j, "args", spec_strv_json(x, h->args));
			spec_set(x, j, "env", spec_strv_json(x, h->env));
			spec_set_int(x, j, "timeout", h->timeout);
		}
	}
	return o;
}

static json_t *spec_enc_resources(struct spec_enc *x,
				  const struct spec_resources *r)
{
	const struct spec_devrule *d;
	json_t *o = json_object(), *m, *a, *j;
	char t[2] = "";
	size_t i;

	if (!o)
		return NULL;
	if (r->mem_limit || r->mem_swap) {
		m = json_object();
		spec_set(x, o, "memory", m);
		spec_set_int(x, m, "limit", r->mem_limit);
		spec_set_int(x, m, "swap", r->mem_swap);
	}
	if (r->cpu_quota || r->cpu_period || r->cpu_shares) {
		m = json_object();
		spec_set(x, o, "cpu", m);
		spec_set_int(x, m, "quota", r->cpu_quota);
		spec_set_int(x, m, "period", r->cpu_period);
		spec_set_int(x, m, "shares", r->cpu_shares);
	}
	if (r->pids_limit) {
		m = json_object();
		spec_set(x, o, "pids", m);
		spec_set_int(x, m, "limit", r->pids_limit);
	}
	if (r->ndevices) {
		a = json_array();
		spec_set(x, o, "devices", a);
		for (i = 0; a && i < r->ndevices; i++) {
			d = &r->devices[i];
			j = json_object();
			spec_push(x, a, j);
			if (!j)
				continue;
			t[0] = d->type;
			spec_set(x, j, "allow", json_boolean(d->allow));
			spec_set(x, j, "type", json_string(t));
			if (d->major >= 0)
				spec_set(x, j, "major", json_integer(d->major));
			if (d->minor >= 0)
				spec_set(x, j, "minor", json_integer(d->minor));
			if (d->access[0])
				spec_set(x, j, "access",
					 json_string(d->access));
		}
	}
	return o;
}

static json_t *spec_enc_seccomp(struct spec_enc *x,
				const struct spec_seccomp *sc)
{
	const struct spec_scmp_rule *r;
	const struct spec_scmp_arg *g;
	json_t *o = json_object(), *a, *j, *args, *c;
	size_t i, k;

	if (!o)
		return NULL;
	spec_set(x, o, "defaultAction",
		 json_string(spec_scmp_actions[sc->default_action]));
	if (sc->has_default_errno_ret)
		spec_set(x, o, "defaultErrnoRet",
			 json_integer(sc->default_errno_ret));
	if (sc->narchs) {
		a = json_array();
		spec_set(x, o, "architectures", a);
		for (i = 0; a && i < sc->narchs; i++)
			spec_push(x, a,
				  json_string(spec_scmp_archs[sc->archs[i]]));
	}
	if (sc->flags) {
		a = json_array();
		spec_set(x, o, "flags", a);
		for (i = 0; a && spec_scmp_flags[i]; i++)
			if (sc->flags >> i & 1)
				spec_push(x, a,
					  json_string(spec_scmp_flags[i]));
	}
	a = json_array();
	spec_set(x, o, "syscalls", a);
	for (i = 0; a && i < sc->nrules; i++) {
		r = &sc->rules[i];
		j = json_object();
		spec_push(x, a, j);
		if (!j)
			continue;
		spec_set(x, j, "names", spec_strv_json(x, r->names));
		spec_set(x, j, "action",
			 json_string(spec_scmp_actions[r->action]));
		if (r->has_errno_ret)
			spec_set(x, j, "errnoRet", json_integer(r->errno_ret));
		if (!r->nargs)
			continue;
		args = json_array();
		spec_set(x, j, "args", args);
		for (k = 0; args && k < r->nargs; k++) {
			g = &r->args[k];
			c = json_object();
			spec_push(x, args, c);
			if (!c)
				continue;
			spec_set(x, c, "index", json_integer(g->index));
			/* the datum's two's complement, as it was read */
			spec_set(x, c, "value",
				 json_integer((json_int_t)g->value));
			spec_set_int(x, c, "valueTwo", (long long)g->value_two);
			spec_set(x, c, "op", json_string(spec_scmp_ops[g->op]));
		}
	}
	return o;
}

static json_t *spec_enc_idmaps(struct spec_enc *x, const struct spec_idmap *m,
			       size_t n)
{
	json_t *a = json_array(), *j;
	size_t i;

	for (i = 0; a && i < n; i++) {
		j = json_object();
		spec_push(x, a, j);
		if (!j)
			continue;
		spec_set(x, j, "containerID", json_integer(m[i].container_id));
		spec_set(x, j, "hostID", json_integer(m[i].host_id));
		spec_set(x, j, "size", json_integer(m[i].size));
	}
	return a;
}

static json_t *spec_enc_linux(struct spec_enc *x, const struct spec *s,
			      unsigned flags)
{
	json_t *o = json_object(), *a, *j;
	char t[2] = "";
	size_t i;
	int k;

	if (!o)
		return NULL;
	a = json_array();
	spec_set(x, o, "namespaces", a);
	for (k = 0; a && k < SPEC_NS_COUNT; k++) {
		if (!(s->namespaces & (1u << k)))
			continue;
		j = json_object();
		spec_push(x, a, j);
		spec_set(x, j, "type", json_string(spec_ns_names[k]));
		if (k == SPEC_NS_NETWORK)
			spec_set_str(x, j, "path", s->net_path);
	}
	if (s->nuid_mappings)
		spec_set(x, o, "uidMappings",
			 spec_enc_idmaps(x, s->uid_mappings, s->nuid_mappings));
	if (s->ngid_mappings)
		spec_set(x, o, "gidMappings",
			 spec_enc_idmaps(x, s->gid_mappings, s->ngid_mappings));
	spec_set(x, o, "maskedPaths", spec_strv_json(x, s->masked_paths));
	spec_set(x, o, "readonlyPaths", spec_strv_json(x, s->readonly_paths));
	spec_set_str(x, o, "cgroupsPath", s->cgroups_path);
	spec_set_str(x, o, "rootfsPropagation", s->rootfs_propagation);
	if (s->ndevices) {
		a = json_array();
		spec_set(x, o, "devices", a);
		for (i = 0; a && i < s->ndevices; i++) {
			j = json_object();
			spec_push(x, a, j);
			if (!j)
				continue;
			t[0] = s->devices[i].type;
			spec_set_str(x, j, "path", s->devices[i].path);
			spec_set(x, j, "type", json_string(t));
			spec_set(x, j, "major",
				 json_integer(s->devices[i].major));
			spec_set(x, j, "minor",
				 json_integer(s->devices[i].minor));
			spec_set(x, j, "fileMode",
				 json_integer(s->devices[i].file_mode));
			spec_set(x, j, "uid", json_integer(s->devices[i].uid));
			spec_set(x, j, "gid", json_integer(s->devices[i].gid));
		}
	}
	if (s->nsysctls) {
		j = json_object();
		spec_set(x, o, "sysctl", j);
		for (i = 0; j && i < s->nsysctls; i++)
			spec_set(x, j, s->sysctls[i].key,
				 json_string(s->sysctls[i].value));
	}
	if (s->has_resources)
		spec_set(x, o, "resources",
			 spec_enc_resources(x, &s->resources));
	/* The profile is compiled on the host (secbpf.h): the guest gets
	 * the program. */
	if ((flags & SPEC_ENC_HOST) && s->seccomp)
		spec_set(x, o, "seccomp", spec_enc_seccomp(x, s->seccomp));
	return o;
}

char *spec_encode(const struct spec *s, unsigned flags)
{
	struct spec_enc x = { true };
	json_t *o = json_object(), *r, *a;
	char *text = NULL;
	size_t i;

	if (!o)
		return NULL;
	spec_set_str(&x, o, "ociVersion", s->oci_version);
	r = json_object();
	spec_set(&x, o, "root", r);
	spec_set_str(&x, r, "path", s->root_path);
	spec_set(&x, r, "readonly", json_boolean(s->root_readonly));
	spec_set(&x, o, "process", spec_enc_process(&x, &s->process));
	spec_set_str(&x, o, "hostname", s->hostname);
	spec_set_str(&x, o, "domainname", s->domainname);
	spec_set(&x, o, "mounts", spec_enc_mounts(&x, s));
	if (flags & SPEC_ENC_HOST) {
		spec_set(&x, o, "hooks", spec_enc_hooks(&x, s));
		a = json_object();
		spec_set(&x, o, "annotations", a);
		for (i = 0; a && i < s->nannotations; i++)
			spec_set(&x, a, s->annotations[i].key,
				 json_string(s->annotations[i].value));
	}
	spec_set(&x, o, "linux", spec_enc_linux(&x, s, flags));
	if (x.ok)
		text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

char *spec_process_encode(const struct spec_process *p)
{
	struct spec_enc x = { true };
	json_t *o = spec_enc_process(&x, p);
	char *text = NULL;

	if (o && x.ok)
		text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}
