/*
 * test_vmm_ctl.c: moat-vmm's control protocol parser.
 */
#include "../harness/test.h"
#include "../../src/proto/ctlproto.h"

#include <string.h>

static enum ctl_cmd p(const char *s)
{
	return ctl_parse(s, strlen(s));
}

TEST(ctl_parses_exactly_the_four_commands)
{
	ASSERT_EQ(p("status"), CTL_STATUS);
	ASSERT_EQ(p("pause"), CTL_PAUSE);
	ASSERT_EQ(p("resume"), CTL_RESUME);
	ASSERT_EQ(p("stop"), CTL_STOP);
	ASSERT_EQ(p("stop\r"), CTL_STOP);
	ASSERT_EQ(p(""), CTL_BAD);
	ASSERT_EQ(p("\r"), CTL_BAD);
	ASSERT_EQ(p("stop "), CTL_BAD);
	ASSERT_EQ(p("STOP"), CTL_BAD);
	ASSERT_EQ(p("stopp"), CTL_BAD);
	ASSERT_EQ(p("sto"), CTL_BAD);
	ASSERT_EQ(ctl_parse("stop\0x", 6), CTL_BAD);
}

TEST(ctl_formats_the_status_line)
{
	struct ctl_status s = {
		.paused = true,
		.vcpus = 2,
		.mem_mib = 256,
		.rss_kib = 1234,
		.p9_req = 7,
		.p9_copy = 5,
		.p9_sg = 2,
		.net_rx = 10,
		.net_tx = 11,
		.net_drop = 1,
	};
	char buf[CTL_REPLY_MAX];
	int n = ctl_format_status(&s, buf, sizeof(buf));

	ASSERT_EQ(n, (int)strlen(buf));
	ASSERT_STREQ(buf, "ok state=paused vcpus=2 mem_mib=256 rss_kib=1234 "
			  "p9_req=7 p9_copy=5 p9_sg=2 "
			  "net_rx=10 net_tx=11 net_drop=1\n");
	s.paused = false;
	s.rss_kib = -1;
	ASSERT(ctl_format_status(&s, buf, sizeof(buf)) > 0);
	ASSERT(!strncmp(buf, "ok state=running ", 17));
	ASSERT(strstr(buf, " rss_kib=-1 "));
	/* The largest numbers fit CTL_REPLY_MAX; a short buffer is refused. */
	s.vcpus = ~0u;
	s.mem_mib = s.p9_req = s.p9_copy = s.p9_sg = ~0ULL;
	s.net_rx = s.net_tx = s.net_drop = ~0ULL;
	s.rss_kib = -0x7fffffffffffffffL - 1;
	ASSERT(ctl_format_status(&s, buf, sizeof(buf)) > 0);
	ASSERT_EQ(ctl_format_status(&s, buf, 16), -1);
}
