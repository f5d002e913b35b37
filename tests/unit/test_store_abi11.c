/*
 * test_store_abi11.c - the store's ABI 1.1 wrappers (storage/store.h)
 * with a 1.0-shaped descriptor (the filesystem driver's, cut to
 * BERTH_STORAGE_SIZE_1_0 and its 1.1 claims dropped, padded by the SDK's
 * check as the loader pads it): every wrapper falls back as it says,
 * store_batch applies the ops in order; a claim whose member is NULL is
 * not used; and the real 1.1 driver's members are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <berth/sdk.h>

#include "fs_driver_fixture.h"
#include "storage/store.h"
#include "test.h"

static const uint64_t all11 = BERTH_CAP_BATCH | BERTH_CAP_WRITER_FLUSH |
			      BERTH_CAP_MAINTAIN | BERTH_CAP_WRITER_HINTS |
			      BERTH_CAP_VALIDATE_CONFIG |
			      BERTH_CAP_STAT_VERSION;

/* The filesystem driver as a 1.0 driver would describe it, in *drv;
   a store open on a fresh root in *st.  0 or -1. */
static int open_10(berth_driver *drv, berth_store *st, char *root)
{
	const berth_storage_driver *fs = test_fs_driver();
	if (!fs)
		return -1;
	berth_storage_driver old = *fs;
	old.abi_minor = 0;
	old.struct_size = BERTH_STORAGE_SIZE_1_0;
	old.capabilities &= ~all11;
	memset(drv, 0, sizeof *drv);
	char err[256];
	if (berth_sdk_descriptor_check(&old, "fs-1.0", &drv->desc, err,
				       sizeof err) != BERTH_OK)
		return -1;
	strcpy(root, "/tmp/berth-store11-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	berth_config_item items[] = {{"rootdirectory", root}};
	berth_config cfg = {1, items};
	return store_open(st, drv, &cfg, err, sizeof err);
}

static void close_10(berth_store *st, const char *root)
{
	store_close(st);
	test_rm_tree(root);
}

TEST(store11_fallbacks_of_a_1_0_driver)
{
	berth_driver drv;
	berth_store st;
	char root[64];
	CHECK_EQ_INT(open_10(&drv, &st, root), 0);
	if (!st.inst)
		return;
	/* padded: the 1.1 members are NULL, nothing is claimed */
	CHECK(drv.desc.writer_flush == NULL && drv.desc.stat_version == NULL);
	const uint64_t caps[] = {BERTH_CAP_BATCH, BERTH_CAP_WRITER_FLUSH,
				 BERTH_CAP_MAINTAIN, BERTH_CAP_WRITER_HINTS,
				 BERTH_CAP_VALIDATE_CONFIG,
				 BERTH_CAP_STAT_VERSION};
	for (size_t i = 0; i < 6; i++)
		CHECK_EQ_INT(store_has(&st, caps[i]), 0);
	CHECK_EQ_INT(store_has(&st, BERTH_CAP_NATIVE_WALK), 1);

	berth_stat_info info;
	char version[BERTH_VERSION_MAX] = "junk";
	CHECK_EQ_INT(store_put(&st, "/a", "1", 1), BERTH_OK);
	CHECK_EQ_INT(store_stat_version(&st, "/a", &info, version),
		     BERTH_E_UNSUPPORTED);
	CHECK_STR(version, "");
	int more = 7;
	CHECK_EQ_INT(store_maintain(&st, 1000, &more), BERTH_E_UNSUPPORTED);
	CHECK_EQ_INT(more, 0);
	char err[256] = "junk";
	CHECK_EQ_INT(store_validate_config(&drv, NULL, err, sizeof err),
		     BERTH_E_UNSUPPORTED);
	CHECK_STR(err, "");

	/* a hinted writer is a plain writer; flush is not there */
	berth_writer *w = NULL;
	CHECK_EQ_INT(store_writer_hinted(&st, "/w", 0, "sha256:00", 3, &w),
		     BERTH_OK);
	if (w) {
		CHECK_EQ_INT(store_write(&st, w, "abc", 3), BERTH_OK);
		CHECK_EQ_INT(store_writer_flush(&st, w), BERTH_E_UNSUPPORTED);
		CHECK_EQ_INT(store_commit(&st, w), BERTH_OK);
		CHECK_EQ_INT(store_writer_close(&st, w), BERTH_OK);
	}
	CHECK_EQ_INT(store_stat(&st, "/w", &info), BERTH_OK);
	CHECK_EQ_INT(info.size, 3);
	close_10(&st, root);
}

TEST(store11_batch_fallback_in_order)
{
	berth_driver drv;
	berth_store st;
	char root[64];
	CHECK_EQ_INT(open_10(&drv, &st, root), 0);
	if (!st.inst)
		return;
	berth_batch_op ops[] = {
		{.kind = BERTH_BATCH_EXPECT, .path = "/x"},
		{.kind = BERTH_BATCH_PUT, .path = "/x", .data = "one", .len = 3},
		{.kind = BERTH_BATCH_PUT, .path = "/y", .data = "two", .len = 3},
		{.kind = BERTH_BATCH_MOVE, .path = "/y", .dst = "/z"},
		{.kind = BERTH_BATCH_REMOVE, .path = "/x"},
	};
	CHECK_EQ_INT(store_batch(&st, ops, 5), BERTH_OK);
	CHECK_EQ_INT(store_exists(&st, "/x"), 0);
	CHECK_EQ_INT(store_exists(&st, "/y"), 0);
	CHECK_EQ_INT(store_exists(&st, "/z"), 1);

	/* stops at the first failure, the ops before it applied */
	berth_batch_op fail[] = {
		{.kind = BERTH_BATCH_PUT, .path = "/p", .data = "1", .len = 1},
		{.kind = BERTH_BATCH_EXPECT, .path = "/z"},
		{.kind = BERTH_BATCH_PUT, .path = "/q", .data = "2", .len = 1},
	};
	CHECK_EQ_INT(store_batch(&st, fail, 3), BERTH_E_CONFLICT);
	CHECK_EQ_INT(store_exists(&st, "/p"), 1);
	CHECK_EQ_INT(store_exists(&st, "/q"), 0);
	berth_batch_op gone[] = {{.kind = BERTH_BATCH_REMOVE, .path = "/q"}};
	CHECK_EQ_INT(store_batch(&st, gone, 1), BERTH_E_NOT_FOUND);

	/* a version needs stat_version; bad batches change nothing */
	berth_batch_op ver[] = {
		{.kind = BERTH_BATCH_EXPECT, .path = "/z", .version = "1"}};
	CHECK_EQ_INT(store_batch(&st, ver, 1), BERTH_E_UNSUPPORTED);
	CHECK_EQ_INT(store_batch(&st, ops, 0), BERTH_E_INVALID_ARGUMENT);
	CHECK_EQ_INT(store_batch(&st, ops, 65), BERTH_E_INVALID_ARGUMENT);
	berth_batch_op bad[] = {
		{.kind = BERTH_BATCH_PUT, .path = "/r", .data = "1", .len = 1},
		{.kind = 9, .path = "/r"},
	};
	CHECK_EQ_INT(store_batch(&st, bad, 2), BERTH_E_INVALID_ARGUMENT);
	CHECK_EQ_INT(store_exists(&st, "/r"), 0);
	bad[1].kind = BERTH_BATCH_PUT;
	bad[1].reserved = 1;
	CHECK_EQ_INT(store_batch(&st, bad, 2), BERTH_E_INVALID_ARGUMENT);
	CHECK_EQ_INT(store_exists(&st, "/r"), 0);
	close_10(&st, root);
}

TEST(store11_claim_without_member_is_not_used)
{
	berth_driver drv;
	berth_store st;
	char root[64];
	CHECK_EQ_INT(open_10(&drv, &st, root), 0);
	if (!st.inst)
		return;
	/* as no loader would let through: claims, members NULL */
	drv.desc.capabilities |= all11;
	CHECK_EQ_INT(store_has(&st, BERTH_CAP_BATCH), 0);
	CHECK_EQ_INT(store_has(&st, BERTH_CAP_STAT_VERSION), 0);
	berth_batch_op ops[] = {
		{.kind = BERTH_BATCH_PUT, .path = "/x", .data = "1", .len = 1}};
	CHECK_EQ_INT(store_batch(&st, ops, 1), BERTH_OK);
	int more = 1;
	CHECK_EQ_INT(store_maintain(&st, 1, &more), BERTH_E_UNSUPPORTED);
	char err[64];
	CHECK_EQ_INT(store_validate_config(&drv, NULL, err, sizeof err),
		     BERTH_E_UNSUPPORTED);
	close_10(&st, root);
}

TEST(store11_members_of_a_1_1_driver)
{
	berth_driver *drv = NULL;
	char err[256] = "", root[] = "/tmp/berth-store11-XXXXXX";
	CHECK_EQ_INT(driver_load(test_driver_path("filesystem"), &drv, err,
				 sizeof err),
		     0);
	if (!drv || !mkdtemp(root)) {
		driver_unload(drv);
		return;
	}
	berth_config_item bad[] = {{"rootdirectory", root}, {"colour", "x"}};
	berth_config cfg = {2, bad};
	CHECK_EQ_INT(store_validate_config(drv, &cfg, err, sizeof err),
		     BERTH_E_CONFIG);
	CHECK(strstr(err, "storage driver filesystem: configuration error") !=
	      NULL);
	CHECK(strstr(err, "unknown option \"colour\"") != NULL);
	cfg.count = 1;
	CHECK_EQ_INT(store_validate_config(drv, &cfg, err, sizeof err),
		     BERTH_OK);
	berth_store st;
	CHECK_EQ_INT(store_open(&st, drv, &cfg, err, sizeof err), 0);
	if (st.inst) {
		berth_stat_info info;
		char v1[BERTH_VERSION_MAX], v2[BERTH_VERSION_MAX];
		CHECK_EQ_INT(store_put(&st, "/a", "1", 1), BERTH_OK);
		CHECK_EQ_INT(store_stat_version(&st, "/a", &info, v1),
			     BERTH_OK);
		CHECK(v1[0] != 0);
		/* EXPECT with a version, applied one by one (no BATCH) */
		berth_batch_op ops[] = {
			{.kind = BERTH_BATCH_EXPECT, .path = "/a", .version = v1},
			{.kind = BERTH_BATCH_PUT, .path = "/a", .data = "2",
			 .len = 1},
		};
		CHECK_EQ_INT(store_batch(&st, ops, 2), BERTH_OK);
		CHECK_EQ_INT(store_stat_version(&st, "/a", &info, v2),
			     BERTH_OK);
		CHECK(strcmp(v1, v2) != 0);
		CHECK_EQ_INT(store_batch(&st, ops, 2), BERTH_E_CONFLICT);
		int more = 1;
		CHECK_EQ_INT(store_maintain(&st, 1000000000, &more), BERTH_OK);
		CHECK_EQ_INT(more, 0);
		berth_writer *w = NULL;
		CHECK_EQ_INT(store_writer_hinted(&st, "/w", 0, NULL, 10, &w),
			     BERTH_OK);
		if (w) {
			CHECK_EQ_INT(store_write(&st, w, "x", 1), BERTH_OK);
			CHECK_EQ_INT(store_writer_flush(&st, w), BERTH_OK);
			CHECK_EQ_INT(store_writer_close(&st, w), BERTH_OK);
		}
		store_close(&st);
	}
	test_rm_tree(root);
	driver_unload(drv);
}
