/*
 * fuzz_wire.c: libFuzzer target for the host<->agent channel codec
 * (src/proto/wire.c, src/proto/msg.c). The input is a byte stream as read
 * from the channel: it is split into frames with wire_frame_scan(), and
 * each frame is decoded. On every input it checks the codec's contract:
 * the scanner's answers on prefixes, headers re-encode to the same bytes,
 * every decoded message re-encodes, decodes back equal, and its encoding
 * is a fixed point; stream frames drive the flow-control accounting,
 * whose bounds must hold; wire_frames_consume() hands on the same frames.
 * Any violation aborts.
 */
#include "../../src/proto/msg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_STREAMS 4
#define FUZZ_WINDOW (64U << 10)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t fuzz_out[WIRE_FRAME_MAX], fuzz_out2[WIRE_FRAME_MAX];
static const char *fuzz_vec[MSG_ENV_MAX + 1];

static void fuzz_check(int cond)
{
	if (!cond)
		abort();
}

/* Scanning any prefix of a whole frame of n bytes asks for more. */
static void fuzz_prefixes(const uint8_t *p, size_t n)
{
	size_t ks[] = { 0, 1, WIRE_HDR_LEN - 1, WIRE_HDR_LEN, n / 2, n - 1 };
	size_t i, need;

	for (i = 0; i < sizeof(ks) / sizeof(ks[0]); i++) {
		if (ks[i] >= n)
			continue;
		need = 0;
		fuzz_check(wire_frame_scan(p, ks[i], &need) == 0);
		fuzz_check(need > 0 && ks[i] + need <= n);
		fuzz_check(ks[i] < WIRE_HDR_LEN || ks[i] + need == n);
	}
}

static void fuzz_strlist(const struct msg_strlist *l, uint32_t max)
{
	struct msg_str e;
	uint32_t off = 0, n = 0;

	fuzz_check(l->count <= max);
	while (msg_strlist_next(l, &off, &e)) {
		fuzz_check(e.s[e.len] == '\0' && strlen(e.s) == e.len);
		fuzz_check(e.len <= MSG_ARG_MAX);
		n++;
	}
	fuzz_check(n == l->count);
	fuzz_check(msg_strlist_vec(l, fuzz_vec, MSG_ENV_MAX + 1) == (int)n);
	fuzz_check(fuzz_vec[n] == NULL);
}

static void fuzz_str(const struct msg_str *s, uint32_t max)
{
	fuzz_check(!s->s || (s->len <= max && strlen(s->s) == s->len));
}

/* Per-message promises beyond what msg_equal() compares. */
static void fuzz_msg_contract(const struct msg *m)
{
	struct msg_hello mine = { 1, 1, 0, { NULL, 0 } };
	uint32_t v, i;
	uint64_t feat;

	if (m->kind == WIRE_K_HELLO) {
		fuzz_check(m->u.hello.version_min >= 1 &&
			   m->u.hello.version_min <= m->u.hello.version_max);
		fuzz_str(&m->u.hello.name, MSG_NAME_MAX);
		if (msg_hello_negotiate(&mine, &m->u.hello, &v, &feat) == 0)
			fuzz_check(v == 1 && feat == 0);
	} else if (m->kind == WIRE_K_REQUEST && m->op == MSG_OP_EXEC) {
		fuzz_check(m->u.exec.argv.count >= 1);
		fuzz_strlist(&m->u.exec.argv, MSG_ARGV_MAX);
		fuzz_strlist(&m->u.exec.env, MSG_ENV_MAX);
		fuzz_str(&m->u.exec.cwd, MSG_PATH_MAX);
		fuzz_check(!m->u.exec.cwd.s || m->u.exec.cwd.s[0] == '/');
		fuzz_check(m->u.exec.gids.count <= MSG_GIDS_MAX);
		for (i = 0; i < m->u.exec.gids.count; i++)
			msg_u32list_get(&m->u.exec.gids, i);
		fuzz_check(!m->u.exec.stream_tty || !m->u.exec.stream_in);
	} else if (m->kind == WIRE_K_REQUEST && m->op == MSG_OP_CREATE) {
		fuzz_str(&m->u.create.id, MSG_ID_MAX);
		fuzz_str(&m->u.create.bundle, MSG_TAG_MAX);
		fuzz_check(m->u.create.config.len >= 1 &&
			   !memchr(m->u.create.config.p, 0,
				   m->u.create.config.len));
		fuzz_check(m->u.create.seccomp.len % MSG_BPF_INSN == 0);
	} else if (m->kind == WIRE_K_ERROR) {
		fuzz_check(m->u.error.code >= 1 &&
			   m->u.error.code <= MSG_CODE_MAX);
		fuzz_str(&m->u.error.text, MSG_TEXT_MAX);
	} else if (m->kind == WIRE_K_REPLY && m->op == MSG_OP_PS) {
		fuzz_check(m->u.ps.pids.count <= MSG_PIDS_MAX);
		for (i = 0; i < m->u.ps.pids.count; i++)
			msg_u32list_get(&m->u.ps.pids, i);
	}
}

static void fuzz_msg(const struct wire_frame *f, size_t frame_len)
{
	struct wire_frame f2, f3;
	struct msg m, m2;
	int r, n2, n3;

	r = msg_decode(f, &m);
	fuzz_check(m.kind == f->kind && m.op == f->op && m.id == f->id);
	if (r < 0) {
		/* A body error, never one of framing or flow control. */
		fuzz_check(r == WIRE_ESHORT || r == WIRE_EOP ||
			   (r <= WIRE_EFIELD && r >= WIRE_EINVAL));
		fuzz_check(msg_error_code(r) > 0);
		return;
	}
	fuzz_check(r == 0);
	fuzz_msg_contract(&m);

	/* What decodes, encodes (unknown fields dropped: never longer). */
	n2 = msg_encode(fuzz_out, sizeof(fuzz_out), &m);
	fuzz_check(n2 >= WIRE_HDR_LEN && (size_t)n2 <= frame_len);
	fuzz_check(wire_frame_decode(fuzz_out, (size_t)n2, &f2) == n2);
	fuzz_check(msg_decode(&f2, &m2) == 0 && msg_equal(&m, &m2));

	/* The encoding is canonical: encoding it again gives the same. */
	n3 = msg_encode(fuzz_out2, sizeof(fuzz_out2), &m2);
	fuzz_check(n3 == n2 && memcmp(fuzz_out, fuzz_out2, (size_t)n2) == 0);
	fuzz_check(wire_frame_decode(fuzz_out2, (size_t)n3, &f3) == n3);
	fuzz_check(msg_encode(fuzz_out2, (size_t)n2 - 1, &m2) == WIRE_ENOSPC);
}

struct fuzz_streams {
	struct wire_credit tx[FUZZ_STREAMS], rx[FUZZ_STREAMS];
};

/*
 * Stream frames drive both ends of flow control: CREDIT as if granted to
 * us (we then send what we may), DATA and EOF as if sent to us (we then
 * drain half and grant again).
 */
static void fuzz_stream(struct fuzz_streams *s, const struct wire_frame *f)
{
	struct wire_credit *tx = &s->tx[f->id % FUZZ_STREAMS];
	struct wire_credit *rx = &s->rx[f->id % FUZZ_STREAMS];
	uint32_t n, g;
	int r;

	switch (f->kind) {
	case WIRE_K_CREDIT:
		r = wire_credit_add(tx, f->grant);
		fuzz_check(r == 0 || r == WIRE_ECREDIT);
		n = wire_credit_sendable(tx, f->grant / 3 + 1);
		fuzz_check(n <= WIRE_DATA_MAX && n <= tx->avail);
		if (n)
			fuzz_check(wire_credit_use(tx, n) == 0);
		break;
	case WIRE_K_DATA:
		r = wire_credit_recv(rx, f->len);
		fuzz_check(r == 0 || r == WIRE_ECREDIT || r == WIRE_ESTREAM);
		fuzz_check(wire_credit_drain(rx, rx->held / 2 + 1) == 0 ||
			   rx->held == 0);
		g = wire_credit_grant(rx);
		fuzz_check(g == 0 || (!rx->eof && g >= FUZZ_WINDOW / 2));
		break;
	default:
		r = wire_credit_eof(rx);
		fuzz_check(r == 0 || r == WIRE_ESTREAM);
		fuzz_check(wire_credit_grant(rx) == 0);
		break;
	}
	fuzz_check(tx->avail <= WIRE_WINDOW_MAX);
	fuzz_check(rx->avail + rx->held <= rx->window);
}

static void fuzz_frame(struct fuzz_streams *s, const uint8_t *p, size_t n)
{
	struct wire_frame f;
	int r = wire_frame_decode(p, n, &f);

	if (r < 0) {
		/* The scanner passed the header: only the body can be bad. */
		fuzz_check(r == WIRE_ERANGE);
		return;
	}
	fuzz_check((size_t)r == n && f.body == p + WIRE_HDR_LEN &&
		   f.len == n - WIRE_HDR_LEN);
	/* Headers are canonical: the frame encodes back byte for byte. */
	fuzz_check(wire_frame_encode(fuzz_out, sizeof(fuzz_out), &f) == r);
	fuzz_check(memcmp(fuzz_out, p, n) == 0);
	if (f.kind >= WIRE_K_DATA)
		fuzz_stream(s, &f);
	else
		fuzz_msg(&f, n);
}

static void fuzz_count(void *ctx, const struct wire_frame *f)
{
	size_t *count = ctx;

	fuzz_check(f->len <= WIRE_FRAME_MAX);
	(*count)++;
}

static bool fuzz_always(void *ctx)
{
	(void)ctx;
	return true;
}

/*
 * wire_frames_consume() on the same stream hands on the frames that scan
 * and decode up to the first error (good of them), returns an error
 * exactly when there was one (bad), and leaves the input's tail.
 */
static void fuzz_consume(const uint8_t *data, size_t size, size_t good,
			 bool bad)
{
	uint8_t *copy = malloc(size ? size : 1);
	size_t len = size, count = 0;
	int r;

	fuzz_check(copy != NULL);
	memcpy(copy, data, size);
	r = wire_frames_consume(copy, &len, fuzz_count, fuzz_always, &count);
	fuzz_check(count == good);
	fuzz_check(bad ? r < 0 : r == 0);
	fuzz_check(len <= size && !memcmp(copy, data + size - len, len));
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_streams s;
	struct wire_frame f;
	size_t off = 0, need, i, good = 0;
	bool bad = false;
	int n;

	for (i = 0; i < FUZZ_STREAMS; i++) {
		wire_credit_init(&s.tx[i], 0);
		wire_credit_init(&s.rx[i], FUZZ_WINDOW);
		fuzz_check(wire_credit_grant(&s.rx[i]) == FUZZ_WINDOW);
	}
	while (off < size) {
		need = 0;
		n = wire_frame_scan(data + off, size - off, &need);
		if (n < 0) {
			fuzz_check(n == WIRE_EMAGIC || n == WIRE_EVERSION ||
				   n == WIRE_EKIND || n == WIRE_EHEADER ||
				   n == WIRE_ETOOBIG);
			bad = true;
			break;
		}
		if (n == 0) {
			fuzz_check(need > 0 &&
				   size - off + need <= WIRE_FRAME_MAX);
			break;
		}
		fuzz_check((size_t)n >= WIRE_HDR_LEN &&
			   (size_t)n <= size - off);
		fuzz_prefixes(data + off, (size_t)n);
		if (!bad && wire_frame_decode(data + off, (size_t)n, &f) >= 0)
			good++;
		else
			bad = true;
		fuzz_frame(&s, data + off, (size_t)n);
		off += (size_t)n;
	}
	fuzz_consume(data, size, good, bad);
	return 0;
}
