/*
 * p9fid.h: the 9p server's fid table: the guest's handles, each a node of
 * the share (p9confine.h) and, once opened, an I/O fd or an xattr buffer.
 * A bounded open-addressing hash table (linear probes, backward-shift
 * deletion), grown by doubling up to max fids.
 *
 * Inputs: fid numbers from the guest (any 32-bit value but P9_NOFID).
 */
#ifndef MOAT_VMM_P9FID_H
#define MOAT_VMM_P9FID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "p9confine.h"

enum p9fid_kind {
	P9FID_PATH,	   /* walked, not opened */
	P9FID_OPEN,	   /* opened: ofd */
	P9FID_XATTR_READ,  /* Txattrwalk result: xbuf holds xlen bytes */
	P9FID_XATTR_WRITE, /* Txattrcreate: xbuf collects xsize bytes */
};

struct p9fid {
	bool used;
	uint32_t fid;
	uint32_t uid; /* n_uname at attach */
	enum p9fid_kind kind;
	struct p9node *node;
	int ofd;
	int oflags;
	uint8_t *xbuf;
	size_t xlen, xsize;
	char *xname;
	int xflags;
};

struct p9fids {
	struct p9confine *share; /* whose nodes the fids hold */
	unsigned max, n;
	size_t cap; /* slots, a power of two */
	struct p9fid *slots;
};

/* An empty table of at most max fids. Returns 0 or -ENOMEM. */
int p9fid_init(struct p9fids *t, struct p9confine *share, unsigned max);
/* Delete every fid and free the table. */
void p9fid_fini(struct p9fids *t);

/* The fid numbered fid, or NULL. */
struct p9fid *p9fid_get(struct p9fids *t, uint32_t fid);
/* A new fid with node n (a reference is taken). Pointers to other fids
 * are invalid afterwards (the table may grow). Returns NULL with *err
 * (EBADF: NOFID or in use, EMFILE: table full, ENOMEM). */
struct p9fid *p9fid_add(struct p9fids *t, uint32_t fid, struct p9node *n,
			uint32_t uid, int *err);
/* Drop what an open fid holds (back to a walked fid). */
void p9fid_close(struct p9fid *f);
/* Remove fid f. Pointers to other fids are invalid afterwards. */
void p9fid_del(struct p9fids *t, struct p9fid *f);
/* Remove every fid. */
void p9fid_del_all(struct p9fids *t);

#endif
