/*
 * events.c: `moat events [--stats] [--interval DURATION] ID` (runc's
 * events): the container's resource use as runc prints it, one JSON
 * object per line: {"type":"stats","id":ID,"data":{"cpu":...,"memory":
 * ...,"pids":...}}. With --stats, once; without, every interval (default
 * 5s) until the container stops, with an {"type":"oom","id":ID} line
 * whenever the agent has reported an OOM kill in the guest since the last
 * look. Figures come from the container's cgroup in its guest, through the
 * shim. A stopped container has none: runc's "container with id ID is
 * not running".
 * Input: argv; the shim's stats reply (decoded by src/proto/shimmsg.c).
 */
#include "cli.h"
#include "../runtime/shimctl.h"
#include "../runtime/state.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void events_print(const char *id, const struct shimmsg_stats *st)
{
	json_t *d = json_pack(
		"{s:{s:{s:I,s:I,s:I}},s:{s:{s:I,s:I}},s:{s:I,s:I}}", "cpu",
		"usage", "total", (json_int_t)st->cpu, "user",
		(json_int_t)st->user, "kernel", (json_int_t)st->sys, "memory",
		"usage", "usage", (json_int_t)st->mem, "limit",
		(json_int_t)st->memlimit, "pids", "current",
		(json_int_t)st->pids, "limit", (json_int_t)st->pidslimit);
	json_t *ev = json_pack("{s:s,s:s,s:o}", "type", "stats", "id", id,
			       "data", d);
	char *text = json_dumps(ev, JSON_COMPACT);

	if (text)
		puts(text);
	free(text);
	json_decref(ev);
	fflush(stdout);
}

/* "5s", "100ms", "1m", "2": milliseconds. */
static int events_interval(const char *v, long *ms)
{
	char *end;
	double n;

	errno = 0;
	n = strtod(v, &end);
	if (errno || end == v || n <= 0)
		return -1;
	if (n > 86400000.0) /* a day, in any unit: no overflow below */
		return -1;
	if (!strcmp(end, "ms"))
		*ms = (long)n;
	else if (!strcmp(end, "s") || !*end)
		*ms = (long)(n * 1000);
	else if (!strcmp(end, "m"))
		*ms = (long)(n * 60000);
	else
		return -1;
	return *ms > 0 ? 0 : -1;
}

int cli_events(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e)
{
	static const struct option opts[] = {
		{ "stats", no_argument, NULL, 's' },
		{ "interval", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	struct state_handle h = STATE_HANDLE_INIT;
	static struct shimmsg_reply out;
	const struct shimmsg_req stats = { .verb = SHIMMSG_STATS };
	uint64_t ooms = 0;
	bool once = false, first = true;
	long ms = 5000;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			once = true;
		else if (c == 'i' && !events_interval(optarg, &ms))
			continue;
		else if (c == 'i')
			return moat_err_set(e, 0,
					    "--interval %s: not a "
					    "duration",
					    optarg);
		else
			return moat_err_set(e, 0, "unknown option %s",
					    argv[optind - 1]);
	}
	if (cli_nargs(argc, argv, optind, 1, 1, e) ||
	    cli_live_container(ctx, argv[optind],
			       CLI_LIVE | CLI_ST(STATE_CREATED), &h, NULL, e))
		return -1;
	for (;;) {
		if (shimctl_request(h.dir_fd, &stats, 10000, &out, e)) {
			/* the container stopped: the stream ends */
			if (!first) {
				moat_err_free(e);
				state_close(&h);
				return 0;
			}
			state_close(&h);
			return moat_err_wrap(e, "container %s", argv[optind]);
		}
		for (; !first && ooms < out.stats.oom; ooms++)
			printf("{\"type\":\"oom\",\"id\":\"%s\"}\n",
			       argv[optind]);
		ooms = out.stats.oom;
		events_print(argv[optind], &out.stats);
		first = false;
		if (once)
			break;
		for (long left = ms; left > 0; left -= 1000)
			usleep((useconds_t)(left > 1000 ? 1000 : left) * 1000);
	}
	state_close(&h);
	return 0;
}
