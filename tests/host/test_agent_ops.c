/*
 * test_agent_ops.c: level 2 (root). moat-agent's requests on a running
 * container, in host mode with --cgroup-root /sys/fs/cgroup (cgroup2, or
 * the v1 hierarchies of a "hybrid" host: src/agent/cgroup.c): PAUSE stops
 * a counting process and RESUME restarts it (also without a cgroup, by
 * SIGSTOP/SIGCONT), STATS reports plausible usage and the limits, UPDATE
 * changes the limits as seen in the cgroup files, and a container over
 * its memory limit yields an OOM event and its process's death by
 * SIGKILL, PS with ps(1)'s options answers the table. Bad requests get an
 * ERROR and the agent keeps serving.
 */
#include "../harness/agentc.h"
#include "../harness/ociconf.h"
#include "../harness/rootfs.h"
#include "../harness/test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define OPS_ROOT "/sys/fs/cgroup"
#define OPS_MIB (1024LL * 1024)

#define OPS_UNIFIED "/sys/fs/cgroup/unified" /* cgroup2 of a hybrid host */

/* true: cgroup2 at OPS_ROOT; false: v1 hierarchies under it. Skips the
 * test when neither has a memory controller. */
static bool ops_v2(void)
{
	struct statfs sf;
	char buf[512];
	int fd;
	ssize_t n;

	if (geteuid() != 0)
		test_skip("needs root");
	if (statfs(OPS_ROOT, &sf) == 0 && sf.f_type == 0x63677270) {
		fd = open(OPS_ROOT "/cgroup.controllers", O_RDONLY);
		n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		if (n <= 0 || (buf[n] = '\0', !strstr(buf, "memory")))
			test_skip("cgroup2 without the memory controller");
		return true;
	}
	if (statfs(OPS_ROOT "/memory", &sf) < 0 || sf.f_type != 0x27e0eb)
		test_skip("no cgroup memory controller at " OPS_ROOT);
	return false;
}

/* The text of a cgroup file of container id (ctl: the v1 hierarchy). */
static void ops_cgfile(bool v2, const char *ctl, const char *id,
		       const char *file, char *buf, size_t cap)
{
	char path[512];
	ssize_t n;
	int fd;

	if (v2)
		snprintf(path, sizeof(path), OPS_ROOT "/%s/%s", id, file);
	else
		snprintf(path, sizeof(path), OPS_ROOT "/%s/%s/%s", ctl, id,
			 file);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		FAIL("open %s: %s", path, strerror(errno));
	n = read(fd, buf, cap - 1);
	close(fd);
	ASSERT(n > 0);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

static void ops_discard(void *arg, const uint8_t *p, size_t n)
{
}

/* Start the agent (with cgroup root root, or none) and a container
 * running args with linux.resources from resources (JSON, or NULL); its
 * stdout is stream 2 (counted, discarded). */
static void ops_start(struct agentc *c, char *dir, size_t cap, const char *root,
		      const char *id, const char *const *args,
		      const char *resources, uint32_t *proc, uint32_t *pid)
{
	struct agentc_stream *s;
	json_t *conf;
	char *text;

	const char *const args_root[] = { "--cgroup-root", root, NULL };

	rootfs_make(dir, cap);
	agentc_spawn(c, dir, root ? args_root : NULL);
	agentc_handshake(c);
	s = agentc_out(c, 2, 1U << 20);
	s->on_data = ops_discard;
	conf = ociconf_base(args);
	if (resources)
		ociconf_set(conf, "linux.resources", ociconf_parse(resources));
	text = ociconf_dump(conf);
	ASSERT_EQ(agentc_create(c, id, ROOTFS_TAG, text, NULL, 0, 0, 2, 0, 0,
				proc, pid),
		  0);
	free(text);
	ASSERT_EQ(agentc_simple(c, MSG_OP_START), 0);
}

static void ops_finish(struct agentc *c, const char *dir)
{
	int status = agentc_stop(c);

	rootfs_remove(dir);
	ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* A process printing a count as fast as it can: PAUSE must stop its
 * output, RESUME restart it; requests are refused in the wrong state.
 * root: the agent's --cgroup-root, or NULL (SIGSTOP and SIGCONT). */
static void ops_pause_resume(const char *root)
{
	static const char *const count[] = {
		"sh", "-c", "i=0; while :; do i=$((i+1)); echo $i; done", NULL
	};
	static const char *const tru[] = { "true", NULL };
	struct agentc_stream *s;
	char dir[256], id[64];
	struct agentc c;
	uint64_t at;

	snprintf(id, sizeof(id), "ops-pause-%d", (int)getpid());
	ops_start(&c, dir, sizeof(dir), root, id, count, NULL, NULL, NULL);
	s = agentc_stream(&c, 2);
	ASSERT_EQ(agentc_simple(&c, MSG_OP_RESUME), EALREADY);
	while (s->total < 100000)
		ASSERT(agentc_pump(&c, 1000));
	ASSERT_EQ(agentc_simple(&c, MSG_OP_PAUSE), 0);
	/* What was in the pipe and in flight arrives; then nothing. */
	agentc_pump_for(&c, 300);
	at = s->total;
	agentc_pump_for(&c, 700);
	test_diag("paused at %llu bytes, %llu after 0.7 s",
		  (unsigned long long)at, (unsigned long long)s->total);
	ASSERT_EQ(s->total, at);
	ASSERT_EQ(agentc_simple(&c, MSG_OP_PAUSE), EALREADY);
	ASSERT_EQ(agentc_exec(&c, tru, 0, 0, 0, 0, NULL, NULL), EBUSY);
	ASSERT_EQ(agentc_simple(&c, MSG_OP_PS), 0); /* still serving */
	ASSERT_EQ(agentc_simple(&c, MSG_OP_RESUME), 0);
	agentc_pump_for(&c, 500);
	test_diag("resumed: %llu bytes after 0.5 s",
		  (unsigned long long)s->total);
	ASSERT(s->total > at + 10000);
	ASSERT_EQ(agentc_exec(&c, tru, 0, 0, 0, 0, NULL, NULL), 0);
	/* Paused at the end: SHUTDOWN still kills and reaps everything. */
	ASSERT_EQ(agentc_simple(&c, MSG_OP_PAUSE), 0);
	ops_finish(&c, dir);
}

TEST_TIMEOUT(agent_ops_pause_resume_cgroup, 60)
{
	ops_v2();
	ops_pause_resume(OPS_ROOT);
}

/* On a hybrid host, the cgroup2 freezer (cgroup.freeze) of the unified
 * hierarchy, which has no other controller: the guest's way. */
TEST_TIMEOUT(agent_ops_pause_resume_cgroup2_freeze, 60)
{
	struct statfs sf;

	if (geteuid() != 0)
		test_skip("needs root");
	if (statfs(OPS_ROOT, &sf) == 0 && sf.f_type == 0x63677270) {
		ops_pause_resume(OPS_ROOT); /* cgroup2 already */
		return;
	}
	if (statfs(OPS_UNIFIED, &sf) < 0 || sf.f_type != 0x63677270)
		test_skip("no cgroup2 hierarchy at " OPS_UNIFIED);
	ops_pause_resume(OPS_UNIFIED);
}

TEST_TIMEOUT(agent_ops_pause_resume_signals, 60)
{
	if (geteuid() != 0)
		test_skip("needs root");
	ops_pause_resume(NULL);
}

TEST_TIMEOUT(agent_ops_stats, 60)
{
	static const char *const spin[] = { "sh", "-c", "while :; do :; done",
					    NULL };
	struct msg_stats a, b;
	char dir[256], id[64];
	struct agentc c;

	ops_v2();
	snprintf(id, sizeof(id), "ops-stats-%d", (int)getpid());
	/* Before CREATE there is nothing to report on. */
	rootfs_make(dir, sizeof(dir));
	agentc_spawn(&c, dir,
		     (const char *const[]){ "--cgroup-root", OPS_ROOT, NULL });
	agentc_handshake(&c);
	ASSERT_EQ(agentc_stats(&c, &a), ENOENT);
	ASSERT_EQ(agentc_simple(&c, MSG_OP_PAUSE), ESRCH);
	agentc_stop(&c);
	rootfs_remove(dir);

	ops_start(&c, dir, sizeof(dir), OPS_ROOT, id, spin,
		  "{ \"memory\": { \"limit\": 67108864 },"
		  "  \"pids\": { \"limit\": 32 } }",
		  NULL, NULL);
	ASSERT_EQ(agentc_stats(&c, &a), 0);
	agentc_pump_for(&c, 500);
	ASSERT_EQ(agentc_stats(&c, &b), 0);
	test_diag("cpu %llu -> %llu ns (user %llu, sys %llu), memory %llu of "
		  "%llu, pids %llu of %llu",
		  (unsigned long long)a.cpu_ns, (unsigned long long)b.cpu_ns,
		  (unsigned long long)b.cpu_user_ns,
		  (unsigned long long)b.cpu_sys_ns,
		  (unsigned long long)b.mem_bytes,
		  (unsigned long long)b.mem_limit, (unsigned long long)b.pids,
		  (unsigned long long)b.pids_limit);
	/* A spinning shell for 0.5 s: at least 0.1 s of cpu, at most 1 s
	 * per cpu. */
	ASSERT(b.cpu_ns > a.cpu_ns + 100000000ULL);
	ASSERT(b.cpu_ns - a.cpu_ns < 2000000000ULL);
	ASSERT(b.cpu_user_ns + b.cpu_sys_ns > 0);
	ASSERT(b.cpu_user_ns <= b.cpu_ns + 100000000ULL);
	ASSERT(b.mem_bytes > 0 && b.mem_bytes < 64 * OPS_MIB);
	ASSERT_EQ(b.mem_limit, 64 * OPS_MIB);
	ASSERT(b.pids >= 1 && b.pids <= 4);
	ASSERT_EQ(b.pids_limit, 32);
	ops_finish(&c, dir);
}

TEST_TIMEOUT(agent_ops_stats_update_need_cgroup, 30)
{
	static const char *const args[] = { "sleep", "100", NULL };
	struct msg_stats st;
	char dir[256];
	struct agentc c;

	if (geteuid() != 0)
		test_skip("needs root");
	ops_start(&c, dir, sizeof(dir), NULL, "ops-nocg", args, NULL, NULL,
		  NULL);
	ASSERT_EQ(agentc_stats(&c, &st), EOPNOTSUPP);
	ASSERT(strstr(c.error, "cgroup"));
	ASSERT_EQ(agentc_update(&c, "{}"), EOPNOTSUPP);
	ops_finish(&c, dir);
}

TEST_TIMEOUT(agent_ops_update, 60)
{
	static const char *const args[] = { "sleep", "100", NULL };
	static const struct {
		const char *json;
		int code;
		const char *text;
	} bad[] = {
		{ "{", EINVAL, "resources" },
		{ "[]", EINVAL, "not an object" },
		{ "{ \"memory\": 5 }", EINVAL, "memory" },
		{ "{ \"memory\": { \"limit\": \"1G\" } }", EINVAL, "limit" },
		{ "{ \"cpu\": { \"shares\": 300000 } }", EINVAL, "shares" },
		{ "{ \"pids\": { \"limit\": -2 } }", EINVAL, "limit" },
		{ "{ \"pids\": { \"limit\": 1 }, \"pids\": { \"limit\": 2 } }",
		  EINVAL, "resources" },
	};
	struct msg_stats st;
	char dir[256], id[64], buf[128];
	struct agentc c;
	bool v2 = ops_v2();
	size_t i;

	snprintf(id, sizeof(id), "ops-update-%d", (int)getpid());
	ops_start(&c, dir, sizeof(dir), OPS_ROOT, id, args,
		  "{ \"memory\": { \"limit\": 67108864 },"
		  "  \"pids\": { \"limit\": 32 } }",
		  NULL, NULL);
	ASSERT_EQ(agentc_update(&c,
				"{ \"memory\": { \"limit\": 134217728 },"
				"  \"cpu\": { \"quota\": 50000, \"period\": "
				"100000, \"shares\": 512 },"
				"  \"pids\": { \"limit\": 64 } }"),
		  0);
	if (v2) {
		ops_cgfile(v2, NULL, id, "memory.max", buf, sizeof(buf));
		ASSERT_STREQ(buf, "134217728");
		ops_cgfile(v2, NULL, id, "cpu.max", buf, sizeof(buf));
		ASSERT_STREQ(buf, "50000 100000");
		ops_cgfile(v2, NULL, id, "cpu.weight", buf, sizeof(buf));
		ASSERT_STREQ(buf, "20"); /* 1 + (510 * 9999) / 262142 */
	} else {
		ops_cgfile(v2, "memory", id, "memory.limit_in_bytes", buf,
			   sizeof(buf));
		ASSERT_STREQ(buf, "134217728");
		ops_cgfile(v2, "cpu", id, "cpu.cfs_quota_us", buf, sizeof(buf));
		ASSERT_STREQ(buf, "50000");
		ops_cgfile(v2, "cpu", id, "cpu.cfs_period_us", buf,
			   sizeof(buf));
		ASSERT_STREQ(buf, "100000");
		ops_cgfile(v2, "cpu", id, "cpu.shares", buf, sizeof(buf));
		ASSERT_STREQ(buf, "512");
	}
	ops_cgfile(v2, "pids", id, "pids.max", buf, sizeof(buf));
	ASSERT_STREQ(buf, "64");
	ASSERT_EQ(agentc_stats(&c, &st), 0);
	ASSERT_EQ(st.mem_limit, 128 * OPS_MIB);
	ASSERT_EQ(st.pids_limit, 64);

	/* Only what is named changes; -1 lifts a limit. */
	ASSERT_EQ(agentc_update(&c, "{ \"pids\": { \"limit\": -1 } }"), 0);
	ops_cgfile(v2, "pids", id, "pids.max", buf, sizeof(buf));
	ASSERT_STREQ(buf, "max");
	ASSERT_EQ(agentc_stats(&c, &st), 0);
	ASSERT_EQ(st.mem_limit, 128 * OPS_MIB);
	ASSERT_EQ(st.pids_limit, 0);
	ASSERT_EQ(agentc_update(&c, "{ \"cpu\": { \"quota\": -1 } }"), 0);
	if (v2) {
		ops_cgfile(v2, NULL, id, "cpu.max", buf, sizeof(buf));
		ASSERT_STREQ(buf, "max 100000");
	} else {
		ops_cgfile(v2, "cpu", id, "cpu.cfs_quota_us", buf, sizeof(buf));
		ASSERT_STREQ(buf, "-1");
	}

	/* Bad updates: an ERROR each, the limits untouched, still serving. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ASSERT_EQ(agentc_update(&c, bad[i].json), bad[i].code);
		if (!strstr(c.error, bad[i].text))
			FAIL("update %s: error \"%s\" lacks \"%s\"",
			     bad[i].json, c.error, bad[i].text);
	}
	ops_cgfile(v2, "pids", id, "pids.max", buf, sizeof(buf));
	ASSERT_STREQ(buf, "max");
	/* A limit the kernel refuses (memory below what is in use). */
	ASSERT(agentc_update(&c, "{ \"memory\": { \"limit\": 1 } }") != 0);
	ASSERT_EQ(agentc_simple(&c, MSG_OP_PS), 0);
	ops_finish(&c, dir);
}

TEST_TIMEOUT(agent_ops_oom, 60)
{
	/* busybox tail keeps the last "line" of /dev/zero: it grows until
	 * the limit. */
	static const char *const hog[] = { "busybox", "tail", "/dev/zero",
					   NULL };
	static const char *const args[] = { "sleep", "100", NULL };
	const struct msg_exit *x;
	const struct msg_oom *o;
	char dir[256], id[64];
	struct agentc c;
	uint32_t init, proc, code = 0, signo = 0;
	size_t i;

	ops_v2();
	snprintf(id, sizeof(id), "ops-oom-%d", (int)getpid());
	ops_start(&c, dir, sizeof(dir), OPS_ROOT, id, args,
		  "{ \"memory\": { \"limit\": 33554432, \"swap\": 33554432 } "
		  "}",
		  &init, NULL);
	/* The init's own OOM: as its exec'd process. */
	ASSERT_EQ(agentc_exec(&c, hog, 0, 0, 0, 0, &proc, NULL), 0);
	o = agentc_wait_oom(&c, 0, 20000);
	ASSERT(o);
	x = agentc_wait_exit_event(&c, proc);
	ASSERT(x);
	ASSERT_EQ(x->signo, 9);
	ASSERT_EQ(x->code, 0);
	ASSERT_EQ(o->proc, proc);
	/* The OOM event came before the victim's EXIT. */
	for (i = 0; i < c.oom_nexits[0]; i++)
		ASSERT(c.exits[i].proc != proc);
	ASSERT_EQ(agentc_wait(&c, proc, &code, &signo), 0);
	ASSERT_EQ(signo, 9);
	/* The rest of the container lives on, and no other OOM came. */
	ASSERT_EQ(agentc_simple(&c, MSG_OP_PS), 0);
	agentc_pump_for(&c, 300);
	ASSERT_EQ(c.nooms, 1);
	for (i = 0; i < c.nexits; i++)
		ASSERT(c.exits[i].proc != init);
	ops_finish(&c, dir);
}

/* PS with ps(1)'s options: the table of the container's processes, made
 * from /proc by the agent (src/agent/ps.c); bad options get an ERROR. */
TEST_TIMEOUT(agent_ops_ps_table, 60)
{
	static const char *const sleep_args[] = { "sleep", "1000", NULL };
	static const char *const opts[] = { "-o", "pid,ppid,comm=NAME,args" };
	static const char *const bad[] = { "-N" };
	static char abuf[64], table[4096];
	char dir[256], id[64], want[64];
	struct msg m, r;
	struct agentc c;
	uint32_t pid;

	if (geteuid() != 0)
		test_skip("needs root");
	snprintf(id, sizeof(id), "ops-ps-%d", (int)getpid());
	ops_start(&c, dir, sizeof(dir), NULL, id, sleep_args, NULL, NULL, &pid);
	memset(&m, 0, sizeof(m));
	m.kind = WIRE_K_REQUEST;
	m.op = MSG_OP_PS;
	ASSERT(msg_strlist_pack(abuf, sizeof(abuf), opts, 2, &m.u.psreq.args) >
	       0);
	ASSERT_EQ(agentc_call(&c, &m, &r), 0);
	ASSERT(r.u.ps.table.len < sizeof(table));
	memcpy(table, r.u.ps.table.p, r.u.ps.table.len);
	table[r.u.ps.table.len] = '\0';
	test_diag("%s", table);
	ASSERT_EQ(r.u.ps.pids.count, 0);
	ASSERT(!strncmp(table, "  PID  PPID NAME            COMMAND\n", 36));
	snprintf(want, sizeof(want), "%5u ", pid);
	ASSERT(strstr(table, want));
	ASSERT(strstr(table, " sleep           sleep 1000\n"));
	ASSERT(msg_strlist_pack(abuf, sizeof(abuf), bad, 1, &m.u.psreq.args) >
	       0);
	ASSERT_EQ(agentc_call(&c, &m, &r), EINVAL);
	ASSERT_STREQ(c.error, "ps: unsupported option -N");
	/* without options: the pids, as before */
	memset(&m.u, 0, sizeof(m.u));
	ASSERT_EQ(agentc_call(&c, &m, &r), 0);
	ASSERT_EQ(r.u.ps.pids.count, 1);
	ASSERT_EQ(msg_u32list_get(&r.u.ps.pids, 0), pid);
	ASSERT_EQ(r.u.ps.table.len, 0);
	ops_finish(&c, dir);
}
