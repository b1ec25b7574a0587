/*
 * consctl.h: the control channel of a multiport virtio-console
 * (VIRTIO_CONSOLE_F_MULTIPORT) with one port, port 0, as moat-vmm offers
 * it: a generic port with a name (the guest sees /dev/vportNp0 and
 * /sys/class/virtio-ports/vportNp0/name), not a console. Unlike an hvc
 * console, whose driver waits for the device to take every page it writes,
 * a port takes writes of up to 32 KiB that do not wait (O_NONBLOCK), and
 * tells its writer whether the host end is open.
 *
 * Pure: the 8-byte control messages decoded and built, and the device's
 * side of the handshake as a state machine whose replies wait in a small
 * bounded outbox until the guest offers receive buffers:
 *   guest DEVICE_READY(1)  -> PORT_ADD(0)
 *   guest PORT_READY(0, 1) -> PORT_NAME(0, name), PORT_OPEN(0, host open)
 *                             (once per reset, with or without PORT_ADD
 *                             before: a resuming driver sends it alone)
 *   guest PORT_OPEN(0, v)  -> the guest's end is open (v != 0) or closed
 *   host end opens/closes  -> PORT_OPEN(0, 1/0), once the port is ready;
 *                             a close not yet told is told before a reopen
 * Anything else (other ids, events, values, repeats) changes nothing; the
 * outbox never grows past CONSCTL_OUTBOX messages, whatever the guest
 * sends, and PORT_OPEN is not queued but sent last: at most a close owed,
 * then the host end's state at that time (so opens and closes on the host
 * never pile up).
 * Inputs: every control message is guest-controlled.
 * Spec: Virtio 1.2, 5.3.6.2 "Multiport Device Operation"; 5.3.4 config.
 */
#ifndef MOAT_VMM_VIRTIO_CONSCTL_H
#define MOAT_VMM_VIRTIO_CONSCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VIRTIO_CONSOLE_F_MULTIPORT (1ULL << 1)

#define CONSCTL_DEVICE_READY 0
#define CONSCTL_PORT_ADD 1
#define CONSCTL_PORT_REMOVE 2
#define CONSCTL_PORT_READY 3
#define CONSCTL_CONSOLE_PORT 4
#define CONSCTL_RESIZE 5
#define CONSCTL_PORT_OPEN 6
#define CONSCTL_PORT_NAME 7

#define CONSCTL_MSG_SIZE 8 /* struct virtio_console_control */
#define CONSCTL_NAME_MAX 63
#define CONSCTL_OUTBOX 4
/* struct virtio_console_config: cols, rows, max_nr_ports, emerg_wr */
#define CONSCTL_CONFIG_LEN 12

struct consctl_msg {
	uint32_t id;
	uint16_t event;
	uint16_t value;
};

struct consctl {
	char name[CONSCTL_NAME_MAX + 1];
	bool added;	 /* PORT_ADD was queued */
	bool ready;	 /* the guest said PORT_READY(1) */
	bool host_open;	 /* the host end has a peer */
	bool guest_open; /* the guest has the port open */
	bool open_due;	 /* PORT_OPEN(host_open) is to be sent */
	bool close_due;	 /* PORT_OPEN(0) is, before any other */
	struct consctl_msg out[CONSCTL_OUTBOX];
	unsigned nout;
};

/* A message from its bytes: 0, or -1 when fewer than 8. */
int consctl_decode(const uint8_t *b, size_t n, struct consctl_msg *m);
/* A message's bytes (with the port's name after PORT_NAME's header) into
 * out[0..cap): the length, or 0 when it does not fit. */
size_t consctl_encode(const struct consctl *s, const struct consctl_msg *m,
		      uint8_t *out, size_t cap);

/* A fresh state for a port of that name (cut to CONSCTL_NAME_MAX) whose
 * host end is open or not. */
void consctl_init(struct consctl *s, const char *name, bool host_open);
/* What a device reset returns to: the same, with the name kept. */
void consctl_reset(struct consctl *s, bool host_open);
/* The guest sent m. */
void consctl_guest(struct consctl *s, const struct consctl_msg *m);
/* The host end opened or closed. */
void consctl_host(struct consctl *s, bool open);
/* The oldest message waiting for the guest into *m: 1, or 0 when there is
 * none; consctl_pop() then takes it (once the guest had room for it). */
int consctl_peek(const struct consctl *s, struct consctl_msg *m);
void consctl_pop(struct consctl *s);
/* The config space for one port into cfg[0..CONSCTL_CONFIG_LEN). */
void consctl_config(uint8_t *cfg);

#endif
