/*
 * bench.h: what the benchmarks share: the tests' failure hooks bound to
 * "print and exit 1" (a benchmark that fails prints no figure), a
 * watchdog for guests that stall (exit 3), a monotonic clock, and median /
 * min / max of a sample.
 */
#ifndef MOAT_BENCH_H
#define MOAT_BENCH_H

#include <stdbool.h>

struct bench_fig {
	double med, min, max;
	int n;
	bool have;
};

/* Exit status of a benchmark whose guest stalled: bench/run and bench/whole
 * run its test host again on it, unlike on a failure (status 1). */
#define BENCH_STALLED 3

/*
 * Arm the watchdog: unless bench_watch is called again first, in seconds s
 * the benchmark prints "<what>: no end in S s: stalled" (formatted now, so
 * the alarm's handler only writes it) and exits BENCH_STALLED. A nested
 * guest that stops can leave any wait of a benchmark without an end
 * (docs/design.md, level 4). s 0 disarms it.
 */
void bench_watch(unsigned s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Seconds on CLOCK_MONOTONIC. */
double bench_now(void);

/* Sorts v in place; have is false when n is 0. */
struct bench_fig bench_summary(double *v, int n);

#endif
