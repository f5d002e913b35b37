/*
 * test_registry_uploads.c - the upload module (registry/uploads.h) over
 * the filesystem driver, and over the fault driver wrapping it where a
 * storage error is the point: start, append, end of a chunk, finalize,
 * cancel, the claim, the owner, a digest that does not match, the taint
 * (and the `rehash` mark that carries it to other servers), a chunk of
 * the wrong length, resumption by another handle as another server
 * would (without this process's memo), and mounts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "registry/blobs.h"
#include "registry/layout.h"
#include "registry/upload_memo.h"
#include "registry/uploads.h"
#include "repo_fixture.h"
#include "storage/store.h"
#include "test.h"

static void sha256_of(const char *s, berth_digest *d)
{
	digest_buffer(BERTH_DIGEST_SHA256, s, strlen(s), d);
}

/* A started upload the client has the id of; 0 or -1. */
static int start(berth_registry *reg, const char *name, const char *owner,
		 char id[REGISTRY_UPLOAD_ID_MAX])
{
	registry_upload *u = NULL;
	int rc = registry_upload_new(reg, name, &u);
	if (rc == BERTH_OK)
		rc = registry_upload_start(u);
	if (rc == BERTH_OK)
		rc = registry_upload_hand_out(u, owner);
	if (u)
		snprintf(id, REGISTRY_UPLOAD_ID_MAX, "%s",
			 registry_upload_id(u));
	registry_upload_close(u);
	return rc == BERTH_OK ? 0 : -1;
}

/* find + open, as a PATCH or PUT does; NULL if either fails. */
static registry_upload *reopen(berth_registry *reg, const char *name,
			       const char *id)
{
	registry_upload *u = NULL;
	if (registry_upload_find(reg, name, id, &u) != BERTH_OK)
		return NULL;
	if (registry_upload_open(u) != BERTH_OK) {
		registry_upload_close(u);
		return NULL;
	}
	return u;
}

/* One PATCH: reopen, append `s`, end the chunk; the status of the end. */
static int patch(berth_registry *reg, const char *name, const char *id,
		 const char *s)
{
	registry_upload *u = reopen(reg, name, id);
	if (!u)
		return -1;
	int rc = registry_upload_write(u, s, strlen(s));
	if (rc == BERTH_OK)
		rc = registry_upload_end_chunk(u);
	registry_upload_close(u);
	return rc;
}

/* One PUT without a body: reopen and finalize as `want`. */
static int put(berth_registry *reg, const char *name, const char *id,
	       const char *want, registry_upload_result *res)
{
	berth_digest d;
	sha256_of(want, &d);
	registry_upload *u = reopen(reg, name, id);
	if (!u)
		return -1;
	int rc = registry_upload_finalize(u, &d, res);
	registry_upload_close(u);
	return rc;
}

static int exists(berth_registry *reg, const char *path)
{
	return store_exists(&reg->store, path);
}

static int upload_dir_exists(berth_registry *reg, const char *name,
			     const char *id)
{
	char path[BERTH_PATH_MAX];
	return exists(reg, layout_upload_dir(path, name, id));
}

static int hashstate_exists(berth_registry *reg, const char *name,
			    const char *id, unsigned long long off)
{
	char path[BERTH_PATH_MAX];
	return exists(reg, layout_upload_hashstate(path, name, id,
						   BERTH_DIGEST_SHA256, off));
}

static int marked(berth_registry *reg, const char *name, const char *id)
{
	char path[BERTH_PATH_MAX];
	return exists(reg, layout_upload_rehash(path, name, id));
}

TEST(registry_upload_start_append_finalize)
{
	repo_fixture f;
	if (repo_fixture_setup(&f)) {
		CHECK(!"fixture");
		return;
	}
	berth_registry *reg = &f.reg;
	upload_memo_clear();
	char id[REGISTRY_UPLOAD_ID_MAX];
	CHECK_EQ_INT(start(reg, "lib/a", NULL, id), 0);
	CHECK_EQ_INT(strlen(id), 36);
	char path[BERTH_PATH_MAX];
	CHECK_EQ_INT(exists(reg, layout_upload_startedat(path, "lib/a", id)),
		     1);

	CHECK_EQ_INT(patch(reg, "lib/a", id, "hello "), BERTH_OK);
	CHECK_EQ_INT(hashstate_exists(reg, "lib/a", id, 6), 1);
	registry_upload *u = reopen(reg, "lib/a", id);
	CHECK(u != NULL);
	if (!u)
		goto out;
	CHECK_EQ_INT(registry_upload_size(u), 6);
	CHECK_EQ_INT(registry_upload_write(u, "world", 5), BERTH_OK);
	CHECK_EQ_INT(registry_upload_size(u), 11);
	berth_digest want;
	sha256_of("hello world", &want);
	registry_upload_result res;
	CHECK_EQ_INT(registry_upload_finalize(u, &want, &res), BERTH_OK);
	CHECK(digest_equal(&res.digest, &want));
	registry_upload_close(u);

	CHECK_EQ_INT(registry_blob_linked(reg, "lib/a", &want), 1);
	uint64_t size = 0;
	CHECK_EQ_INT(registry_blob_size(reg, &want, &size), BERTH_OK);
	CHECK_EQ_INT(size, 11);
	CHECK_EQ_INT(upload_dir_exists(reg, "lib/a", id), 0);
	CHECK_EQ_INT(registry_upload_find(reg, "lib/a", id, &u),
		     REGISTRY_UPLOAD_E_UNKNOWN);
out:
	upload_memo_clear();
	repo_fixture_teardown(&f);
}

TEST(registry_upload_owner)
{
	repo_fixture f;
	if (repo_fixture_setup(&f)) {
		CHECK(!"fixture");
		return;
	}
	berth_registry *reg = &f.reg;
	char mine[REGISTRY_UPLOAD_ID_MAX], nobodys[REGISTRY_UPLOAD_ID_MAX];
	CHECK_EQ_INT(start(reg, "r", "alice", mine), 0);
	CHECK_EQ_INT(start(reg, "r", NULL, nobodys), 0);
	registry_upload *u = NULL;
	CHECK_EQ_INT(registry_upload_find(reg, "r", mine, &u), BERTH_OK);
	if (u) {
		CHECK_EQ_INT(registry_upload_owned_by(u, "alice"), BERTH_OK);
		CHECK_EQ_INT(registry_upload_owned_by(u, "alic"),
			     REGISTRY_UPLOAD_E_UNKNOWN);
		CHECK_EQ_INT(registry_upload_owned_by(u, "bob"),
			     REGISTRY_UPLOAD_E_UNKNOWN);
		registry_upload_close(u);
	}
	/* started without access control: nobody's, once it is on */
	CHECK_EQ_INT(registry_upload_find(reg, "r", nobodys, &u), BERTH_OK);
	if (u) {
		CHECK_EQ_INT(registry_upload_owned_by(u, "alice"),
			     REGISTRY_UPLOAD_E_UNKNOWN);
		registry_upload_close(u);
	}
	/* another repository's upload of that id is not this one */
	CHECK_EQ_INT(registry_upload_find(reg, "other", mine, &u),
		     REGISTRY_UPLOAD_E_UNKNOWN);
	repo_fixture_teardown(&f);
}

TEST(registry_upload_digest_mismatch_removes_it)
{
	repo_fixture f;
	if (repo_fixture_setup(&f)) {
		CHECK(!"fixture");
		return;
	}
	berth_registry *reg = &f.reg;
	upload_memo_clear();
	char id[REGISTRY_UPLOAD_ID_MAX];
	CHECK_EQ_INT(start(reg, "r", NULL, id), 0);
	CHECK_EQ_INT(patch(reg, "r", id, "right"), BERTH_OK);
	registry_upload_result res;
	CHECK_EQ_INT(put(reg, "r", id, "wrong", &res),
		     REGISTRY_UPLOAD_E_DIGEST);
	berth_digest right, wrong;
	sha256_of("right", &right);
	sha256_of("wrong", &wrong);
	CHECK(digest_equal(&res.digest, &right));
	CHECK_EQ_INT(upload_dir_exists(reg, "r", id), 0);
	uint64_t size;
	CHECK_EQ_INT(registry_blob_size(reg, &right, &size), BERTH_E_NOT_FOUND);
	CHECK_EQ_INT(registry_blob_size(reg, &wrong, &size), BERTH_E_NOT_FOUND);
	CHECK_EQ_INT(registry_blob_linked(reg, "r", &right), 0);
	upload_memo_clear();
	repo_fixture_teardown(&f);
}

TEST(registry_upload_claim_and_cancel)
{
	repo_fixture f;
	if (repo_fixture_setup(&f)) {
		CHECK(!"fixture");
		return;
	}
	berth_registry *reg = &f.reg;
	char id[REGISTRY_UPLOAD_ID_MAX];
	CHECK_EQ_INT(start(reg, "r", NULL, id), 0);
	registry_upload *a = reopen(reg, "r", id), *b = NULL;
	CHECK(a != NULL);
	CHECK_EQ_INT(registry_upload_find(reg, "r", id, &b), BERTH_OK);
	if (!a || !b)
		goto out;
	/* the upload is in use by another request */
	CHECK_EQ_INT(registry_upload_open(b), REGISTRY_UPLOAD_E_BUSY);
	CHECK_EQ_INT(registry_upload_cancel(b), REGISTRY_UPLOAD_E_BUSY);
	registry_upload_close(b);
	CHECK_EQ_INT(registry_upload_write(a, "abc", 3), BERTH_OK);
	registry_upload_close(a); /* a request cut short keeps its bytes */
	a = reopen(reg, "r", id);
	CHECK(a != NULL);
	if (a)
		CHECK_EQ_INT(registry_upload_size(a), 3);
	registry_upload_close(a);

	CHECK_EQ_INT(registry_upload_find(reg, "r", id, &b), BERTH_OK);
	CHECK_EQ_INT(registry_upload_cancel(b), BERTH_OK);
	registry_upload_close(b);
	CHECK_EQ_INT(upload_dir_exists(reg, "r", id), 0);
	CHECK_EQ_INT(registry_upload_find(reg, "r", id, &b),
		     REGISTRY_UPLOAD_E_UNKNOWN);
	return repo_fixture_teardown(&f);
out:
	registry_upload_close(a);
	registry_upload_close(b);
	repo_fixture_teardown(&f);
}

TEST(registry_upload_monolithic_leaves_nothing_on_failure)
{
	repo_fixture f;
	if (repo_fixture_setup(&f)) {
		CHECK(!"fixture");
		return;
	}
	berth_registry *reg = &f.reg;
	char path[BERTH_PATH_MAX], id[REGISTRY_UPLOAD_ID_MAX];
	berth_digest want;
	sha256_of("whole", &want);
	registry_upload_result res;
	registry_upload *u = NULL;

	/* cut short: the id never left the request, so nothing stays */
	CHECK_EQ_INT(registry_upload_new(reg, "m", &u), BERTH_OK);
	CHECK_EQ_INT(registry_upload_open(u), BERTH_OK);
	snprintf(id, sizeof id, "%s", registry_upload_id(u));
	CHECK_EQ_INT(registry_upload_write(u, "who", 3), BERTH_OK);
	CHECK_EQ_INT(exists(reg, layout_upload_startedat(path, "m", id)), 0);
	registry_upload_close(u);
	CHECK_EQ_INT(upload_dir_exists(reg, "m", id), 0);

	/* closed with the wrong digest: nothing stays either */
	CHECK_EQ_INT(registry_upload_new(reg, "m", &u), BERTH_OK);
	CHECK_EQ_INT(registry_upload_open(u), BERTH_OK);
	snprintf(id, sizeof id, "%s", registry_upload_id(u));
	CHECK_EQ_INT(registry_upload_write(u, "whale", 5), BERTH_OK);
	CHECK_EQ_INT(registry_upload_finalize(u, &want, &res),
		     REGISTRY_UPLOAD_E_DIGEST);
	registry_upload_close(u);
	CHECK_EQ_INT(upload_dir_exists(reg, "m", id), 0);

	/* a start whose id was never handed out is removed at the close */
	CHECK_EQ_INT(registry_upload_new(reg, "m", &u), BERTH_OK);
	CHECK_EQ_INT(registry_upload_start(u), BERTH_OK);
	snprintf(id, sizeof id, "%s", registry_upload_id(u));
	registry_upload_close(u);
	CHECK_EQ_INT(upload_dir_exists(reg, "m", id), 0);

	/* and the whole blob in one request */
	CHECK_EQ_INT(registry_upload_new(reg, "m", &u), BERTH_OK);
	CHECK_EQ_INT(registry_upload_open(u), BERTH_OK);
	snprintf(id, sizeof id, "%s", registry_upload_id(u));
	CHECK_EQ_INT(registry_upload_write(u, "whole", 5), BERTH_OK);
	CHECK_EQ_INT(registry_upload_finalize(u, &want, &res), BERTH_OK);
	registry_upload_close(u);
	CHECK_EQ_INT(registry_blob_linked(reg, "m", &want), 1);
	CHECK_EQ_INT(upload_dir_exists(reg, "m", id), 0);
	repo_fixture_teardown(&f);
}

TEST(registry_upload_chunk_of_the_wrong_length_taints)
{
	repo_fixture f;
	if (repo_fixture_setup(&f)) {
		CHECK(!"fixture");
		return;
	}
	berth_registry *reg = &f.reg;
	upload_memo_clear();
	char id[REGISTRY_UPLOAD_ID_MAX];
	CHECK_EQ_INT(start(reg, "r", NULL, id), 0);
	registry_upload *u = reopen(reg, "r", id);
	CHECK(u != NULL);
	if (!u)
		return repo_fixture_teardown(&f);
	registry_upload_expect(u, 5);
	CHECK_EQ_INT(registry_upload_write(u, "abc", 3), BERTH_OK);
	CHECK_EQ_INT(registry_upload_end_chunk(u), REGISTRY_UPLOAD_E_LENGTH);
	registry_upload_close(u);
	CHECK_EQ_INT(marked(reg, "r", id), 1);
	CHECK(upload_memo_tainted("r", id));
	/* the bytes are in; no state is saved for them or after them */
	CHECK_EQ_INT(patch(reg, "r", id, "de"), BERTH_OK);
	CHECK_EQ_INT(hashstate_exists(reg, "r", id, 3), 0);
	CHECK_EQ_INT(hashstate_exists(reg, "r", id, 5), 0);
	registry_upload_result res;
	CHECK_EQ_INT(put(reg, "r", id, "abcde", &res), BERTH_OK);
	upload_memo_clear();
	repo_fixture_teardown(&f);
}

TEST(registry_upload_mount)
{
	repo_fixture f;
	if (repo_fixture_setup(&f)) {
		CHECK(!"fixture");
		return;
	}
	berth_registry *reg = &f.reg;
	char id[REGISTRY_UPLOAD_ID_MAX];
	registry_upload_result res;
	berth_digest d, absent;
	sha256_of("layer", &d);
	sha256_of("no such layer", &absent);
	CHECK_EQ_INT(start(reg, "src", NULL, id), 0);
	CHECK_EQ_INT(patch(reg, "src", id, "layer"), BERTH_OK);
	CHECK_EQ_INT(put(reg, "src", id, "layer", &res), BERTH_OK);

	CHECK_EQ_INT(registry_upload_mount(reg, "dst", &d, "elsewhere"), 0);
	CHECK_EQ_INT(registry_blob_linked(reg, "dst", &d), 0);
	CHECK_EQ_INT(registry_upload_mount(reg, "dst", &d, "src"), 1);
	CHECK_EQ_INT(registry_blob_linked(reg, "dst", &d), 1);
	CHECK_EQ_INT(registry_upload_mount(reg, "auto", &d, NULL), 1);
	CHECK_EQ_INT(registry_blob_linked(reg, "auto", &d), 1);
	CHECK_EQ_INT(registry_upload_mount(reg, "auto", &absent, NULL), 0);
	repo_fixture_teardown(&f);
}

/* ---- over the fault driver ---- */

typedef struct fault_fixture {
	berth_driver *driver;
	berth_settings cfg;
	berth_registry reg;
	char root[64], data[96], control[96];
} fault_fixture;

static int fault_setup(fault_fixture *f)
{
	char err[512] = "";
	memset(f, 0, sizeof *f);
	snprintf(f->root, sizeof f->root, "/tmp/berth-upload-XXXXXX");
	if (!mkdtemp(f->root))
		return -1;
	snprintf(f->data, sizeof f->data, "%s/data", f->root);
	snprintf(f->control, sizeof f->control, "%s/faults", f->root);
	char *file = driver_resolve("fault", NULL);
	int rc = driver_load(file, &f->driver, err, sizeof err);
	free(file);
	if (rc) {
		fprintf(stderr, "    %s\n", err);
		return -1;
	}
	berth_config_item items[] = {{"driver", "filesystem"},
				     {"inner.rootdirectory", f->data},
				     {"controlfile", f->control}};
	berth_config c = {3, items};
	log_set_level(BERTH_LOG_WARN); /* the driver's notes */
	registry_init(&f->reg, &f->cfg);
	if (store_open(&f->reg.store, f->driver, &c, err, sizeof err)) {
		fprintf(stderr, "    %s\n", err);
		driver_unload(f->driver);
		return -1;
	}
	return 0;
}

/* Replace the faults (an empty string heals). */
static void faults(fault_fixture *f, const char *settings)
{
	FILE *fp = fopen(f->control, "w");
	if (fp) {
		fputs(settings, fp);
		fclose(fp);
	}
}

static void fault_teardown(fault_fixture *f)
{
	faults(f, "");
	store_remove(&f->reg.store, "/docker");
	store_close(&f->reg.store);
	registry_fini(&f->reg);
	driver_unload(f->driver);
	unlink(f->control);
	rmdir(f->data);
	rmdir(f->root);
	log_set_level(BERTH_LOG_INFO);
}

TEST(registry_upload_write_error_taints)
{
	fault_fixture f;
	if (fault_setup(&f)) {
		CHECK(!"fault fixture");
		return;
	}
	berth_registry *reg = &f.reg;
	upload_memo_clear();
	char id[REGISTRY_UPLOAD_ID_MAX];
	CHECK_EQ_INT(start(reg, "r", NULL, id), 0);
	CHECK_EQ_INT(patch(reg, "r", id, "first "), BERTH_OK);
	registry_upload *u = reopen(reg, "r", id);
	CHECK(u != NULL);
	if (!u)
		return fault_teardown(&f);
	faults(&f, "failops=writer_write\nfailnth=1\ntruncatewrites=1\n");
	CHECK(registry_upload_write(u, "lost bytes", 10) < 0);
	/* the mark waits for the close: the caller answers with the
	   driver's detail first */
	CHECK_EQ_INT(marked(reg, "r", id), 0);
	CHECK(upload_memo_tainted("r", id));
	faults(&f, "");
	registry_upload_close(u);
	CHECK_EQ_INT(marked(reg, "r", id), 1);

	/* half the piece reached storage: whatever the data is now, no
	   state is saved for it, and the close hashes what is stored */
	CHECK_EQ_INT(patch(reg, "r", id, "second"), BERTH_OK);
	u = reopen(reg, "r", id);
	CHECK(u != NULL);
	if (!u)
		return fault_teardown(&f);
	uint64_t held = registry_upload_size(u);
	registry_upload_close(u);
	CHECK_EQ_INT(held, strlen("first lost second"));
	CHECK_EQ_INT(hashstate_exists(reg, "r", id, held), 0);
	registry_upload_result res;
	CHECK_EQ_INT(put(reg, "r", id, "first lost second", &res), BERTH_OK);
	upload_memo_clear();
	fault_teardown(&f);
}

/* The attack the integrity rules stop: a flush that fails loses bytes
   the hash had counted; the client appends other bytes until the size
   matches and closes with the digest of the bytes it sent first. */
TEST(registry_upload_failed_flush_saves_no_state)
{
	fault_fixture f;
	if (fault_setup(&f)) {
		CHECK(!"fault fixture");
		return;
	}
	berth_registry *reg = &f.reg;
	upload_memo_clear();
	char id[REGISTRY_UPLOAD_ID_MAX];
	CHECK_EQ_INT(start(reg, "r", NULL, id), 0);
	faults(&f, "bufferwrites=65536\nfailops=writer_close\nfailnth=1\n");
	CHECK(patch(reg, "r", id, "AAAAAAAA") < 0);
	faults(&f, "");
	CHECK_EQ_INT(hashstate_exists(reg, "r", id, 8), 0);
	CHECK_EQ_INT(marked(reg, "r", id), 1);
	upload_memo_clear(); /* another server, or this one restarted */
	registry_upload *u = reopen(reg, "r", id);
	CHECK(u != NULL);
	if (!u)
		return fault_teardown(&f);
	uint64_t held = registry_upload_size(u);
	CHECK(held < 8);
	char rest[9] = "BBBBBBBB";
	rest[8 - held] = 0;
	CHECK_EQ_INT(registry_upload_write(u, rest, strlen(rest)), BERTH_OK);
	CHECK_EQ_INT(registry_upload_end_chunk(u), BERTH_OK);
	registry_upload_close(u);
	registry_upload_result res;
	CHECK_EQ_INT(put(reg, "r", id, "AAAAAAAA", &res),
		     REGISTRY_UPLOAD_E_DIGEST);
	berth_digest a;
	sha256_of("AAAAAAAA", &a);
	CHECK_EQ_INT(registry_blob_linked(reg, "r", &a), 0);
	upload_memo_clear();
	fault_teardown(&f);
}

/* Another server resumes the upload: no memo of this process, so the
   hash state comes from storage.  It stands for the data (the close
   reads no byte of it: every reader fails) unless a server marked the
   upload: then the data is hashed again. */
TEST(registry_upload_resumed_by_another_server)
{
	fault_fixture f;
	if (fault_setup(&f)) {
		CHECK(!"fault fixture");
		return;
	}
	berth_registry *reg = &f.reg;
	upload_memo_clear();
	char id[REGISTRY_UPLOAD_ID_MAX], path[BERTH_PATH_MAX];
	registry_upload_result res;
	CHECK_EQ_INT(start(reg, "r", NULL, id), 0);
	CHECK_EQ_INT(patch(reg, "r", id, "hello "), BERTH_OK);
	upload_memo_clear(); /* the other server has no memo */
	CHECK_EQ_INT(patch(reg, "r", id, "world"), BERTH_OK);
	CHECK_EQ_INT(hashstate_exists(reg, "r", id, 6), 1);
	CHECK_EQ_INT(hashstate_exists(reg, "r", id, 11), 1);
	upload_memo_clear();
	faults(&f, "failops=reader_open\nfailrate=1\n");
	CHECK_EQ_INT(put(reg, "r", id, "hello world", &res), BERTH_OK);
	faults(&f, "");

	CHECK_EQ_INT(start(reg, "r", NULL, id), 0);
	CHECK_EQ_INT(patch(reg, "r", id, "marked"), BERTH_OK);
	upload_memo_clear();
	CHECK_EQ_INT(store_put(&reg->store, layout_upload_rehash(path, "r", id),
			       "x", 1),
		     BERTH_OK);
	faults(&f, "failops=reader_open\nfailrate=1\n");
	int rc = put(reg, "r", id, "marked", &res);
	CHECK(rc < 0 && rc != REGISTRY_UPLOAD_E_DIGEST); /* it had to read */
	faults(&f, "");
	CHECK_EQ_INT(put(reg, "r", id, "marked", &res), BERTH_OK);
	upload_memo_clear();
	fault_teardown(&f);
}
