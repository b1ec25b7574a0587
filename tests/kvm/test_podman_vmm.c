/*
 * test_podman_vmm.c: level 4, inside the nested-KVM test host: podman
 * from Debian drives moat as its OCI runtime (`podman --runtime
 * <wrapper>`, through conmon) with moat-vmm as the backend: the wrapper
 * (engine.h) exports MOAT_HYPERVISOR=moat-vmm and MOAT_VMM. The checks are
 * tests/vm/test_podman.c's, on QEMU there (tests/harness/podcheck.h says
 * what each shows): run -i and -it; run -d with pause, exec -i and -it,
 * top, kill, logs, stop and crun beside it; kill -9 of the shim, of
 * moat-vmm and of the container's init. After each test no shim or
 * moat-vmm of the test is left and moat's --root is empty.
 *
 * The test host's root is this machine's, read-only, with fresh tmpfs on
 * /tmp and /run: podman gets its storage (vfs: the test host loads no
 * overlay module), run root, temporary files, network config and events
 * log under DIR (CONTAINERS_CONF, CONTAINERS_STORAGE_CONF, TMPDIR), the
 * cgroup v2 hierarchy that tests/kvm/testhost-init mounts with the
 * cgroupfs manager (no systemd there), and --network=none. crun needs
 * nothing more there: the hierarchy is v2 only. The image, a busybox root
 * filesystem from Debian's busybox-static, is imported once per test host
 * boot.
 */
#include "../harness/podcheck.h"
#include "../harness/test.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIR "/tmp/moat-podman-vmm"

static struct podcheck pc;

/* --- fixture ------------------------------------------------------------- */

static void setup(void)
{
	if (access("/usr/bin/podman", X_OK))
		FAIL("podman is not installed (tools/deps installs it)");
	if (access("/dev/kvm", R_OK | W_OK))
		FAIL("no /dev/kvm (run in the test host: tests/kvm/run-testhost)");
	if (access("/sys/fs/cgroup/cgroup.controllers", R_OK))
		FAIL("no cgroup2 hierarchy at /sys/fs/cgroup");
	engine_podman_private(DIR);
	/* for the wrapper engine_setup writes */
	ASSERT_OK(setenv("MOAT_HYPERVISOR", "moat-vmm", 1));
	podcheck_setup(&pc, "podman-vmm", "moat-vmm");
}

/* --- tests ---------------------------------------------------------------- */

TEST_TIMEOUT(podman_run_i_and_it_on_moat_vmm, 1200)
{
	setup();
	podcheck_run(&pc);
	podcheck_teardown(&pc);
}

TEST_TIMEOUT(podman_detached_on_moat_vmm, 1200)
{
	setup();
	podcheck_detached(&pc);
	podcheck_teardown(&pc);
}

TEST_TIMEOUT(podman_sees_every_death_on_moat_vmm, 1200)
{
	setup();
	podcheck_deaths(&pc);
	podcheck_teardown(&pc);
}
