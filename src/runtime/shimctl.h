/*
 * shimctl.h: how the CLI talks to a container's shim (docs/state.md,
 * docs/design.md "Runtime, shim and backends").
 *
 * The shim listens on <root>/<id>/shim.sock (a unix stream socket, mode
 * 0600 in the 0700 container directory; peers must be root or the shim's
 * own user). One request per connection, one line each way (exec: see
 * below):
 *
 *   start            -> ok | error <text>
 *   kill <signo>     -> ok | error <text>   (the container's init)
 *   kill <signo> all -> ok | error <text>   (every process in it)
 *   ps               -> ok <pid> <pid> ... | error <text>  (guest pids)
 *   pause, resume    -> ok | error <text>
 *   stats            -> ok cpu=NS user=NS sys=NS mem=B memlimit=B pids=N
 *                       pidslimit=N oom=N | error <text>  (limits 0: none;
 *                       oom: OOM events seen since the start)
 *   update <n>       -> ok | error <text>: followed by <n> bytes of an OCI
 *                       linux.resources JSON object
 *   exec <n>         -> ok <pid> | error <text>, then later
 *                       exit <code> <signo>
 *     The exec request carries, as SCM_RIGHTS with its line, the
 *     process's stdin, stdout and stderr (or one terminal fd when the
 *     process asks for a terminal), followed by <n> bytes of the
 *     process's JSON (an OCI "process" object). The connection stays
 *     open while the process lives: the client may send
 *     "kill <signo>" and "resize <rows> <cols>" lines; closing the
 *     connection before "exit" kills the process (SIGKILL).
 *
 * The socket is reached through /proc/self/fd/<dir fd>/shim.sock, so the
 * length of --root never meets sun_path's 108-byte limit.
 *
 * Inputs: the CLI's requests come from root (or the owner); the shim's
 * replies carry text that may quote the guest agent: printed, never
 * parsed beyond "ok".
 */
#ifndef MOAT_RUNTIME_SHIMCTL_H
#define MOAT_RUNTIME_SHIMCTL_H

#include "../common/err.h"
#include "state.h"

#include <stddef.h>

#define SHIMCTL_SOCK STATE_SHIM_SOCK
#define SHIMCTL_LINE_MAX 1024
#define SHIMCTL_FDS_MAX 3
#define SHIMCTL_EXEC_MAX (1 << 20) /* the exec request's JSON */

/* The shim: bind and listen on dir_fd/shim.sock (replacing a stale one).
 * Returns the listening fd (CLOEXEC, non-blocking), or -1 with *e set. */
int shimctl_listen(int dir_fd, struct moat_err **e);

/*
 * The CLI: send cmd (one line, without its newline) to the shim of the
 * container whose directory is dir_fd and wait up to timeout_ms for its
 * answer. Returns 0 for "ok"; -1 with *e set otherwise: the shim's text
 * for "error ...", ECONNREFUSED / ENOENT when no shim listens.
 */
int shimctl_call(int dir_fd, const char *cmd, int timeout_ms,
		 struct moat_err **e);

/* As shimctl_call(), and the text after "ok " (or "") into out[0..cap). */
int shimctl_call_text(int dir_fd, const char *cmd, int timeout_ms, char *out,
		      size_t cap, struct moat_err **e);

/* The pieces: connect (returns the fd or -1), send one line (without its
 * newline) with up to SHIMCTL_FDS_MAX fds, read one line (without its
 * newline) within timeout_ms (-1: no limit). 0 or -1 with *e set. */
int shimctl_connect(int dir_fd, struct moat_err **e);
int shimctl_send(int fd, const char *line, const int *fds, size_t nfds,
		 struct moat_err **e);
int shimctl_read_line(int fd, char *line, size_t cap, int timeout_ms,
		      struct moat_err **e);

#endif
