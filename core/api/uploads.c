/*
 * api/uploads.c - blob uploads: POST (start, monolithic, mount), PATCH
 * (streamed or chunked), PUT (close, optionally with the last chunk), GET
 * (status) and DELETE (cancel) on /v2/<name>/blobs/uploads/.
 *
 * An upload lives in Distribution's layout under
 * repositories/<name>/_uploads/<id>/: `startedat` marks it, `data` is a
 * driver writer reopened with append on every request, and
 * `hashstates/sha256/<offset>` holds the SHA-256 state after <offset>
 * bytes.  The body is hashed while it streams in, so closing an upload
 * costs no re-read.  If the saved state does not match the data (a server
 * killed in the middle of a PATCH keeps the bytes it had written, but not
 * their hash), the upload goes on and its digest is computed from the
 * committed data when it closes, so a crash costs time, never correctness.
 * Between requests the process also keeps the state in memory
 * (registry/upload_memo.c), so the next PATCH reads it back from storage only when
 * the writer's size says another server has changed the upload.
 *
 * Integrity: the digest a close verifies is the digest of the bytes
 * storage holds, never of bytes a request merely sent.
 *
 *  - A hash state (the file and the memo) is saved only after
 *    store_writer_close() succeeded with the writer holding exactly the
 *    bytes the state hashed.  Drivers buffer (the filesystem driver 64
 *    KiB, S3 a part), so a write they accepted is not stored until the
 *    close flushes it; a successful close makes <offset> a size the driver
 *    has durably confirmed.  Upload data is append-only, so the first
 *    <offset> bytes can never change afterwards: a saved state cannot
 *    describe bytes that are not stored.  (A state saved before the close
 *    would count bytes a failing flush dropped; the client could append
 *    other bytes until the size matched and close with the digest of the
 *    bytes it had sent first, storing a blob under a digest its content
 *    does not have.)
 *  - Any write or close error taints the upload: the memo records it in
 *    this process, and a `rehash` file in the upload's directory records
 *    it for every server on the storage (best effort: on a full disk it
 *    may not be written, which the first rule makes harmless).  A tainted
 *    upload saves no further state, and its digest is computed from the
 *    stored data.
 *  - At the close, the incremental hash is used only if it covers exactly
 *    the bytes the writer committed and the upload is not tainted (one
 *    stat of `rehash`, unless the hash is this process's own, kept for
 *    exactly the size the writer holds); otherwise the committed data is
 *    hashed again.
 *    After the move into the blob store, the blob must hold as many bytes
 *    as were hashed.
 *
 * An error answer leaves the upload as it was, as far as the protocol can
 * tell: a chunk's length is checked against Content-Range before its body
 * is read (Content-Range without Content-Length answers 411).
 *
 * A monolithic POST ?digest= writes no `startedat` and no owner: its id
 * is never given to the client, so no other request can continue it.  If
 * it fails, its directory is removed before the answer leaves; if the
 * server dies in the middle, the leftover is an upload without
 * `startedat`, which `berth check --repair` removes and the purger
 * removes once its data is older than the purge age.
 *
 * The blob becomes visible only by an atomic move of the committed data
 * to its content address, after the digest was verified, and the
 * repository's layer link is written after that: no reader can see a
 * partial or unverified blob.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uuid/uuid.h>

#include "api/reply.h"
#include "api/routes.h"
#include "app.h"
#include "auth/auth.h"
#include "common/log.h"
#include "common/names.h"
#include "http/range.h"
#include "http/request.h"
#include "registry/blobs.h"
#include "registry/layout.h"
#include "registry/upload_memo.h"
#include "registry/upload_owner.h"

typedef struct upload {
	char id[40];
	berth_writer *w;
	berth_hasher hash;
	int hash_valid;       /* hash covers exactly the writer's bytes */
	uint64_t size;        /* bytes in the writer */
	int finalize;         /* PUT / monolithic POST: close at the end */
	berth_digest want;    /* digest to verify when finalizing */
	int registered;       /* id is in the active set */
	uint64_t expect_len;  /* body length from Content-Range, or 0 */
	int has_expect;
	int unverified;       /* existence not checked yet: a memo stood for it */
	int tainted;          /* met a storage error: never trust its hash */
	int memo_hash;        /* the hash came from this process's memo */
	int announced;        /* the client has the id (else: remove on error) */
	int removed;          /* the upload's directory is gone */
} upload;

/* ---- ids of uploads a request is working on, so two concurrent requests
   never interleave their bytes in one upload ---- */

typedef struct active_id {
	char id[40];
	struct active_id *next;
} active_id;

static pthread_mutex_t active_mu = PTHREAD_MUTEX_INITIALIZER;
static active_id *active_head;

static int active_claim(const char *id)
{
	pthread_mutex_lock(&active_mu);
	for (active_id *a = active_head; a; a = a->next) {
		if (strcmp(a->id, id) == 0) {
			pthread_mutex_unlock(&active_mu);
			return -1;
		}
	}
	active_id *a = calloc(1, sizeof *a);
	if (a) {
		strcpy(a->id, id);
		a->next = active_head;
		active_head = a;
	}
	pthread_mutex_unlock(&active_mu);
	return a ? 0 : -1;
}

static void active_release(const char *id)
{
	pthread_mutex_lock(&active_mu);
	for (active_id **p = &active_head; *p; p = &(*p)->next) {
		if (strcmp((*p)->id, id) == 0) {
			active_id *a = *p;
			*p = a->next;
			free(a);
			break;
		}
	}
	pthread_mutex_unlock(&active_mu);
}

/* ---- helpers ---- */

static int id_valid(const char *id)
{
	uuid_t u;
	return strlen(id) == 36 && uuid_parse(id, u) == 0;
}

static void reply_progress(berth_request *req, unsigned status,
			   const char *id, uint64_t size)
{
	char path[BERTH_PATH_MAX + 64], range[64];
	snprintf(path, sizeof path, "/v2/%s/blobs/uploads/%s", req->name, id);
	snprintf(range, sizeof range, "0-%" PRIu64, size ? size - 1 : 0);
	char *loc = http_location(req, path);
	const char *h[] = {"Location", loc ? loc : path,
			   "Range", range,
			   "Docker-Upload-UUID", id,
			   NULL};
	http_reply_empty(req, status, h);
	free(loc);
}

static void reply_created(berth_request *req, const berth_digest *d)
{
	char digest[BERTH_DIGEST_MAX], path[BERTH_PATH_MAX + 64];
	berth_digest_format(d, digest);
	snprintf(path, sizeof path, "/v2/%s/blobs/%s", req->name, digest);
	char *loc = http_location(req, path);
	const char *h[] = {"Location", loc ? loc : path,
			   "Docker-Content-Digest", digest,
			   NULL};
	http_reply_empty(req, 201, h);
	free(loc);
}

static int upload_exists(berth_app *app, const char *name, const char *id)
{
	char path[BERTH_PATH_MAX];
	return store_exists(&app->store,
			    layout_upload_startedat(path, name, id));
}

/* Restore the hash state saved at exactly `size` bytes. */
static void load_hashstate(berth_app *app, const char *name, upload *u)
{
	char path[BERTH_PATH_MAX];
	berth_hasher_init(&u->hash, BERTH_DIGEST_SHA256);
	u->hash_valid = 0;
	if (u->size == 0) {
		u->hash_valid = 1;
		return;
	}
	char *buf = NULL;
	size_t len = 0;
	layout_upload_hashstate(path, name, u->id, BERTH_DIGEST_SHA256,
				u->size);
	if (store_get(&app->store, path, &buf, &len) != BERTH_OK)
		return;
	if (berth_hasher_restore(&u->hash, (unsigned char *)buf, len) == 0 &&
	    u->hash.bytes == u->size)
		u->hash_valid = 1;
	else
		berth_hasher_init(&u->hash, BERTH_DIGEST_SHA256);
	free(buf);
}

/* Save the hash state; only for a size the driver confirmed durably (a
   successful writer close, see the top of the file). */
static void save_hashstate(berth_app *app, const char *name, upload *u)
{
	char path[BERTH_PATH_MAX];
	unsigned char buf[BERTH_HASHER_STATE_MAX];
	size_t len = berth_hasher_save(&u->hash, buf);
	layout_upload_hashstate(path, name, u->id, BERTH_DIGEST_SHA256,
				u->hash.bytes);
	/* Earlier states stay until the upload ends and its directory is
	   removed, as in Distribution: pruning them on every chunk would cost
	   a list and a delete per PATCH on object stores, for files of about
	   a hundred bytes. */
	if (store_put(&app->store, path, buf, len) != BERTH_OK)
		LOG_DEBUG("upload %s: hash state not saved; the digest will "
			  "be computed from the data when it closes", u->id);
}

/*
 * The upload met a storage error: what the driver holds may differ from
 * what was hashed, so no hash of it is trusted any more.  Recorded in the
 * memo and, for other servers, in the upload's `rehash` file.  Call it
 * after replying: the write here replaces the driver's error detail.  An
 * upload the client has no id of is removed instead (upload_cleanup).
 */
static void upload_taint(berth_app *app, const char *name, upload *u)
{
	static const char why[] =
		"a storage error met this upload: its digest is computed "
		"from the stored data\n";
	char path[BERTH_PATH_MAX];
	u->hash_valid = 0;
	if (u->tainted || !u->announced)
		return;
	u->tainted = 1;
	upload_memo_taint(name, u->id);
	if (store_put(&app->store, layout_upload_rehash(path, name, u->id),
		      why, sizeof why - 1) != BERTH_OK)
		LOG_DEBUG("upload %s: could not record its storage error in "
			  "storage; this server remembers it", u->id);
}

/* 1 if a server recorded a storage error of the upload (or if that
   cannot be read: a needless re-hash costs time, a wrong digest more). */
static int upload_marked(berth_app *app, const char *name, const char *id)
{
	char path[BERTH_PATH_MAX];
	return store_exists(&app->store,
			    layout_upload_rehash(path, name, id)) != 0;
}

/* Remove the upload's directory (data, startedat, hash states) and what
   this process remembers of it. */
static void upload_discard(berth_app *app, const char *name, const char *id)
{
	char path[BERTH_PATH_MAX];
	upload_memo_forget(id);
	int rc = store_remove(&app->store, layout_upload_dir(path, name, id));
	if (rc && rc != BERTH_E_NOT_FOUND)
		LOG_WARN("could not remove upload %s of %s: %s", id, name,
			 berth_status_name(rc));
}

static void upload_remove(berth_request *req, upload *u)
{
	upload_discard(req->app, req->name, u->id);
	u->removed = 1;
}

static void upload_cleanup(berth_request *req)
{
	upload *u = req->state;
	if (!u)
		return;
	berth_app *app = req->app;
	if (u->w) {
		/* Data of an upload nobody can continue is about to go:
		   cancelling spares the flush. */
		if (!u->announced)
			store_cancel(&app->store, u->w);
		int rc = store_writer_close(&app->store, u->w);
		u->w = NULL;
		/* A request cut short keeps the bytes written so far; if
		   the close cannot keep them, they are not what was hashed. */
		if (rc)
			upload_taint(app, req->name, u);
	}
	/* A failed monolithic POST (or a start that failed before the id
	   was given out) leaves nothing: no client could cancel it. */
	if (!u->announced && !u->removed && u->id[0])
		upload_remove(req, u);
	if (u->registered)
		active_release(u->id);
	free(u);
	req->state = NULL;
}

/* Claim the upload and open its writer; replies and returns -1 on error. */
static int upload_open(berth_request *req, upload *u)
{
	berth_app *app = req->app;
	char path[BERTH_PATH_MAX];
	if (active_claim(u->id)) {
		http_reply_error(req, BERTH_ERR_BLOB_UPLOAD_INVALID,
				 "the upload is in use by another request");
		return -1;
	}
	u->registered = 1;
	int rc = store_writer(&app->store,
			      layout_upload_data(path, req->name, u->id), 1,
			      &u->w);
	if (rc) {
		api_reply_storage_error(req, rc, BERTH_ERR_BLOB_UPLOAD_UNKNOWN);
		return -1;
	}
	u->size = store_writer_size(&app->store, u->w);
	if (upload_memo_get(req->name, u->id, u->size, &u->hash)) {
		u->hash_valid = 1;
		u->memo_hash = 1;
		return 0;
	}
	u->tainted = upload_memo_tainted(req->name, u->id);
	if (u->unverified) {
		/* Storage moved on without this process (another server
		   appended, or the upload was removed), or the memo only
		   holds a taint: ask storage. */
		if (!u->tainted)
			upload_memo_forget(u->id);
		rc = upload_exists(app, req->name, u->id);
		if (rc <= 0) {
			store_writer_close(&app->store, u->w);
			u->w = NULL;
			if (rc == 0) /* drop what opening the writer may have made */
				upload_discard(app, req->name, u->id);
			api_reply_storage_error(req, rc ? rc : BERTH_E_NOT_FOUND,
						BERTH_ERR_BLOB_UPLOAD_UNKNOWN);
			return -1;
		}
	}
	if (u->tainted)
		berth_hasher_init(&u->hash, BERTH_DIGEST_SHA256);
	else
		load_hashstate(app, req->name, u);
	return 0;
}

/* Look up an existing upload named by req->ref; -1 after replying. */
static int upload_find(berth_request *req, upload **out)
{
	if (!id_valid(req->ref)) {
		http_reply_error(req, BERTH_ERR_BLOB_UPLOAD_UNKNOWN, req->ref);
		return -1;
	}
	/* A memo left by this process's last request on the upload stands
	   for the existence check until the writer's size confirms it
	   (upload_open). */
	int unverified = upload_memo_has(req->name, req->ref);
	int rc = unverified ? 1 : upload_exists(req->app, req->name, req->ref);
	if (rc < 0) {
		api_reply_storage_error(req, rc, BERTH_ERR_BLOB_UPLOAD_UNKNOWN);
		return -1;
	}
	/* access control: only the account that started it */
	char acct[256];
	int who = rc == 0 ? 0 : berth_auth_account(req, acct, sizeof acct);
	if (who == 0 && rc > 0)
		rc = registry_upload_owned_by(req->app, req->name, req->ref,
					      acct);
	if (rc < 0) {
		api_reply_storage_error(req, rc, BERTH_ERR_BLOB_UPLOAD_UNKNOWN);
		return -1;
	}
	if (rc == 0 || who < 0) {
		http_reply_error(req, BERTH_ERR_BLOB_UPLOAD_UNKNOWN, req->ref);
		return -1;
	}
	upload *u = calloc(1, sizeof *u);
	if (!u) {
		api_reply_storage_error(req, BERTH_E_NOMEM, 0);
		return -1;
	}
	strcpy(u->id, req->ref);
	u->unverified = unverified;
	u->announced = 1;
	req->state = u;
	req->on_cleanup = upload_cleanup;
	*out = u;
	return 0;
}

/* Check a Content-Range header (if any) against the upload's size. */
static int check_content_range(berth_request *req, upload *u)
{
	const char *cr = http_header(req, "Content-Range");
	if (!cr)
		return 0;
	/* The chunk's length must be known before its first byte is
	   appended, so that a wrong length is refused with the upload
	   unchanged: a chunked body could only be found too long or too
	   short after it was written. */
	const char *cl = http_header(req, "Content-Length");
	if (!cl || http_header(req, "Transfer-Encoding")) {
		http_reply_error_status(
			req, 411, BERTH_ERR_BLOB_UPLOAD_INVALID,
			"Content-Range needs Content-Length (a chunk cannot "
			"use chunked transfer encoding)");
		return -1;
	}
	uint64_t first, last;
	if (berth_content_range_parse(cr, &first, &last) || first != u->size) {
		char detail[128];
		snprintf(detail, sizeof detail,
			 "Content-Range %s does not continue the upload at "
			 "%" PRIu64, cr, u->size);
		char range[64];
		snprintf(range, sizeof range, "0-%" PRIu64,
			 u->size ? u->size - 1 : 0);
		char *body = berth_api_error_json(BERTH_ERR_RANGE_INVALID, NULL,
						  detail);
		const char *h[] = {"Range", range, "Docker-Upload-UUID", u->id,
				   NULL};
		http_reply_buffer(req, 416, "application/json; charset=utf-8",
				  body, body ? strlen(body) : 0, h);
		free(body);
		return -1;
	}
	u->expect_len = last - first + 1;
	u->has_expect = 1;
	if (strtoull(cl, NULL, 10) != u->expect_len) {
		http_reply_error_status(
			req, 416, BERTH_ERR_RANGE_INVALID,
			"Content-Length does not match Content-Range");
		return -1;
	}
	return 0;
}

static int upload_body(berth_request *req, const char *data, size_t len)
{
	upload *u = req->state;
	int rc = store_write(&req->app->store, u->w, data, len);
	if (rc) {
		/* The writer may hold part of this piece. */
		api_reply_storage_error(req, rc, BERTH_ERR_BLOB_UPLOAD_INVALID);
		upload_taint(req->app, req->name, u);
		return -1;
	}
	if (u->hash_valid)
		berth_hasher_update(&u->hash, data, len);
	u->size += len;
	return 0;
}

/* Hash the committed upload data from scratch with the wanted algorithm;
   *bytes is how many bytes that took. */
static int rehash(berth_app *app, const char *path, berth_digest_alg alg,
		  berth_digest *out, uint64_t *bytes)
{
	berth_reader *r = NULL;
	berth_hasher h;
	int rc = store_reader(&app->store, path, 0, &r);
	if (rc)
		return rc;
	berth_hasher_init(&h, alg);
	char *buf = malloc(1 << 20);
	if (!buf) {
		store_reader_close(&app->store, r);
		return BERTH_E_NOMEM;
	}
	for (;;) {
		size_t n = 0;
		rc = store_read(&app->store, r, buf, 1 << 20, &n);
		if (rc || n == 0)
			break;
		berth_hasher_update(&h, buf, n);
	}
	free(buf);
	store_reader_close(&app->store, r);
	if (rc == BERTH_OK) {
		*bytes = h.bytes;
		berth_hasher_final(&h, out);
	}
	return rc;
}

/*
 * Put the verified upload data at `d`'s content address, unless a blob of
 * the verified size is there already; then make sure storage holds that
 * many bytes there.  Replies and returns -1 on error.
 */
static int publish_blob(berth_request *req, const char *data,
			const berth_digest *d, uint64_t size)
{
	berth_app *app = req->app;
	char blob[BERTH_PATH_MAX], ds[BERTH_DIGEST_MAX];
	berth_digest_format(d, ds);
	uint64_t stored;
	int rc = repo_blob_size(app, d, &stored);
	if (rc == BERTH_OK && stored == size)
		return 0;
	if (rc == BERTH_OK) {
		/* Content of another length cannot hash to this digest: the
		   stored blob is corrupt, and this upload is the cure. */
		LOG_WARN("blob %s holds %" PRIu64 " bytes, but its content "
			 "has %" PRIu64 ": replacing it with the verified "
			 "upload", ds, stored, size);
	} else if (rc != BERTH_E_NOT_FOUND) {
		goto storage_error;
	}
	rc = store_move(&app->store, data, layout_blob_data(blob, d));
	if (rc == BERTH_OK)
		rc = repo_blob_size(app, d, &stored);
	if (rc)
		goto storage_error;
	if (stored != size) {
		/* The driver kept other bytes than it committed: they must
		   not stand under this digest. */
		rc = store_remove(&app->store, blob);
		LOG_ERROR("blob %s: storage holds %" PRIu64 " bytes after "
			  "the move, %" PRIu64 " were verified; removed (%s)",
			  ds, stored, size, berth_status_name(rc));
		char detail[BERTH_DIGEST_MAX + 128];
		snprintf(detail, sizeof detail,
			 "storage holds %" PRIu64 " bytes of blob %s, %" PRIu64
			 " were verified", stored, ds, size);
		http_reply_error_status(req, 500, BERTH_ERR_UNKNOWN, detail);
		return -1;
	}
	return 0;
storage_error:
	api_reply_storage_error(req, rc, BERTH_ERR_BLOB_UPLOAD_UNKNOWN);
	return -1;
}

/* Commit, verify and publish the blob; always replies. */
static void upload_finalize(berth_request *req, upload *u)
{
	berth_app *app = req->app;
	char data[BERTH_PATH_MAX];
	layout_upload_data(data, req->name, u->id);

	uint64_t held = store_writer_size(&app->store, u->w);
	int rc = store_commit(&app->store, u->w);
	int rc2 = store_writer_close(&app->store, u->w);
	u->w = NULL;
	if (rc || rc2) {
		api_reply_storage_error(req, rc ? rc : rc2,
					BERTH_ERR_BLOB_UPLOAD_UNKNOWN);
		return upload_taint(app, req->name, u);
	}

	/* The incremental hash stands for the committed data only if it
	   covers exactly the bytes the driver committed and no error met
	   the upload (see the top of the file). */
	int trusted = u->hash_valid && u->want.alg == BERTH_DIGEST_SHA256 &&
		      u->hash.bytes == held;
	/* A hash from this process's memo covers a size this process saw
	   confirmed, and the writer still holds exactly that many bytes:
	   append-only data means they are the bytes it hashed, whatever
	   another server met meanwhile.  A state read from storage may
	   come from a server that later met an error: ask for its mark. */
	if (trusted && u->announced && !u->memo_hash &&
	    upload_marked(app, req->name, u->id))
		trusted = 0;
	berth_digest got;
	uint64_t hashed = held;
	if (trusted) {
		berth_hasher_final(&u->hash, &got);
	} else {
		rc = rehash(app, data, u->want.alg, &got, &hashed);
		if (rc)
			return api_reply_storage_error(
				req, rc, BERTH_ERR_BLOB_UPLOAD_UNKNOWN);
	}
	if (!berth_digest_equal(&got, &u->want)) {
		char detail[2 * BERTH_DIGEST_MAX + 64], a[BERTH_DIGEST_MAX],
			b[BERTH_DIGEST_MAX];
		berth_digest_format(&u->want, a);
		berth_digest_format(&got, b);
		snprintf(detail, sizeof detail,
			 "digest %s does not match the uploaded content (%s)",
			 a, b);
		upload_remove(req, u);
		return http_reply_error(req, BERTH_ERR_DIGEST_INVALID, detail);
	}

	if (publish_blob(req, data, &got, hashed))
		return;
	rc = repo_link_blob(app, req->name, &got);
	if (rc)
		return api_reply_storage_error(req, rc,
					       BERTH_ERR_BLOB_UPLOAD_UNKNOWN);
	upload_remove(req, u);
	reply_created(req, &got);
}

static void upload_end(berth_request *req)
{
	upload *u = req->state;
	berth_app *app = req->app;
	if (u->has_expect && req->body_bytes != u->expect_len) {
		/* Not reached while a chunk needs Content-Length
		   (check_content_range) and the server delivers exactly
		   that many bytes.  Should that change, the bytes are in
		   the upload already: refuse the chunk, trust no hash. */
		http_reply_error_status(
			req, 400, BERTH_ERR_BLOB_UPLOAD_INVALID,
			"body length does not match Content-Range");
		return upload_taint(app, req->name, u);
	}
	if (u->finalize)
		return upload_finalize(req, u);
	uint64_t held = store_writer_size(&app->store, u->w);
	int rc = store_writer_close(&app->store, u->w);
	u->w = NULL;
	if (rc) {
		api_reply_storage_error(req, rc,
					BERTH_ERR_BLOB_UPLOAD_INVALID);
		return upload_taint(app, req->name, u);
	}
	/* The driver now holds `held` bytes durably: only now may a state
	   for that offset be saved, and only if it hashed all of them. */
	if (u->hash_valid && u->hash.bytes != held)
		upload_taint(app, req->name, u);
	if (u->hash_valid) {
		save_hashstate(app, req->name, u);
		if (held)
			upload_memo_put(req->name, u->id, &u->hash);
	}
	reply_progress(req, 202, u->id, held);
}

/* Parse ?digest=; replies and returns -1 when missing or invalid. */
static int want_digest(berth_request *req, const char *value, upload *u)
{
	int rc = value ? berth_digest_parse(value, &u->want) : -1;
	if (rc == 0)
		return 0;
	http_reply_error(req, rc == -2 ? BERTH_ERR_UNSUPPORTED
				       : BERTH_ERR_DIGEST_INVALID,
			 value ? "invalid digest" : "digest parameter missing");
	return -1;
}

/* ---- handlers ---- */

static int try_mount(berth_request *req, const char *mount, const char *from)
{
	berth_app *app = req->app;
	berth_digest d;
	if (berth_digest_parse(mount, &d))
		return 0; /* not mountable: a plain upload starts instead */
	int rc;
	/* access control: mounting needs pull on the source (auth/auth.c) */
	if (!berth_auth_permits(req, from && *from ? from : NULL,
				BERTH_ACTION_PULL))
		return 0;
	if (from && *from) {
		if (!berth_name_valid(from, strlen(from)))
			return 0;
		rc = repo_blob_linked(app, from, &d);
	} else {
		uint64_t size;
		rc = repo_blob_size(app, &d, &size) == BERTH_OK;
	}
	if (rc <= 0)
		return 0;
	rc = repo_link_blob(app, req->name, &d);
	if (rc) {
		api_reply_storage_error(req, rc, BERTH_ERR_BLOB_UNKNOWN);
		return 1;
	}
	reply_created(req, &d);
	return 1;
}

void api_upload_start(berth_request *req)
{
	berth_app *app = req->app;
	char path[BERTH_PATH_MAX];
	if (app->cfg->readonly)
		return http_reply_error_status(req, 405, BERTH_ERR_UNSUPPORTED,
					       "the registry is read-only");
	const char *mount = http_query(req, "mount");
	if (mount && try_mount(req, mount, http_query(req, "from")))
		return;

	upload *u = calloc(1, sizeof *u);
	if (!u)
		return api_reply_storage_error(req, BERTH_E_NOMEM, 0);
	req->state = u;
	req->on_cleanup = upload_cleanup;
	const char *digest = http_query(req, "digest");
	if (digest && want_digest(req, digest, u))
		return;

	uuid_t uu;
	uuid_generate_random(uu);
	uuid_unparse_lower(uu, u->id);
	if (digest) {
		/* Monolithic upload: the body is the whole blob, and the id
		   never leaves this request, so no startedat and no owner
		   (see the top of the file). */
		if (upload_open(req, u))
			return;
		u->finalize = 1;
		return http_expect_body(req, upload_body, upload_end);
	}
	char started[64];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", &tm);
	int rc = store_put(&app->store,
			   layout_upload_startedat(path, req->name, u->id),
			   started, strlen(started));
	if (rc)
		return api_reply_storage_error(req, rc, BERTH_ERR_UNKNOWN);
	/* access control: record who owns the upload */
	char acct[256];
	int who = berth_auth_account(req, acct, sizeof acct);
	if (who < 0 ||
	    (who == 0 &&
	     registry_upload_set_owner(app, req->name, u->id, acct)))
		return http_reply_error(req, BERTH_ERR_UNKNOWN,
					"could not record the upload's owner");
	u->announced = 1;
	reply_progress(req, 202, u->id, 0);
}

void api_upload_patch(berth_request *req)
{
	upload *u;
	if (upload_find(req, &u) || upload_open(req, u) ||
	    check_content_range(req, u))
		return;
	http_expect_body(req, upload_body, upload_end);
}

void api_upload_put(berth_request *req)
{
	upload *u;
	if (upload_find(req, &u) ||
	    want_digest(req, http_query(req, "digest"), u) ||
	    upload_open(req, u) || check_content_range(req, u))
		return;
	u->finalize = 1;
	http_expect_body(req, upload_body, upload_end);
}

void api_upload_status(berth_request *req)
{
	upload *u;
	if (upload_find(req, &u) || upload_open(req, u))
		return;
	reply_progress(req, 204, u->id, u->size);
}

void api_upload_cancel(berth_request *req)
{
	upload *u;
	if (upload_find(req, &u))
		return;
	if (active_claim(u->id))
		return http_reply_error(req, BERTH_ERR_BLOB_UPLOAD_INVALID,
					"the upload is in use by another request");
	u->registered = 1;
	upload_remove(req, u);
	http_reply_empty(req, 204, NULL);
}
