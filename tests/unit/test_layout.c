/*
 * test_layout.c - the storage paths match CNCF Distribution's layout
 * exactly, and an over-long path is never truncated into a prefix.
 */
#include <string.h>

#include "registry/layout.h"
#include "test.h"

#define HEX "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define HEX2 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define R "/docker/registry/v2"

/* Paths are compared here rather than with CHECK_STR: the path buffers
   are larger than its fixed message buffer. */
static void path_is(const char *got, const char *want, int line)
{
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "    got  %s\n    want %s\n", got, want);
		test_fail(__FILE__, line, "path mismatch");
	}
}
#define CHECK_PATH(got, want) path_is((got), (want), __LINE__)

TEST(layout_blobs)
{
	char buf[BERTH_PATH_MAX];
	berth_digest d;
	CHECK_EQ_INT(digest_parse("sha256:" HEX, &d), 0);
	CHECK(layout_blob_data(buf, &d) == buf);
	CHECK_PATH(buf, R "/blobs/sha256/ba/" HEX "/data");
	CHECK_PATH(layout_blob_dir(buf, &d), R "/blobs/sha256/ba/" HEX);
}

TEST(layout_repository_paths)
{
	char buf[BERTH_PATH_MAX];
	berth_digest d;
	CHECK_EQ_INT(digest_parse("sha256:" HEX, &d), 0);
	const char *n = "library/alpine";
	CHECK_PATH(layout_repos_root(buf), R "/repositories");
	CHECK_PATH(layout_repo(buf, n), R "/repositories/library/alpine");
	CHECK_PATH(layout_layer_link(buf, n, &d),
		  R "/repositories/library/alpine/_layers/sha256/" HEX "/link");
	CHECK_PATH(layout_revision_link(buf, n, &d),
		  R "/repositories/library/alpine/_manifests/revisions/sha256/" HEX
		    "/link");
	CHECK_PATH(layout_revision_dir(buf, n, &d),
		  R "/repositories/library/alpine/_manifests/revisions/sha256/" HEX);
	CHECK_PATH(layout_tags_dir(buf, n),
		  R "/repositories/library/alpine/_manifests/tags");
	CHECK_PATH(layout_tag_dir(buf, n, "3.19"),
		  R "/repositories/library/alpine/_manifests/tags/3.19");
	CHECK_PATH(layout_tag_current(buf, n, "latest"),
		  R "/repositories/library/alpine/_manifests/tags/latest/current/link");
	CHECK_PATH(layout_tag_index(buf, n, "latest", &d),
		  R "/repositories/library/alpine/_manifests/tags/latest/index/sha256/" HEX
		    "/link");
}

TEST(layout_referrers)
{
	char buf[BERTH_PATH_MAX];
	berth_digest s, r;
	CHECK_EQ_INT(digest_parse("sha256:" HEX, &s), 0);
	CHECK_EQ_INT(digest_parse("sha256:" HEX2, &r), 0);
	CHECK_PATH(layout_referrers_dir(buf, "a/b", &s),
		  R "/repositories/a/b/_manifests/referrers/sha256/" HEX);
	CHECK_PATH(layout_referrer_link(buf, "a/b", &s, &r),
		  R "/repositories/a/b/_manifests/referrers/sha256/" HEX
		    "/sha256/" HEX2 "/link");
}

TEST(layout_uploads)
{
	char buf[BERTH_PATH_MAX];
	const char *id = "0d8c1a4e-4a8b-4a4f-9a2b-0c3d4e5f6a7b";
	CHECK_PATH(layout_upload_dir(buf, "x", id),
		  R "/repositories/x/_uploads/0d8c1a4e-4a8b-4a4f-9a2b-0c3d4e5f6a7b");
	CHECK_PATH(layout_upload_data(buf, "x", id),
		  R "/repositories/x/_uploads/0d8c1a4e-4a8b-4a4f-9a2b-0c3d4e5f6a7b/data");
	CHECK_PATH(layout_upload_startedat(buf, "x", id),
		  R "/repositories/x/_uploads/0d8c1a4e-4a8b-4a4f-9a2b-0c3d4e5f6a7b/startedat");
	CHECK_PATH(layout_upload_hashstates(buf, "x", id, BERTH_DIGEST_SHA256),
		  R "/repositories/x/_uploads/0d8c1a4e-4a8b-4a4f-9a2b-0c3d4e5f6a7b/hashstates/sha256");
	CHECK_PATH(layout_upload_hashstate(buf, "x", id, BERTH_DIGEST_SHA512,
					  18446744073709551615ull),
		  R "/repositories/x/_uploads/0d8c1a4e-4a8b-4a4f-9a2b-0c3d4e5f6a7b/hashstates/sha512/18446744073709551615");
	CHECK_PATH(layout_upload_hashstate(buf, "x", id, BERTH_DIGEST_SHA256, 0),
		  R "/repositories/x/_uploads/0d8c1a4e-4a8b-4a4f-9a2b-0c3d4e5f6a7b/hashstates/sha256/0");
}

TEST(layout_sha512_blob)
{
	char buf[BERTH_PATH_MAX];
	berth_digest d;
	digest_buffer(BERTH_DIGEST_SHA512, "abc", 3, &d);
	layout_blob_data(buf, &d);
	CHECK(strncmp(buf, R "/blobs/sha512/dd/ddaf35a1", 35) == 0);
	CHECK_EQ_INT(strlen(buf), strlen(R "/blobs/sha512/dd/") + 128 + 5);
}

TEST(layout_overlong_path_is_empty_not_truncated)
{
	char buf[BERTH_PATH_MAX];
	char id[BERTH_PATH_MAX];
	memset(id, 'a', sizeof id - 1);
	id[sizeof id - 1] = '\0';
	CHECK_PATH(layout_upload_dir(buf, "x", id), "");
	CHECK_PATH(layout_repo(buf, id), "");
	/* The longest name still fits in every path. */
	char name[256];
	memset(name, 'n', 255);
	name[255] = '\0';
	char tag[129];
	memset(tag, 't', 128);
	tag[128] = '\0';
	berth_digest d;
	digest_buffer(BERTH_DIGEST_SHA512, "", 0, &d);
	CHECK(layout_tag_index(buf, name, tag, &d)[0] == '/');
	CHECK(layout_referrer_link(buf, name, &d, &d)[0] == '/');
}
