/*
 * p9ops_tree.c: the 9p handlers of the share's tree (see p9ops.h):
 * version, attach, walks, attributes, making, linking, renaming and
 * removing names, statfs. Inputs: decoded T-messages from the guest; every
 * name is one path element (p9codec), every lookup goes through
 * p9confine.
 */
#include "p9ops.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

int p9ops_fid(struct p9server *s, uint32_t id, struct p9fid **f)
{
	*f = p9fid_get(&s->fids, id);
	return *f ? 0 : EBADF;
}

const char *p9ops_cname(char *buf, const struct p9_str *n)
{
	if (!p9_str_copy(buf, P9_STR_MAX + 1, n))
		return NULL;
	return buf;
}

void p9ops_qid(const struct p9server *s, const struct stat *st,
	       struct p9_qid *q)
{
	q->type = S_ISDIR(st->st_mode)	 ? P9_QTDIR
		  : S_ISLNK(st->st_mode) ? P9_QTSYMLINK
					 : P9_QTFILE;
	q->version = 0;
	q->path = st->st_ino;
	/* Another filesystem under a share with submounts: keep its
	 * inodes apart from the share's own (the guest's inode numbers). */
	if (st->st_dev != s->share.root->dev)
		q->path = (st->st_ino ^ ((uint64_t)st->st_dev << 40)) |
			  (1ULL << 63);
}

int p9ops_version(struct p9server *s, struct p9_req *r, struct p9_w *w)
{
	uint32_t msize = r->m.u.version.msize;
	const struct p9_str *v = &r->m.u.version.version;
	bool ok = v->len == 8 && !memcmp(v->s, "9P2000.L", 8);

	if (msize < P9_MIN_MSIZE)
		return EINVAL;
	p9fid_del_all(&s->fids);
	s->msize = msize < s->msize_max ? msize : s->msize_max;
	p9_put_u32(w, s->msize);
	p9_put_cstr(w, ok ? "9P2000.L" : "unknown");
	return 0;
}

int p9ops_auth(struct p9server *s, struct p9_req *r, struct p9_w *w)
{
	(void)s;
	(void)r;
	(void)w;
	return EOPNOTSUPP;
}

int p9ops_flush(struct p9server *s, struct p9_req *r, struct p9_w *w)
{
	(void)s;
	(void)r;
	(void)w;
	return 0; /* requests are answered in order: nothing pends */
}

int p9ops_attach(struct p9server *s, struct p9_req *r, struct p9_w *w)
{
	const struct p9_tmsg *m = &r->m;
	struct p9_qid q;
	struct stat st;
	int err;

	if (m->u.attach.afid != P9_NOFID)
		return EINVAL;
	if (p9confine_stat(s->share.root->fd, &st) < 0)
		return errno;
	if (!p9fid_add(&s->fids, m->u.attach.fid, s->share.root,
		       m->u.attach.n_uname, &err))
		return err;
	p9ops_qid(s, &st, &q);
	p9_put_qid(w, &q);
	return 0;
}

int p9ops_walk(struct p9server *s, struct p9_req *r, struct p9_w *w)
{
	const struct p9_tmsg *m = &r->m;
	struct p9node *n, *next;
	struct p9fid *f;
	struct p9_qid qids[P9_MAXWELEM];
	uint32_t uid;
	unsigned i;
	int err = p9ops_fid(s, m->u.walk.fid, &f);

	if (err)
		return err;
	/* An opened fid may be cloned or walked from, not walked itself. */
	if (f->kind != P9FID_PATH && m->u.walk.newfid == m->u.walk.fid)
		return EBADF;
	if (m->u.walk.newfid != m->u.walk.fid &&
	    p9fid_get(&s->fids, m->u.walk.newfid))
		return EBADF;
	uid = f->uid;
	n = f->node;
	p9confine_hold(n);
	for (i = 0; i < m->u.walk.nwname; i++) {
		const char *name = p9ops_cname(s->scratch, &m->u.walk.wname[i]);
		struct stat st;

		next = name ? p9confine_lookup(&s->share, n, name, &st) : NULL;
		if (!next) {
			err = name ? errno : EINVAL;
			break;
		}
		p9ops_qid(s, &st, &qids[i]);
		p9confine_put(&s->share, n);
		n = next;
	}
	if (i < m->u.walk.nwname) {
		p9confine_put(&s->share, n);
		if (i == 0)
			return err;
		/* A partial walk: the qids so far, newfid untouched. */
		p9_put_u16(w, (uint16_t)i);
		for (unsigned k = 0; k < i; k++)
			p9_put_qid(w, &qids[k]);
		return 0;
	}
	if (m->u.walk.newfid == m->u.walk.fid) {
		p9confine_put(&s->share, f->node);
		f->node = n;
	} else {
		f = p9fid_add(&s->fids, m->u.walk.newfid, n, uid, &err);
		p9confine_put(&s->share, n);
		if (!f)
			return err;
	}
	p9_put_u16(w, m->u.walk.nwname);
	for (i = 0; i < m->u.walk.nwname; i++)
		p9_put_qid(w, &qids[i]);
	return 0;
}

int p9ops_getattr(struct p9server *s, struct p9_req *r, struct p9_w *w)
{
	struct p9fid *f;
	struct p9_qid q;
	struct stat st;
	int err = p9ops_fid(s, r->m.u.getattr.fid, &f);

	if (err)
		return err;
	if (p9confine_stat(f->node->fd, &st) < 0)
		return errno;
	p9ops_qid(s, &st, &q);
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

/* Close fd, keeping err. */
static int close_err(int fd, int err)
{
	close(fd);
	return err;
}

static int chmod_node(struct p9server *s, struct p9node *n, mode_t mode)
{
	int fd;

	if (syscall(SYS_fchmodat2, n->fd, "", mode, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno != ENOSYS && errno != EINVAL)
		return errno;
	/* Before Linux 6.6: through an fd of the file itself. */
	fd = p9confine_reopen(&s->share, n, O_RDONLY);
	if (fd < 0)
		return fd == -EPERM ? EOPNOTSUPP : -fd;
	return close_err(fd, fchmod(fd, mode) < 0 ? errno : 0);
}

static int truncate_fid(struct p9server *s, struct p9fid *f, uint64_t size)
{
	struct p9node *n = f->node;
	int fd;

	if (size > INT64_MAX)
		return EFBIG;
	if (n->type != S_IFREG)
		return n->type == S_IFDIR ? EISDIR : EINVAL;
	if (f->kind == P9FID_OPEN && (f->oflags & O_ACCMODE) != O_RDONLY)
		fd = dup(f->ofd);
	else
		fd = p9confine_reopen(&s->share, n, O_WRONLY);
	if (fd < 0)
		return fd == -1 ? errno : -fd;
	return close_err(fd, ftruncate(fd, (off_t)size) < 0 ? errno : 0);
}

int p9ops_setattr(struct p9server *s, struct p9_req *r, struct p9_w *w)
{
	const struct p9_tmsg *m = &r->m;
	uint32_t v = m->u.setattr.valid;
	struct p9fid *f;
	struct p9node *n;
	int err = p9ops_fid(s, m->u.setattr.fid, &f);

	(void)w;
	if (err)
		return err;
	n = f->node;
	if (v & P9_SETATTR_MODE) {
		err = chmod_node(s, n, m->u.setattr.mode & 07777);
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
		err = truncate_fid(s, f, m->u.setattr.size);
		if (err)
			return err;
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

/* Reply with the qid of dir/name just made, after p9confine_made(). */
static int made(const struct p9server *s, struct p9fid *dir, const char *name,
		int mode, uint32_t gid, struct p9_w *w)
{
	struct p9_qid q;
	struct stat st;
	int err = p9confine_made(dir->node->fd, name, mode, dir->uid, gid, &st);

	if (err)
		return err;
	p9ops_qid(s, &st, &q);
	p9_put_qid(w, &q);
	return 0;
}

/* The directory fid of a request that makes, links, renames or removes a
 * name in it, and that name (in buf) when the request has one. Returns 0 or
 * an errno. */
static int dir_fid(struct p9server *s, uint32_t id, struct p9fid **out,
		   char *buf, const struct p9_str *name, const char **cname)
{
	int err = p9ops_fid(s, id, out);

	if (err)
		return err;
	if ((*out)->node->type != S_IFDIR)
		return ENOTDIR;
	if (name && !(*cname = p9ops_cname(buf, name)))
		return EINVAL;
	return 0;
}

int p9ops_mkdir(struct p9server *s, struct p9_req *r, struct p9_w *w)
{
	const struct p9_tmsg *m = &r->m;
	mode_t mode = m->u.mkdir.mode & 07777;
	const char *name;
	struct p9fid *d;
	int err = dir_fid(s, m->u.mkdir.dfid, &d, s->scratch, &m->u.mkdir.name,
			  &name);

	if (err)
		return err;
	if (mkdirat(d->node->fd, name, mode) < 0)
		return errno;
	return made(s, d, name, (int)mode, m->u.mkdir.gid, w);
}

int p9ops_symlink(struct p9server *s, struct p9_req *r, struct p9_w *w)
{
	const struct p9_tmsg *m = &r->m;
	const char *target = p9ops_cname(s->scratch2, &m->u.symlink.target);
	const char *name;
	struct p9fid *d;
	int err = dir_fid(s, m->u.symlink.fid, &d, s->scratch,
			  &m->u.symlink.name, &name);

	if (err)
		return err;
	if (!target || !target[0])
		return EINVAL;
	/* The target is stored, never resolved by the server. */
	if (symlinkat(target, d->node->fd, name) < 0)
		return errno;
	return made(s, d, name, -1, m->u.symlink.gid, w);
}

int p9ops_mknod(struct p9server *s, struct p9_req *r, struct p9_w *w)
{
	const struct p9_tmsg *m = &r->m;
	mode_t mode = m->u.mknod.mode;
	const char *name;
	struct p9fid *d;
	int err = dir_fid(s, m->u.mknod.dfid, &d, s->scratch, &m->u.mknod.name,
			  &name);

	if (err)
		return err;
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

int p9ops_readlink(struct p9server *s, struct p9_req *r, struct p9_w *w)
{
	struct p9fid *f;
	ssize_t n;
	int err = p9ops_fid(s, r->m.u.fid.fid, &f);

	if (err)
		return err;
	if (f->node->type != S_IFLNK)
		return EINVAL;
	n = readlinkat(f->node->fd, "", s->scratch, P9_STR_MAX);
	if (n < 0)
		return errno;
	p9_put_str(w, s->scratch, (size_t)n);
	return 0;
}

/* The node of fid id: a file a request links, renames or removes by the
 * name it has inside the share (p9confine_check_name before). */
static int named_fid(struct p9server *s, uint32_t id, struct p9node **n)
{
	struct p9fid *f;
	int err = p9ops_fid(s, id, &f);

	if (err)
		return err;
	*n = f->node;
	return 0;
}

int p9ops_link(struct p9server *s, struct p9_req *r, struct p9_w *w)
{
	const struct p9_tmsg *m = &r->m;
	const char *name = NULL;
	struct p9fid *d;
	struct p9node *n;
	int err = dir_fid(s, m->u.link.dfid, &d, NULL, NULL, NULL);

	(void)w;
	if (!err)
		err = named_fid(s, m->u.link.fid, &n);
	if (err)
		return err;
	name = p9ops_cname(s->scratch, &m->u.link.name);
	if (!name)
		return EINVAL;
	if (n->type == S_IFDIR)
		return EPERM;
	/* Never following a symlink (flags 0): the new link is to what the
	 * fid is. */
	err = -p9confine_check_name(n);
	if (err)
		return err;
	if (linkat(n->parent->fd, n->name, d->node->fd, name, 0) < 0)
		return errno;
	return 0;
}

int p9ops_renameat(struct p9server *s, struct p9_req *r, struct p9_w *w)
{
	const struct p9_tmsg *m = &r->m;
	const char *oldname = p9ops_cname(s->scratch, &m->u.renameat.oldname);
	const char *newname = p9ops_cname(s->scratch2, &m->u.renameat.newname);
	struct p9fid *od, *nd;
	int err = dir_fid(s, m->u.renameat.olddfid, &od, NULL, NULL, NULL);

	(void)w;
	if (!err)
		err = dir_fid(s, m->u.renameat.newdfid, &nd, NULL, NULL, NULL);
	if (err)
		return err;
	if (!oldname || !newname)
		return EINVAL;
	if (renameat(od->node->fd, oldname, nd->node->fd, newname) < 0)
		return errno;
	return p9confine_renamed(&s->share, od->node, oldname, nd->node,
				 newname)
		       ? ENOMEM
		       : 0;
}

int p9ops_rename(struct p9server *s, struct p9_req *r, struct p9_w *w)
{
	const struct p9_tmsg *m = &r->m;
	const char *newname = p9ops_cname(s->scratch, &m->u.rename.name);
	struct p9fid *d;
	struct p9node *n, *olddir;
	int err = dir_fid(s, m->u.rename.dfid, &d, NULL, NULL, NULL);

	(void)w;
	if (!err)
		err = named_fid(s, m->u.rename.fid, &n);
	if (err)
		return err;
	if (!newname)
		return EINVAL;
	err = -p9confine_check_name(n);
	if (err)
		return err;
	if (renameat(n->parent->fd, n->name, d->node->fd, newname) < 0)
		return errno;
	olddir = n->parent;
	p9confine_hold(olddir);
	snprintf(s->scratch2, sizeof(s->scratch2), "%s", n->name);
	err = p9confine_renamed(&s->share, olddir, s->scratch2, d->node,
				newname);
	p9confine_put(&s->share, olddir);
	return err ? ENOMEM : 0;
}

int p9ops_unlinkat(struct p9server *s, struct p9_req *r, struct p9_w *w)
{
	const struct p9_tmsg *m = &r->m;
	const char *name;
	struct p9fid *d;
	int err = dir_fid(s, m->u.unlinkat.dfid, &d, s->scratch,
			  &m->u.unlinkat.name, &name);

	(void)w;
	if (err)
		return err;
	if (unlinkat(d->node->fd, name,
		     m->u.unlinkat.flags & P9_AT_REMOVEDIR ? AT_REMOVEDIR : 0) <
	    0)
		return errno;
	return 0;
}

/* Tremove: the dispatcher clunks the fid afterwards, whether or not the
 * remove worked (P9_OP_CLUNKS). */
int p9ops_remove(struct p9server *s, struct p9_req *r, struct p9_w *w)
{
	struct p9node *n;
	int err = named_fid(s, r->m.u.fid.fid, &n);

	(void)w;
	if (err)
		return err;
	err = -p9confine_check_name(n);
	if (err)
		return err;
	if (unlinkat(n->parent->fd, n->name,
		     n->type == S_IFDIR ? AT_REMOVEDIR : 0) < 0)
		return errno;
	return 0;
}

int p9ops_statfs(struct p9server *s, struct p9_req *r, struct p9_w *w)
{
	struct p9fid *f;
	struct statfs st;
	uint64_t fsid;
	int err = p9ops_fid(s, r->m.u.fid.fid, &f);

	if (err)
		return err;
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
