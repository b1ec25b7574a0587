/*
 * fuzz_ctlproto.c: libFuzzer target for moat-vmm's control protocol codec
 * (src/proto/ctlproto.h). The input is a byte stream as the socket gives
 * it: split into lines the way ctl.c splits them, each line parsed; a line
 * that parses is one of the four words exactly (a '\r' allowed). The
 * status formatter runs on numbers taken from the input and must always
 * fit CTL_REPLY_MAX, ending in its one '\n'.
 */
#include "../../src/proto/ctlproto.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_words[] = { "status", "pause", "resume", "stop" };

static void fuzz_line(const char *line, size_t len)
{
	enum ctl_cmd c = ctl_parse(line, len);
	size_t n;

	if (c == CTL_BAD)
		return;
	if (c < CTL_STATUS || c > CTL_STOP)
		abort();
	n = strlen(fuzz_words[c]);
	if ((len != n && (len != n + 1 || line[n] != '\r')) ||
	    memcmp(line, fuzz_words[c], n) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *nl;
	size_t left = size;
	struct ctl_status s;
	char out[CTL_REPLY_MAX];
	int n;

	while ((nl = memchr(p, '\n', left))) {
		fuzz_line(p, (size_t)(nl - p));
		left -= (size_t)(nl - p) + 1;
		p = nl + 1;
	}
	fuzz_line(p, left);

	memset(&s, 0, sizeof(s));
	memcpy(&s.mem_mib, data, size < 8 ? size : 8);
	if (size > 8)
		memcpy(&s.p9_req, data + 8, size - 8 < 8 ? size - 8 : 8);
	s.vcpus = (unsigned)s.mem_mib;
	s.rss_kib = (long)s.p9_req;
	s.p9_copy = s.p9_sg = s.net_rx = s.net_tx = s.net_drop = ~s.mem_mib;
	s.paused = size & 1;
	n = ctl_format_status(&s, out, sizeof(out));
	if (n <= 0 || (size_t)n >= sizeof(out) || out[n - 1] != '\n' ||
	    memchr(out, '\n', (size_t)n - 1) || strncmp(out, "ok state=", 9))
		abort();
	return 0;
}
