/*
 * vm.h: one moat-vmm virtual machine, built in one ordered function and
 * torn down in the reverse order. One VM per process.
 */
#ifndef MOAT_VMM_VM_H
#define MOAT_VMM_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "../common/err.h"
#include "../common/loop.h"
#include "arch/x86_64/layout.h"
#include "ctl.h"
#include "bus/bus.h"
#include "devices/legacy/serial.h"
#include "devices/virtio/block.h"
#include "devices/virtio/console.h"
#include "devices/virtio/dev.h"
#include "devices/virtio/net.h"
#include "devices/virtio/p9dev.h"
#include "kvm/kvm.h"
#include "mem/gmem.h"

/* moat-vmm's exit status. */
enum vmm_exit {
	VMM_EXIT_GUEST = 0,	   /* the guest powered off or rebooted */
	VMM_EXIT_ERROR = 1,	   /* start-up failed (bad option, file, KVM) */
	VMM_EXIT_USAGE = 2,	   /* bad command line */
	VMM_EXIT_TRIPLE_FAULT = 3, /* the guest triple-faulted */
	VMM_EXIT_INTERNAL = 4,	   /* KVM failed to run the guest */
	VMM_EXIT_KILLED = 5,	   /* stopped from outside (signal, control) */
};

#define VM_MAX_VCONSOLES 4
#define VM_MAX_BLOCKS 4
#define VM_MAX_SHARES 8
#define VM_MAX_NETS 4

/* A virtio-9p share: a host directory the guest mounts by tag. */
struct vm_share_config {
	const char *tag; /* 1..P9_TAG_MAX bytes */
	const char *path;
	bool ro;
	bool submounts; /* cross mount points under path */
};

/* A virtio-blk device: a raw image (or block device), opened before the
 * guest runs. */
struct vm_block_config {
	const char *path;
	bool ro;
	const char *id; /* GET_ID string (<= 20 bytes), NULL: "moat-blkN" */
};

/* A virtio-net device on a tap: inherited (fd) or attached by name. */
struct vm_net_config {
	int fd;		    /* >= 0: an inherited tap fd */
	const char *ifname; /* else: the existing tap to attach to */
	uint8_t mac[6];
	bool has_mac; /* else a random locally administered one */
	unsigned mtu; /* 0: not offered to the guest */
};

struct vm_config {
	const char *kernel;
	const char *initrd;
	const char *cmdline; /* appended to moat-vmm's own arguments */
	uint64_t mem_bytes;
	unsigned ncpus;
	int console_out;			/* -1: discard */
	int console_in;				/* -1: none */
	const char *kvm_dev;			/* NULL: /dev/kvm */
	const char *vconsole[VM_MAX_VCONSOLES]; /* hvc0, hvc1, ...: backends */
	const char *vport[VM_MAX_VCONSOLES];	/* NULL, or the port's name */
	unsigned nvconsole;
	bool rng;				     /* a virtio-rng device */
	struct vm_block_config block[VM_MAX_BLOCKS]; /* vda, vdb, ... */
	unsigned nblock;
	struct vm_share_config share[VM_MAX_SHARES];
	unsigned nshare;
	struct vm_net_config net[VM_MAX_NETS]; /* eth0, eth1, ... */
	unsigned nnet;
	const char *control; /* control socket path, or NULL */
};

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
};

struct serial_dev {
	pthread_mutex_t lock;
	struct serial s;
	bool irq;
	int out_fd;
	struct vm *vm;
};

struct vm {
	struct kvm kvm;
	struct gmem mem;
	struct bus pio;
	struct bus mmio;
	struct serial_dev serial;
	unsigned ncpus;
	struct vcpu vcpu[LAYOUT_MAX_VCPUS];
	struct loop loop; /* the main thread's event loop */
	struct virtio_dev vdev[LAYOUT_VIRTIO_MAX];
	unsigned nvdev;
	struct console cons[VM_MAX_VCONSOLES];
	unsigned ncons;
	struct block blk[VM_MAX_BLOCKS];
	unsigned nblk;
	struct p9dev p9[VM_MAX_SHARES];
	unsigned np9;
	struct net net[VM_MAX_NETS];
	unsigned nnet;
	int stop_fd; /* eventfd: a vCPU asks main to stop */
	/* Pausing: vCPUs park at the top of their loop while pause_req. */
	pthread_mutex_t pause_lock;
	pthread_cond_t pause_cond; /* parked count or pause_req changed */
	atomic_bool pause_req;
	unsigned parked;
	struct ctl ctl;
	bool has_ctl;
	atomic_int exit_code; /* -1 until the first stop */
	atomic_bool stopping;
	const struct vm_config *cfg;
};

/* Build the VM (KVM, memory, devices, guest image, vCPUs); nothing runs
 * yet. On failure all that was built is torn down. */
int vm_build(struct vm *vm, const struct vm_config *c, struct moat_err **e);

/* Run until the guest ends or a signal stops it; returns an enum vmm_exit. */
int vm_run(struct vm *vm);

void vm_destroy(struct vm *vm);

/* Park every vCPU outside KVM_RUN; returns 0, or -1 when they did not all
 * park within 2 s (then the request stands until vm_resume). Main thread. */
int vm_pause(struct vm *vm);
void vm_resume(struct vm *vm);
bool vm_paused(struct vm *vm);

/* Ask the VM to stop with code (the first code wins). Thread-safe. */
void vm_stop(struct vm *vm, int code);

#endif
