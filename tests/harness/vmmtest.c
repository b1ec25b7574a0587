/*
 * vmmtest.c: see vmmtest.h.
 */
#include "vmmtest.h"
#include "test.h"
#include "vmrun.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

void vmmtest_cmd_init(struct vmmtest_cmd *c)
{
	const char *vmm = vmrun_env_path("MOAT_VMM");
	const char *kernel = vmrun_env_path("MOAT_KERNEL");
	const char *initrd = vmrun_env_path("MOAT_INITRAMFS");

	if (!vmm || !kernel || !initrd)
		FAIL("MOAT_VMM, MOAT_KERNEL or MOAT_INITRAMFS is not set");
	c->n = 0;
	c->argv[c->n++] = vmm;
	c->argv[c->n] = NULL;
	vmmtest_cmd_add(c, "--kernel", kernel);
	vmmtest_cmd_add(c, "--initrd", initrd);
}

void vmmtest_cmd_add(struct vmmtest_cmd *c, const char *opt, const char *value)
{
	ASSERT(c->n + 3 <= (int)(sizeof(c->argv) / sizeof(c->argv[0])));
	c->argv[c->n++] = opt;
	if (value)
		c->argv[c->n++] = value;
	c->argv[c->n] = NULL;
}

void vmmtest_cmd_consoles(struct vmmtest_cmd *c, const char *log,
			  const char *sock)
{
	snprintf(c->con, sizeof(c->con), "%s%s",
		 strncmp(log, "fd:", 3) ? "file:" : "", log);
	vmmtest_cmd_add(c, "--console", c->con);
	if (sock) {
		snprintf(c->vcon, sizeof(c->vcon), "unix:%s", sock);
		vmmtest_cmd_add(c, "--vconsole", c->vcon);
	}
}

pid_t vmmtest_cmd_spawn(struct vmmtest_cmd *c, int keep_fd)
{
	pid_t pid = fork();

	ASSERT_OK(pid);
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);

		dup2(nul, 0);
		if (keep_fd >= 0)
			fcntl(keep_fd, F_SETFD, 0);
		execv(c->argv[0], (char *const *)c->argv);
		_exit(127);
	}
	return pid;
}

void vmmtest_show_log(const char *path)
{
	char buf[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;

	if (n > 0)
		test_diag_block("guest console", buf, (size_t)n);
	if (fd >= 0)
		close(fd);
}

int vmmtest_connect(const char *path, pid_t vmm, const char *log)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int i, fd;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	for (i = 0; i < 600; i++) {
		int status;

		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ASSERT_OK(fd);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			return fd;
		close(fd);
		if (waitpid(vmm, &status, WNOHANG) == vmm) {
			if (log)
				vmmtest_show_log(log);
			FAIL("moat-vmm exited early (status %#x)", status);
		}
		usleep(50000);
	}
	FAIL("cannot connect to %s", path);
}

int vmmtest_threads_filtered(pid_t pid)
{
	char path[512], line[256];
	struct dirent *de;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	ASSERT(d);
	while ((de = readdir(d))) {
		FILE *f;
		int mode = -1;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/status",
			 (int)pid, de->d_name);
		f = fopen(path, "r");
		ASSERT(f);
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "Seccomp: %d", &mode) == 1)
				break;
		fclose(f);
		if (mode != 2)
			FAIL("thread %s of moat-vmm: seccomp mode %d",
			     de->d_name, mode);
		n++;
	}
	closedir(d);
	return n;
}

void vmmtest_status(const char *ctl, pid_t vmm, const char *log, char *line,
		    size_t cap)
{
	int fd = vmmtest_connect(ctl, vmm, log);
	size_t k = 0;

	ASSERT_EQ(write(fd, "status\n", 7), 7);
	while (k < cap - 1) {
		ASSERT_EQ(read(fd, line + k, 1), 1);
		if (line[k++] == '\n')
			break;
	}
	line[k] = '\0';
	close(fd);
}

void vmmtest_counters(const char *ctl, pid_t vmm, const char *log,
		      const char *const *names, unsigned long long *v, size_t n)
{
	char line[512], key[64];
	const char *p;
	size_t i;

	vmmtest_status(ctl, vmm, log, line, sizeof(line));
	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), " %s=", names[i]);
		p = strstr(line, key);
		if (!p || sscanf(p + strlen(key), "%llu", &v[i]) != 1)
			FAIL("status has no %s: %s", names[i], line);
	}
}
