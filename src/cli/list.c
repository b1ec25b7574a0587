/*
 * list.c: `moat list [-q] [--format table|json]`: the containers under
 * --root, sorted by ID, like runc's list: a table (ID, PID, STATUS,
 * BUNDLE, CREATED, OWNER), a JSON array of their OCI states, or with -q
 * only the IDs. A container that disappears while listing is left out; one
 * whose state cannot be read is reported on stderr and left out.
 * Input: --root and the options; the state files under --root.
 */
#include "cli.h"
#include "../runtime/spec.h"
#include "../runtime/state.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum cli_list_format {
	CLI_LIST_TABLE,
	CLI_LIST_JSON,
};

struct cli_list_row {
	struct state s;
	enum state_status status;
};

static void cli_list_owner(uint32_t uid, char *buf, size_t len)
{
	struct passwd pw, *res = NULL;
	char tmp[1024];

	if (!getpwuid_r((uid_t)uid, &pw, tmp, sizeof(tmp), &res) && res)
		snprintf(buf, len, "%s", res->pw_name);
	else
		snprintf(buf, len, "%u", (unsigned)uid);
}

static void cli_list_table(struct cli_list_row *rows, size_t n)
{
	int w = 2, b = 6, l;
	char owner[64];
	size_t i;

	for (i = 0; i < n; i++) {
		l = (int)strlen(rows[i].s.id);
		w = l > w ? l : w;
		l = (int)strlen(rows[i].s.bundle);
		b = l > b ? l : b;
	}
	printf("%-*s   %-7s   %-8s   %-*s   %-30s   %s\n", w, "ID", "PID",
	       "STATUS", b, "BUNDLE", "CREATED", "OWNER");
	for (i = 0; i < n; i++) {
		cli_list_owner(rows[i].s.owner, owner, sizeof(owner));
		printf("%-*s   %-7d   %-8s   %-*s   %-30s   %s\n", w,
		       rows[i].s.id,
		       rows[i].status == STATE_STOPPED ? 0 : (int)rows[i].s.pid,
		       state_status_name(rows[i].status), b, rows[i].s.bundle,
		       rows[i].s.created, owner);
	}
}

int cli_print_json(json_t *doc, size_t flags, const char *what,
		   struct moat_err **e)
{
	char *text = doc ? json_dumps(doc, flags) : NULL;

	json_decref(doc);
	if (!text)
		return moat_err_set(e, ENOMEM, "%s", what);
	puts(text);
	free(text);
	return 0;
}

static int cli_list_json(struct cli_list_row *rows, size_t n,
			 struct moat_err **e)
{
	json_t *a = json_array(), *j;
	char *text;
	size_t i;

	for (i = 0; a && i < n; i++) {
		text = state_oci_json(&rows[i].s, rows[i].status,
				      SPEC_VERSION_OUT, false);
		j = text ? json_loads(text, 0, NULL) : NULL;
		free(text);
		if (!j || json_array_append_new(a, j)) {
			json_decref(a);
			return moat_err_set(e, ENOMEM, "list");
		}
	}
	return cli_print_json(a, JSON_COMPACT | JSON_PRESERVE_ORDER, "list", e);
}

int cli_list(struct cli_ctx *ctx, int argc, char **argv, struct moat_err **e)
{
	static const struct option opts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	enum cli_list_format fmt = CLI_LIST_TABLE;
	struct cli_list_row *rows = NULL;
	struct moat_err *ce = NULL;
	bool quiet = false;
	size_t n, nrows = 0, i;
	char **ids;
	int c, r = 0;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "qf:", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			quiet = true;
			break;
		case 'f':
			if (!strcmp(optarg, "table"))
				fmt = CLI_LIST_TABLE;
			else if (!strcmp(optarg, "json"))
				fmt = CLI_LIST_JSON;
			else
				return moat_err_set(e, 0,
						    "--format: \"%s\" is not "
						    "table or json",
						    optarg);
			break;
		default:
			return moat_err_set(e, 0, "unknown option %s",
					    argv[optind - 1]);
		}
	}
	if (cli_nargs(argc, argv, optind, 0, 0, e) ||
	    state_list(ctx->root, &ids, &n, e))
		return -1;
	rows = calloc(n + 1, sizeof(*rows));
	if (!rows) {
		state_list_free(ids);
		return moat_err_set(e, ENOMEM, "list");
	}
	for (i = 0; i < n; i++) {
		struct state_handle h = STATE_HANDLE_INIT;

		if (!state_open(ctx->root, ids[i], false, &h, &ce) &&
		    !state_read(&h, &rows[nrows].s, &ce)) {
			rows[nrows].status = state_status_of(&rows[nrows].s);
			nrows++;
		} else if (ce && ce->errnum != ENOENT) {
			fprintf(stderr, "moat: list: %s\n", ce->msg);
		}
		state_close(&h);
		moat_err_free(&ce);
	}
	state_list_free(ids);
	if (quiet)
		for (i = 0; i < nrows; i++)
			puts(rows[i].s.id);
	else if (fmt == CLI_LIST_JSON)
		r = cli_list_json(rows, nrows, e);
	else
		cli_list_table(rows, nrows);
	for (i = 0; i < nrows; i++)
		state_clear(&rows[i].s);
	free(rows);
	return r;
}
