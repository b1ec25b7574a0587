/*
 * test_sandbox_vmm.c: level 4, inside the nested-KVM test host: the shim's
 * moat-vmm backend (src/sandbox/vmm.c). It starts moat-vmm as the shim
 * would, with a busybox root filesystem as the share tagged
 * SANDBOX_ROOTFS_TAG and the agent's channel on a socketpair; a container
 * made on that share reads a file of the bundle and writes one the host
 * sees; the agent's shutdown ends moat-vmm with status 0. A read-only
 * rootfs refuses writes, and moat-vmm dies with the process that started
 * it.
 */
#include "../harness/agentc.h"
#include "../harness/ociconf.h"
#include "../harness/rootfs.h"
#include "../harness/test.h"
#include "../harness/vmmtest.h"
#include "../../src/sandbox/vmm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct sbt {
	char dir[256], rootfs[300], log[300];
	struct sandbox_config c;
	struct sandbox sb;
	struct agentc ac;
};

static void sbt_config(struct sbt *t, bool ro)
{
	if (geteuid() != 0)
		test_skip("needs root");
	rootfs_make(t->dir, sizeof(t->dir));
	snprintf(t->rootfs, sizeof(t->rootfs), "%s/%s/%s", t->dir, ROOTFS_TAG,
		 ROOTFS_PATH);
	snprintf(t->log, sizeof(t->log), "%s/console.log", t->dir);
	sandbox_config_defaults(&t->c);
	if (!t->c.vmm || access(t->c.vmm, X_OK) < 0)
		FAIL("MOAT_VMM is not set to moat-vmm");
	t->c.rootfs = t->rootfs;
	t->c.rootfs_readonly = ro;
	t->c.log_path = t->log;
	t->c.log_fd =
		open(t->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	ASSERT_OK(t->c.log_fd);
	t->c.dir_fd = open(t->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ASSERT_OK(t->c.dir_fd);
}

static void sbt_start(struct sbt *t)
{
	struct moat_err *e = NULL;
	struct sandbox sb = SANDBOX_INIT;

	t->sb = sb;
	if (sandbox_vmm.start(&t->sb, &t->c, &e) < 0)
		FAIL("start: %s", e ? e->msg : "?");
	ASSERT(t->sb.pid > 0);
	ASSERT(t->sb.chan_fd >= 0);
	ASSERT(t->sb.ops == &sandbox_vmm);
}

/* The agent on the channel; a container on the rootfs share, root "."
 * (the share is the root itself, as the shim exports it). */
static void sbt_container(struct sbt *t)
{
	static const char *const args[] = { "sleep", "1000", NULL };
	json_t *j = ociconf_base(args);
	char *cfg;
	int r;

	agentc_attach(&t->ac, t->sb.chan_fd, t->sb.pid);
	agentc_handshake(&t->ac);
	ociconf_set(j, "root.path", json_string("."));
	cfg = ociconf_dump(j);
	r = agentc_create(&t->ac, "ct", SANDBOX_ROOTFS_TAG, cfg, NULL, 0, 0, 0,
			  0, 0, NULL, NULL);
	free(cfg);
	if (r) {
		vmmtest_show_log(t->log);
		FAIL("create: %d %s", r, t->ac.error);
	}
	ASSERT_EQ(agentc_simple(&t->ac, MSG_OP_START), 0);
}

/* pid is gone, or a zombie nobody reaped yet. */
static bool gone(pid_t pid)
{
	char path[64], st[256];
	FILE *f;
	bool z = false;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return true;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return true;
	if (fgets(st, sizeof(st), f)) {
		const char *p = strrchr(st, ')');

		z = p && p[1] == ' ' && p[2] == 'Z';
	}
	fclose(f);
	return z;
}

TEST_TIMEOUT(vmm_backend_runs_a_container_on_the_rootfs_share, 300)
{
	struct sbt t;
	char path[512], buf[64];
	const char *out;
	int code, status, fd;
	ssize_t n;

	memset(&t, 0, sizeof(t));
	sbt_config(&t, false);
	sbt_start(&t);
	sbt_container(&t);
	out = agentc_sh(&t.ac,
			"cat /data/hello && echo from the guest > /data/w",
			&code);
	ASSERT_EQ(code, 0);
	ASSERT(strlen(out) > 0);
	snprintf(path, sizeof(path), "%s/data/w", t.rootfs);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ASSERT_OK(fd);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT(n > 0);
	buf[n] = '\0';
	ASSERT_STREQ(buf, "from the guest\n");
	status = agentc_stop(&t.ac);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		vmmtest_show_log(t.log);
	ASSERT(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	close(t.c.log_fd);
	close(t.c.dir_fd);
}

TEST_TIMEOUT(vmm_backend_readonly_rootfs_and_death_with_its_parent, 300)
{
	struct sbt t;
	char path[512];
	const char *out;
	int code, i;
	pid_t vmm;

	memset(&t, 0, sizeof(t));
	sbt_config(&t, true);
	sbt_start(&t);
	sbt_container(&t);
	out = agentc_sh(&t.ac, "echo x > /data/w", &code);
	ASSERT(code != 0);
	if (!strstr(out, "Read-only"))
		FAIL("a write to a read-only rootfs: %s", out);
	snprintf(path, sizeof(path), "%s/data/w", t.rootfs);
	ASSERT(access(path, F_OK) < 0 && errno == ENOENT);
	/* The monitor dies with the thread that started it: here the test
	 * process, whose child it is. Started again from a child that then
	 * exits, it goes too. */
	vmm = t.sb.pid;
	ASSERT_OK(kill(vmm, SIGKILL));
	ASSERT_EQ(waitpid(vmm, NULL, 0), vmm);
	{
		int pfd[2];
		pid_t child, grand = 0;

		ASSERT_OK(pipe(pfd));
		child = fork();
		ASSERT_OK(child);
		if (child == 0) {
			struct moat_err *e = NULL;
			struct sandbox sb = SANDBOX_INIT;

			if (sandbox_vmm.start(&sb, &t.c, &e) < 0)
				_exit(1);
			if (write(pfd[1], &sb.pid, sizeof(sb.pid)) < 0)
				_exit(2);
			sleep(1);
			_exit(0);
		}
		close(pfd[1]);
		ASSERT_EQ(read(pfd[0], &grand, sizeof(grand)),
			  (ssize_t)sizeof(grand));
		close(pfd[0]);
		ASSERT_EQ(waitpid(child, NULL, 0), child);
		for (i = 0; i < 100 && !gone(grand); i++)
			usleep(100000);
		ASSERT(gone(grand));
	}
	close(t.ac.fd);
	close(t.c.log_fd);
	close(t.c.dir_fd);
}
