/*
 * cpu.c: vCPU set-up (see cpu.h).
 */
#include "cpu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../kvm/kvm.h"
#include "../../arch/x86_64/layout.h"

/* Give the vCPU its CPUID (cpuid_fixup of KVM's table); *xcr0 is then the
 * XCR0 that CPUID implies (cpuid_xcr0). */
static int cpu_set_cpuid(const struct kvm *k, int fd, unsigned index,
			 unsigned ncpus, uint64_t *xcr0, struct moat_err **e)
{
	size_t sz = sizeof(struct kvm_cpuid2) +
		    k->supported_cpuid->nent * sizeof(struct kvm_cpuid_entry2);
	struct kvm_cpuid2 *c = malloc(sz);
	int r;

	if (!c)
		return moat_err_set(e, ENOMEM, "cpuid");
	memcpy(c, k->supported_cpuid, sz);
	cpuid_fixup(c->entries, c->nent, index, ncpus, k->tsc_deadline);
	*xcr0 = cpuid_xcr0(c->entries, c->nent);
	/* KVM_SET_CPUID2's argument is variable-sized. */
	r = __kvm_ioctl(fd, KVM_SET_CPUID2, c);
	free(c);
	if (r < 0)
		return moat_err_set(e, errno, "KVM_SET_CPUID2");
	return 0;
}

/*
 * XCR0 starts as the xsave features the guest's CPUID offers (leaf 0xD.0
 * EDX:EAX), not the architectural 1. A Linux guest sets that same mask
 * itself at boot; where XSETBV is intercepted (any real SVM or VMX) KVM
 * sees it and nothing changes. Where it is not (QEMU's emulated SVM in the
 * nested test host runs it in the guest unseen), KVM went on thinking XCR0
 * was x87|SSE: it reported 576 bytes in CPUID 0xD.0 EBX against the
 * guest's own 2696, the guest warned "XSAVE consistency problem" and fell
 * back to FXSAVE, and KVM put its XCR0 back on every entry under a guest
 * that had enabled AVX and PKRU. (There, a guest that set XCR0 to another
 * mask would go unseen too: docs/threat-model.md.)
 */
static int cpu_set_xcr0(int fd, uint64_t mask, struct moat_err **e)
{
	struct kvm_xcrs x;

	if (!mask)
		return 0; /* no XSAVE: nothing to set */
	memset(&x, 0, sizeof(x));
	x.nr_xcrs = 1;
	x.xcrs[0].xcr = 0;
	x.xcrs[0].value = mask;
	if (__kvm_ioctl(fd, KVM_SET_XCRS, &x) < 0)
		return moat_err_set(e, errno, "KVM_SET_XCRS (XCR0 %#llx)",
				    (unsigned long long)mask);
	return 0;
}

#define MSR_IA32_TSC 0x10
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MISC_ENABLE_FAST_STRING 1

static int cpu_set_msrs(int fd, struct moat_err **e)
{
	static const struct {
		uint32_t index;
		uint64_t data;
	} init[] = {
		{ MSR_IA32_SYSENTER_CS, 0 },
		{ MSR_IA32_SYSENTER_ESP, 0 },
		{ MSR_IA32_SYSENTER_EIP, 0 },
		{ MSR_STAR, 0 },
		{ MSR_CSTAR, 0 },
		{ MSR_KERNEL_GS_BASE, 0 },
		{ MSR_SYSCALL_MASK, 0 },
		{ MSR_LSTAR, 0 },
		{ MSR_IA32_TSC, 0 },
		{ MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING },
	};
	enum { N = sizeof(init) / sizeof(init[0]) };
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry ent[N];
	} m;
	unsigned i;
	int r;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = N;
	for (i = 0; i < N; i++) {
		m.ent[i].index = init[i].index;
		m.ent[i].data = init[i].data;
	}
	/* KVM_SET_MSRS returns how many it set. */
	r = __kvm_ioctl(fd, KVM_SET_MSRS, &m);
	if (r != N)
		return moat_err_set(e, r < 0 ? errno : 0,
				    "KVM_SET_MSRS: set %d of %d", r, N);
	return 0;
}

static int cpu_set_fpu(int fd, struct moat_err **e)
{
	struct kvm_fpu fpu;

	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;    /* x87 default control word */
	fpu.mxcsr = 0x1f80; /* SSE default: all exceptions masked */
	if (kvm_ioctl(fd, KVM_SET_FPU, &fpu) < 0)
		return moat_err_set(e, errno, "KVM_SET_FPU");
	return 0;
}

#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_MODE_NMI 0x4
#define APIC_MODE_EXTINT 0x7

static void cpu_lvt_mode(struct kvm_lapic_state *l, unsigned reg, uint32_t mode)
{
	uint32_t v;

	memcpy(&v, l->regs + reg, sizeof(v));
	v = (v & ~0x700u) | mode << 8;
	memcpy(l->regs + reg, &v, sizeof(v));
}

static int cpu_set_lapic(int fd, struct moat_err **e)
{
	struct kvm_lapic_state l;

	if (kvm_ioctl(fd, KVM_GET_LAPIC, &l) < 0)
		return moat_err_set(e, errno, "KVM_GET_LAPIC");
	cpu_lvt_mode(&l, APIC_LVT_LINT0, APIC_MODE_EXTINT);
	cpu_lvt_mode(&l, APIC_LVT_LINT1, APIC_MODE_NMI);
	if (kvm_ioctl(fd, KVM_SET_LAPIC, &l) < 0)
		return moat_err_set(e, errno, "KVM_SET_LAPIC");
	return 0;
}

#define CR0_PE 0x1ULL
#define CR0_PG 0x80000000ULL
#define CR4_PAE 0x20ULL
#define EFER_LME 0x100ULL
#define EFER_LMA 0x400ULL

static void cpu_segment(struct kvm_segment *s, uint16_t sel, uint8_t type,
			uint8_t code64)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xfffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->dpl = 0;
	s->db = code64 ? 0 : 1;
	s->s = 1;
	s->l = code64;
	s->g = 1;
}

static int cpu_set_boot_regs(int fd, uint64_t entry, struct moat_err **e)
{
	struct kvm_sregs s;
	struct kvm_regs r;

	if (kvm_ioctl(fd, KVM_GET_SREGS, &s) < 0)
		return moat_err_set(e, errno, "KVM_GET_SREGS");
	/* Selectors of the boot GDT written by boot.c. */
	cpu_segment(&s.cs, 0x08, 0xb, 1);
	cpu_segment(&s.ds, 0x10, 0x3, 0);
	s.es = s.fs = s.gs = s.ss = s.ds;
	cpu_segment(&s.tr, 0x18, 0xb, 0);
	s.tr.s = 0;
	s.tr.db = 0;
	s.gdt.base = LAYOUT_GDT;
	s.gdt.limit = 4 * 8 - 1;
	s.idt.base = LAYOUT_IDT;
	s.idt.limit = 8 - 1;
	s.cr3 = LAYOUT_PML4;
	s.cr4 |= CR4_PAE;
	s.cr0 |= CR0_PE | CR0_PG;
	s.efer |= EFER_LME | EFER_LMA;
	if (kvm_ioctl(fd, KVM_SET_SREGS, &s) < 0)
		return moat_err_set(e, errno, "KVM_SET_SREGS");
	memset(&r, 0, sizeof(r));
	r.rflags = 0x2;
	r.rip = entry;
	r.rsp = r.rbp = LAYOUT_BOOT_STACK;
	r.rsi = LAYOUT_ZERO_PAGE;
	if (kvm_ioctl(fd, KVM_SET_REGS, &r) < 0)
		return moat_err_set(e, errno, "KVM_SET_REGS");
	return 0;
}

int cpu_setup(const struct kvm *k, int vcpu_fd, unsigned index, unsigned ncpus,
	      uint64_t entry, struct moat_err **e)
{
	uint64_t xcr0 = 0;

	if (cpu_set_cpuid(k, vcpu_fd, index, ncpus, &xcr0, e) < 0 ||
	    cpu_set_xcr0(vcpu_fd, xcr0, e) < 0 ||
	    cpu_set_msrs(vcpu_fd, e) < 0 || cpu_set_fpu(vcpu_fd, e) < 0 ||
	    cpu_set_lapic(vcpu_fd, e) < 0)
		return moat_err_wrap(e, "vcpu %u", index);
	/* The others wait for the boot vCPU's INIT/SIPI, as on hardware. */
	if (index == 0 && cpu_set_boot_regs(vcpu_fd, entry, e) < 0)
		return moat_err_wrap(e, "vcpu 0");
	return 0;
}
