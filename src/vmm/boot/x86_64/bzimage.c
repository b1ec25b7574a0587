/*
 * bzimage.c: bzImage setup header, zero page and e820 (see bzimage.h).
 * Pure. Offsets are those of struct boot_params / struct setup_header.
 */
#include "bzimage.h"

#include <string.h>

#include "../../arch/x86_64/layout.h"
#include "../../../common/le.h"

#define BZ_OFF_E820_ENTRIES 0x1e8
#define BZ_OFF_SETUP_SECTS 0x1f1
#define BZ_OFF_BOOT_FLAG 0x1fe
#define BZ_OFF_JUMP 0x200
#define BZ_OFF_HEADER 0x202
#define BZ_OFF_VERSION 0x206
#define BZ_OFF_TYPE_OF_LOADER 0x210
#define BZ_OFF_LOADFLAGS 0x211
#define BZ_OFF_RAMDISK_IMAGE 0x218
#define BZ_OFF_RAMDISK_SIZE 0x21c
#define BZ_OFF_CMD_LINE_PTR 0x228
#define BZ_OFF_INITRD_ADDR_MAX 0x22c
#define BZ_OFF_XLOADFLAGS 0x236
#define BZ_OFF_CMDLINE_SIZE 0x238
#define BZ_OFF_INIT_SIZE 0x260
#define BZ_OFF_E820_TABLE 0x2d0
#define BZ_HDR_MIN_END 0x264 /* through init_size */
#define BZ_HDR_MAX_END 0x290 /* the setup header ends before 0x290 */

#define BZ_MAGIC_HDRS 0x53726448u /* "HdrS" */
#define BZ_LOADED_HIGH 0x01
#define BZ_XLF_KERNEL_64 0x01
#define BZ_LOADER_UNDEFINED 0xff

int bzimage_parse(const uint8_t *img, size_t len, struct bzimage *bz)
{
	size_t setup_sects, setup_size;

	memset(bz, 0, sizeof(*bz));
	if (len < BZ_HDR_MIN_END)
		return BZ_ESHORT;
	if (le_get16(img + BZ_OFF_BOOT_FLAG) != 0xaa55 ||
	    le_get32(img + BZ_OFF_HEADER) != BZ_MAGIC_HDRS)
		return BZ_EMAGIC;
	bz->version = le_get16(img + BZ_OFF_VERSION);
	if (bz->version < 0x020c)
		return BZ_EVERSION;
	bz->loadflags = img[BZ_OFF_LOADFLAGS];
	bz->xloadflags = le_get16(img + BZ_OFF_XLOADFLAGS);
	if (!(bz->xloadflags & BZ_XLF_KERNEL_64) ||
	    !(bz->loadflags & BZ_LOADED_HIGH))
		return BZ_ENOT64;
	bz->initrd_addr_max = le_get32(img + BZ_OFF_INITRD_ADDR_MAX);
	bz->cmdline_size = le_get32(img + BZ_OFF_CMDLINE_SIZE);
	bz->init_size = le_get32(img + BZ_OFF_INIT_SIZE);
	/* The byte at 0x201 is the jump's offset: the header ends there. */
	bz->hdr_end = BZ_OFF_HEADER + (size_t)img[BZ_OFF_JUMP + 1];
	if (bz->hdr_end < BZ_HDR_MIN_END || bz->hdr_end > BZ_HDR_MAX_END)
		return BZ_ELAYOUT;
	setup_sects = img[BZ_OFF_SETUP_SECTS];
	if (!setup_sects)
		setup_sects = 4;
	setup_size = (setup_sects + 1) * 512;
	if (setup_size < bz->hdr_end || setup_size >= len)
		return BZ_ELAYOUT;
	bz->kernel_off = setup_size;
	bz->kernel_size = len - setup_size;
	return 0;
}

int bz_e820_build(struct bz_e820 *out, unsigned max, uint64_t mem, uint64_t gap)
{
	unsigned n = 0;

	if (max < 4 || mem <= LAYOUT_HIGH_MEM || gap <= LAYOUT_HIGH_MEM ||
	    gap > LAYOUT_4G)
		return BZ_ERANGE;
	out[n++] = (struct bz_e820){ 0, LAYOUT_LOW_RAM_END, BZ_E820_RAM };
	out[n++] = (struct bz_e820){ LAYOUT_LOW_RAM_END,
				     LAYOUT_HIGH_MEM - LAYOUT_LOW_RAM_END,
				     BZ_E820_RESERVED };
	out[n++] = (struct bz_e820){ LAYOUT_HIGH_MEM,
				     (mem < gap ? mem : gap) - LAYOUT_HIGH_MEM,
				     BZ_E820_RAM };
	if (mem > gap)
		out[n++] =
			(struct bz_e820){ LAYOUT_4G, mem - gap, BZ_E820_RAM };
	return (int)n;
}

int bz_initrd_place(const struct bzimage *bz, uint64_t low_ram_end,
		    uint64_t kernel_end, uint64_t size, uint64_t *gpa)
{
	uint64_t top = low_ram_end;

	if ((uint64_t)bz->initrd_addr_max + 1 < top)
		top = (uint64_t)bz->initrd_addr_max + 1;
	if (!size || size > top || top - size < kernel_end)
		return BZ_ERANGE;
	*gpa = (top - size) & ~0xfffULL;
	if (*gpa < kernel_end)
		return BZ_ERANGE;
	return 0;
}

int bz_zero_page(uint8_t zp[BZ_ZERO_PAGE_SIZE], const uint8_t *img,
		 const struct bzimage *bz, const struct bz_params *p)
{
	unsigned i;

	if (p->ne820 > BZ_E820_MAX || p->cmdline_len > bz->cmdline_size ||
	    p->cmdline_gpa + p->cmdline_len + 1 > 0xffffffffULL ||
	    p->initrd_gpa + p->initrd_size > 0xffffffffULL)
		return BZ_ERANGE;
	memset(zp, 0, BZ_ZERO_PAGE_SIZE);
	memcpy(zp + BZ_OFF_SETUP_SECTS, img + BZ_OFF_SETUP_SECTS,
	       bz->hdr_end - BZ_OFF_SETUP_SECTS);
	zp[BZ_OFF_TYPE_OF_LOADER] = BZ_LOADER_UNDEFINED;
	le_put32(zp + BZ_OFF_CMD_LINE_PTR, (uint32_t)p->cmdline_gpa);
	le_put32(zp + BZ_OFF_RAMDISK_IMAGE, (uint32_t)p->initrd_gpa);
	le_put32(zp + BZ_OFF_RAMDISK_SIZE, (uint32_t)p->initrd_size);
	zp[BZ_OFF_E820_ENTRIES] = (uint8_t)p->ne820;
	for (i = 0; i < p->ne820; i++) {
		uint8_t *e = zp + BZ_OFF_E820_TABLE + 20 * i;

		le_put64(e, p->e820[i].addr);
		le_put64(e + 8, p->e820[i].size);
		le_put32(e + 16, p->e820[i].type);
	}
	return 0;
}
