/*
 * cpu.h: what each vCPU is given before it first runs: CPUID (KVM's
 * supported set, with what a guest must not see masked and its topology
 * filled in), the MSRs a Linux guest expects, the FPU, the local APIC's
 * LINT0/LINT1, and for the boot vCPU the 64-bit long-mode registers of the
 * Linux boot protocol. cpuid_fixup() is pure.
 * Spec: Intel SDM vol. 2A (CPUID), vol. 3A (long mode, APIC), Linux
 * Documentation/arch/x86/boot.rst ("64-bit boot protocol").
 */
#ifndef MOAT_VMM_CPU_H
#define MOAT_VMM_CPU_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#include "../../../common/err.h"

/* Adjust KVM's supported CPUID entries for vCPU `index` of `ncpus`;
 * tsc_deadline: KVM has KVM_CAP_TSC_DEADLINE_TIMER. */
void cpuid_fixup(struct kvm_cpuid_entry2 *ent, unsigned n, unsigned index,
		 unsigned ncpus, bool tsc_deadline);
/* The XCR0 a guest with this CPUID starts with: the xsave features leaf
 * 0xD.0 EDX:EAX offers, or 0 when it offers no XSAVE. Pure. */
uint64_t cpuid_xcr0(const struct kvm_cpuid_entry2 *ent, unsigned n);

struct kvm;

/* Set CPUID, MSRs, FPU and LAPIC on a vCPU; for index 0 also the boot
 * registers, entering the kernel at `entry` with the zero page in RSI. */
int cpu_setup(const struct kvm *k, int vcpu_fd, unsigned index, unsigned ncpus,
	      uint64_t entry, struct moat_err **e);

#endif
