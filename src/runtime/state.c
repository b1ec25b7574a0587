/*
 * state.c: the state directory under --root (see state.h and
 * docs/state.md; runtime-spec runtime.md "State").
 *
 * Inputs: the root path and IDs from the command line; state.json files
 * under the root (written by moat, still type-checked when read back).
 * Every path inside the root is opened relative to a directory fd with
 * O_NOFOLLOW, and only after the ID has passed state_id_check().
 */
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define STATE_FILE "state.json"
#define STATE_TMP "state.json.tmp"
#define STATE_LOCK "lock"
#define STATE_FILE_MAX (1u << 20)

static const char *const state_names[] = {
	[STATE_CREATING] = "creating", [STATE_CREATED] = "created",
	[STATE_RUNNING] = "running",   [STATE_PAUSED] = "paused",
	[STATE_STOPPED] = "stopped",
};

#define STATE_NSTATUS (sizeof(state_names) / sizeof(state_names[0]))

int state_id_check(const char *id, struct moat_err **e)
{
	size_t n = strnlen(id, STATE_ID_MAX + 1), i;
	char c;

	if (!n)
		return moat_err_code(e, EINVAL, "invalid container id: empty");
	if (n > STATE_ID_MAX)
		return moat_err_code(e, EINVAL,
				     "invalid container id: longer than %d "
				     "bytes",
				     STATE_ID_MAX);
	if (!strcmp(id, ".") || !strcmp(id, ".."))
		return moat_err_code(e, EINVAL, "invalid container id: %s", id);
	for (i = 0; i < n; i++) {
		c = id[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '+' ||
		      c == '-' || c == '.'))
			return moat_err_code(e, EINVAL,
					     "invalid container id: only "
					     "letters, digits and _+.- are "
					     "allowed");
	}
	return 0;
}

const char *state_status_name(enum state_status s)
{
	if ((unsigned)s >= STATE_NSTATUS)
		return NULL;
	return state_names[s];
}

int state_status_parse(const char *name)
{
	size_t i;

	for (i = 0; i < STATE_NSTATUS; i++)
		if (!strcmp(name, state_names[i]))
			return (int)i;
	return -1;
}

enum state_status state_derive(enum state_status phase, pid_t pid, bool alive)
{
	if (phase == STATE_STOPPED)
		return STATE_STOPPED;
	/* Still being created: the creator holds the lock and has no
	 * process to show yet. */
	if (phase == STATE_CREATING && pid == 0)
		return STATE_CREATING;
	if (pid <= 0 || !alive)
		return STATE_STOPPED;
	return phase;
}

int state_parse_proc_stat(const char *buf, size_t len, char *st,
			  uint64_t *start)
{
	const char *p = NULL, *end = buf + len;
	unsigned long long v = 0;
	size_t i;
	int field;

	for (i = 0; i < len; i++)
		if (buf[i] == ')')
			p = buf + i;
	if (!p)
		return -1;
	/* p: the ')' closing field 2; field 3 (state) follows a space */
	p++;
	if (p + 2 > end || *p != ' ')
		return -1;
	*st = p[1];
	p += 2;
	/* skip to field 22: 19 more spaces */
	for (field = 3; field < 22; field++) {
		while (p < end && *p != ' ')
			p++;
		if (p >= end)
			return -1;
		p++;
	}
	if (p >= end || *p < '0' || *p > '9')
		return -1;
	while (p < end && *p >= '0' && *p <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (unsigned long long)(*p++ - '0');
	}
	if (p < end && *p != ' ' && *p != '\n')
		return -1;
	*start = v;
	return 0;
}

/* Read /proc/PID/stat: its state letter and start time. */
static int state_proc_stat(pid_t pid, char *st, uint64_t *start)
{
	char path[64], buf[1024];
	ssize_t n;
	int fd;

	if (pid <= 0) {
		errno = ESRCH;
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return -1;
	if (state_parse_proc_stat(buf, (size_t)n, st, start)) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

int state_proc_start(pid_t pid, uint64_t *start)
{
	char st;

	return state_proc_stat(pid, &st, start);
}

bool state_proc_alive(pid_t pid, uint64_t start)
{
	uint64_t now;
	char st;

	if (state_proc_stat(pid, &st, &now))
		return false;
	/* Z: zombie, X: dead; a different start time: the PID was reused */
	return st != 'Z' && st != 'X' && now == start;
}

int state_signal(const struct state *s, int sig, int wait_ms,
		 struct moat_err **e)
{
	struct pollfd p;
	int pfd, r, err;

	if (s->pid <= 0)
		return moat_err_code(e, ESRCH, "container %s has no process",
				     s->id);
	pfd = (int)syscall(SYS_pidfd_open, s->pid, 0);
	if (pfd < 0 && errno != ENOSYS && errno != ESRCH)
		return moat_err_set(e, errno, "container %s: pidfd_open",
				    s->id);
	if (!state_proc_alive(s->pid, s->pid_start)) {
		if (pfd >= 0)
			close(pfd);
		return moat_err_code(e, ESRCH, "container %s is not running",
				     s->id);
	}
	if (pfd >= 0)
		r = (int)syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0);
	else
		r = kill(s->pid, sig);
	if (r < 0) {
		err = errno;
		if (pfd >= 0)
			close(pfd);
		if (err == ESRCH)
			return moat_err_code(
				e, ESRCH, "container %s is not running", s->id);
		return moat_err_set(e, err, "container %s: signal %d", s->id,
				    sig);
	}
	for (r = 0; wait_ms > 0 && r < wait_ms; r += 10) {
		if (pfd >= 0) {
			/* POLLIN: the process has exited */
			p.fd = pfd;
			p.events = POLLIN;
			if (poll(&p, 1, wait_ms) > 0)
				break;
			r = wait_ms;
			break;
		}
		if (!state_proc_alive(s->pid, s->pid_start))
			break;
		usleep(10000);
	}
	if (pfd >= 0)
		close(pfd);
	if (wait_ms > 0 && r >= wait_ms &&
	    state_proc_alive(s->pid, s->pid_start))
		return moat_err_code(e, ETIMEDOUT,
				     "container %s: still alive %d ms after "
				     "signal %d",
				     s->id, wait_ms, sig);
	return 0;
}

enum state_status state_status_of(const struct state *s)
{
	bool alive = s->pid > 0 && state_proc_alive(s->pid, s->pid_start);

	return state_derive(s->phase, s->pid, alive);
}

void state_now_rfc3339(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char day[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09ldZ", day, ts.tv_nsec);
}

/* --- JSON ----------------------------------------------------------------- */

static json_t *state_annotations(const struct state *s)
{
	json_t *a;

	if (!s->annotations_json)
		return json_object();
	a = json_loads(s->annotations_json, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(a)) {
		json_decref(a);
		return json_object();
	}
	return a;
}

char *state_to_json(const struct state *s)
{
	json_t *j;
	char *out;

	j = json_pack("{s:i,s:s,s:s,s:I,s:I,s:s,s:s,s:s,s:I,s:o}", "version",
		      STATE_FORMAT_VERSION, "id", s->id, "phase",
		      state_status_name(s->phase), "pid", (json_int_t)s->pid,
		      "pidStartTime", (json_int_t)s->pid_start, "bundle",
		      s->bundle, "rootfs", s->rootfs, "created", s->created,
		      "owner", (json_int_t)s->owner, "annotations",
		      state_annotations(s));
	if (!j)
		return NULL;
	out = json_dumps(j, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	json_decref(j);
	return out;
}

char *state_oci_json(const struct state *s, enum state_status status,
		     const char *oci_version, bool pretty)
{
	json_t *j;
	char *out;
	char owner[16];

	snprintf(owner, sizeof(owner), "%u", (unsigned)s->owner);
	j = json_pack(
		"{s:s,s:s,s:s,s:I,s:s,s:s,s:s,s:s,s:o}", "ociVersion",
		oci_version, "id", s->id, "status", state_status_name(status),
		"pid",
		/* creating: what create-time hooks see, with the pid they
		 * need (docker's joins /proc/<pid>/ns/net), as runc's do. */
		(json_int_t)((status == STATE_CREATING ||
			      status == STATE_CREATED ||
			      status == STATE_RUNNING || status == STATE_PAUSED)
				     ? s->pid
				     : 0),
		"bundle", s->bundle, "rootfs", s->rootfs, "created", s->created,
		"owner", owner, "annotations", state_annotations(s));
	if (!j)
		return NULL;
	out = json_dumps(j, (pretty ? JSON_INDENT(2) : JSON_COMPACT) |
				    JSON_PRESERVE_ORDER);
	json_decref(j);
	return out;
}

static int state_copy_str(json_t *o, const char *key, char *dst, size_t cap,
			  bool allow_empty, struct moat_err **e)
{
	json_t *v = json_object_get(o, key);
	size_t n;

	if (!json_is_string(v))
		return moat_err_code(e, EINVAL, "%s: must be a string", key);
	n = json_string_length(v);
	if (n >= cap || strlen(json_string_value(v)) != n ||
	    (!n && !allow_empty))
		return moat_err_code(e, EINVAL, "%s: bad length", key);
	memcpy(dst, json_string_value(v), n + 1);
	return 0;
}

static int state_get_uint(json_t *o, const char *key, json_int_t max,
			  json_int_t *out, struct moat_err **e)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > max)
		return moat_err_code(e, EINVAL, "%s: must be an integer", key);
	*out = json_integer_value(v);
	return 0;
}

int state_from_json(const char *text, size_t len, struct state *s,
		    struct moat_err **e)
{
	json_error_t jerr;
	json_int_t v;
	json_t *j, *a;
	int phase, r = -1;

	memset(s, 0, sizeof(*s));
	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return moat_err_code(e, EINVAL, "%d:%d: %s", jerr.line,
				     jerr.column, jerr.text);
	if (!json_is_object(j)) {
		moat_err_code(e, EINVAL, "not an object");
		goto out;
	}
	if (state_get_uint(j, "version", INT32_MAX, &v, e))
		goto out;
	if (v != STATE_FORMAT_VERSION) {
		moat_err_code(e, EINVAL, "version %lld is not %d", (long long)v,
			      STATE_FORMAT_VERSION);
		goto out;
	}
	if (state_copy_str(j, "id", s->id, sizeof(s->id), false, e) ||
	    state_id_check(s->id, e) ||
	    state_copy_str(j, "bundle", s->bundle, sizeof(s->bundle), true,
			   e) ||
	    state_copy_str(j, "rootfs", s->rootfs, sizeof(s->rootfs), true,
			   e) ||
	    state_copy_str(j, "created", s->created, sizeof(s->created), true,
			   e))
		goto out;
	a = json_object_get(j, "phase");
	phase = json_is_string(a) ? state_status_parse(json_string_value(a))
				  : -1;
	if (phase < 0) {
		moat_err_code(e, EINVAL, "phase: must be a status name");
		goto out;
	}
	s->phase = (enum state_status)phase;
	if (state_get_uint(j, "pid", INT32_MAX, &v, e))
		goto out;
	s->pid = (pid_t)v;
	if (state_get_uint(j, "pidStartTime", INT64_MAX, &v, e))
		goto out;
	s->pid_start = (uint64_t)v;
	if (state_get_uint(j, "owner", UINT32_MAX, &v, e))
		goto out;
	s->owner = (uint32_t)v;
	a = json_object_get(j, "annotations");
	if (a && !json_is_object(a)) {
		moat_err_code(e, EINVAL, "annotations: must be an object");
		goto out;
	}
	if (a && json_object_size(a) &&
	    !(s->annotations_json = json_dumps(a, JSON_COMPACT))) {
		moat_err_set(e, ENOMEM, "annotations");
		goto out;
	}
	r = 0;
out:
	json_decref(j);
	return r;
}

void state_clear(struct state *s)
{
	free(s->annotations_json);
	s->annotations_json = NULL;
}

/* --- the directory -------------------------------------------------------- */

/* mkdir -p: the root and its missing parents (runc creates them too;
 * containerd's shim names a --root below a directory nobody made). */
static int state_mkdirs(const char *root)
{
	char p[STATE_PATH_MAX];
	size_t i, n = strlen(root);

	if (n >= sizeof(p))
		return errno = ENAMETOOLONG, -1;
	memcpy(p, root, n + 1);
	for (i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		p[i] = '\0';
		if (mkdir(p, i == n ? 0700 : 0711) < 0 && errno != EEXIST)
			return -1;
		p[i] = i == n ? '\0' : '/';
	}
	return 0;
}

static int state_root_open(const char *root, bool create, struct moat_err **e)
{
	int fd;

	if (create && state_mkdirs(root) < 0)
		return moat_err_set(e, errno, "create %s", root);
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return moat_err_set(e, errno, "open %s", root);
	return fd;
}

/* Take the lock of an open container; ENOENT if it was deleted while we
 * waited (the deleter unlinks the lock file before releasing it). */
static int state_lock(struct state_handle *h, bool create, struct moat_err **e)
{
	struct stat st;
	int fd;

	fd = openat(h->dir_fd, STATE_LOCK,
		    O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0),
		    0600);
	if (fd < 0)
		return moat_err_set(e, errno == ENOENT ? ENOENT : errno,
				    "container %s: open its lock", h->id);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int err = errno;

			close(fd);
			return moat_err_set(e, err, "container %s: lock",
					    h->id);
		}
	}
	if (fstat(fd, &st) < 0 || st.st_nlink == 0) {
		close(fd);
		return moat_err_code(e, ENOENT, "container %s does not exist",
				     h->id);
	}
	h->lock_fd = fd;
	return 0;
}

int state_open(const char *root, const char *id, bool lock,
	       struct state_handle *h, struct moat_err **e)
{
	int rfd, err;

	h->dir_fd = h->lock_fd = -1;
	if (state_id_check(id, e))
		return -1;
	snprintf(h->id, sizeof(h->id), "%s", id);
	rfd = state_root_open(root, false, e);
	if (rfd < 0) {
		if (!*e || (*e)->errnum != ENOENT)
			return -1;
		moat_err_free(e);
		return moat_err_code(e, ENOENT, "container %s does not exist",
				     id);
	}
	h->dir_fd = openat(rfd, id,
			   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	err = errno;
	close(rfd);
	if (h->dir_fd < 0) {
		if (err == ENOENT)
			return moat_err_code(e, ENOENT,
					     "container %s does not exist", id);
		return moat_err_set(e, err, "container %s: open", id);
	}
	if (lock && state_lock(h, false, e)) {
		state_close(h);
		return -1;
	}
	return 0;
}

/* Write all of buf to fd. */
static int state_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int state_write(struct state_handle *h, const struct state *s,
		struct moat_err **e)
{
	char *text;
	int fd, err = 0;

	if (h->lock_fd < 0)
		return moat_err_code(e, EINVAL,
				     "container %s: write without the lock",
				     h->id);
	text = state_to_json(s);
	if (!text)
		return moat_err_set(e, ENOMEM, "container %s: state", h->id);
	fd = openat(h->dir_fd, STATE_TMP,
		    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		    0600);
	if (fd < 0) {
		err = errno;
		goto out;
	}
	if (state_write_all(fd, text, strlen(text)) ||
	    state_write_all(fd, "\n", 1) || fsync(fd) < 0)
		err = errno ? errno : EIO;
	if (close(fd) < 0 && !err)
		err = errno;
	if (!err && renameat(h->dir_fd, STATE_TMP, h->dir_fd, STATE_FILE) < 0)
		err = errno;
	if (!err && fsync(h->dir_fd) < 0)
		err = errno;
	if (err)
		unlinkat(h->dir_fd, STATE_TMP, 0);
out:
	free(text);
	if (err)
		return moat_err_set(e, err, "container %s: write %s", h->id,
				    STATE_FILE);
	return 0;
}

int state_read(struct state_handle *h, struct state *s, struct moat_err **e)
{
	char *buf;
	size_t got = 0;
	ssize_t n;
	int fd, err;

	memset(s, 0, sizeof(*s));
	fd = openat(h->dir_fd, STATE_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		/* mkdir done, state.json not written yet: being created */
		if (errno == ENOENT)
			return moat_err_code(e, ENOENT,
					     "container %s does not exist",
					     h->id);
		return moat_err_set(e, errno, "container %s: open %s", h->id,
				    STATE_FILE);
	}
	buf = malloc(STATE_FILE_MAX);
	if (!buf) {
		close(fd);
		return moat_err_set(e, ENOMEM, "container %s", h->id);
	}
	while (got < STATE_FILE_MAX &&
	       (n = read(fd, buf + got, STATE_FILE_MAX - got)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno;
			free(buf);
			close(fd);
			return moat_err_set(e, err, "container %s: read %s",
					    h->id, STATE_FILE);
		}
		got += (size_t)n;
	}
	close(fd);
	if (state_from_json(buf, got, s, e)) {
		free(buf);
		return moat_err_wrap(e, "container %s: %s", h->id, STATE_FILE);
	}
	free(buf);
	if (strcmp(s->id, h->id)) {
		state_clear(s);
		return moat_err_code(e, EINVAL,
				     "container %s: %s names another id", h->id,
				     STATE_FILE);
	}
	return 0;
}

int state_create(const char *root, const struct state *s,
		 struct state_handle *h, struct moat_err **e)
{
	int rfd, err;

	h->dir_fd = h->lock_fd = -1;
	if (state_id_check(s->id, e))
		return -1;
	snprintf(h->id, sizeof(h->id), "%s", s->id);
	rfd = state_root_open(root, true, e);
	if (rfd < 0)
		return -1;
	if (mkdirat(rfd, s->id, 0700) < 0) {
		err = errno;
		close(rfd);
		if (err == EEXIST)
			return moat_err_code(e, EEXIST,
					     "container %s already exists",
					     s->id);
		return moat_err_set(e, err, "container %s: create", s->id);
	}
	h->dir_fd = openat(rfd, s->id,
			   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (h->dir_fd < 0) {
		err = errno;
		unlinkat(rfd, s->id, AT_REMOVEDIR);
		close(rfd);
		return moat_err_set(e, err, "container %s: open", s->id);
	}
	if (state_lock(h, true, e) || state_write(h, s, e)) {
		unlinkat(h->dir_fd, STATE_TMP, 0);
		unlinkat(h->dir_fd, STATE_FILE, 0);
		unlinkat(h->dir_fd, STATE_LOCK, 0);
		unlinkat(rfd, s->id, AT_REMOVEDIR);
		close(rfd);
		state_close(h);
		return -1;
	}
	close(rfd);
	return 0;
}

int state_destroy(const char *root, struct state_handle *h, struct moat_err **e)
{
	/* Also what the shim leaves there: its socket and the VM's log. */
	static const char *const files[] = {
		STATE_TMP,	   STATE_FILE,		STATE_SHIM_SOCK,
		STATE_CONSOLE_LOG, STATE_VIRTIOFS_SOCK, STATE_CONFIG
	};
	int rfd, err = 0;
	size_t i;

	if (h->lock_fd < 0)
		return moat_err_code(e, EINVAL,
				     "container %s: delete without the lock",
				     h->id);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (unlinkat(h->dir_fd, files[i], 0) < 0 && errno != ENOENT)
			err = errno;
	if (unlinkat(h->dir_fd, STATE_SHARE_DIR, AT_REMOVEDIR) < 0 &&
	    errno != ENOENT)
		err = errno;
	/* The lock file goes last, still locked: whoever waits for it
	 * sees st_nlink == 0 and knows the container is gone. */
	if (!err && unlinkat(h->dir_fd, STATE_LOCK, 0) < 0)
		err = errno;
	if (err) {
		state_close(h);
		return moat_err_set(e, err, "container %s: remove its files",
				    h->id);
	}
	rfd = state_root_open(root, false, e);
	if (rfd < 0) {
		state_close(h);
		return moat_err_wrap(e, "container %s", h->id);
	}
	if (unlinkat(rfd, h->id, AT_REMOVEDIR) < 0)
		err = errno;
	close(rfd);
	state_close(h);
	if (err)
		return moat_err_set(
			e, err, "container %s: remove its directory", h->id);
	return 0;
}

void state_close(struct state_handle *h)
{
	if (h->lock_fd >= 0) {
		close(h->lock_fd); /* releases the flock */
		h->lock_fd = -1;
	}
	if (h->dir_fd >= 0) {
		close(h->dir_fd);
		h->dir_fd = -1;
	}
}

static int state_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void state_list_free(char **ids)
{
	size_t i;

	if (!ids)
		return;
	for (i = 0; ids[i]; i++)
		free(ids[i]);
	free(ids);
}

int state_list(const char *root, char ***ids, size_t *n, struct moat_err **e)
{
	size_t cap = 16;
	struct dirent *d;
	char **v, **nv;
	DIR *dir;
	int fd;

	*ids = NULL;
	*n = 0;
	v = calloc(cap, sizeof(*v));
	if (!v)
		return moat_err_set(e, ENOMEM, "list");
	fd = state_root_open(root, false, e);
	if (fd < 0) {
		if (!*e || (*e)->errnum != ENOENT) {
			free(v);
			return -1;
		}
		moat_err_free(e);
		*ids = v;
		return 0;
	}
	dir = fdopendir(fd);
	if (!dir) {
		close(fd);
		free(v);
		return moat_err_set(e, errno, "open %s", root);
	}
	while ((d = readdir(dir))) {
		if (d->d_type != DT_DIR && d->d_type != DT_UNKNOWN)
			continue;
		if (state_id_check(d->d_name, NULL))
			continue;
		if (*n + 1 >= cap) {
			nv = realloc(v, cap * 2 * sizeof(*v));
			if (!nv)
				goto oom;
			v = nv;
			cap *= 2;
		}
		v[*n] = strdup(d->d_name);
		if (!v[*n])
			goto oom;
		v[++*n] = NULL;
	}
	closedir(dir);
	qsort(v, *n, sizeof(*v), state_cmp);
	*ids = v;
	return 0;
oom:
	closedir(dir);
	state_list_free(v);
	*n = 0;
	return moat_err_set(e, ENOMEM, "list");
}
