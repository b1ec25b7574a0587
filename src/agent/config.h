/*
 * config.h: the OCI config.json the agent carries out (config.c), parsed
 * from what the host sends in a CREATE by the parser the host used
 * (src/common/spec.h).
 */
#ifndef MOAT_AGENT_CONFIG_H
#define MOAT_AGENT_CONFIG_H

#include "../common/err.h"
#include "../common/spec.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * The container's config: the struct spec the host validated, decoded from
 * CREATE's config by the parser both sides share, and what the agent makes
 * of it. config_free() releases it all.
 */
struct config {
	struct spec *spec;
	int ns_flags;	/* CLONE_NEW* of the namespaces to create */
	bool net_guest; /* a network namespace with a path: the guest's */
	unsigned long root_propagation; /* MS_*, MS_SLAVE | MS_REC by default */
};

/*
 * Parse config.json text[0..len) (not NUL-terminated) into a new config:
 * spec_parse(), then what the agent needs besides (a mount namespace, a
 * type for every mount but a bind, root.path and bind sources inside the
 * bundle). Returns 0 with *out set, or -1 with *e set ("config.json:
 * <json path>: <why>"): EINVAL for a malformed or contradictory config,
 * EOPNOTSUPP for what moat cannot do.
 */
int config_parse(const char *text, size_t len, struct config **out,
		 struct moat_err **e);
void config_free(struct config *c);

/* Make every bind mount's relative source absolute under bundle (the
 * directory the CREATE's share resolved to). Returns 0 or -1 (ENOMEM). */
int config_bundle_binds(struct config *c, const char *bundle,
			struct moat_err **e);

#endif
