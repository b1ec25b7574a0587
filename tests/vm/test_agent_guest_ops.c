/*
 * test_agent_guest_ops.c: level 3 (QEMU TCG). moat-agent's requests on the
 * container's cgroup in the guest, where it is cgroup2 (the host tests,
 * tests/host/test_agent_ops.c, run them on this host's v1 hierarchies):
 * the guest booted by the shim's QEMU backend (src/sandbox/qemu.c) with a
 * busybox root share, the tests' client on the agent's channel. STATS
 * reports the limits and plausible usage, UPDATE changes them, PAUSE
 * stops a counting process (cgroup.freeze) and RESUME restarts it, and a
 * process over the memory limit is killed by the OOM killer, reported by
 * an OOM event naming it before its EXIT with SIGKILL.
 */
#include "../harness/agentc.h"
#include "../harness/ociconf.h"
#include "../harness/rootfs.h"
#include "../harness/test.h"
#include "../../src/sandbox/qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define GOPS_MIB (1024ULL * 1024)

static void gops_discard(void *arg, const uint8_t *p, size_t n)
{
}

static void gops_show_log(const char *path)
{
	char buf[8192];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n > 0)
		test_diag_block("console", buf, (size_t)n);
}

TEST_TIMEOUT(agent_guest_stats_update_pause_oom, 300)
{
	static const char *const init[] = { "sleep", "100000", NULL };
	static const char *const count[] = {
		"sh", "-c", "i=0; while :; do i=$((i+1)); echo $i; done", NULL
	};
	static const char *const hog[] = { "busybox", "tail", "/dev/zero",
					   NULL };
	char dir[256], rootfs[300], log[300], *cfg;
	struct moat_err *e = NULL;
	struct sandbox sb = SANDBOX_INIT;
	struct sandbox_config sc;
	const struct msg_exit *x;
	const struct msg_oom *o;
	struct agentc_stream *s;
	struct msg_stats st;
	struct agentc c;
	uint32_t counter, proc, code, signo;
	uint64_t at;
	json_t *j;
	int status;

	if (geteuid() != 0)
		test_skip("needs root");
	rootfs_make(dir, sizeof(dir));
	snprintf(rootfs, sizeof(rootfs), "%s/%s/%s", dir, ROOTFS_TAG,
		 ROOTFS_PATH);
	snprintf(log, sizeof(log), "%s/console.log", dir);
	sandbox_config_defaults(&sc);
	sc.rootfs = rootfs;
	sc.log_path = log;
	sc.log_fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	ASSERT_OK(sc.log_fd);
	sc.dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ASSERT_OK(sc.dir_fd);
	if (sandbox_qemu.start(&sb, &sc, &e) < 0)
		FAIL("start QEMU: %s", e ? e->msg : "?");
	agentc_attach(&c, sb.chan_fd, sb.pid);
	agentc_handshake(&c);

	j = ociconf_base(init);
	ociconf_set(j, "root.path", json_string("."));
	ociconf_set(j, "linux.resources",
		    ociconf_parse("{ \"memory\": { \"limit\": 67108864 },"
				  "  \"pids\": { \"limit\": 64 } }"));
	cfg = ociconf_dump(j);
	if (agentc_create(&c, "gops", SANDBOX_ROOTFS_TAG, cfg, NULL, 0, 0, 0, 0,
			  0, NULL, NULL)) {
		gops_show_log(log);
		FAIL("create: %s", c.error);
	}
	free(cfg);
	ASSERT_EQ(agentc_simple(&c, MSG_OP_START), 0);

	/* STATS: the limits of the config, usage that makes sense. */
	ASSERT_EQ(agentc_stats(&c, &st), 0);
	test_diag("cpu %llu ns, memory %llu of %llu, pids %llu of %llu",
		  (unsigned long long)st.cpu_ns,
		  (unsigned long long)st.mem_bytes,
		  (unsigned long long)st.mem_limit, (unsigned long long)st.pids,
		  (unsigned long long)st.pids_limit);
	ASSERT_EQ(st.mem_limit, 64 * GOPS_MIB);
	ASSERT_EQ(st.pids_limit, 64);
	ASSERT(st.pids >= 1 && st.pids <= 4);
	ASSERT(st.mem_bytes > 0 && st.mem_bytes < 64 * GOPS_MIB);
	ASSERT(st.cpu_ns > 0);

	/* UPDATE: seen in the next STATS; a bad one changes nothing. */
	ASSERT_EQ(agentc_update(&c, "{ \"memory\": { \"limit\": 100663296 },"
				    "  \"pids\": { \"limit\": -1 },"
				    "  \"cpu\": { \"quota\": 50000 } }"),
		  0);
	ASSERT_EQ(agentc_update(&c, "{ \"pids\": { \"limit\": \"x\" } }"),
		  EINVAL);
	ASSERT_EQ(agentc_stats(&c, &st), 0);
	ASSERT_EQ(st.mem_limit, 96 * GOPS_MIB);
	ASSERT_EQ(st.pids_limit, 0);

	/* PAUSE and RESUME a counting process (cgroup.freeze). */
	s = agentc_out(&c, 2, 1U << 20);
	s->on_data = gops_discard;
	ASSERT_EQ(agentc_exec(&c, count, 0, 2, 0, 0, &counter, NULL), 0);
	while (s->total < 20000)
		ASSERT(agentc_pump(&c, 1000));
	ASSERT_EQ(agentc_simple(&c, MSG_OP_PAUSE), 0);
	agentc_pump_for(&c, 500);
	at = s->total;
	agentc_pump_for(&c, 1000);
	test_diag("paused at %llu bytes, %llu a second later",
		  (unsigned long long)at, (unsigned long long)s->total);
	ASSERT_EQ(s->total, at);
	ASSERT_EQ(agentc_exec(&c, init, 0, 0, 0, 0, NULL, NULL), EBUSY);
	ASSERT_EQ(agentc_simple(&c, MSG_OP_RESUME), 0);
	agentc_pump_for(&c, 1000);
	ASSERT(s->total > at + 1000);
	ASSERT_EQ(agentc_signal(&c, counter, 9), 0);
	ASSERT_EQ(agentc_wait(&c, counter, &code, &signo), 0);
	ASSERT_EQ(signo, 9);
	ASSERT_EQ(c.nooms, 0);

	/* OOM: a process growing past 32 MiB is killed; the event names
	 * it and comes before its EXIT. */
	ASSERT_EQ(agentc_update(&c, "{ \"memory\": { \"limit\": 33554432 } }"),
		  0);
	ASSERT_EQ(agentc_exec(&c, hog, 0, 0, 0, 0, &proc, NULL), 0);
	o = agentc_wait_oom(&c, 0, 60000);
	if (!o) {
		gops_show_log(log);
		FAIL("no OOM event");
	}
	x = agentc_wait_exit_event(&c, proc);
	ASSERT(x);
	ASSERT_EQ(x->signo, 9);
	ASSERT_EQ(o->proc, proc);
	ASSERT_EQ(agentc_simple(&c, MSG_OP_PS), 0);

	status = agentc_stop(&c);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		gops_show_log(log);
	ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	rootfs_remove(dir);
}
