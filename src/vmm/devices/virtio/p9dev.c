/*
 * p9dev.c: virtio-9p over a p9server, served by a device thread (see
 * p9dev.h).
 * Locking: vd->lock guards the queue, kick/stop/gen and the transport;
 * the vCPU thread that notifies holds it (dev.c) and only signals
 * d->th.cond. The device thread holds it to pop and push, never while the
 * server runs. d->req, d->resp, d->chain and the server belong to the
 * device thread alone once it has started.
 * Syscalls on the guest's behalf: the server's *at() calls on the share's
 * fds, and the irqfd write, which the FILTER_P9 allowlist allows
 * (docs/threat-model.md).
 */
#include "p9dev.h"
#include "9p/p9codec.h"
#include "../../../common/le.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

int p9dev_open(struct p9dev *d, const char *path, const char *tag, bool ro,
	       bool submounts, struct moat_err **e)
{
	struct p9server_config cfg = {
		.path = path,
		.tag = tag,
		.readonly = ro,
		.submounts = submounts,
	};

	memset(d, 0, sizeof(*d));
	pthread_cond_init(&d->th.cond, NULL);
	d->srv = p9server_new(&cfg, e);
	if (!d->srv)
		return -1;
	/* Before Tversion the server's msize is its largest. */
	d->bufsize = p9server_msize(d->srv);
	d->req = malloc(d->bufsize);
	d->resp = malloc(d->bufsize);
	if (!d->req || !d->resp) {
		p9dev_close(d);
		return moat_err_set(e, ENOMEM, "9p share %s", tag);
	}
	return 0;
}

void p9dev_setup(struct p9dev *d, struct virtio_dev *vd)
{
	const char *tag = p9server_tag(d->srv);
	size_t n = strlen(tag); /* <= P9_TAG_MAX, checked by the server */

	mmio_init(&vd->mmio, VIRTIO_ID_9P, 1ULL << VIRTIO_9P_MOUNT_TAG, 1,
		  P9DEV_QUEUE_SIZE);
	/* struct virtio_9p_config: le16 tag_len, then the tag, no NUL. */
	le_put16(vd->mmio.config, (uint16_t)n);
	memcpy(vd->mmio.config + 2, tag, n);
	vd->mmio.config_len = (uint32_t)(2 + n);
	vd->priv = d;
	d->vd = vd;
}

/* Whether the chain's writable buffers follow one another in host memory
 * (so the reply can be written in place). */
static bool p9dev_write_contiguous(const struct virtq_chain *c)
{
	unsigned i;

	if (c->nbufs == c->nread)
		return false;
	for (i = c->nread + 1; i < c->nbufs; i++)
		if (c->buf[i - 1].host + c->buf[i - 1].len != c->buf[i].host)
			return false;
	return true;
}

/* Whether d->chain holds a Twrite to write from where its data lie:
 * several readable buffers (Linux's zero-copy writes: the header, then the
 * user's pages) holding exactly the message its size field gives, at most
 * bufsize. Its header is then copied into hdr and its data described in
 * d->iov (*niov segments, the bytes after the header). Reads only the
 * header's size and type fields: it is decoded once, by the caller. */
static bool p9dev_twrite_sg(struct p9dev *d, uint8_t *hdr, unsigned *niov)
{
	const struct virtq_chain *c = &d->chain;
	uint64_t skip = P9_TWRITE_HDR_SIZE;
	unsigned i, n = 0;

	if (c->nread < 2 || c->read_len > d->bufsize ||
	    virtq_chain_read(c, 0, hdr, P9_TWRITE_HDR_SIZE) !=
		    P9_TWRITE_HDR_SIZE ||
	    hdr[4] != P9_TWRITE || le_get32(hdr) != c->read_len)
		return false;
	for (i = 0; i < c->nread; i++) {
		if (skip >= c->buf[i].len) {
			skip -= c->buf[i].len;
			continue;
		}
		if (n == P9_SG_MAX)
			return false;
		/* GUEST: the part past skip of a buffer virtq_pop checked
		 * whole. */
		d->iov[n].iov_base = c->buf[i].host + skip;
		d->iov[n].iov_len = c->buf[i].len - skip;
		skip = 0;
		n++;
	}
	*niov = n;
	return true;
}

/* For a Tread into scattered writable buffers: the first for the header
 * (and the start of the data), the others in d->iov. */
static void p9dev_read_sg(struct p9dev *d, struct p9_req *r)
{
	const struct virtq_chain *c = &d->chain;
	unsigned i, n = 0;

	if (c->nbufs - c->nread < 2 || c->nbufs - c->nread - 1 > P9_SG_MAX)
		return;
	for (i = c->nread + 1; i < c->nbufs; i++) {
		/* GUEST: each a buffer virtq_pop checked whole. */
		d->iov[n].iov_base = c->buf[i].host;
		d->iov[n].iov_len = c->buf[i].len;
		n++;
	}
	r->hdr = c->buf[c->nread].host;
	r->hdr_cap = c->buf[c->nread].len;
	r->rdata = d->iov;
	r->nrdata = n;
}

/*
 * Serve the chain in d->chain, outside the lock. The request is decoded
 * once: a Twrite over several buffers from its copied header alone
 * (p9dev_twrite_sg), anything else from a private copy of the whole
 * message (at most bufsize: a longer one is cut short, its size field then
 * exceeds what is here and it gets an Rlerror). Returns the bytes written
 * into the chain's writable part.
 */
static uint32_t p9dev_serve(struct p9dev *d)
{
	const struct virtq_chain *c = &d->chain;
	uint32_t msize = p9server_msize(d->srv);
	uint8_t hdr[P9_TWRITE_HDR_SIZE];
	struct p9_req r;
	unsigned niov;
	size_t len;
	int n;

	__atomic_fetch_add(&d->nreq, 1, __ATOMIC_RELAXED);
	memset(&r, 0, sizeof(r));
	if (p9dev_twrite_sg(d, hdr, &niov)) {
		r.decoded = p9_decode_twrite_hdr(
			hdr, sizeof(hdr), (size_t)c->read_len, msize, &r.m);
		r.wdata = d->iov;
		r.nwdata = niov;
	} else {
		/* Copied once, whole: the server decodes bytes the guest
		 * can no longer change. */
		len = c->read_len < d->bufsize ? (size_t)c->read_len
					       : d->bufsize;
		len = virtq_chain_read(c, 0, d->req, len);
		r.decoded = p9_decode(d->req, len, msize, &r.m);
	}
	r.out_cap =
		c->write_len < d->bufsize ? (size_t)c->write_len : d->bufsize;
	if (p9dev_write_contiguous(c)) {
		/* GUEST: buffers virtq_pop checked, adjacent, out_cap <= their
		 * sum. The server only writes the reply there, never reads
		 * it back. */
		r.out = c->buf[c->nread].host;
	} else {
		/* Built in d->resp and copied out once, except a Tread of a
		 * file, read straight into the scattered buffers. */
		r.out = d->resp;
		if (r.decoded == 0 && r.m.type == P9_TREAD)
			p9dev_read_sg(d, &r);
	}
	n = p9_serve(d->srv, &r);
	if (r.sg)
		__atomic_fetch_add(&d->nsg, 1, __ATOMIC_RELAXED);
	if (n < 0) {
		__atomic_fetch_add(&d->nerr, 1, __ATOMIC_RELAXED);
		return 0; /* no room for even an Rlerror */
	}
	if (r.out == d->resp && !r.direct) {
		__atomic_fetch_add(&d->ncopy, 1, __ATOMIC_RELAXED);
		virtq_chain_write(c, 0, d->resp, (uint64_t)n);
	}
	return (uint32_t)n;
}

/* Serve what is available until the queue is empty or we must stop.
 * Called and returns with vd->lock held. */
static void p9dev_drain(struct p9dev *d)
{
	struct virtio_dev *vd = d->vd;
	struct virtq *q = &vd->mmio.q[0];

	while (!d->stop && mmio_driver_ok(&vd->mmio) && q->ready) {
		unsigned gen = d->gen;
		uint32_t written;
		int r = virtq_pop(q, vd->mem, &d->chain);

		if (r == VIRTQ_EEMPTY)
			return;
		if (r != 0) {
			virtio_dev_broken(vd);
			return;
		}
		pthread_mutex_unlock(&vd->lock);
		written = p9dev_serve(d);
		pthread_mutex_lock(&vd->lock);
		if (gen != d->gen)
			continue; /* reset meanwhile: that chain is gone */
		virtq_push(q, d->chain.head, written);
		virtio_dev_used(vd, 0);
	}
}

static void *p9dev_thread(void *arg)
{
	struct p9dev *d = arg;
	struct virtio_dev *vd = d->vd;

	/* The filter first: nothing the guest sends is served without it. */
	if (virtio_thread_filter(vd, &d->th, FILTER_P9) < 0)
		return NULL;
	pthread_mutex_lock(&vd->lock);
	while (!d->stop) {
		if (!d->kick) {
			pthread_cond_wait(&d->th.cond, &vd->lock);
			continue;
		}
		d->kick = false;
		p9dev_drain(d);
	}
	pthread_mutex_unlock(&vd->lock);
	return NULL;
}

int p9dev_start(struct p9dev *d, struct moat_err **e)
{
	int r = virtio_thread_start(d->vd, &d->th, p9dev_thread, d);

	if (r > 0)
		return moat_err_set(e, r, "9p share %s: thread",
				    p9server_tag(d->srv));
	if (r < 0)
		return moat_err_set(
			e, EINVAL, "9p share %s: seccomp filter for its thread",
			p9server_tag(d->srv));
	return 0;
}

void p9dev_stop(struct p9dev *d)
{
	if (!d->th.started)
		return;
	pthread_mutex_lock(&d->vd->lock);
	d->stop = true;
	pthread_cond_broadcast(&d->th.cond);
	pthread_mutex_unlock(&d->vd->lock);
	pthread_join(d->th.id, NULL);
	d->th.started = false;
}

void p9dev_close(struct p9dev *d)
{
	p9dev_stop(d);
	p9server_free(d->srv);
	d->srv = NULL;
	free(d->req);
	free(d->resp);
	d->req = d->resp = NULL;
	pthread_cond_destroy(&d->th.cond);
}

/* --- the transport's callbacks, on vCPU threads with vd->lock held ------- */

static void p9dev_notify(struct virtio_dev *vd, unsigned qi)
{
	struct p9dev *d = vd->priv;

	if (qi != 0)
		return;
	d->kick = true;
	pthread_cond_signal(&d->th.cond);
}

static void p9dev_activate(struct virtio_dev *vd)
{
	p9dev_notify(vd, 0); /* buffers may already be there */
}

static void p9dev_reset(struct virtio_dev *vd)
{
	struct p9dev *d = vd->priv;

	d->gen++;
}

const struct virtio_dev_ops p9dev_ops = {
	.notify = p9dev_notify,
	.activate = p9dev_activate,
	.reset = p9dev_reset,
};
