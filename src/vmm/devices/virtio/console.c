/*
 * console.c: virtio-console, one port, an hvc console or a named port of
 * a multiport device (see console.h; the control channel's logic is the
 * pure consctl.c).
 * Locking: every function that touches the queues runs with vd->lock held:
 * the virtio ops are called so by dev.c, the loop handlers take it.
 */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#define CONSOLE_QUEUE_SIZE 256
#define CONSOLE_RXQ 0
#define CONSOLE_TXQ 1
#define CONSOLE_CTL_RXQ 2 /* multiport: control, device to driver */
#define CONSOLE_CTL_TXQ 3 /* multiport: control, driver to device */
/* A notification serves at most this many control messages each way. */
#define CONSOLE_CTL_ROUNDS 64

/* A named port offers the multiport feature ... */
static bool console_named(const struct console *c)
{
	return c->ctl.name[0] != '\0';
}

/* ... and is one when the driver took it. */
static bool console_multiport(const struct console *c)
{
	return console_named(c) &&
	       (c->vd->mmio.driver_features & VIRTIO_CONSOLE_F_MULTIPORT);
}

/* Whether to read the peer into the guest: a port's driver drops what
 * comes while the guest has it closed, so nothing is read until then. */
static bool console_may_read(const struct console *c)
{
	return mmio_driver_ok(&c->vd->mmio) &&
	       (!console_multiport(c) || c->ctl.guest_open);
}

static void console_update_events(struct console *c);

/* Hand the guest what the control channel has for it, while it offers
 * buffers. */
static void console_ctl_flush(struct console *c)
{
	struct virtq *q = &c->vd->mmio.q[CONSOLE_CTL_RXQ];
	uint8_t buf[CONSCTL_MSG_SIZE + CONSCTL_NAME_MAX];
	struct consctl_msg m;
	int r, used = 0, rounds;

	if (!console_multiport(c) || !mmio_driver_ok(&c->vd->mmio))
		return;
	for (rounds = 0; rounds < CONSOLE_CTL_ROUNDS; rounds++) {
		size_t n;

		if (!consctl_peek(&c->ctl, &m))
			break;

		r = virtq_pop(q, c->vd->mem, &c->ctl_ch);
		if (r == VIRTQ_EBROKEN) {
			virtio_dev_broken(c->vd);
			return;
		}
		if (r == VIRTQ_EEMPTY)
			break; /* it waits for the guest's buffers */
		n = consctl_encode(&c->ctl, &m, buf, sizeof(buf));
		/* a buffer too small for it is given back empty, and the
		 * message waits for the next one */
		if (c->ctl_ch.write_len < n)
			n = 0;
		else
			consctl_pop(&c->ctl);
		virtq_push(q, c->ctl_ch.head,
			   (uint32_t)virtq_chain_write(&c->ctl_ch, 0, buf, n));
		used = 1;
	}
	if (used)
		virtio_dev_used(c->vd, CONSOLE_CTL_RXQ);
}

/* Take the guest's control messages, then answer them. */
static void console_ctl_tx(struct console *c)
{
	struct virtq *q = &c->vd->mmio.q[CONSOLE_CTL_TXQ];
	uint8_t buf[CONSCTL_MSG_SIZE];
	struct consctl_msg m;
	int r, used = 0, rounds;

	for (rounds = 0; rounds < CONSOLE_CTL_ROUNDS; rounds++) {
		r = virtq_pop(q, c->vd->mem, &c->ctl_ch);
		if (r == VIRTQ_EBROKEN) {
			virtio_dev_broken(c->vd);
			return;
		}
		if (r == VIRTQ_EEMPTY)
			break;
		if (consctl_decode(
			    buf,
			    virtq_chain_read(&c->ctl_ch, 0, buf, sizeof(buf)),
			    &m) == 0)
			consctl_guest(&c->ctl, &m);
		virtq_push(q, c->ctl_ch.head, 0);
		used = 1;
	}
	if (used)
		virtio_dev_used(c->vd, CONSOLE_CTL_TXQ);
	console_ctl_flush(c);
	console_update_events(c); /* the guest may have opened the port */
}

/* The host end got or lost its peer: a multiport guest is told. */
static void console_host_open(struct console *c, bool open)
{
	if (!console_named(c))
		return;
	consctl_host(&c->ctl, open);
	console_ctl_flush(c);
}

/* Watch a parked peer again (it hung up while the guest had no buffer). */
static void console_unpark(struct console *c)
{
	if (c->fd >= 0 && c->parked) {
		c->parked = false;
		loop_add(c->loop, &c->h_peer, 0);
	}
}

static void console_update_events(struct console *c)
{
	uint32_t ev = 0;

	if (c->fd < 0 || c->parked)
		return;
	if (console_may_read(c) && !c->rx_wait)
		ev |= EPOLLIN;
	if (c->tx_pending)
		ev |= EPOLLOUT;
	loop_mod(c->loop, &c->h_peer, ev);
}

static void console_drop_peer(struct console *c)
{
	if (c->fd < 0)
		return;
	if (!c->parked)
		loop_del(c->loop, &c->h_peer);
	c->parked = false;
	close(c->fd);
	c->fd = -1;
	console_host_open(c, false);
	/* What the guest was sending has nowhere to go: complete it. */
	if (c->tx_pending) {
		virtq_push(&c->vd->mmio.q[CONSOLE_TXQ], c->tx.head, 0);
		c->tx_pending = false;
		virtio_dev_used(c->vd, CONSOLE_TXQ);
	}
}

/* Send the pending chain from tx_off; returns 1 when it is all sent, 0
 * when the peer would block, -1 when the peer is gone. */
static int console_send(struct console *c)
{
	struct iovec iov[64];
	uint64_t off = c->tx_off;
	unsigned i, n = 0;
	ssize_t w;

	for (i = 0; i < c->tx.nread && n < 64; i++) {
		if (off >= c->tx.buf[i].len) {
			off -= c->tx.buf[i].len;
			continue;
		}
		iov[n].iov_base = c->tx.buf[i].host + off;
		iov[n].iov_len = c->tx.buf[i].len - off;
		off = 0;
		n++;
	}
	if (n == 0)
		return 1;
	w = writev(c->fd, iov, (int)n);
	if (w < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	c->tx_off += (uint64_t)w;
	return c->tx_off >= c->tx.read_len ? 1 : 0;
}

/* Move guest output to the peer until it would block. */
static void console_tx(struct console *c)
{
	struct virtq *q = &c->vd->mmio.q[CONSOLE_TXQ];
	int r, used = 0;

	if (c->fd < 0)
		return; /* no peer yet: the guest's buffers wait */
	for (;;) {
		if (!c->tx_pending) {
			r = virtq_pop(q, c->vd->mem, &c->tx);
			if (r == VIRTQ_EBROKEN) {
				virtio_dev_broken(c->vd);
				break;
			}
			if (r == VIRTQ_EEMPTY)
				break;
			c->tx_pending = true;
			c->tx_off = 0;
		}
		r = console_send(c);
		if (r == 0)
			break;
		virtq_push(q, c->tx.head, 0);
		c->tx_pending = false;
		used = 1;
		if (r < 0) {
			console_drop_peer(c);
			break;
		}
	}
	if (used)
		virtio_dev_used(c->vd, CONSOLE_TXQ);
	console_update_events(c);
}

/* Move peer input into the guest's buffers while both have some. */
static void console_rx(struct console *c)
{
	struct virtq *q = &c->vd->mmio.q[CONSOLE_RXQ];
	struct virtq_chain ch;
	int r, used = 0, rounds;

	c->rx_wait = false;
	for (rounds = 0; rounds < CONSOLE_QUEUE_SIZE && c->fd >= 0; rounds++) {
		struct iovec iov[64];
		unsigned i, n = 0;
		ssize_t got;

		r = virtq_pop(q, c->vd->mem, &ch);
		if (r == VIRTQ_EBROKEN) {
			virtio_dev_broken(c->vd);
			break;
		}
		if (r == VIRTQ_EEMPTY) {
			c->rx_wait = true;
			break;
		}
		for (i = ch.nread; i < ch.nbufs && n < 64; i++) {
			if (!ch.buf[i].len)
				continue;
			iov[n].iov_base = ch.buf[i].host;
			iov[n].iov_len = ch.buf[i].len;
			n++;
		}
		got = n ? readv(c->fd, iov, (int)n) : 0;
		if (got < 0 && (errno == EAGAIN || errno == EINTR)) {
			virtq_unpop(q); /* nothing more to read now */
			break;
		}
		if (got <= 0) {
			virtq_unpop(q);
			console_drop_peer(c);
			break;
		}
		virtq_push(q, ch.head, (uint32_t)got);
		used = 1;
	}
	if (used)
		virtio_dev_used(c->vd, CONSOLE_RXQ);
	console_update_events(c);
}

static void console_peer_event(struct loop_handler *h, uint32_t events)
{
	struct console *c =
		(struct console *)((char *)h -
				   offsetof(struct console, h_peer));

	pthread_mutex_lock(&c->vd->lock);
	if (events & EPOLLOUT)
		console_tx(c);
	if (c->fd >= 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
		if (console_may_read(c)) {
			console_rx(c);
			/* A hang-up is reported whatever we ask for: with no
			 * buffer to read the rest into, stop watching the
			 * peer until the guest offers one, or we would spin. */
			if (c->fd >= 0 && c->rx_wait &&
			    (events & (EPOLLHUP | EPOLLERR))) {
				loop_del(c->loop, &c->h_peer);
				c->parked = true;
			}
		} else if (events & (EPOLLHUP | EPOLLERR))
			console_drop_peer(c);
	}
	pthread_mutex_unlock(&c->vd->lock);
}

static void console_set_peer(struct console *c, int fd)
{
	c->fd = fd;
	c->h_peer.fd = fd;
	c->h_peer.fn = console_peer_event;
	c->rx_wait = false;
	c->parked = false;
	loop_add(c->loop, &c->h_peer, 0);
	console_host_open(c, true);
	if (mmio_driver_ok(&c->vd->mmio))
		console_tx(c);
	console_update_events(c);
}

static void console_accept(struct loop_handler *h, uint32_t events)
{
	struct console *c =
		(struct console *)((char *)h -
				   offsetof(struct console, h_listen));
	int fd;

	(void)events;
	fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	pthread_mutex_lock(&c->vd->lock);
	if (c->fd >= 0)
		close(fd); /* one peer at a time */
	else
		console_set_peer(c, fd);
	pthread_mutex_unlock(&c->vd->lock);
}

int console_open(struct console *c, const char *name, const char *spec,
		 struct moat_err **e)
{
	memset(c, 0, sizeof(*c));
	c->fd = c->listen_fd = -1;
	if (name && (!*name || strlen(name) > CONSCTL_NAME_MAX ||
		     strspn(name, "abcdefghijklmnopqrstuvwxyz"
				  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
			     strlen(name)))
		return moat_err_set(e, EINVAL,
				    "port name %s: 1 to %d of [A-Za-z0-9._-]",
				    name, CONSCTL_NAME_MAX);
	/* the host end opens with its peer (console_set_peer) */
	consctl_init(&c->ctl, name ? name : "", false);
	if (!strncmp(spec, "fd:", 3)) {
		char *end;
		long v;

		errno = 0;
		v = strtol(spec + 3, &end, 10);
		if (errno || *end || v < 0 || v > INT_MAX ||
		    fcntl((int)v, F_GETFD) < 0)
			return moat_err_set(e, EBADF, "%s", spec);
		c->fd = (int)v;
		fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
		fcntl(c->fd, F_SETFD, FD_CLOEXEC);
		return 0;
	}
	if (!strncmp(spec, "unix:", 5) && spec[5]) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		if (strlen(spec + 5) >= sizeof(sa.sun_path))
			return moat_err_set(e, ENAMETOOLONG, "%s", spec);
		strcpy(sa.sun_path, spec + 5);
		c->listen_fd = socket(
			AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (c->listen_fd < 0)
			return moat_err_set(e, errno, "%s: socket", spec);
		if (bind(c->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) <
			    0 ||
		    listen(c->listen_fd, 1) < 0) {
			moat_err_set(e, errno, "%s: bind", spec);
			close(c->listen_fd);
			c->listen_fd = -1;
			return -1;
		}
		c->path = strdup(spec + 5);
		return 0;
	}
	return moat_err_set(e, EINVAL, "%s: not fd:N or unix:PATH", spec);
}

int console_attach(struct console *c, struct virtio_dev *vd, struct loop *l,
		   struct moat_err **e)
{
	c->vd = vd;
	c->loop = l;
	vd->priv = c;
	if (c->listen_fd >= 0) {
		c->h_listen.fd = c->listen_fd;
		c->h_listen.fn = console_accept;
		if (loop_add(l, &c->h_listen, EPOLLIN) < 0)
			return moat_err_set(e, errno, "console: epoll");
	}
	if (c->fd >= 0) {
		int fd = c->fd;

		c->fd = -1;
		pthread_mutex_lock(&vd->lock);
		console_set_peer(c, fd);
		pthread_mutex_unlock(&vd->lock);
	}
	return 0;
}

void console_close(struct console *c)
{
	if (c->fd >= 0)
		close(c->fd);
	if (c->listen_fd >= 0)
		close(c->listen_fd);
	if (c->path) {
		unlink(c->path);
		free(c->path);
	}
	c->fd = c->listen_fd = -1;
	c->path = NULL;
}

void console_setup(struct virtio_dev *vd, const struct console *c)
{
	if (!console_named(c)) {
		mmio_init(&vd->mmio, VIRTIO_ID_CONSOLE, 0, 2,
			  CONSOLE_QUEUE_SIZE);
		return;
	}
	mmio_init(&vd->mmio, VIRTIO_ID_CONSOLE, VIRTIO_CONSOLE_F_MULTIPORT, 4,
		  CONSOLE_QUEUE_SIZE);
	consctl_config(vd->mmio.config);
	vd->mmio.config_len = CONSCTL_CONFIG_LEN;
}

static void console_notify(struct virtio_dev *vd, unsigned q)
{
	struct console *c = vd->priv;

	if (q == CONSOLE_TXQ)
		console_tx(c);
	else if (q == CONSOLE_RXQ && c->rx_wait) {
		c->rx_wait = false;
		console_unpark(c);
		console_update_events(c);
	} else if (q == CONSOLE_CTL_TXQ && console_multiport(c))
		console_ctl_tx(c);
	else if (q == CONSOLE_CTL_RXQ)
		console_ctl_flush(c);
}

static void console_activate(struct virtio_dev *vd)
{
	struct console *c = vd->priv;

	c->rx_wait = false;
	console_ctl_flush(c);
	console_update_events(c);
}

static void console_reset(struct virtio_dev *vd)
{
	struct console *c = vd->priv;

	c->tx_pending = false; /* the queues are gone with the reset */
	c->rx_wait = false;
	console_unpark(c);
	consctl_reset(&c->ctl, c->fd >= 0); /* the driver starts again */
	console_update_events(c);
}

const struct virtio_dev_ops console_ops = {
	.notify = console_notify,
	.activate = console_activate,
	.reset = console_reset,
};
