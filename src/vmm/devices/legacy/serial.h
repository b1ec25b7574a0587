/*
 * serial.h: a 16550A UART model (the guest's console on COM1). The register
 * model is pure: serial_read/serial_write change the state and say what
 * the backend must do (emit a byte, set the interrupt line). The backend
 * (legacy.c, for COM1) owns the fds and the lock.
 * Inputs: register accesses by the guest (guest-controlled).
 * Spec: the National Semiconductor PC16550D data sheet (registers, IIR
 * priorities, loopback mapping of MCR to MSR).
 */
#ifndef MOAT_VMM_SERIAL_H
#define MOAT_VMM_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERIAL_PORT_COUNT 8
#define SERIAL_RX_FIFO 64

struct serial {
	uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
	bool thre_pending; /* a THR-empty interrupt waits to be read */
	uint8_t rx[SERIAL_RX_FIFO];
	unsigned rx_head, rx_len;
};

/* What an access asks of the backend. */
struct serial_effect {
	bool emit; /* out holds a byte to write to the console */
	uint8_t out;
	bool irq; /* the interrupt line's level after the access */
};

void serial_init(struct serial *s);
uint8_t serial_read(struct serial *s, uint8_t off, struct serial_effect *fx);
void serial_write(struct serial *s, uint8_t off, uint8_t val,
		  struct serial_effect *fx);
/* Queue input for the guest; returns how many bytes fit. */
size_t serial_rx_push(struct serial *s, const uint8_t *buf, size_t len,
		      struct serial_effect *fx);
/* Current level of the interrupt line. */
bool serial_irq_level(const struct serial *s);

#endif
