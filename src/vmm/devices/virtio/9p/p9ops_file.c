/*
 * p9ops_file.c: the 9p handlers of open files (see p9ops.h): opening and
 * creating, reading and writing (straight between the file and the guest's
 * buffers where the transport gives them), listing directories, syncing,
 * locks, xattrs, clunks. Inputs: decoded T-messages from the guest; files
 * are opened only through p9confine.
 */
#include "p9ops.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <unistd.h>

/* The fid numbered id, opened for I/O. Returns 0 or EBADF. */
static int open_fid(struct p9server *s, uint32_t id, struct p9fid **f)
{
	int err = p9ops_fid(s, id, f);

	if (!err && (*f)->kind != P9FID_OPEN)
		err = EBADF;
	return err;
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

/* The fid f now open on fd with flags o: the reply's qid and iounit. */
static void opened(const struct p9server *s, struct p9fid *f, int fd, int o,
		   struct p9_w *w)
{
	struct p9_qid q;
	struct stat st;

	f->ofd = fd;
	f->oflags = o;
	f->kind = P9FID_OPEN;
	if (p9confine_stat(fd, &st) < 0)
		memset(&st, 0, sizeof(st));
	p9ops_qid(s, &st, &q);
	p9_put_qid(w, &q);
	p9_put_u32(w, 0); /* iounit: the client uses msize - 24 */
}

int p9ops_lopen(struct p9server *s, struct p9_req *r, struct p9_w *w)
{
	struct p9fid *f;
	int o, fd, err = p9ops_fid(s, r->m.u.lopen.fid, &f);

	if (err)
		return err;
	if (f->kind != P9FID_PATH)
		return EBADF;
	o = open_flags(r->m.u.lopen.flags);
	if (o < 0)
		return EINVAL;
	if (f->node->type == S_IFDIR && (o & O_ACCMODE) != O_RDONLY)
		return EISDIR;
	fd = p9confine_reopen(&s->share, f->node, o);
	if (fd < 0)
		return -fd;
	opened(s, f, fd, o, w);
	return 0;
}

int p9ops_lcreate(struct p9server *s, struct p9_req *r, struct p9_w *w)
{
	const struct p9_tmsg *m = &r->m;
	const char *name = p9ops_cname(s->scratch, &m->u.lcreate.name);
	struct p9node *n;
	struct p9fid *f;
	int o, fd, err = p9ops_fid(s, m->u.lcreate.fid, &f);

	if (err)
		return err;
	if (f->kind != P9FID_PATH)
		return EBADF;
	if (f->node->type != S_IFDIR)
		return ENOTDIR;
	o = open_flags(m->u.lcreate.flags);
	if (o < 0 || !name)
		return EINVAL;
	fd = p9confine_create(&s->share, f->node, name, o,
			      m->u.lcreate.mode & 07777,
			      m->u.lcreate.flags & P9_DOTL_EXCL, f->uid,
			      m->u.lcreate.gid, &n);
	if (fd < 0)
		return -fd;
	p9confine_put(&s->share, f->node);
	f->node = n;
	opened(s, f, fd, o, w);
	return 0;
}

/* Bound the count of a Tread or Treaddir by the room left in the reply
 * (after its count[4]) and by msize. Returns 0 or ENOBUFS. */
static int reply_count(const struct p9server *s, const struct p9_w *w,
		       uint32_t *count)
{
	size_t room = w->cap - w->len;

	if (room < 4)
		return ENOBUFS;
	room -= 4;
	if (s->msize - P9_IOHDR_SIZE < room)
		room = s->msize - P9_IOHDR_SIZE;
	if (*count > room)
		*count = (uint32_t)room;
	return 0;
}

/*
 * A Tread of file f straight into the guest's scattered buffers (r->hdr,
 * r->rdata) with one preadv: count bounded by msize and by the room in
 * them. Returns P9_OPS_DIRECT with the Rread in them, or an errno.
 */
static int read_sg(struct p9server *s, struct p9_req *r, struct p9fid *f)
{
	struct iovec v[P9_SG_MAX + 1];
	uint32_t count = r->m.u.read.count;
	uint64_t room;
	unsigned i, n = 0;
	struct p9_w w;
	ssize_t got;

	if (count > s->msize - P9_IOHDR_SIZE)
		count = s->msize - P9_IOHDR_SIZE;
	room = count;
	if (r->hdr_cap > P9_IOHDR_SIZE) {
		v[n].iov_base = r->hdr + P9_IOHDR_SIZE;
		v[n].iov_len = r->hdr_cap - P9_IOHDR_SIZE < room
				       ? r->hdr_cap - P9_IOHDR_SIZE
				       : (size_t)room;
		room -= v[n].iov_len;
		n++;
	}
	for (i = 0; i < r->nrdata && room; i++) {
		v[n].iov_base = r->rdata[i].iov_base;
		v[n].iov_len = r->rdata[i].iov_len < room ? r->rdata[i].iov_len
							  : (size_t)room;
		room -= v[n].iov_len;
		n++;
	}
	count -= (uint32_t)room; /* what the buffers can take */
	r->sg = true;
	do
		got = n ? preadv(f->ofd, v, (int)n, (off_t)r->m.u.read.offset)
			: 0;
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return errno;
	if ((uint64_t)got > count)
		got = count; /* cannot happen: preadv reads at most that */
	/* The header: size[4] Rread[1] tag[2] count[4]. */
	p9_w_init(&w, r->hdr, P9_IOHDR_SIZE, P9_RREAD, r->m.tag);
	p9_put_u32(&w, (uint32_t)got);
	p9_w_patch_u32(&w, 0, (uint32_t)(P9_IOHDR_SIZE + got));
	s->direct_len = P9_IOHDR_SIZE + (int)got;
	return P9_OPS_DIRECT;
}

int p9ops_read(struct p9server *s, struct p9_req *r, struct p9_w *w)
{
	const struct p9_tmsg *m = &r->m;
	uint32_t count = m->u.read.count;
	struct p9fid *f;
	uint8_t *data;
	ssize_t got;
	int err = p9ops_fid(s, m->u.read.fid, &f);

	if (err)
		return err;
	err = reply_count(s, w, &count);
	if (err)
		return err;
	if (f->kind == P9FID_XATTR_READ) {
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
	if (f->kind != P9FID_OPEN || (f->oflags & O_ACCMODE) == O_WRONLY)
		return EBADF;
	if (f->node->type == S_IFDIR)
		return EISDIR;
	if (m->u.read.offset > INT64_MAX)
		return EINVAL;
	/* An open fid that is not a directory is a regular file (p9confine
	 * opens nothing else): into the guest's scattered buffers when the
	 * transport gives them, else straight into the reply. */
	if (r->hdr && r->hdr_cap >= P9_IOHDR_SIZE && r->nrdata <= P9_SG_MAX)
		return read_sg(s, r, f);
	p9_put_u32(w, 0);
	data = p9_w_reserve(w, count);
	if (!data)
		return ENOBUFS;
	got = pread(f->ofd, data, count, (off_t)m->u.read.offset);
	if (got < 0)
		return errno; /* the reply becomes an Rlerror */
	p9_w_unreserve(w, count - (size_t)got);
	p9_w_patch_u32(w, P9_HDR_SIZE, (uint32_t)got);
	return 0;
}

/* Copy n bytes of the segments iov (niov of them) to dst. */
static void iov_gather(uint8_t *dst, const struct iovec *iov, unsigned niov,
		       size_t n)
{
	unsigned i;

	for (i = 0; i < niov && n; i++) {
		size_t k = iov[i].iov_len < n ? iov[i].iov_len : n;

		memcpy(dst, iov[i].iov_base, k);
		dst += k;
		n -= k;
	}
}

/* Twrite needs no read-only check: it writes only through a fid opened
 * for writing (or an xattr being created), and the table refused those
 * opens on a read-only share. */
int p9ops_write(struct p9server *s, struct p9_req *r, struct p9_w *w)
{
	const struct p9_tmsg *m = &r->m;
	struct p9fid *f;
	ssize_t n;
	int err = p9ops_fid(s, m->u.write.fid, &f);

	if (err)
		return err;
	if (f->kind == P9FID_XATTR_WRITE) {
		uint64_t off = m->u.write.offset, cnt = m->u.write.count;

		if (off > f->xsize || cnt > f->xsize - off)
			return ENOSPC;
		if (cnt && m->u.write.data)
			memcpy(f->xbuf + off, m->u.write.data, cnt);
		else if (cnt)
			iov_gather(f->xbuf + off, r->wdata, r->nwdata, cnt);
		if (off + cnt > f->xlen)
			f->xlen = off + cnt;
		p9_put_u32(w, (uint32_t)cnt);
		return 0;
	}
	if (f->kind != P9FID_OPEN || (f->oflags & O_ACCMODE) == O_RDONLY)
		return EBADF;
	if (m->u.write.offset > INT64_MAX)
		return EINVAL;
	if (m->u.write.data) {
		n = pwrite(f->ofd, m->u.write.data, m->u.write.count,
			   (off_t)m->u.write.offset);
	} else {
		/* From the guest's buffers, where they lie. */
		r->sg = true;
		do
			n = r->nwdata
				    ? pwritev(f->ofd, r->wdata, (int)r->nwdata,
					      (off_t)m->u.write.offset)
				    : 0;
		while (n < 0 && errno == EINTR);
	}
	if (n < 0)
		return errno;
	p9_put_u32(w, (uint32_t)n);
	return 0;
}

/* Tclunk: the dispatcher deletes the fid afterwards (P9_OP_CLUNKS); an
 * xattr being created is committed first, now that all of it was
 * written. */
int p9ops_clunk(struct p9server *s, struct p9_req *r, struct p9_w *w)
{
	struct p9fid *f;
	int fd, err = p9ops_fid(s, r->m.u.fid.fid, &f);

	(void)w;
	if (err || f->kind != P9FID_XATTR_WRITE)
		return err;
	fd = p9confine_reopen(&s->share, f->node, O_RDONLY);
	if (fd < 0)
		return -fd;
	if (f->xsize == 0 && fremovexattr(fd, f->xname) < 0)
		err = errno;
	else if (f->xsize && f->xlen != f->xsize)
		err = EINVAL;
	else if (f->xsize &&
		 fsetxattr(fd, f->xname, f->xbuf, f->xsize, f->xflags) < 0)
		err = errno;
	close(fd);
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

int p9ops_readdir(struct p9server *s, struct p9_req *r, struct p9_w *w)
{
	const struct p9_tmsg *m = &r->m;
	uint32_t count = m->u.read.count;
	size_t start;
	struct p9fid *f;
	bool full = false;
	int err = open_fid(s, m->u.read.fid, &f);

	if (err || f->node->type != S_IFDIR)
		return EBADF;
	err = reply_count(s, w, &count);
	if (err)
		return err;
	if (m->u.read.offset > INT64_MAX)
		return EINVAL;
	if (lseek(f->ofd, (off_t)m->u.read.offset, SEEK_SET) < 0)
		return errno;
	p9_put_u32(w, 0);
	start = w->len;
	while (!full) {
		size_t bufsz =
			count < P9OPS_DIRBUF_SIZE ? count : P9OPS_DIRBUF_SIZE;
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
			if (f->node == s->share.root &&
			    !strcmp(d->d_name, ".."))
				q.path = s->share.root->ino;
			p9_put_qid(w, &q);
			p9_put_u64(w, (uint64_t)d->d_off);
			p9_put_u8(w, d->d_type);
			p9_put_str(w, d->d_name, nlen);
		}
	}
	p9_w_patch_u32(w, P9_HDR_SIZE, (uint32_t)(w->len - start));
	return 0;
}

int p9ops_fsync(struct p9server *s, struct p9_req *r, struct p9_w *w)
{
	struct p9fid *f;
	int err = open_fid(s, r->m.u.fsync.fid, &f);

	(void)w;
	if (err)
		return err;
	if ((r->m.u.fsync.datasync ? fdatasync(f->ofd) : fsync(f->ofd)) < 0)
		return errno;
	return 0;
}

/* trusted.* attributes are read by privileged host code (overlayfs);
 * the guest may neither see nor set them. */
static bool xattr_name_ok(const char *name)
{
	return strncmp(name, "trusted.", 8) != 0;
}

/* Drop trusted.* from a list of len bytes of names; returns the new
 * length. */
static ssize_t xattr_list_filter(uint8_t *buf, ssize_t len)
{
	ssize_t i = 0, o = 0;

	while (i < len) {
		size_t l = strnlen((char *)buf + i, (size_t)(len - i));

		if (xattr_name_ok((char *)buf + i)) {
			memmove(buf + o, buf + i, l + 1);
			o += (ssize_t)l + 1;
		}
		i += (ssize_t)l + 1;
	}
	return o;
}

int p9ops_xattrwalk(struct p9server *s, struct p9_req *r, struct p9_w *w)
{
	const struct p9_tmsg *m = &r->m;
	const char *name = p9ops_cname(s->scratch, &m->u.xattrwalk.name);
	struct p9fid *f, *nf;
	uint32_t newfid = m->u.xattrwalk.newfid;
	uint8_t *buf;
	ssize_t len;
	int fd, err = p9ops_fid(s, m->u.xattrwalk.fid, &f);

	if (err)
		return err;
	if (!name)
		return EINVAL;
	if (name[0] && !xattr_name_ok(name))
		return ENODATA;
	if (newfid == m->u.xattrwalk.fid || p9fid_get(&s->fids, newfid))
		return EBADF;
	fd = p9confine_reopen(&s->share, f->node, O_RDONLY);
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
	if (!name[0])
		len = xattr_list_filter(buf, len);
	nf = p9fid_add(&s->fids, newfid, f->node, f->uid, &err);
	if (!nf) {
		free(buf);
		return err;
	}
	nf->kind = P9FID_XATTR_READ;
	nf->xbuf = buf;
	nf->xlen = (size_t)len;
	p9_put_u64(w, (uint64_t)len);
	return 0;
}

int p9ops_xattrcreate(struct p9server *s, struct p9_req *r, struct p9_w *w)
{
	const struct p9_tmsg *m = &r->m;
	const char *name = p9ops_cname(s->scratch, &m->u.xattrcreate.name);
	struct p9fid *f;
	int err = p9ops_fid(s, m->u.xattrcreate.fid, &f);

	(void)w;
	if (err)
		return err;
	if (f->kind != P9FID_PATH)
		return EBADF;
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
		p9fid_close(f);
		return ENOMEM;
	}
	f->xsize = m->u.xattrcreate.size;
	f->xlen = 0;
	f->xflags = (int)m->u.xattrcreate.flags;
	f->kind = P9FID_XATTR_WRITE;
	return 0;
}

/* The open fid of a Tlock or Tgetlock and its range as a struct flock.
 * Returns 0 or an errno. */
static int lock_fid(struct p9server *s, const struct p9_tmsg *m,
		    struct p9fid **f, struct flock *fl)
{
	int err = open_fid(s, m->u.lock.fid, f);

	if (err)
		return err;
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
int p9ops_lock(struct p9server *s, struct p9_req *r, struct p9_w *w)
{
	struct p9fid *f;
	struct flock fl;
	uint8_t status = P9_LOCK_SUCCESS;
	int err = lock_fid(s, &r->m, &f, &fl);

	if (err)
		return err;
	if (fcntl(f->ofd, F_OFD_SETLK, &fl) < 0)
		status = errno == EAGAIN || errno == EACCES ? P9_LOCK_BLOCKED
							    : P9_LOCK_ERROR;
	p9_put_u8(w, status);
	return 0;
}

int p9ops_getlock(struct p9server *s, struct p9_req *r, struct p9_w *w)
{
	const struct p9_tmsg *m = &r->m;
	struct p9fid *f;
	struct flock fl;
	int err = lock_fid(s, m, &f, &fl);

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
