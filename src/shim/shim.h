/*
 * shim.h: the shim's state and the functions its parts share (docs/design.md,
 * "Runtime, shim and backends"). main.c sets up and runs the loop
 * (src/common/loop.h: each fd the shim watches is a handler in the struct
 * that owns it); chan.c is what the agent client (src/sandbox/aclient.h)
 * reports to: the handshake's CREATE, events, a lost channel; procs.c
 * relays the processes' streams through the client and the guest's
 * console; ctl.c serves the control socket (start, kill, exec, ps, pause,
 * resume, stats, update), each request's reply coming back through its
 * callback. This header holds the shim's state and main.c's helpers;
 * chan.h, procs.h and ctl.h each declare their file's functions.
 */
#ifndef MOAT_SHIM_SHIM_H
#define MOAT_SHIM_SHIM_H

#include "../common/loop.h"
#include "../common/now.h"
#include "../proto/msg.h"
#include "../proto/wire.h"
#include "../runtime/conf.h"
#include "../runtime/state.h"
#include "../sandbox/aclient.h"
#include "../sandbox/net.h"
#include "../sandbox/sandbox.h"
#include "pidns.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHIM_LOG STATE_CONSOLE_LOG
#define SHIM_WINDOW (256U << 10) /* credit window per output stream */
#define SHIM_HELLO_MS 240000	 /* boot to HELLO, loaded TCG included */
#define SHIM_DRAIN_MS 3000	 /* after EXIT: wait for output EOFs */
#define SHIM_SHUTDOWN_MS 5000	 /* after SHUTDOWN: wait for QEMU */
#define SHIM_LOST_MS 1000	 /* channel lost: the monitor's own end */
#define SHIM_STATUS_LOST 255	 /* the VM died under the container */

#define SHIM_PROCS 32 /* the init (slot 0) and up to 31 exec'd processes */

#define SHIM_CONSOLE_MAX (4U << 20) /* of the guest's console in the log */
#define SHIM_TAIL 400		    /* console bytes quoted when create fails */

enum shim_phase {
	SHIM_BOOTING,  /* waiting for the agent's HELLO */
	SHIM_CREATING, /* CREATE sent */
	SHIM_CREATED,
	SHIM_RUNNING,
	SHIM_DRAINING, /* the init exited: waiting for output EOFs */
	SHIM_STOPPING, /* SHUTDOWN sent */
	SHIM_DONE,
};

struct shim_out { /* guest to host: stdout, stderr, a terminal's output */
	uint32_t id;
	int fd; /* -1: the reader went away, bytes are dropped */
	struct aclient_stream *st; /* its credit; NULL until requested */
	bool eof;
};

struct shim_in { /* host to guest: stdin, a terminal's input */
	uint32_t id;
	/* h.fd: the fd (-1: none); in the loop (h.added) while it may be
	 * read */
	struct loop_handler h;
	struct aclient_stream *st; /* as out's (a terminal's: the same) */
	bool eof;
	bool poll; /* h.fd can be polled (a file or /dev/null cannot) */
};

/*
 * One process in the container: slot 0 is the init, the others are
 * exec'd. Its streams are three new ids N (stdin, or the terminal both
 * ways), N+1 (stdout) and N+2 (stderr), never reused. With a terminal, in
 * and out[0] share the fd and stream id, and out[1] is unused (eof from
 * the start).
 */
struct shim_proc {
	struct shim *shim; /* for its handlers */
	bool used, tty;
	uint32_t req;	    /* its CREATE or EXEC in flight, 0: none */
	uint32_t proc, pid; /* the agent's handle, the guest pid; 0: none */
	struct shim_in in;
	struct shim_out out[2];
	bool own_fds; /* close the fds when done (exec'd processes) */
	/* exec: .fd the client's connection (-1: none), in the loop once
	 * the process runs */
	struct loop_handler client;
	bool exited;
	uint32_t code, signo;
	long deadline; /* exited: wait for output EOFs until then */
};

struct shim {
	const char *root, *id, *bundle;
	int dir_fd, log_fd;
	struct loop loop;
	struct loop_handler sync_h;    /* .fd: the sync socket, -1: closed */
	struct loop_handler console_h; /* .fd: the console pipe, -1: none */
	struct loop_handler sig_h;     /* .fd: the signalfd */
	struct loop_handler ctl_h;     /* .fd: shim.sock's listener */
	struct loop_handler chan_h;    /* .fd: the agent's channel */
	uint64_t console_n;	       /* console bytes written to the log */
	char console_tail[SHIM_TAIL];  /* its last bytes, for errors */
	size_t tail_len;
	bool synced;	    /* the CLI was told how create went */
	bool shutdown_sent; /* the VM is expected to end by itself */
	struct sandbox sb;
	struct shim_pidns pidns; /* the monitor's PID namespace */
	enum shim_phase phase;
	long deadline; /* ms, CLOCK_MONOTONIC; 0: none */

	struct aclient ac; /* the agent's channel */
	char *pbuf;	   /* an EXEC's packed lists */

	struct shim_proc procs[SHIM_PROCS];
	uint32_t next_stream; /* the next process's first stream id */
	const char *console_socket;
	int tty_fd; /* --tty-fd: the init's terminal (moat run's pty) */

	uint32_t init_proc, init_pid;
	uint32_t ooms;	 /* OOM events from the agent */
	const char *why; /* why the VM was given up, NULL: it ended */
	char lost[64];	 /* how the channel was first lost, or "" */
	bool vm_exited;	 /* the monitor's wait status is vm_status */
	int vm_status;
	bool exited;
	uint32_t code, signo;

	char *config;
	uint8_t *bpf;
	size_t bpf_len;
	struct sandbox_config sc;
	struct moat_conf conf; /* sc's strings point into it */
	struct net_setup net;  /* the engine's network, carried to taps */
	uint8_t *net_desc;     /* its description for the agent, or NULL */
	size_t net_desc_len;
	char rootfs[PATH_MAX];
	char agent_id[MSG_ID_MAX + 1];
};

/* main.c */
int shim_write_all(int fd, const void *buf, size_t len);
void shim_record(struct shim *s, enum state_status phase);
/* A line in the log. One the agent can trigger again and again goes
 * through log_limited() (src/common/log.h) instead, to the same log. */
void shim_log(struct shim *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
