/*
 * fuzz_syncmsg.c: libFuzzer target for the create handshake's codec
 * (src/proto/syncmsg.c). Whatever decodes must encode and decode back to
 * the same message; an error's text must be a view into the input.
 */
#include "../../src/proto/syncmsg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[4096];
	const char *in = (const char *)data;
	struct syncmsg m, back;
	int r = syncmsg_decode(in, size, &m), n;

	if (r == SYNCMSG_EMALFORMED || r == SYNCMSG_EARG || r == SYNCMSG_ESHORT)
		return 0;
	if (r != 0)
		abort();
	if (m.kind == SYNCMSG_ERROR &&
	    (m.text != in + 6 || m.text_len != size - 6))
		abort();
	if ((m.kind == SYNCMSG_PID || m.kind == SYNCMSG_OK) && m.pid <= 0)
		abort();
	if (m.kind == SYNCMSG_ERROR && size >= sizeof(buf))
		return 0; /* would be cut */
	n = syncmsg_encode(buf, sizeof(buf), &m);
	if (n < 0 || syncmsg_decode(buf, (size_t)n, &back) ||
	    back.kind != m.kind || back.pid != m.pid ||
	    back.text_len != m.text_len ||
	    (m.text_len && memcmp(back.text, m.text, m.text_len)))
		abort();
	return 0;
}
