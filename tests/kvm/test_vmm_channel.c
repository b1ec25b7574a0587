/*
 * test_vmm_channel.c: level 4, inside the nested-KVM test host: the agent
 * channel over moat-vmm's virtio console. moat-vmm listens on a unix
 * socket for hvc0; the agent in the guest serves it (moat.channel=); the
 * test does the protocol handshake, asks for a shutdown, and the VM ends
 * with status 0. A second VM also gets virtio-rng.
 */
#include "../harness/agentc.h"
#include "../harness/test.h"
#include "../harness/vmmtest.h"
#include "../harness/vmrun.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* log: a file for the serial console, or "fd:N" for an fd of ours */
static pid_t spawn_vmm_full(const char *sock, const char *log, bool rng,
			    const char *ctl, const char *cmdline)
{
	struct vmmtest_cmd c;

	vmmtest_cmd_init(&c);
	vmmtest_cmd_consoles(&c, log, sock);
	vmmtest_cmd_add(&c, "--cmdline", cmdline);
	if (rng)
		vmmtest_cmd_add(&c, "--rng", NULL);
	if (ctl)
		vmmtest_cmd_add(&c, "--control", ctl);
	return vmmtest_cmd_spawn(&c, -1);
}

static pid_t spawn_vmm(const char *sock, const char *log, bool rng,
		       const char *ctl)
{
	return spawn_vmm_full(sock, log, rng, ctl,
			      "quiet moat.channel=/dev/hvc0");
}

static pid_t spawn_vmm_cmdline(const char *sock, const char *con,
			       const char *ctl, const char *cmdline)
{
	return spawn_vmm_full(sock, con, false, ctl, cmdline);
}

static void channel_round_trip(bool rng)
{
	struct msg req = { WIRE_K_REQUEST, MSG_OP_PS, 0, { { 0 } } };
	char dir[] = "/tmp/moat-chan.XXXXXX", sock[96], log[128];
	struct agentc c;
	int status;
	pid_t pid;

	ASSERT(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/agent.sock", dir);
	snprintf(log, sizeof(log), "%s/console.log", dir);
	pid = spawn_vmm(sock, log, rng, NULL);
	agentc_attach(&c, vmmtest_connect(sock, pid, NULL), pid);
	agentc_handshake(&c);
	/* The agent took our frames: it answers a request. */
	ASSERT_EQ(agentc_call(&c, &req, NULL), 0);
	status = agentc_stop(&c);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		vmmtest_show_log(log);
	ASSERT(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	/* moat-vmm removed its socket when it ended. */
	ASSERT(access(sock, F_OK) < 0 && errno == ENOENT);
	unlink(log);
	rmdir(dir);
}

TEST_TIMEOUT(vmm_agent_channel_handshake_and_shutdown, 200)
{
	channel_round_trip(false);
}

TEST_TIMEOUT(vmm_agent_channel_with_rng, 200)
{
	channel_round_trip(true);
}

/* One command on the control socket; returns the reply line. */
static const char *ctl_cmd(int fd, const char *cmd)
{
	static char buf[256];
	size_t n = 0;

	ASSERT_EQ(write(fd, cmd, strlen(cmd)), (ssize_t)strlen(cmd));
	while (n < sizeof(buf) - 1) {
		ssize_t r = read(fd, buf + n, 1);

		ASSERT(r == 1);
		if (buf[n++] == '\n')
			break;
	}
	buf[n] = '\0';
	return buf;
}

TEST_TIMEOUT(vmm_control_pause_resume_status_stop, 200)
{
	char dir[] = "/tmp/moat-ctl.XXXXXX", sock[96], log[128], ctl[96];
	struct msg req = { WIRE_K_REQUEST, MSG_OP_PS, 0, { { 0 } } };
	struct agentc c;
	uint32_t id;
	int status, cfd;
	pid_t pid;

	ASSERT(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/agent.sock", dir);
	snprintf(ctl, sizeof(ctl), "%s/ctl.sock", dir);
	snprintf(log, sizeof(log), "%s/console.log", dir);
	pid = spawn_vmm(sock, log, false, ctl);
	agentc_attach(&c, vmmtest_connect(sock, pid, NULL), pid);
	agentc_handshake(&c);
	cfd = vmmtest_connect(ctl, pid, NULL);
	ASSERT_STREQ(ctl_cmd(cfd, "bogus\n"), "err unknown command\n");
	ASSERT(strstr(ctl_cmd(cfd, "status\n"), "ok state=running vcpus=1"));
	/* the main thread and the vCPU's */
	ASSERT_EQ(vmmtest_threads_filtered(pid), 2);
	ASSERT_STREQ(ctl_cmd(cfd, "pause\n"), "ok\n");
	ASSERT(strstr(ctl_cmd(cfd, "status\n"), "ok state=paused"));
	/* A paused guest answers nothing... */
	id = agentc_send(&c, &req);
	agentc_pump(&c, 1500);
	ASSERT_EQ(c.nreplies, 0);
	/* ...until it runs again. */
	ASSERT_STREQ(ctl_cmd(cfd, "resume\n"), "ok\n");
	agentc_wait_reply(&c, id, NULL);
	ASSERT_STREQ(ctl_cmd(cfd, "stop\n"), "ok\n");
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 5)
		vmmtest_show_log(log);
	ASSERT(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 5);
	ASSERT(access(ctl, F_OK) < 0); /* removed */
	close(cfd);
	close(c.fd);
	unlink(log);
	rmdir(dir);
}

/* A serial console nobody reads (a full 4 KiB pipe) stalls nothing: the
 * guest boots, its agent answers, and the VM stops on request. */
TEST_TIMEOUT(vmm_unread_console_never_stalls_the_guest, 200)
{
	char dir[] = "/tmp/moat-con.XXXXXX", sock[96], ctl[96], con[32];
	struct msg req = { WIRE_K_REQUEST, MSG_OP_PS, 0, { { 0 } } };
	struct agentc c;
	int pfd[2], status, cfd;
	pid_t pid;

	ASSERT(mkdtemp(dir));
	snprintf(sock, sizeof(sock), "%s/agent.sock", dir);
	snprintf(ctl, sizeof(ctl), "%s/ctl.sock", dir);
	ASSERT_OK(pipe(pfd));
	ASSERT_OK(fcntl(pfd[1], F_SETPIPE_SZ, 4096));
	snprintf(con, sizeof(con), "fd:%d", pfd[1]);
	/* without quiet: the boot log alone is several times the pipe */
	pid = spawn_vmm_cmdline(sock, con, ctl, "moat.channel=/dev/hvc0");
	close(pfd[1]);
	agentc_attach(&c, vmmtest_connect(sock, pid, NULL), pid);
	agentc_handshake(&c);
	ASSERT_EQ(agentc_call(&c, &req, NULL), 0);
	cfd = vmmtest_connect(ctl, pid, NULL);
	ASSERT_STREQ(ctl_cmd(cfd, "stop\n"), "ok\n");
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 5);
	close(cfd);
	close(c.fd);
	close(pfd[0]);
	rmdir(dir);
}
