/*
 * clirun.c: driving the moat CLI in end-to-end tests (see clirun.h).
 */
#include "clirun.h"
#include "ociconf.h"
#include "rootfs.h"
#include "test.h"
#include "tmpdir.h"
#include "vmrun.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char clirun_root[64];
char clirun_bundle[300];
static char clirun_share[256]; /* rootfs_make's directory */

const char *clirun_cli(void)
{
	const char *p = vmrun_env_path("MOAT_CLI");

	if (!p || !vmrun_env_path("MOAT_SHIM") ||
	    !vmrun_env_path("MOAT_KERNEL") || !vmrun_env_path("MOAT_INITRAMFS"))
		FAIL("MOAT_CLI, MOAT_SHIM, MOAT_KERNEL or MOAT_INITRAMFS does "
		     "not name a file (run through make check)");
	return p;
}

static void clirun_slurp(int fd, char *buf, size_t cap)
{
	ssize_t n = pread(fd, buf, cap - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

void clirun_exec(struct clirun *r, const char *path, const char *cwd,
		 const char *in, const char *const *argv)
{
	int out, err, ifd = -1, status;
	pid_t pid;

	out = memfd_create("out", MFD_CLOEXEC);
	err = memfd_create("err", MFD_CLOEXEC);
	ASSERT(out >= 0 && err >= 0);
	if (in) {
		ifd = memfd_create("in", MFD_CLOEXEC);
		ASSERT(ifd >= 0);
		ASSERT_EQ(pwrite(ifd, in, strlen(in), 0), (ssize_t)strlen(in));
	}
	pid = fork();
	ASSERT_OK(pid);
	if (pid == 0) {
		if ((cwd && chdir(cwd) < 0) || (in && dup2(ifd, 0) < 0) ||
		    dup2(out, 1) < 0 || dup2(err, 2) < 0)
			_exit(125);
		execv(path, (char **)argv);
		_exit(127);
	}
	if (ifd >= 0)
		close(ifd);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	r->status = WIFEXITED(status) ? WEXITSTATUS(status)
				      : 128 + WTERMSIG(status);
	clirun_slurp(out, r->out, sizeof(r->out));
	clirun_slurp(err, r->err, sizeof(r->err));
}

void clirun_in(struct clirun *r, const char *in, ...)
{
	const char *argv[40];
	va_list ap;
	int n = 0;

	argv[n++] = "moat";
	argv[n++] = "--root";
	argv[n++] = clirun_root;
	va_start(ap, in);
	while (n < 39 && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	clirun_exec(r, clirun_cli(), NULL, in ? in : "", argv);
}

void clirun_show(const struct clirun *r)
{
	test_diag_block("stdout", r->out, strlen(r->out));
	test_diag_block("stderr", r->err, strlen(r->err));
}

void clirun_expect_status(const struct clirun *r, int status)
{
	if (r->status != status) {
		clirun_show(r);
		FAIL("want exit %d, got %d", status, r->status);
	}
}

void clirun_expect_fail_as(const struct clirun *r, int status,
			   const char *stderr_text)
{
	if (r->status != status || strcmp(r->err, stderr_text)) {
		clirun_show(r);
		FAIL("want exit %d and stderr \"%s\", got exit %d", status,
		     stderr_text, r->status);
	}
}

void clirun_expect_fail(const struct clirun *r, const char *stderr_text)
{
	clirun_expect_fail_as(r, 1, stderr_text);
}

/* --- the test's root and bundle ------------------------------------------ */

/*
 * The root's janitor (tmpdir.h), once the test process is gone:
 * force-delete whatever containers remain (so a failed test leaves no
 * VM); the root is removed after.
 */
static void clirun_delete_all(const char *root)
{
	struct dirent *d;
	DIR *dir = opendir(root);
	pid_t pid;

	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		pid = fork();
		if (pid == 0) {
			int nul = open("/dev/null", O_RDWR);

			dup2(nul, 0);
			dup2(nul, 1);
			dup2(nul, 2);
			execl(getenv("MOAT_CLI"), "moat", "--root", root,
			      "delete", "--force", d->d_name, (char *)NULL);
			_exit(127);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	if (dir)
		closedir(dir);
}

void clirun_config(json_t *j)
{
	ociconf_write(j, clirun_bundle);
}

void clirun_setup(const char *const *args)
{
	char path[512];

	clirun_cli();
	/* cloexec: the janitor waits for the test, not for the shims it
	 * leaves (it deletes those) */
	tmpdir_make(clirun_root, sizeof(clirun_root),
		    "/tmp/moat-runroot-XXXXXX", true, clirun_delete_all);
	rootfs_make(clirun_share, sizeof(clirun_share));
	snprintf(clirun_bundle, sizeof(clirun_bundle), "%s/%s", clirun_share,
		 ROOTFS_TAG);
	snprintf(path, sizeof(path), "%s/rootfs/bin/uname", clirun_bundle);
	ASSERT_OK(symlink("busybox", path));
	clirun_config(ociconf_base(args));
}

int clirun_proc_mentioning(const char *s, const char *also)
{
	char path[64], buf[8192];
	struct dirent *d;
	int found = 0;
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
		if (strstr(buf, s) && (!also || strstr(buf, also)))
			found = atoi(d->d_name);
	}
	closedir(dir);
	return found;
}

void clirun_expect_clean(void)
{
	struct dirent *d;
	int i, n = 0, p = 0;
	DIR *dir;

	for (i = 0; i < 100; i++) {
		p = clirun_proc_mentioning(clirun_root, NULL);
		if (!p)
			p = clirun_proc_mentioning(clirun_bundle, NULL);
		if (!p)
			break;
		usleep(50000);
	}
	if (p) {
		char path[64], buf[512];
		int fd;
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/%d/cmdline", p);
		fd = open(path, O_RDONLY);
		len = fd >= 0 ? read(fd, buf, sizeof(buf)) : 0;
		test_diag_block("left behind", buf, len > 0 ? (size_t)len : 0);
		FAIL("process %d of the test is still there", p);
	}
	dir = opendir(clirun_root);
	ASSERT(dir);
	while ((d = readdir(dir)))
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
			n++;
	closedir(dir);
	if (n) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "ls -laR %s | sed 's/^/# /'",
			 clirun_root);
		if (system(cmd) < 0) {
			/* the count says enough */
		}
	}
	ASSERT_EQ(n, 0);
}

void clirun_expect_state(const char *id, const char *status)
{
	static struct clirun r;
	json_error_t jerr;
	json_t *j;

	moat(&r, "state", id);
	clirun_expect_status(&r, 0);
	j = json_loads(r.out, 0, &jerr);
	ASSERT(j);
	if (strcmp(json_string_value(json_object_get(j, "status")), status)) {
		clirun_show(&r);
		FAIL("want status %s", status);
	}
	json_decref(j);
}

void clirun_wait_state(const char *id, const char *status, int secs)
{
	static struct clirun r;
	int i;

	for (i = 0; i < secs * 10; i++) {
		moat(&r, "state", id);
		if (r.status == 0 && strstr(r.out, status))
			break;
		usleep(100000);
	}
	clirun_expect_state(id, status);
}

int clirun_state_pid(const char *id)
{
	static struct clirun r;
	json_t *j;
	int pid;

	moat(&r, "state", id);
	clirun_expect_status(&r, 0);
	j = json_loads(r.out, 0, NULL);
	ASSERT(j);
	pid = (int)json_integer_value(json_object_get(j, "pid"));
	json_decref(j);
	return pid;
}

void clirun_take_file(const char *path, char *buf, size_t cap)
{
	ssize_t n;
	int fd = open(path, O_RDONLY);

	ASSERT_OK(fd);
	n = read(fd, buf, cap - 1);
	close(fd);
	unlink(path);
	ASSERT(n > 0);
	buf[n] = '\0';
}

int clirun_create(const char *id)
{
	static struct clirun r;
	char pidfile[128], buf[32];
	int shim;

	ASSERT_OK(prctl(PR_SET_CHILD_SUBREAPER, 1));
	snprintf(pidfile, sizeof(pidfile), "%s.pid", clirun_root);
	moat(&r, "create", "--bundle", clirun_bundle, "--pid-file", pidfile,
	     id);
	clirun_expect_status(&r, 0);
	clirun_take_file(pidfile, buf, sizeof(buf));
	shim = atoi(buf);
	ASSERT(shim > 0);
	clirun_expect_state(id, "created");
	ASSERT_EQ(clirun_state_pid(id), shim);
	return shim;
}

void clirun_start(const char *id)
{
	static struct clirun r;

	moat(&r, "start", id);
	clirun_expect_status(&r, 0);
	clirun_expect_state(id, "running");
	moat(&r, "start", id);
	clirun_expect_fail(&r, "moat: start: cannot start an already running "
			       "container\n");
}

void clirun_kill_delete(const char *id, int shim)
{
	static struct clirun r;
	char want[128];
	int status;
	pid_t w;

	/* signal 0: alive? (runc's liveness probe; nothing is sent) */
	moat(&r, "kill", id, "0");
	clirun_expect_status(&r, 0);
	moat(&r, "kill", id, "KILL");
	clirun_expect_status(&r, 0);
	/* the shim dies of the container's signal */
	do
		w = waitpid(shim, &status, 0);
	while (w < 0 && errno == EINTR);
	ASSERT_EQ(w, shim);
	ASSERT(WIFSIGNALED(status));
	ASSERT_EQ(WTERMSIG(status), SIGKILL);
	clirun_expect_state(id, "stopped");
	/* runc's words: containerd's shim knows by them that it ended */
	moat(&r, "kill", id);
	clirun_expect_fail(&r, "moat: kill: container not running\n");
	moat(&r, "kill", id, "0");
	clirun_expect_fail(&r, "moat: kill: container not running\n");
	moat(&r, "kill", "--all", id, "KILL"); /* nothing left: 0 */
	clirun_expect_status(&r, 0);
	moat(&r, "delete", id);
	clirun_expect_status(&r, 0);
	moat(&r, "state", id);
	snprintf(want, sizeof(want),
		 "moat: state: container %s does not exist\n", id);
	clirun_expect_fail(&r, want);
}

void clirun_delete_clean(const char *id, bool force)
{
	static struct clirun r;

	if (force)
		moat(&r, "delete", "--force", id);
	else
		moat(&r, "delete", id);
	clirun_expect_status(&r, 0);
	clirun_expect_clean();
}

void clirun_pause_resume(const char *id)
{
	static struct clirun r;

	moat(&r, "pause", id);
	clirun_expect_status(&r, 0);
	clirun_expect_state(id, "paused");
	moat(&r, "pause", id);
	clirun_expect_fail(&r, "moat: pause: container not running\n");
	/* runc's words and status (255: exec's runtime errors);
	 * --ignore-paused is refused, not ignored */
	moat(&r, "exec", id, "true");
	clirun_expect_fail_as(&r, 255,
			      "moat: exec: cannot exec in a paused container "
			      "(use --ignore-paused to override)\n");
	moat(&r, "exec", "--ignore-paused", id, "true");
	clirun_expect_fail_as(&r, 255,
			      "moat: exec: cannot exec in a paused container: "
			      "--ignore-paused is not supported (resume it "
			      "first)\n");
	moat(&r, "resume", id);
	clirun_expect_status(&r, 0);
	clirun_expect_state(id, "running");
	moat(&r, "resume", id);
	clirun_expect_fail(&r, "moat: resume: container not paused\n");
}
