/*
 * test_net_podman_vmm.c: level 4, inside the nested-KVM test host: podman's
 * default bridge network (netavark) carried into moat-vmm VMs
 * (src/sandbox/net.c, moat-vmm's virtio-net, src/agent/net.c), with the
 * checks tests/vm/test_net_podman.c runs on QEMU (tests/harness/netcheck.h
 * says what each shows): the address, MAC, route, resolv.conf and hosts
 * podman assigned; -p from the test host; moat <-> moat and moat <-> crun
 * over the bridge; --network=none and --network=host; nothing left after
 * rm, after create/delete cycles and after kill -9 of moat-vmm; an IPv6
 * user network with aardvark-dns names.
 *
 * The test host (tests/kvm/testhost-init) is Debian's stock kernel under
 * TCG with the modules netavark's bridge and iptables (nf_tables) rules
 * need, and moat's tc redirect; podman keeps its state under DIR
 * (engine_podman_private), with the cgroup v2 hierarchy the test host
 * mounts. Every podman command costs seconds there, so the checks run
 * few containers: the bridge check kills one VMM with SIGKILL itself, and
 * the create/delete cycles are 2 (20 on QEMU: some 45 s each here on a
 * loaded machine).
 */
#include "../harness/netcheck.h"
#include "../harness/test.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DIR "/tmp/moat-net-podman-vmm"

static struct netcheck n;

static void setup(void)
{
	if (access("/dev/kvm", R_OK | W_OK))
		FAIL("no /dev/kvm (run in the test host: tests/kvm/run-testhost)");
	if (access("/sys/fs/cgroup/cgroup.controllers", R_OK))
		FAIL("no cgroup2 hierarchy at /sys/fs/cgroup");
	/* tc(8), nsenter(8) and netavark's iptables are in /usr/sbin, which
	 * the test host's PATH lacks */
	ASSERT_OK(setenv("PATH",
			 "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
			 "/sbin:/bin",
			 1));
	engine_podman_private(DIR);
	/* for the wrapper engine_setup writes */
	ASSERT_OK(setenv("MOAT_HYPERVISOR", "moat-vmm", 1));
	netcheck_setup(&n, "netpodvmm");
}

TEST_TIMEOUT(net_vmm_bridge_addresses_ports_files_neighbours_kill9, 1200)
{
	setup();
	netcheck_bridge(&n, true);
	netcheck_teardown(&n);
}

TEST_TIMEOUT(net_vmm_none_is_loopback_only_and_host_is_refused, 600)
{
	setup();
	netcheck_none_and_host(&n);
	netcheck_teardown(&n);
}

TEST_TIMEOUT(net_vmm_nothing_leaks_after_cycles, 900)
{
	setup();
	netcheck_cycles(&n, 2, false);
	netcheck_teardown(&n);
}

TEST_TIMEOUT(net_vmm_user_network_ipv6_and_names, 900)
{
	setup();
	netcheck_ipv6_names(&n);
	netcheck_teardown(&n);
}
