/*
 * kill.c: `moat kill ID [SIGNAL]` (runtime-spec runtime.md "Kill"): send
 * SIGNAL (default SIGTERM; a name with or without SIG, or a number) to the
 * container's init, which must be created, running or paused. The
 * request goes to the container's shim (shim.sock), which has the agent
 * send it in the VM; --all signals every process of the container. A
 * container without a shim socket (recorded by hand, as the host tests
 * do) is signalled directly, through a pidfd checked against the recorded
 * start time, so a reused PID is never signalled.
 * Input: the ID, signal and options from the command line.
 */
#include "cli.h"
#include "../runtime/shimctl.h"
#include "../runtime/signame.h"
#include "../runtime/state.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

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
	char req[64];
	bool all = false;
	int c, sig, r = -1;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "a", opts, NULL)) != -1) {
		if (c == 'a') {
			all = true;
			continue;
		}
		return moat_err_set(e, 0, "unknown option %s",
				    argv[optind - 1]);
	}
	if (cli_nargs(argc, argv, optind, 1, 2, e) ||
	    state_id_check(argv[optind], e))
		return -1;
	id = argv[optind];
	if (optind + 1 < argc)
		signame = argv[optind + 1];
	sig = strcmp(signame, "0") ? signame_parse(signame) : 0;
	if (sig < 0)
		return moat_err_set(e, 0, "unknown signal \"%s\"", signame);
	if (cli_open_state(ctx, id, &h, &s, e))
		return -1;
	st = state_status_of(&s);
	cli_log_debug(ctx, "kill %s: signal %d, %s", id, sig,
		      state_status_name(st));
	snprintf(req, sizeof(req), "kill %d%s", sig, all ? " all" : "");
	if (st != STATE_CREATED && st != STATE_RUNNING && st != STATE_PAUSED) {
		if (all && st == STATE_STOPPED)
			r = 0; /* nothing left to signal */
		else
			cli_refuse(ctx, id, st, e);
	} else if (sig == 0) {
		r = 0; /* its process was found alive just now */
	} else if (shimctl_call(h.dir_fd, req, 10000, e) == 0) {
		r = 0;
	} else if (*e &&
		   ((*e)->errnum == ENOENT || (*e)->errnum == ECONNREFUSED)) {
		/* No shim listens: signal the recorded process. */
		moat_err_free(e);
		if (all)
			moat_err_set(e, 0, "--all: container %s has no shim",
				     id);
		else
			r = state_signal(&s, sig, 0, e);
	} else {
		moat_err_wrap(e, "container %s", id);
	}
	state_close(&h);
	state_clear(&s);
	return r;
}
