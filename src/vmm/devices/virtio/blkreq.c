/*
 * blkreq.c: virtio-blk request parsing (see blkreq.h). Pure.
 * The header is copied once out of guest memory before any field is used;
 * data and status stay in guest memory and are only pointed at.
 */
#include "blkreq.h"
#include "../../../common/le.h"

#include <string.h>

/* Point r->seg[] at bytes [off, off + len) of bufs [first, last) of c.
 * The caller has checked that the range lies within those buffers. */
static void blkreq_segs(const struct virtq_chain *c, unsigned first,
			unsigned last, uint64_t off, uint64_t len,
			struct blkreq *r)
{
	unsigned i = first;
	uint64_t n;
	uint8_t *h;

	r->nseg = 0;
	r->data_len = len;
	while ((n = virtq_span_next(c, &i, last, &off, &len, &h))) {
		r->seg[r->nseg].host = h;
		r->seg[r->nseg].len = (uint32_t)n;
		r->nseg++;
	}
}

int blkreq_parse(const struct virtq_chain *c, const struct blkreq_limits *lim,
		 struct blkreq *r)
{
	uint8_t hdr[BLKREQ_HDR_SIZE];
	uint64_t rdata, wdata, nsect;
	unsigned i;

	r->status = NULL;
	r->nseg = 0;
	r->data_len = 0;
	r->type = 0;
	r->sector = 0;
	/* The status: the last byte of the last non-empty writable buffer. */
	for (i = c->nbufs; i > c->nread; i--) {
		const struct virtq_buf *b = &c->buf[i - 1];

		if (b->len) {
			r->status = b->host + b->len - 1;
			break;
		}
	}
	if (!r->status)
		return BLKREQ_ESTATUS;
	if (c->read_len < BLKREQ_HDR_SIZE ||
	    virtq_chain_read(c, 0, hdr, sizeof(hdr)) != sizeof(hdr))
		return BLKREQ_EHDR;
	r->type = le_get32(hdr);
	r->sector = le_get64(hdr + 8);
	rdata = c->read_len - BLKREQ_HDR_SIZE; /* data the guest sends */
	wdata = c->write_len - 1;	       /* room before the status */
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		if (r->type == VIRTIO_BLK_T_IN ? rdata : wdata)
			return BLKREQ_EDIR;
		if (r->type == VIRTIO_BLK_T_IN)
			blkreq_segs(c, c->nread, c->nbufs, 0, wdata, r);
		else
			blkreq_segs(c, 0, c->nread, BLKREQ_HDR_SIZE, rdata, r);
		if (r->data_len % BLKREQ_SECTOR_SIZE)
			return BLKREQ_EALIGN;
		if (r->data_len > lim->max_data)
			return BLKREQ_ETOOBIG;
		nsect = r->data_len >> BLKREQ_SECTOR_SHIFT;
		if (r->sector > lim->capacity ||
		    nsect > lim->capacity - r->sector)
			return BLKREQ_ERANGE;
		if (r->type == VIRTIO_BLK_T_OUT && lim->ro)
			return BLKREQ_ERO;
		return 0;
	case VIRTIO_BLK_T_FLUSH:
		/* The sector field is reserved here: ignored. */
		if (rdata || wdata)
			return BLKREQ_EDIR;
		return 0;
	case VIRTIO_BLK_T_GET_ID:
		if (rdata || !wdata)
			return BLKREQ_EDIR;
		blkreq_segs(c, c->nread, c->nbufs, 0,
			    wdata < BLKREQ_ID_BYTES ? wdata : BLKREQ_ID_BYTES,
			    r);
		return 0;
	default:
		return BLKREQ_ETYPE;
	}
}

uint8_t blkreq_status(int err)
{
	if (err == 0)
		return VIRTIO_BLK_S_OK;
	return err == BLKREQ_ETYPE ? VIRTIO_BLK_S_UNSUPP : VIRTIO_BLK_S_IOERR;
}

void blkreq_id(uint8_t id[BLKREQ_ID_BYTES], const char *s)
{
	size_t n = strnlen(s, BLKREQ_ID_BYTES);

	memset(id, 0, BLKREQ_ID_BYTES);
	memcpy(id, s, n);
}
