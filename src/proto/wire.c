/*
 * wire.c: frame header codec and stream flow-control accounting (see
 * wire.h; specified in docs/protocol.md, "Frames", "Streams", "Credit").
 * Pure: no syscalls, no globals, no allocation. Input: channel bytes from
 * the peer (on the host, the guest: untrusted).
 */
#include "wire.h"

#include <string.h>

/* Largest body allowed for a kind (kind already known to be valid). */
static uint32_t wire_body_max(uint8_t kind)
{
	switch (kind) {
	case WIRE_K_DATA:
		return WIRE_DATA_MAX;
	case WIRE_K_CREDIT:
		return 4;
	case WIRE_K_EOF:
		return 0;
	default:
		return WIRE_BODY_MAX;
	}
}

/*
 * The rules of each kind on op, id and len (docs/protocol.md, "Frame
 * kinds"). Shared by the decoder and the encoders, so nothing is written
 * that the reader would refuse.
 */
static int wire_kind_check(uint8_t kind, uint16_t op, uint32_t id, uint32_t len)
{
	bool want_op, want_id;

	switch (kind) {
	case WIRE_K_HELLO:
		want_op = false;
		want_id = false;
		break;
	case WIRE_K_REQUEST:
	case WIRE_K_REPLY:
	case WIRE_K_ERROR:
		want_op = true;
		want_id = true;
		break;
	case WIRE_K_EVENT:
		want_op = true;
		want_id = false;
		break;
	case WIRE_K_DATA:
	case WIRE_K_CREDIT:
	case WIRE_K_EOF:
		want_op = false;
		want_id = true;
		break;
	default:
		return WIRE_EKIND;
	}
	if ((op != 0) != want_op || (id != 0) != want_id)
		return WIRE_EHEADER;
	if (len > wire_body_max(kind))
		return WIRE_ETOOBIG;
	if ((kind == WIRE_K_DATA && len == 0) ||
	    (kind == WIRE_K_CREDIT && len != 4))
		return WIRE_EHEADER;
	return 0;
}

/* Check the header bytes p[0..n), n <= WIRE_HDR_LEN: as far as they go. */
static int wire_header_check(const uint8_t *p, size_t n)
{
	if (n > 0 && p[0] != WIRE_MAGIC0)
		return WIRE_EMAGIC;
	if (n > 1 && p[1] != WIRE_MAGIC1)
		return WIRE_EMAGIC;
	if (n > 2 && p[2] != WIRE_VERSION)
		return WIRE_EVERSION;
	if (n > 3 && (p[3] == 0 || p[3] > WIRE_K_MAX))
		return WIRE_EKIND;
	if (n < WIRE_HDR_LEN)
		return 0;
	if (le_get16(p + 6) != 0) /* flags: none defined in version 1 */
		return WIRE_EHEADER;
	return wire_kind_check(p[3], le_get16(p + 4), le_get32(p + 8),
			       le_get32(p + 12));
}

int wire_frame_scan(const void *buf, size_t len, size_t *need)
{
	const uint8_t *p = buf;
	uint32_t total;
	int r;

	r = wire_header_check(p, len < WIRE_HDR_LEN ? len : WIRE_HDR_LEN);
	if (r)
		return r;
	if (len < WIRE_HDR_LEN) {
		*need = WIRE_HDR_LEN - len;
		return 0;
	}
	/* The length was checked against WIRE_BODY_MAX: no overflow. */
	total = WIRE_HDR_LEN + le_get32(p + 12);
	if (len < total) {
		*need = total - len;
		return 0;
	}
	return (int)total;
}

int wire_frames_consume(uint8_t *buf, size_t *len,
			void (*frame)(void *ctx, const struct wire_frame *f),
			bool (*more)(void *ctx), void *ctx)
{
	struct wire_frame f;
	size_t off = 0, need;
	int r = 0;

	while (off < *len && more(ctx)) {
		r = wire_frame_scan(buf + off, *len - off, &need);
		if (r == 0)
			break;
		if (r > 0)
			r = wire_frame_decode(buf + off, (size_t)r, &f);
		if (r < 0)
			break;
		frame(ctx, &f);
		off += (size_t)r;
		r = 0;
	}
	if (off) {
		memmove(buf, buf + off, *len - off);
		*len -= off;
	}
	return r < 0 ? r : 0;
}

int wire_frame_decode(const void *buf, size_t len, struct wire_frame *f)
{
	const uint8_t *p = buf;
	size_t need;
	int n = wire_frame_scan(buf, len, &need);

	if (n <= 0)
		return n ? n : WIRE_ESHORT;
	f->kind = p[3];
	f->op = le_get16(p + 4);
	f->id = le_get32(p + 8);
	f->len = le_get32(p + 12);
	f->body = p + WIRE_HDR_LEN;
	f->grant = 0;
	if (f->kind == WIRE_K_CREDIT) {
		f->grant = le_get32(f->body);
		if (f->grant == 0 || f->grant > WIRE_WINDOW_MAX)
			return WIRE_ERANGE;
	}
	return n;
}

int wire_header_encode(uint8_t hdr[WIRE_HDR_LEN], const struct wire_frame *f)
{
	int r = wire_kind_check(f->kind, f->op, f->id, f->len);

	if (r)
		return r;
	hdr[0] = WIRE_MAGIC0;
	hdr[1] = WIRE_MAGIC1;
	hdr[2] = WIRE_VERSION;
	hdr[3] = f->kind;
	le_put16(hdr + 4, f->op);
	le_put16(hdr + 6, 0);
	le_put32(hdr + 8, f->id);
	le_put32(hdr + 12, f->len);
	return WIRE_HDR_LEN;
}

int wire_frame_encode(void *buf, size_t cap, const struct wire_frame *f)
{
	uint8_t *p = buf;
	int r;

	if (f->kind == WIRE_K_CREDIT &&
	    (f->grant == 0 || f->grant > WIRE_WINDOW_MAX))
		return WIRE_ERANGE;
	r = wire_kind_check(f->kind, f->op, f->id, f->len);
	if (r)
		return r;
	/* f->len <= WIRE_BODY_MAX here: the sum cannot overflow. */
	if (cap < (size_t)WIRE_HDR_LEN + f->len)
		return WIRE_ENOSPC;
	wire_header_encode(p, f);
	if (f->kind == WIRE_K_CREDIT)
		le_put32(p + WIRE_HDR_LEN, f->grant);
	else if (f->len)
		memcpy(p + WIRE_HDR_LEN, f->body, f->len);
	return WIRE_HDR_LEN + (int)f->len;
}

int wire_data_encode(void *buf, size_t cap, uint32_t stream, const void *data,
		     size_t len)
{
	struct wire_frame f = { WIRE_K_DATA, 0, stream, data, 0, 0 };

	if (len > WIRE_DATA_MAX)
		return WIRE_ETOOBIG;
	f.len = (uint32_t)len;
	return wire_frame_encode(buf, cap, &f);
}

int wire_credit_encode(void *buf, size_t cap, uint32_t stream, uint32_t grant)
{
	struct wire_frame f = { WIRE_K_CREDIT, 0, stream, NULL, 4, grant };

	return wire_frame_encode(buf, cap, &f);
}

int wire_eof_encode(void *buf, size_t cap, uint32_t stream)
{
	struct wire_frame f = { WIRE_K_EOF, 0, stream, NULL, 0, 0 };

	return wire_frame_encode(buf, cap, &f);
}

const char *wire_strerror(int err)
{
	static const char *const msgs[] = {
		[1] = "truncated frame or field",
		[2] = "bad magic",
		[3] = "unsupported protocol version",
		[4] = "unknown or unexpected frame kind",
		[5] = "bad frame header",
		[6] = "frame too big",
		[7] = "output buffer too small",
		[8] = "unknown message type",
		[9] = "malformed field",
		[10] = "fields out of order",
		[11] = "duplicate field",
		[12] = "missing required field",
		[13] = "unknown critical field",
		[14] = "bad NUL in string",
		[15] = "count or length over limit",
		[16] = "value out of range",
		[17] = "inconsistent fields",
		[18] = "flow-control credit violated",
		[19] = "stream already ended",
	};

	if (err >= 0 || -(long)err >= (long)(sizeof(msgs) / sizeof(msgs[0])))
		return "unknown error";
	return msgs[-err];
}

/* --- flow control --------------------------------------------------------- */

void wire_credit_init(struct wire_credit *c, uint32_t window)
{
	c->avail = 0;
	c->held = 0;
	c->window = window > WIRE_WINDOW_MAX ? WIRE_WINDOW_MAX : window;
	c->eof = false;
}

int wire_credit_add(struct wire_credit *c, uint32_t n)
{
	if (n == 0)
		return WIRE_ERANGE;
	if (n > WIRE_WINDOW_MAX - c->avail)
		return WIRE_ECREDIT;
	c->avail += n;
	return 0;
}

uint32_t wire_credit_sendable(const struct wire_credit *c, size_t want)
{
	uint32_t n = c->avail < WIRE_DATA_MAX ? c->avail : WIRE_DATA_MAX;

	if (c->eof)
		return 0;
	return want < n ? (uint32_t)want : n;
}

int wire_credit_use(struct wire_credit *c, uint32_t n)
{
	if (c->eof)
		return WIRE_ESTREAM;
	if (n == 0 || n > WIRE_DATA_MAX || n > c->avail)
		return WIRE_ECREDIT;
	c->avail -= n;
	return 0;
}

int wire_credit_recv(struct wire_credit *c, uint32_t n)
{
	int r = wire_credit_use(c, n);

	if (r)
		return r;
	c->held += n; /* avail + held <= window: no overflow */
	return 0;
}

int wire_credit_drain(struct wire_credit *c, uint32_t n)
{
	if (n > c->held)
		return WIRE_ERANGE;
	c->held -= n;
	return 0;
}

uint32_t wire_credit_grant(struct wire_credit *c)
{
	uint32_t used = c->avail + c->held, free;

	if (c->eof || used >= c->window)
		return 0;
	free = c->window - used;
	if (free < c->window - c->window / 2)
		return 0;
	c->avail += free;
	return free;
}

int wire_credit_eof(struct wire_credit *c)
{
	if (c->eof)
		return WIRE_ESTREAM;
	c->eof = true;
	return 0;
}
