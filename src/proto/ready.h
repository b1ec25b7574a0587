/*
 * ready.h: the agent's ready line, as the host reads it from a guest console.
 *
 * The agent prints, on a line of its own:
 *     MOAT-READY v1 uptime_ms=<decimal>
 * The bytes come from the guest (an attacker), mixed with kernel messages,
 * so the scanner is pure, bounded and fuzzed (tests/fuzz/fuzz_ready.c).
 */
#ifndef MOAT_PROTO_READY_H
#define MOAT_PROTO_READY_H

#include <stddef.h>
#include <stdint.h>

#define READY_PREFIX "MOAT-READY v1 uptime_ms="
#define READY_LINE_MAX 64	     /* a longer ready line is malformed */
#define READY_UPTIME_MAX 86400000ULL /* one day, in ms */

/* Errors: negative, no allocation. */
#define READY_ENOTFOUND (-1)  /* no complete ready line in the buffer */
#define READY_EMALFORMED (-2) /* a ready line is there, but it is bad */

struct ready_info {
	uint64_t uptime_ms;
	size_t end; /* offset just past the ready line's '\n' */
};

/*
 * Scan buf[0..len) for the first complete line that starts with
 * READY_PREFIX (a line starts at offset 0 or after '\n'; a trailing '\r'
 * is allowed). Returns 0 and fills *out, READY_ENOTFOUND, or
 * READY_EMALFORMED when that line is not exactly prefix + 1..20 digits
 * whose value is at most READY_UPTIME_MAX.
 */
int ready_scan(const char *buf, size_t len, struct ready_info *out);

/* Format the line (with '\n') into buf; returns its length or -1. */
int ready_format(char *buf, size_t len, uint64_t uptime_ms);

#endif
