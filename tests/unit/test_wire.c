/*
 * test_wire.c: frame headers, the streaming scanner, the stream frames and
 * the flow-control accounting (src/proto/wire.c).
 */
#include "../harness/test.h"
#include "../../src/proto/wire.h"

#include <string.h>

/* A header with the given fields (magic and version right). */
static void hdr(uint8_t *p, uint8_t kind, uint16_t op, uint32_t id,
		uint32_t len)
{
	p[0] = WIRE_MAGIC0;
	p[1] = WIRE_MAGIC1;
	p[2] = WIRE_VERSION;
	p[3] = kind;
	le_put16(p + 4, op);
	le_put16(p + 6, 0);
	le_put32(p + 8, id);
	le_put32(p + 12, len);
}

static int scan(const uint8_t *p, size_t len)
{
	size_t need = 0;

	return wire_frame_scan(p, len, &need);
}

TEST(wire_header_layout)
{
	static const uint8_t want[] = {
		'm', 'w', 1, WIRE_K_CREDIT, 0,	  0, 0, 0, 5, 0, 0, 0, 4,
		0,   0,	  0, 0x00,	    0x10, 0, 0
	};
	uint8_t buf[32];

	ASSERT_EQ(wire_credit_encode(buf, sizeof(buf), 5, 4096), 20);
	ASSERT(memcmp(buf, want, sizeof(want)) == 0);
}

TEST(wire_scan_incremental)
{
	uint8_t buf[64];
	size_t need, i;
	int n;

	n = wire_data_encode(buf, sizeof(buf), 7, "hello", 5);
	ASSERT_EQ(n, WIRE_HDR_LEN + 5);
	for (i = 0; i < (size_t)n; i++) {
		need = 0;
		ASSERT_EQ(wire_frame_scan(buf, i, &need), 0);
		ASSERT_EQ(need, i < WIRE_HDR_LEN ? WIRE_HDR_LEN - i : n - i);
	}
	ASSERT_EQ(wire_frame_scan(buf, (size_t)n, &need), n);
	/* A second frame behind the first does not change the answer. */
	ASSERT_EQ(wire_eof_encode(buf + n, sizeof(buf) - (size_t)n, 7),
		  WIRE_HDR_LEN);
	ASSERT_EQ(wire_frame_scan(buf, (size_t)n + WIRE_HDR_LEN, &need), n);
	ASSERT_EQ(wire_frame_scan(buf + n, WIRE_HDR_LEN, &need), WIRE_HDR_LEN);
}

TEST(wire_scan_rejects_early)
{
	uint8_t b[WIRE_HDR_LEN];

	hdr(b, WIRE_K_DATA, 0, 1, 1);
	b[0] = 'x';
	ASSERT_EQ(scan(b, 1), WIRE_EMAGIC);
	b[0] = 'm';
	b[1] = 'x';
	ASSERT_EQ(scan(b, 2), WIRE_EMAGIC);
	b[1] = 'w';
	b[2] = 2;
	ASSERT_EQ(scan(b, 3), WIRE_EVERSION);
	b[2] = 1;
	b[3] = 0;
	ASSERT_EQ(scan(b, 4), WIRE_EKIND);
	b[3] = WIRE_K_MAX + 1;
	ASSERT_EQ(scan(b, 4), WIRE_EKIND);
	b[3] = WIRE_K_DATA;
	ASSERT_EQ(scan(b, 15), 0);
	/* A body over the limit fails on the header alone. */
	hdr(b, WIRE_K_REQUEST, 1, 1, WIRE_BODY_MAX + 1);
	ASSERT_EQ(scan(b, WIRE_HDR_LEN), WIRE_ETOOBIG);
	hdr(b, WIRE_K_REQUEST, 1, 1, 0xffffffff);
	ASSERT_EQ(scan(b, WIRE_HDR_LEN), WIRE_ETOOBIG);
	hdr(b, WIRE_K_DATA, 0, 1, WIRE_DATA_MAX + 1);
	ASSERT_EQ(scan(b, WIRE_HDR_LEN), WIRE_ETOOBIG);
	hdr(b, WIRE_K_REQUEST, 1, 1, WIRE_BODY_MAX);
	ASSERT_EQ(scan(b, WIRE_HDR_LEN), 0);
}

TEST(wire_kind_rules)
{
	static const struct {
		uint8_t kind;
		uint16_t op;
		uint32_t id, len;
		int want;
	} cases[] = {
		{ WIRE_K_HELLO, 0, 0, 0, 0 },
		{ WIRE_K_HELLO, 1, 0, 0, WIRE_EHEADER },
		{ WIRE_K_HELLO, 0, 1, 0, WIRE_EHEADER },
		{ WIRE_K_REQUEST, 1, 1, 0, 0 },
		{ WIRE_K_REQUEST, 0, 1, 0, WIRE_EHEADER },
		{ WIRE_K_REQUEST, 1, 0, 0, WIRE_EHEADER },
		{ WIRE_K_REPLY, 1, 0, 0, WIRE_EHEADER },
		{ WIRE_K_ERROR, 0, 9, 0, WIRE_EHEADER },
		{ WIRE_K_EVENT, 64, 0, 0, 0 },
		{ WIRE_K_EVENT, 64, 3, 0, WIRE_EHEADER },
		{ WIRE_K_DATA, 0, 3, 1, 0 },
		{ WIRE_K_DATA, 0, 3, 0, WIRE_EHEADER },
		{ WIRE_K_DATA, 0, 0, 1, WIRE_EHEADER },
		{ WIRE_K_DATA, 2, 3, 1, WIRE_EHEADER },
		{ WIRE_K_CREDIT, 0, 3, 4, 0 },
		{ WIRE_K_CREDIT, 0, 3, 3, WIRE_EHEADER },
		{ WIRE_K_CREDIT, 0, 3, 5, WIRE_ETOOBIG },
		{ WIRE_K_EOF, 0, 3, 0, 0 },
		{ WIRE_K_EOF, 0, 3, 1, WIRE_ETOOBIG },
		{ WIRE_K_EOF, 0, 0, 0, WIRE_EHEADER },
	};
	uint8_t b[WIRE_HDR_LEN];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wire_frame f = { cases[i].kind, cases[i].op,
					cases[i].id,   NULL,
					cases[i].len,  0 };
		int r;

		hdr(b, f.kind, f.op, f.id, f.len);
		r = scan(b, sizeof(b));
		if ((r < 0 ? r : 0) != cases[i].want)
			FAIL("case %zu: scan %d, want %d", i, r, cases[i].want);
		/* The encoder applies the same rules. */
		r = wire_header_encode(b, &f);
		if (r != (cases[i].want ? cases[i].want : WIRE_HDR_LEN))
			FAIL("case %zu: encode %d", i, r);
	}
	/* Flags are reserved. */
	hdr(b, WIRE_K_EOF, 0, 3, 0);
	b[7] = 0x80;
	ASSERT_EQ(scan(b, sizeof(b)), WIRE_EHEADER);
}

TEST(wire_decode_frames)
{
	uint8_t buf[128];
	struct wire_frame f;
	int n;

	n = wire_data_encode(buf, sizeof(buf), 9, "abc", 3);
	ASSERT_EQ(wire_frame_decode(buf, sizeof(buf), &f), n);
	ASSERT_EQ(f.kind, WIRE_K_DATA);
	ASSERT_EQ(f.id, 9);
	ASSERT_EQ(f.len, 3);
	ASSERT(f.body == buf + WIRE_HDR_LEN);
	ASSERT_EQ(wire_frame_decode(buf, (size_t)n - 1, &f), WIRE_ESHORT);
	ASSERT_EQ(wire_frame_decode(buf, 0, &f), WIRE_ESHORT);

	n = wire_credit_encode(buf, sizeof(buf), 2, WIRE_WINDOW_MAX);
	ASSERT_EQ(wire_frame_decode(buf, (size_t)n, &f), n);
	ASSERT_EQ(f.grant, WIRE_WINDOW_MAX);
	le_put32(buf + WIRE_HDR_LEN, 0);
	ASSERT_EQ(wire_frame_decode(buf, (size_t)n, &f), WIRE_ERANGE);
	le_put32(buf + WIRE_HDR_LEN, WIRE_WINDOW_MAX + 1);
	ASSERT_EQ(wire_frame_decode(buf, (size_t)n, &f), WIRE_ERANGE);

	n = wire_eof_encode(buf, sizeof(buf), 4);
	ASSERT_EQ(wire_frame_decode(buf, (size_t)n, &f), WIRE_HDR_LEN);
	ASSERT_EQ(f.kind, WIRE_K_EOF);
	ASSERT_EQ(f.len, 0);
}

/* wire_frames_consume's callbacks: record each frame, stop after max. */
struct consumed {
	unsigned n, max;
	uint32_t ids[8];
	char bodies[8][8];
};

static void consumed_frame(void *ctx, const struct wire_frame *f)
{
	struct consumed *c = ctx;

	c->ids[c->n] = f->id;
	memcpy(c->bodies[c->n], f->body, f->len < 7 ? f->len : 7);
	c->n++;
}

static bool consumed_more(void *ctx)
{
	const struct consumed *c = ctx;

	return c->n < c->max;
}

TEST(wire_frames_consume_hands_on_whole_frames)
{
	uint8_t buf[256], tmp[64];
	struct consumed c = { .max = 8 };
	size_t len = 0, whole;
	int n;

	len += (size_t)wire_data_encode(buf + len, sizeof(buf) - len, 1, "ab",
					2);
	len += (size_t)wire_eof_encode(buf + len, sizeof(buf) - len, 2);
	len += (size_t)wire_data_encode(buf + len, sizeof(buf) - len, 3, "xyz",
					3);
	whole = len;
	/* and the first 5 bytes of a fourth */
	wire_data_encode(buf + len, sizeof(buf) - len, 4, "q", 1);
	len = whole + 5;
	ASSERT_EQ(wire_frames_consume(buf, &len, consumed_frame, consumed_more,
				      &c),
		  0);
	ASSERT_EQ(c.n, 3);
	ASSERT_EQ(c.ids[0], 1);
	ASSERT_EQ(c.ids[1], 2);
	ASSERT_EQ(c.ids[2], 3);
	ASSERT_STREQ(c.bodies[2], "xyz");
	/* The partial frame moved to the front, whole once the rest comes. */
	ASSERT_EQ(len, 5);
	n = wire_data_encode(tmp, sizeof(tmp), 4, "q", 1);
	ASSERT(memcmp(buf, tmp, 5) == 0);
	memcpy(buf + 5, tmp + 5, (size_t)n - 5);
	len = (size_t)n;
	ASSERT_EQ(wire_frames_consume(buf, &len, consumed_frame, consumed_more,
				      &c),
		  0);
	ASSERT_EQ(c.n, 4);
	ASSERT_EQ(c.ids[3], 4);
	ASSERT_EQ(len, 0);
}

TEST(wire_frames_consume_stops_when_asked_and_at_bad_input)
{
	uint8_t buf[256];
	struct consumed c = { .max = 1 };
	size_t len = 0, first;

	first = (size_t)wire_eof_encode(buf, sizeof(buf), 7);
	len = first;
	len += (size_t)wire_eof_encode(buf + len, sizeof(buf) - len, 8);
	/* more() holds the second frame back, in the buffer. */
	ASSERT_EQ(wire_frames_consume(buf, &len, consumed_frame, consumed_more,
				      &c),
		  0);
	ASSERT_EQ(c.n, 1);
	ASSERT_EQ(len, first);
	/* A bad header after a good frame: the good one is handed on, the
	 * error returned, the bad bytes left. */
	c.max = 8;
	memcpy(buf + len, "garbage-garbage!", 16);
	len += 16;
	ASSERT_EQ(wire_frames_consume(buf, &len, consumed_frame, consumed_more,
				      &c),
		  WIRE_EMAGIC);
	ASSERT_EQ(c.n, 2);
	ASSERT_EQ(c.ids[1], 8);
	ASSERT_EQ(len, 16);
}

TEST(wire_encode_errors)
{
	static uint8_t big[WIRE_DATA_MAX + 1];
	uint8_t buf[WIRE_HDR_LEN + 4];

	ASSERT_EQ(wire_data_encode(buf, sizeof(buf), 1, "12345", 5),
		  WIRE_ENOSPC);
	ASSERT_EQ(wire_data_encode(buf, sizeof(buf), 1, "1234", 4),
		  WIRE_HDR_LEN + 4);
	ASSERT_EQ(wire_data_encode(buf, sizeof(buf), 1, big, sizeof(big)),
		  WIRE_ETOOBIG);
	ASSERT_EQ(wire_data_encode(buf, sizeof(buf), 1, "", 0), WIRE_EHEADER);
	ASSERT_EQ(wire_data_encode(buf, sizeof(buf), 0, "x", 1), WIRE_EHEADER);
	ASSERT_EQ(wire_credit_encode(buf, sizeof(buf), 1, 0), WIRE_ERANGE);
	ASSERT_EQ(wire_credit_encode(buf, sizeof(buf), 1, WIRE_WINDOW_MAX + 1),
		  WIRE_ERANGE);
	ASSERT_EQ(wire_eof_encode(buf, WIRE_HDR_LEN - 1, 1), WIRE_ENOSPC);
}

TEST(wire_strerror_covers_codes)
{
	int e;

	for (e = WIRE_ESHORT; e >= WIRE_ESTREAM; e--)
		ASSERT(strcmp(wire_strerror(e), "unknown error") != 0);
	ASSERT_STREQ(wire_strerror(0), "unknown error");
	ASSERT_STREQ(wire_strerror(WIRE_ESTREAM - 1), "unknown error");
	ASSERT_STREQ(wire_strerror(-2147483647 - 1), "unknown error");
}

TEST(wire_credit_sender)
{
	struct wire_credit c;

	wire_credit_init(&c, 0);
	ASSERT_EQ(wire_credit_sendable(&c, 100), 0);
	ASSERT_EQ(wire_credit_use(&c, 1), WIRE_ECREDIT);
	ASSERT_EQ(wire_credit_add(&c, 0), WIRE_ERANGE);
	ASSERT_EQ(wire_credit_add(&c, 100), 0);
	ASSERT_EQ(wire_credit_sendable(&c, 1000), 100);
	ASSERT_EQ(wire_credit_sendable(&c, 30), 30);
	ASSERT_EQ(wire_credit_use(&c, 30), 0);
	ASSERT_EQ(wire_credit_use(&c, 71), WIRE_ECREDIT);
	ASSERT_EQ(wire_credit_use(&c, 0), WIRE_ECREDIT);
	ASSERT_EQ(wire_credit_use(&c, 70), 0);
	ASSERT_EQ(c.avail, 0);
	/* One DATA frame carries at most WIRE_DATA_MAX. */
	ASSERT_EQ(wire_credit_add(&c, WIRE_WINDOW_MAX), 0);
	ASSERT_EQ(wire_credit_sendable(&c, (size_t)-1), WIRE_DATA_MAX);
	ASSERT_EQ(wire_credit_use(&c, WIRE_DATA_MAX + 1), WIRE_ECREDIT);
	/* A peer may not push avail past the maximum window. */
	ASSERT_EQ(wire_credit_add(&c, 1), WIRE_ECREDIT);
	ASSERT_EQ(wire_credit_add(&c, 0xffffffff), WIRE_ECREDIT);
	ASSERT_EQ(c.avail, WIRE_WINDOW_MAX);
	ASSERT_EQ(wire_credit_eof(&c), 0);
	ASSERT_EQ(wire_credit_sendable(&c, 10), 0);
	ASSERT_EQ(wire_credit_use(&c, 1), WIRE_ESTREAM);
	ASSERT_EQ(wire_credit_eof(&c), WIRE_ESTREAM);
	ASSERT_EQ(wire_credit_add(&c, 5), WIRE_ECREDIT); /* still bounded */
}

TEST(wire_credit_receiver)
{
	struct wire_credit c;

	wire_credit_init(&c, 1000);
	ASSERT_EQ(wire_credit_recv(&c, 1), WIRE_ECREDIT); /* nothing granted */
	ASSERT_EQ(wire_credit_grant(&c), 1000);
	ASSERT_EQ(wire_credit_grant(&c), 0);
	ASSERT_EQ(wire_credit_recv(&c, 600), 0);
	ASSERT_EQ(c.held, 600);
	ASSERT_EQ(wire_credit_grant(&c), 0); /* nothing drained yet */
	ASSERT_EQ(wire_credit_drain(&c, 601), WIRE_ERANGE);
	ASSERT_EQ(wire_credit_drain(&c, 499), 0);
	ASSERT_EQ(wire_credit_grant(&c), 0); /* 499 free: under half */
	ASSERT_EQ(wire_credit_drain(&c, 1), 0);
	ASSERT_EQ(wire_credit_grant(&c), 500);
	ASSERT_EQ(c.avail + c.held, 1000);
	ASSERT_EQ(wire_credit_recv(&c, 901), WIRE_ECREDIT);
	ASSERT_EQ(wire_credit_recv(&c, 900), 0);
	ASSERT_EQ(wire_credit_eof(&c), 0);
	ASSERT_EQ(wire_credit_recv(&c, 1), WIRE_ESTREAM);
	ASSERT_EQ(wire_credit_drain(&c, 1000), 0);
	ASSERT_EQ(wire_credit_grant(&c), 0); /* no credit after EOF */
	/* A window of one byte still grants. */
	wire_credit_init(&c, 1);
	ASSERT_EQ(wire_credit_grant(&c), 1);
	/* Windows are capped. */
	wire_credit_init(&c, 0xffffffff);
	ASSERT_EQ(wire_credit_grant(&c), WIRE_WINDOW_MAX);
}

/* Sender and receiver, driven at random, agree and stay within bounds. */
TEST(wire_credit_both_ends)
{
	struct wire_credit tx, rx;
	uint32_t seed = 12345, sent = 0, got = 0;
	int i;

	wire_credit_init(&tx, 0);
	wire_credit_init(&rx, 64 << 10);
	for (i = 0; i < 100000; i++) {
		uint32_t g, n;

		seed = seed * 1103515245 + 12345;
		switch ((seed >> 16) % 3) {
		case 0:
			g = wire_credit_grant(&rx);
			if (g)
				ASSERT_EQ(wire_credit_add(&tx, g), 0);
			break;
		case 1:
			n = wire_credit_sendable(&tx, (seed >> 4) % 70000);
			if (n) {
				ASSERT_EQ(wire_credit_use(&tx, n), 0);
				ASSERT_EQ(wire_credit_recv(&rx, n), 0);
				sent += n;
			}
			break;
		default:
			n = rx.held ? (seed >> 8) % (rx.held + 1) : 0;
			ASSERT_EQ(wire_credit_drain(&rx, n), 0);
			got += n;
			break;
		}
		ASSERT_EQ(tx.avail, rx.avail);
		ASSERT(rx.avail + rx.held <= rx.window);
	}
	ASSERT(sent > 1000000);
	ASSERT_EQ(sent - got, rx.held);
}
