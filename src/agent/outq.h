/*
 * outq.h: the agent's output queue on the channel to the host (outq.c).
 *
 * Control frames (replies, errors, events, CREDIT) wait in a FIFO that
 * is always served before stream frames, at batch boundaries; a stream
 * queues one batch at a time (struct outq_item) and streams take turns,
 * so a process flooding its stdout neither delays control messages nor
 * starves another process.
 */
#ifndef MOAT_AGENT_OUTQ_H
#define MOAT_AGENT_OUTQ_H

#include "../common/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct msg;

/* Stop reading the channel while this many control bytes wait. */
#define OUTQ_CTL_MAX (4U << 20)

struct outq_ctl; /* a control frame, owned by the queue */

/* A batch of stream frames, owned by its stream. */
struct outq_item {
	struct outq_item *next;
	const uint8_t *buf;
	size_t len;
	/* Written whole (the queue holds it no more): may queue it again. */
	void (*sent)(struct outq_item *it);
};

struct outq {
	int fd;	     /* the channel, non-blocking */
	bool closed; /* failed or ended: nothing more is written */
	struct outq_ctl *ctl_head, **ctl_tail;
	size_t ctl_bytes; /* control bytes queued, or being written */
	struct outq_item *ready_head, **ready_tail;
	struct outq_ctl *cur_ctl; /* the frame being written */
	struct outq_item *cur_item;
	size_t cur_off;
};

void outq_init(struct outq *q, int fd);
/* Free the control frames that wait (the items are their streams'). */
void outq_fini(struct outq *q);

/* The channel broke: say what (once; err < 0: a WIRE_E* code, else an
 * errno) and close the queue. */
void outq_fail(struct outq *q, const char *what, int err);

/* Write what can be written without blocking: the frame in progress,
 * then control frames, then one batch of each ready stream in turn. */
void outq_flush(struct outq *q);

/* Something waits to be written. */
bool outq_pending(const struct outq *q);
/* No control frame waits and no frame is half written (what a SHUTDOWN
 * waits for: streams' batches that have not begun may stay). */
bool outq_ctl_done(const struct outq *q);

/* Queue a stream's batch it->buf[0..len) behind the others. */
void outq_item_queue(struct outq *q, struct outq_item *it);

/* Queue the message m, encoded in at most cap bytes. */
void outq_msg(struct outq *q, const struct msg *m, size_t cap);
/* An ERROR for the request req (code an errno; others become EIO). */
void outq_error(struct outq *q, const struct msg *req, uint32_t code,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* An ERROR from *e (which is freed; NULL: out of memory). */
void outq_error_e(struct outq *q, const struct msg *req, struct moat_err **e);
/* An empty REPLY to req. */
void outq_reply(struct outq *q, const struct msg *req);
/* A CREDIT of grant bytes for stream. */
void outq_credit(struct outq *q, uint32_t stream, uint32_t grant);

#endif
