/*
 * net.c: the guest's network, configured as the engine configured the
 * container's network namespace on the host (docs/design.md,
 * "Networking").
 *
 * The shim carries each of the engine's interfaces to a virtio-net NIC with
 * the same MAC address and sends their settings in CREATE's net field
 * (docs/protocol.md): [{"name","mac","mtu","addresses":["a/len"],
 * "routes":[{"dst":"a/len","gateway":"a","metric":n}]}]. Before the
 * container starts, the agent finds each NIC by its MAC in the guest's
 * network namespace and gives it the name, MTU, addresses and routes
 * (rtnetlink), then brings it up; the container runs in that namespace
 * (config.c: a network namespace with a path means the guest's). IPv6
 * addresses are added without duplicate address detection: the engine's
 * namespace owns them already, and a tentative address could not be bound.
 *
 * Inputs: the net field, from the host (the shim); addresses and prefixes
 * are parsed and checked here before they reach the kernel.
 */
#include "net.h"
#include "../common/log.h"
#include "../common/nl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <linux/if_addr.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NET_IFS_MAX 8

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

/* "a" or "a/len" (want_prefix) into family, addr, len; -1 when bad. */
static int net_parse(const char *s, bool want_prefix, int *family,
		     unsigned char *addr, unsigned *len)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned long n;

	if (!s || strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (!!slash != want_prefix)
		return -1;
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, addr) == 1)
		*family = AF_INET;
	else if (inet_pton(AF_INET6, buf, addr) == 1)
		*family = AF_INET6;
	else
		return -1;
	*len = *family == AF_INET ? 32 : 128;
	if (slash) {
		errno = 0;
		n = strtoul(slash + 1, &end, 10);
		if (errno || *end || end == slash + 1 || n > *len)
			return -1;
		*len = (unsigned)n;
	}
	return 0;
}

static int net_addr_add(int nl, int ifindex, const char *s, struct moat_err **e)
{
	struct ifaddrmsg ifa = { .ifa_index = (uint32_t)ifindex };
	unsigned char a[16];
	unsigned len;
	int family, err;
	char buf[256];
	struct nl_req r;

	if (net_parse(s, true, &family, a, &len))
		return moat_err_set(e, EINVAL, "net: bad address");
	ifa.ifa_family = (uint8_t)family;
	ifa.ifa_prefixlen = (uint8_t)len;
	nl_init(&r, buf, sizeof(buf), RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE,
		&ifa, sizeof(ifa));
	nl_put(&r, IFA_LOCAL, a, family == AF_INET ? 4 : 16);
	nl_put(&r, IFA_ADDRESS, a, family == AF_INET ? 4 : 16);
	if (family == AF_INET6)
		nl_put_u32(&r, IFA_FLAGS, IFA_F_NODAD);
	err = nl_talk(nl, &r);
	if (err)
		return moat_err_set(e, -err, "net: address %s", s);
	return 0;
}

static int net_route_add(int nl, int ifindex, json_t *rt, struct moat_err **e)
{
	struct rtmsg m = {
		.rtm_table = RT_TABLE_MAIN,
		.rtm_protocol = RTPROT_BOOT,
		.rtm_scope = RT_SCOPE_LINK,
		.rtm_type = RTN_UNICAST,
	};
	const char *dst = json_string_value(json_object_get(rt, "dst"));
	const char *gw = json_string_value(json_object_get(rt, "gateway"));
	json_t *metric = json_object_get(rt, "metric");
	unsigned char d[16], g[16];
	unsigned dlen, glen;
	int family, gfamily, err;
	char buf[256];
	struct nl_req r;

	if (net_parse(dst, true, &family, d, &dlen) ||
	    (json_object_get(rt, "gateway") && !gw) ||
	    (gw &&
	     (net_parse(gw, false, &gfamily, g, &glen) || gfamily != family)) ||
	    (metric &&
	     (!json_is_integer(metric) || json_integer_value(metric) < 0 ||
	      json_integer_value(metric) > UINT32_MAX)))
		return moat_err_set(e, EINVAL, "net: bad route");
	m.rtm_family = (uint8_t)family;
	m.rtm_dst_len = (uint8_t)dlen;
	if (gw)
		m.rtm_scope = RT_SCOPE_UNIVERSE;
	nl_init(&r, buf, sizeof(buf), RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL,
		&m, sizeof(m));
	if (dlen)
		nl_put(&r, RTA_DST, d, family == AF_INET ? 4 : 16);
	if (gw)
		nl_put(&r, RTA_GATEWAY, g, family == AF_INET ? 4 : 16);
	nl_put_u32(&r, RTA_OIF, (uint32_t)ifindex);
	if (metric)
		nl_put_u32(&r, RTA_PRIORITY,
			   (uint32_t)json_integer_value(metric));
	err = nl_talk(nl, &r);
	if (err && err != -EEXIST)
		return moat_err_set(e, -err, "net: route to %s", dst);
	return 0;
}

/* "xx:xx:xx:xx:xx:xx" into mac; -1 when bad. */
static int net_mac(const char *s, unsigned char *mac)
{
	unsigned v[ETH_ALEN];
	int n = 0, i;

	if (!s || strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%n", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &n) != 6 ||
	    n != 17)
		return -1;
	for (i = 0; i < ETH_ALEN; i++)
		mac[i] = (unsigned char)v[i];
	return 0;
}

/* One interface of the list: find its NIC, name it, set its MTU, bring it
 * up and give it its addresses; its index into *ifindex. */
static int net_if(int nl, json_t *o, int *ifindex, struct moat_err **e)
{
	unsigned char mac[ETH_ALEN];
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct net_link l = { mac, 0, "" };
	const char *name = json_string_value(json_object_get(o, "name"));
	json_t *mtu = json_object_get(o, "mtu"),
	       *addrs = json_object_get(o, "addresses"), *a;
	char buf[64];
	struct nl_req r;
	size_t i;
	int err;

	if (!json_is_object(o) ||
	    net_mac(json_string_value(json_object_get(o, "mac")), mac) ||
	    !json_is_integer(mtu) || json_integer_value(mtu) < 68 ||
	    json_integer_value(mtu) > 65535 || (addrs && !json_is_array(addrs)))
		return moat_err_set(e, EINVAL, "net: bad interface");
	nl_init(&r, buf, sizeof(buf), RTM_GETLINK, 0, &ifi, sizeof(ifi));
	err = nl_dump(nl, &r, net_link_cb, &l);
	if (err)
		return moat_err_set(e, -err, "net: list the NICs");
	if (!l.ifindex)
		return moat_err_set(
			e, ENODEV, "net: no NIC with MAC %s",
			json_string_value(json_object_get(o, "mac")));
	/* The engine's name when it is a valid one and free: else the
	 * guest's stays. */
	if (name && *name && strlen(name) < IF_NAMESIZE && !strchr(name, '/') &&
	    strcmp(name, l.name) && strcmp(name, ".") && strcmp(name, "..") &&
	    net_link_set(nl, l.ifindex, false, 0, name) < 0)
		log_info("net: NIC %s keeps its name", l.name);
	err = net_link_set(nl, l.ifindex, true,
			   (unsigned)json_integer_value(mtu), NULL);
	if (err)
		return moat_err_set(e, -err, "net: bring up the NIC");
	json_array_foreach(addrs, i, a) if (net_addr_add(nl, l.ifindex,
							 json_string_value(a),
							 e)) return -1;
	*ifindex = l.ifindex;
	return 0;
}

int net_configure(const char *text, size_t len, struct moat_err **e)
{
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL), *o,
	       *rt, *routes;
	int ifindex[NET_IFS_MAX], nl = -1, r = -1, pass;
	size_t i, k;

	if (!json_is_array(j) || json_array_size(j) > NET_IFS_MAX) {
		moat_err_set(e, EINVAL, "net: not a list of interfaces");
		goto out;
	}
	nl = nl_open();
	if (nl < 0) {
		moat_err_set(e, -nl, "net: netlink");
		goto out;
	}
	json_array_foreach(j, i, o) if (net_if(nl, o, &ifindex[i], e)) goto out;
	/* Routes on the link first, then those through a gateway on it. */
	for (pass = 0; pass < 2; pass++)
		json_array_foreach(j, i, o)
		{
			routes = json_object_get(o, "routes");
			if (routes && !json_is_array(routes)) {
				moat_err_set(e, EINVAL, "net: bad routes");
				goto out;
			}
			json_array_foreach(routes, k, rt)
			{
				if (!json_is_object(rt)) {
					moat_err_set(e, EINVAL,
						     "net: bad route");
					goto out;
				}
				if (!!json_object_get(rt, "gateway") != pass)
					continue;
				if (net_route_add(nl, ifindex[i], rt, e))
					goto out;
			}
		}
	r = 0;
out:
	if (nl >= 0)
		close(nl);
	json_decref(j);
	return r;
}
