/*
 * test_vmm_devices.c: moat-vmm's pure device models and dispatch: the
 * 16550A register model, the i8042 reset, the I/O bus, and the CPUID
 * fix-up.
 */
#include "../harness/test.h"
#include "../../src/vmm/boot/x86_64/cpu.h"
#include "../../src/vmm/bus/bus.h"
#include "../../src/vmm/devices/legacy/i8042.h"
#include "../../src/vmm/devices/legacy/serial.h"

#include <string.h>

TEST(serial_thr_emits_and_raises_thre)
{
	struct serial s;
	struct serial_effect fx;

	serial_init(&s);
	serial_write(&s, 0, 'A', &fx);
	ASSERT(fx.emit);
	ASSERT_EQ(fx.out, 'A');
	ASSERT(!fx.irq);		/* THRI not enabled */
	serial_write(&s, 1, 0x02, &fx); /* IER = THRI */
	ASSERT(fx.irq);			/* THR empty: raised at once */
	ASSERT_EQ(serial_read(&s, 2, &fx) & 0x0f, 0x02);
	ASSERT(!fx.irq); /* reading IIR acknowledged it */
	ASSERT_EQ(serial_read(&s, 2, &fx) & 0x0f, 0x01);
	serial_write(&s, 0, 'B', &fx);
	ASSERT(fx.emit && fx.irq);
	ASSERT_EQ(serial_read(&s, 5, &fx) & 0x60, 0x60); /* THRE|TEMT */
}

TEST(serial_rx_fifo_and_rdi_priority)
{
	struct serial s;
	struct serial_effect fx;
	uint8_t big[100];

	serial_init(&s);
	serial_write(&s, 1, 0x03, &fx); /* RDI | THRI */
	memset(big, 'x', sizeof(big));
	big[0] = 'h';
	ASSERT_EQ(serial_rx_push(&s, big, sizeof(big), &fx), SERIAL_RX_FIFO);
	ASSERT(fx.irq);
	ASSERT_EQ(serial_read(&s, 5, &fx) & 1, 1);	 /* DR */
	ASSERT_EQ(serial_read(&s, 2, &fx) & 0x0f, 0x04); /* RDI first */
	ASSERT_EQ(serial_read(&s, 0, &fx), 'h');
	serial_write(&s, 2, 0x03, &fx); /* FIFO on, clear RX */
	ASSERT_EQ(serial_read(&s, 5, &fx) & 1, 0);
	ASSERT_EQ(serial_read(&s, 2, &fx) & 0xcf, 0xc2); /* FIFO, THRI */
}

TEST(serial_dlab_loopback_and_scratch)
{
	struct serial s;
	struct serial_effect fx;

	serial_init(&s);
	serial_write(&s, 3, 0x80, &fx); /* DLAB */
	serial_write(&s, 0, 0x01, &fx);
	serial_write(&s, 1, 0x02, &fx);
	ASSERT(!fx.emit);
	ASSERT_EQ(serial_read(&s, 0, &fx), 0x01);
	ASSERT_EQ(serial_read(&s, 1, &fx), 0x02);
	serial_write(&s, 3, 0x03, &fx);
	ASSERT_EQ(serial_read(&s, 1, &fx), 0); /* IER untouched by DLM */
	serial_write(&s, 7, 0x5a, &fx);
	ASSERT_EQ(serial_read(&s, 7, &fx), 0x5a);
	/* Loopback: MCR outputs show on MSR; THR comes back as RBR. */
	serial_write(&s, 4, 0x10 | 0x0a, &fx);
	ASSERT_EQ(serial_read(&s, 6, &fx), 0x90);
	serial_write(&s, 0, 'L', &fx);
	ASSERT(!fx.emit);
	ASSERT_EQ(serial_read(&s, 0, &fx), 'L');
	ASSERT_EQ(serial_read(&s, 9, &fx), 0xff); /* no such register */
}

TEST(i8042_reset_only_on_command_port)
{
	ASSERT_EQ(i8042_write(I8042_PORT_CMD, I8042_CMD_RESET), I8042_RESET);
	ASSERT_EQ(i8042_write(I8042_PORT_DATA, I8042_CMD_RESET), I8042_NONE);
	ASSERT_EQ(i8042_write(I8042_PORT_CMD, 0xd1), I8042_NONE);
	ASSERT_EQ(i8042_read(I8042_PORT_CMD) & 0x02, 0); /* input empty */
}

struct recorder {
	uint64_t off;
	uint32_t len;
	int writes;
};

static void rec_read(void *dev, uint64_t off, uint8_t *data, uint32_t len)
{
	struct recorder *r = dev;

	r->off = off;
	r->len = len;
	memset(data, 0x5a, len);
}

static void rec_write(void *dev, uint64_t off, const uint8_t *data,
		      uint32_t len)
{
	struct recorder *r = dev;

	(void)data;
	r->off = off;
	r->len = len;
	r->writes++;
}

static const struct bus_ops rec_ops = { rec_read, rec_write };

TEST(bus_dispatches_whole_accesses_only)
{
	struct bus b;
	struct recorder a = { 0 }, c = { 0 };
	uint8_t d[8];

	memset(&b, 0, sizeof(b));
	ASSERT_EQ(bus_add(&b, 0x100, 8, &rec_ops, &a), 0);
	ASSERT_EQ(bus_add(&b, 0x104, 8, &rec_ops, &c), -1); /* overlap */
	ASSERT_EQ(bus_add(&b, 0x108, 8, &rec_ops, &c), 0);
	ASSERT_EQ(bus_add(&b, ~0ULL, 2, &rec_ops, &c), -1); /* wraps */
	ASSERT_EQ(bus_add(&b, 0x200, 0, &rec_ops, &c), -1);
	ASSERT_EQ(bus_read(&b, 0x104, d, 4), 0);
	ASSERT_EQ(a.off, 4);
	ASSERT_EQ(d[0], 0x5a);
	ASSERT_EQ(bus_read(&b, 0x106, d, 4), -1); /* straddles two devices */
	ASSERT_EQ(d[0], 0xff);
	ASSERT_EQ(bus_write(&b, 0x10a, d, 2), 0);
	ASSERT_EQ(c.off, 2);
	ASSERT_EQ(c.writes, 1);
	ASSERT_EQ(bus_write(&b, 0x300, d, 1), -1);
	ASSERT_EQ(bus_read(&b, 0x100, d, 0), -1);
	ASSERT_EQ(bus_read(&b, ~0ULL, d, 4), -1);
}

TEST(cpuid_fixup_hides_nested_virt_and_sets_topology)
{
	struct kvm_cpuid_entry2 e[4];

	memset(e, 0, sizeof(e));
	e[0].function = 1;
	e[0].ecx = (1u << 5) | (1u << 3) | 1u;
	e[0].edx = 1u << 28;
	e[1].function = 0x80000001;
	e[1].ecx = (1u << 2) | 1u;
	e[2].function = 0xb;
	e[3].function = 6;
	e[3].eax = 0x77; /* ARAT (bit 2) and others */
	e[3].ecx = 9;
	cpuid_fixup(e, 4, 3, 4, false);
	ASSERT_EQ(e[0].ecx, (1u << 31) | 1u); /* no VMX/MONITOR, hypervisor */
	ASSERT_EQ(e[0].ebx >> 24, 3);
	ASSERT_EQ((e[0].ebx >> 16) & 0xff, 4);
	ASSERT(e[0].edx & (1u << 28));
	ASSERT_EQ(e[1].ecx, 1u); /* no SVM */
	ASSERT_EQ(e[2].edx, 3);
	ASSERT_EQ(e[3].eax, 1u << 2); /* ARAT alone */
	ASSERT_EQ(e[3].ecx, 0);
	cpuid_fixup(e, 4, 0, 1, true);
	ASSERT_EQ(e[0].edx & (1u << 28), 0);
	/* the TSC-deadline timer, when KVM's LAPIC has it */
	ASSERT_EQ(e[0].ecx, (1u << 31) | (1u << 24) | 1u);
}

TEST(cpuid_xcr0_is_leaf_0xd_0s_mask_or_none)
{
	struct kvm_cpuid_entry2 e[3];

	memset(e, 0, sizeof(e));
	e[0].function = 1;
	e[1].function = 0xd;
	e[1].index = 1; /* a subleaf: not the mask */
	e[1].eax = 0xf;
	e[2].function = 0xd;
	e[2].eax = 0x207; /* x87, SSE, AVX, PKRU */
	e[2].edx = 0x1;
	ASSERT_EQ(cpuid_xcr0(e, 3), 0x100000207ULL);
	ASSERT_EQ(cpuid_xcr0(e, 2), 0); /* no leaf 0xD.0: no XSAVE */
	e[2].eax = 0x206; /* no x87 bit: not a mask XSETBV takes */
	ASSERT_EQ(cpuid_xcr0(e, 3), 0);
}
