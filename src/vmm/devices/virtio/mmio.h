/*
 * mmio.h: the virtio-mmio transport, version 2, as a pure register model.
 *
 * The guest's register accesses drive a device status state machine whose
 * legal transitions are in one table (mmio.c): 0 -> ACKNOWLEDGE -> DRIVER
 * -> FEATURES_OK -> DRIVER_OK, FAILED at any time, 0 resets. Queue
 * registers are writable only between FEATURES_OK and DRIVER_OK while the
 * queue is not ready; FEATURES_OK sticks only for a subset of the offered
 * features that includes VIRTIO_F_VERSION_1. Every queue is checked
 * (virtq_check) when the driver sets it ready and again at DRIVER_OK; a
 * failure sets DEVICE_NEEDS_RESET instead of using it.
 * What the backend must do comes back in struct mmio_effect.
 * Inputs: guest MMIO accesses (guest-controlled).
 * Spec: Virtio 1.2, 4.2 "Virtio Over MMIO", 2.1 "Device Status Field".
 */
#ifndef MOAT_VMM_VIRTIO_MMIO_H
#define MOAT_VMM_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stdint.h>

#include "../../mem/gmem.h"
#include "virtq.h"

#define MMIO_MAX_QUEUES 8
#define MMIO_CONFIG_MAX 256
#define MMIO_REGION_SIZE 0x1000
#define MMIO_REG_QUEUE_NOTIFY 0x050 /* written with a queue's index */

#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

#define VIRTIO_F_VERSION_1 (1ULL << 32)

#define VIRTIO_INT_USED 1
#define VIRTIO_INT_CONFIG 2

struct mmio_dev {
	/* Fixed by the device model at creation. */
	uint32_t device_id;
	uint64_t features; /* offered; VIRTIO_F_VERSION_1 is added */
	unsigned nqueues;
	uint16_t queue_max;
	uint8_t config[MMIO_CONFIG_MAX];
	uint32_t config_len;
	/* Transport state. */
	uint32_t status;
	uint32_t dev_features_sel, drv_features_sel, queue_sel;
	uint64_t driver_features;
	uint32_t interrupt_status;
	uint32_t config_generation;
	struct virtq q[MMIO_MAX_QUEUES];
};

struct mmio_effect {
	int notify;    /* queue index the driver notified, or -1 */
	bool activate; /* DRIVER_OK was reached with every queue sound */
	bool reset;    /* the driver reset the device */
	bool irq;      /* raise the interrupt (InterruptStatus changed) */
};

void mmio_init(struct mmio_dev *d, uint32_t device_id, uint64_t features,
	       unsigned nqueues, uint16_t queue_max);

/* Register access at offset off (len 1, 2 or 4; the registers below 0x100
 * take only 4-byte accesses). Unknown or misaligned accesses read 0 and
 * write nothing. */
void mmio_read(struct mmio_dev *d, uint64_t off, uint8_t *data, uint32_t len);
void mmio_write(struct mmio_dev *d, const struct gmem *m, uint64_t off,
		const uint8_t *data, uint32_t len, struct mmio_effect *fx);

/* Whether a notification of queue q is to be served now: the driver is
 * done (DRIVER_OK, not NEEDS_RESET or FAILED) and q exists and is ready.
 * QueueNotify writes go through it, whether they come as MMIO exits or by
 * ioeventfd (dev.c). */
bool mmio_notify_ok(const struct mmio_dev *d, uint32_t q);

/* The device reports a broken queue or an internal error. */
void mmio_needs_reset(struct mmio_dev *d, struct mmio_effect *fx);

/* The device used buffers: set the interrupt status; fx->irq says whether
 * to raise the line. */
void mmio_used(struct mmio_dev *d, struct mmio_effect *fx);

bool mmio_driver_ok(const struct mmio_dev *d);

#endif
