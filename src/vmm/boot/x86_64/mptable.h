/*
 * mptable.h: build the MultiProcessor Specification 1.4 tables that tell a
 * guest without ACPI its processors, its I/O APIC and how ISA interrupts
 * reach it. Pure. Inputs: our own configuration (vCPU count).
 * Spec: Intel MultiProcessor Specification 1.4, chapter 4.
 */
#ifndef MOAT_VMM_MPTABLE_H
#define MOAT_VMM_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

#define MPTABLE_ERANGE (-1)

/* Bytes the tables take for ncpus processors. */
size_t mptable_size(unsigned ncpus);

/*
 * Write the floating pointer and the configuration table into buf, which
 * will sit at guest-physical address gpa. IRQs 0..max_irq are routed to
 * the I/O APIC pins of the same number. Returns the bytes written or
 * MPTABLE_ERANGE when ncpus is 0 or over LAYOUT_MAX_VCPUS, or buf is short.
 */
int mptable_build(uint8_t *buf, size_t len, uint32_t gpa, unsigned ncpus,
		  unsigned max_irq);

#endif
