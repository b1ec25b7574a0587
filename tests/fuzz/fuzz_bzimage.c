/*
 * fuzz_bzimage.c: libFuzzer target for the bzImage setup-header parser and
 * the zero-page builder: any file either fails to parse or yields a layout
 * inside the file, and a zero page that carries exactly our parameters.
 */
#include "../../src/vmm/boot/x86_64/bzimage.h"
#include "../../src/vmm/arch/x86_64/layout.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t zp[BZ_ZERO_PAGE_SIZE];
	struct bz_e820 e[BZ_E820_MAX];
	struct bz_params p = { 0 };
	struct bzimage bz;
	uint64_t gpa;
	int n;

	if (bzimage_parse(data, size, &bz) != 0)
		return 0;
	if (bz.kernel_off + bz.kernel_size != size || bz.kernel_size == 0 ||
	    bz.hdr_end > bz.kernel_off || bz.hdr_end > 0x290)
		abort();
	n = bz_e820_build(e, BZ_E820_MAX, 256 << 20, LAYOUT_MMIO_GAP);
	if (n != 3)
		abort();
	p.cmdline_gpa = LAYOUT_CMDLINE;
	p.cmdline_len = bz.cmdline_size < 64 ? bz.cmdline_size : 64;
	p.e820 = e;
	p.ne820 = (unsigned)n;
	if (bz_initrd_place(&bz, 256 << 20, LAYOUT_HIGH_MEM + bz.init_size,
			    4096, &gpa) == 0) {
		if (gpa < LAYOUT_HIGH_MEM + bz.init_size ||
		    gpa + 4096 > (256 << 20) || (gpa & 0xfff))
			abort();
		p.initrd_gpa = gpa;
		p.initrd_size = 4096;
	}
	if (bz_zero_page(zp, data, &bz, &p) != 0)
		abort();
	if (zp[0x210] != 0xff || zp[0x1e8] != 3 ||
	    memcmp(zp + 0x202, "HdrS", 4) != 0)
		abort();
	return 0;
}
