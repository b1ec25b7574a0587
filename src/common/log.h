/*
 * log.h: log lines, for the agent, the shim and the CLI.
 *
 * A sink is an fd and a format: a plain line ("<prefix><msg>", the
 * agent's console and the shim's log), or one of the two line formats
 * engines read from a runtime's --log file (containerd and conmon take
 * the last "error" line's msg):
 *     text  time="<RFC 3339>" level=<level> msg="<msg, \" and \\ escaped>"
 *     json  {"level":"<level>","msg":"<msg>","time":"<RFC 3339>"}
 * Each line is one write(2), so lines from several processes on one fd
 * do not interleave.
 *
 * A process has one sink of its own (log_setup(); until then stderr,
 * plain, no prefix) that log_info() and log_error() write to.
 * Paths that input from a less trusted side can drive (a guest's, or a
 * container's) log through a struct log_limit, so that a flood costs a
 * few lines and a count of the ones dropped. Messages are built by our
 * own code: never pass raw guest bytes.
 */
#ifndef MOAT_COMMON_LOG_H
#define MOAT_COMMON_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_format {
	LOG_FMT_PLAIN, /* <prefix><msg> */
	LOG_FMT_TEXT,  /* time="..." level=... msg="..." */
	LOG_FMT_JSON,  /* {"level":...,"msg":...,"time":...} */
};

enum log_level {
	LOG_LV_ERROR,
	LOG_LV_WARN,
	LOG_LV_INFO,
	LOG_LV_DEBUG,
};

struct log_sink {
	int fd; /* -1: lines go nowhere */
	enum log_format format;
	const char *prefix; /* plain lines: put before the message, or NULL */
};

/*
 * At most burst lines per interval_ms; the first line let through after
 * some were dropped is preceded by one that says how many. Zero the
 * rest: LOG_LIMIT_INIT(10, 1000).
 */
struct log_limit {
	unsigned burst;
	long interval_ms;
	long start_ms; /* of the current interval */
	unsigned used, missed;
};
#define LOG_LIMIT_INIT(burst, ms)      \
	{                              \
		(burst), (ms), 0, 0, 0 \
	}

/* A formatted message is cut at this many bytes. */
#define LOG_MSG_MAX 1024

/* The process's sink (copied; prefix must stay valid). */
void log_setup(const struct log_sink *k);

/* Write msg, as it is, as one line to k (NULL: the process's sink). */
void log_line(const struct log_sink *k, enum log_level lv, const char *msg);

/* Write the message fmt makes to k (to the process's sink when k is
 * NULL), unless rl (when not NULL) says too many went by. */
void log_vwrite(const struct log_sink *k, struct log_limit *rl,
		enum log_level lv, const char *fmt, va_list ap)
	__attribute__((format(printf, 4, 0)));
void log_write(const struct log_sink *k, enum log_level lv, const char *fmt,
	       ...) __attribute__((format(printf, 3, 4)));

/* To the process's sink. */
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_limited(struct log_limit *rl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The time now, as the text and JSON lines carry it
 * ("2026-12-04T19:55:17.123456789Z"), into buf[0..len). */
void log_time_rfc3339(char *buf, size_t len);

#endif
