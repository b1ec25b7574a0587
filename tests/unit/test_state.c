/*
 * test_state.c: the state directory (src/runtime/state.c): container ID
 * rules, the /proc/PID/stat parser, status derivation, state.json round
 * trips through a temporary root, the lock, and liveness by start time.
 */
#include "../harness/test.h"
#include "../harness/tmpdir.h"
#include "../../src/runtime/state.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

TEST(state_id_rules)
{
	static const char *const ok[] = {
		"a",   "abc", "A-b_c.d+e",    "0", "...", ".a", "a..b",
		"..a", "x.",  "c9f1a2b3d4e5", "_",
	};
	static const char *const bad[] = {
		"",    ".",   "..",  "../x", "a/b", "/",  "x/",	  "a b",
		"a\n", "a,b", "a:b", "ü",    "a*",  "$x", "a\\b",
	};
	struct moat_err *e = NULL;
	char longid[STATE_ID_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (state_id_check(ok[i], &e))
			FAIL("\"%s\" refused: %s", ok[i], e->msg);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!state_id_check(bad[i], &e))
			FAIL("\"%s\" accepted", bad[i]);
		ASSERT_EQ(e->errnum, EINVAL);
		ASSERT(!strncmp(e->msg, "invalid container id", 20));
		moat_err_free(&e);
	}
	memset(longid, 'a', sizeof(longid));
	longid[STATE_ID_MAX] = '\0';
	ASSERT_EQ(state_id_check(longid, &e), 0);
	longid[STATE_ID_MAX] = 'a';
	longid[STATE_ID_MAX + 1] = '\0';
	ASSERT_EQ(state_id_check(longid, &e), -1);
	moat_err_free(&e);
}

TEST(state_proc_stat_parser)
{
	static const char normal[] =
		"1234 (sleep) S 1 1234 1234 0 -1 4194304 100 0 0 0 0 0 0 0 "
		"20 0 1 0 987654 5844992 200 18446744073709551615\n";
	static const char tricky[] =
		"77 (a) (b) Z 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 "
		"4242 1\n";
	static const char *const bad[] = {
		"1234 sleep S 1",
		"1 (x) S 1 2 3",
		"1 (x)S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20",
		"1 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 x 20",
		"1 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 9z 1",
		"1 (x) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 "
		"99999999999999999999999 1",
		"",
	};
	uint64_t start = 0;
	char st = 0;
	size_t i;

	ASSERT_EQ(state_parse_proc_stat(normal, strlen(normal), &st, &start),
		  0);
	ASSERT_EQ(st, 'S');
	ASSERT_EQ(start, 987654);
	ASSERT_EQ(state_parse_proc_stat(tricky, strlen(tricky), &st, &start),
		  0);
	ASSERT_EQ(st, 'Z');
	ASSERT_EQ(start, 4242);
	/* the length is honoured: cut before field 22 ends */
	ASSERT_EQ(
		state_parse_proc_stat(normal, strlen(normal) - 40, &st, &start),
		-1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!state_parse_proc_stat(bad[i], strlen(bad[i]), &st, &start))
			FAIL("bad[%zu] parsed", i);
}

TEST(state_status_derivation)
{
	static const struct {
		enum state_status phase;
		pid_t pid;
		bool alive;
		enum state_status want;
	} t[] = {
		{ STATE_CREATING, 0, false, STATE_CREATING },
		{ STATE_CREATING, 10, true, STATE_CREATING },
		{ STATE_CREATING, 10, false, STATE_STOPPED },
		{ STATE_CREATED, 10, true, STATE_CREATED },
		{ STATE_CREATED, 10, false, STATE_STOPPED },
		{ STATE_CREATED, 0, false, STATE_STOPPED },
		{ STATE_RUNNING, 10, true, STATE_RUNNING },
		{ STATE_RUNNING, 10, false, STATE_STOPPED },
		{ STATE_PAUSED, 10, true, STATE_PAUSED },
		{ STATE_PAUSED, 10, false, STATE_STOPPED },
		{ STATE_STOPPED, 10, true, STATE_STOPPED },
		{ STATE_STOPPED, 0, false, STATE_STOPPED },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (state_derive(t[i].phase, t[i].pid, t[i].alive) != t[i].want)
			FAIL("case %zu: %s pid %d alive %d -> %s", i,
			     state_status_name(t[i].phase), (int)t[i].pid,
			     t[i].alive,
			     state_status_name(state_derive(
				     t[i].phase, t[i].pid, t[i].alive)));
	ASSERT_STREQ(state_status_name(STATE_PAUSED), "paused");
	ASSERT_EQ(state_status_parse("running"), STATE_RUNNING);
	ASSERT_EQ(state_status_parse("Running"), -1);
	ASSERT(state_status_name((enum state_status)99) == NULL);
}

static void fill(struct state *s, const char *id)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->id, sizeof(s->id), "%s", id);
	s->phase = STATE_CREATED;
	s->pid = 4321;
	s->pid_start = 123456789;
	snprintf(s->bundle, sizeof(s->bundle), "/b/%s", id);
	snprintf(s->rootfs, sizeof(s->rootfs), "/b/%s/rootfs", id);
	state_now_rfc3339(s->created, sizeof(s->created));
	s->owner = 1000;
}

TEST(state_json_round_trip)
{
	struct moat_err *e = NULL;
	struct state a, b;
	char *text;

	fill(&a, "c1");
	ASSERT_EQ(state_annotation_add(&a, "k", "v \"q\"", &e), 0);
	ASSERT_EQ(state_annotation_add(&a, "a", "", &e), 0);
	/* in the config's order, as the object it was before */
	text = state_oci_json(&a, STATE_CREATED, "1.2.0", false);
	ASSERT(text && strstr(text, "\"annotations\":{\"k\":\"v \\\"q\\\"\","
				    "\"a\":\"\"}"));
	free(text);
	text = state_to_json(&a);
	ASSERT(text);
	if (state_from_json(text, strlen(text), &b, &e))
		FAIL("%s: %s", text, e->msg);
	ASSERT_STREQ(b.id, a.id);
	ASSERT_EQ(b.phase, a.phase);
	ASSERT_EQ(b.pid, a.pid);
	ASSERT_EQ(b.pid_start, a.pid_start);
	ASSERT_STREQ(b.bundle, a.bundle);
	ASSERT_STREQ(b.rootfs, a.rootfs);
	ASSERT_STREQ(b.created, a.created);
	ASSERT_EQ(b.owner, a.owner);
	ASSERT_EQ(b.nannotations, 2);
	ASSERT_STREQ(b.annotations[0].key, "k");
	ASSERT_STREQ(b.annotations[0].value, a.annotations[0].value);
	ASSERT_STREQ(b.annotations[1].key, "a");
	ASSERT_STREQ(b.annotations[1].value, "");
	/* RFC 3339 with nanoseconds, UTC */
	ASSERT_EQ(strlen(a.created), 30);
	ASSERT_EQ(a.created[29], 'Z');
	free(text);
	state_clear(&a);
	state_clear(&b);

	/* the OCI document: pid only while there is a process */
	fill(&a, "c2");
	text = state_oci_json(&a, STATE_STOPPED, "1.2.0", false);
	ASSERT(text && strstr(text, "\"status\":\"stopped\""));
	ASSERT(strstr(text, "\"pid\":0"));
	ASSERT(strstr(text, "\"ociVersion\":\"1.2.0\""));
	ASSERT(strstr(text, "\"annotations\":{}"));
	free(text);
	text = state_oci_json(&a, STATE_RUNNING, "1.2.0", false);
	ASSERT(text && strstr(text, "\"pid\":4321"));
	free(text);
}

TEST(state_json_refuses_bad_records)
{
	static const char *const bad[] = {
		"{}",
		"[]",
		"{\"version\": 2, \"id\": \"a\"}",
		"{\"version\":1,\"id\":\"../a\",\"phase\":\"created\",\"pid\":1,"
		"\"pidStartTime\":1,\"bundle\":\"\",\"rootfs\":\"\","
		"\"created\":\"\",\"owner\":0}",
		"{\"version\":1,\"id\":\"a\",\"phase\":\"alive\",\"pid\":1,"
		"\"pidStartTime\":1,\"bundle\":\"\",\"rootfs\":\"\","
		"\"created\":\"\",\"owner\":0}",
		"{\"version\":1,\"id\":\"a\",\"phase\":\"created\",\"pid\":-1,"
		"\"pidStartTime\":1,\"bundle\":\"\",\"rootfs\":\"\","
		"\"created\":\"\",\"owner\":0}",
		"{\"version\":1,\"id\":\"a\",\"phase\":\"created\",\"pid\":1,"
		"\"pidStartTime\":1,\"bundle\":\"\",\"rootfs\":\"\","
		"\"created\":\"\",\"owner\":0,\"annotations\":[]}",
		"{\"version\":1,\"id\":\"a\",\"phase\":\"created\",\"pid\":1,"
		"\"pidStartTime\":1,\"bundle\":\"\",\"rootfs\":\"\","
		"\"created\":\"\",\"owner\":0,\"annotations\":{\"k\":1}}",
		"{\"version\":1,\"version\":1}",
	};
	struct moat_err *e = NULL;
	struct state s;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (!state_from_json(bad[i], strlen(bad[i]), &s, &e))
			FAIL("bad[%zu] accepted", i);
		ASSERT(s.annotations == NULL && s.nannotations == 0);
		moat_err_free(&e);
	}
}

/*
 * A temporary directory (tmpdir.h). The tests remove it themselves
 * (checking that it is empty); if one fails first, its janitor removes it.
 */
static char *tmp_root(void)
{
	static char dir[64];

	tmpdir_make(dir, sizeof(dir), "/tmp/moat-state-XXXXXX", false, NULL);
	return dir;
}

TEST(state_files_round_trip)
{
	struct state_handle h = STATE_HANDLE_INIT, h2 = STATE_HANDLE_INIT;
	char *dir = tmp_root(), root[128], path[256], **ids;
	struct moat_err *e = NULL;
	struct state s, r;
	struct stat st;
	size_t n;

	/* a root that does not exist yet: list is empty, create makes it */
	snprintf(root, sizeof(root), "%s/root", dir);
	ASSERT_EQ(state_list(root, &ids, &n, &e), 0);
	ASSERT_EQ(n, 0);
	ASSERT(ids && ids[0] == NULL);
	state_list_free(ids);
	ASSERT_EQ(state_open(root, "x", false, &h, &e), -1);
	ASSERT_EQ(e->errnum, ENOENT);
	ASSERT_STREQ(e->msg, "container x does not exist");
	moat_err_free(&e);

	fill(&s, "b");
	s.phase = STATE_CREATING;
	if (state_create(root, &s, &h, &e))
		FAIL("create: %s", e->msg);
	ASSERT(h.lock_fd >= 0);
	ASSERT_OK(stat(root, &st));
	ASSERT_EQ(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/b/state.json", root);
	ASSERT_OK(stat(path, &st));
	ASSERT_EQ(st.st_mode & 0777, 0600);
	s.phase = STATE_RUNNING;
	if (state_write(&h, &s, &e))
		FAIL("write: %s", e->msg);
	snprintf(path, sizeof(path), "%s/b/state.json.tmp", root);
	ASSERT(stat(path, &st) < 0 && errno == ENOENT);
	state_close(&h);

	/* a second container with the same ID is refused, and not harmed */
	ASSERT_EQ(state_create(root, &s, &h2, &e), -1);
	ASSERT_EQ(e->errnum, EEXIST);
	ASSERT_STREQ(e->msg, "container with given ID already exists");
	moat_err_free(&e);

	fill(&s, "a");
	ASSERT_EQ(state_create(root, &s, &h2, &e), 0);
	state_close(&h2);
	ASSERT_EQ(state_list(root, &ids, &n, &e), 0);
	ASSERT_EQ(n, 2);
	ASSERT_STREQ(ids[0], "a");
	ASSERT_STREQ(ids[1], "b");
	state_list_free(ids);

	ASSERT_EQ(state_open(root, "b", false, &h, &e), 0);
	ASSERT(h.lock_fd < 0);
	ASSERT_EQ(state_read(&h, &r, &e), 0);
	ASSERT_EQ(r.phase, STATE_RUNNING);
	ASSERT_STREQ(r.bundle, "/b/b");
	/* writing needs the lock */
	ASSERT_EQ(state_write(&h, &r, &e), -1);
	moat_err_free(&e);
	ASSERT_EQ(state_destroy(root, &h, &e), -1);
	moat_err_free(&e);
	state_close(&h);

	ASSERT_EQ(state_open(root, "b", true, &h, &e), 0);
	ASSERT_EQ(state_destroy(root, &h, &e), 0);
	ASSERT_EQ(h.dir_fd, -1);
	ASSERT_EQ(state_open(root, "b", false, &h, &e), -1);
	ASSERT_EQ(e->errnum, ENOENT);
	moat_err_free(&e);
	ASSERT_EQ(state_open(root, "a", true, &h, &e), 0);
	ASSERT_EQ(state_destroy(root, &h, &e), 0);
	/* nothing is left but the (empty) root */
	ASSERT_OK(rmdir(root));
	ASSERT_OK(rmdir(dir));
}

TEST(state_open_refuses_bad_ids_and_symlinks)
{
	struct state_handle h = STATE_HANDLE_INIT;
	char *dir = tmp_root(), path[256];
	struct moat_err *e = NULL;

	ASSERT_EQ(state_open(dir, "../etc", false, &h, &e), -1);
	ASSERT(!strncmp(e->msg, "invalid container id", 20));
	moat_err_free(&e);
	/* a symlink in the root is not followed */
	snprintf(path, sizeof(path), "%s/link", dir);
	ASSERT_OK(symlink("/tmp", path));
	ASSERT_EQ(state_open(dir, "link", false, &h, &e), -1);
	ASSERT(e->errnum == ELOOP || e->errnum == ENOTDIR);
	moat_err_free(&e);
	ASSERT_OK(unlink(path));
	ASSERT_OK(rmdir(dir));
}

TEST(state_lock_waiter_sees_a_deleted_container)
{
	struct state_handle h = STATE_HANDLE_INIT;
	char *dir = tmp_root();
	struct moat_err *e = NULL;
	int pfd[2], status;
	struct state s;
	pid_t pid;
	char c;

	fill(&s, "locked");
	ASSERT_EQ(state_create(dir, &s, &h, &e), 0);
	ASSERT_OK(pipe(pfd));
	pid = fork();
	ASSERT_OK(pid);
	if (pid == 0) {
		struct state_handle h2 = STATE_HANDLE_INIT;
		struct moat_err *e2 = NULL;
		int r;

		/* flock belongs to the open file: drop the inherited one */
		state_close(&h);
		close(pfd[0]);
		/* open without the lock, say so, then wait for the lock */
		if (state_open(dir, "locked", false, &h2, &e2))
			_exit(10);
		state_close(&h2);
		if (write(pfd[1], "x", 1) != 1)
			_exit(12);
		r = state_open(dir, "locked", true, &h2, &e2);
		_exit(r == -1 && e2 && e2->errnum == ENOENT ? 0 : 11);
	}
	close(pfd[1]);
	ASSERT_EQ(read(pfd[0], &c, 1), 1);
	usleep(100 * 1000); /* let the child block in flock */
	ASSERT_EQ(state_destroy(dir, &h, &e), 0);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	close(pfd[0]);
	ASSERT_OK(rmdir(dir));
}

TEST(state_liveness_by_start_time)
{
	struct moat_err *e = NULL;
	uint64_t start, child_start;
	struct state s;
	int status;
	pid_t pid;

	ASSERT_OK(state_proc_start(getpid(), &start));
	ASSERT(state_proc_alive(getpid(), start));
	/* the same PID with another start time is a reused PID */
	ASSERT(!state_proc_alive(getpid(), start + 1));
	ASSERT(!state_proc_alive(0, 0));

	pid = fork();
	ASSERT_OK(pid);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	ASSERT_OK(state_proc_start(pid, &child_start));
	fill(&s, "live");
	s.phase = STATE_RUNNING;
	s.pid = pid;
	s.pid_start = child_start;
	ASSERT_EQ(state_status_of(&s), STATE_RUNNING);
	/* signalling a reused PID is refused, and nothing is sent */
	s.pid_start = child_start + 1;
	ASSERT_EQ(state_status_of(&s), STATE_STOPPED);
	ASSERT_EQ(state_signal(&s, SIGKILL, 0, &e), -1);
	ASSERT_EQ(e->errnum, ESRCH);
	moat_err_free(&e);
	ASSERT_EQ(waitpid(pid, &status, WNOHANG), 0);
	s.pid_start = child_start;
	/* kill and wait: a zombie counts as dead */
	ASSERT_EQ(state_signal(&s, SIGKILL, 5000, &e), 0);
	ASSERT_EQ(state_status_of(&s), STATE_STOPPED);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ASSERT_EQ(state_status_of(&s), STATE_STOPPED);
	ASSERT_EQ(state_signal(&s, SIGTERM, 0, &e), -1);
	ASSERT_EQ(e->errnum, ESRCH);
	moat_err_free(&e);
}
