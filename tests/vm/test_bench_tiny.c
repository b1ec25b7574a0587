/*
 * test_bench_tiny.c: level 3. The whole-system benchmark (bench/whole,
 * bench/suite.c, bench/report) run once in a tiny configuration, so that
 * `make bench` cannot rot: crun and moat on the QEMU backend (TCG), one
 * run of each workload, a 4 MiB stdout stream, a 16 MiB file, 200 small
 * files, concurrency 1 and 2, a density cap of 2; the nested-KVM part is left
 * out (it is `make bench`'s, and takes the test host's boot). Checked: the
 * suite exits 0, the CSV has every workload for both runtimes (a header
 * and 2 x 19 rows, each a number), the table gives moat's ratios to crun,
 * and each workload has an SVG chart.
 */
#include "../harness/engine.h"
#include "../harness/test.h"
#include "../harness/vmrun.h"

#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TINY_WORKLOADS 19 /* rows per runtime, bench/suite.c */

TEST_TIMEOUT(bench_tiny_run_reports_every_workload_for_both_runtimes, 1800)
{
	static struct engine_run r;
	char exe[PATH_MAX], o[PATH_MAX], res[] = "/tmp/moat-bench-XXXXXX";
	char path[PATH_MAX + 64], line[512], work[64];
	char cmd[4 * PATH_MAX];
	int rows = 0, svgs = 0, moat = 0, st;
	ssize_t n;
	FILE *f;

	if (!vmrun_env_path("MOAT_CLI") || !vmrun_env_path("MOAT_SHIM") ||
	    !vmrun_env_path("MOAT_KERNEL") || !vmrun_env_path("MOAT_INITRAMFS"))
		FAIL("MOAT_CLI, MOAT_SHIM, MOAT_KERNEL or MOAT_INITRAMFS does "
		     "not name a file (run through make check)");
	if (access("/usr/bin/gnuplot", X_OK))
		FAIL("gnuplot is not installed (tools/deps installs it)");
	/* OUTDIR is three levels up from OUTDIR/tests/vm/test_bench_tiny */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT(n > 0);
	exe[n] = '\0';
	snprintf(o, sizeof(o), "%s", dirname(dirname(dirname(exe))));
	ASSERT(mkdtemp(res));
	/* longer than engine_sh()'s timeout: system(), under the test's */
	snprintf(cmd, sizeof(cmd),
		 "BENCH_RESULTS=%s %s/bench/whole %s 1 4 16 200 1,2 2 none 0 "
		 ">%s/log 2>&1",
		 res, MOAT_SRCDIR, o, res);
	st = system(cmd);
	engine_sh(&r, "cat %s/log", res);
	test_diag_block("bench/whole", r.out, strlen(r.out));
	if (st != 0)
		FAIL("bench/whole: status 0x%x", st);
	ENGINE_EXPECT_OUT(&r, "moat-qemu");

	snprintf(path, sizeof(path), "%s/bench.csv", res);
	f = fopen(path, "r");
	ASSERT(f);
	ASSERT(fgets(line, sizeof(line), f));
	ASSERT_STREQ(line, "env,runtime,workload,unit,median,min,max,n\n");
	while (fgets(line, sizeof(line), f)) {
		char env[16], rt[16], unit[16];
		double med, lo, hi;
		int cnt;

		if (sscanf(line,
			   "%15[^,],%15[^,],%63[^,],%15[^,],%lf,%lf,%lf,%d",
			   env, rt, work, unit, &med, &lo, &hi, &cnt) != 8)
			FAIL("bad CSV row: %s", line);
		if (strcmp(env, "host") || cnt != 1 || !(lo <= med) ||
		    !(med <= hi) || med < 0)
			FAIL("implausible row: %s", line);
		if (!strcmp(rt, "moat-qemu"))
			moat++;
		rows++;
		snprintf(path, sizeof(path), "%s/%s.svg", res, work);
		if (access(path, R_OK))
			FAIL("no chart %s", path);
	}
	fclose(f);
	ASSERT_EQ(rows, 2 * TINY_WORKLOADS);
	ASSERT_EQ(moat, TINY_WORKLOADS);
	engine_sh(&r, "ls %s/*.svg | wc -l; grep -l '<svg' %s/*.svg | wc -l",
		  res, res);
	ASSERT(sscanf(r.out, "%d %d", &svgs, &rows) == 2);
	ASSERT_EQ(svgs, TINY_WORKLOADS);
	ASSERT_EQ(rows, TINY_WORKLOADS);
	/* the table: moat's start latency as a ratio to crun's */
	engine_sh(&r, "grep -E '^host +start +ms .* x[0-9]' %s/table.txt", res);
	ENGINE_EXPECT(&r, 0);
	engine_sh(&r, "rm -rf %s", res);
}
