/*
 * procs.c: the container's processes on the host side (shim.h): the init
 * (slot 0) and exec'd processes, their streams (ids here, credit in the
 * agent client), their output to the engine's fds, stdin and terminal
 * input to the guest, terminal sizes, and the guest's console into the
 * log.
 *
 * Inputs: the processes' stdin and terminals (the engine's), the
 * console pipe (the monitor's and the guest's bytes, capped).
 */
#include "procs.h"
#include "chan.h"
#include "ctl.h"
#include "../common/log.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>

/* Lines the guest's output drives (log.h): a few a second at most. */
static struct log_limit shim_out_limit = LOG_LIMIT_INIT(10, 1000);
static struct log_limit shim_console_limit = LOG_LIMIT_INIT(10, 1000);

/* --- processes and their streams ----------------------------------------- */

static void shim_in_event(struct loop_handler *h, uint32_t events);

/* p, in s's table, for a new process with these fds (a terminal: in). */
void shim_proc_init(struct shim *s, struct shim_proc *p, int in, int out,
		    int err, bool tty)
{
	uint32_t base = s->next_stream - 1;

	s->next_stream += 3; /* never reused in a connection (protocol.md) */
	memset(p, 0, sizeof(*p));
	p->shim = s;
	p->used = true;
	p->tty = tty;
	p->client.fd = -1;
	p->in.id = base + 1;
	p->in.h.fd = in;
	p->in.h.fn = shim_in_event;
	p->out[0].id = tty ? base + 1 : base + 2;
	p->out[0].fd = out;
	p->out[1].id = base + 3;
	p->out[1].fd = tty ? -1 : err;
	p->out[1].eof = tty;
}

/* p's streams in the agent client, before its CREATE or EXEC: with a
 * terminal one both ways, else stdin and two outputs. Returns 0 or -1 (the
 * client's table is full). */
int shim_proc_open(struct shim *s, struct shim_proc *p)
{
	p->in.st = aclient_stream_open(&s->ac, p->in.id,
				       p->tty ? SHIM_WINDOW : 0, p);
	if (p->tty) {
		p->out[0].st = p->in.st;
		return p->in.st ? 0 : -1;
	}
	p->out[0].st =
		aclient_stream_open(&s->ac, p->out[0].id, SHIM_WINDOW, p);
	p->out[1].st =
		aclient_stream_open(&s->ac, p->out[1].id, SHIM_WINDOW, p);
	return p->in.st && p->out[0].st && p->out[1].st ? 0 : -1;
}

static void shim_proc_close(struct shim *s, struct shim_proc *p)
{
	if (p->in.st)
		aclient_stream_close(&s->ac, p->in.st);
	if (!p->tty && p->out[0].st)
		aclient_stream_close(&s->ac, p->out[0].st);
	if (!p->tty && p->out[1].st)
		aclient_stream_close(&s->ac, p->out[1].st);
	p->in.st = p->out[0].st = p->out[1].st = NULL;
}

struct shim_proc *shim_by_handle(struct shim *s, uint32_t proc)
{
	size_t i;

	for (i = 0; proc && i < SHIM_PROCS; i++)
		if (s->procs[i].used && s->procs[i].proc == proc)
			return &s->procs[i];
	return NULL;
}

/* Fill a CREATE's or EXEC's stream ids for p. */
void shim_proc_streams(const struct shim_proc *p, uint32_t *in, uint32_t *out,
		       uint32_t *err, uint32_t *tty)
{
	if (p->tty) {
		*tty = p->in.id;
		*in = *out = *err = 0;
	} else {
		*tty = 0;
		*in = p->in.id;
		*out = p->out[0].id;
		*err = p->out[1].id;
	}
}

/* Credit for p's output streams, right after its request (protocol.md). */
void shim_proc_credit(struct shim *s, struct shim_proc *p)
{
	size_t i;

	for (i = 0; i < 2; i++)
		if (!p->out[i].eof && p->out[i].st)
			aclient_grant(&s->ac, p->out[i].st);
}

/* p's input may be sent now (open, with credit). */
bool shim_in_ready(const struct shim_proc *p)
{
	return p->in.h.fd >= 0 && !p->in.eof && p->in.st &&
	       aclient_sendable(p->in.st, 1);
}

/* p's input in the loop while it may be read, out of it otherwise. */
void shim_in_arm(struct shim *s, struct shim_proc *p)
{
	bool want = p->in.poll && shim_in_ready(p);

	if (want == p->in.h.added)
		return;
	if (loop_set(&s->loop, &p->in.h, want ? EPOLLIN : 0) < 0 && want &&
	    errno == EPERM)
		p->in.poll = false; /* a file or /dev/null: always readable */
}

static void shim_in_eof(struct shim *s, struct shim_proc *p);

/* An exec'd process is over: tell its client how it ended, close what it
 * owned, free its slot. */
void shim_proc_done(struct shim *s, struct shim_proc *p)
{
	char line[64];
	int n;

	loop_set(&s->loop, &p->in.h, 0);
	/* The agent frees the stream when its host direction ends too. */
	if (p->proc && !p->in.eof)
		shim_in_eof(s, p);
	if (p->client.fd >= 0) {
		loop_set(&s->loop, &p->client, 0);
		if (!p->exited)
			p->code = SHIM_STATUS_LOST;
		n = snprintf(line, sizeof(line), "exit %u %u\n", p->code,
			     p->signo);
		if (send(p->client.fd, line, (size_t)n,
			 MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* the client is gone: nobody to tell */
		}
		close(p->client.fd);
	}
	if (p->own_fds) {
		if (p->in.h.fd >= 0)
			close(p->in.h.fd);
		if (!p->tty && p->out[0].fd >= 0)
			close(p->out[0].fd);
		if (!p->tty && p->out[1].fd >= 0)
			close(p->out[1].fd);
	}
	shim_proc_close(s, p);
	p->used = false;
}

/* --- stdin and terminal input --------------------------------------------- */

static void shim_in_eof(struct shim *s, struct shim_proc *p)
{
	p->in.eof = true;
	aclient_eof(&s->ac, p->in.id);
	shim_in_arm(s, p);
}

void shim_in_read(struct shim *s, struct shim_proc *p)
{
	uint8_t body[WIRE_DATA_MAX];
	uint32_t n = p->in.st ? aclient_sendable(p->in.st, sizeof(body)) : 0;
	ssize_t r;

	if (!n || p->in.eof || p->in.h.fd < 0)
		return;
	r = read(p->in.h.fd, body, n);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* A terminal whose other side closed reads EIO: its end. */
	if (r <= 0) {
		shim_in_eof(s, p);
		return;
	}
	aclient_data(&s->ac, p->in.st, body, (size_t)r);
	shim_in_arm(s, p);
}

/* p's stdin or terminal is readable. */
static void shim_in_event(struct loop_handler *h, uint32_t events)
{
	struct shim_proc *p = loop_owner(h, struct shim_proc, in.h);

	(void)events;
	if (p->used)
		shim_in_read(p->shim, p);
}

/* CREDIT came for one of p's streams: its input may go on. */
void shim_in_credit(void *ctx, struct aclient_stream *st)
{
	struct shim_proc *p = st->arg;

	if (st == p->in.st && !p->in.eof)
		shim_in_arm(ctx, p);
}

/* --- output and terminals ------------------------------------------------- */

static struct shim_out *shim_out_of(struct shim_proc *p,
				    const struct aclient_stream *st)
{
	return p->tty || st == p->out[0].st ? &p->out[0] : &p->out[1];
}

/* A process's output: to the engine's fd; a reader that went away loses
 * the bytes, not the container. */
void shim_out_data(void *ctx, struct aclient_stream *st, const uint8_t *b,
		   size_t n)
{
	struct shim_out *o = shim_out_of(st->arg, st);

	(void)ctx;
	if (o->fd >= 0 && shim_write_all(o->fd, b, n) < 0) {
		log_limited(&shim_out_limit, "stream %u: %s: output dropped",
			    o->id, strerror(errno));
		o->fd = -1;
	}
}

void shim_out_eof(void *ctx, struct aclient_stream *st)
{
	(void)ctx;
	shim_out_of(st->arg, st)->eof = true;
}

void shim_resize(struct shim *s, struct shim_proc *p, int fd)
{
	struct winsize ws;
	struct msg m = { 0 };

	if (!p->proc || !p->tty || !shim_running(s) ||
	    ioctl(fd, TIOCGWINSZ, &ws) < 0 || (!ws.ws_row && !ws.ws_col))
		return;
	m.op = MSG_OP_RESIZE;
	m.u.resize.proc = p->proc;
	m.u.resize.rows = ws.ws_row;
	m.u.resize.cols = ws.ws_col;
	shim_request(s, &m, NULL, NULL);
}

/* --- the guest's console ------------------------------------------------- */

/* Keep the console's last SHIM_TAIL bytes, printable, one line. */
static void shim_tail(struct shim *s, const char *buf, size_t n)
{
	size_t i;

	if (n > SHIM_TAIL) {
		buf += n - SHIM_TAIL;
		n = SHIM_TAIL;
	}
	if (s->tail_len + n > SHIM_TAIL) {
		size_t drop = s->tail_len + n - SHIM_TAIL;

		memmove(s->console_tail, s->console_tail + drop,
			s->tail_len - drop);
		s->tail_len -= drop;
	}
	for (i = 0; i < n; i++)
		s->console_tail[s->tail_len++] =
			buf[i] >= 0x20 && buf[i] < 0x7f ? buf[i] : ' ';
}

/* Copy what the console pipe holds to the log, up to SHIM_CONSOLE_MAX;
 * the rest is read and dropped (said once). */
void shim_console(struct shim *s)
{
	char buf[65536];
	ssize_t n;
	size_t keep;

	while (s->console_h.fd >= 0) {
		n = read(s->console_h.fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			loop_set(&s->loop, &s->console_h, 0);
			close(s->console_h.fd);
			s->console_h.fd = -1;
			return;
		}
		keep = s->console_n >= SHIM_CONSOLE_MAX ? 0
		       : (size_t)n < SHIM_CONSOLE_MAX - s->console_n
			       ? (size_t)n
			       : SHIM_CONSOLE_MAX - s->console_n;
		if (keep && write(s->log_fd, buf, keep) < 0) {
			/* nowhere to keep it */
		}
		if (keep < (size_t)n && s->console_n < SHIM_CONSOLE_MAX)
			log_limited(&shim_console_limit,
				    "console output beyond %u bytes dropped",
				    SHIM_CONSOLE_MAX);
		s->console_n += (size_t)n;
		shim_tail(s, buf, (size_t)n);
	}
}

void shim_console_event(struct loop_handler *h, uint32_t events)
{
	(void)events;
	shim_console(loop_owner(h, struct shim, console_h));
}
