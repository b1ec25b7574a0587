/*
 * bzimage.h: parse the setup header of a Linux bzImage and build the zero
 * page (struct boot_params) and e820 map for the 64-bit boot protocol.
 * Pure: no syscalls, no globals. Inputs: the kernel image file (supplied by
 * the runtime's configuration, but parsed as untrusted bytes all the same)
 * and our own layout. Spec: Documentation/arch/x86/boot.rst (protocol
 * 2.12+), Documentation/arch/x86/zero-page.rst.
 */
#ifndef MOAT_VMM_BZIMAGE_H
#define MOAT_VMM_BZIMAGE_H

#include <stddef.h>
#include <stdint.h>

#define BZ_ESHORT (-1)	 /* the file is too short for its header */
#define BZ_EMAGIC (-2)	 /* no boot flag or "HdrS" */
#define BZ_EVERSION (-3) /* boot protocol older than 2.12 */
#define BZ_ENOT64 (-4)	 /* no 64-bit entry point (XLF_KERNEL_64) */
#define BZ_ELAYOUT (-5)	 /* setup/kernel sizes do not fit the file */
#define BZ_ERANGE (-6)	 /* something does not fit the guest's memory */

#define BZ_ZERO_PAGE_SIZE 4096
#define BZ_E820_MAX 128
#define BZ_E820_RAM 1
#define BZ_E820_RESERVED 2

struct bzimage {
	uint16_t version;
	uint8_t loadflags;
	uint16_t xloadflags;
	uint32_t initrd_addr_max;
	uint32_t cmdline_size; /* max command line length, without NUL */
	uint32_t init_size; /* memory the kernel needs from its load address */
	size_t hdr_end;	    /* end of the setup header in the file */
	size_t kernel_off;  /* protected-mode code: offset in the file */
	size_t kernel_size; /* and its size */
};

struct bz_e820 {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

int bzimage_parse(const uint8_t *img, size_t len, struct bzimage *bz);

/* The e820 map of a guest with mem bytes of RAM around [gap, 4 GiB).
 * Returns the number of entries written (at most max), or BZ_ERANGE. */
int bz_e820_build(struct bz_e820 *out, unsigned max, uint64_t mem,
		  uint64_t gap);

/*
 * Where the initrd goes: page-aligned, as high as possible below
 * min(low_ram_end, initrd_addr_max + 1), and above kernel_end. Returns 0
 * and sets *gpa, or BZ_ERANGE.
 */
int bz_initrd_place(const struct bzimage *bz, uint64_t low_ram_end,
		    uint64_t kernel_end, uint64_t size, uint64_t *gpa);

struct bz_params {
	uint64_t cmdline_gpa;
	uint32_t cmdline_len; /* without NUL; must be <= bz->cmdline_size */
	uint64_t initrd_gpa;  /* 0 with initrd_size 0: no initrd */
	uint64_t initrd_size;
	const struct bz_e820 *e820;
	unsigned ne820;
};

/* Fill the 4 KiB zero page from the image's setup header and p. */
int bz_zero_page(uint8_t zp[BZ_ZERO_PAGE_SIZE], const uint8_t *img,
		 const struct bzimage *bz, const struct bz_params *p);

#endif
