/*
 * test.h - the unit test harness: TEST(name) defines a case that registers
 * itself at start-up; CHECK* record failures without stopping the case.
 * The runner prints one line per case and "N passed, N failed".
 */
#ifndef BERTH_TESTS_UNIT_TEST_H
#define BERTH_TESTS_UNIT_TEST_H

#include <stdio.h>
#include <string.h>

typedef void (*test_fn)(void);
void test_register(const char *file, const char *name, test_fn fn);
void test_fail(const char *file, int line, const char *expr);

#define TEST(name)                                                        \
	static void test_##name(void);                                    \
	__attribute__((constructor)) static void test_reg_##name(void)    \
	{                                                                 \
		test_register(__FILE__, #name, test_##name);              \
	}                                                                 \
	static void test_##name(void)

#define CHECK(expr)                                                       \
	do {                                                              \
		if (!(expr))                                              \
			test_fail(__FILE__, __LINE__, #expr);             \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                \
	do {                                                              \
		long long a_ = (long long)(a), b_ = (long long)(b);       \
		if (a_ != b_) {                                           \
			char m_[256];                                     \
			snprintf(m_, sizeof m_, "%s == %s (%lld != %lld)", \
				 #a, #b, a_, b_);                         \
			test_fail(__FILE__, __LINE__, m_);                \
		}                                                         \
	} while (0)

#define CHECK_STR(a, b)                                                   \
	do {                                                              \
		const char *a_ = (a), *b_ = (b);                          \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {                  \
			char m_[2600];                                     \
			snprintf(m_, sizeof m_, "%s == \"%s\" (got \"%s\")", \
				 #a, b_ ? b_ : "(null)", a_ ? a_ : "(null)"); \
			test_fail(__FILE__, __LINE__, m_);                \
		}                                                         \
	} while (0)

#endif
