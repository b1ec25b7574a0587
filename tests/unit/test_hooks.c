/*
 * test_hooks.c: OCI hooks as moat runs them (src/runtime/hooks.c) and the
 * child waits under them (src/common/subproc.c): the state on stdin, a
 * failing hook's status and output (one line) in the error, the hooks
 * after a failure run only when the phase warns, a hook past its timeout
 * killed, and subproc_wait / subproc_reap on their own.
 */
#include "../harness/test.h"
#include "../../src/common/now.h"
#include "../../src/common/subproc.h"
#include "../../src/runtime/hooks.h"

#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A config whose hooks of kind k are /bin/sh -c each of scripts (NULL
 * after the last), each with timeout s (0: none). */
static struct spec *hooks_spec(enum spec_hook_kind k,
			       const char *const *scripts, int timeout)
{
	char *def = spec_default_json(), *text;
	struct moat_err *e = NULL;
	struct spec *sp = NULL;
	json_t *j = json_loads(def, 0, NULL), *h, *list = json_array();
	size_t i;

	ASSERT(j && list);
	for (i = 0; scripts[i]; i++) {
		h = json_pack("{s:s, s:[s,s,s]}", "path", "/bin/sh", "args",
			      "sh", "-c", scripts[i]);
		ASSERT(h);
		if (timeout)
			ASSERT(!json_object_set_new(h, "timeout",
						    json_integer(timeout)));
		ASSERT(!json_array_append_new(list, h));
	}
	ASSERT(!json_object_set_new(
		j, "hooks", json_pack("{s:o}", spec_hook_names[k], list)));
	text = json_dumps(j, 0);
	ASSERT(text);
	if (spec_parse(text, strlen(text), &sp, &e))
		FAIL("spec_parse: %s", e->msg);
	free(text);
	free(def);
	json_decref(j);
	return sp;
}

/* A config whose prestart hook is /bin/sh -c script. */
static struct spec *hook_spec(const char *script, int timeout)
{
	const char *const scripts[] = { script, NULL };

	return hooks_spec(SPEC_HOOK_PRESTART, scripts, timeout);
}

/* A new empty file's path, into path (a "/tmp/moat-hooks-XXXXXX"). */
static void hooks_tmp(char *path)
{
	int fd = mkstemp(path);

	ASSERT(fd >= 0);
	close(fd);
}

/* The first line of the file at path into got ("" when it is empty). */
static void hooks_line(const char *path, char *got, int cap)
{
	FILE *f = fopen(path, "r");

	ASSERT(f);
	if (!fgets(got, cap, f))
		got[0] = '\0';
	fclose(f);
}

TEST(hooks_get_the_state_on_stdin)
{
	char path[] = "/tmp/moat-hooks-XXXXXX", script[128], got[64];
	struct moat_err *e = NULL;
	struct spec *sp;

	hooks_tmp(path);
	snprintf(script, sizeof(script), "cat >%s", path);
	sp = hook_spec(script, 0);
	ASSERT_EQ(hooks_run(sp, SPEC_HOOK_PRESTART, "{\"id\":\"h\"}", NULL,
			    NULL, &e),
		  0);
	hooks_line(path, got, sizeof(got));
	unlink(path);
	ASSERT_STREQ(got, "{\"id\":\"h\"}");
	spec_free(sp);
}

/* A prestart hook of script fails with the error text want. */
static void hook_fails_as(const char *script, const char *want)
{
	struct moat_err *e = NULL;
	struct spec *sp = hook_spec(script, 0);

	ASSERT_EQ(hooks_run(sp, SPEC_HOOK_PRESTART, "{}", NULL, NULL, &e), -1);
	ASSERT_STREQ(e->msg, want);
	moat_err_free(&e);
	spec_free(sp);
}

TEST(hooks_failure_names_the_hook_its_status_and_output)
{
	hook_fails_as("printf 'no room'; exit 3",
		      "hooks.prestart[0] /bin/sh: exit status 3: no room");
	hook_fails_as("kill -9 $$",
		      "hooks.prestart[0] /bin/sh: killed by signal 9");
}

/* The hook's output on one line: inner newlines are spaces, its last
 * newline goes (not a trailing space). */
TEST(hooks_output_is_one_line_without_its_last_newline)
{
	hook_fails_as("echo no; echo room; exit 3",
		      "hooks.prestart[0] /bin/sh: exit status 3: no room");
	hook_fails_as("echo; exit 4",
		      "hooks.prestart[0] /bin/sh: exit status 4");
}

struct warned {
	int n;
	char last[256];
};

static void warned(void *arg, const char *msg)
{
	struct warned *w = arg;

	w->n++;
	snprintf(w->last, sizeof(w->last), "%s", msg);
}

/* Without a warn function the first failure ends the run; with one
 * (poststart, poststop) each failure is told and the rest run. */
TEST(hooks_after_a_failure_run_only_when_it_warns)
{
	char path[] = "/tmp/moat-hooks-XXXXXX", script[128], got[64];
	const char *const scripts[] = { "echo no-good; exit 3", script,
					"exit 5", NULL };
	struct moat_err *e = NULL;
	struct warned w = { 0 };
	struct spec *sp;

	hooks_tmp(path);
	snprintf(script, sizeof(script), "echo ran >%s", path);
	sp = hooks_spec(SPEC_HOOK_POSTSTOP, scripts, 0);
	ASSERT_EQ(hooks_run(sp, SPEC_HOOK_POSTSTOP, "{}", NULL, NULL, &e), -1);
	ASSERT_STREQ(e->msg, "hooks.poststop[0] /bin/sh: exit status 3: "
			     "no-good");
	moat_err_free(&e);
	hooks_line(path, got, sizeof(got));
	ASSERT_STREQ(got, ""); /* the second did not run */
	ASSERT_EQ(hooks_run(sp, SPEC_HOOK_POSTSTOP, "{}", warned, &w, &e), 0);
	ASSERT(!e);
	ASSERT_EQ(w.n, 2);
	ASSERT_STREQ(w.last, "hooks.poststop[2] /bin/sh: exit status 5");
	hooks_line(path, got, sizeof(got));
	unlink(path);
	ASSERT_STREQ(got, "ran\n");
	spec_free(sp);
}

TEST(hooks_past_their_timeout_are_killed)
{
	struct moat_err *e = NULL;
	struct spec *sp = hook_spec("exec sleep 30", 1);
	long t0 = now_ms(), ms;

	ASSERT_EQ(hooks_run(sp, SPEC_HOOK_PRESTART, "{}", NULL, NULL, &e), -1);
	ms = now_ms() - t0;
	ASSERT_EQ(e->errnum, ETIMEDOUT);
	ASSERT_STREQ(e->msg, "hooks.prestart[0] /bin/sh: timed out after 1 s: "
			     "Connection timed out");
	ASSERT(ms >= 1000 && ms < 10000);
	moat_err_free(&e);
	spec_free(sp);
}

static pid_t child(const char *script)
{
	pid_t pid = fork();

	ASSERT(pid >= 0);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", script, (char *)NULL);
		_exit(127);
	}
	return pid;
}

TEST(subproc_wait_and_reap)
{
	int status = 0;
	pid_t pid = child("exit 7");

	ASSERT_EQ(subproc_wait(pid, -1, &status), 1);
	ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 7);
	pid = child("exec sleep 30");
	ASSERT_EQ(subproc_wait(pid, 50, &status), 0);
	ASSERT_EQ(kill(pid, 0), 0); /* not reaped: still there */
	ASSERT_EQ(subproc_reap(pid, 50, &status), 0);
	ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	pid = child("exit 0");
	ASSERT_EQ(subproc_reap(pid, 5000, &status), 1);
	ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* not a child (any more) */
	ASSERT_EQ(subproc_wait(pid, 10, &status), -1);
	ASSERT_EQ(errno, ECHILD);
	ASSERT_EQ(subproc_reap(pid, 10, &status), -1);
}
