/*
 * bench.h: what the benchmarks share: the tests' failure hooks bound to
 * "print and exit 1" (a benchmark that fails prints no figure), a
 * monotonic clock, and median / min / max of a sample.
 */
#ifndef MOAT_BENCH_H
#define MOAT_BENCH_H

#include <stdbool.h>

struct bench_fig {
	double med, min, max;
	int n;
	bool have;
};

/* Seconds on CLOCK_MONOTONIC. */
double bench_now(void);

/* Sorts v in place; have is false when n is 0. */
struct bench_fig bench_summary(double *v, int n);

#endif
