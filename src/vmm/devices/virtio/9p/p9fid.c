/*
 * p9fid.c: the 9p server's fid table (see p9fid.h).
 */
#include "p9fid.h"
#include "p9codec.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define P9FID_CAP0 64

static size_t fid_hash(uint32_t fid, size_t cap)
{
	return (size_t)(fid * 2654435761u) & (cap - 1);
}

int p9fid_init(struct p9fids *t, struct p9confine *share, unsigned max)
{
	memset(t, 0, sizeof(*t));
	t->slots = calloc(P9FID_CAP0, sizeof(*t->slots));
	if (!t->slots)
		return -ENOMEM;
	t->share = share;
	t->max = max;
	t->cap = P9FID_CAP0;
	return 0;
}

void p9fid_fini(struct p9fids *t)
{
	if (t->slots)
		p9fid_del_all(t);
	free(t->slots);
	t->slots = NULL;
}

struct p9fid *p9fid_get(struct p9fids *t, uint32_t fid)
{
	size_t i = fid_hash(fid, t->cap);

	while (t->slots[i].used) {
		if (t->slots[i].fid == fid)
			return &t->slots[i];
		i = (i + 1) & (t->cap - 1);
	}
	return NULL;
}

static int fid_grow(struct p9fids *t)
{
	size_t ncap = t->cap * 2, i;
	struct p9fid *ns = calloc(ncap, sizeof(*ns)), *old = t->slots;

	if (!ns)
		return -ENOMEM;
	for (i = 0; i < t->cap; i++) {
		size_t j;

		if (!old[i].used)
			continue;
		j = fid_hash(old[i].fid, ncap);
		while (ns[j].used)
			j = (j + 1) & (ncap - 1);
		ns[j] = old[i];
	}
	t->slots = ns;
	t->cap = ncap;
	free(old);
	return 0;
}

struct p9fid *p9fid_add(struct p9fids *t, uint32_t fid, struct p9node *n,
			uint32_t uid, int *err)
{
	struct p9fid *f;
	size_t i;

	if (fid == P9_NOFID || p9fid_get(t, fid)) {
		*err = EBADF;
		return NULL;
	}
	if (t->n >= t->max) {
		*err = EMFILE;
		return NULL;
	}
	if ((t->n + 1) * 2 > t->cap && fid_grow(t) < 0) {
		*err = ENOMEM;
		return NULL;
	}
	i = fid_hash(fid, t->cap);
	while (t->slots[i].used)
		i = (i + 1) & (t->cap - 1);
	f = &t->slots[i];
	memset(f, 0, sizeof(*f));
	f->used = true;
	f->fid = fid;
	f->uid = uid;
	f->kind = P9FID_PATH;
	f->node = n;
	f->ofd = -1;
	p9confine_hold(n);
	t->n++;
	return f;
}

void p9fid_close(struct p9fid *f)
{
	if (f->ofd >= 0)
		close(f->ofd);
	f->ofd = -1;
	free(f->xbuf);
	free(f->xname);
	f->xbuf = NULL;
	f->xname = NULL;
	f->kind = P9FID_PATH;
}

void p9fid_del(struct p9fids *t, struct p9fid *f)
{
	size_t i = (size_t)(f - t->slots), j = i, mask = t->cap - 1;

	p9fid_close(f);
	p9confine_put(t->share, f->node);
	for (;;) {
		size_t k;

		j = (j + 1) & mask;
		if (!t->slots[j].used)
			break;
		k = fid_hash(t->slots[j].fid, t->cap);
		/* Move j into the hole at i if its home k is not in (i, j]. */
		if ((j > i && (k <= i || k > j)) ||
		    (j < i && k <= i && k > j)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	memset(&t->slots[i], 0, sizeof(t->slots[i]));
	t->n--;
}

void p9fid_del_all(struct p9fids *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++) {
		struct p9fid *f = &t->slots[i];

		if (!f->used)
			continue;
		p9fid_close(f);
		p9confine_put(t->share, f->node);
		memset(f, 0, sizeof(*f));
	}
	t->n = 0;
}
