/*
 * engine.h: what the tests that drive moat through a real engine (podman,
 * docker, containerd) share: running a shell command with a timeout and
 * its output captured, a wrapper script that engines call as their runtime
 * (engines do not pass their environment to the runtime, so the wrapper
 * names moat's built files and a private --root), a busybox root
 * filesystem from Debian's busybox-static to import as an image, and the
 * check that nothing of moat is left (no process naming the --root, the
 * --root empty).
 */
#ifndef MOAT_TEST_ENGINE_H
#define MOAT_TEST_ENGINE_H

#include <stddef.h>

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

/* Fill dir (created) with a busybox root filesystem. */
void engine_rootfs(const char *dir);

/* The image (a name) imported into podman from engine_rootfs() unless
 * podman has it already. */
void engine_podman_image(const struct engine *g, const char *image);

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
