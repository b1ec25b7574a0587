/*
 * req.c: the requests the host sends the agent (docs/protocol.md), one
 * handler per message type, found by op in req_ops[]. A request is
 * decoded once by the pure codec (src/proto/msg.c); a malformed or
 * failing one gets an ERROR and the loop goes on.
 *
 * Inputs: every field of a request comes from the host; the config a
 * CREATE carries is parsed by config.c, the limits of an UPDATE by
 * resources.c, handles and stream ids are looked up.
 */
#include "req.h"
#include "cgroup.h"
#include "config.h"
#include "container.h"
#include "net.h"
#include "ps.h"
#include "resources.h"
#include "share.h"
#include "../common/cleanup.h"
#include "../common/log.h"
#include "../proto/wire.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#define REQ_CGROUP_PATH 8192 /* a sub-cgroup's cgroup.procs */

/*
 * The container's processes, in the agent's pid numbering: every process
 * in the init's pid namespace when it has one, else the live processes
 * the agent started. Returns the count (at most cap).
 */
static size_t req_pids(struct serve *s, uint32_t *pids, size_t cap)
{
	if (!s->cfg || !s->init)
		return 0;
	return proc_pids(&s->procs, s->init, s->cfg->ns_flags & CLONE_NEWPID,
			 pids, cap);
}

void req_kill_all(struct serve *s)
{
	proc_kill_all(&s->procs);
	/* A frozen (cgroup v1) process dies only once thawed. */
	if (s->paused && s->cg)
		cgroup_freeze(s->cg, false, NULL);
	s->paused = false;
}

/* Watch the group's OOM notifications (after CREATE; the loop set the
 * handler's function). */
static void req_oom_watch(struct serve *s)
{
	s->oom_h.fd = s->cg ? cgroup_oom_fd(s->cg) : -1;
	if (s->oom_h.fd >= 0 && loop_add(&s->loop, &s->oom_h, EPOLLIN) < 0)
		log_error("oom watch: %s", strerror(errno));
}

static void req_create(struct serve *s, const struct msg *m)
{
	const struct msg_create *c = &m->u.create;
	struct moat_err *e = NULL;
	struct container_proc cp = { 0 };
	struct stream_stdio io;
	char share[4096], rootfs[8192];
	struct proc *p;
	struct msg r = { WIRE_K_REPLY, m->op, m->id, { { 0 } } };
	struct config *cfg = NULL;
	int sync = -1;
	pid_t pid;

	if (s->cfg) {
		outq_error(&s->out, m, EEXIST, "a container exists already");
		return;
	}
	if (config_parse((const char *)c->config.p, c->config.len, &cfg, &e))
		goto fail;
	/* The network (net.c): the guest's namespace is the container's
	 * only in a VM; on a host it would be the host's. */
	if ((cfg->net_guest || c->net.len) && !s->o->guest) {
		moat_err_set(&e, EOPNOTSUPP,
			     "linux.namespaces: joining a network namespace "
			     "by path is not supported outside a VM");
		goto fail;
	}
	/* In a VM a new network namespace is the guest's own, as the VM is
	 * the container's alone: docker's libnetwork configures the
	 * namespace from its prestart hook, after the engine asked for a
	 * new one, and the shim carried what it made (c->net). */
	if (s->o->guest && (cfg->ns_flags & CLONE_NEWNET)) {
		cfg->ns_flags &= ~CLONE_NEWNET;
		cfg->net_guest = true;
	}
	if (s->o->guest && (errno = -net_lo_up()) > 0) {
		moat_err_set(&e, errno, "bring up lo");
		goto fail;
	}
	if (c->net.len && net_configure(c->net.p, c->net.len, &e))
		goto fail;
	if (s->o->shares->resolve(s->o, c->bundle.s, share, sizeof(share), &e))
		goto fail;
	if ((size_t)snprintf(rootfs, sizeof(rootfs), "%s/%s", share,
			     cfg->spec->root_path) >= sizeof(rootfs)) {
		moat_err_set(&e, ENAMETOOLONG, "root.path");
		goto fail;
	}
	if (config_bundle_binds(cfg, share, &e))
		goto fail;
	if (cgroup_wanted(cfg) && !s->o->cgroup_root) {
		moat_err_set(&e, EOPNOTSUPP,
			     "linux.resources: no cgroup2 hierarchy to "
			     "set limits in");
		goto fail;
	}
	if (s->o->cgroup_root) {
		if (cgroup_create(s->o->cgroup_root, c->id.s, cfg, &s->cg, &e))
			goto fail;
		cp.cgroup_procs = cgroup_procs_path(s->cg);
		/* In the guest (cgroup2 only) the container sees its own group
		 * at /sys/fs/cgroup, as under runc on a v2 host, whatever an
		 * engine on a v1 host asked for (container.c makes it). */
		if (s->o->guest && cgroup_v2(s->cg))
			cfg->ns_flags |= CLONE_NEWCGROUP;
	}
	if (c->seccomp.len) {
		s->bpf = malloc(c->seccomp.len);
		if (!s->bpf) {
			moat_err_set(&e, ENOMEM, "seccomp");
			goto fail;
		}
		memcpy(s->bpf, c->seccomp.p, c->seccomp.len);
		s->bpf_len = c->seccomp.len / MSG_BPF_INSN;
	}
	if (stream_stdio_open(&s->streams, &io, c->stream_in, c->stream_out,
			      c->stream_err, c->stream_tty, &e))
		goto fail;
	cp.cfg = cfg;
	cp.stdio[0] = io.theirs[0];
	cp.stdio[1] = io.theirs[1];
	cp.stdio[2] = io.theirs[2];
	cp.tty = c->stream_tty != 0;
	cp.bpf = s->bpf;
	cp.bpf_len = s->bpf_len;
	pid = container_create(&cp, rootfs, &sync, &io.master, &e);
	if (pid < 0) {
		stream_stdio_close(&io);
		goto fail;
	}
	p = proc_new(&s->procs, pid);
	s->init_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (!p || s->init_pidfd < 0) {
		kill(pid, SIGKILL);
		stream_stdio_close(&io);
		close(sync);
		moat_err_set(&e, p ? errno : ENOMEM, "pidfd_open");
		goto fail;
	}
	if (s->cg && cgroup_attach(s->cg, pid, &e)) {
		kill(pid, SIGKILL);
		stream_stdio_close(&io);
		close(sync);
		goto fail;
	}
	s->cfg = cfg;
	s->init = p;
	s->init_sync = sync;
	req_oom_watch(s);
	snprintf(s->id, sizeof(s->id), "%s", c->id.s);
	r.u.started.proc = p->handle;
	r.u.started.pid = (uint32_t)pid;
	outq_msg(&s->out, &r, WIRE_HDR_LEN + 64);
	stream_stdio_attach(&s->streams, &io, &p->in, &p->tty);
	return;
fail:
	cgroup_destroy(s->cg);
	s->cg = NULL;
	free(s->bpf);
	s->bpf = NULL;
	s->bpf_len = 0;
	config_free(cfg);
	outq_error_e(&s->out, m, &e);
}

static void req_start(struct serve *s, const struct msg *m)
{
	struct moat_err *e = NULL;
	int sync = s->init_sync;

	if (!s->cfg) {
		outq_error(&s->out, m, ENOENT, "no container");
		return;
	}
	if (s->started || sync < 0) {
		outq_error(&s->out, m, EALREADY, "the container was started");
		return;
	}
	if (s->paused) {
		outq_error(&s->out, m, EBUSY, "the container is paused");
		return;
	}
	s->started = true;
	s->init_sync = -1;
	if (container_start(sync, &e))
		outq_error_e(&s->out, m, &e);
	else
		outq_reply(&s->out, m);
}

static void req_exec(struct serve *s, const struct msg *m)
{
	const struct msg_exec *x = &m->u.exec;
	struct msg r = { WIRE_K_REPLY, m->op, m->id, { { 0 } } };
	struct container_proc cp = { 0 };
	_cleanup_free_ const char **argv = NULL;
	_cleanup_free_ const char **env = NULL;
	_cleanup_free_ gid_t *gids = NULL;
	_cleanup_free_ char *procs = NULL;
	struct moat_err *e = NULL;
	struct stream_stdio io;
	struct proc *p;
	uint32_t i;
	pid_t pid;

	/* Created or running, as runc: the container's namespaces, root
	 * and cgroup exist from CREATE on, while its init waits for START
	 * (container_create()); the process joins them. */
	if (!s->cfg || !s->init || s->init->exited || s->init_pidfd < 0) {
		outq_error(&s->out, m, ESRCH, "the container is not running");
		return;
	}
	if (s->paused) { /* the new process would freeze before its exec */
		outq_error(&s->out, m, EBUSY, "the container is paused");
		return;
	}
	argv = calloc(x->argv.count + 1, sizeof(*argv));
	env = calloc(x->env.count + 1, sizeof(*env));
	gids = calloc(x->gids.count + 1, sizeof(*gids));
	if (!argv || !env || !gids) {
		outq_error(&s->out, m, ENOMEM, "out of memory");
		return;
	}
	msg_strlist_vec(&x->argv, argv, x->argv.count + 1);
	msg_strlist_vec(&x->env, env, x->env.count + 1);
	for (i = 0; i < x->gids.count; i++)
		gids[i] = msg_u32list_get(&x->gids, i);
	/* The group to join: exec --cgroup's beneath the container's (the
	 * codec took only a path beneath it), or the container's own, or
	 * its init's when the container's takes no process now. */
	if (x->cgroup.s && !s->cg) {
		outq_error(&s->out, m, EOPNOTSUPP,
			   "cgroup %s: the container has no cgroup",
			   x->cgroup.s);
		return;
	}
	if (s->cg) {
		procs = malloc(REQ_CGROUP_PATH);
		if (!procs) {
			outq_error(&s->out, m, ENOMEM, "out of memory");
			return;
		}
		if (cgroup_exec_procs(s->cg, x->cgroup.s, s->init->pid, procs,
				      REQ_CGROUP_PATH, &e)) {
			outq_error_e(&s->out, m, &e);
			return;
		}
	}
	if (stream_stdio_open(&s->streams, &io, x->stream_in, x->stream_out,
			      x->stream_err, x->stream_tty, &e)) {
		outq_error_e(&s->out, m, &e);
		return;
	}
	cp.cfg = s->cfg;
	cp.argv = (char *const *)argv;
	cp.env = (char *const *)env;
	cp.cwd = x->cwd.s;
	cp.has_user = true;
	cp.uid = x->uid;
	cp.gid = x->gid;
	cp.gids = gids;
	cp.ngids = x->gids.count;
	cp.has_caps = x->has_caps;
	for (i = 0; i < SPEC_CAP_SETS; i++)
		cp.caps[i] = x->caps[i];
	cp.nnp = x->no_new_privs;
	cp.stdio[0] = io.theirs[0];
	cp.stdio[1] = io.theirs[1];
	cp.stdio[2] = io.theirs[2];
	cp.tty = x->stream_tty != 0;
	cp.bpf = s->bpf;
	cp.bpf_len = s->bpf_len;
	cp.cgroup_procs = procs;
	pid = container_exec(&cp, s->init_pidfd, &io.master, &e);
	if (pid < 0) {
		stream_stdio_close(&io);
		outq_error_e(&s->out, m, &e);
		return;
	}
	p = proc_new(&s->procs, pid);
	if (!p) {
		kill(pid, SIGKILL);
		stream_stdio_close(&io);
		outq_error(&s->out, m, ENOMEM, "out of memory");
		return;
	}
	/* v1 host layout: into the other hierarchies (the process has
	 * joined the memory one itself); a failure is logged, not fatal */
	if (s->cg && cgroup_attach(s->cg, pid, &e)) {
		log_error("exec: %s", e ? e->msg : "cgroup");
		moat_err_free(&e);
	}
	r.u.started.proc = p->handle;
	r.u.started.pid = (uint32_t)pid;
	outq_msg(&s->out, &r, WIRE_HDR_LEN + 64);
	stream_stdio_attach(&s->streams, &io, &p->in, &p->tty);
}

static struct proc *req_target(struct serve *s, const struct msg *m,
			       uint32_t handle)
{
	struct proc *p = proc_find(&s->procs, handle);

	if (!p)
		outq_error(&s->out, m, ESRCH, "no process %u", handle);
	return p;
}

static void req_signal(struct serve *s, const struct msg *m)
{
	const struct msg_signal *sg = &m->u.signal;
	uint32_t pids[4096];
	struct proc *p;
	size_t n, i;

	if (sg->all) {
		if (!s->init) {
			outq_error(&s->out, m, ESRCH, "no container");
			return;
		}
		n = req_pids(s, pids, 4096);
		for (i = 0; i < n; i++)
			kill((pid_t)pids[i], (int)sg->signo);
		outq_reply(&s->out, m);
		return;
	}
	p = req_target(s, m, sg->proc);
	if (!p)
		return;
	if (p->exited) {
		outq_error(&s->out, m, ESRCH, "process %u has exited",
			   p->handle);
		return;
	}
	if (kill(p->pid, (int)sg->signo) < 0)
		outq_error(&s->out, m, (uint32_t)errno, "kill: %s",
			   strerror(errno));
	else
		outq_reply(&s->out, m);
}

static void req_resize(struct serve *s, const struct msg *m)
{
	struct proc *p = req_target(s, m, m->u.resize.proc);
	struct winsize ws = { 0 };

	if (!p)
		return;
	if (!p->tty || p->tty->h.fd < 0) {
		outq_error(&s->out, m, ENOTTY, "process %u has no terminal",
			   p->handle);
		return;
	}
	ws.ws_row = (unsigned short)m->u.resize.rows;
	ws.ws_col = (unsigned short)m->u.resize.cols;
	if (ioctl(p->tty->h.fd, TIOCSWINSZ, &ws) < 0)
		outq_error(&s->out, m, (uint32_t)errno, "resize: %s",
			   strerror(errno));
	else
		outq_reply(&s->out, m);
}

static void req_close_stdin(struct serve *s, const struct msg *m)
{
	struct proc *p = req_target(s, m, m->u.target.proc);

	if (!p)
		return;
	if (p->in)
		stream_close_input(p->in);
	outq_reply(&s->out, m);
}

static void req_wait(struct serve *s, const struct msg *m)
{
	struct proc *p = req_target(s, m, m->u.target.proc);

	if (!p)
		return;
	if (p->exited)
		proc_send_exit(&s->out, WIRE_K_REPLY, MSG_OP_WAIT, m->id, p);
	else if (proc_wait_add(p, m->id))
		outq_error(&s->out, m, ENOMEM, "out of memory");
}

static void req_ps(struct serve *s, const struct msg *m)
{
	struct msg r = { WIRE_K_REPLY, m->op, m->id, { { 0 } } };
	_cleanup_free_ uint32_t *pids = malloc(MSG_PIDS_MAX * 4);
	_cleanup_free_ uint8_t *buf = malloc(MSG_PIDS_MAX * 4);
	size_t n;

	if (!pids || !buf) {
		outq_error(&s->out, m, ENOMEM, "out of memory");
		return;
	}
	n = req_pids(s, pids, MSG_PIDS_MAX);
	if (m->u.psreq.args.count) { /* a table (ps.c) */
		ps_reply_table(&s->out, m, pids, n, s->init ? s->init->pid : 0);
		return;
	}
	msg_u32list_pack(buf, MSG_PIDS_MAX * 4, pids, (uint32_t)n,
			 &r.u.ps.pids);
	outq_msg(&s->out, &r, WIRE_HDR_LEN + 64 + n * 4);
}

/* The container's group, or an ERROR saying why there is none. */
static struct cgroup *req_cgroup(struct serve *s, const struct msg *m)
{
	if (!s->cfg) {
		outq_error(&s->out, m, ENOENT, "no container");
		return NULL;
	}
	if (!s->cg)
		outq_error(&s->out, m, EOPNOTSUPP,
			   "the container has no cgroup (host mode without "
			   "--cgroup-root)");
	return s->cg;
}

static void req_stats(struct serve *s, const struct msg *m)
{
	struct msg r = { WIRE_K_REPLY, m->op, m->id, { { 0 } } };
	struct cgroup *cg = req_cgroup(s, m);
	struct moat_err *e = NULL;
	struct cgroup_stats st;

	if (!cg)
		return;
	if (cgroup_stats(cg, &st, &e)) {
		outq_error_e(&s->out, m, &e);
		return;
	}
	r.u.stats.cpu_ns = st.cpu_ns;
	r.u.stats.cpu_user_ns = st.cpu_user_ns;
	r.u.stats.cpu_sys_ns = st.cpu_sys_ns;
	r.u.stats.mem_bytes = st.mem_bytes;
	r.u.stats.mem_limit = st.mem_limit;
	r.u.stats.pids = st.pids;
	r.u.stats.pids_limit = st.pids_limit;
	outq_msg(&s->out, &r, WIRE_HDR_LEN + 128);
}

static void req_update(struct serve *s, const struct msg *m)
{
	const struct msg_blob *b = &m->u.update.resources;
	struct cgroup *cg = req_cgroup(s, m);
	struct moat_err *e = NULL;
	struct cgroup_limits l;

	if (!cg)
		return;
	if (resources_parse((const char *)b->p, b->len, &l, &e) ||
	    cgroup_set(cg, &l, &e))
		outq_error_e(&s->out, m, &e);
	else
		outq_reply(&s->out, m);
}

/*
 * Stop or continue every process of the container: the cgroup freezer,
 * or, without a group (host mode without --cgroup-root), SIGSTOP and
 * SIGCONT to each of its processes (req_pids(): without a pid
 * namespace, only the processes the agent started). A process stopped
 * by signal can see it (a parent's waitpid(WUNTRACED), SIGCHLD); a frozen
 * one cannot.
 */
static void req_freeze(struct serve *s, const struct msg *m, bool pause)
{
	struct moat_err *e = NULL;
	uint32_t *pids;
	size_t n, i;

	if (!s->cfg || !s->started || s->init->exited) {
		outq_error(&s->out, m, ESRCH, "the container is not running");
		return;
	}
	if (s->paused == pause) {
		outq_error(&s->out, m, EALREADY, "the container is %s",
			   pause ? "paused already" : "not paused");
		return;
	}
	if (s->cg) {
		if (cgroup_freeze(s->cg, pause, &e)) {
			/* a partial freeze is undone */
			if (pause)
				cgroup_freeze(s->cg, false, NULL);
			outq_error_e(&s->out, m, &e);
			return;
		}
	} else {
		pids = malloc(MSG_PIDS_MAX * sizeof(*pids));
		if (!pids) {
			outq_error(&s->out, m, ENOMEM, "out of memory");
			return;
		}
		n = req_pids(s, pids, MSG_PIDS_MAX);
		for (i = 0; i < n; i++)
			kill((pid_t)pids[i], pause ? SIGSTOP : SIGCONT);
		free(pids);
	}
	s->paused = pause;
	outq_reply(&s->out, m);
}

static void req_pause(struct serve *s, const struct msg *m)
{
	req_freeze(s, m, true);
}

static void req_resume(struct serve *s, const struct msg *m)
{
	req_freeze(s, m, false);
}

static void req_shutdown(struct serve *s, const struct msg *m)
{
	outq_reply(&s->out, m);
	s->shutdown = true;
	req_kill_all(s);
}

/* The handlers by op (msg_decode() knows no other). */
static void (*const req_ops[])(struct serve *s, const struct msg *m) = {
	[MSG_OP_CREATE] = req_create,
	[MSG_OP_START] = req_start,
	[MSG_OP_EXEC] = req_exec,
	[MSG_OP_SIGNAL] = req_signal,
	[MSG_OP_RESIZE] = req_resize,
	[MSG_OP_CLOSE_STDIN] = req_close_stdin,
	[MSG_OP_WAIT] = req_wait,
	[MSG_OP_PS] = req_ps,
	[MSG_OP_STATS] = req_stats,
	[MSG_OP_UPDATE] = req_update,
	[MSG_OP_PAUSE] = req_pause,
	[MSG_OP_RESUME] = req_resume,
	[MSG_OP_SHUTDOWN] = req_shutdown,
};

void req_handle(struct serve *s, const struct wire_frame *f)
{
	struct msg m;
	int r = msg_decode(f, &m);

	if (r < 0) {
		outq_error(&s->out, &m, msg_error_code(r), "request: %s",
			   wire_strerror(r));
		return;
	}
	if (s->shutdown) {
		outq_error(&s->out, &m, ESHUTDOWN, "shutting down");
		return;
	}
	if (m.op >= sizeof(req_ops) / sizeof(req_ops[0]) || !req_ops[m.op]) {
		outq_error(&s->out, &m, ENOSYS, "request %u: unknown", m.op);
		return;
	}
	req_ops[m.op](s, &m);
}
