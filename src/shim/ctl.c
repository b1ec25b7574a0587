/*
 * ctl.c: the shim's control socket, <root>/<id>/shim.sock
 * (src/runtime/shimctl.h; shim.h): start, kill, exec (with the stdio fds
 * or a terminal), ps, pause, resume, stats, update; signals and resizes to
 * the guest's processes.
 *
 * Inputs: requests from clients of the socket (root or the shim's user
 * only), each line and JSON payload bounded and checked. A request the
 * container's state refuses is answered in runc's words ("container not
 * running", ...): the CLI passes them on, and engines parse them.
 */
#include "ctl.h"
#include "chan.h"
#include "procs.h"
#include "../proto/shimmsg.h"
#include "../runtime/shimctl.h"
#include "../runtime/spec.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* --- control clients ------------------------------------------------------ */

/* Answer the client on fd with r (a reply to verb, shimmsg.h) and close
 * the connection. */
static void shim_answer(int fd, enum shimmsg_verb verb,
			const struct shimmsg_reply *r)
{
	char line[SHIMMSG_LINE_MAX + 1];
	int n = shimmsg_reply_encode(line, SHIMMSG_LINE_MAX, verb, r);

	if (n >= 0) {
		line[n++] = '\n';
		if (send(fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) <
		    0) {
			/* the client went away */
		}
	}
	close(fd);
}

void shim_fail(int fd, const char *fmt, ...)
{
	char text[SHIMMSG_LINE_MAX];
	struct shimmsg_reply r = { .kind = SHIMMSG_ERROR, .text = text };
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	r.text_len = n < 0 ? 0 : strnlen(text, sizeof(text));
	shim_answer(fd, 0, &r);
}

/* An agent's REPLY to a control client's request, as shim.sock's "ok"
 * (ps: the pids; stats: the figures); START, PAUSE and RESUME are
 * recorded in the state first. */
static void shim_ctl_ok(struct shim *s, int fd, const struct msg *m)
{
	static struct shimmsg_reply r; /* its pids are 2 KiB */
	enum shimmsg_verb verb = 0;
	uint32_t k;

	memset(&r, 0, sizeof(r));
	r.kind = SHIMMSG_OK;
	if (m->op == MSG_OP_PS) {
		verb = SHIMMSG_PS;
		for (k = 0; k < m->u.ps.pids.count && k < SHIMMSG_PIDS_MAX; k++)
			r.pids[k] = msg_u32list_get(&m->u.ps.pids, k);
		r.npids = k;
	} else if (m->op == MSG_OP_STATS) {
		verb = SHIMMSG_STATS;
		r.stats.cpu = m->u.stats.cpu_ns;
		r.stats.user = m->u.stats.cpu_user_ns;
		r.stats.sys = m->u.stats.cpu_sys_ns;
		r.stats.mem = m->u.stats.mem_bytes;
		r.stats.memlimit = m->u.stats.mem_limit;
		r.stats.pids = m->u.stats.pids;
		r.stats.pidslimit = m->u.stats.pids_limit;
		r.stats.oom = s->ooms;
	}
	if (m->op == MSG_OP_START && s->phase == SHIM_CREATED) {
		s->phase = SHIM_RUNNING;
		shim_record(s, STATE_RUNNING);
	}
	if (m->op == MSG_OP_PAUSE)
		shim_record(s, STATE_PAUSED);
	if (m->op == MSG_OP_RESUME)
		shim_record(s, STATE_RUNNING);
	shim_answer(fd, verb, &r);
}

/*
 * A control client's request came back (m), or will not (NULL: the
 * container stopped): answer the client, whose fd is arg.
 */
static void shim_ctl_done(void *ctx, void *arg, const struct msg *m)
{
	struct shim *s = ctx;
	int fd = (int)(intptr_t)arg;
	char text[MSG_TEXT_MAX + 1];

	if (!m || (m->kind == WIRE_K_ERROR && m->u.error.code == ESRCH)) {
		/* it stopped first, or its process has exited: runc's words,
		 * which containerd's shim parses */
		shim_fail(fd, "container not running");
	} else if (m->kind == WIRE_K_ERROR) {
		shim_text(text, sizeof(text), &m->u.error.text);
		shim_fail(fd, "agent: %s", text);
	} else {
		shim_ctl_ok(s, fd, m);
	}
}

/* Send m for the client on fd, who is answered when its reply comes. */
static void shim_ctl_request(struct shim *s, struct msg *m, int fd)
{
	if (!shim_request(s, m, shim_ctl_done, (void *)(intptr_t)fd))
		shim_fail(fd, "busy");
}

bool shim_running(struct shim *s)
{
	return s->phase >= SHIM_CREATED && s->phase <= SHIM_RUNNING &&
	       !s->exited;
}

/* Signal one process (proc), or all of them; answer client when >= 0. */
void shim_signal_proc(struct shim *s, uint32_t proc, int sig, bool all,
		      int client)
{
	struct msg m = { 0 };

	if (!shim_running(s)) {
		if (client >= 0)
			shim_fail(client, "container not running");
		return;
	}
	m.op = MSG_OP_SIGNAL;
	m.u.signal.signo = (uint32_t)sig;
	if (all)
		m.u.signal.all = true;
	else
		m.u.signal.proc = proc;
	if (client >= 0)
		shim_ctl_request(s, &m, client);
	else
		shim_request(s, &m, NULL, NULL);
}

void shim_signal_init(struct shim *s, int sig, bool all, int client)
{
	shim_signal_proc(s, s->init_proc, sig, all, client);
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
 * The len bytes of JSON that follow a "<verb> <n>" line, the first
 * nextra of them already read into extra; a running container only.
 * Returns the NUL-terminated text (malloc'd), or NULL after answering the
 * client with the reason (fd closed).
 */
static char *shim_client_payload(struct shim *s, int fd, size_t len,
				 const char *extra, size_t nextra)
{
	char *json;
	size_t got;
	ssize_t r;

	if (nextra > len) {
		shim_fail(fd, "bad request");
		return NULL;
	}
	if (!shim_running(s)) {
		shim_fail(fd, "container not running");
		return NULL;
	}
	json = malloc(len + 1);
	if (!json) {
		shim_fail(fd, "out of memory");
		return NULL;
	}
	memcpy(json, extra, nextra);
	for (got = nextra; got < len; got += (size_t)r) {
		r = read(fd, json + got, len - got);
		if (r < 0 && errno == EINTR) {
			r = 0;
			continue;
		}
		if (r <= 0) {
			shim_fail(fd, "the request was cut short");
			free(json);
			return NULL;
		}
	}
	json[len] = '\0';
	return json;
}

/* The arguments every verb's handler gets: the decoded line, the bytes
 * read past it, the fds that came with it (exec's only). */
struct shim_call {
	int fd;
	const struct shimmsg_req *r;
	const char *extra;
	size_t nextra;
	int *fds;
	size_t nfds;
};

/* "update <n>": the container's new linux.resources (JSON). */
static void shim_client_update(struct shim *s, const struct shim_call *c)
{
	struct msg m = { 0 };
	char *json =
		shim_client_payload(s, c->fd, c->r->len, c->extra, c->nextra);

	if (!json)
		return;
	m.op = MSG_OP_UPDATE;
	m.u.update.resources.p = (const uint8_t *)json;
	m.u.update.resources.len = c->r->len;
	shim_ctl_request(s, &m, c->fd);
	free(json);
}

/*
 * A pstable's PS reply came back (m), or will not (NULL): "ok <n>" and
 * the table's n bytes, sent within 5 s (the client reads them at once;
 * the table is at most MSG_TABLE_MAX), or the error. Its text is the
 * guest's: the CLI makes it printable.
 */
static void shim_pstable_done(void *ctx, void *arg, const struct msg *m)
{
	struct timeval tv = { 5, 0 };
	int fd = (int)(intptr_t)arg, n;
	const uint8_t *p;
	char line[32];
	size_t left;
	ssize_t k;

	if (!m || m->kind == WIRE_K_ERROR) {
		shim_ctl_done(ctx, arg, m);
		return;
	}
	p = m->u.ps.table.p;
	left = m->u.ps.table.len;
	n = snprintf(line, sizeof(line), "ok %zu\n", left);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (send(fd, line, (size_t)n, MSG_NOSIGNAL) == n)
		for (; left; p += k, left -= (size_t)k) {
			k = send(fd, p, left, MSG_NOSIGNAL);
			if (k < 0 && errno == EINTR)
				k = 0;
			else if (k <= 0)
				break; /* the client went away or stalled */
		}
	close(fd);
}

/* "pstable <n>": the table of ps(1) for the options in the payload,
 * made by the agent in the guest. */
static void shim_client_pstable(struct shim *s, const struct shim_call *c)
{
	struct msg m = { 0 };
	char *args;
	int n;

	args = shim_client_payload(s, c->fd, c->r->len, c->extra, c->nextra);
	if (!args)
		return;
	n = shimmsg_psargs_check(args, c->r->len);
	if (n < 0) {
		shim_fail(c->fd, "bad pstable request");
	} else {
		m.op = MSG_OP_PS;
		m.u.psreq.args.p = args;
		m.u.psreq.args.size = c->r->len;
		m.u.psreq.args.count = (uint32_t)n;
		if (!shim_request(s, &m, shim_pstable_done,
				  (void *)(intptr_t)c->fd))
			shim_fail(c->fd, "busy");
	}
	free(args);
}

static void shim_exec_client(struct loop_handler *h, uint32_t events);

/*
 * An EXEC came back (m; NULL: the container stopped first): the process
 * runs, its client is told "ok <pid>" and heard from (resizes, signals),
 * or it never ran and its slot is freed.
 */
static void shim_exec_done(void *ctx, void *arg, const struct msg *m)
{
	struct shim *s = ctx;
	struct shim_proc *x = arg;
	char text[MSG_TEXT_MAX + 1], line[32];
	int fd = x->client.fd, n;

	x->req = 0;
	if (!m || m->kind == WIRE_K_ERROR) {
		x->client.fd = -1;
		if (!m) {
			shim_fail(fd, "cannot exec in a stopped container");
			return; /* the slot goes with the others */
		}
		shim_text(text, sizeof(text), &m->u.error.text);
		shim_proc_done(s, x);
		shim_fail(fd, "agent: %s", text);
		return;
	}
	x->proc = m->u.started.proc;
	x->pid = m->u.started.pid;
	n = snprintf(line, sizeof(line), "ok %u\n", x->pid);
	if (send(x->client.fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) !=
		    n ||
	    loop_add(&s->loop, &x->client, EPOLLIN) < 0)
		shim_signal_proc(s, x->proc, SIGKILL, false, -1);
	if (x->tty)
		shim_resize(s, x, x->in.h.fd);
	shim_in_arm(s, x);
}

/* "exec <n>": a process to run in the container (shimctl.h). */
static void shim_client_exec(struct shim *s, const struct shim_call *c)
{
	struct moat_err *e = NULL;
	struct spec *sp = NULL;
	struct shim_proc *p = NULL;
	struct msg m = { 0 };
	int fd = c->fd, *fds = c->fds;
	size_t nfds = c->nfds, i, k;
	char *json;

	json = shim_client_payload(s, fd, c->r->len, c->extra, c->nextra);
	if (!json)
		goto out;
	if (spec_process_parse(json, c->r->len, &sp, &e)) {
		shim_fail(fd, "process: %s", e->msg);
		goto out;
	}
	if (nfds != (sp->process.terminal ? 1u : 3u)) {
		shim_fail(fd, "exec needs %s",
			  sp->process.terminal ? "one terminal fd"
					       : "three stdio fds");
		goto out;
	}
	for (i = 1; i < SHIM_PROCS && !p; i++)
		if (!s->procs[i].used)
			p = &s->procs[i];
	if (!p) {
		shim_fail(fd, "too many exec'd processes at once");
		goto out;
	}
	shim_proc_init(s, p, fds[0], nfds > 1 ? fds[1] : fds[0],
		       nfds > 2 ? fds[2] : -1, sp->process.terminal);
	p->own_fds = true;
	p->client.fd = fd;
	p->client.fn = shim_exec_client;
	p->in.poll = true;
	nfds = 0;
	if (shim_exec_msg(s, &sp->process, p, &m) || shim_proc_open(s, p)) {
		p->client.fd = -1;
		shim_proc_done(s, p);
		shim_fail(fd, "process: too large for one request");
		goto out;
	}
	/* exec --cgroup: the sub-cgroup, checked by the codec (a view into
	 * the request's line, which outlives the request's encoding) */
	if (c->r->cgroup) {
		m.u.exec.cgroup.s = c->r->cgroup;
		m.u.exec.cgroup.len = (uint32_t)c->r->cgroup_len;
	}
	p->req = shim_request(s, &m, shim_exec_done, p);
	if (!p->req) {
		p->client.fd = -1;
		shim_proc_done(s, p);
		shim_fail(fd, "busy");
		goto out;
	}
	shim_proc_credit(s, p);
out:
	for (k = 0; k < nfds; k++)
		close(fds[k]);
	spec_free(sp);
	free(json);
	moat_err_free(&e);
}

static void shim_client_start(struct shim *s, const struct shim_call *c)
{
	struct msg m = { 0 };

	if (s->phase != SHIM_CREATED) {
		shim_fail(c->fd, shim_running(s)
					 ? "cannot start an already running "
					   "container"
					 : "cannot start a container that has "
					   "stopped");
		return;
	}
	m.op = MSG_OP_START;
	shim_ctl_request(s, &m, c->fd);
}

static void shim_client_kill(struct shim *s, const struct shim_call *c)
{
	shim_signal_init(s, (int)c->r->signo, c->r->all, c->fd);
}

/* ps, pause, resume, stats: one request to the agent, its reply back. */
static void shim_client_plain(struct shim *s, const struct shim_call *c)
{
	static const uint16_t ops[SHIMMSG_VERBS] = {
		[SHIMMSG_PS] = MSG_OP_PS,
		[SHIMMSG_PAUSE] = MSG_OP_PAUSE,
		[SHIMMSG_RESUME] = MSG_OP_RESUME,
		[SHIMMSG_STATS] = MSG_OP_STATS,
	};
	struct msg m = { 0 };

	if (!shim_running(s)) {
		shim_fail(c->fd, "container not running");
		return;
	}
	m.op = ops[c->r->verb];
	shim_ctl_request(s, &m, c->fd);
}

/* shim.sock's verbs (shimmsg.h): the handler, the answer to bad
 * arguments, whether it takes the fds that came with the line. */
static const struct shim_verb {
	void (*serve)(struct shim *s, const struct shim_call *c);
	const char *bad;
	bool fds;
} shim_verbs[SHIMMSG_VERBS] = {
	[SHIMMSG_START] = { shim_client_start, "unknown request", false },
	[SHIMMSG_KILL] = { shim_client_kill, "bad kill request", false },
	[SHIMMSG_PS] = { shim_client_plain, "unknown request", false },
	[SHIMMSG_PAUSE] = { shim_client_plain, "unknown request", false },
	[SHIMMSG_RESUME] = { shim_client_plain, "unknown request", false },
	[SHIMMSG_STATS] = { shim_client_plain, "unknown request", false },
	[SHIMMSG_UPDATE] = { shim_client_update, "bad request", false },
	[SHIMMSG_EXEC] = { shim_client_exec, "bad request", true },
	[SHIMMSG_PSTABLE] = { shim_client_pstable, "bad request", false },
};

/* shim.sock's listener is readable: a client to serve. */
void shim_client_event(struct loop_handler *h, uint32_t events)
{
	struct shim *s = loop_owner(h, struct shim, ctl_h);
	char line[SHIMCTL_LINE_MAX + 1];
	struct timeval tv = { 5, 0 };
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	struct shimmsg_req req;
	const struct shim_verb *v = NULL;
	int fd, fds[SHIMCTL_FDS_MAX], r;
	size_t nfds = 0, extra = 0, k;
	struct shim_call c;

	(void)events;
	fd = accept4(h->fd, NULL, NULL, SOCK_CLOEXEC);
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
	r = shimmsg_req_decode(line, strlen(line), &req);
	if (r != SHIMMSG_EVERB)
		v = &shim_verbs[req.verb];
	if (!v || !v->fds) {
		for (k = 0; k < nfds; k++)
			close(fds[k]);
		nfds = 0;
	}
	if (!v) {
		shim_fail(fd, "unknown request");
		return;
	}
	if (r) {
		shim_fail(fd, "%s", v->bad);
		return;
	}
	c = (struct shim_call){ fd,    &req, line + strlen(line) + 1,
				extra, fds,  nfds };
	v->serve(s, &c);
}

/* A line from an exec'd process's client (p's client handler): "kill
 * <signo>" or "resize <rows> <cols>"; its hang-up before the process
 * ended kills it. */
static void shim_exec_client(struct loop_handler *h, uint32_t events)
{
	struct shim_proc *p = loop_owner(h, struct shim_proc, client);
	struct shim *s = p->shim;
	char buf[256], *line, *next;
	struct shimmsg_req r;
	struct msg m = { 0 };
	ssize_t n;

	(void)events;
	if (!p->used || p->client.fd < 0)
		return;
	n = recv(p->client.fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		loop_del(&s->loop, &p->client);
		close(p->client.fd);
		p->client.fd = -1;
		if (!p->exited)
			shim_signal_proc(s, p->proc, SIGKILL, false, -1);
		return;
	}
	buf[n] = '\0';
	for (line = buf; (next = strchr(line, '\n')); line = next + 1) {
		if (shimmsg_xreq_decode(line, (size_t)(next - line), &r) ||
		    p->exited)
			continue;
		if (r.verb == SHIMMSG_KILL) {
			shim_signal_proc(s, p->proc, (int)r.signo, false, -1);
		} else if (p->tty && shim_running(s)) {
			m.op = MSG_OP_RESIZE;
			m.u.resize.proc = p->proc;
			m.u.resize.rows = r.rows;
			m.u.resize.cols = r.cols;
			shim_request(s, &m, NULL, NULL);
		}
	}
}
