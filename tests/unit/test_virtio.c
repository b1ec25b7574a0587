/*
 * test_virtio.c: the hardened split virtqueue and the virtio-mmio
 * register model, over fake guest memory.
 */
#include "../harness/fakevq.h"
#include "../harness/test.h"
#include "../../src/vmm/devices/virtio/mmio.h"
#include "../../src/vmm/devices/virtio/virtq.h"

#include <string.h>

#define MEM_SIZE (1 << 20)
#define DESC 0x1000
#define AVAIL 0x2000
#define USED 0x3000
#define DATA 0x10000

static uint8_t host[MEM_SIZE];

static void mem_init(struct gmem *m)
{
	memset(host, 0, sizeof(host));
	ASSERT_EQ(gmem_layout(m, host, MEM_SIZE, MEM_SIZE), 0);
}

static void set_desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	fakevq_desc(host + DESC, i, addr, len, flags, next);
}

static void offer(unsigned slot, uint16_t head, uint16_t idx)
{
	memcpy(host + AVAIL + 4 + 2 * slot, &head, 2);
	memcpy(host + AVAIL + 2, &idx, 2);
}

static void queue(struct virtq *q, const struct gmem *m, uint16_t size)
{
	virtq_reset(q);
	q->size = size;
	q->desc_gpa = DESC;
	q->avail_gpa = AVAIL;
	q->used_gpa = USED;
	ASSERT_EQ(virtq_check(q, m, 256), 0);
}

TEST(virtq_pops_a_chain_and_pushes_it_back)
{
	struct gmem m;
	struct virtq q;
	struct virtq_chain c;
	char out[16];
	uint16_t used_idx;
	uint32_t id, len;

	mem_init(&m);
	queue(&q, &m, 8);
	memcpy(host + DATA, "hello", 5);
	set_desc(3, DATA, 5, VIRTQ_DESC_F_NEXT, 5);
	set_desc(5, DATA + 0x100, 4, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 6);
	set_desc(6, DATA + 0x200, 4, VIRTQ_DESC_F_WRITE, 0);
	ASSERT_EQ(virtq_pop(&q, &m, &c), VIRTQ_EEMPTY);
	offer(0, 3, 1);
	ASSERT_EQ(virtq_pop(&q, &m, &c), 0);
	ASSERT_EQ(c.head, 3);
	ASSERT_EQ(c.nbufs, 3);
	ASSERT_EQ(c.nread, 1);
	ASSERT_EQ(c.read_len, 5);
	ASSERT_EQ(c.write_len, 8);
	ASSERT_EQ(virtq_chain_read(&c, 1, out, sizeof(out)), 4);
	ASSERT(memcmp(out, "ello", 4) == 0);
	ASSERT_EQ(virtq_chain_write(&c, 2, "abcdefgh", 8), 6);
	ASSERT(memcmp(host + DATA + 0x102, "ab", 2) == 0);
	ASSERT(memcmp(host + DATA + 0x200, "cdef", 4) == 0);
	virtq_push(&q, c.head, 6);
	memcpy(&used_idx, host + USED + 2, 2);
	memcpy(&id, host + USED + 4, 4);
	memcpy(&len, host + USED + 8, 4);
	ASSERT_EQ(used_idx, 1);
	ASSERT_EQ(id, 3);
	ASSERT_EQ(len, 6);
	ASSERT_EQ(virtq_pop(&q, &m, &c), VIRTQ_EEMPTY);
	ASSERT(virtq_want_irq(&q));
	host[AVAIL] = VIRTQ_AVAIL_F_NO_INTERRUPT;
	ASSERT(!virtq_want_irq(&q));
}

TEST(virtq_rejects_what_breaks_the_rules)
{
	struct gmem m;
	struct virtq q;
	struct virtq_chain c;

	mem_init(&m);
	/* a loop */
	queue(&q, &m, 8);
	set_desc(0, DATA, 1, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, DATA, 1, VIRTQ_DESC_F_NEXT, 0);
	offer(0, 0, 1);
	ASSERT_EQ(virtq_pop(&q, &m, &c), VIRTQ_EBROKEN);
	/* head out of range */
	queue(&q, &m, 8);
	offer(0, 8, 1);
	ASSERT_EQ(virtq_pop(&q, &m, &c), VIRTQ_EBROKEN);
	/* next out of range */
	queue(&q, &m, 8);
	set_desc(0, DATA, 1, VIRTQ_DESC_F_NEXT, 9);
	offer(0, 0, 1);
	ASSERT_EQ(virtq_pop(&q, &m, &c), VIRTQ_EBROKEN);
	/* readable after writable */
	queue(&q, &m, 8);
	set_desc(0, DATA, 1, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	set_desc(1, DATA, 1, 0, 0);
	offer(0, 0, 1);
	ASSERT_EQ(virtq_pop(&q, &m, &c), VIRTQ_EBROKEN);
	/* a buffer leaving guest memory, or wrapping */
	queue(&q, &m, 8);
	set_desc(0, MEM_SIZE - 4, 8, 0, 0);
	offer(0, 0, 1);
	ASSERT_EQ(virtq_pop(&q, &m, &c), VIRTQ_EBROKEN);
	queue(&q, &m, 8);
	set_desc(0, ~0ULL - 2, 8, 0, 0);
	offer(0, 0, 1);
	ASSERT_EQ(virtq_pop(&q, &m, &c), VIRTQ_EBROKEN);
	/* indirect (not negotiated) */
	queue(&q, &m, 8);
	set_desc(0, DATA, 16, VIRTQ_DESC_F_INDIRECT, 0);
	offer(0, 0, 1);
	ASSERT_EQ(virtq_pop(&q, &m, &c), VIRTQ_EBROKEN);
	/* the avail index running more than size ahead */
	queue(&q, &m, 8);
	set_desc(0, DATA, 1, 0, 0);
	offer(0, 0, 9);
	ASSERT_EQ(virtq_pop(&q, &m, &c), VIRTQ_EBROKEN);
	/* a chain as long as the ring is fine; zero-length buffers too */
	queue(&q, &m, 4);
	set_desc(0, DATA, 0, VIRTQ_DESC_F_NEXT, 1);
	set_desc(1, DATA, 1, VIRTQ_DESC_F_NEXT, 2);
	set_desc(2, DATA, 1, VIRTQ_DESC_F_NEXT, 3);
	set_desc(3, DATA, 1, 0, 0);
	offer(0, 0, 1);
	ASSERT_EQ(virtq_pop(&q, &m, &c), 0);
	ASSERT_EQ(c.nbufs, 4);
}

TEST(virtq_check_validates_size_alignment_and_ranges)
{
	struct gmem m;
	struct virtq q;

	mem_init(&m);
	virtq_reset(&q);
	q.desc_gpa = DESC;
	q.avail_gpa = AVAIL;
	q.used_gpa = USED;
	q.size = 6;
	ASSERT_EQ(virtq_check(&q, &m, 256), VIRTQ_EBROKEN);
	q.size = 0;
	ASSERT_EQ(virtq_check(&q, &m, 256), VIRTQ_EBROKEN);
	q.size = 512;
	ASSERT_EQ(virtq_check(&q, &m, 256), VIRTQ_EBROKEN);
	q.size = 256;
	ASSERT_EQ(virtq_check(&q, &m, 128), VIRTQ_EBROKEN);
	ASSERT_EQ(virtq_check(&q, &m, 256), 0);
	q.desc_gpa = DESC + 8;
	ASSERT_EQ(virtq_check(&q, &m, 256), VIRTQ_EBROKEN);
	q.desc_gpa = DESC;
	q.used_gpa = USED + 2;
	ASSERT_EQ(virtq_check(&q, &m, 256), VIRTQ_EBROKEN);
	q.used_gpa = MEM_SIZE - 16;
	ASSERT_EQ(virtq_check(&q, &m, 256), VIRTQ_EBROKEN);
	ASSERT(!q.ready);
}

static uint32_t rd(struct mmio_dev *d, uint64_t off)
{
	uint32_t v;

	mmio_read(d, off, (uint8_t *)&v, 4);
	return v;
}

static void wr(struct mmio_dev *d, const struct gmem *m, uint64_t off,
	       uint32_t v, struct mmio_effect *fx)
{
	mmio_write(d, m, off, (const uint8_t *)&v, 4, fx);
}

/* Bring a device to FEATURES_OK with queue 0 at our rings. */
static void mmio_setup(struct mmio_dev *d, const struct gmem *m)
{
	struct mmio_effect fx;

	mmio_init(d, 3, 0, 2, 256);
	wr(d, m, 0x70, 0, &fx);
	ASSERT(fx.reset);
	wr(d, m, 0x70, 1, &fx);
	wr(d, m, 0x70, 3, &fx);
	wr(d, m, 0x24, 1, &fx);
	wr(d, m, 0x20, 1, &fx); /* VERSION_1 */
	wr(d, m, 0x70, 11, &fx);
	ASSERT_EQ(rd(d, 0x70), 11);
	wr(d, m, 0x30, 0, &fx);
	wr(d, m, 0x38, 16, &fx);
	wr(d, m, 0x80, DESC, &fx);
	wr(d, m, 0x90, AVAIL, &fx);
	wr(d, m, 0xa0, USED, &fx);
}

TEST(mmio_identifies_and_follows_the_status_table)
{
	struct gmem m;
	struct mmio_dev d;
	struct mmio_effect fx;

	mem_init(&m);
	mmio_init(&d, 3, 0, 2, 256);
	ASSERT_EQ(rd(&d, 0x000), 0x74726976);
	ASSERT_EQ(rd(&d, 0x004), 2);
	ASSERT_EQ(rd(&d, 0x008), 3);
	wr(&d, &m, 0x14, 1, &fx);
	ASSERT_EQ(rd(&d, 0x10), 1); /* VERSION_1 offered */
	/* skipping a step is ignored */
	wr(&d, &m, 0x70, 15, &fx);
	ASSERT_EQ(rd(&d, 0x70), 0);
	wr(&d, &m, 0x70, 1, &fx);
	wr(&d, &m, 0x70, 3, &fx);
	/* no VERSION_1: FEATURES_OK does not stick */
	wr(&d, &m, 0x70, 11, &fx);
	ASSERT_EQ(rd(&d, 0x70), 3);
	/* a feature we do not offer: refused too */
	wr(&d, &m, 0x24, 0, &fx);
	wr(&d, &m, 0x20, 1u << 5, &fx);
	wr(&d, &m, 0x24, 1, &fx);
	wr(&d, &m, 0x20, 1, &fx);
	wr(&d, &m, 0x70, 11, &fx);
	ASSERT_EQ(rd(&d, 0x70), 3);
	wr(&d, &m, 0x24, 0, &fx);
	wr(&d, &m, 0x20, 0, &fx);
	wr(&d, &m, 0x70, 11, &fx);
	ASSERT_EQ(rd(&d, 0x70), 11);
	/* FAILED sticks; 0 resets */
	wr(&d, &m, 0x70, 128, &fx);
	ASSERT(rd(&d, 0x70) & 128);
	wr(&d, &m, 0x70, 0, &fx);
	ASSERT_EQ(rd(&d, 0x70), 0);
}

TEST(mmio_queue_lifecycle_and_notify)
{
	struct gmem m;
	struct mmio_dev d;
	struct mmio_effect fx;

	mem_init(&m);
	mmio_setup(&d, &m);
	ASSERT_EQ(rd(&d, 0x34), 256);
	wr(&d, &m, 0x50, 0, &fx);
	ASSERT_EQ(fx.notify, -1);	/* not running yet */
	ASSERT(!mmio_notify_ok(&d, 0)); /* nor by ioeventfd */
	wr(&d, &m, 0x44, 1, &fx);
	ASSERT_EQ(rd(&d, 0x44), 1);
	/* a ready queue's registers are frozen */
	wr(&d, &m, 0x38, 32, &fx);
	ASSERT_EQ(d.q[0].size, 16);
	wr(&d, &m, 0x70, 15, &fx);
	ASSERT(fx.activate);
	ASSERT(mmio_driver_ok(&d));
	wr(&d, &m, 0x50, 0, &fx);
	ASSERT_EQ(fx.notify, 0);
	ASSERT(mmio_notify_ok(&d, 0));
	wr(&d, &m, 0x50, 1, &fx); /* queue 1 never made ready */
	ASSERT_EQ(fx.notify, -1);
	ASSERT(!mmio_notify_ok(&d, 1));
	wr(&d, &m, 0x50, 7, &fx);
	ASSERT_EQ(fx.notify, -1);
	ASSERT(!mmio_notify_ok(&d, 7));
	ASSERT(!mmio_notify_ok(&d, UINT32_MAX));
	mmio_used(&d, &fx);
	ASSERT(fx.irq);
	ASSERT_EQ(rd(&d, 0x60), 1);
	wr(&d, &m, 0x64, 1, &fx);
	ASSERT_EQ(rd(&d, 0x60), 0);
	/* wrong widths and offsets read as 0 and write nothing */
	{
		uint16_t v = 0xffff;

		mmio_read(&d, 0x70, (uint8_t *)&v, 2);
		ASSERT_EQ(v, 0);
		mmio_read(&d, 0x71, (uint8_t *)&v, 2);
		ASSERT_EQ(v, 0);
	}
}

TEST(mmio_bad_rings_need_reset)
{
	struct gmem m;
	struct mmio_dev d;
	struct mmio_effect fx;

	mem_init(&m);
	mmio_setup(&d, &m);
	wr(&d, &m, 0xa0, MEM_SIZE - 8, &fx); /* used ring leaves memory */
	wr(&d, &m, 0x44, 1, &fx);
	ASSERT_EQ(rd(&d, 0x44), 0);
	ASSERT(rd(&d, 0x70) & VIRTIO_STATUS_NEEDS_RESET);
	wr(&d, &m, 0x70, 15, &fx);
	ASSERT(!mmio_driver_ok(&d));
	ASSERT(!fx.activate);
	/* a reset recovers */
	wr(&d, &m, 0x70, 0, &fx);
	ASSERT_EQ(rd(&d, 0x70), 0);
}

TEST(mmio_config_space_reads_are_bounded)
{
	struct mmio_dev d;
	uint8_t b[8];

	mmio_init(&d, 3, 0, 2, 256);
	d.config_len = 4;
	memcpy(d.config, "\x01\x02\x03\x04", 4);
	mmio_read(&d, 0x100, b, 4);
	ASSERT(memcmp(b, "\x01\x02\x03\x04", 4) == 0);
	mmio_read(&d, 0x102, b, 4); /* runs past the config */
	ASSERT_EQ(b[0], 0);
	mmio_read(&d, 0x103, b, 1);
	ASSERT_EQ(b[0], 4);
}
