/*
 * test_names.c - repository name and tag grammar, including the tricky
 * separator rules and length limits.
 */
#include <string.h>

#include "common/names.h"
#include "test.h"

static int nv(const char *s)
{
	return names_repository_valid(s, strlen(s));
}

TEST(names_valid)
{
	CHECK(nv("a"));
	CHECK(nv("alpine"));
	CHECK(nv("library/alpine"));
	CHECK(nv("a.b_c__d-e--f/g"));
	CHECK(nv("a---b"));
	CHECK(nv("0/1/2/3"));
	CHECK(nv("my-org/team.tools/image_v2"));
	CHECK(nv("x9"));
}

TEST(names_invalid)
{
	const char *bad[] = {
		"", "Library", "library/Alpine", "../x", "x/..", "a/../b",
		"a//b", "a/", "/a", "-a", "a-", ".a", "a.", "_a", "a_",
		"a..b", "a___b", "a._b", "a_.b", "a-.b", "a.-b", "a_-b",
		"a b", "a:b", "a@b", "a/.b", "a/-b", "a\\b", "%2e%2e", "a\nb",
		"ä", "a/b/", "//",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (nv(bad[i])) {
			char m[96];
			snprintf(m, sizeof m, "name \"%s\" should be invalid",
				 bad[i]);
			test_fail(__FILE__, __LINE__, m);
		}
	}
	CHECK(!names_repository_valid(NULL, 0));
}

TEST(names_length_is_respected)
{
	/* The length bounds the match, so a slice of a path works and a
	   NUL inside the length is rejected. */
	CHECK(names_repository_valid("library/alpine/tags/list", 14));
	CHECK(!names_repository_valid("library/", 8));
	CHECK(!names_repository_valid("ab\0cd", 5));
	CHECK(names_repository_valid("ab\0cd", 2));
	CHECK(!names_repository_valid("abc", 0));
}

TEST(names_max_length)
{
	char buf[BERTH_NAME_MAX + 2];
	memset(buf, 'a', sizeof buf);
	CHECK(names_repository_valid(buf, BERTH_NAME_MAX));
	CHECK(!names_repository_valid(buf, BERTH_NAME_MAX + 1));
	/* Many components up to the limit. */
	for (int i = 1; i < BERTH_NAME_MAX; i += 2)
		buf[i] = '/';
	CHECK(names_repository_valid(buf, BERTH_NAME_MAX));
	CHECK(!names_repository_valid(buf, BERTH_NAME_MAX - 1)); /* ends in '/' */
}

TEST(tags_valid)
{
	CHECK(names_tag_valid("latest"));
	CHECK(names_tag_valid("v1.2.3-rc.1"));
	CHECK(names_tag_valid("_private"));
	CHECK(names_tag_valid("A"));
	CHECK(names_tag_valid("3.19_x-Y"));
	CHECK(names_tag_valid("sha256-abcdef.sig"));
}

TEST(tags_invalid)
{
	CHECK(!names_tag_valid(NULL));
	CHECK(!names_tag_valid(""));
	CHECK(!names_tag_valid(".hidden"));
	CHECK(!names_tag_valid("-x"));
	CHECK(!names_tag_valid("a/b"));
	CHECK(!names_tag_valid("a:b"));
	CHECK(!names_tag_valid("a b"));
	CHECK(!names_tag_valid("sha256:abc"));
	CHECK(!names_tag_valid("a+b"));
	CHECK(!names_tag_valid(".."));
}

TEST(tags_max_length)
{
	char buf[BERTH_TAG_MAX + 2];
	memset(buf, 'x', sizeof buf);
	buf[BERTH_TAG_MAX] = '\0';
	CHECK(names_tag_valid(buf));
	buf[BERTH_TAG_MAX] = 'x';
	buf[BERTH_TAG_MAX + 1] = '\0';
	CHECK(!names_tag_valid(buf));
}
