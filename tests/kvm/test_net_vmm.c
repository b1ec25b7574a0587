/*
 * test_net_vmm.c: level 4, inside the nested-KVM test host: the container's
 * network carried into a moat-vmm VM (src/sandbox/net.c, moat-vmm's
 * --net fd:N,mac=...,mtu=..., src/agent/net.c), end to end through the
 * moat CLI and shim with MOAT_HYPERVISOR=vmm. No engine runs here: the
 * test makes the container's network namespace itself (nettest.h), a veth
 * whose other end is in a second namespace that plays the bridge.
 *
 * One boot: the container serves busybox httpd; the other end reaches it;
 * in the container (moat exec) eth0 has the namespace's address, MTU and
 * default route and pings the other end; the VMM is killed with SIGKILL and
 * the namespace is left as it was made (no tap, no qdisc on the veth, the
 * MTU kept); nothing of moat's is left running.
 */
#include "../harness/engine.h"
#include "../harness/nettest.h"
#include "../harness/test.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct engine g;

/* moat and moat-shim beside moat-vmm (tests/kvm/inner names MOAT_VMM). */
static void setup(void)
{
	const char *vmm = getenv("MOAT_VMM");
	char dir[PATH_MAX], path[PATH_MAX + 16];

	if (!vmm || !*vmm)
		FAIL("MOAT_VMM is not set (run through make check)");
	snprintf(dir, sizeof(dir), "%s", vmm);
	dirname(dir);
	snprintf(path, sizeof(path), "%s/moat", dir);
	setenv("MOAT_CLI", path, 0);
	snprintf(path, sizeof(path), "%s/moat-shim", dir);
	setenv("MOAT_SHIM", path, 0);
	setenv("MOAT_HYPERVISOR", "moat-vmm", 1);
	/* tc(8) is in /usr/sbin, which the test host's PATH lacks */
	setenv("PATH",
	       "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
	       1);
	engine_setup(&g, "netvmm");
}

TEST_TIMEOUT(net_vmm_carries_the_namespace_and_leaves_it_as_it_was, 900)
{
	char ns[64], peer[64], bundle[160], id[64];
	struct engine_run r;
	int me = (int)getpid();

	setup();
	snprintf(ns, sizeof(ns), "moatnet-%d", me);
	snprintf(peer, sizeof(peer), "moatpeer-%d", me);
	snprintf(id, sizeof(id), "netvmm-%d", me);
	nettest_make(ns, peer);
	snprintf(bundle, sizeof(bundle), "%s/bundle", g.work);

	/* the other end reaches a server in the VM */
	nettest_serve(g.runtime, bundle, id, ns, peer);
	/* the guest's view, and the way out */
	engine_sh(&r,
		  "%s exec %s sh -c 'ip -o -4 addr show eth0; ip route; cat "
		  "/sys/class/net/eth0/mtu; ping -c 1 -W 10 " NETTEST_PEER "'",
		  g.runtime, id);
	ENGINE_EXPECT(&r, 0);
	ENGINE_EXPECT_OUT(&r, "inet " NETTEST_ADDR "/24");
	ENGINE_EXPECT_OUT(&r, "default via " NETTEST_PEER " dev eth0");
	ENGINE_EXPECT_OUT(&r, "\n1400\n");
	ENGINE_EXPECT_OUT(&r, "1 packets received");
	/* SIGKILL to moat-vmm: its tap goes with it, the shim removes the
	 * veth's qdisc */
	nettest_kill(g.runtime, id, ns);
	nettest_remove(ns, peer);
	engine_teardown(&g);
}
