/*
 * main.c: moat, the OCI runtime's command line (runc's syntax): the global
 * options, the command table, and the one place where an error is printed.
 *
 * Input: argv from the engine or the user. Global options come before the
 * verb, as with runc: --root (default /run/moat), --log FILE,
 * --log-format text|json, --debug, --systemd-cgroup (accepted, ignored:
 * the container's cgroups live in its VM), --version, --help.
 * Errors: "moat: <verb>: <what>: <why>" on stderr, and with --log also as
 * a log line in --log-format (runtime-spec runtime.md "Operations": an
 * operation that fails exits non-zero). Where runc has words for an error
 * that engines parse (containerd's shim, podman: "container not running",
 * "does not exist", ...), <what> is runc's text (cli_refuse() for a verb
 * refused on a container's status; docs/design.md lists them). The exit
 * statuses are runc's: 1 for an error (exec's runtime errors 255), 3 for
 * an unknown command, run's and exec's the process's own.
 */
#include "cli.h"
#include "../runtime/spec.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_cmd cli_cmds[] = {
	{ "create", cli_create, "[--bundle DIR] [--pid-file FILE] ID",
	  "create a container in its own VM (not started yet)" },
	{ "delete", cli_delete, "[--force] ID",
	  "delete a container's state; --force kills it first" },
	{ "events", cli_events, "[--stats] [--interval 5s] ID",
	  "print a container's resource use (and OOM kills) as JSON" },
	{ "exec", cli_exec,
	  "[--process FILE] [-t] [-d] [--pid-file FILE] [--console-socket "
	  "SOCK] [--cwd DIR] [--env K=V] [--user UID[:GID]] ID [COMMAND...]",
	  "run a process in a running container" },
	{ "features", cli_features, "",
	  "print the OCI features document (JSON)" },
	{ "kill", cli_kill, "ID [SIGNAL]",
	  "send a signal (default SIGTERM) to a container's init" },
	{ "list", cli_list, "[-q] [--format table|json]",
	  "list the containers under --root" },
	{ "pause", cli_pause, "ID", "pause (freeze) a container's processes" },
	{ "ps", cli_ps, "[--format table|json] ID [PS OPTIONS]",
	  "list a container's processes (their pids in the guest)" },
	{ "resume", cli_resume, "ID", "resume a paused container" },
	{ "run", cli_run, "[--bundle DIR] [--pid-file FILE] [--detach] ID",
	  "create and start a container; without --detach, wait for it" },
	{ "spec", cli_spec, "[--bundle DIR]",
	  "write a default config.json into the bundle" },
	{ "start", cli_start, "ID", "start a created container" },
	{ "state", cli_state, "ID", "print a container's OCI state (JSON)" },
	{ "update", cli_update,
	  "[--memory N] [--memory-swap N] [--cpu-quota N] [--cpu-period N] "
	  "[--cpu-share N] [--pids-limit N] [--resources FILE] ID",
	  "change a running container's resources" },
};

#define CLI_NCMDS (sizeof(cli_cmds) / sizeof(cli_cmds[0]))
#define CLI_EXIT_UNKNOWN 3 /* runc's (urfave/cli's) for an unknown command */

static const struct cli_cmd *cli_find(const char *name)
{
	size_t i;

	for (i = 0; i < CLI_NCMDS; i++)
		if (!strcmp(cli_cmds[i].name, name))
			return &cli_cmds[i];
	return NULL;
}

void cli_usage(FILE *f, const char *verb)
{
	const struct cli_cmd *c = cli_find(verb);

	if (c)
		fprintf(f, "usage: moat [GLOBAL OPTIONS] %s%s%s\n  %s\n",
			c->name, *c->usage ? " " : "", c->usage, c->summary);
}

bool cli_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	}
	return false;
}

int cli_nargs(int argc, char **argv, int first, int min, int max,
	      struct moat_err **e)
{
	const struct cli_cmd *c = cli_find(argv[0]);
	int n = argc - first;

	if (n >= min && n <= max)
		return 0;
	return moat_err_set(e, 0, "%s; usage: moat %s %s",
			    n < min ? "missing arguments"
				    : "too many arguments",
			    argv[0], c ? c->usage : "");
}

/* runc's words for a verb refused on a container's status (its
 * libcontainer errors and its verbs' own), in the order they are tried:
 * status CLI_ANY matches any; what follows head is nothing, the ID or the
 * status's name, then tail. */
#define CLI_ANY (-1)
enum cli_refusal_arg { CLI_R_NONE, CLI_R_ID, CLI_R_STATUS };
static const struct cli_refusal {
	const char *verb;
	int status;
	const char *head;
	enum cli_refusal_arg arg;
	const char *tail;
} cli_refusals[] = {
	{ "kill", CLI_ANY, "container not running", CLI_R_NONE, "" },
	{ "pause", CLI_ANY, "container not running", CLI_R_NONE, "" },
	{ "update", CLI_ANY, "container not running", CLI_R_NONE, "" },
	{ "resume", CLI_ANY, "container not paused", CLI_R_NONE, "" },
	{ "events", CLI_ANY, "container with id ", CLI_R_ID,
	  " is not running" },
	{ "start", STATE_STOPPED, "cannot start a container that has stopped",
	  CLI_R_NONE, "" },
	{ "start", STATE_RUNNING, "cannot start an already running container",
	  CLI_R_NONE, "" },
	{ "start", CLI_ANY, "cannot start a container in the ", CLI_R_STATUS,
	  " state" },
	{ "exec", STATE_PAUSED,
	  "cannot exec in a paused container (use --ignore-paused to "
	  "override)",
	  CLI_R_NONE, "" },
	{ "exec", STATE_STOPPED, "cannot exec in a stopped container",
	  CLI_R_NONE, "" },
};

int cli_refuse(const struct cli_ctx *ctx, const char *id, enum state_status st,
	       struct moat_err **e)
{
	const char *name = state_status_name(st);
	const struct cli_refusal *f;
	size_t i;

	for (i = 0; i < sizeof(cli_refusals) / sizeof(cli_refusals[0]); i++) {
		f = &cli_refusals[i];
		if (strcmp(f->verb, ctx->verb) ||
		    (f->status != CLI_ANY && f->status != (int)st))
			continue;
		return moat_err_set(e, 0, "%s%s%s", f->head,
				    f->arg == CLI_R_ID	     ? id
				    : f->arg == CLI_R_STATUS ? name
							     : "",
				    f->tail);
	}
	return moat_err_set(e, 0, "container %s is %s", id, name);
}

static void cli_help(FILE *f)
{
	size_t i;

	fprintf(f, "moat: an OCI container runtime that runs each container in "
		   "its own KVM VM\n\n"
		   "usage: moat [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n\n"
		   "commands:\n");
	for (i = 0; i < CLI_NCMDS; i++)
		fprintf(f, "  %-9s %s\n", cli_cmds[i].name,
			cli_cmds[i].summary);
	fprintf(f,
		"\nglobal options:\n"
		"  --root DIR             state directory (default " CLI_DEFAULT_ROOT
		")\n"
		"  --log FILE             write log lines (errors, --debug) to "
		"FILE\n"
		"  --log-format FORMAT    text (default) or json\n"
		"  --debug                also log debug lines\n"
		"  --systemd-cgroup       accepted for runc compatibility; "
		"ignored\n"
		"  --version, -v          print the version\n"
		"  --help, -h             print this help (also: moat help "
		"[COMMAND])\n");
}

static void cli_version(void)
{
	printf("moat version %s\nspec: %s (accepts %s to %s)\n", MOAT_VERSION,
	       SPEC_VERSION_OUT, SPEC_VERSION_MIN, SPEC_VERSION_MAX);
}

enum {
	CLI_OPT_ROOT = 256,
	CLI_OPT_LOG,
	CLI_OPT_LOG_FORMAT,
	CLI_OPT_DEBUG,
	CLI_OPT_SYSTEMD_CGROUP,
};

/* Parse the global options into ctx; returns the index of the verb, 0
 * when the run is over (help, version), or -1 with *e set. */
static int cli_globals(int argc, char **argv, struct cli_ctx *ctx,
		       struct moat_err **e)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, CLI_OPT_ROOT },
		{ "log", required_argument, NULL, CLI_OPT_LOG },
		{ "log-format", required_argument, NULL, CLI_OPT_LOG_FORMAT },
		{ "debug", no_argument, NULL, CLI_OPT_DEBUG },
		{ "systemd-cgroup", no_argument, NULL, CLI_OPT_SYSTEMD_CGROUP },
		{ "version", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
		switch (c) {
		case CLI_OPT_ROOT:
			if (!*optarg)
				return moat_err_set(
					e, 0, "--root: must not be empty");
			ctx->root = optarg;
			break;
		case CLI_OPT_LOG:
			ctx->log_path = optarg;
			break;
		case CLI_OPT_LOG_FORMAT:
			if (!strcmp(optarg, "text"))
				ctx->log_format = CLI_LOG_TEXT;
			else if (!strcmp(optarg, "json"))
				ctx->log_format = CLI_LOG_JSON;
			else
				return moat_err_set(e, 0,
						    "--log-format: \"%s\" is "
						    "not text or json",
						    optarg);
			break;
		case CLI_OPT_DEBUG:
			ctx->debug = true;
			break;
		case CLI_OPT_SYSTEMD_CGROUP:
			break;
		case 'v':
			cli_version();
			return 0;
		case 'h':
			cli_help(stdout);
			return 0;
		default:
			if (optopt && optopt < 256)
				return moat_err_set(e, 0, "unknown option -%c",
						    optopt);
			return moat_err_set(e, 0,
					    "unknown or incomplete option %s",
					    argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		cli_help(stdout); /* as runc: no command is a help */
		return 0;
	}
	return optind;
}

int main(int argc, char **argv)
{
	struct cli_ctx ctx = { .verb = "moat", .root = CLI_DEFAULT_ROOT };
	const struct cli_cmd *cmd = NULL;
	struct moat_err *e = NULL;
	char msg[MOAT_ERR_MSG_MAX + 64];
	int first, r;

	first = cli_globals(argc, argv, &ctx, &e);
	if (first == 0)
		return 0;
	if (first > 0 && !strcmp(argv[first], "help")) {
		/* runc's help [COMMAND] */
		if (first + 1 >= argc) {
			cli_help(stdout);
			return 0;
		}
		first++;
		if (cli_find(argv[first])) {
			cli_usage(stdout, argv[first]);
			return 0;
		}
	}
	if (first > 0) {
		cmd = cli_find(argv[first]);
		ctx.verb = argv[first];
		if (!cmd) {
			ctx.verb = "moat";
			ctx.fail_status = CLI_EXIT_UNKNOWN;
			moat_err_set(&e, 0,
				     "unknown command \"%s\" (moat --help "
				     "lists them)",
				     argv[first]);
		}
	}
	if (cmd) {
		cli_log_debug(&ctx, "%s: root %s", cmd->name, ctx.root);
		if (cli_wants_help(argc - first, argv + first)) {
			cli_usage(stdout, cmd->name);
			r = 0;
		} else {
			optind = 0; /* glibc: reinitialize for the verb */
			r = cmd->run(&ctx, argc - first, argv + first, &e);
		}
		if (r >= 0) {
			cli_log_close(&ctx);
			if (fflush(stdout) == EOF) {
				fprintf(stderr, "moat: %s: write: %s\n",
					ctx.verb, strerror(errno));
				return 1;
			}
			/* run: the container's exit status */
			return r > 255 ? 255 : r;
		}
	}
	if (!strcmp(ctx.verb, "moat"))
		snprintf(msg, sizeof(msg), "moat: %s",
			 e ? e->msg : "out of memory while reporting an error");
	else
		moat_err_format(ctx.verb, e, msg, sizeof(msg));
	fflush(stdout);
	fprintf(stderr, "%s\n", msg);
	cli_log_error(&ctx, msg);
	cli_log_close(&ctx);
	moat_err_free(&e);
	return ctx.fail_status ? ctx.fail_status : 1;
}
