/*
 * test_syncmsg.c: the codec of the create handshake (src/proto/syncmsg.c),
 * byte for byte as `moat create` and the shim spoke it before the codec.
 */
#include "../harness/test.h"
#include "../../src/proto/syncmsg.h"

#include <string.h>

static struct syncmsg m;

static int dec(const char *s)
{
	return syncmsg_decode(s, strlen(s), &m);
}

TEST(syncmsg_encodes_each_message)
{
	char buf[64];
	struct syncmsg x = { .kind = SYNCMSG_PID, .pid = 4242 };

	ASSERT_EQ(syncmsg_encode(buf, sizeof(buf), &x), 9);
	ASSERT_STREQ(buf, "pid 4242\n");
	x.kind = SYNCMSG_GO;
	ASSERT_EQ(syncmsg_encode(buf, sizeof(buf), &x), SYNCMSG_GO_LEN);
	ASSERT_STREQ(buf, "go\n");
	x.kind = SYNCMSG_OK;
	ASSERT_EQ(syncmsg_encode(buf, sizeof(buf), &x), 7);
	ASSERT_STREQ(buf, "ok 4242");
	x.kind = SYNCMSG_ERROR;
	x.text = "agent: create: no such file";
	x.text_len = strlen(x.text);
	ASSERT(syncmsg_encode(buf, sizeof(buf), &x) > 0);
	ASSERT_STREQ(buf, "error agent: create: no such file");
	/* An error is cut to the buffer; the others must fit. */
	ASSERT_EQ(syncmsg_encode(buf, 12, &x), 11);
	ASSERT_STREQ(buf, "error agent");
	x.kind = SYNCMSG_PID;
	ASSERT_EQ(syncmsg_encode(buf, 5, &x), SYNCMSG_ESPACE);
	x.kind = 0;
	ASSERT_EQ(syncmsg_encode(buf, sizeof(buf), &x), SYNCMSG_ESPACE);
}

TEST(syncmsg_decodes_and_refuses)
{
	ASSERT_EQ(dec("pid 17\n"), 0);
	ASSERT_EQ(m.kind, SYNCMSG_PID);
	ASSERT_EQ(m.pid, 17);
	/* A pid line is whole only with its newline. */
	ASSERT_EQ(dec("pid 17"), SYNCMSG_ESHORT);
	ASSERT_EQ(m.kind, SYNCMSG_PID);
	ASSERT_EQ(dec("pid "), SYNCMSG_ESHORT);
	ASSERT_EQ(dec("pid 0\n"), SYNCMSG_EARG);
	ASSERT_EQ(m.kind, SYNCMSG_PID);
	ASSERT_EQ(dec("pid -3\n"), SYNCMSG_EARG);
	ASSERT_EQ(dec("pid 2147483648\n"), SYNCMSG_EARG);
	ASSERT_EQ(dec("pid 2147483647\n"), 0);
	ASSERT_EQ(dec("pid 1\nok 1"), SYNCMSG_ESHORT);
	ASSERT_EQ(dec("pid 1\nok 1\n"), SYNCMSG_EARG);
	ASSERT_EQ(dec("go\n"), 0);
	ASSERT_EQ(m.kind, SYNCMSG_GO);
	ASSERT_EQ(dec("go"), SYNCMSG_EMALFORMED);
	ASSERT_EQ(dec("ok 99"), 0);
	ASSERT_EQ(m.kind, SYNCMSG_OK);
	ASSERT_EQ(m.pid, 99);
	ASSERT_EQ(dec("ok 99\n"), 0);
	ASSERT_EQ(dec("ok 99x"), SYNCMSG_EARG);
	ASSERT_EQ(m.kind, SYNCMSG_OK);
	ASSERT_EQ(dec("ok "), SYNCMSG_EARG);
	ASSERT_EQ(dec("error the VM did not boot\n"), 0);
	ASSERT_EQ(m.kind, SYNCMSG_ERROR);
	ASSERT_EQ(m.text_len, strlen("the VM did not boot\n"));
	ASSERT_EQ(memcmp(m.text, "the VM", 6), 0);
	ASSERT_EQ(dec(""), SYNCMSG_EMALFORMED);
	ASSERT_EQ(m.kind, 0);
	ASSERT_EQ(dec("okay"), SYNCMSG_EMALFORMED);
	ASSERT_EQ(dec("error"), SYNCMSG_EMALFORMED);
}
