/*
 * p9ops.h: the 9p server's request handlers, one per T-message type, and
 * the server's state they share with the dispatcher (p9server.c), which
 * calls them through its table.
 *
 * A handler gets a request the transport decoded (r->m) and a writer on
 * the reply's buffer, whose header (type, tag) is already written. It
 * returns 0 with the rest of the reply written to w, P9_OPS_DIRECT with
 * the whole reply written in r->hdr and r->rdata instead (its length in
 * s->direct_len: p9ops_read), or a positive errno (the dispatcher answers
 * an Rlerror). A handler never checks the share's read-only flag: the table
 * says which requests modify the share and the dispatcher refuses them
 * before any handler runs.
 *
 * p9ops_file.c: opening, reading, writing, listing, syncing, locking,
 * xattrs. p9ops_tree.c: version, attach, walks, attributes, what makes,
 * links, renames and removes names.
 */
#ifndef MOAT_VMM_P9OPS_H
#define MOAT_VMM_P9OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "p9codec.h"
#include "p9confine.h"
#include "p9fid.h"
#include "p9server.h"

#define P9OPS_DIRBUF_SIZE (64 * 1024)

struct p9server {
	char tag[P9_TAG_MAX + 1];
	bool readonly; /* the dispatcher's alone */
	uint32_t msize_max, msize;
	struct p9confine share;
	struct p9fids fids;
	uint8_t *dirbuf; /* getdents64 scratch */
	/* Names as C strings (p9ops_cname). */
	char scratch[P9_STR_MAX + 1];
	char scratch2[P9_STR_MAX + 1];
	/* The direct reply's length (P9_OPS_DIRECT). */
	int direct_len;
};

#define P9_OPS_DIRECT (-1)

typedef int p9ops_fn(struct p9server *s, struct p9_req *r, struct p9_w *w);

/* Shared by the handlers. */
/* The fid numbered id in *f, or EBADF. */
int p9ops_fid(struct p9server *s, uint32_t id, struct p9fid **f);
/* A name view as a C string in buf (P9_STR_MAX + 1 bytes), or NULL. */
const char *p9ops_cname(char *buf, const struct p9_str *n);
/* The qid of a file the share holds (inodes of other filesystems under a
 * share with submounts kept apart from the share's own). */
void p9ops_qid(const struct p9server *s, const struct stat *st,
	       struct p9_qid *q);

/* p9ops_file.c */
p9ops_fn p9ops_lopen, p9ops_lcreate, p9ops_read, p9ops_write, p9ops_readdir,
	p9ops_fsync, p9ops_lock, p9ops_getlock, p9ops_xattrwalk,
	p9ops_xattrcreate, p9ops_clunk;
/* p9ops_tree.c */
p9ops_fn p9ops_version, p9ops_auth, p9ops_attach, p9ops_flush, p9ops_walk,
	p9ops_getattr, p9ops_setattr, p9ops_mkdir, p9ops_symlink, p9ops_mknod,
	p9ops_readlink, p9ops_link, p9ops_renameat, p9ops_rename,
	p9ops_unlinkat, p9ops_remove, p9ops_statfs;

#endif
