/*
 * netdesc.c: the codec of CREATE's net field (netdesc.h; docs/protocol.md,
 * "The net field"). Pure: no syscalls, no allocation.
 *
 * Inputs: the decoder's bytes come from the host (in the guest); each
 * count, family, prefix length and MTU is checked before it is used, and
 * nothing may follow the last interface. The bytes travel as they are
 * (the message codec's blob type).
 */
#include "netdesc.h"

#include <string.h>

#define NETDESC_F_GW 1U
#define NETDESC_F_METRIC 2U

/* --- encoding ------------------------------------------------------------- */

struct netdesc_out {
	uint8_t *p;
	size_t cap, len;
	bool full;
};

/* n bytes of v. */
static void netdesc_put(struct netdesc_out *o, const void *v, size_t n)
{
	if (o->full || n > o->cap - o->len) {
		o->full = true;
		return;
	}
	memcpy(o->p + o->len, v, n);
	o->len += n;
}

static void netdesc_put8(struct netdesc_out *o, unsigned v)
{
	uint8_t b = (uint8_t)v;

	netdesc_put(o, &b, 1);
}

static void netdesc_put32(struct netdesc_out *o, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24) };

	netdesc_put(o, b, 4);
}

/* 4 or 16 bytes for family; 0: neither. */
static size_t netdesc_alen(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

static int netdesc_if_put(struct netdesc_out *o, const struct netdesc_if *f)
{
	size_t nlen = strnlen(f->name, sizeof(f->name)), alen;
	const struct netdesc_route *r;
	unsigned i;

	if (nlen > NETDESC_NAME_MAX || f->mtu < NETDESC_MTU_MIN ||
	    f->mtu > NETDESC_MTU_MAX)
		return NETDESC_EIF;
	if (f->naddrs > NETDESC_ADDRS_MAX)
		return NETDESC_EADDR;
	if (f->nroutes > NETDESC_ROUTES_MAX)
		return NETDESC_EROUTE;
	netdesc_put8(o, (unsigned)nlen);
	netdesc_put(o, f->name, nlen);
	netdesc_put(o, f->mac, sizeof(f->mac));
	netdesc_put32(o, f->mtu);
	netdesc_put8(o, f->naddrs);
	netdesc_put8(o, f->nroutes);
	for (i = 0; i < f->naddrs; i++) {
		alen = netdesc_alen(f->addrs[i].family);
		if (!alen || f->addrs[i].prefix > alen * 8)
			return NETDESC_EADDR;
		netdesc_put8(o, alen == 4 ? 4 : 6);
		netdesc_put8(o, f->addrs[i].prefix);
		netdesc_put(o, f->addrs[i].a, alen);
	}
	for (i = 0; i < f->nroutes; i++) {
		r = &f->routes[i];
		alen = netdesc_alen(r->family);
		if (!alen || r->dst_len > alen * 8)
			return NETDESC_EROUTE;
		netdesc_put8(o, alen == 4 ? 4 : 6);
		netdesc_put8(o, r->dst_len);
		netdesc_put8(o, (r->has_gw ? NETDESC_F_GW : 0) |
					(r->metric ? NETDESC_F_METRIC : 0));
		netdesc_put(o, r->dst, alen);
		if (r->has_gw)
			netdesc_put(o, r->gw, alen);
		if (r->metric)
			netdesc_put32(o, r->metric);
	}
	return 0;
}

int netdesc_encode(uint8_t *buf, size_t cap,
		   const struct netdesc_if *const *ifs, unsigned n)
{
	struct netdesc_out o = { buf, cap, 0, false };
	unsigned i;
	int r;

	if (n > NETDESC_IFS_MAX)
		return NETDESC_ELIST;
	netdesc_put8(&o, NETDESC_VERSION);
	netdesc_put8(&o, n);
	for (i = 0; i < n; i++) {
		r = netdesc_if_put(&o, ifs[i]);
		if (r)
			return r;
	}
	return o.full ? NETDESC_ESPACE : (int)o.len;
}

/* --- decoding ------------------------------------------------------------- */

struct netdesc_in {
	const uint8_t *p;
	size_t left;
};

/* n bytes into v. */
static bool netdesc_get(struct netdesc_in *in, void *v, size_t n)
{
	if (n > in->left)
		return false;
	memcpy(v, in->p, n);
	in->p += n;
	in->left -= n;
	return true;
}

static bool netdesc_get8(struct netdesc_in *in, unsigned *v)
{
	uint8_t b;

	if (!netdesc_get(in, &b, 1))
		return false;
	*v = b;
	return true;
}

static bool netdesc_get32(struct netdesc_in *in, unsigned *v)
{
	uint8_t b[4];

	if (!netdesc_get(in, b, 4))
		return false;
	*v = (unsigned)b[0] | (unsigned)b[1] << 8 | (unsigned)b[2] << 16 |
	     (unsigned)b[3] << 24;
	return true;
}

/* A family byte (4 or 6) into family and its address length; 0: bad. */
static size_t netdesc_family(unsigned b, int *family)
{
	*family = b == 4 ? AF_INET : b == 6 ? AF_INET6 : 0;
	return netdesc_alen(*family);
}

static int netdesc_addr_get(struct netdesc_in *in, struct netdesc_addr *a)
{
	unsigned fb;
	size_t alen;

	if (!netdesc_get8(in, &fb) ||
	    !(alen = netdesc_family(fb, &a->family)) ||
	    !netdesc_get8(in, &a->prefix) || a->prefix > alen * 8 ||
	    !netdesc_get(in, a->a, alen))
		return NETDESC_EADDR;
	return 0;
}

static int netdesc_route_get(struct netdesc_in *in, struct netdesc_route *r)
{
	unsigned fb, flags;
	size_t alen;

	if (!netdesc_get8(in, &fb) ||
	    !(alen = netdesc_family(fb, &r->family)) ||
	    !netdesc_get8(in, &r->dst_len) || r->dst_len > alen * 8 ||
	    !netdesc_get8(in, &flags) ||
	    (flags & ~(NETDESC_F_GW | NETDESC_F_METRIC)) ||
	    !netdesc_get(in, r->dst, alen))
		return NETDESC_EROUTE;
	r->has_gw = flags & NETDESC_F_GW;
	if (r->has_gw && !netdesc_get(in, r->gw, alen))
		return NETDESC_EROUTE;
	if ((flags & NETDESC_F_METRIC) &&
	    (!netdesc_get32(in, &r->metric) || !r->metric))
		return NETDESC_EROUTE;
	return 0;
}

static int netdesc_if_get(struct netdesc_in *in, struct netdesc_if *f)
{
	unsigned nlen, i;
	int r;

	if (!netdesc_get8(in, &nlen) || nlen > NETDESC_NAME_MAX ||
	    !netdesc_get(in, f->name, nlen) || memchr(f->name, 0, nlen) ||
	    !netdesc_get(in, f->mac, sizeof(f->mac)) ||
	    !netdesc_get32(in, &f->mtu) || f->mtu < NETDESC_MTU_MIN ||
	    f->mtu > NETDESC_MTU_MAX)
		return NETDESC_EIF;
	f->name[nlen] = '\0';
	if (!netdesc_get8(in, &f->naddrs) || f->naddrs > NETDESC_ADDRS_MAX)
		return NETDESC_EADDR;
	if (!netdesc_get8(in, &f->nroutes) || f->nroutes > NETDESC_ROUTES_MAX)
		return NETDESC_EROUTE;
	for (i = 0; i < f->naddrs; i++) {
		r = netdesc_addr_get(in, &f->addrs[i]);
		if (r)
			return r;
	}
	for (i = 0; i < f->nroutes; i++) {
		r = netdesc_route_get(in, &f->routes[i]);
		if (r)
			return r;
	}
	return 0;
}

int netdesc_decode(const uint8_t *buf, size_t len, struct netdesc *d)
{
	struct netdesc_in in = { buf, len };
	unsigned v, i;
	int r;

	memset(d, 0, sizeof(*d));
	if (!netdesc_get8(&in, &v) || v != NETDESC_VERSION ||
	    !netdesc_get8(&in, &d->n) || d->n > NETDESC_IFS_MAX)
		return NETDESC_ELIST;
	for (i = 0; i < d->n; i++) {
		r = netdesc_if_get(&in, &d->ifs[i]);
		if (r)
			return r;
	}
	return in.left ? NETDESC_ELIST : 0;
}
