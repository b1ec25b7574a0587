/*
 * test_podman.c: level 3. podman from Debian drives moat as its OCI
 * runtime (`podman --runtime <wrapper>`), with QEMU under TCG as the
 * backend: the engine's real calls (create with conmon's console socket,
 * start, state, kill, delete, exec -d with a pid file, pause, resume) and
 * what a user sees. The same image also runs under crun in the same test,
 * beside a running moat container.
 *
 * The image is a busybox root filesystem built from Debian's
 * busybox-static and imported (`podman import`) as IMAGE. The wrapper
 * passes moat's paths in the environment (podman does not pass its own to
 * the runtime) and a private --root. Root lacks CAP_SYS_RESOURCE here, so
 * every podman run sets the nofile and nproc ulimits to 1024. crun refuses
 * a hybrid cgroup host whose v2 hierarchy still has a controller (hugetlb
 * here): the test mounts that controller's v1 hierarchy, as systemd does on
 * hybrid hosts. After each test no shim, QEMU or virtiofsd of the test is
 * left and moat's --root is empty.
 */
#include "../harness/engine.h"
#include "../harness/test.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define IMAGE "localhost/moat-test/busybox:latest"
#define ULIMITS "--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"

static struct engine g;
static char host_release[128];

/* podman with moat as the runtime: "P run ..." */
#define P "podman --runtime %s"

/* --- fixture ------------------------------------------------------------- */

static void setup(void)
{
	struct utsname u;

	if (access("/usr/bin/podman", X_OK))
		FAIL("podman is not installed (tools/deps installs it)");
	engine_setup(&g, "podman");
	engine_podman_image(&g, IMAGE);
	engine_crun_hybrid();
	ASSERT_OK(uname(&u));
	snprintf(host_release, sizeof(host_release), "%s", u.release);
}

static void teardown(void)
{
	struct engine_run r;

	engine_sh(&r,
		  "podman ps -a --filter label=moat-test=%s -q | xargs -r "
		  "podman rm -f -t 0",
		  g.work);
	engine_teardown(&g);
}

/* --- tests ---------------------------------------------------------------- */

TEST_TIMEOUT(podman_run_shows_the_guest_kernel_and_exit_code, 600)
{
	struct engine_run r;
	char line[256];

	setup();
	engine_sh(&r,
		  P " run --rm --network=none --label moat-test=%s " ULIMITS
		    " %s sh -c 'uname -r; exit 42'",
		  g.runtime, g.work, IMAGE);
	ENGINE_EXPECT(&r, 42);
	engine_first_line(&r, line, sizeof(line));
	test_diag("guest %s, host %s", line, host_release);
	if (!line[0] || !strcmp(line, host_release))
		FAIL("uname -r in the container is \"%s\", the host's is "
		     "\"%s\"",
		     line, host_release);
	if (!strstr(line, "moat"))
		FAIL("uname -r \"%s\" is not moat's guest kernel", line);
	/* stdin round trip through the VM */
	engine_sh(&r,
		  "echo hello-through-the-vm | " P
		  " run -i --rm --network=none --label moat-test=%s " ULIMITS
		  " %s cat",
		  g.runtime, g.work, IMAGE);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, "hello-through-the-vm");
	teardown();
}

TEST_TIMEOUT(podman_run_it_drives_a_shell_through_a_pty, 600)
{
	struct engine_run r;

	setup();
	/* script gives podman a terminal; the shell reads our lines from
	 * it, through conmon, the shim's pty and the guest's. */
	engine_sh(
		&r,
		"(sleep 15; printf 'echo $((6 * 7))-answer\\n'; sleep 2; "
		"printf 'tty; stty size; exit 3\\n'; sleep 30) | script -qefc "
		"\"stty rows 33 cols 101; " P
		" run -it --rm --network=none --label moat-test=%s " ULIMITS
		" %s sh\" /dev/null",
		g.runtime, g.work, IMAGE);
	ENGINE_EXPECT(&r, 3);
	ENGINE_EXPECT_OUT(&r, "42-answer");
	ENGINE_EXPECT_OUT(&r, "/dev/pts/0");
	ENGINE_EXPECT_OUT(&r, "33 101");
	teardown();
}

TEST_TIMEOUT(podman_detached_exec_logs_pause_stop, 900)
{
	struct engine_run r;
	char id[128], line[256];

	setup();
	engine_sh(
		&r,
		P
		" run -d --network=none --label moat-test=%s " ULIMITS
		" %s sh -c 'echo started; trap \"echo got-term; exit 0\" TERM; "
		"while :; do sleep 1; done'",
		g.runtime, g.work, IMAGE);
	ENGINE_EXPECT(&r, 0);
	engine_first_line(&r, id, sizeof(id));
	ASSERT(strlen(id) == 64);
	/* exec: exit code, the guest's kernel, stdin, a terminal */
	engine_sh(&r, "podman exec %s sh -c 'uname -r; exit 7'", id);
	ENGINE_EXPECT(&r, 7);
	engine_first_line(&r, line, sizeof(line));
	if (!strstr(line, "moat"))
		FAIL("exec: uname -r is \"%s\"", line);
	engine_sh(&r, "echo exec-stdin | podman exec -i %s cat", id);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, "exec-stdin");
	engine_sh(
		&r,
		"script -qefc \"stty rows 20 cols 70; podman exec -it %s sh -c "
		"'tty; sleep 2; stty size; exit 5'\" /dev/null",
		id);
	ENGINE_EXPECT(&r, 5);
	ENGINE_EXPECT_OUT(&r, "/dev/pts/");
	ENGINE_EXPECT_OUT(&r, "20 70");
	engine_sh(&r, "podman logs %s", id);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, "started");
	/* crun beside it: the host's kernel */
	engine_sh(&r,
		  "podman --runtime crun run --rm --network=none " ULIMITS
		  " %s "
		  "uname -r",
		  IMAGE);
	ENGINE_EXPECT(&r, 0);
	engine_first_line(&r, line, sizeof(line));
	if (strcmp(line, host_release))
		FAIL("crun: uname -r is \"%s\", want the host's \"%s\"", line,
		     host_release);
	/* pause freezes, unpause thaws */
	engine_sh(&r,
		  "podman pause %s && podman inspect -f '{{.State.Status}}' %s",
		  id, id);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, "paused");
	engine_sh(
		&r,
		"podman unpause %s && podman inspect -f '{{.State.Status}}' %s && "
		"podman exec %s echo alive-again",
		id, id, id);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, "running");
	ENGINE_EXPECT_OUT(&r, "alive-again");
	/* stop: SIGTERM reaches the trap, the exit code is the shell's */
	engine_sh(&r,
		  "podman stop -t 60 %s && podman inspect -f "
		  "'{{.State.ExitCode}}' %s && podman logs %s",
		  id, id, id);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, "got-term");
	engine_sh(&r, "podman rm %s", id);
	ENGINE_EXPECT(&r, 0);
	teardown();
}

TEST_TIMEOUT(podman_volumes_user_readonly_caps_memory, 600)
{
	struct engine_run r;
	char vol[128];
	FILE *f;

	setup();
	snprintf(vol, sizeof(vol), "%s/vol", g.work);
	ASSERT_OK(mkdir(vol, 0777));
	chmod(vol, 0777);
	snprintf(vol, sizeof(vol), "%s/vol/from-host", g.work);
	f = fopen(vol, "w");
	ASSERT(f);
	fputs("host-bytes\n", f);
	fclose(f);
	engine_sh(
		&r,
		P
		" run --rm --network=none --label moat-test=%s " ULIMITS
		" -v %s/vol:/vol -v %s/vol:/rovol:ro --read-only --user 1000:1000 "
		"--cap-drop ALL --memory 96m %s sh -c 'cat /vol/from-host; echo "
		"guest-bytes > /vol/from-guest; id -u; id -g; touch /not-here || "
		"echo ro-root; touch /rovol/x || echo ro-volume; "
		"grep CapEff /proc/self/status; "
		"cat /sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup)/memory.max'",
		g.runtime, g.work, g.work, g.work, IMAGE);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, "host-bytes");
	ENGINE_EXPECT_OUT(&r, "1000\n1000\n");
	ENGINE_EXPECT_OUT(&r, "ro-root");
	ENGINE_EXPECT_OUT(&r, "ro-volume");
	ENGINE_EXPECT_OUT(&r, "CapEff:\t0000000000000000");
	ENGINE_EXPECT_OUT(&r, "100663296"); /* 96 MiB in the guest's cgroup */
	snprintf(vol, sizeof(vol), "%s/vol/from-guest", g.work);
	engine_sh(&r, "cat %s", vol);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, "guest-bytes");
	teardown();
}

/* Start a detached sleeper; its id into id. */
static void run_sleeper(char *id, size_t cap)
{
	struct engine_run r;

	engine_sh(&r,
		  P " run -d --network=none --label moat-test=%s " ULIMITS
		    " %s sleep 1000",
		  g.runtime, g.work, IMAGE);
	ENGINE_EXPECT(&r, 0);
	engine_first_line(&r, id, cap);
}

/* The container ended: podman says exited and removes it. */
static void expect_exited_then_rm(const char *id)
{
	struct engine_run r;

	engine_sh(&r, "podman inspect -f '{{.State.Status}}' %s", id);
	ENGINE_EXPECT_OUT(&r, "exited");
	engine_sh(&r, "podman rm %s", id);
	ENGINE_EXPECT(&r, 0);
}

/* Faults, in turn: kill -9 of the shim, of its VM monitor, and of the
 * container's init (podman kill -s KILL, delivered in the guest). Each
 * time podman sees the end and nothing is left. */
TEST_TIMEOUT(podman_sees_the_end_of_every_kind_of_death, 900)
{
	struct engine_run r;
	char id[128];

	setup();
	run_sleeper(id, sizeof(id));
	engine_sh(&r,
		  "kill -9 $(podman inspect -f '{{.State.Pid}}' %s) && "
		  "podman wait %s",
		  id, id);
	ENGINE_EXPECT(&r, 0);
	expect_exited_then_rm(id);

	run_sleeper(id, sizeof(id));
	/* the monitor is the shim's child: QEMU here */
	engine_sh(&r,
		  "kill -9 $(pgrep -P $(podman inspect -f '{{.State.Pid}}' %s) "
		  "-f qemu-system) && podman wait %s",
		  id, id);
	ENGINE_EXPECT(&r, 0);
	expect_exited_then_rm(id);

	run_sleeper(id, sizeof(id));
	engine_sh(&r, "podman kill -s KILL %s && podman wait %s", id, id);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, "137");
	expect_exited_then_rm(id);
	teardown();
}
