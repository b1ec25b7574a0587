/*
 * fakevq.c: see fakevq.h.
 */
#include "fakevq.h"
#include "test.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>

void fakevq_desc(uint8_t *desc, unsigned i, uint64_t addr, uint32_t len,
		 uint16_t flags, uint16_t next)
{
	uint8_t *d = desc + 16 * i;

	memcpy(d, &addr, 8);
	memcpy(d + 8, &len, 4);
	memcpy(d + 12, &flags, 2);
	memcpy(d + 14, &next, 2);
}

void fakevq_dev(struct virtio_dev *vd, struct gmem *gm, uint8_t *host,
		uint64_t size, const struct virtio_dev_ops *ops)
{
	memset(host, 0, size);
	ASSERT_EQ(gmem_layout(gm, host, size, size), 0);
	memset(vd, 0, sizeof(*vd));
	pthread_mutex_init(&vd->lock, NULL);
	vd->mem = gm;
	vd->ops = ops;
	vd->irq_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_OK(vd->irq_fd);
}

void fakevq_ready(struct virtio_dev *vd, uint64_t features, uint16_t qsize,
		  uint64_t desc, uint64_t avail, uint64_t used, uint16_t max)
{
	struct virtq *q = &vd->mmio.q[0];

	vd->mmio.driver_features = features | VIRTIO_F_VERSION_1;
	vd->mmio.status = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			  VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK;
	q->size = qsize;
	q->desc_gpa = desc;
	q->avail_gpa = avail;
	q->used_gpa = used;
	ASSERT_EQ(virtq_check(q, vd->mem, max), 0);
}
