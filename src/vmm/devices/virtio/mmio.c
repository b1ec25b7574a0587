/*
 * mmio.c: virtio-mmio v2 register model (see mmio.h). Pure.
 */
#include "mmio.h"

#include <string.h>

#define MMIO_MAGIC 0x74726976u /* "virt" */
#define MMIO_VERSION 2
#define MMIO_VENDOR 0x54414f4du /* "MOAT" */

enum {
	REG_MAGIC = 0x000,
	REG_VERSION = 0x004,
	REG_DEVICE_ID = 0x008,
	REG_VENDOR_ID = 0x00c,
	REG_DEVICE_FEATURES = 0x010,
	REG_DEVICE_FEATURES_SEL = 0x014,
	REG_DRIVER_FEATURES = 0x020,
	REG_DRIVER_FEATURES_SEL = 0x024,
	REG_QUEUE_SEL = 0x030,
	REG_QUEUE_NUM_MAX = 0x034,
	REG_QUEUE_NUM = 0x038,
	REG_QUEUE_READY = 0x044,
	REG_QUEUE_NOTIFY = MMIO_REG_QUEUE_NOTIFY,
	REG_INTERRUPT_STATUS = 0x060,
	REG_INTERRUPT_ACK = 0x064,
	REG_STATUS = 0x070,
	REG_QUEUE_DESC_LOW = 0x080,
	REG_QUEUE_DESC_HIGH = 0x084,
	REG_QUEUE_DRIVER_LOW = 0x090,
	REG_QUEUE_DRIVER_HIGH = 0x094,
	REG_QUEUE_DEVICE_LOW = 0x0a0,
	REG_QUEUE_DEVICE_HIGH = 0x0a4,
	REG_SHM_SEL = 0x0ac,
	REG_CONFIG_GENERATION = 0x0fc,
	REG_CONFIG = 0x100,
};

#define S_ACK VIRTIO_STATUS_ACKNOWLEDGE
#define S_DRV VIRTIO_STATUS_DRIVER
#define S_FOK VIRTIO_STATUS_FEATURES_OK
#define S_DOK VIRTIO_STATUS_DRIVER_OK

/* The legal device status transitions (FAILED and reset are handled
 * apart): from the current status, the one the driver may write next. */
static const struct {
	uint32_t from, to;
} mmio_transitions[] = {
	{ 0, S_ACK },
	{ S_ACK, S_ACK | S_DRV },
	{ S_ACK | S_DRV, S_ACK | S_DRV | S_FOK },
	{ S_ACK | S_DRV | S_FOK, S_ACK | S_DRV | S_FOK | S_DOK },
};

void mmio_init(struct mmio_dev *d, uint32_t device_id, uint64_t features,
	       unsigned nqueues, uint16_t queue_max)
{
	memset(d, 0, sizeof(*d));
	d->device_id = device_id;
	d->features = features | VIRTIO_F_VERSION_1;
	d->nqueues = nqueues > MMIO_MAX_QUEUES ? MMIO_MAX_QUEUES : nqueues;
	d->queue_max = queue_max > VIRTQ_MAX_SIZE ? VIRTQ_MAX_SIZE : queue_max;
}

bool mmio_driver_ok(const struct mmio_dev *d)
{
	return (d->status & S_DOK) &&
	       !(d->status & VIRTIO_STATUS_NEEDS_RESET) &&
	       !(d->status & VIRTIO_STATUS_FAILED);
}

bool mmio_notify_ok(const struct mmio_dev *d, uint32_t q)
{
	return mmio_driver_ok(d) && q < d->nqueues && d->q[q].ready;
}

static void mmio_reset(struct mmio_dev *d)
{
	unsigned i;

	d->status = 0;
	d->dev_features_sel = d->drv_features_sel = d->queue_sel = 0;
	d->driver_features = 0;
	d->interrupt_status = 0;
	for (i = 0; i < MMIO_MAX_QUEUES; i++)
		virtq_reset(&d->q[i]);
}

void mmio_needs_reset(struct mmio_dev *d, struct mmio_effect *fx)
{
	unsigned i;

	if (d->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	d->status |= VIRTIO_STATUS_NEEDS_RESET;
	for (i = 0; i < MMIO_MAX_QUEUES; i++)
		d->q[i].ready = false; /* the device stops using them */
	if (d->status & S_DOK) {
		d->interrupt_status |= VIRTIO_INT_CONFIG;
		fx->irq = true;
	}
}

void mmio_used(struct mmio_dev *d, struct mmio_effect *fx)
{
	d->interrupt_status |= VIRTIO_INT_USED;
	fx->irq = true;
}

static struct virtq *mmio_cur_queue(struct mmio_dev *d)
{
	return d->queue_sel < d->nqueues ? &d->q[d->queue_sel] : NULL;
}

static uint32_t mmio_reg_read(struct mmio_dev *d, uint64_t off)
{
	struct virtq *q = mmio_cur_queue(d);

	switch (off) {
	case REG_MAGIC:
		return MMIO_MAGIC;
	case REG_VERSION:
		return MMIO_VERSION;
	case REG_DEVICE_ID:
		return d->device_id;
	case REG_VENDOR_ID:
		return MMIO_VENDOR;
	case REG_DEVICE_FEATURES:
		return d->dev_features_sel == 0 ? (uint32_t)d->features
		       : d->dev_features_sel == 1
			       ? (uint32_t)(d->features >> 32)
			       : 0;
	case REG_QUEUE_NUM_MAX:
		return q ? d->queue_max : 0;
	case REG_QUEUE_READY:
		return q ? q->ready : 0;
	case REG_INTERRUPT_STATUS:
		return d->interrupt_status;
	case REG_STATUS:
		return d->status;
	case REG_CONFIG_GENERATION:
		return d->config_generation;
	case REG_SHM_SEL + 4: /* SHMLenLow/High: no shared memory regions */
	case REG_SHM_SEL + 8:
		return 0xffffffffu;
	default:
		return 0;
	}
}

void mmio_read(struct mmio_dev *d, uint64_t off, uint8_t *data, uint32_t len)
{
	uint32_t v;

	memset(data, 0, len);
	if (off >= REG_CONFIG) {
		uint64_t c = off - REG_CONFIG;

		if ((len == 1 || len == 2 || len == 4 || len == 8) &&
		    c < d->config_len && len <= d->config_len - c)
			memcpy(data, d->config + c, len);
		return;
	}
	if (len != 4 || (off & 3))
		return;
	v = mmio_reg_read(d, off);
	memcpy(data, &v, 4);
}

/* Queue registers may change only while features are agreed and the
 * driver is not yet running, on a queue that is not ready. */
static struct virtq *mmio_queue_writable(struct mmio_dev *d)
{
	struct virtq *q = mmio_cur_queue(d);

	if (!q || q->ready || (d->status & S_DOK) || !(d->status & S_FOK))
		return NULL;
	return q;
}

static void mmio_set_status(struct mmio_dev *d, const struct gmem *m,
			    uint32_t v, struct mmio_effect *fx)
{
	unsigned i;

	if (v == 0) {
		mmio_reset(d);
		fx->reset = true;
		return;
	}
	if (v & VIRTIO_STATUS_FAILED) {
		d->status |= VIRTIO_STATUS_FAILED;
		return;
	}
	/* A device that needs a reset takes nothing but the reset. */
	if (d->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	v &= ~(uint32_t)VIRTIO_STATUS_NEEDS_RESET; /* the device's bit */
	for (i = 0; i < sizeof(mmio_transitions) / sizeof(mmio_transitions[0]);
	     i++) {
		if ((d->status & ~(uint32_t)VIRTIO_STATUS_NEEDS_RESET) ==
			    mmio_transitions[i].from &&
		    v == mmio_transitions[i].to)
			break;
	}
	if (i == sizeof(mmio_transitions) / sizeof(mmio_transitions[0]))
		return; /* not a legal next step: ignored */
	if (v & ~d->status & S_FOK) {
		/* Only a subset of what we offer, and only virtio 1.x. */
		if ((d->driver_features & ~d->features) ||
		    !(d->driver_features & VIRTIO_F_VERSION_1))
			return;
	}
	if (v & ~d->status & S_DOK) {
		for (i = 0; i < d->nqueues; i++) {
			struct virtq *q = &d->q[i];

			if (!q->ready)
				continue;
			if (virtq_check(q, m, d->queue_max) < 0) {
				d->status = v;
				mmio_needs_reset(d, fx);
				return;
			}
		}
		fx->activate = true;
	}
	d->status = (d->status & VIRTIO_STATUS_NEEDS_RESET) | v;
}

void mmio_write(struct mmio_dev *d, const struct gmem *m, uint64_t off,
		const uint8_t *data, uint32_t len, struct mmio_effect *fx)
{
	struct virtq *q;
	uint32_t v;

	memset(fx, 0, sizeof(*fx));
	fx->notify = -1;
	if (off >= REG_CONFIG) {
		/* Our devices' config spaces are read-only to the driver. */
		return;
	}
	if (len != 4 || (off & 3))
		return;
	memcpy(&v, data, 4);
	switch (off) {
	case REG_DEVICE_FEATURES_SEL:
		d->dev_features_sel = v;
		break;
	case REG_DRIVER_FEATURES_SEL:
		d->drv_features_sel = v;
		break;
	case REG_DRIVER_FEATURES:
		if ((d->status & (S_FOK | S_DOK)) || !(d->status & S_DRV))
			break;
		if (d->drv_features_sel == 0)
			d->driver_features =
				(d->driver_features & 0xffffffff00000000ULL) |
				v;
		else if (d->drv_features_sel == 1)
			d->driver_features =
				(d->driver_features & 0xffffffffULL) |
				(uint64_t)v << 32;
		break;
	case REG_QUEUE_SEL:
		d->queue_sel = v;
		break;
	case REG_QUEUE_NUM:
		if ((q = mmio_queue_writable(d)))
			q->size = (uint16_t)(v > 0xffff ? 0 : v);
		break;
	case REG_QUEUE_READY:
		q = mmio_cur_queue(d);
		if (!q)
			break;
		if (v == 0) {
			if (!(d->status & S_DOK))
				q->ready = false;
		} else if (mmio_queue_writable(d)) {
			if (virtq_check(q, m, d->queue_max) < 0)
				mmio_needs_reset(d, fx);
		}
		break;
	case REG_QUEUE_NOTIFY:
		if (mmio_notify_ok(d, v))
			fx->notify = (int)v;
		break;
	case REG_INTERRUPT_ACK:
		d->interrupt_status &= ~v;
		break;
	case REG_STATUS:
		mmio_set_status(d, m, v, fx);
		break;
	case REG_QUEUE_DESC_LOW:
	case REG_QUEUE_DESC_HIGH:
	case REG_QUEUE_DRIVER_LOW:
	case REG_QUEUE_DRIVER_HIGH:
	case REG_QUEUE_DEVICE_LOW:
	case REG_QUEUE_DEVICE_HIGH: {
		uint64_t *a;

		if (!(q = mmio_queue_writable(d)))
			break;
		a = off < REG_QUEUE_DRIVER_LOW	 ? &q->desc_gpa
		    : off < REG_QUEUE_DEVICE_LOW ? &q->avail_gpa
						 : &q->used_gpa;
		if (off & 4)
			*a = (*a & 0xffffffffULL) | (uint64_t)v << 32;
		else
			*a = (*a & 0xffffffff00000000ULL) | v;
		break;
	}
	default:
		break;
	}
}
