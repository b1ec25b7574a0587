/*
 * rootfs.c: the host tests' busybox root filesystem (see rootfs.h).
 */
#define _XOPEN_SOURCE 700
#include "rootfs.h"
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const rootfs_applets[] = {
	"sh",	    "cat",    "id",   "ls",	  "echo",   "sleep",
	"true",	    "false",  "grep", "mount",	  "touch",  "mkdir",
	"head",	    "dd",     "wc",   "kill",	  "ps",	    "stat",
	"hostname", "env",    "pwd",  "readlink", "yes",    "test",
	"umask",    "ulimit", "tr",   "seq",	  "rm",	    "nproc",
	"tty",	    "stty",   "od",   "printf",	  "chroot", "mknod",
};

static void rootfs_copy(const char *from, const char *to)
{
	char buf[65536];
	ssize_t n;
	int in = open(from, O_RDONLY | O_CLOEXEC), out;

	if (in < 0)
		test_skip("%s: %s (install busybox-static)", from,
			  strerror(errno));
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	ASSERT_OK(out);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		ASSERT_EQ(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
}

static int rootfs_rm(const char *path, const struct stat *st, int type,
		     struct FTW *ftw);

/*
 * A process outside the test's process group that removes dir when the
 * test process ends, however it ends (a failed assertion _exits).
 */
static void rootfs_janitor(const char *dir)
{
	pid_t parent = getpid(), pid = fork();
	sigset_t set;
	int sig;

	ASSERT_OK(pid);
	if (pid)
		return;
	setsid();
	/* Hold no pipe of the runner open. */
	sig = open("/dev/null", O_RDWR);
	dup2(sig, 0);
	dup2(sig, 1);
	dup2(sig, 2);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	prctl(PR_SET_PDEATHSIG, SIGUSR1);
	if (getppid() == parent)
		sigwait(&set, &sig);
	/* Give the agent a moment to be killed with the test. */
	usleep(200000);
	nftw(dir, rootfs_rm, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	_exit(0);
}

void rootfs_make(char *dir, size_t cap)
{
	static const char *const dirs[] = {
		"b",
		"b/rootfs",
		"b/rootfs/bin",
		"b/rootfs/proc",
		"b/rootfs/sys",
		"b/rootfs/dev",
		"b/rootfs/tmp",
		"b/rootfs/etc",
		"b/rootfs/root",
		"b/rootfs/data",
	};
	char path[4096], tmpl[] = "/tmp/moat-rootfs-XXXXXX";
	size_t i;
	FILE *f;

	ASSERT(mkdtemp(tmpl));
	snprintf(dir, cap, "%s", tmpl);
	rootfs_janitor(tmpl);
	chmod(dir, 0755);
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, dirs[i]);
		ASSERT_OK(mkdir(path, 0755));
	}
	snprintf(path, sizeof(path), "%s/b/rootfs/bin/busybox", dir);
	rootfs_copy("/bin/busybox", path);
	for (i = 0; i < sizeof(rootfs_applets) / sizeof(rootfs_applets[0]);
	     i++) {
		snprintf(path, sizeof(path), "%s/b/rootfs/bin/%s", dir,
			 rootfs_applets[i]);
		ASSERT_OK(symlink("busybox", path));
	}
	snprintf(path, sizeof(path), "%s/b/rootfs/etc/passwd", dir);
	f = fopen(path, "w");
	ASSERT(f);
	fputs("root:x:0:0:root:/root:/bin/sh\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/b/rootfs/data/hello", dir);
	f = fopen(path, "w");
	ASSERT(f);
	fputs("hello from the rootfs\n", f);
	fclose(f);
}

static int rootfs_rm(const char *path, const struct stat *st, int type,
		     struct FTW *ftw)
{
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

void rootfs_remove(const char *dir)
{
	if (dir && !strncmp(dir, "/tmp/moat-rootfs-", 17))
		nftw(dir, rootfs_rm, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}
