/*
 * share.h: the one directory tree a container's VM sees: the bundle's
 * root filesystem and every bind mount's source, gathered under a private
 * tmpfs in the shim's own mount namespace (see share.c).
 */
#ifndef MOAT_SHIM_SHARE_H
#define MOAT_SHIM_SHARE_H

#include "../common/err.h"
#include "../common/spec.h"
#include "../runtime/state.h"

#define SHIM_SHARE_DIR STATE_SHARE_DIR
#define SHIM_SHARE_ROOTFS "rootfs"

/*
 * Move the calling process into a new mount namespace (a slave of its
 * parent's), mount a tmpfs on dir (created when missing), bind the root
 * filesystem and each bind mount's source into it, and change sp (the
 * validated config) to name them relative to the share. Host paths
 * in config that are relative are relative to bundle. Returns 0, or -1
 * with *e set; on failure the caller exits, and the namespace with it.
 */
int shim_share_build(const char *dir, const char *bundle, struct spec *sp,
		     struct moat_err **e);

#endif
