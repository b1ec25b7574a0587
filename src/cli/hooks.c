/*
 * hooks.c: the CLI's side of OCI hooks (src/runtime/hooks.h): which verb
 * runs which hooks, with what state, and which failures only warn.
 *   create: prestart, createRuntime, createContainer (status creating);
 *           a failure fails create, which leaves nothing behind; a
 *           failed create runs poststop (stopped) after the state is
 *           gone (runtime-spec lifecycle steps 12, 13; runc's destroy
 *           does the same)
 *   start:  startContainer (created) fails start; poststart (running)
 *           only warns
 *   delete: poststop (stopped) only warns, after the state is gone
 * A hook of a phase that only warns is a warning on stderr when it fails,
 * and the hooks after it run (runtime-spec config.md).
 * Input: the config saved in the state directory at create.
 */
#include "cli.h"
#include "../runtime/hooks.h"
#include "../runtime/state.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* A failed hook of a phase that goes on: said, once, on stderr. */
static void cli_hooks_warn(void *arg, const char *msg)
{
	struct cli_ctx *ctx = arg;

	fprintf(stderr, "moat: %s: warning: %s\n", ctx->verb, msg);
	cli_log_debug(ctx, "warning: %s", msg);
}

int cli_hooks(struct cli_ctx *ctx, const struct spec *sp, const struct state *s,
	      enum state_status st, enum spec_hook_kind k, bool warn,
	      struct moat_err **e)
{
	char *json;
	int r;

	if (!sp || !sp->nhooks[k])
		return 0;
	json = state_oci_json(s, st, SPEC_VERSION_OUT, false);
	if (!json)
		return moat_err_set(e, ENOMEM, "hooks");
	cli_log_debug(ctx, "hooks.%s: %zu to run", spec_hook_names[k],
		      sp->nhooks[k]);
	r = hooks_run(sp, k, json, warn ? cli_hooks_warn : NULL, ctx, e);
	free(json);
	return r;
}
