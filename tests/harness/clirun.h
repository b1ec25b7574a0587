/*
 * clirun.h: driving the moat CLI ($MOAT_CLI) directly in end-to-end tests,
 * on whichever backend the environment picks (QEMU at level 3, moat-vmm
 * in the nested-KVM test host): a fresh --root and a busybox bundle per
 * test (rootfs.h, config from ociconf.h), a janitor that force-deletes
 * what a failed test left, running `moat --root <root> ...` with its
 * output captured, the container's state, and the check that nothing of
 * the test is left (no process naming its root or bundle: shim, QEMU,
 * virtiofsd, moat-vmm; an empty root).
 */
#ifndef MOAT_TEST_CLIRUN_H
#define MOAT_TEST_CLIRUN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct clirun {
	int status; /* exit code, or 128 + signal */
	char out[65536];
	char err[8192];
};

extern char clirun_root[64];	/* the test's --root */
extern char clirun_bundle[300]; /* its bundle (rootfs in ./rootfs) */

/* The CLI's path; FAILs unless MOAT_CLI, MOAT_SHIM, MOAT_KERNEL and
 * MOAT_INITRAMFS name files. */
const char *clirun_cli(void);

/* A root (with its janitor), and a bundle whose config runs args. */
void clirun_setup(const char *const *args);

/* Write j (stolen) as the bundle's config.json. */
void clirun_config(json_t *j);

/* Run path with argv (NULL-terminated) in directory cwd (or here), stdin
 * the text in (NULL: this process's stdin); collect stdout and stderr. */
void clirun_exec(struct clirun *r, const char *path, const char *cwd,
		 const char *in, const char *const *argv);

/* Run moat --root <root> ARGS... (NULL-terminated) with stdin from the
 * text in (or empty); collect stdout and stderr. */
void clirun_in(struct clirun *r, const char *in, ...);

#define moat(r, ...) clirun_in(r, NULL, __VA_ARGS__, (const char *)NULL)
#define moat_stdin(r, in, ...) clirun_in(r, in, __VA_ARGS__, (const char *)NULL)

/* Print r's output as TAP diagnostics. */
void clirun_show(const struct clirun *r);

/* FAIL unless r exited with status. */
void clirun_expect_status(const struct clirun *r, int status);

/* FAIL unless r exited 1 with exactly stderr_text. */
void clirun_expect_fail(const struct clirun *r, const char *stderr_text);
/* The same with another exit status (exec's runtime errors: 255). */
void clirun_expect_fail_as(const struct clirun *r, int status,
			   const char *stderr_text);

/* A process whose command line mentions s (and also, unless NULL), or
 * 0. */
int clirun_proc_mentioning(const char *s, const char *also);

/* FAIL unless, within a few seconds, no process names the test's root
 * or bundle, and the root is empty. */
void clirun_expect_clean(void);

/* FAIL unless `moat state id` says status. */
void clirun_expect_state(const char *id, const char *status);

/* Wait up to secs for `moat state id` to say status, then check it. */
void clirun_wait_state(const char *id, const char *status, int secs);

/* The pid (the shim's) in `moat state id`. */
int clirun_state_pid(const char *id);

/* Read the file at path into buf[0..cap) (NUL-terminated), then remove
 * it; FAILs unless it held something. */
void clirun_take_file(const char *path, char *buf, size_t cap);

/* `moat create --pid-file` of container id on the bundle, as an engine's
 * subreaper would (the test process becomes one, to inherit the detached
 * shim); checks the pid file names the shim and the state says created
 * with that pid. Returns the shim's pid. */
int clirun_create(const char *id);

/* `moat start id` of a container created by clirun_create(): the state
 * says running; a second start is refused. */
void clirun_start(const char *id);

/* `moat kill id KILL` of a running container created by clirun_create()
 * (`kill id 0` first says it is alive): the shim dies of SIGKILL, the
 * state says stopped, a second kill (signal 0 too) is refused in runc's
 * words, `kill --all` has nothing left to signal (0), delete removes it. */
void clirun_kill_delete(const char *id, int shim);

/* `moat pause id` of a running container: the state says paused, a
 * second pause is refused (runc's words) and an exec into it fails (255);
 * `moat resume id`: running again, and a second resume refused. */
void clirun_pause_resume(const char *id);

/* `moat delete [--force] id` exits 0, and nothing of the test is left
 * (clirun_expect_clean). */
void clirun_delete_clean(const char *id, bool force);

#endif
