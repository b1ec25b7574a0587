/*
 * test_vmm_blk.c: virtio-blk. The pure request parser (blkreq.c) on
 * chains built by hand, then the backend (block.c) on a temporary image
 * over fake guest memory: reads, writes, flush, GET_ID, malformed requests
 * that fail alone, a broken queue that needs a reset, the config space,
 * the image lock, and the I/O under moat-vmm's vCPU seccomp filter.
 */
#include "../harness/fakevq.h"
#include "../harness/test.h"
#include "../../src/vmm/devices/virtio/block.h"
#include "../../src/vmm/seccomp/filter.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* --- the parser ---------------------------------------------------------- */

static uint8_t mem[65536];

/* A chain of buffers in mem: (offset, len, writable) triples. */
static void chain(struct virtq_chain *c, const unsigned (*b)[3], unsigned n)
{
	unsigned i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < n; i++) {
		c->buf[i].host = b[i][1] ? mem + b[i][0] : NULL;
		c->buf[i].len = b[i][1];
		c->buf[i].writable = b[i][2];
		if (b[i][2])
			c->write_len += b[i][1];
		else {
			c->read_len += b[i][1];
			c->nread++;
		}
	}
	c->nbufs = n;
}

static void hdr(unsigned off, uint32_t type, uint64_t sector)
{
	memset(mem + off, 0, 16);
	memcpy(mem + off, &type, 4);
	memcpy(mem + off + 8, &sector, 8);
}

static const struct blkreq_limits lim = { .capacity = 100,
					  .max_data = 64 * 1024,
					  .ro = false };
static struct virtq_chain c;
static struct blkreq r;

TEST(blkreq_parses_read_write_flush_get_id)
{
	/* IN: header, two data buffers, status */
	const unsigned in[][3] = {
		{ 0, 16, 0 }, { 512, 1024, 1 }, { 4096, 512, 1 }, { 100, 1, 1 }
	};
	/* OUT: header and data in one buffer, more data, status with spare
	 * room before it (the status is the last byte) */
	const unsigned out[][3] = { { 0, 16 + 512, 0 },
				    { 4096, 1024, 0 },
				    { 200, 8, 1 } };
	const unsigned flush[][3] = { { 0, 16, 0 }, { 100, 1, 1 } };
	/* GET_ID: the data and the status share one buffer */
	const unsigned id[][3] = { { 0, 16, 0 }, { 300, 21, 1 } };

	hdr(0, VIRTIO_BLK_T_IN, 7);
	chain(&c, in, 4);
	ASSERT_EQ(blkreq_parse(&c, &lim, &r), 0);
	ASSERT_EQ(r.type, VIRTIO_BLK_T_IN);
	ASSERT_EQ(r.sector, 7);
	ASSERT_EQ(r.data_len, 1536);
	ASSERT_EQ(r.nseg, 2);
	ASSERT(r.seg[0].host == mem + 512 && r.seg[0].len == 1024);
	ASSERT(r.seg[1].host == mem + 4096 && r.seg[1].len == 512);
	ASSERT(r.status == mem + 100);

	hdr(0, VIRTIO_BLK_T_OUT, 97);
	chain(&c, out, 3);
	ASSERT_EQ(blkreq_parse(&c, &lim, &r), BLKREQ_EDIR); /* 7 spare bytes */
	{
		const unsigned out1[][3] = { { 0, 16 + 512, 0 },
					     { 4096, 1024, 0 },
					     { 200, 1, 1 } };

		chain(&c, out1, 3);
		ASSERT_EQ(blkreq_parse(&c, &lim, &r), 0);
		ASSERT_EQ(r.data_len, 1536);
		ASSERT_EQ(r.nseg, 2);
		ASSERT(r.seg[0].host == mem + 16 && r.seg[0].len == 512);
		ASSERT(r.status == mem + 200);
		/* up to the last sector exactly */
		hdr(0, VIRTIO_BLK_T_OUT, 100 - 3);
		ASSERT_EQ(blkreq_parse(&c, &lim, &r), 0);
	}

	hdr(0, VIRTIO_BLK_T_FLUSH, 12345); /* sector ignored */
	chain(&c, flush, 2);
	ASSERT_EQ(blkreq_parse(&c, &lim, &r), 0);
	ASSERT_EQ(r.type, VIRTIO_BLK_T_FLUSH);

	hdr(0, VIRTIO_BLK_T_GET_ID, 0);
	chain(&c, id, 2);
	ASSERT_EQ(blkreq_parse(&c, &lim, &r), 0);
	ASSERT_EQ(r.data_len, 20);
	ASSERT(r.seg[0].host == mem + 300);
	ASSERT(r.status == mem + 320);
}

TEST(blkreq_header_may_span_buffers)
{
	const unsigned b[][3] = { { 0, 5, 0 }, { 5, 11, 0 }, { 100, 1, 1 } };

	hdr(0, VIRTIO_BLK_T_FLUSH, 0);
	chain(&c, b, 3);
	ASSERT_EQ(blkreq_parse(&c, &lim, &r), 0);
}

TEST(blkreq_rejects_malformed_requests)
{
	const unsigned nostatus[][3] = { { 0, 16, 0 } };
	const unsigned emptystatus[][3] = { { 0, 16, 0 }, { 100, 0, 1 } };
	const unsigned shorthdr[][3] = { { 0, 15, 0 }, { 100, 1, 1 } };
	const unsigned in_rdata[][3] = { { 0, 16 + 512, 0 },
					 { 512, 512, 1 },
					 { 100, 1, 1 } };
	const unsigned in[][3] = { { 0, 16, 0 },
				   { 512, 512, 1 },
				   { 100, 1, 1 } };
	const unsigned in_odd[][3] = { { 0, 16, 0 },
				       { 512, 511, 1 },
				       { 100, 1, 1 } };
	const unsigned flush_data[][3] = { { 0, 16, 0 },
					   { 512, 512, 1 },
					   { 100, 1, 1 } };
	const unsigned id_rdata[][3] = { { 0, 17, 0 },
					 { 512, 20, 1 },
					 { 100, 1, 1 } };
	const unsigned id_nodata[][3] = { { 0, 16, 0 }, { 100, 1, 1 } };
	const unsigned big[][3] = {
		{ 0, 16, 0 }, { 0, 60416, 1 }, { 0, 60416, 1 }, { 100, 1, 1 }
	};

	chain(&c, nostatus, 1);
	ASSERT_EQ(blkreq_parse(&c, &lim, &r), BLKREQ_ESTATUS);
	ASSERT(r.status == NULL);
	chain(&c, emptystatus, 2);
	ASSERT_EQ(blkreq_parse(&c, &lim, &r), BLKREQ_ESTATUS);
	chain(&c, shorthdr, 2);
	ASSERT_EQ(blkreq_parse(&c, &lim, &r), BLKREQ_EHDR);
	ASSERT(r.status == mem + 100);

	hdr(0, 11 /* DISCARD */, 0);
	chain(&c, in, 3);
	ASSERT_EQ(blkreq_parse(&c, &lim, &r), BLKREQ_ETYPE);
	ASSERT_EQ(blkreq_status(BLKREQ_ETYPE), VIRTIO_BLK_S_UNSUPP);
	ASSERT_EQ(blkreq_status(BLKREQ_EDIR), VIRTIO_BLK_S_IOERR);
	ASSERT_EQ(blkreq_status(0), VIRTIO_BLK_S_OK);

	hdr(0, VIRTIO_BLK_T_IN, 0);
	chain(&c, in_rdata, 3);
	ASSERT_EQ(blkreq_parse(&c, &lim, &r), BLKREQ_EDIR);
	chain(&c, in_odd, 3);
	ASSERT_EQ(blkreq_parse(&c, &lim, &r), BLKREQ_EALIGN);
	chain(&c, big, 4);
	ASSERT_EQ(blkreq_parse(&c, &lim, &r), BLKREQ_ETOOBIG);

	/* ranges: the end, past it, and sector + count wrapping */
	chain(&c, in, 3);
	hdr(0, VIRTIO_BLK_T_IN, 99);
	ASSERT_EQ(blkreq_parse(&c, &lim, &r), 0);
	hdr(0, VIRTIO_BLK_T_IN, 100);
	ASSERT_EQ(blkreq_parse(&c, &lim, &r), BLKREQ_ERANGE);
	hdr(0, VIRTIO_BLK_T_IN, 101);
	ASSERT_EQ(blkreq_parse(&c, &lim, &r), BLKREQ_ERANGE);
	hdr(0, VIRTIO_BLK_T_IN, ~0ULL);
	ASSERT_EQ(blkreq_parse(&c, &lim, &r), BLKREQ_ERANGE);
	hdr(0, VIRTIO_BLK_T_IN, ~0ULL >> 9);
	ASSERT_EQ(blkreq_parse(&c, &lim, &r), BLKREQ_ERANGE);

	hdr(0, VIRTIO_BLK_T_OUT, 0);
	chain(&c, in, 3); /* OUT with writable data */
	ASSERT_EQ(blkreq_parse(&c, &lim, &r), BLKREQ_EDIR);
	{
		const unsigned out[][3] = { { 0, 16 + 512, 0 }, { 100, 1, 1 } };
		const struct blkreq_limits rol = { 100, 65536, true };

		chain(&c, out, 2);
		ASSERT_EQ(blkreq_parse(&c, &lim, &r), 0);
		ASSERT_EQ(blkreq_parse(&c, &rol, &r), BLKREQ_ERO);
		hdr(0, VIRTIO_BLK_T_IN, 0); /* reading one is fine */
		chain(&c, in, 3);
		ASSERT_EQ(blkreq_parse(&c, &rol, &r), 0);
	}

	hdr(0, VIRTIO_BLK_T_FLUSH, 0);
	chain(&c, flush_data, 3);
	ASSERT_EQ(blkreq_parse(&c, &lim, &r), BLKREQ_EDIR);
	hdr(0, VIRTIO_BLK_T_GET_ID, 0);
	chain(&c, id_rdata, 3);
	ASSERT_EQ(blkreq_parse(&c, &lim, &r), BLKREQ_EDIR);
	chain(&c, id_nodata, 2);
	ASSERT_EQ(blkreq_parse(&c, &lim, &r), BLKREQ_EDIR);
}

TEST(blkreq_id_pads_and_truncates)
{
	uint8_t id[BLKREQ_ID_BYTES];

	blkreq_id(id, "disk");
	ASSERT(memcmp(id, "disk\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20) == 0);
	blkreq_id(id, "0123456789abcdefghijKLMN");
	ASSERT(memcmp(id, "0123456789abcdefghij", 20) == 0);
}

/* --- the backend over fake guest memory --------------------------------- */

#define GMEM_SIZE (1 << 20)
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define HDR 0x8000
#define STATUS 0x9000
#define DATA 0x10000
#define IMG_SECTORS 64
#define QSIZE 32

static uint8_t ghost[GMEM_SIZE];
static struct gmem gm;
static struct virtio_dev vd;
static struct block blk;
static uint16_t avail_idx;
static char img[64];

static void set_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	fakevq_desc(ghost + DESC, i, addr, len, flags, next);
}

static void offer(uint16_t head)
{
	memcpy(ghost + AVAIL + 4 + 2 * (avail_idx % QSIZE), &head, 2);
	avail_idx++;
	memcpy(ghost + AVAIL + 2, &avail_idx, 2);
}

static void used(unsigned k, uint32_t *id, uint32_t *len)
{
	memcpy(id, ghost + USED + 4 + 8 * k, 4);
	memcpy(len, ghost + USED + 8 + 8 * k, 4);
}

/* An image of IMG_SECTORS sectors (plus a partial one), byte i = i % 251. */
static void dev_up(bool ro, uint64_t features)
{
	uint8_t buf[IMG_SECTORS * 512 + 100];
	struct moat_err *e = NULL;
	size_t i;
	int fd;

	snprintf(img, sizeof(img), "/tmp/moat-blk-test.%d", (int)getpid());
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i % 251);
	fd = open(img, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ASSERT_OK(fd);
	ASSERT_EQ(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	close(fd);
	if (block_open(&blk, img, ro, "test-disk", &e) < 0)
		FAIL("block_open: %s", e->msg);
	fakevq_dev(&vd, &gm, ghost, GMEM_SIZE, &block_ops);
	block_setup(&blk, &vd);
	fakevq_ready(&vd, features, QSIZE, DESC, AVAIL, USED, BLOCK_QUEUE_SIZE);
	avail_idx = 0;
}

static void dev_down(void)
{
	block_close(&blk);
	close(vd.irq_fd);
	pthread_mutex_destroy(&vd.lock);
	unlink(img);
}

static void notify(void)
{
	pthread_mutex_lock(&vd.lock);
	vd.ops->notify(&vd, 0);
	pthread_mutex_unlock(&vd.lock);
}

/* A request in descriptors 3*slot.. : header, data (len bytes at data,
 * writable or not), status. */
static uint16_t req(unsigned slot, uint32_t type, uint64_t sector,
		    uint64_t data, uint32_t len, bool data_writable)
{
	uint16_t d = (uint16_t)(3 * slot);
	uint64_t h = HDR + 16 * slot;

	memcpy(ghost + h, &type, 4);
	memset(ghost + h + 4, 0, 4);
	memcpy(ghost + h + 8, &sector, 8);
	ghost[STATUS + slot] = 0xee;
	if (len) {
		set_desc(d, h, 16, VIRTQ_DESC_F_NEXT, d + 1);
		set_desc(d + 1, data, len,
			 VIRTQ_DESC_F_NEXT |
				 (data_writable ? VIRTQ_DESC_F_WRITE : 0),
			 d + 2);
	} else {
		set_desc(d, h, 16, VIRTQ_DESC_F_NEXT, d + 2);
	}
	set_desc(d + 2, STATUS + slot, 1, VIRTQ_DESC_F_WRITE, 0);
	offer(d);
	return d;
}

static void read_img(void *buf, size_t len, off_t off)
{
	int fd = open(img, O_RDONLY);

	ASSERT_OK(fd);
	ASSERT_EQ(pread(fd, buf, len, off), (ssize_t)len);
	close(fd);
}

TEST(block_config_space_and_features)
{
	uint64_t cap;
	uint32_t v;

	dev_up(true, 0);
	ASSERT_EQ(vd.mmio.device_id, VIRTIO_ID_BLOCK);
	ASSERT(vd.mmio.features & 1ULL << VIRTIO_BLK_F_RO);
	ASSERT(vd.mmio.features & 1ULL << VIRTIO_BLK_F_FLUSH);
	ASSERT(vd.mmio.features & 1ULL << VIRTIO_BLK_F_SEG_MAX);
	ASSERT(vd.mmio.features & 1ULL << VIRTIO_BLK_F_BLK_SIZE);
	ASSERT_EQ(vd.mmio.config_len, BLOCK_CONFIG_LEN);
	/* little-endian fields, read through the transport */
	mmio_read(&vd.mmio, 0x100, (uint8_t *)&cap, 8);
	ASSERT_EQ(cap, IMG_SECTORS); /* the partial sector is not counted */
	ASSERT_EQ(vd.mmio.config[0], IMG_SECTORS);
	mmio_read(&vd.mmio, 0x100 + 12, (uint8_t *)&v, 4);
	ASSERT_EQ(v, BLOCK_SEG_MAX);
	mmio_read(&vd.mmio, 0x100 + 20, (uint8_t *)&v, 4);
	ASSERT_EQ(v, 512);
	dev_down();
	dev_up(false, 0);
	ASSERT(!(vd.mmio.features & 1ULL << VIRTIO_BLK_F_RO));
	dev_down();
}

TEST(block_reads_writes_flushes_and_identifies)
{
	uint8_t want[1024], got[1024];
	uint32_t id, len;
	size_t i;

	dev_up(false, 1ULL << VIRTIO_BLK_F_FLUSH);
	/* read sectors 2..3 */
	req(0, VIRTIO_BLK_T_IN, 2, DATA, 1024, true);
	/* write sectors 10..11 */
	for (i = 0; i < 1024; i++)
		ghost[DATA + 0x1000 + i] = (uint8_t)(0xa5 ^ i);
	req(1, VIRTIO_BLK_T_OUT, 10, DATA + 0x1000, 1024, false);
	req(2, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false);
	req(3, VIRTIO_BLK_T_GET_ID, 0, DATA + 0x2000, 20, true);
	notify();
	ASSERT_EQ(avail_idx, 4);
	ASSERT_EQ(vd.mmio.q[0].used_idx, 4);
	for (i = 0; i < 1024; i++)
		want[i] = (uint8_t)((1024 + i) % 251);
	ASSERT(memcmp(ghost + DATA, want, 1024) == 0);
	ASSERT_EQ(ghost[STATUS + 0], VIRTIO_BLK_S_OK);
	used(0, &id, &len);
	ASSERT_EQ(id, 0);
	ASSERT_EQ(len, 1025);
	read_img(got, 1024, 10 * 512);
	ASSERT(memcmp(got, ghost + DATA + 0x1000, 1024) == 0);
	ASSERT_EQ(ghost[STATUS + 1], VIRTIO_BLK_S_OK);
	used(1, &id, &len);
	ASSERT_EQ(id, 3);
	ASSERT_EQ(len, 1);
	ASSERT_EQ(ghost[STATUS + 2], VIRTIO_BLK_S_OK);
	ASSERT_EQ(ghost[STATUS + 3], VIRTIO_BLK_S_OK);
	ASSERT(memcmp(ghost + DATA + 0x2000, "test-disk\0\0\0\0\0\0\0\0\0\0\0",
		      20) == 0);
	used(3, &id, &len);
	ASSERT_EQ(len, 21);
	ASSERT_EQ(blk.nreq, 4);
	ASSERT_EQ(blk.nerr, 0);
	/* the guest was interrupted */
	ASSERT(vd.mmio.interrupt_status & VIRTIO_INT_USED);
	dev_down();
}

TEST(block_malformed_requests_fail_alone)
{
	uint8_t before[512], after[512];
	uint32_t id, len;

	dev_up(true, 0);
	read_img(before, 512, 0);
	req(0, VIRTIO_BLK_T_OUT, 0, DATA, 512, false);	       /* read-only */
	req(1, VIRTIO_BLK_T_IN, IMG_SECTORS, DATA, 512, true); /* past end */
	req(2, 13 /* WRITE_ZEROES */, 0, 0, 0, false);
	req(3, VIRTIO_BLK_T_IN, 0, DATA, 100, true); /* not whole sectors */
	/* no status byte at all: given back with nothing written */
	set_desc(12, HDR, 16, 0, 0);
	offer(12);
	req(5, VIRTIO_BLK_T_IN, IMG_SECTORS - 1, DATA, 512, true); /* fine */
	notify();
	ASSERT_EQ(ghost[STATUS + 0], VIRTIO_BLK_S_IOERR);
	ASSERT_EQ(ghost[STATUS + 1], VIRTIO_BLK_S_IOERR);
	ASSERT_EQ(ghost[STATUS + 2], VIRTIO_BLK_S_UNSUPP);
	ASSERT_EQ(ghost[STATUS + 3], VIRTIO_BLK_S_IOERR);
	ASSERT_EQ(ghost[STATUS + 5], VIRTIO_BLK_S_OK);
	used(4, &id, &len);
	ASSERT_EQ(id, 12);
	ASSERT_EQ(len, 0);
	ASSERT_EQ(vd.mmio.q[0].used_idx, 6);
	ASSERT(!(vd.mmio.status & VIRTIO_STATUS_NEEDS_RESET));
	ASSERT(vd.mmio.q[0].ready);
	ASSERT_EQ(blk.nerr, 5);
	read_img(after, 512, 0);
	ASSERT(memcmp(before, after, 512) == 0);
	dev_down();
}

TEST(block_broken_queue_needs_reset)
{
	dev_up(false, 0);
	req(0, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false);
	set_desc(3, DATA, 16, VIRTQ_DESC_F_NEXT, 3); /* a loop */
	offer(3);
	notify();
	ASSERT_EQ(ghost[STATUS + 0], VIRTIO_BLK_S_OK);
	ASSERT(vd.mmio.status & VIRTIO_STATUS_NEEDS_RESET);
	ASSERT(!vd.mmio.q[0].ready);
	ASSERT(vd.mmio.interrupt_status & VIRTIO_INT_CONFIG);
	dev_down();
}

TEST(block_serves_at_most_a_queue_per_notification)
{
	unsigned i;

	dev_up(false, 0);
	/* A full queue is served at once; the avail index cannot run
	 * further ahead without breaking the queue. */
	for (i = 0; i < 5; i++)
		req(i, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false);
	for (i = 5; i < QSIZE; i++)
		offer(0);
	notify();
	ASSERT_EQ(vd.mmio.q[0].used_idx, QSIZE);
	ASSERT(!(vd.mmio.status & VIRTIO_STATUS_NEEDS_RESET));
	dev_down();
}

TEST(block_open_checks_and_locks_the_image)
{
	struct moat_err *e = NULL;
	static struct block b2;

	dev_up(false, 0);
	/* a second writer, or a reader beside the writer, is refused */
	ASSERT(block_open(&b2, img, false, NULL, &e) < 0);
	ASSERT(e && strstr(e->msg, "locked"));
	moat_err_free(&e);
	ASSERT(block_open(&b2, img, true, NULL, &e) < 0);
	moat_err_free(&e);
	dev_down();
	ASSERT(block_open(&b2, "/nonexistent/disk.img", true, NULL, &e) < 0);
	moat_err_free(&e);
	ASSERT(block_open(&b2, "/tmp", true, NULL, &e) < 0);
	moat_err_free(&e);
	/* readers share */
	dev_up(true, 0);
	ASSERT_EQ(block_open(&b2, img, true, NULL, &e), 0);
	block_close(&b2);
	dev_down();
}

static void *filtered_io(void *arg)
{
	static const struct filter_rules *const rules[] = {
		&block_filter_rules
	};
	struct moat_err *e = NULL;

	(void)arg;
	/* As moat-vmm loads it for a VM with a block device. */
	if (filter_load_with(FILTER_VCPU, rules, 1, &e) < 0)
		_exit(100);
	/* preadv, pwritev, and fdatasync (write-through without FLUSH,
	 * and a FLUSH request) */
	req(0, VIRTIO_BLK_T_IN, 0, DATA, 4096, true);
	req(1, VIRTIO_BLK_T_OUT, 20, DATA, 4096, false);
	req(2, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false);
	notify();
	/* Ended with the raw syscall: a sanitizer's _exit and thread exit
	 * make calls (sigaltstack) that no vCPU thread makes. */
	syscall(SYS_exit_group,
		ghost[STATUS] || ghost[STATUS + 1] || ghost[STATUS + 2] ? 101
									: 0);
	return NULL;
}

TEST(block_io_passes_the_vcpu_seccomp_filter)
{
	int status;
	pid_t pid;

	dev_up(false, 0);
	pid = fork();
	ASSERT_OK(pid);
	if (pid == 0) {
		pthread_t t;

		if (pthread_create(&t, NULL, filtered_io, NULL) != 0)
			_exit(102);
		pthread_join(t, NULL);
		_exit(0);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		FAIL("killed by signal %d", WTERMSIG(status));
	ASSERT(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	dev_down();
}
