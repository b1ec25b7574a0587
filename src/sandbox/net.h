/*
 * net.h: the container's network, as the engine made it on the host,
 * carried into the VM (docs/design.md, "Networking").
 *
 * The engine (podman's netavark, a CNI plugin) creates a network namespace
 * with a veth per network, its addresses, routes and MTU, and names it in
 * config.json (linux.namespaces, type network, path). net_setup() enters
 * that namespace from a short-lived thread (the shim stays in its own),
 * reads each interface (rtnetlink), creates a tap beside it (not
 * persistent: it vanishes with its last fd) and joins the two with tc: an
 * ingress qdisc on each and a u32 match-everything filter whose mirred
 * action redirects every frame to the other's egress. The VM's virtio-net
 * device gets the tap, with the veth's MAC; the agent gives the guest's NIC
 * the veth's addresses, routes and MTU (net_describe()). The veth, its
 * addresses and the engine's firewall rules stay as they are.
 *
 * Inputs: the namespace path from config.json (the engine's), and the
 * kernel's netlink replies from inside that namespace.
 */
#ifndef MOAT_SANDBOX_NET_H
#define MOAT_SANDBOX_NET_H

#include "../common/err.h"
#include "../proto/netdesc.h"
#include "sandbox.h"

#include <jansson.h>
#include <net/if.h>
#include <stdbool.h>

/* The limits are the net field's (src/proto/netdesc.h), one per NIC. */
#define NET_IFS_MAX NETDESC_IFS_MAX
_Static_assert(NET_IFS_MAX == SANDBOX_NICS_MAX, "one NIC per interface");

struct net_if {
	struct netdesc_if d; /* what the agent is told */
	int ifindex;	     /* the veth, in the namespace */
	int tap_ifindex;     /* the tap, in the namespace */
	bool plumbed;	     /* the veth has our ingress qdisc */
};

struct net_setup {
	int ns_fd; /* the namespace, held until net_teardown(); -1: none */
	unsigned n;
	struct net_if ifs[NET_IFS_MAX];
	struct sandbox_nic nics[NET_IFS_MAX]; /* the taps, as ifs[] */
};

#define NET_SETUP_INIT      \
	{                   \
		.ns_fd = -1 \
	}

/*
 * Enter the network namespace at path and carry its interfaces (all but
 * lo; at most NET_IFS_MAX, each with an Ethernet address) to taps as the
 * header says. On success ns->nics[0..n) are the taps (close-on-exec,
 * fd >= SANDBOX_NIC_FD_MIN) and ns->ifs[] describe them. host_fd is an fd
 * of the host's own network namespace (the shim opens /proc/self/ns/net
 * before it joins the container's): that namespace is refused, as moat
 * does not share it. Returns 0, or -1 with *e set and nothing left
 * behind.
 */
int net_setup(struct net_setup *ns, const char *path, int host_fd,
	      struct moat_err **e);

/*
 * The interfaces as CREATE's net field (src/proto/netdesc.h,
 * docs/protocol.md "The net field"): malloc'd, its length in *len, or NULL
 * when out of memory (or an interface the agent would refuse).
 */
uint8_t *net_describe(const struct net_setup *ns, size_t *len);

/* Close the shim's copies of the taps (after the monitor inherited them). */
void net_close_taps(struct net_setup *ns);

/*
 * Undo net_setup(): close the taps (a tap goes with its last fd, and its
 * qdisc with it) and remove the ingress qdisc (and so the filter) from each
 * veth, then let go of the namespace. Safe to call twice, and on
 * NET_SETUP_INIT.
 */
void net_teardown(struct net_setup *ns);

#endif
