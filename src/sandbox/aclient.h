/*
 * aclient.h: the host's client of moat-agent (docs/protocol.md), one
 * module for the shim, the tests and the benchmarks. It owns the channel's
 * I/O (reads into a buffer, writes whole frames), the handshake, a table
 * of requests in flight with a completion callback each, and the streams
 * with their credit in both directions. It knows nothing of its owner: it
 * reports through the callbacks in struct aclient_ops and never calls up.
 *
 * Inputs: every byte from the agent (a guest we do not trust), decoded and
 * checked by the pure codec in src/proto. A frame that breaks the protocol
 * loses the channel (ops->lost); a reply or event that does not decode is
 * dropped (ops->malformed).
 *
 * The module is "aclient", not "agentc": tests/harness/agentc.h is the
 * tests' blocking wrapper over it (spawns the agent, waits, fails tests).
 */
#ifndef MOAT_SANDBOX_ACLIENT_H
#define MOAT_SANDBOX_ACLIENT_H

#include "../proto/msg.h"
#include "../proto/wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACLIENT_STREAMS 128 /* open at once (the shim: 32 processes x 3) */
#define ACLIENT_INFLIGHT 64 /* requests awaiting a reply */
#define ACLIENT_RBUF (2 * WIRE_FRAME_MAX)
#define ACLIENT_EDOWN (-100) /* the channel is down: nothing was sent */

/*
 * A stream of the connection, in either direction or both (a terminal).
 * from: agent -> host, we grant credit (when the stream was opened with a
 * window); to: host -> agent, the agent grants it.
 */
struct aclient_stream {
	uint32_t id;
	bool used;
	bool rx;     /* the agent may send DATA/EOF on it */
	bool paused; /* rx: grant no more until resumed */
	struct wire_credit from, to;
	uint64_t total; /* rx: bytes received */
	void *arg;	/* the owner's */
};

/* Completion of a request: m is its REPLY or ERROR (views into the
 * client's buffer, valid during the call), or NULL when it was cancelled
 * (aclient_cancel: the channel or the container ended). */
typedef void aclient_done_fn(void *ctx, void *arg, const struct msg *m);

struct aclient_req {
	uint32_t id; /* 0: a free slot */
	uint16_t op;
	aclient_done_fn *done;
	void *arg;
};

/* What the client reports to its owner; ctx is aclient_init's. Any may be
 * NULL (the report is dropped). */
struct aclient_ops {
	/* The agent's HELLO was accepted and ours sent. */
	void (*hello)(void *ctx, const struct msg_hello *h);
	/* An event (EXIT, OOM, ...), decoded. */
	void (*event)(void *ctx, const struct msg *m);
	/* A REPLY or ERROR that no request in flight claims. f is the
	 * frame (its body a view, valid during the call). */
	void (*stray)(void *ctx, const struct wire_frame *f,
		      const struct msg *m);
	/* A reply or event that did not decode (err: a WIRE_E* code). */
	void (*malformed)(void *ctx, const struct wire_frame *f, int err);
	/* DATA on an rx stream (its credit counted). The bytes are taken as
	 * written out when the call returns: credit is granted again. */
	void (*data)(void *ctx, struct aclient_stream *st, const uint8_t *p,
		     size_t n);
	/* EOF on an rx stream. */
	void (*eof)(void *ctx, struct aclient_stream *st);
	/* CREDIT came for st: it may send (aclient_sendable). */
	void (*credit)(void *ctx, struct aclient_stream *st);
	/* The channel is lost, once: what (a static or errno text); proto
	 * when the agent broke the protocol (else it closed or failed). */
	void (*lost)(void *ctx, const char *what, bool proto);
};

struct aclient {
	int fd;
	const struct aclient_ops *ops;
	void *ctx;
	const char *name; /* in our HELLO */
	bool hello_done;  /* the agent's HELLO came, ours went */
	bool down;	  /* lost or given up: no more I/O */
	bool in_read;	  /* handling frames (aclient_read) */
	/* Writes: give up after write_ms blocked (0: wait for ever); read
	 * what comes meanwhile when read_while_blocked (the tests' client,
	 * which writes more than the agent's window at once). */
	int write_ms;
	bool read_while_blocked;
	uint32_t next_id;
	uint8_t *rbuf;
	size_t rlen;
	uint8_t *wbuf; /* one encoded frame */
	struct aclient_stream streams[ACLIENT_STREAMS];
	struct aclient_req reqs[ACLIENT_INFLIGHT];
};

/* Set up c on the connected, non-blocking channel fd (not owned). Returns
 * 0 or -ENOMEM. Nothing is sent until the agent's HELLO comes. */
int aclient_init(struct aclient *c, int fd, const char *name,
		 const struct aclient_ops *ops, void *ctx);
/* Free c's buffers (the fd stays open). */
void aclient_free(struct aclient *c);

/* Read what the channel holds and handle its frames. Returns false once
 * the channel is down. */
bool aclient_read(struct aclient *c);
/* Mark the channel down without a report (the owner gave it up). */
void aclient_down(struct aclient *c);

/* Write raw bytes (whole frames). Returns 0, or ACLIENT_EDOWN when the
 * channel is down (lost now or before). Functions that send return a
 * WIRE_E* code when what they were given does not encode. */
int aclient_write(struct aclient *c, const void *buf, size_t len);
/* Encode and send m (any kind). */
int aclient_send(struct aclient *c, const struct msg *m);
/*
 * Send request m (its kind set here; m->id 0 is given the next id) and,
 * when done is not NULL, keep it in flight until its reply. Returns the
 * id, or 0 when it was not sent (the table is full, the channel is down,
 * or it does not encode).
 */
uint32_t aclient_request(struct aclient *c, struct msg *m,
			 aclient_done_fn *done, void *arg);
/* Complete every request in flight with m NULL. */
void aclient_cancel(struct aclient *c);

/* Streams. rx_window 0: host -> agent only; else the agent may send on
 * it within that window. NULL when the table is full or id is open. */
struct aclient_stream *aclient_stream_open(struct aclient *c, uint32_t id,
					   uint32_t rx_window, void *arg);
struct aclient_stream *aclient_stream(struct aclient *c, uint32_t id);
void aclient_stream_close(struct aclient *c, struct aclient_stream *st);
/* rx: grant what the window allows now (after the request that names the
 * stream, docs/protocol.md). */
void aclient_grant(struct aclient *c, struct aclient_stream *st);
void aclient_pause(struct aclient *c, struct aclient_stream *st, bool paused);
/* How many of want bytes st may send now. */
uint32_t aclient_sendable(const struct aclient_stream *st, size_t want);
/* Send n (<= aclient_sendable) bytes on st. */
int aclient_data(struct aclient *c, struct aclient_stream *st, const void *p,
		 size_t n);
/* Send EOF on stream id (st's host direction ends when it is open). */
int aclient_eof(struct aclient *c, uint32_t id);

#endif
