/*
 * state.h: the containers' state directory under --root (docs/state.md).
 *
 * One directory per container, <root>/<id>/, holding state.json (written
 * tmp + fsync + rename, so a reader sees the old or the new document,
 * never a torn one) and a lock file taken with flock(2) around every
 * change. The container's status is derived from what is alive: the
 * recorded process must exist, not be a zombie, and have the recorded
 * start time (/proc/PID/stat field 22), so a dead or reused PID shows as
 * stopped, never running.
 *
 * Inputs: the root path and container IDs come from the engine or the user
 * on the command line (IDs are validated before any path is built); the
 * files under the root are written by moat, but are read with the same
 * care (types checked, no symlinks followed inside the root).
 * Implements the runtime-spec runtime.md "State" and "Lifecycle".
 */
#ifndef MOAT_RUNTIME_STATE_H
#define MOAT_RUNTIME_STATE_H

#include "../common/err.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* An ID names a directory: at most NAME_MAX bytes. */
#define STATE_ID_MAX 255
#define STATE_PATH_MAX 4096
#define STATE_FORMAT_VERSION 1
/* Files the shim keeps in <root>/<id>/ (docs/state.md): its control
 * socket (src/runtime/shimctl.h), the VM's console log, and the QEMU
 * backend's virtio-fs socket. */
#define STATE_SHIM_SOCK "shim.sock"
#define STATE_CONSOLE_LOG "console.log"
#define STATE_VIRTIOFS_SOCK "virtiofs.sock" /* the QEMU backend's */
#define STATE_CONFIG "config.json" /* the config at create, for hooks */
#define STATE_SHARE_DIR \
	"share" /* the VM's share (empty seen from outside the shim) */

enum state_status {
	STATE_CREATING,
	STATE_CREATED,
	STATE_RUNNING,
	STATE_PAUSED,
	STATE_STOPPED,
};

/* A container's record, as in state.json. */
struct state {
	char id[STATE_ID_MAX + 1];
	enum state_status phase; /* the last one recorded */
	pid_t pid;		 /* 0: none yet (creating) */
	uint64_t pid_start;	 /* /proc/PID/stat field 22 */
	char bundle[STATE_PATH_MAX];
	char rootfs[STATE_PATH_MAX];
	char created[40];	/* RFC 3339, UTC, nanoseconds */
	uint32_t owner;		/* uid of the creator */
	char *annotations_json; /* a JSON object, or NULL for {} (owned) */
};

/* An open container directory. lock_fd >= 0 while the lock is held. */
struct state_handle {
	int dir_fd;
	int lock_fd;
	char id[STATE_ID_MAX + 1];
};

#define STATE_HANDLE_INIT  \
	{                  \
		-1, -1, "" \
	}

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

/*
 * Parse the text of /proc/PID/stat: *st the state letter (field 3), *start
 * the start time (field 22). The comm field may hold spaces and ')': the
 * fields after it are found from the last ')'. Returns 0 or -1. Pure.
 */
int state_parse_proc_stat(const char *buf, size_t len, char *st,
			  uint64_t *start);

/*
 * The start time of pid from /proc. Returns 0, or -1 with errno set
 * (ENOENT / ESRCH: no such process).
 */
int state_proc_start(pid_t pid, uint64_t *start);

/*
 * Is pid alive and the very process that started at start (not a zombie,
 * not a reuse of its PID)?
 */
bool state_proc_alive(pid_t pid, uint64_t start);

/*
 * Send sig to the recorded process of s, only if it is still that process
 * (a pidfd is opened first, then the start time checked, so a PID reused
 * in between is never signalled). With wait_ms > 0, then wait up to that
 * long for it to exit. Returns 0, or -1 with *e set: ESRCH when the
 * process is gone, ETIMEDOUT when it outlived wait_ms.
 */
int state_signal(const struct state *s, int sig, int wait_ms,
		 struct moat_err **e);

/* The status of a loaded record, from state_derive and /proc. */
enum state_status state_status_of(const struct state *s);

/*
 * Open <root>/<id>. With lock, also take its lock (blocking), and fail
 * with ENOENT if the container was deleted while we waited. Returns 0, or
 * -1 with *e set ("container <id> does not exist", ENOENT, when it is not
 * there). Readers (state, list) need no lock: state.json is replaced
 * atomically.
 */
int state_open(const char *root, const char *id, bool lock,
	       struct state_handle *h, struct moat_err **e);

/*
 * Create <root> (mode 0700, if missing) and <root>/<id> (EEXIST: the
 * container exists), lock it and write s with phase creating. On success
 * h is open and locked. On failure nothing is left behind.
 */
int state_create(const char *root, const struct state *s,
		 struct state_handle *h, struct moat_err **e);

/* Read state.json of an open container into *s (annotations_json is
 * malloc'd: state_clear() frees it). */
int state_read(struct state_handle *h, struct state *s, struct moat_err **e);

/* Replace state.json atomically (the lock must be held). */
int state_write(struct state_handle *h, const struct state *s,
		struct moat_err **e);

/*
 * Remove the container's directory and everything moat put in it, then
 * release the lock and close h (the lock must be held). A concurrent
 * waiter for the lock then sees the container gone.
 */
int state_destroy(const char *root, struct state_handle *h,
		  struct moat_err **e);

/* Release the lock (if held) and close h; safe to call twice. */
void state_close(struct state_handle *h);

void state_clear(struct state *s);

/*
 * The IDs of the containers under root, sorted, in a malloc'd
 * NULL-terminated vector (*n of them). A missing root is an empty list.
 * Entries that are not valid IDs are skipped.
 */
int state_list(const char *root, char ***ids, size_t *n, struct moat_err **e);
void state_list_free(char **ids);

/* Serialize s as state.json / the OCI state document (runtime.md) with
 * the given status. Malloc'd text, or NULL when out of memory. */
char *state_to_json(const struct state *s);
char *state_oci_json(const struct state *s, enum state_status status,
		     const char *oci_version, bool pretty);

/* Parse state.json text (pure). */
int state_from_json(const char *text, size_t len, struct state *s,
		    struct moat_err **e);

/* Now, as RFC 3339 with nanoseconds, UTC ("2026-01-02T03:04:05.123456789Z"). */
void state_now_rfc3339(char *buf, size_t len);

#endif
