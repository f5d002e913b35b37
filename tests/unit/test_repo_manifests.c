/*
 * test_repo_manifests.c - manifests, tags, catalog and referrers at the
 * storage level, on the filesystem driver in a scratch directory: what
 * is written where, that nothing is written when a reference is missing,
 * and that half-written state (as a crash would leave it) never makes a
 * tag resolve to an incomplete manifest.
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

typedef repo_fixture fixture;

/* Store `data` as a blob linked into `name`; its digest in *d. */
static void add_blob(fixture *f, const char *name, const char *data,
		     berth_digest *d)
{
	char path[BERTH_PATH_MAX];
	digest_buffer(BERTH_DIGEST_SHA256, data, strlen(data), d);
	CHECK_EQ_INT(store_put(&f->reg.store, layout_blob_data(path, d), data,
			       strlen(data)),
		     BERTH_OK);
	CHECK_EQ_INT(registry_link_blob(&f->reg, name, d), BERTH_OK);
}

/* Parse and put `json` into `name` under `tag` (may be NULL); the
   reference at fault in *missing when refused. */
static int put(fixture *f, const char *name, const char *tag,
	       const char *json, berth_digest *d, berth_digest *missing)
{
	berth_manifest m;
	repo_put_problem problem;
	char err[256];
	if (registry_manifest_parse(json, strlen(json), NULL, &m, err,
				 sizeof err)) {
		fprintf(stderr, "parse: %s\n", err);
		return -100;
	}
	digest_buffer(BERTH_DIGEST_SHA256, json, strlen(json), d);
	int rc = registry_manifest_put(&f->reg, name, tag, d, json,
				       strlen(json), &m, &problem);
	if (rc > 0)
		*missing = problem.digest;
	registry_manifest_free(&m);
	return rc;
}

static char *image(const berth_digest *cfg, const berth_digest *subject,
		   const char *extra)
{
	char c[BERTH_DIGEST_MAX], s[BERTH_DIGEST_MAX], sub[256] = "";
	digest_format(cfg, c);
	if (subject) {
		digest_format(subject, s);
		snprintf(sub, sizeof sub,
			 ",\"subject\":{\"mediaType\":\"" MT_OCI_MANIFEST
			 "\",\"digest\":\"%s\",\"size\":1}",
			 s);
	}
	char *out = NULL;
	if (asprintf(&out,
		     "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST
		     "\",\"config\":{\"mediaType\":\"application/vnd.x\","
		     "\"digest\":\"%s\",\"size\":2},\"layers\":[]%s%s}",
		     c, sub, extra ? extra : "") < 0)
		return NULL;
	return out;
}

TEST(registry_manifest_media_type_inference)
{
	char buf[128];
	const char *oci = "{\"schemaVersion\":2,\"config\":{},\"layers\":[]}";
	const char *idx = "{\"schemaVersion\":2,\"manifests\":[]}";
	const char *dock = "{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_MANIFEST "\"}";
	const char *v1 = "{\"schemaVersion\":1,\"signatures\":[]}";
	CHECK_STR(registry_manifest_media_type(oci, strlen(oci), buf, sizeof buf),
		  MT_OCI_MANIFEST);
	CHECK_STR(registry_manifest_media_type(idx, strlen(idx), buf, sizeof buf),
		  MT_OCI_INDEX);
	CHECK_STR(registry_manifest_media_type(dock, strlen(dock), buf, sizeof buf),
		  MT_DOCKER_MANIFEST);
	CHECK_STR(registry_manifest_media_type(v1, strlen(v1), buf, sizeof buf),
		  "application/vnd.docker.distribution.manifest.v1+prettyjws");
	CHECK_STR(registry_manifest_media_type("nope", 4, buf, sizeof buf),
		  "application/json");
	const char *evil = "{\"mediaType\":\"a\\r\\nX: y\"}";
	CHECK_STR(registry_manifest_media_type(evil, strlen(evil), buf, sizeof buf),
		  "application/json");
}

TEST(registry_manifest_put_resolve_delete)
{
	fixture f;
	CHECK(repo_fixture_setup(&f) == 0);
	if (f.driver == NULL)
		return;
	berth_registry *reg = &f.reg;
	berth_digest cfg, d, d2, missing, got;
	char path[BERTH_PATH_MAX];
	add_blob(&f, "r/one", "{}", &cfg);

	/* a blob only in another repository is missing: nothing written */
	berth_digest other;
	add_blob(&f, "r/two", "other", &other);
	char *m = image(&other, NULL, NULL);
	CHECK_EQ_INT(put(&f, "r/one", "t", m, &d, &missing), 1);
	CHECK(digest_equal(&missing, &other));
	CHECK_EQ_INT(store_exists(&reg->store, layout_blob_data(path, &d)), 0);
	CHECK_EQ_INT(registry_manifest_exists(reg, "r/one", &d), 0);
	CHECK_EQ_INT(registry_manifest_resolve(reg, "r/one", "t", &got),
		     BERTH_E_NOT_FOUND);
	free(m);

	m = image(&cfg, NULL, NULL);
	CHECK_EQ_INT(put(&f, "r/one", "t", m, &d, &missing), BERTH_OK);
	CHECK_EQ_INT(put(&f, "r/one", "alias", m, &d, &missing), BERTH_OK);
	CHECK_EQ_INT(registry_manifest_resolve(reg, "r/one", "t", &got),
		     BERTH_OK);
	CHECK(digest_equal(&got, &d));
	char dg[BERTH_DIGEST_MAX];
	digest_format(&d, dg);
	CHECK_EQ_INT(registry_manifest_resolve(reg, "r/one", dg, &got),
		     BERTH_OK);
	CHECK_EQ_INT(registry_manifest_resolve(reg, "r/two", dg, &got),
		     BERTH_E_NOT_FOUND);
	CHECK_EQ_INT(registry_manifest_resolve(reg, "r/one", "../x", &got),
		     BERTH_E_INVALID_ARGUMENT);
	CHECK_EQ_INT(registry_manifest_resolve(reg, "r/one", "sha256:12", &got),
		     BERTH_E_INVALID_ARGUMENT);
	CHECK_EQ_INT(store_exists(&reg->store,
				  layout_tag_index(path, "r/one", "t", &d)),
		     1);
	char *data = NULL;
	size_t len = 0;
	CHECK_EQ_INT(registry_manifest_read(reg, &d, &data, &len), BERTH_OK);
	CHECK(data && len == strlen(m) && memcmp(data, m, len) == 0);
	free(data);
	free(m);

	/* a second manifest under its own tag */
	m = image(&cfg, NULL, ",\"annotations\":{\"n\":\"2\"}");
	CHECK_EQ_INT(put(&f, "r/one", "keep", m, &d2, &missing), BERTH_OK);
	free(m);

	char **tags = NULL;
	size_t n = 0;
	CHECK_EQ_INT(registry_tags_list(reg, "r/one", &tags, &n), BERTH_OK);
	CHECK_EQ_INT(n, 3);
	if (n == 3) {
		CHECK_STR(tags[0], "alias");
		CHECK_STR(tags[1], "keep");
		CHECK_STR(tags[2], "t");
	}
	registry_strv_free(tags, n);
	CHECK_EQ_INT(registry_tags_list(reg, "r/none", &tags, &n),
		     BERTH_E_NOT_FOUND);
	CHECK_EQ_INT(registry_tags_list(reg, "r/two", &tags, &n), BERTH_OK);
	CHECK_EQ_INT(n, 0);
	registry_strv_free(tags, n);

	/* delete by digest removes both tags naming it, not the other */
	CHECK_EQ_INT(registry_manifest_delete(reg, "r/one", &d), BERTH_OK);
	CHECK_EQ_INT(registry_manifest_exists(reg, "r/one", &d), 0);
	CHECK_EQ_INT(registry_manifest_resolve(reg, "r/one", "t", &got),
		     BERTH_E_NOT_FOUND);
	CHECK_EQ_INT(registry_manifest_resolve(reg, "r/one", "alias", &got),
		     BERTH_E_NOT_FOUND);
	CHECK_EQ_INT(registry_manifest_resolve(reg, "r/one", "keep", &got),
		     BERTH_OK);
	CHECK_EQ_INT(store_exists(&reg->store, layout_blob_data(path, &d)), 1);
	CHECK_EQ_INT(registry_manifest_delete(reg, "r/one", &d),
		     BERTH_E_NOT_FOUND);
	CHECK_EQ_INT(registry_tag_delete(reg, "r/one", "keep"), BERTH_OK);
	CHECK_EQ_INT(registry_tag_delete(reg, "r/one", "keep"),
		     BERTH_E_NOT_FOUND);
	CHECK_EQ_INT(registry_manifest_exists(reg, "r/one", &d2), 1);
	repo_fixture_teardown(&f);
}

TEST(registry_manifest_partial_state_never_resolves)
{
	fixture f;
	CHECK(repo_fixture_setup(&f) == 0);
	if (f.driver == NULL)
		return;
	berth_registry *reg = &f.reg;
	berth_digest cfg, d, got;
	char path[BERTH_PATH_MAX];
	add_blob(&f, "p", "{}", &cfg);
	char *m = image(&cfg, NULL, NULL);
	digest_buffer(BERTH_DIGEST_SHA256, m, strlen(m), &d);
	/* a crash after the tag links but before the revision link (the
	   order is the other way round; this is what an external tool or
	   a delete of the revision could leave) */
	CHECK_EQ_INT(registry_write_link(
			     reg, layout_tag_current(path, "p", "x"), &d),
		     BERTH_OK);
	CHECK_EQ_INT(registry_manifest_resolve(reg, "p", "x", &got),
		     BERTH_E_NOT_FOUND);
	/* revision link without the blob data */
	CHECK_EQ_INT(registry_write_link(
			     reg, layout_revision_link(path, "p", &d), &d),
		     BERTH_OK);
	CHECK_EQ_INT(registry_manifest_resolve(reg, "p", "x", &got),
		     BERTH_E_NOT_FOUND);
	/* a corrupt tag link is unknown, not an error */
	CHECK_EQ_INT(store_put(&reg->store, layout_tag_current(path, "p", "y"),
			       "garbage", 7),
		     BERTH_OK);
	CHECK_EQ_INT(registry_manifest_resolve(reg, "p", "y", &got),
		     BERTH_E_NOT_FOUND);
	free(m);
	repo_fixture_teardown(&f);
}

TEST(registry_catalog_and_referrers)
{
	fixture f;
	CHECK(repo_fixture_setup(&f) == 0);
	if (f.driver == NULL)
		return;
	berth_registry *reg = &f.reg;
	berth_digest cfg, subject, r1, r2, missing;
	const char *names[] = {"a/b", "a-c", "a", "z/y/x"};
	for (size_t i = 0; i < 4; i++)
		add_blob(&f, names[i], "{}", &cfg);
	/* not repositories: a directory named like one without content */
	CHECK_EQ_INT(store_put(&reg->store,
			       BERTH_ROOT "/repositories/empty/junk", "x", 1),
		     BERTH_OK);
	char **v = NULL;
	size_t n = 0;
	CHECK_EQ_INT(registry_catalog(reg, &v, &n), BERTH_OK);
	CHECK_EQ_INT(n, 4);
	if (n == 4) {
		/* walk order, component by component, as Distribution's
		   catalog: "a/b" before "a-c" */
		CHECK_STR(v[0], "a");
		CHECK_STR(v[1], "a/b");
		CHECK_STR(v[2], "a-c");
		CHECK_STR(v[3], "z/y/x");
	}
	registry_strv_free(v, n);

	char *m = image(&cfg, NULL, NULL);
	CHECK_EQ_INT(put(&f, "a", "s", m, &subject, &missing), BERTH_OK);
	free(m);
	m = image(&cfg, &subject, ",\"artifactType\":\"application/vnd.sig\"");
	CHECK_EQ_INT(put(&f, "a", NULL, m, &r1, &missing), BERTH_OK);
	free(m);
	m = image(&cfg, &subject, ",\"annotations\":{\"k\":\"v\"}");
	CHECK_EQ_INT(put(&f, "a", NULL, m, &r2, &missing), BERTH_OK);
	free(m);

	registry_referrer *refs = NULL;
	CHECK_EQ_INT(registry_referrers(reg, "a", &subject, &refs, &n),
		     BERTH_OK);
	CHECK_EQ_INT(n, 2);
	for (size_t i = 0; i < n; i++) {
		CHECK_STR(refs[i].media_type, MT_OCI_MANIFEST);
		if (digest_equal(&refs[i].digest, &r1)) {
			CHECK_STR(refs[i].artifact_type, "application/vnd.sig");
			CHECK(refs[i].annotations_json == NULL);
		} else {
			CHECK(digest_equal(&refs[i].digest, &r2));
			CHECK_STR(refs[i].artifact_type, "application/vnd.x");
			CHECK_STR(refs[i].annotations_json, "{\"k\":\"v\"}");
		}
	}
	if (n == 2)
		CHECK(strcmp(refs[0].digest.hex, refs[1].digest.hex) < 0);
	registry_referrers_free(refs, n);

	/* referrers are per repository; a stale link is skipped */
	CHECK_EQ_INT(registry_referrers(reg, "a-c", &subject, &refs, &n),
		     BERTH_OK);
	CHECK_EQ_INT(n, 0);
	registry_referrers_free(refs, n);
	char path[BERTH_PATH_MAX];
	CHECK_EQ_INT(
		store_remove(&reg->store, layout_revision_dir(path, "a", &r1)),
		BERTH_OK);
	CHECK_EQ_INT(registry_referrers(reg, "a", &subject, &refs, &n),
		     BERTH_OK);
	CHECK_EQ_INT(n, 1);
	registry_referrers_free(refs, n);
	/* deleting a referrer removes its link */
	CHECK_EQ_INT(registry_manifest_delete(reg, "a", &r2), BERTH_OK);
	CHECK_EQ_INT(
		store_exists(&reg->store,
			     layout_referrer_link(path, "a", &subject, &r2)),
		0);
	CHECK_EQ_INT(registry_referrers(reg, "a", &subject, &refs, &n),
		     BERTH_OK);
	CHECK_EQ_INT(n, 0);
	registry_referrers_free(refs, n);
	repo_fixture_teardown(&f);
}

TEST(registry_manifest_record_written_at_put_and_rebuilt)
{
	fixture f;
	CHECK(repo_fixture_setup(&f) == 0);
	if (f.driver == NULL)
		return;
	berth_registry *reg = &f.reg;
	berth_digest cfg, subject, r, missing;
	char path[BERTH_PATH_MAX], mt[256];
	add_blob(&f, "rec", "{}", &cfg);
	char *m = image(&cfg, NULL, NULL);
	CHECK_EQ_INT(put(&f, "rec", "t", m, &subject, &missing), BERTH_OK);
	free(m);
	m = image(&cfg, &subject, ",\"annotations\":{\"k\":\"v\"}");
	CHECK_EQ_INT(put(&f, "rec", NULL, m, &r, &missing), BERTH_OK);
	size_t rlen = strlen(m);
	free(m);

	/* the PUT wrote the record next to the revision link */
	char *text = NULL;
	size_t len = 0;
	CHECK_EQ_INT(store_get(&reg->store,
			       layout_revision_record(path, "rec", &r), &text,
			       &len),
		     BERTH_OK);
	berth_manifest_record rec;
	CHECK_EQ_INT(registry_record_parse(text, len, 1, &rec), 0);
	CHECK_EQ_INT(rec.size, rlen);
	CHECK(rec.has_subject && digest_equal(&rec.subject, &subject));
	CHECK_STR(rec.annotations_json, "{\"k\":\"v\"}");
	registry_record_free(&rec);
	uint64_t size = 0;
	CHECK_EQ_INT(registry_manifest_exists_size(reg, "rec", &r, &size), 1);
	CHECK_EQ_INT(size, rlen);
	CHECK_EQ_INT(registry_manifest_served_type(reg, "rec", &r, size, mt,
						   sizeof mt),
		     BERTH_OK);
	CHECK_STR(mt, MT_OCI_MANIFEST);

	/* without the record (as Distribution leaves a revision), it is
	   rebuilt from the manifest and written back, the same */
	CHECK_EQ_INT(store_remove(&reg->store,
				  layout_revision_record(path, "rec", &r)),
		     BERTH_OK);
	CHECK_EQ_INT(registry_manifest_record(reg, "rec", &r, size,
					      REPO_RECORD_FULL, &rec),
		     BERTH_OK);
	CHECK(rec.has_subject && digest_equal(&rec.subject, &subject));
	CHECK_STR(rec.artifact_type, "application/vnd.x");
	registry_record_free(&rec);
	char *again = NULL;
	CHECK_EQ_INT(store_get(&reg->store,
			       layout_revision_record(path, "rec", &r), &again,
			       &len),
		     BERTH_OK);
	CHECK(again && text && strcmp(again, text) == 0);
	free(again);

	/* a record for other bytes (size differs) is not trusted */
	const char *stale = "{\"version\":1,\"mediaType\":\"a/b\",\"size\":1}\n";
	CHECK_EQ_INT(store_put(&reg->store,
			       layout_revision_record(path, "rec", &r), stale,
			       strlen(stale)),
		     BERTH_OK);
	CHECK_EQ_INT(registry_manifest_record(reg, "rec", &r, size, 0, &rec),
		     BERTH_OK);
	CHECK_STR(rec.media_type, MT_OCI_MANIFEST);
	registry_record_free(&rec);

	/* not written back when asked not to, nor when read-only */
	CHECK_EQ_INT(store_remove(&reg->store,
				  layout_revision_record(path, "rec", &r)),
		     BERTH_OK);
	CHECK_EQ_INT(registry_manifest_record(reg, "rec", &r, size,
					      REPO_RECORD_NO_WRITE, &rec),
		     BERTH_OK);
	registry_record_free(&rec);
	f.cfg.readonly = 1;
	CHECK_EQ_INT(registry_manifest_record(reg, "rec", &r, size, 0, &rec),
		     BERTH_OK);
	CHECK_STR(rec.media_type, MT_OCI_MANIFEST);
	registry_record_free(&rec);
	CHECK_EQ_INT(store_exists(&reg->store,
				  layout_revision_record(path, "rec", &r)),
		     0);
	f.cfg.readonly = 0;

	/* a delete without the record still finds the subject, and removes
	   the record with the revision */
	CHECK_EQ_INT(registry_manifest_delete(reg, "rec", &r), BERTH_OK);
	CHECK_EQ_INT(
		store_exists(&reg->store,
			     layout_referrer_link(path, "rec", &subject, &r)),
		0);
	CHECK_EQ_INT(
		store_exists(&reg->store, layout_revision_dir(path, "rec", &r)),
		0);
	free(text);
	repo_fixture_teardown(&f);
}

TEST(registry_manifest_put_checks_descriptor_sizes)
{
	fixture f;
	CHECK(repo_fixture_setup(&f) == 0);
	if (f.driver == NULL)
		return;
	berth_registry *reg = &f.reg;
	berth_digest cfg, child, d;
	char path[BERTH_PATH_MAX];
	add_blob(&f, "sz", "{}", &cfg);
	char *m = image(&cfg, NULL, NULL);
	berth_digest missing;
	CHECK_EQ_INT(put(&f, "sz", NULL, m, &child, &missing), BERTH_OK);
	size_t child_len = strlen(m);
	free(m);

	/* the config blob is 2 bytes; a descriptor saying 3 is refused */
	char c[BERTH_DIGEST_MAX], json[1024];
	digest_format(&cfg, c);
	snprintf(json, sizeof json,
		 "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST
		 "\",\"config\":{\"mediaType\":\"application/vnd.x\","
		 "\"digest\":\"%s\",\"size\":3},\"layers\":[]}",
		 c);
	berth_manifest parsed;
	repo_put_problem problem;
	CHECK_EQ_INT(registry_manifest_parse(json, strlen(json), NULL, &parsed,
					  NULL, 0),
		     0);
	digest_buffer(BERTH_DIGEST_SHA256, json, strlen(json), &d);
	CHECK_EQ_INT(registry_manifest_put(reg, "sz", "t", &d, json,
					   strlen(json), &parsed, &problem),
		     REPO_PUT_SIZE_MISMATCH);
	CHECK(digest_equal(&problem.digest, &cfg));
	CHECK_EQ_INT(problem.is_manifest, 0);
	CHECK_EQ_INT(problem.declared, 3);
	CHECK_EQ_INT(problem.stored, 2);
	registry_manifest_free(&parsed);
	/* nothing written */
	CHECK_EQ_INT(store_exists(&reg->store, layout_blob_data(path, &d)), 0);
	CHECK_EQ_INT(
		store_exists(&reg->store, layout_revision_dir(path, "sz", &d)),
		0);

	/* an index entry with the child's size + 1 */
	digest_format(&child, c);
	snprintf(json, sizeof json,
		 "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" MT_OCI_MANIFEST
		 "\",\"digest\":\"%s\",\"size\":%zu}]}",
		 c, child_len + 1);
	CHECK_EQ_INT(registry_manifest_parse(json, strlen(json), NULL, &parsed,
					  NULL, 0),
		     0);
	digest_buffer(BERTH_DIGEST_SHA256, json, strlen(json), &d);
	CHECK_EQ_INT(registry_manifest_put(reg, "sz", NULL, &d, json,
					   strlen(json), &parsed, &problem),
		     REPO_PUT_SIZE_MISMATCH);
	CHECK_EQ_INT(problem.is_manifest, 1);
	CHECK_EQ_INT(problem.declared, child_len + 1);
	CHECK_EQ_INT(problem.stored, child_len);
	registry_manifest_free(&parsed);
	repo_fixture_teardown(&f);
}

typedef struct page_walk {
	berth_digest got[8];
	size_t n, stop_after;
} page_walk;

static int take(const registry_referrer *r, void *p)
{
	page_walk *w = p;
	w->got[w->n++] = r->digest;
	return w->n == w->stop_after;
}

TEST(registry_referrers_walk_resumes_in_digest_order)
{
	fixture f;
	CHECK(repo_fixture_setup(&f) == 0);
	if (f.driver == NULL)
		return;
	berth_digest cfg, subject, r[5], missing;
	add_blob(&f, "pg", "{}", &cfg);
	char *m = image(&cfg, NULL, NULL);
	CHECK_EQ_INT(put(&f, "pg", "s", m, &subject, &missing), BERTH_OK);
	free(m);
	for (int i = 0; i < 5; i++) {
		char extra[64];
		snprintf(extra, sizeof extra, ",\"annotations\":{\"i\":\"%d\"}",
			 i);
		m = image(&cfg, &subject, extra);
		CHECK_EQ_INT(put(&f, "pg", NULL, m, &r[i], &missing), BERTH_OK);
		free(m);
	}
	page_walk all = {.stop_after = 0};
	CHECK_EQ_INT(registry_referrers_walk(&f.reg, "pg", &subject, NULL, take,
					     &all),
		     BERTH_OK);
	CHECK_EQ_INT(all.n, 5);
	for (size_t i = 1; i < all.n; i++)
		CHECK(strcmp(all.got[i - 1].hex, all.got[i].hex) < 0);
	/* a page of two, then the walk resumed after its last */
	page_walk p1 = {.stop_after = 2}, p2 = {.stop_after = 0};
	CHECK_EQ_INT(registry_referrers_walk(&f.reg, "pg", &subject, NULL, take,
					     &p1),
		     BERTH_OK);
	CHECK_EQ_INT(p1.n, 2);
	CHECK_EQ_INT(registry_referrers_walk(&f.reg, "pg", &subject, &p1.got[1],
					     take, &p2),
		     BERTH_OK);
	CHECK_EQ_INT(p2.n, 3);
	for (size_t i = 0; i < 3 && i < p2.n; i++)
		CHECK(digest_equal(&p2.got[i], &all.got[i + 2]));
	/* after the last one: nothing */
	page_walk p3 = {.stop_after = 0};
	CHECK_EQ_INT(registry_referrers_walk(&f.reg, "pg", &subject,
					     &all.got[4], take, &p3),
		     BERTH_OK);
	CHECK_EQ_INT(p3.n, 0);
	repo_fixture_teardown(&f);
}
