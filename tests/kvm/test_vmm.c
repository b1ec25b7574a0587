/*
 * test_vmm.c: level 4, inside the nested-KVM test host: moat-vmm boots
 * moat's guest kernel to the agent's ready line on 1, 2 and 4 vCPUs, ends
 * with status 0 when the guest restarts through the i8042, and with the
 * triple-fault status when the guest restarts by triple fault; the guest
 * never warns of an XSAVE size mismatch.
 */
#include "../harness/test.h"
#include "../harness/vmrun.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static void boot_check(unsigned ncpus, const char *cmdline, int want_status,
		       int want_ready)
{
	struct vmrun_result r;
	int ok;

	if (vmrun_vmm_guest(ncpus, cmdline, 240, &r) < 0)
		FAIL("%s", r.out ? r.out : "cannot start moat-vmm");
	ok = r.exited && WIFEXITED(r.status) &&
	     WEXITSTATUS(r.status) == want_status && r.ready == want_ready;
	if (!ok)
		test_diag_block("moat-vmm output", r.out, r.out_len);
	ASSERT(r.exited);
	ASSERT(WIFEXITED(r.status));
	ASSERT_EQ(WEXITSTATUS(r.status), want_status);
	ASSERT_EQ(r.ready, want_ready);
	/* The guest's XSAVE set-up agrees with KVM's CPUID (XCR0 as the
	 * guest sets it; see cpu_set_xcr0 in src/vmm/boot/x86_64/cpu.c). */
	if (strstr(r.out, "XSAVE consistency problem"))
		test_diag_block("moat-vmm output", r.out, r.out_len);
	ASSERT(!strstr(r.out, "XSAVE consistency problem"));
	test_diag("%u vCPU(s): ready after %.2f s (guest uptime %llu ms), "
		  "exit after %.2f s",
		  ncpus, r.ready_s, (unsigned long long)r.uptime_ms, r.exit_s);
	free(r.out);
}

TEST_TIMEOUT(vmm_boots_guest_to_ready_line_1_vcpu, 250)
{
	boot_check(1, NULL, 0, 1);
}

TEST_TIMEOUT(vmm_boots_guest_with_2_vcpus, 250)
{
	boot_check(2, NULL, 0, 1);
}

TEST_TIMEOUT(vmm_boots_guest_with_4_vcpus, 250)
{
	boot_check(4, NULL, 0, 1);
}

TEST_TIMEOUT(vmm_triple_fault_has_its_own_exit_status, 250)
{
	/* reboot=t makes the guest's restart a triple fault (status 3). */
	boot_check(1, "reboot=t", 3, 1);
}
