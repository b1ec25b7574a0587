/*
 * test_boot.c: level 3. QEMU -M microvm under TCG boots moat's guest kernel
 * and initramfs; the agent prints its ready line and the VM ends cleanly.
 */
#include "../harness/test.h"
#include "../harness/vmrun.h"

#include <sys/wait.h>

TEST_TIMEOUT(qemu_tcg_boots_guest_to_ready_line, 180)
{
	struct vmrun_result r;

	if (vmrun_qemu_guest("tcg", 150, &r) < 0)
		FAIL("%s", r.out ? r.out : "cannot start qemu");
	if (!r.ready || !r.exited || !WIFEXITED(r.status) ||
	    WEXITSTATUS(r.status) != 0)
		test_diag_block("guest console", r.out, r.out_len);
	ASSERT(r.ready);
	ASSERT(r.uptime_ms > 0);
	ASSERT(r.exited);
	ASSERT(WIFEXITED(r.status));
	ASSERT_EQ(WEXITSTATUS(r.status), 0);
	test_diag(
		"ready after %.2f s (guest uptime %llu ms), exit after %.2f s",
		r.ready_s, (unsigned long long)r.uptime_ms, r.exit_s);
}
