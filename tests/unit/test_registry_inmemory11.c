/*
 * test_registry_inmemory11.c - the registry on a driver that really has
 * the ABI 1.1 members, the inmemory driver (batch all or nothing,
 * versions, flush, hints it checks at commit, maintain): a manifest PUT
 * through one batch, tag and manifest deletes through versioned batches,
 * an upload flushed per chunk, a monolithic upload whose hinted digest
 * the driver refuses answering as a digest mismatch, and maintenance.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "fs_driver_fixture.h"
#include "registry/blobs.h"
#include "registry/layout.h"
#include "registry/maintain.h"
#include "registry/manifests.h"
#include "registry/upload_memo.h"
#include "registry/uploads.h"
#include "storage/store.h"
#include "test.h"

typedef struct mem_fixture {
	berth_driver *driver;
	berth_settings cfg;
	berth_registry reg;
} mem_fixture;

static int mem_setup(mem_fixture *f)
{
	char err[512];
	memset(f, 0, sizeof *f);
	if (driver_load(test_driver_path("inmemory"), &f->driver, err,
			sizeof err))
		return -1;
	berth_config none = {0, NULL};
	registry_init(&f->reg, &f->cfg);
	if (store_open(&f->reg.store, f->driver, &none, err, sizeof err)) {
		registry_fini(&f->reg);
		driver_unload(f->driver);
		return -1;
	}
	return 0;
}

static void mem_teardown(mem_fixture *f)
{
	store_close(&f->reg.store);
	registry_fini(&f->reg);
	driver_unload(f->driver);
}

static int put_manifest(mem_fixture *f, const char *tag,
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
	int rc = registry_manifest_put(&f->reg, "r", tag, d, json,
				       strlen(json), &m, &problem);
	registry_manifest_free(&m);
	return rc;
}

TEST(inmemory11_manifests_and_tags)
{
	mem_fixture f;
	if (mem_setup(&f)) {
		CHECK(!"inmemory fixture");
		return;
	}
	CHECK(store_has(&f.reg.store, BERTH_CAP_BATCH));
	CHECK(store_has(&f.reg.store, BERTH_CAP_STAT_VERSION));
	berth_digest cfg, d, got;
	char p[BERTH_PATH_MAX];
	digest_buffer(BERTH_DIGEST_SHA256, "{}", 2, &cfg);
	CHECK_EQ_INT(store_put(&f.reg.store, layout_blob_data(p, &cfg), "{}",
			       2),
		     BERTH_OK);
	CHECK_EQ_INT(registry_link_blob(&f.reg, "r", &cfg), BERTH_OK);
	CHECK_EQ_INT(put_manifest(&f, "t", &cfg, &d), BERTH_OK);
	CHECK_EQ_INT(put_manifest(&f, "u", &cfg, &d), BERTH_OK);
	CHECK_EQ_INT(registry_manifest_resolve(&f.reg, "r", "t", &got),
		     BERTH_OK);
	CHECK(digest_equal(&got, &d));
	CHECK_EQ_INT(store_exists(&f.reg.store,
				  layout_revision_record(p, "r", &d)),
		     1);

	CHECK_EQ_INT(registry_tag_delete(&f.reg, "r", "t"), BERTH_OK);
	CHECK_EQ_INT(registry_manifest_resolve(&f.reg, "r", "t", &got),
		     BERTH_E_NOT_FOUND);
	CHECK_EQ_INT(store_exists(&f.reg.store, layout_tag_dir(p, "r", "t")),
		     0);
	CHECK_EQ_INT(registry_tag_delete(&f.reg, "r", "t"), BERTH_E_NOT_FOUND);
	CHECK_EQ_INT(registry_manifest_resolve(&f.reg, "r", "u", &got),
		     BERTH_OK);

	CHECK_EQ_INT(registry_manifest_delete(&f.reg, "r", &d), BERTH_OK);
	CHECK_EQ_INT(registry_manifest_exists(&f.reg, "r", &d), 0);
	CHECK_EQ_INT(registry_manifest_resolve(&f.reg, "r", "u", &got),
		     BERTH_E_NOT_FOUND);
	CHECK_EQ_INT(registry_manifest_delete(&f.reg, "r", &d),
		     BERTH_E_NOT_FOUND);
	mem_teardown(&f);
}

TEST(inmemory11_uploads)
{
	mem_fixture f;
	if (mem_setup(&f)) {
		CHECK(!"inmemory fixture");
		return;
	}
	upload_memo_clear();
	log_set_level(BERTH_LOG_ERROR);
	char id[REGISTRY_UPLOAD_ID_MAX];
	registry_upload *u = NULL;
	registry_upload_result res;
	berth_digest want;

	/* chunks, each flushed and its state saved, then the close */
	CHECK_EQ_INT(registry_upload_new(&f.reg, "r", &u), BERTH_OK);
	CHECK_EQ_INT(registry_upload_start(u), BERTH_OK);
	CHECK_EQ_INT(registry_upload_hand_out(u, NULL), BERTH_OK);
	snprintf(id, sizeof id, "%s", registry_upload_id(u));
	registry_upload_close(u);
	const char *chunks[] = {"hello ", "world"};
	for (int i = 0; i < 2; i++) {
		u = NULL;
		CHECK_EQ_INT(registry_upload_find(&f.reg, "r", id, &u),
			     BERTH_OK);
		CHECK_EQ_INT(registry_upload_open(u), BERTH_OK);
		CHECK_EQ_INT(registry_upload_write(u, chunks[i],
						   strlen(chunks[i])),
			     BERTH_OK);
		CHECK_EQ_INT(registry_upload_end_chunk(u), BERTH_OK);
		registry_upload_close(u);
	}
	digest_buffer(BERTH_DIGEST_SHA256, "hello world", 11, &want);
	u = NULL;
	CHECK_EQ_INT(registry_upload_find(&f.reg, "r", id, &u), BERTH_OK);
	registry_upload_hint(u, &want, UINT64_MAX);
	CHECK_EQ_INT(registry_upload_open(u), BERTH_OK);
	CHECK_EQ_INT(registry_upload_finalize(u, &want, &res), BERTH_OK);
	registry_upload_close(u);
	CHECK_EQ_INT(registry_blob_linked(&f.reg, "r", &want), 1);

	/* monolithic with a digest its bytes do not have: the driver
	   refuses the commit, the client hears of the digest */
	digest_buffer(BERTH_DIGEST_SHA256, "promised", 8, &want);
	u = NULL;
	CHECK_EQ_INT(registry_upload_new(&f.reg, "r", &u), BERTH_OK);
	registry_upload_hint(u, &want, 8);
	CHECK_EQ_INT(registry_upload_open(u), BERTH_OK);
	CHECK_EQ_INT(registry_upload_write(u, "delivers", 8), BERTH_OK);
	CHECK_EQ_INT(registry_upload_finalize(u, &want, &res),
		     REGISTRY_UPLOAD_E_DIGEST);
	berth_digest content;
	digest_buffer(BERTH_DIGEST_SHA256, "delivers", 8, &content);
	CHECK(digest_equal(&res.digest, &content));
	registry_upload_close(u);
	CHECK_EQ_INT(registry_blob_linked(&f.reg, "r", &want), 0);

	CHECK_EQ_INT(registry_maintain(&f.reg, 10 * 1000000000LL, NULL), 0);
	log_set_level(BERTH_LOG_INFO);
	upload_memo_clear();
	mem_teardown(&f);
}
