/*
 * share.c: the one directory tree a container's VM sees (share.h).
 *
 * The shim moves into a mount namespace of its own (a slave of the host's,
 * so mounts the engine makes later still reach it), mounts a small tmpfs
 * on <root>/<id>/share and binds into it the bundle's root filesystem
 * ("rootfs") and the source of every bind mount in config.json ("m0",
 * "m1", ...: a directory or a file, as the source is). The backend exports
 * that tmpfs as the share SANDBOX_ROOTFS_TAG. Since every one of these
 * mounts lives only in the shim's namespace, they vanish with the shim and
 * the processes it started (the monitor, virtiofsd), whatever kills them:
 * nothing is left mounted on the host, and the host's view of the share
 * directory stays an empty directory that `moat delete` removes.
 *
 * The config (struct spec) is changed to match: root.path becomes "rootfs" and
 * each bind mount's source "mN", both relative to the bundle, which for the
 * agent is the share (the OCI spec resolves relative bind sources against
 * the bundle).
 *
 * Inputs: the validated config (the engine's, trusted as the engine is) and the
 * host paths it names. Nothing here reads guest bytes.
 */
#include "share.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define SHARE_TMPFS_OPTS "mode=0755,size=64k,nr_inodes=4096"
#define SHARE_MOUNTS_MAX 1024

static bool share_has_opt(char *const *opts, const char *name)
{
	size_t i;

	for (i = 0; opts[i]; i++)
		if (!strcmp(opts[i], name))
			return true;
	return false;
}

/* Bind src on dst (creating dst as a directory or an empty file, as src
 * is), read-only when ro. */
static int share_bind(const char *src, const char *dst, bool rec, bool ro,
		      const char *what, struct moat_err **e)
{
	struct stat st;
	int fd;

	if (stat(src, &st) < 0)
		return moat_err_set(e, errno, "%s: %s", what, src);
	if (S_ISDIR(st.st_mode)) {
		if (mkdir(dst, 0755) < 0 && errno != EEXIST)
			return moat_err_set(e, errno, "%s: mount point", what);
	} else {
		fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
			  0644);
		if (fd < 0)
			return moat_err_set(e, errno, "%s: mount point", what);
		close(fd);
	}
	if (mount(src, dst, NULL, MS_BIND | (rec ? MS_REC : 0), NULL) < 0)
		return moat_err_set(e, errno, "%s: bind %s", what, src);
	if (!ro)
		return 0;
	/* Every mount of an rbind read-only, not only the top one. */
	if (rec) {
		struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };

		if (mount_setattr(AT_FDCWD, dst, AT_RECURSIVE, &a, sizeof(a)) <
		    0)
			return moat_err_set(e, errno, "%s: read-only", what);
		return 0;
	}
	if (mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
		return moat_err_set(e, errno, "%s: read-only", what);
	return 0;
}

/* A host path from config.json: absolute, or relative to the bundle. */
static int share_host_path(char *out, size_t cap, const char *bundle,
			   const char *p, const char *what, struct moat_err **e)
{
	if ((size_t)snprintf(out, cap, "%s%s%s", p[0] == '/' ? "" : bundle,
			     p[0] == '/' ? "" : "/", p) >= cap)
		return moat_err_set(e, ENAMETOOLONG, "%s", what);
	return 0;
}

/* Replace *field with a copy of v. */
static int share_rename(char **field, const char *v, struct moat_err **e)
{
	char *c = strdup(v);

	if (!c)
		return moat_err_set(e, ENOMEM, "config.json");
	free(*field);
	*field = c;
	return 0;
}

int shim_share_build(const char *dir, const char *bundle, struct spec *sp,
		     struct moat_err **e)
{
	char src[PATH_MAX], dst[PATH_MAX + 32], what[64], name[16];
	struct spec_mount *m;
	size_t i, n = 0;

	if (unshare(CLONE_NEWNS) < 0)
		return moat_err_set(e, errno, "share: a mount namespace");
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		return moat_err_set(e, errno, "share: mount propagation");
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return moat_err_set(e, errno, "share: %s", dir);
	if (mount("moat-share", dir, "tmpfs", MS_NOSUID | MS_NODEV,
		  SHARE_TMPFS_OPTS) < 0)
		return moat_err_set(e, errno, "share: tmpfs on %s", dir);

	if (share_host_path(src, sizeof(src), bundle, sp->root_path,
			    "root.path", e))
		return -1;
	snprintf(dst, sizeof(dst), "%s/" SHIM_SHARE_ROOTFS, dir);
	/* Writable even for root.readonly: the agent creates the mount
	 * points first (read-only containers get tmpfs mounts on paths their
	 * image may lack, as with runc) and then makes / read-only for the
	 * container. A guest that ignored that could write only to the
	 * container's own root filesystem. */
	if (share_bind(src, dst, true, false, "root.path", e) ||
	    share_rename(&sp->root_path, SHIM_SHARE_ROOTFS, e))
		return -1;

	for (i = 0; i < sp->nmounts; i++) {
		m = &sp->mounts[i];
		if (!m->bind)
			continue;
		snprintf(what, sizeof(what), "mounts[%zu].source", i);
		if (++n > SHARE_MOUNTS_MAX)
			return moat_err_set(e, E2BIG,
					    "mounts: more than %d binds",
					    SHARE_MOUNTS_MAX);
		if (share_host_path(src, sizeof(src), bundle, m->source, what,
				    e))
			return -1;
		snprintf(name, sizeof(name), "m%zu", n - 1);
		snprintf(dst, sizeof(dst), "%s/%s", dir, name);
		if (share_bind(src, dst, share_has_opt(m->options, "rbind"),
			       share_has_opt(m->options, "ro"), what, e) ||
		    share_rename(&m->source, name, e))
			return -1;
	}
	/* Nothing is created in the share from now on. */
	if (mount(NULL, dir, NULL,
		  MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
		  SHARE_TMPFS_OPTS) < 0)
		return moat_err_set(e, errno, "share: read-only");
	return 0;
}
