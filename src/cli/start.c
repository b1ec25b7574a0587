/*
 * start.c: `moat start ID` (runtime-spec runtime.md "Start"): run the
 * user's process of a created container. The shim (shim.sock) sends START
 * to the agent and records the phase running before it answers; a
 * container that is not created (never, or already started, or stopped)
 * is refused in runc's words ("cannot start a container that has
 * stopped", ...). A failing startContainer hook fails start and stops
 * the container.
 * Input: the ID from the command line.
 */
#include "cli.h"
#include "../runtime/hooks.h"
#include "../runtime/shimctl.h"
#include "../runtime/state.h"

#include <signal.h>

#define CLI_START_TIMEOUT_MS 60000
#define CLI_START_STOP_MS 10000 /* for the shim to die of SIGKILL */

/*
 * A startContainer hook failed: the container stops (runtime-spec
 * lifecycle step 9; runc's init exits there), its state stays for the
 * engine's delete, which runs poststop.
 */
static void cli_start_stop(const struct state *s)
{
	struct moat_err *e = NULL;

	state_signal(s, SIGKILL, CLI_START_STOP_MS, &e);
	moat_err_free(&e);
}

int cli_start_container(struct cli_ctx *ctx, const char *id,
			struct moat_err **e)
{
	struct state_handle h = STATE_HANDLE_INIT;
	struct spec *hk = NULL;
	enum state_status st;
	struct state s;
	int r = -1;

	if (cli_open_state(ctx, id, &h, &s, e))
		return -1;
	st = state_status_of(&s);
	cli_log_debug(ctx, "start %s: %s", id, state_status_name(st));
	if (st != STATE_CREATED)
		cli_refuse(ctx, id, st, e);
	else if (hooks_load_config(h.dir_fd, &hk, e))
		;
	else if (cli_hooks(ctx, hk, &s, STATE_CREATED,
			   SPEC_HOOK_START_CONTAINER, false, e))
		cli_start_stop(&s);
	else if (shimctl_call(h.dir_fd, "start", CLI_START_TIMEOUT_MS, e))
		moat_err_wrap(e, "container %s", id);
	else
		r = cli_hooks(ctx, hk, &s, STATE_RUNNING, SPEC_HOOK_POSTSTART,
			      true, e);
	spec_free(hk);
	state_clear(&s);
	state_close(&h);
	return r;
}

int cli_start(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e)
{
	if (cli_nargs(argc, argv, 1, 1, 1, e))
		return -1;
	return cli_start_container(ctx, argv[1], e);
}
