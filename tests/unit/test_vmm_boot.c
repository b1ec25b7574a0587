/*
 * test_vmm_boot.c: moat-vmm's pure boot builders: the bzImage header
 * parser, the e820 map, initrd placement, the zero page and the MP table,
 * over synthetic images and fake guest memory.
 */
#include "../harness/test.h"
#include "../../src/vmm/boot/x86_64/bzimage.h"
#include "../../src/vmm/arch/x86_64/layout.h"
#include "../../src/vmm/boot/x86_64/mptable.h"
#include "../../src/vmm/mem/gmem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* A minimal valid image: 4 setup sectors (+ boot sector), then 4 KiB of
 * "kernel". */
static uint8_t *fake_bzimage(size_t *len)
{
	size_t n = 5 * 512 + 4096;
	uint8_t *img = calloc(1, n);

	img[0x1f1] = 4;
	put16(img + 0x1fe, 0xaa55);
	img[0x201] = 0x62; /* header ends at 0x264 */
	put32(img + 0x202, 0x53726448);
	put16(img + 0x206, 0x020f);
	img[0x211] = 0x01;
	put32(img + 0x22c, 0x7fffffff);
	put16(img + 0x236, 0x0003);
	put32(img + 0x238, 2047);
	put32(img + 0x260, 0x800000);
	memset(img + 5 * 512, 0xcc, 4096);
	*len = n;
	return img;
}

TEST(bzimage_parses_a_valid_header)
{
	struct bzimage bz;
	size_t len;
	uint8_t *img = fake_bzimage(&len);

	ASSERT_EQ(bzimage_parse(img, len, &bz), 0);
	ASSERT_EQ(bz.version, 0x020f);
	ASSERT_EQ(bz.kernel_off, 5 * 512);
	ASSERT_EQ(bz.kernel_size, 4096);
	ASSERT_EQ(bz.cmdline_size, 2047);
	ASSERT_EQ(bz.init_size, 0x800000);
	ASSERT_EQ(bz.hdr_end, 0x264);
	free(img);
}

TEST(bzimage_rejects_bad_headers)
{
	struct bzimage bz;
	size_t len;
	uint8_t *img = fake_bzimage(&len);

	ASSERT_EQ(bzimage_parse(img, 0x263, &bz), BZ_ESHORT);
	ASSERT_EQ(bzimage_parse(img, 5 * 512, &bz), BZ_ELAYOUT);
	img[0x202] = 'X';
	ASSERT_EQ(bzimage_parse(img, len, &bz), BZ_EMAGIC);
	img[0x202] = 'H';
	put16(img + 0x206, 0x020b);
	ASSERT_EQ(bzimage_parse(img, len, &bz), BZ_EVERSION);
	put16(img + 0x206, 0x020f);
	put16(img + 0x236, 0);
	ASSERT_EQ(bzimage_parse(img, len, &bz), BZ_ENOT64);
	put16(img + 0x236, 1);
	img[0x201] = 0xff; /* header would run past 0x290 */
	ASSERT_EQ(bzimage_parse(img, len, &bz), BZ_ELAYOUT);
	img[0x201] = 0x62;
	img[0x1f1] = 0xff; /* setup larger than the file */
	ASSERT_EQ(bzimage_parse(img, len, &bz), BZ_ELAYOUT);
	free(img);
}

TEST(bzimage_parses_the_real_guest_kernel)
{
	const char *path = getenv("MOAT_KERNEL");
	struct bzimage bz;
	uint8_t *img;
	long len;
	FILE *f;

	if (!path)
		test_skip("MOAT_KERNEL not set");
	f = fopen(path, "rb");
	ASSERT(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	img = malloc((size_t)len);
	ASSERT_EQ(fread(img, 1, (size_t)len, f), len);
	fclose(f);
	ASSERT_EQ(bzimage_parse(img, (size_t)len, &bz), 0);
	ASSERT(bz.version >= 0x020f);
	ASSERT(bz.cmdline_size >= 2047);
	ASSERT(bz.init_size > bz.kernel_size);
	free(img);
}

TEST(e820_splits_ram_around_the_gap)
{
	struct bz_e820 e[BZ_E820_MAX];

	ASSERT_EQ(bz_e820_build(e, BZ_E820_MAX, 128 << 20, LAYOUT_MMIO_GAP), 3);
	ASSERT_EQ(e[0].addr, 0);
	ASSERT_EQ(e[0].size, LAYOUT_EBDA);
	ASSERT_EQ(e[1].type, BZ_E820_RESERVED);
	ASSERT_EQ(e[2].addr, LAYOUT_HIGH_MEM);
	ASSERT_EQ(e[2].size, (128 << 20) - LAYOUT_HIGH_MEM);
	ASSERT_EQ(bz_e820_build(e, BZ_E820_MAX, 4ULL << 30, LAYOUT_MMIO_GAP),
		  4);
	ASSERT_EQ(e[2].addr + e[2].size, LAYOUT_MMIO_GAP);
	ASSERT_EQ(e[3].addr, LAYOUT_4G);
	ASSERT_EQ(e[3].size, (4ULL << 30) - LAYOUT_MMIO_GAP);
	ASSERT_EQ(bz_e820_build(e, 3, 128 << 20, LAYOUT_MMIO_GAP), BZ_ERANGE);
	ASSERT_EQ(bz_e820_build(e, BZ_E820_MAX, 4096, LAYOUT_MMIO_GAP),
		  BZ_ERANGE);
}

TEST(initrd_goes_high_and_never_over_the_kernel)
{
	struct bzimage bz = { .initrd_addr_max = 0x7fffffff };
	uint64_t gpa;

	ASSERT_EQ(bz_initrd_place(&bz, 128 << 20, 0x900000, 0x1234, &gpa), 0);
	ASSERT_EQ(gpa, ((128 << 20) - 0x1234) & ~0xfffULL);
	ASSERT_EQ(bz_initrd_place(&bz, 128 << 20, 0x900000, 127 << 20, &gpa),
		  BZ_ERANGE);
	ASSERT_EQ(bz_initrd_place(&bz, 128 << 20, 0x900000, 0, &gpa),
		  BZ_ERANGE);
	ASSERT_EQ(bz_initrd_place(&bz, 128 << 20, 0x900000, ~0ULL, &gpa),
		  BZ_ERANGE);
	bz.initrd_addr_max = 0x3fffffff; /* caps the top below low RAM's */
	ASSERT_EQ(bz_initrd_place(&bz, 2ULL << 30, 0x900000, 4096, &gpa), 0);
	ASSERT_EQ(gpa, 0x40000000 - 4096);
}

TEST(zero_page_carries_header_cmdline_initrd_and_e820)
{
	uint8_t zp[BZ_ZERO_PAGE_SIZE];
	struct bz_e820 e[4];
	struct bzimage bz;
	struct bz_params p = { 0 };
	size_t len;
	uint8_t *img = fake_bzimage(&len);
	int n = bz_e820_build(e, 4, 256 << 20, LAYOUT_MMIO_GAP);

	ASSERT_EQ(bzimage_parse(img, len, &bz), 0);
	p.cmdline_gpa = LAYOUT_CMDLINE;
	p.cmdline_len = 100;
	p.initrd_gpa = 0x8000000;
	p.initrd_size = 0x1000;
	p.e820 = e;
	p.ne820 = (unsigned)n;
	ASSERT_EQ(bz_zero_page(zp, img, &bz, &p), 0);
	ASSERT_EQ(get32(zp + 0x202), 0x53726448); /* header copied */
	ASSERT_EQ(zp[0x210], 0xff);		  /* type_of_loader */
	ASSERT_EQ(get32(zp + 0x228), LAYOUT_CMDLINE);
	ASSERT_EQ(get32(zp + 0x218), 0x8000000);
	ASSERT_EQ(get32(zp + 0x21c), 0x1000);
	ASSERT_EQ(zp[0x1e8], 3);
	ASSERT_EQ(get64(zp + 0x2d0 + 2 * 20), LAYOUT_HIGH_MEM);
	ASSERT_EQ(get32(zp + 0x2d0 + 2 * 20 + 16), BZ_E820_RAM);
	p.cmdline_len = 2048; /* over the kernel's cmdline_size */
	ASSERT_EQ(bz_zero_page(zp, img, &bz, &p), BZ_ERANGE);
	free(img);
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

TEST(mptable_is_well_formed)
{
	uint8_t buf[LAYOUT_EBDA_SIZE];
	unsigned ncpus;

	for (ncpus = 1; ncpus <= LAYOUT_MAX_VCPUS; ncpus++) {
		int n = mptable_build(buf, sizeof(buf), (uint32_t)LAYOUT_EBDA,
				      ncpus, LAYOUT_IRQ_MAX);
		uint8_t *hdr = buf + 16;
		unsigned tlen = (unsigned)(hdr[4] | hdr[5] << 8), i, cpus = 0;
		uint8_t *p;

		ASSERT(n > 0 && (size_t)n <= mptable_size(ncpus));
		ASSERT(memcmp(buf, "_MP_", 4) == 0);
		ASSERT_EQ(get32(buf + 4), LAYOUT_EBDA + 16);
		ASSERT_EQ(sum(buf, 16), 0);
		ASSERT(memcmp(hdr, "PCMP", 4) == 0);
		ASSERT_EQ(tlen + 16, n);
		ASSERT_EQ(sum(hdr, tlen), 0);
		/* walk the entries: processors come first, one BSP */
		p = hdr + 44;
		for (i = 0; i < (unsigned)(hdr[34] | hdr[35] << 8); i++) {
			if (p[0] == 0) {
				ASSERT_EQ(p[1], cpus);
				ASSERT_EQ((p[3] & 2) != 0, cpus == 0);
				cpus++;
				p += 20;
			} else {
				ASSERT(p[0] <= 4);
				p += 8;
			}
		}
		ASSERT_EQ(cpus, ncpus);
		ASSERT_EQ(p - hdr, tlen);
	}
	ASSERT_EQ(mptable_build(buf, sizeof(buf), 0, 0, 23), MPTABLE_ERANGE);
	ASSERT_EQ(mptable_build(buf, sizeof(buf), 0, LAYOUT_MAX_VCPUS + 1, 23),
		  MPTABLE_ERANGE);
	ASSERT_EQ(mptable_build(buf, 100, 0, 4, 23), MPTABLE_ERANGE);
}

TEST(gmem_checks_whole_ranges)
{
	static uint8_t host[1 << 16];
	struct gmem m;

	ASSERT_EQ(gmem_layout(&m, host, sizeof(host), 0x8000), 0);
	ASSERT_EQ(m.nregions, 2);
	ASSERT(gmem_ptr(&m, 0, 1) == host);
	ASSERT(gmem_ptr(&m, 0x7fff, 1) == host + 0x7fff);
	ASSERT(gmem_ptr(&m, 0x7fff, 2) == NULL); /* runs into the gap */
	ASSERT(gmem_ptr(&m, 0x8000, 1) == NULL); /* in the gap */
	ASSERT(gmem_ptr(&m, LAYOUT_4G, 0x8000) == host + 0x8000);
	ASSERT(gmem_ptr(&m, LAYOUT_4G, 0x8001) == NULL);
	ASSERT(gmem_ptr(&m, LAYOUT_4G + 0x7fff, 1) != NULL);
	ASSERT(gmem_ptr(&m, 0, 0) == NULL);
	ASSERT(gmem_ptr(&m, ~0ULL, 2) == NULL); /* wraps */
	ASSERT(gmem_ptr(&m, 1, ~0ULL) == NULL);
	ASSERT_EQ(gmem_write(&m, 0x7ffe, "ab", 2), 0);
	ASSERT_EQ(gmem_write(&m, 0x7fff, "ab", 2), -1);
	ASSERT_EQ(gmem_layout(&m, host, 0, 0x8000), -1);
	ASSERT_EQ(gmem_layout(&m, host, 4096, 0x8000), 0);
	ASSERT_EQ(m.nregions, 1);
}
