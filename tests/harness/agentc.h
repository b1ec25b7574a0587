/*
 * agentc.h: the tests' and benchmarks' blocking wrapper over the host's
 * agent client (src/sandbox/aclient.h, the one the shim uses). It starts
 * the agent in host mode on a socketpair (or takes a VM's channel), and
 * waits: for the handshake, for replies by id, for EXIT and OOM events,
 * for streams' EOFs (output collected in memory or passed to a callback,
 * input sent within the credit the agent grants).
 *
 * Every frame from the agent goes through the client and the codec's
 * checks; a protocol error by the agent fails the test. Functions that
 * wait take a timeout and fail the test (FAIL) when it passes.
 */
#ifndef MOAT_TEST_AGENTC_H
#define MOAT_TEST_AGENTC_H

#include "../../src/proto/msg.h"
#include "../../src/sandbox/aclient.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define AGENTC_MAX_STREAMS 64
#define AGENTC_MAX_EXITS 256
#define AGENTC_TIMEOUT_MS 20000
/* A guest's boot to its HELLO: seconds under TCG, more when the machine
 * is loaded (nested KVM on an emulated CPU). */
#define AGENTC_HELLO_MS 120000

struct agentc_stream {
	uint32_t id;
	bool used;
	bool out;    /* agent -> us: we grant credit */
	bool paused; /* out: do not grant more */
	bool eof;    /* out: the agent sent EOF */
	uint32_t window;
	/* Copies of the client's credit, brought up to date by each call. */
	uint32_t outstanding;	   /* out: granted, not yet received */
	uint32_t credit;	   /* in: what we may still send */
	struct aclient_stream *st; /* the client's */
	uint8_t *data;		   /* out: collected bytes (unless on_data) */
	size_t len, cap;
	uint64_t total; /* out: bytes received */
	void (*on_data)(void *arg, const uint8_t *p, size_t n);
	void *arg;
};

struct agentc_reply {
	uint32_t id;
	uint8_t *frame;
	size_t len;
};

struct agentc {
	struct aclient ac;
	pid_t pid;
	int fd;
	uint32_t next_id;
	bool eof;      /* the agent closed the channel */
	char lost[96]; /* how the channel was lost */
	struct agentc_stream streams[AGENTC_MAX_STREAMS];
	struct agentc_reply replies[64];
	size_t nreplies;
	struct msg_exit exits[AGENTC_MAX_EXITS];
	size_t nexits;
	struct msg_oom ooms[AGENTC_MAX_EXITS]; /* OOM events */
	size_t oom_nexits[AGENTC_MAX_EXITS];   /* nexits when each came */
	size_t nooms;
	char error[MSG_TEXT_MAX + 1]; /* text of the last ERROR */
	uint32_t run_streams;	      /* agentc_run's, counted */
	uint8_t msgbuf[WIRE_FRAME_MAX];
};

/* Start the agent (MOAT_AGENT) with --channel-fd and --share-dir
 * share_dir, plus extra arguments (NULL-terminated, may be NULL), without
 * the handshake. */
void agentc_spawn(struct agentc *c, const char *share_dir,
		  const char *const *extra);
/* Use an already connected channel fd (e.g. a VM's agent port) whose far
 * end is served by process pid (waited for by agentc_stop), without the
 * handshake. */
void agentc_attach(struct agentc *c, int fd, pid_t pid);
/* Send our HELLO and check the agent's. */
void agentc_handshake(struct agentc *c);
/* agentc_spawn + agentc_handshake. */
void agentc_start(struct agentc *c, const char *share_dir);
/* Send SHUTDOWN when the channel is open, then wait for the agent (kill
 * it after a while). Returns its wait status. */
int agentc_stop(struct agentc *c);

/* Write raw bytes to the channel (pumping input meanwhile). */
void agentc_write(struct agentc *c, const void *buf, size_t len);
/* Encode and send m; for a request, m->id 0 is given the next id. Returns
 * the id. */
uint32_t agentc_send(struct agentc *c, struct msg *m);

/*
 * Read and handle what the agent sends for up to timeout_ms (0: only what
 * is there). Returns false when the channel ended.
 */
bool agentc_pump(struct agentc *c, int timeout_ms);

/*
 * Wait for the reply to request id. Returns 0 and decodes it into *out
 * (views into c->msgbuf; out may be NULL), or the ERROR's code (its text in
 * c->error). Fails the test on a timeout.
 */
int agentc_wait_reply(struct agentc *c, uint32_t id, struct msg *out);
/* Send a request and wait for its reply (agentc_send + agentc_wait_reply). */
int agentc_call(struct agentc *c, struct msg *req, struct msg *out);

/* Streams. Output: collected (or passed to on_data) with credit granted
 * in a window; input: data sent within the agent's credit. */
struct agentc_stream *agentc_out(struct agentc *c, uint32_t id,
				 uint32_t window);
struct agentc_stream *agentc_in(struct agentc *c, uint32_t id);
struct agentc_stream *agentc_stream(struct agentc *c, uint32_t id);
void agentc_pause(struct agentc *c, uint32_t id, bool paused);
void agentc_write_stream(struct agentc *c, uint32_t id, const void *p,
			 size_t n);
void agentc_eof(struct agentc *c, uint32_t id);
/* Wait for EOF on output stream id; returns its collected bytes,
 * NUL-terminated. */
const char *agentc_wait_eof(struct agentc *c, uint32_t id);
/* Run argv (EXEC with stdout and stderr on two streams of its own, ids
 * from 0x100000 up) and wait for its exit: returns its stdout, then its
 * stderr (in a static buffer, up to 16 KiB), and *code its exit status
 * (128 + the signal that killed it). An EXEC error fails the test. */
const char *agentc_run(struct agentc *c, const char *const *argv, int *code);
/* agentc_run of "sh -c script". */
const char *agentc_sh(struct agentc *c, const char *script, int *code);

/* CREATE: config JSON text, optional BPF, stream ids (0: none). Returns
 * 0 with *proc set, or the error code. */
int agentc_create(struct agentc *c, const char *id, const char *tag,
		  const char *config, const void *bpf, size_t bpf_len,
		  uint32_t in, uint32_t out, uint32_t err, uint32_t tty,
		  uint32_t *proc, uint32_t *pid);
int agentc_simple(struct agentc *c, uint16_t op);
/* EXEC argv (NULL-terminated) as uid 0 with env PATH=/bin. */
int agentc_exec(struct agentc *c, const char *const *argv, uint32_t in,
		uint32_t out, uint32_t err, uint32_t tty, uint32_t *proc,
		uint32_t *pid);
int agentc_signal(struct agentc *c, uint32_t proc, uint32_t signo);
/* WAIT for proc: fills *code and *signo. Returns 0 or the error code. */
int agentc_wait(struct agentc *c, uint32_t proc, uint32_t *code,
		uint32_t *signo);
/* STATS: fills *st. Returns 0 or the error code. */
int agentc_stats(struct agentc *c, struct msg_stats *st);
/* UPDATE with the resources JSON text. Returns 0 or the error code. */
int agentc_update(struct agentc *c, const char *json);
/* Handle what the agent sends for ms milliseconds. */
void agentc_pump_for(struct agentc *c, int ms);
/* The i-th OOM event (from 0), waiting for it up to timeout_ms; NULL
 * when none came. */
const struct msg_oom *agentc_wait_oom(struct agentc *c, size_t i,
				      int timeout_ms);
/* The EXIT event for proc, waiting for it; NULL on a timeout. */
const struct msg_exit *agentc_wait_exit_event(struct agentc *c, uint32_t proc);

#endif
