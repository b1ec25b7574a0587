/*
 * engine.c: running engines against moat in tests (see engine.h).
 */
#include "engine.h"
#include "test.h"
#include "vmrun.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

static void engine_slurp(int fd, char *buf, size_t cap)
{
	ssize_t n = pread(fd, buf, cap - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/* Wait for pid (a process group's leader) for up to ENGINE_TIMEOUT from
 * start, killing its group after that; its exit code, 128 + its signal,
 * or -1 on the timeout. The time taken goes to the diagnostics: engines
 * are slow under TCG, and a slow step is worth seeing. */
static int engine_wait(pid_t pid, time_t start)
{
	int status;

	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (time(NULL) > start + ENGINE_TIMEOUT) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			test_diag("  (killed after %d s)", ENGINE_TIMEOUT);
			return -1;
		}
		usleep(20000);
	}
	test_diag("  (%ld s)", (long)(time(NULL) - start));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void engine_sh(struct engine_run *r, const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int out, err;
	pid_t pid;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	test_diag("$ %s", cmd);
	out = memfd_create("out", MFD_CLOEXEC);
	err = memfd_create("err", MFD_CLOEXEC);
	ASSERT(out >= 0 && err >= 0);
	pid = fork();
	ASSERT_OK(pid);
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(out, 1);
		dup2(err, 2);
		setpgid(0, 0);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	r->status = engine_wait(pid, time(NULL));
	engine_slurp(out, r->out, sizeof(r->out));
	engine_slurp(err, r->err, sizeof(r->err));
}

/* Append what the master has (waiting up to ms) to r->out at *len: 1
 * when something came, 0 when nothing did, -1 at the terminal's end (EIO:
 * no slave left) or when r->out is full. */
static int engine_pty_read(int m, struct engine_run *r, size_t *len, int ms)
{
	struct pollfd p = { m, POLLIN, 0 };
	ssize_t n;

	if (*len >= sizeof(r->out) - 1)
		return -1;
	if (poll(&p, 1, ms) <= 0)
		return 0;
	n = read(m, r->out + *len, sizeof(r->out) - 1 - *len);
	if (n < 0 && errno == EINTR)
		return 0;
	if (n <= 0)
		return -1;
	*len += (size_t)n;
	r->out[*len] = '\0';
	return 1;
}

/* Has pid not ended yet (without reaping it)? */
static bool engine_running(pid_t pid)
{
	siginfo_t si = { 0 };

	return waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	       si.si_pid == 0;
}

void engine_pty(struct engine_run *r, unsigned short rows, unsigned short cols,
		const struct engine_step *steps, size_t n, const char *fmt, ...)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };
	char cmd[8192];
	size_t len = 0, mark = 0, i = 0;
	int state = 0, quiet = 0;
	time_t start = time(NULL);
	va_list ap;
	int m, sl;
	pid_t pid;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	test_diag("$ (on a %ux%u terminal) %s", rows, cols, cmd);
	r->out[0] = r->err[0] = '\0';
	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	ASSERT(m >= 0);
	ASSERT_OK(grantpt(m));
	ASSERT_OK(unlockpt(m));
	sl = open(ptsname(m), O_RDWR | O_NOCTTY | O_CLOEXEC);
	ASSERT(sl >= 0);
	ASSERT_OK(ioctl(sl, TIOCSWINSZ, &ws));
	pid = fork();
	ASSERT_OK(pid);
	if (pid == 0) {
		setsid(); /* its own group too: engine_wait kills -pid */
		ioctl(sl, TIOCSCTTY, 0);
		dup2(sl, 0);
		dup2(sl, 1);
		dup2(sl, 2);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(sl);
	/* the steps, while the command runs */
	while (i < n && state >= 0 && time(NULL) < start + ENGINE_TIMEOUT &&
	       engine_running(pid)) {
		const struct engine_step *st = &steps[i];

		if (st->expect && !strstr(r->out + mark, st->expect)) {
			state = engine_pty_read(m, r, &len, 200);
			continue;
		}
		mark = len;
		if (st->rows) {
			ws.ws_row = st->rows;
			ws.ws_col = st->cols;
			ASSERT_OK(ioctl(m, TIOCSWINSZ, &ws));
		}
		if (st->send)
			ASSERT_EQ(write(m, st->send, strlen(st->send)),
				  (ssize_t)strlen(st->send));
		i++;
	}
	if (i < n)
		snprintf(r->err, sizeof(r->err),
			 "step %zu: \"%s\" never came on the terminal", i,
			 steps[i].expect);
	/* to its end, and what it wrote last (until a second is quiet: a
	 * process it left may hold the slave open) */
	while (state >= 0 && engine_running(pid) &&
	       time(NULL) < start + ENGINE_TIMEOUT)
		state = engine_pty_read(m, r, &len, 200);
	r->status = engine_wait(pid, start);
	while (state > 0 || (state == 0 && quiet++ < 5))
		state = engine_pty_read(m, r, &len, 200);
	close(m);
}

pid_t engine_daemon_start(const struct engine *g, const char *log,
			  char *const argv[])
{
	char path[256];
	pid_t pid;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", g->work, log);
	pid = fork();
	ASSERT_OK(pid);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		fd = open("/dev/null", O_RDONLY);
		dup2(fd, 0);
		setpgid(0, 0);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

void engine_daemon_stop(pid_t pid)
{
	int status, i;

	kill(pid, SIGTERM);
	for (i = 0; i < 300 && waitpid(pid, &status, WNOHANG) == 0; i++)
		usleep(100000);
	if (i == 300) {
		kill(-pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
}

void engine_daemon_wait(const char *what, const char *cmd)
{
	struct engine_run r;
	int i;

	for (i = 0; i < 90; i++) {
		engine_sh(&r, "%s", cmd);
		if (r.status == 0)
			return;
		sleep(1);
	}
	engine_show(&r);
	FAIL("%s does not answer", what);
}

void engine_show(const struct engine_run *r)
{
	test_diag("exit %d", r->status);
	test_diag_block("stdout", r->out, strlen(r->out));
	test_diag_block("stderr", r->err, strlen(r->err));
}

void engine_first_line(const struct engine_run *r, char *buf, size_t cap)
{
	size_t n = strcspn(r->out, "\n");

	if (n >= cap)
		n = cap - 1;
	memcpy(buf, r->out, n);
	buf[n] = '\0';
}

void engine_rootfs(const char *dir)
{
	static struct engine_run r;
	char path[512], *a, *save = NULL;

	engine_sh(&r,
		  "set -e; d=%s; mkdir -p $d/bin $d/etc $d/tmp $d/root "
		  "$d/proc $d/sys $d/dev; cp /bin/busybox $d/bin/; echo "
		  "'root:x:0:0:root:/root:/bin/sh' > $d/etc/passwd; echo "
		  "'root:x:0:' > $d/etc/group; chmod 1777 $d/tmp; "
		  "/bin/busybox --list",
		  dir);
	ENGINE_EXPECT(&r, 0);
	/* the applets' links, made here: a shell loop of ln costs minutes
	 * under TCG, in the nested test host */
	for (a = strtok_r(r.out, "\n", &save); a;
	     a = strtok_r(NULL, "\n", &save)) {
		if (!strcmp(a, "busybox") || strchr(a, '/'))
			continue;
		snprintf(path, sizeof(path), "%s/bin/%s", dir, a);
		if (symlink("busybox", path) < 0 && errno != EEXIST)
			FAIL("symlink %s: %s", path, strerror(errno));
	}
}

void engine_setup(struct engine *g, const char *name)
{
	char tmpl[64];
	const char *cli = vmrun_env_path("MOAT_CLI");
	FILE *f;

	if (!cli || !vmrun_env_path("MOAT_SHIM") ||
	    !vmrun_env_path("MOAT_KERNEL") || !vmrun_env_path("MOAT_INITRAMFS"))
		FAIL("MOAT_CLI, MOAT_SHIM, MOAT_KERNEL or MOAT_INITRAMFS does "
		     "not name a file (run through make check)");
	snprintf(tmpl, sizeof(tmpl), "/tmp/moat-%s-XXXXXX", name);
	ASSERT(mkdtemp(tmpl));
	snprintf(g->work, sizeof(g->work), "%s", tmpl);
	chmod(g->work, 0755);
	snprintf(g->root, sizeof(g->root), "%s/moat-root", g->work);
	snprintf(g->runtime, sizeof(g->runtime), "%s/moat", g->work);
	f = fopen(g->runtime, "w");
	ASSERT(f);
	fprintf(f,
		"#!/bin/sh\nexport MOAT_KERNEL='%s' MOAT_INITRAMFS='%s' "
		"MOAT_SHIM='%s'\n",
		vmrun_env_path("MOAT_KERNEL"), vmrun_env_path("MOAT_INITRAMFS"),
		vmrun_env_path("MOAT_SHIM"));
	/* the backend, where the test chose one (engines do not pass
	 * their environment on) */
	if (vmrun_env_path("MOAT_VMM"))
		fprintf(f, "export MOAT_VMM='%s'\n",
			vmrun_env_path("MOAT_VMM"));
	if (getenv("MOAT_HYPERVISOR") && *getenv("MOAT_HYPERVISOR"))
		fprintf(f, "export MOAT_HYPERVISOR='%s'\n",
			getenv("MOAT_HYPERVISOR"));
	/* what moat says of a container when the engine deletes it (the
	 * id is the last argument) */
	fprintf(f,
		"case \" $* \" in *' delete '*)\n"
		"\tfor a; do id=$a; done\n"
		"\tmkdir -p '%s/deleted'\n"
		"\t'%s' --root '%s' state \"$id\" >>'%s/deleted/'\"$id\" "
		"2>&1\nesac\n",
		g->work, cli, g->root, g->work);
	fprintf(f, "exec '%s' --root '%s' \"$@\"\n", cli, g->root);
	fclose(f);
	chmod(g->runtime, 0755);
}

/* pid's command line, its NULs as spaces, into cmd; its length, 0 when
 * there is none (gone, or a kernel thread). */
static size_t engine_cmdline(int pid, char *cmd, size_t cap)
{
	char path[64];
	ssize_t len, i;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	len = read(fd, cmd, cap - 1);
	close(fd);
	if (len <= 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!cmd[i])
			cmd[i] = ' ';
	cmd[len] = '\0';
	return (size_t)len;
}

/* pid's parent, or 0. */
static int engine_ppid(int pid)
{
	char path[64], buf[512], *p;
	int ppid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	/* pid (comm) state ppid: comm may hold spaces and parentheses */
	if (fgets(buf, sizeof(buf), f) && (p = strrchr(buf, ')')))
		sscanf(p + 1, " %*c %d", &ppid);
	fclose(f);
	return ppid;
}

/* Is pid a descendant of anc? */
static bool engine_under(int pid, int anc)
{
	int i;

	for (i = 0; i < 64 && pid > 1; i++) {
		pid = engine_ppid(pid);
		if (pid == anc)
			return true;
	}
	return false;
}

int engine_pid(const char *a, const char *b, int under)
{
	char cmd[4096];
	struct dirent *d;
	int pid, found = 0;
	DIR *dir = opendir("/proc");

	while (dir && !found && (d = readdir(dir))) {
		pid = atoi(d->d_name);
		if (pid <= 0 || pid == getpid() ||
		    !engine_cmdline(pid, cmd, sizeof(cmd)))
			continue;
		if (strstr(cmd, a) && (!b || strstr(cmd, b)) &&
		    (!under || engine_under(pid, under)))
			found = pid;
	}
	if (dir)
		closedir(dir);
	return found;
}

/* Processes of ours that name the test's --root (engines aside). */
static int engine_leftovers(const struct engine *g, char *what, size_t cap)
{
	static const char *const ours[] = { "moat-shim", "qemu-system",
					    "virtiofsd", "moat-vmm" };
	char cmd[4096];
	struct dirent *d;
	int n = 0, pid;
	size_t i;
	DIR *dir = opendir("/proc");

	what[0] = '\0';
	while (dir && (d = readdir(dir))) {
		pid = atoi(d->d_name);
		if (pid <= 0 || pid == getpid() ||
		    !engine_cmdline(pid, cmd, sizeof(cmd)) ||
		    !strstr(cmd, g->work))
			continue;
		for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
			if (strstr(cmd, ours[i])) {
				n++;
				snprintf(what + strlen(what),
					 cap - strlen(what), "%d: %.200s; ",
					 pid, cmd);
				break;
			}
	}
	if (dir)
		closedir(dir);
	return n;
}

int engine_dir_entries(const char *path)
{
	struct dirent *d;
	int n = 0;
	DIR *dir = opendir(path);

	while (dir && (d = readdir(dir)))
		if (d->d_name[0] != '.')
			n++;
	if (dir)
		closedir(dir);
	return n;
}

void engine_expect_clean(const struct engine *g)
{
	char what[4096];
	int i;

	for (i = 0; i < 100 && (engine_leftovers(g, what, sizeof(what)) ||
				engine_dir_entries(g->root));
	     i++)
		usleep(100000);
	if (engine_leftovers(g, what, sizeof(what)))
		FAIL("processes left: %s", what);
	if (engine_dir_entries(g->root))
		FAIL("%d entries left under moat's --root %s",
		     engine_dir_entries(g->root), g->root);
}

void engine_teardown(struct engine *g)
{
	struct engine_run r;

	engine_expect_clean(g);
	engine_sh(&r, "rm -rf %s", g->work);
}

void engine_expect_stopped_at_delete(const struct engine *g, const char *id,
				     int secs)
{
	char path[256], text[4096] = "";
	time_t end = time(NULL) + secs;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/deleted/%s", g->work, id);
	/* the engine deletes after it has seen the end (podman: in the
	 * cleanup that conmon's exit command runs), and the wrapper asks
	 * moat's state just before */
	while (!strstr(text, "\"status\"") && !strstr(text, "moat:") &&
	       time(NULL) < end) {
		usleep(200000);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = pread(fd, text, sizeof(text) - 1, 0);
		close(fd);
		text[n > 0 ? n : 0] = '\0';
	}
	if (!text[0])
		FAIL("the engine did not delete %s within %d s", id, secs);
	if (!strstr(text, "\"status\": \"stopped\"")) {
		test_diag_block("moat state", text, strlen(text));
		FAIL("moat's state of %s at the delete was not stopped", id);
	}
	test_diag("moat state said stopped when the engine deleted it");
}

void engine_podman_image(const struct engine *g, const char *image)
{
	struct engine_run r;
	char dir[128];

	engine_sh(&r, "podman image exists %s", image);
	if (r.status == 0)
		return;
	snprintf(dir, sizeof(dir), "%s/img", g->work);
	engine_rootfs(dir);
	engine_sh(&r,
		  "tar -C %s -c . | podman import --change 'CMD [\"/bin/sh\"]' "
		  "- %s",
		  dir, image);
	ENGINE_EXPECT(&r, 0);
}

void engine_podman_private(const char *dir)
{
	static const char *const subs[] = { "", "/net", "/tmp", "/vartmp" };
	char path[256];
	size_t i;
	FILE *f;

	for (i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", dir, subs[i]);
		if (mkdir(path, 0700) < 0 && errno != EEXIST)
			FAIL("mkdir %s: %s", path, strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/containers.conf", dir);
	f = fopen(path, "w");
	ASSERT(f);
	fprintf(f,
		"[network]\nnetwork_config_dir = \"%s/net\"\n[engine]\n"
		"tmp_dir = \"%s/tmp\"\nevents_logger = \"file\"\n"
		"events_logfile_path = \"%s/events.log\"\n"
		"cgroup_manager = \"cgroupfs\"\n",
		dir, dir, dir);
	ASSERT_EQ(fclose(f), 0);
	ASSERT_OK(setenv("CONTAINERS_CONF", path, 1));
	snprintf(path, sizeof(path), "%s/storage.conf", dir);
	f = fopen(path, "w");
	ASSERT(f);
	fprintf(f,
		"[storage]\ndriver = \"vfs\"\ngraphroot = \"%s/storage\"\n"
		"runroot = \"%s/runroot\"\n",
		dir, dir);
	ASSERT_EQ(fclose(f), 0);
	ASSERT_OK(setenv("CONTAINERS_STORAGE_CONF", path, 1));
	snprintf(path, sizeof(path), "%s/vartmp", dir); /* not /var/tmp */
	ASSERT_OK(setenv("TMPDIR", path, 1));
}

void engine_podman_rm_labelled(const struct engine *g)
{
	struct engine_run r;

	engine_sh(&r,
		  "podman ps -a --filter label=moat-test=%s -q | xargs -r "
		  "podman rm -f -t 0",
		  g->work);
}

void engine_crun_hybrid(void)
{
	char buf[256] = "";
	FILE *f = fopen("/sys/fs/cgroup/unified/cgroup.controllers", "r");

	if (!f)
		return;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	if (!strstr(buf, "hugetlb"))
		return;
	mkdir("/sys/fs/cgroup/hugetlb", 0755);
	if (mount("cgroup", "/sys/fs/cgroup/hugetlb", "cgroup", 0, "hugetlb") &&
	    errno != EBUSY)
		FAIL("mount the hugetlb cgroup v1 hierarchy: %s",
		     strerror(errno));
}
