/*
 * cleanup.h: scope-bound cleanup helpers (GCC/Clang cleanup attribute).
 * A variable declared with one of these is released when it leaves scope;
 * use moat_steal_ptr()/moat_steal_fd() to hand ownership on.
 */
#ifndef MOAT_COMMON_CLEANUP_H
#define MOAT_COMMON_CLEANUP_H

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static inline void moat_freep(void *p)
{
	free(*(void **)p);
}

static inline void moat_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

#define _cleanup_free_ __attribute__((cleanup(moat_freep)))
#define _cleanup_close_ __attribute__((cleanup(moat_closep)))

static inline void *moat_steal_ptr(void *pp)
{
	void **p = pp, *v = *p;
	*p = NULL;
	return v;
}

static inline int moat_steal_fd(int *fd)
{
	int v = *fd;
	*fd = -1;
	return v;
}

#endif
