/*
 * test_repo_tag_crash.c - a tag directory left without its current link
 * (a kill -9 between the tag's index link and its current link on the
 * first write of the tag, or in the middle of the recursive remove of a
 * tag) is not a tag: tags/list must not show it, since it would answer
 * 404.  Regression test for the crash loop finding such a tag listed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "layout.h"
#include "repo.h"
#include "repo_manifests.h"
#include "test.h"

typedef struct tfix {
	berth_driver *driver;
	berth_settings cfg;
	berth_app app;
	char root[64];
} tfix;

static int tsetup(tfix *f)
{
	char err[512] = "";
	memset(f, 0, sizeof *f);
	snprintf(f->root, sizeof f->root, "/tmp/berth-tagcrash-XXXXXX");
	if (!mkdtemp(f->root))
		return -1;
	char *file = berth_driver_resolve("filesystem", NULL);
	int rc = berth_driver_load(file, &f->driver, err, sizeof err);
	free(file);
	if (rc)
		return -1;
	berth_config_item items[] = {{"rootdirectory", f->root}};
	berth_config c = {1, items};
	app_init(&f->app, &f->cfg);
	if (berth_store_open(&f->app.store, f->driver, &c, err, sizeof err)) {
		berth_driver_unload(f->driver);
		return -1;
	}
	return 0;
}

static void tteardown(tfix *f)
{
	store_remove(&f->app.store, "/docker");
	berth_store_close(&f->app.store);
	app_fini(&f->app);
	berth_driver_unload(f->driver);
	rmdir(f->root);
}

static int listed(tfix *f, const char *name, const char *tag)
{
	char **v = NULL;
	size_t n = 0;
	int found = 0;
	if (repo_tags_list(&f->app, name, &v, &n) != BERTH_OK)
		return -1;
	for (size_t i = 0; i < n; i++)
		found |= strcmp(v[i], tag) == 0;
	repo_strv_free(v, n);
	return found;
}

TEST(repo_tag_without_current_link_is_not_listed)
{
	tfix f;
	if (tsetup(&f)) {
		CHECK(!"fixture");
		return;
	}
	char path[BERTH_PATH_MAX];
	const char *json = "{\"schemaVersion\":2,\"manifests\":[]}";
	berth_digest d, got;
	berth_digest_buffer(BERTH_DIGEST_SHA256, json, strlen(json), &d);
	berth_manifest m;
	CHECK_EQ_INT(berth_manifest_parse(json, strlen(json), MT_OCI_INDEX,
					  &m, NULL, 0), 0);
	CHECK_EQ_INT(repo_manifest_put(&f.app, "r", "done", &d, json,
				       strlen(json), &m, &got), BERTH_OK);
	berth_manifest_free(&m);

	/* the state a crash between the two tag link writes leaves */
	CHECK_EQ_INT(repo_write_link(&f.app,
				     layout_tag_index(path, "r", "torn", &d), &d),
		     BERTH_OK);
	CHECK_EQ_INT(listed(&f, "r", "done"), 1);
	CHECK_EQ_INT(listed(&f, "r", "torn"), 0);
	CHECK_EQ_INT(repo_manifest_resolve(&f.app, "r", "torn", &got),
		     BERTH_E_NOT_FOUND);

	/* the next write of the tag completes it */
	CHECK_EQ_INT(repo_write_link(&f.app,
				     layout_tag_current(path, "r", "torn"), &d),
		     BERTH_OK);
	CHECK_EQ_INT(listed(&f, "r", "torn"), 1);

	/* a delete removes the current link first: the tag is gone from
	   the list even if the rest of its directory were left */
	CHECK_EQ_INT(repo_tag_delete(&f.app, "r", "torn"), BERTH_OK);
	CHECK_EQ_INT(listed(&f, "r", "torn"), 0);
	CHECK_EQ_INT(repo_tag_delete(&f.app, "r", "torn"), BERTH_E_NOT_FOUND);
	/* a leftover directory without a current link: deleting it cleans it
	   up but reports a tag that did not exist */
	CHECK_EQ_INT(repo_write_link(&f.app,
				     layout_tag_index(path, "r", "left", &d), &d),
		     BERTH_OK);
	CHECK_EQ_INT(repo_tag_delete(&f.app, "r", "left"), BERTH_E_NOT_FOUND);
	CHECK_EQ_INT(store_exists(&f.app.store, layout_tag_dir(path, "r", "left")),
		     0);
	tteardown(&f);
}
