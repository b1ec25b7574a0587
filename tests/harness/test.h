/*
 * test.h: moat's small test harness.
 *
 * TEST(name) { ... } defines a test; TEST_TIMEOUT(name, secs) sets its own
 * timeout (default 30 s). Each test runs in a forked child, in its own
 * process group that is killed when the test ends, so a hung or crashing
 * test fails alone and leaves no process behind. Output is TAP:
 *     1..N / ok K - name / not ok K - name / ok K - name # SKIP why
 * Diagnostics go to stdout as "# " lines. With CI=true a skip is a failure.
 * Running a test binary with an argument runs only the tests whose names
 * contain it.
 */
#ifndef MOAT_TEST_H
#define MOAT_TEST_H

#include <stdint.h>
#include <string.h>

struct test_case {
	const char *name;
	void (*fn)(void);
	unsigned timeout_s;
	struct test_case *next;
};

void test_register(struct test_case *tc);
void test_fail_at(const char *file, int line, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 3, 4)));
void test_skip(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));
void test_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Have fn(arg) run if the test fails (FAIL, an ASSERT), before the test's
 * process exits, the last registered first: what a failing test would
 * leave behind (daemons, containers, namespaces) is cleaned up there, so
 * the next test starts clean. At most 8 per test. */
void test_on_fail(void (*fn)(void *), void *arg);
/* Print a block of (possibly binary) text as "# " lines, non-printables
 * escaped. */
void test_diag_block(const char *title, const char *buf, size_t len);

#define TEST_TIMEOUT(name, secs)                                             \
	static void name(void);                                              \
	static struct test_case test_case_##name = { #name, name, secs, 0 }; \
	__attribute__((constructor)) static void test_reg_##name(void)       \
	{                                                                    \
		test_register(&test_case_##name);                            \
	}                                                                    \
	static void name(void)

#define TEST(name) TEST_TIMEOUT(name, 30)

#define FAIL(...) test_fail_at(__FILE__, __LINE__, __VA_ARGS__)

#define ASSERT(cond)                                         \
	do {                                                 \
		if (!(cond))                                 \
			FAIL("assertion failed: %s", #cond); \
	} while (0)

#define ASSERT_EQ(a, b)                                                 \
	do {                                                            \
		long long a_ = (long long)(a), b_ = (long long)(b);     \
		if (a_ != b_)                                           \
			FAIL("%s == %s: %lld != %lld", #a, #b, a_, b_); \
	} while (0)

#define ASSERT_STREQ(a, b)                                            \
	do {                                                          \
		const char *a_ = (a), *b_ = (b);                      \
		if (!a_ || !b_ || strcmp(a_, b_))                     \
			FAIL("%s == %s: \"%s\" != \"%s\"", #a, #b,    \
			     a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
	} while (0)

/* Assert that a call returning -1/errno style succeeded. */
#define ASSERT_OK(call)                                         \
	do {                                                    \
		if ((call) < 0)                                 \
			FAIL("%s: %s", #call, strerror(errno)); \
	} while (0)

#endif
