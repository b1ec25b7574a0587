/*
 * share.h: where a bundle's files come from (share.c): a host directory
 * in host mode, a 9p (or virtio-fs) share by tag in the guest.
 */
#ifndef MOAT_AGENT_SHARE_H
#define MOAT_AGENT_SHARE_H

#include "../common/err.h"

#include <stddef.h>

struct agent_opts;

/*
 * A source of bundles. resolve() makes the share named tag (checked by the
 * codec: [A-Za-z0-9][A-Za-z0-9_.-]*) available and writes the directory
 * that holds it into path[0..cap). Returns 0 or -1 with *e set.
 */
struct share_ops {
	const char *name;
	int (*resolve)(const struct agent_opts *o, const char *tag, char *path,
		       size_t cap, struct moat_err **e);
};

extern const struct share_ops share_host_dir; /* o->share_dir/<tag> */
extern const struct share_ops share_9p;	      /* 9p, trans=virtio */

#endif
