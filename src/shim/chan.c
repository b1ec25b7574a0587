/*
 * chan.c: the shim's side of the agent channel (shim.h): frames to the
 * agent (requests, credit), and what comes back through the pure codec in
 * src/proto: HELLO, replies (CREATE, START, EXEC, PS, STATS, ...), events
 * (EXIT, OOM) and the processes' output. Tells `moat create` how creating
 * went (the sync socket).
 *
 * Inputs: every byte from the agent (the guest), decoded by src/proto.
 */
#include "shim.h"
#include "../runtime/shimctl.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

/* --- the agent channel ---------------------------------------------------- */

void shim_lost(struct shim *s, const char *what)
{
	if (s->phase < SHIM_STOPPING || s->phase == SHIM_DONE)
		shim_log(s, "agent channel: %s", what);
	if (!s->lost[0])
		snprintf(s->lost, sizeof(s->lost), "%s", what);
	if (!s->exited) {
		s->exited = true;
		s->code = SHIM_STATUS_LOST;
	}
	s->phase = SHIM_DONE;
}

void shim_send(struct shim *s, const void *buf, int n)
{
	if (n < 0) {
		shim_log(s, "encode: %s", wire_strerror(n));
		return;
	}
	if (s->phase == SHIM_DONE || s->sb.chan_fd < 0)
		return;
	if (shim_write_all(s->sb.chan_fd, buf, (size_t)n) < 0)
		shim_lost(s, "write failed");
}

static void shim_send_msg(struct shim *s, struct msg *m)
{
	shim_send(s, s->wbuf, msg_encode(s->wbuf, WIRE_FRAME_MAX, m));
}

uint32_t shim_request(struct shim *s, struct msg *m)
{
	if (m->op == MSG_OP_SHUTDOWN)
		s->shutdown_sent = true;
	m->kind = WIRE_K_REQUEST;
	m->id = ++s->next_req;
	shim_send_msg(s, m);
	return m->id;
}

void shim_credit(struct shim *s, uint32_t stream, uint32_t grant)
{
	uint8_t buf[WIRE_HDR_LEN + 4];

	if (grant)
		shim_send(s, buf,
			  wire_credit_encode(buf, sizeof(buf), stream, grant));
}

/* A printable copy of guest text (an ERROR's), for messages. */
static void shim_text(char *dst, size_t cap, const struct msg_str *t)
{
	size_t i, j = 0;

	for (i = 0; t->s && i < t->len && j + 1 < cap; i++)
		dst[j++] = t->s[i] >= 0x20 && t->s[i] < 0x7f ? t->s[i] : '?';
	dst[j] = '\0';
}

/*
 * Tell `moat create` how creating went, once: "ok <pid>" or "error <text>".
 * Success closes the pipe at once; a failure leaves it open until the shim
 * exits, so that the CLI goes on only when the VM is gone.
 */

void shim_sync(struct shim *s, bool ok, const char *fmt, ...)
{
	char buf[MOAT_ERR_MSG_MAX + 64];
	va_list ap;
	int n;

	if (s->synced || s->sync_fd < 0)
		return;
	s->synced = true;
	n = snprintf(buf, sizeof(buf), "%s ", ok ? "ok" : "error");
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	if (shim_write_all(s->sync_fd, buf, strlen(buf)) < 0 && ok) {
		/* moat create is gone: nobody will record the container */
		shim_log(s, "moat create went away");
		shim_lost(s, "moat create went away");
	}
	if (ok) {
		epoll_ctl(s->ep, EPOLL_CTL_DEL, s->sync_fd, NULL);
		close(s->sync_fd);
		s->sync_fd = -1;
	}
}

/* --- frames from the agent ------------------------------------------------ */

static void shim_reply(struct shim *s, const struct msg *m)
{
	char text[MSG_TEXT_MAX + 1] = "";
	struct shim_pending *p = NULL;
	size_t i;

	if (m->kind == WIRE_K_ERROR)
		shim_text(text, sizeof(text), &m->u.error.text);
	if (m->id == s->create_req && m->op == MSG_OP_CREATE) {
		s->create_req = 0;
		if (m->kind == WIRE_K_ERROR) {
			struct msg sd = { 0 };

			shim_sync(s, false, "agent: create: %s", text);
			s->exited = true;
			s->code = 1;
			sd.op = MSG_OP_SHUTDOWN;
			shim_request(s, &sd);
			if (s->phase != SHIM_DONE)
				s->phase = SHIM_STOPPING;
			s->deadline = shim_now_ms() + SHIM_SHUTDOWN_MS;
			return;
		}
		s->init_proc = m->u.started.proc;
		s->init_pid = m->u.started.pid;
		s->procs[0].proc = s->init_proc;
		s->procs[0].pid = s->init_pid;
		s->phase = SHIM_CREATED;
		s->deadline = 0;
		if (s->procs[0].tty)
			shim_resize(s, &s->procs[0], s->procs[0].in.fd);
		shim_sync(s, true, "%d", (int)getpid());
		return;
	}
	if (m->op == MSG_OP_EXEC) {
		struct shim_proc *x = NULL;

		for (i = 1; i < SHIM_PROCS; i++)
			if (s->procs[i].used && s->procs[i].req == m->id)
				x = &s->procs[i];
		if (!x)
			return;
		x->req = 0;
		if (m->kind == WIRE_K_ERROR) {
			int fd = x->client;

			x->client = -1;
			shim_proc_done(s, x);
			shim_answer(fd, "error agent: %s", text);
			return;
		}
		x->proc = m->u.started.proc;
		x->pid = m->u.started.pid;
		{
			struct epoll_event ev = { .events = EPOLLIN };
			char line[32];
			int n = snprintf(line, sizeof(line), "ok %u\n", x->pid);

			ev.data.u32 =
				SHIM_EV_CLIENT + (uint32_t)shim_slot(s, x);
			if (send(x->client, line, (size_t)n,
				 MSG_NOSIGNAL | MSG_DONTWAIT) != n ||
			    epoll_ctl(s->ep, EPOLL_CTL_ADD, x->client, &ev) < 0)
				shim_signal_proc(s, x->proc, SIGKILL, false,
						 -1);
		}
		if (x->tty)
			shim_resize(s, x, x->in.fd);
		shim_in_arm(s, x);
		return;
	}
	for (i = 0; i < SHIM_MAX_PENDING; i++)
		if (s->pending[i].req == m->id && s->pending[i].op == m->op)
			p = &s->pending[i];
	if (!p)
		return;
	if (m->kind == WIRE_K_ERROR) {
		shim_answer(p->fd, "error agent: %s", text);
	} else if (m->op == MSG_OP_PS) {
		char line[SHIMCTL_LINE_MAX];
		size_t n = (size_t)snprintf(line, sizeof(line), "ok");
		uint32_t k;

		for (k = 0; k < m->u.ps.pids.count && n + 12 < sizeof(line);
		     k++)
			n += (size_t)snprintf(
				line + n, sizeof(line) - n, " %u",
				msg_u32list_get(&m->u.ps.pids, k));
		shim_answer(p->fd, "%s", line);
	} else if (m->op == MSG_OP_STATS) {
		const struct msg_stats *st = &m->u.stats;

		shim_answer(p->fd,
			    "ok cpu=%" PRIu64 " user=%" PRIu64 " sys=%" PRIu64
			    " mem=%" PRIu64 " memlimit=%" PRIu64
			    " pids=%" PRIu64 " pidslimit=%" PRIu64 " oom=%u",
			    st->cpu_ns, st->cpu_user_ns, st->cpu_sys_ns,
			    st->mem_bytes, st->mem_limit, st->pids,
			    st->pids_limit, s->ooms);
	} else {
		if (m->op == MSG_OP_START && s->phase == SHIM_CREATED) {
			s->phase = SHIM_RUNNING;
			shim_record(s, STATE_RUNNING);
		}
		if (m->op == MSG_OP_PAUSE)
			shim_record(s, STATE_PAUSED);
		if (m->op == MSG_OP_RESUME)
			shim_record(s, STATE_RUNNING);
		shim_answer(p->fd, "ok");
	}
	p->req = 0;
}

static void shim_hello(struct shim *s, const struct wire_frame *f)
{
	struct msg m, hello = { WIRE_K_HELLO, 0, 0, { { 0 } } };
	struct msg_hello mine = { 1, 1, 0, { "moat-shim", 9 } };
	struct msg c = { 0 };
	uint64_t features;
	uint32_t version;
	int r;

	r = f->kind == WIRE_K_HELLO ? msg_decode(f, &m) : WIRE_EKIND;
	if (r == 0)
		r = msg_hello_negotiate(&mine, &m.u.hello, &version, &features);
	if (r < 0) {
		shim_lost(s, wire_strerror(r));
		return;
	}
	hello.u.hello = mine;
	shim_send_msg(s, &hello);
	c.op = MSG_OP_CREATE;
	c.u.create.id.s = s->agent_id;
	c.u.create.id.len = (uint32_t)strlen(s->agent_id);
	c.u.create.bundle.s = SANDBOX_ROOTFS_TAG;
	c.u.create.bundle.len = (uint32_t)strlen(SANDBOX_ROOTFS_TAG);
	c.u.create.config.p = (const uint8_t *)s->config;
	c.u.create.config.len = (uint32_t)strlen(s->config);
	c.u.create.seccomp.p = s->bpf;
	c.u.create.seccomp.len = (uint32_t)s->bpf_len;
	if (s->net_desc) {
		c.u.create.net.p = (const uint8_t *)s->net_desc;
		c.u.create.net.len = (uint32_t)strlen(s->net_desc);
	}
	shim_proc_streams(&s->procs[0], &c.u.create.stream_in,
			  &c.u.create.stream_out, &c.u.create.stream_err,
			  &c.u.create.stream_tty);
	s->create_req = shim_request(s, &c);
	shim_proc_credit(s, &s->procs[0]);
	s->phase = SHIM_CREATING;
	s->deadline = shim_now_ms() + SHIM_HELLO_MS;
}

/* The init, or an exec'd process, exited (an EXIT event). */
static void shim_exited(struct shim *s, const struct msg *m)
{
	struct shim_proc *p = shim_by_handle(s, m->u.exit.proc);

	if (!p || p->exited)
		return;
	p->exited = true;
	p->code = m->u.exit.code;
	p->signo = m->u.exit.signo;
	p->deadline = shim_now_ms() + SHIM_DRAIN_MS;
	if (p != &s->procs[0] || s->exited)
		return;
	s->exited = true;
	s->code = m->u.exit.code;
	s->signo = m->u.exit.signo;
	if (s->phase < SHIM_DRAINING) {
		s->phase = SHIM_DRAINING;
		s->deadline = shim_now_ms() + SHIM_DRAIN_MS;
	}
}

static void shim_out(struct shim *s, const struct wire_frame *f)
{
	struct shim_proc *p;
	struct shim_out *o = NULL;
	int which = -1, r;

	p = shim_stream(s, f->id, &which);
	if (p && p->tty && which == 0)
		o = &p->out[0];
	else if (p && !p->tty && which > 0)
		o = &p->out[which - 1];
	if (!o || o->eof) {
		shim_lost(s, "data on a stream that is not open");
		return;
	}
	if (f->kind == WIRE_K_EOF) {
		wire_credit_eof(&o->c);
		o->eof = true;
		return;
	}
	r = wire_credit_recv(&o->c, f->len);
	if (r < 0) {
		shim_lost(s, wire_strerror(r));
		return;
	}
	/* A reader that went away loses the bytes, not the container. */
	if (o->fd >= 0 && shim_write_all(o->fd, f->body, f->len) < 0) {
		shim_log(s, "stream %u: %s: output dropped", o->id,
			 strerror(errno));
		o->fd = -1;
	}
	wire_credit_drain(&o->c, f->len);
	shim_credit(s, o->id, wire_credit_grant(&o->c));
}

static void shim_frame(struct shim *s, const struct wire_frame *f)
{
	struct shim_proc *p;
	struct msg m;
	int which = -1, r;

	if (s->phase == SHIM_BOOTING) {
		shim_hello(s, f);
		return;
	}
	switch (f->kind) {
	case WIRE_K_REPLY:
	case WIRE_K_ERROR:
		if (msg_decode(f, &m) == 0)
			shim_reply(s, &m);
		else
			shim_log(s, "a malformed reply was dropped");
		return;
	case WIRE_K_EVENT:
		if (msg_decode(f, &m) < 0)
			return;
		if (m.op == MSG_EV_EXIT)
			shim_exited(s, &m);
		else if (m.op == MSG_EV_OOM && s->ooms < UINT32_MAX) {
			s->ooms++; /* `moat events` reports them */
			shim_log(s, "the container ran out of memory");
		}
		return;
	case WIRE_K_DATA:
	case WIRE_K_EOF:
		shim_out(s, f);
		return;
	case WIRE_K_CREDIT:
		p = shim_stream(s, f->id, &which);
		if (!p || which != 0 || p->in.eof)
			return; /* a closed stream's late credit */
		r = wire_credit_add(&p->in.c, f->grant);
		if (r < 0)
			shim_lost(s, wire_strerror(r));
		else
			shim_in_arm(s, p);
		return;
	default:
		shim_lost(s, "unexpected frame kind");
		return;
	}
}

static void shim_frame_cb(void *ctx, const struct wire_frame *f)
{
	shim_frame(ctx, f);
}

static bool shim_more_frames(void *ctx)
{
	const struct shim *s = ctx;

	return s->phase != SHIM_DONE;
}

void shim_chan_read(struct shim *s)
{
	ssize_t n;
	int r;

	n = read(s->sb.chan_fd, s->rbuf + s->rlen, SHIM_RBUF - s->rlen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		shim_lost(s, n < 0 ? strerror(errno) : "closed");
		return;
	}
	s->rlen += (size_t)n;
	r = wire_frames_consume(s->rbuf, &s->rlen, shim_frame_cb,
				shim_more_frames, s);
	if (r < 0)
		shim_lost(s, wire_strerror(r));
}
