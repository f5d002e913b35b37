/*
 * test_sdk_path.c - the driver SDK's path helpers: the ABI grammar with
 * "." and ".." refused, joining, containment ("/a" never covers "/ab"),
 * parent/base and the walk-order comparison.
 */
#include <stdlib.h>

#include <berth/sdk.h>

#include "test.h"

TEST(sdk_path_valid)
{
	static const char *const good[] = {
		"/a", "/a/b", "/A_Z-a.z_0-9", "/...", "/..a", "/a..", "/.abc",
		"/docker/registry/v2/blobs/sha256/ab/abcd/data", "/_", "/-",
	};
	static const char *const bad[] = {
		"", "a", "/a/", "//a", "/a//b", "/.", "/..", "/a/./b", "/a/../b",
		"/a/..", "/a b", "/a\tb", "/a:b", "/a\xc3\xbc", "/a+b", "/a~b",
		"/a%2Fb", " /a", "./a",
	};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		CHECK(berth_sdk_path_valid(good[i], 0));
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECK(!berth_sdk_path_valid(bad[i], BERTH_SDK_PATH_ALLOW_ROOT));
	CHECK(!berth_sdk_path_valid(NULL, 0));
	CHECK(!berth_sdk_path_valid("/", 0));
	CHECK(berth_sdk_path_valid("/", BERTH_SDK_PATH_ALLOW_ROOT));
	CHECK_EQ_INT(berth_sdk_path_check(NULL, "x", "/a", 0), BERTH_OK);
	CHECK_EQ_INT(berth_sdk_path_check(NULL, "x", "/a/", 0),
		     BERTH_E_INVALID_PATH);
}

TEST(sdk_path_name_valid)
{
	static const char *const good[] = {"a", "A_Z-a.z_0-9", "...", "..a",
					   ".abc", "_", "-", "data"};
	static const char *const bad[] = {"", ".", "..", "a/b", "/a", "a~tmp.1",
					  "x~partial", "a b", "a\xc3\xbc", "a:b"};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++)
		CHECK(berth_sdk_path_name_valid(good[i]));
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		CHECK(!berth_sdk_path_name_valid(bad[i]));
	CHECK(!berth_sdk_path_name_valid(NULL));
}

TEST(sdk_path_join)
{
	char *p;
	CHECK_STR(p = berth_sdk_path_join("/a", "b"), "/a/b");
	free(p);
	CHECK_STR(p = berth_sdk_path_join("/a/", "/b"), "/a/b");
	free(p);
	CHECK_STR(p = berth_sdk_path_join("/", "b"), "/b");
	free(p);
	CHECK_STR(p = berth_sdk_path_join("/a", ""), "/a");
	free(p);
	CHECK_STR(p = berth_sdk_path_join("", ""), "/");
	free(p);
	CHECK_STR(p = berth_sdk_path_join("", "x/y"), "/x/y");
	free(p);
}

TEST(sdk_path_under_parent_base)
{
	CHECK(berth_sdk_path_under("/a", "/a"));
	CHECK(berth_sdk_path_under("/a/b", "/a"));
	CHECK(!berth_sdk_path_under("/ab", "/a"));
	CHECK(!berth_sdk_path_under("/a-b/c", "/a"));
	CHECK(berth_sdk_path_under("/x", "/"));
	CHECK(!berth_sdk_path_under("/a", "/a/b"));
	CHECK_EQ_INT(berth_sdk_path_parent_len("/a/b"), 2);
	CHECK_EQ_INT(berth_sdk_path_parent_len("/a"), 1);
	CHECK_EQ_INT(berth_sdk_path_parent_len("/"), 1);
	CHECK_STR(berth_sdk_path_base("/a/bc"), "bc");
	CHECK_STR(berth_sdk_path_base("/"), "");
}

TEST(sdk_path_cmp_walk_order)
{
	/* The conformance suite's walk order: parents first, then names in
	   byte order component by component. */
	static const char *const order[] = {
		"/_", "/a", "/a/x", "/a-b", "/a.b", "/a.b/y", "/aB", "/b",
	};
	size_t n = sizeof order / sizeof *order;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			int c = berth_sdk_path_cmp(order[i], order[j]);
			CHECK(i < j ? c < 0 : i > j ? c > 0 : c == 0);
		}
}
