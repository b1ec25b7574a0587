/*
 * ps.c: `moat ps [--format table|json] ID` (runc's ps): the container's
 * processes, asked of the agent through the shim. Their pids are the
 * guest's (the processes live in the VM, not on the host): json prints
 * them as an array, table as a PID column. Extra `ps` options after ID
 * are refused: there is no host ps to give them to.
 * Input: argv; the shim's answer (numbers only are taken from it).
 */
#include "cli.h"
#include "../runtime/shimctl.h"
#include "../runtime/state.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_open_state(struct cli_ctx *ctx, const char *id, struct state_handle *h,
		   struct state *s, struct moat_err **e)
{
	if (state_open(ctx->root, id, false, h, e))
		return -1;
	if (state_read(h, s, e)) {
		state_close(h);
		return -1;
	}
	return 0;
}

int cli_live_container(struct cli_ctx *ctx, const char *id, unsigned accept,
		       struct state_handle *h, struct state *s,
		       struct moat_err **e)
{
	enum state_status st;
	struct state mine;

	if (!s)
		s = &mine;
	if (state_id_check(id, e) || cli_open_state(ctx, id, h, s, e))
		return -1;
	st = state_status_of(s);
	if (accept & CLI_ST(st)) {
		if (s == &mine)
			state_clear(s);
		return 0;
	}
	state_clear(s);
	state_close(h);
	return cli_refuse(ctx, id, st, e);
}

int cli_ps(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct state_handle h = STATE_HANDLE_INIT;
	static struct shimmsg_reply out;
	const struct shimmsg_req ps = { .verb = SHIMMSG_PS };
	const char *format = "table";
	uint32_t i;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+f:", opts, NULL)) != -1) {
		if (c == 'f') {
			format = optarg;
			continue;
		}
		return moat_err_set(e, 0, "unknown option %s",
				    argv[optind - 1]);
	}
	if (strcmp(format, "table") && strcmp(format, "json"))
		return moat_err_set(e, 0, "--format %s: want table or json",
				    format);
	if (cli_nargs(argc, argv, optind, 1, 1, e) ||
	    cli_live_container(ctx, argv[optind], CLI_LIVE, &h, NULL, e))
		return -1;
	c = shimctl_request(h.dir_fd, &ps, 10000, &out, e);
	state_close(&h);
	if (c)
		return moat_err_wrap(e, "container %s", argv[optind]);
	printf(strcmp(format, "json") ? "PID\n" : "[");
	for (i = 0; i < out.npids; i++) {
		if (strcmp(format, "json"))
			printf("%u\n", out.pids[i]);
		else
			printf("%s%u", i ? "," : "", out.pids[i]);
	}
	if (!strcmp(format, "json"))
		printf("]\n");
	return fflush(stdout) ? moat_err_set(e, errno, "stdout") : 0;
}
