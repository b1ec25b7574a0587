/*
 * test_net_podman.c: level 3. The container's network as the engine made
 * it, carried into the VM (src/sandbox/net.h, src/agent/net.c): podman's
 * default bridge network (netavark) with moat as the runtime, QEMU under
 * TCG as the backend (or moat-vmm where /dev/kvm is usable).
 *
 * What is checked: the guest's eth0 has the address, prefix, MAC and
 * default route podman assigned (`podman inspect` against the container's
 * own view); a port published with -p reaches busybox httpd in the
 * container from the host; two moat containers and a crun container on the
 * same network reach each other; /etc/resolv.conf and /etc/hosts are the
 * files podman wrote; --network=none gives only loopback; --network=host is
 * refused with a clear error; and nothing is left behind: no tap, no tc
 * qdisc on an engine's veth, no network namespace, no process, after 20
 * create/delete cycles, after kill -9 of the VMM, and (with moat run on a
 * namespace the test owns, which outlives the container) on the veth the
 * container used; and on a user network with IPv6, the guest has its
 * IPv6 address and reaches a neighbour by its IPv6 address and by its name
 * through aardvark-dns.
 *
 * The checks are tests/harness/netcheck.c's, which the moat-vmm level
 * (tests/kvm/test_net_podman_vmm.c) runs too; the image and crun's cgroup
 * fix-up are as in test_podman.c (engine.h).
 */
#include "../harness/netcheck.h"
#include "../harness/nettest.h"
#include "../harness/test.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static struct netcheck n;

/* --- tests ---------------------------------------------------------------- */

TEST_TIMEOUT(net_bridge_addresses_ports_files_and_neighbours, 900)
{
	netcheck_setup(&n, "netpodman");
	netcheck_bridge(&n, false);
	netcheck_teardown(&n);
}

TEST_TIMEOUT(net_none_is_loopback_only_and_host_is_refused, 600)
{
	netcheck_setup(&n, "netpodman");
	netcheck_none_and_host(&n);
	netcheck_teardown(&n);
}

TEST_TIMEOUT(net_nothing_leaks_after_cycles_and_kill9, 900)
{
	netcheck_setup(&n, "netpodman");
	netcheck_cycles(&n, 20, true);
	netcheck_teardown(&n);
}

/* moat run on a namespace the test made, which outlives the container:
 * the guest gets its address, route and MTU and reaches the veth's other
 * end, which reaches the container's server; when the container is gone,
 * and when its VMM was killed with SIGKILL, the veth has no qdisc of
 * moat's and no tap is left beside it. */
TEST_TIMEOUT(net_own_namespace_is_left_as_it_was, 600)
{
	static const char *const args[] = {
		"sh", "-c",
		"ip -o -4 addr show eth0; ip route; cat /sys/class/net/eth0/mtu; "
		"ping -c 1 -W 5 " NETTEST_PEER,
		NULL
	};
	char ns[64], peer[64], bundle[160], id[64];
	struct engine_run r;
	int me = (int)getpid();

	netcheck_setup(&n, "netpodman");
	snprintf(ns, sizeof(ns), "moatnet-%d", me);
	snprintf(peer, sizeof(peer), "moatpeer-%d", me);
	nettest_make(ns, peer);
	snprintf(bundle, sizeof(bundle), "%s/bundle", n.g.work);
	nettest_bundle(bundle, args, ns);

	engine_sh(&r, "%s run --bundle %s netown-%d", n.g.runtime, bundle, me);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, "inet " NETTEST_ADDR "/24");
	ENGINE_EXPECT_OUT(&r, "default via " NETTEST_PEER " dev eth0");
	ENGINE_EXPECT_OUT(&r, "\n1400\n");
	ENGINE_EXPECT_OUT(&r, "1 packets received");
	/* run deleted the container; its shim may still be ending */
	nettest_untouched(ns);

	/* the other end reaches a server in the VM; then kill -9 of the
	 * VMM while the container runs */
	snprintf(id, sizeof(id), "netkill-%d", me);
	nettest_serve(n.g.runtime, bundle, id, ns, peer);
	nettest_kill(n.g.runtime, id, ns);
	nettest_remove(ns, peer);
	netcheck_teardown(&n);
}

/* A user network with IPv6 and aardvark-dns: the guest has the IPv6
 * address podman assigned, and a moat container reaches another by its
 * name (the engine's DNS) and by its IPv6 address. */
TEST_TIMEOUT(net_user_network_ipv6_and_names, 600)
{
	netcheck_setup(&n, "netpodman");
	netcheck_ipv6_names(&n);
	netcheck_teardown(&n);
}
