/*
 * pause.c: `moat pause ID` and `moat resume ID` (runtime-spec's optional
 * pause): the shim asks the agent to freeze (thaw) every process of the
 * container, with the guest's cgroup freezer, and records the phase
 * paused (running). The VM itself keeps running, as runc's host does.
 * Only a running container is paused and only a paused one resumed;
 * otherwise runc's "container not running" / "container not paused".
 * Input: argv.
 */
#include "cli.h"
#include "../runtime/shimctl.h"
#include "../runtime/state.h"

static int cli_pause_resume(struct cli_ctx *ctx, int argc, char **argv,
			    bool pause, struct moat_err **e)
{
	struct state_handle h = STATE_HANDLE_INIT;
	int r;

	if (cli_nargs(argc, argv, 1, 1, 1, e) ||
	    cli_live_container(ctx, argv[1],
			       pause ? CLI_ST(STATE_RUNNING)
				     : CLI_ST(STATE_PAUSED),
			       &h, NULL, e))
		return -1;
	r = shimctl_call(h.dir_fd, pause ? "pause" : "resume", 10000, e);
	state_close(&h);
	return r ? moat_err_wrap(e, "container %s", argv[1]) : 0;
}

int cli_pause(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e)
{
	return cli_pause_resume(ctx, argc, argv, true, e);
}

int cli_resume(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e)
{
	return cli_pause_resume(ctx, argc, argv, false, e);
}
