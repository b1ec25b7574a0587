/*
 * delete.c: `moat delete [--force] ID` (runtime-spec runtime.md
 * "Delete"): remove a container's state. A stopped container is removed;
 * a created one is killed first (as runc does: it never ran); a running
 * or paused one only with --force, which kills its process (SIGKILL,
 * through a pidfd checked against the recorded start time) and waits for
 * it to die. Everything happens under the container's lock. The refusal
 * and an unknown ID say what runc says ("cannot delete container X that
 * is not stopped: running"; "... does not exist", which containerd's shim
 * takes for a container already gone).
 * Input: the ID and options from the command line.
 */
#include "cli.h"
#include "../runtime/hooks.h"
#include "../runtime/state.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>

#define CLI_DELETE_WAIT_MS 10000

int cli_delete(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct state_handle h = STATE_HANDLE_INIT;
	struct spec *hk = NULL;
	enum state_status st;
	bool force = false;
	struct state s;
	int c, r = -1;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
		if (c != 'f')
			return moat_err_set(e, 0, "unknown option %s",
					    argv[optind - 1]);
		force = true;
	}
	if (cli_nargs(argc, argv, optind, 1, 1, e))
		return -1;
	/* As runc: deleting a container that does not exist is an error,
	 * but not with --force (engines clean up after a failed create). */
	if (state_open(ctx->root, argv[optind], true, &h, e)) {
		if (force && (*e)->errnum == ENOENT) {
			moat_err_free(e);
			return 0;
		}
		return -1;
	}
	if (state_read(&h, &s, e))
		goto out;
	st = state_status_of(&s);
	cli_log_debug(ctx, "delete %s: %s", s.id, state_status_name(st));
	if ((st == STATE_RUNNING || st == STATE_PAUSED ||
	     st == STATE_CREATING) &&
	    !force) {
		moat_err_set(e, 0,
			     "cannot delete container %s that is not "
			     "stopped: %s",
			     s.id, state_status_name(st));
		goto out;
	}
	if (st != STATE_STOPPED && s.pid > 0 &&
	    state_signal(&s, SIGKILL, CLI_DELETE_WAIT_MS, e) &&
	    (*e)->errnum != ESRCH)
		goto out;
	moat_err_free(e);
	if (hooks_load_config(h.dir_fd, &hk, e)) {
		/* never a reason to keep a container: no poststop then */
		fprintf(stderr, "moat: delete: warning: %s\n", (*e)->msg);
		moat_err_free(e);
	}
	r = state_destroy(ctx->root, &h, e);
	if (!r)
		cli_hooks(ctx, hk, &s, STATE_STOPPED, SPEC_HOOK_POSTSTOP, true,
			  e);
out:
	spec_free(hk);
	state_clear(&s);
	state_close(&h);
	return r;
}
