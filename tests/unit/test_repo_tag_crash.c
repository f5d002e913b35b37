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

#include "registry/blobs.h"
#include "registry/layout.h"
#include "registry/manifests.h"
#include "repo_fixture.h"
#include "test.h"

typedef repo_fixture tfix;

static int listed(tfix *f, const char *name, const char *tag)
{
	char **v = NULL;
	size_t n = 0;
	int found = 0;
	if (registry_tags_list(&f->reg, name, &v, &n) != BERTH_OK)
		return -1;
	for (size_t i = 0; i < n; i++)
		found |= strcmp(v[i], tag) == 0;
	registry_strv_free(v, n);
	return found;
}

TEST(registry_tag_without_current_link_is_not_listed)
{
	tfix f;
	if (repo_fixture_setup(&f)) {
		CHECK(!"fixture");
		return;
	}
	char path[BERTH_PATH_MAX];
	const char *json = "{\"schemaVersion\":2,\"manifests\":[]}";
	berth_digest d, got;
	digest_buffer(BERTH_DIGEST_SHA256, json, strlen(json), &d);
	berth_manifest m;
	repo_put_problem problem;
	CHECK_EQ_INT(registry_manifest_parse(json, strlen(json), MT_OCI_INDEX,
					  &m, NULL, 0), 0);
	CHECK_EQ_INT(registry_manifest_put(&f.reg, "r", "done", &d, json,
					   strlen(json), &m, &problem),
		     BERTH_OK);
	registry_manifest_free(&m);

	/* the state a crash between the two tag link writes leaves */
	CHECK_EQ_INT(
		registry_write_link(
			&f.reg, layout_tag_index(path, "r", "torn", &d), &d),
		BERTH_OK);
	CHECK_EQ_INT(listed(&f, "r", "done"), 1);
	CHECK_EQ_INT(listed(&f, "r", "torn"), 0);
	CHECK_EQ_INT(registry_manifest_resolve(&f.reg, "r", "torn", &got),
		     BERTH_E_NOT_FOUND);

	/* the next write of the tag completes it */
	CHECK_EQ_INT(registry_write_link(
			     &f.reg, layout_tag_current(path, "r", "torn"), &d),
		     BERTH_OK);
	CHECK_EQ_INT(listed(&f, "r", "torn"), 1);

	/* a delete removes the current link first: the tag is gone from
	   the list even if the rest of its directory were left */
	CHECK_EQ_INT(registry_tag_delete(&f.reg, "r", "torn"), BERTH_OK);
	CHECK_EQ_INT(listed(&f, "r", "torn"), 0);
	CHECK_EQ_INT(registry_tag_delete(&f.reg, "r", "torn"),
		     BERTH_E_NOT_FOUND);
	/* a leftover directory without a current link: deleting it cleans it
	   up but reports a tag that did not exist */
	CHECK_EQ_INT(
		registry_write_link(
			&f.reg, layout_tag_index(path, "r", "left", &d), &d),
		BERTH_OK);
	CHECK_EQ_INT(registry_tag_delete(&f.reg, "r", "left"),
		     BERTH_E_NOT_FOUND);
	CHECK_EQ_INT(
		store_exists(&f.reg.store, layout_tag_dir(path, "r", "left")),
		0);
	repo_fixture_teardown(&f);
}
