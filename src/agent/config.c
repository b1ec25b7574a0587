/*
 * config.c: CREATE's config -> struct config: the parser the host used
 * (spec_parse(), src/common/spec.c), then what the agent needs besides.
 *
 * Input: the CREATE request's config, from the host: the document the
 * shim built from the config it validated (spec_encode()), or in host
 * mode whatever the caller sends, so everything is checked again here by
 * the same code, with the same messages. On top of the runtime-spec, the
 * agent needs a mount namespace (the container's root is pivot_root'ed
 * in it), a type for every mount but a bind mount, root.path and relative
 * bind sources inside the bundle (the share), and maps the namespaces to clone
 * flags. A network namespace with a path is the engine's on the host, which the
 * shim carried into the VM: the container uses the guest's own (net_guest;
 * net.c); in a VM a new one is the guest's too (serve.c). Fields the agent does
 * not act on (hooks, annotations, apparmor, selinux) are left alone: the host
 * handles them or they do not apply inside a VM.
 */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

static const int config_clone_flags[SPEC_NS_COUNT] = {
	[SPEC_NS_PID] = CLONE_NEWPID,	[SPEC_NS_NETWORK] = CLONE_NEWNET,
	[SPEC_NS_MOUNT] = CLONE_NEWNS,	[SPEC_NS_IPC] = CLONE_NEWIPC,
	[SPEC_NS_UTS] = CLONE_NEWUTS,	[SPEC_NS_CGROUP] = CLONE_NEWCGROUP,
	[SPEC_NS_USER] = CLONE_NEWUSER,
};

/* root.path: relative to the bundle, without ".." components. */
static int config_root_path(const char *p, struct moat_err **e)
{
	size_t i;

	if (p[0] == '/')
		return moat_err_code(e, EINVAL,
				     "root.path: must be relative to the "
				     "bundle");
	for (i = 0; p[i]; i++)
		if (p[i] == '.' && p[i + 1] == '.' &&
		    (i == 0 || p[i - 1] == '/') &&
		    (p[i + 2] == '/' || !p[i + 2]))
			return moat_err_code(e, EINVAL,
					     "root.path: must not have .. "
					     "components");
	return 0;
}

static int config_fill(struct config *c, struct moat_err **e)
{
	const struct spec *s = c->spec;
	const struct spec_mount *m;
	size_t i;
	int k;

	if (config_root_path(s->root_path, e))
		return -1;
	if (!(s->namespaces & (1u << SPEC_NS_MOUNT)))
		return moat_err_code(e, EINVAL,
				     "linux.namespaces: a mount namespace is "
				     "required");
	for (k = 0; k < SPEC_NS_COUNT; k++)
		if (s->namespaces & (1u << k))
			c->ns_flags |= config_clone_flags[k];
	if (s->net_path) {
		c->ns_flags &= ~CLONE_NEWNET;
		c->net_guest = true;
	}
	/* A relative source is relative to the bundle (the OCI spec's
	 * rule): config_bundle_binds() completes it. */
	for (i = 0; i < s->nmounts; i++) {
		m = &s->mounts[i];
		if (!m->bind && !m->type)
			return moat_err_code(e, EINVAL,
					     "mounts[%zu].type: required", i);
		if (m->bind && m->source[0] != '/' && !oci_clean_rel(m->source))
			return moat_err_code(e, EINVAL,
					     "mounts[%zu].source: a bind mount "
					     "needs an absolute source or a "
					     "clean one relative to the bundle",
					     i);
	}
	c->root_propagation = MS_SLAVE | MS_REC;
	if (s->rootfs_propagation)
		spec_propagation(s->rootfs_propagation, &c->root_propagation);
	return 0;
}

int config_parse(const char *text, size_t len, struct config **out,
		 struct moat_err **e)
{
	struct config *c = calloc(1, sizeof(*c));

	*out = NULL;
	if (!c)
		return moat_err_set(e, ENOMEM, "config");
	if (spec_parse(text, len, &c->spec, e) || config_fill(c, e)) {
		config_free(c);
		return moat_err_wrap(e, "config.json");
	}
	*out = c;
	return 0;
}

void config_free(struct config *c)
{
	if (!c)
		return;
	spec_free(c->spec);
	free(c);
}

int config_bundle_binds(struct config *c, const char *bundle,
			struct moat_err **e)
{
	struct spec_mount *m;
	size_t i, n;
	char *p;

	for (i = 0; i < c->spec->nmounts; i++) {
		m = &c->spec->mounts[i];
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
