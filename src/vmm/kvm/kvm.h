/*
 * kvm.h: the KVM API as moat-vmm uses it. Every ioctl goes through
 * kvm_ioctl(), which checks at compile time that the argument's size is the
 * size encoded in the request number; __kvm_ioctl() returns the raw result.
 * Inputs: our own code. Spec: Linux Documentation/virt/kvm/api.rst.
 */
#ifndef MOAT_VMM_KVM_H
#define MOAT_VMM_KVM_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#include "../../common/err.h"

int __kvm_ioctl(int fd, unsigned long req, void *arg);

/* ioctl with an argument struct whose size must match the request's. */
#define kvm_ioctl(fd, req, arg)                                           \
	({                                                                \
		_Static_assert(_IOC_SIZE(req) == sizeof(*(arg)),          \
			       "kvm_ioctl: argument size does not match " \
			       "the request");                            \
		__kvm_ioctl(fd, req, arg);                                \
	})

/* ioctl whose argument is an integer (or none). */
#define kvm_ioctl_val(fd, req, val)                                      \
	({                                                               \
		_Static_assert(_IOC_SIZE(req) == 0,                      \
			       "kvm_ioctl_val: request takes a struct"); \
		__kvm_ioctl(fd, req, (void *)(uintptr_t)(val));          \
	})

struct kvm {
	int sys_fd;	 /* /dev/kvm */
	int vm_fd;	 /* the VM */
	size_t run_size; /* size of each vCPU's struct kvm_run mapping */
	struct kvm_cpuid2 *supported_cpuid;
	bool tsc_deadline; /* KVM_CAP_TSC_DEADLINE_TIMER: the LAPIC has it */
};

/* Open /dev/kvm (path overridable), check the API version and the
 * capabilities moat-vmm needs, create the VM with an in-kernel irqchip and
 * PIT. On failure everything opened is closed. */
int kvm_open(struct kvm *k, const char *dev, struct moat_err **e);
void kvm_close(struct kvm *k);

/* Map [gpa, gpa+size) of the guest to host memory at hva. */
int kvm_set_memory(struct kvm *k, uint32_t slot, uint64_t gpa, uint64_t size,
		   void *hva, struct moat_err **e);

#endif
