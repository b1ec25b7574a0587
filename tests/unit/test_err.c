/*
 * test_err.c: the control-plane error contract (src/common/err.c).
 */
#include "../harness/test.h"
#include "../../src/common/err.h"

#include <errno.h>
#include <string.h>

static int open_state(struct moat_err **e)
{
	return moat_err_set(e, ENOENT, "open %s", "/run/moat/x/state.json");
}

static int load(struct moat_err **e)
{
	if (open_state(e) < 0)
		return moat_err_wrap(e, "container %s", "x");
	return 0;
}

TEST(err_set_wrap_format)
{
	struct moat_err *e = NULL;
	char buf[256];

	ASSERT_EQ(load(&e), -1);
	ASSERT(e);
	ASSERT_EQ(e->errnum, ENOENT);
	moat_err_format("state", e, buf, sizeof(buf));
	ASSERT_STREQ(buf,
		     "moat: state: container x: open /run/moat/x/state.json: "
		     "No such file or directory");
	moat_err_free(&e);
	ASSERT(e == NULL);
}

TEST(err_first_cause_wins)
{
	struct moat_err *e = NULL;

	moat_err_set(&e, EINVAL, "first");
	moat_err_set(&e, EPERM, "second");
	ASSERT_EQ(e->errnum, EINVAL);
	ASSERT_STREQ(e->msg, "first: Invalid argument");
	moat_err_free(&e);
}

TEST(err_no_errno_and_truncation)
{
	struct moat_err *e = NULL;
	char big[3000], buf[64];

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	moat_err_set(&e, 0, "%s", big);
	ASSERT_EQ(strlen(e->msg), MOAT_ERR_MSG_MAX - 1);
	moat_err_wrap(&e, "ctx");
	ASSERT(strncmp(e->msg, "ctx: aaa", 8) == 0);
	moat_err_format("run", e, buf, sizeof(buf));
	ASSERT_EQ(strlen(buf), sizeof(buf) - 1);
	moat_err_free(&e);
	moat_err_format("run", NULL, buf, sizeof(buf));
	ASSERT(strstr(buf, "moat: run: ") == buf);
}
