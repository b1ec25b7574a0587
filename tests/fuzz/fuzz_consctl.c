/*
 * fuzz_consctl.c: libFuzzer target for the multiport virtio-console's
 * control channel (src/vmm/devices/virtio/consctl.c). The input is a
 * program: byte 0 picks the port's name length (% 64) and whether the host
 * end starts open (bit 7); then records of 9 bytes: a tag (bit 0: the host
 * end opens or closes with bit 1, instead of a guest message; bit 2: the
 * guest then takes every message waiting, each encoded into a buffer of
 * the next byte's size % 80), then 8 bytes of a guest control message
 * (any bytes, decoded as the device would).
 * Checks: the outbox stays within CONSCTL_OUTBOX; every message for the
 * guest is for port 0 and one of PORT_ADD, PORT_NAME, PORT_OPEN (value 0
 * or 1, only after PORT_NAME); PORT_ADD and PORT_NAME come at most once;
 * an encoded message is 8 bytes (+ the name) or nothing (no room: it
 * stays, as the device keeps it); once everything was taken, the last
 * PORT_OPEN the guest got is the host end's state.
 */
#include "../../src/vmm/devices/virtio/consctl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char names[] =
		"moat.channel-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ";
	char name[64];
	struct consctl s;
	struct consctl_msg m;
	uint8_t out[80];
	size_t i, nl;
	int adds = 0, nm = 0, last = -1;

	if (size < 1)
		return 0;
	nl = (size_t)(data[0] & 0x3f) % sizeof(names);
	memcpy(name, names, nl);
	name[nl] = '\0';
	consctl_init(&s, name, data[0] & 0x80);
	for (i = 1; i + 9 <= size; i += 9) {
		const uint8_t *r = data + i;

		if (r[0] & 1)
			consctl_host(&s, r[0] & 2);
		else if (consctl_decode(r + 1, 8, &m) == 0)
			consctl_guest(&s, &m);
		else
			abort(); /* 8 bytes always decode */
		if (s.nout > CONSCTL_OUTBOX)
			abort();
		if (!(r[0] & 4))
			continue;
		while (consctl_peek(&s, &m)) {
			size_t cap = r[1] % sizeof(out), n;

			if (m.id != 0)
				abort();
			n = consctl_encode(&s, &m, out, cap);
			if (n > cap ||
			    (n && n != 8 + (m.event == CONSCTL_PORT_NAME
						    ? strlen(s.name)
						    : 0)))
				abort();
			if (!n)
				break; /* no room: it waits, as in the device */
			consctl_pop(&s);
			switch (m.event) {
			case CONSCTL_PORT_ADD:
				if (adds++)
					abort();
				break;
			case CONSCTL_PORT_NAME:
				if (nm++)
					abort();
				break;
			case CONSCTL_PORT_OPEN:
				if (m.value > 1 || !nm)
					abort();
				last = m.value;
				break;
			default:
				abort();
			}
		}
		/* all told: the guest's last word of the host end is true */
		if (!consctl_peek(&s, &m) && s.ready &&
		    last != (s.host_open ? 1 : 0))
			abort();
	}
	return 0;
}
