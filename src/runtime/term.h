/*
 * term.h: what the shim, `moat exec` and `moat run` share about a
 * process's end and its terminal: a pty whose master is handed to an
 * engine over a --console-socket (as runc hands it); the relay with which
 * a foreground `moat run` lends its own terminal to a container with
 * process.terminal (runc's way without a console socket: moat keeps the
 * master, the shim gets the slave); and exiting as a process did.
 *
 * Inputs: the socket path from the engine's command line; the user's
 * terminal and its input (bytes only, relayed); nothing from the guest
 * but its terminal output, copied to stdout.
 */
#ifndef MOAT_RUNTIME_TERM_H
#define MOAT_RUNTIME_TERM_H

#include "../common/err.h"

#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <termios.h>

/* Send fd (SCM_RIGHTS, with name as the bytes) to the unix socket at sock,
 * given by the option opt (named in errors). Returns 0 or -1 with *e. */
int term_send_fd(const char *opt, const char *sock, int fd, const char *name,
		 struct moat_err **e);

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

/*
 * The terminal relay of a foreground `moat run`: host is the terminal moat
 * runs on (the first of stderr, stdout and stdin that is one, else
 * /dev/tty, as runc looks for it), set raw while the container runs and
 * restored after; master and slave a pty whose slave the shim relays to
 * the guest's terminal; stdin is copied to the master, the master to
 * stdout.
 */
struct term_relay {
	int host, master, slave;
	bool host_opened, raw, in_eof, out_eof;
	struct termios saved;
	size_t in_len, in_off;
	char in[4096];
};

#define TERM_RELAY_INIT                               \
	{                                             \
		.host = -1, .master = -1, .slave = -1 \
	}

/* Find the host's terminal and make the pty, its slave raw and of the
 * host's size (or rows x cols when the host's is 0 x 0). Returns 0 or -1
 * with *e set (no terminal: the text says so); nothing is left open on
 * a failure. */
int term_relay_open(struct term_relay *t, unsigned rows, unsigned cols,
		    struct moat_err **e);

/* Put the host's terminal in raw mode (saved first, for close). */
int term_relay_raw(struct term_relay *t, struct moat_err **e);

/* Give the pty the host's window size (after a SIGWINCH). */
void term_relay_resize(struct term_relay *t);

/* The relay's two poll entries (stdin, master) into p[0], p[1]; then,
 * after poll, term_relay_io() copies what is ready. */
void term_relay_poll(const struct term_relay *t, struct pollfd p[2]);
void term_relay_io(struct term_relay *t, const struct pollfd p[2]);

/* The shim is gone: copy what the pty still holds to stdout (up to
 * ms of quiet). */
void term_relay_drain(struct term_relay *t, int ms);

/* Restore the host's terminal, close what is open (again: a no-op). */
void term_relay_close(struct term_relay *t);

/* The signals the shim and a foreground `moat run` pass on to the
 * container, as runc's signal handler passes on what it gets: every one
 * that can be caught but SIGCHLD, SIGURG (runc ignores it), SIGWINCH
 * (resizes), the process's own faults (SEGV, BUS, FPE, ILL, TRAP, SYS,
 * ABRT), SIGPIPE (its own writes) and SIGTTIN/SIGTTOU (its own use of a
 * terminal). Pure. */
bool term_forwarded(int sig);

/* Add them (1..SIGRTMAX) to mask. */
void term_forward_mask(sigset_t *mask);

/* Exit as a process that ended with code, or died of signo (not 0): the
 * same signal is raised here (no core dump) when its default action ends
 * a process, else (a stop or ignored signal, or one that did not end us)
 * the exit status is 128 + signo. */
void term_exit_as(uint32_t code, uint32_t signo) __attribute__((noreturn));

#endif
