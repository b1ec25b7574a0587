/*
 * netreq.h: virtio-net frames as moat-vmm's net device moves them between
 * the guest's virtqueues and a tap device opened with IFF_VNET_HDR: the
 * 12-byte struct virtio_net_hdr_v1 in front of each frame, parsed and
 * built, and the scatter-gather lists for one readv or writev. Pure: no
 * syscalls, no globals; net.c does the I/O on what this accepts.
 *
 * No offloads are offered (no CSUM, GUEST_CSUM, TSO, UFO, MRG_RXBUF), so:
 *  - a TX chain (all device-readable) holds the header, then the frame; a
 *    header asking for a checksum or segmentation is refused, and the
 *    header written to the tap is always our own clean one, never the
 *    guest's bytes (which it could change after our check);
 *  - an RX chain (all device-writable) gets the tap's header into a
 *    private buffer and the frame straight into the guest's buffers; the
 *    header the guest sees is built here (flags 0, GSO none, num_buffers
 *    1); a frame the buffers could not hold whole is dropped, not cut
 *    (a tap's read returns the frame's whole length even when it copied
 *    less; a datagram socket fills a spill byte past the buffers: both
 *    are caught).
 * Inputs: every byte of a chain is guest-controlled; the tap's header is
 * the host kernel's.
 * Spec: Virtio 1.2, 5.1 "Network Device" (5.1.6 "Device Operation").
 */
#ifndef MOAT_VMM_VIRTIO_NETREQ_H
#define MOAT_VMM_VIRTIO_NETREQ_H

#include <stdint.h>
#include <sys/uio.h>

#include "virtq.h"

#define NETREQ_HDR_SIZE 12 /* struct virtio_net_hdr_v1 */
#define NETREQ_ETH_HLEN 14 /* the least a frame holds */
/* A frame with an 802.1Q tag at the largest MTU Linux allows. */
#define NETREQ_FRAME_MAX (65535 + NETREQ_ETH_HLEN + 4)
/* One iovec for the header, at most one per descriptor, and on RX one
 * for a spill byte. */
#define NETREQ_IOV_MAX (VIRTQ_MAX_SIZE + 2)

#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE 0

/* Errors: the request fails alone. */
#define NETREQ_EDIR (-1)     /* TX: a writable buffer; RX: a readable one */
#define NETREQ_EHDR (-2)     /* no room for a whole header */
#define NETREQ_EOFFLOAD (-3) /* an offload that was not negotiated */
#define NETREQ_ESIZE                                         \
	(-4) /* TX: frame shorter than an Ethernet header or \
		longer than the limit; RX: the frame did not \
		fit the buffers, or was runt */

struct netreq_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};

/* Little-endian wire form <-> fields. */
void netreq_hdr_parse(const uint8_t b[NETREQ_HDR_SIZE], struct netreq_hdr *h);
void netreq_hdr_build(uint8_t b[NETREQ_HDR_SIZE], const struct netreq_hdr *h);

struct netreq_tx {
	uint8_t hdr[NETREQ_HDR_SIZE];	  /* what goes to the tap: all zero */
	struct iovec iov[NETREQ_IOV_MAX]; /* iov[0] is hdr, then the frame */
	unsigned niov;
	uint64_t frame_len;
};

/* Check TX chain c (frames of at most max_frame bytes) and point t->iov
 * at our header and the guest's frame. Returns 0 or a NETREQ_E* code. */
int netreq_tx_parse(const struct virtq_chain *c, uint64_t max_frame,
		    struct netreq_tx *t);

struct netreq_rx {
	uint8_t hdr[NETREQ_HDR_SIZE]; /* the tap's header lands here */
	uint8_t spill; /* a byte past the buffers: the frame did not fit */
	struct iovec iov[NETREQ_IOV_MAX]; /* iov[0] is hdr, then the chain
					     past its first 12 bytes, then
					     spill */
	unsigned niov;
	uint64_t room; /* bytes iov holds, header included */
};

/* Check RX chain c and set r->iov up for one readv of a frame. Returns 0
 * or a NETREQ_E* code. */
int netreq_rx_prepare(const struct virtq_chain *c, struct netreq_rx *r);

/* After a readv of n bytes into r: check the tap's header and the frame's
 * size, and build in out the header to give the guest. Returns 0, or a
 * NETREQ_E* code when the frame must be dropped. */
int netreq_rx_finish(const struct netreq_rx *r, uint64_t n,
		     uint8_t out[NETREQ_HDR_SIZE]);

#endif
