/*
 * ctl.c: the shim's control socket, <root>/<id>/shim.sock
 * (src/runtime/shimctl.h; shim.h): start, kill, exec (with the stdio fds
 * or a terminal), ps, pause, resume, stats, update; signals and resizes to
 * the guest's processes.
 *
 * Inputs: requests from clients of the socket (root or the shim's user
 * only), each line and JSON payload bounded and checked.
 */
#include "shim.h"
#include "../runtime/shimctl.h"
#include "../runtime/spec.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

/* --- control clients ------------------------------------------------------ */

void shim_answer(int fd, const char *fmt, ...)
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

/*
 * A control client's request came back (m), or will not (NULL: the
 * container stopped): answer the client, whose fd is arg.
 */
static void shim_ctl_done(void *ctx, void *arg, const struct msg *m)
{
	struct shim *s = ctx;
	int fd = (int)(intptr_t)arg;
	char text[MSG_TEXT_MAX + 1];

	if (!m) {
		shim_answer(fd, "error the container stopped");
	} else if (m->kind == WIRE_K_ERROR) {
		shim_text(text, sizeof(text), &m->u.error.text);
		shim_answer(fd, "error agent: %s", text);
	} else if (m->op == MSG_OP_PS) {
		char line[SHIMCTL_LINE_MAX];
		size_t n = (size_t)snprintf(line, sizeof(line), "ok");
		uint32_t k;

		for (k = 0; k < m->u.ps.pids.count && n + 12 < sizeof(line);
		     k++)
			n += (size_t)snprintf(
				line + n, sizeof(line) - n, " %u",
				msg_u32list_get(&m->u.ps.pids, k));
		shim_answer(fd, "%s", line);
	} else if (m->op == MSG_OP_STATS) {
		const struct msg_stats *st = &m->u.stats;

		shim_answer(fd,
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
		shim_answer(fd, "ok");
	}
}

/* Send m for the client on fd, who is answered when its reply comes. */
static void shim_ctl_request(struct shim *s, struct msg *m, int fd)
{
	if (!shim_request(s, m, shim_ctl_done, (void *)(intptr_t)fd))
		shim_answer(fd, "error busy");
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
	shim_ctl_request(s, &m, fd);
	free(json);
}

/*
 * An EXEC came back (m; NULL: the container stopped first): the process
 * runs, its client is told "ok <pid>" and heard from (resizes, signals),
 * or it never ran and its slot is freed.
 */
static void shim_exec_done(void *ctx, void *arg, const struct msg *m)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct shim *s = ctx;
	struct shim_proc *x = arg;
	char text[MSG_TEXT_MAX + 1], line[32];
	int fd = x->client, n;

	x->req = 0;
	if (!m || m->kind == WIRE_K_ERROR) {
		x->client = -1;
		if (!m) {
			shim_answer(fd, "error the container stopped");
			return; /* the slot goes with the others */
		}
		shim_text(text, sizeof(text), &m->u.error.text);
		shim_proc_done(s, x);
		shim_answer(fd, "error agent: %s", text);
		return;
	}
	x->proc = m->u.started.proc;
	x->pid = m->u.started.pid;
	n = snprintf(line, sizeof(line), "ok %u\n", x->pid);
	ev.data.u32 = SHIM_EV_CLIENT + (uint32_t)shim_slot(s, x);
	if (send(x->client, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) !=
		    n ||
	    epoll_ctl(s->ep, EPOLL_CTL_ADD, x->client, &ev) < 0)
		shim_signal_proc(s, x->proc, SIGKILL, false, -1);
	if (x->tty)
		shim_resize(s, x, x->in.fd);
	shim_in_arm(s, x);
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
	if (shim_exec_msg(s, &sp->process, p, &m) || shim_proc_open(s, p)) {
		p->client = -1;
		shim_proc_done(s, p);
		shim_answer(fd, "error process: too large for one request");
		goto out;
	}
	p->req = shim_request(s, &m, shim_exec_done, p);
	if (!p->req) {
		p->client = -1;
		shim_proc_done(s, p);
		shim_answer(fd, "error busy");
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

void shim_client(struct shim *s)
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
		shim_ctl_request(s, &m, fd);
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
		shim_ctl_request(s, &m, fd);
		return;
	}
	shim_answer(fd, "error unknown request");
}

/* A line from an exec'd process's client: "kill <signo>" or "resize
 * <rows> <cols>"; its hang-up before the process ended kills it. */
void shim_exec_client(struct shim *s, struct shim_proc *p)
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
				shim_request(s, &m, NULL, NULL);
			}
		}
	}
}
