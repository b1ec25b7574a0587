/*
 * test_term.c: which signals the shim and a foreground `moat run` pass on
 * to the container (src/runtime/term.c, term_forwarded): what runc's
 * handler passes on, and not what belongs to the process itself.
 */
#include "../harness/test.h"
#include "../../src/runtime/term.h"

#include <signal.h>

TEST(forwarded_signals_are_runcs)
{
	static const int on[] = {
		SIGHUP,	 SIGINT,  SIGQUIT,   SIGTERM, SIGUSR1, SIGUSR2,
		SIGALRM, SIGCONT, SIGTSTP,   SIGPROF, SIGPWR,  SIGVTALRM,
		SIGXCPU, SIGXFSZ, SIGSTKFLT, SIGIO,
	};
	static const int off[] = {
		0,	 SIGKILL, SIGSTOP, SIGCHLD, SIGURG, SIGWINCH, SIGSEGV,
		SIGBUS,	 SIGFPE,  SIGILL,  SIGTRAP, SIGSYS, SIGABRT,  SIGPIPE,
		SIGTTIN, SIGTTOU, 32,	   33,	    65,	    -1,
	};
	sigset_t m;
	size_t i;

	for (i = 0; i < sizeof(on) / sizeof(on[0]); i++)
		ASSERT(term_forwarded(on[i]));
	for (i = 0; i < sizeof(off) / sizeof(off[0]); i++)
		ASSERT(!term_forwarded(off[i]));
	ASSERT(term_forwarded(SIGRTMIN));
	ASSERT(term_forwarded(SIGRTMAX));
	sigemptyset(&m);
	term_forward_mask(&m);
	ASSERT(sigismember(&m, SIGTERM) == 1);
	ASSERT(sigismember(&m, SIGRTMAX) == 1);
	ASSERT(sigismember(&m, SIGCHLD) == 0);
	ASSERT(sigismember(&m, SIGWINCH) == 0);
}
