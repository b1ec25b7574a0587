/*
 * test_agent_flow.c: level 2 (root). Streams and flow control through
 * moat-agent in host mode: 1 GiB through a process's stdout with the
 * reader paused and resumed (every byte in order, memory bounded), and
 * control requests answered promptly while another process floods its
 * stdout.
 */
#include "../harness/agentc.h"
#include "../harness/ociconf.h"
#include "../harness/rootfs.h"
#include "../harness/test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FLOW_LINE "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWX"
#define FLOW_TOTAL (1ULL << 30)

struct flow_check {
	uint64_t pos;
	const char *line; /* FLOW_LINE "\n" */
	size_t len;
	bool bad;
};

static void flow_on_data(void *arg, const uint8_t *p, size_t n)
{
	struct flow_check *fc = arg;
	size_t i;

	for (i = 0; i < n && !fc->bad; i++)
		if (p[i] != (uint8_t)fc->line[(fc->pos + i) % fc->len]) {
			test_diag("byte %llu differs",
				  (unsigned long long)(fc->pos + i));
			fc->bad = true;
		}
	fc->pos += n;
}

static double flow_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long flow_rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

TEST_TIMEOUT(agent_flow_1gib_paused_and_resumed, 300)
{
	static const char *const args[] = {
		"sh", "-c", "yes " FLOW_LINE " | head -c 1073741824", NULL
	};
	struct flow_check fc = { 0, FLOW_LINE "\n", sizeof(FLOW_LINE), false };
	struct agentc_stream *s;
	char dir[256], *cfg;
	struct agentc c;
	uint32_t proc, code = 1, signo = 1;
	uint64_t at_pause;
	long rss, max_rss = 0;
	double t0, t;
	int status;

	if (geteuid() != 0)
		test_skip("needs root");
	rootfs_make(dir, sizeof(dir));
	agentc_start(&c, dir);
	s = agentc_out(&c, 2, 1U << 20);
	s->on_data = flow_on_data;
	s->arg = &fc;
	cfg = ociconf_dump(ociconf_base(args));
	ASSERT_EQ(agentc_create(&c, "flow", ROOTFS_TAG, cfg, NULL, 0, 0, 2, 0,
				0, &proc, NULL),
		  0);
	free(cfg);
	ASSERT_EQ(agentc_simple(&c, MSG_OP_START), 0);
	t0 = flow_now();
	while (s->total < 100ULL << 20 && !s->eof)
		ASSERT(agentc_pump(&c, 1000));
	/* Pause: no more credit. At most what was granted may still come. */
	agentc_pause(&c, 2, true);
	at_pause = s->total + s->outstanding;
	t = flow_now();
	while (flow_now() - t < 1.0)
		agentc_pump(&c, 100);
	ASSERT(s->total <= at_pause);
	ASSERT_EQ(s->outstanding, at_pause - s->total);
	/* Requests are still answered while the stream is stalled. */
	ASSERT_EQ(agentc_simple(&c, MSG_OP_PS), 0);
	agentc_pause(&c, 2, false);
	while (!s->eof && !fc.bad) {
		ASSERT(agentc_pump(&c, 1000));
		if ((s->total >> 20) % 128 == 0) {
			rss = flow_rss_kb(c.pid);
			if (rss > max_rss)
				max_rss = rss;
		}
	}
	t = flow_now() - t0;
	ASSERT(!fc.bad);
	ASSERT_EQ(s->total, FLOW_TOTAL);
	ASSERT_EQ(agentc_wait(&c, proc, &code, &signo), 0);
	ASSERT_EQ(code, 0);
	test_diag("1 GiB in %.2f s (%.0f MB/s, 1 s paused), agent RSS max %ld "
		  "kB",
		  t, (double)FLOW_TOTAL / 1e6 / t, max_rss);
	ASSERT(max_rss < 32 * 1024);
	status = agentc_stop(&c);
	rootfs_remove(dir);
	ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void flow_discard(void *arg, const uint8_t *p, size_t n)
{
}

TEST_TIMEOUT(agent_flow_flood_does_not_delay_control, 120)
{
	static const char *const args[] = { "sleep", "1000", NULL };
	static const char *const yes[] = { "yes", FLOW_LINE, NULL };
	static const char *const tru[] = { "true", NULL };
	struct agentc_stream *flood, *stalled;
	char dir[256], *cfg;
	struct agentc c;
	uint32_t p, code, signo, f1, f2;
	double t, worst = 0;
	int i, status;

	if (geteuid() != 0)
		test_skip("needs root");
	rootfs_make(dir, sizeof(dir));
	agentc_start(&c, dir);
	cfg = ociconf_dump(ociconf_base(args));
	ASSERT_EQ(agentc_create(&c, "flood", ROOTFS_TAG, cfg, NULL, 0, 0, 0, 0,
				0, NULL, NULL),
		  0);
	free(cfg);
	ASSERT_EQ(agentc_simple(&c, MSG_OP_START), 0);
	/* One flood that the host reads as fast as it can, one it never
	 * reads after the first window. */
	flood = agentc_out(&c, 2, 4U << 20);
	flood->on_data = flow_discard;
	ASSERT_EQ(agentc_exec(&c, yes, 0, 2, 0, 0, &f1, NULL), 0);
	stalled = agentc_out(&c, 3, 65536);
	stalled->on_data = flow_discard;
	/* No credit while EXEC's reply is awaited (data pumped with it
	 * would be granted again), then one window and never more. */
	stalled->paused = true;
	ASSERT_EQ(agentc_exec(&c, yes, 0, 3, 0, 0, &f2, NULL), 0);
	agentc_pause(&c, 3, false);
	stalled->paused = true;
	while (flood->total < 64ULL << 20)
		ASSERT(agentc_pump(&c, 1000));
	for (i = 0; i < 30; i++) {
		t = flow_now();
		ASSERT_EQ(agentc_exec(&c, tru, 0, 0, 0, 0, &p, NULL), 0);
		ASSERT_EQ(agentc_wait(&c, p, &code, &signo), 0);
		ASSERT_EQ(code, 0);
		ASSERT_EQ(agentc_simple(&c, MSG_OP_PS), 0);
		t = flow_now() - t;
		if (t > worst)
			worst = t;
	}
	test_diag("exec+wait+ps under a flood: worst %.1f ms, %llu MiB "
		  "flooded",
		  worst * 1e3, (unsigned long long)(flood->total >> 20));
	ASSERT(worst < 1.0);
	ASSERT(stalled->total <= 65536);
	ASSERT_EQ(agentc_signal(&c, f1, 9), 0);
	ASSERT_EQ(agentc_signal(&c, f2, 9), 0);
	ASSERT_EQ(agentc_wait(&c, f2, &code, &signo), 0);
	ASSERT_EQ(signo, 9);
	status = agentc_stop(&c);
	rootfs_remove(dir);
	ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
