/*
 * test_vmm_ctl.c: moat-vmm's control protocol parser.
 */
#include "../harness/test.h"
#include "../../src/vmm/ctlproto.h"

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
