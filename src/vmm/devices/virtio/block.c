/*
 * block.c: virtio-blk over an image fd (see block.h).
 * Locking: block_notify runs with vd->lock held (dev.c calls it so, on the
 * vCPU thread that wrote QueueNotify); nothing else touches the queue.
 * Syscalls on the guest's behalf: preadv, pwritev, fdatasync on the image
 * fd, which the vCPU seccomp filter allows (docs/threat-model.md).
 */
#include "block.h"
#include "../../../common/le.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

int block_open(struct block *b, const char *path, bool ro, const char *id,
	       struct moat_err **e)
{
	struct stat st;
	uint64_t size;

	memset(b, 0, sizeof(*b));
	b->ro = ro;
	b->fd = open(path, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0)
		return moat_err_set(e, errno, "%s", path);
	if (fstat(b->fd, &st) < 0) {
		moat_err_set(e, errno, "%s: fstat", path);
		goto fail;
	}
	if (S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(b->fd, BLKGETSIZE64, &size) < 0) {
			moat_err_set(e, errno, "%s: BLKGETSIZE64", path);
			goto fail;
		}
	} else {
		moat_err_set(e, EINVAL, "%s: not a file or block device", path);
		goto fail;
	}
	/* One writer per image, and no writer beside readers. */
	if (flock(b->fd, (ro ? LOCK_SH : LOCK_EX) | LOCK_NB) < 0) {
		moat_err_set(e, errno, "%s: locked by another user", path);
		goto fail;
	}
	b->capacity = size >> BLKREQ_SECTOR_SHIFT;
	blkreq_id(b->id, id ? id : "");
	return 0;
fail:
	close(b->fd);
	b->fd = -1;
	return -1;
}

void block_close(struct block *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}

void block_setup(struct block *b, struct virtio_dev *vd)
{
	uint64_t f = 1ULL << VIRTIO_BLK_F_SIZE_MAX |
		     1ULL << VIRTIO_BLK_F_SEG_MAX |
		     1ULL << VIRTIO_BLK_F_BLK_SIZE | 1ULL << VIRTIO_BLK_F_FLUSH;

	if (b->ro)
		f |= 1ULL << VIRTIO_BLK_F_RO;
	mmio_init(&vd->mmio, VIRTIO_ID_BLOCK, f, 1, BLOCK_QUEUE_SIZE);
	/* struct virtio_blk_config, little-endian (5.2.4). */
	le_put(vd->mmio.config + 0, b->capacity, 8);
	le_put(vd->mmio.config + 8, BLOCK_SIZE_MAX, 4);
	le_put(vd->mmio.config + 12, BLOCK_SEG_MAX, 4);
	/* 16..19: geometry, not offered */
	le_put(vd->mmio.config + 20, BLKREQ_SECTOR_SIZE, 4);
	vd->mmio.config_len = BLOCK_CONFIG_LEN;
	vd->priv = b;
	b->vd = vd;
}

/* Read or write the request's data at its sector, all of it. Returns 0,
 * or -1 on an error or a short transfer (the image shrank under us). */
static int block_rw(struct block *b, const struct blkreq *r, bool write)
{
	struct iovec iov[VIRTQ_MAX_SIZE];
	uint64_t left = r->data_len;
	/* sector + len fit in the capacity, itself from an off_t size. */
	off_t off = (off_t)(r->sector << BLKREQ_SECTOR_SHIFT);
	unsigned i, first = 0;

	for (i = 0; i < r->nseg; i++) {
		iov[i].iov_base = r->seg[i].host;
		iov[i].iov_len = r->seg[i].len;
	}
	while (left) {
		ssize_t k = write ? pwritev(b->fd, iov + first,
					    (int)(r->nseg - first), off)
				  : preadv(b->fd, iov + first,
					   (int)(r->nseg - first), off);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0 || (uint64_t)k > left)
			return -1;
		left -= (uint64_t)k;
		off += k;
		while (k > 0 && first < r->nseg) {
			if ((size_t)k >= iov[first].iov_len) {
				k -= (ssize_t)iov[first].iov_len;
				first++;
			} else {
				iov[first].iov_base =
					(uint8_t *)iov[first].iov_base + k;
				iov[first].iov_len -= (size_t)k;
				k = 0;
			}
		}
	}
	return 0;
}

static int block_sync(struct block *b)
{
	int r;

	do
		r = fdatasync(b->fd);
	while (r < 0 && errno == EINTR);
	return r;
}

/* Carry out a parsed request; returns its status and the bytes written
 * into the guest's data buffers in *written. */
static uint8_t block_do(struct block *b, const struct blkreq *r,
			uint32_t *written)
{
	bool flush = b->vd->mmio.driver_features & 1ULL << VIRTIO_BLK_F_FLUSH;
	uint64_t off = 0;
	unsigned i;

	*written = 0;
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
		if (block_rw(b, r, false) < 0)
			return VIRTIO_BLK_S_IOERR;
		*written = (uint32_t)r->data_len; /* <= max_data */
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_OUT:
		if (block_rw(b, r, true) < 0)
			return VIRTIO_BLK_S_IOERR;
		/* Without FLUSH the device is write-through (5.2.6.4). */
		if (!flush && block_sync(b) < 0)
			return VIRTIO_BLK_S_IOERR;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_FLUSH:
		return block_sync(b) < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID:
		for (i = 0; i < r->nseg; i++) {
			memcpy(r->seg[i].host, b->id + off, r->seg[i].len);
			off += r->seg[i].len; /* data_len <= 20 */
		}
		*written = (uint32_t)r->data_len;
		return VIRTIO_BLK_S_OK;
	default:
		return VIRTIO_BLK_S_UNSUPP; /* blkreq_parse let none by */
	}
}

/* Serve the chain in b->chain; returns the used length to report. */
static uint32_t block_serve(struct block *b)
{
	const struct blkreq_limits lim = {
		.capacity = b->capacity,
		.max_data = (uint64_t)BLOCK_SEG_MAX * BLOCK_SIZE_MAX,
		.ro = b->ro,
	};
	struct blkreq *r = &b->req;
	uint32_t written = 0;
	uint8_t st;
	int err;

	b->nreq++;
	err = blkreq_parse(&b->chain, &lim, r);
	if (err == BLKREQ_ESTATUS) {
		b->nerr++;
		return 0; /* nowhere to say so: give the buffers back */
	}
	st = err ? blkreq_status(err) : block_do(b, r, &written);
	if (st != VIRTIO_BLK_S_OK)
		b->nerr++;
	*r->status = st; /* GUEST: a byte of a buffer virtq_pop checked */
	return written + 1;
}

static void block_notify(struct virtio_dev *vd, unsigned qi)
{
	struct block *b = vd->priv;
	struct virtq *q = &vd->mmio.q[0];
	unsigned n;
	int r = VIRTQ_EEMPTY, used = 0;

	if (qi != 0)
		return;
	/* At most a queue's worth: all that was available when the guest
	 * notified (avail may run at most size ahead); later buffers come
	 * with their own notification. */
	for (n = 0; n < q->size; n++) {
		r = virtq_pop(q, vd->mem, &b->chain);
		if (r != 0)
			break;
		virtq_push(q, b->chain.head, block_serve(b));
		used = 1;
	}
	if (r == VIRTQ_EBROKEN)
		virtio_dev_broken(vd);
	if (used)
		virtio_dev_used(vd, 0);
}

const struct virtio_dev_ops block_ops = {
	.notify = block_notify,
};

static const int block_sys[] = { SYS_preadv, SYS_pwritev, SYS_fdatasync };

const struct filter_rules block_filter_rules = {
	.sys = block_sys,
	.n = sizeof(block_sys) / sizeof(block_sys[0]),
};
