/*
 * agentc.c: the tests' client of moat-agent (see agentc.h). Input: the
 * agent's frames, checked by the codec in src/proto.
 */
#include "agentc.h"
#include "test.h"
#include "vmrun.h"

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

#define AGENTC_RBUF (2 * WIRE_FRAME_MAX)

static long agentc_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void agentc_spawn(struct agentc *c, const char *share_dir,
		  const char *const *extra)
{
	const char *agent = vmrun_env_path("MOAT_AGENT");
	const char *argv[16];
	int sv[2], n = 0, i;

	if (!agent)
		FAIL("MOAT_AGENT does not name the built agent");
	memset(c, 0, sizeof(*c));
	c->rbuf = malloc(AGENTC_RBUF);
	ASSERT(c->rbuf);
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
	c->pid = fork();
	ASSERT_OK(c->pid);
	if (c->pid == 0) {
		if (dup2(sv[1], 3) < 0)
			_exit(126);
		execv(agent, (char *const *)argv);
		_exit(127);
	}
	close(sv[1]);
	c->fd = sv[0];
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
}

void agentc_handshake(struct agentc *c)
{
	struct msg m = { WIRE_K_HELLO, 0, 0, { { 0 } } };
	struct wire_frame f;
	size_t need;
	long end = agentc_now_ms() + AGENTC_HELLO_MS;
	int r;

	/* The agent's HELLO is its first frame. We send ours only once we
	 * have it: on a VM's channel, bytes that reach the guest's port
	 * before the agent has opened it (in raw mode) are lost. */
	for (;;) {
		r = wire_frame_scan(c->rbuf, c->rlen, &need);
		if (r > 0)
			break;
		if (r < 0)
			FAIL("agent's first frame: %s", wire_strerror(r));
		struct pollfd p = { c->fd, POLLIN, 0 };
		if (agentc_now_ms() > end)
			FAIL("no HELLO from the agent");
		poll(&p, 1, 100);
		ssize_t n =
			read(c->fd, c->rbuf + c->rlen, AGENTC_RBUF - c->rlen);
		if (n == 0)
			FAIL("the agent closed the channel before its HELLO");
		if (n > 0)
			c->rlen += (size_t)n;
	}
	ASSERT_EQ(wire_frame_decode(c->rbuf, (size_t)r, &f), r);
	ASSERT_EQ(f.kind, WIRE_K_HELLO);
	ASSERT_EQ(msg_decode(&f, &m), 0);
	ASSERT_EQ(m.u.hello.version_min, 1);
	memmove(c->rbuf, c->rbuf + r, c->rlen - (size_t)r);
	c->rlen -= (size_t)r;
	memset(&m, 0, sizeof(m));
	m.kind = WIRE_K_HELLO;
	m.u.hello.version_min = 1;
	m.u.hello.version_max = 1;
	m.u.hello.name.s = "agentc";
	m.u.hello.name.len = 6;
	agentc_send(c, &m);
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
		end = agentc_now_ms() + 10000;
		while (!c->eof && agentc_now_ms() < end)
			agentc_pump(c, 100);
	}
	end = agentc_now_ms() + 10000;
	while (waitpid(c->pid, &status, WNOHANG) == 0) {
		if (agentc_now_ms() > end) {
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
	free(c->rbuf);
	return status;
}

struct agentc_stream *agentc_stream(struct agentc *c, uint32_t id)
{
	size_t i;

	for (i = 0; i < AGENTC_MAX_STREAMS; i++)
		if (c->streams[i].used && c->streams[i].id == id)
			return &c->streams[i];
	return NULL;
}

static struct agentc_stream *agentc_stream_new(struct agentc *c, uint32_t id)
{
	size_t i;

	for (i = 0; i < AGENTC_MAX_STREAMS; i++)
		if (!c->streams[i].used) {
			memset(&c->streams[i], 0, sizeof(c->streams[i]));
			c->streams[i].used = true;
			c->streams[i].id = id;
			return &c->streams[i];
		}
	FAIL("too many streams");
}

static void agentc_grant(struct agentc *c, struct agentc_stream *s)
{
	uint8_t buf[WIRE_HDR_LEN + 4];
	uint32_t g;

	if (s->paused || s->eof || s->outstanding >= s->window / 2)
		return;
	g = s->window - s->outstanding;
	ASSERT_EQ(wire_credit_encode(buf, sizeof(buf), s->id, g), sizeof(buf));
	s->outstanding += g;
	agentc_write(c, buf, sizeof(buf));
}

struct agentc_stream *agentc_out(struct agentc *c, uint32_t id, uint32_t window)
{
	struct agentc_stream *s = agentc_stream_new(c, id);

	s->out = true;
	s->window = window;
	return s;
}

struct agentc_stream *agentc_in(struct agentc *c, uint32_t id)
{
	return agentc_stream_new(c, id);
}

void agentc_pause(struct agentc *c, uint32_t id, bool paused)
{
	struct agentc_stream *s = agentc_stream(c, id);

	ASSERT(s);
	s->paused = paused;
	agentc_grant(c, s);
}

static void agentc_frame(struct agentc *c, const uint8_t *buf, size_t len)
{
	struct agentc_stream *s;
	struct wire_frame f;
	struct msg m;
	int r;

	ASSERT_EQ(wire_frame_decode(buf, len, &f), (int)len);
	switch (f.kind) {
	case WIRE_K_DATA:
		s = agentc_stream(c, f.id);
		if (!s || !s->out || s->eof)
			FAIL("DATA on stream %u, which is not open", f.id);
		if (f.len > s->outstanding)
			FAIL("stream %u: DATA beyond credit", f.id);
		s->outstanding -= f.len;
		s->total += f.len;
		if (s->on_data) {
			s->on_data(s->arg, f.body, f.len);
		} else {
			if (s->len + f.len + 1 > s->cap) {
				s->cap = (s->len + f.len + 1) * 2;
				s->data = realloc(s->data, s->cap);
				ASSERT(s->data);
			}
			memcpy(s->data + s->len, f.body, f.len);
			s->len += f.len;
			s->data[s->len] = '\0';
		}
		agentc_grant(c, s);
		break;
	case WIRE_K_EOF:
		s = agentc_stream(c, f.id);
		if (!s || !s->out || s->eof)
			FAIL("EOF on stream %u, which is not open", f.id);
		s->eof = true;
		break;
	case WIRE_K_CREDIT:
		s = agentc_stream(c, f.id);
		if (s)
			s->credit += f.grant;
		break;
	case WIRE_K_EVENT:
		r = msg_decode(&f, &m);
		if (r < 0)
			FAIL("event %u: %s", f.op, wire_strerror(r));
		if (f.op == MSG_EV_EXIT && c->nexits < AGENTC_MAX_EXITS)
			c->exits[c->nexits++] = m.u.exit;
		if (f.op == MSG_EV_OOM && c->nooms < AGENTC_MAX_EXITS) {
			c->oom_nexits[c->nooms] = c->nexits;
			c->ooms[c->nooms++] = m.u.oom;
		}
		break;
	case WIRE_K_REPLY:
	case WIRE_K_ERROR:
		r = msg_decode(&f, &m);
		if (r < 0)
			FAIL("reply to op %u: %s", f.op, wire_strerror(r));
		if (c->nreplies == 64)
			FAIL("too many unclaimed replies");
		c->replies[c->nreplies].id = f.id;
		c->replies[c->nreplies].frame = malloc(len);
		ASSERT(c->replies[c->nreplies].frame);
		memcpy(c->replies[c->nreplies].frame, buf, len);
		c->replies[c->nreplies++].len = len;
		break;
	default:
		FAIL("unexpected frame kind %u from the agent", f.kind);
	}
}

bool agentc_pump(struct agentc *c, int timeout_ms)
{
	struct pollfd p = { c->fd, POLLIN, 0 };
	size_t off = 0, need;
	ssize_t n;
	int r;

	if (c->eof)
		return false;
	if (c->in_pump)
		FAIL("agentc_pump re-entered");
	if (poll(&p, 1, timeout_ms) <= 0)
		return true;
	n = read(c->fd, c->rbuf + c->rlen, AGENTC_RBUF - c->rlen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return true;
	if (n <= 0) {
		c->eof = true;
		return false;
	}
	c->rlen += (size_t)n;
	c->in_pump = true;
	for (;;) {
		r = wire_frame_scan(c->rbuf + off, c->rlen - off, &need);
		if (r < 0)
			FAIL("frame from the agent: %s", wire_strerror(r));
		if (r == 0)
			break;
		agentc_frame(c, c->rbuf + off, (size_t)r);
		off += (size_t)r;
	}
	memmove(c->rbuf, c->rbuf + off, c->rlen - off);
	c->rlen -= off;
	c->in_pump = false;
	return true;
}

void agentc_write(struct agentc *c, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	struct pollfd pf;
	long end = agentc_now_ms() + AGENTC_TIMEOUT_MS;
	ssize_t n;

	while (len) {
		n = write(c->fd, p, len);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			FAIL("write to the agent: %s", strerror(errno));
		if (agentc_now_ms() > end)
			FAIL("the agent does not read its channel");
		pf.fd = c->fd;
		pf.events = POLLOUT | POLLIN;
		pf.revents = 0;
		poll(&pf, 1, 100);
		/* Keep reading (unless called while handling input). */
		if ((pf.revents & POLLIN) && !c->in_pump)
			agentc_pump(c, 0);
	}
}

uint32_t agentc_send(struct agentc *c, struct msg *m)
{
	static uint8_t buf[WIRE_FRAME_MAX];
	int n;

	if (m->kind == WIRE_K_REQUEST && !m->id)
		m->id = ++c->next_id;
	n = msg_encode(buf, sizeof(buf), m);
	if (n < 0)
		FAIL("encode op %u: %s", m->op, wire_strerror(n));
	agentc_write(c, buf, (size_t)n);
	return m->id;
}

int agentc_wait_reply(struct agentc *c, uint32_t id, struct msg *out)
{
	long end = agentc_now_ms() + AGENTC_TIMEOUT_MS;
	struct wire_frame f;
	struct msg m;
	size_t i;

	for (;;) {
		for (i = 0; i < c->nreplies; i++)
			if (c->replies[i].id == id)
				break;
		if (i < c->nreplies)
			break;
		if (agentc_now_ms() > end)
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
		if (ids[i] && (s = agentc_stream(c, ids[i])) && s->out)
			agentc_grant(c, s);
	return agentc_wait_reply(c, id, out);
}

void agentc_write_stream(struct agentc *c, uint32_t id, const void *p, size_t n)
{
	struct agentc_stream *s = agentc_stream(c, id);
	uint8_t buf[WIRE_HDR_LEN + WIRE_DATA_MAX];
	long end = agentc_now_ms() + AGENTC_TIMEOUT_MS;
	size_t chunk;

	ASSERT(s);
	while (n) {
		if (!s->credit) {
			if (agentc_now_ms() > end)
				FAIL("no credit for stream %u", id);
			agentc_pump(c, 100);
			continue;
		}
		chunk = n < s->credit ? n : s->credit;
		if (chunk > WIRE_DATA_MAX)
			chunk = WIRE_DATA_MAX;
		ASSERT_EQ(wire_data_encode(buf, sizeof(buf), id, p, chunk),
			  WIRE_HDR_LEN + chunk);
		agentc_write(c, buf, WIRE_HDR_LEN + chunk);
		s->credit -= (uint32_t)chunk;
		p = (const uint8_t *)p + chunk;
		n -= chunk;
	}
}

void agentc_eof(struct agentc *c, uint32_t id)
{
	uint8_t buf[WIRE_HDR_LEN];

	ASSERT_EQ(wire_eof_encode(buf, sizeof(buf), id), WIRE_HDR_LEN);
	agentc_write(c, buf, sizeof(buf));
}

const char *agentc_wait_eof(struct agentc *c, uint32_t id)
{
	struct agentc_stream *s = agentc_stream(c, id);
	long end = agentc_now_ms() + AGENTC_TIMEOUT_MS;

	ASSERT(s && s->out);
	while (!s->eof) {
		if (agentc_now_ms() > end)
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

int agentc_create(struct agentc *c, const char *id, const char *tag,
		  const char *config, const void *bpf, size_t bpf_len,
		  uint32_t in, uint32_t out, uint32_t err, uint32_t tty,
		  uint32_t *proc, uint32_t *pid)
{
	struct msg m = { WIRE_K_REQUEST, MSG_OP_CREATE, 0, { { 0 } } };
	struct msg r;
	int code;

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
	code = agentc_call_streams(c, &m, &r,
				   (const uint32_t[4]){ in, out, err, tty });
	if (!code) {
		if (proc)
			*proc = r.u.started.proc;
		if (pid)
			*pid = r.u.started.pid;
	}
	return code;
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
	struct msg r;
	uint32_t n = 0;
	int code;

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
	code = agentc_call_streams(c, &m, &r,
				   (const uint32_t[4]){ in, out, err, tty });
	if (!code) {
		if (proc)
			*proc = r.u.started.proc;
		if (pid)
			*pid = r.u.started.pid;
	}
	return code;
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
	long end = agentc_now_ms() + AGENTC_TIMEOUT_MS;
	size_t i;

	for (;;) {
		for (i = 0; i < c->nexits; i++)
			if (c->exits[i].proc == proc)
				return &c->exits[i];
		if (agentc_now_ms() > end || !agentc_pump(c, 100))
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
	long end = agentc_now_ms() + ms;

	while (agentc_now_ms() < end)
		agentc_pump(c, 20);
}

const struct msg_oom *agentc_wait_oom(struct agentc *c, size_t i,
				      int timeout_ms)
{
	long end = agentc_now_ms() + timeout_ms;

	while (c->nooms <= i)
		if (agentc_now_ms() > end || !agentc_pump(c, 100))
			return NULL;
	return &c->ooms[i];
}

void agentc_attach(struct agentc *c, int fd, pid_t pid)
{
	memset(c, 0, sizeof(*c));
	c->rbuf = malloc(AGENTC_RBUF);
	ASSERT(c->rbuf);
	c->fd = fd;
	c->pid = pid;
	fcntl(c->fd, F_SETFL, O_NONBLOCK);
}
