/*
 * net.c: virtio-net over a tap device, served by a device thread (see
 * net.h).
 * Locking: vd->lock guards the queues, kick_rx/kick_tx/stop/gen and the
 * transport; the vCPU thread that notifies holds it (dev.c) and only sets
 * a flag and writes kick_fd. The device thread holds it to pop and push,
 * never during a readv or writev. The scratch (chain, tx, rx) and the
 * epoll state belong to the device thread once it has started.
 * Syscalls on the guest's behalf: readv and writev on the tap, epoll_wait
 * and epoll_ctl on the thread's epoll, read on kick_fd, the irqfd write;
 * the FILTER_NET allowlist allows those and little more
 * (docs/threat-model.md).
 */
#include "net.h"
#include "../../../common/le.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>

#define NET_TAG_KICK 1
#define NET_TAG_TAP 2
#define NET_EIDLE (-10) /* the queue is not running */

static void net_count(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

int net_open_raw(struct net *d, int fd, const uint8_t *mac, unsigned mtu,
		 struct moat_err **e)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = NET_TAG_KICK };
	int fl;

	memset(d, 0, sizeof(*d));
	pthread_cond_init(&d->th.cond, NULL);
	d->tap = fd;
	d->kick_fd = d->ep = -1;
	if (mtu && (mtu < NET_MTU_MIN || mtu > 65535))
		return moat_err_set(e, EINVAL, "mtu %u is not in %d..65535",
				    mtu, NET_MTU_MIN);
	d->mtu = (uint16_t)mtu;
	if (mac) {
		memcpy(d->mac, mac, sizeof(d->mac));
	} else {
		if (getrandom(d->mac, sizeof(d->mac), 0) != sizeof(d->mac))
			return moat_err_set(e, errno, "getrandom");
		/* Locally administered, unicast. */
		d->mac[0] = (uint8_t)((d->mac[0] & 0xfc) | 0x02);
	}
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return moat_err_set(e, errno, "tap fd %d", fd);
	d->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	d->ep = epoll_create1(EPOLL_CLOEXEC);
	if (d->kick_fd < 0 || d->ep < 0 ||
	    epoll_ctl(d->ep, EPOLL_CTL_ADD, d->kick_fd, &ev) < 0)
		return moat_err_set(e, errno, "eventfd/epoll");
	/* The tap is polled for input only while the guest has buffers. */
	ev.events = 0;
	ev.data.u32 = NET_TAG_TAP;
	if (epoll_ctl(d->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		return moat_err_set(e, errno, "tap fd %d: epoll", fd);
	return 0;
}

/* Attach to the existing tap ifname; returns the fd or -1. */
static int net_attach(const char *ifname, struct moat_err **e)
{
	struct ifreq ifr;
	int fd;

	if (strlen(ifname) >= IFNAMSIZ || !if_nametoindex(ifname))
		return moat_err_set(e, ENODEV, "tap %s", ifname);
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return moat_err_set(e, errno, "/dev/net/tun");
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	memcpy(ifr.ifr_name, ifname, strlen(ifname));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		moat_err_set(e, errno, "tap %s: TUNSETIFF", ifname);
		close(fd);
		return -1;
	}
	return fd;
}

int net_open(struct net *d, int tap_fd, const char *ifname, const uint8_t *mac,
	     unsigned mtu, struct moat_err **e)
{
	const short need = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	struct ifreq ifr;
	int fd = tap_fd, hdr = NETREQ_HDR_SIZE;

	if (fd < 0 && (fd = net_attach(ifname, e)) < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(fd, TUNGETIFF, &ifr) < 0) {
		moat_err_set(e, errno, "fd %d is not a tap", fd);
		goto fail;
	}
	if ((ifr.ifr_flags & need) != need || (ifr.ifr_flags & IFF_TUN)) {
		moat_err_set(e, EINVAL,
			     "tap %.*s: not IFF_TAP|IFF_NO_PI|IFF_VNET_HDR",
			     IFNAMSIZ, ifr.ifr_name);
		goto fail;
	}
	/* Our header is virtio_net_hdr_v1; no offloads, so no partial
	 * checksums or GSO frames reach a guest that did not ask for them. */
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0 ||
	    ioctl(fd, TUNSETOFFLOAD, 0UL) < 0) {
		moat_err_set(e, errno, "tap %.*s: vnet header", IFNAMSIZ,
			     ifr.ifr_name);
		goto fail;
	}
	if (net_open_raw(d, fd, mac, mtu, e) < 0) {
		net_close(d); /* closes fd */
		return -1;
	}
	return 0;
fail:
	close(fd);
	return -1;
}

void net_setup(struct net *d, struct virtio_dev *vd)
{
	uint64_t f = 1ULL << VIRTIO_NET_F_MAC | 1ULL << VIRTIO_NET_F_STATUS;

	if (d->mtu)
		f |= 1ULL << VIRTIO_NET_F_MTU;
	mmio_init(&vd->mmio, VIRTIO_ID_NET, f, 2, NET_QUEUE_SIZE);
	/* struct virtio_net_config, little-endian (5.1.4). */
	memcpy(vd->mmio.config, d->mac, sizeof(d->mac));
	le_put16(vd->mmio.config + 6, VIRTIO_NET_S_LINK_UP);
	le_put16(vd->mmio.config + 8, 1);
	le_put16(vd->mmio.config + 10, d->mtu);
	vd->mmio.config_len = NET_CONFIG_LEN;
	vd->priv = d;
	d->vd = vd;
}

/* --- the device thread ------------------------------------------------ */

static void net_kick(struct net *d)
{
	uint64_t one = 1;

	if (write(d->kick_fd, &one, sizeof(one)) < 0) {
		/* saturated: the thread is woken anyway */
	}
}

/* Poll the tap for input, or stop. */
static void net_poll_rx(struct net *d, bool on)
{
	struct epoll_event ev = { .events = on ? EPOLLIN : 0,
				  .data.u32 = NET_TAG_TAP };

	if (d->tap_dead || d->rx_polling == on)
		return;
	if (epoll_ctl(d->ep, EPOLL_CTL_MOD, d->tap, &ev) == 0)
		d->rx_polling = on;
}

/* The tap is gone (hung up, or a read error): never poll it again; frames
 * for it are dropped. */
static void net_tap_gone(struct net *d)
{
	if (d->tap_dead)
		return;
	epoll_ctl(d->ep, EPOLL_CTL_DEL, d->tap, NULL);
	d->tap_dead = true;
	d->rx_polling = false;
}

/* Take the next chain of queue qi into d->chain. Returns 0 (*gen set),
 * VIRTQ_EEMPTY, VIRTQ_EBROKEN (the device now needs a reset) or
 * NET_EIDLE. */
static int net_pop(struct net *d, unsigned qi, unsigned *gen)
{
	struct virtio_dev *vd = d->vd;
	struct virtq *q = &vd->mmio.q[qi];
	int r = NET_EIDLE;

	pthread_mutex_lock(&vd->lock);
	if (!d->stop && mmio_driver_ok(&vd->mmio) && q->ready) {
		r = virtq_pop(q, vd->mem, &d->chain);
		if (r == VIRTQ_EBROKEN)
			virtio_dev_broken(vd);
	}
	*gen = d->gen;
	pthread_mutex_unlock(&vd->lock);
	return r;
}

/* Return d->chain with written bytes, unless a reset came meanwhile (the
 * chain is then gone). */
static void net_push(struct net *d, unsigned qi, unsigned gen, uint32_t written)
{
	struct virtio_dev *vd = d->vd;

	pthread_mutex_lock(&vd->lock);
	if (gen == d->gen)
		virtq_push(&vd->mmio.q[qi], d->chain.head, written);
	pthread_mutex_unlock(&vd->lock);
}

/* Give d->chain back unused: the next pop returns it again. */
static void net_unpop(struct net *d, unsigned qi, unsigned gen)
{
	struct virtio_dev *vd = d->vd;

	pthread_mutex_lock(&vd->lock);
	if (gen == d->gen && vd->mmio.q[qi].ready)
		virtq_unpop(&vd->mmio.q[qi]);
	pthread_mutex_unlock(&vd->lock);
}

static void net_irq(struct net *d, unsigned qi)
{
	pthread_mutex_lock(&d->vd->lock);
	virtio_dev_used(d->vd, qi);
	pthread_mutex_unlock(&d->vd->lock);
}

/* Send the frame in d->tx. Returns 0 when the tap took all of it. */
static int net_send(struct net *d)
{
	ssize_t k;

	if (d->tap_dead)
		return -1;
	do
		k = writev(d->tap, d->tx.iov, (int)d->tx.niov);
	while (k < 0 && errno == EINTR);
	return k == (ssize_t)(NETREQ_HDR_SIZE + d->tx.frame_len) ? 0 : -1;
}

/* Send up to a queue's worth of TX chains. Returns true when that limit
 * was reached (more may be waiting). */
static bool net_tx(struct net *d)
{
	uint64_t max = d->mtu ? (uint64_t)d->mtu + NETREQ_ETH_HLEN + 4
			      : NETREQ_FRAME_MAX;
	bool used = false;
	unsigned n, gen;

	for (n = 0; n < NET_QUEUE_SIZE; n++) {
		if (net_pop(d, NET_TXQ, &gen) != 0)
			break;
		if (netreq_tx_parse(&d->chain, max, &d->tx) < 0) {
			net_count(&d->nerr, 1);
		} else if (net_send(d) < 0) {
			net_count(&d->drops, 1);
		} else {
			net_count(&d->tx_frames, 1);
			net_count(&d->tx_bytes, d->tx.frame_len);
		}
		net_push(d, NET_TXQ, gen, 0);
		used = true;
	}
	if (used)
		net_irq(d, NET_TXQ);
	return n == NET_QUEUE_SIZE;
}

/* Receive frames into RX chains until the tap has none, the guest has no
 * buffers (then the tap is no longer polled) or a queue's worth is done.
 */
static void net_rx(struct net *d)
{
	uint8_t hdr[NETREQ_HDR_SIZE];
	bool used = false;
	unsigned n, gen;
	ssize_t k;
	int r;

	for (n = 0; n < NET_QUEUE_SIZE && !d->tap_dead; n++) {
		r = net_pop(d, NET_RXQ, &gen);
		if (r != 0) {
			net_poll_rx(d, false); /* until the guest notifies */
			break;
		}
		if (netreq_rx_prepare(&d->chain, &d->rx) < 0) {
			net_count(&d->nerr, 1);
			net_push(d, NET_RXQ, gen, 0);
			used = true;
			continue;
		}
		do
			k = readv(d->tap, d->rx.iov, (int)d->rx.niov);
		while (k < 0 && errno == EINTR);
		if (k <= 0) {
			net_unpop(d, NET_RXQ, gen);
			if (k == 0 || errno != EAGAIN)
				net_tap_gone(d);
			break;
		}
		if (netreq_rx_finish(&d->rx, (uint64_t)k, hdr) < 0) {
			/* Too big for the buffers, or bad: dropped, and the
			 * buffers serve the next frame. */
			net_count(&d->drops, 1);
			net_unpop(d, NET_RXQ, gen);
			continue;
		}
		/* GUEST: the chain's first 12 writable bytes, checked. */
		virtq_chain_write(&d->chain, 0, hdr, sizeof(hdr));
		net_count(&d->rx_frames, 1);
		net_count(&d->rx_bytes, (uint64_t)k - NETREQ_HDR_SIZE);
		net_push(d, NET_RXQ, gen, (uint32_t)k); /* k <= room */
		used = true;
	}
	if (used)
		net_irq(d, NET_RXQ);
}

/* Wait for work; returns false when the thread must end. */
static bool net_wait(struct net *d, bool *kick_rx, bool *kick_tx, bool *tap_in)
{
	struct epoll_event ev[2];
	uint64_t v;
	int i, k;

	k = epoll_wait(d->ep, ev, 2, -1);
	if (k < 0 && errno != EINTR)
		return false;
	*tap_in = false;
	for (i = 0; i < k; i++) {
		if (ev[i].data.u32 == NET_TAG_KICK) {
			if (read(d->kick_fd, &v, sizeof(v)) < 0) {
				/* EAGAIN: read by an earlier round */
			}
		} else if (ev[i].events & (EPOLLERR | EPOLLHUP)) {
			net_tap_gone(d);
		} else if (ev[i].events & EPOLLIN) {
			*tap_in = true;
		}
	}
	pthread_mutex_lock(&d->vd->lock);
	*kick_rx = d->kick_rx;
	*kick_tx = d->kick_tx;
	d->kick_rx = d->kick_tx = false;
	k = d->stop;
	pthread_mutex_unlock(&d->vd->lock);
	return !k;
}

static void *net_thread(void *arg)
{
	struct net *d = arg;
	struct virtio_dev *vd = d->vd;
	bool kick_rx, kick_tx, tap_in;

	/* The filter first: nothing the guest sends is served without it. */
	if (virtio_thread_filter(vd, &d->th, FILTER_NET) < 0)
		return NULL;
	while (net_wait(d, &kick_rx, &kick_tx, &tap_in)) {
		if (kick_tx && net_tx(d)) {
			/* More to send: come back after the RX side. */
			pthread_mutex_lock(&vd->lock);
			d->kick_tx = true;
			pthread_mutex_unlock(&vd->lock);
			net_kick(d);
		}
		if (kick_rx)
			net_poll_rx(d, true);
		/* With a queue's worth done and more frames waiting, the
		 * tap (level-triggered) stays readable: the next round. */
		if (kick_rx || tap_in)
			net_rx(d);
	}
	return NULL;
}

int net_start(struct net *d, struct moat_err **e)
{
	int r = virtio_thread_start(d->vd, &d->th, net_thread, d);

	if (r > 0)
		return moat_err_set(e, r, "net: thread");
	if (r < 0)
		return moat_err_set(e, EINVAL,
				    "net: seccomp filter for its thread");
	return 0;
}

void net_stop(struct net *d)
{
	if (!d->th.started)
		return;
	pthread_mutex_lock(&d->vd->lock);
	d->stop = true;
	pthread_mutex_unlock(&d->vd->lock);
	net_kick(d);
	pthread_join(d->th.id, NULL);
	d->th.started = false;
}

void net_close(struct net *d)
{
	net_stop(d);
	if (d->ep >= 0)
		close(d->ep);
	if (d->kick_fd >= 0)
		close(d->kick_fd);
	if (d->tap >= 0)
		close(d->tap);
	d->ep = d->kick_fd = d->tap = -1;
	pthread_cond_destroy(&d->th.cond);
}

/* --- the transport's callbacks, on vCPU threads with vd->lock held ------- */

static void net_notify(struct virtio_dev *vd, unsigned qi)
{
	struct net *d = vd->priv;

	if (qi == NET_RXQ)
		d->kick_rx = true;
	else if (qi == NET_TXQ)
		d->kick_tx = true;
	else
		return;
	net_kick(d);
}

static void net_activate(struct virtio_dev *vd)
{
	struct net *d = vd->priv;

	/* Buffers may already be there, on both queues. */
	d->kick_rx = d->kick_tx = true;
	net_kick(d);
}

static void net_reset(struct virtio_dev *vd)
{
	struct net *d = vd->priv;

	d->gen++;
}

const struct virtio_dev_ops net_ops = {
	.notify = net_notify,
	.activate = net_activate,
	.reset = net_reset,
};
