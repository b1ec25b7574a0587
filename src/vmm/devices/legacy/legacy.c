/*
 * legacy.c: COM1 and the i8042 on the port I/O bus (see legacy.h).
 */
#include "legacy.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "../../arch/x86_64/layout.h"
#include "../../kvm/kvm.h"
#include "i8042.h"

/* --- COM1 --------------------------------------------------------------- */

/* With l->lock held: do what the model asked (a byte out, the line). */
static void legacy_com1_apply(struct legacy *l, const struct serial_effect *fx)
{
	if (fx->emit && l->out_fd >= 0) {
		struct pollfd p = { .fd = l->out_fd, .events = POLLOUT };

		/* A console that cannot take output now loses it: the guest
		 * (and a pause or stop of the VM) never waits on the host
		 * side. POLLOUT on a pipe means room for PIPE_BUF bytes. */
		if (poll(&p, 1, 0) == 1 && (p.revents & POLLOUT) &&
		    write(l->out_fd, &fx->out, 1) < 0) {
			/* lost, as above */
		}
	}
	if (fx->irq != l->irq) {
		struct kvm_irq_level lv = { .irq = LAYOUT_IRQ_SERIAL,
					    .level = fx->irq };

		l->irq = fx->irq;
		kvm_ioctl(l->vm_fd, KVM_IRQ_LINE, &lv);
	}
}

static void legacy_com1_read(void *dev, uint64_t off, uint8_t *data,
			     uint32_t len)
{
	struct legacy *l = dev;
	struct serial_effect fx;

	pthread_mutex_lock(&l->lock);
	data[0] = serial_read(&l->com1, (uint8_t)off, &fx);
	legacy_com1_apply(l, &fx);
	pthread_mutex_unlock(&l->lock);
	if (len > 1)
		memset(data + 1, 0, len - 1);
}

static void legacy_com1_write(void *dev, uint64_t off, const uint8_t *data,
			      uint32_t len)
{
	struct legacy *l = dev;
	struct serial_effect fx;

	(void)len; /* only the low byte of a wider access reaches a UART */
	pthread_mutex_lock(&l->lock);
	serial_write(&l->com1, (uint8_t)off, data[0], &fx);
	legacy_com1_apply(l, &fx);
	pthread_mutex_unlock(&l->lock);
}

static const struct bus_ops legacy_com1_ops = {
	.read = legacy_com1_read,
	.write = legacy_com1_write,
};

/* On the main loop: console input for the guest. */
static void legacy_com1_input(struct loop_handler *h, uint32_t events)
{
	struct legacy *l =
		(struct legacy *)((char *)h - offsetof(struct legacy, in));
	uint8_t buf[SERIAL_RX_FIFO];
	struct serial_effect fx;
	ssize_t r = read(h->fd, buf, sizeof(buf));

	(void)events;
	if (r > 0) {
		pthread_mutex_lock(&l->lock);
		/* a full FIFO drops the rest */
		serial_rx_push(&l->com1, buf, (size_t)r, &fx);
		legacy_com1_apply(l, &fx);
		pthread_mutex_unlock(&l->lock);
	} else if (r == 0 || errno != EAGAIN) {
		loop_del(l->loop, h); /* console input ended */
		l->in_added = false;
	}
}

/* --- i8042 -------------------------------------------------------------- */

static void legacy_i8042_read(void *dev, uint64_t off, uint8_t *data,
			      uint32_t len)
{
	(void)dev;
	memset(data, 0, len);
	data[0] = i8042_read((uint16_t)(LAYOUT_PIO_I8042 + off));
}

static void legacy_i8042_write(void *dev, uint64_t off, const uint8_t *data,
			       uint32_t len)
{
	struct legacy *l = dev;

	(void)len;
	if (i8042_write((uint16_t)(LAYOUT_PIO_I8042 + off), data[0]) ==
	    I8042_RESET)
		l->reset(l->reset_arg);
}

static const struct bus_ops legacy_i8042_ops = {
	.read = legacy_i8042_read,
	.write = legacy_i8042_write,
};

_Static_assert(LAYOUT_PIO_I8042 == I8042_PORT_DATA &&
		       LAYOUT_PIO_I8042 + LAYOUT_PIO_I8042_LEN - 1 ==
			       I8042_PORT_CMD,
	       "the layout's i8042 ports are the model's");

/* --- set-up ------------------------------------------------------------- */

int legacy_init(struct legacy *l, int vm_fd, struct bus *pio, struct loop *loop,
		int out_fd, int in_fd, void (*reset)(void *arg), void *arg,
		struct moat_err **e)
{
	memset(l, 0, sizeof(*l));
	pthread_mutex_init(&l->lock, NULL);
	serial_init(&l->com1);
	l->vm_fd = vm_fd;
	l->out_fd = out_fd;
	l->loop = loop;
	l->in.fd = in_fd;
	l->in.fn = legacy_com1_input;
	l->reset = reset;
	l->reset_arg = arg;
	if (bus_add(pio, LAYOUT_PIO_COM1, SERIAL_PORT_COUNT, &legacy_com1_ops,
		    l) < 0 ||
	    bus_add(pio, LAYOUT_PIO_I8042, LAYOUT_PIO_I8042_LEN,
		    &legacy_i8042_ops, l) < 0)
		return moat_err_set(e, 0, "port I/O bus: conflict");
	/* Console input that epoll cannot watch (a file) is not read. */
	if (in_fd >= 0 && loop_add(loop, &l->in, EPOLLIN) == 0)
		l->in_added = true;
	return 0;
}

void legacy_fini(struct legacy *l)
{
	if (l->in_added)
		loop_del(l->loop, &l->in);
	l->in_added = false;
	pthread_mutex_destroy(&l->lock);
}
