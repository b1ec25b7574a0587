/*
 * err.h: the control-plane error contract.
 *
 * A function that can fail takes `struct moat_err **e` last and returns a
 * negative value on failure after filling *e. Callers add context on the way
 * up with moat_err_wrap(); main() prints the error once as
 * "moat: <verb>: <context>: ... : <why>". Library code never exits.
 * Inputs: messages are built by our own code; never put raw guest bytes here.
 */
#ifndef MOAT_COMMON_ERR_H
#define MOAT_COMMON_ERR_H

#include <stddef.h>

#define MOAT_ERR_MSG_MAX 1024

struct moat_err {
	int errnum;		    /* errno-style cause, 0 if none */
	char msg[MOAT_ERR_MSG_MAX]; /* "<what>: <why>" */
};

/*
 * Fill *e (allocating it if NULL) with a message from fmt. When errnum is
 * non-zero, ": strerror(errnum)" is appended. Returns -1, or -2 when even the
 * allocation failed (then *e stays NULL and moat_err_print says so).
 * Does not overwrite an error that is already set: the first cause wins.
 */
int moat_err_set(struct moat_err **e, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * As moat_err_set, but the message carries no strerror text: errnum is
 * only recorded in (*e)->errnum for callers that branch on it (and only
 * when the error had none yet). Returns -1 (-2 on allocation failure).
 */
int moat_err_code(struct moat_err **e, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix the message in *e with "<context>: ". Returns -1. */
int moat_err_wrap(struct moat_err **e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Format "moat: <verb>: <msg>" into buf (always NUL-terminated). */
void moat_err_format(const char *verb, const struct moat_err *e, char *buf,
		     size_t len);

/* Free *e and set it to NULL; safe on NULL. */
void moat_err_free(struct moat_err **e);

#endif
