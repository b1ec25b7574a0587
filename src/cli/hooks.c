/*
 * hooks.c: the CLI's side of OCI hooks (src/runtime/hooks.h): which verb
 * runs which hooks, with what state, and which failures only warn.
 *   create: prestart, createRuntime, createContainer (status creating);
 *           a failure fails create, which leaves nothing behind
 *   start:  startContainer (created) fails start; poststart (running)
 *           only warns
 *   delete: poststop (stopped) only warns, after the state is gone
 * Input: the config saved in the state directory at create.
 */
#include "cli.h"
#include "../runtime/hooks.h"
#include "../runtime/state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

int cli_hooks(struct cli_ctx *ctx, const struct spec *sp, const struct state *s,
	      enum state_status st, enum spec_hook_kind k, bool warn,
	      struct moat_err **e)
{
	struct moat_err *he = NULL;
	char *json;
	int r;

	if (!sp || !sp->nhooks[k])
		return 0;
	json = state_oci_json(s, st, SPEC_VERSION_OUT, false);
	if (!json)
		return moat_err_set(e, ENOMEM, "hooks");
	cli_log_debug(ctx, "hooks.%s: %zu to run", spec_hook_names[k],
		      sp->nhooks[k]);
	r = hooks_run(sp, k, json, &he);
	free(json);
	if (!r)
		return 0;
	if (!warn) {
		*e = he;
		return -1;
	}
	fprintf(stderr, "moat: %s: warning: %s\n", ctx->verb, he->msg);
	cli_log_debug(ctx, "warning: %s", he->msg);
	moat_err_free(&he);
	return 0;
}
