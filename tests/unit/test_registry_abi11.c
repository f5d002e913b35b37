/*
 * test_registry_abi11.c - what the core asks of a driver with the ABI
 * 1.1 capabilities, on the filesystem driver with recording members
 * spliced in (rec_driver_fixture.h): a manifest PUT is one batch (and
 * none of it stays when the batch fails), versioned tag and manifest
 * deletes start again when another instance changed what they read, the
 * end of a chunk flushes before the state is saved (and a failed flush
 * saves none), a monolithic upload opens its writer with hints, and
 * maintenance rounds repeat while the driver has work left.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "registry/blobs.h"
#include "registry/layout.h"
#include "registry/maintain.h"
#include "registry/manifests.h"
#include "registry/upload_memo.h"
#include "registry/uploads.h"
#include "rec_driver_fixture.h"
#include "storage/store.h"
#include "test.h"

/* A manifest naming the config blob `cfg`, put into `name` under `tag`. */
static int put_manifest(repo_fixture *f, const char *name, const char *tag,
			const berth_digest *cfg, berth_digest *d)
{
	char c[BERTH_DIGEST_MAX], json[512], err[256];
	digest_format(cfg, c);
	snprintf(json, sizeof json,
		 "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST
		 "\",\"config\":{\"mediaType\":\"application/vnd.x\","
		 "\"digest\":\"%s\",\"size\":2},\"layers\":[]}",
		 c);
	berth_manifest m;
	repo_put_problem problem;
	if (registry_manifest_parse(json, strlen(json), NULL, &m, err,
				    sizeof err))
		return -100;
	digest_buffer(BERTH_DIGEST_SHA256, json, strlen(json), d);
	int rc = registry_manifest_put(&f->reg, name, tag, d, json,
				       strlen(json), &m, &problem);
	registry_manifest_free(&m);
	return rc;
}

static void add_config(repo_fixture *f, const char *name, berth_digest *d)
{
	char path[BERTH_PATH_MAX];
	digest_buffer(BERTH_DIGEST_SHA256, "{}", 2, d);
	CHECK_EQ_INT(store_put(&f->reg.store, layout_blob_data(path, d), "{}",
			       2),
		     BERTH_OK);
	CHECK_EQ_INT(registry_link_blob(&f->reg, name, d), BERTH_OK);
}

static void teardown(repo_fixture *f)
{
	memset(&rec, 0, sizeof rec);
	repo_fixture_teardown(f);
}

TEST(abi11_manifest_put_is_one_batch)
{
	repo_fixture f;
	if (rec_fixture_setup(&f, BERTH_CAP_BATCH | BERTH_CAP_STAT_VERSION)) {
		CHECK(!"fixture");
		return;
	}
	berth_digest cfg, d;
	char p[BERTH_PATH_MAX];
	add_config(&f, "r", &cfg);
	CHECK_EQ_INT(put_manifest(&f, "r", "t", &cfg, &d), BERTH_OK);
	CHECK_EQ_INT(rec.batch_calls, 1);
	CHECK_EQ_INT(rec.nops, 4);
	for (size_t i = 0; i < rec.nops; i++)
		CHECK_EQ_INT(rec.kinds[i], BERTH_BATCH_PUT);
	CHECK_STR(rec.paths[0], layout_revision_record(p, "r", &d));
	CHECK_STR(rec.paths[1], layout_revision_link(p, "r", &d));
	CHECK_STR(rec.paths[2], layout_tag_index(p, "r", "t", &d));
	CHECK_STR(rec.paths[3], layout_tag_current(p, "r", "t"));
	berth_digest got;
	CHECK_EQ_INT(registry_manifest_resolve(&f.reg, "r", "t", &got),
		     BERTH_OK);
	CHECK(digest_equal(&got, &d));

	/* a batch that fails leaves neither the revision nor the tag */
	berth_digest d2;
	digest_buffer(BERTH_DIGEST_SHA256, "other", 5, &cfg);
	CHECK_EQ_INT(store_put(&f.reg.store, layout_blob_data(p, &cfg),
			       "{}", 2),
		     BERTH_OK); /* size 2 as the manifest says */
	CHECK_EQ_INT(registry_link_blob(&f.reg, "r", &cfg), BERTH_OK);
	rec.fail_batch = BERTH_E_NO_SPACE;
	CHECK_EQ_INT(put_manifest(&f, "r", "u", &cfg, &d2), BERTH_E_NO_SPACE);
	CHECK_EQ_INT(rec.batch_calls, 2);
	CHECK_EQ_INT(registry_manifest_exists(&f.reg, "r", &d2), 0);
	CHECK_EQ_INT(store_exists(&f.reg.store,
				  layout_revision_record(p, "r", &d2)),
		     0);
	CHECK_EQ_INT(store_exists(&f.reg.store, layout_tag_dir(p, "r", "u")),
		     0);
	teardown(&f);
}

TEST(abi11_manifest_put_without_batch_writes_in_order)
{
	repo_fixture f;
	if (rec_fixture_setup(&f, BERTH_CAP_STAT_VERSION)) {
		CHECK(!"fixture");
		return;
	}
	berth_digest cfg, d, got;
	add_config(&f, "r", &cfg);
	CHECK_EQ_INT(put_manifest(&f, "r", "t", &cfg, &d), BERTH_OK);
	CHECK_EQ_INT(rec.batch_calls, 0);
	CHECK_EQ_INT(registry_manifest_resolve(&f.reg, "r", "t", &got),
		     BERTH_OK);
	/* without BATCH no versioned delete either: plain removes */
	CHECK_EQ_INT(registry_tag_delete(&f.reg, "r", "t"), BERTH_OK);
	CHECK_EQ_INT(rec.batch_calls, 0);
	CHECK_EQ_INT(registry_manifest_resolve(&f.reg, "r", "t", &got),
		     BERTH_E_NOT_FOUND);
	teardown(&f);
}

/* Another instance pushes tag "t" again just before the first removal
   batch is applied. */
static repo_fixture *hook_f;
static void repush_tag(berth_instance *inst, int n)
{
	char p[BERTH_PATH_MAX], text[BERTH_DIGEST_MAX];
	if (n != 1)
		return;
	berth_digest d;
	registry_read_link(&hook_f->reg, layout_tag_current(p, "r", "t"), &d);
	digest_format(&d, text);
	rec_real()->put_content(inst, p, text, strlen(text));
}

TEST(abi11_tag_delete_expects_the_version_it_read)
{
	repo_fixture f;
	if (rec_fixture_setup(&f, BERTH_CAP_BATCH | BERTH_CAP_STAT_VERSION)) {
		CHECK(!"fixture");
		return;
	}
	berth_digest cfg, d, got;
	char p[BERTH_PATH_MAX];
	add_config(&f, "r", &cfg);
	CHECK_EQ_INT(put_manifest(&f, "r", "t", &cfg, &d), BERTH_OK);
	rec.batch_calls = 0;
	hook_f = &f;
	rec.before_batch = repush_tag;
	CHECK_EQ_INT(registry_tag_delete(&f.reg, "r", "t"), BERTH_OK);
	/* the first batch met the other push (CONFLICT); the second, with
	   the new version, removed the tag as if the push came first */
	CHECK_EQ_INT(rec.batch_calls, 2);
	CHECK_EQ_INT(rec.nops, 2);
	CHECK_EQ_INT(rec.kinds[0], BERTH_BATCH_EXPECT);
	CHECK_STR(rec.paths[0], layout_tag_current(p, "r", "t"));
	CHECK(rec.versions[0][0] != 0);
	CHECK_EQ_INT(rec.kinds[1], BERTH_BATCH_REMOVE);
	CHECK_STR(rec.paths[1], layout_tag_dir(p, "r", "t"));
	CHECK_EQ_INT(registry_manifest_resolve(&f.reg, "r", "t", &got),
		     BERTH_E_NOT_FOUND);
	CHECK_EQ_INT(store_exists(&f.reg.store, layout_tag_dir(p, "r", "t")),
		     0);
	rec.before_batch = NULL;
	CHECK_EQ_INT(registry_tag_delete(&f.reg, "r", "t"), BERTH_E_NOT_FOUND);
	teardown(&f);
}

/* Another instance tags the manifest being deleted ("late") after the
   delete has scanned the tags: its PUT rewrites the revision link. */
static berth_digest hook_d;
static void tag_during_delete(berth_instance *inst, int n)
{
	char p[BERTH_PATH_MAX], text[BERTH_DIGEST_MAX];
	if (n != 1)
		return;
	digest_format(&hook_d, text);
	const berth_storage_driver *r = rec_real();
	r->put_content(inst, layout_tag_index(p, "r", "late", &hook_d), text,
		       strlen(text));
	r->put_content(inst, layout_tag_current(p, "r", "late"), text,
		       strlen(text));
	r->put_content(inst, layout_revision_link(p, "r", &hook_d), text,
		       strlen(text));
}

TEST(abi11_manifest_delete_starts_again_after_a_push)
{
	repo_fixture f;
	if (rec_fixture_setup(&f, BERTH_CAP_BATCH | BERTH_CAP_STAT_VERSION)) {
		CHECK(!"fixture");
		return;
	}
	berth_digest cfg, d, got;
	char p[BERTH_PATH_MAX];
	add_config(&f, "r", &cfg);
	CHECK_EQ_INT(put_manifest(&f, "r", NULL, &cfg, &d), BERTH_OK);
	rec.batch_calls = 0;
	hook_d = d;
	rec.before_batch = tag_during_delete;
	CHECK_EQ_INT(registry_manifest_delete(&f.reg, "r", &d), BERTH_OK);
	/* 1: the revision's removal conflicts; the second attempt finds
	   the new tag (2) and removes the revision (3) */
	CHECK_EQ_INT(rec.batch_calls, 3);
	CHECK_EQ_INT(rec.kinds[0], BERTH_BATCH_EXPECT);
	CHECK_STR(rec.paths[0], layout_revision_link(p, "r", &d));
	CHECK_STR(rec.paths[1], layout_revision_dir(p, "r", &d));
	CHECK_EQ_INT(registry_manifest_exists(&f.reg, "r", &d), 0);
	/* no tag is left naming the deleted manifest */
	CHECK_EQ_INT(registry_manifest_resolve(&f.reg, "r", "late", &got),
		     BERTH_E_NOT_FOUND);
	CHECK_EQ_INT(store_exists(&f.reg.store,
				  layout_tag_current(p, "r", "late")),
		     0);
	teardown(&f);
}

/* A started upload the client has the id of. */
static int start(berth_registry *reg, char id[REGISTRY_UPLOAD_ID_MAX])
{
	registry_upload *u = NULL;
	int rc = registry_upload_new(reg, "r", &u);
	if (rc == BERTH_OK)
		rc = registry_upload_start(u);
	if (rc == BERTH_OK)
		rc = registry_upload_hand_out(u, NULL);
	if (u)
		snprintf(id, REGISTRY_UPLOAD_ID_MAX, "%s",
			 registry_upload_id(u));
	registry_upload_close(u);
	return rc;
}

static int patch(berth_registry *reg, const char *id, const char *s)
{
	registry_upload *u = NULL;
	int rc = registry_upload_find(reg, "r", id, &u);
	if (rc == BERTH_OK)
		rc = registry_upload_open(u);
	if (rc == BERTH_OK)
		rc = registry_upload_write(u, s, strlen(s));
	if (rc == BERTH_OK)
		rc = registry_upload_end_chunk(u);
	registry_upload_close(u);
	return rc;
}

static int hashstate_exists(berth_registry *reg, const char *id,
			    unsigned long long off)
{
	char p[BERTH_PATH_MAX];
	return store_exists(&reg->store,
			    layout_upload_hashstate(p, "r", id,
						    BERTH_DIGEST_SHA256, off));
}

TEST(abi11_patch_flushes_and_a_failed_flush_saves_nothing)
{
	repo_fixture f;
	if (rec_fixture_setup(&f, BERTH_CAP_WRITER_FLUSH)) {
		CHECK(!"fixture");
		return;
	}
	log_set_level(BERTH_LOG_ERROR);
	upload_memo_clear();
	char id[REGISTRY_UPLOAD_ID_MAX], p[BERTH_PATH_MAX];
	CHECK_EQ_INT(start(&f.reg, id), BERTH_OK);
	CHECK_EQ_INT(patch(&f.reg, id, "hello "), BERTH_OK);
	CHECK_EQ_INT(rec.flush_calls, 1);
	CHECK_EQ_INT(hashstate_exists(&f.reg, id, 6), 1);
	CHECK_EQ_INT(patch(&f.reg, id, "world"), BERTH_OK);
	CHECK_EQ_INT(rec.flush_calls, 2);
	CHECK_EQ_INT(hashstate_exists(&f.reg, id, 11), 1);

	/* the flush fails: like a failed close, no state, and a mark */
	rec.fail_flush = BERTH_E_IO;
	CHECK_EQ_INT(patch(&f.reg, id, "!!"), BERTH_E_IO);
	CHECK_EQ_INT(rec.flush_calls, 3);
	CHECK_EQ_INT(hashstate_exists(&f.reg, id, 13), 0);
	CHECK(upload_memo_tainted("r", id));
	CHECK_EQ_INT(store_exists(&f.reg.store,
				  layout_upload_rehash(p, "r", id)),
		     1);
	/* the close hashes what is stored */
	berth_digest want;
	digest_buffer(BERTH_DIGEST_SHA256, "hello world!!", 13, &want);
	registry_upload *u = NULL;
	registry_upload_result res;
	CHECK_EQ_INT(registry_upload_find(&f.reg, "r", id, &u), BERTH_OK);
	CHECK_EQ_INT(registry_upload_open(u), BERTH_OK);
	CHECK_EQ_INT(registry_upload_finalize(u, &want, &res), BERTH_OK);
	registry_upload_close(u);
	upload_memo_clear();
	log_set_level(BERTH_LOG_INFO);
	teardown(&f);
}

TEST(abi11_no_flush_without_the_capability)
{
	repo_fixture f;
	if (rec_fixture_setup(&f, 0)) {
		CHECK(!"fixture");
		return;
	}
	upload_memo_clear();
	char id[REGISTRY_UPLOAD_ID_MAX];
	CHECK_EQ_INT(start(&f.reg, id), BERTH_OK);
	rec.fail_flush = BERTH_E_IO; /* would fail, were it called */
	CHECK_EQ_INT(patch(&f.reg, id, "hello"), BERTH_OK);
	CHECK_EQ_INT(rec.flush_calls, 0);
	CHECK_EQ_INT(hashstate_exists(&f.reg, id, 5), 1);
	upload_memo_clear();
	teardown(&f);
}

TEST(abi11_monolithic_upload_opens_with_hints)
{
	repo_fixture f;
	if (rec_fixture_setup(&f, BERTH_CAP_WRITER_HINTS)) {
		CHECK(!"fixture");
		return;
	}
	berth_digest want;
	char ds[BERTH_DIGEST_MAX];
	digest_buffer(BERTH_DIGEST_SHA256, "layer", 5, &want);
	digest_format(&want, ds);
	registry_upload *u = NULL;
	registry_upload_result res;
	CHECK_EQ_INT(registry_upload_new(&f.reg, "r", &u), BERTH_OK);
	registry_upload_hint(u, &want, 5);
	CHECK_EQ_INT(registry_upload_open(u), BERTH_OK);
	CHECK_EQ_INT(rec.hinted_calls, 1);
	CHECK_STR(rec.hint_digest, ds);
	CHECK_EQ_INT(rec.hint_size, 5);
	CHECK_EQ_INT(registry_upload_write(u, "layer", 5), BERTH_OK);
	CHECK_EQ_INT(registry_upload_finalize(u, &want, &res), BERTH_OK);
	registry_upload_close(u);
	CHECK_EQ_INT(registry_blob_linked(&f.reg, "r", &want), 1);

	/* a hint is no proof: the core still verifies the digest */
	CHECK_EQ_INT(registry_upload_new(&f.reg, "r", &u), BERTH_OK);
	digest_buffer(BERTH_DIGEST_SHA256, "other", 5, &want);
	registry_upload_hint(u, &want, 5);
	CHECK_EQ_INT(registry_upload_open(u), BERTH_OK);
	CHECK_EQ_INT(registry_upload_write(u, "liars", 5), BERTH_OK);
	CHECK_EQ_INT(registry_upload_finalize(u, &want, &res),
		     REGISTRY_UPLOAD_E_DIGEST);
	registry_upload_close(u);
	CHECK_EQ_INT(registry_blob_linked(&f.reg, "r", &want), 0);
	teardown(&f);
}

/* A driver that verifies the hinted digest refuses the commit with
   INVALID_ARGUMENT: a digest error (the upload removed), unless the
   core's own hash says the bytes do have the digest. */
TEST(abi11_commit_refused_for_the_hinted_digest)
{
	repo_fixture f;
	if (rec_fixture_setup(&f, BERTH_CAP_WRITER_HINTS)) {
		CHECK(!"fixture");
		return;
	}
	log_set_level(BERTH_LOG_ERROR);
	berth_digest want, content;
	char p[BERTH_PATH_MAX], id[REGISTRY_UPLOAD_ID_MAX];
	digest_buffer(BERTH_DIGEST_SHA256, "wanted", 6, &want);
	digest_buffer(BERTH_DIGEST_SHA256, "liars!", 6, &content);
	registry_upload *u = NULL;
	registry_upload_result res;
	CHECK_EQ_INT(registry_upload_new(&f.reg, "r", &u), BERTH_OK);
	snprintf(id, sizeof id, "%s", registry_upload_id(u));
	registry_upload_hint(u, &want, 6);
	CHECK_EQ_INT(registry_upload_open(u), BERTH_OK);
	CHECK_EQ_INT(registry_upload_write(u, "liars!", 6), BERTH_OK);
	rec.fail_commit = BERTH_E_INVALID_ARGUMENT;
	CHECK_EQ_INT(registry_upload_finalize(u, &want, &res),
		     REGISTRY_UPLOAD_E_DIGEST);
	CHECK_EQ_INT(res.digest_unknown, 0);
	CHECK(digest_equal(&res.digest, &content));
	registry_upload_close(u);
	CHECK_EQ_INT(store_exists(&f.reg.store,
				  layout_upload_dir(p, "r", id)),
		     0);

	/* the bytes do have the digest: the driver's error stands */
	CHECK_EQ_INT(registry_upload_new(&f.reg, "r", &u), BERTH_OK);
	registry_upload_hint(u, &want, 6);
	CHECK_EQ_INT(registry_upload_open(u), BERTH_OK);
	CHECK_EQ_INT(registry_upload_write(u, "wanted", 6), BERTH_OK);
	rec.fail_commit = BERTH_E_INVALID_ARGUMENT;
	CHECK_EQ_INT(registry_upload_finalize(u, &want, &res),
		     BERTH_E_INVALID_ARGUMENT);
	registry_upload_close(u);
	CHECK_EQ_INT(registry_blob_linked(&f.reg, "r", &want), 0);
	log_set_level(BERTH_LOG_INFO);
	teardown(&f);
}

TEST(abi11_maintenance_rounds)
{
	repo_fixture f;
	if (rec_fixture_setup(&f, BERTH_CAP_MAINTAIN)) {
		CHECK(!"fixture");
		return;
	}
	/* work left twice: three calls in one round, each with the budget */
	rec.maintain_more = 2;
	CHECK_EQ_INT(registry_maintain(&f.reg, 60 * 1000000000LL, NULL), 0);
	CHECK_EQ_INT(rec.maintain_calls, 3);
	CHECK_EQ_INT(rec.maintain_budget, BERTH_MAINTAIN_BUDGET_NS);
	/* a round too short for a second call: work is left */
	rec.maintain_calls = 0;
	rec.maintain_more = 5;
	CHECK_EQ_INT(registry_maintain(&f.reg, 1, NULL), 1);
	CHECK_EQ_INT(rec.maintain_calls, 1);
	/* an error ends the round (it is logged) */
	rec.maintain_calls = 0;
	rec.fail_maintain = BERTH_E_IO;
	log_set_level(BERTH_LOG_ERROR);
	CHECK_EQ_INT(registry_maintain(&f.reg, 60 * 1000000000LL, NULL), 0);
	log_set_level(BERTH_LOG_INFO);
	CHECK_EQ_INT(rec.maintain_calls, 1);
	teardown(&f);

	/* without the capability nothing is called */
	if (rec_fixture_setup(&f, 0)) {
		CHECK(!"fixture");
		return;
	}
	CHECK_EQ_INT(registry_maintain(&f.reg, 60 * 1000000000LL, NULL), 0);
	CHECK_EQ_INT(rec.maintain_calls, 0);
	teardown(&f);
}

/* A long body is flushed every 64 MiB, with the state saved for what
   the flush confirmed; a monolithic POST's body is not (nothing of it
   survives a failure). */
TEST(abi11_long_body_flushed_every_64_mib)
{
	repo_fixture f;
	if (rec_fixture_setup(&f, BERTH_CAP_WRITER_FLUSH)) {
		CHECK(!"fixture");
		return;
	}
	upload_memo_clear();
	const size_t piece = 1 << 20;
	char *buf = calloc(1, piece);
	char id[REGISTRY_UPLOAD_ID_MAX];
	registry_upload *u = NULL;
	CHECK(buf != NULL);
	CHECK_EQ_INT(start(&f.reg, id), BERTH_OK);
	CHECK_EQ_INT(registry_upload_find(&f.reg, "r", id, &u), BERTH_OK);
	CHECK_EQ_INT(registry_upload_open(u), BERTH_OK);
	for (int i = 0; buf && i < 65; i++)
		CHECK_EQ_INT(registry_upload_write(u, buf, piece), BERTH_OK);
	CHECK_EQ_INT(rec.flush_calls, 1);
	CHECK_EQ_INT(hashstate_exists(&f.reg, id, 64ull << 20), 1);
	CHECK_EQ_INT(registry_upload_end_chunk(u), BERTH_OK);
	registry_upload_close(u);
	CHECK_EQ_INT(rec.flush_calls, 2);
	CHECK_EQ_INT(hashstate_exists(&f.reg, id, 65ull << 20), 1);

	rec.flush_calls = 0;
	CHECK_EQ_INT(registry_upload_new(&f.reg, "r", &u), BERTH_OK);
	CHECK_EQ_INT(registry_upload_open(u), BERTH_OK);
	for (int i = 0; buf && i < 65; i++)
		CHECK_EQ_INT(registry_upload_write(u, buf, piece), BERTH_OK);
	CHECK_EQ_INT(rec.flush_calls, 0);
	registry_upload_close(u);
	free(buf);
	upload_memo_clear();
	teardown(&f);
}
