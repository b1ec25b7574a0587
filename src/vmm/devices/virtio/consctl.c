/*
 * consctl.c: a multiport virtio-console's control channel, one port (see
 * consctl.h). Pure.
 */
#include "consctl.h"
#include "../../../common/le.h"

#include <string.h>

int consctl_decode(const uint8_t *b, size_t n, struct consctl_msg *m)
{
	if (n < CONSCTL_MSG_SIZE)
		return -1;
	m->id = le_get32(b);
	m->event = le_get16(b + 4);
	m->value = le_get16(b + 6);
	return 0;
}

size_t consctl_encode(const struct consctl *s, const struct consctl_msg *m,
		      uint8_t *out, size_t cap)
{
	size_t name = m->event == CONSCTL_PORT_NAME ? strlen(s->name) : 0;

	if (cap < CONSCTL_MSG_SIZE || cap - CONSCTL_MSG_SIZE < name)
		return 0;
	le_put32(out, m->id);
	le_put16(out + 4, m->event);
	le_put16(out + 6, m->value);
	memcpy(out + CONSCTL_MSG_SIZE, s->name, name);
	return CONSCTL_MSG_SIZE + name;
}

void consctl_init(struct consctl *s, const char *name, bool host_open)
{
	memset(s, 0, sizeof(*s));
	strncpy(s->name, name, CONSCTL_NAME_MAX);
	s->host_open = host_open;
}

void consctl_reset(struct consctl *s, bool host_open)
{
	char name[sizeof(s->name)];

	memcpy(name, s->name, sizeof(name));
	consctl_init(s, name, host_open);
}

/* Queue a message for the guest; a full outbox drops it (each message is
 * queued once per device reset, so it never fills). */
static void consctl_queue(struct consctl *s, uint16_t event, uint16_t value)
{
	if (s->nout == CONSCTL_OUTBOX)
		return;
	s->out[s->nout].id = 0;
	s->out[s->nout].event = event;
	s->out[s->nout].value = value;
	s->nout++;
}

void consctl_guest(struct consctl *s, const struct consctl_msg *m)
{
	switch (m->event) {
	case CONSCTL_DEVICE_READY:
		/* the driver's id here is VIRTIO_CONSOLE_BAD_ID: not checked */
		if (m->value == 1 && !s->added) {
			s->added = true;
			consctl_queue(s, CONSCTL_PORT_ADD, 0);
		}
		break;
	case CONSCTL_PORT_READY:
		/* port 0 exists from the start: a driver that resumes sends
		 * PORT_READY again without DEVICE_READY (Linux's restore) */
		if (m->id != 0 || m->value != 1 || s->ready)
			break;
		s->ready = true;
		consctl_queue(s, CONSCTL_PORT_NAME, 0);
		s->open_due = true;
		break;
	case CONSCTL_PORT_OPEN:
		if (m->id == 0 && s->ready)
			s->guest_open = m->value != 0;
		break;
	default:
		break;
	}
}

void consctl_host(struct consctl *s, bool open)
{
	if (s->host_open == open)
		return;
	s->host_open = open;
	if (!s->ready)
		return;
	s->open_due = true;
	/* a close the guest has not been told of yet is told before a
	 * reopen: the new peer is another conversation */
	if (!open)
		s->close_due = true;
}

int consctl_peek(const struct consctl *s, struct consctl_msg *m)
{
	if (s->nout) {
		*m = s->out[0];
		return 1;
	}
	if (!s->close_due && !s->open_due)
		return 0;
	m->id = 0;
	m->event = CONSCTL_PORT_OPEN;
	/* a close owed, else the host end's state as it is now, however
	 * often it changed since the guest was last told */
	m->value = s->close_due ? 0 : s->host_open;
	return 1;
}

void consctl_pop(struct consctl *s)
{
	if (s->nout) {
		memmove(s->out, s->out + 1, (s->nout - 1) * sizeof(s->out[0]));
		s->nout--;
	} else if (s->close_due) {
		s->close_due = false;
		if (!s->host_open)
			s->open_due = false; /* that was the state now */
	} else {
		s->open_due = false;
	}
}

void consctl_config(uint8_t *cfg)
{
	memset(cfg, 0, CONSCTL_CONFIG_LEN);
	le_put32(cfg + 4, 1); /* max_nr_ports: port 0 alone */
}
