/*
 * test_engines.c: level 3. docker and containerd from Debian drive moat as
 * their runc, with QEMU under TCG as the backend: the checks of
 * tests/harness/engcheck.c (tests/kvm/test_engines_vmm.c runs them on
 * moat-vmm).
 */
#include "../harness/engcheck.h"
#include "../harness/test.h"

TEST_TIMEOUT(docker_runs_the_classic_vm_demo, 900)
{
	engcheck_docker();
}

TEST_TIMEOUT(containerd_ctr_runs_exec_and_tty, 900)
{
	engcheck_containerd();
}
