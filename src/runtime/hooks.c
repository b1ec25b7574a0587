/*
 * hooks.c: running OCI hooks (hooks.h).
 * Inputs: config.json's hooks; the hooks' status and output.
 */
#include "hooks.h"
#include "../common/subproc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define HOOKS_OUTPUT_MAX 512 /* of a failed hook's output, in the error */

/* The printable tail of what the hook wrote, on one line: control
 * bytes become spaces, and the ones it ended with (its last newline) go. */
static void hooks_output(int fd, char *buf, size_t cap)
{
	off_t size = lseek(fd, 0, SEEK_END);
	off_t from = size > (off_t)cap - 1 ? size - (off_t)cap + 1 : 0;
	ssize_t n = pread(fd, buf, cap - 1, from), i;

	if (n < 0)
		n = 0;
	while (n > 0 &&
	       ((unsigned char)buf[n - 1] <= 0x20 || buf[n - 1] == 0x7f))
		n--;
	buf[n] = '\0';
	for (i = 0; i < n; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			buf[i] = ' ';
}

static int hooks_one(const struct spec_hook *h, const char *where,
		     const char *state_json, struct moat_err **e)
{
	char out[HOOKS_OUTPUT_MAX];
	int in = memfd_create("hook-state", MFD_CLOEXEC);
	int log = memfd_create("hook-output", MFD_CLOEXEC);
	size_t len = strlen(state_json);
	char *const empty[] = { NULL };
	int status = 0, r, ms;
	pid_t pid;

	if (in < 0 || log < 0 || write(in, state_json, len) != (ssize_t)len ||
	    lseek(in, 0, SEEK_SET) < 0) {
		r = errno;
		if (in >= 0)
			close(in);
		if (log >= 0)
			close(log);
		return moat_err_set(e, r, "%s", where);
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		dup2(in, 0);
		dup2(log, 1);
		dup2(log, 2);
		execve(h->path, h->args ? h->args : empty,
		       h->env ? h->env : empty);
		dprintf(2, "exec: %s", strerror(errno));
		_exit(127);
	}
	close(in);
	if (pid < 0) {
		r = errno;
		close(log);
		return moat_err_set(e, r, "%s: fork", where);
	}
	/* no timeout: wait as long as it runs */
	ms = h->timeout <= 0		   ? -1
	     : h->timeout > INT_MAX / 1000 ? INT_MAX
					   : h->timeout * 1000;
	r = subproc_reap(pid, ms, &status);
	if (r <= 0) {
		int err = errno;

		close(log);
		if (r < 0)
			return moat_err_set(e, err, "%s %s: wait", where,
					    h->path);
		return moat_err_set(e, ETIMEDOUT, "%s %s: timed out after %d s",
				    where, h->path, h->timeout);
	}
	hooks_output(log, out, sizeof(out));
	close(log);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		return moat_err_set(e, 0, "%s %s: killed by signal %d%s%s",
				    where, h->path, WTERMSIG(status),
				    out[0] ? ": " : "", out);
	return moat_err_set(e, 0, "%s %s: exit status %d%s%s", where, h->path,
			    WEXITSTATUS(status), out[0] ? ": " : "", out);
}

int hooks_run(const struct spec *sp, enum spec_hook_kind k,
	      const char *state_json, hooks_warn_fn *warn, void *arg,
	      struct moat_err **e)
{
	struct moat_err *he = NULL;
	char where[64];
	size_t i;

	for (i = 0; sp && i < sp->nhooks[k]; i++) {
		snprintf(where, sizeof(where), "hooks.%s[%zu]",
			 spec_hook_names[k], i);
		if (!hooks_one(&sp->hooks[k][i], where, state_json, &he))
			continue;
		if (!warn) {
			*e = he;
			return -1;
		}
		warn(arg, he->msg);
		moat_err_free(&he);
	}
	return 0;
}

int hooks_load_config(int dir_fd, struct spec **out, struct moat_err **e)
{
	struct stat st;

	*out = NULL;
	if (fstatat(dir_fd, HOOKS_CONFIG, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT
			       ? 0
			       : moat_err_set(e, errno, "%s", HOOKS_CONFIG);
	return spec_loadat(dir_fd, HOOKS_CONFIG, out, e);
}
