/*
 * sandbox.h: what the shim owns: a VM backend behind one interface.
 *
 * A backend boots moat's guest kernel and initramfs with the bundle's root
 * filesystem exported as the 9p share tagged SANDBOX_ROOTFS_TAG, and hands
 * the shim one end of a socketpair that is the agent's channel (the guest's
 * /dev/hvc0, named on the kernel command line as moat.channel=). Backends:
 * qemu (qemu.h) today; moat-vmm later.
 *
 * Inputs: the config, built by the shim from the bundle's config.json and
 * the environment. The channel carries guest bytes: the shim reads them
 * only through src/proto.
 */
#ifndef MOAT_SANDBOX_SANDBOX_H
#define MOAT_SANDBOX_SANDBOX_H

#include "../common/err.h"

#include <stdbool.h>
#include <sys/types.h>

#define SANDBOX_ROOTFS_TAG "rootfs"
#define SANDBOX_CHANNEL "/dev/hvc0"
#define SANDBOX_MEM_DEFAULT_MIB 256
#define SANDBOX_CPUS_DEFAULT 1

#ifndef MOAT_DATADIR
#define MOAT_DATADIR "/usr/local/share/moat"
#endif

struct sandbox_config {
	const char *kernel;    /* bzImage */
	const char *initramfs; /* the agent's cpio */
	const char *rootfs;    /* host directory exported as the root share */
	bool rootfs_readonly;
	unsigned mem_mib;
	unsigned cpus;
	int log_fd; /* console and the monitor's own messages (O_APPEND) */
	const char *log_path; /* the same file, for monitors that open it */
	int dir_fd; /* a private directory for the backend's sockets */
};

/* The virtio-fs daemon's socket in dir_fd (QEMU backend). */
#define SANDBOX_VIRTIOFS_SOCK "virtiofs.sock"

struct sandbox {
	const struct sandbox_ops *ops;
	pid_t pid;    /* the monitor process, 0 when none */
	pid_t helper; /* a helper process (virtiofsd), 0 when none */
	int chan_fd;  /* the shim's end of the agent channel, -1 when none */
	int dir_fd;   /* the config's dir_fd, for cleaning up; -1: none */
};

#define SANDBOX_INIT               \
	{                          \
		NULL, 0, 0, -1, -1 \
	}

struct sandbox_ops {
	const char *name;
	/*
	 * Start the VM. On success sb->pid and sb->chan_fd are set (the
	 * channel is connected before the guest runs, so nothing the agent
	 * writes is lost); the monitor dies with the calling thread
	 * (PR_SET_PDEATHSIG). Returns 0, or -1 with *e set and nothing left
	 * running.
	 */
	int (*start)(struct sandbox *sb, const struct sandbox_config *c,
		     struct moat_err **e);
};

/*
 * Fill c with defaults: kernel and initramfs from MOAT_KERNEL and
 * MOAT_INITRAMFS, else MOAT_DATADIR; memory and vCPUs defaults.
 */
void sandbox_config_defaults(struct sandbox_config *c);

/*
 * Wait up to timeout_ms for the monitor to exit, then kill it (SIGKILL)
 * and reap it; then the helper, and the helper's socket. Closes the
 * channel. Returns the monitor's wait status, or -1 when there was none.
 * Safe to call twice.
 */
int sandbox_stop(struct sandbox *sb, int timeout_ms);

#endif
