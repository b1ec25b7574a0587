/*
 * msg.h: message bodies of the host<->agent channel: the handshake,
 * requests, replies, errors and events (docs/protocol.md, "Message bodies"
 * and "Messages"). Framing is in wire.h.
 *
 * A body is a sequence of fields, each a little-endian u16 tag, u32 length
 * and value, in strictly ascending tag order. Every message type has a
 * schema: each known field's type, limits and whether it is required.
 * Unknown fields are skipped unless their tag has MSG_TAG_CRITICAL set.
 *
 * Inputs: on the host, bodies come from the guest (an attacker); on the
 * agent, from the host. Pure (no syscalls, no globals, no allocation):
 * decoded strings, lists and blobs are views into the input buffer.
 * Fuzzed by tests/fuzz/fuzz_wire.c.
 */
#ifndef MOAT_PROTO_MSG_H
#define MOAT_PROTO_MSG_H

#include "wire.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Request types (the header's op, in REQUEST, REPLY and ERROR frames). */
#define MSG_OP_CREATE 1
#define MSG_OP_START 2
#define MSG_OP_EXEC 3
#define MSG_OP_SIGNAL 4
#define MSG_OP_RESIZE 5
#define MSG_OP_CLOSE_STDIN 6
#define MSG_OP_WAIT 7
#define MSG_OP_PS 8
#define MSG_OP_STATS 9
#define MSG_OP_UPDATE 10
#define MSG_OP_PAUSE 11
#define MSG_OP_RESUME 12
#define MSG_OP_SHUTDOWN 13

/* Event types (the header's op in EVENT frames). */
#define MSG_EV_EXIT 64
#define MSG_EV_OOM 65

/* A field whose tag has this bit must be understood by the receiver. */
#define MSG_TAG_CRITICAL 0x8000
#define MSG_FIELD_HDR 6 /* u16 tag + u32 length */

/* Limits. Lengths exclude the NUL that ends each string on the wire. */
#define MSG_ID_MAX 128		/* container id */
#define MSG_TAG_MAX 36		/* share tag (virtio-fs tag size) */
#define MSG_NAME_MAX 64		/* software name in HELLO */
#define MSG_ARGV_MAX 4096	/* argv entries */
#define MSG_ENV_MAX 8192	/* env entries */
#define MSG_ARG_MAX 131071	/* one argv or env entry (MAX_ARG_STRLEN-1) */
#define MSG_PATH_MAX 4095	/* cwd (PATH_MAX-1) */
#define MSG_CGROUP_MAX 512	/* EXEC's sub-cgroup path */
#define MSG_GIDS_MAX 256	/* additional gids */
#define MSG_PIDS_MAX 65536	/* pids in a PS reply */
#define MSG_PSARGS_MAX 256	/* ps(1) options in a PS request */
#define MSG_TABLE_MAX 786432	/* a PS reply's table (768 KiB) */
#define MSG_TEXT_MAX 1024	/* error message */
#define MSG_CONFIG_MAX 786432	/* OCI config.json (768 KiB) */
#define MSG_RESOURCES_MAX 65536 /* resources JSON of UPDATE */
#define MSG_NET_MAX 65536	/* CREATE's network description */
#define MSG_BPF_MAX 4096	/* seccomp program, instructions */
#define MSG_BPF_INSN 8		/* bytes per instruction (sock_filter) */
#define MSG_SIGNAL_MAX 64	/* signal numbers are 1..64 */
#define MSG_CODE_MAX 4095	/* error codes are 1..4095 (errno values) */

/*
 * Views. A string is s[0..len) and s[len] is NUL (it is NUL-terminated in
 * the input, so s is a C string); s == NULL means the optional field was
 * absent. A string list is count NUL-terminated strings packed in
 * p[0..size). A u32 list is count little-endian u32 at p. A blob is
 * p[0..len), absent when len is 0.
 */
struct msg_str {
	const char *s;
	uint32_t len;
};

struct msg_strlist {
	const char *p;
	uint32_t size;
	uint32_t count;
};

struct msg_u32list {
	const uint8_t *p;
	uint32_t count;
};

struct msg_blob {
	const uint8_t *p;
	uint32_t len;
};

/*
 * Bodies. Optional fields hold 0 / false / NULL / empty when absent, and
 * the encoder leaves out an optional field holding that zero value.
 * Stream ids: 0 means not connected.
 */
struct msg_hello {	      /* HELLO */
	uint32_t version_min; /* 1: required, >= 1 */
	uint32_t version_max; /* 2: required, >= version_min */
	uint64_t features;    /* 3 */
	struct msg_str name;  /* 4: software and version, for logs */
};

struct msg_create {		 /* CREATE request */
	struct msg_str id;	 /* 1: required, [A-Za-z0-9][A-Za-z0-9_.-]* */
	struct msg_str bundle;	 /* 2: required, share tag, same charset */
	struct msg_blob config;	 /* 3: required, config.json, no NUL */
	struct msg_blob seccomp; /* 4: BPF program (struct sock_filter[]) */
	uint32_t stream_in;	 /* 5: init process stdin */
	uint32_t stream_out;	 /* 6: stdout */
	uint32_t stream_err;	 /* 7: stderr */
	uint32_t stream_tty;	 /* 8: terminal (both ways); excludes 5..7 */
	struct msg_blob net;	 /* 9: the NICs' settings (netdesc.h) */
};

struct msg_exec {		 /* EXEC request */
	struct msg_strlist argv; /* 1: required, 1..MSG_ARGV_MAX entries */
	struct msg_strlist env;	 /* 2: "KEY=VALUE" entries, KEY not empty */
	struct msg_str cwd;	 /* 3: absolute; absent: the config's cwd */
	uint32_t uid;		 /* 4 */
	uint32_t gid;		 /* 5 */
	struct msg_u32list gids; /* 6: additional gids */
	uint32_t stream_in;	 /* 7 */
	uint32_t stream_out;	 /* 8 */
	uint32_t stream_err;	 /* 9 */
	uint32_t stream_tty;	 /* 10: excludes 7..9 */
	bool has_caps;		 /* 11: 12..16 replace the container's */
	uint64_t caps[5];	 /* 12..16: bounding, effective, inheritable,
				  * permitted, ambient (bit n: capability n);
				  * 0 unless has_caps */
	uint32_t no_new_privs;	 /* 17: MSG_NNP_* */
	struct msg_str cgroup;	 /* 18: a sub-cgroup of the container's to
				  * join (msg_cgroup_path_ok()); absent: its
				  * own */
};

/* EXEC's no_new_privs: the container's setting (absent), off, or on. */
enum { MSG_NNP_CONTAINER, MSG_NNP_OFF, MSG_NNP_ON };

struct msg_signal {	/* SIGNAL request */
	uint32_t proc;	/* 1: process handle; required unless all */
	uint32_t signo; /* 2: required, 1..MSG_SIGNAL_MAX */
	bool all;	/* 3: every process of the container; proc 0 */
};

struct msg_resize {    /* RESIZE request */
	uint32_t proc; /* 1: required */
	uint32_t rows; /* 2: required, 0..65535 */
	uint32_t cols; /* 3: required, 0..65535 */
};

struct msg_target {    /* CLOSE_STDIN and WAIT requests */
	uint32_t proc; /* 1: required */
};

struct msg_update {		   /* UPDATE request */
	struct msg_blob resources; /* 1: required, OCI resources JSON */
};

struct msg_started {   /* CREATE and EXEC replies */
	uint32_t proc; /* 1: required, the handle (never reused) */
	uint32_t pid;  /* 2: required, the guest pid */
};

struct msg_exit {	/* EXIT event and WAIT reply */
	uint32_t proc;	/* 1: required */
	uint32_t code;	/* 2: exit status 0..255; 0 when signo is set */
	uint32_t signo; /* 3: the killing signal, 1..MSG_SIGNAL_MAX */
};

struct msg_psreq {		 /* PS request */
	struct msg_strlist args; /* 1: ps(1)'s options; present: a table */
};

struct msg_ps {			 /* PS reply */
	struct msg_u32list pids; /* 1: required (may be empty), guest pids */
	struct msg_blob table;	 /* 2: the table asked (header and rows) */
};

struct msg_stats {	      /* STATS reply */
	uint64_t cpu_ns;      /* 1: required, cpu time used */
	uint64_t cpu_user_ns; /* 2 */
	uint64_t cpu_sys_ns;  /* 3 */
	uint64_t mem_bytes;   /* 4: required, memory in use */
	uint64_t mem_limit;   /* 5: 0 when unlimited */
	uint64_t pids;	      /* 6: required, number of processes */
	uint64_t pids_limit;  /* 7: 0 when unlimited */
};

struct msg_error {	     /* ERROR frame, for any op */
	uint32_t code;	     /* 1: required, Linux errno value 1..4095 */
	struct msg_str text; /* 2: for humans; print escaped */
};

struct msg_oom {       /* OOM event */
	uint32_t proc; /* 1: the process killed, when known */
};

/*
 * A whole message: the frame's kind, op and id and the body. Which member
 * of u is used follows from kind and op (docs/protocol.md, "Messages");
 * START, STATS, PAUSE, RESUME and SHUTDOWN requests and the replies to
 * START, SIGNAL, RESIZE, CLOSE_STDIN, UPDATE, PAUSE, RESUME and SHUTDOWN
 * have no fields.
 */
struct msg {
	uint8_t kind;
	uint16_t op;
	uint32_t id;
	union {
		struct msg_hello hello;
		struct msg_create create;
		struct msg_exec exec;
		struct msg_signal signal;
		struct msg_resize resize;
		struct msg_target target;
		struct msg_update update;
		struct msg_started started;
		struct msg_exit exit;
		struct msg_psreq psreq;
		struct msg_ps ps;
		struct msg_stats stats;
		struct msg_error error;
		struct msg_oom oom;
	} u;
};

/*
 * Decode the body of f, a frame from wire_frame_decode() of kind HELLO,
 * REQUEST, REPLY, ERROR or EVENT, into *m. Views in *m point into f's
 * buffer. Returns 0 or a negative WIRE_E*: WIRE_EKIND for a stream kind,
 * WIRE_EOP for a type unknown for the kind (a REQUEST: answer with an
 * ERROR of msg_error_code(WIRE_EOP)), else the body is malformed. On error
 * *m is unspecified, but m->kind, m->op and m->id are those of f.
 */
int msg_decode(const struct wire_frame *f, struct msg *m);

/*
 * Encode m as a whole frame (header and body) into buf[0..cap). The fields
 * are checked as the decoder checks them. Returns the frame's length or a
 * negative WIRE_E* (WIRE_ENOSPC: cap too small; WIRE_ETOOBIG: body over
 * WIRE_BODY_MAX). The views in m must not overlap buf.
 */
int msg_encode(void *buf, size_t cap, const struct msg *m);

/* true when a and b carry the same message (views compared by content). */
bool msg_equal(const struct msg *a, const struct msg *b);

/* The Linux errno value an ERROR reply carries for a decoding error of a
 * request: ENOSYS for WIRE_EOP, EOPNOTSUPP for WIRE_ECRITICAL, else
 * EINVAL. */
uint32_t msg_error_code(int err);

/*
 * Handshake: each side sends a HELLO first and reads the peer's. Fills
 * *version with the highest version both support and *features with the
 * features both offer; WIRE_EVERSION when there is no common version.
 */
int msg_hello_negotiate(const struct msg_hello *mine,
			const struct msg_hello *peer, uint32_t *version,
			uint64_t *features);

/*
 * String lists. msg_strlist_next() steps through l: start with *off = 0;
 * returns 1 with *item set, or 0 at the end. msg_strlist_vec() fills
 * v[0..count) with the entries and v[count] with NULL (an execve() argv);
 * returns count, or WIRE_ENOSPC when cap < count + 1. msg_strlist_pack()
 * packs v[0..n) into buf[0..cap) and points *out at it; returns the size
 * used or WIRE_ENOSPC.
 */
/*
 * A sub-cgroup path as EXEC and shim.sock carry it: 1 to MSG_CGROUP_MAX
 * bytes of printable ASCII but space, relative, its components separated
 * by one '/', none empty, "." or "..", so that it names a group under the
 * container's and nothing else.
 */
bool msg_cgroup_path_ok(const char *s, size_t len);

int msg_strlist_next(const struct msg_strlist *l, uint32_t *off,
		     struct msg_str *item);
int msg_strlist_vec(const struct msg_strlist *l, const char **v, size_t cap);
int msg_strlist_pack(char *buf, size_t cap, const char *const *v, uint32_t n,
		     struct msg_strlist *out);

/* u32 lists: entry i (i < count), and packing v[0..n) into buf[0..cap)
 * (returns the size used or WIRE_ENOSPC). */
uint32_t msg_u32list_get(const struct msg_u32list *l, uint32_t i);
int msg_u32list_pack(uint8_t *buf, size_t cap, const uint32_t *v, uint32_t n,
		     struct msg_u32list *out);

#endif
