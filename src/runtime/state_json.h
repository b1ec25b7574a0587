/*
 * state_json.h: a container's record (struct state) and its JSON codec:
 * state.json as moat keeps it, the OCI state document that `moat state`
 * prints and hooks read (runtime-spec runtime.md "State"), the ID check
 * and the status names. Pure (state_json.c).
 */
#ifndef MOAT_RUNTIME_STATE_JSON_H
#define MOAT_RUNTIME_STATE_JSON_H

#include "../common/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* An ID names a directory: at most NAME_MAX bytes. */
#define STATE_ID_MAX 255
#define STATE_PATH_MAX 4096
#define STATE_FORMAT_VERSION 1

enum state_status {
	STATE_CREATING,
	STATE_CREATED,
	STATE_RUNNING,
	STATE_PAUSED,
	STATE_STOPPED,
};

/* One of the config's annotations (owned strings). */
struct state_annotation {
	char *key;
	char *value;
};

/* A container's record, as in state.json. */
struct state {
	char id[STATE_ID_MAX + 1];
	enum state_status phase; /* the last one recorded */
	pid_t pid;		 /* 0: none yet (creating) */
	uint64_t pid_start;	 /* /proc/PID/stat field 22 */
	char bundle[STATE_PATH_MAX];
	char rootfs[STATE_PATH_MAX];
	char created[40]; /* RFC 3339, UTC, nanoseconds */
	uint32_t owner;	  /* uid of the creator */
	/* The config's annotations, in its order (owned; none: {}). */
	struct state_annotation *annotations;
	size_t nannotations;
};

/*
 * Check a container ID: 1 to STATE_ID_MAX bytes of [A-Za-z0-9_+.-], and
 * neither "." nor "..". Returns 0, or -1 with *e set (EINVAL). Pure.
 */
int state_id_check(const char *id, struct moat_err **e);

/* "running" etc.; NULL for a value outside the enum. */
const char *state_status_name(enum state_status s);
/* The inverse; -1 for an unknown name. */
int state_status_parse(const char *name);

/*
 * The status to report, from the recorded phase and whether the recorded
 * process is alive (a creating container has no process yet, pid 0).
 * Pure.
 */
enum state_status state_derive(enum state_status phase, pid_t pid, bool alive);

/* Serialize s as state.json / the OCI state document (runtime.md) with
 * the given status. Malloc'd text, or NULL when out of memory. */
char *state_to_json(const struct state *s);
char *state_oci_json(const struct state *s, enum state_status status,
		     const char *oci_version, bool pretty);

/* Parse state.json text (pure). */
int state_from_json(const char *text, size_t len, struct state *s,
		    struct moat_err **e);

/* Append the annotation key=value (copied; keys are unique) to s.
 * Returns 0, or -1 with *e set (ENOMEM). */
int state_annotation_add(struct state *s, const char *key, const char *value,
			 struct moat_err **e);

/* Free what state_read(), state_from_json() or state_annotation_add()
 * allocated in s. */
void state_clear(struct state *s);

#endif
