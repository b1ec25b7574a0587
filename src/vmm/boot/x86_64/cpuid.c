/*
 * cpuid.c: the CPUID a vCPU sees (see cpu.h): KVM's supported set with
 * nested virtualization, MONITOR/MWAIT and thermal/power management (but
 * ARAT) hidden,
 * the hypervisor bit set, the TSC-deadline timer shown when KVM's LAPIC has
 * it (KVM_GET_SUPPORTED_CPUID leaves that bit to the VMM: without it Linux
 * calibrates the LAPIC timer against the PIT at boot, slowly, and may fall
 * back to the PIT for its tick), and the vCPU's APIC ids and count filled
 * in.
 * Pure. Inputs: KVM's table and our vCPU count.
 * Spec: Intel SDM vol. 2A, CPUID; AMD APM vol. 3, CPUID Fn8000_0001.
 */
#include "cpu.h"

/* CPUID bits a guest must not see. */
#define CPUID_1_ECX_MONITOR (1u << 3) /* MONITOR/MWAIT: not emulated */
#define CPUID_1_ECX_VMX (1u << 5)     /* no nested virtualization */
#define CPUID_1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_1_EDX_HTT (1u << 28)
#define CPUID_80000001_ECX_SVM (1u << 2)
/* Thermal and power management: none but ARAT, the LAPIC timer that keeps
 * running in deep C-states (KVM's always does). With ARAT and the
 * TSC-deadline timer Linux leaves the PIT alone (apic_needs_pit()); without
 * ARAT it kept the PIT as a clock event device, and KVM's PIT worker in the
 * nested test host was seen stuck delivering its ticks. */
#define CPUID_6_EAX_ARAT (1u << 2)

void cpuid_fixup(struct kvm_cpuid_entry2 *ent, unsigned n, unsigned index,
		 unsigned ncpus, bool tsc_deadline)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		struct kvm_cpuid_entry2 *c = &ent[i];

		switch (c->function) {
		case 1:
			c->ecx &= ~(CPUID_1_ECX_MONITOR | CPUID_1_ECX_VMX);
			c->ecx |= CPUID_1_ECX_HYPERVISOR;
			if (tsc_deadline)
				c->ecx |= CPUID_1_ECX_TSC_DEADLINE;
			/* EBX: initial APIC id [31:24], logical count [23:16],
			 * CLFLUSH line size [15:8] (8 x 8 bytes). */
			c->ebx = index << 24 | (ncpus & 0xff) << 16 | 8 << 8;
			if (ncpus > 1)
				c->edx |= CPUID_1_EDX_HTT;
			else
				c->edx &= ~CPUID_1_EDX_HTT;
			break;
		case 6:
			c->eax &= CPUID_6_EAX_ARAT;
			c->ebx = c->ecx = c->edx = 0;
			break;
		case 0xb:
		case 0x1f:
			/* x2APIC id of this vCPU in every topology level */
			c->edx = index;
			break;
		case 0x80000001:
			c->ecx &= ~CPUID_80000001_ECX_SVM;
			break;
		default:
			break;
		}
	}
}

uint64_t cpuid_xcr0(const struct kvm_cpuid_entry2 *ent, unsigned n)
{
	uint64_t mask;
	unsigned i;

	for (i = 0; i < n; i++) {
		if (ent[i].function != 0xd || ent[i].index != 0)
			continue;
		mask = ent[i].eax | (uint64_t)ent[i].edx << 32;
		/* x87 state is architecturally always on in XCR0 */
		return mask & 1 ? mask : 0;
	}
	return 0;
}
