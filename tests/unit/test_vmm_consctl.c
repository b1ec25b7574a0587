/*
 * test_vmm_consctl.c: level 1. The multiport virtio-console's control
 * channel (src/vmm/devices/virtio/consctl.c): the messages' bytes, the
 * handshake Linux's driver makes (DEVICE_READY, PORT_ADD, PORT_READY,
 * PORT_NAME, PORT_OPEN both ways), the host end opening and closing, and
 * what a misbehaving guest gets: nothing, and a bounded outbox.
 */
#include "../../src/vmm/devices/virtio/consctl.h"
#include "../harness/test.h"

#include <string.h>

static void guest(struct consctl *s, uint32_t id, uint16_t ev, uint16_t v)
{
	struct consctl_msg m = { .id = id, .event = ev, .value = v };

	consctl_guest(s, &m);
}

/* Take the next message for the guest, as the device does once a buffer
 * holds it: 1, or 0 when there is none. */
static int next_msg(struct consctl *s, struct consctl_msg *m)
{
	if (!consctl_peek(s, m))
		return 0;
	consctl_pop(s);
	return 1;
}

/* The next message for the guest is (event, value) for port 0. */
static void expect(struct consctl *s, uint16_t ev, uint16_t v)
{
	struct consctl_msg m;

	ASSERT_EQ(next_msg(s, &m), 1);
	ASSERT_EQ(m.id, 0);
	ASSERT_EQ(m.event, ev);
	ASSERT_EQ(m.value, v);
}

TEST(consctl_messages_are_le_id_event_value_and_a_name)
{
	static const uint8_t in[8] = { 0xff, 0xff, 0xff, 0xff, 3, 0, 1, 0 };
	struct consctl s;
	struct consctl_msg m;
	uint8_t out[80], cfg[CONSCTL_CONFIG_LEN];

	ASSERT_EQ(consctl_decode(in, 7, &m), -1);
	ASSERT_EQ(consctl_decode(in, 8, &m), 0);
	ASSERT_EQ(m.id, 0xffffffffu);
	ASSERT_EQ(m.event, CONSCTL_PORT_READY);
	ASSERT_EQ(m.value, 1);
	consctl_init(&s, "moat.channel", true);
	m = (struct consctl_msg){ .id = 0, .event = CONSCTL_PORT_NAME };
	ASSERT_EQ(consctl_encode(&s, &m, out, sizeof(out)), 8 + 12);
	ASSERT_EQ(out[4], CONSCTL_PORT_NAME);
	ASSERT(!memcmp(out + 8, "moat.channel", 12));
	ASSERT_EQ(consctl_encode(&s, &m, out, 19), 0); /* no room: nothing */
	m = (struct consctl_msg){ .id = 0x01020304, .event = 6, .value = 1 };
	ASSERT_EQ(consctl_encode(&s, &m, out, 8), 8);
	ASSERT(!memcmp(out, "\x04\x03\x02\x01\x06\x00\x01\x00", 8));
	consctl_config(cfg);
	ASSERT(!memcmp(cfg, "\0\0\0\0\x01\0\0\0\0\0\0\0", 12));
}

TEST(consctl_linux_handshake_adds_names_and_opens_port_0)
{
	struct consctl s;
	struct consctl_msg m;

	consctl_init(&s, "moat.channel", true);
	ASSERT_EQ(next_msg(&s, &m), 0); /* nothing before the driver */
	guest(&s, 0xffffffffu, CONSCTL_DEVICE_READY, 1);
	expect(&s, CONSCTL_PORT_ADD, 0);
	ASSERT_EQ(next_msg(&s, &m), 0);
	guest(&s, 0, CONSCTL_PORT_READY, 1);
	expect(&s, CONSCTL_PORT_NAME, 0);
	expect(&s, CONSCTL_PORT_OPEN, 1); /* the host end has its peer */
	ASSERT_EQ(next_msg(&s, &m), 0);
	ASSERT(!s.guest_open);
	guest(&s, 0, CONSCTL_PORT_OPEN, 1);
	ASSERT(s.guest_open);
	guest(&s, 0, CONSCTL_PORT_OPEN, 0);
	ASSERT(!s.guest_open);
}

TEST(consctl_host_end_state_is_sent_once_ready_and_coalesced)
{
	struct consctl s;
	struct consctl_msg m;
	int i;

	consctl_init(&s, "p", false);
	consctl_host(&s, true); /* before the port is ready: nothing yet */
	ASSERT_EQ(next_msg(&s, &m), 0);
	guest(&s, 0xffffffffu, CONSCTL_DEVICE_READY, 1);
	guest(&s, 0, CONSCTL_PORT_READY, 1);
	expect(&s, CONSCTL_PORT_ADD, 0);
	expect(&s, CONSCTL_PORT_NAME, 0);
	expect(&s, CONSCTL_PORT_OPEN, 1);
	/* many changes while the guest takes nothing: the last state, once */
	for (i = 0; i < 101; i++)
		consctl_host(&s, i % 2 == 0 ? false : true);
	consctl_host(&s, false);
	expect(&s, CONSCTL_PORT_OPEN, 0);
	ASSERT_EQ(next_msg(&s, &m), 0);
	consctl_host(&s, false); /* no change: no message */
	ASSERT_EQ(next_msg(&s, &m), 0);
	/* a close and a reopen before the guest looks: it hears both, so
	 * the new peer is not taken for the old one */
	consctl_host(&s, true);
	expect(&s, CONSCTL_PORT_OPEN, 1);
	consctl_host(&s, false);
	consctl_host(&s, true);
	consctl_host(&s, false);
	consctl_host(&s, true);
	expect(&s, CONSCTL_PORT_OPEN, 0);
	expect(&s, CONSCTL_PORT_OPEN, 1);
	ASSERT_EQ(next_msg(&s, &m), 0);
	/* a message is taken only by pop: peek leaves it */
	consctl_host(&s, false);
	ASSERT_EQ(consctl_peek(&s, &m), 1);
	ASSERT_EQ(consctl_peek(&s, &m), 1);
	consctl_pop(&s);
	ASSERT_EQ(consctl_peek(&s, &m), 0);
}

TEST(consctl_resuming_driver_sends_port_ready_alone)
{
	struct consctl s;

	/* Linux's restore: PORT_READY for the ports it had, no
	 * DEVICE_READY; the port is there from the start */
	consctl_init(&s, "moat.channel", true);
	guest(&s, 0, CONSCTL_PORT_READY, 1);
	expect(&s, CONSCTL_PORT_NAME, 0);
	expect(&s, CONSCTL_PORT_OPEN, 1);
	guest(&s, 0, CONSCTL_PORT_OPEN, 1);
	ASSERT(s.guest_open);
	guest(&s, 0, CONSCTL_PORT_READY, 1); /* once per reset */
	ASSERT_EQ(s.nout, 0);
	/* a reset keeps the name and starts over */
	consctl_reset(&s, false);
	ASSERT(!strcmp(s.name, "moat.channel"));
	ASSERT(!s.ready && !s.guest_open && !s.host_open);
	guest(&s, 0, CONSCTL_PORT_READY, 1);
	expect(&s, CONSCTL_PORT_NAME, 0);
	expect(&s, CONSCTL_PORT_OPEN, 0);
}

TEST(consctl_misbehaving_guest_gets_nothing_and_a_bounded_outbox)
{
	struct consctl s;
	struct consctl_msg m;
	int i;

	consctl_init(&s, "p", true);
	/* other ids, bad values, opening a port not ready */
	guest(&s, 1, CONSCTL_PORT_READY, 1);
	guest(&s, 0, CONSCTL_PORT_READY, 0);
	guest(&s, 0xffffffffu, CONSCTL_DEVICE_READY, 0);
	guest(&s, 0, CONSCTL_PORT_OPEN, 1);
	guest(&s, 0, 0xffff, 0xffff);
	ASSERT_EQ(next_msg(&s, &m), 0);
	ASSERT(!s.guest_open);
	for (i = 0; i < 1000; i++) {
		guest(&s, 0xffffffffu, CONSCTL_DEVICE_READY, 1);
		guest(&s, (uint32_t)i % 3, CONSCTL_PORT_READY, 1);
		guest(&s, 0, CONSCTL_RESIZE, 1);
		ASSERT(s.nout <= CONSCTL_OUTBOX);
	}
	expect(&s, CONSCTL_PORT_ADD, 0);
	expect(&s, CONSCTL_PORT_NAME, 0);
	expect(&s, CONSCTL_PORT_OPEN, 1);
	ASSERT_EQ(next_msg(&s, &m), 0);
	/* a name is cut to CONSCTL_NAME_MAX */
	consctl_init(&s,
		     "0123456789012345678901234567890123456789"
		     "0123456789012345678901234567890123456789",
		     true);
	ASSERT_EQ(strlen(s.name), CONSCTL_NAME_MAX);
}
