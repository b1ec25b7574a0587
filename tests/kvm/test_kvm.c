/*
 * test_kvm.c: level 4, run inside the nested-KVM test host
 * (tests/kvm/run-testhost). A small KVM program with its guest code in this
 * file: a real-mode guest computes a value, writes it and a marker to an I/O
 * port and halts; the test checks every exit it saw. Then QEMU with KVM
 * boots moat's guest to the agent's ready line.
 */
#include "../harness/test.h"
#include "../harness/vmrun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/* Every ioctl goes through here; the argument's size is checked against
 * the size encoded in the request number, as KVM's selftests do. */
#define kvm_ioctl(fd, req, arg)                                    \
	({                                                         \
		_Static_assert(sizeof(*(arg)) == _IOC_SIZE(req) || \
				       _IOC_SIZE(req) == 0,        \
			       "ioctl argument size");             \
		int r_ = ioctl(fd, req, arg);                      \
		if (r_ < 0)                                        \
			FAIL("%s: %s", #req, strerror(errno));     \
		r_;                                                \
	})

#define GUEST_PORT 0x10
#define GUEST_LOAD 0x1000

/* Real-mode guest: al = 2 + 3; out 0x10, al; out 0x10, 0x42; hlt. */
static const uint8_t guest_code[] = {
	0xb0, 0x02,	  /* mov al, 2 */
	0x04, 0x03,	  /* add al, 3 */
	0xe6, GUEST_PORT, /* out 0x10, al */
	0xb0, 0x42,	  /* mov al, 0x42 */
	0xe6, GUEST_PORT, /* out 0x10, al */
	0xf4,		  /* hlt */
};

static int kvm_open(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		FAIL("/dev/kvm: %s", strerror(errno));
	return fd;
}

TEST(kvm_api_version_is_12)
{
	int kvm = kvm_open();

	ASSERT_EQ(ioctl(kvm, KVM_GET_API_VERSION, 0), KVM_API_VERSION);
	ASSERT(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) > 0);
	close(kvm);
}

TEST(kvm_guest_does_port_io_and_halts)
{
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	uint8_t seen[4];
	int kvm, vm, vcpu, nseen = 0, runsz;
	uint8_t *mem;

	kvm = kvm_open();
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	ASSERT_OK(vm);
	mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT(mem != MAP_FAILED);
	memcpy(mem, guest_code, sizeof(guest_code));
	memset(&region, 0, sizeof(region));
	region.guest_phys_addr = GUEST_LOAD;
	region.memory_size = 0x1000;
	region.userspace_addr = (uintptr_t)mem;
	kvm_ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region);

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	ASSERT_OK(vcpu);
	runsz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	ASSERT((size_t)runsz >= sizeof(*run));
	run = mmap(NULL, (size_t)runsz, PROT_READ | PROT_WRITE, MAP_SHARED,
		   vcpu, 0);
	ASSERT(run != MAP_FAILED);

	kvm_ioctl(vcpu, KVM_GET_SREGS, &sregs);
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	kvm_ioctl(vcpu, KVM_SET_SREGS, &sregs);
	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_LOAD;
	regs.rflags = 0x2;
	kvm_ioctl(vcpu, KVM_SET_REGS, &regs);

	for (;;) {
		ASSERT_OK(ioctl(vcpu, KVM_RUN, 0));
		if (run->exit_reason == KVM_EXIT_HLT)
			break;
		if (run->exit_reason != KVM_EXIT_IO)
			FAIL("unexpected exit reason %u", run->exit_reason);
		ASSERT_EQ(run->io.direction, KVM_EXIT_IO_OUT);
		ASSERT_EQ(run->io.port, GUEST_PORT);
		ASSERT_EQ(run->io.size, 1);
		ASSERT_EQ(run->io.count, 1);
		ASSERT((size_t)run->io.data_offset < (size_t)runsz);
		ASSERT(nseen < (int)sizeof(seen));
		seen[nseen++] = *((uint8_t *)run + run->io.data_offset);
	}
	ASSERT_EQ(nseen, 2);
	ASSERT_EQ(seen[0], 5);
	ASSERT_EQ(seen[1], 0x42);
	kvm_ioctl(vcpu, KVM_GET_REGS, &regs);
	ASSERT_EQ(regs.rip, GUEST_LOAD + sizeof(guest_code));
	munmap(run, (size_t)runsz);
	munmap(mem, 0x1000);
	close(vcpu);
	close(vm);
	close(kvm);
}

TEST_TIMEOUT(qemu_kvm_boots_guest_to_ready_line, 300)
{
	struct vmrun_result r;

	if (vmrun_qemu_guest("kvm", 280, &r) < 0)
		FAIL("%s", r.out ? r.out : "cannot start qemu");
	if (!r.ready || !r.exited || !WIFEXITED(r.status) ||
	    WEXITSTATUS(r.status) != 0)
		test_diag_block("guest console", r.out, r.out_len);
	ASSERT(r.ready);
	ASSERT(r.exited);
	ASSERT(WIFEXITED(r.status));
	ASSERT_EQ(WEXITSTATUS(r.status), 0);
	test_diag("nested KVM: ready after %.2f s (guest uptime %llu ms)",
		  r.ready_s, (unsigned long long)r.uptime_ms);
}
