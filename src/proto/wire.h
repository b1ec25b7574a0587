/*
 * wire.h: framing of the host<->agent channel (docs/protocol.md, "The wire
 * protocol": frame header, frame kinds, limits, streams, credit).
 *
 * The shim and moat-agent talk over one virtio-console port. Everything on
 * it is a frame: a 16-byte little-endian header and a body. This file reads
 * and writes headers, the bodies of the data-plane frames (DATA, CREDIT,
 * EOF) and holds the pure per-stream flow-control accounting. Message
 * bodies (HELLO, REQUEST, REPLY, ERROR, EVENT) are in msg.h.
 *
 * Inputs: on the host side every byte comes from the guest (an attacker);
 * on the agent side from the host. So the code is pure (no syscalls, no
 * globals, no allocation), bounded, and fuzzed (tests/fuzz/fuzz_wire.c).
 */
#ifndef MOAT_PROTO_WIRE_H
#define MOAT_PROTO_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/le.h" /* the wire's integers: le_get32, le_put32, ... */

#define WIRE_MAGIC0 0x6d /* 'm' */
#define WIRE_MAGIC1 0x77 /* 'w' */
#define WIRE_VERSION 1	 /* the only version this codec speaks */
#define WIRE_HDR_LEN 16

/* Limits (bytes). A frame over its kind's limit is a protocol error. */
#define WIRE_BODY_MAX (1U << 20)		      /* HELLO..EVENT bodies */
#define WIRE_DATA_MAX (32U << 10)		      /* one DATA frame */
#define WIRE_FRAME_MAX (WIRE_HDR_LEN + WIRE_BODY_MAX) /* reader buffer size */
#define WIRE_WINDOW_MAX (4U << 20) /* outstanding credit, per direction */

/* Frame kinds (header byte 3). */
#define WIRE_K_HELLO 1	 /* handshake; op 0, id 0 */
#define WIRE_K_REQUEST 2 /* host -> agent; op, id = request id */
#define WIRE_K_REPLY 3	 /* success; op and id of the request */
#define WIRE_K_ERROR 4	 /* failure; op and id of the request */
#define WIRE_K_EVENT 5	 /* agent -> host; op = event, id 0 */
#define WIRE_K_DATA 6	 /* stream bytes; id = stream, 1..DATA_MAX bytes */
#define WIRE_K_CREDIT 7	 /* id = stream, body u32 grant */
#define WIRE_K_EOF 8	 /* id = stream, sender's half-close, no body */
#define WIRE_K_MAX 8

/*
 * Errors: negative, no allocation. Any error from wire_frame_scan() or
 * wire_frame_decode() is fatal to the channel (the framing can no longer
 * be trusted); errors from msg_decode() fail one message (see msg.h).
 */
#define WIRE_ESHORT (-1)     /* input ends inside the frame or a field */
#define WIRE_EMAGIC (-2)     /* not a frame header */
#define WIRE_EVERSION (-3)   /* header version, or no common version */
#define WIRE_EKIND (-4)	     /* unknown frame kind, or wrong kind for call */
#define WIRE_EHEADER (-5)    /* flags, op, id or length wrong for the kind */
#define WIRE_ETOOBIG (-6)    /* body over the kind's limit */
#define WIRE_ENOSPC (-7)     /* encoder: output buffer too small */
#define WIRE_EOP (-8)	     /* unknown message type for the kind */
#define WIRE_EFIELD (-9)     /* malformed field: tag 0, size, charset */
#define WIRE_EORDER (-10)    /* field tags not in ascending order */
#define WIRE_EDUP (-11)	     /* a field appears twice */
#define WIRE_EMISSING (-12)  /* a required field is absent */
#define WIRE_ECRITICAL (-13) /* an unknown field marked critical */
#define WIRE_ENUL (-14)	     /* NUL inside a string, or no terminator */
#define WIRE_ELIMIT (-15)    /* a count or a length over its limit */
#define WIRE_ERANGE (-16)    /* an integer out of its range */
#define WIRE_EINVAL (-17)    /* fields that contradict each other */
#define WIRE_ECREDIT (-18)   /* data beyond credit, or credit overflow */
#define WIRE_ESTREAM (-19)   /* data or EOF after EOF */

/*
 * A decoded frame. body points into the decoder's input (a view: it lives
 * as long as that buffer). For CREDIT frames grant holds the body's value.
 */
struct wire_frame {
	uint8_t kind;
	uint16_t op;
	uint32_t id;
	const uint8_t *body;
	uint32_t len;
	uint32_t grant;
};

/*
 * Streaming reader: look at buf[0..len), the start of the unread input.
 * Returns N > 0 when a whole frame of N bytes is there (decode it with
 * wire_frame_decode(buf, N, ...), then drop N bytes); 0 when more input is
 * needed, with *need set to the number of bytes still missing before the
 * next call can progress (never 0); a negative WIRE_E* when the header, or
 * the part of it already there, is invalid. A header announcing a body over
 * the limit fails as soon as the header is complete, not after the body.
 */
int wire_frame_scan(const void *buf, size_t len, size_t *need);

/*
 * The reading loop both ends run on their channel's input buffer: while
 * more(ctx) says so, scan and decode the whole frame at the front of
 * buf[0..*len) and hand it to frame(ctx, f) (f's body points into buf and
 * lives until the call returns); then move what is left (a partial frame,
 * or frames more() held back) to the front and set *len to its length.
 * Returns 0, or the first negative WIRE_E* from scan or decode, after
 * which the channel is lost (the frames before it were handed on).
 */
int wire_frames_consume(uint8_t *buf, size_t *len,
			void (*frame)(void *ctx, const struct wire_frame *f),
			bool (*more)(void *ctx), void *ctx);

/*
 * Decode the frame at buf[0..len): the header, the kind's rules and, for
 * CREDIT, the grant. Returns the frame's length (bytes consumed, <= len)
 * and fills *f, or a negative WIRE_E*; WIRE_ESHORT when len is too short.
 */
int wire_frame_decode(const void *buf, size_t len, struct wire_frame *f);

/*
 * Write the 16-byte header for f (its body is not read, f->len is used),
 * after checking f against the kind's rules. For a body sent separately
 * (writev). Returns WIRE_HDR_LEN or a negative WIRE_E*.
 */
int wire_header_encode(uint8_t hdr[WIRE_HDR_LEN], const struct wire_frame *f);

/*
 * Write the whole frame f (header, then f->len bytes from f->body; for
 * CREDIT the body is f->grant) into buf[0..cap). Returns its length or a
 * negative WIRE_E* (WIRE_ENOSPC when cap is too small).
 */
int wire_frame_encode(void *buf, size_t cap, const struct wire_frame *f);

/* Frame helpers for the stream kinds; same returns as wire_frame_encode. */
int wire_data_encode(void *buf, size_t cap, uint32_t stream, const void *data,
		     size_t len);
int wire_credit_encode(void *buf, size_t cap, uint32_t stream, uint32_t grant);
int wire_eof_encode(void *buf, size_t cap, uint32_t stream);

/* A static English description of a WIRE_E* code (for logs). */
const char *wire_strerror(int err);

/*
 * Credit-based flow control for one direction of one stream, kept by both
 * ends. The receiver grants bytes with CREDIT frames; the sender may send
 * DATA only within what it was granted. Both ends track the same number,
 * avail: bytes granted and not yet sent (sender) / received (receiver).
 *
 * Sender: wire_credit_add() on each CREDIT received, wire_credit_sendable()
 * to size the next DATA frame, wire_credit_use() when sending it.
 * Receiver: wire_credit_recv() on each DATA received (WIRE_ECREDIT: the peer
 * broke the protocol), wire_credit_drain() when buffered bytes have been
 * written out, wire_credit_grant() to learn how much to grant now.
 * Both: wire_credit_eof() when EOF is sent (sender) or received (receiver).
 *
 * The receiver's memory for the direction is bounded by its window:
 * avail + held <= window always.
 */
struct wire_credit {
	uint32_t avail;	 /* granted, not yet sent / received */
	uint32_t held;	 /* receiver: received, not yet drained */
	uint32_t window; /* receiver: bound on avail + held; sender: 0 */
	bool eof;	 /* the sender has ended the direction */
};

/* window: 0 for the sending end, 1..WIRE_WINDOW_MAX for the receiver
 * (a larger one is taken as WIRE_WINDOW_MAX). */
void wire_credit_init(struct wire_credit *c, uint32_t window);

/* Sender: a CREDIT of n arrived. WIRE_ECREDIT if avail would pass
 * WIRE_WINDOW_MAX, WIRE_ERANGE if n is 0. Credit after EOF is harmless. */
int wire_credit_add(struct wire_credit *c, uint32_t n);

/* Sender: how many of want bytes the next DATA frame may carry:
 * min(want, avail, WIRE_DATA_MAX), 0 after EOF. */
uint32_t wire_credit_sendable(const struct wire_credit *c, size_t want);

/* Sender: a DATA frame of n bytes is being sent. WIRE_ECREDIT if n is 0 or
 * over avail or WIRE_DATA_MAX, WIRE_ESTREAM after EOF. */
int wire_credit_use(struct wire_credit *c, uint32_t n);

/* Receiver: a DATA frame of n bytes arrived. Same checks as
 * wire_credit_use(); on success the bytes count as held. */
int wire_credit_recv(struct wire_credit *c, uint32_t n);

/* Receiver: n held bytes were written out. WIRE_ERANGE if n > held. */
int wire_credit_drain(struct wire_credit *c, uint32_t n);

/*
 * Receiver: the credit to send now, already counted in avail: the free
 * part of the window (window - avail - held) when it is at least half the
 * window, else 0 (so grants come in few, large frames). 0 after EOF.
 */
uint32_t wire_credit_grant(struct wire_credit *c);

/* Either end: the direction ended. WIRE_ESTREAM if it had already. */
int wire_credit_eof(struct wire_credit *c);

#endif
