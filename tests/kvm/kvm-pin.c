/*
 * kvm-pin: started by the nested-KVM test host's /init
 * (tests/kvm/testhost-init) once kvm_amd is loaded; holds one VM with an
 * in-kernel irqchip and one vCPU that never runs, until the test host powers
 * off.
 *
 * Why: KVM counts vCPUs whose local APIC is software-disabled in a static key
 * (apic_sw_disabled: up when a vCPU is created, down when its guest enables
 * the APIC or the vCPU goes, the last step deferred by a second). Each time
 * that count leaves or reaches zero the test host's kernel patches its own
 * text (jump labels, through int3 breakpoints and cross-CPU syncs), so with
 * one nested VM at a time, as the tests and benchmarks run them, it patched
 * twice per VM. The test host runs under QEMU's TCG with a host thread per
 * vCPU, and its hangs and panics were seen with a vCPU in the int3 handler
 * or at a static-key site (docs/design.md, level 4). This VM's vCPU keeps
 * the count above zero, so nested VMs no longer flip that key.
 *
 * Input: none (the test host's /dev/kvm). Exits 1 with a message when the
 * VM cannot be made; otherwise sleeps until killed.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(void)
{
	int kvm, vm, vcpu;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		fprintf(stderr, "kvm-pin: /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0 || ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0) {
		fprintf(stderr, "kvm-pin: a VM with an irqchip: %s\n",
			strerror(errno));
		return 1;
	}
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0) {
		fprintf(stderr, "kvm-pin: a vCPU: %s\n", strerror(errno));
		return 1;
	}
	printf("testhost: kvm-pin holds a VM with one vCPU\n");
	fflush(stdout);
	for (;;)
		pause();
}
