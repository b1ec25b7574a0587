/*
 * test_agent.c: level 2 (root). Runs the static moat-agent as the init of
 * a new PID and mount namespace on the host and checks it from outside:
 * it prints a valid ready line, leaves the host's mounts alone, and ends
 * its "VM" with reboot(2), which the kernel turns into SIGHUP for a
 * namespace's init.
 */
#include "../harness/test.h"
#include "../harness/vmrun.h"
#include "../../src/proto/ready.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *agent_path(void)
{
	const char *p = vmrun_env_path("MOAT_AGENT");

	if (!p)
		FAIL("MOAT_AGENT does not name the built agent");
	return p;
}

static int count_lines(const char *path)
{
	char buf[65536];
	int fd = open(path, O_RDONLY), n = 0;
	ssize_t r;

	if (fd < 0)
		return -1;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < r; i++)
			n += buf[i] == '\n';
	close(fd);
	return n;
}

/* Run the agent with flags for clone(); returns its wait status. */
static int run_agent(unsigned long flags, char *out, size_t cap, size_t *len)
{
	const char *agent = agent_path();
	int pfd[2], status;
	pid_t pid;
	ssize_t r;

	ASSERT_OK(pipe(pfd));
	pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
	ASSERT_OK(pid);
	if (pid == 0) {
		/* Keep the agent's /proc mount inside its namespace. */
		if ((flags & CLONE_NEWNS) &&
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(125);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		execl(agent, "init", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	*len = 0;
	while (*len < cap - 1 &&
	       (r = read(pfd[0], out + *len, cap - 1 - *len)) > 0)
		*len += (size_t)r;
	out[*len] = '\0';
	close(pfd[0]);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	return status;
}

TEST(agent_as_namespace_init_prints_ready_and_reboots)
{
	char out[4096];
	struct ready_info ri;
	size_t len;
	int before, after, status;

	if (geteuid() != 0)
		test_skip("needs root");
	before = count_lines("/proc/self/mountinfo");
	status = run_agent(CLONE_NEWPID | CLONE_NEWNS, out, sizeof(out), &len);
	after = count_lines("/proc/self/mountinfo");
	if (ready_scan(out, len, &ri) != 0) {
		test_diag_block("agent output", out, len);
		FAIL("no ready line");
	}
	ASSERT(ri.uptime_ms > 0);
	ASSERT(WIFSIGNALED(status));
	ASSERT_EQ(WTERMSIG(status), SIGHUP);
	ASSERT_EQ(before, after);
}

TEST(agent_refuses_to_run_unless_pid_1)
{
	char out[4096];
	struct ready_info ri;
	size_t len;
	int status = run_agent(0, out, sizeof(out), &len);

	ASSERT(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 1);
	ASSERT(strstr(out, "moat-agent: must run as PID 1"));
	ASSERT_EQ(ready_scan(out, len, &ri), READY_ENOTFOUND);
}
