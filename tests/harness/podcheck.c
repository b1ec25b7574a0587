/*
 * podcheck.c: the podman end-to-end checks (see podcheck.h). podman from
 * Debian calls moat through the engine wrapper (engine.h) as its OCI
 * runtime, through conmon; containers are labelled moat-test=<work> so
 * that the teardown finds them. Root lacks CAP_SYS_RESOURCE on this
 * machine, so every run sets the nofile and nproc ulimits to 1024.
 */
#include "podcheck.h"
#include "test.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define IMAGE PODCHECK_IMAGE
#define ULIMITS "--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"

/* "podman run " P_RUN " ...": moat as the runtime; args: runtime, work */
#define P_RUN "--runtime %s --network=none --label moat-test=%s " ULIMITS " "

void podcheck_setup(struct podcheck *pc, const char *name, const char *monitor)
{
	struct utsname u;

	if (access("/usr/bin/podman", X_OK))
		FAIL("podman is not installed (tools/deps installs it)");
	pc->monitor = monitor;
	engine_setup(&pc->g, name);
	engine_podman_image(&pc->g, IMAGE);
	engine_crun_hybrid();
	ASSERT_OK(uname(&u));
	snprintf(pc->host_release, sizeof(pc->host_release), "%s", u.release);
}

void podcheck_teardown(struct podcheck *pc)
{
	engine_podman_rm_labelled(&pc->g);
	engine_teardown(&pc->g);
}

/* Write text to <work>/<name>. */
static void podcheck_put(const struct podcheck *pc, const char *name,
			 const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", pc->g.work, name);
	f = fopen(path, "w");
	ASSERT(f);
	fputs(text, f);
	ASSERT_EQ(fclose(f), 0);
}

/* FAIL unless <work>/<name> holds text. */
static void podcheck_expect_file(const struct podcheck *pc, const char *name,
				 const char *text)
{
	struct engine_run r;

	engine_sh(&r, "cat %s/%s", pc->g.work, name);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, text);
}

/* <work>/vol, writable by every user of the container. */
static void podcheck_volume(const struct podcheck *pc)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/vol", pc->g.work);
	if (mkdir(path, 0777) < 0 && errno != EEXIST)
		FAIL("mkdir %s: %s", path, strerror(errno));
	ASSERT_OK(chmod(path, 0777));
}

/* FAIL unless the first line of r is a release of moat's guest kernel,
 * not this machine's. */
static void podcheck_expect_guest_kernel(const struct podcheck *pc,
					 const struct engine_run *r,
					 const char *line)
{
	test_diag("guest %s, host %s", line, pc->host_release);
	if (!line[0] || !strcmp(line, pc->host_release) ||
	    !strstr(line, "moat")) {
		engine_show(r);
		FAIL("uname -r in the container is \"%s\", not moat's guest "
		     "kernel (the host's is \"%s\")",
		     line, pc->host_release);
	}
}

/* --- run --rm ------------------------------------------------------------- */

/* The -it session: the prompt, the size podman gave the container's
 * terminal, a resize of ours seen there (podman relays SIGWINCH to conmon,
 * conmon to moat's pty, the shim to the guest's), and the exit code. */
static const struct engine_step podcheck_shell[] = {
	{ "# ", 0, 0, "stty size; echo $((6 * 7))-answer\r" },
	{ "42-answer", 40, 120,
	  "tty; i=0; until [ \"$(stty size)\" = '40 120' ] || [ $i = 30 ]; "
	  "do sleep 1; i=$((i + 1)); done; stty size; exit 3\r" },
};

void podcheck_run(struct podcheck *pc)
{
	struct engine_run r;
	char line[256], *p;
	long kib;

	podcheck_volume(pc);
	podcheck_put(pc, "vol/from-host", "host-bytes\n");
	/* Root would be refused by file modes anywhere here, so the
	 * read-only checks look for EROFS; the bounding set shows
	 * --cap-drop (a non-root user's effective set is empty anyway). */
	engine_sh(
		&r,
		"echo hello-through-the-vm | podman run -i --rm " P_RUN
		"-v %s/vol:/vol -v %s/vol:/rovol:ro --read-only --user "
		"1000:1000 --cap-drop ALL --memory 300m %s sh -c 'uname -r; "
		"cat; cat /vol/from-host; echo guest-bytes > /vol/from-guest; "
		"id -u; id -g; touch /not-here 2>&1 | grep -q Read-only && "
		"echo ro-root; touch /rovol/x 2>&1 | grep -q Read-only && "
		"echo ro-volume; grep CapBnd /proc/self/status; "
		"cat /sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup)/"
		"memory.max; grep MemTotal /proc/meminfo; exit 42'",
		pc->g.runtime, pc->g.work, pc->g.work, pc->g.work, IMAGE);
	ENGINE_EXPECT(&r, 42);
	engine_first_line(&r, line, sizeof(line));
	podcheck_expect_guest_kernel(pc, &r, line);
	ENGINE_EXPECT_OUT(&r, "\nhello-through-the-vm\nhost-bytes\n");
	ENGINE_EXPECT_OUT(&r, "\n1000\n1000\n");
	ENGINE_EXPECT_OUT(&r, "\nro-root\n");
	ENGINE_EXPECT_OUT(&r, "\nro-volume\n");
	ENGINE_EXPECT_OUT(&r, "CapBnd:\t0000000000000000");
	/* the limit in the guest's cgroup; the VM sized for it (the limit
	 * plus 128 MiB), so that the cgroup is what limits */
	ENGINE_EXPECT_OUT(&r, "\n314572800\n");
	p = strstr(r.out, "MemTotal:");
	kib = p ? strtol(p + 9, NULL, 10) : 0;
	test_diag("the guest's MemTotal: %ld KiB", kib);
	if (kib <= 300 * 1024 || kib > 428 * 1024)
		FAIL("MemTotal %ld KiB: want the VM between the 300 MiB limit "
		     "and 428 MiB",
		     kib);
	podcheck_expect_file(pc, "vol/from-guest", "guest-bytes\n");

	engine_pty(&r, 33, 101, podcheck_shell,
		   sizeof(podcheck_shell) / sizeof(podcheck_shell[0]),
		   "podman run -it --rm " P_RUN "%s sh", pc->g.runtime,
		   pc->g.work, IMAGE);
	if (r.status != 3 || r.err[0]) {
		engine_show(&r);
		FAIL("run -it: want exit 3 after every step, got %d", r.status);
	}
	ENGINE_EXPECT_OUT(&r, "\n33 101\r");
	ENGINE_EXPECT_OUT(&r, "42-answer");
	ENGINE_EXPECT_OUT(&r, "/dev/pts/0");
	ENGINE_EXPECT_OUT(&r, "\n40 120\r");
}

/* --- run -d -----------------------------------------------------------------
 */

/* podman run -d [opts] IMAGE cmd; the container's id into id (64 hex). A
 * create that fails because the VM ended before the container existed is
 * tried once more, saying so: seen once in CI on moat-vmm (2026-11-29),
 * with an empty console; the shim's message now says how the agent's
 * channel was lost and how the monitor ended (its exit status or signal). */
static void podcheck_run_d(struct podcheck *pc, const char *opts,
			   const char *cmd, char *id, size_t cap)
{
	struct engine_run r;
	int i;

	for (i = 0; i < 2; i++) {
		engine_sh(&r, "podman run -d " P_RUN "%s %s %s", pc->g.runtime,
			  pc->g.work, opts, IMAGE, cmd);
		if (r.status == 0 ||
		    !strstr(r.err, "before the container was created"))
			break;
		engine_show(&r);
		test_diag("RETRY: run -d: the VM ended before the container "
			  "was created; once more");
	}
	ENGINE_EXPECT(&r, 0);
	engine_first_line(&r, id, cap);
	if (strlen(id) != 64)
		FAIL("run -d printed \"%s\", not a container id", id);
}

/* The container's shim (its pid for podman); FAILs without one. */
static int podcheck_shim(const struct podcheck *pc, const char *id)
{
	int shim = engine_pid("moat-shim", id, 0);

	if (!shim)
		FAIL("no moat-shim runs container %s", id);
	/* the backend the test chose: its monitor, under the shim */
	if (!engine_pid(pc->monitor, NULL, shim))
		FAIL("no %s runs under the shim %d of %s", pc->monitor, shim,
		     id);
	return shim;
}

void podcheck_detached(struct podcheck *pc)
{
	struct engine_run r;
	char id[128], line[256], opts[160];

	podcheck_volume(pc);
	snprintf(opts, sizeof(opts), "-v %s/vol:/vol", pc->g.work);
	podcheck_run_d(pc, opts,
		       "sh -c 'echo started; trap \"echo got-usr1\" USR1; "
		       "trap \"echo got-term; exit 3\" TERM; "
		       "while :; do sleep 1; done'",
		       id, sizeof(id));
	podcheck_shim(pc, id);
	/* pause: moat says paused (the guest's container frozen) */
	engine_sh(&r, "podman pause %s && %s state %s", id, pc->g.runtime, id);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, "\"status\": \"paused\"");
	/* unpause, and an exec runs: stdin relayed, a file the host wrote
	 * while the container ran read, one written for the host */
	podcheck_put(pc, "vol/late", "late-bytes\n");
	engine_sh(&r,
		  "podman unpause %s && echo exec-stdin | podman exec -i %s sh "
		  "-c 'cat; cat /vol/late; echo exec-bytes > /vol/from-exec'",
		  id, id);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, "exec-stdin\nlate-bytes\n");
	podcheck_expect_file(pc, "vol/from-exec", "exec-bytes\n");
	/* exec -it: a terminal of the guest, sized as ours; the exit code */
	engine_pty(&r, 20, 70, NULL, 0,
		   "podman exec -it %s sh -c 'tty; stty size; uname -r; exit "
		   "5'",
		   id);
	ENGINE_EXPECT(&r, 5);
	ENGINE_EXPECT_OUT(&r, "/dev/pts/");
	ENGINE_EXPECT_OUT(&r, "\n20 70\r");
	ENGINE_EXPECT_OUT(&r, "-moat\r");
	/* top with ps(1) options runs ps in the container: the guest's
	 * processes, the container's init as PID 1. */
	engine_sh(&r, "podman top %s -o pid,args", id);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, " 1 sh -c echo started; trap");
	/* With psgo's own descriptors podman reads /proc in the shim's
	 * mount namespace: the VM's PID namespace there (src/shim/pidns.c),
	 * so the host's side of the container, its monitor among them, and
	 * nothing else of the host (not this podman, not conmon). */
	engine_sh(&r, "podman top %s pid args", id);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, "moat-shim --vm-init");
	ENGINE_EXPECT_OUT(&r, pc->monitor);
	if (strstr(r.out, "conmon") || strstr(r.out, "podman top")) {
		engine_show(&r);
		FAIL("podman top lists the host's processes");
	}
	engine_sh(&r, "podman kill -s USR1 %s", id);
	ENGINE_EXPECT(&r, 0);
	/* crun beside it: the host's kernel */
	engine_sh(&r,
		  "podman --runtime crun run --rm --network=none " ULIMITS
		  " %s uname -r",
		  IMAGE);
	ENGINE_EXPECT(&r, 0);
	engine_first_line(&r, line, sizeof(line));
	if (strcmp(line, pc->host_release))
		FAIL("crun: uname -r is \"%s\", want the host's \"%s\"", line,
		     pc->host_release);
	/* stop: SIGTERM reaches the trap, the exit code is the shell's;
	 * the log holds what the container said all along */
	engine_sh(&r,
		  "podman stop -t 60 %s && podman inspect -f "
		  "'{{.State.ExitCode}}' %s && podman logs %s",
		  id, id, id);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, "\n3\nstarted\n");
	ENGINE_EXPECT_OUT(&r, "\ngot-usr1\n");
	ENGINE_EXPECT_OUT(&r, "\ngot-term\n");
	engine_sh(&r, "podman rm %s", id);
	ENGINE_EXPECT(&r, 0);
	engine_expect_clean(&pc->g);
}

/* --- deaths -----------------------------------------------------------------
 */

/* podman saw the end with code; moat said stopped when podman deleted the
 * container; nothing of it is left. */
static void podcheck_ended(const struct podcheck *pc, const char *id,
			   const char *code)
{
	struct engine_run r;
	char line[64];

	engine_sh(&r, "podman wait %s", id);
	ENGINE_EXPECT(&r, 0);
	engine_first_line(&r, line, sizeof(line));
	if (strcmp(line, code))
		FAIL("podman wait: exit code %s, want %s", line, code);
	engine_expect_stopped_at_delete(&pc->g, id, 180);
	engine_expect_clean(&pc->g);
}

void podcheck_deaths(struct podcheck *pc)
{
	struct engine_run r;
	char id[128];
	int shim, monitor;

	/* the shim: conmon sees its child die of SIGKILL */
	podcheck_run_d(pc, "", "sleep 1000", id, sizeof(id));
	shim = podcheck_shim(pc, id);
	ASSERT_OK(kill(shim, SIGKILL));
	podcheck_ended(pc, id, "137");

	/* the VM monitor: the shim exits 255, the VM died under the
	 * container */
	podcheck_run_d(pc, "", "sleep 1000", id, sizeof(id));
	shim = podcheck_shim(pc, id);
	monitor = engine_pid(pc->monitor, NULL, shim);
	ASSERT(monitor > 0);
	ASSERT_OK(kill(monitor, SIGKILL));
	podcheck_ended(pc, id, "255");

	/* the container's init, in the guest: it ignores SIGTERM, so
	 * podman stop sends SIGKILL after its timeout */
	podcheck_run_d(pc, "",
		       "sh -c 'trap \"\" TERM; while :; do sleep 1; done'", id,
		       sizeof(id));
	engine_sh(&r, "podman stop -t 2 %s", id);
	ENGINE_EXPECT(&r, 0);
	if (!strstr(r.err, "resorting to SIGKILL")) {
		engine_show(&r);
		FAIL("podman stop did not say it sent SIGKILL");
	}
	podcheck_ended(pc, id, "137");
}
