/*
 * test_msg.c: message bodies (src/proto/msg.c): the byte layout, a round
 * trip of every message type, and the decoder's refusals.
 */
#include "../harness/test.h"
#include "../../src/proto/msg.h"
#include "../../src/proto/netdesc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint8_t frame_buf[WIRE_FRAME_MAX];

/* Append one field to a body being built at b[*off]. */
static void tlv(uint8_t *b, size_t *off, uint16_t tag, const void *v,
		uint32_t n)
{
	le_put16(b + *off, tag);
	le_put32(b + *off + 2, n);
	if (n)
		memcpy(b + *off + MSG_FIELD_HDR, v, n);
	*off += MSG_FIELD_HDR + n;
}

static void tlv32(uint8_t *b, size_t *off, uint16_t tag, uint32_t v)
{
	uint8_t le[4];

	le_put32(le, v);
	tlv(b, off, tag, le, 4);
}

/* Frame body[0..len) as (kind, op, id) and decode it as a message. */
static int decode_body(uint8_t kind, uint16_t op, uint32_t id,
		       const uint8_t *body, size_t len, struct msg *m)
{
	struct wire_frame f = { kind, op, id, body, (uint32_t)len, 0 };
	int n = wire_frame_encode(frame_buf, sizeof(frame_buf), &f);

	if (n < 0)
		return n;
	if (wire_frame_decode(frame_buf, (size_t)n, &f) != n)
		return -100;
	return msg_decode(&f, m);
}

static int req(uint16_t op, const uint8_t *body, size_t len, struct msg *m)
{
	return decode_body(WIRE_K_REQUEST, op, 1, body, len, m);
}

/* Decode an EXEC of argv ["x"] and the field (tag, v[0..n)), built in b. */
static int exec_x(uint8_t *b, uint16_t tag, const void *v, uint32_t n,
		  struct msg *m)
{
	size_t off = 0;

	tlv(b, &off, 1, "x", 2);
	tlv(b, &off, tag, v, n);
	return req(MSG_OP_EXEC, b, off, m);
}

/* The same with a le32 value. */
static int exec_x32(uint8_t *b, uint16_t tag, uint32_t v, struct msg *m)
{
	uint8_t le[4];

	le_put32(le, v);
	return exec_x(b, tag, le, 4, m);
}

/* Encode m, decode the bytes back, and check nothing changed. */
static void round_trip(const struct msg *m)
{
	static uint8_t buf[WIRE_FRAME_MAX];
	struct wire_frame f;
	struct msg back;
	int n = msg_encode(buf, sizeof(buf), m);

	if (n < 0)
		FAIL("kind %d op %d: encode: %s", m->kind, m->op,
		     wire_strerror(n));
	ASSERT_EQ(wire_frame_decode(buf, (size_t)n, &f), n);
	ASSERT_EQ(msg_decode(&f, &back), 0);
	if (!msg_equal(m, &back))
		FAIL("kind %d op %d: decoded message differs", m->kind, m->op);
	/* An exact buffer is enough, one byte less is not. */
	ASSERT_EQ(msg_encode(buf, (size_t)n, m), n);
	ASSERT_EQ(msg_encode(buf, (size_t)n - 1, m), WIRE_ENOSPC);
}

static struct msg_str str(const char *s)
{
	struct msg_str v = { s, (uint32_t)strlen(s) };

	return v;
}

TEST(msg_byte_layout)
{
	static const uint8_t want[] = {
		'm',
		'w',
		1,
		WIRE_K_REQUEST,
		MSG_OP_SIGNAL,
		0,
		0,
		0, /* */
		0x2a,
		0,
		0,
		0,
		20,
		0,
		0,
		0, /* id 42, 20 bytes */
		1,
		0,
		4,
		0,
		0,
		0,
		7,
		0,
		0,
		0, /* proc 7 */
		2,
		0,
		4,
		0,
		0,
		0,
		15,
		0,
		0,
		0, /* signo 15 */
	};
	struct msg m = { WIRE_K_REQUEST, MSG_OP_SIGNAL, 42, { { 0 } } };
	uint8_t buf[64];

	m.u.signal.proc = 7;
	m.u.signal.signo = 15;
	ASSERT_EQ(msg_encode(buf, sizeof(buf), &m), sizeof(want));
	ASSERT(memcmp(buf, want, sizeof(want)) == 0);

	/* A string carries its NUL; an optional zero field is left out. */
	memset(&m, 0, sizeof(m));
	m.kind = WIRE_K_ERROR;
	m.op = 999; /* answering a request type we do not know */
	m.id = 3;
	m.u.error.code = ENOSYS;
	m.u.error.text = str("no");
	ASSERT_EQ(msg_encode(buf, sizeof(buf), &m), WIRE_HDR_LEN + 10 + 9);
	ASSERT(memcmp(buf + WIRE_HDR_LEN + 10, "\x02\x00\x03\x00\x00\x00no\0",
		      9) == 0);
}

TEST(msg_round_trip_every_type)
{
	static const char *const argv[] = { "/bin/sh", "-c", "", "echo hi" };
	static const char *const env[] = { "PATH=/bin", "EMPTY=", "A==b" };
	static const uint32_t gids[] = { 10, 0, 4294967294U };
	static const uint32_t pids[] = { 1, 7, 4194304 };
	static const uint8_t bpf[16] = { 6, 0, 0, 0, 0, 0, 0xff, 0x7f };
	char sbuf[256], ebuf[256];
	uint8_t gbuf[64], pbuf[64];
	struct msg m;
	uint16_t op;

	memset(&m, 0, sizeof(m));
	m.kind = WIRE_K_HELLO;
	m.u.hello.version_min = 1;
	m.u.hello.version_max = 1;
	m.u.hello.features = 0x8000000000000001ULL;
	m.u.hello.name = str("moat-agent 0.1");
	round_trip(&m);

	memset(&m, 0, sizeof(m));
	m.kind = WIRE_K_REQUEST;
	m.id = 0xffffffff;
	m.op = MSG_OP_CREATE;
	m.u.create.id = str("c0ffee_1.x-y");
	m.u.create.bundle = str("bundle");
	m.u.create.config.p = (const uint8_t *)"{\"ociVersion\":\"1.0.2\"}";
	m.u.create.config.len = 22;
	m.u.create.seccomp.p = bpf;
	m.u.create.seccomp.len = sizeof(bpf);
	m.u.create.stream_tty = 1;
	round_trip(&m);
	m.u.create.stream_tty = 0;
	m.u.create.stream_in = 1;
	m.u.create.stream_out = 2;
	m.u.create.stream_err = 3;
	round_trip(&m);
	m.u.create.net.p = (const uint8_t *)"\x01\x00"; /* NULs are bytes */
	m.u.create.net.len = 2;
	round_trip(&m);

	memset(&m.u, 0, sizeof(m.u));
	m.op = MSG_OP_EXEC;
	ASSERT(msg_strlist_pack(sbuf, sizeof(sbuf), argv, 4, &m.u.exec.argv) >
	       0);
	ASSERT(msg_strlist_pack(ebuf, sizeof(ebuf), env, 3, &m.u.exec.env) > 0);
	m.u.exec.cwd = str("/work dir");
	m.u.exec.uid = 1000;
	m.u.exec.gid = 4294967294U;
	ASSERT_EQ(msg_u32list_pack(gbuf, sizeof(gbuf), gids, 3, &m.u.exec.gids),
		  12);
	m.u.exec.stream_out = 5;
	round_trip(&m);
	m.u.exec.has_caps = true;
	m.u.exec.caps[0] = 1ULL << 21;
	m.u.exec.caps[4] = ~0ULL;
	m.u.exec.no_new_privs = MSG_NNP_OFF;
	round_trip(&m);
	m.u.exec.cgroup = str("sub/leaf");
	round_trip(&m);

	memset(&m.u, 0, sizeof(m.u));
	m.op = MSG_OP_SIGNAL;
	m.u.signal.all = true;
	m.u.signal.signo = MSG_SIGNAL_MAX;
	round_trip(&m);

	memset(&m.u, 0, sizeof(m.u));
	m.op = MSG_OP_RESIZE;
	m.u.resize.proc = 2;
	m.u.resize.rows = 0; /* required, so written although 0 */
	m.u.resize.cols = 65535;
	round_trip(&m);

	memset(&m.u, 0, sizeof(m.u));
	m.op = MSG_OP_UPDATE;
	m.u.update.resources.p = (const uint8_t *)"{}";
	m.u.update.resources.len = 2;
	round_trip(&m);

	memset(&m.u, 0, sizeof(m.u));
	m.u.target.proc = 9;
	m.op = MSG_OP_CLOSE_STDIN;
	round_trip(&m);
	m.op = MSG_OP_WAIT;
	round_trip(&m);

	memset(&m.u, 0, sizeof(m.u));
	for (op = MSG_OP_START; op <= MSG_OP_SHUTDOWN; op++) {
		if (op == MSG_OP_START || op == MSG_OP_PS ||
		    op == MSG_OP_STATS || op >= MSG_OP_PAUSE) {
			m.kind = WIRE_K_REQUEST;
			m.op = op;
			round_trip(&m);
		}
	}

	/* Replies. */
	m.kind = WIRE_K_REPLY;
	for (op = MSG_OP_CREATE; op <= MSG_OP_SHUTDOWN; op++) {
		memset(&m.u, 0, sizeof(m.u));
		m.op = op;
		if (op == MSG_OP_CREATE || op == MSG_OP_EXEC) {
			m.u.started.proc = op;
			m.u.started.pid = 4194304;
		} else if (op == MSG_OP_WAIT) {
			m.u.exit.proc = 1;
			m.u.exit.code = 255;
		} else if (op == MSG_OP_PS) {
			ASSERT_EQ(msg_u32list_pack(pbuf, sizeof(pbuf), pids, 3,
						   &m.u.ps.pids),
				  12);
		} else if (op == MSG_OP_STATS) {
			m.u.stats.cpu_ns = UINT64_MAX;
			m.u.stats.cpu_user_ns = 1;
			m.u.stats.mem_bytes = 1 << 20;
			m.u.stats.pids = 0;
			m.u.stats.pids_limit = 100;
		}
		round_trip(&m);
	}
	/* An empty pid list is still a present, required field. */
	memset(&m.u, 0, sizeof(m.u));
	m.op = MSG_OP_PS;
	round_trip(&m);
	/* ps(1)'s table, asked with its options, comes back as text. */
	{
		static const char *const opts[] = { "-e", "-o", "pid,comm" };
		static const char table[] = "  PID COMMAND\n    1 sleep\n";
		static char abuf[64];

		m.u.ps.table.p = (const uint8_t *)table;
		m.u.ps.table.len = sizeof(table) - 1;
		round_trip(&m);
		memset(&m.u, 0, sizeof(m.u));
		m.kind = WIRE_K_REQUEST;
		ASSERT(msg_strlist_pack(abuf, sizeof(abuf), opts, 3,
					&m.u.psreq.args) > 0);
		round_trip(&m);
		m.kind = WIRE_K_REPLY;
		memset(&m.u, 0, sizeof(m.u));
	}

	memset(&m.u, 0, sizeof(m.u));
	m.kind = WIRE_K_ERROR;
	m.op = MSG_OP_EXEC;
	m.u.error.code = ENOENT;
	m.u.error.text = str("");
	round_trip(&m);

	memset(&m, 0, sizeof(m));
	m.kind = WIRE_K_EVENT;
	m.op = MSG_EV_EXIT;
	m.u.exit.proc = 3;
	m.u.exit.signo = 9;
	round_trip(&m);
	memset(&m.u, 0, sizeof(m.u));
	m.op = MSG_EV_OOM;
	round_trip(&m);
	m.u.oom.proc = 3;
	round_trip(&m);
}

TEST(msg_unknown_types)
{
	struct msg m;
	uint8_t b[16];
	size_t off = 0;

	ASSERT_EQ(req(0x7777, NULL, 0, &m), WIRE_EOP);
	ASSERT_EQ(m.id, 1); /* known, to answer with an ERROR */
	ASSERT_EQ(msg_error_code(WIRE_EOP), ENOSYS);
	ASSERT_EQ(msg_error_code(WIRE_ECRITICAL), EOPNOTSUPP);
	ASSERT_EQ(msg_error_code(WIRE_EDUP), EINVAL);
	ASSERT_EQ(decode_body(WIRE_K_REPLY, 0x7777, 1, NULL, 0, &m), WIRE_EOP);
	ASSERT_EQ(decode_body(WIRE_K_EVENT, MSG_OP_CREATE, 0, NULL, 0, &m),
		  WIRE_EOP);
	ASSERT_EQ(decode_body(WIRE_K_EVENT, 66, 0, NULL, 0, &m), WIRE_EOP);
	/* An ERROR may answer any op. */
	tlv32(b, &off, 1, EPERM);
	ASSERT_EQ(decode_body(WIRE_K_ERROR, 0x7777, 5, b, off, &m), 0);
	ASSERT_EQ(m.u.error.code, EPERM);
	ASSERT(m.u.error.text.s == NULL);
	/* Stream frames carry no message. */
	ASSERT_EQ(decode_body(WIRE_K_DATA, 0, 5, b, 1, &m), WIRE_EKIND);
	memset(&m, 0, sizeof(m));
	m.kind = WIRE_K_EOF;
	m.id = 1;
	ASSERT_EQ(msg_encode(frame_buf, sizeof(frame_buf), &m), WIRE_EKIND);
}

TEST(msg_field_framing)
{
	uint8_t b[64];
	struct msg m;
	size_t off;

	/* Truncated field header, truncated value. */
	off = 0;
	tlv32(b, &off, 1, 5);
	ASSERT_EQ(req(MSG_OP_WAIT, b, 5, &m), WIRE_ESHORT);
	ASSERT_EQ(req(MSG_OP_WAIT, b, off - 1, &m), WIRE_ESHORT);
	ASSERT_EQ(req(MSG_OP_WAIT, b, off, &m), 0);
	ASSERT_EQ(m.u.target.proc, 5);
	/* A length that would wrap the offset. */
	le_put32(b + 2, 0xfffffffc);
	ASSERT_EQ(req(MSG_OP_WAIT, b, off, &m), WIRE_ESHORT);

	/* Tag 0, order, duplicates. */
	off = 0;
	tlv32(b, &off, 0, 5);
	ASSERT_EQ(req(MSG_OP_WAIT, b, off, &m), WIRE_EFIELD);
	off = 0;
	tlv32(b, &off, 1, 5);
	tlv32(b, &off, 1, 6);
	ASSERT_EQ(req(MSG_OP_WAIT, b, off, &m), WIRE_EDUP);
	off = 0;
	tlv32(b, &off, 2, 15);
	tlv32(b, &off, 1, 5);
	ASSERT_EQ(req(MSG_OP_SIGNAL, b, off, &m), WIRE_EORDER);

	/* Missing required field; unknown fields. */
	ASSERT_EQ(req(MSG_OP_WAIT, NULL, 0, &m), WIRE_EMISSING);
	off = 0;
	tlv32(b, &off, 1, 5);
	tlv(b, &off, 2, "future", 6);
	tlv(b, &off, 0x7fff, NULL, 0);
	ASSERT_EQ(req(MSG_OP_WAIT, b, off, &m), 0);
	ASSERT_EQ(m.u.target.proc, 5);
	tlv(b, &off, MSG_TAG_CRITICAL | 3, "x", 1);
	ASSERT_EQ(req(MSG_OP_WAIT, b, off, &m), WIRE_ECRITICAL);
	/* Fields against each other are checked after the last field. */
	off = 0;
	tlv32(b, &off, 2, 9);
	tlv(b, &off, 4, "?", 1);
	ASSERT_EQ(req(MSG_OP_SIGNAL, b, off, &m), WIRE_EINVAL); /* no proc */
	off = 0;
	tlv(b, &off, 1, "?", 1);
	ASSERT_EQ(req(MSG_OP_SIGNAL, b, off, &m), WIRE_EFIELD); /* u32 size */

	/* Bodies of empty messages may carry unknown optional fields. */
	ASSERT_EQ(req(MSG_OP_START, b, off, &m), 0);
}

TEST(msg_value_checks)
{
	static const uint8_t two = 2, one = 1;
	uint8_t b[256];
	struct msg m;
	size_t off;

	/* Integers: size and range. */
	off = 0;
	tlv(b, &off, 1, "\1\0\0\0\0\0\0", 7);
	ASSERT_EQ(req(MSG_OP_WAIT, b, off, &m), WIRE_EFIELD);
	off = 0;
	tlv32(b, &off, 1, 0);
	ASSERT_EQ(req(MSG_OP_WAIT, b, off, &m), WIRE_ERANGE);
	off = 0;
	tlv32(b, &off, 2, MSG_SIGNAL_MAX + 1);
	tlv(b, &off, 3, &one, 1);
	ASSERT_EQ(req(MSG_OP_SIGNAL, b, off, &m), WIRE_ERANGE);
	off = 0;
	tlv32(b, &off, 2, 9);
	tlv(b, &off, 3, &two, 1);
	ASSERT_EQ(req(MSG_OP_SIGNAL, b, off, &m), WIRE_ERANGE);
	off = 0;
	tlv32(b, &off, 1, 4);
	tlv32(b, &off, 2, 9);
	tlv(b, &off, 3, &one, 1);
	ASSERT_EQ(req(MSG_OP_SIGNAL, b, off, &m), WIRE_EINVAL); /* proc+all */
	off = 0;
	tlv32(b, &off, 1, 4);
	tlv32(b, &off, 2, 65536);
	tlv32(b, &off, 3, 80);
	ASSERT_EQ(req(MSG_OP_RESIZE, b, off, &m), WIRE_ERANGE);

	/* Exit: a code or a signal, not both. */
	off = 0;
	tlv32(b, &off, 1, 4);
	tlv32(b, &off, 2, 1);
	tlv32(b, &off, 3, 9);
	ASSERT_EQ(decode_body(WIRE_K_EVENT, MSG_EV_EXIT, 0, b, off, &m),
		  WIRE_EINVAL);
	off = 0;
	tlv32(b, &off, 1, 4);
	tlv32(b, &off, 2, 256);
	ASSERT_EQ(decode_body(WIRE_K_EVENT, MSG_EV_EXIT, 0, b, off, &m),
		  WIRE_ERANGE);

	/* Handshake: version_max below version_min. */
	off = 0;
	tlv32(b, &off, 1, 2);
	tlv32(b, &off, 2, 1);
	ASSERT_EQ(decode_body(WIRE_K_HELLO, 0, 0, b, off, &m), WIRE_EINVAL);

	/* Error codes are 1..4095. */
	off = 0;
	tlv32(b, &off, 1, 4096);
	ASSERT_EQ(decode_body(WIRE_K_ERROR, 1, 1, b, off, &m), WIRE_ERANGE);
}

/* A CREATE body with the given id, tag and config (NULs included). */
static int create(const char *id, size_t idn, const char *json, size_t jn,
		  struct msg *m)
{
	static uint8_t b[1024];
	size_t off = 0;

	tlv(b, &off, 1, id, (uint32_t)idn);
	tlv(b, &off, 2, "tag", 4);
	tlv(b, &off, 3, json, (uint32_t)jn);
	return req(MSG_OP_CREATE, b, off, m);
}

TEST(msg_strings)
{
	char big[MSG_ID_MAX + 2];
	struct msg m;

	ASSERT_EQ(create("abc", 4, "{}", 2, &m), 0);
	ASSERT_STREQ(m.u.create.id.s, "abc");
	ASSERT_EQ(m.u.create.id.len, 3);
	ASSERT_STREQ(m.u.create.bundle.s, "tag");
	ASSERT_EQ(m.u.create.config.len, 2);
	ASSERT_EQ(create("abc", 3, "{}", 2, &m), WIRE_ENUL); /* no NUL */
	ASSERT_EQ(create("a\0c", 4, "{}", 2, &m), WIRE_ENUL);
	ASSERT_EQ(create("", 0, "{}", 2, &m), WIRE_ENUL);
	ASSERT_EQ(create("", 1, "{}", 2, &m), WIRE_EFIELD); /* empty id */
	ASSERT_EQ(create("-ab", 4, "{}", 2, &m), WIRE_EFIELD);
	ASSERT_EQ(create("a/b", 4, "{}", 2, &m), WIRE_EFIELD);
	ASSERT_EQ(create("..", 3, "{}", 2, &m), WIRE_EFIELD);
	ASSERT_EQ(create("a b", 4, "{}", 2, &m), WIRE_EFIELD);
	memset(big, 'a', sizeof(big));
	big[MSG_ID_MAX] = '\0';
	ASSERT_EQ(create(big, MSG_ID_MAX + 1, "{}", 2, &m), 0);
	big[MSG_ID_MAX] = 'a';
	big[MSG_ID_MAX + 1] = '\0';
	ASSERT_EQ(create(big, MSG_ID_MAX + 2, "{}", 2, &m), WIRE_ELIMIT);
	/* The config blob: not empty, no NUL. */
	ASSERT_EQ(create("abc", 4, "", 0, &m), WIRE_EFIELD);
	ASSERT_EQ(create("abc", 4, "{\0}", 3, &m), WIRE_ENUL);
}

TEST(msg_create_rules)
{
	uint8_t b[256];
	struct msg m;
	size_t off, base;

	off = 0;
	tlv(b, &off, 1, "c", 2);
	tlv(b, &off, 2, "t", 2);
	tlv(b, &off, 3, "{}", 2);
	base = off;
	tlv(b, &off, 4, "12345678", 8);
	ASSERT_EQ(req(MSG_OP_CREATE, b, off, &m), 0);
	ASSERT_EQ(m.u.create.seccomp.len, 8);
	off = base;
	tlv(b, &off, 4, "1234567", 7);
	ASSERT_EQ(req(MSG_OP_CREATE, b, off, &m), WIRE_EFIELD);
	/* A terminal excludes pipes; streams are distinct. */
	off = base;
	tlv32(b, &off, 5, 1);
	tlv32(b, &off, 8, 2);
	ASSERT_EQ(req(MSG_OP_CREATE, b, off, &m), WIRE_EINVAL);
	off = base;
	tlv32(b, &off, 5, 1);
	tlv32(b, &off, 7, 1);
	ASSERT_EQ(req(MSG_OP_CREATE, b, off, &m), WIRE_EINVAL);
	off = base;
	tlv32(b, &off, 6, 2);
	tlv32(b, &off, 7, 3);
	ASSERT_EQ(req(MSG_OP_CREATE, b, off, &m), 0);
	ASSERT_EQ(m.u.create.stream_in, 0);
	ASSERT_EQ(m.u.create.stream_out, 2);
	/* Missing the config. */
	ASSERT_EQ(req(MSG_OP_CREATE, b, 16, &m), WIRE_EMISSING);
}

TEST(msg_create_net)
{
	static uint8_t b[MSG_NET_MAX + 256];
	static char big[MSG_NET_MAX + 1];
	static struct netdesc nd;
	struct msg m;
	size_t off, base;

	off = 0;
	tlv(b, &off, 1, "c", 2);
	tlv(b, &off, 2, "t", 2);
	tlv(b, &off, 3, "{}", 2);
	base = off;
	/* Absent: no NIC. */
	ASSERT_EQ(req(MSG_OP_CREATE, b, off, &m), 0);
	ASSERT(m.u.create.net.p == NULL);
	ASSERT_EQ(m.u.create.net.len, 0);
	tlv(b, &off, 9, "\x01\x00", 2); /* v1, no interface */
	ASSERT_EQ(req(MSG_OP_CREATE, b, off, &m), 0);
	ASSERT_EQ(m.u.create.net.len, 2);
	ASSERT(!memcmp(m.u.create.net.p, "\x01\x00", 2));
	ASSERT_EQ(netdesc_decode(m.u.create.net.p, m.u.create.net.len, &nd), 0);
	/* A blob: a NUL is a byte as any other, and a malformed description
	 * gets through the message's codec to be refused by its own. */
	off = base;
	tlv(b, &off, 9, "[\0]", 3);
	ASSERT_EQ(req(MSG_OP_CREATE, b, off, &m), 0);
	ASSERT_EQ(m.u.create.net.len, 3);
	ASSERT_EQ(netdesc_decode(m.u.create.net.p, m.u.create.net.len, &nd),
		  NETDESC_ELIST);
	/* Up to MSG_NET_MAX bytes. */
	memset(big, ' ', sizeof(big));
	off = base;
	tlv(b, &off, 9, big, MSG_NET_MAX);
	ASSERT_EQ(req(MSG_OP_CREATE, b, off, &m), 0);
	ASSERT_EQ(m.u.create.net.len, MSG_NET_MAX);
	off = base;
	tlv(b, &off, 9, big, MSG_NET_MAX + 1);
	ASSERT_EQ(req(MSG_OP_CREATE, b, off, &m), WIRE_ELIMIT);
	/* After the streams, in tag order. */
	off = base;
	tlv32(b, &off, 8, 1);
	tlv(b, &off, 9, "\x01\x00", 2);
	ASSERT_EQ(req(MSG_OP_CREATE, b, off, &m), 0);
	ASSERT_EQ(m.u.create.stream_tty, 1);
}

TEST(msg_exec_lists)
{
	static const char *const bad_env[] = { "NOEQUALS", "=x", "" };
	static uint8_t b[WIRE_BODY_MAX];
	static char list[WIRE_BODY_MAX];
	const char *v[8];
	struct msg_str e;
	struct msg m;
	uint32_t it;
	size_t off, i;

	off = 0;
	tlv(b, &off, 1, "ls\0-l\0\0", 7);
	tlv(b, &off, 2, "A=1\0B=\0", 7);
	tlv(b, &off, 3, "/", 2);
	tlv(b, &off, 6, "\1\0\0\0\2\0\0\0", 8);
	ASSERT_EQ(req(MSG_OP_EXEC, b, off, &m), 0);
	ASSERT_EQ(m.u.exec.argv.count, 3);
	ASSERT_EQ(m.u.exec.env.count, 2);
	ASSERT_EQ(msg_strlist_vec(&m.u.exec.argv, v, 4), 3);
	ASSERT_STREQ(v[0], "ls");
	ASSERT_STREQ(v[1], "-l");
	ASSERT_STREQ(v[2], "");
	ASSERT(v[3] == NULL);
	ASSERT_EQ(msg_strlist_vec(&m.u.exec.argv, v, 3), WIRE_ENOSPC);
	it = 0;
	ASSERT_EQ(msg_strlist_next(&m.u.exec.env, &it, &e), 1);
	ASSERT_STREQ(e.s, "A=1");
	ASSERT_EQ(msg_strlist_next(&m.u.exec.env, &it, &e), 1);
	ASSERT_EQ(e.len, 2);
	ASSERT_EQ(msg_strlist_next(&m.u.exec.env, &it, &e), 0);
	ASSERT_EQ(m.u.exec.gids.count, 2);
	ASSERT_EQ(msg_u32list_get(&m.u.exec.gids, 1), 2);
	ASSERT_STREQ(m.u.exec.cwd.s, "/");

	/* cgroup: a path under the container's group, nothing else */
	ASSERT_EQ(exec_x(b, 18, "a/b.c\0", 6, &m), 0);
	ASSERT_STREQ(m.u.exec.cgroup.s, "a/b.c");
	ASSERT_EQ(exec_x(b, 18, "..\0", 3, &m), WIRE_EINVAL);
	ASSERT_EQ(exec_x(b, 18, "a/../b\0", 7, &m), WIRE_EINVAL);
	ASSERT_EQ(exec_x(b, 18, "/a\0", 3, &m), WIRE_EINVAL);
	ASSERT_EQ(exec_x(b, 18, "a//b\0", 5, &m), WIRE_EINVAL);
	ASSERT_EQ(exec_x(b, 18, "a b\0", 4, &m), WIRE_EINVAL);
	ASSERT_EQ(exec_x(b, 18, "\0", 1, &m), WIRE_EFIELD);
	ASSERT(msg_cgroup_path_ok("..x/.y", 6));
	ASSERT(!msg_cgroup_path_ok("a/.", 3));

	/* argv: required, not empty, NUL-terminated, within limits. */
	off = 0;
	tlv(b, &off, 1, "", 0);
	ASSERT_EQ(req(MSG_OP_EXEC, b, off, &m), WIRE_EFIELD);
	off = 0;
	tlv(b, &off, 1, "ls", 2);
	ASSERT_EQ(req(MSG_OP_EXEC, b, off, &m), WIRE_ENUL);
	ASSERT_EQ(req(MSG_OP_EXEC, NULL, 0, &m), WIRE_EMISSING);
	memset(list, 0, MSG_ARGV_MAX + 1);
	off = 0;
	tlv(b, &off, 1, list, MSG_ARGV_MAX);
	ASSERT_EQ(req(MSG_OP_EXEC, b, off, &m), 0);
	ASSERT_EQ(m.u.exec.argv.count, MSG_ARGV_MAX);
	off = 0;
	tlv(b, &off, 1, list, MSG_ARGV_MAX + 1);
	ASSERT_EQ(req(MSG_OP_EXEC, b, off, &m), WIRE_ELIMIT);
	memset(list, 'x', MSG_ARG_MAX + 1);
	list[MSG_ARG_MAX] = '\0';
	off = 0;
	tlv(b, &off, 1, list, MSG_ARG_MAX + 1);
	ASSERT_EQ(req(MSG_OP_EXEC, b, off, &m), 0);
	list[MSG_ARG_MAX] = 'x';
	list[MSG_ARG_MAX + 1] = '\0';
	off = 0;
	tlv(b, &off, 1, list, MSG_ARG_MAX + 2);
	ASSERT_EQ(req(MSG_OP_EXEC, b, off, &m), WIRE_ELIMIT);

	/* env entries are KEY=VALUE with a KEY. */
	for (i = 0; i < 3; i++)
		ASSERT_EQ(exec_x(b, 2, bad_env[i],
				 (uint32_t)strlen(bad_env[i]) + 1, &m),
			  WIRE_EFIELD);

	/* Capability sets only with has_caps; no_new_privs 0..2. */
	ASSERT_EQ(exec_x(b, 13, "\x20\0\0\0\0\0\0\0", 8, &m), WIRE_EINVAL);
	off = 0;
	tlv(b, &off, 1, "x", 2);
	tlv(b, &off, 11, "\1", 1);
	tlv(b, &off, 13, "\x20\0\0\0\0\0\0\0", 8);
	ASSERT_EQ(req(MSG_OP_EXEC, b, off, &m), 0);
	ASSERT(m.u.exec.has_caps);
	ASSERT_EQ(m.u.exec.caps[1], 0x20);
	ASSERT_EQ(m.u.exec.no_new_privs, MSG_NNP_CONTAINER);
	tlv32(b, &off, 17, MSG_NNP_ON);
	ASSERT_EQ(req(MSG_OP_EXEC, b, off, &m), 0);
	ASSERT_EQ(m.u.exec.no_new_privs, MSG_NNP_ON);
	ASSERT_EQ(exec_x32(b, 17, MSG_NNP_ON + 1, &m), WIRE_ERANGE);

	/* cwd absolute; uid not (uid_t)-1; gids whole and bounded. */
	ASSERT_EQ(exec_x(b, 3, "rel", 4, &m), WIRE_EFIELD);
	ASSERT_EQ(exec_x32(b, 4, 0xffffffff, &m), WIRE_ERANGE);
	ASSERT_EQ(exec_x(b, 6, "\1\0\0", 3, &m), WIRE_EFIELD);
	memset(list, 0, (MSG_GIDS_MAX + 1) * 4);
	ASSERT_EQ(exec_x(b, 6, list, MSG_GIDS_MAX * 4, &m), 0);
	ASSERT_EQ(exec_x(b, 6, list, (MSG_GIDS_MAX + 1) * 4, &m), WIRE_ELIMIT);
}

TEST(msg_encoder_checks)
{
	static char big[MSG_ARG_MAX + 1], bigenv[MSG_ARG_MAX + 1];
	static const char *v[9];
	static char packed[WIRE_BODY_MAX + MSG_ARG_MAX + 16];
	static char envbuf[MSG_ARG_MAX + 1];
	static const char *const one[] = { "x" };
	const char *ev[1] = { bigenv };
	char sbuf[16];
	struct msg m;
	int i;

	memset(&m, 0, sizeof(m));
	m.kind = WIRE_K_REQUEST;
	m.op = MSG_OP_CREATE;
	m.id = 1;
	m.u.create.bundle = str("t");
	m.u.create.config.p = (const uint8_t *)"{}";
	m.u.create.config.len = 2;
	ASSERT_EQ(msg_encode(frame_buf, sizeof(frame_buf), &m), WIRE_EMISSING);
	m.u.create.id = str("bad id");
	ASSERT_EQ(msg_encode(frame_buf, sizeof(frame_buf), &m), WIRE_EFIELD);
	m.u.create.id = str("ok");
	m.u.create.stream_in = m.u.create.stream_tty = 1;
	ASSERT_EQ(msg_encode(frame_buf, sizeof(frame_buf), &m), WIRE_EINVAL);
	m.u.create.stream_in = 0;
	m.id = 0;
	ASSERT_EQ(msg_encode(frame_buf, sizeof(frame_buf), &m), WIRE_EHEADER);
	m.id = 1;
	ASSERT(msg_encode(frame_buf, sizeof(frame_buf), &m) > 0);
	ASSERT_EQ(msg_encode(frame_buf, 3, &m), WIRE_ENOSPC);

	/* A list whose count does not match its bytes. */
	memset(&m.u, 0, sizeof(m.u));
	m.op = MSG_OP_EXEC;
	ASSERT_EQ(msg_strlist_pack(sbuf, sizeof(sbuf), one, 1, &m.u.exec.argv),
		  2);
	ASSERT(msg_encode(frame_buf, sizeof(frame_buf), &m) > 0);
	m.u.exec.argv.count = 2;
	ASSERT_EQ(msg_encode(frame_buf, sizeof(frame_buf), &m), WIRE_EINVAL);
	m.u.exec.argv.count = 0;
	ASSERT_EQ(msg_encode(frame_buf, sizeof(frame_buf), &m), WIRE_EFIELD);

	/* Only an exec with argv: the body is that one field. */
	ASSERT_EQ(msg_strlist_pack(sbuf, sizeof(sbuf), one, 1, &m.u.exec.argv),
		  2);
	ASSERT_EQ(msg_encode(frame_buf, sizeof(frame_buf), &m),
		  WIRE_HDR_LEN + MSG_FIELD_HDR + 2);

	/* A body over WIRE_BODY_MAX, whatever the buffer. */
	memset(big, 'a', MSG_ARG_MAX);
	for (i = 0; i < 9; i++)
		v[i] = big;
	ASSERT_EQ(
		msg_strlist_pack(packed, sizeof(packed), v, 9, &m.u.exec.argv),
		WIRE_ETOOBIG);
	ASSERT_EQ(
		msg_strlist_pack(packed, sizeof(packed), v, 8, &m.u.exec.argv),
		WIRE_BODY_MAX);
	ASSERT_EQ(msg_encode(frame_buf, sizeof(frame_buf), &m), WIRE_ETOOBIG);
	ASSERT_EQ(
		msg_strlist_pack(packed, sizeof(packed), v, 7, &m.u.exec.argv),
		7 * (MSG_ARG_MAX + 1));
	ASSERT(msg_encode(frame_buf, sizeof(frame_buf), &m) > 0);
	memset(bigenv, 'e', MSG_ARG_MAX);
	bigenv[1] = '=';
	ASSERT_EQ(
		msg_strlist_pack(envbuf, sizeof(envbuf), ev, 1, &m.u.exec.env),
		MSG_ARG_MAX + 1);
	ASSERT_EQ(msg_encode(frame_buf, sizeof(frame_buf), &m), WIRE_ETOOBIG);
	ASSERT_EQ(msg_strlist_pack(sbuf, 1, one, 1, &m.u.exec.argv),
		  WIRE_ENOSPC);

	/* Lists point somewhere when they hold something. */
	memset(&m.u, 0, sizeof(m.u));
	m.kind = WIRE_K_REPLY;
	m.op = MSG_OP_PS;
	m.u.ps.pids.count = 1;
	ASSERT_EQ(msg_encode(frame_buf, sizeof(frame_buf), &m), WIRE_EINVAL);
	m.u.ps.pids.count = MSG_PIDS_MAX + 1;
	ASSERT_EQ(msg_encode(frame_buf, sizeof(frame_buf), &m), WIRE_ELIMIT);
	m.u.ps.pids.count = 0;
	m.u.ps.table.p = frame_buf;
	m.u.ps.table.len = MSG_TABLE_MAX + 1;
	ASSERT_EQ(msg_encode(frame_buf, sizeof(frame_buf), &m), WIRE_ELIMIT);
	memset(&m.u, 0, sizeof(m.u));
	m.kind = WIRE_K_REQUEST;
	m.u.psreq.args.p = "-e";
	m.u.psreq.args.size = 3;
	m.u.psreq.args.count = MSG_PSARGS_MAX + 1;
	ASSERT(msg_encode(frame_buf, sizeof(frame_buf), &m) < 0);
}

TEST(msg_handshake)
{
	struct msg_hello a = { 1, 3, 0x5, { NULL, 0 } };
	struct msg_hello b = { 2, 5, 0x6, { NULL, 0 } };
	uint32_t v = 0;
	uint64_t feat = 0;

	ASSERT_EQ(msg_hello_negotiate(&a, &b, &v, &feat), 0);
	ASSERT_EQ(v, 3);
	ASSERT_EQ(feat, 0x4);
	ASSERT_EQ(msg_hello_negotiate(&b, &a, &v, &feat), 0);
	ASSERT_EQ(v, 3);
	b.version_min = 4;
	ASSERT_EQ(msg_hello_negotiate(&a, &b, &v, &feat), WIRE_EVERSION);
}

TEST(msg_u32list_helpers)
{
	static const uint32_t v[] = { 0x01020304, 0xffffffff };
	struct msg_u32list l;
	uint8_t buf[8];

	ASSERT_EQ(msg_u32list_pack(buf, sizeof(buf), v, 2, &l), 8);
	ASSERT_EQ(buf[0], 4);
	ASSERT_EQ(buf[3], 1);
	ASSERT_EQ(msg_u32list_get(&l, 0), 0x01020304);
	ASSERT_EQ(msg_u32list_get(&l, 1), 0xffffffff);
	ASSERT_EQ(msg_u32list_get(&l, 2), 0);
	ASSERT_EQ(msg_u32list_pack(buf, 7, v, 2, &l), WIRE_ENOSPC);
	ASSERT_EQ(msg_u32list_pack(buf, sizeof(buf), v, 0xffffffff, &l),
		  WIRE_ETOOBIG);
}
