/*
 * shimctl.h: how the CLI talks to a container's shim (docs/state.md,
 * docs/design.md "Runtime, shim and backends").
 *
 * The shim listens on <root>/<id>/shim.sock (a unix stream socket, mode
 * 0600 in the 0700 container directory; peers must be root or the shim's
 * own user). One request per connection, one line each way:
 *
 *   start            -> ok | error <text>
 *   kill <signo>     -> ok | error <text>   (the container's init)
 *   kill <signo> all -> ok | error <text>   (every process in it)
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

#endif
