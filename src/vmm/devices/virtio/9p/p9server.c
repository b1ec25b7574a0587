/*
 * p9server.c: the 9P2000.L server (see p9server.h): its set-up, and the
 * dispatch of decoded requests through one table. Each row is a message
 * type's handler (p9ops.h) and what the request does beyond its handler's
 * checks: whether it modifies the share (refused on a read-only share,
 * here and only here), and whether it clunks its fid whatever the outcome.
 */
#include "p9server.h"
#include "p9ops.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Table flags. */
#define P9_OP_MODIFIES 1u   /* changes the share: EROFS when read-only */
#define P9_OP_OPEN_WRITE 2u /* modifies when its flags open for writing */
#define P9_OP_CLUNKS 4u	    /* its fid (u.fid) goes, whatever the outcome */

struct p9_op {
	p9ops_fn *fn;
	unsigned flags;
};

/*
 * One row per T-message the codec decodes. Twrite is not marked: it
 * writes only through a fid opened for writing or an xattr being created,
 * and Tlopen, Tlcreate and Txattrcreate are refused on a read-only share.
 * Tclunk commits an xattr being created on a fid Txattrcreate (refused)
 * made, so it modifies nothing there either.
 */
static const struct p9_op p9_ops[256] = {
	[P9_TVERSION] = { p9ops_version, 0 },
	[P9_TAUTH] = { p9ops_auth, 0 },
	[P9_TATTACH] = { p9ops_attach, 0 },
	[P9_TFLUSH] = { p9ops_flush, 0 },
	[P9_TWALK] = { p9ops_walk, 0 },
	[P9_TLOPEN] = { p9ops_lopen, P9_OP_OPEN_WRITE },
	[P9_TLCREATE] = { p9ops_lcreate, P9_OP_MODIFIES },
	[P9_TREAD] = { p9ops_read, 0 },
	[P9_TWRITE] = { p9ops_write, 0 },
	[P9_TCLUNK] = { p9ops_clunk, P9_OP_CLUNKS },
	[P9_TREMOVE] = { p9ops_remove, P9_OP_MODIFIES | P9_OP_CLUNKS },
	[P9_TREADDIR] = { p9ops_readdir, 0 },
	[P9_TGETATTR] = { p9ops_getattr, 0 },
	[P9_TSETATTR] = { p9ops_setattr, P9_OP_MODIFIES },
	[P9_TMKDIR] = { p9ops_mkdir, P9_OP_MODIFIES },
	[P9_TSYMLINK] = { p9ops_symlink, P9_OP_MODIFIES },
	[P9_TMKNOD] = { p9ops_mknod, P9_OP_MODIFIES },
	[P9_TREADLINK] = { p9ops_readlink, 0 },
	[P9_TLINK] = { p9ops_link, P9_OP_MODIFIES },
	[P9_TRENAMEAT] = { p9ops_renameat, P9_OP_MODIFIES },
	[P9_TRENAME] = { p9ops_rename, P9_OP_MODIFIES },
	[P9_TUNLINKAT] = { p9ops_unlinkat, P9_OP_MODIFIES },
	[P9_TSTATFS] = { p9ops_statfs, 0 },
	[P9_TFSYNC] = { p9ops_fsync, 0 },
	[P9_TXATTRWALK] = { p9ops_xattrwalk, 0 },
	[P9_TXATTRCREATE] = { p9ops_xattrcreate, P9_OP_MODIFIES },
	[P9_TLOCK] = { p9ops_lock, 0 },
	[P9_TGETLOCK] = { p9ops_getlock, 0 },
};

/* Whether request m of row op would change the share. */
static bool p9_modifies(const struct p9_op *op, const struct p9_tmsg *m)
{
	uint32_t acc = m->u.lopen.flags & P9_DOTL_ACCMODE;

	if (op->flags & P9_OP_MODIFIES)
		return true;
	return (op->flags & P9_OP_OPEN_WRITE) &&
	       (acc == P9_DOTL_WRONLY || acc == P9_DOTL_RDWR ||
		(m->u.lopen.flags & P9_DOTL_TRUNC));
}

int p9_serve(struct p9server *s, struct p9_req *r)
{
	const struct p9_tmsg *m = &r->m;
	const struct p9_op *op = &p9_ops[m->type];
	struct p9_w w;
	int n, err;

	r->sg = r->direct = false;
	if (r->out_cap < P9_HDR_SIZE + 4)
		return -1;
	if (r->decoded < 0)
		return p9_enc_rlerror(r->out, r->out_cap, m->tag,
				      (uint32_t)p9_decode_errno(r->decoded));
	p9_w_init(&w, r->out, r->out_cap < s->msize ? r->out_cap : s->msize,
		  (uint8_t)(m->type + 1), m->tag);
	if (!op->fn)
		err = EOPNOTSUPP;
	else if (s->readonly && p9_modifies(op, m))
		err = EROFS;
	else
		err = op->fn(s, r, &w);
	if (op->flags & P9_OP_CLUNKS) {
		struct p9fid *f = p9fid_get(&s->fids, m->u.fid.fid);

		if (f)
			p9fid_del(&s->fids, f);
	}
	if (err == P9_OPS_DIRECT) {
		r->direct = true;
		return s->direct_len;
	}
	if (!err) {
		n = p9_w_finish(&w);
		if (n >= 0)
			return n;
		err = ENOBUFS; /* the reply did not fit the guest's buffer */
	}
	return p9_enc_rlerror(r->out, r->out_cap, m->tag, (uint32_t)err);
}

int p9_handle(struct p9server *s, const uint8_t *req, size_t req_len,
	      uint8_t *resp, size_t resp_cap)
{
	struct p9_req r;

	memset(&r, 0, sizeof(r));
	r.decoded = p9_decode(req, req_len, s->msize, &r.m);
	r.out = resp;
	r.out_cap = resp_cap;
	return p9_serve(s, &r);
}

/* --- setup -------------------------------------------------------------------
 */
struct p9server *p9server_new(const struct p9server_config *cfg,
			      struct moat_err **e)
{
	struct p9server *s;
	unsigned max_fids;
	int r;

	if (!cfg->tag || !cfg->tag[0] || strlen(cfg->tag) > P9_TAG_MAX) {
		moat_err_set(e, EINVAL, "9p: tag must be 1 to %d bytes",
			     P9_TAG_MAX);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		moat_err_set(e, ENOMEM, "9p share %s", cfg->path);
		return NULL;
	}
	snprintf(s->tag, sizeof(s->tag), "%s", cfg->tag);
	s->readonly = cfg->readonly;
	s->msize_max = cfg->msize ? cfg->msize : P9_DEFAULT_MSIZE;
	if (s->msize_max < P9_MIN_MSIZE)
		s->msize_max = P9_MIN_MSIZE;
	s->msize = s->msize_max;
	max_fids = cfg->max_fids ? cfg->max_fids : P9_DEFAULT_MAX_FIDS;
	/* Each fid's node and its ancestors: room for deep trees, but a
	 * bound on the fds a guest can make the server hold. */
	r = p9confine_open(&s->share, cfg->path, cfg->submounts,
			   4 * max_fids + 16);
	if (r < 0) {
		moat_err_set(e, -r, "9p share %s", cfg->path);
		free(s);
		return NULL;
	}
	s->dirbuf = malloc(P9OPS_DIRBUF_SIZE);
	if (!s->dirbuf || p9fid_init(&s->fids, &s->share, max_fids) < 0) {
		moat_err_set(e, ENOMEM, "9p share %s", cfg->path);
		p9server_free(s);
		return NULL;
	}
	return s;
}

void p9server_free(struct p9server *s)
{
	if (!s)
		return;
	p9fid_fini(&s->fids);
	p9confine_close(&s->share);
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
