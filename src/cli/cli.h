/*
 * cli.h: the moat command line's shared parts.
 *
 *   main.c      global options, the command table, printing the error
 *   log.c       --log / --log-format / --debug
 *   <verb>.c    one file per verb (spec.c, state.c, ...); hooks.c runs the
 *               OCI hooks for create, start and delete
 *
 * Inputs: argv, from the engine (podman/conmon, containerd, docker) or a
 * user, in runc's syntax. Each verb returns 0 or a negative value with *e
 * set; main() prints the error once and exits 1 (or ctx->fail_status: exec's
 * runtime errors exit 255, as runc's do).
 */
#ifndef MOAT_CLI_CLI_H
#define MOAT_CLI_CLI_H

#include "../common/err.h"
#include "../runtime/spec.h"
#include "../runtime/state.h"

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#define MOAT_VERSION "0.1.0-dev"
#define CLI_DEFAULT_ROOT "/run/moat"

enum cli_log_format {
	CLI_LOG_TEXT,
	CLI_LOG_JSON,
};

/* What the global options say. */
struct cli_ctx {
	const char *verb;
	const char *root; /* --root */
	const char *log_path;
	enum cli_log_format log_format;
	bool debug;
	FILE *log; /* opened from log_path on first use, or NULL */
	bool log_failed;
	int fail_status; /* the exit status of an error; 0: runc's 1 */
};

struct cli_cmd {
	const char *name;
	int (*run)(struct cli_ctx *ctx, int argc, char **argv,
		   struct moat_err **e);
	const char *usage;   /* arguments, after "moat <name>" */
	const char *summary; /* one line for --help */
};

/* The verbs; argv[0] is the verb's name, options follow. */
int cli_spec(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e);
int cli_features(struct cli_ctx *ctx, int argc, char **argv,
		 struct moat_err **e);
int cli_state(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e);
int cli_list(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e);
/* list.c: print doc (taken; NULL: out of memory) on stdout as
 * json_dumps(doc, flags) writes it, and a newline; ENOMEM says what. */
struct json_t;
int cli_print_json(struct json_t *doc, size_t flags, const char *what,
		   struct moat_err **e);
int cli_delete(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e);
int cli_kill(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e);
int cli_create(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e);
int cli_start(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e);
/* ps.c: open a container's state without its lock and read it into *s
 * (the caller clears s and closes h); h is closed again on a failure. */
int cli_open_state(struct cli_ctx *ctx, const char *id, struct state_handle *h,
		   struct state *s, struct moat_err **e);
/* ps.c: open a container's state without its lock when its status is
 * one of `accept` (CLI_ST(STATE_RUNNING) | ...); *e says what it is
 * otherwise. The state read is kept in *s (the caller clears it) when s
 * is not NULL. */
#define CLI_ST(status) (1u << (status))
#define CLI_LIVE (CLI_ST(STATE_RUNNING) | CLI_ST(STATE_PAUSED))
struct state_handle;
/* main.c: set *e to runc's words for the verb ctx->verb refused on a
 * container (id) in status st ("container not running", ...: engines
 * parse them); returns -1. */
int cli_refuse(const struct cli_ctx *ctx, const char *id, enum state_status st,
	       struct moat_err **e);
int cli_live_container(struct cli_ctx *ctx, const char *id, unsigned accept,
		       struct state_handle *h, struct state *s,
		       struct moat_err **e);
/* hooks.c: run the container's hooks of kind k with its state (status
 * st) on stdin; with warn a failure is a warning on stderr and 0. */
int cli_hooks(struct cli_ctx *ctx, const struct spec *sp, const struct state *s,
	      enum state_status st, enum spec_hook_kind k, bool warn,
	      struct moat_err **e);
int cli_update(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e);
int cli_events(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e);
int cli_exec(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e);
int cli_ps(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e);
int cli_pause(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e);
int cli_resume(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e);
/* run returns the container's exit status (>= 0) when not detached. */
int cli_run(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e);

/* create.c: what create and run share. */
struct term_relay;
struct cli_create {
	const char *id;
	const char *bundle;	    /* --bundle, default "." */
	const char *pid_file;	    /* --pid-file, or NULL */
	const char *console_socket; /* --console-socket, or NULL */
	const char *pidfd_socket;   /* --pidfd-socket, or NULL */
	bool detach;		    /* run --detach */
	bool keep;		    /* run --keep: no delete at the end */
	bool foreground;	    /* the shim stays our child (run) */
	/* run in the foreground: the relay through which a container with
	 * process.terminal gets moat's own terminal (opened by create,
	 * which reads the config; its slave goes to the shim) */
	struct term_relay *relay;
};

/* Parse create's options (and run's --detach, --keep and
 * --no-subreaper when run). */
int cli_create_opts(int argc, char **argv, struct cli_create *o, bool run,
		    struct moat_err **e);
/*
 * Create the container: record it, start its shim, wait until the
 * container is created in its VM, record it created. *shim_pid is the
 * shim's pid. On failure nothing is left behind.
 */
/* Write pid into path atomically (a temporary file renamed), for
 * --pid-file. */
int cli_pid_file(const char *path, pid_t pid, struct moat_err **e);
int cli_create_container(struct cli_ctx *ctx, const struct cli_create *o,
			 pid_t *shim_pid, struct moat_err **e);
/* start.c: start a created container through its shim. */
int cli_start_container(struct cli_ctx *ctx, const char *id,
			struct moat_err **e);

/*
 * A verb's option parsing: whether argv asks for --help/-h (then the verb
 * prints its usage and returns 0). Shared so every verb answers -h.
 */
bool cli_wants_help(int argc, char **argv);
void cli_usage(FILE *f, const char *verb);

/* Check that exactly n positional arguments follow the options (optind
 * from getopt); sets *e ("usage: moat kill ID [SIGNAL]") otherwise. */
int cli_nargs(int argc, char **argv, int first, int min, int max,
	      struct moat_err **e);

/* log.c: the error line for --log, and --debug lines. */
void cli_log_error(struct cli_ctx *ctx, const char *msg);
void cli_log_debug(struct cli_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cli_log_close(struct cli_ctx *ctx);

#endif
