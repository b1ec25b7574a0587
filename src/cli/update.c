/*
 * update.c: `moat update [OPTIONS] ID` (runc's update): change a created,
 * running or paused container's resources (runc refuses a stopped one
 * only). The options (or --resources FILE, "-" for stdin,
 * an OCI linux.resources object, which the options then amend) become one
 * linux.resources JSON object that the shim hands to the agent, which
 * writes it to the container's cgroup in the guest (memory, swap, cpu
 * quota / period / shares, pids). What the guest cannot change (cpusets
 * beyond its vCPUs, block I/O weights, real-time cpu) is refused there.
 * The VM itself keeps the memory and vCPUs it was started with.
 * Input: argv and the --resources file (the engine's).
 */
#include "cli.h"
#include "../runtime/shimctl.h"
#include "../runtime/state.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "256m", "1g", "1048576", "-1" (unlimited): bytes. */
static int update_bytes(const char *v, const char *opt, json_int_t *out,
			struct moat_err **e)
{
	char *end;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (!errno && n == -1 && !*end) {
		*out = -1;
		return 0;
	}
	if (errno || n < 0 || end == v)
		return moat_err_set(e, 0, "--%s %s: not a size", opt, v);
	switch (*end) {
	case 'k':
	case 'K':
		n <<= 10;
		end++;
		break;
	case 'm':
	case 'M':
		n <<= 20;
		end++;
		break;
	case 'g':
	case 'G':
		n <<= 30;
		end++;
		break;
	default:
		break;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end)
		return moat_err_set(e, 0, "--%s %s: not a size", opt, v);
	*out = n;
	return 0;
}

static int update_int(const char *v, const char *opt, json_int_t *out,
		      struct moat_err **e)
{
	char *end;

	errno = 0;
	*out = strtoll(v, &end, 10);
	if (errno || end == v || *end)
		return moat_err_set(e, 0, "--%s %s: not a number", opt, v);
	return 0;
}

/* Set obj.key (making obj under r when missing). */
static void update_set(json_t *r, const char *obj, const char *key,
		       json_int_t v)
{
	json_t *o = json_object_get(r, obj);

	if (!json_is_object(o)) {
		o = json_object();
		json_object_set_new(r, obj, o);
	}
	json_object_set_new(o, key, json_integer(v));
}

int cli_update(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e)
{
	static const struct option opts[] = {
		{ "resources", required_argument, NULL, 'r' },
		{ "memory", required_argument, NULL, 'm' },
		{ "memory-swap", required_argument, NULL, 's' },
		{ "memory-reservation", required_argument, NULL, 'R' },
		{ "cpu-quota", required_argument, NULL, 'q' },
		{ "cpu-period", required_argument, NULL, 'p' },
		{ "cpu-share", required_argument, NULL, 'S' },
		{ "pids-limit", required_argument, NULL, 'P' },
		{ "cpuset-cpus", required_argument, NULL, 'c' },
		{ "cpuset-mems", required_argument, NULL, 'M' },
		{ "blkio-weight", required_argument, NULL, 'b' },
		{ "cpu-rt-period", required_argument, NULL, 't' },
		{ "cpu-rt-runtime", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	struct state_handle h = STATE_HANDLE_INIT;
	json_t *res = NULL;
	json_error_t jerr;
	json_int_t v = 0;
	char *text = NULL, line[64];
	struct shimmsg_req req = { 0 };
	int c, r = -1, conn = -1, idx = -1;
	size_t len;

	opterr = 0;
	res = json_object();
	while ((c = getopt_long(argc, argv, "r:", opts, &idx)) != -1) {
		const char *name = idx >= 0 ? opts[idx].name : "resources";

		switch (c) {
		case 'r':
			json_decref(res);
			res = strcmp(optarg, "-")
				      ? json_load_file(optarg, 0, &jerr)
				      : json_loadf(stdin, 0, &jerr);
			if (!json_is_object(res)) {
				moat_err_set(e, 0, "--resources %s: %s", optarg,
					     res ? "not an object" : jerr.text);
				goto out;
			}
			break;
		case 'm':
		case 's':
		case 'R':
			if (update_bytes(optarg,
					 c == 'm'   ? "memory"
					 : c == 's' ? "memory-swap"
						    : "memory-"
						      "reservation",
					 &v, e))
				goto out;
			update_set(res, "memory",
				   c == 'm'   ? "limit"
				   : c == 's' ? "swap"
					      : "reservation",
				   v);
			break;
		case 'q':
		case 'p':
		case 'S':
		case 'P':
			if (update_int(optarg, name, &v, e))
				goto out;
			update_set(res, c == 'P' ? "pids" : "cpu",
				   c == 'q'   ? "quota"
				   : c == 'p' ? "period"
				   : c == 'S' ? "shares"
					      : "limit",
				   v);
			break;
		case 'c':
		case 'M':
		case 'b':
		case 't':
		case 'T':
			moat_err_set(e, 0,
				     "--%s: not supported (the container "
				     "runs in a VM; change what the VM "
				     "was given at create)",
				     name);
			goto out;
		default:
			moat_err_set(e, 0, "unknown option %s",
				     argv[optind - 1]);
			goto out;
		}
		idx = -1;
	}
	if (cli_nargs(argc, argv, optind, 1, 1, e) ||
	    cli_live_container(ctx, argv[optind],
			       CLI_LIVE | CLI_ST(STATE_CREATED), &h, NULL, e))
		goto out;
	text = json_dumps(res, JSON_COMPACT);
	if (!text) {
		moat_err_set(e, ENOMEM, "update");
		goto out;
	}
	len = strlen(text);
	cli_log_debug(ctx, "update %s: %s", argv[optind], text);
	conn = shimctl_connect(h.dir_fd, e);
	req.verb = SHIMMSG_UPDATE;
	req.len = (uint32_t)len;
	if (conn < 0)
		goto out;
	if (shimmsg_req_encode(line, sizeof(line), &req) < 0) {
		moat_err_set(e, E2BIG, "linux.resources");
		goto out;
	}
	if (shimctl_send(conn, line, NULL, 0, e))
		goto out;
	if (write(conn, text, len) != (ssize_t)len) {
		moat_err_set(e, errno, "write to the shim");
		goto out;
	}
	{
		static struct shimmsg_reply ans;
		char ansl[SHIMCTL_LINE_MAX + 1];

		if (shimctl_read_line(conn, ansl, sizeof(ansl), 10000, e) ||
		    shimctl_reply(ansl, SHIMMSG_UPDATE, &ans, e))
			goto out;
	}
	r = 0;
out:
	if (r && conn >= 0 && *e)
		moat_err_wrap(e, "container %s", argv[optind]);
	if (conn >= 0)
		close(conn);
	state_close(&h);
	json_decref(res);
	free(text);
	return r;
}
