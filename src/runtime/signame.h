/*
 * signame.h: signal names and numbers as `moat kill` takes them.
 *
 * Input: the signal argument of `moat kill`, from the engine or the user.
 * Accepts what runc and kill(1) accept: a name with or without the SIG
 * prefix, in any case ("TERM", "SIGTERM", "sigkill"), the real-time forms
 * RTMIN, RTMIN+n, RTMAX-n, and a decimal number from 1 to 64.
 */
#ifndef MOAT_RUNTIME_SIGNAME_H
#define MOAT_RUNTIME_SIGNAME_H

/* Parse s. Returns the signal number (1..64), or -1 when s is not one.
 * Pure. */
int signame_parse(const char *s);

/* The name of sig without "SIG" ("TERM"), or NULL. Pure. */
const char *signame_name(int sig);

#endif
