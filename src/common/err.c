/*
 * err.c: the control-plane error object (see err.h for the contract).
 * Inputs: format strings and arguments from our own code.
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int moat_err_set(struct moat_err **e, int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	if (!e)
		return -1;
	if (*e)
		return -1;
	*e = calloc(1, sizeof(**e));
	if (!*e)
		return -2;
	(*e)->errnum = errnum;
	va_start(ap, fmt);
	vsnprintf((*e)->msg, sizeof((*e)->msg), fmt, ap);
	va_end(ap);
	n = strlen((*e)->msg);
	if (errnum && n < sizeof((*e)->msg))
		snprintf((*e)->msg + n, sizeof((*e)->msg) - n, ": %s",
			 strerror(errnum));
	return -1;
}

int moat_err_code(struct moat_err **e, int errnum, const char *fmt, ...)
{
	char msg[MOAT_ERR_MSG_MAX];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r = moat_err_set(e, 0, "%s", msg);
	if (e && *e && !(*e)->errnum)
		(*e)->errnum = errnum;
	return r;
}

int moat_err_wrap(struct moat_err **e, const char *fmt, ...)
{
	char ctx[MOAT_ERR_MSG_MAX], old[MOAT_ERR_MSG_MAX];
	va_list ap;

	if (!e || !*e)
		return -1;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	memcpy(old, (*e)->msg, sizeof(old));
	/* A message too long for the buffer keeps its start: the context. */
	if (snprintf((*e)->msg, sizeof((*e)->msg), "%s: %s", ctx, old) >=
	    (int)sizeof((*e)->msg))
		(*e)->msg[sizeof((*e)->msg) - 1] = '\0';
	return -1;
}

void moat_err_format(const char *verb, const struct moat_err *e, char *buf,
		     size_t len)
{
	if (!len)
		return;
	snprintf(buf, len, "moat: %s: %s", verb,
		 e ? e->msg : "out of memory while reporting an error");
}

void moat_err_free(struct moat_err **e)
{
	if (e) {
		free(*e);
		*e = NULL;
	}
}
