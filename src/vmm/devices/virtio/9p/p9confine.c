/*
 * p9confine.c: the 9p server's confinement (see p9confine.h for the
 * rules): nodes, the one lookup (openat2 beneath the share), the reopen
 * with its inode check, the create. Inputs: one-element names from the
 * guest (p9codec checked them) and nodes this file made.
 */
#include "p9confine.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

/* openat2's rules: beneath the directory, no symlinks, and no mount point
 * crossed unless the share was made with submounts (its mounts are the
 * runtime's own: still nothing outside the share is reached). */
static uint64_t confine_resolve(bool submounts)
{
	return RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS |
	       (submounts ? 0 : RESOLVE_NO_XDEV);
}

static long confine_openat2(int dirfd, const char *path, uint64_t flags,
			    uint64_t mode, bool submounts)
{
	struct open_how how;

	memset(&how, 0, sizeof(how));
	how.flags = flags;
	how.mode = mode;
	how.resolve = confine_resolve(submounts);
	return syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* The O_PATH lookup of dirfd/name, never following it. */
static long confine_path(int dirfd, const char *name, bool submounts)
{
	return confine_openat2(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0,
			       submounts);
}

int p9confine_stat(int fd, struct stat *st)
{
	return fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
}

/* A node for fd (taken over only on success). NULL with errno. */
static struct p9node *node_new(struct p9confine *c, int fd,
			       const struct stat *st, struct p9node *parent,
			       const char *name)
{
	struct p9node *n;

	if (c->nnodes >= c->max_nodes) {
		errno = ENFILE;
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		errno = ENOMEM;
		return NULL;
	}
	if (name) {
		n->name = strdup(name);
		if (!n->name) {
			free(n);
			errno = ENOMEM;
			return NULL;
		}
	}
	n->fd = fd;
	n->refs = 1;
	n->dev = st->st_dev;
	n->ino = st->st_ino;
	n->type = st->st_mode & S_IFMT;
	n->parent = parent;
	if (parent)
		parent->refs++;
	n->next = c->nodes.next;
	n->prev = &c->nodes;
	c->nodes.next->prev = n;
	c->nodes.next = n;
	c->nnodes++;
	return n;
}

void p9confine_hold(struct p9node *n)
{
	n->refs++;
}

void p9confine_put(struct p9confine *c, struct p9node *n)
{
	while (n && --n->refs == 0) {
		struct p9node *parent = n->parent;

		n->prev->next = n->next;
		n->next->prev = n->prev;
		close(n->fd);
		free(n->name);
		free(n);
		c->nnodes--;
		n = parent;
	}
}

int p9confine_open(struct p9confine *c, const char *path, bool submounts,
		   unsigned max_nodes)
{
	struct stat st;
	int fd, err;

	memset(c, 0, sizeof(*c));
	c->nodes.next = c->nodes.prev = &c->nodes;
	c->submounts = submounts;
	c->max_nodes = max_nodes;
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (p9confine_stat(fd, &st) < 0) {
		err = errno;
		close(fd);
		return -err;
	}
	c->root = node_new(c, fd, &st, NULL, NULL);
	if (!c->root) {
		close(fd);
		return -ENOMEM;
	}
	return 0;
}

void p9confine_close(struct p9confine *c)
{
	p9confine_put(c, c->root);
	c->root = NULL;
}

/* A node for the O_PATH fd just opened as dir/name, unless it crossed a
 * mount point it may not; fd is closed on failure. NULL with errno. */
static struct p9node *node_adopt(struct p9confine *c, long fd,
				 struct p9node *dir, const char *name,
				 struct stat *st)
{
	struct p9node *n = NULL;
	int err = 0;

	errno = 0;
	if (p9confine_stat((int)fd, st) < 0 ||
	    (!c->submounts && st->st_dev != c->root->dev))
		err = errno ? errno : EXDEV;
	else if (!(n = node_new(c, (int)fd, st, dir, name)))
		err = errno;
	if (n)
		return n;
	close((int)fd);
	errno = err;
	return NULL;
}

struct p9node *p9confine_lookup(struct p9confine *c, struct p9node *dir,
				const char *name, struct stat *st)
{
	long fd;

	if (dir->type != S_IFDIR) {
		errno = ENOTDIR;
		return NULL;
	}
	fd = confine_path(dir->fd, name, c->submounts);
	if (fd < 0)
		return NULL;
	return node_adopt(c, fd, dir, name, st);
}

int p9confine_reopen(const struct p9confine *c, const struct p9node *n,
		     int flags)
{
	struct stat st;
	long fd;

	flags |= O_CLOEXEC | O_NOFOLLOW | O_NOCTTY;
	if (n->type == S_IFDIR)
		fd = confine_openat2(n->fd, ".", (uint64_t)flags | O_DIRECTORY,
				     0, c->submounts);
	else if (n->type != S_IFREG)
		return -EPERM; /* no fifo, socket, device is ever opened */
	else if (!n->parent)
		return -ESTALE;
	else
		fd = confine_openat2(n->parent->fd, n->name,
				     (uint64_t)flags | O_NONBLOCK, 0,
				     c->submounts);
	if (fd < 0)
		return -errno;
	if (p9confine_stat((int)fd, &st) < 0 || st.st_dev != n->dev ||
	    st.st_ino != n->ino) {
		close((int)fd);
		return -ESTALE;
	}
	if (n->type == S_IFREG) /* drop O_NONBLOCK, keep O_APPEND */
		fcntl((int)fd, F_SETFL, flags & O_APPEND);
	return (int)fd;
}

int p9confine_check_name(const struct p9node *n)
{
	struct stat st;

	if (!n->parent)
		return -EBUSY; /* the share's root */
	if (fstatat(n->parent->fd, n->name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	if (st.st_dev != n->dev || st.st_ino != n->ino)
		return -ESTALE;
	return 0;
}

/* Open dir/name for I/O: created (O_EXCL) with mode and given to uid:gid,
 * or, unless excl, the regular file already there. Returns an fd or
 * -errno. */
static long create_or_open(const struct p9confine *c, int dirfd,
			   const char *name, int flags, mode_t mode, bool excl,
			   uint32_t uid, uint32_t gid)
{
	int base = O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, err;
	struct stat est;
	long fd, pfd;

	fd = confine_openat2(dirfd, name,
			     (uint64_t)(flags | base | O_CREAT | O_EXCL), mode,
			     c->submounts);
	if (fd >= 0) {
		/* New: through its own fd, the owner then the exact mode
		 * (see p9confine_made; chown would clear set-id bits). */
		if (fchown((int)fd, uid, gid) < 0) {
			/* not permitted: the file stays the server's */
		}
		if (fchmod((int)fd, mode) < 0) {
			err = errno;
			close((int)fd);
			return -err;
		}
		return fd;
	}
	if (errno != EEXIST || excl)
		return -errno;
	/* An existing file: opened only if it is a regular file (no fifo,
	 * socket or device is ever opened), by the same rules as a reopen. */
	pfd = confine_path(dirfd, name, c->submounts);
	if (pfd < 0)
		return -errno;
	if (p9confine_stat((int)pfd, &est) < 0 || !S_ISREG(est.st_mode)) {
		close((int)pfd);
		return S_ISDIR(est.st_mode) ? -EISDIR : -EPERM;
	}
	close((int)pfd);
	fd = confine_openat2(dirfd, name, (uint64_t)(flags | base), 0,
			     c->submounts);
	return fd < 0 ? -errno : fd;
}

int p9confine_create(struct p9confine *c, struct p9node *dir, const char *name,
		     int flags, mode_t mode, bool excl, uint32_t uid,
		     uint32_t gid, struct p9node **out)
{
	struct stat st, pst;
	long fd, pfd;
	int err;

	fd = create_or_open(c, dir->fd, name, flags, mode, excl, uid, gid);
	if (fd < 0)
		return (int)fd;
	fcntl((int)fd, F_SETFL, flags & O_APPEND); /* drop O_NONBLOCK */
	/* The node's own O_PATH fd, by the same lookup, checked to be the
	 * file just opened. */
	pfd = confine_path(dir->fd, name, c->submounts);
	if (pfd < 0 || p9confine_stat((int)fd, &st) < 0 ||
	    !S_ISREG(st.st_mode)) {
		err = pfd < 0 ? errno : EINVAL;
		goto fail;
	}
	if (p9confine_stat((int)pfd, &pst) < 0 || pst.st_ino != st.st_ino ||
	    pst.st_dev != st.st_dev) {
		err = ESTALE;
		goto fail;
	}
	*out = node_new(c, (int)pfd, &st, dir, name);
	if (*out)
		return (int)fd;
	err = errno;
fail:
	if (pfd >= 0)
		close((int)pfd);
	close((int)fd);
	return -err;
}

int p9confine_made(int dirfd, const char *name, int mode, uint32_t uid,
		   uint32_t gid, struct stat *st)
{
	long fd = confine_path(dirfd, name, false);
	int err = 0;

	if (fd < 0)
		return errno;
	if (fchownat((int)fd, "", uid, gid,
		     AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
		/* not permitted: the file stays the server's */
	}
	if (mode >= 0)
		syscall(SYS_fchmodat2, (int)fd, "", (mode_t)mode,
			AT_EMPTY_PATH);
	if (p9confine_stat((int)fd, st) < 0)
		err = errno;
	close((int)fd);
	return err;
}

int p9confine_renamed(struct p9confine *c, const struct p9node *olddir,
		      const char *oldname, struct p9node *newdir,
		      const char *newname)
{
	struct p9node *n;

	for (n = c->nodes.next; n != &c->nodes; n = n->next) {
		char *nm;

		if (!n->parent || n->parent->dev != olddir->dev ||
		    n->parent->ino != olddir->ino || strcmp(n->name, oldname))
			continue;
		nm = strdup(newname);
		if (!nm)
			return -ENOMEM;
		free(n->name);
		n->name = nm;
		newdir->refs++;
		p9confine_put(c, n->parent);
		n->parent = newdir;
	}
	return 0;
}
