/*
 * test_hooks.c: OCI hooks as moat runs them (src/runtime/hooks.c) and the
 * child waits under them (src/common/subproc.c): the state on stdin, a
 * failing hook's status and output in the error, a hook past its timeout
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

/* A config whose prestart hook is /bin/sh -c script, with timeout s (0:
 * none). */
static struct spec *hook_spec(const char *script, int timeout)
{
	char *def = spec_default_json(), *text;
	struct moat_err *e = NULL;
	struct spec *sp = NULL;
	json_t *j = json_loads(def, 0, NULL), *h;

	ASSERT(j);
	h = json_pack("{s:s, s:[s,s,s]}", "path", "/bin/sh", "args", "sh", "-c",
		      script);
	ASSERT(h);
	if (timeout)
		ASSERT(!json_object_set_new(h, "timeout",
					    json_integer(timeout)));
	ASSERT(!json_object_set_new(j, "hooks",
				    json_pack("{s:[o]}", "prestart", h)));
	text = json_dumps(j, 0);
	ASSERT(text);
	if (spec_parse(text, strlen(text), &sp, &e))
		FAIL("spec_parse: %s", e->msg);
	free(text);
	free(def);
	json_decref(j);
	return sp;
}

TEST(hooks_get_the_state_on_stdin)
{
	char path[] = "/tmp/moat-hooks-XXXXXX", script[128], got[64] = "";
	struct moat_err *e = NULL;
	struct spec *sp;
	FILE *f;
	int fd = mkstemp(path);

	ASSERT(fd >= 0);
	close(fd);
	snprintf(script, sizeof(script), "cat >%s", path);
	sp = hook_spec(script, 0);
	ASSERT_EQ(hooks_run(sp, SPEC_HOOK_PRESTART, "{\"id\":\"h\"}", &e), 0);
	f = fopen(path, "r");
	ASSERT(f);
	ASSERT(fgets(got, sizeof(got), f));
	fclose(f);
	unlink(path);
	ASSERT_STREQ(got, "{\"id\":\"h\"}");
	spec_free(sp);
}

TEST(hooks_failure_names_the_hook_its_status_and_output)
{
	struct moat_err *e = NULL;
	struct spec *sp = hook_spec("printf 'no room'; exit 3", 0);

	ASSERT_EQ(hooks_run(sp, SPEC_HOOK_PRESTART, "{}", &e), -1);
	ASSERT_STREQ(e->msg, "hooks.prestart[0] /bin/sh: exit status 3: "
			     "no room");
	moat_err_free(&e);
	spec_free(sp);
	sp = hook_spec("kill -9 $$", 0);
	ASSERT_EQ(hooks_run(sp, SPEC_HOOK_PRESTART, "{}", &e), -1);
	ASSERT_STREQ(e->msg, "hooks.prestart[0] /bin/sh: killed by signal 9");
	moat_err_free(&e);
	spec_free(sp);
}

TEST(hooks_past_their_timeout_are_killed)
{
	struct moat_err *e = NULL;
	struct spec *sp = hook_spec("exec sleep 30", 1);
	long t0 = now_ms(), ms;

	ASSERT_EQ(hooks_run(sp, SPEC_HOOK_PRESTART, "{}", &e), -1);
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
