/*
 * state.c: `moat state ID`: the container's OCI state (runtime-spec
 * runtime.md "State", "Query State") as JSON on stdout, with the status
 * derived from what is alive (a dead process shows stopped).
 * Input: the ID from the command line (checked before any path is built).
 */
#include "cli.h"
#include "../runtime/spec.h"
#include "../runtime/state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int cli_state(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e)
{
	struct state_handle h = STATE_HANDLE_INIT;
	struct state s;
	char *text;

	if (cli_nargs(argc, argv, 1, 1, 1, e) ||
	    cli_open_state(ctx, argv[1], &h, &s, e))
		return -1;
	state_close(&h);
	text = state_oci_json(&s, state_status_of(&s), SPEC_VERSION_OUT, true);
	state_clear(&s);
	if (!text)
		return moat_err_set(e, ENOMEM, "container %s", argv[1]);
	puts(text);
	free(text);
	return 0;
}
