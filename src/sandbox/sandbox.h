/*
 * sandbox.h: what the shim owns: a VM backend behind one interface.
 *
 * A backend boots moat's guest kernel and initramfs with the bundle's root
 * filesystem exported as the share tagged SANDBOX_ROOTFS_TAG (virtio-fs on
 * QEMU, virtio-9p on moat-vmm; the agent mounts either), and hands
 * the shim one end of a socketpair that is the agent's channel (the guest's
 * /dev/hvc0, named on the kernel command line as moat.channel=). Backends:
 * qemu (qemu.h) and moat-vmm (vmm.h); sandbox_choose() picks one.
 *
 * Inputs: the config, built by the shim from the bundle's config.json,
 * moat.conf(5) (src/runtime/conf.h) and the environment. The channel
 * carries guest bytes: the shim reads them only through src/proto.
 */
#ifndef MOAT_SANDBOX_SANDBOX_H
#define MOAT_SANDBOX_SANDBOX_H

#include "../common/err.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define SANDBOX_ROOTFS_TAG "rootfs"
/* The agent's channel: the virtio-serial port of this name (the agent
 * finds it in /sys/class/virtio-ports); its writes do not wait for the
 * host page by page as an hvc console's do. */
#define SANDBOX_CHANNEL "moat.channel"
#define SANDBOX_MEM_DEFAULT_MIB 256
#define SANDBOX_CPUS_DEFAULT 1

/* The guest kernel and initramfs when neither the environment nor
 * moat.conf names them: the Makefile sets it from PREFIX (make install
 * puts them there). */
#ifndef MOAT_DATADIR
#define MOAT_DATADIR "/usr/local/share/moat"
#endif
#define SANDBOX_QEMU_DEFAULT "qemu-system-x86_64"
#define SANDBOX_VIRTIOFSD_DEFAULT "/usr/lib/qemu/virtiofsd"
#define SANDBOX_VMM_NAME "moat-vmm"

struct moat_conf;

/* A NIC of the VM: a tap (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR) the monitor
 * inherits under the same fd number, and the guest's MAC (src/sandbox/net.h
 * makes them). */
#define SANDBOX_NICS_MAX 8
#define SANDBOX_NIC_FD_MIN 16 /* above the fds the backends remap */
struct sandbox_nic {
	int fd; /* >= SANDBOX_NIC_FD_MIN, close-on-exec */
	unsigned char mac[6];
	unsigned mtu; /* offered to the guest's driver; 0: the default */
};

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
	/* Programs (absolute, or a name looked up in PATH); NULL: the
	 * backend's own default. */
	const char *qemu;		/* QEMU system emulator */
	const char *virtiofsd;		/* QEMU's virtio-fs daemon */
	const char *vmm;		/* moat-vmm */
	const struct sandbox_nic *nics; /* nnics NICs, in the guest's order */
	unsigned nnics;
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
 * Fill c with defaults: each path from its environment variable when set
 * and not empty, else from moat.conf (conf; NULL: none), else built in:
 *   kernel     MOAT_KERNEL     kernel     MOAT_DATADIR/bzImage
 *   initramfs  MOAT_INITRAMFS  initramfs  MOAT_DATADIR/initramfs.cpio
 *   qemu       MOAT_QEMU       qemu       SANDBOX_QEMU_DEFAULT (PATH)
 *   virtiofsd  MOAT_VIRTIOFSD  virtiofsd  SANDBOX_VIRTIOFSD_DEFAULT
 *   vmm        MOAT_VMM        vmm        moat-vmm beside this program
 * memory and vcpus from conf, else SANDBOX_MEM_DEFAULT_MIB and
 * SANDBOX_CPUS_DEFAULT (the container's resources may raise them later).
 * c's strings point into conf, the environment or static storage: conf
 * must outlive c.
 */
void sandbox_config_init(struct sandbox_config *c,
			 const struct moat_conf *conf);

/* sandbox_config_init(c, NULL). */
void sandbox_config_defaults(struct sandbox_config *c);

enum sandbox_kind {
	SANDBOX_KIND_VMM,
	SANDBOX_KIND_QEMU,
};

/*
 * Choose the backend: the container's annotation moat.hypervisor
 * (annotation; NULL when absent), else MOAT_HYPERVISOR, else conf's
 * hypervisor (conf may be NULL), else auto; auto means moat-vmm when
 * /dev/kvm opens read-write, else qemu (see conf_choose() in
 * src/runtime/conf.h). Returns 0 with *kind set, or -1 with *e naming
 * where a bad value came from ("annotation moat.hypervisor: ...",
 * "MOAT_HYPERVISOR: ...", "/etc/moat/moat.conf:3: hypervisor: ...").
 */
int sandbox_choose(const char *annotation, const struct moat_conf *conf,
		   enum sandbox_kind *kind, struct moat_err **e);

/*
 * 0 when this host can run moat's guests on KVM: /dev/kvm opens
 * read-write and the CPU offers VMX or SVM. Else the errno of the open,
 * or CONF_KVM_NO_HW (src/runtime/conf.h) when /dev/kvm is there without
 * hardware virtualisation behind it (a paravirtual KVM such as PVM).
 */
int sandbox_kvm_errno(void);

/* Whether CPUID's words say VMX or SVM (pure; for the unit test):
 * leaf1_ecx is CPUID.01H:ECX, max_ext CPUID.80000000H:EAX, ext1_ecx
 * CPUID.80000001H:ECX. */
bool sandbox_cpu_hw_virt(uint32_t leaf1_ecx, uint32_t max_ext,
			 uint32_t ext1_ecx);

/* 0 when path is a regular file; else -1 with *e naming what and path. */
int sandbox_check_file(const char *what, const char *path, struct moat_err **e);

/*
 * Fork and exec argv (argv[0] searched in PATH) with stdin from /dev/null,
 * stdout and stderr to log_fd (when >= 0), fd from1 as to1 and from2 as
 * to2 (when >= 0), no signal blocked, and death with the caller
 * (PR_SET_PDEATHSIG). Returns the pid, or -1 with *e set (also when the
 * exec failed).
 */
pid_t sandbox_spawn(const char *const *argv, int log_fd, int from1, int to1,
		    int from2, int to2, struct moat_err **e);

/*
 * The monitor's wait status when it exits within timeout_ms (it is reaped),
 * else -1: it runs on, for sandbox_stop to end.
 */
int sandbox_wait(struct sandbox *sb, int timeout_ms);

/*
 * Wait up to timeout_ms for the monitor to exit, then kill it (SIGKILL)
 * and reap it; then the helper, and the helper's socket. Closes the
 * channel. Returns the monitor's wait status, or -1 when there was none.
 * Safe to call twice.
 */
int sandbox_stop(struct sandbox *sb, int timeout_ms);

/*
 * The NICs' fds stay open across the next exec (FD_CLOEXEC cleared) when
 * inherit is true, or close on exec again when false: a backend brackets
 * the spawn of its monitor with these, so no other child inherits a tap.
 */
void sandbox_nics_inherit(const struct sandbox_config *c, bool inherit);

#endif
