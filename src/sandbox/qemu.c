/*
 * qemu.c: the QEMU backend (see qemu.h and sandbox.h).
 *
 * The VM: qemu-system-x86_64 -M microvm,acpi=off (no ACPI, so QEMU lists
 * its virtio-mmio devices on the kernel command line), -nodefaults
 * -no-user-config -display none -no-reboot (the agent's restart, reboot=t,
 * ends QEMU), the guest kernel and initramfs, the serial console appended
 * to the container's log, one virtio-serial-device whose virtserialport
 * named SANDBOX_CHANNEL is the agent's channel, and the bundle's root
 * filesystem as a virtio-fs share tagged "rootfs": a vhost-user-fs-device
 * served by QEMU's virtiofsd (MOAT_VIRTIOFSD, else
 * /usr/lib/qemu/virtiofsd), with guest memory in a shared memfd as
 * vhost-user needs. (The guest also mounts 9p, moat-vmm's share; on QEMU
 * virtio-fs is kept: virtiofsd runs sandboxed apart from QEMU.)
 *
 * The channel is a socketpair: QEMU gets one end by fd (-chardev
 * socket,fd=N), so it is connected before the guest runs. A unix socket
 * served by QEMU with nowait would drop what the agent writes before the
 * shim connects (its HELLO), and its path would be bound by sun_path's
 * 108 bytes.
 *
 * virtiofsd gets its listening socket by fd (bound in the container's
 * directory through /proc/self/fd/<dir>, like shim.sock, so the path's
 * length does not matter); QEMU reaches it through the directory fd it
 * inherits. Both processes die with the shim (PR_SET_PDEATHSIG).
 *
 * NICs (src/sandbox/net.h): each tap is inherited by QEMU alone, under its
 * own fd number (-netdev tap,fd=N), as a virtio-net-device with the
 * engine's MAC address and MTU (host_mtu).
 *
 * Inputs: the sandbox config (the shim's, from config.json and the
 * environment); paths are passed as QEMU option values, with ',' doubled
 * as QEMU's option syntax wants.
 */
#include "qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define QEMU_DEFAULT_BIN SANDBOX_QEMU_DEFAULT
#define QEMU_CHAN_FD 3 /* the channel's fd number in QEMU */
#define QEMU_DIR_FD 4  /* the socket directory's fd number in QEMU */
#define QEMU_VFSD_FD 3 /* the listening socket's fd number in virtiofsd */
#define QEMU_ARGS_MAX (56 + 4 * SANDBOX_NICS_MAX)

/* QEMU's send buffer on the channel: more than the output credit windows
 * of 32 processes (2 x 256 KiB each) in flight. */
#define QEMU_CHAN_BUF (16 << 20)
#define QEMU_DEFAULT_VIRTIOFSD SANDBOX_VIRTIOFSD_DEFAULT

/* s with every ',' doubled (QEMU's option escaping); malloc'd. */
static char *qemu_escape(const char *s)
{
	size_t n = strlen(s), i, j = 0;
	char *o = malloc(2 * n + 1);

	if (!o)
		return NULL;
	for (i = 0; i < n; i++) {
		o[j++] = s[i];
		if (s[i] == ',')
			o[j++] = ',';
	}
	o[j] = '\0';
	return o;
}

/* Bind and listen on dir_fd/SANDBOX_VIRTIOFS_SOCK. */
static int qemu_vfs_listen(int dir_fd, struct moat_err **e)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd, err;

	snprintf(a.sun_path, sizeof(a.sun_path), "/proc/self/fd/%d/%s", dir_fd,
		 SANDBOX_VIRTIOFS_SOCK);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return moat_err_set(e, errno, "virtiofs socket");
	unlinkat(dir_fd, SANDBOX_VIRTIOFS_SOCK, 0);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, 1) < 0) {
		err = errno;
		close(fd);
		return moat_err_set(e, err, "virtiofs socket");
	}
	return fd;
}

static int qemu_start(struct sandbox *sb, const struct sandbox_config *c,
		      struct moat_err **e)
{
	const char *bin = getenv("MOAT_QEMU"), *vfsd = getenv("MOAT_VIRTIOFSD");
	char mem[32], memobj[96], cpus[32], chardev[64], vfschar[96];
	char source[PATH_MAX + 16], serial[PATH_MAX + 64];
	char netdev[SANDBOX_NICS_MAX][48], nicdev[SANDBOX_NICS_MAX][96];
	char *log = NULL;
	const char *argv[QEMU_ARGS_MAX], *vargv[16];
	bool kvm = sandbox_kvm_errno() == 0;
	int sv[2] = { -1, -1 }, lfd = -1, n = 0;
	pid_t helper = 0, pid;

	if (c->qemu) /* sandbox_config_init: env, then moat.conf */
		bin = c->qemu;
	if (c->virtiofsd)
		vfsd = c->virtiofsd;
	if (!bin || !*bin)
		bin = QEMU_DEFAULT_BIN;
	if (!vfsd || !*vfsd)
		vfsd = QEMU_DEFAULT_VIRTIOFSD;
	if (c->dir_fd < 0)
		return moat_err_set(e, EINVAL, "qemu: no socket directory");
	if (sandbox_check_file("kernel", c->kernel, e) ||
	    sandbox_check_file("initramfs", c->initramfs, e))
		return -1;
	log = qemu_escape(c->log_path);
	if (!log)
		return moat_err_set(e, ENOMEM, "qemu");
	if ((size_t)snprintf(source, sizeof(source), "source=%s", c->rootfs) >=
		    sizeof(source) ||
	    strchr(c->rootfs, ',') ||
	    (size_t)snprintf(serial, sizeof(serial),
			     "file,id=console,path=%s,append=on",
			     log) >= sizeof(serial)) {
		moat_err_set(e, ENAMETOOLONG,
			     "qemu: rootfs or log path too long, or a rootfs "
			     "path with a comma");
		goto fail;
	}

	/* virtiofsd, serving the rootfs on a socket it gets by fd */
	lfd = qemu_vfs_listen(c->dir_fd, e);
	if (lfd < 0)
		goto fail;
	n = 0;
	vargv[n++] = vfsd;
	vargv[n++] = "--fd=3";
	vargv[n++] = "-o";
	vargv[n++] = source;
	vargv[n++] = "-o";
	vargv[n++] = "cache=none";
	vargv[n++] = "-o";
	vargv[n++] = "sandbox=chroot";
	vargv[n++] = "-o";
	vargv[n++] = "log_level=warn";
	vargv[n++] = "--rlimit-nofile=0";
	vargv[n] = NULL;
	helper = sandbox_spawn(vargv, c->log_fd, lfd, QEMU_VFSD_FD, -1, -1, e);
	close(lfd);
	lfd = -1;
	if (helper < 0) {
		helper = 0;
		moat_err_wrap(e, "virtiofsd");
		goto fail;
	}

	snprintf(mem, sizeof(mem), "%uM", c->mem_mib);
	snprintf(memobj, sizeof(memobj),
		 "memory-backend-memfd,id=mem,size=%uM,share=on", c->mem_mib);
	snprintf(cpus, sizeof(cpus), "%u", c->cpus);
	snprintf(chardev, sizeof(chardev), "socket,id=chan,fd=%d,server=off",
		 QEMU_CHAN_FD);
	snprintf(vfschar, sizeof(vfschar),
		 "socket,id=vfs,path=/proc/self/fd/%d/%s", QEMU_DIR_FD,
		 SANDBOX_VIRTIOFS_SOCK);
	n = 0;
	argv[n++] = bin;
	argv[n++] = "-M";
	argv[n++] = "microvm,acpi=off,memory-backend=mem";
	argv[n++] = "-accel";
	argv[n++] = kvm ? "kvm" : "tcg";
	argv[n++] = "-cpu";
	argv[n++] = kvm ? "host" : "max";
	argv[n++] = "-m";
	argv[n++] = mem;
	argv[n++] = "-object";
	argv[n++] = memobj;
	argv[n++] = "-smp";
	argv[n++] = cpus;
	/* virtio 1.0 over MMIO: vhost-user (libvhost-user) refuses legacy
	 * devices, microvm's default. */
	argv[n++] = "-global";
	argv[n++] = "virtio-mmio.force-legacy=false";
	argv[n++] = "-nodefaults";
	argv[n++] = "-no-user-config";
	argv[n++] = "-display";
	argv[n++] = "none";
	argv[n++] = "-no-reboot";
	argv[n++] = "-kernel";
	argv[n++] = c->kernel;
	argv[n++] = "-initrd";
	argv[n++] = c->initramfs;
	argv[n++] = "-append";
	/* no_timer_check: a vCPU starved of the host's CPU (TCG, many VMs
	 * booting at once) fails the kernel's check that the IO-APIC timer
	 * ticks, and the kernel panics ("IO-APIC + timer doesn't work!") */
	argv[n++] = "console=ttyS0 reboot=t panic=-1 quiet no_timer_check "
		    "moat.channel=" SANDBOX_CHANNEL;
	argv[n++] = "-chardev";
	argv[n++] = serial;
	argv[n++] = "-serial";
	argv[n++] = "chardev:console";
	argv[n++] = "-chardev";
	argv[n++] = chardev;
	argv[n++] = "-device";
	argv[n++] = "virtio-serial-device";
	argv[n++] = "-device";
	argv[n++] = "virtserialport,chardev=chan,name=" SANDBOX_CHANNEL;
	argv[n++] = "-chardev";
	argv[n++] = vfschar;
	argv[n++] = "-device";
	argv[n++] = "vhost-user-fs-device,chardev=vfs,tag=" SANDBOX_ROOTFS_TAG;
	/* The NICs: taps QEMU inherits under the same fd numbers. */
	for (unsigned i = 0; i < c->nnics && i < SANDBOX_NICS_MAX; i++) {
		const unsigned char *m = c->nics[i].mac;

		snprintf(netdev[i], sizeof(netdev[i]), "tap,id=n%u,fd=%d", i,
			 c->nics[i].fd);
		snprintf(nicdev[i], sizeof(nicdev[i]),
			 "virtio-net-device,netdev=n%u,"
			 "mac=%02x:%02x:%02x:%02x:%02x:%02x,host_mtu=%u",
			 i, m[0], m[1], m[2], m[3], m[4], m[5],
			 c->nics[i].mtu ? c->nics[i].mtu : 1500);
		argv[n++] = "-netdev";
		argv[n++] = netdev[i];
		argv[n++] = "-device";
		argv[n++] = nicdev[i];
	}
	argv[n] = NULL;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		moat_err_set(e, errno, "qemu: socketpair");
		goto fail;
	}
	/* QEMU's virtconsole dropped what its chardev could not take at once
	 * (hw/char/virtio-console.c: consoles are never throttled), which
	 * broke the channel's framing under a fast stream. The port used now
	 * is throttled, but the room stays: QEMU's end gets room for the
	 * credit windows in flight (SO_SNDBUFFORCE: we are root; the limit
	 * is then not net.core.wmem_max). */
	if (setsockopt(sv[1], SOL_SOCKET, SO_SNDBUFFORCE,
		       &(int){ QEMU_CHAN_BUF }, sizeof(int)) < 0) {
		moat_err_set(e, errno, "qemu: channel send buffer");
		close(sv[1]);
		goto fail;
	}
	sandbox_nics_inherit(c, true);
	pid = sandbox_spawn(argv, c->log_fd, sv[1], QEMU_CHAN_FD, c->dir_fd,
			    QEMU_DIR_FD, e);
	sandbox_nics_inherit(c, false);
	close(sv[1]);
	sv[1] = -1;
	if (pid < 0) {
		moat_err_wrap(e, "qemu");
		goto fail;
	}
	sb->ops = &sandbox_qemu;
	sb->pid = pid;
	sb->helper = helper;
	sb->chan_fd = sv[0];
	sb->dir_fd = c->dir_fd;
	free(log);
	return 0;
fail:
	if (sv[0] >= 0)
		close(sv[0]);
	if (lfd >= 0)
		close(lfd);
	if (helper > 0) {
		kill(helper, SIGKILL);
		waitpid(helper, NULL, 0);
	}
	unlinkat(c->dir_fd, SANDBOX_VIRTIOFS_SOCK, 0);
	free(log);
	return -1;
}

const struct sandbox_ops sandbox_qemu = {
	.name = "qemu",
	.start = qemu_start,
};
