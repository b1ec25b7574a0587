/*
 * test_vmm_p9dev.c: the virtio-9p device (p9dev.c) over fake guest memory
 * and a temporary share, its thread running under the 9p seccomp filter as
 * in moat-vmm: the config space; requests and replies split over several
 * descriptors (gathered, and scattered back); a reply written in place
 * when its buffers are adjacent; Twrite and Tread data reaching the host
 * file, scattered Twrite data written from where they lie; a malformed request
 * (a zero-copy Twrite's too, decoded from its header alone) and a chain with
 * no reply room failing alone; a broken queue needing a reset.
 */
#include "../harness/fakevq.h"
#include "../harness/test.h"
#include "../../src/vmm/devices/virtio/p9dev.h"
#include "../../src/vmm/devices/virtio/9p/p9codec.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define GMEM_SIZE (1 << 20)
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define REQ 0x10000
#define RESP 0x40000
#define QSIZE 64

static uint8_t ghost[GMEM_SIZE];
static struct gmem gm;
static struct virtio_dev vd;
static struct p9dev dev;
static uint16_t avail_idx, used_seen;
static char dir[64];

static void set_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	fakevq_desc(ghost + DESC, i, addr, len, flags, next);
}

static void dev_up(bool ro)
{
	struct moat_err *e = NULL;

	snprintf(dir, sizeof(dir), "/tmp/moat-p9dev.XXXXXX");
	ASSERT(mkdtemp(dir));
	if (p9dev_open(&dev, dir, "share0", ro, false, &e) < 0)
		FAIL("p9dev_open: %s", e->msg);
	fakevq_dev(&vd, &gm, ghost, GMEM_SIZE, &p9dev_ops);
	p9dev_setup(&dev, &vd);
	fakevq_ready(&vd, 0, QSIZE, DESC, AVAIL, USED, P9DEV_QUEUE_SIZE);
	avail_idx = used_seen = 0;
	if (p9dev_start(&dev, &e) < 0)
		FAIL("p9dev_start: %s", e->msg);
}

static void dev_down(void)
{
	char cmd[96];

	p9dev_close(&dev);
	close(vd.irq_fd);
	pthread_mutex_destroy(&vd.lock);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		test_diag("could not remove %s", dir);
}

/* Offer the chain at head and notify, as a vCPU would. */
static void offer(uint16_t head)
{
	memcpy(ghost + AVAIL + 4 + 2 * (avail_idx % QSIZE), &head, 2);
	avail_idx++;
	__atomic_store_n((uint16_t *)(ghost + AVAIL + 2), avail_idx,
			 __ATOMIC_RELEASE);
	pthread_mutex_lock(&vd.lock);
	vd.ops->notify(&vd, 0);
	pthread_mutex_unlock(&vd.lock);
}

/* Wait (up to 5 s) for the next used entry; returns its length. */
static uint32_t wait_used(uint16_t head)
{
	struct timespec ts = { 0, 1000000 };
	uint32_t id, len;
	int i;

	for (i = 0; i < 5000; i++) {
		uint16_t idx = __atomic_load_n((uint16_t *)(ghost + USED + 2),
					       __ATOMIC_ACQUIRE);

		if (idx != used_seen)
			break;
		nanosleep(&ts, NULL);
	}
	if (i == 5000)
		FAIL("no used buffer after 5 s");
	memcpy(&id, ghost + USED + 4 + 8 * (used_seen % QSIZE), 4);
	memcpy(&len, ghost + USED + 8 + 8 * (used_seen % QSIZE), 4);
	used_seen++;
	ASSERT_EQ(id, head);
	return len;
}

/*
 * Send m, its bytes cut into nreq readable pieces, with reply room in the
 * writable pieces given as (offset from RESP, len) pairs. Returns the used
 * length; the reply, gathered, is in out.
 */
static uint32_t send(struct p9_tmsg *m, unsigned nreq, const unsigned (*wr)[2],
		     unsigned nwr, uint8_t *out, size_t cap)
{
	static uint16_t d0;
	uint8_t buf[8192];
	int n = p9_encode_t(m, buf, sizeof(buf));
	unsigned i, off = 0, d = d0;
	uint16_t head = (uint16_t)d0;
	uint32_t len, got = 0;

	ASSERT(n > 0);
	for (i = 0; i < nreq; i++) {
		/* pieces of n / nreq bytes, the last takes the rest; each
		 * piece is placed 64 bytes after the previous one's end */
		unsigned plen =
			i + 1 < nreq ? (unsigned)n / nreq : (unsigned)n - off;
		uint64_t at = REQ + 0x4000 + off + 64 * i;

		memcpy(ghost + at, buf + off, plen);
		set_desc(d % QSIZE, at, plen, VIRTQ_DESC_F_NEXT,
			 (uint16_t)((d + 1) % QSIZE));
		off += plen;
		d++;
	}
	for (i = 0; i < nwr; i++) {
		memset(ghost + RESP + wr[i][0], 0xee, wr[i][1]);
		set_desc(d % QSIZE, RESP + wr[i][0], wr[i][1],
			 VIRTQ_DESC_F_WRITE |
				 (i + 1 < nwr ? VIRTQ_DESC_F_NEXT : 0),
			 (uint16_t)((d + 1) % QSIZE));
		d++;
	}
	d0 = (uint16_t)(d % QSIZE);
	offer(head);
	len = wait_used(head);
	for (i = 0; i < nwr && got < len && got < cap; i++) {
		uint32_t k = wr[i][1] < len - got ? wr[i][1] : len - got;

		memcpy(out + got, ghost + RESP + wr[i][0], k);
		got += k;
	}
	return len;
}

static const unsigned one[][2] = { { 0, 65536 } };
static const unsigned scattered[][2] = { { 0, 5 },
					 { 0x1000, 6 },
					 { 0x3000, 60000 } };

static uint32_t rsize(const uint8_t *r)
{
	uint32_t v;

	memcpy(&v, r, 4);
	return v;
}

static void version_attach(void)
{
	static uint8_t out[65536];
	struct p9_tmsg m;

	memset(&m, 0, sizeof(m));
	m.type = P9_TVERSION;
	m.tag = P9_NOTAG;
	m.u.version.msize = 65536;
	m.u.version.version = (struct p9_str){ "9P2000.L", 8 };
	/* size, type, tag, msize, version: 7 + 4 + 2 + 8 */
	ASSERT_EQ(send(&m, 3, scattered, 3, out, sizeof(out)), 21);
	ASSERT_EQ(out[4], P9_RVERSION);
	ASSERT_EQ(rsize(out), 21);
	ASSERT(!memcmp(out + 13, "9P2000.L", 8));
	memset(&m, 0, sizeof(m));
	m.type = P9_TATTACH;
	m.tag = 1;
	m.u.attach.afid = P9_NOFID;
	m.u.attach.uname = (struct p9_str){ "u", 1 };
	ASSERT_EQ(send(&m, 2, one, 1, out, sizeof(out)), 20);
	ASSERT_EQ(out[4], P9_RATTACH);
}

TEST(p9dev_config_space_has_the_tag)
{
	uint16_t n;

	dev_up(false);
	ASSERT_EQ(vd.mmio.device_id, VIRTIO_ID_9P);
	ASSERT(vd.mmio.features & 1ULL << VIRTIO_9P_MOUNT_TAG);
	ASSERT_EQ(vd.mmio.queue_max, P9DEV_QUEUE_SIZE);
	mmio_read(&vd.mmio, 0x100, (uint8_t *)&n, 2);
	ASSERT_EQ(n, 6);
	ASSERT_EQ(vd.mmio.config_len, 8);
	ASSERT(!memcmp(vd.mmio.config + 2, "share0", 6));
	dev_down();
}

TEST(p9dev_gathers_requests_and_scatters_replies)
{
	static uint8_t out[65536], big[40000];
	struct p9_tmsg m;
	uint64_t copies;
	char path[128];
	size_t i;
	int fd;

	dev_up(false);
	version_attach();
	/* Twrite of 40000 bytes split over 5 descriptors into a new file */
	memset(&m, 0, sizeof(m));
	m.type = P9_TWALK;
	m.tag = 2;
	m.u.walk.newfid = 1;
	ASSERT_EQ(send(&m, 1, one, 1, out, sizeof(out)), 9);
	memset(&m, 0, sizeof(m));
	m.type = P9_TLCREATE;
	m.tag = 3;
	m.u.lcreate.fid = 1;
	m.u.lcreate.name = (struct p9_str){ "f", 1 };
	m.u.lcreate.flags = P9_DOTL_RDWR;
	m.u.lcreate.mode = 0644;
	ASSERT_EQ(send(&m, 4, one, 1, out, sizeof(out)), 24);
	ASSERT_EQ(out[4], P9_RLCREATE);
	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + i / 251);
	memset(&m, 0, sizeof(m));
	m.type = P9_TWRITE;
	m.tag = 4;
	m.u.write.fid = 1;
	/* send() encodes into 8 KiB: 8000-byte slices, each over 5
	 * descriptors, so written from them with one pwritev (as Linux's
	 * zero-copy writes), the request never copied whole */
	copies = dev.nsg;
	for (i = 0; i < sizeof(big); i += 8000) {
		m.u.write.offset = i;
		m.u.write.count = 8000;
		m.u.write.data = big + i;
		ASSERT_EQ(send(&m, 5, one, 1, out, sizeof(out)), 11);
		ASSERT_EQ(out[4], P9_RWRITE);
		ASSERT_EQ(rsize(out), 11);
		ASSERT_EQ(out[5], 4);
		ASSERT_EQ(out[7] | out[8] << 8, 8000);
	}
	ASSERT_EQ(dev.nsg, copies + 5);
	snprintf(path, sizeof(path), "%s/f", dir);
	{
		static uint8_t host[40000];

		fd = open(path, O_RDONLY);
		ASSERT_OK(fd);
		ASSERT_EQ(read(fd, host, sizeof(host)), (ssize_t)sizeof(host));
		close(fd);
		ASSERT(!memcmp(host, big, sizeof(big)));
	}
	/* Tread into scattered buffers whose first is too small for the
	 * Rread header: built aside, one copy out, data intact */
	copies = dev.ncopy;
	memset(&m, 0, sizeof(m));
	m.type = P9_TREAD;
	m.tag = 5;
	m.u.read.fid = 1;
	m.u.read.count = sizeof(big);
	ASSERT_EQ(send(&m, 1, scattered, 3, out, sizeof(out)),
		  11 + sizeof(big));
	ASSERT_EQ(out[4], P9_RREAD);
	ASSERT(!memcmp(out + 11, big, sizeof(big)));
	ASSERT_EQ(dev.ncopy, copies + 1);
	/* the header alone in the first buffer, then pages, as Linux's
	 * zero-copy reads: one preadv into them, no copy */
	{
		const unsigned zc[][2] = { { 0, 11 },
					   { 0x1000, 4096 },
					   { 0x3000, 60000 } };
		/* and a first buffer holding the start of the data too */
		const unsigned zc2[][2] = { { 0, 100 },
					    { 0x1000, 3 },
					    { 0x3000, 60000 } };
		uint64_t sg = dev.nsg;

		m.tag = 7;
		ASSERT_EQ(send(&m, 1, zc, 3, out, sizeof(out)),
			  11 + sizeof(big));
		ASSERT_EQ(out[4], P9_RREAD);
		ASSERT_EQ(rsize(out), 11 + sizeof(big));
		ASSERT(!memcmp(out + 11, big, sizeof(big)));
		m.tag = 8;
		m.u.read.offset = 10;
		m.u.read.count = 1000;
		ASSERT_EQ(send(&m, 1, zc2, 3, out, sizeof(out)), 11 + 1000);
		ASSERT_EQ(out[5], 8);
		ASSERT(!memcmp(out + 11, big + 10, 1000));
		/* past the end of the file: count 0 */
		m.u.read.offset = sizeof(big);
		ASSERT_EQ(send(&m, 1, zc2, 3, out, sizeof(out)), 11);
		ASSERT_EQ(dev.nsg, sg + 3);
		ASSERT_EQ(dev.ncopy, copies + 1);
		m.u.read.offset = 0;
		m.u.read.count = sizeof(big);
	}
	/* adjacent buffers: the reply is written in place, no copy */
	{
		const unsigned adjacent[][2] = { { 0, 4096 }, { 4096, 40000 } };

		m.tag = 6;
		ASSERT_EQ(send(&m, 1, adjacent, 2, out, sizeof(out)),
			  11 + sizeof(big));
		ASSERT(!memcmp(out + 11, big, sizeof(big)));
		ASSERT_EQ(dev.ncopy, copies + 1);
	}
	dev_down();
}

TEST(p9dev_bad_requests_fail_alone)
{
	static uint8_t out[65536];
	struct p9_tmsg m;
	uint16_t head;

	dev_up(false);
	version_attach();
	/* garbage: a size field larger than the request */
	memcpy(ghost + REQ + 0x8000, "\xff\xff\x00\x00\x6e\x07\x00", 7);
	set_desc(50, REQ + 0x8000, 7, VIRTQ_DESC_F_NEXT, 51);
	set_desc(51, RESP, 100, VIRTQ_DESC_F_WRITE, 0);
	head = 50;
	offer(head);
	ASSERT_EQ(wait_used(head), 11);
	ASSERT_EQ(ghost[RESP + 4], P9_RLERROR);
	ASSERT_EQ(ghost[RESP + 5], 7); /* its tag */
	/* a zero-copy Twrite (header and data in two descriptors) whose
	 * count is not the rest: decoded from its header alone, the same
	 * Rlerror as a copied request (EPROTO), nothing written */
	{
		static const uint8_t tw[P9_TWRITE_HDR_SIZE] = {
			27, 0, 0, 0, P9_TWRITE, 8, 0,	 /* size 27, tag 8 */
			0,  0, 0, 0,			 /* fid 0: the root */
			0,  0, 0, 0, 0,		0, 0, 0, /* offset */
			3,  0, 0, 0,			 /* count 3, not 4 */
		};
		uint32_t e;

		memcpy(ghost + REQ + 0x9000, tw, sizeof(tw));
		memcpy(ghost + REQ + 0xa000, "data", 4);
		set_desc(55, REQ + 0x9000, sizeof(tw), VIRTQ_DESC_F_NEXT, 56);
		set_desc(56, REQ + 0xa000, 4, VIRTQ_DESC_F_NEXT, 57);
		set_desc(57, RESP, 100, VIRTQ_DESC_F_WRITE, 0);
		offer(55);
		ASSERT_EQ(wait_used(55), 11);
		ASSERT_EQ(ghost[RESP + 4], P9_RLERROR);
		ASSERT_EQ(ghost[RESP + 5], 8);
		memcpy(&e, ghost + RESP + 7, 4);
		ASSERT_EQ(e, EPROTO);
	}
	/* no reply room at all: returned with nothing written */
	set_desc(52, REQ + 0x8000, 7, 0, 0);
	offer(52);
	ASSERT_EQ(wait_used(52), 0);
	/* room for less than an Rlerror */
	set_desc(53, REQ + 0x8000, 7, VIRTQ_DESC_F_NEXT, 54);
	set_desc(54, RESP, 5, VIRTQ_DESC_F_WRITE, 0);
	offer(53);
	ASSERT_EQ(wait_used(53), 0);
	ASSERT(!(vd.mmio.status & VIRTIO_STATUS_NEEDS_RESET));
	/* and the device still serves */
	memset(&m, 0, sizeof(m));
	m.type = P9_TSTATFS;
	m.tag = 9;
	ASSERT_EQ(send(&m, 1, one, 1, out, sizeof(out)), 67);
	ASSERT_EQ(out[4], P9_RSTATFS);
	/* a descriptor outside guest memory breaks the queue */
	set_desc(60, GMEM_SIZE - 4, 100, 0, 0);
	offer(60);
	{
		int i;

		bool broken = false;

		for (i = 0; i < 5000 && !broken; i++) {
			usleep(1000);
			pthread_mutex_lock(&vd.lock);
			broken = vd.mmio.status & VIRTIO_STATUS_NEEDS_RESET;
			pthread_mutex_unlock(&vd.lock);
		}
		ASSERT(broken);
	}
	dev_down();
}
