/*
 * test_cli_commands.c: level 2 (root). Runs the built moat binary
 * ($MOAT_CLI, set by `make check`) against a temporary --root, removed at
 * the end of each test: spec, features, list, state, kill and delete,
 * error messages and exit codes, the --log file, and containers made by
 * hand in the state format of docs/state.md around a live child process
 * (running, then stopped once it dies; delete --force kills it). Invalid
 * IDs such as ../x must be refused before anything is touched.
 */
#include "../harness/clirun.h"
#include "../harness/test.h"
#include "../harness/tmpdir.h"
#include "../harness/vmrun.h"
#include "../../src/runtime/spec.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *cli_path(void)
{
	const char *p = vmrun_env_path("MOAT_CLI");

	if (!p)
		FAIL("MOAT_CLI does not name the built moat binary");
	return p;
}

/* Run moat with the given arguments (NULL-terminated) in directory cwd
 * (or here); the tests name their own --root. */
static void moat_in(struct clirun *r, const char *cwd, ...)
{
	const char *argv[32];
	va_list ap;
	int n = 0;

	argv[n++] = "moat";
	va_start(ap, cwd);
	while (n < 31 && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	clirun_exec(r, cli_path(), cwd, NULL, argv);
}

#undef moat /* clirun.h's adds its own --root */
#define moat(r, ...) moat_in(r, NULL, __VA_ARGS__, (const char *)NULL)

static void expect_fail_with(const struct clirun *r, int status,
			     const char *stderr_text)
{
	if (r->status != status || strcmp(r->err, stderr_text) || r->out[0]) {
		clirun_show(r);
		FAIL("want exit %d and stderr \"%s\", got exit %d", status,
		     stderr_text, r->status);
	}
}

/* runc's status for an error: 1 */
static void expect_fail(const struct clirun *r, const char *stderr_text)
{
	expect_fail_with(r, 1, stderr_text);
}

static void expect_ok(const struct clirun *r)
{
	if (r->status != 0 || r->err[0]) {
		test_diag_block("stderr", r->err, strlen(r->err));
		FAIL("want exit 0 and no stderr, got exit %d", r->status);
	}
}

/* --- temporary roots ---------------------------------------------------- */

static char tmp_dir[64];

/*
 * A fresh directory, removed with what is in it when the test ends, even
 * when it fails (tmpdir.h: its janitor waits until every process of the
 * test has closed the pipe). Tests also remove it themselves (tmp_remove)
 * to check that nothing was left in it.
 */
static const char *tmp_make(void)
{
	tmpdir_make(tmp_dir, sizeof(tmp_dir), "/tmp/moat-cli-XXXXXX", false,
		    NULL);
	return tmp_dir;
}

static void tmp_remove(void)
{
	if (tmp_dir[0])
		tmpdir_remove(tmp_dir);
	tmp_dir[0] = '\0';
}

static int dir_entries(const char *path)
{
	char cmd[256];
	int n = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' 2>/dev/null | wc -l", path);
	f = popen(cmd, "r");
	ASSERT(f);
	if (fscanf(f, "%d", &n) != 1)
		n = -1;
	pclose(f);
	return n;
}

/* --- hand-made containers around a live child ----------------------------- */

static uint64_t start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	int fd, i;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	ASSERT_OK(fd);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT(n > 0);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	ASSERT(p);
	/* field 3 starts at p + 2; field 22 is 19 spaces further */
	p += 2;
	for (i = 3; i < 22; i++) {
		p = strchr(p, ' ');
		ASSERT(p);
		p++;
	}
	ASSERT(sscanf(p, "%llu", &v) == 1);
	return v;
}

static pid_t sleeper(void)
{
	pid_t pid = fork();

	ASSERT_OK(pid);
	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

/* Write <root>/<id>/state.json and lock as docs/state.md describes. */
static void hand_made(const char *root, const char *id, const char *phase,
		      pid_t pid)
{
	char path[256];
	FILE *f;
	int fd;

	mkdir(root, 0700);
	snprintf(path, sizeof(path), "%s/%s", root, id);
	ASSERT_OK(mkdir(path, 0700));
	snprintf(path, sizeof(path), "%s/%s/lock", root, id);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	ASSERT_OK(fd);
	close(fd);
	snprintf(path, sizeof(path), "%s/%s/state.json", root, id);
	f = fopen(path, "w");
	ASSERT(f);
	fprintf(f,
		"{\"version\": 1, \"id\": \"%s\", \"phase\": \"%s\", "
		"\"pid\": %d, \"pidStartTime\": %llu, \"bundle\": \"/b/%s\", "
		"\"rootfs\": \"/b/%s/rootfs\", "
		"\"created\": \"2026-01-02T03:04:05.000000006Z\", "
		"\"owner\": 0, \"annotations\": {\"a\": \"b\"}}\n",
		id, phase, (int)pid,
		(unsigned long long)(pid ? start_time(pid) : 0), id, id);
	fclose(f);
}

static json_t *parse_json(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);

	if (!j) {
		test_diag_block("output", text, strlen(text));
		FAIL("not JSON: %d:%d: %s", jerr.line, jerr.column, jerr.text);
	}
	return j;
}

/* `moat state id` -> its status and pid */
static void state_of(const char *root, const char *id, const char *status,
		     json_int_t pid)
{
	static struct clirun r;
	json_t *j;

	moat(&r, "--root", root, "state", id);
	expect_ok(&r);
	j = parse_json(r.out);
	ASSERT_STREQ(json_string_value(json_object_get(j, "status")), status);
	ASSERT_EQ(json_integer_value(json_object_get(j, "pid")), pid);
	ASSERT_STREQ(json_string_value(json_object_get(j, "id")), id);
	ASSERT(json_is_string(json_object_get(j, "ociVersion")));
	ASSERT(json_is_string(json_object_get(j, "bundle")));
	ASSERT_STREQ(json_string_value(json_object_get(
			     json_object_get(j, "annotations"), "a")),
		     "b");
	json_decref(j);
}

/* --- tests ------------------------------------------------------------------
 */

TEST(cli_spec_writes_a_valid_config)
{
	static struct clirun r;
	char path[128], msg[256];
	struct moat_err *e = NULL;
	struct spec *s = NULL;
	const char *dir = tmp_make();
	struct stat st;

	moat(&r, "spec", "--bundle", dir);
	expect_ok(&r);
	snprintf(path, sizeof(path), "%s/config.json", dir);
	if (spec_load(path, &s, &e))
		FAIL("%s", e->msg);
	ASSERT_STREQ(s->process.args[0], "sh");
	ASSERT(s->process.terminal);
	ASSERT(s->ver_major == 1 && s->ver_minor >= 2);
	ASSERT(s->nmounts > 0 && s->masked_paths[0] && s->readonly_paths[0]);
	ASSERT(s->namespaces != 0);
	spec_free(s);
	ASSERT_OK(stat(path, &st));
	/* never overwritten */
	snprintf(msg, sizeof(msg),
		 "moat: spec: %s/config.json: already exists; remove it "
		 "first\n",
		 dir);
	moat(&r, "spec", "--bundle", dir);
	expect_fail(&r, msg);
	/* without --bundle: the current directory */
	ASSERT_OK(unlink(path));
	moat_in(&r, dir, "spec", (const char *)NULL);
	expect_ok(&r);
	ASSERT_OK(stat(path, &st));
	moat(&r, "spec", "--rootless");
	ASSERT_EQ(r.status, 1);
	ASSERT(strstr(r.err, "moat: spec: --rootless: not supported"));
	tmp_remove();
}

TEST(cli_features_document)
{
	static struct clirun r;
	json_t *j, *lx, *ns, *caps;
	size_t i;

	moat(&r, "features");
	expect_ok(&r);
	j = parse_json(r.out);
	ASSERT_STREQ(json_string_value(json_object_get(j, "ociVersionMin")),
		     "1.0.0");
	ASSERT_STREQ(json_string_value(json_object_get(j, "ociVersionMax")),
		     "1.3.0");
	ASSERT_EQ(json_array_size(json_object_get(j, "hooks")), 6);
	ASSERT(json_array_size(json_object_get(j, "mountOptions")) > 10);
	lx = json_object_get(j, "linux");
	ns = json_object_get(lx, "namespaces");
	/* the user namespace is the guest's: listed; time is refused */
	ASSERT_EQ(json_array_size(ns), 7);
	for (i = 0; i < json_array_size(ns); i++) {
		const char *n = json_string_value(json_array_get(ns, i));

		ASSERT(n && strcmp(n, "time"));
	}
	ASSERT_STREQ(json_string_value(json_array_get(ns, 6)), "user");
	caps = json_object_get(lx, "capabilities");
	ASSERT_EQ(json_array_size(caps), 41);
	ASSERT_STREQ(json_string_value(json_array_get(caps, 21)),
		     "CAP_SYS_ADMIN");
	ASSERT(json_is_true(
		json_object_get(json_object_get(lx, "seccomp"), "enabled")));
	ASSERT(json_is_true(
		json_object_get(json_object_get(lx, "cgroup"), "v2")));
	ASSERT(json_is_false(
		json_object_get(json_object_get(lx, "apparmor"), "enabled")));
	json_decref(j);
}

TEST(cli_unknown_container_errors)
{
	static struct clirun r;
	const char *root = tmp_make();

	moat(&r, "--root", root, "state", "nope");
	expect_fail(&r, "moat: state: container nope does not exist\n");
	moat(&r, "--root", root, "delete", "nope");
	expect_fail(&r, "moat: delete: container nope does not exist\n");
	moat(&r, "--root", root, "delete", "--force", "nope");
	expect_ok(&r);
	moat(&r, "--root", root, "kill", "nope");
	expect_fail(&r, "moat: kill: container nope does not exist\n");
	moat(&r, "--root", root, "kill", "nope", "KILL");
	expect_fail(&r, "moat: kill: container nope does not exist\n");
	moat(&r, "--root", root, "kill", "nope", "SIGNOPE");
	expect_fail(&r, "moat: kill: unknown signal \"SIGNOPE\"\n");
	moat(&r, "--root", root, "state");
	expect_fail(&r, "moat: state: missing arguments; usage: moat state "
			"ID\n");
	ASSERT_EQ(dir_entries(root), 0);
	tmp_remove();
}

TEST(cli_list_of_an_empty_root)
{
	static struct clirun r;
	const char *dir = tmp_make();
	char missing[128];

	moat(&r, "--root", dir, "list");
	expect_ok(&r);
	ASSERT(!strncmp(r.out, "ID ", 3));
	ASSERT(strstr(r.out, "STATUS"));
	ASSERT_EQ(strchr(r.out, '\n') - r.out + 1, (long)strlen(r.out));
	moat(&r, "--root", dir, "list", "-q");
	expect_ok(&r);
	ASSERT_STREQ(r.out, "");
	moat(&r, "--root", dir, "list", "--format", "json");
	expect_ok(&r);
	ASSERT_STREQ(r.out, "[]\n");
	moat(&r, "--root", dir, "list", "--format=yaml");
	expect_fail(&r, "moat: list: --format: \"yaml\" is not table or "
			"json\n");
	/* a root that does not exist is an empty list, and stays absent */
	snprintf(missing, sizeof(missing), "%s/none", dir);
	moat(&r, "--root", missing, "list", "-q");
	expect_ok(&r);
	ASSERT_STREQ(r.out, "");
	ASSERT(access(missing, F_OK) < 0 && errno == ENOENT);
	tmp_remove();
}

TEST(cli_live_container_is_running_then_stopped)
{
	static struct clirun r;
	const char *root = tmp_make();
	pid_t child = sleeper();
	json_t *j;
	int status;

	hand_made(root, "c1", "running", child);
	hand_made(root, "c0", "stopped", 0);
	state_of(root, "c1", "running", child);
	state_of(root, "c0", "stopped", 0);
	moat(&r, "--root", root, "list", "--format", "json");
	expect_ok(&r);
	j = parse_json(r.out);
	ASSERT_EQ(json_array_size(j), 2);
	ASSERT_STREQ(json_string_value(
			     json_object_get(json_array_get(j, 1), "status")),
		     "running");
	json_decref(j);
	moat(&r, "--root", root, "list", "-q");
	expect_ok(&r);
	ASSERT_STREQ(r.out, "c0\nc1\n");
	moat(&r, "--root", root, "list");
	expect_ok(&r);
	ASSERT(strstr(r.out, "running"));

	/* it dies (a zombie first, then reaped): stopped, no pid */
	kill(child, SIGKILL);
	usleep(50 * 1000);
	state_of(root, "c1", "stopped", 0);
	ASSERT_EQ(waitpid(child, &status, 0), child);
	state_of(root, "c1", "stopped", 0);
	moat(&r, "--root", root, "delete", "c1");
	expect_ok(&r);
	moat(&r, "--root", root, "delete", "c0");
	expect_ok(&r);
	ASSERT_EQ(dir_entries(root), 0);
	tmp_remove();
}

TEST(cli_reused_pid_shows_stopped)
{
	static struct clirun r;
	const char *root = tmp_make();
	char path[256];
	FILE *f;

	/* our own PID, with a start time that is not ours: a reused PID */
	snprintf(path, sizeof(path), "%s/r1", root);
	ASSERT_OK(mkdir(path, 0700));
	snprintf(path, sizeof(path), "%s/r1/state.json", root);
	f = fopen(path, "w");
	ASSERT(f);
	fprintf(f,
		"{\"version\": 1, \"id\": \"r1\", \"phase\": \"running\", "
		"\"pid\": %d, \"pidStartTime\": %llu, \"bundle\": \"/b\", "
		"\"rootfs\": \"/b/rootfs\", \"created\": \"\", \"owner\": 0}",
		(int)getpid(), (unsigned long long)start_time(getpid()) + 1);
	fclose(f);
	moat(&r, "--root", root, "state", "r1");
	expect_ok(&r);
	ASSERT(strstr(r.out, "\"status\": \"stopped\""));
	/* and kill refuses to signal it, in runc's words */
	moat(&r, "--root", root, "kill", "r1", "KILL");
	expect_fail(&r, "moat: kill: container not running\n");
	tmp_remove();
}

TEST(cli_delete_force_kills_and_removes)
{
	static struct clirun r;
	const char *root = tmp_make();
	pid_t child = sleeper();
	int status;

	hand_made(root, "c2", "running", child);
	moat(&r, "--root", root, "delete", "c2");
	expect_fail(&r, "moat: delete: cannot delete container c2 that is "
			"not stopped: running\n");
	ASSERT_EQ(waitpid(child, &status, WNOHANG), 0);
	state_of(root, "c2", "running", child);
	moat(&r, "--root", root, "delete", "--force", "c2");
	expect_ok(&r);
	ASSERT_EQ(waitpid(child, &status, 0), child);
	ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ASSERT_EQ(dir_entries(root), 0);
	moat(&r, "--root", root, "state", "c2");
	expect_fail(&r, "moat: state: container c2 does not exist\n");
	tmp_remove();
}

TEST(cli_kill_signals_the_process)
{
	static struct clirun r;
	const char *root = tmp_make();
	pid_t child = sleeper();
	int status;

	hand_made(root, "c3", "created", child);
	state_of(root, "c3", "created", child);
	moat(&r, "--root", root, "kill", "c3", "NOSUCHSIG");
	expect_fail(&r, "moat: kill: unknown signal \"NOSUCHSIG\"\n");
	/* signal 0: is it alive? (runc's answer; nothing is sent) */
	moat(&r, "--root", root, "kill", "c3", "0");
	expect_ok(&r);
	moat(&r, "--root", root, "kill", "--all", "c3");
	expect_fail(&r, "moat: kill: --all: container c3 has no shim\n");
	ASSERT_EQ(waitpid(child, &status, WNOHANG), 0);
	moat(&r, "--root", root, "kill", "c3", "usr1");
	expect_ok(&r);
	ASSERT_EQ(waitpid(child, &status, 0), child);
	ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGUSR1);
	/* runc's words, by which containerd's shim knows the process ended
	 * (any signal, 0 too); --all has nothing left to signal: 0 */
	moat(&r, "--root", root, "kill", "c3");
	expect_fail(&r, "moat: kill: container not running\n");
	moat(&r, "--root", root, "kill", "c3", "0");
	expect_fail(&r, "moat: kill: container not running\n");
	moat(&r, "--root", root, "kill", "--all", "c3", "KILL");
	expect_ok(&r);

	/* the default signal is SIGTERM */
	child = sleeper();
	hand_made(root, "c4", "running", child);
	moat(&r, "--root", root, "kill", "c4");
	expect_ok(&r);
	ASSERT_EQ(waitpid(child, &status, 0), child);
	ASSERT(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	tmp_remove();
}

TEST(cli_invalid_ids_touch_nothing)
{
	static const char *const bad[] = { "../x", "..", ".",  "a/b",
					   "",	   "/x", "x\n" };
	static struct clirun r;
	const char *dir = tmp_make();
	char root[128], path[256];
	pid_t child = sleeper();
	struct stat st;
	size_t i;
	int status;

	/* the root does not exist; its sibling x looks like a container */
	snprintf(root, sizeof(root), "%s/root", dir);
	hand_made(dir, "x", "running", child);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *verbs[][3] = {
			{ "state", bad[i], NULL },
			{ "delete", "--force", bad[i] },
			{ "kill", bad[i], "KILL" },
		};
		size_t v;

		for (v = 0; v < 3; v++) {
			moat(&r, "--root", root, verbs[v][0], verbs[v][1],
			     verbs[v][2]);
			if (r.status != 1 ||
			    !strstr(r.err, ": invalid container id")) {
				test_diag_block("stderr", r.err, strlen(r.err));
				FAIL("%s \"%s\": exit %d", verbs[v][0], bad[i],
				     r.status);
			}
		}
	}
	ASSERT(stat(root, &st) < 0 && errno == ENOENT);
	snprintf(path, sizeof(path), "%s/x/state.json", dir);
	ASSERT_OK(stat(path, &st));
	ASSERT_EQ(waitpid(child, &status, WNOHANG), 0);
	tmp_remove();
}

TEST(cli_live_verbs_need_a_live_container)
{
	static struct clirun r;
	const char *dir = tmp_make();

	/* exec's runtime errors exit 255, its usage errors 1 (runc's) */
	moat(&r, "--root", dir, "exec", "x", "true");
	expect_fail_with(&r, 255, "moat: exec: container x does not exist\n");
	moat(&r, "--root", dir, "exec", "x");
	expect_fail(&r, "moat: exec: exec: a COMMAND or --process is needed\n");
	moat(&r, "--root", dir, "exec", "--preserve-fds", "2", "x", "true");
	expect_fail(&r, "moat: exec: --preserve-fds: not supported (the "
			"process runs in a VM)\n");
	moat(&r, "--root", dir, "exec", "--user", "root", "x", "true");
	expect_fail_with(&r, 255, "moat: exec: container x does not exist\n");
	moat(&r, "--root", dir, "ps", "x");
	expect_fail(&r, "moat: ps: container x does not exist\n");
	moat(&r, "--root", dir, "ps", "--format", "yaml", "x");
	expect_fail(&r, "moat: ps: --format yaml: want table or json\n");
	moat(&r, "--root", dir, "ps", "x", "-e", "-x"); /* ps(1)'s options */
	expect_fail(&r, "moat: ps: container x does not exist\n");
	moat(&r, "--root", dir, "pause", "x");
	expect_fail(&r, "moat: pause: container x does not exist\n");
	moat(&r, "--root", dir, "update", "--memory", "12q", "x");
	expect_fail(&r, "moat: update: --memory 12q: not a size\n");
	moat(&r, "--root", dir, "update", "--cpuset-cpus", "0", "x");
	expect_fail(&r, "moat: update: --cpuset-cpus: not supported (the "
			"container runs in a VM; change what the VM was given "
			"at create)\n");
	moat(&r, "--root", dir, "update", "--pids-limit", "10", "x");
	expect_fail(&r, "moat: update: container x does not exist\n");
	moat(&r, "--root", dir, "events", "--interval", "soon", "x");
	expect_fail(&r, "moat: events: --interval soon: not a duration\n");
	moat(&r, "--root", dir, "events", "--stats", "x");
	expect_fail(&r, "moat: events: container x does not exist\n");
	moat(&r, "--root", dir, "resume", "../x");
	expect_fail(&r, "moat: resume: invalid container id: only letters, "
			"digits and _+.- are allowed\n");
	tmp_remove();
}

/* A verb refused on a container's status says what runc says: engines
 * parse these words (docs/design.md, "Errors engines parse"). */
TEST(cli_refusals_in_runc_words)
{
	static struct clirun r;
	const char *root = tmp_make();
	pid_t child = sleeper(), child2 = sleeper();
	int status;

	hand_made(root, "up", "running", child);
	hand_made(root, "frozen", "paused", child2);
	hand_made(root, "down", "stopped", 0);
	moat(&r, "--root", root, "start", "up");
	expect_fail(&r, "moat: start: cannot start an already running "
			"container\n");
	moat(&r, "--root", root, "start", "down");
	expect_fail(&r, "moat: start: cannot start a container that has "
			"stopped\n");
	moat(&r, "--root", root, "start", "frozen");
	expect_fail(&r, "moat: start: cannot start a container in the paused "
			"state\n");
	moat(&r, "--root", root, "pause", "down");
	expect_fail(&r, "moat: pause: container not running\n");
	moat(&r, "--root", root, "pause", "frozen");
	expect_fail(&r, "moat: pause: container not running\n");
	moat(&r, "--root", root, "resume", "up");
	expect_fail(&r, "moat: resume: container not paused\n");
	moat(&r, "--root", root, "resume", "down");
	expect_fail(&r, "moat: resume: container not paused\n");
	moat(&r, "--root", root, "update", "--pids-limit", "10", "down");
	expect_fail(&r, "moat: update: container not running\n");
	moat(&r, "--root", root, "events", "--stats", "down");
	expect_fail(&r, "moat: events: container with id down is not "
			"running\n");
	moat(&r, "--root", root, "exec", "down", "true");
	expect_fail_with(&r, 255,
			 "moat: exec: cannot exec in a stopped container\n");
	moat(&r, "--root", root, "exec", "frozen", "true");
	expect_fail_with(&r, 255,
			 "moat: exec: cannot exec in a paused container (use "
			 "--ignore-paused to override)\n");
	moat(&r, "--root", root, "kill", "down", "KILL");
	expect_fail(&r, "moat: kill: container not running\n");
	moat(&r, "--root", root, "kill", "frozen", "0");
	expect_ok(&r);
	moat(&r, "--root", root, "delete", "frozen");
	expect_fail(&r, "moat: delete: cannot delete container frozen that is "
			"not stopped: paused\n");
	/* the log file's message is the same line */
	moat(&r, "--root", root, "--log", "/dev/stdout", "--log-format", "json",
	     "kill", "down");
	ASSERT_EQ(r.status, 1);
	ASSERT(strstr(r.out, "\"msg\":\"moat: kill: container not "
			     "running\""));
	ASSERT_EQ(waitpid(child, &status, WNOHANG), 0);
	ASSERT_EQ(waitpid(child2, &status, WNOHANG), 0);
	kill(child, SIGKILL);
	kill(child2, SIGKILL);
	ASSERT_EQ(waitpid(child, &status, 0), child);
	ASSERT_EQ(waitpid(child2, &status, 0), child2);
	tmp_remove();
}

/* exec --cgroup as runc reads it, refused before any container is looked
 * up when it cannot hold; run's runc options moat has no use for. */
TEST(cli_exec_cgroup_and_run_options)
{
	static struct clirun r;
	const char *dir = tmp_make();

	moat(&r, "--root", dir, "exec", "--cgroup", "a/../../up", "x", "true");
	expect_fail(&r, "moat: exec: a/../../up is not a sub cgroup path\n");
	moat(&r, "--root", dir, "exec", "--cgroup", "a", "--cgroup", "b", "x",
	     "true");
	expect_fail(&r, "moat: exec: invalid --cgroup argument: a (missing "
			"<controller>: prefix)\n");
	moat(&r, "--root", dir, "exec", "--cgroup", "cpu,:a", "x", "true");
	expect_fail(&r, "moat: exec: invalid --cgroup argument: cpu,:a (empty "
			"<controller> prefix)\n");
	moat(&r, "--root", dir, "exec", "--cgroup", "pids:a", "x", "true");
	expect_fail(&r, "moat: exec: invalid --cgroup argument: pids:a (a "
			"<controller>: prefix is for cgroup v1; the guest has "
			"cgroup v2 only: give a path alone)\n");
	moat(&r, "--root", dir, "exec", "--cgroup", "a b", "x", "true");
	expect_fail(&r, "moat: exec: --cgroup a b: not a cgroup path "
			"(printable, without spaces)\n");
	/* a path that can hold goes on to the container */
	moat(&r, "--root", dir, "exec", "--cgroup", "/a/./b/../c/", "x",
	     "true");
	expect_fail_with(&r, 255, "moat: exec: container x does not exist\n");
	moat(&r, "--root", dir, "run", "--no-subreaper", "--bundle",
	     "/nonexistent", "x");
	if (r.status == 0 || strstr(r.err, "option")) {
		test_diag_block("stderr", r.err, strlen(r.err));
		FAIL("run --no-subreaper: refused as an option");
	}
	moat(&r, "--root", dir, "create", "--no-subreaper", "x");
	expect_fail(&r, "moat: create: unknown option --no-subreaper\n");
	tmp_remove();
}

TEST(cli_log_file_json_and_text)
{
	static struct clirun r;
	const char *dir = tmp_make();
	char log[128], buf[4096];
	json_t *j;
	FILE *f;

	snprintf(log, sizeof(log), "%s/log.json", dir);
	moat(&r, "--root", dir, "--log", log, "--log-format", "json", "state",
	     "gone");
	expect_fail(&r, "moat: state: container gone does not exist\n");
	f = fopen(log, "r");
	ASSERT(f);
	ASSERT(fgets(buf, sizeof(buf), f));
	ASSERT(!fgets(buf + 2048, 2048, f)); /* one line */
	fclose(f);
	j = parse_json(buf);
	ASSERT_STREQ(json_string_value(json_object_get(j, "level")), "error");
	ASSERT_STREQ(json_string_value(json_object_get(j, "msg")),
		     "moat: state: container gone does not exist");
	ASSERT(json_is_string(json_object_get(j, "time")));
	ASSERT_EQ(json_string_length(json_object_get(j, "time")), 30);
	json_decref(j);

	snprintf(log, sizeof(log), "%s/log.txt", dir);
	moat(&r, "--root", dir, "--log", log, "kill", "gone", "\"q\"");
	expect_fail(&r, "moat: kill: unknown signal \"\"q\"\"\n");
	f = fopen(log, "r");
	ASSERT(f);
	ASSERT(fgets(buf, sizeof(buf), f));
	fclose(f);
	ASSERT(!strncmp(buf, "time=\"", 6));
	ASSERT(strstr(buf, " level=error msg=\"moat: kill: unknown signal "
			   "\\\"\\\"q\\\"\\\"\"\n"));

	/* --debug adds debug lines to the log; success writes no error */
	snprintf(log, sizeof(log), "%s/debug.json", dir);
	moat(&r, "--root", dir, "--debug", "--log", log, "--log-format=json",
	     "list", "-q");
	expect_ok(&r);
	f = fopen(log, "r");
	ASSERT(f);
	ASSERT(fgets(buf, sizeof(buf), f));
	fclose(f);
	ASSERT(strstr(buf, "\"level\":\"debug\""));
	tmp_remove();
}

TEST(cli_global_options)
{
	static const char *const verbs[] = {
		"create", "delete", "events", "exec",  "features",
		"kill",	  "list",   "pause",  "ps",    "resume",
		"run",	  "spec",   "start",  "state", "update",
	};
	static struct clirun r;
	char want[32];
	size_t i;

	moat(&r, "--version");
	expect_ok(&r);
	ASSERT(!strncmp(r.out, "moat version ", 13));
	moat(&r, "--help");
	expect_ok(&r);
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		snprintf(want, sizeof(want), "\n  %s ", verbs[i]);
		if (!strstr(r.out, want))
			FAIL("--help does not list %s", verbs[i]);
	}
	moat(&r, "state", "--help");
	expect_ok(&r);
	ASSERT(strstr(r.out, "usage: moat [GLOBAL OPTIONS] state ID"));
	moat(&r, "--systemd-cgroup", "--root", "/nonexistent-moat-root", "list",
	     "-q");
	expect_ok(&r);
	moat(&r, "--bogus", "list");
	expect_fail(&r, "moat: unknown or incomplete option --bogus\n");
	moat(&r, "--root");
	expect_fail(&r, "moat: unknown or incomplete option --root\n");
	moat(&r, "--log-format", "xml", "list");
	expect_fail(&r, "moat: --log-format: \"xml\" is not text or json\n");
	/* runc's: an unknown command exits 3; none, or help, is a help */
	moat(&r, "frobnicate");
	expect_fail_with(&r, 3,
			 "moat: unknown command \"frobnicate\" (moat --help "
			 "lists them)\n");
	moat(&r, "help", "frobnicate");
	expect_fail_with(&r, 3,
			 "moat: unknown command \"frobnicate\" (moat --help "
			 "lists them)\n");
	moat(&r, "--debug");
	expect_ok(&r);
	ASSERT(strstr(r.out, "\n  kill "));
	moat(&r, "help");
	expect_ok(&r);
	ASSERT(strstr(r.out, "\n  kill "));
	moat(&r, "help", "kill");
	expect_ok(&r);
	ASSERT(strstr(r.out, "usage: moat [GLOBAL OPTIONS] kill ID"));
}
