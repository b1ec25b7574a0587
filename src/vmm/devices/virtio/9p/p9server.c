/*
 * p9server.c: the 9P2000.L server (see p9server.h for the confinement
 * rules). Requests are decoded by p9codec; every operation is an *at()
 * syscall on fds the server holds.
 *
 * Objects:
 *  - a node is one file the guest walked to: an O_PATH fd, its identity
 *    (st_dev, st_ino, type), and, except for the root, a reference to its
 *    parent directory's node and its name there (to reopen it, remove it,
 *    rename it, link it). Nodes are reference counted: a clone walk or an
 *    attach shares one, so Linux's frequent fid clones cost no fd.
 *  - a fid is the guest's handle: a node, and once opened an I/O fd (or an
 *    xattr buffer). Fids live in a bounded open-addressing table.
 */
#include "p9server.h"
#include "p9codec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

/* openat2's rules: beneath the directory, no symlinks, and no mount point
 * crossed unless the share was made with submounts (its mounts are the
 * runtime's own: still nothing outside the share is reached). */
static uint64_t p9_resolve(bool submounts)
{
	return RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS |
	       (submounts ? 0 : RESOLVE_NO_XDEV);
}
#define DIRBUF_SIZE (64 * 1024)

struct p9node {
	int fd; /* O_PATH */
	unsigned refs;
	dev_t dev;
	ino_t ino;
	mode_t type;	       /* S_IFMT bits */
	bool submounts;	       /* the server's: reopens may cross mounts */
	struct p9node *parent; /* NULL for the root */
	char *name;	       /* in parent; NULL for the root */
	struct p9node *prev, *next;
};

enum fid_kind {
	FID_PATH,	 /* walked, not opened */
	FID_OPEN,	 /* opened: ofd */
	FID_XATTR_READ,	 /* Txattrwalk result: xbuf holds xlen bytes */
	FID_XATTR_WRITE, /* Txattrcreate: xbuf collects xsize bytes */
};

struct p9fid {
	bool used;
	uint32_t fid;
	uint32_t uid; /* n_uname at attach */
	enum fid_kind kind;
	struct p9node *node;
	int ofd;
	int oflags;
	uint8_t *xbuf;
	size_t xlen, xsize;
	char *xname;
	int xflags;
};

struct p9server {
	char tag[P9_TAG_MAX + 1];
	bool readonly;
	bool submounts; /* lookups may cross mount points under the root */
	uint32_t msize_max, msize;
	unsigned max_fids, nfids;
	unsigned max_nodes, nnodes; /* nodes hold fds: bounded too */
	size_t cap;		    /* slots, a power of two */
	struct p9fid *slots;
	struct p9node *root;
	struct p9node nodes; /* list head of every live node */
	uint8_t *dirbuf;     /* getdents64 scratch */
	char scratch[P9_STR_MAX + 1];
	char scratch2[P9_STR_MAX + 1];
};

/* --- nodes -------------------------------------------------------------------
 */
static long sys_openat2m(int dirfd, const char *path, uint64_t flags,
			 uint64_t mode, uint64_t resolve)
{
	struct open_how how;

	memset(&how, 0, sizeof(how));
	how.flags = flags;
	how.mode = mode;
	how.resolve = resolve;
	return syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

static long sys_openat2(int dirfd, const char *path, uint64_t flags,
			uint64_t resolve)
{
	return sys_openat2m(dirfd, path, flags, 0, resolve);
}

static int fd_stat(int fd, struct stat *st)
{
	return fstatat(fd, "", st, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
}

static struct p9node *node_new(struct p9server *s, int fd,
			       const struct stat *st, struct p9node *parent,
			       const char *name)
{
	struct p9node *n;

	if (s->nnodes >= s->max_nodes) {
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
	n->submounts = s->submounts;
	n->ino = st->st_ino;
	n->type = st->st_mode & S_IFMT;
	n->parent = parent;
	if (parent)
		parent->refs++;
	n->next = s->nodes.next;
	n->prev = &s->nodes;
	s->nodes.next->prev = n;
	s->nodes.next = n;
	s->nnodes++;
	return n;
}

static void node_put(struct p9server *s, struct p9node *n)
{
	while (n && --n->refs == 0) {
		struct p9node *parent = n->parent;

		n->prev->next = n->next;
		n->next->prev = n->prev;
		close(n->fd);
		free(n->name);
		free(n);
		s->nnodes--;
		n = parent;
	}
}

static void qid_from_stat(const struct p9server *s, const struct stat *st,
			  struct p9_qid *q)
{
	q->type = S_ISDIR(st->st_mode)	 ? P9_QTDIR
		  : S_ISLNK(st->st_mode) ? P9_QTSYMLINK
					 : P9_QTFILE;
	q->version = 0;
	q->path = st->st_ino;
	/* Another filesystem under a share with submounts: keep its
	 * inodes apart from the share's own (the guest's inode numbers). */
	if (s->root && st->st_dev != s->root->dev)
		q->path = (st->st_ino ^ ((uint64_t)st->st_dev << 40)) |
			  (1ULL << 63);
}

/*
 * Look up one element under directory node dir: the only lookup there is.
 * Returns a new node (with a reference) or NULL with errno.
 */
static struct p9node *node_lookup(struct p9server *s, struct p9node *dir,
				  const char *name, struct stat *st)
{
	struct p9node *n;
	long fd;

	if (dir->type != S_IFDIR) {
		errno = ENOTDIR;
		return NULL;
	}
	fd = sys_openat2(dir->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC,
			 p9_resolve(s->submounts));
	if (fd < 0)
		return NULL;
	errno = 0;
	if (fd_stat((int)fd, st) < 0 ||
	    (!s->submounts && st->st_dev != s->root->dev)) {
		int err = errno ? errno : EXDEV;

		close((int)fd);
		errno = err;
		return NULL;
	}
	n = node_new(s, (int)fd, st, dir, name);
	if (!n) {
		int err = errno;

		close((int)fd);
		errno = err;
	}
	return n;
}

/*
 * Open node n for I/O with flags (no O_CREAT): a directory through ".",
 * anything else from its parent and name, and only if that name still
 * names the same inode. Returns an fd or -errno.
 */
static int node_reopen(struct p9node *n, int flags)
{
	struct stat st;
	long fd;

	flags |= O_CLOEXEC | O_NOFOLLOW | O_NOCTTY;
	if (n->type == S_IFDIR)
		fd = sys_openat2(n->fd, ".", (uint64_t)flags | O_DIRECTORY,
				 p9_resolve(n->submounts));
	else if (n->type != S_IFREG)
		return -EPERM; /* no fifo, socket, device is ever opened */
	else if (!n->parent)
		return -ESTALE;
	else
		fd = sys_openat2(n->parent->fd, n->name,
				 (uint64_t)flags | O_NONBLOCK,
				 p9_resolve(n->submounts));
	if (fd < 0)
		return -errno;
	if (fd_stat((int)fd, &st) < 0 || st.st_dev != n->dev ||
	    st.st_ino != n->ino) {
		close((int)fd);
		return -ESTALE;
	}
	if (n->type == S_IFREG) /* drop O_NONBLOCK, keep O_APPEND */
		fcntl((int)fd, F_SETFL, flags & O_APPEND);
	return (int)fd;
}

/* Whether parent/name is still node n (before removing or renaming it by
 * name). Returns 0 or -errno. */
static int node_check_name(const struct p9node *n)
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

/* After renaming olddir/oldname to newdir/newname: every node that was
 * that entry now lives at the new place. */
static int nodes_renamed(struct p9server *s, struct p9node *olddir,
			 const char *oldname, struct p9node *newdir,
			 const char *newname)
{
	struct p9node *n;

	for (n = s->nodes.next; n != &s->nodes; n = n->next) {
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
		node_put(s, n->parent);
		n->parent = newdir;
	}
	return 0;
}

/* --- fids --------------------------------------------------------------------
 */
static size_t fid_hash(uint32_t fid, size_t cap)
{
	return (size_t)(fid * 2654435761u) & (cap - 1);
}

static struct p9fid *fid_get(struct p9server *s, uint32_t fid)
{
	size_t i = fid_hash(fid, s->cap);

	while (s->slots[i].used) {
		if (s->slots[i].fid == fid)
			return &s->slots[i];
		i = (i + 1) & (s->cap - 1);
	}
	return NULL;
}

static int fid_grow(struct p9server *s)
{
	size_t ncap = s->cap * 2, i;
	struct p9fid *ns = calloc(ncap, sizeof(*ns)), *old = s->slots;

	if (!ns)
		return -ENOMEM;
	for (i = 0; i < s->cap; i++) {
		size_t j;

		if (!old[i].used)
			continue;
		j = fid_hash(old[i].fid, ncap);
		while (ns[j].used)
			j = (j + 1) & (ncap - 1);
		ns[j] = old[i];
	}
	s->slots = ns;
	s->cap = ncap;
	free(old);
	return 0;
}

/* A new fid with node n (a reference is taken). Pointers to other fids
 * are invalid afterwards (the table may grow). Returns NULL with *err. */
static struct p9fid *fid_add(struct p9server *s, uint32_t fid, struct p9node *n,
			     uint32_t uid, int *err)
{
	struct p9fid *f;
	size_t i;

	if (fid == P9_NOFID || fid_get(s, fid)) {
		*err = EBADF;
		return NULL;
	}
	if (s->nfids >= s->max_fids) {
		*err = EMFILE;
		return NULL;
	}
	if ((s->nfids + 1) * 2 > s->cap && fid_grow(s) < 0) {
		*err = ENOMEM;
		return NULL;
	}
	i = fid_hash(fid, s->cap);
	while (s->slots[i].used)
		i = (i + 1) & (s->cap - 1);
	f = &s->slots[i];
	memset(f, 0, sizeof(*f));
	f->used = true;
	f->fid = fid;
	f->uid = uid;
	f->kind = FID_PATH;
	f->node = n;
	f->ofd = -1;
	n->refs++;
	s->nfids++;
	return f;
}

/* Drop what an open fid holds (back to a walked fid). */
static void fid_close(struct p9fid *f)
{
	if (f->ofd >= 0)
		close(f->ofd);
	f->ofd = -1;
	free(f->xbuf);
	free(f->xname);
	f->xbuf = NULL;
	f->xname = NULL;
	f->kind = FID_PATH;
}

/* Remove fid f (backward-shift deletion keeps probes intact). */
static void fid_del(struct p9server *s, struct p9fid *f)
{
	size_t i = (size_t)(f - s->slots), j = i, mask = s->cap - 1;

	fid_close(f);
	node_put(s, f->node);
	for (;;) {
		size_t k;

		j = (j + 1) & mask;
		if (!s->slots[j].used)
			break;
		k = fid_hash(s->slots[j].fid, s->cap);
		/* Move j into the hole at i if its home k is not in (i, j]. */
		if ((j > i && (k <= i || k > j)) ||
		    (j < i && k <= i && k > j)) {
			s->slots[i] = s->slots[j];
			i = j;
		}
	}
	memset(&s->slots[i], 0, sizeof(s->slots[i]));
	s->nfids--;
}

static void fid_del_all(struct p9server *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++) {
		struct p9fid *f = &s->slots[i];

		if (!f->used)
			continue;
		fid_close(f);
		node_put(s, f->node);
		memset(f, 0, sizeof(*f));
	}
	s->nfids = 0;
}

/* --- setup -------------------------------------------------------------------
 */
struct p9server *p9server_new(const struct p9server_config *cfg,
			      struct moat_err **e)
{
	struct p9server *s;
	struct stat st;
	int fd;

	if (!cfg->tag || !cfg->tag[0] || strlen(cfg->tag) > P9_TAG_MAX) {
		moat_err_set(e, EINVAL, "9p: tag must be 1 to %d bytes",
			     P9_TAG_MAX);
		return NULL;
	}
	fd = open(cfg->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		moat_err_set(e, errno, "9p share %s", cfg->path);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s)
		s->dirbuf = malloc(DIRBUF_SIZE);
	if (s)
		s->slots = calloc(64, sizeof(*s->slots));
	if (!s || !s->dirbuf || !s->slots) {
		moat_err_set(e, ENOMEM, "9p share %s", cfg->path);
		goto fail;
	}
	s->cap = 64;
	s->nodes.next = s->nodes.prev = &s->nodes;
	snprintf(s->tag, sizeof(s->tag), "%s", cfg->tag);
	s->readonly = cfg->readonly;
	s->submounts = cfg->submounts;
	s->msize_max = cfg->msize ? cfg->msize : P9_DEFAULT_MSIZE;
	if (s->msize_max < P9_MIN_MSIZE)
		s->msize_max = P9_MIN_MSIZE;
	s->msize = s->msize_max;
	s->max_fids = cfg->max_fids ? cfg->max_fids : P9_DEFAULT_MAX_FIDS;
	/* Each fid's node and its ancestors: room for deep trees, but a
	 * bound on the fds a guest can make the server hold. */
	s->max_nodes = 4 * s->max_fids + 16;
	if (fd_stat(fd, &st) < 0) {
		moat_err_set(e, errno, "9p share %s", cfg->path);
		goto fail;
	}
	s->root = node_new(s, fd, &st, NULL, NULL);
	if (!s->root) {
		moat_err_set(e, ENOMEM, "9p share %s", cfg->path);
		goto fail;
	}
	return s;
fail:
	close(fd);
	if (s) {
		free(s->dirbuf);
		free(s->slots);
		free(s);
	}
	return NULL;
}

void p9server_free(struct p9server *s)
{
	if (!s)
		return;
	fid_del_all(s);
	node_put(s, s->root);
	free(s->slots);
	free(s->dirbuf);
	free(s);
}

const char *p9server_tag(const struct p9server *s)
{
	return s->tag;
}

uint32_t p9server_msize(const struct p9server *s)
{
	return s->msize;
}

/* --- operations --------------------------------------------------------------
 * Each returns 0 with the reply written to w, or a positive errno.
 */
#define NEED_FID(f, s, id)                \
	do {                              \
		(f) = fid_get((s), (id)); \
		if (!(f))                 \
			return EBADF;     \
	} while (0)

/* A name view as a C string in one of the server's scratch buffers. */
static const char *cname(char *buf, const struct p9_str *n)
{
	if (!p9_str_copy(buf, P9_STR_MAX + 1, n))
		return NULL;
	return buf;
}

/*
 * Finish a file the guest just created as dir/name: give it the exact mode
 * asked for (the server's umask must not apply: the guest applied its own),
 * and to the attached user and the requested group when the server may
 * (passthrough; an unprivileged server leaves its own). The file is reached
 * by the same non-following lookup as a walk. mode < 0: leave the mode (a
 * symlink). Fills st. Returns 0 or an errno.
 */
static int fix_new(int dirfd, const char *name, int mode, uint32_t uid,
		   uint32_t gid, struct stat *st)
{
	long fd = sys_openat2(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC,
			      p9_resolve(false));

	if (fd < 0)
		return errno;
	if (fchownat((int)fd, "", uid, gid,
		     AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
		/* not permitted: the file stays the server's */
	}
	if (mode >= 0)
		syscall(SYS_fchmodat2, (int)fd, "", (mode_t)mode,
			AT_EMPTY_PATH);
	if (fd_stat((int)fd, st) < 0) {
		int err = errno;

		close((int)fd);
		return err;
	}
	close((int)fd);
	return 0;
}

static int op_version(struct p9server *s, const struct p9_tmsg *m,
		      struct p9_w *w)
{
	uint32_t msize = m->u.version.msize;
	const struct p9_str *v = &m->u.version.version;
	bool ok = v->len == 8 && !memcmp(v->s, "9P2000.L", 8);

	if (msize < P9_MIN_MSIZE)
		return EINVAL;
	fid_del_all(s);
	s->msize = msize < s->msize_max ? msize : s->msize_max;
	p9_put_u32(w, s->msize);
	p9_put_cstr(w, ok ? "9P2000.L" : "unknown");
	return 0;
}

static int op_attach(struct p9server *s, const struct p9_tmsg *m,
		     struct p9_w *w)
{
	struct p9_qid q;
	struct stat st;
	int err;

	if (m->u.attach.afid != P9_NOFID)
		return EINVAL;
	if (fd_stat(s->root->fd, &st) < 0)
		return errno;
	if (!fid_add(s, m->u.attach.fid, s->root, m->u.attach.n_uname, &err))
		return err;
	qid_from_stat(s, &st, &q);
	p9_put_qid(w, &q);
	return 0;
}

static int op_walk(struct p9server *s, const struct p9_tmsg *m, struct p9_w *w)
{
	struct p9node *n, *next;
	struct p9fid *f;
	struct p9_qid qids[P9_MAXWELEM];
	uint32_t uid;
	unsigned i;
	int err = 0;

	NEED_FID(f, s, m->u.walk.fid);
	/* An opened fid may be cloned or walked from, not walked itself. */
	if (f->kind != FID_PATH && m->u.walk.newfid == m->u.walk.fid)
		return EBADF;
	if (m->u.walk.newfid != m->u.walk.fid && fid_get(s, m->u.walk.newfid))
		return EBADF;
	uid = f->uid;
	n = f->node;
	n->refs++;
	for (i = 0; i < m->u.walk.nwname; i++) {
		const char *name = cname(s->scratch, &m->u.walk.wname[i]);
		struct stat st;

		next = name ? node_lookup(s, n, name, &st) : NULL;
		if (!next) {
			err = name ? errno : EINVAL;
			break;
		}
		qid_from_stat(s, &st, &qids[i]);
		node_put(s, n);
		n = next;
	}
	if (i < m->u.walk.nwname) {
		node_put(s, n);
		if (i == 0)
			return err;
		/* A partial walk: the qids so far, newfid untouched. */
		p9_put_u16(w, (uint16_t)i);
		for (unsigned k = 0; k < i; k++)
			p9_put_qid(w, &qids[k]);
		return 0;
	}
	if (m->u.walk.newfid == m->u.walk.fid) {
		node_put(s, f->node);
		f->node = n;
	} else {
		f = fid_add(s, m->u.walk.newfid, n, uid, &err);
		node_put(s, n);
		if (!f)
			return err;
	}
	p9_put_u16(w, m->u.walk.nwname);
	for (i = 0; i < m->u.walk.nwname; i++)
		p9_put_qid(w, &qids[i]);
	return 0;
}

/* Translate Tlopen/Tlcreate flags; only what a server should honour. */
static int open_flags(uint32_t f)
{
	int o = 0;

	switch (f & P9_DOTL_ACCMODE) {
	case P9_DOTL_RDONLY:
		o = O_RDONLY;
		break;
	case P9_DOTL_WRONLY:
		o = O_WRONLY;
		break;
	case P9_DOTL_RDWR:
		o = O_RDWR;
		break;
	default:
		return -1;
	}
	if (f & P9_DOTL_TRUNC)
		o |= O_TRUNC;
	if (f & P9_DOTL_APPEND)
		o |= O_APPEND;
	if (f & P9_DOTL_DSYNC)
		o |= O_DSYNC;
	if (f & P9_DOTL_SYNC)
		o |= O_SYNC;
	return o;
}

static bool wants_write(int o)
{
	return (o & O_ACCMODE) != O_RDONLY || (o & O_TRUNC);
}

static void put_open_reply(const struct p9server *s, struct p9_w *w, int fd)
{
	struct p9_qid q;
	struct stat st;

	if (fd_stat(fd, &st) < 0)
		memset(&st, 0, sizeof(st));
	qid_from_stat(s, &st, &q);
	p9_put_qid(w, &q);
	p9_put_u32(w, 0); /* iounit: the client uses msize - 24 */
}

static int op_lopen(struct p9server *s, const struct p9_tmsg *m, struct p9_w *w)
{
	struct p9fid *f;
	int o, fd;

	NEED_FID(f, s, m->u.lopen.fid);
	if (f->kind != FID_PATH)
		return EBADF;
	o = open_flags(m->u.lopen.flags);
	if (o < 0)
		return EINVAL;
	if (s->readonly && wants_write(o))
		return EROFS;
	if (f->node->type == S_IFDIR && (o & O_ACCMODE) != O_RDONLY)
		return EISDIR;
	fd = node_reopen(f->node, o);
	if (fd < 0)
		return -fd;
	f->ofd = fd;
	f->oflags = o;
	f->kind = FID_OPEN;
	put_open_reply(s, w, fd);
	return 0;
}

static int op_lcreate(struct p9server *s, const struct p9_tmsg *m,
		      struct p9_w *w)
{
	const char *name = cname(s->scratch, &m->u.lcreate.name);
	struct p9node *n;
	struct p9fid *f;
	struct stat st;
	long fd, pfd;
	int o, base;

	NEED_FID(f, s, m->u.lcreate.fid);
	if (f->kind != FID_PATH)
		return EBADF;
	if (f->node->type != S_IFDIR)
		return ENOTDIR;
	if (s->readonly)
		return EROFS;
	o = open_flags(m->u.lcreate.flags);
	if (o < 0 || !name)
		return EINVAL;
	base = O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	/* Create it (O_EXCL, so that the mode is set only on a new file);
	 * open an existing one only if the guest did not ask for O_EXCL. A
	 * symlink in the way is never followed (ELOOP). */
	fd = sys_openat2m(f->node->fd, name,
			  (uint64_t)(o | base | O_CREAT | O_EXCL),
			  m->u.lcreate.mode & 07777, p9_resolve(s->submounts));
	if (fd >= 0) {
		/* New: through its own fd, the owner then the exact mode
		 * (see fix_new; chown would clear set-id bits). */
		if (fchown((int)fd, f->uid, m->u.lcreate.gid) < 0) {
			/* not permitted: the file stays the server's */
		}
		if (fchmod((int)fd, m->u.lcreate.mode & 07777) < 0) {
			int err = errno;

			close((int)fd);
			return err;
		}
	} else if (errno == EEXIST && !(m->u.lcreate.flags & P9_DOTL_EXCL)) {
		/* An existing file: opened only if it is a regular file
		 * (no fifo, socket or device is ever opened), by the same
		 * rules as Tlopen. */
		struct stat est;

		pfd = sys_openat2(f->node->fd, name,
				  O_PATH | O_NOFOLLOW | O_CLOEXEC,
				  p9_resolve(s->submounts));
		if (pfd < 0)
			return errno;
		if (fd_stat((int)pfd, &est) < 0 || !S_ISREG(est.st_mode)) {
			close((int)pfd);
			return S_ISDIR(est.st_mode) ? EISDIR : EPERM;
		}
		close((int)pfd);
		fd = sys_openat2(f->node->fd, name, (uint64_t)(o | base),
				 p9_resolve(s->submounts));
		if (fd < 0)
			return errno;
	} else {
		return errno;
	}
	fcntl((int)fd, F_SETFL, o & O_APPEND); /* drop O_NONBLOCK */
	/* The node's own O_PATH fd, by the same lookup, checked to be the
	 * file just opened. */
	pfd = sys_openat2(f->node->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC,
			  p9_resolve(s->submounts));
	if (pfd < 0 || fd_stat((int)fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		int err = pfd < 0 ? errno : EINVAL;

		if (pfd >= 0)
			close((int)pfd);
		close((int)fd);
		return err;
	}
	{
		struct stat pst;

		if (fd_stat((int)pfd, &pst) < 0 || pst.st_ino != st.st_ino ||
		    pst.st_dev != st.st_dev) {
			close((int)pfd);
			close((int)fd);
			return ESTALE;
		}
	}
	n = node_new(s, (int)pfd, &st, f->node, name);
	if (!n) {
		int err = errno;

		close((int)pfd);
		close((int)fd);
		return err;
	}
	node_put(s, f->node);
	f->node = n;
	f->ofd = (int)fd;
	f->oflags = o;
	f->kind = FID_OPEN;
	put_open_reply(s, w, (int)fd);
	return 0;
}

static int op_read(struct p9server *s, const struct p9_tmsg *m, struct p9_w *w)
{
	uint32_t count = m->u.read.count;
	size_t room = w->cap - w->len;
	struct p9fid *f;
	uint8_t *data;
	ssize_t r;

	NEED_FID(f, s, m->u.read.fid);
	if (room < 4)
		return ENOBUFS;
	room -= 4;
	if (s->msize - P9_IOHDR_SIZE < room)
		room = s->msize - P9_IOHDR_SIZE;
	if (count > room)
		count = (uint32_t)room;
	if (f->kind == FID_XATTR_READ) {
		uint64_t off = m->u.read.offset;

		if (off > f->xlen)
			count = 0;
		else if (count > f->xlen - off)
			count = (uint32_t)(f->xlen - off);
		p9_put_u32(w, count);
		if (count)
			p9_put_bytes(w, f->xbuf + off, count);
		return 0;
	}
	if (f->kind != FID_OPEN || (f->oflags & O_ACCMODE) == O_WRONLY)
		return EBADF;
	if (f->node->type == S_IFDIR)
		return EISDIR;
	if (m->u.read.offset > INT64_MAX)
		return EINVAL;
	p9_put_u32(w, 0);
	data = p9_w_reserve(w, count);
	if (!data)
		return ENOBUFS;
	r = pread(f->ofd, data, count, (off_t)m->u.read.offset);
	if (r < 0)
		return errno; /* the reply becomes an Rlerror */
	p9_w_unreserve(w, count - (size_t)r);
	p9_w_patch_u32(w, P9_HDR_SIZE, (uint32_t)r);
	return 0;
}

static int op_write(struct p9server *s, const struct p9_tmsg *m, struct p9_w *w)
{
	struct p9fid *f;
	ssize_t r;

	NEED_FID(f, s, m->u.write.fid);
	if (f->kind == FID_XATTR_WRITE) {
		uint64_t off = m->u.write.offset, cnt = m->u.write.count;

		if (off > f->xsize || cnt > f->xsize - off)
			return ENOSPC;
		if (cnt)
			memcpy(f->xbuf + off, m->u.write.data, cnt);
		if (off + cnt > f->xlen)
			f->xlen = off + cnt;
		p9_put_u32(w, (uint32_t)cnt);
		return 0;
	}
	if (f->kind != FID_OPEN || (f->oflags & O_ACCMODE) == O_RDONLY)
		return EBADF;
	if (s->readonly)
		return EROFS;
	if (m->u.write.offset > INT64_MAX)
		return EINVAL;
	r = pwrite(f->ofd, m->u.write.data, m->u.write.count,
		   (off_t)m->u.write.offset);
	if (r < 0)
		return errno;
	p9_put_u32(w, (uint32_t)r);
	return 0;
}

static int op_clunk(struct p9server *s, const struct p9_tmsg *m, struct p9_w *w)
{
	struct p9fid *f;
	int err = 0;

	NEED_FID(f, s, m->u.fid.fid);
	if (f->kind == FID_XATTR_WRITE) {
		/* Commit the attribute now that all of it was written. */
		int fd = node_reopen(f->node, O_RDONLY);

		if (fd < 0)
			err = -fd;
		else if (f->xsize == 0 && fremovexattr(fd, f->xname) < 0)
			err = errno;
		else if (f->xsize && f->xlen != f->xsize)
			err = EINVAL;
		else if (f->xsize && fsetxattr(fd, f->xname, f->xbuf, f->xsize,
					       f->xflags) < 0)
			err = errno;
		if (fd >= 0)
			close(fd);
	}
	fid_del(s, f);
	return err;
}

static int op_remove(struct p9server *s, const struct p9_tmsg *m,
		     struct p9_w *w)
{
	struct p9fid *f;
	struct p9node *n;
	int err;

	NEED_FID(f, s, m->u.fid.fid);
	n = f->node;
	if (s->readonly)
		err = EROFS;
	else if ((err = -node_check_name(n)) == 0 &&
		 unlinkat(n->parent->fd, n->name,
			  n->type == S_IFDIR ? AT_REMOVEDIR : 0) < 0)
		err = errno;
	/* The fid is clunked whether or not the remove worked. */
	fid_del(s, f);
	return err;
}

static uint8_t dtype_qid(unsigned char t)
{
	return t == DT_DIR ? P9_QTDIR : t == DT_LNK ? P9_QTSYMLINK : P9_QTFILE;
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int op_readdir(struct p9server *s, const struct p9_tmsg *m,
		      struct p9_w *w)
{
	uint32_t count = m->u.read.count;
	size_t room = w->cap - w->len, start;
	struct p9fid *f;
	bool full = false;

	NEED_FID(f, s, m->u.read.fid);
	if (f->kind != FID_OPEN || f->node->type != S_IFDIR)
		return EBADF;
	if (room < 4)
		return ENOBUFS;
	room -= 4;
	if (s->msize - P9_IOHDR_SIZE < room)
		room = s->msize - P9_IOHDR_SIZE;
	if (count > room)
		count = (uint32_t)room;
	if (m->u.read.offset > INT64_MAX)
		return EINVAL;
	if (lseek(f->ofd, (off_t)m->u.read.offset, SEEK_SET) < 0)
		return errno;
	p9_put_u32(w, 0);
	start = w->len;
	while (!full) {
		size_t bufsz = count < DIRBUF_SIZE ? count : DIRBUF_SIZE;
		long nread, pos;

		if (bufsz < 512)
			bufsz = 512;
		nread = syscall(SYS_getdents64, f->ofd, s->dirbuf, bufsz);
		if (nread < 0) {
			if (w->len == start)
				return errno;
			break;
		}
		if (nread == 0)
			break;
		for (pos = 0; pos < nread;) {
			struct linux_dirent64 *d =
				(struct linux_dirent64 *)(s->dirbuf + pos);
			size_t nlen = strlen(d->d_name);
			struct p9_qid q;

			pos += d->d_reclen;
			if (w->len - start + p9_dirent_size(nlen) > count) {
				full = true;
				break;
			}
			q.type = dtype_qid(d->d_type);
			q.version = 0;
			q.path = d->d_ino;
			/* The root's ".." is outside the share: show the
			 * root itself. */
			if (f->node == s->root && !strcmp(d->d_name, ".."))
				q.path = s->root->ino;
			p9_put_qid(w, &q);
			p9_put_u64(w, (uint64_t)d->d_off);
			p9_put_u8(w, d->d_type);
			p9_put_str(w, d->d_name, nlen);
		}
	}
	p9_w_patch_u32(w, P9_HDR_SIZE, (uint32_t)(w->len - start));
	return 0;
}

static int op_getattr(struct p9server *s, const struct p9_tmsg *m,
		      struct p9_w *w)
{
	struct p9fid *f;
	struct p9_qid q;
	struct stat st;

	NEED_FID(f, s, m->u.getattr.fid);
	if (fd_stat(f->node->fd, &st) < 0)
		return errno;
	qid_from_stat(s, &st, &q);
	p9_put_u64(w, P9_GETATTR_BASIC);
	p9_put_qid(w, &q);
	p9_put_u32(w, st.st_mode);
	p9_put_u32(w, st.st_uid);
	p9_put_u32(w, st.st_gid);
	p9_put_u64(w, st.st_nlink);
	p9_put_u64(w, st.st_rdev);
	p9_put_u64(w, (uint64_t)st.st_size);
	p9_put_u64(w, (uint64_t)st.st_blksize);
	p9_put_u64(w, (uint64_t)st.st_blocks);
	p9_put_u64(w, (uint64_t)st.st_atim.tv_sec);
	p9_put_u64(w, (uint64_t)st.st_atim.tv_nsec);
	p9_put_u64(w, (uint64_t)st.st_mtim.tv_sec);
	p9_put_u64(w, (uint64_t)st.st_mtim.tv_nsec);
	p9_put_u64(w, (uint64_t)st.st_ctim.tv_sec);
	p9_put_u64(w, (uint64_t)st.st_ctim.tv_nsec);
	p9_put_u64(w, 0); /* btime */
	p9_put_u64(w, 0);
	p9_put_u64(w, 0); /* gen */
	p9_put_u64(w, 0); /* data_version */
	return 0;
}

static int chmod_node(struct p9node *n, mode_t mode)
{
	int fd;

	if (syscall(SYS_fchmodat2, n->fd, "", mode, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != ENOSYS && errno != EINVAL)
		return errno;
	/* Before Linux 6.6: through an fd of the file itself. */
	fd = node_reopen(n, O_RDONLY);
	if (fd < 0)
		return fd == -EPERM ? EOPNOTSUPP : -fd;
	if (fchmod(fd, mode) < 0) {
		int err = errno;

		close(fd);
		return err;
	}
	close(fd);
	return 0;
}

static int op_setattr(struct p9server *s, const struct p9_tmsg *m,
		      struct p9_w *w)
{
	uint32_t v = m->u.setattr.valid;
	struct p9fid *f;
	struct p9node *n;
	int err;

	NEED_FID(f, s, m->u.setattr.fid);
	n = f->node;
	if (s->readonly)
		return EROFS;
	if (v & P9_SETATTR_MODE) {
		err = chmod_node(n, m->u.setattr.mode & 07777);
		if (err)
			return err;
	}
	if (v & (P9_SETATTR_UID | P9_SETATTR_GID)) {
		uid_t uid = v & P9_SETATTR_UID ? m->u.setattr.uid : (uid_t)-1;
		gid_t gid = v & P9_SETATTR_GID ? m->u.setattr.gid : (gid_t)-1;

		if (fchownat(n->fd, "", uid, gid,
			     AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			return errno;
	}
	if (v & P9_SETATTR_SIZE) {
		int fd;

		if (m->u.setattr.size > INT64_MAX)
			return EFBIG;
		if (n->type != S_IFREG)
			return n->type == S_IFDIR ? EISDIR : EINVAL;
		if (f->kind == FID_OPEN && (f->oflags & O_ACCMODE) != O_RDONLY)
			fd = dup(f->ofd);
		else
			fd = node_reopen(n, O_WRONLY);
		if (fd < 0)
			return fd == -1 ? errno : -fd;
		if (ftruncate(fd, (off_t)m->u.setattr.size) < 0) {
			err = errno;
			close(fd);
			return err;
		}
		close(fd);
	}
	if (v & (P9_SETATTR_ATIME | P9_SETATTR_MTIME)) {
		struct timespec ts[2];

		ts[0].tv_sec = (time_t)m->u.setattr.atime_sec;
		ts[0].tv_nsec = (long)m->u.setattr.atime_nsec;
		ts[1].tv_sec = (time_t)m->u.setattr.mtime_sec;
		ts[1].tv_nsec = (long)m->u.setattr.mtime_nsec;
		if (!(v & P9_SETATTR_ATIME))
			ts[0].tv_nsec = UTIME_OMIT;
		else if (!(v & P9_SETATTR_ATIME_SET))
			ts[0].tv_nsec = UTIME_NOW;
		if (!(v & P9_SETATTR_MTIME))
			ts[1].tv_nsec = UTIME_OMIT;
		else if (!(v & P9_SETATTR_MTIME_SET))
			ts[1].tv_nsec = UTIME_NOW;
		if (utimensat(n->fd, "", ts,
			      AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			return errno;
	}
	return 0;
}

/* Reply with the qid of dir/name just made, after fix_new(). */
static int made(const struct p9server *s, struct p9fid *dir, const char *name,
		int mode, uint32_t gid, struct p9_w *w)
{
	struct p9_qid q;
	struct stat st;
	int err = fix_new(dir->node->fd, name, mode, dir->uid, gid, &st);

	if (err)
		return err;
	qid_from_stat(s, &st, &q);
	p9_put_qid(w, &q);
	return 0;
}

/* The directory fid of a create-like request. */
static int dir_fid(struct p9server *s, uint32_t id, struct p9fid **out)
{
	struct p9fid *f = fid_get(s, id);

	if (!f)
		return EBADF;
	if (f->node->type != S_IFDIR)
		return ENOTDIR;
	if (s->readonly)
		return EROFS;
	*out = f;
	return 0;
}

static int op_mkdir(struct p9server *s, const struct p9_tmsg *m, struct p9_w *w)
{
	const char *name = cname(s->scratch, &m->u.mkdir.name);
	struct p9fid *d;
	int err = dir_fid(s, m->u.mkdir.dfid, &d);

	if (err)
		return err;
	if (!name)
		return EINVAL;
	if (mkdirat(d->node->fd, name, m->u.mkdir.mode & 07777) < 0)
		return errno;
	return made(s, d, name, (int)(m->u.mkdir.mode & 07777), m->u.mkdir.gid,
		    w);
}

static int op_symlink(struct p9server *s, const struct p9_tmsg *m,
		      struct p9_w *w)
{
	const char *name = cname(s->scratch, &m->u.symlink.name);
	const char *target = cname(s->scratch2, &m->u.symlink.target);
	struct p9fid *d;
	int err = dir_fid(s, m->u.symlink.fid, &d);

	if (err)
		return err;
	if (!name || !target || !target[0])
		return EINVAL;
	/* The target is stored, never resolved by the server. */
	if (symlinkat(target, d->node->fd, name) < 0)
		return errno;
	return made(s, d, name, -1, m->u.symlink.gid, w);
}

static int op_mknod(struct p9server *s, const struct p9_tmsg *m, struct p9_w *w)
{
	const char *name = cname(s->scratch, &m->u.mknod.name);
	mode_t mode = m->u.mknod.mode;
	struct p9fid *d;
	int err = dir_fid(s, m->u.mknod.dfid, &d);

	if (err)
		return err;
	if (!name)
		return EINVAL;
	switch (mode & S_IFMT) {
	case S_IFIFO:
	case S_IFSOCK:
	case S_IFREG:
		break;
	case S_IFCHR:
	case S_IFBLK:
		return EPERM; /* no device nodes: see p9server.h */
	default:
		return EINVAL;
	}
	if (mknodat(d->node->fd, name, (mode & S_IFMT) | (mode & 07777), 0) < 0)
		return errno;
	return made(s, d, name, (int)(mode & 07777), m->u.mknod.gid, w);
}

static int op_readlink(struct p9server *s, const struct p9_tmsg *m,
		       struct p9_w *w)
{
	struct p9fid *f;
	ssize_t r;

	NEED_FID(f, s, m->u.fid.fid);
	if (f->node->type != S_IFLNK)
		return EINVAL;
	r = readlinkat(f->node->fd, "", s->scratch, P9_STR_MAX);
	if (r < 0)
		return errno;
	p9_put_str(w, s->scratch, (size_t)r);
	return 0;
}

static int op_link(struct p9server *s, const struct p9_tmsg *m, struct p9_w *w)
{
	const char *name = cname(s->scratch, &m->u.link.name);
	struct p9fid *d, *f;
	struct p9node *n;
	int err = dir_fid(s, m->u.link.dfid, &d);

	if (err)
		return err;
	NEED_FID(f, s, m->u.link.fid);
	n = f->node;
	if (!name)
		return EINVAL;
	if (n->type == S_IFDIR)
		return EPERM;
	/* By the name the file has inside the share, never following a
	 * symlink (flags 0): the new link is to what the fid is. */
	err = -node_check_name(n);
	if (err)
		return err;
	if (linkat(n->parent->fd, n->name, d->node->fd, name, 0) < 0)
		return errno;
	return 0;
}

static int op_renameat(struct p9server *s, const struct p9_tmsg *m,
		       struct p9_w *w)
{
	const char *oldname = cname(s->scratch, &m->u.renameat.oldname);
	const char *newname = cname(s->scratch2, &m->u.renameat.newname);
	struct p9fid *od, *nd;
	int err = dir_fid(s, m->u.renameat.olddfid, &od);

	if (!err)
		err = dir_fid(s, m->u.renameat.newdfid, &nd);
	if (err)
		return err;
	if (!oldname || !newname)
		return EINVAL;
	if (renameat(od->node->fd, oldname, nd->node->fd, newname) < 0)
		return errno;
	return nodes_renamed(s, od->node, oldname, nd->node, newname) ? ENOMEM
								      : 0;
}

static int op_rename(struct p9server *s, const struct p9_tmsg *m,
		     struct p9_w *w)
{
	const char *newname = cname(s->scratch, &m->u.rename.name);
	struct p9fid *f, *d;
	struct p9node *n, *olddir;
	int err = dir_fid(s, m->u.rename.dfid, &d);

	if (err)
		return err;
	NEED_FID(f, s, m->u.rename.fid);
	n = f->node;
	if (!newname)
		return EINVAL;
	err = -node_check_name(n);
	if (err)
		return err;
	if (renameat(n->parent->fd, n->name, d->node->fd, newname) < 0)
		return errno;
	olddir = n->parent;
	olddir->refs++;
	snprintf(s->scratch2, sizeof(s->scratch2), "%s", n->name);
	err = nodes_renamed(s, olddir, s->scratch2, d->node, newname);
	node_put(s, olddir);
	return err ? ENOMEM : 0;
}

static int op_unlinkat(struct p9server *s, const struct p9_tmsg *m,
		       struct p9_w *w)
{
	const char *name = cname(s->scratch, &m->u.unlinkat.name);
	struct p9fid *d;
	int err = dir_fid(s, m->u.unlinkat.dfid, &d);

	if (err)
		return err;
	if (!name)
		return EINVAL;
	if (unlinkat(d->node->fd, name,
		     m->u.unlinkat.flags & P9_AT_REMOVEDIR ? AT_REMOVEDIR : 0) <
	    0)
		return errno;
	return 0;
}

static int op_statfs(struct p9server *s, const struct p9_tmsg *m,
		     struct p9_w *w)
{
	struct p9fid *f;
	struct statfs st;
	uint64_t fsid;

	NEED_FID(f, s, m->u.fid.fid);
	if (fstatfs(f->node->fd, &st) < 0)
		return errno;
	memcpy(&fsid, &st.f_fsid, sizeof(fsid));
	p9_put_u32(w, (uint32_t)st.f_type);
	p9_put_u32(w, (uint32_t)st.f_bsize);
	p9_put_u64(w, st.f_blocks);
	p9_put_u64(w, st.f_bfree);
	p9_put_u64(w, st.f_bavail);
	p9_put_u64(w, st.f_files);
	p9_put_u64(w, st.f_ffree);
	p9_put_u64(w, fsid);
	p9_put_u32(w, (uint32_t)st.f_namelen);
	return 0;
}

static int op_fsync(struct p9server *s, const struct p9_tmsg *m, struct p9_w *w)
{
	struct p9fid *f;

	NEED_FID(f, s, m->u.fsync.fid);
	if (f->kind != FID_OPEN)
		return EBADF;
	if ((m->u.fsync.datasync ? fdatasync(f->ofd) : fsync(f->ofd)) < 0)
		return errno;
	return 0;
}

/* trusted.* attributes are read by privileged host code (overlayfs);
 * the guest may neither see nor set them. */
static bool xattr_name_ok(const char *name)
{
	return strncmp(name, "trusted.", 8) != 0;
}

static int op_xattrwalk(struct p9server *s, const struct p9_tmsg *m,
			struct p9_w *w)
{
	const char *name = cname(s->scratch, &m->u.xattrwalk.name);
	struct p9fid *f, *nf;
	uint32_t newfid = m->u.xattrwalk.newfid;
	uint8_t *buf;
	ssize_t len;
	int fd, err;

	NEED_FID(f, s, m->u.xattrwalk.fid);
	if (!name)
		return EINVAL;
	if (name[0] && !xattr_name_ok(name))
		return ENODATA;
	if (newfid == m->u.xattrwalk.fid || fid_get(s, newfid))
		return EBADF;
	fd = node_reopen(f->node, O_RDONLY);
	if (fd < 0)
		return fd == -EPERM ? EOPNOTSUPP : -fd;
	buf = malloc(P9_XATTR_MAX);
	if (!buf) {
		close(fd);
		return ENOMEM;
	}
	if (name[0])
		len = fgetxattr(fd, name, buf, P9_XATTR_MAX);
	else
		len = flistxattr(fd, (char *)buf, P9_XATTR_MAX);
	err = errno;
	close(fd);
	if (len < 0) {
		free(buf);
		return err == ERANGE ? E2BIG : err;
	}
	if (!name[0]) { /* drop trusted.* from the list */
		ssize_t i = 0, o = 0;

		while (i < len) {
			size_t l = strnlen((char *)buf + i, (size_t)(len - i));

			if (xattr_name_ok((char *)buf + i)) {
				memmove(buf + o, buf + i, l + 1);
				o += (ssize_t)l + 1;
			}
			i += (ssize_t)l + 1;
		}
		len = o;
	}
	nf = fid_add(s, newfid, f->node, f->uid, &err);
	if (!nf) {
		free(buf);
		return err;
	}
	nf->kind = FID_XATTR_READ;
	nf->xbuf = buf;
	nf->xlen = (size_t)len;
	p9_put_u64(w, (uint64_t)len);
	return 0;
}

static int op_xattrcreate(struct p9server *s, const struct p9_tmsg *m,
			  struct p9_w *w)
{
	const char *name = cname(s->scratch, &m->u.xattrcreate.name);
	struct p9fid *f;

	NEED_FID(f, s, m->u.xattrcreate.fid);
	if (f->kind != FID_PATH)
		return EBADF;
	if (s->readonly)
		return EROFS;
	if (!name)
		return EINVAL;
	if (!xattr_name_ok(name))
		return EPERM;
	if (m->u.xattrcreate.size > P9_XATTR_MAX)
		return E2BIG;
	if (m->u.xattrcreate.flags & ~(uint32_t)(XATTR_CREATE | XATTR_REPLACE))
		return EINVAL;
	if (f->node->type != S_IFREG && f->node->type != S_IFDIR)
		return EOPNOTSUPP;
	f->xname = strdup(name);
	f->xbuf = malloc(m->u.xattrcreate.size ? m->u.xattrcreate.size : 1);
	if (!f->xname || !f->xbuf) {
		fid_close(f);
		return ENOMEM;
	}
	f->xsize = m->u.xattrcreate.size;
	f->xlen = 0;
	f->xflags = (int)m->u.xattrcreate.flags;
	f->kind = FID_XATTR_WRITE;
	return 0;
}

static int lock_range(const struct p9_tmsg *m, struct flock *fl)
{
	memset(fl, 0, sizeof(*fl));
	switch (m->u.lock.type) {
	case P9_LOCK_TYPE_RDLCK:
		fl->l_type = F_RDLCK;
		break;
	case P9_LOCK_TYPE_WRLCK:
		fl->l_type = F_WRLCK;
		break;
	case P9_LOCK_TYPE_UNLCK:
		fl->l_type = F_UNLCK;
		break;
	default:
		return EINVAL;
	}
	if (m->u.lock.start > INT64_MAX || m->u.lock.length > INT64_MAX ||
	    m->u.lock.length > INT64_MAX - m->u.lock.start)
		return EINVAL;
	fl->l_whence = SEEK_SET;
	fl->l_start = (off_t)m->u.lock.start;
	fl->l_len = (off_t)m->u.lock.length;
	return 0;
}

/* Locks are open-file-description locks on the fid's fd: per fid, as the
 * client's locks are per open file, and never blocking the server (a
 * conflict answers BLOCKED and the client retries). */
static int op_lock(struct p9server *s, const struct p9_tmsg *m, struct p9_w *w)
{
	struct p9fid *f;
	struct flock fl;
	uint8_t status = P9_LOCK_SUCCESS;
	int err;

	NEED_FID(f, s, m->u.lock.fid);
	if (f->kind != FID_OPEN)
		return EBADF;
	err = lock_range(m, &fl);
	if (err)
		return err;
	if (fcntl(f->ofd, F_OFD_SETLK, &fl) < 0)
		status = errno == EAGAIN || errno == EACCES ? P9_LOCK_BLOCKED
							    : P9_LOCK_ERROR;
	p9_put_u8(w, status);
	return 0;
}

static int op_getlock(struct p9server *s, const struct p9_tmsg *m,
		      struct p9_w *w)
{
	struct p9fid *f;
	struct flock fl;
	int err;

	NEED_FID(f, s, m->u.lock.fid);
	if (f->kind != FID_OPEN)
		return EBADF;
	err = lock_range(m, &fl);
	if (err)
		return err;
	if (fcntl(f->ofd, F_OFD_GETLK, &fl) < 0)
		return errno;
	p9_put_u8(w, fl.l_type == F_RDLCK   ? P9_LOCK_TYPE_RDLCK
		     : fl.l_type == F_WRLCK ? P9_LOCK_TYPE_WRLCK
					    : P9_LOCK_TYPE_UNLCK);
	p9_put_u64(w, (uint64_t)fl.l_start);
	p9_put_u64(w, (uint64_t)fl.l_len);
	/* The holder is another open file, not a guest process. */
	p9_put_u32(w, fl.l_type == F_UNLCK ? m->u.lock.proc_id : 0);
	p9_put_str(w, m->u.lock.client_id.s, m->u.lock.client_id.len);
	return 0;
}

/* --- dispatch ----------------------------------------------------------------
 */
int p9_handle(struct p9server *s, const uint8_t *req, size_t req_len,
	      uint8_t *resp, size_t resp_cap)
{
	struct p9_tmsg m;
	struct p9_w w;
	int r, err;

	if (resp_cap < P9_HDR_SIZE + 4)
		return -1;
	r = p9_decode(req, req_len, s->msize, &m);
	if (r < 0)
		return p9_enc_rlerror(resp, resp_cap, m.tag,
				      (uint32_t)p9_decode_errno(r));
	p9_w_init(&w, resp, resp_cap < s->msize ? resp_cap : s->msize,
		  (uint8_t)(m.type + 1), m.tag);
	switch (m.type) {
	case P9_TVERSION:
		err = op_version(s, &m, &w);
		break;
	case P9_TAUTH:
		err = EOPNOTSUPP;
		break;
	case P9_TATTACH:
		err = op_attach(s, &m, &w);
		break;
	case P9_TFLUSH:
		err = 0; /* requests are answered in order: nothing pends */
		break;
	case P9_TWALK:
		err = op_walk(s, &m, &w);
		break;
	case P9_TLOPEN:
		err = op_lopen(s, &m, &w);
		break;
	case P9_TLCREATE:
		err = op_lcreate(s, &m, &w);
		break;
	case P9_TREAD:
		err = op_read(s, &m, &w);
		break;
	case P9_TWRITE:
		err = op_write(s, &m, &w);
		break;
	case P9_TCLUNK:
		err = op_clunk(s, &m, &w);
		break;
	case P9_TREMOVE:
		err = op_remove(s, &m, &w);
		break;
	case P9_TREADDIR:
		err = op_readdir(s, &m, &w);
		break;
	case P9_TGETATTR:
		err = op_getattr(s, &m, &w);
		break;
	case P9_TSETATTR:
		err = op_setattr(s, &m, &w);
		break;
	case P9_TMKDIR:
		err = op_mkdir(s, &m, &w);
		break;
	case P9_TSYMLINK:
		err = op_symlink(s, &m, &w);
		break;
	case P9_TMKNOD:
		err = op_mknod(s, &m, &w);
		break;
	case P9_TREADLINK:
		err = op_readlink(s, &m, &w);
		break;
	case P9_TLINK:
		err = op_link(s, &m, &w);
		break;
	case P9_TRENAMEAT:
		err = op_renameat(s, &m, &w);
		break;
	case P9_TRENAME:
		err = op_rename(s, &m, &w);
		break;
	case P9_TUNLINKAT:
		err = op_unlinkat(s, &m, &w);
		break;
	case P9_TSTATFS:
		err = op_statfs(s, &m, &w);
		break;
	case P9_TFSYNC:
		err = op_fsync(s, &m, &w);
		break;
	case P9_TXATTRWALK:
		err = op_xattrwalk(s, &m, &w);
		break;
	case P9_TXATTRCREATE:
		err = op_xattrcreate(s, &m, &w);
		break;
	case P9_TLOCK:
		err = op_lock(s, &m, &w);
		break;
	case P9_TGETLOCK:
		err = op_getlock(s, &m, &w);
		break;
	default:
		err = EOPNOTSUPP;
		break;
	}
	if (!err) {
		r = p9_w_finish(&w);
		if (r >= 0)
			return r;
		err = ENOBUFS; /* the reply did not fit the guest's buffer */
	}
	return p9_enc_rlerror(resp, resp_cap, m.tag, (uint32_t)err);
}

int p9_handle_read_sg(struct p9server *s, const uint8_t *req, size_t req_len,
		      uint8_t *hdr, size_t hdr_cap, const struct iovec *iov,
		      unsigned niov)
{
	struct iovec v[P9_SG_MAX + 1];
	struct p9_tmsg m;
	struct p9fid *f;
	uint64_t room;
	uint32_t count;
	unsigned i, n = 0;
	ssize_t r;
	struct p9_w w;

	if (hdr_cap < P9_IOHDR_SIZE || niov > P9_SG_MAX)
		return P9_SG_DECLINED;
	if (p9_decode(req, req_len, s->msize, &m) < 0 || m.type != P9_TREAD)
		return P9_SG_DECLINED;
	f = fid_get(s, m.u.read.fid);
	/* Every case op_read answers otherwise (an xattr fid, an error)
	 * goes through p9_handle. */
	if (!f || f->kind != FID_OPEN || (f->oflags & O_ACCMODE) == O_WRONLY ||
	    f->node->type != S_IFREG || m.u.read.offset > INT64_MAX)
		return P9_SG_DECLINED;
	count = m.u.read.count;
	if (count > s->msize - P9_IOHDR_SIZE)
		count = s->msize - P9_IOHDR_SIZE;
	room = count;
	if (hdr_cap > P9_IOHDR_SIZE) {
		v[n].iov_base = hdr + P9_IOHDR_SIZE;
		v[n].iov_len = hdr_cap - P9_IOHDR_SIZE < room
				       ? hdr_cap - P9_IOHDR_SIZE
				       : (size_t)room;
		room -= v[n].iov_len;
		n++;
	}
	for (i = 0; i < niov && room; i++) {
		v[n].iov_base = iov[i].iov_base;
		v[n].iov_len =
			iov[i].iov_len < room ? iov[i].iov_len : (size_t)room;
		room -= v[n].iov_len;
		n++;
	}
	count -= (uint32_t)room; /* what the buffers can take */
	do
		r = n ? preadv(f->ofd, v, (int)n, (off_t)m.u.read.offset) : 0;
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return p9_enc_rlerror(hdr, hdr_cap, m.tag, (uint32_t)errno);
	if ((uint64_t)r > count)
		r = count; /* cannot happen: preadv reads at most that */
	/* The header: size[4] Rread[1] tag[2] count[4]. */
	p9_w_init(&w, hdr, P9_IOHDR_SIZE, P9_RREAD, m.tag);
	p9_put_u32(&w, (uint32_t)r);
	p9_w_patch_u32(&w, 0, (uint32_t)(P9_IOHDR_SIZE + r));
	return P9_IOHDR_SIZE + (int)r;
}

int p9_handle_write_sg(struct p9server *s, const uint8_t *hdr, size_t hdr_len,
		       size_t req_len, const struct iovec *iov, unsigned niov,
		       uint8_t *resp, size_t resp_cap)
{
	struct p9_tmsg m;
	struct p9fid *f;
	ssize_t r;
	struct p9_w w;

	if (resp_cap < P9_IOHDR_SIZE || niov > P9_SG_MAX ||
	    p9_decode_twrite_hdr(hdr, hdr_len, req_len, s->msize, &m) < 0)
		return P9_SG_DECLINED;
	f = fid_get(s, m.u.write.fid);
	/* Every case op_write answers otherwise (an xattr fid, an error)
	 * goes through p9_handle. */
	if (!f || f->kind != FID_OPEN || (f->oflags & O_ACCMODE) == O_RDONLY ||
	    s->readonly || m.u.write.offset > INT64_MAX)
		return P9_SG_DECLINED;
	do
		r = niov ? pwritev(f->ofd, iov, (int)niov,
				   (off_t)m.u.write.offset)
			 : 0;
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return p9_enc_rlerror(resp, resp_cap, m.tag, (uint32_t)errno);
	/* size[4] Rwrite[1] tag[2] count[4] */
	p9_w_init(&w, resp, P9_IOHDR_SIZE, P9_RWRITE, m.tag);
	p9_put_u32(&w, (uint32_t)r);
	return p9_w_finish(&w);
}
