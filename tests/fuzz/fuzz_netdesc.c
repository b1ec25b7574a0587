/*
 * fuzz_netdesc.c: libFuzzer target for the net field's decoder
 * (src/proto/netdesc.c), the agent's reader of the host's description.
 * What decodes is within the limits and encodes back to the same bytes
 * (one spelling per description).
 */
#include "../../src/proto/netdesc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct netdesc d;
	static uint8_t buf[NETDESC_MAX];
	const struct netdesc_if *ifs[NETDESC_IFS_MAX];
	unsigned i;
	int r = netdesc_decode(data, size, &d), n;

	if (r > 0 || r < NETDESC_ESPACE)
		abort();
	if (r)
		return 0;
	if (d.n > NETDESC_IFS_MAX || size > NETDESC_MAX)
		abort();
	for (i = 0; i < d.n; i++) {
		if (d.ifs[i].naddrs > NETDESC_ADDRS_MAX ||
		    d.ifs[i].nroutes > NETDESC_ROUTES_MAX ||
		    d.ifs[i].mtu < NETDESC_MTU_MIN ||
		    d.ifs[i].mtu > NETDESC_MTU_MAX)
			abort();
		ifs[i] = &d.ifs[i];
	}
	n = netdesc_encode(buf, sizeof(buf), ifs, d.n);
	if (n < 0 || (size_t)n != size || memcmp(buf, data, size))
		abort();
	return 0;
}
