/*
 * test_log.c: the log module (src/common/log.c): the plain line, the text
 * and JSON lines engines read from --log (the JSON one as jansson writes
 * it), long messages, the rate limit, a closed sink.
 */
#include "../harness/test.h"
#include "../../src/common/log.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* What the sink wrote, read from the pipe behind it. */
static char got[16384];

static struct log_sink sink_pipe(int p[2], enum log_format f,
				 const char *prefix)
{
	struct log_sink k = { -1, f, prefix };

	if (pipe(p) == 0)
		k.fd = p[1];
	return k;
}

static const char *drain(int p[2])
{
	ssize_t n;

	close(p[1]);
	n = read(p[0], got, sizeof(got) - 1);
	close(p[0]);
	got[n > 0 ? n : 0] = '\0';
	return got;
}

/* What log_line(msg) at level lv writes to a sink of format f, no
 * prefix. */
static const char *logged(enum log_format f, enum log_level lv, const char *msg)
{
	int p[2];
	struct log_sink k = sink_pipe(p, f, NULL);

	log_line(&k, lv, msg);
	return drain(p);
}

/* The line without its time: "...","time":"<RFC 3339>"} cut at time. */
static void cut_time(char *line, const char *key)
{
	char *t = strstr(line, key);

	ASSERT(t);
	ASSERT(t[strlen(key) + 4] == '-'); /* 2026-... */
	ASSERT(strstr(t, "Z\"") != NULL);
	*t = '\0';
}

TEST(log_plain_prefix)
{
	int p[2];
	struct log_sink k = sink_pipe(p, LOG_FMT_PLAIN, "moat-agent: ");

	log_write(&k, LOG_LV_ERROR, "mount %s: %s", "/proc", "Busy");
	k.prefix = NULL;
	log_line(&k, LOG_LV_INFO, "bare");
	ASSERT_STREQ(drain(p), "moat-agent: mount /proc: Busy\nbare\n");
}

TEST(log_text_quotes)
{
	char *msg;

	logged(LOG_FMT_TEXT, LOG_LV_ERROR, "moat: kill: \"x\\y\"\nnext");
	ASSERT(strncmp(got, "time=\"", 6) == 0);
	msg = strstr(got, "\" level=");
	ASSERT(msg);
	ASSERT_STREQ(msg, "\" level=error msg=\"moat: kill: \\\"x\\\\y\\\" "
			  "next\"\n");
}

/* The JSON line is what json_dumps() made of the same object. */
static void json_same(const char *msg)
{
	json_t *j = json_pack("{s:s,s:s}", "level", "debug", "msg", msg);
	char *want = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	size_t n = strlen(want);

	logged(LOG_FMT_JSON, LOG_LV_DEBUG, msg);
	ASSERT(n > 1 && strncmp(got, want, n - 1) == 0); /* up to the } */
	ASSERT(strncmp(got + n - 1, ",\"time\":\"", 9) == 0);
	cut_time(got, ",\"time\":\"");
	free(want);
	json_decref(j);
}

TEST(log_json_as_jansson)
{
	json_same("moat: create: plain");
	json_same("quote \" backslash \\ slash / tab \t nl \n cr \r");
	json_same("bs \b ff \f ctl \x01 \x1f del \x7f");
	json_same("utf-8: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8b");
}

TEST(log_json_not_utf8)
{
	json_t *j;

	logged(LOG_FMT_JSON, LOG_LV_ERROR,
	       "bad \xff \xc0\xaf \xed\xa0\x80 end");
	j = json_loads(got, 0, NULL);
	ASSERT(j);
	ASSERT_STREQ(json_string_value(json_object_get(j, "msg")),
		     "bad \xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd "
		     "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd end");
	ASSERT_STREQ(json_string_value(json_object_get(j, "level")), "error");
	json_decref(j);
}

TEST(log_long_message_whole)
{
	static char big[6000];
	struct log_sink k;
	json_t *j;
	int p[2];

	memset(big, 'a', sizeof(big) - 1);
	logged(LOG_FMT_JSON, LOG_LV_ERROR, big);
	j = json_loads(got, 0, NULL);
	ASSERT(j);
	ASSERT_EQ(strlen(json_string_value(json_object_get(j, "msg"))),
		  sizeof(big) - 1);
	json_decref(j);
	/* a formatted one is cut at LOG_MSG_MAX */
	k = sink_pipe(p, LOG_FMT_PLAIN, NULL);
	log_write(&k, LOG_LV_INFO, "%s", big);
	ASSERT_EQ(strlen(drain(p)), LOG_MSG_MAX - 1 + 1);
}

TEST(log_rate_limit)
{
	struct log_limit rl = LOG_LIMIT_INIT(3, 200);
	int p[2], i;
	struct log_sink k = sink_pipe(p, LOG_FMT_PLAIN, "x: ");

	log_setup(&k);
	for (i = 0; i < 10; i++)
		log_limited(&rl, "line %d", i);
	usleep(250 * 1000);
	log_limited(&rl, "after");
	ASSERT_STREQ(drain(p), "x: line 0\nx: line 1\nx: line 2\n"
			       "x: (7 similar lines dropped)\nx: after\n");
}

TEST(log_nowhere)
{
	struct log_sink k = { -1, LOG_FMT_JSON, NULL };

	log_line(&k, LOG_LV_ERROR, "dropped"); /* no crash, no write */
	log_write(&k, LOG_LV_ERROR, "%s", "dropped");
}
