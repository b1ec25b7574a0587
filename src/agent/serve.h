/*
 * serve.h: the agent's side of the wire protocol (docs/protocol.md), and
 * the state its parts share:
 *
 *   serve.c   the loop (src/common/loop.c) over the channel, the
 *             processes' stdio and a signalfd for SIGCHLD: the handshake,
 *             frames in, reaping, EXIT and OOM events, shutdown
 *   req.c     the requests, one handler per message type, by a table
 *   proc.c    the processes started, their ends and waiters
 *   stream.c  the stdio streams and their credit
 *   outq.c    the output queue: control frames first, streams in turn
 */
#ifndef MOAT_AGENT_SERVE_H
#define MOAT_AGENT_SERVE_H

#include "opts.h"
#include "outq.h"
#include "proc.h"
#include "stream.h"
#include "../common/loop.h"
#include "../proto/msg.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct serve {
	const struct agent_opts *o;
	struct loop loop;
	struct loop_handler chan_h, sig_h; /* the channel, SIGCHLD */
	struct outq out;
	struct streams streams;
	struct procs procs;
	bool hello_done, shutdown;

	uint8_t *rbuf; /* frames read, not yet consumed */
	size_t rlen;

	/* the container (one per agent) */
	struct config *cfg;
	char id[MSG_ID_MAX + 1];
	struct proc *init;
	int init_pidfd, init_sync;
	bool started;
	void *bpf;
	size_t bpf_len;
	struct cgroup *cg; /* NULL: host mode without --cgroup-root */
	bool paused;	   /* by PAUSE (cgroup freezer, or SIGSTOP) */

	/* OOM kills counted in the group (oom_h: its events), not yet
	 * reported: attributed to a process reaped dead by SIGKILL, or
	 * reported without one at oom_deadline (ms) */
	struct loop_handler oom_h;
	uint64_t oom_pending;
	long oom_deadline;
};

/*
 * Serve the channel o->channel_fd until SHUTDOWN or the channel's end.
 * Returns 0 after a SHUTDOWN, 1 when the channel ended or broke. Every
 * process it started has been killed and reaped when it returns.
 */
int serve_run(const struct agent_opts *o);

#endif
