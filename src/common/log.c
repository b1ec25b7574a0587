/*
 * log.c: log lines (see log.h for the formats and the contract).
 *
 * Inputs: messages built by moat's own code. The JSON line escapes as
 * jansson's json_dumps() does (", \, \b \f \n \r \t, other controls as
 * \u00XX, the rest as it is), and turns a byte that is not UTF-8 into
 * U+FFFD so that the line stays JSON.
 */
#include "log.h"
#include "now.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_LINE_STACK 2048

static struct log_sink log_proc = { STDERR_FILENO, LOG_FMT_PLAIN, NULL };

static const char *const log_level_names[] = {
	[LOG_LV_ERROR] = "error",
	[LOG_LV_WARN] = "warning",
	[LOG_LV_INFO] = "info",
	[LOG_LV_DEBUG] = "debug",
};

void log_setup(const struct log_sink *k)
{
	log_proc = *k;
}

void log_time_rfc3339(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;
	char day[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%09ldZ", day, ts.tv_nsec);
}

/* A line being built: bytes past cap are counted, not stored. */
struct log_out {
	char *p;
	size_t cap, len;
};

static void log_put(struct log_out *o, const char *s, size_t n)
{
	if (o->len < o->cap)
		memcpy(o->p + o->len, s,
		       o->len + n <= o->cap ? n : o->cap - o->len);
	o->len += n;
}

static void log_puts(struct log_out *o, const char *s)
{
	log_put(o, s, strlen(s));
}

/* The length of the UTF-8 sequence at s (1 to 4), or 0 when invalid. */
static size_t log_utf8_len(const unsigned char *s)
{
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* overlong forms, surrogates, past U+10FFFF */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return n;
}

static void log_json_string(struct log_out *o, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char esc[8];
	size_t n;

	log_put(o, "\"", 1);
	while (*p) {
		n = log_utf8_len(p);
		if (!n) {
			log_puts(o, "\xef\xbf\xbd"); /* U+FFFD */
			p++;
			continue;
		}
		if (n > 1 || (*p >= 0x20 && *p != '"' && *p != '\\')) {
			log_put(o, (const char *)p, n);
			p += n;
			continue;
		}
		switch (*p) {
		case '"':
		case '\\':
			esc[0] = '\\';
			esc[1] = (char)*p;
			esc[2] = '\0';
			break;
		case '\b':
			strcpy(esc, "\\b");
			break;
		case '\f':
			strcpy(esc, "\\f");
			break;
		case '\n':
			strcpy(esc, "\\n");
			break;
		case '\r':
			strcpy(esc, "\\r");
			break;
		case '\t':
			strcpy(esc, "\\t");
			break;
		default:
			snprintf(esc, sizeof(esc), "\\u%04X", *p);
			break;
		}
		log_puts(o, esc);
		p++;
	}
	log_put(o, "\"", 1);
}

/* The text format's quoting: \" and \\, a newline as a space. */
static void log_text_string(struct log_out *o, const char *s)
{
	log_put(o, "\"", 1);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			log_put(o, "\\", 1);
		log_put(o, *s == '\n' ? " " : s, 1);
	}
	log_put(o, "\"", 1);
}

/* Build the line for msg into o (which counts what does not fit). */
static void log_build(struct log_out *o, const struct log_sink *k,
		      enum log_level lv, const char *msg)
{
	const char *level = log_level_names[lv];
	char now[64];

	switch (k->format) {
	case LOG_FMT_PLAIN:
		if (k->prefix)
			log_puts(o, k->prefix);
		log_puts(o, msg);
		break;
	case LOG_FMT_TEXT:
		log_time_rfc3339(now, sizeof(now));
		log_puts(o, "time=\"");
		log_puts(o, now);
		log_puts(o, "\" level=");
		log_puts(o, level);
		log_puts(o, " msg=");
		log_text_string(o, msg);
		break;
	case LOG_FMT_JSON:
		log_time_rfc3339(now, sizeof(now));
		log_puts(o, "{\"level\":\"");
		log_puts(o, level);
		log_puts(o, "\",\"msg\":");
		log_json_string(o, msg);
		log_puts(o, ",\"time\":\"");
		log_puts(o, now);
		log_puts(o, "\"}");
		break;
	}
	log_put(o, "\n", 1);
}

void log_line(const struct log_sink *k, enum log_level lv, const char *msg)
{
	char stack[LOG_LINE_STACK];
	struct log_out o = { stack, sizeof(stack), 0 };
	size_t need;

	if (!k)
		k = &log_proc;
	if (k->fd < 0)
		return;
	log_build(&o, k, lv, msg);
	if (o.len > o.cap) { /* a long message: build it again, whole */
		need = o.len;
		o.p = malloc(need);
		o.cap = o.p ? need : sizeof(stack);
		if (!o.p) /* cut it short rather than lose it */
			o.p = stack;
		o.len = 0;
		log_build(&o, k, lv, msg);
	}
	if (write(k->fd, o.p, o.len < o.cap ? o.len : o.cap) < 0) {
		/* nowhere left to say it */
	}
	if (o.p != stack)
		free(o.p);
}

/* Whether rl lets one more line through; says first how many it
 * dropped, when a new interval begins after a flood. */
static int log_limit_pass(const struct log_sink *k, struct log_limit *rl,
			  enum log_level lv)
{
	long now = now_ms();
	char msg[64];

	if (!rl->used || now - rl->start_ms >= rl->interval_ms) {
		rl->start_ms = now;
		rl->used = 0;
		if (rl->missed) {
			snprintf(msg, sizeof(msg), "(%u similar lines dropped)",
				 rl->missed);
			log_line(k, lv, msg);
			rl->missed = 0;
		}
	}
	if (rl->used >= rl->burst) {
		rl->missed++;
		return 0;
	}
	rl->used++;
	return 1;
}

void log_vwrite(const struct log_sink *k, struct log_limit *rl,
		enum log_level lv, const char *fmt, va_list ap)
{
	char msg[LOG_MSG_MAX];

	if (!k)
		k = &log_proc;
	if (k->fd < 0 || (rl && !log_limit_pass(k, rl, lv)))
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_line(k, lv, msg);
}

void log_write(const struct log_sink *k, enum log_level lv, const char *fmt,
	       ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(k, NULL, lv, fmt, ap);
	va_end(ap);
}

void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(NULL, NULL, LOG_LV_ERROR, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(NULL, NULL, LOG_LV_INFO, fmt, ap);
	va_end(ap);
}

void log_limited(struct log_limit *rl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(NULL, rl, LOG_LV_WARN, fmt, ap);
	va_end(ap);
}
