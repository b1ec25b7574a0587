/*
 * exec.c: `moat exec [OPTIONS] ID [COMMAND...]` (runc's exec): run a
 * process in a running container, in its VM.
 *
 * The process is an OCI "process" object: --process FILE, or the
 * container's own process (config.json) with COMMAND as its args; then
 * --tty, --cwd, --env, --user and --additional-gids apply. It goes to the
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
 * guest. --apparmor and --process-label are accepted for runc
 * compatibility and do not apply in the guest (no LSM there).
 * --preserve-fds other than 0 is refused.
 *
 * Inputs: argv, the --process file and config.json (the engine's), the
 * shim's lines (printed, parsed as numbers only).
 */
#include "cli.h"
#include "../runtime/shimctl.h"
#include "../runtime/spec.h"
#include "../runtime/state.h"
#include "../runtime/term.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
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
	json_t *env;  /* --env entries */
	json_t *gids; /* --additional-gids entries */
	json_t *caps; /* --cap entries */
	bool tty, detach, no_new_privs;
	char **args;
	int nargs;
};

static const int exec_forwarded[] = {
	SIGHUP,	 SIGINT,   SIGQUIT, SIGTERM, SIGUSR1,
	SIGUSR2, SIGWINCH, SIGCONT, SIGTSTP, SIGALRM,
};

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
			json_array_append_new(o->env, json_string(optarg));
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
			json_array_append_new(o->gids, json_integer(v));
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
			json_array_append_new(o->caps, json_string(optarg));
			break;
		}
		case 'n':
			o->no_new_privs = true;
			break;
		case 'a':
		case 'l':
		case 'G':
		case 'i':
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
	return state_id_check(o->id, e);
}

/* --user UID[:GID] into process.user. */
static int exec_user(json_t *proc, const char *spec, struct moat_err **e)
{
	json_t *u = json_object_get(proc, "user");
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
	if (!json_is_object(u)) {
		u = json_object();
		json_object_set_new(proc, "user", u);
	}
	json_object_set_new(u, "uid", json_integer((json_int_t)uid));
	json_object_set_new(u, "gid", json_integer((json_int_t)gid));
	return 0;
}

/* Override or add env entries (KEY=VALUE) of proc. */
static void exec_env(json_t *proc, json_t *add)
{
	json_t *env = json_object_get(proc, "env"), *a, *v;
	size_t i, j, klen;

	if (!json_is_array(env)) {
		env = json_array();
		json_object_set_new(proc, "env", env);
	}
	json_array_foreach(add, i, a)
	{
		const char *kv = json_string_value(a);

		klen = (size_t)(strchr(kv, '=') - kv) + 1;
		json_array_foreach(env, j, v)
		{
			if (json_is_string(v) &&
			    !strncmp(json_string_value(v), kv, klen)) {
				json_array_remove(env, j);
				break;
			}
		}
		json_array_append(env, a);
	}
}

/* The process JSON to run, checked. */
/* --cap: each capability added to the process's bounding, effective and
 * permitted sets (runc's choice: never to the inheritable or ambient). */
static void exec_caps(json_t *proc, json_t *add)
{
	static const char *const sets[] = { "bounding", "effective",
					    "permitted" };
	json_t *caps = json_object_get(proc, "capabilities"), *set, *a, *v;
	size_t i, j, k;

	if (!json_is_object(caps)) {
		caps = json_object();
		json_object_set_new(proc, "capabilities", caps);
	}
	for (k = 0; k < sizeof(sets) / sizeof(sets[0]); k++) {
		set = json_object_get(caps, sets[k]);
		if (!json_is_array(set)) {
			set = json_array();
			json_object_set_new(caps, sets[k], set);
		}
		json_array_foreach(add, i, a)
		{
			json_array_foreach(set, j,
					   v) if (json_equal(v, a)) break;
			if (j == json_array_size(set))
				json_array_append(set, a);
		}
	}
}

static char *exec_process(const struct state *st, const struct exec_opts *o,
			  bool *tty, struct spec **sp, struct moat_err **e)
{
	char path[PATH_MAX + 16], *text = NULL;
	json_t *root = NULL, *proc, *args;
	json_error_t jerr;
	int i;

	if (o->process) {
		proc = json_load_file(o->process, JSON_REJECT_DUPLICATES,
				      &jerr);
		if (!proc) {
			moat_err_set(e, 0, "--process %s: %d:%d: %s",
				     o->process, jerr.line, jerr.column,
				     jerr.text);
			return NULL;
		}
	} else {
		snprintf(path, sizeof(path), "%s/config.json", st->bundle);
		root = json_load_file(path, 0, &jerr);
		proc = json_object_get(root, "process");
		if (!json_is_object(proc)) {
			moat_err_set(e, 0, "%s: %s", path,
				     root ? "no process" : jerr.text);
			json_decref(root);
			return NULL;
		}
		json_incref(proc);
		json_decref(root);
		json_object_del(proc, "consoleSize");
		json_object_set_new(proc, "terminal", json_boolean(o->tty));
	}
	if (!json_is_object(proc)) {
		moat_err_set(e, 0, "--process %s: not an object", o->process);
		json_decref(proc);
		return NULL;
	}
	if (o->nargs) {
		args = json_array();
		for (i = 0; i < o->nargs; i++)
			json_array_append_new(args, json_string(o->args[i]));
		json_object_set_new(proc, "args", args);
	}
	if (o->tty)
		json_object_set_new(proc, "terminal", json_true());
	if (o->cwd)
		json_object_set_new(proc, "cwd", json_string(o->cwd));
	if (json_array_size(o->env))
		exec_env(proc, o->env);
	if ((o->user && exec_user(proc, o->user, e))) {
		json_decref(proc);
		return NULL;
	}
	if (json_array_size(o->gids)) {
		if (!json_is_object(json_object_get(proc, "user")))
			json_object_set_new(proc, "user", json_object());
		json_object_set(json_object_get(proc, "user"), "additionalGids",
				o->gids);
	}
	if (json_array_size(o->caps))
		exec_caps(proc, o->caps);
	if (o->no_new_privs)
		json_object_set_new(proc, "noNewPrivileges", json_true());
	text = json_dumps(proc, JSON_COMPACT);
	json_decref(proc);
	if (!text) {
		moat_err_set(e, ENOMEM, "process");
		return NULL;
	}
	if (spec_process_parse(text, strlen(text), sp, e)) {
		moat_err_wrap(e, "process");
		free(text);
		return NULL;
	}
	*tty = (*sp)->process.terminal;
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
static int exec_submit(int dir_fd, const char *json, const int *fds,
		       size_t nfds, unsigned long *pid, struct moat_err **e)
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
	*conn = exec_submit(dir_fd, json, fds, nfds, pid, e);
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

int cli_exec(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e)
{
	struct exec_opts o = { .env = json_array(),
			       .gids = json_array(),
			       .caps = json_array() };
	struct state_handle h = STATE_HANDLE_INIT;
	struct spec *sp = NULL;
	char *json = NULL, report[MOAT_ERR_MSG_MAX + 16];
	int conn, sigfd, tty_fd, sync[2] = { -1, -1 }, r = -1;
	unsigned long pid;
	struct state s;
	bool tty = false, have_state = false;
	pid_t child;
	ssize_t n;

	if (exec_opts_parse(argc, argv, &o, e) ||
	    cli_live_container(ctx, o.id,
			       CLI_ST(STATE_RUNNING) | CLI_ST(STATE_CREATED),
			       &h, &s, e))
		goto out;
	have_state = true;
	json = exec_process(&s, &o, &tty, &sp, e);
	if (!json)
		goto out;
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
	json_decref(o.env);
	json_decref(o.gids);
	json_decref(o.caps);
	return r;
}
