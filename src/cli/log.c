/*
 * log.c: --log FILE, --log-format text|json and --debug.
 *
 * Engines read the runtime's failure reason from the --log file: conmon
 * and containerd pass --log-format=json and take the last "error" line's
 * "msg". So every error is written there once, as
 *     {"level":"error","msg":"moat: kill: ...","time":"<RFC 3339>"}
 * or, with text, as  time="..." level=error msg="..."
 * Inputs: messages built by moat (never raw guest bytes); the path from
 * the command line. The lines are src/common/log.c's text and JSON ones.
 */
#include "cli.h"
#include "../common/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The log stream: the --log file (opened on first use), else NULL. */
static FILE *cli_log_file(struct cli_ctx *ctx)
{
	if (!ctx->log && ctx->log_path && !ctx->log_failed) {
		ctx->log = fopen(ctx->log_path, "ae");
		if (!ctx->log) {
			ctx->log_failed = true;
			fprintf(stderr, "moat: --log %s: %s\n", ctx->log_path,
				strerror(errno));
		}
	}
	return ctx->log;
}

static void cli_log_line(struct cli_ctx *ctx, FILE *f, enum log_level lv,
			 const char *msg)
{
	struct log_sink k = { fileno(f), LOG_FMT_TEXT, NULL };

	if (ctx->log_format == CLI_LOG_JSON)
		k.format = LOG_FMT_JSON;
	fflush(f);
	log_line(&k, lv, msg);
}

void cli_log_error(struct cli_ctx *ctx, const char *msg)
{
	FILE *f = cli_log_file(ctx);

	if (f)
		cli_log_line(ctx, f, LOG_LV_ERROR, msg);
}

void cli_log_debug(struct cli_ctx *ctx, const char *fmt, ...)
{
	char msg[LOG_MSG_MAX];
	va_list ap;
	FILE *f;

	if (!ctx->debug)
		return;
	f = cli_log_file(ctx);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cli_log_line(ctx, f ? f : stderr, LOG_LV_DEBUG, msg);
}

void cli_log_close(struct cli_ctx *ctx)
{
	if (ctx->log) {
		fclose(ctx->log);
		ctx->log = NULL;
	}
}
