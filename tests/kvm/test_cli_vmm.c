/*
 * test_cli_vmm.c: level 4, inside the nested-KVM test host: the moat CLI
 * ($MOAT_CLI) end to end on the moat-vmm backend. The test sets
 * MOAT_HYPERVISOR=moat-vmm for the moat processes it starts; the shim
 * ($MOAT_SHIM) finds moat-vmm as $MOAT_VMM (or beside itself) and boots
 * the guest ($MOAT_KERNEL, $MOAT_INITRAMFS) with the bundle's rootfs over
 * virtio-9p. Each test builds a busybox bundle and a fresh --root
 * (clirun.h) and boots one VM. Checked: `run` prints the guest kernel's
 * release (not the test host's), relays stdin and exits with the
 * container's status; create / state / start / exec / pause / resume /
 * kill / delete, with a moat-vmm process naming the bundle while it runs;
 * a terminal through --console-socket (the test receives the pty master
 * as an engine does, by SCM_RIGHTS), its size from the config and a
 * resize relayed to the guest; kill -9 of the shim takes moat-vmm with it.
 * After each test no process naming the root or bundle is left and the
 * root is empty.
 */
#include "../harness/clirun.h"
#include "../harness/ociconf.h"
#include "../harness/test.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define VMM_NAME "moat-vmm"

/* The bundle, a root, and moat-vmm as the backend of every moat we run. */
static void setup(const char *const *args)
{
	if (geteuid() != 0)
		test_skip("needs root");
	if (access("/dev/kvm", R_OK | W_OK))
		FAIL("no /dev/kvm (run in the test host: tests/kvm/run-testhost)");
	ASSERT_OK(setenv("MOAT_HYPERVISOR", VMM_NAME, 1));
	clirun_setup(args);
}

/* The moat-vmm of a container of the test (its --share names the
 * shim's share directory under the root), or 0. */
static int vmm_pid(void)
{
	return clirun_proc_mentioning(VMM_NAME, clirun_root);
}

static bool alive(int pid)
{
	char path[64], buf[256];
	FILE *f;
	bool zombie = false;

	if (kill(pid, 0) < 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (f && fgets(buf, sizeof(buf), f)) {
		char *p = strrchr(buf, ')');

		zombie = p && p[1] == ' ' && p[2] == 'Z';
	}
	if (f)
		fclose(f);
	return !zombie;
}

/* --- run ------------------------------------------------------------------ */

TEST_TIMEOUT(run_on_moat_vmm_release_stdin_and_exit_status, 300)
{
	static const char *const args[] = {
		"sh", "-c", "uname -r; cat; echo err >&2; exit 42", NULL
	};
	static const char text[] = "hello through moat-vmm\nsecond line\n";
	static struct clirun r;
	struct utsname host;
	char want[512];
	size_t n;

	setup(args);
	moat_stdin(&r, text, "run", "--bundle", clirun_bundle, "run1");
	clirun_expect_status(&r, 42);
	ASSERT_OK(uname(&host));
	n = strcspn(r.out, "\n");
	test_diag("guest %.*s, test host %s", (int)n, r.out, host.release);
	if (n < 5 || strncmp(r.out + n - 5, "-moat", 5)) {
		clirun_show(&r);
		FAIL("the release does not end in -moat");
	}
	ASSERT(n != strlen(host.release) || strncmp(r.out, host.release, n));
	snprintf(want, sizeof(want), "%.*s\n%s", (int)n, r.out, text);
	ASSERT_STREQ(r.out, want);
	ASSERT_STREQ(r.err, "err\n");
	clirun_expect_clean();
}

/* --- the lifecycle -------------------------------------------------------- */

TEST_TIMEOUT(create_start_exec_pause_kill_delete_on_moat_vmm, 400)
{
	static const char *const args[] = { "sleep", "1000", NULL };
	static struct clirun r;
	int shim, vmm;

	setup(args);
	shim = clirun_create("c1");
	/* the backend is moat-vmm, not QEMU */
	vmm = vmm_pid();
	if (!vmm)
		FAIL("no moat-vmm process shares a directory of %s",
		     clirun_root);
	ASSERT(!clirun_proc_mentioning("qemu-system", clirun_root));
	clirun_start("c1");
	/* exec: its output and exit status */
	moat(&r, "exec", "c1", "sh", "-c",
	     "echo in-guest $(cat /proc/1/cmdline | tr '\\0' ' '); exit 5");
	clirun_expect_status(&r, 5);
	if (!strstr(r.out, "in-guest sleep 1000")) {
		clirun_show(&r);
		FAIL("exec: want the container's init seen from the exec");
	}
	moat(&r, "ps", "--format", "json", "c1");
	clirun_expect_status(&r, 0);
	ASSERT(r.out[0] == '[');
	/* pause and resume */
	clirun_pause_resume("c1");
	moat(&r, "exec", "c1", "echo", "after-resume");
	clirun_expect_status(&r, 0);
	ASSERT_STREQ(r.out, "after-resume\n");
	/* kill: the shim dies of the container's signal, moat-vmm ends */
	clirun_kill_delete("c1", shim);
	ASSERT(!alive(vmm));
	clirun_expect_clean();
}

/* --- a terminal through --console-socket ---------------------------------- */

/* A console socket as an engine's (runc's recvtty): listen on path. */
static int console_listen(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ASSERT_OK(s);
	ASSERT(strlen(path) < sizeof(a.sun_path));
	strcpy(a.sun_path, path);
	ASSERT_OK(bind(s, (struct sockaddr *)&a, sizeof(a)));
	ASSERT_OK(listen(s, 1));
	return s;
}

/* Accept the runtime's connection and take the fd it sends (the pty
 * master); name receives the message's text (the pty's name). */
static int console_receive(int s, char *name, size_t cap)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { name, cap - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	struct pollfd p = { s, POLLIN, 0 };
	int conn, fd = -1;
	ssize_t n;

	ASSERT_EQ(poll(&p, 1, 10000), 1);
	conn = accept4(s, NULL, NULL, SOCK_CLOEXEC);
	ASSERT_OK(conn);
	memset(&u, 0, sizeof(u));
	mh.msg_control = u.b;
	mh.msg_controllen = sizeof(u.b);
	n = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC);
	ASSERT(n >= 0);
	name[n] = '\0';
	c = CMSG_FIRSTHDR(&mh);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int)))
		FAIL("the console socket got no fd");
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	close(conn);
	ASSERT(fd >= 0);
	return fd;
}

/* Read from the master into buf (appending at *len) until it holds want
 * or secs pass; true when it does. */
static bool read_until(int m, char *buf, size_t cap, size_t *len,
		       const char *want, int secs)
{
	time_t end = time(NULL) + secs;
	struct pollfd p = { m, POLLIN, 0 };
	ssize_t n;

	while (!strstr(buf, want) && time(NULL) < end) {
		if (poll(&p, 1, 200) <= 0)
			continue;
		n = read(m, buf + *len, cap - 1 - *len);
		if (n <= 0)
			break; /* EIO: the shim closed its side */
		*len += (size_t)n;
		buf[*len] = '\0';
	}
	return strstr(buf, want) != NULL;
}

TEST_TIMEOUT(terminal_through_the_console_socket_on_moat_vmm, 400)
{
	static const char *const args[] = {
		"sh", "-c",
		"tty; stty size; echo ready; read go; stty size; exit 3", NULL
	};
	static char buf[8192];
	static struct clirun r;
	struct winsize ws = { .ws_row = 40, .ws_col = 120 };
	char sock[128], name[128], *p;
	json_t *j = ociconf_base(args);
	size_t len = 0;
	int s, m;

	setup(args);
	ociconf_set(j, "process.terminal", json_true());
	ociconf_set(j, "process.consoleSize",
		    ociconf_parse("{ \"height\": 33, \"width\": 97 }"));
	clirun_config(j);
	snprintf(sock, sizeof(sock), "%s.sock", clirun_root);
	s = console_listen(sock);
	moat(&r, "create", "--bundle", clirun_bundle, "--console-socket", sock,
	     "t1");
	clirun_expect_status(&r, 0);
	m = console_receive(s, name, sizeof(name));
	close(s);
	unlink(sock);
	test_diag("the pty master came as %s", name);
	ASSERT(isatty(m));
	clirun_expect_state("t1", "created");
	ASSERT(vmm_pid());
	moat(&r, "start", "t1");
	clirun_expect_status(&r, 0);
	if (!read_until(m, buf, sizeof(buf), &len, "ready", 60)) {
		test_diag_block("terminal", buf, len);
		FAIL("the container's shell did not print ready");
	}
	/* the guest's side is a pty of the guest, sized as the config says */
	if (!strstr(buf, "/dev/pts/") || !strstr(buf, "33 97")) {
		test_diag_block("terminal", buf, len);
		FAIL("want a /dev/pts/N terminal of 33 rows, 97 columns");
	}
	/* a resize of the master reaches the guest's terminal */
	ASSERT_OK(ioctl(m, TIOCSWINSZ, &ws));
	usleep(1000000);
	ASSERT_EQ(write(m, "go\r", 3), 3);
	p = buf + len;
	if (!read_until(m, buf, sizeof(buf), &len, "40 120", 30)) {
		test_diag_block("terminal", buf, len);
		FAIL("the resize to 40x120 did not reach the guest");
	}
	ASSERT(p <= strstr(buf, "40 120"));
	clirun_wait_state("t1", "stopped", 30);
	close(m);
	clirun_delete_clean("t1", false);
}

/* --- faults --------------------------------------------------------------- */

TEST_TIMEOUT(kill_9_of_the_shim_leaves_no_moat_vmm, 300)
{
	static const char *const args[] = { "sleep", "1000", NULL };
	static struct clirun r;
	int shim, vmm, i;

	setup(args);
	moat(&r, "run", "--detach", "--bundle", clirun_bundle, "k1");
	clirun_expect_status(&r, 0);
	clirun_expect_state("k1", "running");
	shim = clirun_state_pid("k1");
	ASSERT(shim > 0);
	vmm = vmm_pid();
	if (!vmm)
		FAIL("no moat-vmm process shares a directory of %s",
		     clirun_root);
	ASSERT_OK(kill(shim, SIGKILL));
	clirun_wait_state("k1", "stopped", 10);
	/* moat-vmm dies with the shim (PR_SET_PDEATHSIG) */
	for (i = 0; i < 100 && alive(vmm); i++)
		usleep(50000);
	if (alive(vmm))
		FAIL("moat-vmm %d outlived its shim", vmm);
	clirun_delete_clean("k1", false);
}
