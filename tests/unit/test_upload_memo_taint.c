/*
 * test_upload_memo_taint.c - an upload that met a storage error: its memo
 * never answers with a hash again, a newer hash does not clear the taint,
 * and only forgetting the upload (it ended) does.
 */
#include "registry/upload_memo.h"
#include "test.h"

static berth_hasher hashed(const char *text)
{
	berth_hasher h;
	digest_hasher_init(&h, BERTH_DIGEST_SHA256);
	digest_hasher_update(&h, text, strlen(text));
	return h;
}

TEST(upload_memo_taint_sticks_until_forgotten)
{
	upload_memo_clear();
	berth_hasher h = hashed("hello"), got;
	upload_memo_put("a/b", "id-1", &h);
	CHECK(!upload_memo_tainted("a/b", "id-1"));
	CHECK(upload_memo_get("a/b", "id-1", 5, &got));

	upload_memo_taint("a/b", "id-1");
	CHECK(upload_memo_tainted("a/b", "id-1"));
	CHECK(upload_memo_has("a/b", "id-1")); /* still known to exist */
	CHECK(!upload_memo_get("a/b", "id-1", 5, &got));
	CHECK(!upload_memo_tainted("a/c", "id-1")); /* another repository */

	berth_hasher h2 = hashed("hello, world");
	upload_memo_put("a/b", "id-1", &h2);
	CHECK(upload_memo_tainted("a/b", "id-1"));
	CHECK(!upload_memo_get("a/b", "id-1", 12, &got));

	upload_memo_forget("id-1");
	CHECK(!upload_memo_tainted("a/b", "id-1"));
	CHECK(!upload_memo_has("a/b", "id-1"));

	/* a taint without an earlier memo */
	upload_memo_taint("a/b", "id-2");
	CHECK(upload_memo_tainted("a/b", "id-2"));
	CHECK(!upload_memo_get("a/b", "id-2", 0, &got));
	upload_memo_clear();
	CHECK(!upload_memo_tainted("a/b", "id-2"));
}
