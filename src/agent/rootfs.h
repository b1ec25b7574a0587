/*
 * rootfs.h: the container's root filesystem, built in the child before
 * it is held for START (rootfs.c).
 *
 * Inputs: the config, from the host; the image's tree, which the
 * container controls.
 */
#ifndef MOAT_AGENT_ROOTFS_H
#define MOAT_AGENT_ROOTFS_H

#include "config.h"

/*
 * In the child, in the container's new mount namespace: mount cfg's
 * mounts into rootfs (the bundle's root filesystem, in the share), make
 * its devices, sysctls and hostname, pivot_root into it, mask and
 * make read-only the paths cfg names. On an error the child reports it
 * (child_fail) and exits.
 */
void rootfs_build(int sync, const struct config *cfg, const char *rootfs);

#endif
