/*
 * test_run_cli.c: level 3. The moat CLI ($MOAT_CLI) runs containers end to
 * end on the QEMU backend (TCG here): each test builds a busybox bundle
 * and uses a fresh --root (clirun.h); the shim
 * ($MOAT_SHIM) boots the guest ($MOAT_KERNEL, $MOAT_INITRAMFS) and the
 * agent runs the container. Checked: `run` prints the guest kernel's
 * release, exit statuses, stdin relayed through the VM, the create /
 * state / start / kill / delete lifecycle (the shim, the container's pid
 * for the engine, dies of the container's signal), exec into a created
 * container before its start, exec --cgroup into a sub-cgroup, delete
 * refusing a
 * running container without --force, bad input, a guest dead at boot told
 * with the monitor's end, a seccomp profile enforced in the guest and a bad
 * one refused, `ps` with ps(1)'s options run in the guest, its json and
 * a stopped or created container's; a foreground run lending its own
 * terminal to a process.terminal container (under a pty of the harness's:
 * typing, the size and its change, ^C, the exit status, the terminal's
 * modes restored) and failing clearly without one; run --keep and the
 * console socket's refusals; --pidfd-socket; a foreground run's stdin a
 * terminal; every signal passed on; start returning only once the
 * program exec'd; and after each test no shim, QEMU or virtiofsd of the
 * test is left and the --root is empty.
 */
#include "../harness/clirun.h"
#include "../harness/engine.h"
#include "../harness/ociconf.h"
#include "../harness/test.h"

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* --- the tests ------------------------------------------------------------ */

TEST_TIMEOUT(run_prints_the_guest_kernel_release, 120)
{
	static const char *const args[] = { "sh", "-c", "uname -r", NULL };
	static struct clirun r;
	struct utsname host;
	size_t n;

	clirun_setup(args);
	moat(&r, "run", "--bundle", clirun_bundle, "uname");
	clirun_expect_status(&r, 0);
	n = strlen(r.out);
	ASSERT_OK(uname(&host));
	test_diag("guest %.*s, host %s", (int)(n ? n - 1 : 0), r.out,
		  host.release);
	if (n < 6 || strcmp(r.out + n - 6, "-moat\n")) {
		clirun_show(&r);
		FAIL("the release does not end in -moat");
	}
	ASSERT(strncmp(r.out, host.release, strlen(host.release)) ||
	       r.out[strlen(host.release)] != '\n');
	clirun_expect_clean();
}

TEST_TIMEOUT(run_exit_status_is_the_containers, 120)
{
	static const char *const args[] = { "sh", "-c",
					    "echo out; echo err >&2; exit 42",
					    NULL };
	static struct clirun r;

	clirun_setup(args);
	moat(&r, "run", "--bundle", clirun_bundle, "exit42");
	clirun_expect_status(&r, 42);
	ASSERT_STREQ(r.out, "out\n");
	ASSERT_STREQ(r.err, "err\n");
	clirun_expect_clean();
}

TEST_TIMEOUT(run_relays_stdin, 120)
{
	static const char *const args[] = { "cat", NULL };
	static const char text[] = "hello through the VM\nand a second line\n";
	static struct clirun r;

	clirun_setup(args);
	moat_stdin(&r, text, "run", "--bundle", clirun_bundle, "cat");
	clirun_expect_status(&r, 0);
	ASSERT_STREQ(r.out, text);
	clirun_expect_clean();
}

TEST_TIMEOUT(create_start_kill_delete, 180)
{
	static const char *const args[] = { "sleep", "1000", NULL };
	int shim;

	clirun_setup(args);
	shim = clirun_create("c1");
	/* starting twice: the second is refused */
	clirun_start("c1");
	clirun_kill_delete("c1", shim);
	clirun_expect_clean();
}

/* exec into a created container, as runc: the process runs in the
 * container (its hostname, its root) while the init waits; update and
 * events --stats work there too; start then runs the init; a stopped
 * container takes no exec. */
TEST_TIMEOUT(exec_into_a_created_container, 240)
{
	static const char *const args[] = {
		"sh", "-c", "echo started >/tmp/init; exec sleep 1000", NULL
	};
	static struct clirun r;
	int shim, status, i;

	clirun_setup(args);
	shim = clirun_create("x1");
	moat(&r, "exec", "x1", "sh", "-c",
	     "test -e /tmp/init && echo init-ran; hostname; echo err >&2; "
	     "exit 3");
	clirun_expect_status(&r, 3);
	ASSERT_STREQ(r.out, "moat-test\n");
	ASSERT_STREQ(r.err, "err\n");
	/* update and events take a created container too, as runc's */
	moat(&r, "update", "--pids-limit", "30", "x1");
	clirun_expect_status(&r, 0);
	moat(&r, "events", "--stats", "x1");
	clirun_expect_status(&r, 0);
	ASSERT(strstr(r.out, "\"limit\":30"));
	clirun_expect_state("x1", "created");
	clirun_start("x1");
	for (i = 0; i < 60; i++) {
		moat(&r, "exec", "x1", "cat", "/tmp/init");
		if (r.status == 0)
			break;
		usleep(500000);
	}
	clirun_expect_status(&r, 0);
	ASSERT_STREQ(r.out, "started\n");
	moat(&r, "kill", "x1", "KILL");
	clirun_expect_status(&r, 0);
	while (waitpid(shim, &status, 0) < 0 && errno == EINTR)
		;
	clirun_expect_state("x1", "stopped");
	moat(&r, "exec", "x1", "true");
	clirun_expect_fail_as(&r, 255,
			      "moat: exec: cannot exec in a stopped "
			      "container\n");
	clirun_delete_clean("x1", false);
}

TEST_TIMEOUT(kill_term_reaches_the_init, 180)
{
	static const char *const args[] = {
		"sh", "-c", "trap 'exit 7' TERM; echo ready; sleep 1000 & wait",
		NULL
	};
	static struct clirun r;

	clirun_setup(args);
	moat(&r, "run", "--detach", "--bundle", clirun_bundle, "t1");
	clirun_expect_status(&r, 0);
	clirun_expect_state("t1", "running");
	usleep(500000); /* let sh set its trap */
	moat(&r, "kill", "t1", "TERM");
	clirun_expect_status(&r, 0);
	clirun_wait_state("t1", "stopped", 30);
	clirun_delete_clean("t1", false);
}

TEST_TIMEOUT(delete_of_a_running_container_needs_force, 180)
{
	static const char *const args[] = { "sleep", "1000", NULL };
	static struct clirun r;

	clirun_setup(args);
	moat(&r, "run", "-d", "--bundle", clirun_bundle, "r1");
	clirun_expect_status(&r, 0);
	clirun_expect_state("r1", "running");
	moat(&r, "delete", "r1");
	clirun_expect_fail(&r, "moat: delete: cannot delete container r1 that "
			       "is not stopped: running\n");
	clirun_expect_state("r1", "running");
	/* a second container of the same id is refused */
	moat(&r, "create", "--bundle", clirun_bundle, "r1");
	clirun_expect_fail(&r, "moat: create: container with given ID already "
			       "exists\n");
	clirun_delete_clean("r1", true);
}

TEST_TIMEOUT(create_bad_input_leaves_nothing, 120)
{
	static const char *const args[] = { "true", NULL };
	static struct clirun r;
	json_t *j;

	clirun_setup(args);
	moat(&r, "create", "--bundle", "/nonexistent-bundle", "x");
	clirun_expect_fail(&r,
			   "moat: create: bundle /nonexistent-bundle: No such "
			   "file or directory\n");
	moat(&r, "create", "--bundle", clirun_bundle, "../x");
	clirun_expect_fail(&r,
			   "moat: create: invalid container id: only letters, "
			   "digits and _+.- are allowed\n");
	/* a terminal needs a console socket to send its master to */
	j = ociconf_base(args);
	ociconf_set(j, "process.terminal", json_true());
	clirun_config(j);
	moat(&r, "create", "--bundle", clirun_bundle, "x");
	clirun_expect_fail(&r,
			   "moat: create: process.terminal: true needs "
			   "--console-socket (the terminal's master is sent "
			   "there)\n");
	/* the agent refuses a config it cannot run: the VM goes away */
	j = ociconf_base(args);
	json_array_append_new(json_object_get(j, "mounts"),
			      ociconf_parse("{ \"destination\": \"/x\", "
					    "\"type\": \"nosuchfs\", "
					    "\"source\": \"x\" }"));
	clirun_config(j);
	moat(&r, "create", "--bundle", clirun_bundle, "x");
	if (r.status != 1 ||
	    strncmp(r.err, "moat: create: agent: create: ", 29)) {
		clirun_show(&r);
		FAIL("want exit 1 and the agent's error");
	}
	moat(&r, "start", "x");
	clirun_expect_fail(&r, "moat: start: container x does not exist\n");
	/* a hypervisor nobody knows, from the annotation */
	j = ociconf_base(args);
	json_object_set_new(j, "annotations",
			    ociconf_parse("{ \"moat.hypervisor\": \"xen\" }"));
	clirun_config(j);
	moat(&r, "create", "--bundle", clirun_bundle, "x");
	clirun_expect_fail(
		&r, "moat: create: annotation moat.hypervisor: \"xen\" is "
		    "not auto, moat-vmm or qemu\n");
	clirun_expect_clean();
}

/* A guest that dies at boot (an initramfs of zeros: no agent, so the kernel
 * panics and, with panic=-1 and -no-reboot, QEMU exits): create fails
 * saying how the monitor ended and quoting the console's last words,
 * whether the shim saw the channel close or the monitor exit first. */
TEST_TIMEOUT(a_vm_dead_at_boot_is_told_with_the_monitors_end, 120)
{
	static const char *const args[] = { "true", NULL };
	static struct clirun r;
	char zeros[96], *keep = getenv("MOAT_INITRAMFS");
	int fd;

	ASSERT(keep);
	keep = strdup(keep);
	clirun_setup(args);
	snprintf(zeros, sizeof(zeros), "%s/zeros.cpio", clirun_root);
	fd = open(zeros, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	ASSERT_OK(fd);
	ASSERT_OK(ftruncate(fd, 4096));
	close(fd);
	ASSERT_OK(setenv("MOAT_INITRAMFS", zeros, 1));
	moat(&r, "create", "--bundle", clirun_bundle, "dead");
	ASSERT_OK(setenv("MOAT_INITRAMFS", keep, 1));
	free(keep);
	unlink(zeros);
	if (r.status != 1 || strncmp(r.err, "moat: create: ", 14) ||
	    !strstr(r.err, "(the monitor exited with status 0) before the "
			   "container was created; its console's last "
			   "words: ") ||
	    !strstr(r.err, "Kernel panic")) {
		clirun_show(&r);
		FAIL("want exit 1, the monitor's end and the panic");
	}
	moat(&r, "state", "dead");
	clirun_expect_fail(&r, "moat: state: container dead does not exist\n");
	clirun_expect_clean();
}

TEST_TIMEOUT(kill_9_of_the_shim_takes_the_vm_with_it, 180)
{
	static const char *const args[] = { "sleep", "1000", NULL };
	static struct clirun r;
	pid_t shim;

	clirun_setup(args);
	moat(&r, "run", "--detach", "--bundle", clirun_bundle, "k1");
	clirun_expect_status(&r, 0);
	shim = clirun_state_pid("k1");
	ASSERT(shim > 0);
	ASSERT_OK(kill(shim, SIGKILL));
	clirun_wait_state("k1", "stopped", 10);
	/* QEMU and virtiofsd die with the shim (PR_SET_PDEATHSIG) */
	clirun_delete_clean("k1", false);
}

/* The line of table t whose last field is want (a COMMAND column). */
static const char *ps_line_ending(const char *t, const char *want)
{
	const char *l, *nl;
	size_t n = strlen(want);

	for (l = t; *l; l = nl + 1) {
		nl = strchr(l, '\n');
		if (!nl)
			return NULL;
		if ((size_t)(nl - l) >= n && !memcmp(nl - n, want, n))
			return l;
	}
	return NULL;
}

/* runc's ps: ps(1)'s options, run in the guest, against the container's
 * processes; json the bare array of their pids; a stopped container none
 * (json null, the table's header alone, as runc's). */
TEST_TIMEOUT(ps_takes_ps_options_and_a_stopped_container, 240)
{
	static const char *const args[] = { "sleep", "1000", NULL };
	static struct clirun r;
	const char *l;
	json_t *j;
	long pid;

	clirun_setup(args);
	moat(&r, "run", "--detach", "--bundle", clirun_bundle, "p1");
	clirun_expect_status(&r, 0);
	moat(&r, "ps", "--format", "json", "p1");
	clirun_expect_status(&r, 0);
	j = json_loads(r.out, 0, NULL);
	if (!json_is_array(j) || json_array_size(j) != 1 ||
	    !json_is_integer(json_array_get(j, 0))) {
		clirun_show(&r);
		FAIL("ps --format json: want [<the init's guest pid>]");
	}
	pid = (long)json_integer_value(json_array_get(j, 0));
	json_decref(j);
	/* runc's json ignores the ps options */
	moat(&r, "ps", "--format", "json", "p1", "-e", "-x");
	clirun_expect_status(&r, 0);
	ASSERT(r.out[0] == '[');

	moat(&r, "ps", "p1"); /* runc's default: ps -ef */
	clirun_expect_status(&r, 0);
	l = ps_line_ending(r.out, " sleep 1000");
	if (strncmp(r.out,
		    "UID        PID  PPID  C STIME TTY          TIME "
		    "CMD\n",
		    52) ||
	    !l || strncmp(l, "root ", 5) || strtol(l + 5, NULL, 10) != pid) {
		clirun_show(&r);
		FAIL("ps: want -ef's header and root's sleep 1000 at pid %ld",
		     pid);
	}
	moat(&r, "ps", "p1", "-e", "-x");
	clirun_expect_status(&r, 0);
	l = ps_line_ending(r.out, " sleep 1000");
	if (strncmp(r.out, "  PID TTY      STAT   TIME COMMAND\n", 35) || !l ||
	    strtol(l, NULL, 10) != pid || !strstr(l, " ?        S")) {
		clirun_show(&r);
		FAIL("ps -e -x: want BSD's header and sleep 1000, no terminal");
	}
	moat(&r, "ps", "p1", "-o", "pid,comm");
	clirun_expect_status(&r, 0);
	l = ps_line_ending(r.out, " sleep");
	if (strncmp(r.out, "  PID COMMAND\n", 14) || !l ||
	    strtol(l, NULL, 10) != pid || strchr(r.out + 14, '\n')[1]) {
		clirun_show(&r);
		FAIL("ps -o pid,comm: want PID COMMAND and one row");
	}
	moat(&r, "ps", "p1", "-N");
	clirun_expect_fail(&r, "moat: ps: unsupported option -N\n");

	moat(&r, "kill", "p1", "KILL");
	clirun_expect_status(&r, 0);
	clirun_wait_state("p1", "stopped", 10);
	moat(&r, "ps", "--format", "json", "p1");
	clirun_expect_status(&r, 0);
	ASSERT_STREQ(r.out, "null\n");
	moat(&r, "ps", "p1");
	clirun_expect_status(&r, 0);
	ASSERT_STREQ(r.out, "UID        PID  PPID  C STIME TTY          TIME "
			    "CMD\n");
	moat(&r, "ps", "p1", "-o", "pid,comm");
	clirun_expect_status(&r, 0);
	ASSERT_STREQ(r.out, "  PID COMMAND\n");
	moat(&r, "ps", "p1", "-o", "bogus");
	clirun_expect_fail(&r, "moat: ps: unknown user-defined format "
			       "specifier bogus\n");
	/* created, not started: its init is listed (runc's: runc init) */
	ASSERT(clirun_create("p2") > 0);
	moat(&r, "ps", "--format", "json", "p2");
	clirun_expect_status(&r, 0);
	if (r.out[0] != '[' || r.out[1] < '1' || r.out[1] > '9') {
		clirun_show(&r);
		FAIL("ps of a created container: want its init's pid");
	}
	moat(&r, "delete", "--force", "p2");
	clirun_expect_status(&r, 0);
	clirun_delete_clean("p1", false);
}

/* Write a config whose every hook appends "<kind> <status> <id>" to log;
 * a kind whose bit (1 << its index) is in fail_first gets a failing hook
 * before that one, in fail_after one after it. */
static void write_hooks_config(const char *const *args, const char *log,
			       unsigned fail_first, unsigned fail_after)
{
	static const char *const kinds[] = {
		"prestart",	  "createRuntime", "createContainer",
		"startContainer", "poststart",	   "poststop",
	};
	char script[512];
	json_t *j = ociconf_base(args), *hooks = json_object(), *h, *bad;
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		/* the state JSON is on stdin: take its status and id */
		snprintf(script, sizeof(script),
			 "s=$(cat); st=${s#*\\\"status\\\":\\\"}; "
			 "id=${s#*\\\"id\\\":\\\"}; echo %s ${st%%%%\\\"*} "
			 "${id%%%%\\\"*} >> %s",
			 kinds[i], log);
		h = json_array();
		bad = json_pack("{s:s, s:[s,s,s]}", "path", "/bin/sh", "args",
				"sh", "-c", "echo no-good; exit 3");
		if (fail_first & 1u << i)
			json_array_append(h, bad);
		json_array_append_new(h, json_pack("{s:s, s:[s,s,s]}", "path",
						   "/bin/sh", "args", "sh",
						   "-c", script));
		if (fail_after & 1u << i)
			json_array_append(h, bad);
		json_decref(bad);
		json_object_set_new(hooks, kinds[i], h);
	}
	json_object_set_new(j, "hooks", hooks);
	clirun_config(j);
}

/* The hooks that ran, from log (taken): each of ran ("<kind> <status>")
 * with id, in order. */
static void expect_hooks_ran(const char *log, const char *id,
			     const char *const *ran)
{
	char want[1024] = "", buf[1024];
	size_t i, n = 0;

	for (i = 0; ran[i]; i++)
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%s %s\n",
				      ran[i], id);
	clirun_take_file(log, buf, sizeof(buf));
	if (strcmp(buf, want))
		FAIL("hooks of %s ran as:\n%s", id, buf);
}

TEST_TIMEOUT(hooks_run_at_their_moments_with_the_state, 240)
{
	static const char *const args[] = { "true", NULL };
	static const char *const all[] = {
		"prestart creating",
		"createRuntime creating",
		"createContainer creating",
		"startContainer created",
		"poststart running",
		"poststop stopped",
		NULL,
	};
	static const char *const no_runtime[] = { "prestart creating",
						  "createRuntime creating",
						  "poststop stopped", NULL };
	static const char *const no_start[] = {
		"prestart creating",	    "createRuntime creating",
		"createContainer creating", "startContainer created",
		"poststop stopped",	    NULL,
	};
	static struct clirun r;
	char log[128];
	int shim, status;

	clirun_setup(args);
	snprintf(log, sizeof(log), "%s.hooks", clirun_root);
	/* a failing poststart or poststop hook is a warning, and the ones
	 * after it run (runtime-spec) */
	write_hooks_config(args, log, 1u << 4 | 1u << 5, 0);
	moat(&r, "run", "--bundle", clirun_bundle, "h1");
	clirun_expect_status(&r, 0);
	expect_hooks_ran(log, "h1", all);
	if (strcmp(r.err, "moat: run: warning: hooks.poststart[0] /bin/sh: "
			  "exit status 3: no-good\n"
			  "moat: run: warning: hooks.poststop[0] /bin/sh: "
			  "exit status 3: no-good\n")) {
		clirun_show(&r);
		FAIL("want a warning for each failing hook");
	}
	/* a failing createRuntime hook fails create and leaves nothing;
	 * the lifecycle goes on with poststop */
	write_hooks_config(args, log, 0, 1u << 1);
	moat(&r, "create", "--bundle", clirun_bundle, "h2");
	clirun_expect_fail(&r,
			   "moat: create: hooks.createRuntime[1] /bin/sh: exit "
			   "status 3: no-good\n");
	moat(&r, "state", "h2");
	clirun_expect_fail(&r, "moat: state: container h2 does not exist\n");
	expect_hooks_ran(log, "h2", no_runtime);
	/* a failing startContainer hook fails start and stops the
	 * container (runtime-spec; runc's init exits); delete runs
	 * poststop */
	write_hooks_config(args, log, 0, 1u << 3);
	shim = clirun_create("h3");
	moat(&r, "start", "h3");
	clirun_expect_fail(&r, "moat: start: hooks.startContainer[1] /bin/sh: "
			       "exit status 3: no-good\n");
	while (waitpid(shim, &status, 0) < 0 && errno == EINTR)
		;
	clirun_expect_state("h3", "stopped");
	moat(&r, "delete", "h3");
	clirun_expect_status(&r, 0);
	expect_hooks_ran(log, "h3", no_start);
	/* the same under run: nothing is left, poststop ran */
	moat(&r, "run", "--bundle", clirun_bundle, "h4");
	clirun_expect_fail(&r, "moat: run: hooks.startContainer[1] /bin/sh: "
			       "exit status 3: no-good\n");
	moat(&r, "state", "h4");
	clirun_expect_fail(&r, "moat: state: container h4 does not exist\n");
	expect_hooks_ran(log, "h4", no_start);
	clirun_expect_clean();
}

/* The hex value after "<key>:\t" in /proc/self/status text; -1: none. */
static long long status_field(const char *text, const char *key)
{
	char k[32];
	const char *p;

	snprintf(k, sizeof(k), "%s:\t", key);
	p = strstr(text, k);
	return p ? strtoll(p + strlen(k), NULL, 16) : -1;
}

/*
 * exec's capabilities and no_new_privs reach the guest process: the
 * container's (no CAP_SYS_ADMIN, noNewPrivileges true) by default, --cap
 * adds to them, a --process file's replace them (noNewPrivileges false
 * included); a name that is no capability is refused.
 */
static void exec_caps_and_nnp(void)
{
	static struct clirun r;
	char proc[PATH_MAX];
	FILE *f;

	moat(&r, "exec", "u1", "cat", "/proc/self/status");
	clirun_expect_status(&r, 0);
	if (status_field(r.out, "CapEff") & 1LL << 21 ||
	    !(status_field(r.out, "CapEff") & 1LL << 5) ||
	    status_field(r.out, "NoNewPrivs") != 1) {
		clirun_show(&r);
		FAIL("exec: want the container's capabilities and "
		     "no_new_privs");
	}
	moat(&r, "exec", "--cap", "CAP_SYS_ADMIN", "u1", "cat",
	     "/proc/self/status");
	clirun_expect_status(&r, 0);
	if (!(status_field(r.out, "CapEff") & 1LL << 21) ||
	    !(status_field(r.out, "CapBnd") & 1LL << 21) ||
	    !(status_field(r.out, "CapEff") & 1LL << 5) ||
	    status_field(r.out, "CapInh") & 1LL << 21) {
		clirun_show(&r);
		FAIL("exec --cap CAP_SYS_ADMIN: not in the bounding and "
		     "effective sets (or in the inheritable)");
	}
	snprintf(proc, sizeof(proc), "%s/process.json", clirun_bundle);
	f = fopen(proc, "w");
	ASSERT(f);
	fputs("{\"args\":[\"cat\",\"/proc/self/status\"],\"cwd\":\"/\","
	      "\"user\":{\"uid\":0,\"gid\":0},\"env\":[\"PATH=/bin\"],"
	      "\"noNewPrivileges\":false,\"capabilities\":{\"bounding\":"
	      "[\"CAP_KILL\"],\"effective\":[\"CAP_KILL\"],\"permitted\":"
	      "[\"CAP_KILL\"]}}",
	      f);
	ASSERT_EQ(fclose(f), 0);
	moat(&r, "exec", "--process", proc, "u1");
	clirun_expect_status(&r, 0);
	if (status_field(r.out, "CapEff") != 1LL << 5 ||
	    status_field(r.out, "CapBnd") != 1LL << 5 ||
	    status_field(r.out, "NoNewPrivs") != 0) {
		clirun_show(&r);
		FAIL("exec --process: want exactly CAP_KILL, no_new_privs 0");
	}
	moat(&r, "exec", "--cap", "CAP_BOGUS", "u1", "true");
	if (r.status == 0 || !strstr(r.err, "moat: exec: --cap CAP_BOGUS")) {
		clirun_show(&r);
		FAIL("exec --cap CAP_BOGUS: want a clear error");
	}
}

TEST_TIMEOUT(exec_ps_pause_update_events_on_a_live_container, 240)
{
	static const char *const args[] = { "sleep", "1000", NULL };
	static struct clirun r;
	json_t *j;

	clirun_setup(args);
	moat(&r, "run", "--detach", "--bundle", clirun_bundle, "u1");
	clirun_expect_status(&r, 0);
	moat(&r, "exec", "u1", "sh", "-c", "echo in-guest; exit 5");
	clirun_expect_status(&r, 5);
	ASSERT(strstr(r.out, "in-guest"));
	exec_caps_and_nnp();
	moat(&r, "ps", "--format", "json", "u1");
	clirun_expect_status(&r, 0);
	j = json_loads(r.out, 0, NULL);
	if (!json_is_array(j) || json_array_size(j) < 1) {
		clirun_show(&r);
		FAIL("ps: want a JSON array of guest pids");
	}
	json_decref(j);
	clirun_pause_resume("u1");
	moat(&r, "update", "--pids-limit", "20", "--memory", "64m", "u1");
	clirun_expect_status(&r, 0);
	moat(&r, "events", "--stats", "u1");
	clirun_expect_status(&r, 0);
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
		clirun_show(&r);
		FAIL("events --stats: want pids.limit 20, memory limit 64 MiB");
	}
	json_decref(j);
	moat(&r, "update", "--memory", "lots", "u1");
	clirun_expect_fail(&r, "moat: update: --memory lots: not a size\n");
	clirun_delete_clean("u1", true);
}

/* r's output ends with the line want. */
static void expect_last_line(const struct clirun *r, const char *want)
{
	size_t n = strlen(r->out), w = strlen(want);

	if (r->status || n < w || strcmp(r->out + n - w, want) ||
	    (n > w && r->out[n - w - 1] != '/')) {
		clirun_show(r);
		FAIL("want output ending in /%s", want);
	}
}

/*
 * exec --cgroup PATH joins that group beneath the container's (runc's
 * sub-cgroup), which the container made in its cgroup2 mount; one that
 * does not exist, one out of the container's and a v1 controller's form
 * are refused; once the container's group takes no process, exec joins
 * the init's.
 */
TEST_TIMEOUT(exec_cgroup_joins_a_sub_cgroup, 240)
{
	static const char *const args[] = { "sleep", "1000", NULL };
	static struct clirun r;
	json_t *j;

	clirun_setup(args);
	j = ociconf_base(args);
	json_array_append_new(json_object_get(j, "mounts"),
			      json_pack("{s:s, s:s, s:s}", "destination",
					"/sys/fs/cgroup", "type", "cgroup2",
					"source", "cgroup2"));
	clirun_config(j);
	moat(&r, "run", "--detach", "--bundle", clirun_bundle, "g1");
	clirun_expect_status(&r, 0);
	moat(&r, "exec", "g1", "sh", "-c",
	     "cg=$(sed -n 's/^0:://p' /proc/self/cgroup); "
	     "mkdir -p /sys/fs/cgroup$cg/sub/leaf");
	clirun_expect_status(&r, 0);
	moat(&r, "exec", "--cgroup", "sub/leaf", "g1", "cat",
	     "/proc/self/cgroup");
	expect_last_line(&r, "sub/leaf\n");
	moat(&r, "exec", "--cgroup", "/sub/../sub/", "g1", "cat",
	     "/proc/self/cgroup");
	expect_last_line(&r, "sub\n");
	moat(&r, "exec", "--cgroup", "nosuch", "g1", "true");
	if (r.status == 0 ||
	    !strstr(r.err, "cgroup nosuch: No such file or directory")) {
		clirun_show(&r);
		FAIL("exec --cgroup nosuch: want a clear error");
	}
	moat(&r, "exec", "--cgroup", "../up", "g1", "true");
	clirun_expect_fail(&r, "moat: exec: ../up is not a sub cgroup path\n");
	moat(&r, "exec", "--cgroup", "pids:sub", "g1", "true");
	if (r.status == 0 || !strstr(r.err, "invalid --cgroup argument")) {
		clirun_show(&r);
		FAIL("exec --cgroup pids:sub: want runc's refusal");
	}
	/* the init moves to sub and the container enables a controller
	 * beneath its group, which then takes no process (as systemd in a
	 * container does): exec joins the init's group, as runc's */
	moat(&r, "exec", "g1", "sh", "-c",
	     "d=/sys/fs/cgroup$(sed -n 's/^0:://p' /proc/self/cgroup); "
	     "echo 1 >$d/sub/cgroup.procs && echo $$ >$d/sub/cgroup.procs && "
	     "echo +pids >$d/cgroup.subtree_control");
	clirun_expect_status(&r, 0);
	moat(&r, "exec", "g1", "cat", "/proc/self/cgroup");
	expect_last_line(&r, "sub\n");
	clirun_delete_clean("g1", true);
}

/* The bundle's config: sh -c SECCOMP_SCRIPT under the seccomp profile prof
 * (stolen). */
#define SECCOMP_SCRIPT                                           \
	"grep Seccomp: /proc/self/status; "                      \
	"mkdir /made 2>&1 | grep -o 'Operation not permitted'; " \
	"echo still here"
static const char *const seccomp_args[] = { "sh", "-c", SECCOMP_SCRIPT, NULL };

static void write_seccomp_config(json_t *prof)
{
	json_t *j = ociconf_base(seccomp_args);

	ociconf_set(j, "linux.seccomp", prof);
	clirun_config(j);
}

TEST_TIMEOUT(seccomp_profile_is_enforced_in_the_guest, 180)
{
	static struct clirun r;

	clirun_setup(seccomp_args);
	/* mkdir refused with EPERM (busybox says so: not ENOENT or EROFS),
	 * the rest allowed; a rule with an argument compare compiles too */
	write_seccomp_config(
		json_pack("{s:s, s:[s], s:[{s:[s,s], s:s, s:i}, "
			  "{s:[s], s:s, s:i, s:[{s:i, s:I, s:s}]}]}",
			  "defaultAction", "SCMP_ACT_ALLOW", "architectures",
			  "SCMP_ARCH_X86_64", "syscalls", "names", "mkdir",
			  "mkdirat", "action", "SCMP_ACT_ERRNO", "errnoRet", 1,
			  "names", "personality", "action", "SCMP_ACT_ERRNO",
			  "errnoRet", 38, "args", "index", 0, "value",
			  (json_int_t)0xffffffff, "op", "SCMP_CMP_EQ"));
	moat(&r, "run", "--bundle", clirun_bundle, "sc1");
	clirun_expect_status(&r, 0);
	ASSERT_STREQ(r.out,
		     "Seccomp:\t2\nOperation not permitted\nstill here\n");
	/* a profile the parser refuses fails create, naming the field, and
	 * leaves nothing */
	write_seccomp_config(
		json_pack("{s:s}", "defaultAction", "SCMP_ACT_SOMETIMES"));
	moat(&r, "create", "--bundle", clirun_bundle, "sc2");
	if (r.status != 1 ||
	    !strstr(r.err, "linux.seccomp.defaultAction: must be a seccomp "
			   "action")) {
		clirun_show(&r);
		FAIL("a bad profile was not refused as such");
	}
	moat(&r, "state", "sc2");
	clirun_expect_fail(&r, "moat: state: container sc2 does not exist\n");
	clirun_expect_clean();
}

/* --- a foreground run's terminal, and run's options ----------------------
 */

/* The container's script: its terminal's size, a line typed, the size
 * after a resize (waited for: the resize and the typing travel apart),
 * then ^C reaches its trap. */
static const char run_tty_script[] =
	"echo size $(stty size); read a; echo typed-$a; i=0; "
	"until [ \"$(stty size)\" = '40 120' ] || [ $i = 30 ]; "
	"do sleep 1; i=$((i + 1)); done; echo size2 $(stty size); "
	"trap 'echo got-int; exit 5' INT; echo waiting; "
	"while :; do sleep 1; done";

static const struct engine_step run_tty_steps[] = {
	{ "size 30 100", 0, 0, "hello\r" },
	{ "typed-hello", 40, 120, NULL },
	{ "size2 40 120", 0, 0, NULL },
	{ "waiting", 0, 0, "\003" },
};

/* The bundle's config runs args with a terminal. */
static void terminal_config(const char *const *args)
{
	json_t *j = ociconf_base(args);

	ociconf_set(j, "process.terminal", json_true());
	clirun_config(j);
}

/* How often needle is in hay. */
static int count_of(const char *hay, const char *needle)
{
	int n = 0;

	for (; (hay = strstr(hay, needle)); hay++)
		n++;
	return n;
}

/* process.terminal and no --console-socket: moat run lends the container
 * its own terminal, as runc does: raw (the typed line is echoed once, by
 * the guest's terminal), sized as ours and resized with it, ^C is the
 * container's, the exit status is the container's, our terminal's modes
 * are restored, and nothing is left. */
TEST_TIMEOUT(run_lends_its_terminal_to_a_terminal_container, 240)
{
	static const char *const args[] = { "sh", "-c", run_tty_script, NULL };
	static struct engine_run r;

	clirun_setup(args);
	terminal_config(args);
	engine_pty(&r, 30, 100, run_tty_steps,
		   sizeof(run_tty_steps) / sizeof(run_tty_steps[0]),
		   "stty -g > %s/before; '%s' --root %s run --bundle %s tty1; "
		   "echo exit=$?; stty -g > %s/after; "
		   "cmp -s %s/before %s/after && echo restored",
		   clirun_root, clirun_cli(), clirun_root, clirun_bundle,
		   clirun_root, clirun_root, clirun_root);
	if (r.err[0] || r.status != 0) {
		engine_show(&r);
		FAIL("want every step and exit 0, got %d", r.status);
	}
	ENGINE_EXPECT_OUT(&r, "size 30 100\r\n");
	ENGINE_EXPECT_OUT(&r, "typed-hello\r\n");
	ENGINE_EXPECT_OUT(&r, "size2 40 120\r\n");
	ENGINE_EXPECT_OUT(&r, "got-int\r\n");
	ENGINE_EXPECT_OUT(&r, "exit=5\r\n");
	ENGINE_EXPECT_OUT(&r, "restored\r\n");
	/* the guest's echo and typed-hello: ours would make three */
	if (count_of(r.out, "hello") != 2) {
		engine_show(&r);
		FAIL("the typed line was echoed other than once");
	}
	unlink(strcat(strcpy(r.err, clirun_root), "/before"));
	unlink(strcat(strcpy(r.err, clirun_root), "/after"));
	clirun_expect_clean();
}

/* Without process.terminal, a foreground run's stdin may be a terminal
 * too (a user's shell): the shim reads it (and writes the container's
 * output to it) without being stopped as a background job, the line
 * typed reaches the container, its status is run's. */
TEST_TIMEOUT(run_in_the_foreground_reads_its_terminal_as_stdin, 150)
{
	static const char *const args[] = {
		"sh", "-c", "echo ready; read a; echo typed-$a; exit 4", NULL
	};
	static const struct engine_step steps[] = {
		{ "ready", 0, 0, "hello\r" },
	};
	static struct engine_run r;

	clirun_setup(args);
	engine_pty(&r, 30, 100, steps, 1,
		   "'%s' --root %s run --bundle %s nt1; echo exit=$?",
		   clirun_cli(), clirun_root, clirun_bundle);
	if (r.err[0] || r.status != 0) {
		engine_show(&r);
		FAIL("want the step and exit 0, got %d", r.status);
	}
	ENGINE_EXPECT_OUT(&r, "typed-hello\r\n");
	ENGINE_EXPECT_OUT(&r, "exit=4\r\n");
	clirun_expect_clean();
}

/* Read from fd into buf (at *len) until it holds want; false at EOF or
 * after secs. */
static bool read_until(int fd, char *buf, size_t cap, size_t *len,
		       const char *want, int secs)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	time_t end = time(NULL) + secs;
	ssize_t n;

	while (!strstr(buf, want) && time(NULL) < end && *len + 1 < cap) {
		if (poll(&p, 1, 1000) <= 0)
			continue;
		n = read(fd, buf + *len, cap - 1 - *len);
		if (n <= 0)
			return false;
		*len += (size_t)n;
		buf[*len] = '\0';
	}
	return strstr(buf, want) != NULL;
}

/* A foreground run passes on every signal it can, as runc's does (not
 * only TERM, INT and their like): SIGALRM sent to moat reaches the
 * container's trap (it used to kill moat and leave the container), and
 * so does SIGPROF sent to the shim (the container's pid for an engine). */
TEST_TIMEOUT(run_passes_on_the_signals_it_gets, 150)
{
	static const char *const args[] = {
		"sh", "-c",
		"trap 'echo got-prof' PROF; trap 'echo got-alrm; exit 6' ALRM; "
		"echo ready; while :; do sleep 1; done",
		NULL
	};
	static char out[4096];
	size_t len = 0;
	int p[2], status, shim;
	pid_t pid;

	clirun_setup(args);
	ASSERT_OK(pipe2(p, O_CLOEXEC));
	pid = fork();
	ASSERT_OK(pid);
	if (pid == 0) {
		dup2(p[1], 1);
		execl(clirun_cli(), "moat", "--root", clirun_root, "run",
		      "--bundle", clirun_bundle, "sg1", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	if (!read_until(p[0], out, sizeof(out), &len, "ready\n", 60))
		FAIL("no ready: %s", out);
	shim = clirun_state_pid("sg1");
	ASSERT(shim > 0);
	ASSERT_OK(kill(shim, SIGPROF));
	if (!read_until(p[0], out, sizeof(out), &len, "got-prof\n", 30))
		FAIL("SIGPROF to the shim did not reach the trap: %s", out);
	ASSERT_OK(kill(pid, SIGALRM));
	if (!read_until(p[0], out, sizeof(out), &len, "got-alrm\n", 30))
		FAIL("SIGALRM to moat did not reach the trap: %s", out);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	close(p[0]);
	ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 6);
	clirun_expect_clean();
}

/* The same without a terminal to lend (no controlling one, stdio not
 * one): a clear error before any VM, nothing left. */
TEST_TIMEOUT(run_without_a_terminal_to_lend_fails_clearly, 120)
{
	static const char *const args[] = { "true", NULL };
	static struct engine_run r;

	clirun_setup(args);
	terminal_config(args);
	engine_sh(&r, "setsid -w '%s' --root %s run --bundle %s tty2",
		  clirun_cli(), clirun_root, clirun_bundle);
	ENGINE_EXPECT(&r, 1);
	ASSERT_STREQ(r.err,
		     "moat: run: process.terminal: moat run has no terminal "
		     "to lend (stdin, stdout and stderr are not one; "
		     "/dev/tty): No such device or address\n");
	clirun_expect_clean();
}

/* run --keep keeps the stopped container for delete; --no-subreaper is
 * accepted; create knows neither; a console socket is refused where runc
 * refuses it (no terminal, or a run that stays in the foreground). */
TEST_TIMEOUT(run_keep_and_the_terminal_options, 180)
{
	static const char *const args[] = { "sh", "-c", "exit 3", NULL };
	static struct clirun r;

	clirun_setup(args);
	moat(&r, "run", "--keep", "--no-subreaper", "--bundle", clirun_bundle,
	     "k1");
	clirun_expect_status(&r, 3);
	clirun_expect_state("k1", "stopped");
	moat(&r, "delete", "k1");
	clirun_expect_status(&r, 0);
	moat(&r, "create", "--keep", "--bundle", clirun_bundle, "k2");
	clirun_expect_fail(&r, "moat: create: unknown option --keep\n");
	moat(&r, "create", "--no-subreaper", "--bundle", clirun_bundle, "k2");
	clirun_expect_fail(&r, "moat: create: unknown option --no-subreaper\n");
	moat(&r, "create", "--console-socket", "/nonexistent.sock", "--bundle",
	     clirun_bundle, "k2");
	clirun_expect_fail(&r, "moat: create: cannot use console socket if "
			       "moat will not detach or allocate tty\n");
	terminal_config(args);
	moat(&r, "run", "--console-socket", "/nonexistent.sock", "--bundle",
	     clirun_bundle, "k2");
	clirun_expect_fail(&r, "moat: run: cannot use console socket if "
			       "moat will not detach or allocate tty\n");
	moat(&r, "run", "-d", "--bundle", clirun_bundle, "k2");
	clirun_expect_fail(&r,
			   "moat: run: process.terminal: true needs "
			   "--console-socket (the terminal's master is sent "
			   "there)\n");
	clirun_expect_clean();
}

/* start returns once the container's program has exec'd, as runc's does
 * (its exec fifo reads EOF at the execve): what start is told comes from
 * the program, not from the runtime's code before it, so an execve that
 * fails is start's failure, and a signal sent after start reaches the
 * program (a shell's trap, set after its exec, still races with one sent
 * right after start, under runc as here). */
TEST_TIMEOUT(start_returns_once_the_program_has_execd, 180)
{
	static const char *const args[] = { "/notexec", NULL };
	static struct clirun r;
	char path[400];
	int fd;

	clirun_setup(args);
	snprintf(path, sizeof(path), "%s/rootfs/notexec", clirun_bundle);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	ASSERT(fd >= 0);
	ASSERT_EQ(write(fd, "not a program\n", 14), 14);
	close(fd);
	clirun_create("s1");
	moat(&r, "start", "s1");
	clirun_expect_fail(&r, "moat: start: container s1: agent: start: exec "
			       "/notexec: Exec format error\n");
	clirun_wait_state("s1", "stopped", 10);
	clirun_delete_clean("s1", false);
}

/* --pidfd-socket gets a pidfd of the shim, the container's process for an
 * engine, as runc sends one of its init: SIGKILL through it ends the
 * container, and nothing is left. */
TEST_TIMEOUT(create_sends_a_pidfd_of_the_shim, 180)
{
	static const char *const args[] = { "sleep", "1000", NULL };
	static struct clirun r;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	char name[16], path[64], info[512], *pid;
	struct iovec iov = { name, sizeof(name) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int sk, c, fd = -1, shim;
	ssize_t n;

	clirun_setup(args);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s/pidfd.sock", clirun_root);
	sk = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ASSERT(sk >= 0);
	ASSERT_OK(bind(sk, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_OK(listen(sk, 1));
	moat(&r, "create", "--pidfd-socket", a.sun_path, "--bundle",
	     clirun_bundle, "p1");
	clirun_expect_status(&r, 0);
	unlink(a.sun_path);
	c = accept4(sk, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	ASSERT(c >= 0);
	mh.msg_control = u.b;
	mh.msg_controllen = sizeof(u.b);
	n = recvmsg(c, &mh, MSG_CMSG_CLOEXEC);
	ASSERT(n > 0 && CMSG_FIRSTHDR(&mh));
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(int));
	close(c);
	close(sk);
	shim = clirun_state_pid("p1");
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	c = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT(c >= 0);
	n = read(c, info, sizeof(info) - 1);
	close(c);
	info[n > 0 ? n : 0] = '\0';
	pid = strstr(info, "Pid:");
	if (!pid || atoi(pid + 4) != shim)
		FAIL("not a pidfd of the shim (%d): %s", shim, info);
	ASSERT_OK(syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0));
	close(fd);
	clirun_wait_state("p1", "stopped", 10);
	clirun_delete_clean("p1", false);
}

/* --- namespaces the guest gives (user, cgroup) and the root's propagation */

#define USERNS_SCRIPT                                         \
	"id -u; cat /proc/self/uid_map; touch /data/made && " \
	"stat -c '%u:%g' /data/made; ls /sys/fs/cgroup | wc -l"

/* A user namespace mapping the container's 0..65535 to the guest's
 * 100000..165535: root inside, its map shown, and a file it makes on the
 * share is 100000's (the rootfs's directory was prepared for it, as a
 * user does for a user-namespaced container: runc chowns nothing); a
 * network sysctl, which its root may not write in the guest's network
 * namespace, is written by the agent. A user
 * namespace without maps gets runc's error and leaves nothing. */
TEST_TIMEOUT(user_namespace_maps_the_containers_root, 180)
{
	static const char *const args[] = { "sh", "-c", USERNS_SCRIPT, NULL };
	static struct clirun r;
	char path[512], want[128];
	struct stat st;
	json_t *j;

	clirun_setup(args);
	snprintf(path, sizeof(path), "%s/rootfs/data", clirun_bundle);
	ASSERT_OK(chown(path, 100000, 100000));
	j = ociconf_base(args);
	ociconf_set(j, "linux.namespaces",
		    ociconf_parse(
			    "[{\"type\": \"pid\"}, {\"type\": \"mount\"}, "
			    "{\"type\": \"ipc\"}, {\"type\": \"uts\"}, "
			    "{\"type\": \"network\"}, {\"type\": \"user\"}]"));
	ociconf_set(j, "linux.uidMappings",
		    ociconf_parse("[{\"containerID\": 0, \"hostID\": 100000, "
				  "\"size\": 65536}]"));
	ociconf_set(j, "linux.gidMappings",
		    ociconf_parse("[{\"containerID\": 0, \"hostID\": 100000, "
				  "\"size\": 65536}]"));
	/* podman's default sysctl: the guest's network namespace's, which
	 * the agent writes for the user namespace's root */
	ociconf_set(j, "linux.sysctl",
		    ociconf_parse("{\"net.ipv4.ping_group_range\": \"0 0\"}"));
	clirun_config(json_deep_copy(j));
	moat(&r, "run", "--bundle", clirun_bundle, "un1");
	clirun_expect_status(&r, 0);
	/* ... and its /sys, the guest's bound, shows no cgroup hierarchy */
	snprintf(want, sizeof(want), "0\n%10u%11u%11u\n0:0\n0\n", 0, 100000,
		 65536);
	ASSERT_STREQ(r.out, want);
	snprintf(path, sizeof(path), "%s/rootfs/data/made", clirun_bundle);
	ASSERT_OK(stat(path, &st));
	ASSERT_EQ(st.st_uid, 100000);
	ASSERT_EQ(st.st_gid, 100000);
	/* no maps: runc's words, and nothing is left */
	ociconf_set(j, "linux.uidMappings", NULL);
	ociconf_set(j, "linux.gidMappings", NULL);
	clirun_config(j);
	moat(&r, "create", "--bundle", clirun_bundle, "un2");
	if (r.status != 1 ||
	    !strstr(r.err, "user namespaces enabled, but no namespace path "
			   "to join nor mappings to apply specified")) {
		clirun_show(&r);
		FAIL("a user namespace without maps was not refused as runc");
	}
	moat(&r, "state", "un2");
	clirun_expect_fail(&r, "moat: state: container un2 does not exist\n");
	clirun_expect_clean();
}

/* The container's own cgroup namespace, though the config (as podman's
 * on a cgroup v1 host) asks for none: its group is its /sys/fs/cgroup,
 * with its limit, and its /proc/self/cgroup is the namespace's root. */
TEST_TIMEOUT(cgroup_namespace_shows_the_containers_own_group, 180)
{
	static const char *const args[] = {
		"sh", "-c", "cat /sys/fs/cgroup/pids.max /proc/self/cgroup",
		NULL
	};
	static struct clirun r;
	json_t *j, *mounts;

	clirun_setup(args);
	j = ociconf_base(args);
	mounts = json_object_get(j, "mounts");
	json_array_append_new(
		mounts, ociconf_parse("{\"destination\": \"/sys/fs/cgroup\", "
				      "\"type\": \"cgroup\", \"source\": "
				      "\"cgroup\", \"options\": [\"nosuid\", "
				      "\"noexec\", \"nodev\", \"relatime\", "
				      "\"ro\"]}"));
	ociconf_set(j, "linux.resources.pids.limit", json_integer(20));
	clirun_config(j);
	moat(&r, "run", "--bundle", clirun_bundle, "cg1");
	clirun_expect_status(&r, 0);
	ASSERT_STREQ(r.out, "20\n0::/\n");
	clirun_expect_clean();
}

/* linux.rootfsPropagation is the container's root's (runc sets it on /
 * after pivot_root). */
TEST_TIMEOUT(rootfs_propagation_unbindable_is_the_roots, 180)
{
	static const char *const args[] = { "grep", "-E",
					    "^[0-9]+ [0-9]+ [0-9:]+ [^ ]+ / ",
					    "/proc/self/mountinfo", NULL };
	static struct clirun r;
	json_t *j;

	clirun_setup(args);
	j = ociconf_base(args);
	ociconf_set(j, "linux.rootfsPropagation", json_string("unbindable"));
	clirun_config(j);
	moat(&r, "run", "--bundle", clirun_bundle, "pr1");
	clirun_expect_status(&r, 0);
	if (!strstr(r.out, " unbindable ")) {
		clirun_show(&r);
		FAIL("/ is not unbindable");
	}
	clirun_expect_clean();
}
