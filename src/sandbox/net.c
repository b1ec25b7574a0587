/*
 * net.c: the container's network namespace carried to the VM's NICs (see
 * net.h; docs/design.md, "Networking").
 *
 * Everything that happens inside the engine's namespace runs on a
 * short-lived thread that setns()es into it: a netlink socket and a tun
 * device belong to the namespace of the thread that makes them, and the
 * shim's own thread never leaves the host's. The tc rules are made over
 * netlink (RTM_NEWQDISC, RTM_NEWTFILTER; include/uapi/linux/pkt_sched.h,
 * pkt_cls.h, tc_act/tc_mirred.h), not by running tc(8).
 *
 * Inputs: the namespace path from config.json; netlink replies from the
 * kernel (checked against their lengths by nl.c and here).
 */
#include "net.h"
#include "../common/nl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/tc_act/tc_mirred.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define NET_TAP_NAME "moat%d"
#define NET_TC_PRIO 1

/* --- the interfaces ------------------------------------------------------- */

struct net_dump {
	struct net_setup *ns;
	int err; /* a limit reached: -E2BIG */
};

static struct net_if *net_find(struct net_setup *ns, int ifindex)
{
	unsigned i;

	for (i = 0; i < ns->n; i++)
		if (ns->ifs[i].ifindex == ifindex)
			return &ns->ifs[i];
	return NULL;
}

static int net_link_cb(const struct nlmsghdr *h, void *arg)
{
	struct net_dump *d = arg;
	const struct rtattr *tb[IFLA_MAX + 1];
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct net_if *nif;

	if (h->nlmsg_type != RTM_NEWLINK ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return 0;
	if ((ifi->ifi_flags & IFF_LOOPBACK) || ifi->ifi_type != ARPHRD_ETHER)
		return 0;
	nl_msg_attrs(h, sizeof(*ifi), tb, IFLA_MAX);
	if (!tb[IFLA_ADDRESS] || NL_LEN(tb[IFLA_ADDRESS]) != ETH_ALEN ||
	    !tb[IFLA_IFNAME] || !tb[IFLA_MTU] ||
	    NL_LEN(tb[IFLA_MTU]) != sizeof(uint32_t))
		return 0;
	if (d->ns->n == NET_IFS_MAX) {
		d->err = -E2BIG;
		return 0;
	}
	nif = &d->ns->ifs[d->ns->n++];
	memset(nif, 0, sizeof(*nif));
	nif->ifindex = ifi->ifi_index;
	memcpy(nif->d.mac, NL_DATA(tb[IFLA_ADDRESS]), ETH_ALEN);
	memcpy(&nif->d.mtu, NL_DATA(tb[IFLA_MTU]), sizeof(uint32_t));
	snprintf(
		nif->d.name, sizeof(nif->d.name), "%.*s",
		(int)strnlen(NL_DATA(tb[IFLA_IFNAME]), NL_LEN(tb[IFLA_IFNAME])),
		(const char *)NL_DATA(tb[IFLA_IFNAME]));
	return 0;
}

static int net_addr_cb(const struct nlmsghdr *h, void *arg)
{
	struct net_dump *d = arg;
	const struct rtattr *tb[IFA_MAX + 1], *a;
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	struct net_if *nif;
	struct netdesc_addr *ad;
	size_t alen;

	if (h->nlmsg_type != RTM_NEWADDR ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
		return 0;
	nif = net_find(d->ns, (int)ifa->ifa_index);
	alen = ifa->ifa_family == AF_INET ? 4 : 16;
	if (!nif || (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
		return 0;
	/* The guest makes its own link-local address from the same MAC. */
	if (ifa->ifa_scope == RT_SCOPE_LINK || ifa->ifa_scope == RT_SCOPE_HOST)
		return 0;
	nl_msg_attrs(h, sizeof(*ifa), tb, IFA_MAX);
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!a || NL_LEN(a) != alen || ifa->ifa_prefixlen > alen * 8)
		return 0;
	if (nif->d.naddrs == NETDESC_ADDRS_MAX) {
		d->err = -E2BIG;
		return 0;
	}
	ad = &nif->d.addrs[nif->d.naddrs++];
	ad->family = ifa->ifa_family;
	memcpy(ad->a, NL_DATA(a), alen);
	ad->prefix = ifa->ifa_prefixlen;
	return 0;
}

static int net_route_cb(const struct nlmsghdr *h, void *arg)
{
	struct net_dump *d = arg;
	const struct rtattr *tb[RTA_MAX + 1];
	const struct rtmsg *rt = NLMSG_DATA(h);
	struct netdesc_route *r;
	struct net_if *nif;
	uint32_t table, oif;
	size_t alen;

	if (h->nlmsg_type != RTM_NEWROUTE ||
	    h->nlmsg_len < NLMSG_LENGTH(sizeof(*rt)))
		return 0;
	if ((rt->rtm_family != AF_INET && rt->rtm_family != AF_INET6) ||
	    rt->rtm_type != RTN_UNICAST)
		return 0;
	/* The kernel's own routes (a prefix's) come back with the address. */
	if (rt->rtm_protocol == RTPROT_KERNEL)
		return 0;
	alen = rt->rtm_family == AF_INET ? 4 : 16;
	nl_msg_attrs(h, sizeof(*rt), tb, RTA_MAX);
	table = rt->rtm_table;
	if (tb[RTA_TABLE] && NL_LEN(tb[RTA_TABLE]) == sizeof(table))
		memcpy(&table, NL_DATA(tb[RTA_TABLE]), sizeof(table));
	if (table != RT_TABLE_MAIN || !tb[RTA_OIF] ||
	    NL_LEN(tb[RTA_OIF]) != sizeof(oif) || rt->rtm_dst_len > alen * 8)
		return 0;
	memcpy(&oif, NL_DATA(tb[RTA_OIF]), sizeof(oif));
	nif = net_find(d->ns, (int)oif);
	if (!nif)
		return 0;
	if (nif->d.nroutes == NETDESC_ROUTES_MAX) {
		d->err = -E2BIG;
		return 0;
	}
	r = &nif->d.routes[nif->d.nroutes];
	memset(r, 0, sizeof(*r));
	r->family = rt->rtm_family;
	r->dst_len = rt->rtm_dst_len;
	if (tb[RTA_DST]) {
		if (NL_LEN(tb[RTA_DST]) != alen)
			return 0;
		memcpy(r->dst, NL_DATA(tb[RTA_DST]), alen);
	}
	if (tb[RTA_GATEWAY]) {
		if (NL_LEN(tb[RTA_GATEWAY]) != alen)
			return 0;
		memcpy(r->gw, NL_DATA(tb[RTA_GATEWAY]), alen);
		r->has_gw = true;
	}
	if (tb[RTA_PRIORITY] && NL_LEN(tb[RTA_PRIORITY]) == sizeof(uint32_t))
		memcpy(&r->metric, NL_DATA(tb[RTA_PRIORITY]), sizeof(uint32_t));
	nif->d.nroutes++;
	return 0;
}

static int net_read(int nl, struct net_setup *ns, struct moat_err **e)
{
	struct net_dump d = { ns, 0 };
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct ifaddrmsg ifa = { .ifa_family = AF_UNSPEC };
	struct rtmsg rt = { .rtm_family = AF_UNSPEC };
	char buf[256];
	struct nl_req r;
	int err;

	nl_init(&r, buf, sizeof(buf), RTM_GETLINK, 0, &ifi, sizeof(ifi));
	err = nl_dump(nl, &r, net_link_cb, &d);
	if (!err) {
		nl_init(&r, buf, sizeof(buf), RTM_GETADDR, 0, &ifa,
			sizeof(ifa));
		err = nl_dump(nl, &r, net_addr_cb, &d);
	}
	if (!err) {
		nl_init(&r, buf, sizeof(buf), RTM_GETROUTE, 0, &rt, sizeof(rt));
		err = nl_dump(nl, &r, net_route_cb, &d);
	}
	if (err)
		return moat_err_set(e, -err, "read the interfaces");
	if (d.err)
		return moat_err_set(e, E2BIG,
				    "more than %d interfaces, or more than %d "
				    "addresses or %d routes on one",
				    NET_IFS_MAX, NETDESC_ADDRS_MAX,
				    NETDESC_ROUTES_MAX);
	return 0;
}

/* --- taps and tc ---------------------------------------------------------- */

/* A tap in the calling thread's namespace, up with mtu: its fd (moved to
 * SANDBOX_NIC_FD_MIN or above) and *ifindex, or -errno. */
static int net_tap(int nl, unsigned mtu, int *ifindex)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	char buf[256];
	struct nl_req r;
	int fd, hi, err;

	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memcpy(ifr.ifr_name, NET_TAP_NAME, sizeof(NET_TAP_NAME));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		goto fail;
	hi = fcntl(fd, F_DUPFD_CLOEXEC, SANDBOX_NIC_FD_MIN);
	if (hi < 0)
		goto fail;
	close(fd);
	fd = hi;
	ifr.ifr_name[IFNAMSIZ - 1] = '\0';
	*ifindex = (int)if_nametoindex(ifr.ifr_name);
	if (!*ifindex)
		goto fail;
	ifi.ifi_index = *ifindex;
	ifi.ifi_flags = IFF_UP;
	ifi.ifi_change = IFF_UP;
	nl_init(&r, buf, sizeof(buf), RTM_NEWLINK, 0, &ifi, sizeof(ifi));
	nl_put_u32(&r, IFLA_MTU, mtu);
	err = nl_talk(nl, &r);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

/* An ingress qdisc on ifindex (add), or its removal (del). */
static int net_ingress(int nl, int ifindex, bool add)
{
	struct tcmsg t = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = ifindex,
		.tcm_handle = TC_H_MAKE(TC_H_INGRESS, 0),
		.tcm_parent = TC_H_INGRESS,
	};
	char buf[256];
	struct nl_req r;

	nl_init(&r, buf, sizeof(buf), add ? RTM_NEWQDISC : RTM_DELQDISC,
		add ? NLM_F_CREATE | NLM_F_EXCL : 0, &t, sizeof(t));
	nl_put_str(&r, TCA_KIND, "ingress");
	return nl_talk(nl, &r);
}

/* On from's ingress: a u32 filter matching every frame, whose mirred
 * action sends it out of to (redirect, so it goes no further on from). */
static int net_redirect(int nl, int from, int to)
{
	struct tcmsg t = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = from,
		.tcm_parent = TC_H_MAKE(TC_H_INGRESS, 0),
		.tcm_info = TC_H_MAKE(NET_TC_PRIO << 16, htons(ETH_P_ALL)),
	};
	struct {
		struct tc_u32_sel sel;
		struct tc_u32_key key; /* mask 0: every frame matches */
	} sel = { .sel = { .flags = TC_U32_TERMINAL, .nkeys = 1 } };
	struct tc_mirred m = {
		.action = TC_ACT_STOLEN,
		.eaction = TCA_EGRESS_REDIR,
		.ifindex = (uint32_t)to,
	};
	struct rtattr *opt, *acts, *act, *aopt;
	char buf[512];
	struct nl_req r;

	nl_init(&r, buf, sizeof(buf), RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL,
		&t, sizeof(t));
	nl_put_str(&r, TCA_KIND, "u32");
	opt = nl_nest_begin(&r, TCA_OPTIONS);
	nl_put(&r, TCA_U32_SEL, &sel, sizeof(sel));
	acts = nl_nest_begin(&r, TCA_U32_ACT);
	act = nl_nest_begin(&r, 1); /* the first action */
	nl_put_str(&r, TCA_ACT_KIND, "mirred");
	aopt = nl_nest_begin(&r, TCA_ACT_OPTIONS);
	nl_put(&r, TCA_MIRRED_PARMS, &m, sizeof(m));
	nl_nest_end(&r, aopt);
	nl_nest_end(&r, act);
	nl_nest_end(&r, acts);
	nl_nest_end(&r, opt);
	return nl_talk(nl, &r);
}

/* Make ns's taps and join each to its veth. */
static int net_plumb(int nl, struct net_setup *ns, struct moat_err **e)
{
	struct net_if *nif;
	unsigned i;
	int fd, err;

	for (i = 0; i < ns->n; i++) {
		nif = &ns->ifs[i];
		fd = net_tap(nl, nif->d.mtu, &nif->tap_ifindex);
		if (fd < 0)
			return moat_err_set(e, -fd, "%s: tap", nif->d.name);
		ns->nics[i].fd = fd;
		ns->nics[i].mtu = nif->d.mtu;
		memcpy(ns->nics[i].mac, nif->d.mac, ETH_ALEN);
		err = net_ingress(nl, nif->ifindex, true);
		if (err)
			return moat_err_set(e, -err, "%s: ingress qdisc",
					    nif->d.name);
		nif->plumbed = true;
		err = net_ingress(nl, nif->tap_ifindex, true);
		if (!err)
			err = net_redirect(nl, nif->ifindex, nif->tap_ifindex);
		if (!err)
			err = net_redirect(nl, nif->tap_ifindex, nif->ifindex);
		if (err)
			return moat_err_set(e, -err, "%s: tc redirect",
					    nif->d.name);
	}
	return 0;
}

/* --- the thread in the namespace ------------------------------------------ */

struct net_job {
	struct net_setup *ns;
	bool setup; /* else tear down */
	struct moat_err *err;
};

static void *net_thread(void *arg)
{
	struct net_job *j = arg;
	unsigned i;
	int nl;

	if (setns(j->ns->ns_fd, CLONE_NEWNET) < 0) {
		moat_err_set(&j->err, errno, "enter the network namespace");
		return NULL;
	}
	nl = nl_open();
	if (nl < 0) {
		moat_err_set(&j->err, -nl, "netlink");
		return NULL;
	}
	if (j->setup) {
		if (net_read(nl, j->ns, &j->err) == 0)
			net_plumb(nl, j->ns, &j->err);
	} else {
		/* The filter goes with the qdisc; the tap's with the tap. */
		for (i = 0; i < j->ns->n; i++)
			if (j->ns->ifs[i].plumbed)
				net_ingress(nl, j->ns->ifs[i].ifindex, false);
	}
	close(nl);
	return NULL;
}

/* Run j on a thread in j->ns's namespace; -1 with *e from the thread. */
static int net_run(struct net_job *j, struct moat_err **e)
{
	pthread_t t;
	int err;

	err = pthread_create(&t, NULL, net_thread, j);
	if (err)
		return moat_err_set(e, err, "network namespace thread");
	pthread_join(t, NULL);
	if (j->err) {
		moat_err_set(e, j->err->errnum, "%s", j->err->msg);
		moat_err_free(&j->err);
		return -1;
	}
	return 0;
}

/* --- the interface -------------------------------------------------------- */

int net_setup(struct net_setup *ns, const char *path, int host_fd,
	      struct moat_err **e)
{
	struct net_job j = { ns, true, NULL };
	struct stat a, b;
	unsigned i;

	*ns = (struct net_setup)NET_SETUP_INIT;
	for (i = 0; i < NET_IFS_MAX; i++)
		ns->nics[i].fd = -1;
	ns->ns_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (ns->ns_fd < 0)
		return moat_err_set(e, errno, "%s", path);
	/* host_fd is the host's namespace, kept by the shim before it
	 * joined the container's (src/shim/netns.c). */
	if (fstat(ns->ns_fd, &a) < 0 || fstat(host_fd, &b) < 0) {
		moat_err_set(e, errno, "%s", path);
		goto fail;
	}
	if (a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
		moat_err_code(e, EOPNOTSUPP,
			      "%s: moat does not share the host's network "
			      "namespace",
			      path);
		goto fail;
	}
	if (net_run(&j, e) < 0) {
		moat_err_wrap(e, "%s", path);
		goto fail;
	}
	return 0;
fail:
	net_teardown(ns);
	return -1;
}

void net_close_taps(struct net_setup *ns)
{
	unsigned i;

	for (i = 0; i < ns->n; i++)
		if (ns->nics[i].fd >= 0) {
			close(ns->nics[i].fd);
			ns->nics[i].fd = -1;
		}
}

void net_teardown(struct net_setup *ns)
{
	struct net_job j = { ns, false, NULL };
	struct moat_err *e = NULL;

	net_close_taps(ns);
	if (ns->ns_fd < 0)
		return;
	if (ns->n && net_run(&j, &e) < 0)
		moat_err_free(&e); /* the engine removes the namespace anyway */
	close(ns->ns_fd);
	ns->ns_fd = -1;
	ns->n = 0;
}

uint8_t *net_describe(const struct net_setup *ns, size_t *len)
{
	const struct netdesc_if *ifs[NET_IFS_MAX];
	uint8_t *buf = malloc(NETDESC_MAX);
	unsigned i;
	int n;

	for (i = 0; i < ns->n && i < NET_IFS_MAX; i++)
		ifs[i] = &ns->ifs[i].d;
	n = buf ? netdesc_encode(buf, NETDESC_MAX, ifs, i) : -1;
	if (n < 0) {
		free(buf);
		return NULL;
	}
	*len = (size_t)n;
	return buf;
}
