/*
 * test_shimmsg.c: the codec of shim.sock (src/proto/shimmsg.c): every
 * request and reply the CLI and the shim exchange, as the lines they were
 * before the codec, and what either side refuses.
 */
#include "../harness/test.h"
#include "../../src/proto/shimmsg.h"

#include <string.h>

static struct shimmsg_reply rep;

static int req(const char *s, struct shimmsg_req *r)
{
	return shimmsg_req_decode(s, strlen(s), r);
}

static int xreq(const char *s, struct shimmsg_req *r)
{
	return shimmsg_xreq_decode(s, strlen(s), r);
}

static int reply(const char *s, enum shimmsg_verb verb)
{
	return shimmsg_reply_decode(s, strlen(s), verb, &rep);
}

/* r encodes as want and decodes back to r. */
static void round_trip(const struct shimmsg_req *r, const char *want)
{
	char buf[SHIMMSG_LINE_MAX];
	struct shimmsg_req back;
	int n = shimmsg_req_encode(buf, sizeof(buf), r);

	ASSERT_EQ(n, (int)strlen(want));
	ASSERT_STREQ(buf, want);
	if (r->verb == SHIMMSG_RESIZE)
		ASSERT_EQ(xreq(buf, &back), 0);
	else
		ASSERT_EQ(req(buf, &back), 0);
	ASSERT_EQ(memcmp(&back, r, sizeof(back)), 0);
}

TEST(shimmsg_requests_round_trip)
{
	struct shimmsg_req r;

	memset(&r, 0, sizeof(r));
	r.verb = SHIMMSG_START;
	round_trip(&r, "start");
	r.verb = SHIMMSG_PS;
	round_trip(&r, "ps");
	r.verb = SHIMMSG_PAUSE;
	round_trip(&r, "pause");
	r.verb = SHIMMSG_RESUME;
	round_trip(&r, "resume");
	r.verb = SHIMMSG_STATS;
	round_trip(&r, "stats");
	r.verb = SHIMMSG_KILL;
	r.signo = 9;
	round_trip(&r, "kill 9");
	r.all = true;
	r.signo = 15;
	round_trip(&r, "kill 15 all");
	memset(&r, 0, sizeof(r));
	r.verb = SHIMMSG_UPDATE;
	r.len = 42;
	round_trip(&r, "update 42");
	r.verb = SHIMMSG_EXEC;
	r.len = SHIMMSG_PAYLOAD_MAX;
	round_trip(&r, "exec 1048576");
	memset(&r, 0, sizeof(r));
	r.verb = SHIMMSG_RESIZE;
	r.rows = 24;
	r.cols = 80;
	round_trip(&r, "resize 24 80");
}

/* exec's sub-cgroup: a view into the line, checked as EXEC checks it. */
TEST(shimmsg_exec_cgroup)
{
	struct shimmsg_req r = { .verb = SHIMMSG_EXEC, .len = 7 }, back;
	char buf[SHIMMSG_LINE_MAX];

	r.cgroup = "sub/leaf.x";
	r.cgroup_len = strlen(r.cgroup);
	ASSERT_EQ(shimmsg_req_encode(buf, sizeof(buf), &r), 17);
	ASSERT_STREQ(buf, "exec 7 sub/leaf.x");
	ASSERT_EQ(req(buf, &back), 0);
	ASSERT_EQ(back.len, 7);
	ASSERT_EQ(back.cgroup_len, 10);
	ASSERT_EQ(memcmp(back.cgroup, "sub/leaf.x", 10), 0);
	ASSERT_EQ(req("exec 7", &back), 0);
	ASSERT(!back.cgroup);
	r.cgroup = "../up";
	r.cgroup_len = 5;
	ASSERT_EQ(shimmsg_req_encode(buf, sizeof(buf), &r), SHIMMSG_EARG);
	ASSERT_EQ(req("exec 7 ../up", &back), SHIMMSG_EARG);
	ASSERT_EQ(req("exec 7 a//b", &back), SHIMMSG_EARG);
	ASSERT_EQ(req("exec 7 /a", &back), SHIMMSG_EARG);
	ASSERT_EQ(req("exec 7 a/", &back), SHIMMSG_EARG);
	ASSERT_EQ(req("exec 7 a/./b", &back), SHIMMSG_EARG);
	ASSERT_EQ(req("exec 7 a b", &back), SHIMMSG_EARG);
	ASSERT_EQ(req("exec 7 ", &back), SHIMMSG_EARG);
	ASSERT_EQ(req("update 7 a", &back), SHIMMSG_EARG);
	ASSERT_EQ(req("exec 7 ..a/b..", &back), 0);
}

TEST(shimmsg_bad_requests)
{
	struct shimmsg_req r;

	ASSERT_EQ(req("", &r), SHIMMSG_EVERB);
	ASSERT_EQ(req("bogus", &r), SHIMMSG_EVERB);
	ASSERT_EQ(req("starts", &r), SHIMMSG_EVERB);
	ASSERT_EQ(req("resize 1 2", &r), SHIMMSG_EVERB);
	/* A known verb with bad arguments says which verb it was. */
	ASSERT_EQ(req("start now", &r), SHIMMSG_EARG);
	ASSERT_EQ(r.verb, SHIMMSG_START);
	ASSERT_EQ(req("kill", &r), SHIMMSG_EARG);
	ASSERT_EQ(r.verb, SHIMMSG_KILL);
	ASSERT_EQ(req("kill 0", &r), SHIMMSG_EARG);
	ASSERT_EQ(req("kill 65", &r), SHIMMSG_EARG);
	ASSERT_EQ(req("kill -9", &r), SHIMMSG_EARG);
	ASSERT_EQ(req("kill 9 some", &r), SHIMMSG_EARG);
	ASSERT_EQ(req("kill 9 all ", &r), SHIMMSG_EARG);
	ASSERT_EQ(req("kill 64", &r), 0);
	ASSERT_EQ(req("update 0", &r), SHIMMSG_EARG);
	ASSERT_EQ(req("update x", &r), SHIMMSG_EARG);
	ASSERT_EQ(req("exec 1048577", &r), SHIMMSG_EARG);
	ASSERT_EQ(r.verb, SHIMMSG_EXEC);
	ASSERT_EQ(req("exec 99999999999999999999999", &r), SHIMMSG_EARG);
	/* An exec's connection: kill (never all) and resize only. */
	ASSERT_EQ(xreq("kill 2", &r), 0);
	ASSERT_EQ(r.signo, 2);
	ASSERT_EQ(xreq("kill 2 all", &r), SHIMMSG_EARG);
	ASSERT_EQ(xreq("ps", &r), SHIMMSG_EVERB);
	ASSERT_EQ(xreq("resize 65536 1", &r), SHIMMSG_EARG);
	ASSERT_EQ(xreq("resize 1", &r), SHIMMSG_EARG);
	ASSERT_EQ(xreq("resize 0 65535", &r), 0);
	ASSERT_EQ(r.cols, 65535);
}

TEST(shimmsg_replies_decode)
{
	ASSERT_EQ(reply("ok", SHIMMSG_START), 0);
	ASSERT_EQ(rep.kind, SHIMMSG_OK);
	ASSERT_EQ(reply("ok whatever", SHIMMSG_KILL), 0);
	ASSERT_EQ(reply("error container x is not running", SHIMMSG_PS), 0);
	ASSERT_EQ(rep.kind, SHIMMSG_ERROR);
	ASSERT_EQ(rep.text_len, strlen("container x is not running"));
	ASSERT_EQ(memcmp(rep.text, "container x", 11), 0);
	ASSERT_EQ(reply("okay", SHIMMSG_START), SHIMMSG_EMALFORMED);
	ASSERT_EQ(reply("", SHIMMSG_START), SHIMMSG_EMALFORMED);
	ASSERT_EQ(reply("ok 1 22 333", SHIMMSG_PS), 0);
	ASSERT_EQ(rep.npids, 3);
	ASSERT_EQ(rep.pids[2], 333);
	ASSERT_EQ(reply("ok", SHIMMSG_PS), 0);
	ASSERT_EQ(rep.npids, 0);
	ASSERT_EQ(reply("ok 1 x", SHIMMSG_PS), SHIMMSG_EMALFORMED);
	ASSERT_EQ(reply("ok 4294967296", SHIMMSG_PS), SHIMMSG_EMALFORMED);
	ASSERT_EQ(reply("ok cpu=1 user=2 sys=3 mem=4 memlimit=5 pids=6 "
			"pidslimit=7 oom=8",
			SHIMMSG_STATS),
		  0);
	ASSERT_EQ(rep.stats.cpu, 1);
	ASSERT_EQ(rep.stats.sys, 3);
	ASSERT_EQ(rep.stats.memlimit, 5);
	ASSERT_EQ(rep.stats.pidslimit, 7);
	ASSERT_EQ(rep.stats.oom, 8);
	/* A newer shim's figures are skipped; a broken one is refused. */
	ASSERT_EQ(reply("ok cpu=1 newthing=5", SHIMMSG_STATS), 0);
	ASSERT_EQ(rep.stats.cpu, 1);
	ASSERT_EQ(reply("ok cpu=", SHIMMSG_STATS), SHIMMSG_EMALFORMED);
	ASSERT_EQ(reply("ok cpu=1x", SHIMMSG_STATS), SHIMMSG_EMALFORMED);
	ASSERT_EQ(reply("ok 77", SHIMMSG_EXEC), 0);
	ASSERT_EQ(rep.pid, 77);
	ASSERT_EQ(reply("ok 0", SHIMMSG_EXEC), SHIMMSG_EMALFORMED);
	ASSERT_EQ(reply("ok", SHIMMSG_EXEC), SHIMMSG_EMALFORMED);
	ASSERT_EQ(reply("exit 3 0", SHIMMSG_EXEC), 0);
	ASSERT_EQ(rep.kind, SHIMMSG_EXIT);
	ASSERT_EQ(rep.code, 3);
	ASSERT_EQ(reply("exit 0 9", SHIMMSG_EXEC), 0);
	ASSERT_EQ(rep.signo, 9);
	ASSERT_EQ(reply("exit 3", SHIMMSG_EXEC), SHIMMSG_EMALFORMED);
	ASSERT_EQ(reply("exit 3 0", SHIMMSG_PS), SHIMMSG_EMALFORMED);
}

TEST(shimmsg_replies_encode)
{
	char buf[SHIMMSG_LINE_MAX], big[2000];
	struct shimmsg_reply r;
	uint32_t i;

	memset(&r, 0, sizeof(r));
	r.kind = SHIMMSG_OK;
	ASSERT_EQ(shimmsg_reply_encode(buf, sizeof(buf), SHIMMSG_START, &r), 2);
	ASSERT_STREQ(buf, "ok");
	r.stats = (struct shimmsg_stats){ 1, 2, 3, 4, 5, 6, 7, 8 };
	ASSERT(shimmsg_reply_encode(buf, sizeof(buf), SHIMMSG_STATS, &r) > 0);
	ASSERT_STREQ(buf, "ok cpu=1 user=2 sys=3 mem=4 memlimit=5 pids=6 "
			  "pidslimit=7 oom=8");
	r.pid = 12;
	ASSERT(shimmsg_reply_encode(buf, sizeof(buf), SHIMMSG_EXEC, &r) > 0);
	ASSERT_STREQ(buf, "ok 12");
	/* ps: the pids stop where the line is full. */
	r.npids = SHIMMSG_PIDS_MAX;
	for (i = 0; i < r.npids; i++)
		r.pids[i] = 1000000 + i;
	ASSERT(shimmsg_reply_encode(buf, sizeof(buf), SHIMMSG_PS, &r) > 0);
	ASSERT(strlen(buf) < sizeof(buf));
	ASSERT_EQ(reply(buf, SHIMMSG_PS), 0);
	ASSERT_EQ(rep.npids, (strlen(buf) - 2) / 8);
	ASSERT_EQ(rep.pids[1], 1000001);
	r.kind = SHIMMSG_EXIT;
	r.code = 1;
	r.signo = 2;
	ASSERT(shimmsg_reply_encode(buf, sizeof(buf), SHIMMSG_EXEC, &r) > 0);
	ASSERT_STREQ(buf, "exit 1 2");
	/* An error's text is cut to the line. */
	memset(big, 'x', sizeof(big));
	r.kind = SHIMMSG_ERROR;
	r.text = big;
	r.text_len = sizeof(big);
	ASSERT_EQ(shimmsg_reply_encode(buf, sizeof(buf), SHIMMSG_PS, &r),
		  (int)sizeof(buf) - 1);
	ASSERT_EQ(memcmp(buf, "error xxx", 9), 0);
	ASSERT_EQ(shimmsg_reply_encode(buf, 4, SHIMMSG_PS, &r), SHIMMSG_ESPACE);
	ASSERT_STREQ(shimmsg_verb_name(SHIMMSG_UPDATE), "update");
	ASSERT(!shimmsg_verb_name(SHIMMSG_VERBS));
}

TEST(shimmsg_pstable)
{
	static const char args[] = "-e\0-o\0pid,comm";
	char buf[SHIMMSG_LINE_MAX];
	struct shimmsg_req r;
	struct shimmsg_reply o;

	memset(&r, 0, sizeof(r));
	r.verb = SHIMMSG_PSTABLE;
	r.len = 14;
	round_trip(&r, "pstable 14");
	ASSERT_EQ(req("pstable", &r), SHIMMSG_EARG);
	ASSERT_EQ(req("pstable 0", &r), SHIMMSG_EARG);
	ASSERT_EQ(req("pstable 65537", &r), SHIMMSG_EARG);
	ASSERT_EQ(req("pstable 65536", &r), 0);
	ASSERT_EQ(req("pstablex 1", &r), SHIMMSG_EVERB);
	ASSERT_EQ(req("ps 1", &r), SHIMMSG_EARG); /* ps takes nothing */
	/* the payload: NUL-terminated strings, at most SHIMMSG_PSARGS_MAX */
	ASSERT_EQ(shimmsg_psargs_check(args, sizeof(args)), 3);
	ASSERT_EQ(shimmsg_psargs_check(args, sizeof(args) - 1), SHIMMSG_EARG);
	ASSERT_EQ(shimmsg_psargs_check(args, 0), SHIMMSG_EARG);
	{
		static char many[SHIMMSG_PSARGS_MAX + 1]; /* "" each */

		memset(many, 0, sizeof(many));
		ASSERT_EQ(shimmsg_psargs_check(many, sizeof(many) - 1),
			  SHIMMSG_PSARGS_MAX);
		ASSERT_EQ(shimmsg_psargs_check(many, sizeof(many)),
			  SHIMMSG_EARG);
	}
	/* the reply: "ok <n>", then n bytes */
	memset(&o, 0, sizeof(o));
	o.kind = SHIMMSG_OK;
	o.len = 4096;
	ASSERT(shimmsg_reply_encode(buf, sizeof(buf), SHIMMSG_PSTABLE, &o) > 0);
	ASSERT_STREQ(buf, "ok 4096");
	ASSERT_EQ(reply(buf, SHIMMSG_PSTABLE), 0);
	ASSERT_EQ(rep.len, 4096);
	ASSERT_EQ(reply("ok 0", SHIMMSG_PSTABLE), 0);
	ASSERT_EQ(reply("ok", SHIMMSG_PSTABLE), SHIMMSG_EMALFORMED);
	ASSERT_EQ(reply("ok 1048577", SHIMMSG_PSTABLE), SHIMMSG_EMALFORMED);
	ASSERT_EQ(reply("ok 1 2", SHIMMSG_PSTABLE), SHIMMSG_EMALFORMED);
	ASSERT_EQ(reply("error ps: unsupported option -N", SHIMMSG_PSTABLE), 0);
	ASSERT_EQ(rep.kind, SHIMMSG_ERROR);
}
