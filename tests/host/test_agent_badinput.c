/*
 * test_agent_badinput.c: level 2 (root). moat-agent in host mode against
 * bad input: each class of malformed frame ends the connection, as the
 * protocol says (the agent exits 1, nothing left running); malformed
 * request bodies, unknown requests and configs the agent cannot carry out
 * get an ERROR with a clear code and text, and the agent keeps serving.
 */
#include "../harness/agentc.h"
#include "../harness/ociconf.h"
#include "../harness/rootfs.h"
#include "../harness/test.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A 16-byte header. */
static void hdr(uint8_t *b, uint8_t kind, uint16_t op, uint16_t flags,
		uint32_t id, uint32_t len)
{
	b[0] = WIRE_MAGIC0;
	b[1] = WIRE_MAGIC1;
	b[2] = WIRE_VERSION;
	b[3] = kind;
	le_put16(b + 4, op);
	le_put16(b + 6, flags);
	le_put32(b + 8, id);
	le_put32(b + 12, len);
}

/* Send bytes after the handshake; the agent must close the channel and
 * exit 1. */
static void expect_fatal(const char *what, const uint8_t *b, size_t n,
			 bool handshake)
{
	struct agentc c;
	int status, i;

	agentc_spawn(&c, NULL, NULL);
	if (handshake)
		agentc_handshake(&c);
	agentc_write(&c, b, n);
	if (handshake) {
		for (i = 0; i < 100 && agentc_pump(&c, 100); i++)
			;
	} else {
		/* Only the agent's HELLO may come, then the end. */
		struct pollfd pf = { c.fd, POLLIN, 0 };
		char junk[256];

		for (i = 0; i < 100 && !c.eof; i++)
			if (poll(&pf, 1, 100) > 0 &&
			    read(c.fd, junk, sizeof(junk)) == 0)
				c.eof = true;
	}
	if (!c.eof)
		FAIL("%s: the agent kept the channel open", what);
	status = agentc_stop(&c);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
		FAIL("%s: agent status %#x", what, status);
}

TEST(agent_badinput_framing_errors_end_the_connection)
{
	uint8_t b[64];

	if (geteuid() != 0)
		test_skip("needs root");
	memset(b, 0, sizeof(b));
	hdr(b, WIRE_K_REQUEST, MSG_OP_PS, 0, 1, 0);
	b[0] = 'x';
	expect_fatal("bad magic", b, 16, true);
	hdr(b, WIRE_K_REQUEST, MSG_OP_PS, 0, 1, 0);
	b[2] = 2;
	expect_fatal("bad version", b, 16, true);
	hdr(b, 9, 0, 0, 1, 0);
	expect_fatal("bad kind", b, 16, true);
	hdr(b, WIRE_K_REQUEST, MSG_OP_PS, 1, 1, 0);
	expect_fatal("flags set", b, 16, true);
	hdr(b, WIRE_K_REQUEST, 0, 0, 1, 0);
	expect_fatal("request op 0", b, 16, true);
	hdr(b, WIRE_K_REQUEST, MSG_OP_PS, 0, 1, WIRE_BODY_MAX + 1);
	expect_fatal("body too big", b, 16, true);
	hdr(b, WIRE_K_DATA, 0, 0, 5, WIRE_DATA_MAX + 1);
	expect_fatal("data too big", b, 16, true);
	hdr(b, WIRE_K_CREDIT, 0, 0, 5, 4);
	le_put32(b + 16, 0);
	expect_fatal("credit of 0", b, 20, true);
	hdr(b, WIRE_K_DATA, 0, 0, 5, 1);
	expect_fatal("data on no stream", b, 17, true);
	hdr(b, WIRE_K_EOF, 0, 0, 5, 0);
	expect_fatal("eof on no stream", b, 16, true);
	hdr(b, WIRE_K_REPLY, MSG_OP_PS, 0, 1, 0);
	expect_fatal("a reply to the agent", b, 16, true);
	hdr(b, WIRE_K_EVENT, MSG_EV_EXIT, 0, 0, 0);
	expect_fatal("an event to the agent", b, 16, true);
	hdr(b, WIRE_K_HELLO, 0, 0, 0, 0);
	expect_fatal("a second hello", b, 16, true);
	hdr(b, WIRE_K_REQUEST, MSG_OP_PS, 0, 1, 0);
	expect_fatal("no hello first", b, 16, false);
	/* A HELLO with no common version. */
	hdr(b, WIRE_K_HELLO, 0, 0, 0, 20);
	le_put16(b + 16, 1);
	le_put32(b + 18, 4);
	le_put32(b + 22, 2);
	le_put16(b + 26, 2);
	le_put32(b + 28, 4);
	le_put32(b + 32, 3);
	expect_fatal("hello v2..3", b, 36, false);
}

/* Send a request with a raw body; expect an ERROR with code. */
static void expect_error(struct agentc *c, uint16_t op, const uint8_t *body,
			 size_t len, int code)
{
	uint8_t b[256];
	uint32_t id = ++c->next_id;

	ASSERT(len <= sizeof(b) - 16);
	hdr(b, WIRE_K_REQUEST, op, 0, id, (uint32_t)len);
	if (len)
		memcpy(b + 16, body, len);
	agentc_write(c, b, 16 + len);
	ASSERT_EQ(agentc_wait_reply(c, id, NULL), code);
	ASSERT(c->error[0]);
	/* and the agent still serves */
	ASSERT_EQ(agentc_simple(c, MSG_OP_PS), 0);
}

TEST(agent_badinput_bad_requests_get_errors)
{
	/* tag 1 u32 7, then tag 1 again / tag 0x8001 (critical) */
	static const uint8_t dup[] = { 1, 0, 4, 0, 0, 0, 7, 0, 0, 0,
				       1, 0, 4, 0, 0, 0, 7, 0, 0, 0 };
	static const uint8_t order[] = { 2, 0, 4, 0, 0, 0, 9, 0, 0, 0,
					 1, 0, 4, 0, 0, 0, 7, 0, 0, 0 };
	static const uint8_t crit[] = { 1, 0, 4,    0, 0, 0, 7, 0, 0,
					0, 1, 0x80, 1, 0, 0, 0, 1 };
	static const uint8_t shortf[] = { 1, 0, 9, 0, 0, 0, 7, 0, 0, 0 };
	static const uint8_t signo0[] = { 1, 0, 4, 0, 0, 0, 7, 0, 0, 0,
					  2, 0, 4, 0, 0, 0, 0, 0, 0, 0 };
	struct agentc c;
	int status;

	if (geteuid() != 0)
		test_skip("needs root");
	agentc_start(&c, NULL);
	expect_error(&c, 200, NULL, 0, ENOSYS);
	/* Requests on a container before there is one. */
	expect_error(&c, MSG_OP_STATS, NULL, 0, ENOENT);
	expect_error(&c, MSG_OP_PAUSE, NULL, 0, ESRCH);
	expect_error(&c, MSG_OP_RESUME, NULL, 0, ESRCH);
	expect_error(&c, MSG_OP_WAIT, dup, sizeof(dup), EINVAL);
	expect_error(&c, MSG_OP_WAIT, order, sizeof(order), EINVAL);
	expect_error(&c, MSG_OP_WAIT, crit, sizeof(crit), EOPNOTSUPP);
	expect_error(&c, MSG_OP_WAIT, shortf, sizeof(shortf), EINVAL);
	expect_error(&c, MSG_OP_WAIT, NULL, 0, EINVAL);
	expect_error(&c, MSG_OP_SIGNAL, signo0, sizeof(signo0), EINVAL);
	/* Well-formed, but about nothing. */
	expect_error(&c, MSG_OP_WAIT, dup, 10, ESRCH);
	expect_error(&c, MSG_OP_START, NULL, 0, ENOENT);
	status = agentc_stop(&c);
	ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

struct bad_config {
	const char *name;
	const char *path; /* member to set (NULL: replace the document) */
	const char *json; /* its value */
	int code;
	const char *text; /* part of the error text */
};

static const struct bad_config bad_configs[] = {
	{ "not json", NULL, "{ \"ociVersion\": ", EINVAL, "config.json:" },
	{ "duplicate key", NULL, "{ \"a\": 1, \"a\": 2 }", EINVAL,
	  "duplicate" },
	{ "old version", "ociVersion", "\"0.9.0\"", EOPNOTSUPP, "ociVersion" },
	{ "no args", "process.args", "[]", EINVAL, "process.args" },
	{ "relative cwd", "process.cwd", "\"tmp\"", EINVAL, "process.cwd" },
	{ "user namespace without maps", "linux.namespaces",
	  "[ { \"type\": \"mount\" }, { \"type\": \"user\" } ]", EINVAL,
	  "user namespaces enabled, but no namespace path to join nor "
	  "mappings to apply specified" },
	{ "time namespace", "linux.namespaces",
	  "[ { \"type\": \"mount\" }, { \"type\": \"time\" } ]", EOPNOTSUPP,
	  "time namespaces are not supported" },
	{ "namespace path", "linux.namespaces",
	  "[ { \"type\": \"mount\" }, { \"type\": \"ipc\", "
	  "\"path\": \"/proc/1/ns/ipc\" } ]",
	  EOPNOTSUPP, "by path" },
	/* the network's is the guest's in a VM: not on a host */
	{ "network namespace path", "linux.namespaces",
	  "[ { \"type\": \"mount\" }, { \"type\": \"uts\" }, "
	  "{ \"type\": \"network\", \"path\": \"/proc/1/ns/net\" } ]",
	  EOPNOTSUPP, "outside a VM" },
	{ "no mount namespace", "linux.namespaces",
	  "[ { \"type\": \"pid\" }, { \"type\": \"uts\" } ]", EINVAL,
	  "mount namespace" },
	{ "unknown capability", "process.capabilities.bounding",
	  "[ \"CAP_FLY\" ]", EINVAL, "capabilities" },
	{ "unknown rlimit", "process.rlimits",
	  "[ { \"type\": \"RLIMIT_FLY\", \"soft\": 1, \"hard\": 1 } ]", EINVAL,
	  "rlimits" },
	{ "host sysctl", "linux.sysctl", "{ \"vm.swappiness\": \"1\" }",
	  EOPNOTSUPP, "sysctl" },
	{ "escaping root", "root.path", "\"../../etc\"", EINVAL, "root.path" },
	{ "missing rootfs", "root.path", "\"nothere\"", ENOENT, "create" },
	{ "unknown fs type", "mounts",
	  "[ { \"destination\": \"/x\", \"type\": \"nofs\", "
	  "\"source\": \"none\" } ]",
	  ENODEV, "mount /x" },
	{ "limits without cgroup2", "linux.resources",
	  "{ \"pids\": { \"limit\": 10 } }", EOPNOTSUPP, "cgroup" },
	{ "no such program", "process.args", "[ \"/bin/nothere\" ]", 0, NULL },
};

TEST_TIMEOUT(agent_badinput_impossible_configs, 120)
{
	static const char *const args[] = { "true", NULL };
	static const char *const sl[] = { "sleep", "100", NULL };
	const struct bad_config *b;
	struct agentc c;
	char dir[256], *cfg;
	json_t *j;
	size_t i;
	int r, status;

	if (geteuid() != 0)
		test_skip("needs root");
	rootfs_make(dir, sizeof(dir));
	agentc_start(&c, dir);
	for (i = 0; i < sizeof(bad_configs) / sizeof(bad_configs[0]); i++) {
		b = &bad_configs[i];
		if (b->path) {
			j = ociconf_base(args);
			ociconf_set(j, b->path, ociconf_parse(b->json));
			cfg = ociconf_dump(j);
		} else {
			cfg = strdup(b->json);
		}
		r = agentc_create(&c, "bad", ROOTFS_TAG, cfg, NULL, 0, 0, 0, 0,
				  0, NULL, NULL);
		free(cfg);
		if (!b->code) {
			/* created; the failing execve shows at START */
			ASSERT_EQ(r, 0);
			r = agentc_simple(&c, MSG_OP_START);
			if (r != ENOENT || !strstr(c.error, "/bin/nothere"))
				FAIL("%s: start gave %d (%s)", b->name, r,
				     c.error);
			continue;
		}
		if (r != b->code || !strstr(c.error, b->text))
			FAIL("%s: got %d (%s), want %d (... %s ...)", b->name,
			     r, c.error, b->code, b->text);
		test_diag("%s: %s", b->name, c.error);
		ASSERT_EQ(agentc_simple(&c, MSG_OP_PS), 0);
	}
	/* A container exists now (the one whose start failed). */
	cfg = ociconf_dump(ociconf_base(sl));
	ASSERT_EQ(agentc_create(&c, "again", ROOTFS_TAG, cfg, NULL, 0, 0, 0, 0,
				0, NULL, NULL),
		  EEXIST);
	free(cfg);
	status = agentc_stop(&c);
	rootfs_remove(dir);
	ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
