/*
 * test_vmm_net.c: the virtio-net device (net.c) over fake guest memory,
 * its thread running under the net seccomp filter as in moat-vmm, with a
 * SOCK_SEQPACKET socketpair in place of the tap (the same datagrams: a
 * 12-byte header, then the frame): the config space; TX frames, split
 * over descriptors, reaching the "tap" with a clean header; RX frames
 * landing in scattered guest buffers with the header the guest expects;
 * a malformed chain failing alone; frames arriving with no buffers posted
 * waiting in the tap (the thread does not spin) until buffers come; a
 * frame too big for the buffers dropped and the buffers reused; a broken
 * queue needing a reset.
 */
#include "../harness/fakevq.h"
#include "../harness/test.h"
#include "../../src/vmm/devices/virtio/net.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define GMEM_SIZE (1 << 20)
#define QSIZE 16
#define RXDESC 0x1000
#define RXAVAIL 0x2000
#define RXUSED 0x3000
#define TXDESC 0x4000
#define TXAVAIL 0x5000
#define TXUSED 0x6000
#define RXBUF 0x10000
#define TXBUF 0x40000

static uint8_t ghost[GMEM_SIZE];
static struct gmem gm;
static struct virtio_dev vd;
static struct net dev;
static int peer = -1; /* the far end of the "tap" */
static uint16_t avail_idx[2], used_seen[2], next_desc[2];

static const uint64_t desc_at[2] = { RXDESC, TXDESC };
static const uint64_t avail_at[2] = { RXAVAIL, TXAVAIL };
static const uint64_t used_at[2] = { RXUSED, TXUSED };

static void dev_up(void)
{
	static const uint8_t mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	struct moat_err *e = NULL;
	struct virtq *q;
	int sv[2];

	ASSERT_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	peer = sv[1];
	if (net_open_raw(&dev, sv[0], mac, 1500, &e) < 0)
		FAIL("net_open_raw: %s", e->msg);
	fakevq_dev(&vd, &gm, ghost, GMEM_SIZE, &net_ops);
	net_setup(&dev, &vd);
	fakevq_ready(&vd,
		     1ULL << VIRTIO_NET_F_MAC | 1ULL << VIRTIO_NET_F_STATUS,
		     QSIZE, RXDESC, RXAVAIL, RXUSED, NET_QUEUE_SIZE);
	q = &vd.mmio.q[NET_TXQ];
	q->size = QSIZE;
	q->desc_gpa = TXDESC;
	q->avail_gpa = TXAVAIL;
	q->used_gpa = TXUSED;
	ASSERT_EQ(virtq_check(q, vd.mem, NET_QUEUE_SIZE), 0);
	memset(avail_idx, 0, sizeof(avail_idx));
	memset(used_seen, 0, sizeof(used_seen));
	memset(next_desc, 0, sizeof(next_desc));
	if (net_start(&dev, &e) < 0)
		FAIL("net_start: %s", e->msg);
}

static void dev_down(void)
{
	net_close(&dev);
	close(vd.irq_fd);
	pthread_mutex_destroy(&vd.lock);
	close(peer);
}

/* Add a chain to queue qi of n buffers (gpa, len, writable); returns its
 * head. notify: tell the device, as a vCPU would. */
static uint16_t offer(unsigned qi, const uint64_t (*b)[3], unsigned n,
		      bool notify)
{
	uint16_t head = next_desc[qi], d = head;
	unsigned i;

	for (i = 0; i < n; i++) {
		uint16_t nx = (uint16_t)((d + 1) % QSIZE);

		fakevq_desc(ghost + desc_at[qi], d, b[i][0], (uint32_t)b[i][1],
			    (uint16_t)((b[i][2] ? VIRTQ_DESC_F_WRITE : 0) |
				       (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
			    nx);
		d = nx;
	}
	next_desc[qi] = d;
	memcpy(ghost + avail_at[qi] + 4 + 2 * (avail_idx[qi] % QSIZE), &head,
	       2);
	avail_idx[qi]++;
	__atomic_store_n((uint16_t *)(ghost + avail_at[qi] + 2), avail_idx[qi],
			 __ATOMIC_RELEASE);
	if (notify) {
		pthread_mutex_lock(&vd.lock);
		vd.ops->notify(&vd, qi);
		pthread_mutex_unlock(&vd.lock);
	}
	return head;
}

/* Whether queue qi has a used entry we have not seen, within ms. */
static bool used_within(unsigned qi, int ms)
{
	struct timespec ts = { 0, 1000000 };
	int i;

	for (i = 0; i < ms; i++) {
		if (__atomic_load_n((uint16_t *)(ghost + used_at[qi] + 2),
				    __ATOMIC_ACQUIRE) != used_seen[qi])
			return true;
		nanosleep(&ts, NULL);
	}
	return false;
}

/* Wait (up to 5 s) for the next used entry of qi; returns its length. */
static uint32_t wait_used(unsigned qi, uint16_t head)
{
	uint32_t id, len;
	uint8_t *e = ghost + used_at[qi] + 4 + 8 * (used_seen[qi] % QSIZE);

	if (!used_within(qi, 5000))
		FAIL("queue %u: no used buffer after 5 s", qi);
	memcpy(&id, e, 4);
	memcpy(&len, e + 4, 4);
	used_seen[qi]++;
	ASSERT_EQ(id, head);
	return len;
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 13 + seed);
}

TEST(net_config_space_has_mac_link_up_and_mtu)
{
	dev_up();
	ASSERT_EQ(vd.mmio.device_id, VIRTIO_ID_NET);
	ASSERT_EQ(vd.mmio.nqueues, 2);
	ASSERT(vd.mmio.features & 1ULL << VIRTIO_NET_F_MAC);
	ASSERT(vd.mmio.features & 1ULL << VIRTIO_NET_F_STATUS);
	ASSERT(vd.mmio.features & 1ULL << VIRTIO_NET_F_MTU);
	ASSERT(!(vd.mmio.features & 1ULL << 0)); /* no CSUM */
	ASSERT_EQ(vd.mmio.config_len, 12);
	ASSERT(!memcmp(vd.mmio.config, "\x02\x11\x22\x33\x44\x55", 6));
	ASSERT_EQ(vd.mmio.config[6], VIRTIO_NET_S_LINK_UP);
	ASSERT_EQ(vd.mmio.config[8], 1);
	ASSERT_EQ(vd.mmio.config[10] | vd.mmio.config[11] << 8, 1500);
	dev_down();
}

TEST(net_random_mac_is_local_unicast)
{
	struct net d;
	struct moat_err *e = NULL;
	int sv[2];

	ASSERT_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	ASSERT_EQ(net_open_raw(&d, sv[0], NULL, 0, &e), 0);
	ASSERT_EQ(d.mac[0] & 3, 2);
	ASSERT_EQ(d.mtu, 0);
	net_close(&d);
	close(sv[1]);
	ASSERT_OK(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	ASSERT(net_open_raw(&d, sv[0], NULL, 67, &e) < 0);
	moat_err_free(&e);
	net_close(&d);
	close(sv[1]);
}

TEST(net_tx_frames_reach_the_tap_with_a_clean_header)
{
	uint8_t frame[1514], got[2048];
	const uint64_t split[][3] = {
		{ TXBUF, 7, 0 },
		{ TXBUF + 0x100, 5 + 600, 0 },
		{ TXBUF + 0x1000, 914, 0 },
	};
	const uint64_t csum[][3] = { { TXBUF + 0x2000, 12 + 60, 0 } };
	const uint64_t wr[][3] = { { TXBUF + 0x3000, 12 + 60, 0 },
				   { TXBUF + 0x3100, 10, 1 } };
	uint16_t h;
	ssize_t k;

	dev_up();
	fill(frame, sizeof(frame), 3);
	/* Header 7 + 5 bytes, the guest's num_buffers set (ignored). */
	memset(ghost + TXBUF, 0, 7);
	memset(ghost + TXBUF + 0x100, 0, 5);
	ghost[TXBUF + 0x100 + 3] = 1;
	memcpy(ghost + TXBUF + 0x105, frame, 600);
	memcpy(ghost + TXBUF + 0x1000, frame + 600, 914);
	h = offer(NET_TXQ, split, 3, true);
	ASSERT_EQ(wait_used(NET_TXQ, h), 0);
	k = recv(peer, got, sizeof(got), MSG_DONTWAIT);
	ASSERT_EQ(k, 12 + 1514);
	ASSERT(!memcmp(got, "\0\0\0\0\0\0\0\0\0\0\0\0", 12));
	ASSERT(!memcmp(got + 12, frame, sizeof(frame)));
	/* A partial checksum asked for, and a writable buffer: each fails
	 * alone, nothing is sent; the next good frame goes. */
	memset(ghost + TXBUF + 0x2000, 0, 12 + 60);
	ghost[TXBUF + 0x2000] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h = offer(NET_TXQ, csum, 1, true);
	ASSERT_EQ(wait_used(NET_TXQ, h), 0);
	h = offer(NET_TXQ, wr, 2, true);
	ASSERT_EQ(wait_used(NET_TXQ, h), 0);
	ASSERT(recv(peer, got, sizeof(got), MSG_DONTWAIT) < 0 &&
	       errno == EAGAIN);
	ghost[TXBUF + 0x2000] = 0;
	h = offer(NET_TXQ, csum, 1, true);
	ASSERT_EQ(wait_used(NET_TXQ, h), 0);
	ASSERT_EQ(recv(peer, got, sizeof(got), MSG_DONTWAIT), 12 + 60);
	ASSERT_EQ(dev.tx_frames, 2);
	ASSERT_EQ(dev.tx_bytes, 1514 + 60);
	ASSERT_EQ(dev.nerr, 2);
	ASSERT(!(vd.mmio.status & VIRTIO_STATUS_NEEDS_RESET));
	dev_down();
}

TEST(net_rx_frames_land_in_scattered_buffers)
{
	uint8_t pkt[12 + 1000], hdr[12];
	const uint64_t one[][3] = { { RXBUF, 1526, 1 } };
	const uint64_t three[][3] = { { RXBUF + 0x1000, 8, 1 },
				      { RXBUF + 0x2000, 500, 1 },
				      { RXBUF + 0x3000, 1018, 1 } };
	uint16_t h1, h2;

	dev_up();
	h1 = offer(NET_RXQ, one, 1, true);
	h2 = offer(NET_RXQ, three, 3, true);
	/* The tap's header says DATA_VALID and carries junk where
	 * num_buffers goes: the guest sees flags 0, num_buffers 1. */
	memset(pkt, 0, 12);
	pkt[0] = VIRTIO_NET_HDR_F_DATA_VALID;
	pkt[10] = 0x77;
	fill(pkt + 12, 1000, 5);
	ASSERT_EQ(send(peer, pkt, 12 + 60, 0), 12 + 60);
	ASSERT_EQ(wait_used(NET_RXQ, h1), 12 + 60);
	memcpy(hdr, "\0\0\0\0\0\0\0\0\0\0\1\0", 12);
	ASSERT(!memcmp(ghost + RXBUF, hdr, 12));
	ASSERT(!memcmp(ghost + RXBUF + 12, pkt + 12, 60));
	ASSERT_EQ(send(peer, pkt, sizeof(pkt), 0), (ssize_t)sizeof(pkt));
	ASSERT_EQ(wait_used(NET_RXQ, h2), sizeof(pkt));
	/* Header 8 + 4, frame 496 + 504. */
	ASSERT(!memcmp(ghost + RXBUF + 0x1000, hdr, 8));
	ASSERT(!memcmp(ghost + RXBUF + 0x2000, hdr + 8, 4));
	ASSERT(!memcmp(ghost + RXBUF + 0x2000 + 4, pkt + 12, 496));
	ASSERT(!memcmp(ghost + RXBUF + 0x3000, pkt + 12 + 496, 504));
	ASSERT_EQ(dev.rx_frames, 2);
	ASSERT_EQ(dev.rx_bytes, 1060);
	dev_down();
}

TEST(net_rx_waits_without_spinning_and_drops_what_does_not_fit)
{
	uint8_t pkt[12 + 1400];
	const uint64_t small[][3] = { { RXBUF, 12 + 100, 1 } };
	const uint64_t big[][3] = { { RXBUF + 0x1000, 1526, 1 } };
	struct timespec c0, c1, ts = { 0, 300000000 };
	double spent;
	uint16_t h;

	dev_up();
	memset(pkt, 0, sizeof(pkt));
	fill(pkt + 12, 1400, 9);
	/* No buffers: the frame waits in the tap; the thread sleeps. */
	ASSERT_EQ(send(peer, pkt, sizeof(pkt), 0), (ssize_t)sizeof(pkt));
	ASSERT_EQ(send(peer, pkt, 12 + 80, 0), 12 + 80);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	nanosleep(&ts, NULL);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	spent = (double)(c1.tv_sec - c0.tv_sec) +
		(double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
	test_diag("CPU time over 300 ms with no rx buffers: %.4f s", spent);
	ASSERT(spent < 0.05);
	/* A buffer too small for the first frame: that frame is dropped
	 * and the buffer takes the second. */
	h = offer(NET_RXQ, small, 1, true);
	ASSERT_EQ(wait_used(NET_RXQ, h), 12 + 80);
	ASSERT(!memcmp(ghost + RXBUF + 12, pkt + 12, 80));
	ASSERT_EQ(dev.drops, 1);
	/* A buffer posted before any frame is there waits for one, and
	 * takes it when it arrives. */
	h = offer(NET_RXQ, big, 1, true);
	ASSERT(!used_within(NET_RXQ, 100));
	ASSERT_EQ(send(peer, pkt, sizeof(pkt), 0), (ssize_t)sizeof(pkt));
	ASSERT_EQ(wait_used(NET_RXQ, h), sizeof(pkt));
	ASSERT(!memcmp(ghost + RXBUF + 0x1000 + 12, pkt + 12, 1400));
	dev_down();
}

TEST(net_broken_queue_needs_reset)
{
	const uint64_t one[][3] = { { TXBUF, 12 + 60, 0 } };
	uint16_t bad = QSIZE + 3;
	int i;

	dev_up();
	offer(NET_TXQ, one, 1, false);
	/* Overwrite the head just offered with an index past the ring. */
	memcpy(ghost + TXAVAIL + 4, &bad, 2);
	pthread_mutex_lock(&vd.lock);
	vd.ops->notify(&vd, NET_TXQ);
	pthread_mutex_unlock(&vd.lock);
	for (i = 0; i < 5000; i++) {
		struct timespec ts = { 0, 1000000 };
		uint32_t st;

		pthread_mutex_lock(&vd.lock);
		st = vd.mmio.status;
		pthread_mutex_unlock(&vd.lock);
		if (st & VIRTIO_STATUS_NEEDS_RESET)
			break;
		nanosleep(&ts, NULL);
	}
	ASSERT(i < 5000);
	dev_down();
}
