/*
 * stream.h: the processes' stdio streams and their credit (stream.c).
 *
 * A stream joins one fd of the agent's (a pipe end, or a terminal's
 * master) to a stream id of the wire protocol. Output (agent -> host) is
 * read only while the host has granted credit for it, at most one batch
 * at a time (up to STREAM_TX_FRAMES DATA frames, read with one readv()
 * and queued whole), so a slow reader slows the writer. Input (host ->
 * agent) is held in a fixed window (STREAM_RX_WINDOW) granted to the
 * host as it drains to the fd. Memory is bounded: one batch per output
 * stream, one window per input stream.
 */
#ifndef MOAT_AGENT_STREAM_H
#define MOAT_AGENT_STREAM_H

#include "outq.h"
#include "../common/loop.h"
#include "../proto/wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STREAM_RX_WINDOW (256U << 10) /* per input stream */
#define STREAM_TX_FRAMES 8	      /* DATA frames read at once */

struct streams;

struct stream {
	struct loop_handler h; /* h.fd: the agent's end, -1 once closed */
	struct outq_item out;  /* its batch, in the output queue */
	struct streams *set;
	struct stream *next;
	struct stream **owner; /* cleared when the stream goes, or NULL */
	uint32_t id;
	bool tty;
	bool dead; /* freed at the end of this turn of the loop */

	/* agent -> host (stdout, stderr, terminal output) */
	bool tx;      /* this direction is open (its EOF not yet queued) */
	bool tx_done; /* its EOF has been sent */
	bool ready;   /* frame[] holds frames, in the output queue */
	struct wire_credit txc;
	uint8_t *frame; /* STREAM_TX_FRAMES slots of a frame each */
	size_t frame_len;

	/* host -> agent (stdin, terminal input) */
	bool rx;	 /* open: the host has not sent EOF */
	bool rx_done;	 /* ended and written out */
	bool rx_discard; /* the fd is gone: drop what comes */
	struct wire_credit rxc;
	uint8_t *ring; /* STREAM_RX_WINDOW bytes */
	size_t rhead, rlen;
};

/* Every stream of the agent. */
struct streams {
	struct loop *loop;
	struct outq *out;
	struct stream *all;
	struct stream *dead; /* to free after this batch of events */
};

struct stream *stream_find(struct streams *set, uint32_t id);

/* Close a stream (its memory waits for stream_reap()). */
void stream_free(struct stream *st);
/* Free the streams closed since the last call (after a turn of the
 * loop, whose events may still point at them). */
void stream_reap(struct streams *set);

/*
 * A DATA or EOF frame from the host for one of the input streams.
 * Returns 0, or a negative WIRE_E* with *what set (a flow-control error,
 * or data on a stream that is not open: the connection's end).
 */
int stream_input(struct streams *set, const struct wire_frame *f,
		 const char **what);
/* A CREDIT frame: unknown or ended streams are ignored. 0 or WIRE_E*. */
int stream_credit(struct streams *set, const struct wire_frame *f);
/* CLOSE_STDIN: close the input's fd; what comes from now on is dropped. */
void stream_close_input(struct stream *st);

/* The fds of one request's streams: the agent's ends and the child's. */
struct stream_stdio {
	uint32_t id[3], tty_id;
	int mine[3], theirs[3];
	int master; /* a terminal's, from the child */
};

/*
 * Make pipes for the stream ids in, out, err (0: none), or with tty
 * nothing: the child opens the terminal and hands its master back into
 * io->master. Returns 0, or -1 with *e set (EINVAL: an id in use).
 */
int stream_stdio_open(struct streams *set, struct stream_stdio *io, uint32_t in,
		      uint32_t out, uint32_t err, uint32_t tty,
		      struct moat_err **e);
void stream_stdio_close(struct stream_stdio *io);
/*
 * The process started: the child's ends are closed, the agent's become
 * streams; *in (or *tty) is set to its input (or terminal) stream, and
 * cleared when that goes. Out of memory, the channel fails (outq_fail).
 */
void stream_stdio_attach(struct streams *set, struct stream_stdio *io,
			 struct stream **in, struct stream **tty);

#endif
