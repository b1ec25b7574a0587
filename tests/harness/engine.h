/*
 * engine.h: what the tests that drive moat through a real engine (podman,
 * docker, containerd) share: running a shell command with a timeout and
 * its output captured, a wrapper script that engines call as their runtime
 * (engines do not pass their environment to the runtime, so the wrapper
 * names moat's built files and a private --root), a busybox root
 * filesystem from Debian's busybox-static to import as an image, a
 * terminal to drive an engine's -it through (expect-style), and the check
 * that nothing of moat is left (no process naming the --root, the --root
 * empty). The wrapper also records what `moat state` says of a container
 * when the engine deletes it, under <work>/deleted/<id>.
 */
#ifndef MOAT_TEST_ENGINE_H
#define MOAT_TEST_ENGINE_H

#include <stddef.h>
#include <sys/types.h>

#define ENGINE_TIMEOUT 240 /* seconds for one command (TCG boots) */

struct engine_run {
	int status; /* exit code, 128 + signal, or -1 on a timeout */
	char out[65536];
	char err[16384];
};

/* The test's directory, moat's --root in it, and the wrapper. */
struct engine {
	char work[64];
	char root[128];
	char runtime[128];
};

/* Make the directory and the wrapper; FAILs without moat's files. */
void engine_setup(struct engine *g, const char *name);

/* Stop the check's waiting, look for leftovers (FAIL), remove work. */
void engine_teardown(struct engine *g);

/* FAIL when, after up to 10 s, a shim, VM monitor or virtiofsd naming
 * the test's directory still runs or moat's --root is not empty. */
void engine_expect_clean(const struct engine *g);

/* FAIL unless the engine deleted id within secs and `moat state` said
 * "stopped" of it then (the wrapper's record). */
void engine_expect_stopped_at_delete(const struct engine *g, const char *id,
				     int secs);

/* Entries in the directory at path (not "." ones), 0 when it is not
 * there. */
int engine_dir_entries(const char *path);

/* The first process (not this one) whose command line holds a and, unless
 * NULL, b, and that descends from under unless that is 0; 0 when none. */
int engine_pid(const char *a, const char *b, int under);

/* Fill dir (created) with a busybox root filesystem. */
void engine_rootfs(const char *dir);

/* The image (a name) imported into podman from engine_rootfs() unless
 * podman has it already. */
void engine_podman_image(const struct engine *g, const char *image);

/* podman's state (storage: vfs, run root, network config, temporary
 * files, events log) under dir (made), through CONTAINERS_CONF,
 * CONTAINERS_STORAGE_CONF and TMPDIR: for the nested-KVM test host, whose
 * root is read-only; with the cgroupfs manager (no systemd there). */
void engine_podman_private(const char *dir);

/* Remove (podman rm -f) every podman container labelled moat-test=<work>,
 * as tests label theirs. */
void engine_podman_rm_labelled(const struct engine *g);

/* crun refuses a hybrid cgroup host whose v2 hierarchy still has a
 * controller (hugetlb here): mount that controller's v1 hierarchy, as
 * systemd does on hybrid hosts. */
void engine_crun_hybrid(void);

/* Run `sh -c <cmd>` (stdin /dev/null unless the command redirects it). */
void engine_sh(struct engine_run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* One step of a terminal session: wait until the output since the last
 * step holds expect (NULL: no wait), then resize the terminal to rows x
 * cols (rows 0: no resize), then type send (NULL: nothing). */
struct engine_step {
	const char *expect;
	unsigned short rows, cols;
	const char *send;
};

/* Run `sh -c <cmd>` as the session leader of a new pty of rows x cols,
 * taking the n steps, then read to its end: its status and all it wrote
 * (the terminal's echo included) into r->out; r->err says which step's
 * expect never came, if one did not. */
void engine_pty(struct engine_run *r, unsigned short rows, unsigned short cols,
		const struct engine_step *steps, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Start a daemon (argv) with its output in <work>/<log>; it dies with the
 * test process (PR_SET_PDEATHSIG) if the test fails half-way. */
pid_t engine_daemon_start(const struct engine *g, const char *log,
			  char *const argv[]);

/* SIGTERM, and after 30 s SIGKILL to its process group. */
void engine_daemon_stop(pid_t pid);

/* Wait until cmd succeeds (the daemon answers), up to 90 s. */
void engine_daemon_wait(const char *what, const char *cmd);

/* Print r as TAP diagnostics. */
void engine_show(const struct engine_run *r);

/* The first line of r's stdout, without its newline. */
void engine_first_line(const struct engine_run *r, char *buf, size_t cap);

#define ENGINE_EXPECT(r, want)                                             \
	do {                                                               \
		if ((r)->status != (want)) {                               \
			engine_show(r);                                    \
			FAIL("want exit %d, got %d", (want), (r)->status); \
		}                                                          \
	} while (0)

#define ENGINE_EXPECT_OUT(r, text)                           \
	do {                                                 \
		if (!strstr((r)->out, (text))) {             \
			engine_show(r);                      \
			FAIL("stdout lacks \"%s\"", (text)); \
		}                                            \
	} while (0)

#endif
