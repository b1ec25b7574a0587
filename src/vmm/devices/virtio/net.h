/*
 * net.h: virtio-net (ID 1) backed by a tap device, served by a device
 * thread.
 *
 * The tap is either inherited (an fd the runtime opened and configured)
 * or attached by name through /dev/net/tun; either way it must be
 * IFF_TAP | IFF_NO_PI | IFF_VNET_HDR. net_open() sets the vnet header
 * size to 12 (struct virtio_net_hdr_v1), turns every tap offload off and
 * makes the fd non-blocking, before any seccomp filter. Frames move with
 * one readv or writev each, straight between the tap and the guest's
 * buffers (netreq.c builds the lists; no per-byte copies but the header).
 *
 * Queues: 0 receive, 1 transmit. The vCPU that writes QueueNotify only
 * sets a flag and writes an eventfd; the device thread (epoll on that
 * eventfd and the tap) takes chains under the device lock, does the I/O
 * without it, and retakes it to return them and interrupt the guest once
 * per batch. RX reads the tap only while the guest has buffers posted: with
 * none, the thread stops polling the tap until the guest notifies the
 * receive queue, and the tap's own queue drops what overflows (no busy
 * loop, no unbounded buffering here). A malformed chain is returned with
 * nothing written (RX) or not sent (TX); a frame too large for the posted
 * buffers is dropped and the buffers reused; only a broken queue makes the
 * device need a reset. The thread runs under its own seccomp filter
 * (FILTER_NET), loaded before any guest code runs.
 * Features offered: MAC, STATUS (link always up), MTU when one is given.
 * Config space: mac[6], le16 status, le16 max_virtqueue_pairs (1),
 * le16 mtu.
 * Inputs: guest descriptors (through virtq, then netreq); frames from the
 * tap (the host network, equally untrusted: only their length matters).
 * Spec: Virtio 1.2, 5.1 "Network Device".
 */
#ifndef MOAT_VMM_VIRTIO_NET_H
#define MOAT_VMM_VIRTIO_NET_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "../../../common/err.h"
#include "dev.h"
#include "netreq.h"

#define VIRTIO_ID_NET 1

#define VIRTIO_NET_F_MTU 3
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_S_LINK_UP 1

#define NET_QUEUE_SIZE 256
#define NET_RXQ 0
#define NET_TXQ 1
#define NET_CONFIG_LEN 12 /* mac, status, max_virtqueue_pairs, mtu */
#define NET_MTU_MIN 68

struct net {
	struct virtio_dev *vd;
	int tap;     /* non-blocking */
	int kick_fd; /* eventfd: work for the thread */
	int ep;	     /* the thread's epoll: kick_fd, tap */
	uint8_t mac[6];
	uint16_t mtu; /* 0: not offered */
	/* The thread's own. */
	bool rx_polling, tap_dead;
	struct virtq_chain chain;
	struct netreq_tx tx;
	struct netreq_rx rx;
	/* Under vd->lock. */
	struct virtio_thread th;
	bool kick_rx, kick_tx, stop;
	unsigned gen; /* bumped by a driver reset */
	/* Counters (tests, control socket), updated atomically by the
	 * thread: frames and bytes (frames only, no headers) each way,
	 * frames dropped (RX: did not fit or bad from the tap; TX: the tap
	 * refused them) and malformed chains. */
	uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes, drops, nerr;
};

/* Take the tap: tap_fd >= 0 (inherited; moat-vmm owns it from here and
 * closes it even on failure) or the existing tap named ifname. mac (6
 * bytes) may be NULL: then a random locally administered unicast one. mtu
 * 0 offers none. Control-plane errors; before any seccomp filter. On
 * failure nothing is left to close. */
int net_open(struct net *d, int tap_fd, const char *ifname, const uint8_t *mac,
	     unsigned mtu, struct moat_err **e);
/* Set up vd's transport and config space for d. */
void net_setup(struct net *d, struct virtio_dev *vd);
/* Start the device thread and wait until it runs under its filter. */
int net_start(struct net *d, struct moat_err **e);
/* Stop and join the thread; a no-op when it is not running. */
void net_stop(struct net *d);
/* net_stop, then close the fds. */
void net_close(struct net *d);

extern const struct virtio_dev_ops net_ops;

/* For tests: like net_open on an fd that is not a tap (a SOCK_SEQPACKET
 * socket carries the same header-then-frame datagrams); no tap ioctls.
 * On failure, net_close(d) must still be called. */
int net_open_raw(struct net *d, int fd, const uint8_t *mac, unsigned mtu,
		 struct moat_err **e);

#endif
