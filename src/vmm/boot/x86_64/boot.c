/*
 * boot.c: loading the guest (see boot.h). Every write into guest memory
 * goes through gmem_write/gmem_ptr, so a kernel, initrd or command line
 * too large for the guest fails with an error instead of overrunning.
 */
#include "boot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../../common/cleanup.h"
#include "bzimage.h"
#include "../../arch/x86_64/layout.h"
#include "mptable.h"

#define BOOT_KERNEL_MAX (256ULL << 20)
#define BOOT_64BIT_ENTRY_OFFSET 0x200

/* Read exactly len bytes at fd's current offset into dst. */
static int boot_read_all(int fd, uint8_t *dst, uint64_t len)
{
	while (len) {
		ssize_t r = read(fd, dst, len > (1 << 30) ? (1 << 30) : len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		dst += r;
		len -= (uint64_t)r;
	}
	return 0;
}

static int boot_open(const char *path, uint64_t *size, struct moat_err **e)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return moat_err_set(e, errno, "open %s", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return moat_err_set(e, EINVAL, "%s: not a regular file", path);
	}
	*size = (uint64_t)st.st_size;
	return fd;
}

static int boot_page_tables(const struct gmem *m)
{
	uint64_t pml4 = LAYOUT_PDPT | 0x3; /* present, writable */
	uint64_t pdpt[LAYOUT_PD_COUNT], pd;
	unsigned i;

	if (gmem_write(m, LAYOUT_PML4, &pml4, sizeof(pml4)) < 0)
		return -1;
	for (i = 0; i < LAYOUT_PD_COUNT; i++)
		pdpt[i] = (LAYOUT_PD + i * 0x1000ULL) | 0x3;
	if (gmem_write(m, LAYOUT_PDPT, pdpt, sizeof(pdpt)) < 0)
		return -1;
	for (i = 0; i < 512 * LAYOUT_PD_COUNT; i++) {
		pd = ((uint64_t)i << 21) | 0x83; /* present, writable, 2M */
		if (gmem_write(m, LAYOUT_PD + i * 8ULL, &pd, sizeof(pd)) < 0)
			return -1;
	}
	return 0;
}

static int boot_gdt(const struct gmem *m)
{
	static const uint64_t gdt[4] = {
		0,		       /* null */
		0x00af9b000000ffffULL, /* 0x08: code, 64-bit */
		0x00cf93000000ffffULL, /* 0x10: data */
		0x008f8b000000ffffULL, /* 0x18: TSS */
	};
	uint64_t idt = 0;

	if (gmem_write(m, LAYOUT_GDT, gdt, sizeof(gdt)) < 0 ||
	    gmem_write(m, LAYOUT_IDT, &idt, sizeof(idt)) < 0)
		return -1;
	return 0;
}

static int boot_initrd(const struct gmem *m, const struct boot_config *c,
		       const struct bzimage *bz, uint64_t kernel_end,
		       struct bz_params *p, struct moat_err **e)
{
	uint64_t size, low_end = m->region[0].size;
	_cleanup_close_ int fd = -1;
	uint8_t *dst;

	fd = boot_open(c->initrd, &size, e);
	if (fd < 0)
		return -1;
	if (bz_initrd_place(bz, low_end, kernel_end, size, &p->initrd_gpa) < 0)
		return moat_err_set(e, 0,
				    "initrd %s (%llu bytes) does not fit in "
				    "guest memory",
				    c->initrd, (unsigned long long)size);
	dst = gmem_ptr(m, p->initrd_gpa, size);
	if (!dst || boot_read_all(fd, dst, size) < 0)
		return moat_err_set(e, errno, "read %s", c->initrd);
	p->initrd_size = size;
	return 0;
}

int boot_load(const struct gmem *m, const struct boot_config *c,
	      uint64_t *entry, struct moat_err **e)
{
	struct bz_e820 e820[BZ_E820_MAX];
	uint8_t zp[BZ_ZERO_PAGE_SIZE];
	_cleanup_free_ uint8_t *img = NULL;
	_cleanup_close_ int fd = -1;
	struct bz_params p = { 0 };
	struct bzimage bz;
	uint64_t size, kernel_end;
	size_t clen = strlen(c->cmdline);
	uint8_t *mp;
	int r, n;

	fd = boot_open(c->kernel, &size, e);
	if (fd < 0)
		return -1;
	if (size > BOOT_KERNEL_MAX)
		return moat_err_set(e, 0, "%s: %llu bytes is too large",
				    c->kernel, (unsigned long long)size);
	img = malloc(size ? size : 1);
	if (!img)
		return moat_err_set(e, ENOMEM, "%s", c->kernel);
	if (boot_read_all(fd, img, size) < 0)
		return moat_err_set(e, errno, "read %s", c->kernel);
	r = bzimage_parse(img, size, &bz);
	if (r < 0)
		return moat_err_set(e, 0, "%s: not a 64-bit bzImage (error %d)",
				    c->kernel, r);
	kernel_end =
		LAYOUT_HIGH_MEM +
		(bz.init_size > bz.kernel_size ? bz.init_size : bz.kernel_size);
	if (gmem_write(m, LAYOUT_HIGH_MEM, img + bz.kernel_off,
		       bz.kernel_size) < 0 ||
	    !gmem_ptr(m, LAYOUT_HIGH_MEM, kernel_end - LAYOUT_HIGH_MEM))
		return moat_err_set(e, 0,
				    "%s: the kernel does not fit in "
				    "guest memory",
				    c->kernel);
	if (c->initrd && boot_initrd(m, c, &bz, kernel_end, &p, e) < 0)
		return -1;
	if (clen > bz.cmdline_size || clen >= LAYOUT_CMDLINE_MAX)
		return moat_err_set(e, 0,
				    "kernel command line: %zu bytes, the "
				    "kernel takes at most %u",
				    clen, bz.cmdline_size);
	if (gmem_write(m, LAYOUT_CMDLINE, c->cmdline, clen + 1) < 0)
		return moat_err_set(e, 0, "kernel command line does not fit");
	n = bz_e820_build(e820, BZ_E820_MAX, m->size, LAYOUT_MMIO_GAP);
	if (n < 0)
		return moat_err_set(e, 0, "guest memory too small for e820");
	p.cmdline_gpa = LAYOUT_CMDLINE;
	p.cmdline_len = (uint32_t)clen;
	p.e820 = e820;
	p.ne820 = (unsigned)n;
	if (bz_zero_page(zp, img, &bz, &p) < 0 ||
	    gmem_write(m, LAYOUT_ZERO_PAGE, zp, sizeof(zp)) < 0)
		return moat_err_set(e, 0, "cannot build the zero page");
	if (boot_page_tables(m) < 0 || boot_gdt(m) < 0)
		return moat_err_set(e, 0,
				    "guest memory too small for the "
				    "boot page tables");
	mp = gmem_ptr(m, LAYOUT_EBDA, LAYOUT_EBDA_SIZE);
	if (!mp || mptable_build(mp, LAYOUT_EBDA_SIZE, (uint32_t)LAYOUT_EBDA,
				 c->ncpus, LAYOUT_IRQ_MAX) < 0)
		return moat_err_set(e, 0,
				    "cannot build the MP table for %u "
				    "vCPUs",
				    c->ncpus);
	*entry = LAYOUT_HIGH_MEM + BOOT_64BIT_ENTRY_OFFSET;
	return 0;
}
