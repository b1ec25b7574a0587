/*
 * outq.c: the agent's output queue (see outq.h): control frames first,
 * then the streams' batches in turn, written to the channel as it takes
 * them.
 *
 * Inputs: messages built by the agent; what it writes goes to the host.
 */
#include "outq.h"
#include "../common/log.h"
#include "../proto/msg.h"
#include "../proto/wire.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct outq_ctl {
	struct outq_ctl *next;
	size_t len;
	uint8_t buf[];
};

void outq_init(struct outq *q, int fd)
{
	memset(q, 0, sizeof(*q));
	q->fd = fd;
	q->ctl_tail = &q->ctl_head;
	q->ready_tail = &q->ready_head;
}

void outq_fini(struct outq *q)
{
	struct outq_ctl *o, *on;

	for (o = q->ctl_head; o; o = on) {
		on = o->next;
		free(o);
	}
	free(q->cur_ctl);
	q->ctl_head = q->cur_ctl = NULL;
	q->ctl_tail = &q->ctl_head;
}

void outq_fail(struct outq *q, const char *what, int err)
{
	if (!q->closed)
		log_error("channel: %s: %s", what,
			  err < 0 ? wire_strerror(err) : strerror(err));
	q->closed = true;
}

bool outq_pending(const struct outq *q)
{
	return q->ctl_head || q->ready_head || q->cur_ctl || q->cur_item;
}

bool outq_ctl_done(const struct outq *q)
{
	return !q->ctl_head && !q->cur_ctl && !q->cur_item;
}

void outq_item_queue(struct outq *q, struct outq_item *it)
{
	it->next = NULL;
	*q->ready_tail = it;
	q->ready_tail = &it->next;
}

/* Queue a control frame of len bytes; returns its buffer or NULL. */
static uint8_t *outq_ctl_alloc(struct outq *q, size_t len)
{
	struct outq_ctl *o = malloc(sizeof(*o) + len);

	if (!o) {
		outq_fail(q, "out of memory", ENOMEM);
		return NULL;
	}
	o->next = NULL;
	o->len = len;
	*q->ctl_tail = o;
	q->ctl_tail = &o->next;
	q->ctl_bytes += len;
	return o->buf;
}

void outq_msg(struct outq *q, const struct msg *m, size_t cap)
{
	uint8_t *tmp = malloc(cap), *buf;
	int n;

	if (!tmp) {
		outq_fail(q, "out of memory", ENOMEM);
		return;
	}
	n = msg_encode(tmp, cap, m);
	if (n < 0) {
		log_error("encode op %u: %s", m->op, wire_strerror(n));
		free(tmp);
		return;
	}
	buf = outq_ctl_alloc(q, (size_t)n);
	if (buf)
		memcpy(buf, tmp, (size_t)n);
	free(tmp);
}

void outq_error(struct outq *q, const struct msg *req, uint32_t code,
		const char *fmt, ...)
{
	struct msg m = { WIRE_K_ERROR, req->op, req->id, { { 0 } } };
	char text[MSG_TEXT_MAX + 1];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	m.u.error.code = code >= 1 && code <= MSG_CODE_MAX ? code : EIO;
	m.u.error.text.s = text;
	m.u.error.text.len = (uint32_t)strlen(text);
	outq_msg(q, &m, WIRE_HDR_LEN + 64 + sizeof(text));
}

void outq_error_e(struct outq *q, const struct msg *req, struct moat_err **e)
{
	if (!*e) {
		outq_error(q, req, ENOMEM, "out of memory");
		return;
	}
	outq_error(q, req, (*e)->errnum ? (uint32_t)(*e)->errnum : EINVAL, "%s",
		   (*e)->msg);
	moat_err_free(e);
}

void outq_reply(struct outq *q, const struct msg *req)
{
	struct msg m = { WIRE_K_REPLY, req->op, req->id, { { 0 } } };

	outq_msg(q, &m, WIRE_HDR_LEN);
}

void outq_credit(struct outq *q, uint32_t stream, uint32_t grant)
{
	uint8_t *buf = outq_ctl_alloc(q, WIRE_HDR_LEN + 4);

	if (buf)
		wire_credit_encode(buf, WIRE_HDR_LEN + 4, stream, grant);
}

/* A frame has been written whole. */
static void outq_sent(struct outq *q)
{
	struct outq_item *it = q->cur_item;

	if (q->cur_ctl) {
		q->ctl_bytes -= q->cur_ctl->len;
		free(q->cur_ctl);
		q->cur_ctl = NULL;
	}
	q->cur_item = NULL;
	q->cur_off = 0;
	if (it)
		it->sent(it);
}

void outq_flush(struct outq *q)
{
	const uint8_t *p;
	size_t len;
	ssize_t n;

	while (!q->closed) {
		if (!q->cur_ctl && !q->cur_item) {
			if (q->ctl_head) {
				q->cur_ctl = q->ctl_head;
				q->ctl_head = q->ctl_head->next;
				if (!q->ctl_head)
					q->ctl_tail = &q->ctl_head;
			} else if (q->ready_head) {
				q->cur_item = q->ready_head;
				q->ready_head = q->ready_head->next;
				if (!q->ready_head)
					q->ready_tail = &q->ready_head;
			} else {
				break;
			}
			q->cur_off = 0;
		}
		if (q->cur_ctl) {
			p = q->cur_ctl->buf;
			len = q->cur_ctl->len;
		} else {
			p = q->cur_item->buf;
			len = q->cur_item->len;
		}
		n = write(q->fd, p + q->cur_off, len - q->cur_off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				outq_fail(q, "write", errno);
			break;
		}
		q->cur_off += (size_t)n;
		if (q->cur_off == len)
			outq_sent(q);
	}
}
