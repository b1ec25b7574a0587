/*
 * moat-shim: the per-container host process (docs/design.md, "Runtime,
 * shim and backends").
 *
 * Usage (started by `moat create` / `moat run`, not by hand):
 *   moat-shim --root DIR --id ID --bundle DIR --sync-fd N
 *
 * The shim reads the bundle's config.json, picks the backend (moat-vmm or
 * QEMU: annotation, MOAT_HYPERVISOR, moat.conf), builds the VM's share
 * (share.c: the rootfs and every bind source under a private tmpfs),
 * joins the container's network namespace (netns.c) and carries its
 * interfaces to taps (src/sandbox/net.c), starts the VM, waits for the
 * agent's HELLO, answers it, and sends CREATE with the config (paths
 * relative to the share, the seccomp profile compiled to BPF on the host)
 * and the init's streams: its stdin, stdout and stderr inherited from
 * `moat create`, or a pty whose master went to --console-socket, relayed
 * under the protocol's credit. On the sync fd (a socket) it first says
 * "pid <pid>" once it is in the container's network namespace, and waits
 * for "go" while `moat create` runs the prestart and createRuntime hooks;
 * it carries the interfaces to taps after them. Then it reports ("ok
 * <pid>" or "error <text>", then EOF) and serves <root>/<id>/shim.sock
 * (src/runtime/shimctl.h): start, kill, exec, ps, pause, resume, stats,
 * update. Signals sent to the shim (its pid is the container's pid for
 * the engine) are forwarded to the container's init.
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
#include "../runtime/term.h"
#include "pidns.h"
#include "../sandbox/net.h"
#include "../sandbox/qemu.h"
#include "../sandbox/vmm.h"
#include "../runtime/conf.h"
#include "netns.h"
#include "share.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SHIM_LOG STATE_CONSOLE_LOG
#define SHIM_RBUF (WIRE_FRAME_MAX + 65536)
#define SHIM_WINDOW (256U << 10) /* credit window per output stream */
#define SHIM_HELLO_MS 240000	 /* boot to HELLO, loaded TCG included */
#define SHIM_DRAIN_MS 3000	 /* after EXIT: wait for output EOFs */
#define SHIM_SHUTDOWN_MS 5000	 /* after SHUTDOWN: wait for QEMU */
#define SHIM_MAX_PENDING 16
#define SHIM_STATUS_LOST 255 /* the VM died under the container */

#define SHIM_PROCS 32 /* the init (slot 0) and up to 31 exec'd processes */

/* epoll tags */
#define SHIM_EV_CHAN 0
#define SHIM_EV_SIG 2
#define SHIM_EV_CTL 3
#define SHIM_EV_SYNC 4
#define SHIM_EV_CONSOLE 5
#define SHIM_CONSOLE_MAX (4U << 20) /* of the guest's console in the log */
#define SHIM_TAIL 400		    /* console bytes quoted when create fails */
#define SHIM_EV_IN 0x100     /* + slot: that process's stdin or terminal */
#define SHIM_EV_CLIENT 0x200 /* + slot: its exec client's connection */

enum shim_phase {
	SHIM_BOOTING,  /* waiting for the agent's HELLO */
	SHIM_CREATING, /* CREATE sent */
	SHIM_CREATED,
	SHIM_RUNNING,
	SHIM_DRAINING, /* the init exited: waiting for output EOFs */
	SHIM_STOPPING, /* SHUTDOWN sent */
	SHIM_DONE,
};

struct shim_out { /* guest to host: stdout, stderr, a terminal's output */
	uint32_t id;
	int fd; /* -1: the reader went away, bytes are dropped */
	struct wire_credit c;
	bool eof;
};

struct shim_in { /* host to guest: stdin, a terminal's input */
	uint32_t id;
	int fd;
	struct wire_credit c;
	bool eof;
	bool poll; /* fd can be polled (a file or /dev/null cannot) */
	bool armed;
};

/*
 * One process in the container: slot 0 is the init, the others are
 * exec'd. Its streams are three new ids N (stdin, or the terminal both
 * ways), N+1 (stdout) and N+2 (stderr), never reused. With a terminal, in
 * and out[0] share the fd and stream id, and out[1] is unused (eof from
 * the start).
 */
struct shim_proc {
	bool used, tty;
	uint32_t req;	    /* its CREATE or EXEC in flight, 0: none */
	uint32_t proc, pid; /* the agent's handle, the guest pid; 0: none */
	struct shim_in in;
	struct shim_out out[2];
	bool own_fds; /* close the fds when done (exec'd processes) */
	int client;   /* exec: the client's connection; -1: none */
	bool exited;
	uint32_t code, signo;
	long deadline; /* exited: wait for output EOFs until then */
};

struct shim_pending { /* a control client waiting for an agent reply */
	uint32_t req;
	int fd;
	uint16_t op;
};

struct shim {
	const char *root, *id, *bundle;
	int dir_fd, log_fd, sync_fd;
	int console_r;	    /* the console pipe's read end, -1: none */
	uint64_t console_n; /* console bytes written to the log */
	char console_tail[SHIM_TAIL]; /* its last bytes, for errors */
	size_t tail_len;
	bool synced;	    /* the CLI was told how create went */
	bool shutdown_sent; /* the VM is expected to end by itself */
	int ep, sigfd, ctl_fd;
	struct sandbox sb;
	struct shim_pidns pidns; /* the monitor's PID namespace */
	enum shim_phase phase;
	long deadline; /* ms, CLOCK_MONOTONIC; 0: none */

	uint8_t *rbuf;
	size_t rlen;
	uint8_t *wbuf; /* one encoded frame */
	char *pbuf;    /* an EXEC's packed lists */
	uint32_t next_req, create_req;

	struct shim_proc procs[SHIM_PROCS];
	uint32_t next_stream; /* the next process's first stream id */
	const char *console_socket;

	uint32_t init_proc, init_pid;
	uint32_t ooms;	 /* OOM events from the agent */
	const char *why; /* why the VM was given up, NULL: it ended */
	bool vm_exited;	 /* the monitor's wait status is vm_status */
	int vm_status;
	bool exited;
	uint32_t code, signo;
	struct shim_pending pending[SHIM_MAX_PENDING];

	char *config;
	uint8_t *bpf;
	size_t bpf_len;
	struct sandbox_config sc;
	struct moat_conf conf; /* sc's strings point into it */
	struct net_setup net;  /* the engine's network, carried to taps */
	char *net_desc;	       /* its description for the agent, or NULL */
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

/* --- processes and their streams ----------------------------------------- */

static void shim_proc_init(struct shim_proc *p, uint32_t *next, int in, int out,
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

static size_t shim_slot(struct shim *s, struct shim_proc *p)
{
	return (size_t)(p - s->procs);
}

/* The process that owns stream id and which of its streams it is (0: stdin
 * or terminal, 1: stdout, 2: stderr); NULL when no process has it. */
static struct shim_proc *shim_stream(struct shim *s, uint32_t id, int *which)
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

static struct shim_proc *shim_by_handle(struct shim *s, uint32_t proc)
{
	size_t i;

	for (i = 0; proc && i < SHIM_PROCS; i++)
		if (s->procs[i].used && s->procs[i].proc == proc)
			return &s->procs[i];
	return NULL;
}

/* Fill a CREATE's or EXEC's stream ids for p. */
static void shim_proc_streams(const struct shim_proc *p, uint32_t *in,
			      uint32_t *out, uint32_t *err, uint32_t *tty)
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
static void shim_proc_credit(struct shim *s, struct shim_proc *p)
{
	size_t i;

	for (i = 0; i < 2; i++)
		if (!p->out[i].eof)
			shim_credit(s, p->out[i].id,
				    wire_credit_grant(&p->out[i].c));
}

static void shim_in_arm(struct shim *s, struct shim_proc *p)
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
static void shim_proc_done(struct shim *s, struct shim_proc *p)
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

static bool shim_running(struct shim *s)
{
	return s->phase >= SHIM_CREATED && s->phase <= SHIM_RUNNING &&
	       !s->exited;
}

/* Signal one process (proc), or all of them; answer client when >= 0. */
static void shim_signal_proc(struct shim *s, uint32_t proc, int sig, bool all,
			     int client)
{
	struct msg m = { 0 };
	uint32_t req;

	if (!shim_running(s)) {
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
		m.u.signal.proc = proc;
	req = shim_request(s, &m);
	if (client >= 0 && !shim_pend(s, req, MSG_OP_SIGNAL, client))
		shim_answer(client, "error busy");
}

static void shim_signal_init(struct shim *s, int sig, bool all, int client)
{
	shim_signal_proc(s, s->init_proc, sig, all, client);
}

static void shim_resize(struct shim *s, struct shim_proc *p, int fd)
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
	shim_request(s, &m);
}

/* Read a request line and the fds that came with it; bytes after the
 * newline are left in line after the NUL, their count in *extra. */
static int shim_client_line(int fd, char *line, size_t cap, size_t *extra,
			    int *fds, size_t *nfds)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * SHIMCTL_FDS_MAX)];
		struct cmsghdr align;
	} u;
	struct cmsghdr *c;
	size_t got = 0, k, n;
	ssize_t r;
	char *nl;

	*nfds = 0;
	while (got + 1 < cap) {
		struct iovec iov = { line + got, cap - 1 - got };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

		mh.msg_control = u.b;
		mh.msg_controllen = sizeof(u.b);
		r = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
		if (r < 0 && errno == EINTR)
			continue;
		for (c = CMSG_FIRSTHDR(&mh); r > 0 && c;
		     c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level != SOL_SOCKET ||
			    c->cmsg_type != SCM_RIGHTS)
				continue;
			n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (k = 0; k < n; k++) {
				int f;

				memcpy(&f, CMSG_DATA(c) + k * sizeof(int),
				       sizeof(int));
				if (*nfds < SHIMCTL_FDS_MAX)
					fds[(*nfds)++] = f;
				else
					close(f);
			}
		}
		if (r <= 0)
			break;
		got += (size_t)r;
		nl = memchr(line, '\n', got);
		if (nl) {
			*nl = '\0';
			*extra = got - (size_t)(nl + 1 - line);
			return 0;
		}
	}
	for (k = 0; k < *nfds; k++)
		close(fds[k]);
	*nfds = 0;
	return -1;
}

/* An EXEC request for process pp into m, its lists packed in s->pbuf. */
static int shim_exec_msg(struct shim *s, const struct spec_process *pp,
			 const struct shim_proc *p, struct msg *m)
{
	size_t cap = WIRE_FRAME_MAX, used = 0;
	uint32_t n;
	int r;

	memset(m, 0, sizeof(*m));
	m->op = MSG_OP_EXEC;
	for (n = 0; pp->args[n]; n++)
		;
	r = msg_strlist_pack(s->pbuf, cap, (const char *const *)pp->args, n,
			     &m->u.exec.argv);
	if (r < 0)
		return -1;
	used += (size_t)r;
	for (n = 0; pp->env && pp->env[n]; n++)
		;
	r = msg_strlist_pack(s->pbuf + used, cap - used,
			     (const char *const *)pp->env, n, &m->u.exec.env);
	if (r < 0)
		return -1;
	used += (size_t)r;
	r = msg_u32list_pack((uint8_t *)s->pbuf + used, cap - used,
			     pp->additional_gids,
			     (uint32_t)pp->nadditional_gids, &m->u.exec.gids);
	if (r < 0)
		return -1;
	m->u.exec.cwd.s = pp->cwd;
	m->u.exec.cwd.len = (uint32_t)strlen(pp->cwd);
	m->u.exec.uid = pp->uid;
	m->u.exec.gid = pp->gid;
	/* The process's capabilities (--process, --cap) and
	 * noNewPrivileges; the container's when it names none. */
	m->u.exec.has_caps = pp->has_caps;
	for (n = 0; pp->has_caps && n < SPEC_CAP_SETS; n++)
		m->u.exec.caps[n] = pp->caps[n];
	m->u.exec.no_new_privs =
		pp->no_new_privileges ? MSG_NNP_ON : MSG_NNP_OFF;
	shim_proc_streams(p, &m->u.exec.stream_in, &m->u.exec.stream_out,
			  &m->u.exec.stream_err, &m->u.exec.stream_tty);
	return 0;
}

/*
 * The <n> bytes of JSON that follow a "<verb> <n>" line (arg is "<n>"),
 * the first nextra of them already read into extra; a running container
 * only. Returns the NUL-terminated text (malloc'd) and *len, or NULL
 * after answering the client with the reason (fd closed).
 */
static char *shim_client_payload(struct shim *s, int fd, const char *arg,
				 const char *extra, size_t nextra,
				 unsigned long *len)
{
	char *json, *end;
	size_t got;
	ssize_t r;

	errno = 0;
	*len = strtoul(arg, &end, 10);
	if (errno || *end || !*len || *len > SHIMCTL_EXEC_MAX ||
	    nextra > *len) {
		shim_answer(fd, "error bad request");
		return NULL;
	}
	if (!shim_running(s)) {
		shim_answer(fd, "error container %s is not running", s->id);
		return NULL;
	}
	json = malloc(*len + 1);
	if (!json) {
		shim_answer(fd, "error out of memory");
		return NULL;
	}
	memcpy(json, extra, nextra);
	for (got = nextra; got < *len; got += (size_t)r) {
		r = read(fd, json + got, *len - got);
		if (r < 0 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r <= 0) {
			shim_answer(fd, "error the request was cut short");
			free(json);
			return NULL;
		}
	}
	json[*len] = '\0';
	return json;
}

/* "update <n>": the container's new linux.resources (JSON). */
static void shim_client_update(struct shim *s, int fd, const char *arg,
			       const char *extra, size_t nextra)
{
	struct msg m = { 0 };
	unsigned long len;
	char *json = shim_client_payload(s, fd, arg, extra, nextra, &len);

	if (!json)
		return;
	m.op = MSG_OP_UPDATE;
	m.u.update.resources.p = (const uint8_t *)json;
	m.u.update.resources.len = (uint32_t)len;
	if (!shim_pend(s, shim_request(s, &m), MSG_OP_UPDATE, fd))
		shim_answer(fd, "error busy");
	free(json);
}

/* "exec <n>": a process to run in the container (shimctl.h). */
static void shim_client_exec(struct shim *s, int fd, const char *arg,
			     char *extra, size_t nextra, int *fds, size_t nfds)
{
	struct moat_err *e = NULL;
	struct spec *sp = NULL;
	struct shim_proc *p = NULL;
	struct msg m = { 0 };
	char *json;
	unsigned long len;
	size_t i, k;

	json = shim_client_payload(s, fd, arg, extra, nextra, &len);
	if (!json)
		goto out;
	if (spec_process_parse(json, len, &sp, &e)) {
		shim_answer(fd, "error process: %s", e->msg);
		goto out;
	}
	if (nfds != (sp->process.terminal ? 1u : 3u)) {
		shim_answer(fd, "error exec needs %s",
			    sp->process.terminal ? "one terminal fd"
						 : "three stdio fds");
		goto out;
	}
	for (i = 1; i < SHIM_PROCS && !p; i++)
		if (!s->procs[i].used)
			p = &s->procs[i];
	if (!p) {
		shim_answer(fd, "error too many exec'd processes at once");
		goto out;
	}
	shim_proc_init(p, &s->next_stream, fds[0], nfds > 1 ? fds[1] : fds[0],
		       nfds > 2 ? fds[2] : -1, sp->process.terminal);
	p->own_fds = true;
	p->client = fd;
	p->in.poll = true;
	nfds = 0;
	if (shim_exec_msg(s, &sp->process, p, &m)) {
		p->client = -1;
		shim_proc_done(s, p);
		shim_answer(fd, "error process: too large for one request");
		goto out;
	}
	p->req = shim_request(s, &m);
	shim_proc_credit(s, p);
out:
	for (k = 0; k < nfds; k++)
		close(fds[k]);
	spec_free(sp);
	free(json);
	moat_err_free(&e);
}

static void shim_client(struct shim *s)
{
	char line[SHIMCTL_LINE_MAX + 1], *end;
	struct timeval tv = { 5, 0 };
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	struct msg m = { 0 };
	int fd, fds[SHIMCTL_FDS_MAX];
	size_t nfds = 0, extra = 0, k;
	long sig;

	fd = accept4(s->ctl_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		close(fd);
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (shim_client_line(fd, line, sizeof(line), &extra, fds, &nfds)) {
		close(fd);
		return;
	}
	if (!strncmp(line, "exec ", 5)) {
		shim_client_exec(s, fd, line + 5, line + strlen(line) + 1,
				 extra, fds, nfds);
		return;
	}
	for (k = 0; k < nfds; k++)
		close(fds[k]);
	if (!strncmp(line, "update ", 7)) {
		shim_client_update(s, fd, line + 7, line + strlen(line) + 1,
				   extra);
		return;
	}
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
	if (!strcmp(line, "ps") || !strcmp(line, "pause") ||
	    !strcmp(line, "resume") || !strcmp(line, "stats")) {
		if (!shim_running(s)) {
			shim_answer(fd, "error container %s is not running",
				    s->id);
			return;
		}
		m.op = !strcmp(line, "ps")	? MSG_OP_PS
		       : !strcmp(line, "pause") ? MSG_OP_PAUSE
		       : !strcmp(line, "stats") ? MSG_OP_STATS
						: MSG_OP_RESUME;
		if (!shim_pend(s, shim_request(s, &m), m.op, fd))
			shim_answer(fd, "error busy");
		return;
	}
	shim_answer(fd, "error unknown request");
}

/* A line from an exec'd process's client: "kill <signo>" or "resize
 * <rows> <cols>"; its hang-up before the process ended kills it. */
static void shim_exec_client(struct shim *s, struct shim_proc *p)
{
	char buf[256], *line, *next, *end;
	struct msg m = { 0 };
	unsigned long a, b;
	ssize_t n;

	n = recv(p->client, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		epoll_ctl(s->ep, EPOLL_CTL_DEL, p->client, NULL);
		close(p->client);
		p->client = -1;
		if (!p->exited)
			shim_signal_proc(s, p->proc, SIGKILL, false, -1);
		return;
	}
	buf[n] = '\0';
	for (line = buf; (next = strchr(line, '\n')); line = next + 1) {
		*next = '\0';
		errno = 0;
		if (!strncmp(line, "kill ", 5)) {
			a = strtoul(line + 5, &end, 10);
			if (!errno && !*end && a >= 1 && a <= MSG_SIGNAL_MAX &&
			    !p->exited)
				shim_signal_proc(s, p->proc, (int)a, false, -1);
		} else if (!strncmp(line, "resize ", 7)) {
			a = strtoul(line + 7, &end, 10);
			b = *end == ' ' ? strtoul(end + 1, &end, 10) : 70000;
			if (!errno && !*end && a < 65536 && b < 65536 &&
			    p->tty && !p->exited && shim_running(s)) {
				m.op = MSG_OP_RESIZE;
				m.u.resize.proc = p->proc;
				m.u.resize.rows = (uint32_t)a;
				m.u.resize.cols = (uint32_t)b;
				shim_request(s, &m);
			}
		}
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

/* --- stdin and terminal input --------------------------------------------- */

static void shim_in_eof(struct shim *s, struct shim_proc *p)
{
	uint8_t buf[WIRE_HDR_LEN];

	p->in.eof = true;
	wire_credit_eof(&p->in.c);
	shim_send(s, buf, wire_eof_encode(buf, sizeof(buf), p->in.id));
	shim_in_arm(s, p);
}

static void shim_in_read(struct shim *s, struct shim_proc *p)
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
static void shim_console(struct shim *s)
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
		if (si.ssi_signo == SIGWINCH && s->procs[0].tty) {
			/* The terminal (our controlling one) was resized. */
			shim_resize(s, &s->procs[0], s->procs[0].in.fd);
			continue;
		}
		if (si.ssi_signo != SIGCHLD) {
			shim_signal_init(s, (int)si.ssi_signo, false, -1);
			continue;
		}
		if (s->sb.pid > 0 &&
		    waitpid(s->sb.pid, &status, WNOHANG) == s->sb.pid) {
			s->sb.pid = 0;
			s->vm_status = status;
			s->vm_exited = true;
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

/*
 * Tell `moat create` the shim's pid ("pid <pid>\n" on the sync socket), in
 * the container's network namespace and before the VM exists, and wait for
 * its "go\n": it runs the prestart and createRuntime hooks in between.
 * EOF means that `moat create` failed (a hook) or went away.
 */
static int shim_hooks_wait(struct shim *s, struct moat_err **e)
{
	char buf[8];
	size_t got = 0;
	ssize_t n;

	dprintf(s->sync_fd, "pid %d\n", (int)getpid());
	while (got < 3) {
		n = read(s->sync_fd, buf + got, 3 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return moat_err_set(e, n ? errno : EPIPE,
					    "moat create did not let the "
					    "container go on (a hook failed, "
					    "or it went away)");
		got += (size_t)n;
	}
	if (memcmp(buf, "go\n", 3))
		return moat_err_set(e, EPROTO, "moat create: a bad answer");
	return 0;
}

/* Read config.json: check it, gather the rootfs and the bind mounts'
 * sources into the VM's share (share.c), compile the seccomp profile. */
static int shim_config(struct shim *s, struct moat_err **e)
{
	char path[PATH_MAX];
	struct spec *sp = NULL;
	enum sandbox_kind kind;
	json_t *j = NULL;
	int r = -1;

	if ((size_t)snprintf(path, sizeof(path), "%s/config.json", s->bundle) >=
	    sizeof(path))
		return moat_err_set(e, ENAMETOOLONG, "bundle");
	if (spec_load(path, &sp, e))
		return -1;
	if (sp->process.terminal) {
		int sl;

		/* The engine's resizes reach the shim as SIGWINCH. */
		if (!s->console_socket) {
			moat_err_set(e, EINVAL,
				     "process.terminal: needs "
				     "--console-socket");
			goto out;
		}
		if (term_pty_send(s->console_socket, sp->process.console_height,
				  sp->process.console_width, true, &sl, e))
			goto out;
		/* The caller's stdio is not the container's: let go of it,
		 * or an engine that reads create's output until EOF (as
		 * containerd's shim does) waits for the container's end. */
		{
			int null = open("/dev/null", O_RDWR | O_CLOEXEC);

			for (int k = 0; null >= 0 && k < 3; k++)
				dup2(null, k);
			if (null > 2)
				close(null);
		}
		shim_proc_init(&s->procs[0], &s->next_stream, sl, sl, -1, true);
		s->procs[0].own_fds = true;
		s->procs[0].in.poll = true;
	} else {
		shim_proc_init(&s->procs[0], &s->next_stream, STDIN_FILENO,
			       STDOUT_FILENO, STDERR_FILENO, false);
	}
	if ((size_t)snprintf(s->rootfs, sizeof(s->rootfs), "%s/%s/%s", s->root,
			     s->id, SHIM_SHARE_DIR) >= sizeof(s->rootfs)) {
		moat_err_set(e, ENAMETOOLONG, "--root");
		goto out;
	}
	s->sc.rootfs = s->rootfs;
	s->sc.rootfs_readonly = false; /* see share.c */
	/* The backend: the annotation, MOAT_HYPERVISOR, moat.conf, auto. */
	if (sandbox_choose(spec_annotation(sp, CONF_ANNOTATION_HYPERVISOR),
			   &s->conf, &kind, e))
		goto out;
	s->sb.ops = kind == SANDBOX_KIND_VMM ? &sandbox_vmm : &sandbox_qemu;
	shim_resources(s, sp);
	if (sp->seccomp_json &&
	    secbpf_compile(sp->seccomp_json, strlen(sp->seccomp_json), &s->bpf,
			   &s->bpf_len, e))
		goto out;
	j = json_load_file(path, JSON_REJECT_DUPLICATES, NULL);
	if (!j) {
		moat_err_set(e, EINVAL, "config.json");
		goto out;
	}
	if (shim_share_build(s->rootfs, s->bundle, j, e))
		goto out;
	/* The container's network namespace: the shim joins it (or makes
	 * it) first, so that the createRuntime and prestart hooks, which
	 * `moat create` runs now, see it at /proc/<pid>/ns/net (docker's
	 * libnetwork moves its veth in there); its interfaces are carried
	 * to the VM's NICs after them. */
	{
		const char *netns;
		int host_ns;

		if (net_config_path(j, &netns, e))
			goto out;
		host_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (host_ns < 0) {
			moat_err_set(e, errno, "/proc/self/ns/net");
			goto out;
		}
		if (shim_netns_enter(j, e) || shim_hooks_wait(s, e) ||
		    net_setup(&s->net, "/proc/self/ns/net", host_ns, e)) {
			close(host_ns);
			goto out;
		}
		close(host_ns);
		s->sc.nics = s->net.nics;
		s->sc.nnics = s->net.n;
		if (s->net.n && !(s->net_desc = net_describe(&s->net))) {
			moat_err_set(e, ENOMEM, "network");
			goto out;
		}
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
	/* moat.conf(5): its paths and defaults under the environment's. */
	if (conf_load(NULL, &s->conf, e))
		return -1;
	sandbox_config_init(&s->sc, &s->conf);
	/* The guest's console (and the monitor's messages) come through a
	 * pipe, and the shim writes at most SHIM_CONSOLE_MAX of it to the
	 * log: a guest cannot fill the host's /run. The monitor's stdout is
	 * the pipe: monitors that open a path get /dev/stdout. */
	{
		int p[2];

		if (pipe2(p, O_CLOEXEC) < 0)
			return moat_err_set(e, errno, "console pipe");
		s->console_r = p[0];
		s->sc.log_fd = p[1];
		fcntl(p[0], F_SETFL, O_NONBLOCK);
		s->sc.log_path = "/dev/stdout";
	}
	s->sc.dir_fd = s->dir_fd;
	if (shim_config(s, e))
		return -1;
	shim_agent_id(s->id, s->agent_id, sizeof(s->agent_id));
	s->rbuf = malloc(SHIM_RBUF);
	s->wbuf = malloc(WIRE_FRAME_MAX);
	s->pbuf = malloc(WIRE_FRAME_MAX);
	if (!s->rbuf || !s->wbuf || !s->pbuf)
		return moat_err_set(e, ENOMEM, "shim");
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

	/* The monitor and its helpers in a PID namespace whose /proc
	 * replaces the host's in the shim's mount namespace (pidns.c); a
	 * host that refuses either only loses that view. */
	if (shim_pidns_start(&s->pidns, e)) {
		shim_log(s, "%s: the VM's processes stay in the host's",
			 (*e)->msg);
		moat_err_free(e);
	}
	if (s->sb.ops->start(&s->sb, &s->sc, e))
		return moat_err_wrap(e, "start the VM");
	if (s->pidns.holder > 0 && shim_pidns_proc(&s->pidns, e)) {
		shim_log(s, "%s: /proc stays the host's", (*e)->msg);
		moat_err_free(e);
	}
	/* Only the monitor (and its helper) write the console pipe now: its
	 * EOF is theirs. */
	close(s->sc.log_fd);
	s->sc.log_fd = -1;
	net_close_taps(&s->net); /* the monitor's now: they go with it */
	fcntl(s->sb.chan_fd, F_SETFL,
	      fcntl(s->sb.chan_fd, F_GETFL) | O_NONBLOCK);

	ev.events = EPOLLIN;
	ev.data.u32 = SHIM_EV_CHAN;
	if (epoll_ctl(s->ep, EPOLL_CTL_ADD, s->sb.chan_fd, &ev) < 0)
		return moat_err_set(e, errno, "shim: epoll");
	ev.data.u32 = SHIM_EV_SIG;
	epoll_ctl(s->ep, EPOLL_CTL_ADD, s->sigfd, &ev);
	ev.data.u32 = SHIM_EV_CTL;
	epoll_ctl(s->ep, EPOLL_CTL_ADD, s->ctl_fd, &ev);
	ev.data.u32 = SHIM_EV_CONSOLE;
	epoll_ctl(s->ep, EPOLL_CTL_ADD, s->console_r, &ev);
	/* EPOLLERR on the sync pipe: `moat create` died before the
	 * container was created, and nobody would ever record or delete it:
	 * stop the VM and go. */
	ev.events = 0;
	ev.data.u32 = SHIM_EV_SYNC;
	epoll_ctl(s->ep, EPOLL_CTL_ADD, s->sync_fd, &ev);
	/* stdin: a file or /dev/null cannot be polled; it is always
	 * readable. */
	if (!s->procs[0].tty) {
		ev.data.u32 = SHIM_EV_IN;
		s->procs[0].in.poll =
			epoll_ctl(s->ep, EPOLL_CTL_ADD, STDIN_FILENO, &ev) == 0;
		if (s->procs[0].in.poll)
			epoll_ctl(s->ep, EPOLL_CTL_DEL, STDIN_FILENO, NULL);
	}
	s->phase = SHIM_BOOTING;
	s->deadline = shim_now_ms() + SHIM_HELLO_MS;
	return 0;
}

/* --- the loop ------------------------------------------------------------- */

/* Exec'd processes that exited and whose output ended (or whose drain
 * time is up) are done; returns the nearest drain deadline, 0: none. */
static long shim_procs_tick(struct shim *s)
{
	long now = shim_now_ms(), next = 0;
	struct shim_proc *p;
	size_t i;

	for (i = 1; i < SHIM_PROCS; i++) {
		p = &s->procs[i];
		if (!p->used || !p->exited)
			continue;
		if ((p->out[0].eof && p->out[1].eof) || now >= p->deadline)
			shim_proc_done(s, p);
		else if (!next || p->deadline < next)
			next = p->deadline;
	}
	return next;
}

static void shim_loop(struct shim *s)
{
	struct epoll_event ev[16];
	struct msg m = { 0 };
	struct shim_proc *p;
	int n, timeout;
	uint32_t tag;
	bool in_ready;
	long next;
	size_t i;

	while (s->phase != SHIM_DONE) {
		if (s->phase == SHIM_DRAINING &&
		    ((s->procs[0].out[0].eof && s->procs[0].out[1].eof) ||
		     shim_now_ms() >= s->deadline)) {
			m.op = MSG_OP_SHUTDOWN;
			shim_request(s, &m);
			if (s->phase == SHIM_DONE)
				break;
			s->phase = SHIM_STOPPING;
			s->deadline = shim_now_ms() + SHIM_SHUTDOWN_MS;
		}
		next = shim_procs_tick(s);
		in_ready = false;
		if (s->phase >= SHIM_CREATED && s->phase <= SHIM_DRAINING)
			for (i = 0; i < SHIM_PROCS; i++) {
				p = &s->procs[i];
				if (p->used && !p->in.eof && !p->in.poll &&
				    p->in.fd >= 0 && p->proc &&
				    wire_credit_sendable(&p->in.c, 1))
					in_ready = true;
			}
		if (s->deadline && (!next || s->deadline < next))
			next = s->deadline;
		timeout = -1;
		if (next) {
			timeout = (int)(next - shim_now_ms());
			if (timeout < 0)
				timeout = 0;
		}
		if (s->deadline && s->deadline <= shim_now_ms()) {
			if (s->phase == SHIM_BOOTING)
				shim_log(s, "no HELLO from the agent");
			if (s->phase == SHIM_CREATING)
				shim_log(s, "no answer to CREATE");
			if (s->phase == SHIM_BOOTING ||
			    s->phase == SHIM_CREATING ||
			    s->phase == SHIM_STOPPING) {
				s->why = s->phase == SHIM_BOOTING
						 ? "no HELLO from the agent in "
						   "time"
					 : s->phase == SHIM_CREATING
						 ? "no answer to CREATE in time"
						 : NULL;
				shim_lost(s, "timed out");
				break;
			}
		}
		if (in_ready)
			timeout = 0;
		n = epoll_wait(s->ep, ev, 16, timeout);
		if (n < 0 && errno != EINTR)
			break;
		for (i = 0;
		     i < (size_t)(n > 0 ? n : 0) && s->phase != SHIM_DONE;
		     i++) {
			tag = ev[i].data.u32;
			if (tag >= SHIM_EV_CLIENT &&
			    tag < SHIM_EV_CLIENT + SHIM_PROCS) {
				p = &s->procs[tag - SHIM_EV_CLIENT];
				if (p->used && p->client >= 0)
					shim_exec_client(s, p);
				continue;
			}
			if (tag >= SHIM_EV_IN &&
			    tag < SHIM_EV_IN + SHIM_PROCS) {
				p = &s->procs[tag - SHIM_EV_IN];
				if (p->used)
					shim_in_read(s, p);
				continue;
			}
			switch (tag) {
			case SHIM_EV_CHAN:
				shim_chan_read(s);
				break;
			case SHIM_EV_SIG:
				shim_signals(s);
				break;
			case SHIM_EV_CTL:
				shim_client(s);
				break;
			case SHIM_EV_CONSOLE:
				shim_console(s);
				break;
			case SHIM_EV_SYNC:
				if (s->sync_fd >= 0 && !s->synced) {
					shim_log(s, "moat create went away");
					shim_lost(s, "moat create went away");
				}
				break;
			}
		}
		if (in_ready && s->phase != SHIM_DONE)
			for (i = 0; i < SHIM_PROCS; i++) {
				p = &s->procs[i];
				if (p->used && !p->in.eof && !p->in.poll &&
				    p->in.fd >= 0 && p->proc)
					shim_in_read(s, p);
			}
	}
}

static void shim_usage(void)
{
	fputs("usage: moat-shim --root DIR --id ID --bundle DIR --sync-fd N\n"
	      "                 [--console-socket PATH]\n"
	      "(started by moat create / moat run)\n",
	      stderr);
}

int main(int argc, char **argv)
{
	struct shim s = { .dir_fd = -1,
			  .log_fd = -1,
			  .console_r = -1,
			  .sync_fd = -1,
			  .ep = -1,
			  .sigfd = -1,
			  .ctl_fd = -1,
			  .next_stream = 1,
			  .sb = SANDBOX_INIT,
			  .pidns = SHIM_PIDNS_INIT,
			  .net = NET_SETUP_INIT };
	struct moat_err *e = NULL;
	size_t i;
	char *end;
	long v;
	int j;

	if (argc == 2 && !strcmp(argv[1], SHIM_PIDNS_ARG))
		shim_pidns_holder_main(); /* pidns.c */
	for (j = 1; j + 1 < argc; j += 2) {
		if (!strcmp(argv[j], "--root"))
			s.root = argv[j + 1];
		else if (!strcmp(argv[j], "--id"))
			s.id = argv[j + 1];
		else if (!strcmp(argv[j], "--bundle"))
			s.bundle = argv[j + 1];
		else if (!strcmp(argv[j], "--console-socket"))
			s.console_socket = argv[j + 1];
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
		sandbox_stop(&s.sb, 0);
		shim_pidns_stop(&s.pidns);
		shim_console(&s); /* the monitor's last words */
		shim_sync(&s, false, "%s%s%.*s", e ? e->msg : "out of memory",
			  s.tail_len ? "; the console's last words: " : "",
			  (int)s.tail_len, s.console_tail);
		moat_err_free(&e);
		net_teardown(&s.net);
		if (s.ctl_fd >= 0 && s.dir_fd >= 0)
			unlinkat(s.dir_fd, SHIMCTL_SOCK, 0);
		return 1;
	}
	shim_log(&s, "VM started (%s, pid %d), %u MiB, %u vCPUs",
		 s.sb.ops->name, (int)s.sb.pid, s.sc.mem_mib, s.sc.cpus);
	shim_loop(&s);
	if (!s.synced) {
		/* The log goes with the container: quote its last words. */
		sandbox_stop(&s.sb, 0);
		shim_console(&s);
		char ended[64];

		snprintf(ended, sizeof(ended),
			 s.vm_exited ? "the VM ended (monitor status 0x%x)"
				     : "the agent's channel was lost",
			 s.vm_status);
		shim_sync(&s, false,
			  "%s before the container was created; its "
			  "console's last words: %.*s",
			  s.why ? s.why : ended, (int)s.tail_len,
			  s.console_tail);
		s.code = 1;
		s.signo = 0;
	}
	for (i = 0; i < SHIM_MAX_PENDING; i++)
		if (s.pending[i].req)
			shim_answer(s.pending[i].fd, "error the container "
						     "stopped");
	for (i = 1; i < SHIM_PROCS; i++)
		if (s.procs[i].used) {
			if (s.procs[i].req && s.procs[i].client >= 0) {
				shim_answer(s.procs[i].client,
					    "error the container stopped");
				s.procs[i].client = -1;
			}
			shim_proc_done(&s, &s.procs[i]);
		}
	/* After SHUTDOWN the VM ends by itself; otherwise nothing will
	 * end it but us. */
	sandbox_stop(&s.sb, s.shutdown_sent ? SHIM_SHUTDOWN_MS : 0);
	shim_pidns_stop(&s.pidns);
	shim_console(&s);     /* what the monitor wrote last (it is gone) */
	net_teardown(&s.net); /* the veths' qdiscs */
	unlinkat(s.dir_fd, SHIMCTL_SOCK, 0);
	shim_log(&s, "container exited: code %u, signal %u", s.code, s.signo);
	if (s.init_proc)
		shim_record(&s, STATE_STOPPED);
	term_exit_as(s.code, s.signo);
}
