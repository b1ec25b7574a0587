/*
 * fuzz_ready.c: libFuzzer target for ready_scan(), the host's scanner of
 * guest console bytes. Checks the scanner's contract on every input and
 * that a formatted line always scans back to its value.
 */
#include "../../src/proto/ready.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ready_info ri = { 0, 0 };
	char line[READY_LINE_MAX + 2];
	int r = ready_scan((const char *)data, size, &ri);

	if (r == 0) {
		if (ri.end == 0 || ri.end > size || data[ri.end - 1] != '\n' ||
		    ri.uptime_ms > READY_UPTIME_MAX)
			abort();
		/* Round trip: the value formats and scans back unchanged. */
		int n = ready_format(line, sizeof(line), ri.uptime_ms);
		struct ready_info back;

		if (n < 0 || ready_scan(line, (size_t)n, &back) != 0 ||
		    back.uptime_ms != ri.uptime_ms || back.end != (size_t)n)
			abort();
	} else if (r != READY_ENOTFOUND && r != READY_EMALFORMED) {
		abort();
	}
	return 0;
}
