/*
 * vm.h: one moat-vmm virtual machine, built in one ordered function and
 * torn down in the reverse order. One VM per process. Its devices come
 * from the device table (devices/device.h); what others may do to a
 * running VM (the control socket, main.c) is the public functions below.
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
#include "bus/bus.h"
#include "config.h"
#include "devices/device.h"
#include "devices/legacy/legacy.h"
#include "devices/virtio/dev.h"
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

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned index;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
};

/* One instance of a device kind, with its transport. */
struct vm_device {
	const struct device_ops *ops;
	void *state;	       /* ops->size bytes, the kind's own */
	struct virtio_dev *vd; /* its transport, once set up; else NULL */
	bool started;	       /* ops->start succeeded */
};

struct vm {
	struct kvm kvm;
	struct gmem mem;
	struct bus pio;
	struct bus mmio;
	struct legacy legacy; /* COM1, i8042 */
	bool has_legacy;
	unsigned ncpus;
	struct vcpu vcpu[LAYOUT_MAX_VCPUS];
	struct loop loop; /* the main thread's event loop */
	struct virtio_dev vdev[LAYOUT_VIRTIO_MAX];
	struct vm_device dev[LAYOUT_VIRTIO_MAX]; /* dev[i] on vdev[i] */
	unsigned ndev;
	int stop_fd; /* eventfd: a vCPU asks main to stop */
	/* Pausing: vCPUs park at the top of their loop while pause_req. */
	pthread_mutex_t pause_lock;
	pthread_cond_t pause_cond; /* parked count or pause_req changed */
	atomic_bool pause_req;
	unsigned parked;
	atomic_int exit_code; /* -1 until the first stop */
	atomic_bool stopping;
	atomic_bool exit_told; /* an unexpected exit has been described */
	const struct vm_config *cfg;
};

/* What vm_stats reports. */
struct vm_stats {
	bool paused;
	unsigned vcpus;
	uint64_t mem_bytes;
	struct device_stats dev; /* the devices' counters, summed */
};

/* Build the VM (KVM, memory, devices, guest image, vCPUs); nothing runs
 * yet. On failure all that was built is torn down. */
int vm_build(struct vm *vm, const struct vm_config *c, struct moat_err **e);

/* Run until the guest ends or a signal stops it; returns an enum vmm_exit. */
int vm_run(struct vm *vm);

void vm_destroy(struct vm *vm);

/* The main thread's event loop, on which main.c's own fds (the control
 * socket) are served while vm_run runs. */
struct loop *vm_loop(struct vm *vm);

/* Park every vCPU outside KVM_RUN; returns 0, or -1 when they did not all
 * park within 2 s (then the request stands until vm_resume). Main thread. */
int vm_pause(struct vm *vm);
void vm_resume(struct vm *vm);
bool vm_paused(struct vm *vm);

/* Ask the VM to stop with code (the first code wins). Thread-safe. */
void vm_stop(struct vm *vm, int code);

/* The VM's state and its devices' counters. Main thread. */
void vm_stats(struct vm *vm, struct vm_stats *s);

#endif
