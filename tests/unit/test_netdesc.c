/*
 * test_netdesc.c: the codec of CREATE's net field (src/proto/netdesc.c):
 * a description round trip at the limits, its exact bytes, and what the
 * decoder refuses (the cases spelled in hex, decoded from the bytes).
 */
#include "../harness/test.h"
#include "../../src/proto/netdesc.h"

#include <stdio.h>
#include <string.h>

static struct netdesc d;

/* Decode the bytes hex spells (the cases stay readable; an odd digit
 * out is dropped). */
static int dec(const char *hex)
{
	static uint8_t b[256];
	size_t n = strlen(hex) / 2, i;
	unsigned v;

	ASSERT(n <= sizeof(b));
	for (i = 0; i < n; i++) {
		ASSERT_EQ(sscanf(hex + 2 * i, "%2x", &v), 1);
		b[i] = (uint8_t)v;
	}
	return netdesc_decode(b, n, &d);
}

/* eth0, 0a:58:0a:58:00:05, mtu 1500, 10.88.0.5/16, fd00::5/64, a default
 * route through 10.88.0.1 (metric 100) and one on the link. */
static void sample(struct netdesc_if *f)
{
	memset(f, 0, sizeof(*f));
	strcpy(f->name, "eth0");
	memcpy(f->mac, "\x0a\x58\x0a\x58\x00\x05", 6);
	f->mtu = 1500;
	f->naddrs = 2;
	f->addrs[0].family = AF_INET;
	memcpy(f->addrs[0].a, "\x0a\x58\x00\x05", 4);
	f->addrs[0].prefix = 16;
	f->addrs[1].family = AF_INET6;
	f->addrs[1].a[0] = 0xfd;
	f->addrs[1].a[15] = 5;
	f->addrs[1].prefix = 64;
	f->nroutes = 2;
	f->routes[0].family = AF_INET;
	f->routes[0].has_gw = true;
	memcpy(f->routes[0].gw, "\x0a\x58\x00\x01", 4);
	f->routes[0].metric = 100;
	f->routes[1].family = AF_INET;
	memcpy(f->routes[1].dst, "\x0a\x59\x00\x00", 4);
	f->routes[1].dst_len = 16;
}

TEST(netdesc_bytes_and_round_trip)
{
	static const uint8_t want[] =
		"\x01\x01" /* v1, one interface */
		"\x04"
		"eth0"
		"\x0a\x58\x0a\x58\x00\x05"
		"\xdc\x05\x00\x00"
		"\x02\x02"		   /* mac, 1500, 2, 2 */
		"\x04\x10\x0a\x58\x00\x05" /* 10.88.0.5/16 */
		"\x06\x40\xfd\x00\x00\x00\x00\x00\x00\x00"
		"\x00\x00\x00\x00\x00\x00\x00\x05" /* fd00::5/64 */
		"\x04\x00\x03\x00\x00\x00\x00"
		"\x0a\x58\x00\x01"
		"\x64\x00\x00\x00" /* default */
		"\x04\x10\x00"
		"\x0a\x59\x00\x00"; /* 10.89.0.0/16 on the link */
	static uint8_t buf[NETDESC_MAX + 1];
	static struct netdesc_if f;
	const struct netdesc_if *ifs[] = { &f };
	int n;

	sample(&f);
	n = netdesc_encode(buf, sizeof(buf), ifs, 1);
	ASSERT(n > 0);
	ASSERT_EQ(n, (int)sizeof(want) - 1);
	ASSERT_EQ(memcmp(buf, want, sizeof(want) - 1), 0);
	ASSERT_EQ(netdesc_decode(buf, (size_t)n, &d), 0);
	ASSERT_EQ(d.n, 1);
	ASSERT_EQ(memcmp(&d.ifs[0], &f, sizeof(f)), 0);
	/* Nothing: no interface. */
	ASSERT_EQ(netdesc_encode(buf, sizeof(buf), ifs, 0), 2);
	ASSERT_EQ(netdesc_decode(buf, 2, &d), 0);
	ASSERT_EQ(d.n, 0);
}

TEST(netdesc_at_its_limits)
{
	static uint8_t buf[NETDESC_MAX];
	static struct netdesc_if f[NETDESC_IFS_MAX];
	const struct netdesc_if *ifs[NETDESC_IFS_MAX + 1];
	unsigned i, k;
	int n;

	for (i = 0; i < NETDESC_IFS_MAX; i++) {
		memset(&f[i], 0, sizeof(f[i]));
		memset(f[i].name, 'n', NETDESC_NAME_MAX);
		f[i].mtu = NETDESC_MTU_MAX;
		f[i].naddrs = NETDESC_ADDRS_MAX;
		f[i].nroutes = NETDESC_ROUTES_MAX;
		for (k = 0; k < NETDESC_ADDRS_MAX; k++) {
			f[i].addrs[k].family = AF_INET6;
			f[i].addrs[k].prefix = 128;
		}
		for (k = 0; k < NETDESC_ROUTES_MAX; k++) {
			f[i].routes[k].family = AF_INET6;
			f[i].routes[k].dst_len = 128;
			f[i].routes[k].has_gw = true;
			f[i].routes[k].metric = 0xffffffff;
		}
		ifs[i] = &f[i];
	}
	n = netdesc_encode(buf, sizeof(buf), ifs, NETDESC_IFS_MAX);
	ASSERT_EQ(n, NETDESC_MAX);
	ASSERT_EQ(netdesc_decode(buf, (size_t)n, &d), 0);
	ASSERT_EQ(d.n, NETDESC_IFS_MAX);
	ASSERT_EQ(memcmp(&d.ifs[7], &f[7], sizeof(f[7])), 0);
	ASSERT_EQ(netdesc_encode(buf, sizeof(buf) - 1, ifs, NETDESC_IFS_MAX),
		  NETDESC_ESPACE);
	ifs[NETDESC_IFS_MAX] = &f[0];
	ASSERT_EQ(netdesc_encode(buf, sizeof(buf), ifs, NETDESC_IFS_MAX + 1),
		  NETDESC_ELIST);
	/* What the decoder would refuse is not encoded either. */
	f[0].mtu = NETDESC_MTU_MIN - 1;
	ASSERT_EQ(netdesc_encode(buf, sizeof(buf), ifs, 1), NETDESC_EIF);
	f[0].mtu = NETDESC_MTU_MIN;
	f[0].addrs[0].prefix = 129;
	ASSERT_EQ(netdesc_encode(buf, sizeof(buf), ifs, 1), NETDESC_EADDR);
	f[0].addrs[0].prefix = 0;
	f[0].routes[0].family = 0;
	ASSERT_EQ(netdesc_encode(buf, sizeof(buf), ifs, 1), NETDESC_EROUTE);
}

TEST(netdesc_refuses)
{
	/* One interface "e", mac 02:..:01, mtu 1500, then the counts. */
#define IF1            \
	"0101"         \
	"0165"         \
	"020000000001" \
	"dc050000"
	ASSERT_EQ(dec(IF1 "0000"), 0);
	ASSERT_STREQ(d.ifs[0].name, "e");
	ASSERT_EQ(dec(""), NETDESC_ELIST);
	ASSERT_EQ(dec("02"), NETDESC_ELIST);   /* version 2 */
	ASSERT_EQ(dec("0109"), NETDESC_ELIST); /* 9 interfaces */
	ASSERT_EQ(dec("0100"
		      "00"),
		  NETDESC_ELIST); /* bytes after */
	ASSERT_EQ(netdesc_decode((const uint8_t *)"\x01\x00\x00", 3, &d),
		  NETDESC_ELIST); /* a NUL after: bytes, not text */
	ASSERT_EQ(dec(IF1 "00"), NETDESC_EROUTE); /* cut short */
	ASSERT_EQ(dec("0101"
		      "0165"
		      "020000000001"
		      "43000000"
		      "0000"),
		  NETDESC_EIF); /* mtu 67 */
	ASSERT_EQ(dec("0101"
		      "0165"
		      "020000000001"
		      "00000100"
		      "0000"),
		  NETDESC_EIF); /* mtu 65536 */
	ASSERT_EQ(dec("0101"
		      "1065656565656565656565656565656565"),
		  NETDESC_EIF); /* a 16-byte name */
	ASSERT_EQ(dec("0101"
		      "0100"),
		  NETDESC_EIF); /* a NUL in the name */
	ASSERT_EQ(dec("0101"
		      "01ff"
		      "020000000001"
		      "dc050000"
		      "0000"),
		  0); /* a name's bytes are the agent's to judge */
	ASSERT_EQ(netdesc_decode((const uint8_t *)"0100", 4, &d),
		  NETDESC_ELIST);		   /* the hex text of before */
	ASSERT_EQ(dec(IF1 "1100"), NETDESC_EADDR); /* 17 addresses */
	ASSERT_EQ(dec(IF1 "0100"
			  "0521"
			  "0a000001"),
		  NETDESC_EADDR);
	ASSERT_EQ(dec(IF1 "0100"
			  "0421"
			  "0a000001"),
		  NETDESC_EADDR); /* /33 */
	ASSERT_EQ(dec(IF1 "0100"
			  "0420"
			  "0a0000"),
		  NETDESC_EADDR);
	ASSERT_EQ(dec(IF1 "0100"
			  "0420"
			  "0a000001"),
		  0);
	ASSERT_EQ(d.ifs[0].addrs[0].prefix, 32);
	ASSERT_EQ(dec(IF1 "0021"), NETDESC_EROUTE); /* 33 routes */
	ASSERT_EQ(dec(IF1 "0001"
			  "040004"
			  "00000000"),
		  NETDESC_EROUTE);
	ASSERT_EQ(dec(IF1 "0001"
			  "040002"
			  "00000000"
			  "00000000"),
		  NETDESC_EROUTE); /* metric 0 */
	ASSERT_EQ(dec(IF1 "0001"
			  "040001"
			  "00000000"),
		  NETDESC_EROUTE);
	ASSERT_EQ(dec(IF1 "0001"
			  "040001"
			  "00000000"
			  "0a000001"),
		  0);
	ASSERT(d.ifs[0].routes[0].has_gw);
	ASSERT_EQ(d.ifs[0].routes[0].metric, 0);
#undef IF1
}
