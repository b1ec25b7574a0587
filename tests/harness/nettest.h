/*
 * nettest.h: a container network the test owns, for the networking tests
 * that run moat without an engine (tests/vm/test_net_podman.c,
 * tests/kvm/test_net_vmm.c): a namespace NETTEST_IF-side, as an engine
 * would make it, whose veth's other end sits in a second namespace that
 * plays the bridge's part; a bundle whose config.json names the first.
 */
#ifndef MOAT_TEST_NETTEST_H
#define MOAT_TEST_NETTEST_H

#define NETTEST_ADDR "10.99.0.2" /* eth0's, /24, in ns */
#define NETTEST_PEER "10.99.0.1" /* the other end's, and the gateway */
#define NETTEST_MTU 1400

/* Make namespace ns (eth0: NETTEST_ADDR/24, NETTEST_MTU, default route
 * via NETTEST_PEER) and namespace peer (the veth's other end, NETTEST_PEER
 * /24). FAILs when ip(8) does. */
void nettest_make(const char *ns, const char *peer);

/* Remove both (what is left of them). */
void nettest_remove(const char *ns, const char *peer);

/* bundle/config.json running args, in network namespace /run/netns/ns;
 * bundle/rootfs made (busybox, engine_rootfs()) when absent. */
void nettest_bundle(const char *bundle, const char *const *args,
		    const char *ns);

/* Wait up to 10 s until ns has no tap and its eth0 no ingress qdisc;
 * FAIL unless it is so and eth0 kept NETTEST_MTU. */
void nettest_untouched(const char *ns);

/* SIGKILL the monitor (QEMU or moat-vmm) of container id's shim. */
void nettest_kill_vmm(const char *id);

/* runtime (moat's wrapper) run -d container id from bundle in ns, serving
 * NETTEST_WORD with busybox httpd on port 80; check the tap and eth0's
 * ingress qdisc are there and peer reaches the server. */
#define NETTEST_WORD "moat-net-served"
void nettest_serve(const char *runtime, const char *bundle, const char *id,
		   const char *ns, const char *peer);

/* Kill id's monitor, check ns is left as it was made, delete --force. */
void nettest_kill(const char *runtime, const char *id, const char *ns);

#endif
