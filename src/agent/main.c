/*
 * moat-agent: PID 1 inside every moat VM (static binary, /init of the
 * guest initramfs), and the same container logic on a host for tests.
 *
 * Usage:
 *   moat-agent                 (as PID 1 of the guest)
 *   moat-agent --channel-fd N [--share-dir DIR] [--cgroup-root DIR]
 *   moat-agent --help
 *
 * Guest mode (PID 1, no arguments): mount /proc and print the ready line
 * (src/proto/ready.h) with the guest's uptime on the console. Then, when
 * the kernel command line has moat.channel=<path> (a virtio console such
 * as /dev/hvc1) or moat.channel=<name> (the virtio-serial port of that
 * name, found in /sys/class/virtio-ports: the backends' choice, since a
 * port's writes do not wait for the host the way an hvc console's do),
 * mount /sys, /dev, /dev/pts, /dev/shm, /run and
 * cgroup2 on /sys/fs/cgroup, and serve the wire protocol on that port
 * (bundles are 9p shares by tag); without it, or when serving ends, end
 * the VM.
 *
 * Host mode (--channel-fd): serve the wire protocol on the inherited fd N
 * (a socketpair end); a bundle's tag T is the directory DIR/T of
 * --share-dir; --cgroup-root names a cgroup2 directory under which the
 * container gets its group (without it, a config that asks for limits is
 * refused). The agent makes itself a child subreaper so that it reaps
 * every process it started. Exit status: 0 after SHUTDOWN, 1 when the
 * channel ended or broke, 2 for a usage error.
 *
 * Inputs: the kernel (command line, /proc) and the host, over the channel
 * (serve.c). Output: the console, which the host reads as untrusted bytes.
 *
 * Ending the VM: a guest without ACPI cannot power off (the kernel turns a
 * power-off into a halt), so the agent asks for a restart; the VMM is told
 * on the command line how to turn that into an exit (reboot=t/k and QEMU's
 * -no-reboot). Run as the init of a PID namespace on the host (the host
 * tests do this), the same reboot(2) call ends the namespace with SIGHUP.
 */
#include "opts.h"
#include "serve.h"
#include "share.h"
#include "../common/log.h"
#include "../proto/ready.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/reboot.h>
#include <dirent.h>
#include <poll.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define AGENT_CHANNEL_ARG "moat.channel="
#define AGENT_PORTS "/sys/class/virtio-ports"
#define AGENT_PORT_CHARS \
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-"
/* A port (and a console of a multiport device) appears after the driver's
 * handshake with the device: looked for every AGENT_TICK_MS, this long. */
#define AGENT_PORT_WAIT_MS 10000
#define AGENT_TICK_MS 10

/* End the VM (or, as a namespace's init, the namespace). Never returns. */
static void __attribute__((noreturn)) agent_end_vm(void)
{
	sync();
	reboot(RB_AUTOBOOT);
	log_error("reboot: %s", strerror(errno));
	for (;;)
		pause();
}

/* Read the uptime in milliseconds from /proc/uptime ("SECS.CC IDLE"). */
static int agent_uptime_ms(unsigned long long *ms)
{
	char buf[128];
	unsigned long long s = 0, frac = 0;
	int fd, scale = 1000;
	ssize_t n;
	char *p;

	fd = open("/proc/uptime", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	for (p = buf; *p >= '0' && *p <= '9'; p++)
		s = s * 10 + (unsigned long long)(*p - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9' && scale > 1; p++) {
			scale /= 10;
			frac += (unsigned long long)(*p - '0') *
				(unsigned long long)scale;
		}
	*ms = s * 1000 + frac;
	return 0;
}

/*
 * The value of moat.channel= on the kernel command line, copied into
 * out[0..cap): 1 when found (an absolute path under /dev, or a port name
 * of [A-Za-z0-9._-]), else 0.
 */
static int agent_channel_arg(char *out, size_t cap)
{
	char buf[4096], *p, *end;
	ssize_t n;
	size_t len;
	int fd;

	fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (p = buf; (p = strstr(p, AGENT_CHANNEL_ARG)); p++) {
		if (p != buf && p[-1] != ' ')
			continue;
		p += strlen(AGENT_CHANNEL_ARG);
		end = p + strcspn(p, " \n");
		len = (size_t)(end - p);
		if (!len || len >= cap)
			return 0;
		if (!strncmp(p, "/dev/", 5) ? memmem(p, len, "..", 2) != NULL
					    : strspn(p, AGENT_PORT_CHARS) < len)
			return 0;
		memcpy(out, p, len);
		out[len] = '\0';
		return 1;
	}
	return 0;
}

#define AGENT_AGAIN (-2) /* an attempt of agent_until's: not yet */

/*
 * Call attempt(arg) every AGENT_TICK_MS until it returns other than
 * AGENT_AGAIN, for AGENT_PORT_WAIT_MS at most (what it waits for comes
 * from the driver's handshake with the device, maybe after init started):
 * its result, or -1 when the time ran out (errno as the last attempt left
 * it).
 */
static int agent_until(int (*attempt)(void *arg), void *arg)
{
	static const struct timespec tick = { .tv_nsec = AGENT_TICK_MS *
							 1000000L };
	int waited, r;

	for (waited = 0;; waited += AGENT_TICK_MS) {
		r = attempt(arg);
		if (r != AGENT_AGAIN)
			return r;
		if (waited >= AGENT_PORT_WAIT_MS)
			return -1;
		nanosleep(&tick, NULL);
	}
}

struct agent_port {
	const char *name; /* the port's name */
	char *path;	  /* its device, "/dev/vportNpM", into path[0..cap) */
	size_t cap;
};

/* An attempt: the device of the virtio-serial port named p->name. */
static int agent_find_port(void *arg)
{
	struct agent_port *p = arg;
	DIR *d = opendir(AGENT_PORTS);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char f[300], got[128];
		ssize_t n;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		snprintf(f, sizeof(f), AGENT_PORTS "/%s/name", de->d_name);
		fd = open(f, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue; /* no name (yet) */
		n = read(fd, got, sizeof(got) - 1);
		close(fd);
		if (n <= 0)
			continue;
		got[n] = '\0';
		got[strcspn(got, "\n")] = '\0';
		if (strcmp(got, p->name))
			continue;
		n = (ssize_t)strlen(de->d_name);
		if ((size_t)n + 6 > p->cap)
			continue;
		memcpy(p->path, "/dev/", 5);
		memcpy(p->path + 5, de->d_name, (size_t)n + 1);
		closedir(d);
		return 0;
	}
	if (d)
		closedir(d);
	return AGENT_AGAIN;
}

/*
 * An attempt: the channel's device, opened (its fd). A console named by
 * its path (/dev/hvc0) is added by the same handshake as a port when the
 * device is multiport, as QEMU's virtio-serial is, so its node may come
 * after init started.
 */
static int agent_open_channel(void *arg)
{
	int fd = open(arg, O_RDWR | O_NOCTTY | O_CLOEXEC);

	return fd < 0 && (errno == ENOENT || errno == ENXIO) ? AGENT_AGAIN : fd;
}

/*
 * An attempt: a port's poll says POLLHUP until the device has told the
 * guest that the host end is open (its PORT_OPEN comes just after the name
 * the port was found by), and a read then is EOF.
 */
static int agent_host_open(void *arg)
{
	struct pollfd p = { .fd = *(int *)arg, .events = POLLOUT };

	return poll(&p, 1, 0) >= 0 && !(p.revents & POLLHUP) ? 0 : AGENT_AGAIN;
}

static void agent_mount(const char *src, const char *dir, const char *type,
			unsigned long flags, const char *data)
{
	mkdir(dir, 0755);
	if (mount(src, dir, type, flags, data) < 0 && errno != EBUSY)
		log_error("mount %s: %s", dir, strerror(errno));
}

/*
 * Leave the initramfs root: pivot_root(2) refuses to move a root that is
 * the initial rootfs (it has no parent mount), and every container
 * pivots. So the agent moves itself onto a bind mount of / (which has a
 * parent) and chroots into it, as switch_root-less inits do.
 */
static void agent_leave_rootfs(void)
{
	if (mkdir("/.root", 0700) < 0 && errno != EEXIST)
		goto fail;
	if (mount("/", "/.root", NULL, MS_BIND | MS_REC, NULL) < 0 ||
	    chdir("/.root") < 0 ||
	    mount("/.root", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 ||
	    chdir("/") < 0)
		goto fail;
	return;
fail:
	log_error("leave the initramfs root: %s", strerror(errno));
}

/* Guest mode, after the ready line: serve the channel, if there is one. */
static void agent_guest_serve(void)
{
	struct agent_opts o = { .shares = &share_9p, .guest = true };
	char path[256];
	struct termios t;
	int fd;

	if (!agent_channel_arg(path, sizeof(path)))
		return;
	agent_leave_rootfs();
	agent_mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		    NULL);
	agent_mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
	agent_mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
		    "newinstance,ptmxmode=0666,mode=0620");
	agent_mount("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV,
		    "mode=1777");
	agent_mount("run", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
	agent_mount("cgroup2", "/sys/fs/cgroup", "cgroup2",
		    MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	o.cgroup_root = "/sys/fs/cgroup";
	if (path[0] != '/') {
		char name[sizeof(path)];

		memcpy(name, path, sizeof(name));
		if (agent_until(agent_find_port,
				&(struct agent_port){ name, path,
						      sizeof(path) }) < 0) {
			log_error("no virtio-serial port %s", name);
			return;
		}
	}
	fd = agent_until(agent_open_channel, path);
	if (fd < 0) {
		log_error("open %s: %s", path, strerror(errno));
		return;
	}
	if (agent_until(agent_host_open, &fd) < 0) {
		log_error("%s: the host end did not open within %d ms", path,
			  AGENT_PORT_WAIT_MS);
		close(fd);
		return;
	}
	if (tcgetattr(fd, &t) == 0) { /* a console; a port is no tty */
		cfmakeraw(&t);
		tcsetattr(fd, TCSANOW, &t);
	}
	o.channel_fd = fd;
	serve_run(&o);
}

static int agent_guest(void)
{
	unsigned long long ms = 0;
	char line[READY_LINE_MAX + 2];
	int n;

	mkdir("/proc", 0555);
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) &&
	    errno != EBUSY) {
		log_error("mount /proc: %s", strerror(errno));
		agent_end_vm();
	}
	if (agent_uptime_ms(&ms)) {
		log_error("read /proc/uptime: %s", strerror(errno));
		agent_end_vm();
	}
	n = ready_format(line, sizeof(line), ms);
	if (n < 0 || write(STDOUT_FILENO, line, (size_t)n) != n)
		log_error("cannot write the ready line");
	agent_guest_serve();
	agent_end_vm();
}

static void agent_usage(FILE *f)
{
	fputs("usage: moat-agent                 (PID 1 of a moat VM)\n"
	      "       moat-agent --channel-fd N [--share-dir DIR] "
	      "[--cgroup-root DIR]\n"
	      "\n"
	      "Host mode serves the host<->agent protocol on fd N; a bundle "
	      "tagged T\n"
	      "is DIR/T of --share-dir; --cgroup-root is a cgroup2 directory "
	      "for the\n"
	      "container's group. In a VM, the agent serves the port named "
	      "by\n"
	      "moat.channel=<path> on the kernel command line.\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct log_sink console = { STDERR_FILENO, LOG_FMT_PLAIN,
						 "moat-agent: " };
	struct agent_opts o = { .channel_fd = -1, .shares = &share_host_dir };
	char *end;
	long v;
	int i;

	log_setup(&console);
	if (argc == 1) {
		if (getpid() != 1) {
			log_error("must run as PID 1");
			return 1;
		}
		return agent_guest();
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help")) {
			agent_usage(stdout);
			return 0;
		}
		if (i + 1 >= argc)
			goto usage;
		if (!strcmp(argv[i], "--channel-fd")) {
			errno = 0;
			v = strtol(argv[++i], &end, 10);
			if (errno || *end || v < 0 || v > 65535)
				goto usage;
			o.channel_fd = (int)v;
		} else if (!strcmp(argv[i], "--share-dir")) {
			o.share_dir = argv[++i];
		} else if (!strcmp(argv[i], "--cgroup-root")) {
			o.cgroup_root = argv[++i];
		} else {
			goto usage;
		}
	}
	if (o.channel_fd < 0 || fcntl(o.channel_fd, F_GETFD) < 0)
		goto usage;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		log_error("child subreaper: %s", strerror(errno));
	return serve_run(&o);
usage:
	agent_usage(stderr);
	return 2;
}
