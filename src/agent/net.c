/*
 * net.c: the guest's network, configured as the engine configured the
 * container's network namespace on the host (docs/design.md,
 * "Networking").
 *
 * The shim carries each of the engine's interfaces to a virtio-net NIC with
 * the same MAC address and sends their settings in CREATE's net field
 * (docs/protocol.md "The net field", decoded by src/proto/netdesc.c:
 * name, MAC, MTU, addresses, routes). Before the
 * container starts, the agent finds each NIC by its MAC in the guest's
 * network namespace and gives it the name, MTU, addresses and routes
 * (rtnetlink), then brings it up; the container runs in that namespace
 * (config.c: a network namespace with a path means the guest's). IPv6
 * addresses are added without duplicate address detection: the engine's
 * namespace owns them already, and a tentative address could not be bound.
 *
 * Inputs: the net field, from the host (the shim); decoded and checked
 * whole by the codec (families, prefixes, MTU, counts) before anything
 * reaches the kernel.
 */
#include "net.h"
#include "../common/log.h"
#include "../common/nl.h"
#include "../proto/netdesc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct net_link {
	const unsigned char *mac; /* the one looked for */
	int ifindex;		  /* found: > 0 */
	char name[IF_NAMESIZE];
};

static int net_link_cb(const struct nlmsghdr *h, void *arg)
{
	struct net_link *l = arg;
	const struct rtattr *tb[IFLA_MAX + 1];
	const struct ifinfomsg *ifi = NLMSG_DATA(h);

	if (h->nlmsg_type != RTM_NEWLINK ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return 0;
	nl_msg_attrs(h, sizeof(*ifi), tb, IFLA_MAX);
	if (!tb[IFLA_ADDRESS] || NL_LEN(tb[IFLA_ADDRESS]) != ETH_ALEN ||
	    memcmp(NL_DATA(tb[IFLA_ADDRESS]), l->mac, ETH_ALEN) || l->ifindex)
		return 0;
	l->ifindex = ifi->ifi_index;
	if (tb[IFLA_IFNAME])
		snprintf(l->name, sizeof(l->name), "%.*s",
			 (int)strnlen(NL_DATA(tb[IFLA_IFNAME]),
				      NL_LEN(tb[IFLA_IFNAME])),
			 (const char *)NL_DATA(tb[IFLA_IFNAME]));
	return 0;
}

/* Link ifindex: up or down, and the mtu and name when not 0 / NULL. */
static int net_link_set(int nl, int ifindex, bool up, unsigned mtu,
			const char *name)
{
	struct ifinfomsg ifi = {
		.ifi_family = AF_UNSPEC,
		.ifi_index = ifindex,
		.ifi_flags = up ? IFF_UP : 0,
		.ifi_change = IFF_UP,
	};
	char buf[256];
	struct nl_req r;

	nl_init(&r, buf, sizeof(buf), RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	if (mtu)
		nl_put_u32(&r, IFLA_MTU, mtu);
	if (name)
		nl_put_str(&r, IFLA_IFNAME, name);
	return nl_talk(nl, &r);
}

int net_lo_up(void)
{
	int nl = nl_open(), err;

	if (nl < 0)
		return nl;
	err = net_link_set(nl, 1, true, 0, NULL); /* lo is always 1 */
	close(nl);
	return err;
}

/* a/len as text, for messages. */
static const char *net_text(char *buf, size_t cap, int family,
			    const unsigned char *a, unsigned len)
{
	size_t n;

	if (!inet_ntop(family, a, buf, (socklen_t)cap))
		return "?";
	n = strlen(buf);
	snprintf(buf + n, cap - n, "/%u", len);
	return buf;
}

static int net_addr_add(int nl, int ifindex, const struct netdesc_addr *ad,
			struct moat_err **e)
{
	struct ifaddrmsg ifa = { .ifa_index = (uint32_t)ifindex };
	size_t alen = ad->family == AF_INET ? 4 : 16;
	char buf[256], text[INET6_ADDRSTRLEN + 8];
	struct nl_req r;
	int err;

	ifa.ifa_family = (uint8_t)ad->family;
	ifa.ifa_prefixlen = (uint8_t)ad->prefix;
	nl_init(&r, buf, sizeof(buf), RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE,
		&ifa, sizeof(ifa));
	nl_put(&r, IFA_LOCAL, ad->a, alen);
	nl_put(&r, IFA_ADDRESS, ad->a, alen);
	if (ad->family == AF_INET6)
		nl_put_u32(&r, IFA_FLAGS, IFA_F_NODAD);
	err = nl_talk(nl, &r);
	if (err)
		return moat_err_set(e, -err, "net: address %s",
				    net_text(text, sizeof(text), ad->family,
					     ad->a, ad->prefix));
	return 0;
}

static int net_route_add(int nl, int ifindex, const struct netdesc_route *rt,
			 struct moat_err **e)
{
	struct rtmsg m = {
		.rtm_table = RT_TABLE_MAIN,
		.rtm_protocol = RTPROT_BOOT,
		.rtm_scope = RT_SCOPE_LINK,
		.rtm_type = RTN_UNICAST,
	};
	size_t alen = rt->family == AF_INET ? 4 : 16;
	char buf[256], text[INET6_ADDRSTRLEN + 8];
	struct nl_req r;
	int err;

	m.rtm_family = (uint8_t)rt->family;
	m.rtm_dst_len = (uint8_t)rt->dst_len;
	if (rt->has_gw)
		m.rtm_scope = RT_SCOPE_UNIVERSE;
	nl_init(&r, buf, sizeof(buf), RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL,
		&m, sizeof(m));
	if (rt->dst_len)
		nl_put(&r, RTA_DST, rt->dst, alen);
	if (rt->has_gw)
		nl_put(&r, RTA_GATEWAY, rt->gw, alen);
	nl_put_u32(&r, RTA_OIF, (uint32_t)ifindex);
	if (rt->metric)
		nl_put_u32(&r, RTA_PRIORITY, rt->metric);
	err = nl_talk(nl, &r);
	if (err && err != -EEXIST)
		return moat_err_set(e, -err, "net: route to %s",
				    net_text(text, sizeof(text), rt->family,
					     rt->dst, rt->dst_len));
	return 0;
}

/* One interface of the list: find its NIC, name it, set its MTU, bring it
 * up and give it its addresses; its index into *ifindex. */
static int net_if(int nl, const struct netdesc_if *f, int *ifindex,
		  struct moat_err **e)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct net_link l = { f->mac, 0, "" };
	const char *name = f->name;
	char buf[64];
	struct nl_req r;
	unsigned i;
	int err;

	nl_init(&r, buf, sizeof(buf), RTM_GETLINK, 0, &ifi, sizeof(ifi));
	err = nl_dump(nl, &r, net_link_cb, &l);
	if (err)
		return moat_err_set(e, -err, "net: list the NICs");
	if (!l.ifindex)
		return moat_err_set(e, ENODEV,
				    "net: no NIC with MAC "
				    "%02x:%02x:%02x:%02x:%02x:%02x",
				    f->mac[0], f->mac[1], f->mac[2], f->mac[3],
				    f->mac[4], f->mac[5]);
	/* The engine's name when it is a valid one and free: else the
	 * guest's stays. */
	if (*name && !strchr(name, '/') && strcmp(name, l.name) &&
	    strcmp(name, ".") && strcmp(name, "..") &&
	    net_link_set(nl, l.ifindex, false, 0, name) < 0)
		log_info("net: NIC %s keeps its name", l.name);
	err = net_link_set(nl, l.ifindex, true, f->mtu, NULL);
	if (err)
		return moat_err_set(e, -err, "net: bring up the NIC");
	for (i = 0; i < f->naddrs; i++)
		if (net_addr_add(nl, l.ifindex, &f->addrs[i], e))
			return -1;
	*ifindex = l.ifindex;
	return 0;
}

int net_configure(const uint8_t *desc, size_t len, struct moat_err **e)
{
	static const char *const bad[] = {
		[-NETDESC_ELIST] = "net: not a list of interfaces",
		[-NETDESC_EIF] = "net: bad interface",
		[-NETDESC_EADDR] = "net: bad address",
		[-NETDESC_EROUTE] = "net: bad route",
	};
	static struct netdesc d; /* 20 KiB */
	int ifindex[NETDESC_IFS_MAX], nl = -1, r = -1, pass;
	unsigned i, k;

	r = netdesc_decode(desc, len, &d);
	if (r < 0)
		return moat_err_set(e, EINVAL, "%s",
				    -r < (int)(sizeof(bad) / sizeof(bad[0]))
					    ? bad[-r]
					    : "net: bad description");
	r = -1;
	nl = nl_open();
	if (nl < 0) {
		moat_err_set(e, -nl, "net: netlink");
		goto out;
	}
	for (i = 0; i < d.n; i++)
		if (net_if(nl, &d.ifs[i], &ifindex[i], e))
			goto out;
	/* Routes on the link first, then those through a gateway on it. */
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < d.n; i++)
			for (k = 0; k < d.ifs[i].nroutes; k++)
				if (d.ifs[i].routes[k].has_gw == pass &&
				    net_route_add(nl, ifindex[i],
						  &d.ifs[i].routes[k], e))
					goto out;
	r = 0;
out:
	if (nl >= 0)
		close(nl);
	return r;
}
