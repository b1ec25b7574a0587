/*
 * log.c: --log FILE, --log-format text|json and --debug.
 *
 * Engines read the runtime's failure reason from the --log file: conmon
 * and containerd pass --log-format=json and take the last "error" line's
 * "msg". So every error is written there once, as
 *     {"level":"error","msg":"moat: kill: ...","time":"<RFC 3339>"}
 * or, with text, as  time="..." level=error msg="..."
 * Inputs: messages built by moat (never raw guest bytes); the path from
 * the command line.
 */
#include "cli.h"
#include "../runtime/state.h"

#include <errno.h>
#include <jansson.h>
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

static void cli_log_line(struct cli_ctx *ctx, FILE *f, const char *level,
			 const char *msg)
{
	char now[64], *text;
	json_t *j;

	state_now_rfc3339(now, sizeof(now));
	if (ctx->log_format == CLI_LOG_JSON) {
		j = json_pack("{s:s,s:s,s:s}", "level", level, "msg", msg,
			      "time", now);
		text = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER)
			 : NULL;
		json_decref(j);
		if (text)
			fprintf(f, "%s\n", text);
		free(text);
	} else {
		fprintf(f, "time=\"%s\" level=%s msg=\"", now, level);
		for (; *msg; msg++) {
			if (*msg == '"' || *msg == '\\')
				fputc('\\', f);
			fputc(*msg == '\n' ? ' ' : *msg, f);
		}
		fputs("\"\n", f);
	}
	fflush(f);
}

void cli_log_error(struct cli_ctx *ctx, const char *msg)
{
	FILE *f = cli_log_file(ctx);

	if (f)
		cli_log_line(ctx, f, "error", msg);
}

void cli_log_debug(struct cli_ctx *ctx, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	FILE *f;

	if (!ctx->debug)
		return;
	f = cli_log_file(ctx);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cli_log_line(ctx, f ? f : stderr, "debug", msg);
}

void cli_log_close(struct cli_ctx *ctx)
{
	if (ctx->log) {
		fclose(ctx->log);
		ctx->log = NULL;
	}
}
