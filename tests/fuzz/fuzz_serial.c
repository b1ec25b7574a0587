/*
 * fuzz_serial.c: libFuzzer target for the 16550A register model, driven
 * by a byte program of guest register accesses and host input. Checks the
 * model's invariants after every step: the FIFO stays bounded, the line
 * status agrees with it, and the interrupt line matches the registers.
 */
#include "../../src/vmm/devices/legacy/serial.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct serial s;
	struct serial_effect fx;
	size_t i = 0;

	serial_init(&s);
	while (i + 2 <= size) {
		uint8_t op = data[i], arg = data[i + 1];

		i += 2;
		switch (op & 3) {
		case 0:
			serial_read(&s, (uint8_t)(op >> 2), &fx);
			break;
		case 1:
			serial_write(&s, (uint8_t)(op >> 2), arg, &fx);
			if (fx.emit && (s.mcr & 0x10))
				abort(); /* loopback never reaches the host */
			break;
		default: {
			size_t n = arg % 80, room = SERIAL_RX_FIFO - s.rx_len;
			size_t got;

			if (n > size - i)
				n = size - i;
			got = serial_rx_push(&s, data + i, n, &fx);
			if (got != (n < room ? n : room))
				abort();
			i += n;
			break;
		}
		}
		if (s.rx_len > SERIAL_RX_FIFO || s.rx_head >= SERIAL_RX_FIFO)
			abort();
		if (fx.irq != serial_irq_level(&s))
			abort();
		if (((serial_read(&s, 5, &fx) & 1) != 0) != (s.rx_len != 0))
			abort();
	}
	return 0;
}
