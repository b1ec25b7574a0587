/*
 * test_run_cli.c: level 3. The moat CLI ($MOAT_CLI) runs containers end to
 * end on the QEMU backend (TCG here): each test builds a busybox bundle
 * (rootfs.h, config from ociconf.h) and uses a fresh --root; the shim
 * ($MOAT_SHIM) boots the guest ($MOAT_KERNEL, $MOAT_INITRAMFS) and the
 * agent runs the container. Checked: `run` prints the guest kernel's
 * release, exit statuses, stdin relayed through the VM, the create /
 * state / start / kill / delete lifecycle (the shim, the container's pid
 * for the engine, dies of the container's signal), delete refusing a
 * running container without --force, bad input; and after each test no
 * shim, QEMU or virtiofsd of the test is left and the --root is empty.
 */
#include "../harness/ociconf.h"
#include "../harness/rootfs.h"
#include "../harness/test.h"
#include "../harness/vmrun.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct run {
	int status; /* exit code, or 128 + signal */
	char out[65536];
	char err[8192];
};

static char root_dir[64];   /* the test's --root */
static char share_dir[256]; /* rootfs_make's directory */
static char bundle[300];

static const char *cli_path(void)
{
	const char *p = vmrun_env_path("MOAT_CLI");

	if (!p || !vmrun_env_path("MOAT_SHIM") ||
	    !vmrun_env_path("MOAT_KERNEL") || !vmrun_env_path("MOAT_INITRAMFS"))
		FAIL("MOAT_CLI, MOAT_SHIM, MOAT_KERNEL or MOAT_INITRAMFS does "
		     "not name a file (run through make check)");
	return p;
}

static void slurp(int fd, char *buf, size_t cap)
{
	ssize_t n = pread(fd, buf, cap - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/* Run moat --root <root> ARGS... (NULL-terminated) with stdin from the
 * text in (or /dev/null); collect stdout and stderr. */
static void moat_v(struct run *r, const char *in, va_list ap)
{
	const char *argv[40];
	int out, err, ifd, status, n = 0;
	pid_t pid;

	argv[n++] = "moat";
	argv[n++] = "--root";
	argv[n++] = root_dir;
	while (n < 39 && (argv[n] = va_arg(ap, const char *)))
		n++;
	argv[n] = NULL;
	out = memfd_create("out", MFD_CLOEXEC);
	err = memfd_create("err", MFD_CLOEXEC);
	ifd = memfd_create("in", MFD_CLOEXEC);
	ASSERT(out >= 0 && err >= 0 && ifd >= 0);
	if (in)
		ASSERT_EQ(pwrite(ifd, in, strlen(in), 0), (ssize_t)strlen(in));
	pid = fork();
	ASSERT_OK(pid);
	if (pid == 0) {
		if (dup2(ifd, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
			_exit(125);
		execv(cli_path(), (char **)argv);
		_exit(127);
	}
	close(ifd);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status)
				      : 128 + WTERMSIG(status);
	slurp(out, r->out, sizeof(r->out));
	slurp(err, r->err, sizeof(r->err));
}

static void moat_in(struct run *r, const char *in, ...)
{
	va_list ap;

	va_start(ap, in);
	moat_v(r, in, ap);
	va_end(ap);
}

#define moat(r, ...) moat_in(r, NULL, __VA_ARGS__, (const char *)NULL)
#define moat_stdin(r, in, ...) moat_in(r, in, __VA_ARGS__, (const char *)NULL)

static void show(const struct run *r)
{
	test_diag_block("stdout", r->out, strlen(r->out));
	test_diag_block("stderr", r->err, strlen(r->err));
}

static void expect_status(const struct run *r, int status)
{
	if (r->status != status) {
		show(r);
		FAIL("want exit %d, got %d", status, r->status);
	}
}

static void expect_fail(const struct run *r, const char *stderr_text)
{
	if (r->status != 1 || strcmp(r->err, stderr_text)) {
		show(r);
		FAIL("want exit 1 and stderr \"%s\", got exit %d", stderr_text,
		     r->status);
	}
}

/* --- the test's root and bundle ------------------------------------------ */

static int rm_entry(const char *p, const struct stat *st, int flag,
		    struct FTW *f)
{
	return remove(p);
}

/*
 * A janitor in its own session waits until the test process is gone
 * (its pipe closes), then force-deletes whatever containers remain (so a
 * failed test leaves no VM) and removes the root.
 */
static void janitor(void)
{
	int pfd[2];
	struct dirent *d;
	char c;
	DIR *dir;
	pid_t pid;

	ASSERT_OK(pipe2(pfd, O_CLOEXEC));
	pid = fork();
	ASSERT_OK(pid);
	if (pid == 0) {
		close(pfd[1]);
		if (fork() != 0)
			_exit(0);
		setsid();
		while (read(pfd[0], &c, 1) > 0)
			;
		dir = opendir(root_dir);
		while (dir && (d = readdir(dir))) {
			if (d->d_name[0] == '.')
				continue;
			pid = fork();
			if (pid == 0) {
				int nul = open("/dev/null", O_RDWR);

				dup2(nul, 0);
				dup2(nul, 1);
				dup2(nul, 2);
				execl(getenv("MOAT_CLI"), "moat", "--root",
				      root_dir, "delete", "--force", d->d_name,
				      (char *)NULL);
				_exit(127);
			}
			if (pid > 0)
				waitpid(pid, NULL, 0);
		}
		if (dir)
			closedir(dir);
		nftw(root_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
		_exit(0);
	}
	close(pfd[0]);
	ASSERT_EQ(waitpid(pid, NULL, 0), pid);
	/* pfd[1] stays open in this process until it ends */
}

/* A root, and a bundle whose config runs args. */
static void setup(const char *const *args)
{
	char path[512];
	char *text;
	FILE *f;

	cli_path();
	snprintf(root_dir, sizeof(root_dir), "/tmp/moat-runroot-XXXXXX");
	ASSERT(mkdtemp(root_dir));
	janitor();
	rootfs_make(share_dir, sizeof(share_dir));
	snprintf(bundle, sizeof(bundle), "%s/%s", share_dir, ROOTFS_TAG);
	snprintf(path, sizeof(path), "%s/rootfs/bin/uname", bundle);
	ASSERT_OK(symlink("busybox", path));
	text = ociconf_dump(ociconf_base(args));
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	f = fopen(path, "w");
	ASSERT(f);
	fputs(text, f);
	fclose(f);
	free(text);
}

/* Does any process's command line mention s? */
static pid_t proc_mentioning(const char *s)
{
	char path[64], buf[8192];
	struct dirent *d;
	pid_t found = 0;
	ssize_t n, i;
	DIR *dir = opendir("/proc");
	int fd;

	ASSERT(dir);
	while (!found && (d = readdir(dir))) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%.20s/cmdline", d->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		for (i = 0; i < n; i++)
			if (!buf[i])
				buf[i] = ' ';
		buf[n] = '\0';
		if (strstr(buf, s))
			found = (pid_t)atoi(d->d_name);
	}
	closedir(dir);
	return found;
}

/* Nothing of the test left: no shim, QEMU or virtiofsd naming its root
 * or bundle (within a few seconds), and an empty root. */
static void expect_clean(void)
{
	struct dirent *d;
	int i, n = 0;
	pid_t p = 0;
	DIR *dir;

	for (i = 0; i < 100; i++) {
		p = proc_mentioning(root_dir);
		if (!p)
			p = proc_mentioning(bundle);
		if (!p)
			break;
		usleep(50000);
	}
	if (p) {
		char path[64], buf[512];
		int fd;
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)p);
		fd = open(path, O_RDONLY);
		len = fd >= 0 ? read(fd, buf, sizeof(buf)) : 0;
		test_diag_block("left behind", buf, len > 0 ? (size_t)len : 0);
		FAIL("process %d of the test is still there", (int)p);
	}
	dir = opendir(root_dir);
	ASSERT(dir);
	while ((d = readdir(dir)))
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
			n++;
	closedir(dir);
	if (n) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "ls -laR %s | sed 's/^/# /'",
			 root_dir);
		if (system(cmd) < 0) {
			/* the count says enough */
		}
	}
	ASSERT_EQ(n, 0);
}

/* The "status" of `moat state ID`. */
static void expect_state(const char *id, const char *status)
{
	static struct run r;
	json_error_t jerr;
	json_t *j;

	moat(&r, "state", id);
	expect_status(&r, 0);
	j = json_loads(r.out, 0, &jerr);
	ASSERT(j);
	if (strcmp(json_string_value(json_object_get(j, "status")), status)) {
		show(&r);
		FAIL("want status %s", status);
	}
	json_decref(j);
}

/* Wait for `moat state ID` to say status (up to secs). */
static void wait_state(const char *id, const char *status, int secs)
{
	static struct run r;
	int i;

	for (i = 0; i < secs * 10; i++) {
		moat(&r, "state", id);
		if (r.status == 0 && strstr(r.out, status))
			break;
		usleep(100000);
	}
	expect_state(id, status);
}

/* --- the tests ------------------------------------------------------------ */

TEST_TIMEOUT(run_prints_the_guest_kernel_release, 120)
{
	static const char *const args[] = { "sh", "-c", "uname -r", NULL };
	static struct run r;
	struct utsname host;
	size_t n;

	setup(args);
	moat(&r, "run", "--bundle", bundle, "uname");
	expect_status(&r, 0);
	n = strlen(r.out);
	ASSERT_OK(uname(&host));
	test_diag("guest %.*s, host %s", (int)(n ? n - 1 : 0), r.out,
		  host.release);
	if (n < 6 || strcmp(r.out + n - 6, "-moat\n")) {
		show(&r);
		FAIL("the release does not end in -moat");
	}
	ASSERT(strncmp(r.out, host.release, strlen(host.release)) ||
	       r.out[strlen(host.release)] != '\n');
	expect_clean();
}

TEST_TIMEOUT(run_exit_status_is_the_containers, 120)
{
	static const char *const args[] = { "sh", "-c",
					    "echo out; echo err >&2; exit 42",
					    NULL };
	static struct run r;

	setup(args);
	moat(&r, "run", "--bundle", bundle, "exit42");
	expect_status(&r, 42);
	ASSERT_STREQ(r.out, "out\n");
	ASSERT_STREQ(r.err, "err\n");
	expect_clean();
}

TEST_TIMEOUT(run_relays_stdin, 120)
{
	static const char *const args[] = { "cat", NULL };
	static const char text[] = "hello through the VM\nand a second line\n";
	static struct run r;

	setup(args);
	moat_stdin(&r, text, "run", "--bundle", bundle, "cat");
	expect_status(&r, 0);
	ASSERT_STREQ(r.out, text);
	expect_clean();
}

TEST_TIMEOUT(create_start_kill_delete, 180)
{
	static const char *const args[] = { "sleep", "1000", NULL };
	static struct run r;
	char pidfile[128], buf[32];
	int status, fd;
	ssize_t n;
	pid_t shim, w;

	setup(args);
	/* The shim is detached: as an engine's subreaper, inherit it. */
	ASSERT_OK(prctl(PR_SET_CHILD_SUBREAPER, 1));
	snprintf(pidfile, sizeof(pidfile), "%s.pid", root_dir);
	moat(&r, "create", "--bundle", bundle, "--pid-file", pidfile, "c1");
	expect_status(&r, 0);
	fd = open(pidfile, O_RDONLY);
	ASSERT_OK(fd);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	unlink(pidfile);
	ASSERT(n > 0);
	buf[n] = '\0';
	shim = (pid_t)atoi(buf);
	ASSERT(shim > 0);
	expect_state("c1", "created");
	moat(&r, "state", "c1");
	ASSERT(strstr(r.out, buf));
	/* starting twice: the second is refused */
	moat(&r, "start", "c1");
	expect_status(&r, 0);
	expect_state("c1", "running");
	moat(&r, "start", "c1");
	expect_fail(&r, "moat: start: container c1 is running, not created\n");
	moat(&r, "kill", "c1", "KILL");
	expect_status(&r, 0);
	/* the shim dies of the container's signal */
	do
		w = waitpid(shim, &status, 0);
	while (w < 0 && errno == EINTR);
	ASSERT_EQ(w, shim);
	ASSERT(WIFSIGNALED(status));
	ASSERT_EQ(WTERMSIG(status), SIGKILL);
	expect_state("c1", "stopped");
	moat(&r, "kill", "c1");
	expect_fail(&r, "moat: kill: container c1 is stopped\n");
	moat(&r, "delete", "c1");
	expect_status(&r, 0);
	moat(&r, "state", "c1");
	expect_fail(&r, "moat: state: container c1 does not exist\n");
	expect_clean();
}

TEST_TIMEOUT(kill_term_reaches_the_init, 180)
{
	static const char *const args[] = {
		"sh", "-c", "trap 'exit 7' TERM; echo ready; sleep 1000 & wait",
		NULL
	};
	static struct run r;

	setup(args);
	moat(&r, "run", "--detach", "--bundle", bundle, "t1");
	expect_status(&r, 0);
	expect_state("t1", "running");
	usleep(500000); /* let sh set its trap */
	moat(&r, "kill", "t1", "TERM");
	expect_status(&r, 0);
	wait_state("t1", "stopped", 30);
	moat(&r, "delete", "t1");
	expect_status(&r, 0);
	expect_clean();
}

TEST_TIMEOUT(delete_of_a_running_container_needs_force, 180)
{
	static const char *const args[] = { "sleep", "1000", NULL };
	static struct run r;

	setup(args);
	moat(&r, "run", "-d", "--bundle", bundle, "r1");
	expect_status(&r, 0);
	expect_state("r1", "running");
	moat(&r, "delete", "r1");
	expect_fail(&r, "moat: delete: container r1 is running; stop it first "
			"or use --force\n");
	expect_state("r1", "running");
	/* a second container of the same id is refused */
	moat(&r, "create", "--bundle", bundle, "r1");
	expect_fail(&r, "moat: create: container r1 already exists\n");
	moat(&r, "delete", "--force", "r1");
	expect_status(&r, 0);
	expect_clean();
}

TEST_TIMEOUT(create_bad_input_leaves_nothing, 120)
{
	static const char *const args[] = { "true", NULL };
	static struct run r;
	char path[512];
	json_t *j;
	char *text;
	FILE *f;

	setup(args);
	moat(&r, "create", "--bundle", "/nonexistent-bundle", "x");
	expect_fail(&r, "moat: create: bundle /nonexistent-bundle: No such "
			"file or directory\n");
	moat(&r, "create", "--bundle", bundle, "../x");
	expect_fail(&r, "moat: create: invalid container id: only letters, "
			"digits and _+.- are allowed\n");
	/* a terminal needs a console socket to send its master to */
	j = ociconf_base(args);
	ociconf_set(j, "process.terminal", json_true());
	text = ociconf_dump(j);
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	f = fopen(path, "w");
	ASSERT(f);
	fputs(text, f);
	fclose(f);
	free(text);
	moat(&r, "create", "--bundle", bundle, "x");
	expect_fail(&r, "moat: create: process.terminal: true needs "
			"--console-socket (the terminal's master is sent "
			"there)\n");
	/* the agent refuses a config it cannot run: the VM goes away */
	j = ociconf_base(args);
	json_array_append_new(json_object_get(j, "mounts"),
			      ociconf_parse("{ \"destination\": \"/x\", "
					    "\"type\": \"nosuchfs\", "
					    "\"source\": \"x\" }"));
	text = ociconf_dump(j);
	f = fopen(path, "w");
	ASSERT(f);
	fputs(text, f);
	fclose(f);
	free(text);
	moat(&r, "create", "--bundle", bundle, "x");
	if (r.status != 1 ||
	    strncmp(r.err, "moat: create: agent: create: ", 29)) {
		show(&r);
		FAIL("want exit 1 and the agent's error");
	}
	moat(&r, "start", "x");
	expect_fail(&r, "moat: start: container x does not exist\n");
	/* a hypervisor nobody knows, from the annotation */
	j = ociconf_base(args);
	json_object_set_new(j, "annotations",
			    ociconf_parse("{ \"moat.hypervisor\": \"xen\" }"));
	text = ociconf_dump(j);
	f = fopen(path, "w");
	ASSERT(f);
	fputs(text, f);
	fclose(f);
	free(text);
	moat(&r, "create", "--bundle", bundle, "x");
	expect_fail(&r, "moat: create: annotation moat.hypervisor: \"xen\" is "
			"not auto, moat-vmm or qemu\n");
	expect_clean();
}

TEST_TIMEOUT(kill_9_of_the_shim_takes_the_vm_with_it, 180)
{
	static const char *const args[] = { "sleep", "1000", NULL };
	static struct run r;
	json_t *j;
	pid_t shim;

	setup(args);
	moat(&r, "run", "--detach", "--bundle", bundle, "k1");
	expect_status(&r, 0);
	moat(&r, "state", "k1");
	expect_status(&r, 0);
	j = json_loads(r.out, 0, NULL);
	ASSERT(j);
	shim = (pid_t)json_integer_value(json_object_get(j, "pid"));
	json_decref(j);
	ASSERT(shim > 0);
	ASSERT_OK(kill(shim, SIGKILL));
	wait_state("k1", "stopped", 10);
	/* QEMU and virtiofsd die with the shim (PR_SET_PDEATHSIG) */
	moat(&r, "delete", "k1");
	expect_status(&r, 0);
	expect_clean();
}

/* Write a config whose every hook appends "<kind> <status> <id>" to log
 * (and, for fail, a createRuntime hook that fails). */
static void write_hooks_config(const char *const *args, const char *log,
			       bool fail)
{
	static const char *const kinds[] = {
		"prestart",	  "createRuntime", "createContainer",
		"startContainer", "poststart",	   "poststop",
	};
	char path[512], script[512];
	json_t *j = ociconf_base(args), *hooks = json_object(), *h;
	char *text;
	size_t i;
	FILE *f;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		/* the state JSON is on stdin: take its status and id */
		snprintf(script, sizeof(script),
			 "s=$(cat); st=${s#*\\\"status\\\":\\\"}; "
			 "id=${s#*\\\"id\\\":\\\"}; echo %s ${st%%%%\\\"*} "
			 "${id%%%%\\\"*} >> %s",
			 kinds[i], log);
		h = json_pack("[{s:s, s:[s,s,s]}]", "path", "/bin/sh", "args",
			      "sh", "-c", script);
		if (fail && i == 1)
			json_array_append_new(
				h, json_pack("{s:s, s:[s,s,s]}", "path",
					     "/bin/sh", "args", "sh", "-c",
					     "echo no-good; exit 3"));
		json_object_set_new(hooks, kinds[i], h);
	}
	json_object_set_new(j, "hooks", hooks);
	text = ociconf_dump(j);
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	f = fopen(path, "w");
	ASSERT(f);
	fputs(text, f);
	fclose(f);
	free(text);
}

TEST_TIMEOUT(hooks_run_at_their_moments_with_the_state, 180)
{
	static const char *const args[] = { "true", NULL };
	static struct run r;
	char log[128], buf[1024];
	int fd;
	ssize_t n;

	setup(args);
	snprintf(log, sizeof(log), "%s.hooks", root_dir);
	write_hooks_config(args, log, false);
	moat(&r, "run", "--bundle", bundle, "h1");
	expect_status(&r, 0);
	fd = open(log, O_RDONLY);
	ASSERT_OK(fd);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	unlink(log);
	ASSERT(n > 0);
	buf[n] = '\0';
	if (strcmp(buf, "prestart creating h1\ncreateRuntime creating h1\n"
			"createContainer creating h1\nstartContainer created "
			"h1\npoststart running h1\npoststop stopped h1\n"))
		FAIL("hooks ran as:\n%s", buf);
	/* a failing createRuntime hook fails create and leaves nothing */
	write_hooks_config(args, log, true);
	moat(&r, "create", "--bundle", bundle, "h2");
	expect_fail(&r, "moat: create: hooks.createRuntime[1] /bin/sh: exit "
			"status 3: no-good \n");
	moat(&r, "state", "h2");
	expect_fail(&r, "moat: state: container h2 does not exist\n");
	unlink(log);
	expect_clean();
}

TEST_TIMEOUT(exec_ps_pause_update_events_on_a_live_container, 240)
{
	static const char *const args[] = { "sleep", "1000", NULL };
	static struct run r;
	json_t *j;

	setup(args);
	moat(&r, "run", "--detach", "--bundle", bundle, "u1");
	expect_status(&r, 0);
	moat(&r, "exec", "u1", "sh", "-c", "echo in-guest; exit 5");
	expect_status(&r, 5);
	ASSERT(strstr(r.out, "in-guest"));
	moat(&r, "ps", "--format", "json", "u1");
	expect_status(&r, 0);
	j = json_loads(r.out, 0, NULL);
	if (!json_is_array(j) || json_array_size(j) < 1) {
		show(&r);
		FAIL("ps: want a JSON array of guest pids");
	}
	json_decref(j);
	moat(&r, "pause", "u1");
	expect_status(&r, 0);
	expect_state("u1", "paused");
	moat(&r, "exec", "u1", "true");
	if (r.status == 0)
		FAIL("exec into a paused container succeeded");
	moat(&r, "resume", "u1");
	expect_status(&r, 0);
	expect_state("u1", "running");
	moat(&r, "update", "--pids-limit", "20", "--memory", "64m", "u1");
	expect_status(&r, 0);
	moat(&r, "events", "--stats", "u1");
	expect_status(&r, 0);
	j = json_loads(r.out, 0, NULL);
	if (!j ||
	    strcmp(json_string_value(json_object_get(j, "type")), "stats") ||
	    json_integer_value(json_object_get(
		    json_object_get(json_object_get(j, "data"), "pids"),
		    "limit")) != 20 ||
	    json_integer_value(json_object_get(
		    json_object_get(json_object_get(json_object_get(j, "data"),
						    "memory"),
				    "usage"),
		    "limit")) != 64 << 20) {
		show(&r);
		FAIL("events --stats: want pids.limit 20, memory limit 64 MiB");
	}
	json_decref(j);
	moat(&r, "update", "--memory", "lots", "u1");
	expect_fail(&r, "moat: update: --memory lots: not a size\n");
	moat(&r, "delete", "--force", "u1");
	expect_status(&r, 0);
	expect_clean();
}
