/*
 * serve.c: the agent's side of the wire protocol (docs/protocol.md): one
 * epoll loop over the channel, the processes' stdio fds and a signalfd for
 * SIGCHLD.
 *
 * Input: every byte on the channel comes from the host. Frames are
 * scanned and decoded by the pure codec (src/proto) before anything acts
 * on them; a framing or flow-control error ends the connection, a
 * malformed or failing request gets an ERROR and the loop goes on.
 *
 * Output: control frames (replies, errors, events, CREDIT) wait in a FIFO
 * that is always served before stream frames, at batch boundaries; each
 * stream holds at most one batch of DATA frames (up to SERVE_TX_FRAMES,
 * read from its fd with one readv() and written with one write()) or its
 * EOF at a time, and streams take turns, so a process flooding its stdout
 * neither delays control messages nor starves another process. A
 * process's output is read only while the host has granted credit for
 * it: a slow reader slows the writer. Memory is bounded: one batch per
 * output stream, a fixed window per input stream, and the channel is not
 * read while too many control bytes wait to be sent.
 *
 * Every child is reaped here (the agent is PID 1 in the guest, and a child
 * subreaper in host mode); a child that is one of the processes reports
 * its end in an EXIT event and to its waiters.
 */
#include "agent.h"
#include "../common/cleanup.h"
#include "../proto/msg.h"
#include "../proto/wire.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define SERVE_RBUF (WIRE_FRAME_MAX + 65536)
#define SERVE_CTL_MAX (4U << 20)	/* stop reading above this backlog */
#define SERVE_STDIN_WINDOW (256U << 10) /* per input stream */
/* Output: DATA frames read and sent at once per stream (256 KiB), and
 * the size asked for the output pipes, so that a fast writer fills a
 * batch in one go. */
#define SERVE_TX_FRAMES 8
#define SERVE_TX_SLOT (WIRE_HDR_LEN + WIRE_DATA_MAX)
#define SERVE_PIPE_SIZE (1 << 20)
#define SERVE_CHAN_SNDBUF (1 << 20)
#define SERVE_SHUTDOWN_MS 5000
#define SERVE_OOM_WAIT_MS 200 /* for an OOM kill's victim to be reaped */

struct serve;

/* What an epoll event points at. */
struct serve_fdh {
	void (*fn)(struct serve *s, struct serve_fdh *h, uint32_t ev);
};

struct serve_out { /* a queued control frame */
	struct serve_out *next;
	size_t len;
	uint8_t buf[];
};

struct serve_proc;

struct serve_stream {
	struct serve_fdh h;
	struct serve_stream *next;  /* all streams */
	struct serve_stream *rnext; /* ready to send */
	struct serve_proc *proc;
	uint32_t id;
	int fd;
	uint32_t armed; /* epoll events registered, 0: not registered */
	bool tty;
	bool dead; /* freed at the end of this turn of the loop */

	/* agent -> host (stdout, stderr, terminal output) */
	bool tx;      /* this direction is open (its EOF not yet queued) */
	bool tx_done; /* its EOF has been sent */
	bool ready;   /* frame[] holds frames, in the ready list */
	struct wire_credit txc;
	uint8_t *frame; /* SERVE_TX_FRAMES slots of SERVE_TX_SLOT bytes */
	size_t frame_len;

	/* host -> agent (stdin, terminal input) */
	bool rx;	 /* open: the host has not sent EOF */
	bool rx_done;	 /* ended and written out */
	bool rx_discard; /* the fd is gone: drop what comes */
	struct wire_credit rxc;
	uint8_t *ring; /* SERVE_STDIN_WINDOW bytes */
	size_t rhead, rlen;
};

struct serve_proc {
	struct serve_proc *next;
	uint32_t handle;
	pid_t pid;
	bool exited;
	uint32_t code, signo;
	struct serve_stream *in, *tty;
	uint32_t *waiters; /* WAIT request ids */
	size_t nwaiters;
};

struct serve {
	const struct agent_opts *o;
	int ep, chan, sigfd;
	struct serve_fdh chan_h, sig_h;
	uint32_t chan_armed;
	bool hello_done, closing, shutdown;

	uint8_t *rbuf;
	size_t rlen;

	struct serve_out *ctl_head, **ctl_tail;
	size_t ctl_bytes;
	struct serve_stream *ready_head, **ready_tail;
	/* the frame being written */
	struct serve_out *cur_ctl;
	struct serve_stream *cur_stream;
	size_t cur_off;

	struct serve_stream *streams;
	struct serve_stream *dead; /* to free after this batch of events */
	struct serve_proc *procs;
	uint32_t next_handle;

	/* the container (one per agent) */
	struct config *cfg;
	char id[MSG_ID_MAX + 1];
	struct serve_proc *init;
	int init_pidfd, init_sync;
	bool started;
	void *bpf;
	size_t bpf_len;
	struct cgroup *cg; /* NULL: host mode without --cgroup-root */
	bool paused;	   /* by PAUSE (cgroup freezer, or SIGSTOP) */

	/* OOM kills counted in the group, not yet reported: attributed to
	 * a process reaped dead by SIGKILL, or reported without one at
	 * oom_deadline (ms) */
	struct serve_fdh oom_h;
	uint64_t oom_pending;
	long oom_deadline;
};

static void serve_stream_arm(struct serve *s, struct serve_stream *st);
static void serve_flush(struct serve *s);
static void serve_reap(struct serve *s);
static long serve_now_ms(void);
static void serve_stream_read(struct serve *s, struct serve_stream *st);

/* --- output --------------------------------------------------------------- */

static void serve_fatal(struct serve *s, const char *what, int err)
{
	if (!s->closing)
		agent_log("channel: %s: %s", what,
			  err < 0 ? wire_strerror(err) : strerror(err));
	s->closing = true;
}

static void serve_chan_arm(struct serve *s)
{
	uint32_t ev = 0;
	struct epoll_event e;

	if (s->closing)
		ev = 0;
	else {
		if (s->ctl_bytes < SERVE_CTL_MAX && !s->shutdown)
			ev |= EPOLLIN;
		if (s->ctl_head || s->ready_head || s->cur_ctl || s->cur_stream)
			ev |= EPOLLOUT;
	}
	if (ev == s->chan_armed)
		return;
	e.events = ev;
	e.data.ptr = &s->chan_h;
	if (epoll_ctl(s->ep, ev ? EPOLL_CTL_MOD : EPOLL_CTL_DEL, s->chan, &e) <
		    0 &&
	    ev && errno == ENOENT)
		epoll_ctl(s->ep, EPOLL_CTL_ADD, s->chan, &e);
	s->chan_armed = ev;
}

/* Queue a control frame of len bytes; returns its buffer or NULL. */
static uint8_t *serve_ctl_alloc(struct serve *s, size_t len)
{
	struct serve_out *o = malloc(sizeof(*o) + len);

	if (!o) {
		serve_fatal(s, "out of memory", ENOMEM);
		return NULL;
	}
	o->next = NULL;
	o->len = len;
	*s->ctl_tail = o;
	s->ctl_tail = &o->next;
	s->ctl_bytes += len;
	return o->buf;
}

static void serve_send_msg(struct serve *s, const struct msg *m, size_t cap)
{
	uint8_t *tmp = malloc(cap), *buf;
	int n;

	if (!tmp) {
		serve_fatal(s, "out of memory", ENOMEM);
		return;
	}
	n = msg_encode(tmp, cap, m);
	if (n < 0) {
		agent_log("encode op %u: %s", m->op, wire_strerror(n));
		free(tmp);
		return;
	}
	buf = serve_ctl_alloc(s, (size_t)n);
	if (buf)
		memcpy(buf, tmp, (size_t)n);
	free(tmp);
}

static void serve_error(struct serve *s, const struct msg *req, uint32_t code,
			const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void serve_error(struct serve *s, const struct msg *req, uint32_t code,
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
	serve_send_msg(s, &m, WIRE_HDR_LEN + 64 + sizeof(text));
}

/* An ERROR from a moat_err (which is freed). */
static void serve_error_e(struct serve *s, const struct msg *req,
			  struct moat_err **e)
{
	if (!*e) {
		serve_error(s, req, ENOMEM, "out of memory");
		return;
	}
	serve_error(s, req, (*e)->errnum ? (uint32_t)(*e)->errnum : EINVAL,
		    "%s", (*e)->msg);
	moat_err_free(e);
}

static void serve_reply(struct serve *s, const struct msg *req)
{
	struct msg m = { WIRE_K_REPLY, req->op, req->id, { { 0 } } };

	serve_send_msg(s, &m, WIRE_HDR_LEN);
}

static void serve_send_exit(struct serve *s, uint8_t kind, uint16_t op,
			    uint32_t id, const struct serve_proc *p)
{
	struct msg m = { kind, op, id, { { 0 } } };

	m.u.exit.proc = p->handle;
	m.u.exit.code = p->code;
	m.u.exit.signo = p->signo;
	serve_send_msg(s, &m, WIRE_HDR_LEN + 64);
}

static void serve_credit(struct serve *s, uint32_t stream, uint32_t grant)
{
	uint8_t *buf = serve_ctl_alloc(s, WIRE_HDR_LEN + 4);

	if (buf)
		wire_credit_encode(buf, WIRE_HDR_LEN + 4, stream, grant);
}

/* A frame has been written whole. */
static void serve_sent(struct serve *s)
{
	struct serve_stream *st = s->cur_stream;

	if (s->cur_ctl) {
		s->ctl_bytes -= s->cur_ctl->len;
		free(s->cur_ctl);
		s->cur_ctl = NULL;
	}
	if (st) {
		s->cur_stream = NULL;
		st->ready = false;
		st->frame_len = 0;
		if (!st->tx)
			st->tx_done = true;
		/* More may be waiting: try now rather than after epoll */
		else if (st->fd >= 0)
			serve_stream_read(s, st);
		serve_stream_arm(s, st);
	}
	s->cur_off = 0;
}

/* Write what can be written: the frame in progress, then control frames,
 * then one frame of each ready stream in turn. */
static void serve_flush(struct serve *s)
{
	const uint8_t *p;
	size_t len;
	ssize_t n;

	while (!s->closing) {
		if (!s->cur_ctl && !s->cur_stream) {
			if (s->ctl_head) {
				s->cur_ctl = s->ctl_head;
				s->ctl_head = s->ctl_head->next;
				if (!s->ctl_head)
					s->ctl_tail = &s->ctl_head;
			} else if (s->ready_head) {
				s->cur_stream = s->ready_head;
				s->ready_head = s->ready_head->rnext;
				if (!s->ready_head)
					s->ready_tail = &s->ready_head;
			} else {
				break;
			}
			s->cur_off = 0;
		}
		if (s->cur_ctl) {
			p = s->cur_ctl->buf;
			len = s->cur_ctl->len;
		} else {
			p = s->cur_stream->frame;
			len = s->cur_stream->frame_len;
		}
		n = write(s->chan, p + s->cur_off, len - s->cur_off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				serve_fatal(s, "write", errno);
			break;
		}
		s->cur_off += (size_t)n;
		if (s->cur_off == len)
			serve_sent(s);
	}
	serve_chan_arm(s);
}

/* --- streams -------------------------------------------------------------- */

/*
 * Close a stream. Its memory is freed by serve_stream_reap() after the
 * current batch of epoll events, which may still point at it.
 */
static void serve_stream_free(struct serve *s, struct serve_stream *st)
{
	struct serve_stream **pp;

	for (pp = &s->streams; *pp; pp = &(*pp)->next)
		if (*pp == st) {
			*pp = st->next;
			break;
		}
	if (st->armed)
		epoll_ctl(s->ep, EPOLL_CTL_DEL, st->fd, NULL);
	if (st->fd >= 0)
		close(st->fd);
	st->fd = -1;
	st->armed = 0;
	if (st->proc && st->proc->in == st)
		st->proc->in = NULL;
	if (st->proc && st->proc->tty == st)
		st->proc->tty = NULL;
	st->dead = true;
	st->next = s->dead;
	s->dead = st;
}

static void serve_stream_reap(struct serve *s)
{
	struct serve_stream *st;

	while ((st = s->dead)) {
		s->dead = st->next;
		free(st->frame);
		free(st->ring);
		free(st);
	}
}

/* Done when both directions that exist have ended. */
static bool serve_stream_done(const struct serve_stream *st)
{
	return (!st->frame || st->tx_done) && (!st->ring || st->rx_done);
}

/* Queue the stream's frame (DATA or EOF) for sending. */
static void serve_stream_ready(struct serve *s, struct serve_stream *st)
{
	st->ready = true;
	st->rnext = NULL;
	*s->ready_tail = st;
	s->ready_tail = &st->rnext;
}

/* Queue EOF for the output direction. */
static void serve_stream_tx_eof(struct serve *s, struct serve_stream *st)
{
	st->tx = false;
	wire_credit_eof(&st->txc);
	st->frame_len =
		(size_t)wire_eof_encode(st->frame, WIRE_HDR_LEN, st->id);
	serve_stream_ready(s, st);
}

/* The input direction has ended and is written out (or dropped). */
static void serve_stream_rx_end(struct serve *s, struct serve_stream *st)
{
	st->rx_done = true;
	st->rlen = 0;
	if (!st->tty && st->fd >= 0) {
		if (st->armed)
			epoll_ctl(s->ep, EPOLL_CTL_DEL, st->fd, NULL);
		close(st->fd);
		st->fd = -1;
		st->armed = 0;
	}
}

static void serve_stream_arm(struct serve *s, struct serve_stream *st)
{
	struct epoll_event e;
	uint32_t ev = 0;

	if (serve_stream_done(st)) {
		serve_stream_free(s, st);
		return;
	}
	if (st->fd < 0)
		return;
	if (st->tx && !st->ready && wire_credit_sendable(&st->txc, 1))
		ev |= EPOLLIN;
	if (st->ring && !st->rx_done && !st->rx_discard && st->rlen)
		ev |= EPOLLOUT;
	if (ev == st->armed)
		return;
	e.events = ev;
	e.data.ptr = &st->h;
	/* Not wanted: take the fd out, so a hang-up cannot spin the loop. */
	if (!ev)
		epoll_ctl(s->ep, EPOLL_CTL_DEL, st->fd, NULL);
	else if (epoll_ctl(s->ep, st->armed ? EPOLL_CTL_MOD : EPOLL_CTL_ADD,
			   st->fd, &e) < 0)
		agent_log("epoll stream %u: %s", st->id, strerror(errno));
	st->armed = ev;
}

/*
 * Read a batch of output: up to SERVE_TX_FRAMES DATA frames, as much as
 * the credit allows, with one readv() into the frames' body slots. Full
 * frames fill their slots exactly, so the batch is the contiguous wire
 * bytes frame[0..frame_len) once the headers are written.
 */
static void serve_stream_read(struct serve *s, struct serve_stream *st)
{
	struct wire_frame f = { WIRE_K_DATA, 0, st->id, NULL, 0, 0 };
	struct iovec iov[SERVE_TX_FRAMES];
	size_t want, left;
	uint32_t n;
	ssize_t r;
	int i, k;

	if (st->ready || !wire_credit_sendable(&st->txc, 1))
		return;
	want = st->txc.avail;
	if (want > (size_t)SERVE_TX_FRAMES * WIRE_DATA_MAX)
		want = (size_t)SERVE_TX_FRAMES * WIRE_DATA_MAX;
	for (k = 0, left = want; left && k < SERVE_TX_FRAMES; k++) {
		iov[k].iov_base =
			st->frame + (size_t)k * SERVE_TX_SLOT + WIRE_HDR_LEN;
		iov[k].iov_len = left < WIRE_DATA_MAX ? left : WIRE_DATA_MAX;
		left -= iov[k].iov_len;
	}
	r = readv(st->fd, iov, k);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) { /* EOF; EIO: a terminal whose last user left */
		serve_stream_tx_eof(s, st);
		return;
	}
	st->frame_len = 0;
	for (i = 0, left = (size_t)r; left; i++) {
		n = wire_credit_sendable(&st->txc, left);
		f.len = n;
		wire_header_encode(st->frame + (size_t)i * SERVE_TX_SLOT, &f);
		wire_credit_use(&st->txc, n);
		st->frame_len = (size_t)i * SERVE_TX_SLOT + WIRE_HDR_LEN + n;
		left -= n;
	}
	serve_stream_ready(s, st);
}

/* Write held input to the fd; grant what was freed. */
static void serve_stream_write(struct serve *s, struct serve_stream *st)
{
	size_t chunk;
	ssize_t r;
	uint32_t g;

	while (st->rlen && !st->rx_discard) {
		chunk = SERVE_STDIN_WINDOW - st->rhead;
		if (chunk > st->rlen)
			chunk = st->rlen;
		r = write(st->fd, st->ring + st->rhead, chunk);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			break;
		if (r < 0) { /* EPIPE, EIO: the reader is gone */
			st->rx_discard = true;
			r = (ssize_t)st->rlen;
		}
		st->rhead = (st->rhead + (size_t)r) % SERVE_STDIN_WINDOW;
		st->rlen -= (size_t)r;
		wire_credit_drain(&st->rxc, (uint32_t)r);
	}
	if (st->rx_discard && st->rlen) {
		wire_credit_drain(&st->rxc, (uint32_t)st->rlen);
		st->rlen = 0;
	}
	if (!st->rx && !st->rx_done && !st->rlen)
		serve_stream_rx_end(s, st);
	else if (st->rx && (g = wire_credit_grant(&st->rxc)))
		serve_credit(s, st->id, g);
}

static void serve_stream_event(struct serve *s, struct serve_fdh *h,
			       uint32_t ev)
{
	struct serve_stream *st = (struct serve_stream *)h;

	if (st->dead)
		return;
	if (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP) && st->ring && st->rlen)
		serve_stream_write(s, st);
	if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR) && st->tx)
		serve_stream_read(s, st);
	serve_stream_arm(s, st);
}

static struct serve_stream *serve_stream_find(struct serve *s, uint32_t id)
{
	struct serve_stream *st;

	for (st = s->streams; st; st = st->next)
		if (st->id == id)
			return st;
	return NULL;
}

static struct serve_stream *serve_stream_new(struct serve *s, uint32_t id,
					     int fd, bool tx, bool rx)
{
	struct serve_stream *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->h.fn = serve_stream_event;
	st->id = id;
	st->fd = fd;
	if (tx) {
		st->frame = malloc(SERVE_TX_FRAMES * SERVE_TX_SLOT);
		st->tx = true;
		wire_credit_init(&st->txc, 0);
	}
	if (rx) {
		st->ring = malloc(SERVE_STDIN_WINDOW);
		st->rx = true;
		wire_credit_init(&st->rxc, SERVE_STDIN_WINDOW);
	}
	if ((tx && !st->frame) || (rx && !st->ring)) {
		free(st->frame);
		free(st->ring);
		free(st);
		return NULL;
	}
	st->next = s->streams;
	s->streams = st;
	return st;
}

/* --- processes' stdio ------------------------------------------------------
 */

/* The fds of one request's streams: the agent's ends and the child's. */
struct serve_stdio {
	uint32_t id[3], tty_id;
	int mine[3], theirs[3];
	int master; /* a terminal's, from the child */
};

static void serve_stdio_close(struct serve_stdio *io)
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

static int serve_stdio_open(struct serve *s, struct serve_stdio *io,
			    uint32_t in, uint32_t out, uint32_t err,
			    uint32_t tty, struct moat_err **e)
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
		if (io->id[i] && serve_stream_find(s, io->id[i]))
			return moat_err_set(e, EINVAL, "stream %u in use",
					    io->id[i]);
	if (tty && serve_stream_find(s, tty))
		return moat_err_set(e, EINVAL, "stream %u in use", tty);
	if (tty)
		return 0; /* the child opens it (container_child_tty) */
	for (i = 0; i < 3; i++) {
		if (!io->id[i])
			continue;
		if (pipe2(p, O_CLOEXEC) < 0) {
			moat_err_set(e, errno, "pipe");
			serve_stdio_close(io);
			return -1;
		}
		io->mine[i] = i == 0 ? p[1] : p[0];
		io->theirs[i] = i == 0 ? p[0] : p[1];
		fcntl(io->mine[i], F_SETFL, O_NONBLOCK);
		/* best effort: a bigger pipe, fewer and fuller reads */
		if (i)
			fcntl(p[0], F_SETPIPE_SZ, SERVE_PIPE_SIZE);
	}
	return 0;
}

/* The process started: the child's ends go, the agent's become streams. */
static void serve_stdio_attach(struct serve *s, struct serve_stdio *io,
			       struct serve_proc *p)
{
	struct serve_stream *st;
	uint32_t g;
	int i;

	for (i = 0; i < 3; i++) {
		if (io->theirs[i] >= 0)
			close(io->theirs[i]);
		io->theirs[i] = -1;
	}
	if (io->tty_id) {
		fcntl(io->master, F_SETFL, O_NONBLOCK);
		st = serve_stream_new(s, io->tty_id, io->master, true, true);
		if (!st) {
			serve_fatal(s, "out of memory", ENOMEM);
			return;
		}
		io->master = -1;
		st->tty = true;
		st->proc = p;
		p->tty = st;
		g = wire_credit_grant(&st->rxc);
		serve_credit(s, st->id, g);
		serve_stream_arm(s, st);
		return;
	}
	for (i = 0; i < 3; i++) {
		if (io->mine[i] < 0)
			continue;
		st = serve_stream_new(s, io->id[i], io->mine[i], i != 0,
				      i == 0);
		if (!st) {
			serve_fatal(s, "out of memory", ENOMEM);
			return;
		}
		io->mine[i] = -1;
		st->proc = p;
		if (i == 0) {
			p->in = st;
			g = wire_credit_grant(&st->rxc);
			serve_credit(s, st->id, g);
		}
		serve_stream_arm(s, st);
	}
}

/* --- processes -------------------------------------------------------------
 */

static struct serve_proc *serve_proc_new(struct serve *s, pid_t pid)
{
	struct serve_proc *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->handle = ++s->next_handle;
	p->pid = pid;
	p->next = s->procs;
	s->procs = p;
	return p;
}

static struct serve_proc *serve_proc_find(struct serve *s, uint32_t handle)
{
	struct serve_proc *p;

	for (p = s->procs; p; p = p->next)
		if (p->handle == handle)
			return p;
	return NULL;
}

/* --- OOM -------------------------------------------------------------------
 */

static void serve_send_oom(struct serve *s, uint32_t handle)
{
	struct msg m = { WIRE_K_EVENT, MSG_EV_OOM, 0, { { 0 } } };

	m.u.oom.proc = handle;
	serve_send_msg(s, &m, WIRE_HDR_LEN + 64);
}

/* Count new OOM kills in the group as pending. */
static void serve_oom_poll(struct serve *s)
{
	uint64_t n;

	if (!s->cg)
		return;
	n = cgroup_oom_new(s->cg);
	if (!n)
		return;
	if (!s->oom_pending)
		s->oom_deadline = serve_now_ms() + SERVE_OOM_WAIT_MS;
	s->oom_pending += n;
}

/* Report the pending OOM kills no reaped process was found for. */
static void serve_oom_flush(struct serve *s)
{
	for (; s->oom_pending; s->oom_pending--)
		serve_send_oom(s, 0);
}

static void serve_reap(struct serve *s)
{
	struct serve_proc *p;
	int status;
	pid_t pid;
	size_t i;

	for (;;) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0)
			break;
		for (p = s->procs; p; p = p->next)
			if (p->pid == pid && !p->exited)
				break;
		if (!p)
			continue; /* an orphan, or a failed start */
		p->exited = true;
		if (WIFSIGNALED(status))
			p->signo = (uint32_t)WTERMSIG(status);
		else
			p->code = (uint32_t)WEXITSTATUS(status);
		/* The kill is counted before its victim can exit: a process
		 * dead of SIGKILL while a kill is pending is taken to be the
		 * OOM killer's, and its OOM event goes before its EXIT. */
		if (p->signo == SIGKILL) {
			serve_oom_poll(s);
			if (s->oom_pending) {
				s->oom_pending--;
				serve_send_oom(s, p->handle);
			}
		}
		serve_send_exit(s, WIRE_K_EVENT, MSG_EV_EXIT, 0, p);
		for (i = 0; i < p->nwaiters; i++)
			serve_send_exit(s, WIRE_K_REPLY, MSG_OP_WAIT,
					p->waiters[i], p);
		free(p->waiters);
		p->waiters = NULL;
		p->nwaiters = 0;
		if (p == s->init && s->init_pidfd >= 0) {
			close(s->init_pidfd);
			s->init_pidfd = -1;
		}
	}
}

static void serve_oom_event(struct serve *s, struct serve_fdh *h, uint32_t ev)
{
	serve_reap(s); /* the victim, if it is dead already */
	serve_oom_poll(s);
}

/* Watch the group's OOM notifications (after CREATE). */
static void serve_oom_watch(struct serve *s)
{
	struct epoll_event e = { EPOLLIN, { .ptr = &s->oom_h } };
	int fd = s->cg ? cgroup_oom_fd(s->cg) : -1;

	if (fd >= 0 && epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &e) < 0)
		agent_log("oom watch: %s", strerror(errno));
}

static void serve_sig_event(struct serve *s, struct serve_fdh *h, uint32_t ev)
{
	struct signalfd_siginfo si;

	while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		;
	serve_reap(s);
}

static int serve_pid_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * The container's processes, in the agent's pid numbering: every process
 * in the init's pid namespace when it has one, else the live processes
 * the agent started. Returns the count (at most cap).
 */
static size_t serve_container_pids(struct serve *s, uint32_t *pids, size_t cap)
{
	struct serve_proc *p;
	struct stat ns, st;
	struct dirent *d;
	char path[64];
	size_t n = 0;
	DIR *dir;

	if (!s->cfg || !s->init)
		return 0;
	if (!(s->cfg->ns_flags & CLONE_NEWPID)) {
		for (p = s->procs; p && n < cap; p = p->next)
			if (!p->exited)
				pids[n++] = (uint32_t)p->pid;
		goto out;
	}
	if (s->init->exited)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)s->init->pid);
	if (stat(path, &ns) < 0)
		return 0;
	dir = opendir("/proc");
	if (!dir)
		return 0;
	while ((d = readdir(dir)) && n < cap) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		if (strlen(d->d_name) > 10)
			continue;
		snprintf(path, sizeof(path), "/proc/%.10s/ns/pid", d->d_name);
		if (stat(path, &st) == 0 && st.st_ino == ns.st_ino &&
		    st.st_dev == ns.st_dev)
			pids[n++] = (uint32_t)strtoul(d->d_name, NULL, 10);
	}
	closedir(dir);
out:
	qsort(pids, n, sizeof(*pids), serve_pid_cmp);
	return n;
}

static void serve_kill_all(struct serve *s)
{
	struct serve_proc *p;

	for (p = s->procs; p; p = p->next)
		if (!p->exited)
			kill(p->pid, SIGKILL);
	/* A frozen (cgroup v1) process dies only once thawed. */
	if (s->paused && s->cg)
		cgroup_freeze(s->cg, false, NULL);
	s->paused = false;
}

/* --- requests --------------------------------------------------------------
 */

static void serve_req_create(struct serve *s, const struct msg *m)
{
	const struct msg_create *c = &m->u.create;
	struct moat_err *e = NULL;
	struct container_proc cp = { 0 };
	struct serve_stdio io;
	char share[4096], rootfs[8192];
	struct serve_proc *p;
	struct msg r = { WIRE_K_REPLY, m->op, m->id, { { 0 } } };
	struct config *cfg = NULL;
	int sync = -1;
	pid_t pid;

	if (s->cfg) {
		serve_error(s, m, EEXIST, "a container exists already");
		return;
	}
	if (config_parse((const char *)c->config.p, c->config.len, &cfg, &e))
		goto fail;
	/* The network (net.c): the guest's namespace is the container's
	 * only in a VM; on a host it would be the host's. */
	if ((cfg->net_guest || c->net.len) && !s->o->guest) {
		moat_err_set(&e, EOPNOTSUPP,
			     "linux.namespaces: joining a network namespace "
			     "by path is not supported outside a VM");
		goto fail;
	}
	/* In a VM a new network namespace is the guest's own, as the VM is
	 * the container's alone: docker's libnetwork configures the
	 * namespace from its prestart hook, after the engine asked for a
	 * new one, and the shim carried what it made (c->net). */
	if (s->o->guest && (cfg->ns_flags & CLONE_NEWNET)) {
		cfg->ns_flags &= ~CLONE_NEWNET;
		cfg->net_guest = true;
	}
	if (s->o->guest && (errno = -net_lo_up()) > 0) {
		moat_err_set(&e, errno, "bring up lo");
		goto fail;
	}
	if (c->net.len && net_configure((const char *)c->net.p, c->net.len, &e))
		goto fail;
	if (s->o->shares->resolve(s->o, c->bundle.s, share, sizeof(share), &e))
		goto fail;
	if ((size_t)snprintf(rootfs, sizeof(rootfs), "%s/%s", share,
			     cfg->root_path) >= sizeof(rootfs)) {
		moat_err_set(&e, ENAMETOOLONG, "root.path");
		goto fail;
	}
	if (config_bundle_binds(cfg, share, &e))
		goto fail;
	if (cgroup_wanted(cfg) && !s->o->cgroup_root) {
		moat_err_set(&e, EOPNOTSUPP,
			     "linux.resources: no cgroup2 hierarchy to "
			     "set limits in");
		goto fail;
	}
	if (s->o->cgroup_root) {
		if (cgroup_create(s->o->cgroup_root, c->id.s, cfg, &s->cg, &e))
			goto fail;
		cp.cgroup_procs = cgroup_procs_path(s->cg);
	}
	if (c->seccomp.len) {
		s->bpf = malloc(c->seccomp.len);
		if (!s->bpf) {
			moat_err_set(&e, ENOMEM, "seccomp");
			goto fail;
		}
		memcpy(s->bpf, c->seccomp.p, c->seccomp.len);
		s->bpf_len = c->seccomp.len / MSG_BPF_INSN;
	}
	if (serve_stdio_open(s, &io, c->stream_in, c->stream_out, c->stream_err,
			     c->stream_tty, &e))
		goto fail;
	cp.cfg = cfg;
	cp.stdio[0] = io.theirs[0];
	cp.stdio[1] = io.theirs[1];
	cp.stdio[2] = io.theirs[2];
	cp.tty = c->stream_tty != 0;
	cp.bpf = s->bpf;
	cp.bpf_len = s->bpf_len;
	pid = container_create(&cp, rootfs, &sync, &io.master, &e);
	if (pid < 0) {
		serve_stdio_close(&io);
		goto fail;
	}
	p = serve_proc_new(s, pid);
	s->init_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (!p || s->init_pidfd < 0) {
		kill(pid, SIGKILL);
		serve_stdio_close(&io);
		close(sync);
		moat_err_set(&e, p ? errno : ENOMEM, "pidfd_open");
		goto fail;
	}
	if (s->cg && cgroup_attach(s->cg, pid, &e)) {
		kill(pid, SIGKILL);
		serve_stdio_close(&io);
		close(sync);
		goto fail;
	}
	s->cfg = cfg;
	s->init = p;
	s->init_sync = sync;
	serve_oom_watch(s);
	snprintf(s->id, sizeof(s->id), "%s", c->id.s);
	r.u.started.proc = p->handle;
	r.u.started.pid = (uint32_t)pid;
	serve_send_msg(s, &r, WIRE_HDR_LEN + 64);
	serve_stdio_attach(s, &io, p);
	return;
fail:
	cgroup_destroy(s->cg);
	s->cg = NULL;
	free(s->bpf);
	s->bpf = NULL;
	s->bpf_len = 0;
	config_free(cfg);
	serve_error_e(s, m, &e);
}

static void serve_req_start(struct serve *s, const struct msg *m)
{
	struct moat_err *e = NULL;
	int sync = s->init_sync;

	if (!s->cfg) {
		serve_error(s, m, ENOENT, "no container");
		return;
	}
	if (s->started || sync < 0) {
		serve_error(s, m, EALREADY, "the container was started");
		return;
	}
	if (s->paused) {
		serve_error(s, m, EBUSY, "the container is paused");
		return;
	}
	s->started = true;
	s->init_sync = -1;
	if (container_start(sync, &e))
		serve_error_e(s, m, &e);
	else
		serve_reply(s, m);
}

static void serve_req_exec(struct serve *s, const struct msg *m)
{
	const struct msg_exec *x = &m->u.exec;
	struct msg r = { WIRE_K_REPLY, m->op, m->id, { { 0 } } };
	struct container_proc cp = { 0 };
	_cleanup_free_ const char **argv = NULL;
	_cleanup_free_ const char **env = NULL;
	_cleanup_free_ gid_t *gids = NULL;
	struct moat_err *e = NULL;
	struct serve_stdio io;
	struct serve_proc *p;
	uint32_t i;
	pid_t pid;

	if (!s->cfg || !s->started || s->init->exited || s->init_pidfd < 0) {
		serve_error(s, m, ESRCH, "the container is not running");
		return;
	}
	if (s->paused) { /* the new process would freeze before its exec */
		serve_error(s, m, EBUSY, "the container is paused");
		return;
	}
	argv = calloc(x->argv.count + 1, sizeof(*argv));
	env = calloc(x->env.count + 1, sizeof(*env));
	gids = calloc(x->gids.count + 1, sizeof(*gids));
	if (!argv || !env || !gids) {
		serve_error(s, m, ENOMEM, "out of memory");
		return;
	}
	msg_strlist_vec(&x->argv, argv, x->argv.count + 1);
	msg_strlist_vec(&x->env, env, x->env.count + 1);
	for (i = 0; i < x->gids.count; i++)
		gids[i] = msg_u32list_get(&x->gids, i);
	if (serve_stdio_open(s, &io, x->stream_in, x->stream_out, x->stream_err,
			     x->stream_tty, &e)) {
		serve_error_e(s, m, &e);
		return;
	}
	cp.cfg = s->cfg;
	cp.argv = (char *const *)argv;
	cp.env = (char *const *)env;
	cp.cwd = x->cwd.s;
	cp.has_user = true;
	cp.uid = x->uid;
	cp.gid = x->gid;
	cp.gids = gids;
	cp.ngids = x->gids.count;
	cp.has_caps = x->has_caps;
	for (i = 0; i < CONFIG_CAP_SETS; i++)
		cp.caps[i] = x->caps[i];
	cp.nnp = x->no_new_privs;
	cp.stdio[0] = io.theirs[0];
	cp.stdio[1] = io.theirs[1];
	cp.stdio[2] = io.theirs[2];
	cp.tty = x->stream_tty != 0;
	cp.bpf = s->bpf;
	cp.bpf_len = s->bpf_len;
	cp.cgroup_procs = s->cg ? cgroup_procs_path(s->cg) : NULL;
	pid = container_exec(&cp, s->init_pidfd, &io.master, &e);
	if (pid < 0) {
		serve_stdio_close(&io);
		serve_error_e(s, m, &e);
		return;
	}
	p = serve_proc_new(s, pid);
	if (!p) {
		kill(pid, SIGKILL);
		serve_stdio_close(&io);
		serve_error(s, m, ENOMEM, "out of memory");
		return;
	}
	/* v1 host layout: into the other hierarchies (the process has
	 * joined the memory one itself); a failure is logged, not fatal */
	if (s->cg && cgroup_attach(s->cg, pid, &e)) {
		agent_log("exec: %s", e ? e->msg : "cgroup");
		moat_err_free(&e);
	}
	r.u.started.proc = p->handle;
	r.u.started.pid = (uint32_t)pid;
	serve_send_msg(s, &r, WIRE_HDR_LEN + 64);
	serve_stdio_attach(s, &io, p);
}

static struct serve_proc *serve_target(struct serve *s, const struct msg *m,
				       uint32_t handle)
{
	struct serve_proc *p = serve_proc_find(s, handle);

	if (!p)
		serve_error(s, m, ESRCH, "no process %u", handle);
	return p;
}

static void serve_req_signal(struct serve *s, const struct msg *m)
{
	const struct msg_signal *sg = &m->u.signal;
	uint32_t pids[4096];
	struct serve_proc *p;
	size_t n, i;

	if (sg->all) {
		if (!s->init) {
			serve_error(s, m, ESRCH, "no container");
			return;
		}
		n = serve_container_pids(s, pids, 4096);
		for (i = 0; i < n; i++)
			kill((pid_t)pids[i], (int)sg->signo);
		serve_reply(s, m);
		return;
	}
	p = serve_target(s, m, sg->proc);
	if (!p)
		return;
	if (p->exited) {
		serve_error(s, m, ESRCH, "process %u has exited", p->handle);
		return;
	}
	if (kill(p->pid, (int)sg->signo) < 0)
		serve_error(s, m, (uint32_t)errno, "kill: %s", strerror(errno));
	else
		serve_reply(s, m);
}

static void serve_req_resize(struct serve *s, const struct msg *m)
{
	struct serve_proc *p = serve_target(s, m, m->u.resize.proc);
	struct winsize ws = { 0 };

	if (!p)
		return;
	if (!p->tty || p->tty->fd < 0) {
		serve_error(s, m, ENOTTY, "process %u has no terminal",
			    p->handle);
		return;
	}
	ws.ws_row = (unsigned short)m->u.resize.rows;
	ws.ws_col = (unsigned short)m->u.resize.cols;
	if (ioctl(p->tty->fd, TIOCSWINSZ, &ws) < 0)
		serve_error(s, m, (uint32_t)errno, "resize: %s",
			    strerror(errno));
	else
		serve_reply(s, m);
}

static void serve_req_close_stdin(struct serve *s, const struct msg *m)
{
	struct serve_proc *p = serve_target(s, m, m->u.target.proc);
	struct serve_stream *st;

	if (!p)
		return;
	st = p->in;
	if (st && !st->rx_discard) {
		/* What comes on the stream from now on is dropped. */
		st->rx_discard = true;
		if (st->rlen)
			wire_credit_drain(&st->rxc, (uint32_t)st->rlen);
		st->rlen = 0;
		if (st->armed)
			epoll_ctl(s->ep, EPOLL_CTL_DEL, st->fd, NULL);
		st->armed = 0;
		close(st->fd);
		st->fd = -1;
		if (!st->rx)
			serve_stream_rx_end(s, st);
		serve_stream_arm(s, st);
	}
	serve_reply(s, m);
}

static void serve_req_wait(struct serve *s, const struct msg *m)
{
	struct serve_proc *p = serve_target(s, m, m->u.target.proc);
	uint32_t *w;

	if (!p)
		return;
	if (p->exited) {
		serve_send_exit(s, WIRE_K_REPLY, MSG_OP_WAIT, m->id, p);
		return;
	}
	w = realloc(p->waiters, (p->nwaiters + 1) * sizeof(*w));
	if (!w) {
		serve_error(s, m, ENOMEM, "out of memory");
		return;
	}
	w[p->nwaiters++] = m->id;
	p->waiters = w;
}

static void serve_req_ps(struct serve *s, const struct msg *m)
{
	struct msg r = { WIRE_K_REPLY, m->op, m->id, { { 0 } } };
	_cleanup_free_ uint32_t *pids = malloc(MSG_PIDS_MAX * 4);
	_cleanup_free_ uint8_t *buf = malloc(MSG_PIDS_MAX * 4);
	size_t n;

	if (!pids || !buf) {
		serve_error(s, m, ENOMEM, "out of memory");
		return;
	}
	n = serve_container_pids(s, pids, MSG_PIDS_MAX);
	msg_u32list_pack(buf, MSG_PIDS_MAX * 4, pids, (uint32_t)n,
			 &r.u.ps.pids);
	serve_send_msg(s, &r, WIRE_HDR_LEN + 64 + n * 4);
}

/* The container's group, or an ERROR saying why there is none. */
static struct cgroup *serve_cgroup(struct serve *s, const struct msg *m)
{
	if (!s->cfg) {
		serve_error(s, m, ENOENT, "no container");
		return NULL;
	}
	if (!s->cg)
		serve_error(s, m, EOPNOTSUPP,
			    "the container has no cgroup (host mode without "
			    "--cgroup-root)");
	return s->cg;
}

static void serve_req_stats(struct serve *s, const struct msg *m)
{
	struct msg r = { WIRE_K_REPLY, m->op, m->id, { { 0 } } };
	struct cgroup *cg = serve_cgroup(s, m);
	struct moat_err *e = NULL;
	struct cgroup_stats st;

	if (!cg)
		return;
	if (cgroup_stats(cg, &st, &e)) {
		serve_error_e(s, m, &e);
		return;
	}
	r.u.stats.cpu_ns = st.cpu_ns;
	r.u.stats.cpu_user_ns = st.cpu_user_ns;
	r.u.stats.cpu_sys_ns = st.cpu_sys_ns;
	r.u.stats.mem_bytes = st.mem_bytes;
	r.u.stats.mem_limit = st.mem_limit;
	r.u.stats.pids = st.pids;
	r.u.stats.pids_limit = st.pids_limit;
	serve_send_msg(s, &r, WIRE_HDR_LEN + 128);
}

static void serve_req_update(struct serve *s, const struct msg *m)
{
	const struct msg_blob *b = &m->u.update.resources;
	struct cgroup *cg = serve_cgroup(s, m);
	struct moat_err *e = NULL;
	struct cgroup_limits l;

	if (!cg)
		return;
	if (resources_parse((const char *)b->p, b->len, &l, &e) ||
	    cgroup_set(cg, &l, &e))
		serve_error_e(s, m, &e);
	else
		serve_reply(s, m);
}

/*
 * Stop or continue every process of the container: the cgroup freezer,
 * or, without a group (host mode without --cgroup-root), SIGSTOP and
 * SIGCONT to each of its processes (serve_container_pids(): without a pid
 * namespace, only the processes the agent started). A process stopped
 * by signal can see it (a parent's waitpid(WUNTRACED), SIGCHLD); a frozen
 * one cannot.
 */
static void serve_req_pause(struct serve *s, const struct msg *m, bool pause)
{
	struct moat_err *e = NULL;
	uint32_t *pids;
	size_t n, i;

	if (!s->cfg || !s->started || s->init->exited) {
		serve_error(s, m, ESRCH, "the container is not running");
		return;
	}
	if (s->paused == pause) {
		serve_error(s, m, EALREADY, "the container is %s",
			    pause ? "paused already" : "not paused");
		return;
	}
	if (s->cg) {
		if (cgroup_freeze(s->cg, pause, &e)) {
			/* a partial freeze is undone */
			if (pause)
				cgroup_freeze(s->cg, false, NULL);
			serve_error_e(s, m, &e);
			return;
		}
	} else {
		pids = malloc(MSG_PIDS_MAX * sizeof(*pids));
		if (!pids) {
			serve_error(s, m, ENOMEM, "out of memory");
			return;
		}
		n = serve_container_pids(s, pids, MSG_PIDS_MAX);
		for (i = 0; i < n; i++)
			kill((pid_t)pids[i], pause ? SIGSTOP : SIGCONT);
		free(pids);
	}
	s->paused = pause;
	serve_reply(s, m);
}

static void serve_req_shutdown(struct serve *s, const struct msg *m)
{
	serve_reply(s, m);
	s->shutdown = true;
	serve_kill_all(s);
}

static void serve_request(struct serve *s, const struct wire_frame *f)
{
	struct msg m;
	int r = msg_decode(f, &m);

	if (r < 0) {
		serve_error(s, &m, msg_error_code(r), "request: %s",
			    wire_strerror(r));
		return;
	}
	if (s->shutdown) {
		serve_error(s, &m, ESHUTDOWN, "shutting down");
		return;
	}
	switch (m.op) {
	case MSG_OP_CREATE:
		serve_req_create(s, &m);
		break;
	case MSG_OP_START:
		serve_req_start(s, &m);
		break;
	case MSG_OP_EXEC:
		serve_req_exec(s, &m);
		break;
	case MSG_OP_SIGNAL:
		serve_req_signal(s, &m);
		break;
	case MSG_OP_RESIZE:
		serve_req_resize(s, &m);
		break;
	case MSG_OP_CLOSE_STDIN:
		serve_req_close_stdin(s, &m);
		break;
	case MSG_OP_WAIT:
		serve_req_wait(s, &m);
		break;
	case MSG_OP_PS:
		serve_req_ps(s, &m);
		break;
	case MSG_OP_STATS:
		serve_req_stats(s, &m);
		break;
	case MSG_OP_UPDATE:
		serve_req_update(s, &m);
		break;
	case MSG_OP_PAUSE:
	case MSG_OP_RESUME:
		serve_req_pause(s, &m, m.op == MSG_OP_PAUSE);
		break;
	case MSG_OP_SHUTDOWN:
		serve_req_shutdown(s, &m);
		break;
	default: /* msg_decode() knows no other op */
		serve_error(s, &m, ENOSYS, "request %u: unknown", m.op);
		break;
	}
}

/* --- input -----------------------------------------------------------------
 */

static void serve_hello(struct serve *s, const struct wire_frame *f)
{
	struct msg_hello mine = { 1, 1, 0, { NULL, 0 } };
	uint64_t features;
	uint32_t version;
	struct msg m;
	int r;

	if (f->kind != WIRE_K_HELLO) {
		serve_fatal(s, "the first frame is not a HELLO", WIRE_EKIND);
		return;
	}
	r = msg_decode(f, &m);
	if (r == 0)
		r = msg_hello_negotiate(&mine, &m.u.hello, &version, &features);
	if (r < 0) {
		serve_fatal(s, "handshake", r);
		return;
	}
	s->hello_done = true;
}

static void serve_data(struct serve *s, const struct wire_frame *f)
{
	struct serve_stream *st = serve_stream_find(s, f->id);
	size_t tail, first;
	int r;

	if (!st || !st->ring || st->rx_done) {
		serve_fatal(s, "data on a stream that is not open",
			    WIRE_ESTREAM);
		return;
	}
	if (f->kind == WIRE_K_EOF) {
		r = wire_credit_eof(&st->rxc);
		if (r < 0) {
			serve_fatal(s, "eof", r);
			return;
		}
		st->rx = false;
		if (!st->rlen || st->rx_discard)
			serve_stream_rx_end(s, st);
		serve_stream_arm(s, st);
		return;
	}
	r = wire_credit_recv(&st->rxc, f->len);
	if (r < 0) {
		serve_fatal(s, "data", r);
		return;
	}
	if (st->rx_discard) {
		wire_credit_drain(&st->rxc, f->len);
	} else {
		/* avail + held <= window: the bytes fit in the ring. */
		tail = (st->rhead + st->rlen) % SERVE_STDIN_WINDOW;
		first = SERVE_STDIN_WINDOW - tail;
		if (first > f->len)
			first = f->len;
		memcpy(st->ring + tail, f->body, first);
		memcpy(st->ring, f->body + first, f->len - first);
		st->rlen += f->len;
	}
	serve_stream_write(s, st);
	serve_stream_arm(s, st);
}

static void serve_frame(struct serve *s, const struct wire_frame *f)
{
	struct serve_stream *st;
	int r;

	if (!s->hello_done) {
		serve_hello(s, f);
		return;
	}
	switch (f->kind) {
	case WIRE_K_REQUEST:
		serve_request(s, f);
		break;
	case WIRE_K_DATA:
	case WIRE_K_EOF:
		serve_data(s, f);
		break;
	case WIRE_K_CREDIT:
		st = serve_stream_find(s, f->id);
		if (!st || !st->frame || !st->tx)
			break; /* unknown or ended: ignored */
		r = wire_credit_add(&st->txc, f->grant);
		if (r < 0)
			serve_fatal(s, "credit", r);
		else
			serve_stream_arm(s, st);
		break;
	default: /* a second HELLO, or a kind only the agent sends */
		serve_fatal(s, "unexpected frame kind", WIRE_EKIND);
		break;
	}
}

static void serve_frame_cb(void *ctx, const struct wire_frame *f)
{
	serve_frame(ctx, f);
}

/* Frames wait in the buffer while control replies pile up unsent. */
static bool serve_more_frames(void *ctx)
{
	const struct serve *s = ctx;

	return !s->closing && !s->shutdown && s->ctl_bytes < SERVE_CTL_MAX;
}

static void serve_chan_event(struct serve *s, struct serve_fdh *h, uint32_t ev)
{
	ssize_t n;
	int r;

	if (ev & EPOLLOUT)
		serve_flush(s);
	if (!(ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) || s->closing ||
	    s->shutdown)
		return;
	n = read(s->chan, s->rbuf + s->rlen, SERVE_RBUF - s->rlen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (n < 0)
			serve_fatal(s, "read", errno);
		s->closing = true;
		return;
	}
	s->rlen += (size_t)n;
	r = wire_frames_consume(s->rbuf, &s->rlen, serve_frame_cb,
				serve_more_frames, s);
	if (r < 0)
		serve_fatal(s, "frame", r);
}

/* --- the loop --------------------------------------------------------------
 */

static long serve_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static bool serve_all_exited(struct serve *s)
{
	struct serve_proc *p;

	for (p = s->procs; p; p = p->next)
		if (!p->exited)
			return false;
	return true;
}

static void serve_cleanup(struct serve *s)
{
	struct serve_proc *p, *pn;
	struct serve_out *o, *on;

	serve_kill_all(s);
	for (p = s->procs; p; p = p->next)
		if (!p->exited)
			while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
				;
	serve_reap(s);
	while (s->streams)
		serve_stream_free(s, s->streams);
	serve_stream_reap(s);
	for (p = s->procs; p; p = pn) {
		pn = p->next;
		free(p->waiters);
		free(p);
	}
	for (o = s->ctl_head; o; o = on) {
		on = o->next;
		free(o);
	}
	free(s->cur_ctl);
	if (s->init_sync >= 0)
		close(s->init_sync);
	if (s->init_pidfd >= 0)
		close(s->init_pidfd);
	cgroup_destroy(s->cg);
	config_free(s->cfg);
	free(s->bpf);
	free(s->rbuf);
	close(s->sigfd);
	close(s->ep);
}

int serve_run(const struct agent_opts *o)
{
	struct msg hello = { WIRE_K_HELLO, 0, 0, { { 0 } } };
	struct epoll_event ev[32];
	struct serve s = { 0 };
	struct serve_fdh *h;
	long deadline = 0;
	sigset_t mask;
	int i, n, timeout;

	s.o = o;
	s.chan = o->channel_fd;
	s.ctl_tail = &s.ctl_head;
	s.ready_tail = &s.ready_head;
	s.init_pidfd = s.init_sync = -1;
	s.chan_h.fn = serve_chan_event;
	s.sig_h.fn = serve_sig_event;
	s.oom_h.fn = serve_oom_event;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	s.sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	s.ep = epoll_create1(EPOLL_CLOEXEC);
	s.rbuf = malloc(SERVE_RBUF);
	if (s.sigfd < 0 || s.ep < 0 || !s.rbuf) {
		agent_log("serve: %s", strerror(errno));
		return 1;
	}
	fcntl(s.chan, F_SETFL, fcntl(s.chan, F_GETFL) | O_NONBLOCK);
	fcntl(s.chan, F_SETFD, FD_CLOEXEC);
	/* A socket (host mode): room for a few batches, fewer short writes;
	 * the guest's port is not a socket and keeps its buffers. */
	i = SERVE_CHAN_SNDBUF;
	setsockopt(s.chan, SOL_SOCKET, SO_SNDBUF, &i, sizeof(i));
	ev[0].events = EPOLLIN;
	ev[0].data.ptr = &s.sig_h;
	epoll_ctl(s.ep, EPOLL_CTL_ADD, s.sigfd, &ev[0]);
	ev[0].events = 0;
	ev[0].data.ptr = &s.chan_h;
	epoll_ctl(s.ep, EPOLL_CTL_ADD, s.chan, &ev[0]);

	hello.u.hello.version_min = 1;
	hello.u.hello.version_max = 1;
	hello.u.hello.name.s = "moat-agent";
	hello.u.hello.name.len = (uint32_t)strlen("moat-agent");
	serve_send_msg(&s, &hello, WIRE_HDR_LEN + 128);
	serve_flush(&s);

	while (!s.closing) {
		timeout = -1;
		if (s.oom_pending) {
			timeout = (int)(s.oom_deadline - serve_now_ms());
			if (timeout <= 0) {
				serve_oom_flush(&s);
				serve_flush(&s);
				timeout = -1;
			}
		}
		if (s.shutdown) {
			if (!deadline)
				deadline = serve_now_ms() + SERVE_SHUTDOWN_MS;
			if (serve_all_exited(&s) && !s.ctl_head && !s.cur_ctl &&
			    !s.cur_stream)
				break;
			if (timeout < 0 ||
			    timeout > (int)(deadline - serve_now_ms()))
				timeout = (int)(deadline - serve_now_ms());
			if (timeout <= 0)
				break;
		}
		n = epoll_wait(s.ep, ev, 32, timeout);
		if (n < 0 && errno != EINTR) {
			agent_log("epoll_wait: %s", strerror(errno));
			break;
		}
		for (i = 0; i < n; i++) {
			h = ev[i].data.ptr;
			h->fn(&s, h, ev[i].events);
		}
		serve_flush(&s);
		serve_stream_reap(&s);
	}
	n = s.shutdown && !s.closing ? 0 : 1;
	serve_cleanup(&s);
	return n;
}
