/*
 * mptable.c: MP floating pointer + configuration table (see mptable.h).
 */
#include "mptable.h"

#include <string.h>

#include "../../arch/x86_64/layout.h"
#include "../../../common/le.h"

#define MP_FLOATING_SIZE 16
#define MP_HEADER_SIZE 44
#define MP_CPU_SIZE 20
#define MP_ENTRY_SIZE 8 /* bus, I/O APIC, interrupt entries */
#define MP_SPEC_REV 4
#define MP_APIC_VERSION 0x14
#define MP_IOAPIC_VERSION 0x11

enum {
	MP_PROCESSOR = 0,
	MP_BUS = 1,
	MP_IOAPIC = 2,
	MP_INTSRC = 3,
	MP_LINTSRC = 4
};
enum { MP_INT = 0, MP_NMI = 1, MP_EXTINT = 3 };

static uint8_t mp_checksum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return (uint8_t)(0x100 - s);
}

size_t mptable_size(unsigned ncpus)
{
	/* processors, 1 bus, 1 I/O APIC, up to 24 interrupts, 2 local */
	return MP_FLOATING_SIZE + MP_HEADER_SIZE + ncpus * MP_CPU_SIZE +
	       (1 + 1 + (LAYOUT_IRQ_MAX + 1) + 2) * MP_ENTRY_SIZE;
}

static uint8_t *mp_intsrc(uint8_t *p, uint8_t kind, uint8_t type,
			  uint8_t src_irq, uint8_t dst_id, uint8_t dst_pin)
{
	p[0] = kind;
	p[1] = type;
	le_put16(p + 2, 0); /* polarity and trigger: conform to the bus */
	p[4] = 0;	    /* source bus: ISA, id 0 */
	p[5] = src_irq;
	p[6] = dst_id;
	p[7] = dst_pin;
	return p + MP_ENTRY_SIZE;
}

int mptable_build(uint8_t *buf, size_t len, uint32_t gpa, unsigned ncpus,
		  unsigned max_irq)
{
	uint8_t *hdr = buf + MP_FLOATING_SIZE, *p;
	uint8_t ioapic_id = (uint8_t)ncpus; /* after the local APIC ids */
	unsigned i, entries = 0;

	if (!ncpus || ncpus > LAYOUT_MAX_VCPUS || max_irq > LAYOUT_IRQ_MAX ||
	    len < mptable_size(ncpus))
		return MPTABLE_ERANGE;
	memset(buf, 0, mptable_size(ncpus));

	/* The floating pointer structure, pointing just past itself. */
	memcpy(buf, "_MP_", 4);
	le_put32(buf + 4, gpa + MP_FLOATING_SIZE);
	buf[8] = 1; /* length in 16-byte units */
	buf[9] = MP_SPEC_REV;
	/* feature bytes 0: a configuration table is present */
	buf[10] = mp_checksum(buf, MP_FLOATING_SIZE);

	p = hdr + MP_HEADER_SIZE;
	for (i = 0; i < ncpus; i++, entries++) {
		p[0] = MP_PROCESSOR;
		p[1] = (uint8_t)i; /* local APIC id */
		p[2] = MP_APIC_VERSION;
		p[3] = (uint8_t)(0x01 | (i == 0 ? 0x02 : 0)); /* EN, BP */
		le_put32(p + 4, 0x600); /* CPU signature: family 6 */
		le_put32(p + 8, 0x201); /* features: FPU, APIC */
		p += MP_CPU_SIZE;
	}
	p[0] = MP_BUS;
	p[1] = 0;
	memcpy(p + 2, "ISA   ", 6);
	p += MP_ENTRY_SIZE;
	entries++;
	p[0] = MP_IOAPIC;
	p[1] = ioapic_id;
	p[2] = MP_IOAPIC_VERSION;
	p[3] = 1; /* enabled */
	le_put32(p + 4, (uint32_t)LAYOUT_IOAPIC);
	p += MP_ENTRY_SIZE;
	entries++;
	for (i = 0; i <= max_irq; i++, entries++)
		p = mp_intsrc(p, MP_INTSRC, MP_INT, (uint8_t)i, ioapic_id,
			      (uint8_t)i);
	/* The PIC's output on LINT0 of every local APIC, NMI on LINT1. */
	p = mp_intsrc(p, MP_LINTSRC, MP_EXTINT, 0, 0xff, 0);
	p = mp_intsrc(p, MP_LINTSRC, MP_NMI, 0, 0xff, 1);
	entries += 2;

	memcpy(hdr, "PCMP", 4);
	le_put16(hdr + 4, (uint16_t)(p - hdr)); /* base table length */
	hdr[6] = MP_SPEC_REV;
	memcpy(hdr + 8, "MOAT    ", 8);
	memcpy(hdr + 16, "MOAT-VMM    ", 12);
	le_put16(hdr + 34, (uint16_t)entries);
	le_put32(hdr + 36, (uint32_t)LAYOUT_LAPIC);
	hdr[7] = mp_checksum(hdr, (size_t)(p - hdr));
	return (int)(p - buf);
}
