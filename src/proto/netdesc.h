/*
 * netdesc.h: the codec of CREATE's net field (docs/protocol.md, "The net
 * field"): the container's interfaces as the engine made them on the host
 * (src/sandbox/net.c reads them and encodes), for the agent to give the
 * guest's NICs (src/agent/net.c decodes and applies). Pure: no syscalls,
 * no allocation.
 *
 * The field is a blob of the bytes below. Integers are little-endian; an
 * address is 4 (IPv4) or 16 bytes.
 *
 *   u8 version (1), u8 n (interfaces, 0..8), then n times:
 *     u8 name length (0..15), the name (no NUL; the agent keeps
 *     its own for one it cannot take), u8 mac[6],
 *     u32 mtu (68..65535), u8 naddrs (0..16), u8 nroutes (0..32),
 *     naddrs times: u8 family (4 or 6), u8 prefix, the address;
 *     nroutes times: u8 family, u8 dst prefix, u8 flags (1: a gateway,
 *       2: a metric), dst, [gateway], [u32 metric, not 0].
 *
 * Inputs: the decoder reads bytes from the host's shim (in the guest) or
 * anything (the fuzzer); every count and length is checked against the
 * limits below and what remains of the input.
 */
#ifndef MOAT_PROTO_NETDESC_H
#define MOAT_PROTO_NETDESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h> /* AF_INET, AF_INET6: constants only */

#define NETDESC_VERSION 1
#define NETDESC_IFS_MAX 8     /* interfaces (= the VM's NICs) */
#define NETDESC_ADDRS_MAX 16  /* per interface */
#define NETDESC_ROUTES_MAX 32 /* per interface */
#define NETDESC_NAME_MAX 15   /* an interface name's bytes (IF_NAMESIZE - 1) */
#define NETDESC_MTU_MIN 68
#define NETDESC_MTU_MAX 65535
/* The largest encoding: the header, then each interface at its limits
 * (within the field's MSG_NET_MAX). */
#define NETDESC_MAX                                            \
	(2 +                                                   \
	 NETDESC_IFS_MAX * (1 + NETDESC_NAME_MAX + 6 + 4 + 2 + \
			    NETDESC_ADDRS_MAX * 18 + NETDESC_ROUTES_MAX * 39))

/* Errors: negative. */
#define NETDESC_ELIST (-1)  /* header, count, or bytes after the list */
#define NETDESC_EIF (-2)    /* an interface's name, MAC or MTU */
#define NETDESC_EADDR (-3)  /* an address */
#define NETDESC_EROUTE (-4) /* a route */
#define NETDESC_ESPACE (-5) /* encode: does not fit the buffer */

struct netdesc_addr {
	int family; /* AF_INET or AF_INET6 */
	unsigned char a[16];
	unsigned prefix;
};

struct netdesc_route {
	int family;
	unsigned char dst[16];
	unsigned dst_len;
	bool has_gw;
	unsigned char gw[16];
	unsigned metric; /* 0: none */
};

struct netdesc_if {
	char name[NETDESC_NAME_MAX + 1]; /* may be empty */
	unsigned char mac[6];
	unsigned mtu;
	unsigned naddrs, nroutes;
	struct netdesc_addr addrs[NETDESC_ADDRS_MAX];
	struct netdesc_route routes[NETDESC_ROUTES_MAX];
};

struct netdesc {
	unsigned n;
	struct netdesc_if ifs[NETDESC_IFS_MAX];
};

/* Encode the n interfaces *ifs[0..n) into buf (NETDESC_MAX always
 * suffices). Returns the length, or NETDESC_ESPACE, or the decoder's code
 * for what it would refuse (n, a count, a family, a prefix). */
int netdesc_encode(uint8_t *buf, size_t cap,
		   const struct netdesc_if *const *ifs, unsigned n);
/* Decode the whole of buf[0..len) into *d. 0 or a NETDESC_E* code. */
int netdesc_decode(const uint8_t *buf, size_t len, struct netdesc *d);

#endif
