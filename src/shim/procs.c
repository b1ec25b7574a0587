/*
 * procs.c: the container's processes on the host side (shim.h): the init
 * (slot 0) and exec'd processes, their stream ids and credit, stdin and
 * terminal input to the guest, and the guest's console into the log.
 *
 * Inputs: the processes' stdin and terminals (the engine's), the
 * console pipe (the monitor's and the guest's bytes, capped).
 */
#include "shim.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>

/* --- processes and their streams ----------------------------------------- */

void shim_proc_init(struct shim_proc *p, uint32_t *next, int in, int out,
		    int err, bool tty)
{
	uint32_t base = *next - 1;

	*next += 3; /* never reused in a connection (docs/protocol.md) */
	memset(p, 0, sizeof(*p));
	p->used = true;
	p->tty = tty;
	p->client = -1;
	p->in.id = base + 1;
	p->in.fd = in;
	wire_credit_init(&p->in.c, 0);
	p->out[0].id = tty ? base + 1 : base + 2;
	p->out[0].fd = out;
	p->out[1].id = base + 3;
	p->out[1].fd = tty ? -1 : err;
	p->out[1].eof = tty;
	wire_credit_init(&p->out[0].c, SHIM_WINDOW);
	wire_credit_init(&p->out[1].c, SHIM_WINDOW);
}

size_t shim_slot(struct shim *s, struct shim_proc *p)
{
	return (size_t)(p - s->procs);
}

/* The process that owns stream id and which of its streams it is (0: stdin
 * or terminal, 1: stdout, 2: stderr); NULL when no process has it. */
struct shim_proc *shim_stream(struct shim *s, uint32_t id, int *which)
{
	struct shim_proc *p;
	size_t i;

	for (i = 0; id && i < SHIM_PROCS; i++) {
		p = &s->procs[i];
		if (!p->used || id < p->in.id || id > p->in.id + 2)
			continue;
		*which = (int)(id - p->in.id);
		return p;
	}
	return NULL;
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
		if (!p->out[i].eof)
			shim_credit(s, p->out[i].id,
				    wire_credit_grant(&p->out[i].c));
}

void shim_in_arm(struct shim *s, struct shim_proc *p)
{
	struct epoll_event ev = { .events = EPOLLIN,
				  .data.u32 = SHIM_EV_IN +
					      (uint32_t)shim_slot(s, p) };
	bool want = p->in.fd >= 0 && !p->in.eof && p->in.poll &&
		    wire_credit_sendable(&p->in.c, 1);

	if (want == p->in.armed)
		return;
	if (epoll_ctl(s->ep, want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, p->in.fd,
		      &ev) == 0)
		p->in.armed = want;
	else if (want && errno == EPERM)
		p->in.poll = false; /* a file or /dev/null: always readable */
}

static void shim_in_eof(struct shim *s, struct shim_proc *p);

/* An exec'd process is over: tell its client how it ended, close what it
 * owned, free its slot. */
void shim_proc_done(struct shim *s, struct shim_proc *p)
{
	char line[64];
	int n;

	if (p->in.armed) {
		epoll_ctl(s->ep, EPOLL_CTL_DEL, p->in.fd, NULL);
		p->in.armed = false;
	}
	/* The agent frees the stream when its host direction ends too. */
	if (p->proc && !p->in.eof)
		shim_in_eof(s, p);
	if (p->client >= 0) {
		epoll_ctl(s->ep, EPOLL_CTL_DEL, p->client, NULL);
		if (!p->exited)
			p->code = SHIM_STATUS_LOST;
		n = snprintf(line, sizeof(line), "exit %u %u\n", p->code,
			     p->signo);
		if (send(p->client, line, (size_t)n,
			 MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			/* the client is gone: nobody to tell */
		}
		close(p->client);
	}
	if (p->own_fds) {
		if (p->in.fd >= 0)
			close(p->in.fd);
		if (!p->tty && p->out[0].fd >= 0)
			close(p->out[0].fd);
		if (!p->tty && p->out[1].fd >= 0)
			close(p->out[1].fd);
	}
	p->used = false;
}

/* --- stdin and terminal input --------------------------------------------- */

static void shim_in_eof(struct shim *s, struct shim_proc *p)
{
	uint8_t buf[WIRE_HDR_LEN];

	p->in.eof = true;
	wire_credit_eof(&p->in.c);
	shim_send(s, buf, wire_eof_encode(buf, sizeof(buf), p->in.id));
	shim_in_arm(s, p);
}

void shim_in_read(struct shim *s, struct shim_proc *p)
{
	uint32_t n = wire_credit_sendable(&p->in.c, WIRE_DATA_MAX);
	uint8_t *body = s->wbuf + WIRE_FRAME_MAX / 2;
	ssize_t r;

	if (!n || p->in.eof || p->in.fd < 0)
		return;
	r = read(p->in.fd, body, n);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* A terminal whose other side closed reads EIO: its end. */
	if (r <= 0) {
		shim_in_eof(s, p);
		return;
	}
	wire_credit_use(&p->in.c, (uint32_t)r);
	shim_send(s, s->wbuf,
		  wire_data_encode(s->wbuf, WIRE_HDR_LEN + (size_t)r, p->in.id,
				   body, (size_t)r));
	shim_in_arm(s, p);
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

	while (s->console_r >= 0) {
		n = read(s->console_r, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			if (s->ep >= 0)
				epoll_ctl(s->ep, EPOLL_CTL_DEL, s->console_r,
					  NULL);
			close(s->console_r);
			s->console_r = -1;
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
			shim_log(s, "console output beyond %u bytes dropped",
				 SHIM_CONSOLE_MAX);
		s->console_n += (size_t)n;
		shim_tail(s, buf, (size_t)n);
	}
}
