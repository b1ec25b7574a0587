/*
 * term.h: what the shim and `moat exec` share about a process's end and
 * its terminal: a pty whose master is handed to an engine over a
 * --console-socket (as runc hands it), and exiting as a process did.
 *
 * Inputs: the socket path from the engine's command line; nothing from the
 * guest.
 */
#ifndef MOAT_RUNTIME_TERM_H
#define MOAT_RUNTIME_TERM_H

#include "../common/err.h"

#include <stdbool.h>
#include <stdint.h>

/*
 * Make a pty pair; give the slave a window size (when rows or cols is not
 * 0) and raw mode (the guest's terminal does the line discipline); send the
 * master to the unix socket at sock (SCM_RIGHTS, the pty's name as bytes)
 * and close it here. With ctty, first become a session leader (when the
 * caller is not a process group leader) so that the slave becomes the
 * caller's controlling terminal and the engine's resizes arrive as
 * SIGWINCH. Returns 0 with *slave set (O_CLOEXEC), or -1 with *e set.
 */
int term_pty_send(const char *sock, unsigned rows, unsigned cols, bool ctty,
		  int *slave, struct moat_err **e);

/* Exit as a process that ended with code, or died of signo (not 0): the
 * same signal is raised here (no core dump) when its default action ends
 * a process, else (a stop or ignored signal, or one that did not end us)
 * the exit status is 128 + signo. */
void term_exit_as(uint32_t code, uint32_t signo) __attribute__((noreturn));

#endif
