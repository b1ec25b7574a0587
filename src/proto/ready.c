/*
 * ready.c: scanner and formatter for the agent's ready line (see ready.h).
 * Pure: no syscalls, no globals. Input: guest console bytes (untrusted).
 */
#include "ready.h"

#include <stdio.h>
#include <string.h>

static int ready_parse_line(const char *p, size_t n, uint64_t *v)
{
	size_t plen = sizeof(READY_PREFIX) - 1, i;
	uint64_t acc = 0;

	if (n && p[n - 1] == '\r')
		n--;
	if (n > READY_LINE_MAX || n <= plen)
		return READY_EMALFORMED;
	for (i = plen; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return READY_EMALFORMED;
		acc = acc * 10 + (uint64_t)(p[i] - '0');
		if (acc > READY_UPTIME_MAX)
			return READY_EMALFORMED;
	}
	*v = acc;
	return 0;
}

int ready_scan(const char *buf, size_t len, struct ready_info *out)
{
	size_t plen = sizeof(READY_PREFIX) - 1, start = 0;

	while (start < len) {
		const char *nl = memchr(buf + start, '\n', len - start);
		size_t n;

		if (!nl)
			return READY_ENOTFOUND; /* an incomplete last line */
		n = (size_t)(nl - (buf + start));
		if (n >= plen && memcmp(buf + start, READY_PREFIX, plen) == 0) {
			uint64_t v;
			int r = ready_parse_line(buf + start, n, &v);

			if (r)
				return r;
			out->uptime_ms = v;
			out->end = start + n + 1;
			return 0;
		}
		start += n + 1;
	}
	return READY_ENOTFOUND;
}

int ready_format(char *buf, size_t len, uint64_t uptime_ms)
{
	int n;

	if (uptime_ms > READY_UPTIME_MAX)
		return -1;
	n = snprintf(buf, len, READY_PREFIX "%llu\n",
		     (unsigned long long)uptime_ms);
	if (n < 0 || (size_t)n >= len)
		return -1;
	return n;
}
