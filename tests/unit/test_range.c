/*
 * test_range.c - Range and Content-Range parsing: the accepted forms,
 * clamping, unsatisfiable ranges, and garbage, whitespace and overflow.
 */
#include "http/range.h"
#include "test.h"

static berth_range_result rp(const char *h, uint64_t size, uint64_t *f,
			     uint64_t *l)
{
	*f = *l = 12345; /* sentinel: must be overwritten on OK */
	return range_parse(h, size, f, l);
}

TEST(range_basic_forms)
{
	uint64_t f, l;
	CHECK_EQ_INT(rp("bytes=0-0", 100, &f, &l), BERTH_RANGE_OK);
	CHECK_EQ_INT(f, 0);
	CHECK_EQ_INT(l, 0);
	CHECK_EQ_INT(rp("bytes=10-19", 100, &f, &l), BERTH_RANGE_OK);
	CHECK_EQ_INT(f, 10);
	CHECK_EQ_INT(l, 19);
	CHECK_EQ_INT(rp("bytes=5-", 100, &f, &l), BERTH_RANGE_OK);
	CHECK_EQ_INT(f, 5);
	CHECK_EQ_INT(l, 99);
	CHECK_EQ_INT(rp("bytes=-5", 100, &f, &l), BERTH_RANGE_OK);
	CHECK_EQ_INT(f, 95);
	CHECK_EQ_INT(l, 99);
	CHECK_EQ_INT(rp("bytes=99-99", 100, &f, &l), BERTH_RANGE_OK);
	CHECK_EQ_INT(f, 99);
	CHECK_EQ_INT(l, 99);
}

TEST(range_clamping)
{
	uint64_t f, l;
	CHECK_EQ_INT(rp("bytes=50-1000", 100, &f, &l), BERTH_RANGE_OK);
	CHECK_EQ_INT(f, 50);
	CHECK_EQ_INT(l, 99);
	/* suffix longer than the body: the whole body */
	CHECK_EQ_INT(rp("bytes=-500", 100, &f, &l), BERTH_RANGE_OK);
	CHECK_EQ_INT(f, 0);
	CHECK_EQ_INT(l, 99);
	/* numbers beyond 64 bits saturate */
	CHECK_EQ_INT(rp("bytes=0-99999999999999999999999", 100, &f, &l),
		     BERTH_RANGE_OK);
	CHECK_EQ_INT(f, 0);
	CHECK_EQ_INT(l, 99);
	CHECK_EQ_INT(rp("bytes=-99999999999999999999999", 100, &f, &l),
		     BERTH_RANGE_OK);
	CHECK_EQ_INT(f, 0);
	CHECK_EQ_INT(l, 99);
	CHECK_EQ_INT(rp("bytes=18446744073709551615-", 100, &f, &l),
		     BERTH_RANGE_UNSATISFIABLE);
	CHECK_EQ_INT(rp("bytes=18446744073709551616-", 100, &f, &l),
		     BERTH_RANGE_UNSATISFIABLE);
}

TEST(range_unsatisfiable)
{
	uint64_t f, l;
	CHECK_EQ_INT(rp("bytes=100-", 100, &f, &l), BERTH_RANGE_UNSATISFIABLE);
	CHECK_EQ_INT(rp("bytes=100-200", 100, &f, &l),
		     BERTH_RANGE_UNSATISFIABLE);
	CHECK_EQ_INT(rp("bytes=0-0", 0, &f, &l), BERTH_RANGE_UNSATISFIABLE);
	CHECK_EQ_INT(rp("bytes=0-", 0, &f, &l), BERTH_RANGE_UNSATISFIABLE);
	CHECK_EQ_INT(rp("bytes=-0", 100, &f, &l), BERTH_RANGE_UNSATISFIABLE);
	CHECK_EQ_INT(rp("bytes=-5", 0, &f, &l), BERTH_RANGE_UNSATISFIABLE);
}

TEST(range_garbage_is_ignored)
{
	uint64_t f, l;
	const char *bad[] = {
		NULL, "", "bytes", "bytes=", "bytes=abc", "bytes=-",
		"bytes=5", "bytes=5-4", "bytes=a-5", "bytes=5-b",
		"bytes=1-2-3", "bytes=--5", "bytes=+1-2", "bytes=0x10-20",
		"bytes =0-1", "bytes= 0 -1", "bytes=0 - 1", "items=0-1",
		"bytes:0-1", "0-1", "bytes=1.5-2", "bytes=-1-2",
		"bytes=0-1;x", "bytes=,",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (rp(bad[i], 100, &f, &l) != BERTH_RANGE_NONE) {
			char m[96];
			snprintf(m, sizeof m, "Range \"%s\" should be NONE",
				 bad[i] ? bad[i] : "(null)");
			test_fail(__FILE__, __LINE__, m);
		}
	}
}

TEST(range_multiple_ranges_are_ignored)
{
	uint64_t f, l;
	CHECK_EQ_INT(rp("bytes=0-1,5-6", 100, &f, &l), BERTH_RANGE_NONE);
	CHECK_EQ_INT(rp("bytes=0-1, -5", 100, &f, &l), BERTH_RANGE_NONE);
	CHECK_EQ_INT(rp("bytes=0-1,junk", 100, &f, &l), BERTH_RANGE_NONE);
}

TEST(range_whitespace_and_case)
{
	uint64_t f, l;
	CHECK_EQ_INT(rp("  bytes=1-2  ", 100, &f, &l), BERTH_RANGE_OK);
	CHECK_EQ_INT(f, 1);
	CHECK_EQ_INT(l, 2);
	CHECK_EQ_INT(rp("Bytes=3-4", 100, &f, &l), BERTH_RANGE_OK);
	CHECK_EQ_INT(f, 3);
	CHECK_EQ_INT(l, 4);
	/* empty list elements are ignored (RFC 9110 section 5.6.1) */
	CHECK_EQ_INT(rp("bytes=, 7-8 ,", 100, &f, &l), BERTH_RANGE_OK);
	CHECK_EQ_INT(f, 7);
	CHECK_EQ_INT(l, 8);
}

static int crp(const char *h, uint64_t *f, uint64_t *l)
{
	*f = *l = 777;
	return range_content_parse(h, f, l);
}

TEST(content_range_valid)
{
	uint64_t f, l;
	CHECK_EQ_INT(crp("0-99", &f, &l), 0);
	CHECK_EQ_INT(f, 0);
	CHECK_EQ_INT(l, 99);
	CHECK_EQ_INT(crp("bytes 0-99/100", &f, &l), 0);
	CHECK_EQ_INT(f, 0);
	CHECK_EQ_INT(l, 99);
	CHECK_EQ_INT(crp("bytes 100-199/*", &f, &l), 0);
	CHECK_EQ_INT(f, 100);
	CHECK_EQ_INT(l, 199);
	CHECK_EQ_INT(crp("5-5", &f, &l), 0);
	CHECK_EQ_INT(f, 5);
	CHECK_EQ_INT(l, 5);
	CHECK_EQ_INT(crp(" 10-20 ", &f, &l), 0);
	CHECK_EQ_INT(crp("BYTES 10-20", &f, &l), 0);
	CHECK_EQ_INT(crp("0-18446744073709551615", &f, &l), 0);
	CHECK(l == UINT64_MAX);
}

TEST(content_range_invalid)
{
	uint64_t f, l;
	const char *bad[] = {
		NULL, "", "100-50", "abc", "-5", "5-", "5", "0-99/",
		"0-99/50", "0-99/99", "0-99/abc", "bytes=0-99", "bytes0-99",
		"0 - 99", "0-99x", "+1-2", "0-18446744073709551616",
		"18446744073709551616-18446744073709551617", "0-1-2",
		"0-99/**", "bytes */100",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (crp(bad[i], &f, &l) != -1) {
			char m[96];
			snprintf(m, sizeof m, "Content-Range \"%s\" accepted",
				 bad[i] ? bad[i] : "(null)");
			test_fail(__FILE__, __LINE__, m);
		}
	}
	/* outputs untouched on failure */
	CHECK_EQ_INT(f, 777);
	CHECK_EQ_INT(l, 777);
}
