/*
 * agent.c: moat-agent benchmark, host mode, beside crun doing the same
 * work. Two figures:
 *
 *  - exec round trip: EXEC of `true` in a running container to its EXIT
 *    event (the agent over its socketpair channel), against `crun exec
 *    ID true` run to its exit (fork, exec of crun, the exec into the
 *    container, the wait);
 *  - stdout throughput: 1 GiB from `dd if=/dev/zero bs=1M` in the
 *    container through the protocol to a reader on the host (the tests'
 *    client, tests/harness/agentc.c, granting a 4 MiB window), against
 *    the same dd under `crun exec` writing into a pipe the host reads.
 *    Timed from the request (or the fork of crun) to EOF.
 *
 * Usage: agent [RUNS]   as root, MOAT_AGENT naming the agent; crun from
 * PATH (its figures are left out, said so, when it is missing). Prints a
 * table of medians, min and max over RUNS runs (exec: over every exec).
 * Any failure fails the benchmark: no partial figure is printed.
 *
 * Inputs: the agent's frames (checked by the codec through agentc) and
 * crun's exit statuses.
 */
#include "bench.h"
#include "../tests/harness/agentc.h"
#include "../tests/harness/ociconf.h"
#include "../tests/harness/rootfs.h"
#include "../tests/harness/test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BENCH_EXECS 50		 /* exec samples per run */
#define BENCH_BYTES (1ULL << 30) /* per throughput run */
#define BENCH_DD "dd if=/dev/zero bs=1048576 count=1024 2>/dev/null"

/* --- moat-agent ----------------------------------------------------------- */

struct bench_count {
	uint64_t bytes;
	bool bad;
};

static void bench_on_data(void *arg, const uint8_t *p, size_t n)
{
	struct bench_count *bc = arg;

	/* dd of /dev/zero: every byte is 0; look at one per 4 KiB */
	for (size_t i = 0; i < n; i += 4096)
		if (p[i])
			bc->bad = true;
	bc->bytes += n;
}

static void bench_agent(char *dir, int runs, double *exec_ms, double *mbps)
{
	static const char *const init[] = { "sleep", "1000000", NULL };
	static const char *const tru[] = { "true", NULL };
	static const char *const dd[] = { "sh", "-c", "exec " BENCH_DD, NULL };
	const struct msg_exit *x;
	struct agentc c;
	uint32_t proc;
	char *cfg;
	double t;
	int i, k = 0;

	agentc_start(&c, dir);
	cfg = ociconf_dump(ociconf_base(init));
	if (agentc_create(&c, "bench", ROOTFS_TAG, cfg, NULL, 0, 0, 0, 0, 0,
			  NULL, NULL) ||
	    agentc_simple(&c, MSG_OP_START))
		FAIL("create: %s", c.error);
	free(cfg);
	for (i = 0; i < 10 + runs * BENCH_EXECS; i++) {
		/* EXEC to the EXIT event: agentc_exec() waits for the reply,
		 * then the event (which may have come with it). */
		c.nexits = 0;
		t = bench_now();
		if (agentc_exec(&c, tru, 0, 0, 0, 0, &proc, NULL))
			FAIL("exec: %s", c.error);
		x = agentc_wait_exit_event(&c, proc);
		if (!x || x->code || x->signo)
			FAIL("exec of true did not exit 0");
		if (i >= 10) /* the first ten warm up */
			exec_ms[k++] = (bench_now() - t) * 1e3;
	}
	for (i = 0; i < runs; i++) {
		struct bench_count bc = { 0, false };
		struct agentc_stream *s;
		uint32_t id = 100 + (uint32_t)i;

		s = agentc_out(&c, id, WIRE_WINDOW_MAX);
		s->on_data = bench_on_data;
		s->arg = &bc;
		t = bench_now();
		if (agentc_exec(&c, dd, 0, id, 0, 0, &proc, NULL))
			FAIL("exec dd: %s", c.error);
		agentc_wait_eof(&c, id);
		t = bench_now() - t;
		if (bc.bytes != BENCH_BYTES || bc.bad)
			FAIL("agent: %llu bytes, not 1 GiB of zeros",
			     (unsigned long long)bc.bytes);
		mbps[i] = (double)bc.bytes / 1e6 / t;
		s->used = false; /* the slot is free again */
	}
	if (WEXITSTATUS(agentc_stop(&c)) != 0)
		FAIL("the agent did not shut down cleanly");
}

/* --- crun ----------------------------------------------------------------- */

/* Run crun with argv (after "crun --root ROOT"), stdout to out (-1:
 * /dev/null); returns its pid. */
static pid_t bench_crun_spawn(const char *root, const char *const *argv,
			      int out)
{
	const char *v[16] = { "crun", "--root", root };
	int n = 3, null;
	pid_t pid;

	while (*argv && n < 15)
		v[n++] = *argv++;
	v[n] = NULL;
	pid = fork();
	if (pid < 0)
		FAIL("fork: %s", strerror(errno));
	if (pid == 0) {
		null = open("/dev/null", O_RDWR);
		dup2(null, 0);
		dup2(out >= 0 ? out : null, 1);
		if (!getenv("BENCH_VERBOSE"))
			dup2(null, 2);
		execvp("crun", (char *const *)v);
		_exit(127);
	}
	return pid;
}

static void bench_crun_run(const char *root, const char *const *argv)
{
	int st;
	pid_t pid = bench_crun_spawn(root, argv, -1);

	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
		FAIL("crun %s %s failed (status %d; BENCH_VERBOSE=1 shows "
		     "its errors)",
		     argv[0], argv[1] ? argv[1] : "", st);
}

static void bench_crun(char *dir, int runs, double *exec_ms, double *mbps)
{
	static const char *const init[] = { "sleep", "1000000", NULL };
	char root[512], bundle[512], path[600], id[64], *cfg;
	static char buf[1 << 17];
	uint64_t total;
	ssize_t r;
	FILE *f;
	double t;
	int i, k = 0, p[2], st;
	pid_t pid;

	snprintf(root, sizeof(root), "%s/crun-state", dir);
	snprintf(bundle, sizeof(bundle), "%s/%s", dir, ROOTFS_TAG);
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	snprintf(id, sizeof(id), "moat-bench-%d", (int)getpid());
	mkdir(root, 0700);
	cfg = ociconf_dump(ociconf_base(init));
	f = fopen(path, "w");
	if (!f || fputs(cfg, f) < 0 || fclose(f))
		FAIL("write %s", path);
	free(cfg);
	bench_crun_run(root, (const char *const[]){ "run", "-d", "--bundle",
						    bundle, id, NULL });
	for (i = 0; i < 10 + runs * BENCH_EXECS; i++) {
		t = bench_now();
		bench_crun_run(root, (const char *const[]){ "exec", id, "true",
							    NULL });
		if (i >= 10)
			exec_ms[k++] = (bench_now() - t) * 1e3;
	}
	for (i = 0; i < runs; i++) {
		if (pipe(p) < 0)
			FAIL("pipe");
		t = bench_now();
		pid = bench_crun_spawn(root,
				       (const char *const[]){ "exec", id, "sh",
							      "-c", BENCH_DD,
							      NULL },
				       p[1]);
		close(p[1]);
		total = 0;
		while ((r = read(p[0], buf, sizeof(buf))) > 0)
			total += (uint64_t)r;
		t = bench_now() - t;
		close(p[0]);
		if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st) || total != BENCH_BYTES)
			FAIL("crun exec dd: %llu bytes, status %d",
			     (unsigned long long)total, st);
		mbps[i] = (double)total / 1e6 / t;
	}
	bench_crun_run(root, (const char *const[]){ "kill", id, "KILL", NULL });
	for (i = 0; i < 100; i++) {
		pid = bench_crun_spawn(
			root, (const char *const[]){ "delete", id, NULL }, -1);
		if (waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
		    !WEXITSTATUS(st))
			break;
		usleep(20000);
	}
}

static bool bench_have_crun(void)
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		dup2(null, 2);
		execlp("crun", "crun", "--version", (char *)NULL);
		_exit(127);
	}
	return pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	       WEXITSTATUS(st) == 0;
}

static void bench_row(const char *what, const char *unit, struct bench_fig a,
		      struct bench_fig b, int prec)
{
	char cb[64];

	if (b.have)
		snprintf(cb, sizeof(cb), "%9.*f %9.*f %9.*f", prec, b.med, prec,
			 b.min, prec, b.max);
	else
		snprintf(cb, sizeof(cb), "%29s", "(crun missing)");
	printf("%-22s %-5s | %9.*f %9.*f %9.*f | %s | n=%d\n", what, unit, prec,
	       a.med, prec, a.min, prec, a.max, cb, a.n);
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 5;
	double *ae, *ce, *at, *ct;
	struct bench_fig fae, fce, fat, fct;
	bool crun;
	char dir[256];

	if (runs < 1 || runs > 100) {
		fprintf(stderr, "usage: agent [RUNS]\n");
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "bench agent: needs root\n");
		return 1;
	}
	ae = calloc((size_t)runs * BENCH_EXECS, sizeof(*ae));
	ce = calloc((size_t)runs * BENCH_EXECS, sizeof(*ce));
	at = calloc((size_t)runs, sizeof(*at));
	ct = calloc((size_t)runs, sizeof(*ct));
	if (!ae || !ce || !at || !ct)
		return 1;
	rootfs_make(dir, sizeof(dir));
	bench_agent(dir, runs, ae, at);
	crun = bench_have_crun();
	if (crun)
		bench_crun(dir, runs, ce, ct);
	rootfs_remove(dir);
	fae = bench_summary(ae, runs * BENCH_EXECS);
	fat = bench_summary(at, runs);
	fce = bench_summary(ce, crun ? runs * BENCH_EXECS : 0);
	fct = bench_summary(ct, crun ? runs : 0);
	printf("moat-agent (host mode, socketpair) beside crun; %d runs\n",
	       runs);
	printf("%-28s | %-29s | %-29s |\n", "", "moat-agent", "crun");
	printf("%-28s | %9s %9s %9s | %9s %9s %9s |\n", "", "median", "min",
	       "max", "median", "min", "max");
	bench_row("exec round trip", "ms", fae, fce, 2);
	bench_row("stdout, 1 GiB", "MB/s", fat, fct, 0);
	printf("targets: exec round trip < 5 ms: %s; stdout >= 500 MB/s: %s\n",
	       fae.med < 5.0 ? "met" : "NOT met",
	       fat.med >= 500.0 ? "met" : "NOT met");
	return 0;
}
