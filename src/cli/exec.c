/*
 * exec.c: `moat exec [OPTIONS] ID [COMMAND...]` (runc's exec): run a
 * process in a created or running container, in its VM (in a created one
 * it joins the container while the init waits for start, as runc's).
 *
 * The process is an OCI "process" object: --process FILE (read by the
 * shared process parser), or the container's own process, from the config
 * `moat create` validated and saved in <root>/<id> (as runc reads its own
 * state, not the bundle again), with COMMAND as its args; then --tty,
 * --cwd, --env, --user and --additional-gids apply to the parsed struct,
 * and the process's object is encoded from it. It goes to the
 * container's shim over shim.sock (src/runtime/shimctl.h, "exec") with the
 * stdio fds, or a terminal: with --console-socket a new pty whose master is
 * sent there, else (not detached) this process's own terminal, put in raw
 * mode for the time.
 *
 * The process that stays, the relay, stands for the guest process on the
 * host: signals sent to it are forwarded, and it exits with the guest
 * process's status (re-raising the signal that killed it). Without
 * --detach the relay is this process. With --detach a child becomes the
 * relay, --pid-file names it, and this process exits once the guest
 * process has started, so that the relay is reparented to the engine's
 * subreaper (conmon), which waits for it as runc's exec'd process.
 *
 * --cap adds a capability to the process's bounding, effective and
 * permitted sets (as runc does; not the inheritable or ambient ones), and
 * --no-new-privs sets noNewPrivileges: the agent applies both in the
 * guest. --cgroup PATH puts it in a group beneath the container's in the
 * guest (runc's sub-cgroup; exec_cgroup()). --apparmor and --process-label
 * are accepted for runc compatibility and do not apply in the guest (no
 * LSM there; docs/design.md, "Where moat differs from runc"). Refused:
 * --preserve-fds other than 0 (a host fd cannot reach the VM), a stopped
 * or paused container (--ignore-paused too: exec_status_check()).
 *
 * Inputs: argv, the --process file (the engine's), the saved config (the
 * CLI's own), the shim's lines (printed, parsed as numbers only).
 */
#include "cli.h"
#include "../runtime/shimctl.h"
#include "../runtime/spec.h"
#include "../runtime/state.h"
#include "../runtime/term.h"
#include "../proto/msg.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#define EXEC_TIMEOUT_MS 60000 /* the shim's answer to exec */

struct exec_opts {
	const char *id, *process, *console, *pid_file, *cwd, *user;
	const char **env; /* --env entries (argv's), nenv of them */
	size_t nenv;
	const char **cgroups; /* --cgroup arguments (argv's), ncgroups */
	size_t ncgroups;
	char cgroup[MSG_CGROUP_MAX + 1]; /* the sub-cgroup to join, or "" */
	uint32_t *gids; /* --additional-gids entries, ngids of them */
	size_t ngids;
	uint64_t caps; /* --cap: bit n is oci_cap_names[n] */
	bool tty, detach, no_new_privs, ignore_paused;
	char **args;
	int nargs;
};

static const int exec_forwarded[] = {
	SIGHUP,	 SIGINT,   SIGQUIT, SIGTERM, SIGUSR1,
	SIGUSR2, SIGWINCH, SIGCONT, SIGTSTP, SIGALRM,
};

/*
 * --cgroup, as runc 1.1 reads it: one PATH (cgroup v2), or
 * CONTROLLER[,CONTROLLER...]:PATH ones (v1 only, one path per controller).
 * The guest's hierarchy is cgroup2, so a PATH alone: a group beneath the
 * container's (after runc's path.Join and its prefix check: "/" is the
 * container's own, ".." may not climb out), which must exist; its
 * relative form goes to o->cgroup ("" for the container's own).
 */
static int exec_cgroup(struct exec_opts *o, struct moat_err **e)
{
	const char *arg, *c, *colon, *comp, *end;
	size_t i, n = 0, len;

	o->cgroup[0] = '\0';
	for (i = 0; i < o->ncgroups; i++) {
		arg = o->cgroups[i];
		colon = strchr(arg, ':');
		if (!colon) {
			if (o->ncgroups != 1)
				return moat_err_set(e, 0,
						    "invalid --cgroup "
						    "argument: %s (missing "
						    "<controller>: prefix)",
						    arg);
			continue;
		}
		/* each of the controllers before the ':' (runc's checks) */
		for (c = arg; c <= colon; c = end + 1) {
			end = c + strcspn(c, ",:");
			if (end == c)
				return moat_err_set(e, 0,
						    "invalid --cgroup "
						    "argument: %s (empty "
						    "<controller> prefix)",
						    arg);
		}
		return moat_err_set(e, 0,
				    "invalid --cgroup argument: %s (a "
				    "<controller>: prefix is for cgroup v1; "
				    "the guest has cgroup v2 only: give a "
				    "path alone)",
				    arg);
	}
	if (!o->ncgroups)
		return 0;
	arg = o->cgroups[0];
	for (comp = arg; *comp; comp = end) {
		comp += strspn(comp, "/");
		end = comp + strcspn(comp, "/");
		len = (size_t)(end - comp);
		if (!len || (len == 1 && comp[0] == '.'))
			continue;
		if (len == 2 && comp[0] == '.' && comp[1] == '.') {
			if (!n)
				return moat_err_set(e, 0,
						    "%s is not a sub cgroup "
						    "path",
						    arg);
			while (n && o->cgroup[n - 1] != '/')
				n--;
			if (n)
				n--;
			o->cgroup[n] = '\0';
			continue;
		}
		if (n + !!n + len > MSG_CGROUP_MAX)
			return moat_err_set(e, 0, "--cgroup %s: too long", arg);
		n += (size_t)sprintf(o->cgroup + n, "%s%.*s", n ? "/" : "",
				     (int)len, comp);
	}
	if (n && !msg_cgroup_path_ok(o->cgroup, n))
		return moat_err_set(e, 0,
				    "--cgroup %s: not a cgroup path "
				    "(printable, without spaces)",
				    arg);
	return 0;
}

static int exec_opts_parse(int argc, char **argv, struct exec_opts *o,
			   struct moat_err **e)
{
	static const struct option opts[] = {
		{ "process", required_argument, NULL, 'p' },
		{ "console-socket", required_argument, NULL, 'C' },
		{ "pid-file", required_argument, NULL, 'P' },
		{ "cwd", required_argument, NULL, 'w' },
		{ "env", required_argument, NULL, 'e' },
		{ "user", required_argument, NULL, 'u' },
		{ "additional-gids", required_argument, NULL, 'g' },
		{ "tty", no_argument, NULL, 't' },
		{ "detach", no_argument, NULL, 'd' },
		{ "cap", required_argument, NULL, 'c' },
		{ "no-new-privs", no_argument, NULL, 'n' },
		{ "apparmor", required_argument, NULL, 'a' },
		{ "process-label", required_argument, NULL, 'l' },
		{ "preserve-fds", required_argument, NULL, 'F' },
		{ "cgroup", required_argument, NULL, 'G' },
		{ "ignore-paused", no_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	/* Each entry is an argument: argc bounds them. */
	o->env = calloc((size_t)argc, sizeof(*o->env));
	o->gids = calloc((size_t)argc, sizeof(*o->gids));
	o->cgroups = calloc((size_t)argc, sizeof(*o->cgroups));
	if (!o->env || !o->gids || !o->cgroups)
		return moat_err_set(e, ENOMEM, "exec");
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+p:e:u:g:tdc:w:", opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'p':
			o->process = optarg;
			break;
		case 'C':
			o->console = optarg;
			break;
		case 'P':
			o->pid_file = optarg;
			break;
		case 'w':
			o->cwd = optarg;
			break;
		case 'e':
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return moat_err_set(e, 0,
						    "--env %s: not KEY=VALUE",
						    optarg);
			o->env[o->nenv++] = optarg;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'g': {
			char *end;
			long v;

			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno || *end || v < 0 || v > UINT32_MAX)
				return moat_err_set(e, 0,
						    "--additional-gids %s: not "
						    "a gid",
						    optarg);
			o->gids[o->ngids++] = (uint32_t)v;
			break;
		}
		case 't':
			o->tty = true;
			break;
		case 'd':
			o->detach = true;
			break;
		case 'F':
			if (strcmp(optarg, "0"))
				return moat_err_set(e, 0,
						    "--preserve-fds: not "
						    "supported (the process "
						    "runs in a VM)");
			break;
		case 'c': {
			size_t k;

			for (k = 0; oci_cap_names[k]; k++)
				if (!strcmp(oci_cap_names[k], optarg))
					break;
			if (!oci_cap_names[k])
				return moat_err_set(e, 0,
						    "--cap %s: not a "
						    "capability (CAP_...)",
						    optarg);
			o->caps |= 1ULL << k;
			break;
		}
		case 'n':
			o->no_new_privs = true;
			break;
		case 'i':
			o->ignore_paused = true;
			break;
		case 'G':
			o->cgroups[o->ncgroups++] = optarg;
			break;
		case 'a':
		case 'l':
			break;
		default:
			return moat_err_set(e, 0, "unknown option %s",
					    argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return moat_err_set(e, 0,
				    "usage: moat exec [OPTIONS] ID "
				    "[COMMAND...]");
	o->id = argv[optind];
	o->args = argv + optind + 1;
	o->nargs = argc - optind - 1;
	if (!o->process && !o->nargs)
		return moat_err_set(e, 0,
				    "exec: a COMMAND or --process is "
				    "needed");
	if (exec_cgroup(o, e))
		return -1;
	return state_id_check(o->id, e);
}

/* --user UID[:GID] into p's uid and gid (0 when not given). */
static int exec_user(struct spec_process *p, const char *spec,
		     struct moat_err **e)
{
	unsigned long uid, gid = 0;
	char *end;

	errno = 0;
	uid = strtoul(spec, &end, 10);
	if (!errno && *end == ':')
		gid = strtoul(end + 1, &end, 10);
	if (errno || *end || uid > UINT32_MAX || gid > UINT32_MAX ||
	    !(spec[0] >= '0' && spec[0] <= '9'))
		return moat_err_set(e, 0, "--user %s: want UID[:GID] (numbers)",
				    spec);
	p->uid = (uint32_t)uid;
	p->gid = (uint32_t)gid;
	return 0;
}

/* A malloc'd NULL-terminated copy of v[0..n). */
static char **exec_strv(char *const *v, size_t n)
{
	char **c = calloc(n + 1, sizeof(*c));
	size_t i;

	for (i = 0; c && i < n; i++)
		if (!(c[i] = strdup(v[i]))) {
			oci_strv_free(c);
			return NULL;
		}
	return c;
}

/* Override or add env entries (KEY=VALUE) of p: an entry of the same KEY
 * goes, the new one comes last. 0, or -1 when out of memory. */
static int exec_env(struct spec_process *p, const char *const *add, size_t nadd)
{
	size_t n = 0, i, j, klen;
	char **env;

	while (p->env && p->env[n])
		n++;
	env = calloc(n + nadd + 1, sizeof(*env));
	if (!env)
		return -1;
	if (n)
		memcpy(env, p->env, n * sizeof(*env));
	free(p->env); /* its strings are env's now */
	p->env = env;
	for (i = 0; i < nadd; i++) {
		klen = (size_t)(strchr(add[i], '=') - add[i]) + 1;
		for (j = 0; j < n && strncmp(env[j], add[i], klen); j++)
			;
		if (j < n) {
			free(env[j]);
			memmove(env + j, env + j + 1, (n - j) * sizeof(*env));
			n--;
		}
		if (!(env[n] = strdup(add[i])))
			return -1;
		env[++n] = NULL;
	}
	return 0;
}

/* COMMAND, --tty, --cwd, --env, --user, --additional-gids, --cap (each
 * added to the bounding, effective and permitted sets: runc's choice,
 * never the inheritable or ambient) and --no-new-privs over p. */
static int exec_override(struct spec_process *p, const struct exec_opts *o,
			 struct moat_err **e)
{
	static const enum spec_capset sets[] = { SPEC_CAP_BOUNDING,
						 SPEC_CAP_EFFECTIVE,
						 SPEC_CAP_PERMITTED };
	char **args, *cwd;
	uint32_t *gids;
	size_t k;

	if (o->nargs) {
		args = exec_strv(o->args, (size_t)o->nargs);
		if (!args)
			return moat_err_set(e, ENOMEM, "process");
		oci_strv_free(p->args);
		p->args = args;
	}
	if (o->tty)
		p->terminal = true;
	if (o->cwd) {
		cwd = strdup(o->cwd);
		if (!cwd)
			return moat_err_set(e, ENOMEM, "process");
		free(p->cwd);
		p->cwd = cwd;
	}
	if (o->nenv && exec_env(p, o->env, o->nenv))
		return moat_err_set(e, ENOMEM, "process");
	if (o->user && exec_user(p, o->user, e))
		return -1;
	if (o->ngids) {
		gids = malloc(o->ngids * sizeof(*gids));
		if (!gids)
			return moat_err_set(e, ENOMEM, "process");
		memcpy(gids, o->gids, o->ngids * sizeof(*gids));
		free(p->additional_gids);
		p->additional_gids = gids;
		p->nadditional_gids = o->ngids;
	}
	if (o->caps) {
		p->has_caps = true;
		for (k = 0; k < sizeof(sets) / sizeof(sets[0]); k++)
			p->caps[sets[k]] |= o->caps;
	}
	if (o->no_new_privs)
		p->no_new_privileges = true;
	return 0;
}

/* The process to run (*sp), checked, and its object's text (malloc'd)
 * for the shim; NULL with *e set. */
static char *exec_process(int dir_fd, const struct exec_opts *o,
			  struct spec **sp, struct moat_err **e)
{
	struct spec *base = NULL;
	char *text;

	if (o->process) {
		if (spec_process_load(o->process, &base, e)) {
			moat_err_wrap(e, "--process %s", o->process);
			return NULL;
		}
	} else {
		if (spec_loadat(dir_fd, STATE_CONFIG, &base, e))
			return NULL;
		/* The container's terminal and its size are not exec's. */
		base->process.terminal = o->tty;
		base->process.console_height = 0;
		base->process.console_width = 0;
	}
	if (exec_override(&base->process, o, e)) {
		spec_free(base);
		return NULL;
	}
	text = spec_process_encode(&base->process);
	spec_free(base);
	if (!text) {
		moat_err_set(e, ENOMEM, "process");
		return NULL;
	}
	/* What the shim will read: checked as it will be. */
	if (spec_process_parse(text, strlen(text), sp, e)) {
		moat_err_wrap(e, "process");
		free(text);
		return NULL;
	}
	return text;
}

static struct termios exec_saved;
static int exec_raw_fd = -1;

static void exec_restore(void)
{
	if (exec_raw_fd >= 0)
		tcsetattr(exec_raw_fd, TCSANOW, &exec_saved);
}

/* The relay's loop: forward signals and resizes, wait for "exit". */
static void __attribute__((noreturn))
exec_relay(int conn, int sigfd, int tty_fd)
{
	struct pollfd p[2] = { { conn, POLLIN, 0 }, { sigfd, POLLIN, 0 } };
	struct signalfd_siginfo si;
	char line[SHIMCTL_LINE_MAX + 1];
	static struct shimmsg_reply rep;
	struct shimmsg_req req;
	struct moat_err *e = NULL;
	struct winsize ws;
	int n;

	for (;;) {
		if (poll(p, 2, -1) < 0)
			continue;
		while (p[1].revents &&
		       read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
			memset(&req, 0, sizeof(req));
			if (si.ssi_signo == SIGWINCH) {
				if (tty_fd < 0 ||
				    ioctl(tty_fd, TIOCGWINSZ, &ws) < 0)
					continue;
				req.verb = SHIMMSG_RESIZE;
				req.rows = ws.ws_row;
				req.cols = ws.ws_col;
			} else {
				req.verb = SHIMMSG_KILL;
				req.signo = si.ssi_signo;
			}
			n = shimmsg_req_encode(line, sizeof(line), &req);
			if (n > 0 && shimctl_send(conn, line, NULL, 0, &e))
				moat_err_free(&e);
		}
		if (!p[0].revents)
			continue;
		if (shimctl_read_line(conn, line, sizeof(line), -1, &e) ||
		    strncmp(line, "exit ", 5)) {
			moat_err_free(&e);
			exec_restore();
			_exit(255); /* the shim went away */
		}
		exec_restore();
		if (shimmsg_reply_decode(line, strlen(line), SHIMMSG_EXEC,
					 &rep))
			term_exit_as(255, 0);
		term_exit_as(rep.code, rep.signo);
	}
}

/* Hand the process to the shim; returns the connection, *pid the guest
 * pid. */
static int exec_submit(int dir_fd, const struct exec_opts *o, const char *json,
		       const int *fds, size_t nfds, unsigned long *pid,
		       struct moat_err **e)
{
	static struct shimmsg_reply rep;
	char line[SHIMCTL_LINE_MAX + 1];
	size_t len = strlen(json), off;
	struct shimmsg_req req = { .verb = SHIMMSG_EXEC };
	ssize_t n;
	int conn;

	conn = shimctl_connect(dir_fd, e);
	if (conn < 0)
		return -1;
	req.len = (uint32_t)len;
	if (o->cgroup[0]) {
		req.cgroup = o->cgroup;
		req.cgroup_len = strlen(o->cgroup);
	}
	if (shimmsg_req_encode(line, sizeof(line), &req) < 0) {
		moat_err_set(e, EINVAL, "shim request");
		goto fail;
	}
	if (shimctl_send(conn, line, fds, nfds, e))
		goto fail;
	for (off = 0; off < len; off += (size_t)n) {
		n = write(conn, json + off, len - off);
		if (n < 0 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0) {
			moat_err_set(e, errno, "write to the shim");
			goto fail;
		}
	}
	if (shimctl_read_line(conn, line, sizeof(line), EXEC_TIMEOUT_MS, e) ||
	    shimctl_reply(line, SHIMMSG_EXEC, &rep, e))
		goto fail;
	*pid = rep.pid;
	return conn;
fail:
	close(conn);
	return -1;
}

/* Set up the relay's terminal, signals and connection; in the relay. */
static int exec_start(int dir_fd, const struct exec_opts *o, const char *json,
		      const struct spec *sp, bool tty, int *conn, int *sigfd,
		      int *tty_fd, unsigned long *pid, struct moat_err **e)
{
	int fds[3] = { STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO };
	sigset_t mask;
	size_t i, nfds = 3;

	*tty_fd = -1;
	if (tty && o->console) {
		if (term_pty_send(o->console, sp->process.console_height,
				  sp->process.console_width, true, tty_fd, e))
			return -1;
	} else if (tty) {
		struct termios t;

		if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &t) < 0)
			return moat_err_set(e, 0,
					    "--tty: stdin is not a "
					    "terminal and there is no "
					    "--console-socket");
		exec_saved = t;
		exec_raw_fd = STDIN_FILENO;
		cfmakeraw(&t);
		tcsetattr(STDIN_FILENO, TCSANOW, &t);
		*tty_fd = STDIN_FILENO;
	}
	if (tty) {
		fds[0] = *tty_fd;
		nfds = 1;
	}
	sigemptyset(&mask);
	for (i = 0; i < sizeof(exec_forwarded) / sizeof(exec_forwarded[0]); i++)
		sigaddset(&mask, exec_forwarded[i]);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	*sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (*sigfd < 0)
		return moat_err_set(e, errno, "signalfd");
	*conn = exec_submit(dir_fd, o, json, fds, nfds, pid, e);
	if (*conn < 0) {
		exec_restore();
		return -1;
	}
	/* The shim holds the process's stdio now: let EOFs reach their
	 * readers. A terminal of our own stays, for resizes. */
	if (!(tty && !o->console)) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		for (i = 0; null >= 0 && i < 3; i++)
			dup2(null, (int)i);
		if (null > 2)
			close(null);
	}
	return 0;
}

/*
 * Whether the container takes an exec, as runc's: a created one does (the
 * process joins its namespaces while the init waits for start), a running
 * one does; the others are refused in runc's words (cli_refuse()), and a
 * paused one with --ignore-paused too: runc's process would wait, frozen,
 * for resume, and the guest's agent cannot wait for a frozen child.
 */
static int exec_status_check(const struct cli_ctx *ctx, const struct state *s,
			     const struct exec_opts *o, struct moat_err **e)
{
	enum state_status st = state_status_of(s);

	if (st == STATE_CREATED || st == STATE_RUNNING)
		return 0;
	if (st == STATE_PAUSED && o->ignore_paused)
		return moat_err_set(e, 0,
				    "cannot exec in a paused container: "
				    "--ignore-paused is not supported (resume "
				    "it first)");
	return cli_refuse(ctx, s->id, st, e);
}

int cli_exec(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e)
{
	struct exec_opts o = { 0 };
	struct state_handle h = STATE_HANDLE_INIT;
	struct spec *sp = NULL;
	char *json = NULL, report[MOAT_ERR_MSG_MAX + 16];
	int conn, sigfd, tty_fd, sync[2] = { -1, -1 }, r = -1;
	unsigned long pid;
	struct state s;
	bool tty = false, have_state = false;
	pid_t child;
	ssize_t n;

	if (exec_opts_parse(argc, argv, &o, e))
		goto out;
	ctx->fail_status = 255; /* runc's for what fails from here on */
	if (cli_live_container(ctx, o.id, ~0u, &h, &s, e))
		goto out;
	have_state = true;
	if (exec_status_check(ctx, &s, &o, e))
		goto out;
	json = exec_process(h.dir_fd, &o, &sp, e);
	if (!json)
		goto out;
	tty = sp->process.terminal;
	if (tty && o.detach && !o.console) {
		moat_err_set(e, 0,
			     "--tty with --detach needs "
			     "--console-socket");
		goto out;
	}
	cli_log_debug(ctx, "exec %s: %s%s", o.id, json,
		      o.detach ? " (detached)" : "");
	if (!o.detach) {
		if (exec_start(h.dir_fd, &o, json, sp, tty, &conn, &sigfd,
			       &tty_fd, &pid, e))
			goto out;
		if (o.pid_file && cli_pid_file(o.pid_file, getpid(), e)) {
			close(conn); /* the shim kills the process */
			goto out;
		}
		state_close(&h);
		exec_relay(conn, sigfd, tty_fd);
	}
	if (pipe2(sync, O_CLOEXEC) < 0) {
		moat_err_set(e, errno, "pipe");
		goto out;
	}
	fflush(NULL);
	child = fork();
	if (child < 0) {
		moat_err_set(e, errno, "fork");
		goto out;
	}
	if (child == 0) {
		struct moat_err *ce = NULL;

		close(sync[0]);
		if (exec_start(h.dir_fd, &o, json, sp, tty, &conn, &sigfd,
			       &tty_fd, &pid, &ce)) {
			n = write(sync[1], ce->msg, strlen(ce->msg));
			_exit(n < 0 ? 2 : 1);
		}
		n = write(sync[1], "", 1);
		close(sync[1]);
		state_close(&h);
		exec_relay(conn, sigfd, tty_fd);
	}
	close(sync[1]);
	sync[1] = -1;
	do
		n = read(sync[0], report, sizeof(report) - 1);
	while (n < 0 && errno == EINTR);
	if (n == 1 && report[0] == '\0') {
		r = o.pid_file ? cli_pid_file(o.pid_file, child, e) : 0;
		if (r)
			kill(child, SIGKILL);
	} else {
		report[n > 0 ? n : 0] = '\0';
		moat_err_set(e, 0, "%s", n > 0 ? report : "the relay failed");
	}
out:
	if (sync[0] >= 0)
		close(sync[0]);
	if (sync[1] >= 0)
		close(sync[1]);
	if (have_state)
		state_clear(&s);
	state_close(&h);
	spec_free(sp);
	free(json);
	free(o.env);
	free(o.gids);
	free(o.cgroups);
	return r;
}
