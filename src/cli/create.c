/*
 * create.c: `moat create [OPTIONS] ID` (runtime-spec runtime.md "Create"):
 * check the bundle's config.json, record the container (phase creating,
 * under its lock), start its shim (moat-shim, found as $MOAT_SHIM or next
 * to this binary) and wait for the shim to say the container is created
 * in its VM; then record phase created with the shim's pid, and write
 * --pid-file. The shim is detached (setsid, double fork) so that it is
 * reparented to the caller's subreaper (conmon, containerd-shim) and
 * inherits this process's stdin, stdout and stderr, which it relays. On
 * any failure nothing is left: no shim, no VM, no state directory.
 *
 * cli_create_container() is shared with `run` (run.c), which keeps the
 * shim as its own child unless --detach.
 * Options: --bundle/-b DIR (default .), --pid-file FILE; --no-pivot and
 * --no-new-keyring are accepted and mean nothing in a VM;
 * --console-socket SOCK (terminal: true) is handed to the shim, which sends
 * the terminal's master there (as runc, refused when the container has no
 * terminal or `run` stays in the foreground); --preserve-fds other than 0
 * is refused (a host fd cannot cross into the VM);
 * --pidfd-socket SOCK gets a pidfd of the shim (the container's process
 * for the engine), as runc sends one of its init. `run` adds --detach/-d,
 * --keep and --no-subreaper (moat run waits for its own child, the shim:
 * there is nothing to reap). A foreground `run` of a container with a
 * terminal and no console socket lends it moat's own terminal: the pty's
 * slave goes to the shim as --tty-fd (run.c relays the master).
 * config.json is parsed once, here: the hooks create runs use that
 * struct, and the document built from it (spec_save) goes into the state
 * directory for the shim and for the hooks of later verbs.
 * Input: argv, config.json, the shim's one-line report on a pipe.
 */
#include "cli.h"
#include "../proto/syncmsg.h"
#include "../common/cleanup.h"
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CLI_CREATE_TIMEOUT_MS 300000 /* the shim has its own, shorter */
#define CLI_SHIM_SYNC_FD 3
#define CLI_SHIM_TTY_FD 4

/* The shim binary: $MOAT_SHIM, else moat-shim beside /proc/self/exe. */
static int cli_shim_path(char *out, size_t cap, struct moat_err **e)
{
	const char *env = getenv("MOAT_SHIM");
	char self[PATH_MAX], *slash;
	ssize_t n;

	if (env && *env) {
		if ((size_t)snprintf(out, cap, "%s", env) >= cap)
			return moat_err_set(e, ENAMETOOLONG, "MOAT_SHIM");
	} else {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n < 0)
			return moat_err_set(e, errno, "/proc/self/exe");
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash)
			*slash = '\0';
		if ((size_t)snprintf(out, cap, "%s/moat-shim", self) >= cap)
			return moat_err_set(e, ENAMETOOLONG, "moat-shim");
	}
	if (access(out, X_OK) < 0)
		return moat_err_set(e, errno, "shim %s", out);
	return 0;
}

/* The config's annotations into the record s. */
static int cli_annotations(struct state *s, const struct spec *sp,
			   struct moat_err **e)
{
	size_t i;

	for (i = 0; i < sp->nannotations; i++)
		if (state_annotation_add(s, sp->annotations[i].key,
					 sp->annotations[i].value, e))
			return -1;
	return 0;
}

/* Write pid to path atomically (tmp + rename), as runc does. */
int cli_pid_file(const char *path, pid_t pid, struct moat_err **e)
{
	char tmp[PATH_MAX];
	FILE *f;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp))
		return moat_err_set(e, ENAMETOOLONG, "--pid-file");
	f = fopen(tmp, "we");
	if (!f)
		return moat_err_set(e, errno, "--pid-file %s", path);
	fprintf(f, "%d", (int)pid);
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		int err = errno;

		unlink(tmp);
		return moat_err_set(e, err, "--pid-file %s", path);
	}
	return 0;
}

/* --pidfd-socket: a pidfd of the shim (the container's process for the
 * engine: its signals go to the init, its end is the container's), as
 * runc sends one of its init. */
static int cli_pidfd_send(const char *sock, pid_t pid, struct moat_err **e)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0), r;

	if (fd < 0)
		return moat_err_set(e, errno, "--pidfd-socket: pidfd_open");
	r = term_send_fd("--pidfd-socket", sock, fd, "pidfd", e);
	close(fd);
	return r;
}

/* In the child: put the sync pipe on fd 3 (and a terminal's slave on fd
 * 4) and run the shim. */
static void __attribute__((noreturn))
cli_exec_shim(const char *shim, const char *root, const char *id,
	      const char *bundle, const char *console, int sync_fd, int tty_fd)
{
	char fdnum[16], ttynum[16];
	const char *argv[16] = { shim,	     "--root", root,	    "--id", id,
				 "--bundle", bundle,   "--sync-fd", fdnum };
	size_t n = 9;
	sigset_t none;
	int s, t = -1;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* out of the way of 3 and 4 first: dup2 then clears FD_CLOEXEC */
	s = fcntl(sync_fd, F_DUPFD_CLOEXEC, 10);
	if (tty_fd >= 0)
		t = fcntl(tty_fd, F_DUPFD_CLOEXEC, 10);
	if (s < 0 || dup2(s, CLI_SHIM_SYNC_FD) < 0 ||
	    (tty_fd >= 0 && (t < 0 || dup2(t, CLI_SHIM_TTY_FD) < 0)))
		_exit(127);
	snprintf(fdnum, sizeof(fdnum), "%d", CLI_SHIM_SYNC_FD);
	snprintf(ttynum, sizeof(ttynum), "%d", CLI_SHIM_TTY_FD);
	if (console) {
		argv[n++] = "--console-socket";
		argv[n++] = console;
	}
	if (tty_fd >= 0) {
		argv[n++] = "--tty-fd";
		argv[n++] = ttynum;
	}
	argv[n] = NULL;
	execv(shim, (char *const *)argv);
	_exit(127);
}

/*
 * The terminal options as runc checks them: a container with a terminal
 * that moat does not stay with needs a console socket; a console socket
 * is refused unless moat detaches and the container has a terminal. A
 * foreground run of a container with a terminal gets moat's own (o->relay).
 */
static int cli_create_terminal(const struct cli_create *o,
			       const struct spec *sp, struct moat_err **e)
{
	bool tty = sp->process.terminal;

	if (tty && !o->foreground && !o->console_socket)
		return moat_err_set(e, 0,
				    "process.terminal: true needs "
				    "--console-socket (the terminal's master "
				    "is sent there)");
	if (o->console_socket && (o->foreground || !tty))
		return moat_err_set(e, 0,
				    "cannot use console socket if moat will "
				    "not detach or allocate tty");
	if (tty && o->foreground)
		return term_relay_open(o->relay, sp->process.console_height,
				       sp->process.console_width, e);
	return 0;
}

/*
 * Read the shim's report into buf: until EOF, or with stop_at_pid until a
 * whole "pid <pid>\n" line (the shim waits for the hooks then).
 */
static void cli_read_sync(int fd, char *buf, size_t cap, bool stop_at_pid)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct syncmsg m;
	size_t got = 0;
	ssize_t n;
	int r;

	for (;;) {
		r = poll(&p, 1, CLI_CREATE_TIMEOUT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n = read(fd, buf + got, cap - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == cap - 1)
			break;
		if (stop_at_pid &&
		    syncmsg_decode(buf, got, &m) != SYNCMSG_ESHORT &&
		    m.kind == SYNCMSG_PID)
			break;
	}
	buf[got] = '\0';
}

int cli_create_container(struct cli_ctx *ctx, const struct cli_create *o,
			 pid_t *shim_pid, struct moat_err **e)
{
	struct state_handle h = STATE_HANDLE_INIT;
	char shim[PATH_MAX], bundle[PATH_MAX], cfg[PATH_MAX + 16];
	char report[MOAT_ERR_MSG_MAX + 64], go[8];
	const struct syncmsg go_msg = { .kind = SYNCMSG_GO };
	struct syncmsg m;
	int sync[2] = { -1, -1 }, status, r, n;
	struct spec *sp = NULL;
	struct state s;
	pid_t child, pid = 0;
	int tty_fd;

	*shim_pid = 0;
	if (state_id_check(o->id, e))
		return -1;
	if (!realpath(o->bundle, bundle))
		return moat_err_set(e, errno, "bundle %s", o->bundle);
	snprintf(cfg, sizeof(cfg), "%s/config.json", bundle);
	if (spec_load(cfg, &sp, e))
		return -1;
	if (cli_shim_path(shim, sizeof(shim), e) ||
	    cli_create_terminal(o, sp, e)) {
		spec_free(sp);
		return -1;
	}
	tty_fd = sp->process.terminal && o->foreground ? o->relay->slave : -1;
	memset(&s, 0, sizeof(s));
	snprintf(s.id, sizeof(s.id), "%s", o->id);
	s.phase = STATE_CREATING;
	snprintf(s.bundle, sizeof(s.bundle), "%s", bundle);
	if (sp->root_path[0] == '/')
		snprintf(s.rootfs, sizeof(s.rootfs), "%s", sp->root_path);
	else
		snprintf(s.rootfs, sizeof(s.rootfs), "%.2048s/%.2040s", bundle,
			 sp->root_path);
	state_now_rfc3339(s.created, sizeof(s.created));
	s.owner = (uint32_t)getuid();
	if (cli_annotations(&s, sp, e) || state_create(ctx->root, &s, &h, e)) {
		state_clear(&s);
		spec_free(sp);
		return -1;
	}
	cli_log_debug(ctx, "create %s: shim %s, bundle %s", o->id, shim,
		      bundle);
	/* The config as validated: the shim reads it, and the hooks of
	 * start and delete come from it. */
	if (spec_save(h.dir_fd, STATE_CONFIG, sp, e))
		goto fail;
	/* A socket: the shim says "pid", `moat create` answers "go" after
	 * the first hooks, the shim reports how creating went. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync) < 0) {
		moat_err_set(e, errno, "socketpair");
		goto fail;
	}
	fflush(NULL);
	child = fork();
	if (child < 0) {
		moat_err_set(e, errno, "fork");
		goto fail;
	}
	if (child == 0) {
		close(sync[0]);
		/* run: a session of its own, so that a terminal's SIGINT
		 * reaches the container once, forwarded by moat, and the
		 * shim may read and write moat's terminal (the container's
		 * stdio) without being stopped as a background job. */
		if (o->foreground && setsid() >= 0)
			cli_exec_shim(shim, ctx->root, o->id, bundle,
				      o->console_socket, sync[1], tty_fd);
		if (o->foreground)
			_exit(127);
		/* Detach: a new session, and a grandchild that the caller's
		 * subreaper (or init) inherits. */
		setsid();
		child = fork();
		if (child == 0)
			cli_exec_shim(shim, ctx->root, o->id, bundle,
				      o->console_socket, sync[1], -1);
		_exit(child < 0 ? 1 : 0);
	}
	close(sync[1]);
	sync[1] = -1;
	if (!o->foreground)
		while (waitpid(child, &status, 0) < 0 && errno == EINTR)
			;
	/* "pid <pid>": the shim is in the container's network namespace
	 * and waits; the prestart and createRuntime hooks run now, before
	 * the VM exists, as runc runs them before the container's program
	 * (docker's libnetwork sets the network up from its prestart hook,
	 * and the shim carries it to the VM after). */
	cli_read_sync(sync[0], report, sizeof(report), true);
	r = syncmsg_decode(report, strlen(report), &m);
	if (m.kind == SYNCMSG_PID) {
		if (r) {
			moat_err_set(e, 0, "the shim's report is malformed");
			goto fail;
		}
		pid = m.pid;
		s.pid = pid;
		if (state_proc_start(pid, &s.pid_start) < 0) {
			moat_err_set(e, errno, "the shim (pid %d)", (int)pid);
			goto fail;
		}
		if (cli_hooks(ctx, sp, &s, STATE_CREATING, SPEC_HOOK_PRESTART,
			      false, e) ||
		    cli_hooks(ctx, sp, &s, STATE_CREATING,
			      SPEC_HOOK_CREATE_RUNTIME, false, e))
			goto fail;
		n = syncmsg_encode(go, sizeof(go), &go_msg);
		if (send(sync[0], go, (size_t)n, MSG_NOSIGNAL) != n) {
			moat_err_set(e, errno, "the shim");
			goto fail;
		}
		cli_read_sync(sync[0], report, sizeof(report), false);
		r = syncmsg_decode(report, strlen(report), &m);
	}
	close(sync[0]);
	sync[0] = -1;
	if (m.kind != SYNCMSG_OK) {
		if (m.kind == SYNCMSG_ERROR)
			moat_err_set(e, 0, "%.*s", (int)m.text_len, m.text);
		else
			moat_err_set(e, 0, "the shim failed to start (%s)",
				     shim);
		if (o->foreground)
			while (waitpid(child, &status, 0) < 0 && errno == EINTR)
				;
		goto fail;
	}
	if (r || m.pid != pid || !pid) {
		moat_err_set(e, 0, "the shim's report is malformed");
		goto fail;
	}
	s.phase = STATE_CREATED;
	if (cli_hooks(ctx, sp, &s, STATE_CREATING, SPEC_HOOK_CREATE_CONTAINER,
		      false, e))
		goto fail;
	if (state_write(&h, &s, e) ||
	    (o->pid_file && cli_pid_file(o->pid_file, pid, e)) ||
	    (o->pidfd_socket && cli_pidfd_send(o->pidfd_socket, pid, e)))
		goto fail;
	spec_free(sp);
	state_close(&h);
	state_clear(&s);
	*shim_pid = pid;
	return 0;
fail:
	if (pid > 0) {
		struct moat_err *e2 = NULL;

		state_signal(&s, SIGKILL, 10000, &e2);
		moat_err_free(&e2);
		if (o->foreground)
			waitpid(pid, &status, 0);
	}
	if (sync[0] >= 0)
		close(sync[0]);
	if (sync[1] >= 0)
		close(sync[1]);
	{
		struct moat_err *e2 = NULL;

		/* The lifecycle goes on at "delete": poststop runs, as for
		 * any container that stops (runtime-spec steps 12, 13). */
		if (state_destroy(ctx->root, &h, &e2) == 0)
			cli_hooks(ctx, sp, &s, STATE_STOPPED,
				  SPEC_HOOK_POSTSTOP, true, &e2);
		moat_err_free(&e2);
	}
	state_close(&h);
	state_clear(&s);
	spec_free(sp);
	return -1;
}

int cli_create_opts(int argc, char **argv, struct cli_create *o, bool run,
		    struct moat_err **e)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "pid-file", required_argument, NULL, 'p' },
		{ "console-socket", required_argument, NULL, 'c' },
		{ "pidfd-socket", required_argument, NULL, 'f' },
		{ "preserve-fds", required_argument, NULL, 'P' },
		{ "no-pivot", no_argument, NULL, 'n' },
		{ "no-new-keyring", no_argument, NULL, 'k' },
		{ "detach", no_argument, NULL, 'd' },
		{ "keep", no_argument, NULL, 'K' },
		{ "no-subreaper", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->bundle = ".";
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+b:d", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o->bundle = optarg;
			break;
		case 'p':
			o->pid_file = optarg;
			break;
		case 'c':
			o->console_socket = optarg;
			break;
		case 'f':
			o->pidfd_socket = optarg;
			break;
		case 'P':
			if (strcmp(optarg, "0"))
				return moat_err_set(e, 0,
						    "--preserve-fds: not "
						    "supported (the process "
						    "runs in a VM)");
			break;
		case 'n': /* the guest's root is a mount: pivot_root works */
		case 'k': /* a keyring of the caller's is not in the guest */
			break;
		case 'd':
		case 'K':
		case 'S':
			if (!run)
				return moat_err_set(e, 0, "unknown option %s",
						    argv[optind - 1]);
			o->detach |= c == 'd';
			o->keep |= c == 'K';
			break;
		default:
			return moat_err_set(e, 0,
					    "unknown or incomplete option %s",
					    argv[optind - 1]);
		}
	}
	if (cli_nargs(argc, argv, optind, 1, 1, e))
		return -1;
	o->id = argv[optind];
	return 0;
}

int cli_create(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e)
{
	struct cli_create o;
	pid_t pid;

	if (cli_create_opts(argc, argv, &o, false, e))
		return -1;
	return cli_create_container(ctx, &o, &pid, e);
}
