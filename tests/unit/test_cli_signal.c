/*
 * test_cli_signal.c: `moat kill`'s signal argument (src/runtime/signame.c):
 * names with and without SIG in any case, numbers, real-time forms, and
 * what must be refused.
 */
#include "../harness/test.h"
#include "../../src/runtime/signame.h"

#include <signal.h>

TEST(signal_names_and_numbers)
{
	static const struct {
		const char *s;
		int sig;
	} ok[] = {
		{ "TERM", SIGTERM },	{ "SIGTERM", SIGTERM },
		{ "sigterm", SIGTERM }, { "term", SIGTERM },
		{ "KILL", SIGKILL },	{ "SIGKILL", SIGKILL },
		{ "9", SIGKILL },	{ "15", SIGTERM },
		{ "1", SIGHUP },	{ "HUP", SIGHUP },
		{ "SIGUSR1", SIGUSR1 }, { "usr2", SIGUSR2 },
		{ "WINCH", SIGWINCH },	{ "SIGCHLD", SIGCHLD },
		{ "CLD", SIGCHLD },	{ "IOT", SIGABRT },
		{ "STOP", SIGSTOP },	{ "CONT", SIGCONT },
		{ "SIGPWR", SIGPWR },	{ "SYS", SIGSYS },
		{ "64", 64 },		{ "34", 34 },
	};
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (signame_parse(ok[i].s) != ok[i].sig)
			FAIL("\"%s\": got %d, want %d", ok[i].s,
			     signame_parse(ok[i].s), ok[i].sig);
}

TEST(signal_realtime_forms)
{
	ASSERT_EQ(signame_parse("RTMIN"), SIGRTMIN);
	ASSERT_EQ(signame_parse("SIGRTMIN"), SIGRTMIN);
	ASSERT_EQ(signame_parse("SIGRTMIN+1"), SIGRTMIN + 1);
	ASSERT_EQ(signame_parse("rtmin+3"), SIGRTMIN + 3);
	ASSERT_EQ(signame_parse("RTMAX"), SIGRTMAX);
	ASSERT_EQ(signame_parse("SIGRTMAX-2"), SIGRTMAX - 2);
	ASSERT_EQ(signame_parse("RTMIN+0"), SIGRTMIN);
	ASSERT_EQ(signame_parse("RTMIN+31"), -1); /* beyond RTMAX (64) */
	ASSERT_EQ(signame_parse("RTMAX-31"), -1);
	ASSERT_EQ(signame_parse("RTMIN-1"), -1);
	ASSERT_EQ(signame_parse("RTMAX+1"), -1);
	ASSERT_EQ(signame_parse("RTMIN+"), -1);
}

TEST(signal_refused)
{
	static const char *const bad[] = {
		"",    "0",    "65",  "100",	"-9",	 "+9",	       "9x",
		" 9",  "9 ",   "SIG", "SIGFOO", "FOO",	 "SIGSIGTERM", "TERM ",
		"0x9", "0009", "1e1", "SIG9",	"KILLL", "SIGKIL",
	};
	size_t i;

	ASSERT_EQ(signame_parse(NULL), -1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (signame_parse(bad[i]) != -1)
			FAIL("\"%s\" was taken as %d", bad[i],
			     signame_parse(bad[i]));
}

TEST(signal_names_round_trip)
{
	int sig;

	for (sig = 1; sig < 32; sig++) {
		const char *n = signame_name(sig);

		if (!n)
			FAIL("signal %d has no name", sig);
		ASSERT_EQ(signame_parse(n), sig);
	}
	ASSERT(signame_name(0) == NULL);
	ASSERT(signame_name(99) == NULL);
}
