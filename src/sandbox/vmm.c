/*
 * vmm.c: the moat-vmm backend (see vmm.h and sandbox.h).
 *
 * The VM: moat-vmm --kernel --initrd --memory --cpus, the serial console
 * to the container's log (moat-vmm's stdout and stderr are the log fd, and
 * --console fd:1), a virtio-rng device, one virtio console whose port 0,
 * named SANDBOX_CHANNEL, is the agent's channel: one end of a socketpair
 * passed as fd 3 (--vport moat.channel=fd:3), so it is connected before the
 * guest runs and nothing the agent writes is lost; and the bundle's root
 * filesystem as the virtio-9p share tagged SANDBOX_ROOTFS_TAG (--share
 * rootfs=PATH, with ,ro for root.readonly: the device itself then refuses
 * every change). moat-vmm boots with "console=ttyS0 reboot=k panic=-1
 * no_timer_check", to which "quiet moat.channel=moat.channel" is added: the
 * agent's reboot at the end reaches the i8042 and ends moat-vmm with status 0.
 * moat-vmm dies with the caller (PR_SET_PDEATHSIG).
 *
 * NICs (src/sandbox/net.h): --net fd:N,mac=MAC,mtu=MTU for each tap, which
 * moat-vmm inherits under the same fd number (a tap opened with IFF_TAP |
 * IFF_NO_PI | IFF_VNET_HDR).
 *
 * Inputs: the sandbox config (the shim's); the rootfs path goes into an
 * option value where a comma would end it, so a path with a comma is
 * refused.
 */
#include "vmm.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define VMM_CHAN_FD 3 /* the channel's fd number in moat-vmm */
#define VMM_ARGS_MAX (32 + 2 * SANDBOX_NICS_MAX)

static int vmm_start(struct sandbox *sb, const struct sandbox_config *c,
		     struct moat_err **e)
{
	const char *bin = c->vmm && *c->vmm ? c->vmm : SANDBOX_VMM_NAME;
	char mem[32], cpus[32], vcon[64], share[PATH_MAX + 32];
	char net[SANDBOX_NICS_MAX][64];
	const char *argv[VMM_ARGS_MAX];
	int sv[2], n = 0;
	pid_t pid;

	if (sandbox_check_file("kernel", c->kernel, e) ||
	    sandbox_check_file("initramfs", c->initramfs, e))
		return -1;
	if (strchr(c->rootfs, ',') ||
	    /* submounts: the shim's share is bind mounts on a tmpfs */
	    (size_t)snprintf(share, sizeof(share), "%s=%s%s,submounts",
			     SANDBOX_ROOTFS_TAG, c->rootfs,
			     c->rootfs_readonly ? ",ro" : "") >= sizeof(share))
		return moat_err_set(e, ENAMETOOLONG,
				    "moat-vmm: rootfs path too long, or with a "
				    "comma");
	snprintf(mem, sizeof(mem), "%u", c->mem_mib);
	snprintf(cpus, sizeof(cpus), "%u", c->cpus);
	snprintf(vcon, sizeof(vcon), SANDBOX_CHANNEL "=fd:%d", VMM_CHAN_FD);
	argv[n++] = bin;
	argv[n++] = "--kernel";
	argv[n++] = c->kernel;
	argv[n++] = "--initrd";
	argv[n++] = c->initramfs;
	argv[n++] = "--memory";
	argv[n++] = mem;
	argv[n++] = "--cpus";
	argv[n++] = cpus;
	/* stdout is the log fd (sandbox_spawn), or /dev/null without one */
	argv[n++] = "--console";
	argv[n++] = c->log_fd >= 0 ? "fd:1" : "none";
	argv[n++] = "--vport";
	argv[n++] = vcon;
	argv[n++] = "--rng";
	argv[n++] = "--share";
	argv[n++] = share;
	argv[n++] = "--cmdline";
	argv[n++] = "quiet moat.channel=" SANDBOX_CHANNEL;
	for (unsigned i = 0; i < c->nnics && i < SANDBOX_NICS_MAX; i++) {
		const unsigned char *m = c->nics[i].mac;

		int k = snprintf(net[i], sizeof(net[i]),
				 "fd:%d,mac=%02x:%02x:%02x:%02x:%02x:%02x",
				 c->nics[i].fd, m[0], m[1], m[2], m[3], m[4],
				 m[5]);

		if (c->nics[i].mtu)
			snprintf(net[i] + k, sizeof(net[i]) - (size_t)k,
				 ",mtu=%u", c->nics[i].mtu);
		argv[n++] = "--net";
		argv[n++] = net[i];
	}
	argv[n] = NULL;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return moat_err_set(e, errno, "moat-vmm: socketpair");
	sandbox_nics_inherit(c, true);
	pid = sandbox_spawn(argv, c->log_fd, sv[1], VMM_CHAN_FD, -1, -1, e);
	sandbox_nics_inherit(c, false);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return moat_err_wrap(e, "moat-vmm");
	}
	sb->ops = &sandbox_vmm;
	sb->pid = pid;
	sb->helper = 0;
	sb->chan_fd = sv[0];
	sb->dir_fd = c->dir_fd;
	return 0;
}

const struct sandbox_ops sandbox_vmm = {
	.name = "moat-vmm",
	.start = vmm_start,
};
