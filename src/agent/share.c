/*
 * share.c: where a bundle comes from. A CREATE names its bundle by a share
 * tag (checked by the codec: [A-Za-z0-9][A-Za-z0-9_.-]*, so never "." or
 * ".."); the config's root.path is taken relative to it.
 *
 *   share_host_dir  host mode (--share-dir DIR): the tag T is DIR/T.
 *   share_9p        the guest: the host exports the bundle as a 9p share
 *                   (virtio transport) with tag T, or as a virtio-fs
 *                   share tagged T when 9p is not there, mounted once at
 *                   /run/moat/shares/T. /run/moat and its shares are
 *                   searchable by all (not listable): the root of a user
 *                   namespace, another uid, reaches its bundle through
 *                   them while it builds its root filesystem.
 *
 * Inputs: the tag, from the host.
 */
#include "share.h"
#include "opts.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#define SHARE_9P_DIR "/run/moat/shares"

static int share_host_resolve(const struct agent_opts *o, const char *tag,
			      char *path, size_t cap, struct moat_err **e)
{
	struct stat st;

	if (!o->share_dir)
		return moat_err_set(e, ENOENT, "share %s: no --share-dir", tag);
	if ((size_t)snprintf(path, cap, "%s/%s", o->share_dir, tag) >= cap)
		return moat_err_set(e, ENAMETOOLONG, "share %s", tag);
	if (stat(path, &st) < 0)
		return moat_err_set(e, errno, "share %s", tag);
	if (!S_ISDIR(st.st_mode))
		return moat_err_set(e, ENOTDIR, "share %s", tag);
	return 0;
}

const struct share_ops share_host_dir = {
	.name = "host-dir",
	.resolve = share_host_resolve,
};

static int share_9p_resolve(const struct agent_opts *o, const char *tag,
			    char *path, size_t cap, struct moat_err **e)
{
	struct stat st, parent;

	if ((size_t)snprintf(path, cap, "%s/%s", SHARE_9P_DIR, tag) >= cap)
		return moat_err_set(e, ENAMETOOLONG, "share %s", tag);
	if (mkdir("/run/moat", 0711) < 0 && errno != EEXIST)
		return moat_err_set(e, errno, "mkdir /run/moat");
	if (mkdir(SHARE_9P_DIR, 0711) < 0 && errno != EEXIST)
		return moat_err_set(e, errno, "mkdir %s", SHARE_9P_DIR);
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return moat_err_set(e, errno, "mkdir %s", path);
	/* Already mounted when it is on another device than its parent. */
	if (stat(path, &st) == 0 && stat(SHARE_9P_DIR, &parent) == 0 &&
	    st.st_dev != parent.st_dev)
		return 0;
	if (mount(tag, path, "9p", MS_NOSUID | MS_NODEV,
		  "trans=virtio,version=9p2000.L,cache=none,access=client") ==
	    0)
		return 0;
	/* No 9p here (ENODEV: a kernel without the 9p filesystem; ENOENT:
	 * no 9p device with that tag): the host may export the share over
	 * virtio-fs instead (the QEMU backend does). */
	if ((errno == ENODEV || errno == ENOENT) &&
	    mount(tag, path, "virtiofs", MS_NOSUID | MS_NODEV, NULL) == 0)
		return 0;
	return moat_err_set(e, errno, "mount the share %s (9p, virtiofs)", tag);
}

const struct share_ops share_9p = {
	.name = "9p",
	.resolve = share_9p_resolve,
};
