/*
 * test_vmm_console.c: the virtio-console device (console.c) over fake
 * guest memory, its peer one end of a socketpair and its events served by
 * a loop of our own, as moat-vmm's main loop would: what an hvc console
 * and a named port offer (features, queues, config); a named port's
 * handshake through the control queues as Linux's driver makes it
 * (DEVICE_READY, PORT_ADD, PORT_READY, PORT_NAME, PORT_OPEN); guest output
 * reaching the peer; peer input held back until the guest opens the port,
 * then delivered; the peer's close told to the guest once it offers a
 * buffer to find the end in; bad names refused.
 */
#include "../harness/fakevq.h"
#include "../harness/test.h"
#include "../../src/vmm/devices/virtio/console.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define GMEM_SIZE (1 << 20)
#define QSIZE 16
#define NQ 4
#define RING(q) (0x1000 + (uint64_t)(q)*0x3000) /* desc, avail, used */
#define BUF(q) (0x20000 + (uint64_t)(q)*0x10000)

static uint8_t ghost[GMEM_SIZE];
static struct gmem gm;
static struct virtio_dev vd;
static struct console con;
static struct loop lp;
static int peer = -1;
static uint16_t avail_idx[NQ], used_seen[NQ], next_desc[NQ];

static void dev_up(const char *name)
{
	struct moat_err *e = NULL;
	char spec[32];
	int sv[2], q;

	ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	peer = sv[1];
	snprintf(spec, sizeof(spec), "fd:%d", sv[0]);
	if (console_open(&con, name, spec, &e) < 0)
		FAIL("console_open: %s", e->msg);
	fakevq_dev(&vd, &gm, ghost, GMEM_SIZE, &console_ops);
	console_setup(&vd, &con);
	ASSERT_EQ(vd.mmio.nqueues, name ? 4u : 2u);
	fakevq_ready(&vd, name ? VIRTIO_CONSOLE_F_MULTIPORT : 0, QSIZE, RING(0),
		     RING(0) + 0x1000, RING(0) + 0x2000, vd.mmio.queue_max);
	for (q = 1; q < (name ? NQ : 2); q++) {
		struct virtq *vq = &vd.mmio.q[q];

		vq->size = QSIZE;
		vq->desc_gpa = RING(q);
		vq->avail_gpa = RING(q) + 0x1000;
		vq->used_gpa = RING(q) + 0x2000;
		ASSERT_EQ(virtq_check(vq, vd.mem, vd.mmio.queue_max), 0);
	}
	memset(avail_idx, 0, sizeof(avail_idx));
	memset(used_seen, 0, sizeof(used_seen));
	memset(next_desc, 0, sizeof(next_desc));
	ASSERT_OK(loop_init(&lp));
	if (console_attach(&con, &vd, &lp, &e) < 0)
		FAIL("console_attach: %s", e->msg);
	pthread_mutex_lock(&vd.lock);
	vd.ops->activate(&vd);
	pthread_mutex_unlock(&vd.lock);
}

static void dev_down(void)
{
	console_close(&con);
	loop_fini(&lp);
	close(vd.irq_fd);
	pthread_mutex_destroy(&vd.lock);
	if (peer >= 0)
		close(peer);
	peer = -1;
}

/* Offer one buffer of len bytes at gpa on queue q (writable or not),
 * then notify as a vCPU would. Returns its head. */
static uint16_t offer(unsigned q, uint64_t gpa, uint32_t len, bool writable)
{
	uint16_t head = next_desc[q];

	fakevq_desc(ghost + RING(q), head, gpa, len,
		    writable ? VIRTQ_DESC_F_WRITE : 0, 0);
	next_desc[q] = (uint16_t)((head + 1) % QSIZE);
	memcpy(ghost + RING(q) + 0x1000 + 4 + 2 * (avail_idx[q] % QSIZE), &head,
	       2);
	avail_idx[q]++;
	__atomic_store_n((uint16_t *)(ghost + RING(q) + 0x1000 + 2),
			 avail_idx[q], __ATOMIC_RELEASE);
	pthread_mutex_lock(&vd.lock);
	vd.ops->notify(&vd, q);
	pthread_mutex_unlock(&vd.lock);
	return head;
}

/* Serve the loop until queue q has a used entry we have not seen (up to
 * 2 s; none: -1), returning its length. */
static int64_t used(unsigned q)
{
	uint8_t *e;
	uint32_t len;
	int i;

	for (i = 0; i < 200; i++) {
		if (__atomic_load_n((uint16_t *)(ghost + RING(q) + 0x2002),
				    __ATOMIC_ACQUIRE) != used_seen[q])
			break;
		loop_run_once(&lp, 10);
	}
	if (i == 200)
		return -1;
	e = ghost + RING(q) + 0x2000 + 4 + 8 * (used_seen[q] % QSIZE);
	memcpy(&len, e + 4, 4);
	used_seen[q]++;
	return len;
}

/* The guest sends a control message. */
static void send_ctl(uint32_t id, uint16_t ev, uint16_t val)
{
	uint8_t *p = ghost + BUF(3) + 16 * next_desc[3];

	memcpy(p, &id, 4);
	memcpy(p + 4, &ev, 2);
	memcpy(p + 6, &val, 2);
	offer(3, BUF(3) + 16 * next_desc[3], 8, false);
	ASSERT_EQ(used(3), 0);
}

/* The next control message the device wrote into the receive buffer it
 * took last; checks (event, value) and returns its length. */
static int64_t recv_ctl(uint16_t ev, uint16_t val)
{
	int64_t n = used(2);
	uint16_t head, e16, v16;
	uint8_t *p;

	if (n < 8)
		FAIL("no control message (%lld) where %u was due", (long long)n,
		     ev);
	memcpy(&head,
	       ghost + RING(2) + 0x2000 + 4 + 8 * ((used_seen[2] - 1) % QSIZE),
	       2);
	p = ghost + BUF(2) + 256 * head;
	memcpy(&e16, p + 4, 2);
	memcpy(&v16, p + 6, 2);
	ASSERT_EQ(e16, ev);
	ASSERT_EQ(v16, val);
	return n;
}

static void post_ctl_bufs(unsigned n)
{
	while (n--)
		offer(2, BUF(2) + 256 * next_desc[2], 256, true);
}

TEST(console_hvc_offers_no_multiport_and_relays_output)
{
	char got[16];

	dev_up(NULL);
	ASSERT_EQ(vd.mmio.features & VIRTIO_CONSOLE_F_MULTIPORT, 0);
	memcpy(ghost + BUF(1), "hello", 5);
	offer(1, BUF(1), 5, false);
	ASSERT_EQ(used(1), 0);
	ASSERT_EQ(read(peer, got, sizeof(got)), 5);
	ASSERT(!memcmp(got, "hello", 5));
	dev_down();
}

TEST(console_port_handshake_input_after_open_and_close_told)
{
	uint32_t maxp;
	int64_t n;

	dev_up("moat.channel");
	ASSERT(vd.mmio.features & VIRTIO_CONSOLE_F_MULTIPORT);
	memcpy(&maxp, vd.mmio.config + 4, 4);
	ASSERT_EQ(maxp, 1);
	post_ctl_bufs(6);
	send_ctl(0xffffffffu, CONSCTL_DEVICE_READY, 1);
	recv_ctl(CONSCTL_PORT_ADD, 0);
	/* the driver fills port 0's receive queue, then says PORT_READY */
	offer(0, BUF(0), 64, true);
	send_ctl(0, CONSCTL_PORT_READY, 1);
	n = recv_ctl(CONSCTL_PORT_NAME, 0);
	ASSERT_EQ(n, 8 + 12);
	recv_ctl(CONSCTL_PORT_OPEN, 1); /* the peer is there */
	/* the peer speaks first: held while the guest has the port closed */
	ASSERT_EQ(write(peer, "ping", 4), 4);
	ASSERT_EQ(used(0), -1);
	send_ctl(0, CONSCTL_PORT_OPEN, 1);
	ASSERT_EQ(used(0), 4);
	ASSERT(!memcmp(ghost + BUF(0), "ping", 4));
	/* the peer goes while the guest has no buffer: the device waits for
	 * one (without spinning on the hang-up), finds the end and tells */
	close(peer);
	peer = -1;
	ASSERT_EQ(used(2), -1);
	offer(0, BUF(0) + 64, 64, true);
	recv_ctl(CONSCTL_PORT_OPEN, 0);
	dev_down();
}

TEST(console_port_names_are_checked)
{
	struct moat_err *e = NULL;
	struct console c;

	ASSERT_EQ(console_open(&c, "", "fd:0", &e), -1);
	ASSERT_EQ(console_open(&c, "a/b", "fd:0", &e), -1);
	ASSERT_EQ(console_open(&c, "a b", "fd:0", &e), -1);
	ASSERT_EQ(console_open(&c,
			       "0123456789012345678901234567890123456789"
			       "0123456789012345678901234567890123456789",
			       "fd:0", &e),
		  -1);
}
