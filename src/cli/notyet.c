/*
 * notyet.c: the verbs that are in the command table but not implemented
 * yet (exec, ps, pause, resume, update, events: they need more of the
 * shim). Each fails plainly, with exit status 1,
 * rather than pretending: "moat: <verb>: not implemented yet".
 * Input: argv (ignored).
 */
#include "cli.h"

int cli_notyet(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e)
{
	return moat_err_set(e, 0, "not implemented yet");
}
