/*
 * test_upload_memo.c - the in-process memo of upload hash states: a memo
 * answers only for its repository and its exact byte count, is replaced
 * by a newer one, can be forgotten, and the oldest go past the bound.
 */
#include <stdio.h>

#include "registry/upload_memo.h"
#include "test.h"

static berth_hasher hashed(const char *text)
{
	berth_hasher h;
	digest_hasher_init(&h, BERTH_DIGEST_SHA256);
	digest_hasher_update(&h, text, strlen(text));
	return h;
}

TEST(upload_memo_exact_size_and_repository)
{
	upload_memo_clear();
	berth_hasher h = hashed("hello"), got;
	upload_memo_put("a/b", "id-1", &h);
	CHECK(upload_memo_has("a/b", "id-1"));
	CHECK(upload_memo_get("a/b", "id-1", 5, &got));
	CHECK_EQ_INT(got.bytes, 5);
	CHECK(memcmp(got.state, h.state, sizeof h.state) == 0);
	CHECK(!upload_memo_get("a/b", "id-1", 6, &got)); /* storage moved on */
	CHECK(!upload_memo_get("a/c", "id-1", 5, &got)); /* another repository */
	CHECK(!upload_memo_has("a/c", "id-1"));
	CHECK(!upload_memo_get("a/b", "id-2", 5, &got));

	berth_hasher h2 = hashed("hello, world");
	upload_memo_put("a/b", "id-1", &h2); /* the next PATCH replaces it */
	CHECK(!upload_memo_get("a/b", "id-1", 5, &got));
	CHECK(upload_memo_get("a/b", "id-1", 12, &got));

	upload_memo_forget("id-1");
	CHECK(!upload_memo_has("a/b", "id-1"));
	upload_memo_clear();
}

TEST(upload_memo_bounded)
{
	upload_memo_clear();
	berth_hasher h = hashed("x");
	char id[40];
	for (int i = 0; i < 2000; i++) {
		snprintf(id, sizeof id, "id-%d", i);
		upload_memo_put("r", id, &h);
	}
	CHECK(!upload_memo_has("r", "id-0")); /* the oldest went */
	CHECK(upload_memo_has("r", "id-1999"));
	int kept = 0;
	for (int i = 0; i < 2000; i++) {
		snprintf(id, sizeof id, "id-%d", i);
		kept += upload_memo_has("r", id);
	}
	CHECK(kept > 0 && kept <= 1000);
	upload_memo_clear();
}
