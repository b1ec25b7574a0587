/*
 * state.c: the state directory under --root (see state.h and
 * docs/state.md; runtime-spec runtime.md "State"). The record's JSON is
 * state_json.c's, the process checks state_proc.c's.
 *
 * Inputs: the root path and IDs from the command line; state.json files
 * under the root (written by moat, still type-checked when read back).
 * Every path inside the root is opened relative to a directory fd with
 * O_NOFOLLOW, and only after the ID has passed state_id_check().
 */
#include "state.h"
#include "../common/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STATE_FILE "state.json"
#define STATE_TMP "state.json.tmp"
#define STATE_LOCK "lock"
#define STATE_FILE_MAX (1u << 20)

void state_now_rfc3339(char *buf, size_t len)
{
	log_time_rfc3339(buf, len); /* the --log lines' time, too */
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
					     "container with given ID already "
					     "exists");
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
