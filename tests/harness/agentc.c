/*
 * agentc.c: the tests' client of moat-agent (see agentc.h). Input: the
 * agent's frames, checked by the codec in src/proto.
 */
#include "agentc.h"
#include "test.h"
#include "vmrun.h"
#include "../../src/common/now.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* The client's credit into the tests' copies; a test's pause (set on
 * the stream directly) into the client's. */
static void agentc_sync(struct agentc_stream *s)
{
	if (!s->st)
		return;
	s->st->paused = s->paused;
	s->outstanding = s->st->from.avail;
	s->credit = s->st->to.avail;
	s->total = s->st->total;
}

/* --- what the client reports ------------------------------------------ */

static void agentc_on_hello(void *ctx, const struct msg_hello *h)
{
	(void)ctx;
	ASSERT_EQ(h->version_min, 1);
}

static void agentc_on_event(void *ctx, const struct msg *m)
{
	struct agentc *c = ctx;

	if (m->op == MSG_EV_EXIT && c->nexits < AGENTC_MAX_EXITS)
		c->exits[c->nexits++] = m->u.exit;
	if (m->op == MSG_EV_OOM && c->nooms < AGENTC_MAX_EXITS) {
		c->oom_nexits[c->nooms] = c->nexits;
		c->ooms[c->nooms++] = m->u.oom;
	}
}

/* Replies wait, whole frames, for agentc_wait_reply to claim them. */
static void agentc_on_reply(void *ctx, const struct wire_frame *f,
			    const struct msg *m)
{
	struct agentc *c = ctx;
	struct agentc_reply *r;
	size_t len = WIRE_HDR_LEN + f->len;

	(void)m;
	if (c->nreplies == 64)
		FAIL("too many unclaimed replies");
	r = &c->replies[c->nreplies];
	r->id = f->id;
	r->frame = malloc(len);
	ASSERT(r->frame);
	ASSERT_EQ(wire_frame_encode(r->frame, len, f), (int)len);
	r->len = len;
	c->nreplies++;
}

static void agentc_on_malformed(void *ctx, const struct wire_frame *f, int err)
{
	(void)ctx;
	FAIL("%s %u: %s", f->kind == WIRE_K_EVENT ? "event" : "reply to op",
	     f->op, wire_strerror(err));
}

static void agentc_on_data(void *ctx, struct aclient_stream *st,
			   const uint8_t *p, size_t n)
{
	struct agentc_stream *s = st->arg;

	(void)ctx;
	agentc_sync(s); /* before the client grants again */
	if (s->on_data) {
		s->on_data(s->arg, p, n);
		return;
	}
	if (s->len + n + 1 > s->cap) {
		s->cap = (s->len + n + 1) * 2;
		s->data = realloc(s->data, s->cap);
		ASSERT(s->data);
	}
	memcpy(s->data + s->len, p, n);
	s->len += n;
	s->data[s->len] = '\0';
}

static void agentc_on_eof(void *ctx, struct aclient_stream *st)
{
	struct agentc_stream *s = st->arg;

	(void)ctx;
	s->eof = true;
}

static void agentc_on_lost(void *ctx, const char *what, bool proto)
{
	struct agentc *c = ctx;

	if (proto)
		FAIL("frame from the agent: %s", what);
	snprintf(c->lost, sizeof(c->lost), "%s", what);
	c->eof = true;
}

static const struct aclient_ops agentc_ops = {
	.hello = agentc_on_hello,
	.event = agentc_on_event,
	.stray = agentc_on_reply,
	.malformed = agentc_on_malformed,
	.data = agentc_on_data,
	.eof = agentc_on_eof,
	.lost = agentc_on_lost,
};

/* --- the connection ----------------------------------------------------- */

void agentc_attach(struct agentc *c, int fd, pid_t pid)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->pid = pid;
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
	ASSERT_EQ(aclient_init(&c->ac, fd, "agentc", &agentc_ops, c), 0);
	c->ac.write_ms = AGENTC_TIMEOUT_MS;
	c->ac.read_while_blocked = true;
}

void agentc_spawn(struct agentc *c, const char *share_dir,
		  const char *const *extra)
{
	const char *agent = vmrun_env_path("MOAT_AGENT");
	const char *argv[16];
	int sv[2], n = 0, i;
	pid_t pid;

	if (!agent)
		FAIL("MOAT_AGENT does not name the built agent");
	ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	argv[n++] = agent;
	argv[n++] = "--channel-fd";
	argv[n++] = "3";
	if (share_dir) {
		argv[n++] = "--share-dir";
		argv[n++] = share_dir;
	}
	for (i = 0; extra && extra[i] && n < 15; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	pid = fork();
	ASSERT_OK(pid);
	if (pid == 0) {
		if (dup2(sv[1], 3) < 0)
			_exit(126);
		execv(agent, (char *const *)argv);
		_exit(127);
	}
	close(sv[1]);
	agentc_attach(c, sv[0], pid);
}

void agentc_handshake(struct agentc *c)
{
	long end = now_ms() + AGENTC_HELLO_MS;
	struct pollfd p;

	/* The agent's HELLO is its first frame. The client sends ours only
	 * once it has it: on a VM's channel, bytes that reach the guest's
	 * port before the agent has opened it (in raw mode) are lost. */
	while (!c->ac.hello_done) {
		if (now_ms() > end)
			FAIL("no HELLO from the agent");
		p.fd = c->fd;
		p.events = POLLIN;
		p.revents = 0;
		poll(&p, 1, 100);
		if (!aclient_read(&c->ac))
			FAIL("the agent closed the channel before its HELLO");
	}
}

void agentc_start(struct agentc *c, const char *share_dir)
{
	agentc_spawn(c, share_dir, NULL);
	agentc_handshake(c);
}

int agentc_stop(struct agentc *c)
{
	struct msg m = { WIRE_K_REQUEST, MSG_OP_SHUTDOWN, 0, { { 0 } } };
	long end;
	int status = 0;
	size_t i;

	if (!c->eof && c->fd >= 0) {
		agentc_send(c, &m);
		end = now_ms() + 10000;
		while (!c->eof && now_ms() < end)
			agentc_pump(c, 100);
	}
	end = now_ms() + 10000;
	while (waitpid(c->pid, &status, WNOHANG) == 0) {
		if (now_ms() > end) {
			test_diag("the agent did not end: killing it");
			kill(c->pid, SIGKILL);
			waitpid(c->pid, &status, 0);
			break;
		}
		usleep(10000);
	}
	close(c->fd);
	c->fd = -1;
	for (i = 0; i < AGENTC_MAX_STREAMS; i++)
		free(c->streams[i].data);
	for (i = 0; i < c->nreplies; i++)
		free(c->replies[i].frame);
	aclient_free(&c->ac);
	return status;
}

/* --- streams ------------------------------------------------------------ */

struct agentc_stream *agentc_stream(struct agentc *c, uint32_t id)
{
	size_t i;

	for (i = 0; i < AGENTC_MAX_STREAMS; i++)
		if (c->streams[i].used && c->streams[i].id == id) {
			agentc_sync(&c->streams[i]);
			return &c->streams[i];
		}
	return NULL;
}

/* A stream of the tests' table and of the client's; window 0: input. */
static struct agentc_stream *agentc_stream_new(struct agentc *c, uint32_t id,
					       uint32_t window)
{
	struct agentc_stream *s;
	size_t i;

	for (i = 0; i < AGENTC_MAX_STREAMS; i++) {
		s = &c->streams[i];
		if (s->used)
			continue;
		memset(s, 0, sizeof(*s));
		s->st = aclient_stream_open(&c->ac, id, window, s);
		if (!s->st)
			FAIL("stream %u: already open", id);
		s->used = true;
		s->id = id;
		s->out = window > 0;
		s->window = window;
		return s;
	}
	FAIL("too many streams");
}

struct agentc_stream *agentc_out(struct agentc *c, uint32_t id, uint32_t window)
{
	return agentc_stream_new(c, id, window);
}

struct agentc_stream *agentc_in(struct agentc *c, uint32_t id)
{
	return agentc_stream_new(c, id, 0);
}

void agentc_pause(struct agentc *c, uint32_t id, bool paused)
{
	struct agentc_stream *s = agentc_stream(c, id);

	ASSERT(s);
	s->paused = paused;
	aclient_pause(&c->ac, s->st, paused);
	agentc_sync(s);
}

bool agentc_pump(struct agentc *c, int timeout_ms)
{
	struct pollfd p = { c->fd, POLLIN, 0 };
	size_t i;
	bool more;

	if (c->eof)
		return false;
	if (c->ac.in_read)
		FAIL("agentc_pump re-entered");
	if (poll(&p, 1, timeout_ms) <= 0)
		return true;
	more = aclient_read(&c->ac);
	for (i = 0; i < AGENTC_MAX_STREAMS; i++)
		if (c->streams[i].used)
			agentc_sync(&c->streams[i]);
	return more;
}

void agentc_write(struct agentc *c, const void *buf, size_t len)
{
	if (aclient_write(&c->ac, buf, len))
		FAIL("write to the agent: %s", c->lost);
}

uint32_t agentc_send(struct agentc *c, struct msg *m)
{
	int r;

	if (m->kind == WIRE_K_REQUEST && !m->id)
		m->id = ++c->next_id;
	r = aclient_send(&c->ac, m);
	if (r == ACLIENT_EDOWN)
		FAIL("write to the agent: %s", c->lost);
	if (r)
		FAIL("encode op %u: %s", m->op, wire_strerror(r));
	return m->id;
}

int agentc_wait_reply(struct agentc *c, uint32_t id, struct msg *out)
{
	long end = now_ms() + AGENTC_TIMEOUT_MS;
	struct wire_frame f;
	struct msg m;
	size_t i;

	for (;;) {
		for (i = 0; i < c->nreplies; i++)
			if (c->replies[i].id == id)
				break;
		if (i < c->nreplies)
			break;
		if (now_ms() > end)
			FAIL("no reply to request %u", id);
		if (!agentc_pump(c, 100))
			FAIL("the agent closed the channel before replying "
			     "to request %u",
			     id);
	}
	memcpy(c->msgbuf, c->replies[i].frame, c->replies[i].len);
	wire_frame_decode(c->msgbuf, c->replies[i].len, &f);
	msg_decode(&f, &m);
	free(c->replies[i].frame);
	c->replies[i] = c->replies[--c->nreplies];
	if (out)
		*out = m;
	if (m.kind == WIRE_K_ERROR) {
		snprintf(c->error, sizeof(c->error), "%s",
			 m.u.error.text.s ? m.u.error.text.s : "");
		return (int)m.u.error.code;
	}
	c->error[0] = '\0';
	return 0;
}

int agentc_call(struct agentc *c, struct msg *req, struct msg *out)
{
	return agentc_wait_reply(c, agentc_send(c, req), out);
}

/* Send a CREATE or EXEC, then grant credit for its output streams (the
 * agent knows them once it has read the request). */
static int agentc_call_streams(struct agentc *c, struct msg *req,
			       struct msg *out, const uint32_t ids[4])
{
	struct agentc_stream *s;
	uint32_t id = agentc_send(c, req);
	int i;

	for (i = 0; i < 4; i++)
		if (ids[i] && (s = agentc_stream(c, ids[i])) && s->out) {
			agentc_sync(s);
			aclient_grant(&c->ac, s->st);
			agentc_sync(s);
		}
	return agentc_wait_reply(c, id, out);
}

void agentc_write_stream(struct agentc *c, uint32_t id, const void *p, size_t n)
{
	struct agentc_stream *s = agentc_stream(c, id);
	long end = now_ms() + AGENTC_TIMEOUT_MS;
	size_t chunk;
	int r;

	ASSERT(s);
	while (n) {
		chunk = aclient_sendable(s->st, n);
		if (!chunk) {
			if (now_ms() > end)
				FAIL("no credit for stream %u", id);
			agentc_pump(c, 100);
			continue;
		}
		r = aclient_data(&c->ac, s->st, p, chunk);
		if (r == ACLIENT_EDOWN)
			FAIL("write to the agent: %s", c->lost);
		if (r)
			FAIL("stream %u: %s", id, wire_strerror(r));
		agentc_sync(s);
		p = (const uint8_t *)p + chunk;
		n -= chunk;
	}
}

void agentc_eof(struct agentc *c, uint32_t id)
{
	int r = aclient_eof(&c->ac, id);

	if (r == ACLIENT_EDOWN)
		FAIL("write to the agent: %s", c->lost);
	ASSERT_EQ(r, 0);
}

const char *agentc_wait_eof(struct agentc *c, uint32_t id)
{
	struct agentc_stream *s = agentc_stream(c, id);
	long end = now_ms() + AGENTC_TIMEOUT_MS;

	ASSERT(s && s->out);
	while (!s->eof) {
		if (now_ms() > end)
			FAIL("no EOF on stream %u", id);
		if (!agentc_pump(c, 100))
			FAIL("the channel ended before EOF on stream %u", id);
	}
	return s->data ? (const char *)s->data : "";
}

/* Forget a finished output stream (its slot is free again). */
static void agentc_stream_drop(struct agentc *c, uint32_t id)
{
	struct agentc_stream *s = agentc_stream(c, id);

	aclient_stream_close(&c->ac, s->st);
	free(s->data);
	memset(s, 0, sizeof(*s));
}

const char *agentc_run(struct agentc *c, const char *const *argv, int *code)
{
	static char buf[16384];
	uint32_t out = 0x100000 + 2 * c->run_streams, err = out + 1;
	uint32_t proc, ec = 0, sig = 0;

	c->run_streams++;
	agentc_out(c, out, 65536);
	agentc_out(c, err, 65536);
	if (agentc_exec(c, argv, 0, out, err, 0, &proc, NULL))
		FAIL("exec %s: %s", argv[0], c->error);
	snprintf(buf, sizeof(buf), "%s", agentc_wait_eof(c, out));
	snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s",
		 agentc_wait_eof(c, err));
	ASSERT_EQ(agentc_wait(c, proc, &ec, &sig), 0);
	agentc_stream_drop(c, out);
	agentc_stream_drop(c, err);
	*code = sig ? 128 + (int)sig : (int)ec;
	return buf;
}

/* Send m (CREATE or EXEC) with its four streams; on success the STARTED
 * reply's proc handle and pid. */
static int agentc_started(struct agentc *c, struct msg *m,
			  const uint32_t streams[4], uint32_t *proc,
			  uint32_t *pid)
{
	struct msg r;
	int code = agentc_call_streams(c, m, &r, streams);

	if (!code) {
		if (proc)
			*proc = r.u.started.proc;
		if (pid)
			*pid = r.u.started.pid;
	}
	return code;
}

int agentc_create(struct agentc *c, const char *id, const char *tag,
		  const char *config, const void *bpf, size_t bpf_len,
		  uint32_t in, uint32_t out, uint32_t err, uint32_t tty,
		  uint32_t *proc, uint32_t *pid)
{
	struct msg m = { WIRE_K_REQUEST, MSG_OP_CREATE, 0, { { 0 } } };

	m.u.create.id.s = id;
	m.u.create.id.len = (uint32_t)strlen(id);
	m.u.create.bundle.s = tag;
	m.u.create.bundle.len = (uint32_t)strlen(tag);
	m.u.create.config.p = (const uint8_t *)config;
	m.u.create.config.len = (uint32_t)strlen(config);
	m.u.create.seccomp.p = bpf;
	m.u.create.seccomp.len = (uint32_t)bpf_len;
	m.u.create.stream_in = in;
	m.u.create.stream_out = out;
	m.u.create.stream_err = err;
	m.u.create.stream_tty = tty;
	return agentc_started(c, &m, (const uint32_t[4]){ in, out, err, tty },
			      proc, pid);
}

int agentc_simple(struct agentc *c, uint16_t op)
{
	struct msg m = { WIRE_K_REQUEST, op, 0, { { 0 } } };

	return agentc_call(c, &m, NULL);
}

int agentc_exec(struct agentc *c, const char *const *argv, uint32_t in,
		uint32_t out, uint32_t err, uint32_t tty, uint32_t *proc,
		uint32_t *pid)
{
	static char abuf[65536], ebuf[256];
	static const char *const env[] = { "PATH=/bin", "HOME=/" };
	struct msg m = { WIRE_K_REQUEST, MSG_OP_EXEC, 0, { { 0 } } };
	uint32_t n = 0;

	while (argv[n])
		n++;
	ASSERT(msg_strlist_pack(abuf, sizeof(abuf), argv, n, &m.u.exec.argv) >=
	       0);
	ASSERT(msg_strlist_pack(ebuf, sizeof(ebuf), env, 2, &m.u.exec.env) >=
	       0);
	m.u.exec.stream_in = in;
	m.u.exec.stream_out = out;
	m.u.exec.stream_err = err;
	m.u.exec.stream_tty = tty;
	return agentc_started(c, &m, (const uint32_t[4]){ in, out, err, tty },
			      proc, pid);
}

int agentc_signal(struct agentc *c, uint32_t proc, uint32_t signo)
{
	struct msg m = { WIRE_K_REQUEST, MSG_OP_SIGNAL, 0, { { 0 } } };

	m.u.signal.proc = proc;
	m.u.signal.signo = signo;
	m.u.signal.all = proc == 0;
	return agentc_call(c, &m, NULL);
}

int agentc_wait(struct agentc *c, uint32_t proc, uint32_t *code,
		uint32_t *signo)
{
	struct msg m = { WIRE_K_REQUEST, MSG_OP_WAIT, 0, { { 0 } } };
	struct msg r;
	int e;

	m.u.target.proc = proc;
	e = agentc_call(c, &m, &r);
	if (!e) {
		ASSERT_EQ(r.u.exit.proc, proc);
		*code = r.u.exit.code;
		*signo = r.u.exit.signo;
	}
	return e;
}

const struct msg_exit *agentc_wait_exit_event(struct agentc *c, uint32_t proc)
{
	long end = now_ms() + AGENTC_TIMEOUT_MS;
	size_t i;

	for (;;) {
		for (i = 0; i < c->nexits; i++)
			if (c->exits[i].proc == proc)
				return &c->exits[i];
		if (now_ms() > end || !agentc_pump(c, 100))
			return NULL;
	}
}

int agentc_stats(struct agentc *c, struct msg_stats *st)
{
	struct msg m = { WIRE_K_REQUEST, MSG_OP_STATS, 0, { { 0 } } }, r;
	int code = agentc_call(c, &m, &r);

	if (!code)
		*st = r.u.stats;
	return code;
}

int agentc_update(struct agentc *c, const char *json)
{
	struct msg m = { WIRE_K_REQUEST, MSG_OP_UPDATE, 0, { { 0 } } };

	m.u.update.resources.p = (const uint8_t *)json;
	m.u.update.resources.len = (uint32_t)strlen(json);
	return agentc_call(c, &m, NULL);
}

void agentc_pump_for(struct agentc *c, int ms)
{
	long end = now_ms() + ms;

	while (now_ms() < end)
		agentc_pump(c, 20);
}

const struct msg_oom *agentc_wait_oom(struct agentc *c, size_t i,
				      int timeout_ms)
{
	long end = now_ms() + timeout_ms;

	while (c->nooms <= i)
		if (now_ms() > end || !agentc_pump(c, 100))
			return NULL;
	return &c->ooms[i];
}

const char *agentc_sh(struct agentc *c, const char *script, int *code)
{
	const char *const argv[] = { "sh", "-c", script, NULL };

	return agentc_run(c, argv, code);
}
