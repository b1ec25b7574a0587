/*
 * aclient.c: the host's client of moat-agent (aclient.h; docs/protocol.md,
 * "Connection", "Streams and credit", "Requests").
 *
 * Inputs: every byte from the agent, framed and decoded by src/proto
 * (wire.c, msg.c); the client's own checks are the connection's rules: the
 * HELLO first, DATA and EOF only on streams open towards us and within
 * their credit.
 */
#include "aclient.h"
#include "../common/now.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int aclient_init(struct aclient *c, int fd, const char *name,
		 const struct aclient_ops *ops, void *ctx)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->name = name;
	c->ops = ops;
	c->ctx = ctx;
	c->rbuf = malloc(ACLIENT_RBUF);
	c->wbuf = malloc(WIRE_FRAME_MAX);
	if (!c->rbuf || !c->wbuf) {
		aclient_free(c);
		return -ENOMEM;
	}
	return 0;
}

void aclient_free(struct aclient *c)
{
	free(c->rbuf);
	free(c->wbuf);
	c->rbuf = c->wbuf = NULL;
	c->down = true;
}

static void aclient_lost(struct aclient *c, const char *what, bool proto)
{
	if (c->down)
		return;
	c->down = true;
	if (c->ops->lost)
		c->ops->lost(c->ctx, what, proto);
}

void aclient_down(struct aclient *c)
{
	c->down = true;
}

/* --- writing ---------------------------------------------------------- */

int aclient_write(struct aclient *c, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	long end = c->write_ms ? now_ms() + c->write_ms : 0;
	struct pollfd pf;
	ssize_t n;

	while (len && !c->down) {
		n = write(c->fd, p, len);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || errno != EAGAIN) {
			aclient_lost(c, "write failed", false);
			break;
		}
		if (end && now_ms() > end) {
			aclient_lost(c, "the agent does not read its channel",
				     false);
			break;
		}
		pf.fd = c->fd;
		pf.events = POLLOUT;
		if (c->read_while_blocked && !c->in_read)
			pf.events |= POLLIN;
		pf.revents = 0;
		poll(&pf, 1, end ? 100 : -1);
		/* Keep reading (unless called while handling input). */
		if ((pf.revents & POLLIN) && (pf.events & POLLIN))
			aclient_read(c);
	}
	return c->down ? ACLIENT_EDOWN : 0;
}

int aclient_send(struct aclient *c, const struct msg *m)
{
	int n = msg_encode(c->wbuf, WIRE_FRAME_MAX, m);

	if (n < 0)
		return n;
	return aclient_write(c, c->wbuf, (size_t)n);
}

uint32_t aclient_request(struct aclient *c, struct msg *m,
			 aclient_done_fn *done, void *arg)
{
	struct aclient_req *q = NULL;
	size_t i;

	if (c->down)
		return 0;
	for (i = 0; done && !q && i < ACLIENT_INFLIGHT; i++)
		if (!c->reqs[i].id)
			q = &c->reqs[i];
	if (done && !q)
		return 0;
	m->kind = WIRE_K_REQUEST;
	if (!m->id)
		m->id = ++c->next_id;
	if (q) {
		q->id = m->id;
		q->op = m->op;
		q->done = done;
		q->arg = arg;
	}
	if (aclient_send(c, m)) {
		if (q)
			q->id = 0;
		return 0;
	}
	return m->id;
}

void aclient_cancel(struct aclient *c)
{
	struct aclient_req q;
	size_t i;

	for (i = 0; i < ACLIENT_INFLIGHT; i++) {
		if (!c->reqs[i].id)
			continue;
		q = c->reqs[i];
		c->reqs[i].id = 0;
		q.done(c->ctx, q.arg, NULL);
	}
}

/* --- streams ---------------------------------------------------------- */

struct aclient_stream *aclient_stream(struct aclient *c, uint32_t id)
{
	size_t i;

	for (i = 0; id && i < ACLIENT_STREAMS; i++)
		if (c->streams[i].used && c->streams[i].id == id)
			return &c->streams[i];
	return NULL;
}

struct aclient_stream *aclient_stream_open(struct aclient *c, uint32_t id,
					   uint32_t rx_window, void *arg)
{
	struct aclient_stream *st;
	size_t i;

	if (!id || aclient_stream(c, id))
		return NULL;
	for (i = 0; i < ACLIENT_STREAMS; i++) {
		st = &c->streams[i];
		if (st->used)
			continue;
		memset(st, 0, sizeof(*st));
		st->used = true;
		st->id = id;
		st->rx = rx_window > 0;
		st->arg = arg;
		wire_credit_init(&st->from, rx_window);
		wire_credit_init(&st->to, 0);
		return st;
	}
	return NULL;
}

void aclient_stream_close(struct aclient *c, struct aclient_stream *st)
{
	(void)c;
	memset(st, 0, sizeof(*st));
}

void aclient_grant(struct aclient *c, struct aclient_stream *st)
{
	uint8_t buf[WIRE_HDR_LEN + 4];
	uint32_t g;

	if (!st->rx || st->paused)
		return;
	g = wire_credit_grant(&st->from);
	if (g)
		aclient_write(c, buf,
			      (size_t)wire_credit_encode(buf, sizeof(buf),
							 st->id, g));
}

void aclient_pause(struct aclient *c, struct aclient_stream *st, bool paused)
{
	st->paused = paused;
	aclient_grant(c, st);
}

uint32_t aclient_sendable(const struct aclient_stream *st, size_t want)
{
	return wire_credit_sendable(&st->to, want);
}

int aclient_data(struct aclient *c, struct aclient_stream *st, const void *p,
		 size_t n)
{
	int r = n <= WIRE_DATA_MAX ? wire_credit_use(&st->to, (uint32_t)n)
				   : WIRE_ECREDIT;

	if (r)
		return r;
	r = wire_data_encode(c->wbuf, WIRE_FRAME_MAX, st->id, p, n);
	if (r < 0)
		return r;
	return aclient_write(c, c->wbuf, (size_t)r);
}

int aclient_eof(struct aclient *c, uint32_t id)
{
	struct aclient_stream *st = aclient_stream(c, id);
	uint8_t buf[WIRE_HDR_LEN];
	int r = wire_eof_encode(buf, sizeof(buf), id);

	if (r < 0)
		return r;
	if (st)
		wire_credit_eof(&st->to);
	return aclient_write(c, buf, (size_t)r);
}

/* --- frames from the agent ------------------------------------------- */

static void aclient_hello(struct aclient *c, const struct wire_frame *f)
{
	struct msg m, hello = { WIRE_K_HELLO, 0, 0, { { 0 } } };
	struct msg_hello mine = { 1, 1, 0, { c->name, 0 } };
	uint64_t features;
	uint32_t version;
	int r;

	mine.name.len = (uint32_t)strlen(c->name);
	r = f->kind == WIRE_K_HELLO ? msg_decode(f, &m) : WIRE_EKIND;
	if (r == 0)
		r = msg_hello_negotiate(&mine, &m.u.hello, &version, &features);
	if (r < 0) {
		aclient_lost(c, wire_strerror(r), true);
		return;
	}
	hello.u.hello = mine;
	if (aclient_send(c, &hello))
		return;
	c->hello_done = true;
	if (c->ops->hello)
		c->ops->hello(c->ctx, &m.u.hello);
}

static void aclient_reply(struct aclient *c, const struct wire_frame *f)
{
	struct aclient_req q;
	struct msg m;
	size_t i;
	int r;

	r = msg_decode(f, &m);
	if (r < 0) {
		if (c->ops->malformed)
			c->ops->malformed(c->ctx, f, r);
		return;
	}
	for (i = 0; i < ACLIENT_INFLIGHT; i++)
		if (c->reqs[i].id == m.id && c->reqs[i].op == m.op)
			break;
	if (i == ACLIENT_INFLIGHT) {
		if (c->ops->stray)
			c->ops->stray(c->ctx, f, &m);
		return;
	}
	q = c->reqs[i];
	c->reqs[i].id = 0;
	q.done(c->ctx, q.arg, &m);
}

/* DATA or EOF: only on a stream open towards us, within its credit. */
static void aclient_rx(struct aclient *c, const struct wire_frame *f)
{
	struct aclient_stream *st = aclient_stream(c, f->id);
	int r;

	if (!st || !st->rx || st->from.eof) {
		aclient_lost(c, "data on a stream that is not open", true);
		return;
	}
	if (f->kind == WIRE_K_EOF) {
		wire_credit_eof(&st->from);
		if (c->ops->eof)
			c->ops->eof(c->ctx, st);
		return;
	}
	r = wire_credit_recv(&st->from, f->len);
	if (r < 0) {
		aclient_lost(c, wire_strerror(r), true);
		return;
	}
	st->total += f->len;
	if (c->ops->data)
		c->ops->data(c->ctx, st, f->body, f->len);
	if (!st->used || st->id != f->id)
		return; /* closed by the callback */
	wire_credit_drain(&st->from, f->len);
	aclient_grant(c, st);
}

static void aclient_frame(void *ctx, const struct wire_frame *f)
{
	struct aclient *c = ctx;
	struct aclient_stream *st;
	struct msg m;
	int r;

	if (!c->hello_done) {
		aclient_hello(c, f);
		return;
	}
	switch (f->kind) {
	case WIRE_K_REPLY:
	case WIRE_K_ERROR:
		aclient_reply(c, f);
		return;
	case WIRE_K_EVENT:
		r = msg_decode(f, &m);
		if (r < 0 && c->ops->malformed)
			c->ops->malformed(c->ctx, f, r);
		else if (r == 0 && c->ops->event)
			c->ops->event(c->ctx, &m);
		return;
	case WIRE_K_DATA:
	case WIRE_K_EOF:
		aclient_rx(c, f);
		return;
	case WIRE_K_CREDIT:
		st = aclient_stream(c, f->id);
		if (!st || st->to.eof)
			return; /* a closed stream's late credit */
		r = wire_credit_add(&st->to, f->grant);
		if (r < 0)
			aclient_lost(c, wire_strerror(r), true);
		else if (c->ops->credit)
			c->ops->credit(c->ctx, st);
		return;
	default:
		aclient_lost(c, "unexpected frame kind", true);
		return;
	}
}

static bool aclient_more(void *ctx)
{
	const struct aclient *c = ctx;

	return !c->down;
}

bool aclient_read(struct aclient *c)
{
	ssize_t n;
	int r;

	if (c->down || c->in_read)
		return !c->down;
	n = read(c->fd, c->rbuf + c->rlen, ACLIENT_RBUF - c->rlen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	if (n <= 0) {
		aclient_lost(c, n < 0 ? strerror(errno) : "closed", false);
		return false;
	}
	c->rlen += (size_t)n;
	c->in_read = true;
	r = wire_frames_consume(c->rbuf, &c->rlen, aclient_frame, aclient_more,
				c);
	c->in_read = false;
	if (r < 0)
		aclient_lost(c, wire_strerror(r), true);
	return !c->down;
}
