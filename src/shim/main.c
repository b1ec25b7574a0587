/*
 * moat-shim: the per-container host process (docs/design.md, "Runtime,
 * shim and backends").
 *
 * Usage (started by `moat create` / `moat run`, not by hand):
 *   moat-shim --root DIR --id ID --bundle DIR --sync-fd N
 *
 * The shim reads the bundle's config.json, starts the VM (src/sandbox,
 * the QEMU backend today) with the rootfs as the 9p share "rootfs", waits
 * for the agent's HELLO, answers it, and sends CREATE with the config
 * (root.path rewritten to "." inside the share, the seccomp profile
 * compiled to BPF on the host) and three streams: its own stdin, stdout
 * and stderr, inherited from `moat create`, relayed under the protocol's
 * credit. Then it reports on the sync fd ("ok <pid>" or "error <text>",
 * then EOF) and serves <root>/<id>/shim.sock (src/runtime/shimctl.h):
 * start, kill. Signals sent to the shim (its pid is the container's pid
 * for the engine) are forwarded to the container's init.
 *
 * When the init exits the shim waits for its output to end, asks the
 * agent to SHUTDOWN, stops the VM (killing QEMU if it lingers), records
 * the phase stopped, and exits with the container's status, re-raising
 * the signal that killed it. QEMU dies with the shim (PR_SET_PDEATHSIG),
 * so a `kill -9` of the shim leaves no VM behind.
 *
 * Inputs: the command line and config.json (the CLI's, checked again);
 * requests on the control socket (root or the shim's user only); every
 * byte from the agent, through the pure codec in src/proto.
 */
#include "../common/cleanup.h"
#include "../proto/msg.h"
#include "../proto/wire.h"
#include "../runtime/secbpf.h"
#include "../runtime/shimctl.h"
#include "../runtime/spec.h"
#include "../runtime/state.h"
#include "../sandbox/qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SHIM_LOG STATE_CONSOLE_LOG
#define SHIM_RBUF (WIRE_FRAME_MAX + 65536)
#define SHIM_WINDOW (256U << 10) /* credit window per output stream */
#define SHIM_HELLO_MS 120000	 /* boot to HELLO, TCG included */
#define SHIM_DRAIN_MS 3000	 /* after EXIT: wait for output EOFs */
#define SHIM_SHUTDOWN_MS 5000	 /* after SHUTDOWN: wait for QEMU */
#define SHIM_MAX_PENDING 16
#define SHIM_STATUS_LOST 255 /* the VM died under the container */

#define SHIM_S_IN 1
#define SHIM_S_OUT 2
#define SHIM_S_ERR 3

enum shim_phase {
	SHIM_BOOTING,  /* waiting for the agent's HELLO */
	SHIM_CREATING, /* CREATE sent */
	SHIM_CREATED,
	SHIM_RUNNING,
	SHIM_DRAINING, /* the init exited: waiting for output EOFs */
	SHIM_STOPPING, /* SHUTDOWN sent */
	SHIM_DONE,
};

struct shim_out {
	uint32_t id;
	int fd;
	struct wire_credit c;
	bool eof;
};

struct shim_pending { /* a control client waiting for an agent reply */
	uint32_t req;
	int fd;
	uint16_t op;
};

struct shim {
	const char *root, *id, *bundle;
	int dir_fd, log_fd, sync_fd;
	bool synced;	    /* the CLI was told how create went */
	bool shutdown_sent; /* the VM is expected to end by itself */
	int ep, sigfd, ctl_fd;
	struct sandbox sb;
	enum shim_phase phase;
	long deadline; /* ms, CLOCK_MONOTONIC; 0: none */

	uint8_t *rbuf;
	size_t rlen;
	uint8_t *wbuf; /* one encoded frame */
	uint32_t next_req, create_req;

	struct shim_out out[2];
	struct wire_credit in_c;
	bool in_eof, in_poll, in_armed;

	uint32_t init_proc, init_pid;
	bool exited;
	uint32_t code, signo;
	struct shim_pending pending[SHIM_MAX_PENDING];

	char *config;
	uint8_t *bpf;
	size_t bpf_len;
	struct sandbox_config sc;
	char rootfs[PATH_MAX];
	char agent_id[MSG_ID_MAX + 1];
};

static void shim_log(struct shim *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void shim_log(struct shim *s, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	if (s->log_fd < 0)
		return;
	n = snprintf(buf, sizeof(buf), "moat-shim: ");
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	n = (int)strlen(buf);
	buf[n++] = '\n';
	if (write(s->log_fd, buf, (size_t)n) < 0) {
		/* nowhere else to say it */
	}
}

static long shim_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Write all of buf to fd, waiting on EAGAIN (fd may be non-blocking).
 * Returns 0 or -1 (errno). */
static int shim_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	struct pollfd pf;
	ssize_t n;

	while (len) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			pf.fd = fd;
			pf.events = POLLOUT;
			poll(&pf, 1, -1);
			continue;
		}
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* --- the agent channel ---------------------------------------------------- */

static void shim_lost(struct shim *s, const char *what)
{
	if (s->phase < SHIM_STOPPING || s->phase == SHIM_DONE)
		shim_log(s, "agent channel: %s", what);
	if (!s->exited) {
		s->exited = true;
		s->code = SHIM_STATUS_LOST;
	}
	s->phase = SHIM_DONE;
}

static void shim_send(struct shim *s, const void *buf, int n)
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

static uint32_t shim_request(struct shim *s, struct msg *m)
{
	if (m->op == MSG_OP_SHUTDOWN)
		s->shutdown_sent = true;
	m->kind = WIRE_K_REQUEST;
	m->id = ++s->next_req;
	shim_send_msg(s, m);
	return m->id;
}

static void shim_credit(struct shim *s, uint32_t stream, uint32_t grant)
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
static void shim_sync(struct shim *s, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void shim_sync(struct shim *s, bool ok, const char *fmt, ...)
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

/* --- state ---------------------------------------------------------------- */

static void shim_record(struct shim *s, enum state_status phase)
{
	struct state_handle h = STATE_HANDLE_INIT;
	struct moat_err *e = NULL;
	struct state st;

	if (state_open(s->root, s->id, true, &h, &e) == 0) {
		if (state_read(&h, &st, &e) == 0) {
			st.phase = phase;
			state_write(&h, &st, &e);
			state_clear(&st);
		}
		state_close(&h);
	}
	if (e && e->errnum != ENOENT)
		shim_log(s, "state: %s", e->msg);
	moat_err_free(&e);
}

/* --- control clients ------------------------------------------------------ */

static void shim_answer(int fd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void shim_answer(int fd, const char *fmt, ...)
{
	char line[SHIMCTL_LINE_MAX + 2];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, SHIMCTL_LINE_MAX, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n > SHIMCTL_LINE_MAX - 1)
		n = SHIMCTL_LINE_MAX - 1;
	line[n++] = '\n';
	if (send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
		/* the client went away */
	}
	close(fd);
}

static bool shim_pend(struct shim *s, uint32_t req, uint16_t op, int fd)
{
	size_t i;

	for (i = 0; i < SHIM_MAX_PENDING; i++)
		if (!s->pending[i].req) {
			s->pending[i].req = req;
			s->pending[i].op = op;
			s->pending[i].fd = fd;
			return true;
		}
	return false;
}

static void shim_signal_init(struct shim *s, int sig, bool all, int client)
{
	struct msg m = { 0 };
	uint32_t req;

	if (s->phase < SHIM_CREATED || s->phase > SHIM_RUNNING || s->exited) {
		if (client >= 0)
			shim_answer(client,
				    "error container %s is not "
				    "running",
				    s->id);
		return;
	}
	m.op = MSG_OP_SIGNAL;
	m.u.signal.signo = (uint32_t)sig;
	if (all)
		m.u.signal.all = true;
	else
		m.u.signal.proc = s->init_proc;
	req = shim_request(s, &m);
	if (client >= 0 && !shim_pend(s, req, MSG_OP_SIGNAL, client))
		shim_answer(client, "error busy");
}

static void shim_client(struct shim *s)
{
	char line[SHIMCTL_LINE_MAX + 1], *end, *nl;
	struct timeval tv = { 5, 0 };
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	struct msg m = { 0 };
	size_t got = 0;
	ssize_t n;
	long sig;
	int fd;

	fd = accept4(s->ctl_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		close(fd);
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (got < SHIMCTL_LINE_MAX) {
		n = read(fd, line + got, SHIMCTL_LINE_MAX - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (memchr(line, '\n', got))
			break;
	}
	line[got] = '\0';
	nl = strchr(line, '\n');
	if (!nl) {
		close(fd);
		return;
	}
	*nl = '\0';
	if (!strcmp(line, "start")) {
		if (s->phase != SHIM_CREATED) {
			shim_answer(fd, "error container %s is not created",
				    s->id);
			return;
		}
		m.op = MSG_OP_START;
		if (!shim_pend(s, shim_request(s, &m), MSG_OP_START, fd))
			shim_answer(fd, "error busy");
		return;
	}
	if (!strncmp(line, "kill ", 5)) {
		errno = 0;
		sig = strtol(line + 5, &end, 10);
		if (errno || sig < 1 || sig > MSG_SIGNAL_MAX ||
		    (*end && strcmp(end, " all"))) {
			shim_answer(fd, "error bad kill request");
			return;
		}
		shim_signal_init(s, (int)sig, *end != '\0', fd);
		return;
	}
	shim_answer(fd, "error unknown request");
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
		s->phase = SHIM_CREATED;
		s->deadline = 0;
		shim_sync(s, true, "%d", (int)getpid());
		return;
	}
	for (i = 0; i < SHIM_MAX_PENDING; i++)
		if (s->pending[i].req == m->id && s->pending[i].op == m->op)
			p = &s->pending[i];
	if (!p)
		return;
	if (m->kind == WIRE_K_ERROR) {
		shim_answer(p->fd, "error agent: %s", text);
	} else {
		if (m->op == MSG_OP_START && s->phase == SHIM_CREATED) {
			s->phase = SHIM_RUNNING;
			shim_record(s, STATE_RUNNING);
		}
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
	c.u.create.stream_in = SHIM_S_IN;
	c.u.create.stream_out = SHIM_S_OUT;
	c.u.create.stream_err = SHIM_S_ERR;
	s->create_req = shim_request(s, &c);
	/* Credit for the output streams right away (docs/protocol.md). */
	shim_credit(s, SHIM_S_OUT, wire_credit_grant(&s->out[0].c));
	shim_credit(s, SHIM_S_ERR, wire_credit_grant(&s->out[1].c));
	s->phase = SHIM_CREATING;
	s->deadline = shim_now_ms() + SHIM_HELLO_MS;
}

static void shim_in_arm(struct shim *s);

static void shim_frame(struct shim *s, const struct wire_frame *f)
{
	struct shim_out *o = NULL;
	struct msg m;
	int r;

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
		if (msg_decode(f, &m) < 0 || m.op != MSG_EV_EXIT ||
		    m.u.exit.proc != s->init_proc || !s->init_proc || s->exited)
			return;
		s->exited = true;
		s->code = m.u.exit.code;
		s->signo = m.u.exit.signo;
		if (s->phase < SHIM_DRAINING) {
			s->phase = SHIM_DRAINING;
			s->deadline = shim_now_ms() + SHIM_DRAIN_MS;
		}
		return;
	case WIRE_K_DATA:
	case WIRE_K_EOF:
		if (f->id == SHIM_S_OUT)
			o = &s->out[0];
		else if (f->id == SHIM_S_ERR)
			o = &s->out[1];
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
		/* A reader that went away loses the bytes, not the
		 * container. */
		if (o->fd >= 0 && shim_write_all(o->fd, f->body, f->len) < 0) {
			shim_log(s, "stream %u: %s: output dropped", o->id,
				 strerror(errno));
			o->fd = -1;
		}
		wire_credit_drain(&o->c, f->len);
		shim_credit(s, o->id, wire_credit_grant(&o->c));
		return;
	case WIRE_K_CREDIT:
		if (f->id != SHIM_S_IN || s->in_eof)
			return;
		r = wire_credit_add(&s->in_c, f->grant);
		if (r < 0)
			shim_lost(s, wire_strerror(r));
		else
			shim_in_arm(s);
		return;
	default:
		shim_lost(s, "unexpected frame kind");
		return;
	}
}

static void shim_chan_read(struct shim *s)
{
	struct wire_frame f;
	size_t off = 0, need;
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
	while (s->phase != SHIM_DONE && off < s->rlen) {
		r = wire_frame_scan(s->rbuf + off, s->rlen - off, &need);
		if (r == 0)
			break;
		if (r > 0)
			r = wire_frame_decode(s->rbuf + off, (size_t)r, &f);
		if (r < 0) {
			shim_lost(s, wire_strerror(r));
			break;
		}
		shim_frame(s, &f);
		off += (size_t)r;
	}
	if (off) {
		memmove(s->rbuf, s->rbuf + off, s->rlen - off);
		s->rlen -= off;
	}
}

/* --- stdin ---------------------------------------------------------------- */

static void shim_in_arm(struct shim *s)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 1 };
	bool want =
		!s->in_eof && wire_credit_sendable(&s->in_c, 1) && s->in_poll;

	if (want == s->in_armed)
		return;
	if (epoll_ctl(s->ep, want ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, STDIN_FILENO,
		      &ev) == 0)
		s->in_armed = want;
}

static void shim_in_eof(struct shim *s)
{
	uint8_t buf[WIRE_HDR_LEN];

	s->in_eof = true;
	wire_credit_eof(&s->in_c);
	shim_send(s, buf, wire_eof_encode(buf, sizeof(buf), SHIM_S_IN));
	shim_in_arm(s);
}

static void shim_in_read(struct shim *s)
{
	uint32_t n = wire_credit_sendable(&s->in_c, WIRE_DATA_MAX);
	ssize_t r;

	if (!n || s->in_eof)
		return;
	r = read(STDIN_FILENO, s->wbuf + WIRE_HDR_LEN, n);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		shim_in_eof(s);
		return;
	}
	wire_credit_use(&s->in_c, (uint32_t)r);
	/* wire_data_encode copies the body: move it out of the way first. */
	memmove(s->wbuf + WIRE_FRAME_MAX / 2, s->wbuf + WIRE_HDR_LEN,
		(size_t)r);
	shim_send(s, s->wbuf,
		  wire_data_encode(s->wbuf, WIRE_HDR_LEN + (size_t)r, SHIM_S_IN,
				   s->wbuf + WIRE_FRAME_MAX / 2, (size_t)r));
	shim_in_arm(s);
}

/* --- signals -------------------------------------------------------------- */

static const int shim_forwarded[] = {
	SIGHUP,	 SIGINT,   SIGQUIT, SIGTERM, SIGUSR1,
	SIGUSR2, SIGWINCH, SIGCONT, SIGTSTP, SIGALRM,
};

static void shim_signals(struct shim *s)
{
	struct signalfd_siginfo si;
	int status;

	while (read(s->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo != SIGCHLD) {
			shim_signal_init(s, (int)si.ssi_signo, false, -1);
			continue;
		}
		if (s->sb.pid > 0 &&
		    waitpid(s->sb.pid, &status, WNOHANG) == s->sb.pid) {
			s->sb.pid = 0;
			if (s->phase < SHIM_STOPPING)
				shim_log(s, "the VM exited (status 0x%x)",
					 status);
			shim_lost(s, "the VM exited");
		}
	}
}

/* --- set-up --------------------------------------------------------------- */

/* The container id as the codec's name charset allows (the agent uses it
 * for the guest's cgroup): [A-Za-z0-9][A-Za-z0-9_.-]*, at most 128. */
static void shim_agent_id(const char *id, char *out, size_t cap)
{
	size_t i, j = 0;

	for (i = 0; id[i] && j + 1 < cap && j < MSG_ID_MAX; i++) {
		char c = id[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9');

		if (!j && !alnum)
			out[j++] = 'c';
		if (j + 1 < cap && j < MSG_ID_MAX)
			out[j++] = alnum || c == '_' || c == '.' || c == '-'
					   ? c
					   : '_';
	}
	out[j] = '\0';
}

/* Memory and vCPUs from linux.resources (memory.limit, cpu.quota and
 * period). The guest gets the container's limit plus room for its
 * kernel and agent. */
static void shim_resources(struct shim *s, const struct spec *sp)
{
	json_t *r, *v, *q;
	long long lim, quota, period;

	if (!sp->resources_json)
		return;
	r = json_loads(sp->resources_json, 0, NULL);
	if (!r)
		return;
	v = json_object_get(json_object_get(r, "memory"), "limit");
	if (json_is_integer(v) && (lim = json_integer_value(v)) > 0) {
		lim = lim / (1024 * 1024) + 128;
		s->sc.mem_mib = lim > 65536 ? 65536 : (unsigned)lim;
		if (s->sc.mem_mib < SANDBOX_MEM_DEFAULT_MIB)
			s->sc.mem_mib = SANDBOX_MEM_DEFAULT_MIB;
	}
	v = json_object_get(r, "cpu");
	q = json_object_get(v, "quota");
	v = json_object_get(v, "period");
	if (json_is_integer(q) && (quota = json_integer_value(q)) > 0) {
		period = json_is_integer(v) && json_integer_value(v) > 0
				 ? json_integer_value(v)
				 : 100000;
		quota = (quota + period - 1) / period;
		if (quota > sysconf(_SC_NPROCESSORS_ONLN))
			quota = sysconf(_SC_NPROCESSORS_ONLN);
		s->sc.cpus = quota < 1 ? 1 : (unsigned)quota;
	}
	json_decref(r);
}

/* Read config.json: check it, find the rootfs on the host, rewrite
 * root.path to "." inside the share, compile the seccomp profile. */
static int shim_config(struct shim *s, struct moat_err **e)
{
	char path[PATH_MAX];
	struct spec *sp = NULL;
	json_t *j = NULL, *root;
	int r = -1;

	if ((size_t)snprintf(path, sizeof(path), "%s/config.json", s->bundle) >=
	    sizeof(path))
		return moat_err_set(e, ENAMETOOLONG, "bundle");
	if (spec_load(path, &sp, e))
		return -1;
	if (sp->process.terminal) {
		moat_err_set(e, EOPNOTSUPP,
			     "process.terminal: not supported yet "
			     "(no --console-socket)");
		goto out;
	}
	if ((size_t)snprintf(s->rootfs, sizeof(s->rootfs), "%s%s%s",
			     sp->root_path[0] == '/' ? "" : s->bundle,
			     sp->root_path[0] == '/' ? "" : "/",
			     sp->root_path) >= sizeof(s->rootfs)) {
		moat_err_set(e, ENAMETOOLONG, "root.path");
		goto out;
	}
	s->sc.rootfs = s->rootfs;
	s->sc.rootfs_readonly = sp->root_readonly;
	shim_resources(s, sp);
	if (sp->seccomp_json &&
	    secbpf_compile(sp->seccomp_json, strlen(sp->seccomp_json), &s->bpf,
			   &s->bpf_len, e))
		goto out;
	j = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
	root = json_object_get(j, "root");
	if (!json_is_object(root) ||
	    json_object_set_new(root, "path", json_string("."))) {
		moat_err_set(e, EINVAL, "config.json: root");
		goto out;
	}
	s->config = json_dumps(j, JSON_COMPACT);
	if (!s->config || strlen(s->config) > MSG_CONFIG_MAX) {
		moat_err_set(e, s->config ? E2BIG : ENOMEM, "config.json");
		goto out;
	}
	r = 0;
out:
	json_decref(j);
	spec_free(sp);
	return r;
}

static int shim_setup(struct shim *s, struct moat_err **e)
{
	struct epoll_event ev;
	sigset_t mask;
	size_t i;

	{
		struct state_handle h = STATE_HANDLE_INIT;

		if (state_open(s->root, s->id, false, &h, e))
			return -1;
		s->dir_fd = h.dir_fd;
	}
	s->log_fd = openat(
		s->dir_fd, SHIM_LOG,
		O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (s->log_fd < 0)
		return moat_err_set(e, errno, "%s", SHIM_LOG);
	sandbox_config_defaults(&s->sc);
	s->sc.log_fd = s->log_fd;
	s->sc.dir_fd = s->dir_fd;
	if (shim_config(s, e))
		return -1;
	{
		static char logpath[PATH_MAX + 64];

		if ((size_t)snprintf(logpath, sizeof(logpath), "%s/%s/%s",
				     s->root, s->id,
				     SHIM_LOG) >= sizeof(logpath))
			return moat_err_set(e, ENAMETOOLONG, "%s", SHIM_LOG);
		s->sc.log_path = logpath;
	}
	shim_agent_id(s->id, s->agent_id, sizeof(s->agent_id));
	s->rbuf = malloc(SHIM_RBUF);
	s->wbuf = malloc(WIRE_FRAME_MAX);
	if (!s->rbuf || !s->wbuf)
		return moat_err_set(e, ENOMEM, "shim");
	wire_credit_init(&s->in_c, 0);
	for (i = 0; i < 2; i++) {
		s->out[i].id = i ? SHIM_S_ERR : SHIM_S_OUT;
		s->out[i].fd = i ? STDERR_FILENO : STDOUT_FILENO;
		wire_credit_init(&s->out[i].c, SHIM_WINDOW);
	}
	s->ctl_fd = shimctl_listen(s->dir_fd, e);
	if (s->ctl_fd < 0)
		return -1;

	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	for (i = 0; i < sizeof(shim_forwarded) / sizeof(shim_forwarded[0]); i++)
		sigaddset(&mask, shim_forwarded[i]);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	s->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (s->sigfd < 0 || s->ep < 0)
		return moat_err_set(e, errno, "shim: epoll");

	if (s->sb.ops == NULL)
		s->sb.ops = &sandbox_qemu;
	if (s->sb.ops->start(&s->sb, &s->sc, e))
		return moat_err_wrap(e, "start the VM");
	fcntl(s->sb.chan_fd, F_SETFL,
	      fcntl(s->sb.chan_fd, F_GETFL) | O_NONBLOCK);

	ev.events = EPOLLIN;
	ev.data.u32 = 0;
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, s->sb.chan_fd, &ev) < 0)
		return moat_err_set(e, errno, "shim: epoll");
	ev.data.u32 = 2;
	epoll_ctl(s->ep, EPOLL_CTL_ADD, s->sigfd, &ev);
	ev.data.u32 = 3;
	epoll_ctl(s->ep, EPOLL_CTL_ADD, s->ctl_fd, &ev);
	/* EPOLLERR on the sync pipe: `moat create` died before the
	 * container was created, and nobody would ever record or delete it:
	 * stop the VM and go. */
	ev.events = 0;
	ev.data.u32 = 4;
	epoll_ctl(s->ep, EPOLL_CTL_ADD, s->sync_fd, &ev);
	/* stdin: a file or /dev/null cannot be polled; it is always
	 * readable. */
	s->in_poll = true;
	ev.data.u32 = 1;
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, STDIN_FILENO, &ev) < 0) {
		s->in_poll = false;
	} else {
		epoll_ctl(s->ep, EPOLL_CTL_DEL, STDIN_FILENO, NULL);
	}
	s->phase = SHIM_BOOTING;
	s->deadline = shim_now_ms() + SHIM_HELLO_MS;
	return 0;
}

/* --- the loop ------------------------------------------------------------- */

static void shim_loop(struct shim *s)
{
	struct epoll_event ev[16];
	struct msg m = { 0 };
	int i, n, timeout;
	bool in_ready;

	while (s->phase != SHIM_DONE) {
		if (s->phase == SHIM_DRAINING &&
		    ((s->out[0].eof && s->out[1].eof) ||
		     shim_now_ms() >= s->deadline)) {
			m.op = MSG_OP_SHUTDOWN;
			shim_request(s, &m);
			if (s->phase == SHIM_DONE)
				break;
			s->phase = SHIM_STOPPING;
			s->deadline = shim_now_ms() + SHIM_SHUTDOWN_MS;
		}
		if (s->phase >= SHIM_CREATED && s->phase <= SHIM_DRAINING &&
		    s->in_eof == false && !s->in_poll &&
		    wire_credit_sendable(&s->in_c, 1))
			in_ready = true;
		else
			in_ready = false;
		timeout = -1;
		if (s->deadline) {
			timeout = (int)(s->deadline - shim_now_ms());
			if (timeout <= 0) {
				if (s->phase == SHIM_BOOTING)
					shim_log(s, "no HELLO from the agent");
				if (s->phase == SHIM_CREATING)
					shim_log(s, "no answer to CREATE");
				if (s->phase == SHIM_BOOTING ||
				    s->phase == SHIM_CREATING ||
				    s->phase == SHIM_STOPPING) {
					shim_lost(s, "timed out");
					break;
				}
				timeout = 0;
			}
		}
		if (in_ready)
			timeout = 0;
		n = epoll_wait(s->ep, ev, 16, timeout);
		if (n < 0 && errno != EINTR)
			break;
		for (i = 0; i < n && s->phase != SHIM_DONE; i++) {
			switch (ev[i].data.u32) {
			case 0:
				shim_chan_read(s);
				break;
			case 1:
				shim_in_read(s);
				break;
			case 2:
				shim_signals(s);
				break;
			case 3:
				shim_client(s);
				break;
			case 4:
				if (s->sync_fd >= 0 && !s->synced) {
					shim_log(s, "moat create went away");
					shim_lost(s, "moat create went away");
				}
				break;
			}
		}
		if (in_ready && s->phase != SHIM_DONE)
			shim_in_read(s);
	}
}

/* Exit as the container did: its status, or the signal that killed it. */
static void __attribute__((noreturn)) shim_exit(struct shim *s)
{
	struct rlimit no_core = { 0, 0 };
	sigset_t mask;
	int sig = (int)s->signo;

	if (sig > 0 && sig < 64) {
		setrlimit(RLIMIT_CORE, &no_core);
		signal(sig, SIG_DFL);
		sigemptyset(&mask);
		sigaddset(&mask, sig);
		sigprocmask(SIG_UNBLOCK, &mask, NULL);
		raise(sig);
		_exit(128 + sig);
	}
	_exit((int)(s->code & 0xff));
}

static void shim_usage(void)
{
	fputs("usage: moat-shim --root DIR --id ID --bundle DIR --sync-fd N\n"
	      "(started by moat create / moat run)\n",
	      stderr);
}

int main(int argc, char **argv)
{
	struct shim s = { .dir_fd = -1,
			  .log_fd = -1,
			  .sync_fd = -1,
			  .ep = -1,
			  .sigfd = -1,
			  .ctl_fd = -1,
			  .sb = SANDBOX_INIT };
	struct moat_err *e = NULL;
	size_t i;
	char *end;
	long v;
	int j;

	for (j = 1; j + 1 < argc; j += 2) {
		if (!strcmp(argv[j], "--root"))
			s.root = argv[j + 1];
		else if (!strcmp(argv[j], "--id"))
			s.id = argv[j + 1];
		else if (!strcmp(argv[j], "--bundle"))
			s.bundle = argv[j + 1];
		else if (!strcmp(argv[j], "--sync-fd")) {
			errno = 0;
			v = strtol(argv[j + 1], &end, 10);
			if (errno || *end || v < 3 || v > 65535)
				break;
			s.sync_fd = (int)v;
		} else
			break;
	}
	if (j != argc || !s.root || !s.id || !s.bundle || s.sync_fd < 0 ||
	    fcntl(s.sync_fd, F_SETFD, FD_CLOEXEC) < 0) {
		shim_usage();
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	for (j = 0; j < 3; j++)
		if (fcntl(j, F_GETFD) < 0 &&
		    open("/dev/null", j ? O_WRONLY : O_RDONLY) != j)
			return 2;
	if (chdir("/") < 0 || shim_setup(&s, &e)) {
		shim_sync(&s, false, "%s", e ? e->msg : "out of memory");
		moat_err_free(&e);
		sandbox_stop(&s.sb, 0);
		if (s.ctl_fd >= 0 && s.dir_fd >= 0)
			unlinkat(s.dir_fd, SHIMCTL_SOCK, 0);
		return 1;
	}
	shim_log(&s, "VM started (%s, pid %d), %u MiB, %u vCPUs",
		 s.sb.ops->name, (int)s.sb.pid, s.sc.mem_mib, s.sc.cpus);
	shim_loop(&s);
	if (!s.synced) {
		shim_sync(&s, false,
			  "the VM ended before the container was created "
			  "(see %s/%s/%s)",
			  s.root, s.id, SHIM_LOG);
		s.code = 1;
		s.signo = 0;
	}
	for (i = 0; i < SHIM_MAX_PENDING; i++)
		if (s.pending[i].req)
			shim_answer(s.pending[i].fd, "error the container "
						     "stopped");
	/* After SHUTDOWN the VM ends by itself; otherwise nothing will
	 * end it but us. */
	sandbox_stop(&s.sb, s.shutdown_sent ? SHIM_SHUTDOWN_MS : 0);
	unlinkat(s.dir_fd, SHIMCTL_SOCK, 0);
	shim_log(&s, "container exited: code %u, signal %u", s.code, s.signo);
	if (s.init_proc)
		shim_record(&s, STATE_STOPPED);
	shim_exit(&s);
}
