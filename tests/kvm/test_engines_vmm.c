/*
 * test_engines_vmm.c: level 4, inside the nested-KVM test host: docker and
 * containerd from Debian drive moat with moat-vmm as the backend, the
 * checks tests/vm/test_engines.c runs on QEMU (tests/harness/engcheck.c):
 * the classic demo, an exit code, docker's bridge network reaching the
 * guest; ctr run, -t and task exec.
 */
#include "../harness/engcheck.h"
#include "../harness/test.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static void on_moat_vmm(void)
{
	if (access("/dev/kvm", R_OK | W_OK))
		FAIL("no /dev/kvm: run in the nested-KVM test host");
	ASSERT_OK(setenv("MOAT_HYPERVISOR", "moat-vmm", 1));
}

TEST_TIMEOUT(docker_runs_the_classic_vm_demo_on_moat_vmm, 1200)
{
	on_moat_vmm();
	engcheck_docker();
}

TEST_TIMEOUT(containerd_ctr_runs_exec_and_tty_on_moat_vmm, 1200)
{
	on_moat_vmm();
	engcheck_containerd();
}
