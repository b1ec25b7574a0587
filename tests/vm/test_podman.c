/*
 * test_podman.c: level 3. podman from Debian drives moat as its OCI
 * runtime (`podman --runtime <wrapper>`), with QEMU under TCG as the
 * backend: the engine's real calls (create with conmon's console socket,
 * start, state, kill, delete, exec with a pid file, pause, resume) and
 * what a user sees. The checks are tests/harness/podcheck.h's, the same
 * that tests/kvm/test_podman_vmm.c runs on moat-vmm: run -i and -it; run
 * -d with pause, exec -i and -it, top, kill, logs, stop and crun beside
 * it; kill -9 of the shim, of QEMU and of the container's init.
 *
 * The image is a busybox root filesystem built from Debian's
 * busybox-static and imported (`podman import`). The wrapper passes
 * moat's paths in the environment (podman does not pass its own to the
 * runtime) and a private --root. crun refuses a hybrid cgroup host whose
 * v2 hierarchy still has a controller (hugetlb here): the setup mounts
 * that controller's v1 hierarchy, as systemd does on hybrid hosts. After
 * each test no shim, QEMU or virtiofsd of the test is left and moat's
 * --root is empty.
 */
#include "../harness/podcheck.h"
#include "../harness/test.h"

static struct podcheck pc;

TEST_TIMEOUT(podman_run_i_and_it, 900)
{
	podcheck_setup(&pc, "podman", "qemu-system");
	podcheck_run(&pc);
	podcheck_teardown(&pc);
}

TEST_TIMEOUT(podman_detached_exec_top_kill_pause_stop, 900)
{
	podcheck_setup(&pc, "podman", "qemu-system");
	podcheck_detached(&pc);
	podcheck_teardown(&pc);
}

TEST_TIMEOUT(podman_sees_the_end_of_every_kind_of_death, 900)
{
	podcheck_setup(&pc, "podman", "qemu-system");
	podcheck_deaths(&pc);
	podcheck_teardown(&pc);
}
