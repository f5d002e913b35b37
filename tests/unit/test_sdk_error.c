/*
 * test_sdk_error.c - the driver SDK's error reporting (the driver's name
 * in front of every message, through the host table), errno and status
 * name mapping, configuration value parsing and the byte buffer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <berth/sdk.h>

#include "test.h"

static char last_msg[2048];
static int last_code;

static int cap_error(const berth_host *h, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_msg, sizeof last_msg, fmt, ap);
	va_end(ap);
	last_code = code;
	return code;
}

static void *cap_alloc(size_t n)
{
	return malloc(n);
}

static const berth_host cap_host = {
	.struct_size = sizeof(berth_host),
	.error = cap_error,
	.alloc = cap_alloc,
	.free = free,
};

TEST(sdk_error_prefix)
{
	int rc = berth_sdk_error(&cap_host, "s3", BERTH_E_IO, "PUT %s: %d",
				 "/x", 500);
	CHECK_EQ_INT(rc, BERTH_E_IO);
	CHECK_EQ_INT(last_code, BERTH_E_IO);
	CHECK_STR(last_msg, "s3: PUT /x: 500");
	rc = berth_sdk_error_errno(&cap_host, "fs", ENOSPC, "write %s", "/y");
	CHECK_EQ_INT(rc, BERTH_E_NO_SPACE);
	CHECK(!strncmp(last_msg, "fs: write /y: ", 14));
	/* "%" in an argument is not re-interpreted as a format. */
	berth_sdk_error(&cap_host, "d", BERTH_E_IO, "%s", "100%s");
	CHECK_STR(last_msg, "d: 100%s");
	rc = berth_sdk_path_check(&cap_host, "mem", "/a b", 0);
	CHECK_EQ_INT(rc, BERTH_E_INVALID_PATH);
	CHECK_STR(last_msg, "mem: invalid path \"/a b\"");
	CHECK_EQ_INT(berth_sdk_error(NULL, "x", BERTH_E_STATE, "no host"),
		     BERTH_E_STATE);
}

TEST(sdk_errno_and_names)
{
	CHECK_EQ_INT(berth_sdk_errno_status(0), BERTH_OK);
	CHECK_EQ_INT(berth_sdk_errno_status(ENOENT), BERTH_E_NOT_FOUND);
	CHECK_EQ_INT(berth_sdk_errno_status(EACCES), BERTH_E_PERMISSION);
	CHECK_EQ_INT(berth_sdk_errno_status(EDQUOT), BERTH_E_NO_SPACE);
	CHECK_EQ_INT(berth_sdk_errno_status(ECONNREFUSED), BERTH_E_UNAVAILABLE);
	CHECK_EQ_INT(berth_sdk_errno_status(EIO), BERTH_E_IO);
	CHECK_STR(berth_sdk_status_name(BERTH_E_NO_SPACE), "NO_SPACE");
}

/* Where the filesystem driver's own copy of the map used to differ:
   the SDK's answer, and why, is the one every driver now gives. */
TEST(sdk_errno_status_disputed)
{
	/* larger than the filesystem (or RLIMIT_FSIZE) allows: the store
	   has no room for this object, 507, not a fault (500) */
	CHECK_EQ_INT(berth_sdk_errno_status(EFBIG), BERTH_E_NO_SPACE);
	CHECK_EQ_INT(berth_sdk_errno_status(ENOSPC), BERTH_E_NO_SPACE);
	/* arguments are checked before any system call: EINVAL from the
	   backend is its failure, not a bad argument of the caller */
	CHECK_EQ_INT(berth_sdk_errno_status(EINVAL), BERTH_E_IO);
	/* a network filesystem or FUSE daemon out of reach: retryable */
	static const int away[] = {ETIMEDOUT, ECONNREFUSED, ECONNRESET,
				   ECONNABORTED, ENOTCONN, EHOSTUNREACH,
				   ENETUNREACH, ENETDOWN, EHOSTDOWN, ESTALE};
	for (size_t i = 0; i < sizeof away / sizeof *away; i++)
		CHECK_EQ_INT(berth_sdk_errno_status(away[i]),
			     BERTH_E_UNAVAILABLE);
	CHECK_EQ_INT(berth_sdk_errno_status(EAGAIN), BERTH_E_THROTTLED);
	CHECK_EQ_INT(berth_sdk_errno_status(EBUSY), BERTH_E_THROTTLED);
	CHECK_EQ_INT(berth_sdk_errno_status(ENAMETOOLONG), BERTH_E_INVALID_PATH);
	CHECK_EQ_INT(berth_sdk_errno_status(ENOTDIR), BERTH_E_NOT_FOUND);
	CHECK_EQ_INT(berth_sdk_errno_status(EROFS), BERTH_E_PERMISSION);
	CHECK_EQ_INT(berth_sdk_errno_status(ENOMEM), BERTH_E_NOMEM);
	CHECK_EQ_INT(berth_sdk_errno_status(EXDEV), BERTH_E_IO);
	/* and error_errno reports with the same status */
	CHECK_EQ_INT(berth_sdk_error_errno(NULL, "fs", EFBIG, "write"),
		     BERTH_E_NO_SPACE);
	CHECK_EQ_INT(berth_sdk_error_errno(NULL, "fs", EINVAL, "write"),
		     BERTH_E_IO);
	CHECK_EQ_INT(berth_sdk_error_errno(NULL, "fs", 0, "write"), BERTH_E_IO);
}

TEST(sdk_status_names)
{
	CHECK_STR(berth_sdk_status_name(-999), "UNKNOWN");
	CHECK_EQ_INT(berth_sdk_status_parse("io"), BERTH_E_IO);
	CHECK_EQ_INT(berth_sdk_status_parse("nospace"), BERTH_E_NO_SPACE);
	CHECK_EQ_INT(berth_sdk_status_parse("Not-Found"), BERTH_E_NOT_FOUND);
	CHECK_EQ_INT(berth_sdk_status_parse("THROTTLED"), BERTH_E_THROTTLED);
	CHECK_EQ_INT(berth_sdk_status_parse("ok"), BERTH_OK);
	CHECK_EQ_INT(berth_sdk_status_parse("bogus"), BERTH_OK);
}

TEST(sdk_host_dup)
{
	char *p = berth_sdk_host_dup(&cap_host, "abc", 3);
	CHECK(p && !memcmp(p, "abc", 4));
	free(p);
	p = berth_sdk_host_dup(&cap_host, NULL, 0);
	CHECK(p && p[0] == 0);
	free(p);
}

TEST(sdk_config_values)
{
	int b = -1;
	int64_t i = 0;
	double d = 0;
	uint64_t u = 0;
	CHECK(berth_sdk_parse_bool("Yes", &b) == BERTH_OK && b == 1);
	CHECK(berth_sdk_parse_bool("off", &b) == BERTH_OK && b == 0);
	CHECK_EQ_INT(berth_sdk_parse_bool("2", &b), BERTH_E_CONFIG);
	CHECK(berth_sdk_parse_int("42", 0, 100, &i) == BERTH_OK && i == 42);
	CHECK_EQ_INT(berth_sdk_parse_int("101", 0, 100, &i), BERTH_E_CONFIG);
	CHECK_EQ_INT(berth_sdk_parse_int("10x", 0, 100, &i), BERTH_E_CONFIG);
	CHECK_EQ_INT(berth_sdk_parse_int("", 0, 100, &i), BERTH_E_CONFIG);
	CHECK(berth_sdk_parse_double("0.25", 0, 1, &d) == BERTH_OK && d == 0.25);
	CHECK_EQ_INT(berth_sdk_parse_double("1.5", 0, 1, &d), BERTH_E_CONFIG);
	CHECK_EQ_INT(berth_sdk_parse_double("nan", 0, 1, &d), BERTH_E_CONFIG);
	CHECK(berth_sdk_parse_size("64k", &u) == BERTH_OK && u == 65536);
	CHECK(berth_sdk_parse_size("5MiB", &u) == BERTH_OK && u == 5u << 20);
	CHECK(berth_sdk_parse_size("7", &u) == BERTH_OK && u == 7);
	CHECK_EQ_INT(berth_sdk_parse_size("5Q", &u), BERTH_E_CONFIG);
	CHECK_EQ_INT(berth_sdk_parse_size("-1", &u), BERTH_E_CONFIG);
	CHECK_EQ_INT(berth_sdk_parse_size("99999999999T", &u), BERTH_E_CONFIG);
}

TEST(sdk_buf)
{
	berth_sdk_buf b = {0};
	CHECK_EQ_INT(berth_sdk_buf_append(&b, "ab", 2), BERTH_OK);
	for (int i = 0; i < 1000; i++)
		berth_sdk_buf_printf(&b, "%d,", i % 10);
	CHECK_EQ_INT(b.len, 2002);
	CHECK(b.data[b.len] == 0);
	CHECK(!strncmp(b.data, "ab0,1,2,", 8));
	size_t n = 0;
	char *s = berth_sdk_buf_steal(&b, &n);
	CHECK_EQ_INT(n, 2002);
	CHECK(b.data == NULL && b.len == 0);
	free(s);
	s = berth_sdk_buf_steal(&b, &n);
	CHECK(s && n == 0 && s[0] == 0);
	free(s);
	berth_sdk_buf_free(&b);
}
