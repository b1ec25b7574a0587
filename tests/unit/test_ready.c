/*
 * test_ready.c: the ready-line scanner (src/proto/ready.c).
 */
#include "../harness/test.h"
#include "../../src/proto/ready.h"

#include <string.h>

static int scan(const char *s, struct ready_info *ri)
{
	return ready_scan(s, strlen(s), ri);
}

TEST(ready_found_among_kernel_lines)
{
	const char *s = "[    0.1] Linux version 6.1\r\n"
			"MOAT-READY v1 uptime_ms=523\r\nafter\n";
	struct ready_info ri;

	ASSERT_EQ(scan(s, &ri), 0);
	ASSERT_EQ(ri.uptime_ms, 523);
	ASSERT_EQ(ri.end, strstr(s, "after") - s);
}

TEST(ready_incomplete_or_absent)
{
	struct ready_info ri;

	ASSERT_EQ(scan("", &ri), READY_ENOTFOUND);
	ASSERT_EQ(scan("MOAT-READY v1 uptime_ms=5", &ri), READY_ENOTFOUND);
	/* Only at the start of a line. */
	ASSERT_EQ(scan("x MOAT-READY v1 uptime_ms=5\n", &ri), READY_ENOTFOUND);
	ASSERT_EQ(scan("MOAT-READY v2 uptime_ms=5\n", &ri), READY_ENOTFOUND);
}

TEST(ready_malformed)
{
	struct ready_info ri;

	ASSERT_EQ(scan("MOAT-READY v1 uptime_ms=\n", &ri), READY_EMALFORMED);
	ASSERT_EQ(scan("MOAT-READY v1 uptime_ms=1x\n", &ri), READY_EMALFORMED);
	ASSERT_EQ(scan("MOAT-READY v1 uptime_ms=-1\n", &ri), READY_EMALFORMED);
	ASSERT_EQ(scan("MOAT-READY v1 uptime_ms=86400001\n", &ri),
		  READY_EMALFORMED);
	ASSERT_EQ(scan("MOAT-READY v1 uptime_ms=18446744073709551616\n", &ri),
		  READY_EMALFORMED);
	ASSERT_EQ(scan("MOAT-READY v1 uptime_ms=86400000\n", &ri), 0);
}

TEST(ready_format_round_trip)
{
	char buf[READY_LINE_MAX + 2];
	struct ready_info ri;
	int n = ready_format(buf, sizeof(buf), 42);

	ASSERT(n > 0);
	ASSERT_STREQ(buf, "MOAT-READY v1 uptime_ms=42\n");
	ASSERT_EQ(ready_scan(buf, (size_t)n, &ri), 0);
	ASSERT_EQ(ri.uptime_ms, 42);
	ASSERT_EQ(ready_format(buf, sizeof(buf), READY_UPTIME_MAX + 1), -1);
	ASSERT_EQ(ready_format(buf, 10, 1), -1);
}
