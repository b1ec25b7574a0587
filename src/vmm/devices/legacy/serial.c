/*
 * serial.c: the 16550A register model (see serial.h). Pure.
 */
#include "serial.h"

#include <string.h>

#define UART_RBR_THR 0
#define UART_IER 1
#define UART_IIR_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define IER_RDI 0x01
#define IER_THRI 0x02
#define IER_MASK 0x0f
#define IIR_NONE 0x01
#define IIR_THRI 0x02
#define IIR_RDI 0x04
#define IIR_FIFO 0xc0
#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define LCR_DLAB 0x80
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f
#define LSR_DR 0x01
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

void serial_init(struct serial *s)
{
	memset(s, 0, sizeof(*s));
	s->mcr = 0x08; /* OUT2 */
	s->dll = 0x0c; /* 9600 baud */
}

bool serial_irq_level(const struct serial *s)
{
	return ((s->ier & IER_RDI) && s->rx_len) ||
	       ((s->ier & IER_THRI) && s->thre_pending);
}

static void serial_fx(const struct serial *s, struct serial_effect *fx)
{
	fx->irq = serial_irq_level(s);
}

static void serial_rx_in(struct serial *s, uint8_t b)
{
	if (s->rx_len < SERIAL_RX_FIFO) {
		s->rx[(s->rx_head + s->rx_len) % SERIAL_RX_FIFO] = b;
		s->rx_len++;
	}
}

uint8_t serial_read(struct serial *s, uint8_t off, struct serial_effect *fx)
{
	uint8_t v = 0;

	memset(fx, 0, sizeof(*fx));
	switch (off) {
	case UART_RBR_THR:
		if (s->lcr & LCR_DLAB) {
			v = s->dll;
		} else if (s->rx_len) {
			v = s->rx[s->rx_head];
			s->rx_head = (s->rx_head + 1) % SERIAL_RX_FIFO;
			s->rx_len--;
		}
		break;
	case UART_IER:
		v = (s->lcr & LCR_DLAB) ? s->dlm : s->ier;
		break;
	case UART_IIR_FCR:
		if ((s->ier & IER_RDI) && s->rx_len) {
			v = IIR_RDI;
		} else if ((s->ier & IER_THRI) && s->thre_pending) {
			v = IIR_THRI;
			s->thre_pending = false; /* reading IIR clears it */
		} else {
			v = IIR_NONE;
		}
		if (s->fcr & FCR_ENABLE)
			v |= IIR_FIFO;
		break;
	case UART_LCR:
		v = s->lcr;
		break;
	case UART_MCR:
		v = s->mcr;
		break;
	case UART_LSR:
		v = LSR_THRE | LSR_TEMT | (s->rx_len ? LSR_DR : 0);
		break;
	case UART_MSR:
		if (s->mcr & MCR_LOOP) {
			/* loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD */
			v = (uint8_t)((s->mcr & 0x01 ? MSR_DSR : 0) |
				      (s->mcr & 0x02 ? MSR_CTS : 0) |
				      (s->mcr & 0x04 ? MSR_RI : 0) |
				      (s->mcr & 0x08 ? MSR_DCD : 0));
		} else {
			v = MSR_DCD | MSR_DSR | MSR_CTS;
		}
		break;
	case UART_SCR:
		v = s->scr;
		break;
	default:
		v = 0xff;
		break;
	}
	serial_fx(s, fx);
	return v;
}

void serial_write(struct serial *s, uint8_t off, uint8_t val,
		  struct serial_effect *fx)
{
	memset(fx, 0, sizeof(*fx));
	switch (off) {
	case UART_RBR_THR:
		if (s->lcr & LCR_DLAB) {
			s->dll = val;
			break;
		}
		if (s->mcr & MCR_LOOP) {
			serial_rx_in(s, val);
		} else {
			fx->emit = true;
			fx->out = val;
		}
		/* The byte leaves at once: THR is empty again. */
		s->thre_pending = true;
		break;
	case UART_IER:
		if (s->lcr & LCR_DLAB) {
			s->dlm = val;
			break;
		}
		/* Enabling THRI with THR empty raises it at once, as the
		 * Linux driver's THRE probe expects. */
		if ((val & IER_THRI) && !(s->ier & IER_THRI))
			s->thre_pending = true;
		s->ier = val & IER_MASK;
		break;
	case UART_IIR_FCR:
		s->fcr = val & FCR_ENABLE;
		if (val & FCR_CLEAR_RX)
			s->rx_head = s->rx_len = 0;
		break;
	case UART_LCR:
		s->lcr = val;
		break;
	case UART_MCR:
		s->mcr = val & MCR_MASK;
		break;
	case UART_SCR:
		s->scr = val;
		break;
	default: /* LSR, MSR: read-only */
		break;
	}
	serial_fx(s, fx);
}

size_t serial_rx_push(struct serial *s, const uint8_t *buf, size_t len,
		      struct serial_effect *fx)
{
	size_t n = 0;

	memset(fx, 0, sizeof(*fx));
	while (n < len && s->rx_len < SERIAL_RX_FIFO)
		serial_rx_in(s, buf[n++]);
	serial_fx(s, fx);
	return n;
}
