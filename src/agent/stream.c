/*
 * stream.c: the processes' stdio streams and their credit bookkeeping
 * (see stream.h).
 *
 * Inputs: DATA, EOF and CREDIT frames from the host, checked against
 * each stream's credit (src/proto/wire.h) before a byte is held; what a
 * process writes, read only as far as the host's credit goes.
 */
#include "stream.h"
#include "../common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define STREAM_TX_SLOT (WIRE_HDR_LEN + WIRE_DATA_MAX)
/* The size asked for the output pipes, so that a fast writer fills a
 * batch in one go. */
#define STREAM_PIPE_SIZE (1 << 20)

/* What a container's process does to its fds may repeat a line. */
static struct log_limit stream_log_limit = LOG_LIMIT_INIT(10, 1000);

static void stream_arm(struct stream *st);

/* Take the fd out of the loop and close it. */
static void stream_close_fd(struct stream *st)
{
	loop_set(st->set->loop, &st->h, 0);
	if (st->h.fd >= 0)
		close(st->h.fd);
	st->h.fd = -1;
}

void stream_free(struct stream *st)
{
	struct streams *set = st->set;
	struct stream **pp;

	for (pp = &set->all; *pp; pp = &(*pp)->next)
		if (*pp == st) {
			*pp = st->next;
			break;
		}
	stream_close_fd(st);
	if (st->owner && *st->owner == st)
		*st->owner = NULL;
	st->dead = true;
	st->next = set->dead;
	set->dead = st;
}

void stream_reap(struct streams *set)
{
	struct stream *st;

	while ((st = set->dead)) {
		set->dead = st->next;
		free(st->frame);
		free(st->ring);
		free(st);
	}
}

/* Done when both directions that exist have ended. */
static bool stream_done(const struct stream *st)
{
	return (!st->frame || st->tx_done) && (!st->ring || st->rx_done);
}

/* Queue the stream's frames (DATA or EOF) for sending. */
static void stream_ready(struct stream *st)
{
	st->ready = true;
	st->out.buf = st->frame;
	st->out.len = st->frame_len;
	outq_item_queue(st->set->out, &st->out);
}

/* Queue EOF for the output direction. */
static void stream_tx_eof(struct stream *st)
{
	st->tx = false;
	wire_credit_eof(&st->txc);
	st->frame_len =
		(size_t)wire_eof_encode(st->frame, WIRE_HDR_LEN, st->id);
	stream_ready(st);
}

/* The input direction has ended and is written out (or dropped). */
static void stream_rx_end(struct stream *st)
{
	st->rx_done = true;
	st->rlen = 0;
	if (!st->tty)
		stream_close_fd(st);
}

/* Watch the fd for what the stream can do now; free it when done. */
static void stream_arm(struct stream *st)
{
	uint32_t ev = 0;

	if (stream_done(st)) {
		stream_free(st);
		return;
	}
	if (st->h.fd < 0)
		return;
	if (st->tx && !st->ready && wire_credit_sendable(&st->txc, 1))
		ev |= EPOLLIN;
	if (st->ring && !st->rx_done && !st->rx_discard && st->rlen)
		ev |= EPOLLOUT;
	/* Not wanted: the fd is taken out, so a hang-up cannot spin the
	 * loop. */
	if (loop_set(st->set->loop, &st->h, ev) < 0)
		log_limited(&stream_log_limit, "epoll stream %u: %s", st->id,
			    strerror(errno));
}

/*
 * Read a batch of output: up to STREAM_TX_FRAMES DATA frames, as much as
 * the credit allows, with one readv() into the frames' body slots. Full
 * frames fill their slots exactly, so the batch is the contiguous wire
 * bytes frame[0..frame_len) once the headers are written.
 */
static void stream_read(struct stream *st)
{
	struct wire_frame f = { WIRE_K_DATA, 0, st->id, NULL, 0, 0 };
	struct iovec iov[STREAM_TX_FRAMES];
	size_t want, left;
	uint32_t n;
	ssize_t r;
	int i, k;

	if (st->ready || !wire_credit_sendable(&st->txc, 1))
		return;
	want = st->txc.avail;
	if (want > (size_t)STREAM_TX_FRAMES * WIRE_DATA_MAX)
		want = (size_t)STREAM_TX_FRAMES * WIRE_DATA_MAX;
	for (k = 0, left = want; left && k < STREAM_TX_FRAMES; k++) {
		iov[k].iov_base =
			st->frame + (size_t)k * STREAM_TX_SLOT + WIRE_HDR_LEN;
		iov[k].iov_len = left < WIRE_DATA_MAX ? left : WIRE_DATA_MAX;
		left -= iov[k].iov_len;
	}
	r = readv(st->h.fd, iov, k);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) { /* EOF; EIO: a terminal whose last user left */
		stream_tx_eof(st);
		return;
	}
	st->frame_len = 0;
	for (i = 0, left = (size_t)r; left; i++) {
		n = wire_credit_sendable(&st->txc, left);
		f.len = n;
		wire_header_encode(st->frame + (size_t)i * STREAM_TX_SLOT, &f);
		wire_credit_use(&st->txc, n);
		st->frame_len = (size_t)i * STREAM_TX_SLOT + WIRE_HDR_LEN + n;
		left -= n;
	}
	stream_ready(st);
}

/* The output queue has written the stream's batch. */
static void stream_sent(struct outq_item *it)
{
	struct stream *st =
		(struct stream *)(void *)((char *)it -
					  offsetof(struct stream, out));

	st->ready = false;
	st->frame_len = 0;
	if (!st->tx)
		st->tx_done = true;
	/* More may be waiting: try now rather than after epoll */
	else if (st->h.fd >= 0)
		stream_read(st);
	stream_arm(st);
}

/* Write held input to the fd; grant what was freed. */
static void stream_write(struct stream *st)
{
	size_t chunk;
	ssize_t r;
	uint32_t g;

	while (st->rlen && !st->rx_discard) {
		chunk = STREAM_RX_WINDOW - st->rhead;
		if (chunk > st->rlen)
			chunk = st->rlen;
		r = write(st->h.fd, st->ring + st->rhead, chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			break;
		if (r < 0) { /* EPIPE, EIO: the reader is gone */
			st->rx_discard = true;
			r = (ssize_t)st->rlen;
		}
		st->rhead = (st->rhead + (size_t)r) % STREAM_RX_WINDOW;
		st->rlen -= (size_t)r;
		wire_credit_drain(&st->rxc, (uint32_t)r);
	}
	if (st->rx_discard && st->rlen) {
		wire_credit_drain(&st->rxc, (uint32_t)st->rlen);
		st->rlen = 0;
	}
	if (!st->rx && !st->rx_done && !st->rlen)
		stream_rx_end(st);
	else if (st->rx && (g = wire_credit_grant(&st->rxc)))
		outq_credit(st->set->out, st->id, g);
}

static void stream_event(struct loop_handler *h, uint32_t ev)
{
	struct stream *st = loop_owner(h, struct stream, h);

	if (st->dead)
		return;
	if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP) && st->ring && st->rlen)
		stream_write(st);
	if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR) && st->tx)
		stream_read(st);
	stream_arm(st);
}

struct stream *stream_find(struct streams *set, uint32_t id)
{
	struct stream *st;

	for (st = set->all; st; st = st->next)
		if (st->id == id)
			return st;
	return NULL;
}

static struct stream *stream_new(struct streams *set, uint32_t id, int fd,
				 bool tx, bool rx)
{
	struct stream *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->h.fn = stream_event;
	st->h.fd = fd;
	st->out.sent = stream_sent;
	st->set = set;
	st->id = id;
	if (tx) {
		st->frame = malloc(STREAM_TX_FRAMES * STREAM_TX_SLOT);
		st->tx = true;
		wire_credit_init(&st->txc, 0);
	}
	if (rx) {
		st->ring = malloc(STREAM_RX_WINDOW);
		st->rx = true;
		wire_credit_init(&st->rxc, STREAM_RX_WINDOW);
	}
	if ((tx && !st->frame) || (rx && !st->ring)) {
		free(st->frame);
		free(st->ring);
		free(st);
		return NULL;
	}
	st->next = set->all;
	set->all = st;
	return st;
}

int stream_input(struct streams *set, const struct wire_frame *f,
		 const char **what)
{
	struct stream *st = stream_find(set, f->id);
	size_t tail, first;
	int r;

	if (!st || !st->ring || st->rx_done) {
		*what = "data on a stream that is not open";
		return WIRE_ESTREAM;
	}
	if (f->kind == WIRE_K_EOF) {
		r = wire_credit_eof(&st->rxc);
		if (r < 0) {
			*what = "eof";
			return r;
		}
		st->rx = false;
		if (!st->rlen || st->rx_discard)
			stream_rx_end(st);
		stream_arm(st);
		return 0;
	}
	r = wire_credit_recv(&st->rxc, f->len);
	if (r < 0) {
		*what = "data";
		return r;
	}
	if (st->rx_discard) {
		wire_credit_drain(&st->rxc, f->len);
	} else {
		/* avail + held <= window: the bytes fit in the ring. */
		tail = (st->rhead + st->rlen) % STREAM_RX_WINDOW;
		first = STREAM_RX_WINDOW - tail;
		if (first > f->len)
			first = f->len;
		memcpy(st->ring + tail, f->body, first);
		memcpy(st->ring, f->body + first, f->len - first);
		st->rlen += f->len;
	}
	stream_write(st);
	stream_arm(st);
	return 0;
}

int stream_credit(struct streams *set, const struct wire_frame *f)
{
	struct stream *st = stream_find(set, f->id);
	int r;

	if (!st || !st->frame || !st->tx)
		return 0; /* unknown or ended: ignored */
	r = wire_credit_add(&st->txc, f->grant);
	if (r == 0)
		stream_arm(st);
	return r;
}

void stream_close_input(struct stream *st)
{
	if (st->rx_discard)
		return;
	st->rx_discard = true;
	if (st->rlen)
		wire_credit_drain(&st->rxc, (uint32_t)st->rlen);
	st->rlen = 0;
	stream_close_fd(st);
	if (!st->rx)
		stream_rx_end(st);
	stream_arm(st);
}

void stream_stdio_close(struct stream_stdio *io)
{
	int i;

	for (i = 0; i < 3; i++) {
		if (io->mine[i] >= 0)
			close(io->mine[i]);
		if (io->theirs[i] >= 0)
			close(io->theirs[i]);
		io->mine[i] = io->theirs[i] = -1;
	}
	if (io->master >= 0)
		close(io->master);
	io->master = -1;
}

int stream_stdio_open(struct streams *set, struct stream_stdio *io, uint32_t in,
		      uint32_t out, uint32_t err, uint32_t tty,
		      struct moat_err **e)
{
	int i, p[2];

	io->id[0] = in;
	io->id[1] = out;
	io->id[2] = err;
	io->tty_id = tty;
	io->master = -1;
	for (i = 0; i < 3; i++)
		io->mine[i] = io->theirs[i] = -1;
	for (i = 0; i < 3; i++)
		if (io->id[i] && stream_find(set, io->id[i]))
			return moat_err_set(e, EINVAL, "stream %u in use",
					    io->id[i]);
	if (tty && stream_find(set, tty))
		return moat_err_set(e, EINVAL, "stream %u in use", tty);
	if (tty)
		return 0; /* the child opens it (container_child_tty) */
	for (i = 0; i < 3; i++) {
		if (!io->id[i])
			continue;
		if (pipe2(p, O_CLOEXEC) < 0) {
			moat_err_set(e, errno, "pipe");
			stream_stdio_close(io);
			return -1;
		}
		io->mine[i] = i == 0 ? p[1] : p[0];
		io->theirs[i] = i == 0 ? p[0] : p[1];
		fcntl(io->mine[i], F_SETFL, O_NONBLOCK);
		/* best effort: a bigger pipe, fewer and fuller reads */
		if (i)
			fcntl(p[0], F_SETPIPE_SZ, STREAM_PIPE_SIZE);
	}
	return 0;
}

/* A new input stream: the host may send a window's worth at once. */
static void stream_grant_window(struct stream *st)
{
	outq_credit(st->set->out, st->id, wire_credit_grant(&st->rxc));
}

void stream_stdio_attach(struct streams *set, struct stream_stdio *io,
			 struct stream **in, struct stream **tty)
{
	struct stream *st;
	int i;

	for (i = 0; i < 3; i++) {
		if (io->theirs[i] >= 0)
			close(io->theirs[i]);
		io->theirs[i] = -1;
	}
	if (io->tty_id) {
		fcntl(io->master, F_SETFL, O_NONBLOCK);
		st = stream_new(set, io->tty_id, io->master, true, true);
		if (!st) {
			outq_fail(set->out, "out of memory", ENOMEM);
			return;
		}
		io->master = -1;
		st->tty = true;
		st->owner = tty;
		*tty = st;
		stream_grant_window(st);
		stream_arm(st);
		return;
	}
	for (i = 0; i < 3; i++) {
		if (io->mine[i] < 0)
			continue;
		st = stream_new(set, io->id[i], io->mine[i], i != 0, i == 0);
		if (!st) {
			outq_fail(set->out, "out of memory", ENOMEM);
			return;
		}
		io->mine[i] = -1;
		if (i == 0) {
			st->owner = in;
			*in = st;
			stream_grant_window(st);
		}
		stream_arm(st);
	}
}
