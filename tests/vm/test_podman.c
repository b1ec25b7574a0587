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
#include "../harness/test.h"
#include "../harness/vmrun.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define IMAGE "localhost/moat-test/busybox:latest"
#define ULIMITS "--ulimit nofile=1024:1024 --ulimit nproc=1024:1024"
#define SH_TIMEOUT 240 /* seconds for one podman command (TCG boots) */

struct run {
	int status; /* exit code, or 128 + signal, or -1 on a timeout */
	char out[65536];
	char err[16384];
};

static char work[64];	  /* the test's directory */
static char runtime[128]; /* the wrapper podman calls */
static char moat_root[128];
static char host_release[128];

static void slurp(int fd, char *buf, size_t cap)
{
	ssize_t n = pread(fd, buf, cap - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/* Run a shell command (stdin from /dev/null unless it redirects), with a
 * timeout; output captured. */
static void sh(struct run *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sh(struct run *r, const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int out, err, status;
	time_t end;
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
	end = time(NULL) + SH_TIMEOUT;
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (time(NULL) > end) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			status = -1;
			break;
		}
		usleep(20000);
	}
	r->status = status == -1	 ? -1
		    : WIFEXITED(status) ? WEXITSTATUS(status)
					 : 128 + WTERMSIG(status);
	slurp(out, r->out, sizeof(r->out));
	slurp(err, r->err, sizeof(r->err));
}

static void show(const struct run *r)
{
	test_diag("exit %d", r->status);
	test_diag_block("stdout", r->out, strlen(r->out));
	test_diag_block("stderr", r->err, strlen(r->err));
}

#define EXPECT(r, want)                                                      \
	do {                                                                 \
		if ((r)->status != (want)) {                                 \
			show(r);                                             \
			FAIL("want exit %d, got %d", (want), (r)->status);   \
		}                                                            \
	} while (0)

#define EXPECT_OUT(r, text)                                                  \
	do {                                                                 \
		if (!strstr((r)->out, (text))) {                             \
			show(r);                                             \
			FAIL("stdout lacks \"%s\"", (text));                 \
		}                                                            \
	} while (0)

/* The first line of r's stdout, without its newline, into buf. */
static void first_line(const struct run *r, char *buf, size_t cap)
{
	size_t n = strcspn(r->out, "\n");

	if (n >= cap)
		n = cap - 1;
	memcpy(buf, r->out, n);
	buf[n] = '\0';
}

/* podman with moat as the runtime: "P run ..." */
#define P "podman --runtime %s"

/* --- fixture ------------------------------------------------------------- */

static void setup_image(void)
{
	struct run r;

	sh(&r, "podman image exists %s", IMAGE);
	if (r.status == 0)
		return;
	sh(&r,
	   "set -e; d=%s/img; mkdir -p $d/bin $d/etc $d/tmp $d/root $d/proc "
	   "$d/sys $d/dev; cp /bin/busybox $d/bin/; for a in $(/bin/busybox "
	   "--list); do [ $a = busybox ] || ln -s busybox $d/bin/$a; done; "
	   "echo 'root:x:0:0:root:/root:/bin/sh' > $d/etc/passwd; "
	   "echo 'root:x:0:' > $d/etc/group; chmod 1777 $d/tmp; "
	   "tar -C $d -c . | podman import --change 'CMD [\"/bin/sh\"]' - %s",
	   work, IMAGE);
	EXPECT(&r, 0);
}

/* crun on this hybrid host: see the header. */
static void setup_crun(void)
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

/* Every process of ours that names the test's --root in its arguments. */
static int leftovers(char *what, size_t cap)
{
	char path[64], cmd[4096];
	struct dirent *d;
	int n = 0, fd;
	ssize_t len, i;
	DIR *dir = opendir("/proc");

	what[0] = '\0';
	while (dir && (d = readdir(dir))) {
		if (d->d_name[0] < '0' || d->d_name[0] > '9' ||
		    atoi(d->d_name) == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%.20s/cmdline", d->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		len = read(fd, cmd, sizeof(cmd) - 1);
		close(fd);
		if (len <= 0)
			continue;
		for (i = 0; i < len; i++)
			if (!cmd[i])
				cmd[i] = ' ';
		cmd[len] = '\0';
		if (strstr(cmd, moat_root) && !strstr(cmd, "podman")) {
			n++;
			snprintf(what + strlen(what), cap - strlen(what),
				 "%s: %.200s; ", d->d_name, cmd);
		}
	}
	if (dir)
		closedir(dir);
	return n;
}

static void check_clean(void)
{
	char what[4096];
	struct dirent *d;
	DIR *dir;
	int i, n = 0;

	for (i = 0; i < 100 && leftovers(what, sizeof(what)); i++)
		usleep(100000);
	if (leftovers(what, sizeof(what)))
		FAIL("processes left: %s", what);
	dir = opendir(moat_root);
	while (dir && (d = readdir(dir)))
		if (d->d_name[0] != '.')
			n++;
	if (dir)
		closedir(dir);
	if (n)
		FAIL("%d entries left under moat's --root %s", n, moat_root);
}

static void setup(void)
{
	char tmpl[] = "/tmp/moat-podman-XXXXXX";
	const char *cli = vmrun_env_path("MOAT_CLI");
	struct utsname u;
	FILE *f;

	if (!cli || !vmrun_env_path("MOAT_SHIM") ||
	    !vmrun_env_path("MOAT_KERNEL") || !vmrun_env_path("MOAT_INITRAMFS"))
		FAIL("MOAT_CLI, MOAT_SHIM, MOAT_KERNEL or MOAT_INITRAMFS does "
		     "not name a file (run through make check)");
	if (access("/usr/bin/podman", X_OK))
		FAIL("podman is not installed (tools/deps installs it)");
	ASSERT(mkdtemp(tmpl));
	snprintf(work, sizeof(work), "%s", tmpl);
	chmod(work, 0755);
	snprintf(moat_root, sizeof(moat_root), "%s/moat-root", work);
	snprintf(runtime, sizeof(runtime), "%s/moat", work);
	f = fopen(runtime, "w");
	ASSERT(f);
	fprintf(f,
		"#!/bin/sh\nexport MOAT_KERNEL='%s' MOAT_INITRAMFS='%s' "
		"MOAT_SHIM='%s'\nexec '%s' --root '%s' \"$@\"\n",
		vmrun_env_path("MOAT_KERNEL"), vmrun_env_path("MOAT_INITRAMFS"),
		vmrun_env_path("MOAT_SHIM"), cli, moat_root);
	fclose(f);
	chmod(runtime, 0755);
	setup_image();
	setup_crun();
	/* The guest kernel's release: moat's kernel is ours, never the
	 * host's. */
	ASSERT_OK(uname(&u));
	snprintf(host_release, sizeof(host_release), "%s", u.release);
}

static void teardown(void)
{
	struct run r;

	sh(&r, "podman ps -a --filter label=moat-test=%s -q | xargs -r "
	       "podman rm -f -t 0",
	   work);
	check_clean();
	sh(&r, "rm -rf %s", work);
}

/* --- tests ---------------------------------------------------------------- */

TEST_TIMEOUT(podman_run_shows_the_guest_kernel_and_exit_code, 600)
{
	struct run r;
	char line[256];

	setup();
	sh(&r,
	   P " run --rm --network=none --label moat-test=%s " ULIMITS
	     " %s sh -c 'uname -r; exit 42'",
	   runtime, work, IMAGE);
	EXPECT(&r, 42);
	first_line(&r, line, sizeof(line));
	test_diag("guest %s, host %s", line, host_release);
	if (!line[0] || !strcmp(line, host_release))
		FAIL("uname -r in the container is \"%s\", the host's is "
		     "\"%s\"",
		     line, host_release);
	if (!strstr(line, "moat"))
		FAIL("uname -r \"%s\" is not moat's guest kernel", line);
	/* stdin round trip through the VM */
	sh(&r,
	   "echo hello-through-the-vm | " P
	   " run -i --rm --network=none --label moat-test=%s " ULIMITS
	   " %s cat",
	   runtime, work, IMAGE);
	EXPECT(&r, 0);
	EXPECT_OUT(&r, "hello-through-the-vm");
	teardown();
}

TEST_TIMEOUT(podman_run_it_drives_a_shell_through_a_pty, 600)
{
	struct run r;

	setup();
	/* script gives podman a terminal; the shell reads our lines from
	 * it, through conmon, the shim's pty and the guest's. */
	sh(&r,
	   "(sleep 15; printf 'echo $((6 * 7))-answer\\n'; sleep 2; "
	   "printf 'tty; stty size; exit 3\\n'; sleep 30) | script -qefc "
	   "\"stty rows 33 cols 101; " P
	   " run -it --rm --network=none --label moat-test=%s " ULIMITS
	   " %s sh\" /dev/null",
	   runtime, work, IMAGE);
	EXPECT(&r, 3);
	EXPECT_OUT(&r, "42-answer");
	EXPECT_OUT(&r, "/dev/pts/0");
	EXPECT_OUT(&r, "33 101");
	teardown();
}

TEST_TIMEOUT(podman_detached_exec_logs_pause_stop, 900)
{
	struct run r;
	char id[128], line[256];

	setup();
	sh(&r,
	   P " run -d --network=none --label moat-test=%s " ULIMITS
	     " %s sh -c 'echo started; trap \"echo got-term; exit 0\" TERM; "
	     "while :; do sleep 1; done'",
	   runtime, work, IMAGE);
	EXPECT(&r, 0);
	first_line(&r, id, sizeof(id));
	ASSERT(strlen(id) == 64);
	/* exec: exit code, the guest's kernel, stdin, a terminal */
	sh(&r, "podman exec %s sh -c 'uname -r; exit 7'", id);
	EXPECT(&r, 7);
	first_line(&r, line, sizeof(line));
	if (!strstr(line, "moat"))
		FAIL("exec: uname -r is \"%s\"", line);
	sh(&r, "echo exec-stdin | podman exec -i %s cat", id);
	EXPECT(&r, 0);
	EXPECT_OUT(&r, "exec-stdin");
	sh(&r,
	   "script -qefc \"stty rows 20 cols 70; podman exec -it %s sh -c "
	   "'tty; stty size; exit 5'\" /dev/null",
	   id);
	EXPECT(&r, 5);
	EXPECT_OUT(&r, "/dev/pts/");
	EXPECT_OUT(&r, "20 70");
	sh(&r, "podman logs %s", id);
	EXPECT(&r, 0);
	EXPECT_OUT(&r, "started");
	/* crun beside it: the host's kernel */
	sh(&r, "podman --runtime crun run --rm --network=none " ULIMITS " %s "
	       "uname -r",
	   IMAGE);
	EXPECT(&r, 0);
	first_line(&r, line, sizeof(line));
	if (strcmp(line, host_release))
		FAIL("crun: uname -r is \"%s\", want the host's \"%s\"", line,
		     host_release);
	/* pause freezes, unpause thaws */
	sh(&r, "podman pause %s && podman inspect -f '{{.State.Status}}' %s",
	   id, id);
	EXPECT(&r, 0);
	EXPECT_OUT(&r, "paused");
	sh(&r,
	   "podman unpause %s && podman inspect -f '{{.State.Status}}' %s && "
	   "podman exec %s echo alive-again",
	   id, id, id);
	EXPECT(&r, 0);
	EXPECT_OUT(&r, "running");
	EXPECT_OUT(&r, "alive-again");
	/* stop: SIGTERM reaches the trap, the exit code is the shell's */
	sh(&r, "podman stop -t 60 %s && podman inspect -f "
	       "'{{.State.ExitCode}}' %s && podman logs %s",
	   id, id, id);
	EXPECT(&r, 0);
	EXPECT_OUT(&r, "got-term");
	sh(&r, "podman rm %s", id);
	EXPECT(&r, 0);
	teardown();
}

TEST_TIMEOUT(podman_volumes_user_readonly_caps_memory, 600)
{
	struct run r;
	char vol[128];
	FILE *f;

	setup();
	snprintf(vol, sizeof(vol), "%s/vol", work);
	ASSERT_OK(mkdir(vol, 0777));
	chmod(vol, 0777);
	snprintf(vol, sizeof(vol), "%s/vol/from-host", work);
	f = fopen(vol, "w");
	ASSERT(f);
	fputs("host-bytes\n", f);
	fclose(f);
	sh(&r,
	   P " run --rm --network=none --label moat-test=%s " ULIMITS
	     " -v %s/vol:/vol --read-only --user 1000:1000 --cap-drop ALL "
	     "--memory 96m %s sh -c 'cat /vol/from-host; echo guest-bytes > "
	     "/vol/from-guest; id -u; id -g; touch /not-here || echo ro-root; "
	     "grep CapEff /proc/self/status; "
	     "cat /sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup)/memory.max'",
	   runtime, work, work, IMAGE);
	EXPECT(&r, 0);
	EXPECT_OUT(&r, "host-bytes");
	EXPECT_OUT(&r, "1000\n1000\n");
	EXPECT_OUT(&r, "ro-root");
	EXPECT_OUT(&r, "CapEff:\t0000000000000000");
	EXPECT_OUT(&r, "100663296"); /* 96 MiB in the guest's cgroup */
	snprintf(vol, sizeof(vol), "%s/vol/from-guest", work);
	sh(&r, "cat %s", vol);
	EXPECT(&r, 0);
	EXPECT_OUT(&r, "guest-bytes");
	teardown();
}

TEST_TIMEOUT(podman_sees_the_end_when_the_shim_is_killed, 600)
{
	struct run r;
	char id[128];

	setup();
	sh(&r,
	   P " run -d --network=none --label moat-test=%s " ULIMITS
	     " %s sleep 1000",
	   runtime, work, IMAGE);
	EXPECT(&r, 0);
	first_line(&r, id, sizeof(id));
	sh(&r, "kill -9 $(podman inspect -f '{{.State.Pid}}' %s) && "
	       "podman wait %s",
	   id, id);
	EXPECT(&r, 0);
	sh(&r, "podman inspect -f '{{.State.Status}}' %s", id);
	EXPECT_OUT(&r, "exited");
	sh(&r, "podman rm %s", id);
	EXPECT(&r, 0);
	teardown();
}
