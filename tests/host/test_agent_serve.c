/*
 * test_agent_serve.c: level 2 (root). moat-agent in host mode on a
 * socketpair, driven through the wire protocol by tests/harness/agentc:
 * the handshake, a busybox container's life (create, start, exec, wait,
 * signals, stdin, terminal, ps, shutdown) and exact exit statuses.
 */
#include "../harness/agentc.h"
#include "../harness/ociconf.h"
#include "../harness/rootfs.h"
#include "../harness/test.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct fixture {
	char dir[256];
	struct agentc c;
};

static void fx_start(struct fixture *fx)
{
	if (geteuid() != 0)
		test_skip("needs root");
	rootfs_make(fx->dir, sizeof(fx->dir));
	agentc_start(&fx->c, fx->dir);
}

static void fx_stop(struct fixture *fx)
{
	int status = agentc_stop(&fx->c);

	rootfs_remove(fx->dir);
	ASSERT(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
}

/* CREATE + START of args with stdout on stream 2, stderr on 3. */
static uint32_t fx_run(struct fixture *fx, const char *const *args)
{
	char *cfg = ociconf_dump(ociconf_base(args));
	uint32_t proc = 0;
	int r;

	agentc_out(&fx->c, 2, 65536);
	agentc_out(&fx->c, 3, 65536);
	r = agentc_create(&fx->c, "c1", ROOTFS_TAG, cfg, NULL, 0, 0, 2, 3, 0,
			  &proc, NULL);
	free(cfg);
	if (r)
		FAIL("create: %d %s", r, fx->c.error);
	r = agentc_simple(&fx->c, MSG_OP_START);
	if (r)
		FAIL("start: %d %s", r, fx->c.error);
	return proc;
}

TEST(agent_serve_handshake_and_shutdown)
{
	struct fixture fx;

	fx_start(&fx);
	ASSERT_EQ(agentc_simple(&fx.c, MSG_OP_PS), 0);
	fx_stop(&fx);
}

TEST(agent_serve_exit_code_42)
{
	static const char *const args[] = { "sh", "-c",
					    "echo out; echo err >&2; exit 42",
					    NULL };
	const struct msg_exit *ev;
	struct fixture fx;
	uint32_t proc, code = 0, signo = 0;

	fx_start(&fx);
	proc = fx_run(&fx, args);
	ASSERT_EQ(agentc_wait(&fx.c, proc, &code, &signo), 0);
	ASSERT_EQ(code, 42);
	ASSERT_EQ(signo, 0);
	ev = agentc_wait_exit_event(&fx.c, proc);
	ASSERT(ev);
	ASSERT_EQ(ev->code, 42);
	ASSERT_STREQ(agentc_wait_eof(&fx.c, 2), "out\n");
	ASSERT_STREQ(agentc_wait_eof(&fx.c, 3), "err\n");
	fx_stop(&fx);
}

TEST(agent_serve_sigkill_reports_the_signal)
{
	static const char *const args[] = { "sleep", "100", NULL };
	struct fixture fx;
	uint32_t proc, code = 1, signo = 0;

	fx_start(&fx);
	proc = fx_run(&fx, args);
	ASSERT_EQ(agentc_signal(&fx.c, proc, SIGKILL), 0);
	ASSERT_EQ(agentc_wait(&fx.c, proc, &code, &signo), 0);
	ASSERT_EQ(signo, SIGKILL);
	ASSERT_EQ(code, 0);
	/* Signalling it again: it has exited. */
	ASSERT_EQ(agentc_signal(&fx.c, proc, SIGKILL), ESRCH);
	fx_stop(&fx);
}

TEST(agent_serve_exec_and_stdin)
{
	static const char *const args[] = { "sleep", "100", NULL };
	static const char *const echo[] = { "sh", "-c", "echo hi; exit 3",
					    NULL };
	static const char *const cat[] = { "cat", NULL };
	struct fixture fx;
	uint32_t init, p1, p2, code = 0, signo = 0;

	fx_start(&fx);
	init = fx_run(&fx, args);
	agentc_out(&fx.c, 10, 65536);
	ASSERT_EQ(agentc_exec(&fx.c, echo, 0, 10, 0, 0, &p1, NULL), 0);
	ASSERT_STREQ(agentc_wait_eof(&fx.c, 10), "hi\n");
	ASSERT_EQ(agentc_wait(&fx.c, p1, &code, &signo), 0);
	ASSERT_EQ(code, 3);

	agentc_in(&fx.c, 11);
	agentc_out(&fx.c, 12, 65536);
	ASSERT_EQ(agentc_exec(&fx.c, cat, 11, 12, 0, 0, &p2, NULL), 0);
	agentc_write_stream(&fx.c, 11, "abc\n", 4);
	agentc_write_stream(&fx.c, 11, "def\n", 4);
	agentc_eof(&fx.c, 11);
	ASSERT_STREQ(agentc_wait_eof(&fx.c, 12), "abc\ndef\n");
	ASSERT_EQ(agentc_wait(&fx.c, p2, &code, &signo), 0);
	ASSERT_EQ(code, 0);
	ASSERT(p1 != p2 && p1 != init && p2 != init);
	fx_stop(&fx);
}

TEST(agent_serve_close_stdin)
{
	static const char *const args[] = { "sleep", "100", NULL };
	static const char *const cat[] = { "cat", NULL };
	struct msg m = { WIRE_K_REQUEST, MSG_OP_CLOSE_STDIN, 0, { { 0 } } };
	struct fixture fx;
	uint32_t p, code = 1, signo = 1;

	fx_start(&fx);
	fx_run(&fx, args);
	agentc_in(&fx.c, 11);
	agentc_out(&fx.c, 12, 65536);
	ASSERT_EQ(agentc_exec(&fx.c, cat, 11, 12, 0, 0, &p, NULL), 0);
	agentc_write_stream(&fx.c, 11, "x", 1);
	m.u.target.proc = p;
	ASSERT_EQ(agentc_call(&fx.c, &m, NULL), 0);
	ASSERT_STREQ(agentc_wait_eof(&fx.c, 12), "x");
	ASSERT_EQ(agentc_wait(&fx.c, p, &code, &signo), 0);
	ASSERT_EQ(code, 0);
	ASSERT_EQ(signo, 0);
	agentc_eof(&fx.c, 11);
	fx_stop(&fx);
}

TEST(agent_serve_tty_and_resize)
{
	static const char *const args[] = { "sleep", "100", NULL };
	static const char *const sh[] = {
		"sh", "-c", "read x; echo got $x; stty size; tty; exit 7", NULL
	};
	struct msg m = { WIRE_K_REQUEST, MSG_OP_RESIZE, 0, { { 0 } } };
	struct agentc_stream *s;
	struct fixture fx;
	uint32_t p, code = 0, signo = 0;
	const char *out;

	fx_start(&fx);
	fx_run(&fx, args);
	s = agentc_out(&fx.c, 20, 65536);
	ASSERT_EQ(agentc_exec(&fx.c, sh, 0, 0, 0, 20, &p, NULL), 0);
	m.u.resize.proc = p;
	m.u.resize.rows = 33;
	m.u.resize.cols = 44;
	ASSERT_EQ(agentc_call(&fx.c, &m, NULL), 0);
	agentc_write_stream(&fx.c, 20, "go\n", 3);
	ASSERT_EQ(agentc_wait(&fx.c, p, &code, &signo), 0);
	ASSERT_EQ(code, 7);
	out = agentc_wait_eof(&fx.c, 20);
	if (!strstr(out, "got go") || !strstr(out, "33 44") ||
	    !strstr(out, "/dev/pts/")) {
		test_diag_block("terminal", out, s->len);
		FAIL("unexpected terminal output");
	}
	agentc_eof(&fx.c, 20);
	/* A process without a terminal cannot be resized. */
	m.id = 0;
	m.u.resize.proc = 1;
	ASSERT_EQ(agentc_call(&fx.c, &m, NULL), ENOTTY);
	fx_stop(&fx);
}

TEST(agent_serve_ps_and_signal_all)
{
	static const char *const args[] = { "sleep", "100", NULL };
	static const char *const sl[] = { "sleep", "100", NULL };
	struct msg m = { WIRE_K_REQUEST, MSG_OP_PS, 0, { { 0 } } };
	struct msg r;
	struct fixture fx;
	uint32_t init, ipid, p, ppid, code, signo;
	bool seen_init = false, seen_p = false;
	uint32_t i;

	fx_start(&fx);
	{
		char *cfg = ociconf_dump(ociconf_base(args));

		ASSERT_EQ(agentc_create(&fx.c, "c1", ROOTFS_TAG, cfg, NULL, 0,
					0, 0, 0, 0, &init, &ipid),
			  0);
		free(cfg);
		ASSERT_EQ(agentc_simple(&fx.c, MSG_OP_START), 0);
	}
	ASSERT_EQ(agentc_exec(&fx.c, sl, 0, 0, 0, 0, &p, &ppid), 0);
	ASSERT_EQ(agentc_call(&fx.c, &m, &r), 0);
	ASSERT_EQ(r.u.ps.pids.count, 2);
	for (i = 0; i < r.u.ps.pids.count; i++) {
		seen_init |= msg_u32list_get(&r.u.ps.pids, i) == ipid;
		seen_p |= msg_u32list_get(&r.u.ps.pids, i) == ppid;
	}
	ASSERT(seen_init && seen_p);
	ASSERT_EQ(agentc_signal(&fx.c, 0, SIGKILL), 0);
	ASSERT_EQ(agentc_wait(&fx.c, init, &code, &signo), 0);
	ASSERT_EQ(signo, SIGKILL);
	ASSERT_EQ(agentc_wait(&fx.c, p, &code, &signo), 0);
	ASSERT_EQ(signo, SIGKILL);
	m.id = 0;
	ASSERT_EQ(agentc_call(&fx.c, &m, &r), 0);
	ASSERT_EQ(r.u.ps.pids.count, 0);
	/* No exec into a container whose init has gone. */
	ASSERT_EQ(agentc_exec(&fx.c, sl, 0, 0, 0, 0, NULL, NULL), ESRCH);
	fx_stop(&fx);
}
