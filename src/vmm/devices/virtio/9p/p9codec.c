/*
 * p9codec.c: the 9P2000.L codec (see p9codec.h). Pure: no syscalls, no
 * allocation, no globals.
 */
#include "p9codec.h"
#include "../../../../common/le.h"

#include <errno.h>
#include <string.h>

/* --- reading ---------------------------------------------------------------
 */
void p9_r_init(struct p9_r *r, const uint8_t *buf, size_t len)
{
	r->buf = buf;
	r->len = len;
	r->off = 0;
	r->err = false;
}

const uint8_t *p9_get_bytes(struct p9_r *r, size_t n)
{
	const uint8_t *p;

	if (r->err || n > r->len - r->off) {
		r->err = true;
		return NULL;
	}
	p = r->buf + r->off;
	r->off += n;
	return p;
}

uint8_t p9_get_u8(struct p9_r *r)
{
	const uint8_t *p = p9_get_bytes(r, 1);

	return p ? p[0] : 0;
}

uint16_t p9_get_u16(struct p9_r *r)
{
	const uint8_t *p = p9_get_bytes(r, 2);

	return p ? le_get16(p) : 0;
}

uint32_t p9_get_u32(struct p9_r *r)
{
	const uint8_t *p = p9_get_bytes(r, 4);

	return p ? le_get32(p) : 0;
}

uint64_t p9_get_u64(struct p9_r *r)
{
	uint64_t lo = p9_get_u32(r);

	return lo | (uint64_t)p9_get_u32(r) << 32;
}

bool p9_get_str(struct p9_r *r, struct p9_str *s)
{
	uint16_t n = p9_get_u16(r);
	const uint8_t *p = p9_get_bytes(r, n);

	s->s = (const char *)p;
	s->len = p ? n : 0;
	if (!p)
		s->s = "";
	return p != NULL;
}

void p9_get_qid(struct p9_r *r, struct p9_qid *q)
{
	q->type = p9_get_u8(r);
	q->version = p9_get_u32(r);
	q->path = p9_get_u64(r);
}

/* --- names -------------------------------------------------------------------
 */
static bool has_nul(const struct p9_str *s)
{
	return s->len && memchr(s->s, 0, s->len) != NULL;
}

bool p9_name_ok(const struct p9_str *s)
{
	if (s->len == 0 || s->len > P9_NAME_MAX)
		return false;
	if (s->len == 1 && s->s[0] == '.')
		return false;
	if (s->len == 2 && s->s[0] == '.' && s->s[1] == '.')
		return false;
	return !has_nul(s) && !memchr(s->s, '/', s->len);
}

bool p9_str_copy(char *dst, size_t cap, const struct p9_str *s)
{
	if (cap == 0 || s->len >= cap)
		return false;
	memcpy(dst, s->s, s->len);
	dst[s->len] = 0;
	return true;
}

/* Decoding state: the reader plus the first name error seen. */
struct dec {
	struct p9_r r;
	int name_err;
};

/* A string with no NUL, at most max bytes. */
static void get_str(struct dec *d, struct p9_str *s, size_t max)
{
	if (!p9_get_str(&d->r, s))
		return;
	if (s->len > max || has_nul(s))
		d->name_err = 1;
}

/* A single path element. */
static void get_name(struct dec *d, struct p9_str *s)
{
	if (!p9_get_str(&d->r, s))
		return;
	if (!p9_name_ok(s))
		d->name_err = 1;
}

static int decode_body(struct dec *d, struct p9_tmsg *m, uint32_t msize)
{
	struct p9_r *r = &d->r;
	unsigned i;

	switch (m->type) {
	case P9_TVERSION:
		m->u.version.msize = p9_get_u32(r);
		get_str(d, &m->u.version.version, 64);
		break;
	case P9_TAUTH:
		m->u.attach.fid = P9_NOFID;
		m->u.attach.afid = p9_get_u32(r);
		get_str(d, &m->u.attach.uname, P9_STR_MAX);
		get_str(d, &m->u.attach.aname, P9_STR_MAX);
		m->u.attach.n_uname = p9_get_u32(r);
		break;
	case P9_TATTACH:
		m->u.attach.fid = p9_get_u32(r);
		m->u.attach.afid = p9_get_u32(r);
		get_str(d, &m->u.attach.uname, P9_STR_MAX);
		get_str(d, &m->u.attach.aname, P9_STR_MAX);
		m->u.attach.n_uname = p9_get_u32(r);
		break;
	case P9_TFLUSH:
		m->u.flush.oldtag = p9_get_u16(r);
		break;
	case P9_TWALK:
		m->u.walk.fid = p9_get_u32(r);
		m->u.walk.newfid = p9_get_u32(r);
		m->u.walk.nwname = p9_get_u16(r);
		if (m->u.walk.nwname > P9_MAXWELEM)
			return P9_EMSG;
		for (i = 0; i < m->u.walk.nwname; i++)
			get_name(d, &m->u.walk.wname[i]);
		break;
	case P9_TCLUNK:
	case P9_TREMOVE:
	case P9_TSTATFS:
	case P9_TREADLINK:
		m->u.fid.fid = p9_get_u32(r);
		break;
	case P9_TLOPEN:
		m->u.lopen.fid = p9_get_u32(r);
		m->u.lopen.flags = p9_get_u32(r);
		break;
	case P9_TLCREATE:
		m->u.lcreate.fid = p9_get_u32(r);
		get_name(d, &m->u.lcreate.name);
		m->u.lcreate.flags = p9_get_u32(r);
		m->u.lcreate.mode = p9_get_u32(r);
		m->u.lcreate.gid = p9_get_u32(r);
		break;
	case P9_TSYMLINK:
		m->u.symlink.fid = p9_get_u32(r);
		get_name(d, &m->u.symlink.name);
		get_str(d, &m->u.symlink.target, P9_STR_MAX);
		m->u.symlink.gid = p9_get_u32(r);
		break;
	case P9_TMKNOD:
		m->u.mknod.dfid = p9_get_u32(r);
		get_name(d, &m->u.mknod.name);
		m->u.mknod.mode = p9_get_u32(r);
		m->u.mknod.major = p9_get_u32(r);
		m->u.mknod.minor = p9_get_u32(r);
		m->u.mknod.gid = p9_get_u32(r);
		break;
	case P9_TRENAME:
		m->u.rename.fid = p9_get_u32(r);
		m->u.rename.dfid = p9_get_u32(r);
		get_name(d, &m->u.rename.name);
		break;
	case P9_TGETATTR:
		m->u.getattr.fid = p9_get_u32(r);
		m->u.getattr.mask = p9_get_u64(r);
		break;
	case P9_TSETATTR:
		m->u.setattr.fid = p9_get_u32(r);
		m->u.setattr.valid = p9_get_u32(r);
		m->u.setattr.mode = p9_get_u32(r);
		m->u.setattr.uid = p9_get_u32(r);
		m->u.setattr.gid = p9_get_u32(r);
		m->u.setattr.size = p9_get_u64(r);
		m->u.setattr.atime_sec = p9_get_u64(r);
		m->u.setattr.atime_nsec = p9_get_u64(r);
		m->u.setattr.mtime_sec = p9_get_u64(r);
		m->u.setattr.mtime_nsec = p9_get_u64(r);
		break;
	case P9_TXATTRWALK:
		m->u.xattrwalk.fid = p9_get_u32(r);
		m->u.xattrwalk.newfid = p9_get_u32(r);
		get_str(d, &m->u.xattrwalk.name, P9_NAME_MAX);
		break;
	case P9_TXATTRCREATE:
		m->u.xattrcreate.fid = p9_get_u32(r);
		get_str(d, &m->u.xattrcreate.name, P9_NAME_MAX);
		m->u.xattrcreate.size = p9_get_u64(r);
		m->u.xattrcreate.flags = p9_get_u32(r);
		if (m->u.xattrcreate.name.len == 0)
			d->name_err = 1;
		break;
	case P9_TREAD:
	case P9_TREADDIR:
		m->u.read.fid = p9_get_u32(r);
		m->u.read.offset = p9_get_u64(r);
		m->u.read.count = p9_get_u32(r);
		break;
	case P9_TWRITE:
		m->u.write.fid = p9_get_u32(r);
		m->u.write.offset = p9_get_u64(r);
		m->u.write.count = p9_get_u32(r);
		/* The count must be exactly what the message carries; it is
		 * below msize because the message is. */
		m->u.write.data = p9_get_bytes(r, m->u.write.count);
		break;
	case P9_TFSYNC:
		m->u.fsync.fid = p9_get_u32(r);
		/* datasync[4] was added later; accept its absence. */
		m->u.fsync.datasync = r->len - r->off >= 4 ? p9_get_u32(r) : 0;
		break;
	case P9_TLOCK:
	case P9_TGETLOCK:
		m->u.lock.fid = p9_get_u32(r);
		m->u.lock.type = p9_get_u8(r);
		m->u.lock.flags = m->type == P9_TLOCK ? p9_get_u32(r) : 0;
		m->u.lock.start = p9_get_u64(r);
		m->u.lock.length = p9_get_u64(r);
		m->u.lock.proc_id = p9_get_u32(r);
		get_str(d, &m->u.lock.client_id, P9_STR_MAX);
		break;
	case P9_TLINK:
		m->u.link.dfid = p9_get_u32(r);
		m->u.link.fid = p9_get_u32(r);
		get_name(d, &m->u.link.name);
		break;
	case P9_TMKDIR:
		m->u.mkdir.dfid = p9_get_u32(r);
		get_name(d, &m->u.mkdir.name);
		m->u.mkdir.mode = p9_get_u32(r);
		m->u.mkdir.gid = p9_get_u32(r);
		break;
	case P9_TRENAMEAT:
		m->u.renameat.olddfid = p9_get_u32(r);
		get_name(d, &m->u.renameat.oldname);
		m->u.renameat.newdfid = p9_get_u32(r);
		get_name(d, &m->u.renameat.newname);
		break;
	case P9_TUNLINKAT:
		m->u.unlinkat.dfid = p9_get_u32(r);
		get_name(d, &m->u.unlinkat.name);
		m->u.unlinkat.flags = p9_get_u32(r);
		break;
	default:
		return P9_ETYPE;
	}
	(void)msize;
	if (r->err || r->off != r->len)
		return P9_EMSG;
	return d->name_err ? P9_ENAME : 0;
}

int p9_decode(const uint8_t *buf, size_t len, uint32_t msize, struct p9_tmsg *m)
{
	struct dec d;
	uint32_t size;

	memset(m, 0, sizeof(*m));
	m->tag = P9_NOTAG;
	if (!buf || len < P9_HDR_SIZE)
		return P9_EMSG;
	size = le_get32(buf);
	m->size = size;
	m->type = buf[4];
	m->tag = le_get16(buf + 5);
	if (size < P9_HDR_SIZE || size > len)
		return P9_EMSG;
	if (size > msize)
		return P9_EBIG;
	if (m->type & 1)
		return P9_ETYPE;
	p9_r_init(&d.r, buf, size);
	d.r.off = P9_HDR_SIZE;
	d.name_err = 0;
	return decode_body(&d, m, msize);
}

int p9_decode_errno(int r)
{
	switch (r) {
	case 0:
		return 0;
	case P9_ETYPE:
		return EOPNOTSUPP;
	case P9_ENAME:
		return EINVAL;
	case P9_EBIG:
		return EMSGSIZE;
	default:
		return EPROTO;
	}
}

/* --- writing -----------------------------------------------------------------
 */
uint8_t *p9_w_reserve(struct p9_w *w, size_t n)
{
	uint8_t *p;

	if (w->err || n > w->cap - w->len) {
		w->err = true;
		return NULL;
	}
	p = w->buf + w->len;
	w->len += n;
	return p;
}

void p9_w_unreserve(struct p9_w *w, size_t n)
{
	if (!w->err && n <= w->len)
		w->len -= n;
}

static void put_le(struct p9_w *w, uint64_t v, unsigned n)
{
	uint8_t *p = p9_w_reserve(w, n);

	if (p)
		le_put(p, v, n);
}

void p9_w_init(struct p9_w *w, uint8_t *buf, size_t cap, uint8_t type,
	       uint16_t tag)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->err = false;
	put_le(w, 0, 4);
	put_le(w, type, 1);
	put_le(w, tag, 2);
}

void p9_put_u8(struct p9_w *w, uint8_t v)
{
	put_le(w, v, 1);
}

void p9_put_u16(struct p9_w *w, uint16_t v)
{
	put_le(w, v, 2);
}

void p9_put_u32(struct p9_w *w, uint32_t v)
{
	put_le(w, v, 4);
}

void p9_put_u64(struct p9_w *w, uint64_t v)
{
	put_le(w, v, 8);
}

void p9_put_bytes(struct p9_w *w, const void *p, size_t len)
{
	uint8_t *d = p9_w_reserve(w, len);

	if (d && len)
		memcpy(d, p, len);
}

void p9_put_str(struct p9_w *w, const char *s, size_t len)
{
	if (len > 0xffff) {
		w->err = true;
		return;
	}
	if (w->err || 2 + len > w->cap - w->len) {
		w->err = true;
		return;
	}
	put_le(w, len, 2);
	p9_put_bytes(w, s, len);
}

void p9_put_cstr(struct p9_w *w, const char *s)
{
	p9_put_str(w, s, strlen(s));
}

void p9_put_qid(struct p9_w *w, const struct p9_qid *q)
{
	put_le(w, q->type, 1);
	put_le(w, q->version, 4);
	put_le(w, q->path, 8);
}

void p9_w_patch_u32(struct p9_w *w, size_t off, uint32_t v)
{
	if (w->err || off > w->len || w->len - off < 4)
		return;
	le_put32(w->buf + off, v);
}

int p9_w_finish(struct p9_w *w)
{
	if (w->err || w->len > 0x7fffffff)
		return P9_EBIG;
	p9_w_patch_u32(w, 0, (uint32_t)w->len);
	return (int)w->len;
}

int p9_enc_rlerror(uint8_t *buf, size_t cap, uint16_t tag, uint32_t ecode)
{
	struct p9_w w;

	p9_w_init(&w, buf, cap, P9_RLERROR, tag);
	p9_put_u32(&w, ecode);
	return p9_w_finish(&w);
}

/* --- encoding T-messages (tests, fuzz round trips) ---------------------------
 */
static void put_s(struct p9_w *w, const struct p9_str *s)
{
	p9_put_str(w, s->s, s->len);
}

int p9_encode_t(const struct p9_tmsg *m, uint8_t *buf, size_t cap)
{
	struct p9_w w;
	unsigned i;

	p9_w_init(&w, buf, cap, m->type, m->tag);
	switch (m->type) {
	case P9_TVERSION:
		p9_put_u32(&w, m->u.version.msize);
		put_s(&w, &m->u.version.version);
		break;
	case P9_TAUTH:
	case P9_TATTACH:
		if (m->type == P9_TATTACH)
			p9_put_u32(&w, m->u.attach.fid);
		p9_put_u32(&w, m->u.attach.afid);
		put_s(&w, &m->u.attach.uname);
		put_s(&w, &m->u.attach.aname);
		p9_put_u32(&w, m->u.attach.n_uname);
		break;
	case P9_TFLUSH:
		p9_put_u16(&w, m->u.flush.oldtag);
		break;
	case P9_TWALK:
		p9_put_u32(&w, m->u.walk.fid);
		p9_put_u32(&w, m->u.walk.newfid);
		if (m->u.walk.nwname > P9_MAXWELEM)
			return P9_EMSG;
		p9_put_u16(&w, m->u.walk.nwname);
		for (i = 0; i < m->u.walk.nwname; i++)
			put_s(&w, &m->u.walk.wname[i]);
		break;
	case P9_TCLUNK:
	case P9_TREMOVE:
	case P9_TSTATFS:
	case P9_TREADLINK:
		p9_put_u32(&w, m->u.fid.fid);
		break;
	case P9_TLOPEN:
		p9_put_u32(&w, m->u.lopen.fid);
		p9_put_u32(&w, m->u.lopen.flags);
		break;
	case P9_TLCREATE:
		p9_put_u32(&w, m->u.lcreate.fid);
		put_s(&w, &m->u.lcreate.name);
		p9_put_u32(&w, m->u.lcreate.flags);
		p9_put_u32(&w, m->u.lcreate.mode);
		p9_put_u32(&w, m->u.lcreate.gid);
		break;
	case P9_TSYMLINK:
		p9_put_u32(&w, m->u.symlink.fid);
		put_s(&w, &m->u.symlink.name);
		put_s(&w, &m->u.symlink.target);
		p9_put_u32(&w, m->u.symlink.gid);
		break;
	case P9_TMKNOD:
		p9_put_u32(&w, m->u.mknod.dfid);
		put_s(&w, &m->u.mknod.name);
		p9_put_u32(&w, m->u.mknod.mode);
		p9_put_u32(&w, m->u.mknod.major);
		p9_put_u32(&w, m->u.mknod.minor);
		p9_put_u32(&w, m->u.mknod.gid);
		break;
	case P9_TRENAME:
		p9_put_u32(&w, m->u.rename.fid);
		p9_put_u32(&w, m->u.rename.dfid);
		put_s(&w, &m->u.rename.name);
		break;
	case P9_TGETATTR:
		p9_put_u32(&w, m->u.getattr.fid);
		p9_put_u64(&w, m->u.getattr.mask);
		break;
	case P9_TSETATTR:
		p9_put_u32(&w, m->u.setattr.fid);
		p9_put_u32(&w, m->u.setattr.valid);
		p9_put_u32(&w, m->u.setattr.mode);
		p9_put_u32(&w, m->u.setattr.uid);
		p9_put_u32(&w, m->u.setattr.gid);
		p9_put_u64(&w, m->u.setattr.size);
		p9_put_u64(&w, m->u.setattr.atime_sec);
		p9_put_u64(&w, m->u.setattr.atime_nsec);
		p9_put_u64(&w, m->u.setattr.mtime_sec);
		p9_put_u64(&w, m->u.setattr.mtime_nsec);
		break;
	case P9_TXATTRWALK:
		p9_put_u32(&w, m->u.xattrwalk.fid);
		p9_put_u32(&w, m->u.xattrwalk.newfid);
		put_s(&w, &m->u.xattrwalk.name);
		break;
	case P9_TXATTRCREATE:
		p9_put_u32(&w, m->u.xattrcreate.fid);
		put_s(&w, &m->u.xattrcreate.name);
		p9_put_u64(&w, m->u.xattrcreate.size);
		p9_put_u32(&w, m->u.xattrcreate.flags);
		break;
	case P9_TREAD:
	case P9_TREADDIR:
		p9_put_u32(&w, m->u.read.fid);
		p9_put_u64(&w, m->u.read.offset);
		p9_put_u32(&w, m->u.read.count);
		break;
	case P9_TWRITE:
		p9_put_u32(&w, m->u.write.fid);
		p9_put_u64(&w, m->u.write.offset);
		p9_put_u32(&w, m->u.write.count);
		p9_put_bytes(&w, m->u.write.data, m->u.write.count);
		break;
	case P9_TFSYNC:
		p9_put_u32(&w, m->u.fsync.fid);
		p9_put_u32(&w, m->u.fsync.datasync);
		break;
	case P9_TLOCK:
	case P9_TGETLOCK:
		p9_put_u32(&w, m->u.lock.fid);
		p9_put_u8(&w, m->u.lock.type);
		if (m->type == P9_TLOCK)
			p9_put_u32(&w, m->u.lock.flags);
		p9_put_u64(&w, m->u.lock.start);
		p9_put_u64(&w, m->u.lock.length);
		p9_put_u32(&w, m->u.lock.proc_id);
		put_s(&w, &m->u.lock.client_id);
		break;
	case P9_TLINK:
		p9_put_u32(&w, m->u.link.dfid);
		p9_put_u32(&w, m->u.link.fid);
		put_s(&w, &m->u.link.name);
		break;
	case P9_TMKDIR:
		p9_put_u32(&w, m->u.mkdir.dfid);
		put_s(&w, &m->u.mkdir.name);
		p9_put_u32(&w, m->u.mkdir.mode);
		p9_put_u32(&w, m->u.mkdir.gid);
		break;
	case P9_TRENAMEAT:
		p9_put_u32(&w, m->u.renameat.olddfid);
		put_s(&w, &m->u.renameat.oldname);
		p9_put_u32(&w, m->u.renameat.newdfid);
		put_s(&w, &m->u.renameat.newname);
		break;
	case P9_TUNLINKAT:
		p9_put_u32(&w, m->u.unlinkat.dfid);
		put_s(&w, &m->u.unlinkat.name);
		p9_put_u32(&w, m->u.unlinkat.flags);
		break;
	default:
		return P9_ETYPE;
	}
	return p9_w_finish(&w);
}

int p9_decode_twrite_hdr(const uint8_t *hdr, size_t hdr_len, size_t msg_len,
			 uint32_t msize, struct p9_tmsg *m)
{
	struct p9_r r;

	memset(m, 0, sizeof(*m));
	m->tag = P9_NOTAG;
	if (!hdr || hdr_len < P9_TWRITE_HDR_SIZE)
		return P9_EMSG;
	p9_r_init(&r, hdr, P9_TWRITE_HDR_SIZE);
	m->size = p9_get_u32(&r);
	m->type = p9_get_u8(&r);
	m->tag = p9_get_u16(&r);
	m->u.write.fid = p9_get_u32(&r);
	m->u.write.offset = p9_get_u64(&r);
	m->u.write.count = p9_get_u32(&r);
	/* In p9_decode's order: the size, then msize, then the body. */
	if (m->type != P9_TWRITE || m->size != msg_len)
		return P9_EMSG;
	if (msg_len > msize)
		return P9_EBIG;
	if (msg_len < P9_TWRITE_HDR_SIZE ||
	    m->u.write.count != msg_len - P9_TWRITE_HDR_SIZE)
		return P9_EMSG;
	return 0;
}
