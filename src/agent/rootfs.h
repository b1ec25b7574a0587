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

#include <sched.h>
#include <stdbool.h>

/*
 * In the child, in the container's new mount namespace: mount cfg's
 * mounts into rootfs (the bundle's root filesystem, in the share), make
 * its devices, sysctls and hostname, pivot_root into it, mask and
 * make read-only the paths cfg names. On an error the child reports it
 * (child_fail) and exits.
 */
void rootfs_build(int sync, const struct config *cfg, const char *rootfs);

/*
 * A user namespace does not own the guest's network namespace, which a
 * container in a VM uses (net_guest): its root may not write that
 * namespace's sysctls, so the agent writes the config's net.* ones
 * (container_create(), before the child goes on; values with ids, as
 * net.ipv4.ping_group_range, are then the guest's ids).
 */
static inline bool rootfs_net_by_agent(const struct config *c)
{
	return c->net_guest && (c->ns_flags & CLONE_NEWUSER);
}

/*
 * In the agent, before the init of a user namespace is cloned: make the
 * mount points of cfg's mounts that are missing from the root filesystem
 * (not inside another of its mounts), owned by the ids the namespace's
 * root is outside. The namespace's root would make them itself, but the
 * share's file server checks modes for its id without the capabilities
 * it has over its own files there (podman's / is mode 0555). 0, or -1
 * with *e set.
 */
int rootfs_premake(const struct config *cfg, const char *rootfs,
		   struct moat_err **e);

/* Write one sysctl (/proc/sys/<key with dots as slashes>). 0, or -1 with
 * errno set. */
int rootfs_sysctl_write(const struct spec_sysctl *sc);

#endif
