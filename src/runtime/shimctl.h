/*
 * shimctl.h: how the CLI talks to a container's shim (docs/state.md,
 * docs/design.md "Runtime, shim and backends").
 *
 * The shim listens on <root>/<id>/shim.sock (a unix stream socket, mode
 * 0600 in the 0700 container directory; peers must be root or the shim's
 * own user). One request per connection, one line each way; the lines
 * are src/proto/shimmsg.h's codec. The exec request carries, as
 * SCM_RIGHTS with its line, the process's stdin, stdout and stderr (or one
 * terminal fd when the process asks for a terminal), followed by <n>
 * bytes of the process's JSON (an OCI "process" object). The connection
 * stays open while the process lives: the client may send "kill <signo>"
 * and "resize <rows> <cols>" lines; closing the connection before "exit"
 * kills the process (SIGKILL).
 *
 * The socket is reached through /proc/self/fd/<dir fd>/shim.sock, so the
 * length of --root never meets sun_path's 108-byte limit.
 *
 * Inputs: the CLI's requests come from root (or the owner); the shim's
 * replies carry text that may quote the guest agent: printed, never
 * parsed; the figures of ok replies are decoded once, by the codec.
 */
#ifndef MOAT_RUNTIME_SHIMCTL_H
#define MOAT_RUNTIME_SHIMCTL_H

#include "../common/err.h"
#include "../proto/shimmsg.h"
#include "state.h"

#include <stddef.h>

#define SHIMCTL_SOCK STATE_SHIM_SOCK
#define SHIMCTL_LINE_MAX SHIMMSG_LINE_MAX
#define SHIMCTL_FDS_MAX 3
#define SHIMCTL_EXEC_MAX SHIMMSG_PAYLOAD_MAX /* exec's and update's JSON */

/* The shim: bind and listen on dir_fd/shim.sock (replacing a stale one).
 * Returns the listening fd (CLOEXEC, non-blocking), or -1 with *e set. */
int shimctl_listen(int dir_fd, struct moat_err **e);

/*
 * The CLI: send req to the shim of the container whose directory is
 * dir_fd and wait up to timeout_ms for its answer, decoded into *out.
 * Returns 0 for ok; -1 with *e set otherwise: the shim's text for an
 * error, ECONNREFUSED / ENOENT when no shim listens.
 */
int shimctl_request(int dir_fd, const struct shimmsg_req *req, int timeout_ms,
		    struct shimmsg_reply *out, struct moat_err **e);
/* As shimctl_request() for the request line cmd ("start", "kill 9", ...),
 * its ok reply's figures dropped. */
int shimctl_call(int dir_fd, const char *cmd, int timeout_ms,
		 struct moat_err **e);
/* Decode a reply line read on a connection of one's own (exec, update):
 * as shimctl_request()'s returns. */
int shimctl_reply(const char *line, enum shimmsg_verb verb,
		  struct shimmsg_reply *out, struct moat_err **e);

/* The pieces: connect (returns the fd or -1), send one line (without its
 * newline) with up to SHIMCTL_FDS_MAX fds, read one line (without its
 * newline) within timeout_ms (-1: no limit). 0 or -1 with *e set. */
int shimctl_connect(int dir_fd, struct moat_err **e);
int shimctl_send(int fd, const char *line, const int *fds, size_t nfds,
		 struct moat_err **e);
int shimctl_read_line(int fd, char *line, size_t cap, int timeout_ms,
		      struct moat_err **e);

#endif
