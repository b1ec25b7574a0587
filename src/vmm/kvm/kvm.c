/*
 * kvm.c: opening KVM and creating the VM (see kvm.h).
 * Inputs: our own code; the host kernel's answers.
 */
#include "kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../arch/x86_64/layout.h"

#define KVM_CPUID_MAX_ENTRIES 256

int __kvm_ioctl(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r;
}

static const struct {
	int cap;
	const char *name;
} kvm_required_caps[] = {
	{ KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP" },
	{ KVM_CAP_HLT, "KVM_CAP_HLT" },
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_SET_TSS_ADDR, "KVM_CAP_SET_TSS_ADDR" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
	{ KVM_CAP_PIT2, "KVM_CAP_PIT2" },
	{ KVM_CAP_IOEVENTFD, "KVM_CAP_IOEVENTFD" },
	{ KVM_CAP_IRQFD, "KVM_CAP_IRQFD" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
};

int kvm_open(struct kvm *k, const char *dev, struct moat_err **e)
{
	struct kvm_pit_config pit = { .flags = 0 };
	size_t i;
	int r;

	memset(k, 0, sizeof(*k));
	k->vm_fd = -1;
	k->sys_fd = open(dev ? dev : "/dev/kvm", O_RDWR | O_CLOEXEC);
	if (k->sys_fd < 0)
		return moat_err_set(e, errno, "open %s",
				    dev ? dev : "/dev/kvm");
	r = kvm_ioctl_val(k->sys_fd, KVM_GET_API_VERSION, 0);
	if (r != KVM_API_VERSION) {
		moat_err_set(e, 0, "KVM API version %d, need %d", r,
			     KVM_API_VERSION);
		goto fail;
	}
	for (i = 0;
	     i < sizeof(kvm_required_caps) / sizeof(kvm_required_caps[0]);
	     i++) {
		if (kvm_ioctl_val(k->sys_fd, KVM_CHECK_EXTENSION,
				  kvm_required_caps[i].cap) <= 0) {
			moat_err_set(e, 0, "KVM lacks %s",
				     kvm_required_caps[i].name);
			goto fail;
		}
	}
	k->tsc_deadline = kvm_ioctl_val(k->sys_fd, KVM_CHECK_EXTENSION,
					KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	r = kvm_ioctl_val(k->sys_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (r < (int)sizeof(struct kvm_run)) {
		moat_err_set(e, errno, "KVM_GET_VCPU_MMAP_SIZE");
		goto fail;
	}
	k->run_size = (size_t)r;
	k->supported_cpuid =
		calloc(1, sizeof(*k->supported_cpuid) +
				  KVM_CPUID_MAX_ENTRIES *
					  sizeof(struct kvm_cpuid_entry2));
	if (!k->supported_cpuid) {
		moat_err_set(e, ENOMEM, "cpuid table");
		goto fail;
	}
	k->supported_cpuid->nent = KVM_CPUID_MAX_ENTRIES;
	/* KVM_GET_SUPPORTED_CPUID's argument is variable-sized. */
	if (__kvm_ioctl(k->sys_fd, KVM_GET_SUPPORTED_CPUID,
			k->supported_cpuid) < 0) {
		moat_err_set(e, errno, "KVM_GET_SUPPORTED_CPUID");
		goto fail;
	}
	k->vm_fd = kvm_ioctl_val(k->sys_fd, KVM_CREATE_VM, 0);
	if (k->vm_fd < 0) {
		moat_err_set(e, errno, "KVM_CREATE_VM");
		goto fail;
	}
	if (kvm_ioctl_val(k->vm_fd, KVM_SET_TSS_ADDR, LAYOUT_KVM_TSS) < 0) {
		moat_err_set(e, errno, "KVM_SET_TSS_ADDR");
		goto fail;
	}
	{
		uint64_t idmap = LAYOUT_KVM_IDENTITY_MAP;

		if (kvm_ioctl(k->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap) <
		    0) {
			moat_err_set(e, errno, "KVM_SET_IDENTITY_MAP_ADDR");
			goto fail;
		}
	}
	if (kvm_ioctl_val(k->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		moat_err_set(e, errno, "KVM_CREATE_IRQCHIP");
		goto fail;
	}
	if (kvm_ioctl(k->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		moat_err_set(e, errno, "KVM_CREATE_PIT2");
		goto fail;
	}
	return 0;
fail:
	kvm_close(k);
	return -1;
}

void kvm_close(struct kvm *k)
{
	if (k->vm_fd >= 0)
		close(k->vm_fd);
	if (k->sys_fd >= 0)
		close(k->sys_fd);
	free(k->supported_cpuid);
	k->supported_cpuid = NULL;
	k->vm_fd = k->sys_fd = -1;
}

int kvm_set_memory(struct kvm *k, uint32_t slot, uint64_t gpa, uint64_t size,
		   void *hva, struct moat_err **e)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	if (kvm_ioctl(k->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return moat_err_set(e, errno,
				    "KVM_SET_USER_MEMORY_REGION slot %u", slot);
	return 0;
}
