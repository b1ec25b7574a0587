/*
 * serve.c: the agent's side of the wire protocol (docs/protocol.md): one
 * loop (src/common/loop.c) over the channel, the processes' stdio fds
 * and a signalfd for SIGCHLD; the parts it drives are listed in serve.h.
 *
 * Input: every byte on the channel comes from the host. Frames are
 * scanned and decoded by the pure codec (src/proto) before anything acts
 * on them; a framing or flow-control error ends the connection, a
 * malformed or failing request gets an ERROR and the loop goes on. The
 * channel is not read while too many control bytes wait to be sent
 * (OUTQ_CTL_MAX).
 *
 * Every child is reaped here (the agent is PID 1 in the guest, and a child
 * subreaper in host mode); a child that is one of the processes reports
 * its end in an EXIT event and to its waiters, after an OOM event when
 * the group's OOM killer took it.
 */
#include "serve.h"
#include "../common/now.h"
#include "cgroup.h"
#include "config.h"
#include "req.h"
#include "../common/log.h"
#include "../proto/wire.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SERVE_RBUF (WIRE_FRAME_MAX + 65536)
#define SERVE_CHAN_SNDBUF (1 << 20)
#define SERVE_SHUTDOWN_MS 5000
#define SERVE_OOM_WAIT_MS 200 /* for an OOM kill's victim to be reaped */

/* Watch the channel for what can be done: read while the backlog is
 * short, write while something waits. */
static void serve_chan_arm(struct serve *s)
{
	uint32_t ev = 0;

	if (!s->out.closed) {
		if (s->out.ctl_bytes < OUTQ_CTL_MAX && !s->shutdown)
			ev |= EPOLLIN;
		if (outq_pending(&s->out))
			ev |= EPOLLOUT;
	}
	loop_set(&s->loop, &s->chan_h, ev);
}

static void serve_flush(struct serve *s)
{
	outq_flush(&s->out);
	serve_chan_arm(s);
}

/* --- OOM and exits -------------------------------------------------------- */

static void serve_send_oom(struct serve *s, uint32_t handle)
{
	struct msg m = { WIRE_K_EVENT, MSG_EV_OOM, 0, { { 0 } } };

	m.u.oom.proc = handle;
	outq_msg(&s->out, &m, WIRE_HDR_LEN + 64);
}

/* Count new OOM kills in the group as pending. */
static void serve_oom_poll(struct serve *s)
{
	uint64_t n;

	if (!s->cg)
		return;
	n = cgroup_oom_new(s->cg);
	if (!n)
		return;
	if (!s->oom_pending)
		s->oom_deadline = now_ms() + SERVE_OOM_WAIT_MS;
	s->oom_pending += n;
}

/* Report the pending OOM kills no reaped process was found for. */
static void serve_oom_flush(struct serve *s)
{
	for (; s->oom_pending; s->oom_pending--)
		serve_send_oom(s, 0);
}

/* Process p has ended (proc_reap). */
static void serve_exited(void *ctx, struct proc *p)
{
	struct serve *s = ctx;

	/* The kill is counted before its victim can exit: a process dead
	 * of SIGKILL while a kill is pending is taken to be the OOM
	 * killer's, and its OOM event goes before its EXIT. */
	if (p->signo == SIGKILL) {
		serve_oom_poll(s);
		if (s->oom_pending) {
			s->oom_pending--;
			serve_send_oom(s, p->handle);
		}
	}
	proc_report_exit(&s->out, p);
	if (p == s->init && s->init_pidfd >= 0) {
		close(s->init_pidfd);
		s->init_pidfd = -1;
	}
}

static void serve_reap(struct serve *s)
{
	proc_reap(&s->procs, serve_exited, s);
}

static void serve_oom_event(struct loop_handler *h, uint32_t ev)
{
	struct serve *s = loop_owner(h, struct serve, oom_h);

	serve_reap(s); /* the victim, if it is dead already */
	serve_oom_poll(s);
}

static void serve_sig_event(struct loop_handler *h, uint32_t ev)
{
	struct serve *s = loop_owner(h, struct serve, sig_h);
	struct signalfd_siginfo si;

	while (read(h->fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		;
	serve_reap(s);
}

/* --- input ---------------------------------------------------------------- */

static void serve_hello(struct serve *s, const struct wire_frame *f)
{
	struct msg_hello mine = { 1, 1, 0, { NULL, 0 } };
	uint64_t features;
	uint32_t version;
	struct msg m;
	int r;

	if (f->kind != WIRE_K_HELLO) {
		outq_fail(&s->out, "the first frame is not a HELLO",
			  WIRE_EKIND);
		return;
	}
	r = msg_decode(f, &m);
	if (r == 0)
		r = msg_hello_negotiate(&mine, &m.u.hello, &version, &features);
	if (r < 0) {
		outq_fail(&s->out, "handshake", r);
		return;
	}
	s->hello_done = true;
}

static void serve_frame(void *ctx, const struct wire_frame *f)
{
	struct serve *s = ctx;
	const char *what;
	int r;

	if (!s->hello_done) {
		serve_hello(s, f);
		return;
	}
	switch (f->kind) {
	case WIRE_K_REQUEST:
		req_handle(s, f);
		break;
	case WIRE_K_DATA:
	case WIRE_K_EOF:
		r = stream_input(&s->streams, f, &what);
		if (r < 0)
			outq_fail(&s->out, what, r);
		break;
	case WIRE_K_CREDIT:
		r = stream_credit(&s->streams, f);
		if (r < 0)
			outq_fail(&s->out, "credit", r);
		break;
	default: /* a second HELLO, or a kind only the agent sends */
		outq_fail(&s->out, "unexpected frame kind", WIRE_EKIND);
		break;
	}
}

/* Frames wait in the buffer while control replies pile up unsent. */
static bool serve_more_frames(void *ctx)
{
	const struct serve *s = ctx;

	return !s->out.closed && !s->shutdown &&
	       s->out.ctl_bytes < OUTQ_CTL_MAX;
}

static void serve_chan_event(struct loop_handler *h, uint32_t ev)
{
	struct serve *s = loop_owner(h, struct serve, chan_h);
	ssize_t n;
	int r;

	if (ev & EPOLLOUT)
		serve_flush(s);
	if (!(ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) || s->out.closed ||
	    s->shutdown)
		return;
	n = read(h->fd, s->rbuf + s->rlen, SERVE_RBUF - s->rlen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		if (n < 0)
			outq_fail(&s->out, "read", errno);
		s->out.closed = true;
		return;
	}
	s->rlen += (size_t)n;
	r = wire_frames_consume(s->rbuf, &s->rlen, serve_frame,
				serve_more_frames, s);
	if (r < 0)
		outq_fail(&s->out, "frame", r);
}

/* --- the loop ------------------------------------------------------------- */

static void serve_cleanup(struct serve *s)
{
	struct stream *st;

	req_kill_all(s);
	while ((st = s->streams.all))
		stream_free(st);
	stream_reap(&s->streams);
	proc_fini(&s->procs);
	serve_reap(s); /* the children that were none of the processes */
	outq_fini(&s->out);
	if (s->init_sync >= 0)
		close(s->init_sync);
	if (s->init_pidfd >= 0)
		close(s->init_pidfd);
	cgroup_destroy(s->cg);
	config_free(s->cfg);
	free(s->bpf);
	free(s->rbuf);
	close(s->sig_h.fd);
	loop_fini(&s->loop);
}

/*
 * How long the loop may wait (*timeout, -1: for ever): until an OOM kill
 * is reported without a process, or a SHUTDOWN's grace ends. Returns
 * false when the loop is to end: shut down, and everything is out.
 */
static bool serve_timeout(struct serve *s, long *deadline, int *timeout)
{
	*timeout = -1;
	if (s->oom_pending) {
		*timeout = (int)(s->oom_deadline - now_ms());
		if (*timeout <= 0) {
			serve_oom_flush(s);
			serve_flush(s);
			*timeout = -1;
		}
	}
	if (!s->shutdown)
		return true;
	if (!*deadline)
		*deadline = now_ms() + SERVE_SHUTDOWN_MS;
	if (proc_all_exited(&s->procs) && outq_ctl_done(&s->out))
		return false;
	if (*timeout < 0 || *timeout > (int)(*deadline - now_ms()))
		*timeout = (int)(*deadline - now_ms());
	return *timeout > 0;
}

int serve_run(const struct agent_opts *o)
{
	struct msg hello = { WIRE_K_HELLO, 0, 0, { { 0 } } };
	struct serve s = { 0 };
	long deadline = 0;
	sigset_t mask;
	int n, timeout;

	s.o = o;
	s.init_pidfd = s.init_sync = -1;
	outq_init(&s.out, o->channel_fd);
	s.streams.loop = &s.loop;
	s.streams.out = &s.out;
	s.chan_h.fd = o->channel_fd;
	s.chan_h.fn = serve_chan_event;
	s.sig_h.fn = serve_sig_event;
	s.oom_h.fn = serve_oom_event;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	s.sig_h.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	s.rbuf = malloc(SERVE_RBUF);
	if (s.sig_h.fd < 0 || loop_init(&s.loop) < 0 || !s.rbuf) {
		log_error("serve: %s", strerror(errno));
		return 1;
	}
	fcntl(s.chan_h.fd, F_SETFL, fcntl(s.chan_h.fd, F_GETFL) | O_NONBLOCK);
	fcntl(s.chan_h.fd, F_SETFD, FD_CLOEXEC);
	/* A socket (host mode): room for a few batches, fewer short writes;
	 * the guest's port is not a socket and keeps its buffers. */
	n = SERVE_CHAN_SNDBUF;
	setsockopt(s.chan_h.fd, SOL_SOCKET, SO_SNDBUF, &n, sizeof(n));
	loop_add(&s.loop, &s.sig_h, EPOLLIN);

	hello.u.hello.version_min = 1;
	hello.u.hello.version_max = 1;
	hello.u.hello.name.s = "moat-agent";
	hello.u.hello.name.len = (uint32_t)strlen("moat-agent");
	outq_msg(&s.out, &hello, WIRE_HDR_LEN + 128);
	serve_flush(&s);

	while (!s.out.closed) {
		if (!serve_timeout(&s, &deadline, &timeout))
			break;
		if (loop_run_once(&s.loop, timeout) < 0) {
			log_error("epoll_wait: %s", strerror(errno));
			break;
		}
		serve_flush(&s);
		stream_reap(&s.streams);
	}
	n = s.shutdown && !s.out.closed ? 0 : 1;
	serve_cleanup(&s);
	return n;
}
