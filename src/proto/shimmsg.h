/*
 * shimmsg.h: the codec of shim.sock, the CLI <-> shim control socket
 * (docs/protocol.md, "The shim's control socket"; the socket's I/O is
 * src/runtime/shimctl.c, the shim's side src/shim/ctl.c). Pure: no
 * syscalls, no allocation; lines without their newline.
 *
 * Requests, one line per connection:
 *
 *   start | kill <signo> [all] | ps | pause | resume | stats
 *   update <n> | exec <n> [<cgroup>]   (then <n> bytes of JSON)
 *   pstable <n>                  (then <n> bytes: ps(1)'s options, each
 *                                 NUL-terminated)
 *
 * and on an exec's connection, while its process lives: kill <signo>,
 * resize <rows> <cols>. Replies: "ok[ ...]" or "error <text>"; what
 * follows "ok" depends on the request (ps: the guest pids; stats:
 * key=value figures; exec: the pid, then later "exit <code> <signo>";
 * pstable: "ok <n>", then <n> bytes of the table's text).
 *
 * Inputs: requests come from root or the shim's user; replies from the
 * shim, whose error text may quote the guest agent (a view, printed, never
 * parsed).
 */
#ifndef MOAT_PROTO_SHIMMSG_H
#define MOAT_PROTO_SHIMMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHIMMSG_LINE_MAX 1024	       /* a line, its newline included */
#define SHIMMSG_PAYLOAD_MAX (1U << 20) /* update's and exec's JSON */
#define SHIMMSG_PIDS_MAX 512	       /* in a ps reply (a line holds fewer) */
#define SHIMMSG_PSARGS_MAX 256	       /* options in a pstable request */
#define SHIMMSG_PSARGS_BYTES (64U << 10) /* their bytes */

/* Errors: negative. */
#define SHIMMSG_EVERB (-1) /* not a request this connection knows */
#define SHIMMSG_EARG (-2)  /* a known verb, bad arguments (verb set) */
#define SHIMMSG_EMALFORMED \
	(-3)		    /* a reply neither ok nor error, or bad figures */
#define SHIMMSG_ESPACE (-4) /* does not fit the buffer */

enum shimmsg_verb {
	SHIMMSG_START = 1,
	SHIMMSG_KILL,
	SHIMMSG_PS,
	SHIMMSG_PAUSE,
	SHIMMSG_RESUME,
	SHIMMSG_STATS,
	SHIMMSG_UPDATE,
	SHIMMSG_EXEC,
	SHIMMSG_RESIZE, /* on an exec's connection only */
	SHIMMSG_PSTABLE,
	SHIMMSG_VERBS,
};

struct shimmsg_req {
	enum shimmsg_verb verb;
	uint32_t signo; /* kill: 1..SHIMMSG_SIGNAL_MAX */
	bool all;	/* kill: every process */
	uint32_t len;	/* update, exec: the JSON's bytes, 1.._PAYLOAD_MAX;
			 * pstable: the options', 1.._PSARGS_BYTES */
	/* exec: the sub-cgroup to join (msg_cgroup_path_ok()), a view (not
	 * terminated; decoded, into the line), or NULL for none */
	const char *cgroup;
	size_t cgroup_len;
	uint32_t rows, cols; /* resize: each < 65536 */
};

#define SHIMMSG_SIGNAL_MAX 64

struct shimmsg_stats {
	uint64_t cpu, user, sys; /* ns */
	uint64_t mem, memlimit;	 /* bytes; limit 0: none */
	uint64_t pids, pidslimit;
	uint64_t oom; /* OOM events since the start */
};

enum shimmsg_kind {
	SHIMMSG_OK = 1,
	SHIMMSG_ERROR,
	SHIMMSG_EXIT, /* an exec's process ended */
};

struct shimmsg_reply {
	enum shimmsg_kind kind;
	const char *text; /* error: a view into the line, not terminated */
	size_t text_len;
	uint32_t pid;			 /* exec's ok */
	uint32_t len;			 /* pstable's ok: the table's bytes */
	uint32_t npids;			 /* ps */
	uint32_t pids[SHIMMSG_PIDS_MAX]; /* ps */
	struct shimmsg_stats stats;	 /* stats */
	uint32_t code, signo;		 /* exit */
};

/* The verb's name ("kill", ...), NULL for none. */
const char *shimmsg_verb_name(enum shimmsg_verb verb);

/* Write r as a line (NUL-terminated, no newline) into buf; returns its
 * length or SHIMMSG_ESPACE / SHIMMSG_EARG. */
int shimmsg_req_encode(char *buf, size_t cap, const struct shimmsg_req *r);
/* Read the request in line[0..len) (the control socket's verbs; resize is
 * refused as EVERB). 0, or an error (EARG: r->verb is set). */
int shimmsg_req_decode(const char *line, size_t len, struct shimmsg_req *r);
/* The same for a line on an exec's connection: kill <signo> (no "all")
 * or resize <rows> <cols>. */
int shimmsg_xreq_decode(const char *line, size_t len, struct shimmsg_req *r);

/*
 * Check a pstable request's payload p[0..len): 1..SHIMMSG_PSARGS_MAX
 * strings, each NUL-terminated. Returns their count, or SHIMMSG_EARG.
 */
int shimmsg_psargs_check(const char *p, size_t len);

/*
 * Write the reply r to a request of verb into buf (NUL-terminated, no
 * newline): an error's text is cut to fit the line; a ps reply's pids
 * stop where the line is full. Returns the length or SHIMMSG_ESPACE.
 */
int shimmsg_reply_encode(char *buf, size_t cap, enum shimmsg_verb verb,
			 const struct shimmsg_reply *r);
/* Read the reply in line[0..len) to a request of verb (exec: the "ok
 * <pid>" or, later, "exit ..."). 0 or SHIMMSG_EMALFORMED. */
int shimmsg_reply_decode(const char *line, size_t len, enum shimmsg_verb verb,
			 struct shimmsg_reply *r);

#endif
