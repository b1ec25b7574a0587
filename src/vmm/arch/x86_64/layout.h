/*
 * layout.h: the machine's address layout: every fixed guest-physical
 * address, I/O port and interrupt line moat-vmm uses, in one place. It is
 * the architecture's (arch/x86_64), read by the boot builders (boot/x86_64),
 * guest memory, KVM set-up and the device wiring alike.
 * Spec: the Linux x86 boot protocol (Documentation/arch/x86/boot.rst), the
 * Intel MultiProcessor Specification 1.4, the ISA/PC memory map.
 */
#ifndef MOAT_VMM_ARCH_X86_64_LAYOUT_H
#define MOAT_VMM_ARCH_X86_64_LAYOUT_H

/* Low memory, below 1 MiB. */
#define LAYOUT_GDT 0x500ULL	      /* boot GDT, 4 entries */
#define LAYOUT_IDT 0x520ULL	      /* empty IDT */
#define LAYOUT_ZERO_PAGE 0x7000ULL    /* struct boot_params */
#define LAYOUT_BOOT_STACK 0x8ff0ULL   /* initial RSP */
#define LAYOUT_PML4 0x9000ULL	      /* identity page tables: PML4, */
#define LAYOUT_PDPT 0xa000ULL	      /* one PDPT, */
#define LAYOUT_PD 0xb000ULL	      /* and 4 PDs of 2 MiB pages */
#define LAYOUT_PD_COUNT 4	      /* 4 GiB identity-mapped */
#define LAYOUT_CMDLINE 0x20000ULL     /* kernel command line */
#define LAYOUT_CMDLINE_MAX 0x10000ULL /* bytes available there */
#define LAYOUT_EBDA 0x9fc00ULL	      /* MP table; end of low RAM */
#define LAYOUT_EBDA_SIZE 0x400ULL
#define LAYOUT_LOW_RAM_END LAYOUT_EBDA
#define LAYOUT_BIOS_START 0xa0000ULL /* VGA/BIOS hole up to 1 MiB */

/* The kernel and the rest of RAM. */
#define LAYOUT_HIGH_MEM 0x100000ULL   /* bzImage protected-mode code */
#define LAYOUT_MMIO_GAP 0xc0000000ULL /* RAM stops at 3 GiB ... */
#define LAYOUT_4G 0x100000000ULL      /* ... and resumes at 4 GiB */

/* Devices in the 32-bit MMIO gap. */
#define LAYOUT_VIRTIO_MMIO_BASE 0xd0000000ULL
#define LAYOUT_VIRTIO_MMIO_SIZE 0x1000ULL
#define LAYOUT_VIRTIO_MAX 16
#define LAYOUT_IOAPIC 0xfec00000ULL
#define LAYOUT_LAPIC 0xfee00000ULL
#define LAYOUT_KVM_IDENTITY_MAP 0xfeffc000ULL /* 1 page, KVM (VMX) */
#define LAYOUT_KVM_TSS 0xfeffd000ULL	      /* 3 pages, KVM (VMX) */

/* Port I/O: COM1's 8 registers, and the i8042's data..command ports (the
 * 0x61 between them is KVM's in-kernel PIT speaker port). */
#define LAYOUT_PIO_COM1 0x3f8
#define LAYOUT_PIO_I8042 0x60
#define LAYOUT_PIO_I8042_LEN 5

/* Interrupt lines (GSIs) of the ISA bus and of our devices. */
#define LAYOUT_IRQ_SERIAL 4
#define LAYOUT_IRQ_VIRTIO_FIRST 5
#define LAYOUT_IRQ_MAX 23

/* vCPUs: the MP table for 32 processors fits the 1 KiB EBDA. */
#define LAYOUT_MAX_VCPUS 32

#endif
