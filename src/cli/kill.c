/*
 * kill.c: `moat kill ID [SIGNAL]` (runtime-spec runtime.md "Kill"): send
 * SIGNAL (default SIGTERM; a name with or without SIG, or a number) to the
 * container's process, which must be created, running or paused. The
 * signal goes through a pidfd checked against the recorded start time, so
 * a reused PID is never signalled. --all is not implemented yet (it needs
 * the agent to signal every process of the container).
 * Input: the ID, signal and options from the command line.
 */
#include "cli.h"
#include "../runtime/signame.h"
#include "../runtime/state.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>

int cli_kill(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	struct state_handle h = STATE_HANDLE_INIT;
	const char *id, *signame = "SIGTERM";
	enum state_status st;
	struct state s;
	int c, sig, r = -1;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "a", opts, NULL)) != -1) {
		if (c == 'a')
			return moat_err_set(e, 0, "--all: not implemented yet");
		return moat_err_set(e, 0, "unknown option %s",
				    argv[optind - 1]);
	}
	if (cli_nargs(argc, argv, optind, 1, 2, e) ||
	    state_id_check(argv[optind], e))
		return -1;
	id = argv[optind];
	if (optind + 1 < argc)
		signame = argv[optind + 1];
	sig = signame_parse(signame);
	if (sig < 0)
		return moat_err_set(e, 0, "invalid signal \"%s\"", signame);
	if (state_open(ctx->root, id, false, &h, e))
		return -1;
	if (state_read(&h, &s, e)) {
		state_close(&h);
		return -1;
	}
	state_close(&h);
	st = state_status_of(&s);
	cli_log_debug(ctx, "kill %s: signal %d, %s", id, sig,
		      state_status_name(st));
	if (st != STATE_CREATED && st != STATE_RUNNING && st != STATE_PAUSED)
		moat_err_set(e, 0, "container %s is %s", id,
			     state_status_name(st));
	else
		r = state_signal(&s, sig, 0, e);
	state_clear(&s);
	return r;
}
