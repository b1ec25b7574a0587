/*
 * moat-shim: the per-container host process (docs/design.md, "Runtime,
 * shim and backends").
 *
 * Usage (started by `moat create` / `moat run`, not by hand):
 *   moat-shim --root DIR --id ID --bundle DIR --sync-fd N
 *             [--console-socket PATH | --tty-fd N]
 *
 * The shim reads the config `moat create` validated and saved in the state
 * directory (the document built from its struct spec), picks the backend
 * (moat-vmm or QEMU: annotation, MOAT_HYPERVISOR, moat.conf), builds the VM's
 * share (share.c: the rootfs and every bind source under a private tmpfs),
 * joins the container's network namespace (netns.c) and carries its
 * interfaces to taps (src/sandbox/net.c), starts the VM, waits for the
 * agent's HELLO, answers it, and sends CREATE with the config (built
 * from the struct by spec_encode, paths relative to the share; the
 * seccomp profile compiled to BPF on the host)
 * and the init's streams: its stdin, stdout and stderr inherited from
 * `moat create`, or a pty whose master went to --console-socket (or
 * whose slave came as --tty-fd from a foreground `moat run`), relayed
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
 * Inputs: the command line and the saved config (the CLI's);
 * requests on the control socket (root or the shim's user only); every
 * byte from the agent, through the pure codec in src/proto.
 */
#include "shim.h"
#include "chan.h"
#include "procs.h"
#include "ctl.h"
#include "../common/log.h"
#include "../proto/syncmsg.h"
#include "../runtime/secbpf.h"
#include "../runtime/shimctl.h"
#include "../runtime/spec.h"
#include "../runtime/term.h"
#include "../sandbox/qemu.h"
#include "../sandbox/vmm.h"
#include "netns.h"
#include "share.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>

#define SHIM_LOG_PREFIX "moat-shim: "

void shim_log(struct shim *s, const char *fmt, ...)
{
	struct log_sink k = { s->log_fd, LOG_FMT_PLAIN, SHIM_LOG_PREFIX };
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(&k, NULL, LOG_LV_INFO, fmt, ap);
	va_end(ap);
}

/* Write all of buf to fd, waiting on EAGAIN (fd may be non-blocking).
 * Returns 0 or -1 (errno). */
int shim_write_all(int fd, const void *buf, size_t len)
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

/* --- state ---------------------------------------------------------------- */

void shim_record(struct shim *s, enum state_status phase)
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

/* --- signals -------------------------------------------------------------- */

static void shim_signals(struct shim *s)
{
	struct signalfd_siginfo si;
	int status;

	while (read(s->sig_h.fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGWINCH && s->procs[0].tty) {
			/* The terminal (our controlling one) was resized. */
			shim_resize(s, &s->procs[0], s->procs[0].in.h.fd);
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

static void shim_signal_event(struct loop_handler *h, uint32_t events)
{
	(void)events;
	shim_signals(loop_owner(h, struct shim, sig_h));
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
static void shim_resources(struct shim *s, const struct spec_resources *r)
{
	long long lim, quota, period;

	if (r->mem_limit > 0) {
		lim = r->mem_limit / (1024 * 1024) + 128;
		s->sc.mem_mib = lim > 65536 ? 65536 : (unsigned)lim;
		if (s->sc.mem_mib < SANDBOX_MEM_DEFAULT_MIB)
			s->sc.mem_mib = SANDBOX_MEM_DEFAULT_MIB;
	}
	if (r->cpu_quota > 0) {
		period = r->cpu_period > 0 ? r->cpu_period : 100000;
		quota = (r->cpu_quota + period - 1) / period;
		if (quota > sysconf(_SC_NPROCESSORS_ONLN))
			quota = sysconf(_SC_NPROCESSORS_ONLN);
		s->sc.cpus = quota < 1 ? 1 : (unsigned)quota;
	}
}

/*
 * Tell `moat create` the shim's pid ("pid <pid>\n" on the sync socket), in
 * the container's network namespace and before the VM exists, and wait for
 * its "go\n": it runs the prestart and createRuntime hooks in between.
 * EOF means that `moat create` failed (a hook) or went away.
 */
static int shim_hooks_wait(struct shim *s, struct moat_err **e)
{
	struct syncmsg m = { .kind = SYNCMSG_PID, .pid = (int32_t)getpid() };
	char buf[32];
	size_t got = 0;
	ssize_t n;

	n = syncmsg_encode(buf, sizeof(buf), &m);
	if (n > 0 && shim_write_all(s->sync_h.fd, buf, (size_t)n)) {
		/* EOF follows: said below */
	}
	while (got < SYNCMSG_GO_LEN) {
		n = read(s->sync_h.fd, buf + got, SYNCMSG_GO_LEN - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return moat_err_set(e, n ? errno : EPIPE,
					    "moat create did not let the "
					    "container go on (a hook failed, "
					    "or it went away)");
		got += (size_t)n;
	}
	if (syncmsg_decode(buf, got, &m) || m.kind != SYNCMSG_GO)
		return moat_err_set(e, EPROTO, "moat create: a bad answer");
	return 0;
}

/* Read the config `moat create` saved (one parse, of the document built
 * from its struct), gather the rootfs and the bind mounts' sources into
 * the VM's share (share.c), compile the seccomp profile, and build the
 * guest's config from the struct. */
static int shim_config(struct shim *s, struct moat_err **e)
{
	struct spec *sp = NULL;
	enum sandbox_kind kind;
	int r = -1;

	if (spec_loadat(s->dir_fd, STATE_CONFIG, &sp, e))
		return -1;
	if (sp->process.terminal) {
		int sl;

		/* The engine's resizes reach the shim as SIGWINCH (moat
		 * run's: sent by moat after it resized the pty). */
		if (!s->console_socket && s->tty_fd < 0) {
			moat_err_set(e, EINVAL,
				     "process.terminal: needs "
				     "--console-socket");
			goto out;
		}
		if (s->tty_fd >= 0)
			sl = s->tty_fd;
		else if (term_pty_send(s->console_socket,
				       sp->process.console_height,
				       sp->process.console_width, true, &sl, e))
			goto out;
		s->tty_fd = -1;
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
		shim_proc_init(s, &s->procs[0], sl, sl, -1, true);
		s->procs[0].own_fds = true;
		s->procs[0].in.poll = true;
	} else {
		shim_proc_init(s, &s->procs[0], STDIN_FILENO, STDOUT_FILENO,
			       STDERR_FILENO, false);
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
	shim_resources(s, &sp->resources);
	if (sp->seccomp && secbpf_compile(sp->seccomp, &s->bpf, &s->bpf_len, e))
		goto out;
	if (shim_share_build(s->rootfs, s->bundle, sp, e))
		goto out;
	/* The container's network namespace: the shim joins it (or makes
	 * it) first, so that the createRuntime and prestart hooks, which
	 * `moat create` runs now, see it at /proc/<pid>/ns/net (docker's
	 * libnetwork moves its veth in there); its interfaces are carried
	 * to the VM's NICs after them. */
	{
		int host_ns;

		if (!(sp->namespaces & (1u << SPEC_NS_NETWORK))) {
			moat_err_code(e, EOPNOTSUPP,
				      "linux.namespaces: no network namespace: "
				      "moat does not share the host's network "
				      "namespace");
			goto out;
		}
		host_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
		if (host_ns < 0) {
			moat_err_set(e, errno, "/proc/self/ns/net");
			goto out;
		}
		if (shim_netns_enter(sp, e) || shim_hooks_wait(s, e) ||
		    net_setup(&s->net, "/proc/self/ns/net", host_ns, e)) {
			close(host_ns);
			goto out;
		}
		close(host_ns);
		s->sc.nics = s->net.nics;
		s->sc.nnics = s->net.n;
		if (s->net.n &&
		    !(s->net_desc = net_describe(&s->net, &s->net_desc_len))) {
			moat_err_set(e, ENOMEM, "network");
			goto out;
		}
	}
	s->config = spec_encode(sp, 0);
	if (!s->config || strlen(s->config) > MSG_CONFIG_MAX) {
		moat_err_set(e, s->config ? E2BIG : ENOMEM, "config.json");
		goto out;
	}
	r = 0;
out:
	spec_free(sp);
	return r;
}

static int shim_setup(struct shim *s, struct moat_err **e)
{
	struct shim_proc *init = &s->procs[0];
	sigset_t mask;

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
	/* The process's sink is the same log, for log_limited(): the lines
	 * the agent can trigger again and again (chan.c, procs.c). */
	log_setup(&(struct log_sink){ s->log_fd, LOG_FMT_PLAIN,
				      SHIM_LOG_PREFIX });
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
		s->console_h.fd = p[0];
		s->sc.log_fd = p[1];
		fcntl(p[0], F_SETFL, O_NONBLOCK);
		s->sc.log_path = "/dev/stdout";
	}
	s->sc.dir_fd = s->dir_fd;
	if (shim_config(s, e))
		return -1;
	shim_agent_id(s->id, s->agent_id, sizeof(s->agent_id));
	s->pbuf = malloc(WIRE_FRAME_MAX);
	if (!s->pbuf)
		return moat_err_set(e, ENOMEM, "shim");
	s->ctl_h.fd = shimctl_listen(s->dir_fd, e);
	if (s->ctl_h.fd < 0)
		return -1;

	/* What the engine sends the container's pid goes to the init, as
	 * runc's init gets it (term.h); SIGWINCH resizes. */
	sigemptyset(&mask);
	term_forward_mask(&mask);
	sigaddset(&mask, SIGWINCH);
	sigaddset(&mask, SIGCHLD);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	s->sig_h.fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (s->sig_h.fd < 0 || loop_init(&s->loop) < 0)
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
	if (aclient_init(&s->ac, s->sb.chan_fd, "moat-shim", &shim_chan_ops, s))
		return moat_err_set(e, ENOMEM, "shim");

	s->chan_h.fd = s->sb.chan_fd;
	if (loop_add(&s->loop, &s->chan_h, EPOLLIN) < 0)
		return moat_err_set(e, errno, "shim: epoll");
	loop_add(&s->loop, &s->sig_h, EPOLLIN);
	loop_add(&s->loop, &s->ctl_h, EPOLLIN);
	loop_add(&s->loop, &s->console_h, EPOLLIN);
	/* EPOLLERR on the sync pipe: `moat create` died before the
	 * container was created, and nobody would ever record or delete it:
	 * stop the VM and go. */
	loop_add(&s->loop, &s->sync_h, 0);
	/* stdin: a file or /dev/null cannot be polled; it is always
	 * readable. */
	if (!init->tty) {
		init->in.poll = loop_add(&s->loop, &init->in.h, 0) == 0;
		if (init->in.poll)
			loop_del(&s->loop, &init->in.h);
	}
	s->phase = SHIM_BOOTING;
	s->deadline = now_ms() + SHIM_HELLO_MS;
	return 0;
}

/* --- the loop ------------------------------------------------------------- */

/* Exec'd processes that exited and whose output ended (or whose drain
 * time is up) are done; returns the nearest drain deadline, 0: none. */
static long shim_procs_tick(struct shim *s)
{
	long now = now_ms(), next = 0;
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

/* The sync socket hung up: `moat create` went away. */
static void shim_sync_event(struct loop_handler *h, uint32_t events)
{
	struct shim *s = loop_owner(h, struct shim, sync_h);

	(void)events;
	if (s->sync_h.fd >= 0 && !s->synced) {
		shim_log(s, "moat create went away");
		shim_lost(s, "moat create went away");
	}
}

static void shim_chan_event(struct loop_handler *h, uint32_t events)
{
	(void)events;
	aclient_read(&loop_owner(h, struct shim, chan_h)->ac);
}

static void shim_loop(struct shim *s)
{
	struct msg m = { 0 };
	struct shim_proc *p;
	int timeout;
	bool in_ready;
	long next;
	size_t i;

	while (s->phase != SHIM_DONE) {
		if (s->phase == SHIM_DRAINING &&
		    ((s->procs[0].out[0].eof && s->procs[0].out[1].eof) ||
		     now_ms() >= s->deadline)) {
			m.op = MSG_OP_SHUTDOWN;
			shim_request(s, &m, NULL, NULL);
			if (s->phase == SHIM_DONE)
				break;
			s->phase = SHIM_STOPPING;
			s->deadline = now_ms() + SHIM_SHUTDOWN_MS;
		}
		next = shim_procs_tick(s);
		in_ready = false;
		if (s->phase >= SHIM_CREATED && s->phase <= SHIM_DRAINING)
			for (i = 0; i < SHIM_PROCS; i++) {
				p = &s->procs[i];
				if (p->used && !p->in.poll && p->proc &&
				    shim_in_ready(p))
					in_ready = true;
			}
		if (s->deadline && (!next || s->deadline < next))
			next = s->deadline;
		timeout = -1;
		if (next) {
			timeout = (int)(next - now_ms());
			if (timeout < 0)
				timeout = 0;
		}
		if (s->deadline && s->deadline <= now_ms()) {
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
		/* Each handler is the fd's owner's (shim_lost() ends the
		 * batch). */
		if (loop_run_once(&s->loop, timeout) < 0)
			break;
		if (in_ready && s->phase != SHIM_DONE)
			for (i = 0; i < SHIM_PROCS; i++) {
				p = &s->procs[i];
				if (p->used && !p->in.eof && !p->in.poll &&
				    p->in.h.fd >= 0 && p->proc)
					shim_in_read(s, p);
			}
	}
}

/* what, then how the monitor ended by its wait status, into buf. */
static void shim_wait_text(char *buf, size_t cap, const char *what, int status)
{
	if (WIFEXITED(status))
		snprintf(buf, cap, "%s (the monitor exited with status %d)",
			 what, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, cap, "%s (the monitor was killed by signal %d)",
			 what, WTERMSIG(status));
	else
		snprintf(buf, cap, "%s (monitor status 0x%x)", what, status);
}

static void shim_usage(void)
{
	fputs("usage: moat-shim --root DIR --id ID --bundle DIR --sync-fd N\n"
	      "                 [--console-socket PATH | --tty-fd N]\n"
	      "(started by moat create / moat run)\n",
	      stderr);
}

int main(int argc, char **argv)
{
	struct shim s = { .dir_fd = -1,
			  .log_fd = -1,
			  .tty_fd = -1,
			  .loop = { .ep = -1 },
			  .console_h = { .fd = -1, .fn = shim_console_event },
			  .sync_h = { .fd = -1, .fn = shim_sync_event },
			  .sig_h = { .fd = -1, .fn = shim_signal_event },
			  .ctl_h = { .fd = -1, .fn = shim_client_event },
			  .chan_h = { .fd = -1, .fn = shim_chan_event },
			  .next_stream = 1,
			  .sb = SANDBOX_INIT,
			  .pidns = SHIM_PIDNS_INIT,
			  .net = NET_SETUP_INIT,
			  .ac = { .fd = -1, .down = true } };
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
		else if (!strcmp(argv[j], "--sync-fd") ||
			 !strcmp(argv[j], "--tty-fd")) {
			errno = 0;
			v = strtol(argv[j + 1], &end, 10);
			if (errno || *end || v < 3 || v > 65535 ||
			    fcntl((int)v, F_SETFD, FD_CLOEXEC) < 0)
				break;
			*(argv[j][2] == 's' ? &s.sync_h.fd : &s.tty_fd) =
				(int)v;
		} else
			break;
	}
	if (j != argc || !s.root || !s.id || !s.bundle || s.sync_h.fd < 0 ||
	    (s.tty_fd >= 0 && s.console_socket)) {
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
		shim_sync_fail(&s, "%s%s%.*s", e ? e->msg : "out of memory",
			       s.tail_len ? "; the console's last words: " : "",
			       (int)s.tail_len, s.console_tail);
		moat_err_free(&e);
		net_teardown(&s.net);
		if (s.ctl_h.fd >= 0 && s.dir_fd >= 0)
			unlinkat(s.dir_fd, SHIMCTL_SOCK, 0);
		return 1;
	}
	shim_log(&s, "VM started (%s, pid %d), %u MiB, %u vCPUs",
		 s.sb.ops->name, (int)s.sb.pid, s.sc.mem_mib, s.sc.cpus);
	shim_loop(&s);
	if (!s.synced) {
		/* The log goes with the container: quote its last words. A
		 * channel lost at boot is most often the monitor ending: it
		 * gets a moment to, so that its own status is told. */
		int st = s.vm_exited || s.why
				 ? -1
				 : sandbox_wait(&s.sb, SHIM_LOST_MS);
		char ended[256];

		sandbox_stop(&s.sb, 0);
		shim_console(&s);
		if (s.vm_exited)
			shim_wait_text(ended, sizeof(ended), "the VM ended",
				       s.vm_status);
		else if (st == -1)
			snprintf(ended, sizeof(ended),
				 "the agent's channel was lost (%s; the "
				 "monitor ran on)",
				 s.lost);
		else {
			char how[128];

			snprintf(how, sizeof(how),
				 "the agent's channel was lost (%s), then the "
				 "VM ended",
				 s.lost);
			shim_wait_text(ended, sizeof(ended), how, st);
		}
		shim_sync_fail(&s,
			       "%s before the container was created; its "
			       "console's last words: %.*s",
			       s.why ? s.why : ended, (int)s.tail_len,
			       s.console_tail);
		s.code = 1;
		s.signo = 0;
	}
	/* Clients still waiting for the agent: "error the container
	 * stopped" (their requests' callbacks, ctl.c). */
	aclient_cancel(&s.ac);
	for (i = 1; i < SHIM_PROCS; i++)
		if (s.procs[i].used)
			shim_proc_done(&s, &s.procs[i]);
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
