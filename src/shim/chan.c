/*
 * chan.c: what the shim does with the agent client's reports (shim.h,
 * src/sandbox/aclient.h): the handshake's CREATE and its reply, the
 * agent's events (EXIT, OOM), a lost channel. Tells `moat create` how
 * creating went (the sync socket). The processes' streams are procs.c's,
 * the control clients' replies ctl.c's: each registers its own callbacks.
 *
 * Inputs: the agent's frames, decoded and checked by the client and the
 * pure codec in src/proto.
 */
#include "chan.h"
#include "procs.h"
#include "../common/log.h"
#include "../proto/syncmsg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* The lines the agent can make us write again and again (log.h): each
 * a few a second at most, none with the agent's bytes in it. */
static struct log_limit shim_unsent_limit = LOG_LIMIT_INIT(10, 1000);
static struct log_limit shim_oom_limit = LOG_LIMIT_INIT(10, 1000);
static struct log_limit shim_malformed_limit = LOG_LIMIT_INIT(10, 1000);

/* --- the agent channel ---------------------------------------------------- */

void shim_lost(struct shim *s, const char *what)
{
	aclient_down(&s->ac);
	if (s->phase < SHIM_STOPPING || s->phase == SHIM_DONE)
		shim_log(s, "agent channel: %s", what);
	if (!s->lost[0])
		snprintf(s->lost, sizeof(s->lost), "%s", what);
	if (!s->exited) {
		s->exited = true;
		s->code = SHIM_STATUS_LOST;
	}
	s->phase = SHIM_DONE;
	loop_break(&s->loop); /* nothing more of this batch */
}

static void shim_chan_lost(void *ctx, const char *what, bool proto)
{
	(void)proto;
	shim_lost(ctx, what);
}

/* Send request m; done(arg) gets its reply (NULL: none is awaited).
 * Returns its id, 0 when it was not sent. */
uint32_t shim_request(struct shim *s, struct msg *m, aclient_done_fn *done,
		      void *arg)
{
	uint32_t id;

	if (m->op == MSG_OP_SHUTDOWN)
		s->shutdown_sent = true;
	m->id = 0;
	id = aclient_request(&s->ac, m, done, arg);
	if (!id && !s->ac.down) /* an agent that does not answer fills it */
		log_limited(&shim_unsent_limit, "request %u was not sent",
			    m->op);
	return id;
}

/* A printable copy of guest text (an ERROR's), for messages. */
void shim_text(char *dst, size_t cap, const struct msg_str *t)
{
	size_t i, j = 0;

	for (i = 0; t->s && i < t->len && j + 1 < cap; i++)
		dst[j++] = t->s[i] >= 0x20 && t->s[i] < 0x7f ? t->s[i] : '?';
	dst[j] = '\0';
}

/*
 * Tell `moat create` how creating went, once (src/proto/syncmsg.h): "ok
 * <pid>" or "error <text>". Success closes the socket at once; a failure
 * leaves it open until the shim exits, so that the CLI goes on only when
 * the VM is gone.
 */
static void shim_sync(struct shim *s, const struct syncmsg *m)
{
	char buf[MOAT_ERR_MSG_MAX + 64];
	bool ok = m->kind == SYNCMSG_OK;
	int n;

	if (s->synced || s->sync_h.fd < 0)
		return;
	s->synced = true;
	n = syncmsg_encode(buf, sizeof(buf), m);
	if ((n < 0 || shim_write_all(s->sync_h.fd, buf, (size_t)n) < 0) && ok) {
		/* moat create is gone: nobody will record the container */
		shim_log(s, "moat create went away");
		shim_lost(s, "moat create went away");
	}
	if (ok) {
		loop_set(&s->loop, &s->sync_h, 0);
		close(s->sync_h.fd);
		s->sync_h.fd = -1;
	}
}

void shim_sync_ok(struct shim *s)
{
	struct syncmsg m = { .kind = SYNCMSG_OK, .pid = (int32_t)getpid() };

	shim_sync(s, &m);
}

void shim_sync_fail(struct shim *s, const char *fmt, ...)
{
	char text[MOAT_ERR_MSG_MAX + 64];
	struct syncmsg m = { .kind = SYNCMSG_ERROR, .text = text };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	m.text_len = strlen(text);
	shim_sync(s, &m);
}

/* --- the container's creation ----------------------------------------------
 */

/* The CREATE's reply: the init runs (created), or the VM is stopped. */
static void shim_created(void *ctx, void *arg, const struct msg *m)
{
	struct shim *s = ctx;
	char text[MSG_TEXT_MAX + 1];
	struct msg sd = { 0 };

	(void)arg;
	if (!m)
		return;
	if (m->kind == WIRE_K_ERROR) {
		shim_text(text, sizeof(text), &m->u.error.text);
		shim_sync_fail(s, "agent: create: %s", text);
		s->exited = true;
		s->code = 1;
		sd.op = MSG_OP_SHUTDOWN;
		shim_request(s, &sd, NULL, NULL);
		if (s->phase != SHIM_DONE)
			s->phase = SHIM_STOPPING;
		s->deadline = now_ms() + SHIM_SHUTDOWN_MS;
		return;
	}
	s->init_proc = m->u.started.proc;
	s->init_pid = m->u.started.pid;
	s->procs[0].proc = s->init_proc;
	s->procs[0].pid = s->init_pid;
	s->phase = SHIM_CREATED;
	s->deadline = 0;
	if (s->procs[0].tty)
		shim_resize(s, &s->procs[0], s->procs[0].in.h.fd);
	shim_sync_ok(s);
}

/* The agent's HELLO came (ours went): CREATE the container. */
static void shim_hello(void *ctx, const struct msg_hello *h)
{
	struct shim *s = ctx;
	struct msg c = { 0 };

	(void)h;
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
		c.u.create.net.p = s->net_desc;
		c.u.create.net.len = (uint32_t)s->net_desc_len;
	}
	if (shim_proc_open(s, &s->procs[0])) {
		shim_lost(s, "no room for the init's streams");
		return;
	}
	shim_proc_streams(&s->procs[0], &c.u.create.stream_in,
			  &c.u.create.stream_out, &c.u.create.stream_err,
			  &c.u.create.stream_tty);
	shim_request(s, &c, shim_created, NULL);
	shim_proc_credit(s, &s->procs[0]);
	s->phase = SHIM_CREATING;
	s->deadline = now_ms() + SHIM_HELLO_MS;
}

/* --- events ----------------------------------------------------------------
 */

/* The init, or an exec'd process, exited (an EXIT event). */
static void shim_exited(struct shim *s, const struct msg *m)
{
	struct shim_proc *p = shim_by_handle(s, m->u.exit.proc);

	if (!p || p->exited)
		return;
	p->exited = true;
	p->code = m->u.exit.code;
	p->signo = m->u.exit.signo;
	p->deadline = now_ms() + SHIM_DRAIN_MS;
	if (p != &s->procs[0] || s->exited)
		return;
	s->exited = true;
	s->code = m->u.exit.code;
	s->signo = m->u.exit.signo;
	if (s->phase < SHIM_DRAINING) {
		s->phase = SHIM_DRAINING;
		s->deadline = now_ms() + SHIM_DRAIN_MS;
	}
}

static void shim_event(void *ctx, const struct msg *m)
{
	struct shim *s = ctx;

	if (m->op == MSG_EV_EXIT)
		shim_exited(s, m);
	else if (m->op == MSG_EV_OOM && s->ooms < UINT32_MAX) {
		s->ooms++; /* `moat events` reports them */
		log_limited(&shim_oom_limit, "the container ran out of memory");
	}
}

/* A reply that does not decode is dropped (said); an event, silently. */
static void shim_malformed(void *ctx, const struct wire_frame *f, int err)
{
	(void)ctx;
	(void)err;
	if (f->kind != WIRE_K_EVENT)
		log_limited(&shim_malformed_limit,
			    "a malformed reply was dropped");
}

const struct aclient_ops shim_chan_ops = {
	.hello = shim_hello,
	.event = shim_event,
	.malformed = shim_malformed,
	.data = shim_out_data,
	.eof = shim_out_eof,
	.credit = shim_in_credit,
	.lost = shim_chan_lost,
};
