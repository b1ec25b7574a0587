/*
 * p9confine.h: the 9p server's confinement: everything that keeps the guest
 * inside its share. This module alone opens files of the share; the server
 * holds what it opens as nodes.
 *
 * A node is one file the guest walked to: an O_PATH fd, its identity
 * (st_dev, st_ino, type) and, except for the root, a reference to its
 * parent directory's node and its name there. Nodes are reference counted
 * (a clone walk or an attach shares one, so Linux's frequent fid clones
 * cost no fd) and bounded in number (each holds an fd).
 *
 * The rules (inputs: names from the guest, already one path element each:
 * no "/", ".", "..", no NUL, checked by p9codec):
 *  - every lookup is openat2(dir, name, O_PATH | O_NOFOLLOW) with
 *    RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS, and
 *    RESOLVE_NO_XDEV unless the share was made with submounts (its mounts
 *    are the runtime's own), from a directory node already inside the
 *    share: a symlink is never followed (the guest's kernel resolves its
 *    own symlinks), and nothing outside the share is reached;
 *  - a file is reopened for I/O from its parent directory's fd and its
 *    name, again without following anything, and only if it is still the
 *    inode (st_dev, st_ino) the node was walked to;
 *  - only regular files and directories are ever opened for I/O: a fifo,
 *    socket or device node in the share is never opened;
 *  - before a file is removed, renamed or linked by its name, the name is
 *    checked to still be the node's inode.
 * The server's other *at() calls (mkdirat, unlinkat, renameat, linkat,
 * symlinkat, mknodat, fchownat, utimensat, ...) take a directory node's fd
 * and a one-element name, or a node's own fd with AT_EMPTY_PATH, and never
 * follow the last element: what they can reach rests on the fds this
 * module hands out and on the codec's names.
 * See docs/threat-model.md "9p". Needs Linux 5.6 (openat2).
 */
#ifndef MOAT_VMM_P9CONFINE_H
#define MOAT_VMM_P9CONFINE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

struct p9node {
	int fd; /* O_PATH, inside the share */
	unsigned refs;
	dev_t dev;
	ino_t ino;
	mode_t type;	       /* S_IFMT bits */
	struct p9node *parent; /* NULL for the root */
	char *name;	       /* in parent; NULL for the root */
	struct p9node *prev, *next;
};

/* The share: its root and every live node. */
struct p9confine {
	bool submounts; /* lookups may cross mount points under the root */
	unsigned max_nodes, nnodes;
	struct p9node *root;
	struct p9node nodes; /* list head */
};

/* Open the share's directory (path: trusted) as the root node; at most
 * max_nodes nodes. Returns 0 or -errno. */
int p9confine_open(struct p9confine *c, const char *path, bool submounts,
		   unsigned max_nodes);
/* Drop the root (every other node must be gone). */
void p9confine_close(struct p9confine *c);

/* fstatat(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW). */
int p9confine_stat(int fd, struct stat *st);

/* Another reference to n. */
void p9confine_hold(struct p9node *n);
/* Drop a reference to n (NULL is fine); the last one closes its fd and
 * drops its parent. */
void p9confine_put(struct p9confine *c, struct p9node *n);

/*
 * Look up one element under directory node dir: the only lookup there is.
 * Returns a new node (one reference) with *st filled, or NULL with errno
 * (ENOTDIR, EXDEV for a mount point crossed, ENFILE past max_nodes, or the
 * lookup's).
 */
struct p9node *p9confine_lookup(struct p9confine *c, struct p9node *dir,
				const char *name, struct stat *st);

/*
 * Open node n for I/O with flags (no O_CREAT): a directory through ".",
 * a regular file from its parent and name, only if that name is still the
 * same inode. Returns an fd or -errno (-EPERM for any other type, -ESTALE
 * when the name now names another inode).
 */
int p9confine_reopen(const struct p9confine *c, const struct p9node *n,
		     int flags);

/* Whether parent/name is still node n (before removing, renaming or
 * linking it by name). Returns 0, -EBUSY for the root, -ESTALE, or the
 * stat's -errno. */
int p9confine_check_name(const struct p9node *n);

/*
 * Tlcreate: create dir/name as a regular file (O_EXCL, so that the mode
 * applies to a new file only: exactly mode, owned by uid:gid when the
 * server may chown) and open it with flags, or, unless excl, open the
 * regular file already there by the same rules as a reopen (a symlink in
 * the way is never followed: ELOOP; any other type: EPERM, a directory:
 * EISDIR). Returns the open fd with *out a new node for the file (one
 * reference), or -errno.
 */
int p9confine_create(struct p9confine *c, struct p9node *dir, const char *name,
		     int flags, mode_t mode, bool excl, uint32_t uid,
		     uint32_t gid, struct p9node **out);

/*
 * Finish a file the guest just made as dir/name (mkdir, mknod, symlink):
 * give it the exact mode asked for (the server's umask must not apply: the
 * guest applied its own) and the attached user and the requested group when
 * the server may; reached by the same non-following lookup as a walk.
 * mode < 0: leave the mode (a symlink). Fills st. Returns 0 or an errno.
 */
int p9confine_made(int dirfd, const char *name, int mode, uint32_t uid,
		   uint32_t gid, struct stat *st);

/* After renaming olddir/oldname to newdir/newname: every node that was
 * that entry now lives at the new place. Returns 0 or -ENOMEM. */
int p9confine_renamed(struct p9confine *c, const struct p9node *olddir,
		      const char *oldname, struct p9node *newdir,
		      const char *newname);

#endif
