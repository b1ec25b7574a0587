/*
 * gmem.c: guest memory (see gmem.h). gmem_ptr and the copies are pure; only
 * gmem_map/gmem_unmap make syscalls.
 */
#include "gmem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "../arch/x86_64/layout.h"

/* 1 TiB: far above what a host gives one microVM, far below overflow. */
#define GMEM_SIZE_MAX (1ULL << 40)

int gmem_layout(struct gmem *m, uint8_t *host, uint64_t size, uint64_t gap)
{
	memset(m, 0, sizeof(*m));
	if (!size || size > GMEM_SIZE_MAX || !gap || gap > LAYOUT_4G)
		return -1;
	m->base = host;
	m->size = size;
	m->region[0].gpa = 0;
	m->region[0].size = size < gap ? size : gap;
	m->region[0].host = host;
	m->nregions = 1;
	if (size > gap) {
		m->region[1].gpa = LAYOUT_4G;
		m->region[1].size = size - gap;
		m->region[1].host = host + gap;
		m->nregions = 2;
	}
	return 0;
}

int gmem_map(struct gmem *m, uint64_t size, struct moat_err **e)
{
	void *p;

	if (size > GMEM_SIZE_MAX)
		return moat_err_set(e, 0,
				    "guest memory: %llu bytes is too much",
				    (unsigned long long)size);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return moat_err_set(e, errno, "guest memory: mmap %llu bytes",
				    (unsigned long long)size);
	/* Guest RAM never belongs in a core dump of the VMM. */
	madvise(p, size, MADV_DONTDUMP);
	if (gmem_layout(m, p, size, LAYOUT_MMIO_GAP) < 0) {
		munmap(p, size);
		return moat_err_set(e, 0, "guest memory: bad size %llu",
				    (unsigned long long)size);
	}
	return 0;
}

void gmem_unmap(struct gmem *m)
{
	if (m->base)
		munmap(m->base, m->size);
	memset(m, 0, sizeof(*m));
}

void *gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	unsigned i;

	if (!len)
		return NULL;
	for (i = 0; i < m->nregions; i++) {
		const struct gmem_region *r = &m->region[i];

		/* gpa - r->gpa cannot wrap once gpa >= r->gpa; the length
		 * is compared with what is left, so nothing overflows. */
		if (gpa >= r->gpa && gpa - r->gpa < r->size &&
		    len <= r->size - (gpa - r->gpa))
			return r->host + (gpa - r->gpa);
	}
	return NULL;
}

int gmem_read(const struct gmem *m, void *dst, uint64_t gpa, uint64_t len)
{
	const void *p = gmem_ptr(m, gpa, len);

	if (!p)
		return -1;
	memcpy(dst, p, len);
	return 0;
}

int gmem_write(const struct gmem *m, uint64_t gpa, const void *src,
	       uint64_t len)
{
	void *p = gmem_ptr(m, gpa, len);

	if (!p)
		return -1;
	memcpy(p, src, len);
	return 0;
}
