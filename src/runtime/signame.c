/*
 * signame.c: signal names <-> numbers for `moat kill` (see signame.h).
 *
 * Input: a command-line argument (engine or user). Pure: no syscalls.
 * The names are Linux's (signal(7)); the real-time range is the C
 * library's (SIGRTMIN..SIGRTMAX), as kill(1) uses it.
 */
#include "signame.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SIGNAME_MAX 64

static const struct {
	const char *name;
	int sig;
} signame_table[] = {
	{ "HUP", SIGHUP },	 { "INT", SIGINT },	  { "QUIT", SIGQUIT },
	{ "ILL", SIGILL },	 { "TRAP", SIGTRAP },	  { "ABRT", SIGABRT },
	{ "IOT", SIGIOT },	 { "BUS", SIGBUS },	  { "FPE", SIGFPE },
	{ "KILL", SIGKILL },	 { "USR1", SIGUSR1 },	  { "SEGV", SIGSEGV },
	{ "USR2", SIGUSR2 },	 { "PIPE", SIGPIPE },	  { "ALRM", SIGALRM },
	{ "TERM", SIGTERM },	 { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD },
	{ "CLD", SIGCHLD },	 { "CONT", SIGCONT },	  { "STOP", SIGSTOP },
	{ "TSTP", SIGTSTP },	 { "TTIN", SIGTTIN },	  { "TTOU", SIGTTOU },
	{ "URG", SIGURG },	 { "XCPU", SIGXCPU },	  { "XFSZ", SIGXFSZ },
	{ "VTALRM", SIGVTALRM }, { "PROF", SIGPROF },	  { "WINCH", SIGWINCH },
	{ "IO", SIGIO },	 { "POLL", SIGPOLL },	  { "PWR", SIGPWR },
	{ "SYS", SIGSYS },
};

#define SIGNAME_N (sizeof(signame_table) / sizeof(signame_table[0]))

/* A decimal number 0..999 filling all of s, or -1. */
static int signame_num(const char *s)
{
	int v = 0, n = 0;

	if (!*s)
		return -1;
	for (; *s; s++, n++) {
		if (*s < '0' || *s > '9' || n >= 3)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

int signame_parse(const char *s)
{
	int v, rtmin = SIGRTMIN, rtmax = SIGRTMAX;
	size_t i;

	if (!s || !*s)
		return -1;
	if (*s >= '0' && *s <= '9') {
		v = signame_num(s);
		return v >= 1 && v <= SIGNAME_MAX ? v : -1;
	}
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	for (i = 0; i < SIGNAME_N; i++)
		if (!strcasecmp(s, signame_table[i].name))
			return signame_table[i].sig;
	if (!strncasecmp(s, "RTMIN", 5)) {
		if (!s[5])
			return rtmin;
		v = s[5] == '+' ? signame_num(s + 6) : -1;
		return v >= 0 && rtmin + v <= rtmax ? rtmin + v : -1;
	}
	if (!strncasecmp(s, "RTMAX", 5)) {
		if (!s[5])
			return rtmax;
		v = s[5] == '-' ? signame_num(s + 6) : -1;
		return v >= 0 && rtmax - v >= rtmin ? rtmax - v : -1;
	}
	return -1;
}

const char *signame_name(int sig)
{
	size_t i;

	for (i = 0; i < SIGNAME_N; i++)
		if (signame_table[i].sig == sig)
			return signame_table[i].name;
	return NULL;
}
