/*
 * bench.c: the benchmarks' shared helpers (see bench.h). The harness's
 * hooks (tests/harness/test.h) end the benchmark on any failure, so the
 * harness code the benchmarks reuse (agentc, rootfs, ociconf) fails them
 * loudly.
 */
#include "bench.h"
#include "../tests/harness/test.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

void test_fail_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench: %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	_exit(1);
}

static char bench_stall_msg[512];
static size_t bench_stall_len;

static void bench_stalled(int sig)
{
	(void)sig;
	if (write(2, bench_stall_msg, bench_stall_len) < 0) {
		/* nothing more to say */
	}
	_exit(BENCH_STALLED);
}

void bench_watch(unsigned s, const char *fmt, ...)
{
	va_list ap;
	int n;

	alarm(0);
	if (!s)
		return;
	va_start(ap, fmt);
	n = vsnprintf(bench_stall_msg, sizeof(bench_stall_msg) - 40, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(bench_stall_msg) - 41)
		n = (int)sizeof(bench_stall_msg) - 41;
	n += snprintf(bench_stall_msg + n, sizeof(bench_stall_msg) - (size_t)n,
		      ": no end in %u s: stalled\n", s);
	bench_stall_len = (size_t)n;
	signal(SIGALRM, bench_stalled);
	alarm(s);
}

void test_skip(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "bench: cannot run: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	_exit(1);
}

void test_diag(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "# ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A block of text (a guest console) to stderr, as is. */
void test_diag_block(const char *title, const char *buf, size_t len)
{
	fprintf(stderr, "# ---- %s (%zu bytes) ----\n", title, len);
	fwrite(buf, 1, len, stderr);
	fprintf(stderr, "\n# ---- end of %s ----\n", title);
}

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

struct bench_fig bench_summary(double *v, int n)
{
	struct bench_fig f = { 0, 0, 0, n, n > 0 };

	if (!n)
		return f;
	qsort(v, (size_t)n, sizeof(*v), bench_cmp);
	f.med = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	f.min = v[0];
	f.max = v[n - 1];
	return f;
}
