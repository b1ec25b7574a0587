/*
 * engine.c: running engines against moat in tests (see engine.h).
 */
#include "engine.h"
#include "test.h"
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
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void engine_slurp(int fd, char *buf, size_t cap)
{
	ssize_t n = pread(fd, buf, cap - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

void engine_sh(struct engine_run *r, const char *fmt, ...)
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
	end = time(NULL) + ENGINE_TIMEOUT;
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (time(NULL) > end) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			status = -1;
			break;
		}
		usleep(20000);
	}
	r->status = status == -1	? -1
		    : WIFEXITED(status) ? WEXITSTATUS(status)
					: 128 + WTERMSIG(status);
	engine_slurp(out, r->out, sizeof(r->out));
	engine_slurp(err, r->err, sizeof(r->err));
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
	fprintf(f, "exec '%s' --root '%s' \"$@\"\n", cli, g->root);
	fclose(f);
	chmod(g->runtime, 0755);
}

/* Processes of ours that name the test's --root (engines aside). */
static int engine_leftovers(const struct engine *g, char *what, size_t cap)
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
		if (strstr(cmd, "moat-shim") && strstr(cmd, g->work)) {
			n++;
			snprintf(what + strlen(what), cap - strlen(what),
				 "%s: %.200s; ", d->d_name, cmd);
		}
		if ((strstr(cmd, "qemu-system") || strstr(cmd, "virtiofsd") ||
		     strstr(cmd, "moat-vmm")) &&
		    strstr(cmd, g->work)) {
			n++;
			snprintf(what + strlen(what), cap - strlen(what),
				 "%s: %.200s; ", d->d_name, cmd);
		}
	}
	if (dir)
		closedir(dir);
	return n;
}

void engine_teardown(struct engine *g)
{
	char what[4096];
	struct engine_run r;
	struct dirent *d;
	DIR *dir;
	int i, n = 0;

	for (i = 0; i < 100 && engine_leftovers(g, what, sizeof(what)); i++)
		usleep(100000);
	if (engine_leftovers(g, what, sizeof(what)))
		FAIL("processes left: %s", what);
	dir = opendir(g->root);
	while (dir && (d = readdir(dir)))
		if (d->d_name[0] != '.')
			n++;
	if (dir)
		closedir(dir);
	if (n)
		FAIL("%d entries left under moat's --root %s", n, g->root);
	engine_sh(&r, "rm -rf %s", g->work);
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
