/*
 * ps.c: `moat ps [--format table|json] ID [ps options]` (runc's ps): the
 * container's processes, asked of the agent through the shim. Their pids
 * are the guest's (the processes live in the VM, not on the host).
 *
 * json: a bare array of the pids, runc's output, which go-runc's Ps (and
 * so containerd's shim) decodes as []int from stdout and stderr together:
 * nothing else may be printed, so that the pids are the guest's is said
 * by docs and the man page, not in the output. A stopped container has no
 * processes: runc prints Go's encoding of its nil list, "null".
 *
 * table: ps(1)'s table for the options given (default -ef, as runc's),
 * made by the agent from the guest's /proc (src/agent/ps.c,
 * src/common/psfmt.c; the guest has no ps(1)); for a stopped container
 * the header alone, as runc's filter leaves it (also when it stops while
 * the shim is asked). The options are checked
 * here once the container is found (runc's order), so a bad one is the
 * same error whatever the container's state.
 *
 * Input: argv; the shim's answer: pids as numbers, the table as text
 * that the guest wrote, printed with '?' for every byte that is neither
 * printable nor a newline.
 */
#include "cli.h"
#include "../common/psfmt.h"
#include "../runtime/shimctl.h"
#include "../runtime/state.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Print the guest's text t[0..n) as printable ASCII and newlines. */
static int ps_print(char *t, size_t n, struct moat_err **e)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i] != '\n' && (t[i] < 0x20 || t[i] > 0x7e))
			t[i] = '?';
	if (n && fwrite(t, 1, n, stdout) != n)
		return moat_err_set(e, errno, "stdout");
	return 0;
}

/* Read exactly n bytes from fd within timeout_ms each. */
static int ps_read_all(int fd, char *buf, size_t n, int timeout_ms,
		       struct moat_err **e)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = poll(&p, 1, timeout_ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r == 0)
			return moat_err_set(e, ETIMEDOUT, "the shim");
		r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return moat_err_set(e, ECONNRESET,
					    "the shim's table was cut short");
		got += (size_t)r;
	}
	return 0;
}

/* The agent's table for the options args[0..nargs) (none: -ef), asked
 * through the shim of the container whose directory is dir_fd. */
static int ps_table(int dir_fd, char **args, size_t nargs, struct moat_err **e)
{
	static const char dflt[] = "-ef";
	char line[SHIMCTL_LINE_MAX + 1], *pay = NULL, *table = NULL;
	static struct shimmsg_reply ans;
	struct shimmsg_req req = { .verb = SHIMMSG_PSTABLE };
	size_t len = 0, i, k;
	int conn = -1, r = -1;

	for (i = 0; i < nargs; i++)
		len += strlen(args[i]) + 1;
	if (!nargs)
		len = sizeof(dflt);
	if (len > SHIMMSG_PSARGS_BYTES || nargs > SHIMMSG_PSARGS_MAX)
		return moat_err_set(e, E2BIG, "too many ps options");
	pay = malloc(len);
	if (!pay)
		return moat_err_set(e, ENOMEM, "ps");
	if (!nargs)
		memcpy(pay, dflt, sizeof(dflt));
	for (i = 0, k = 0; i < nargs; k += strlen(args[i++]) + 1)
		memcpy(pay + k, args[i], strlen(args[i]) + 1);
	req.len = (uint32_t)len;
	if (shimmsg_req_encode(line, sizeof(line), &req) < 0) {
		moat_err_set(e, E2BIG, "ps options");
		goto out;
	}
	conn = shimctl_connect(dir_fd, e);
	if (conn < 0 || shimctl_send(conn, line, NULL, 0, e))
		goto out;
	if (write(conn, pay, len) != (ssize_t)len) {
		moat_err_set(e, errno, "write to the shim");
		goto out;
	}
	if (shimctl_read_line(conn, line, sizeof(line), 10000, e) ||
	    shimctl_reply(line, SHIMMSG_PSTABLE, &ans, e))
		goto out;
	table = malloc(ans.len + 1);
	if (!table) {
		moat_err_set(e, ENOMEM, "ps");
		goto out;
	}
	if (ps_read_all(conn, table, ans.len, 10000, e) ||
	    ps_print(table, ans.len, e))
		goto out;
	r = 0;
out:
	if (conn >= 0)
		close(conn);
	free(pay);
	free(table);
	return r;
}

/* A container without processes (stopped): runc's output, json's null
 * or the table's header alone. */
static int ps_none(const struct psfmt_spec *spec, bool json,
		   struct moat_err **e)
{
	char head[4096];

	if (json)
		printf("null\n");
	else if (psfmt_header(spec, head, sizeof(head)) < 0)
		return moat_err_set(e, E2BIG, "the header is too long");
	else
		fputs(head, stdout);
	return fflush(stdout) ? moat_err_set(e, errno, "stdout") : 0;
}

/* After the shim failed to answer: true when the container stopped in
 * the meantime (its processes ended while we asked: none, as runc's). */
static bool ps_stopped_since(struct cli_ctx *ctx, const char *id)
{
	struct state_handle h = STATE_HANDLE_INIT;
	struct moat_err *e2 = NULL;
	struct state st;
	bool stopped;

	if (cli_open_state(ctx, id, &h, &st, &e2)) {
		moat_err_free(&e2);
		return false;
	}
	stopped = state_status_of(&st) == STATE_STOPPED;
	state_clear(&st);
	state_close(&h);
	return stopped;
}

int cli_ps(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct state_handle h = STATE_HANDLE_INIT;
	static struct shimmsg_reply out;
	static struct psfmt_spec spec;
	const struct shimmsg_req ps = { .verb = SHIMMSG_PS };
	const char *format = "table", *id;
	char err[PSFMT_ERR_MAX];
	struct state st;
	bool json, stopped;
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
	json = !strcmp(format, "json");
	if (cli_nargs(argc, argv, optind, 1, INT_MAX, e))
		return -1;
	id = argv[optind];
	if (cli_live_container(ctx, id,
			       CLI_LIVE | CLI_ST(STATE_CREATED) |
				       CLI_ST(STATE_STOPPED),
			       &h, &st, e))
		return -1;
	stopped = state_status_of(&st) == STATE_STOPPED;
	state_clear(&st);
	/* runc's json ignores the ps options; its table gives them to ps */
	if (!json &&
	    psfmt_parse((const char *const *)argv + optind + 1,
			(size_t)(argc - optind - 1), &spec, err, sizeof(err))) {
		state_close(&h);
		return moat_err_set(e, 0, "%s", err);
	}
	if (stopped) {
		state_close(&h);
		return ps_none(&spec, json, e);
	}
	if (!json) {
		c = ps_table(h.dir_fd, argv + optind + 1,
			     (size_t)(argc - optind - 1), e);
		state_close(&h);
		if (c && ps_stopped_since(ctx, id)) {
			moat_err_free(e);
			return ps_none(&spec, json, e);
		}
		if (c)
			return moat_err_wrap(e, "container %s", id);
		return fflush(stdout) ? moat_err_set(e, errno, "stdout") : 0;
	}
	c = shimctl_request(h.dir_fd, &ps, 10000, &out, e);
	state_close(&h);
	if (c && ps_stopped_since(ctx, id)) {
		moat_err_free(e);
		return ps_none(&spec, json, e);
	}
	if (c)
		return moat_err_wrap(e, "container %s", id);
	if (!out.npids) /* runc's: Go's encoding of a nil list */
		printf("null\n");
	for (i = 0; i < out.npids; i++)
		printf("%s%u", i ? "," : "[", out.pids[i]);
	if (out.npids)
		printf("]\n");
	return fflush(stdout) ? moat_err_set(e, errno, "stdout") : 0;
}
