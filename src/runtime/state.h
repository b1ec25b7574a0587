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
 * Implements the runtime-spec runtime.md "State" and "Lifecycle". The
 * record and its JSON are state_json.h's, the process checks state_proc.h's.
 */
#ifndef MOAT_RUNTIME_STATE_H
#define MOAT_RUNTIME_STATE_H

#include "state_json.h"
#include "state_proc.h"

/* Files the shim keeps in <root>/<id>/ (docs/state.md): its control
 * socket (src/runtime/shimctl.h), the VM's console log, and the QEMU
 * backend's virtio-fs socket. */
#define STATE_SHIM_SOCK "shim.sock"
#define STATE_CONSOLE_LOG "console.log"
#define STATE_VIRTIOFS_SOCK "virtiofs.sock" /* the QEMU backend's */
#define STATE_CONFIG "config.json" /* the config at create, for hooks */
#define STATE_SHARE_DIR \
	"share" /* the VM's share (empty seen from outside the shim) */

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

/*
 * The IDs of the containers under root, sorted, in a malloc'd
 * NULL-terminated vector (*n of them). A missing root is an empty list.
 * Entries that are not valid IDs are skipped.
 */
int state_list(const char *root, char ***ids, size_t *n, struct moat_err **e);
void state_list_free(char **ids);

/* Now, as RFC 3339 with nanoseconds, UTC ("2026-01-02T03:04:05.123456789Z"). */
void state_now_rfc3339(char *buf, size_t len);

#endif
