/*
 * now.h: CLOCK_MONOTONIC in milliseconds, the clock every deadline and
 * rate limit of moat's processes counts in (the agent, the shim, the
 * sandbox's waits, the log's limits, the hooks' timeouts).
 */
#ifndef MOAT_COMMON_NOW_H
#define MOAT_COMMON_NOW_H

#include <time.h>

static inline long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

#endif
