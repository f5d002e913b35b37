/*
 * registry/uploads.c - blob uploads in storage (see registry/uploads.h).
 *
 * An upload lives in Distribution's layout under
 * repositories/<name>/_uploads/<id>/: `startedat` marks it, `data` is a
 * driver writer reopened with append on every request, and
 * `hashstates/sha256/<offset>` holds the SHA-256 state after <offset>
 * bytes; `owner` (Berth's addition) names the account that alone may
 * continue it.  The body is hashed while it streams in, so closing an
 * upload costs no re-read.  If the saved state does not match the data (a
 * server killed in the middle of a PATCH keeps the bytes it had written,
 * but not their hash), the upload goes on and its digest is computed from
 * the committed data when it closes, so a crash costs time, never
 * correctness.  Between requests the process also keeps the state in
 * memory (registry/upload_memo.c), so the next PATCH reads it back from
 * storage only when the writer's size says another server has changed
 * the upload.
 *
 * Integrity: the digest a close verifies is the digest of the bytes
 * storage holds, never of bytes a request merely sent.
 *
 *  - A hash state (the file and the memo) is saved only after
 *    store_writer_close() -- or, with a driver that has it,
 *    store_writer_flush() -- succeeded with the writer holding exactly the
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
 *    stored data.  So does a chunk whose length is not the one it was
 *    announced with: its bytes are in the upload already.
 *  - At the close, the incremental hash is used only if it covers exactly
 *    the bytes the writer committed and the upload is not tainted (one
 *    stat of `rehash`, unless the hash is this process's own, kept for
 *    exactly the size the writer holds); otherwise the committed data is
 *    hashed again.
 *    After the move into the blob store, the blob must hold as many bytes
 *    as were hashed.
 *
 * With a driver that can flush a writer (BERTH_CAP_WRITER_FLUSH), the
 * end of a chunk flushes before it closes, and a long body is flushed
 * every UPLOAD_FLUSH_EVERY bytes with its hash state saved right after:
 * a server dying in the middle of a large PATCH then leaves a state the
 * next request can continue from.  A failed flush is a failed close:
 * the upload is tainted and nothing is saved.
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
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uuid/uuid.h>

#include "common/log.h"
#include "registry/blobs.h"
#include "registry/layout.h"
#include "registry/upload_memo.h"
#include "registry/uploads.h"
#include "storage/store.h"

/* Bytes of a body between two flushes (BERTH_CAP_WRITER_FLUSH). */
#define UPLOAD_FLUSH_EVERY ((uint64_t)64 << 20)

struct registry_upload {
	berth_registry *reg;
	berth_store *store;
	berth_writer *w;
	berth_hasher hash;
	uint64_t size;        /* bytes in the writer */
	uint64_t opened_at;   /* bytes it held when this request opened it */
	uint64_t expect_len;  /* the chunk's announced length */
	uint64_t flushed_at;  /* writer size at the last flush (or open) */
	uint64_t hint_size;   /* the whole blob's size, or UINT64_MAX */
	berth_digest hint_digest;
	int has_hint_digest;
	int hinted;           /* the writer was opened with a digest hint */
	int has_expect;
	int hash_valid;       /* hash covers exactly the writer's bytes */
	int registered;       /* id is in the claim list */
	int unverified;       /* existence not checked yet: a memo stood for it */
	int tainted;          /* met a storage error: never trust its hash */
	int mark_pending;     /* the `rehash` mark waits for the close */
	int memo_hash;        /* the hash came from this process's memo */
	int announced;        /* the client has the id (else: remove on error) */
	int removed;          /* the upload's directory is gone */
	char id[REGISTRY_UPLOAD_ID_MAX];
	char name[];
};

/* ---- ids of uploads a request is working on, so two concurrent requests
   never interleave their bytes in one upload ---- */

typedef struct claim {
	char id[REGISTRY_UPLOAD_ID_MAX];
	struct claim *next;
} claim;

static pthread_mutex_t claims_mu = PTHREAD_MUTEX_INITIALIZER;
static claim *claims;

static int claim_take(const char *id)
{
	pthread_mutex_lock(&claims_mu);
	for (claim *c = claims; c; c = c->next) {
		if (strcmp(c->id, id) == 0) {
			pthread_mutex_unlock(&claims_mu);
			return -1;
		}
	}
	claim *c = calloc(1, sizeof *c);
	if (c) {
		strcpy(c->id, id);
		c->next = claims;
		claims = c;
	}
	pthread_mutex_unlock(&claims_mu);
	return c ? 0 : -1;
}

static void claim_release(const char *id)
{
	pthread_mutex_lock(&claims_mu);
	for (claim **p = &claims; *p; p = &(*p)->next) {
		if (strcmp((*p)->id, id) == 0) {
			claim *c = *p;
			*p = c->next;
			free(c);
			break;
		}
	}
	pthread_mutex_unlock(&claims_mu);
}

/* ---- the upload's files ---- */

/* repositories/<name>/_uploads/<id>/owner, or NULL if too long */
static char *owner_path(char *buf, const char *name, const char *id)
{
	layout_upload_dir(buf, name, id);
	size_t n = strlen(buf);
	if (n + sizeof "/owner" > BERTH_PATH_MAX)
		return NULL;
	strcpy(buf + n, "/owner");
	return buf;
}

static int upload_exists(registry_upload *u)
{
	char path[BERTH_PATH_MAX];
	return store_exists(u->store,
			    layout_upload_startedat(path, u->name, u->id));
}

/* Restore the hash state saved at exactly u->size bytes. */
static void load_hashstate(registry_upload *u)
{
	char path[BERTH_PATH_MAX];
	digest_hasher_init(&u->hash, BERTH_DIGEST_SHA256);
	u->hash_valid = 0;
	if (u->size == 0) {
		u->hash_valid = 1;
		return;
	}
	char *buf = NULL;
	size_t len = 0;
	layout_upload_hashstate(path, u->name, u->id, BERTH_DIGEST_SHA256,
				u->size);
	if (store_get(u->store, path, &buf, &len) != BERTH_OK)
		return;
	if (digest_hasher_restore(&u->hash, (unsigned char *)buf, len) == 0 &&
	    u->hash.bytes == u->size)
		u->hash_valid = 1;
	else
		digest_hasher_init(&u->hash, BERTH_DIGEST_SHA256);
	free(buf);
}

/* Save the hash state; only for a size the driver confirmed durably (a
   successful writer close, see the top of the file). */
static void save_hashstate(registry_upload *u)
{
	char path[BERTH_PATH_MAX];
	unsigned char buf[BERTH_HASHER_STATE_MAX];
	size_t len = digest_hasher_save(&u->hash, buf);
	layout_upload_hashstate(path, u->name, u->id, BERTH_DIGEST_SHA256,
				u->hash.bytes);
	/* Earlier states stay until the upload ends and its directory is
	   removed, as in Distribution: pruning them on every chunk would cost
	   a list and a delete per PATCH on object stores, for files of about
	   a hundred bytes. */
	if (store_put(u->store, path, buf, len) != BERTH_OK)
		LOG_DEBUG("upload %s: hash state not saved; the digest will "
			  "be computed from the data when it closes", u->id);
}

/* Write the `rehash` mark: for every server on the storage, the upload
   met a storage error. */
static void write_mark(registry_upload *u)
{
	static const char why[] =
		"a storage error met this upload: its digest is computed "
		"from the stored data\n";
	char path[BERTH_PATH_MAX];
	u->mark_pending = 0;
	if (store_put(u->store, layout_upload_rehash(path, u->name, u->id),
		      why, sizeof why - 1) != BERTH_OK)
		LOG_DEBUG("upload %s: could not record its storage error in "
			  "storage; this server remembers it", u->id);
}

/*
 * The upload met a storage error: what the driver holds may differ from
 * what was hashed, so no hash of it is trusted any more.  Recorded in the
 * memo and, for other servers, in the upload's `rehash` file: now, or
 * (`later`, when the caller is about to answer with the error's detail,
 * which a write here would replace) when the handle is closed.  An upload
 * the client has no id of is removed instead (registry_upload_close).
 */
static void taint(registry_upload *u, int later)
{
	u->hash_valid = 0;
	if (u->tainted || !u->announced)
		return;
	u->tainted = 1;
	upload_memo_taint(u->name, u->id);
	if (later)
		u->mark_pending = 1;
	else
		write_mark(u);
}

/* 1 if a server recorded a storage error of the upload (or if that
   cannot be read: a needless re-hash costs time, a wrong digest more). */
static int marked(registry_upload *u)
{
	char path[BERTH_PATH_MAX];
	return store_exists(u->store,
			    layout_upload_rehash(path, u->name, u->id)) != 0;
}

/* Remove the upload's directory (data, startedat, hash states, owner) and
   what this process remembers of it. */
static void discard(registry_upload *u)
{
	char path[BERTH_PATH_MAX];
	upload_memo_forget(u->id);
	int rc = store_remove(u->store, layout_upload_dir(path, u->name, u->id));
	if (rc && rc != BERTH_E_NOT_FOUND)
		LOG_WARN("could not remove upload %s of %s: %s", u->id,
			 u->name, store_status_name(rc));
}

static void remove_upload(registry_upload *u)
{
	discard(u);
	u->removed = 1;
}

/* ---- handles ---- */

static registry_upload *handle_new(berth_registry *reg, const char *name,
				   const char *id)
{
	size_t n = strlen(name);
	registry_upload *u = calloc(1, sizeof *u + n + 1);
	if (!u)
		return NULL;
	u->reg = reg;
	u->store = &reg->store;
	memcpy(u->name, name, n + 1);
	snprintf(u->id, sizeof u->id, "%s", id);
	u->hint_size = UINT64_MAX;
	return u;
}

int registry_upload_new(berth_registry *reg, const char *name,
			registry_upload **out)
{
	uuid_t uu;
	char id[REGISTRY_UPLOAD_ID_MAX];
	uuid_generate_random(uu);
	uuid_unparse_lower(uu, id);
	*out = handle_new(reg, name, id);
	return *out ? BERTH_OK : BERTH_E_NOMEM;
}

int registry_upload_start(registry_upload *u)
{
	char path[BERTH_PATH_MAX], started[64];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return store_put(u->store,
			 layout_upload_startedat(path, u->name, u->id),
			 started, strlen(started));
}

int registry_upload_hand_out(registry_upload *u, const char *owner)
{
	char path[BERTH_PATH_MAX];
	if (owner && (!owner_path(path, u->name, u->id) ||
		      store_put(u->store, path, owner, strlen(owner))))
		return REGISTRY_UPLOAD_E_OWNER;
	u->announced = 1;
	return BERTH_OK;
}

int registry_upload_find(berth_registry *reg, const char *name, const char *id,
			 registry_upload **out)
{
	*out = NULL;
	registry_upload *u = handle_new(reg, name, id);
	if (!u)
		return BERTH_E_NOMEM;
	u->announced = 1;
	/* A memo left by this process's last request on the upload stands
	   for the existence check until the writer's size confirms it
	   (registry_upload_open). */
	u->unverified = upload_memo_has(name, id);
	int rc = u->unverified ? 1 : upload_exists(u);
	if (rc <= 0) {
		free(u);
		return rc < 0 ? rc : REGISTRY_UPLOAD_E_UNKNOWN;
	}
	*out = u;
	return BERTH_OK;
}

int registry_upload_owned_by(registry_upload *u, const char *account)
{
	char path[BERTH_PATH_MAX];
	if (!owner_path(path, u->name, u->id))
		return REGISTRY_UPLOAD_E_UNKNOWN;
	char *owner = NULL;
	size_t len = 0;
	int rc = store_get(u->store, path, &owner, &len);
	if (rc == BERTH_E_NOT_FOUND)
		return REGISTRY_UPLOAD_E_UNKNOWN; /* nobody's */
	if (rc)
		return rc;
	/* constant time: the comparison must not tell how much matched */
	int ok = len == strlen(account) &&
		 CRYPTO_memcmp(owner, account, len) == 0;
	free(owner);
	return ok ? BERTH_OK : REGISTRY_UPLOAD_E_UNKNOWN;
}

/* A memo cannot vouch for the upload (storage moved on without this
   process: another server appended, or the upload was removed; or the
   memo only holds a taint): ask storage.  BERTH_OK or an error, with
   the writer closed. */
static int verify_exists(registry_upload *u)
{
	if (!u->tainted)
		upload_memo_forget(u->id);
	int rc = upload_exists(u);
	if (rc > 0)
		return BERTH_OK;
	store_writer_close(u->store, u->w);
	u->w = NULL;
	if (rc == 0) /* drop what opening the writer may have made */
		discard(u);
	return rc ? rc : BERTH_E_NOT_FOUND;
}

void registry_upload_hint(registry_upload *u, const berth_digest *want,
			  uint64_t size)
{
	u->has_hint_digest = want != NULL;
	if (want)
		u->hint_digest = *want;
	u->hint_size = size;
}

/* Reopen the data, with what is known of the whole blob for drivers that
   take hints. */
static int open_data(registry_upload *u)
{
	char path[BERTH_PATH_MAX], ds[BERTH_DIGEST_MAX];
	layout_upload_data(path, u->name, u->id);
	if (!u->has_hint_digest && u->hint_size == UINT64_MAX)
		return store_writer(u->store, path, 1, &u->w);
	if (u->has_hint_digest)
		digest_format(&u->hint_digest, ds);
	u->hinted = u->has_hint_digest &&
		    store_has(u->store, BERTH_CAP_WRITER_HINTS);
	return store_writer_hinted(u->store, path, 1,
				   u->has_hint_digest ? ds : NULL,
				   u->hint_size, &u->w);
}

int registry_upload_open(registry_upload *u)
{
	if (claim_take(u->id))
		return REGISTRY_UPLOAD_E_BUSY;
	u->registered = 1;
	int rc = open_data(u);
	if (rc)
		return rc;
	u->size = u->opened_at = store_writer_size(u->store, u->w);
	u->flushed_at = u->size;
	if (upload_memo_get(u->name, u->id, u->size, &u->hash)) {
		u->hash_valid = 1;
		u->memo_hash = 1;
		return BERTH_OK;
	}
	u->tainted = upload_memo_tainted(u->name, u->id);
	if (u->unverified && (rc = verify_exists(u)))
		return rc;
	if (u->tainted)
		digest_hasher_init(&u->hash, BERTH_DIGEST_SHA256);
	else
		load_hashstate(u);
	return BERTH_OK;
}

const char *registry_upload_id(const registry_upload *u)
{
	return u->id;
}

uint64_t registry_upload_size(const registry_upload *u)
{
	return u->size;
}

void registry_upload_expect(registry_upload *u, uint64_t len)
{
	u->expect_len = len;
	u->has_expect = 1;
}

/* Every UPLOAD_FLUSH_EVERY bytes of a body: make them durable and save
   the state that hashed them, so a server dying later in the body leaves
   a place to continue from.  Only for an upload a client can continue
   (a monolithic POST's is removed if it fails) and only with a driver
   that flushes.  A failed flush is a failed write. */
static int flush_midway(registry_upload *u)
{
	if (!u->announced || u->size - u->flushed_at < UPLOAD_FLUSH_EVERY ||
	    !store_has(u->store, BERTH_CAP_WRITER_FLUSH))
		return BERTH_OK;
	int rc = store_writer_flush(u->store, u->w);
	if (rc) {
		taint(u, 1);
		return rc;
	}
	uint64_t held = store_writer_size(u->store, u->w);
	u->flushed_at = held;
	if (u->hash_valid && u->hash.bytes == held)
		save_hashstate(u);
	return BERTH_OK;
}

int registry_upload_write(registry_upload *u, const void *data, size_t len)
{
	int rc = store_write(u->store, u->w, data, len);
	if (rc) {
		/* The writer may hold part of this piece. */
		taint(u, 1);
		return rc;
	}
	if (u->hash_valid)
		digest_hasher_update(&u->hash, data, len);
	u->size += len;
	return flush_midway(u);
}

/* The chunk holds as many bytes as it was announced with; else its bytes
   are in the upload already: refuse it, trust no hash. */
static int check_length(registry_upload *u)
{
	if (!u->has_expect || u->size - u->opened_at == u->expect_len)
		return 0;
	taint(u, 0);
	return REGISTRY_UPLOAD_E_LENGTH;
}

int registry_upload_end_chunk(registry_upload *u)
{
	if (check_length(u))
		return REGISTRY_UPLOAD_E_LENGTH;
	/* A flush confirms the bytes as a close does; either failing saves
	   nothing (a failed flush is a failed close). */
	int rc = store_has(u->store, BERTH_CAP_WRITER_FLUSH)
			 ? store_writer_flush(u->store, u->w)
			 : BERTH_OK;
	uint64_t held = store_writer_size(u->store, u->w);
	int rc2 = store_writer_close(u->store, u->w);
	u->w = NULL;
	if (rc || rc2) {
		taint(u, 1);
		return rc ? rc : rc2;
	}
	/* The driver now holds `held` bytes durably: only now may a state
	   for that offset be saved, and only if it hashed all of them. */
	u->size = held;
	if (u->hash_valid && u->hash.bytes != held)
		taint(u, 0);
	if (u->hash_valid) {
		save_hashstate(u);
		if (held)
			upload_memo_put(u->name, u->id, &u->hash);
	}
	return BERTH_OK;
}

/* Hash the committed upload data from scratch with the wanted algorithm;
   *bytes is how many bytes that took. */
static int rehash(registry_upload *u, const char *path, digest_alg alg,
		  berth_digest *out, uint64_t *bytes)
{
	berth_reader *r = NULL;
	berth_hasher h;
	int rc = store_reader(u->store, path, 0, &r);
	if (rc)
		return rc;
	digest_hasher_init(&h, alg);
	char *buf = malloc(1 << 20);
	if (!buf) {
		store_reader_close(u->store, r);
		return BERTH_E_NOMEM;
	}
	for (;;) {
		size_t n = 0;
		rc = store_read(u->store, r, buf, 1 << 20, &n);
		if (rc || n == 0)
			break;
		digest_hasher_update(&h, buf, n);
	}
	free(buf);
	store_reader_close(u->store, r);
	if (rc == BERTH_OK) {
		*bytes = h.bytes;
		digest_hasher_final(&h, out);
	}
	return rc;
}

/*
 * Put the verified upload data at `d`'s content address, unless a blob of
 * the verified size is there already; then make sure storage holds that
 * many bytes there.  BERTH_OK, REGISTRY_UPLOAD_E_SIZE (res->stored and
 * res->verified) or a storage status.
 */
static int publish_blob(registry_upload *u, const char *data,
			const berth_digest *d, uint64_t size,
			registry_upload_result *res)
{
	char blob[BERTH_PATH_MAX], ds[BERTH_DIGEST_MAX];
	digest_format(d, ds);
	uint64_t stored;
	int rc = registry_blob_size(u->reg, d, &stored);
	if (rc == BERTH_OK && stored == size)
		return BERTH_OK;
	if (rc == BERTH_OK) {
		/* Content of another length cannot hash to this digest: the
		   stored blob is corrupt, and this upload is the cure. */
		LOG_WARN("blob %s holds %" PRIu64 " bytes, but its content "
			 "has %" PRIu64 ": replacing it with the verified "
			 "upload", ds, stored, size);
	} else if (rc != BERTH_E_NOT_FOUND) {
		return rc;
	}
	rc = store_move(u->store, data, layout_blob_data(blob, d));
	if (rc == BERTH_OK)
		rc = registry_blob_size(u->reg, d, &stored);
	if (rc)
		return rc;
	if (stored != size) {
		/* The driver kept other bytes than it committed: they must
		   not stand under this digest. */
		rc = store_remove(u->store, blob);
		LOG_ERROR("blob %s: storage holds %" PRIu64 " bytes after "
			  "the move, %" PRIu64 " were verified; removed (%s)",
			  ds, stored, size, store_status_name(rc));
		res->stored = stored;
		res->verified = size;
		return REGISTRY_UPLOAD_E_SIZE;
	}
	return BERTH_OK;
}

/* The digest of the committed data (`held` bytes): the incremental hash
   if it can stand for them, else a re-hash; *hashed is the byte count. */
static int committed_digest(registry_upload *u, const char *data,
			    digest_alg alg, uint64_t held,
			    berth_digest *got, uint64_t *hashed)
{
	/* The incremental hash stands for the committed data only if it
	   covers exactly the bytes the driver committed and no error met
	   the upload (see the top of the file). */
	int trusted = u->hash_valid && alg == BERTH_DIGEST_SHA256 &&
		      u->hash.bytes == held;
	/* A hash from this process's memo covers a size this process saw
	   confirmed, and the writer still holds exactly that many bytes:
	   append-only data means they are the bytes it hashed, whatever
	   another server met meanwhile.  A state read from storage may
	   come from a server that later met an error: ask for its mark. */
	if (trusted && u->announced && !u->memo_hash && marked(u))
		trusted = 0;
	*hashed = held;
	if (!trusted)
		return rehash(u, data, alg, got, hashed);
	digest_hasher_final(&u->hash, got);
	return BERTH_OK;
}

/*
 * The commit failed with BERTH_E_INVALID_ARGUMENT after the writer was
 * opened with `want` as a hint: a driver that verifies hints says the
 * bytes do not have that digest.  Believed unless the incremental hash,
 * covering every byte, says they do; then it is the driver's error.
 * REGISTRY_UPLOAD_E_DIGEST (the upload removed, res->digest the
 * content's if known) or `rc`.
 */
static int refused_by_hint(registry_upload *u, const berth_digest *want,
			   uint64_t held, int rc, registry_upload_result *res)
{
	int known = u->hash_valid && want->alg == BERTH_DIGEST_SHA256 &&
		    u->hash.bytes == held;
	if (known) {
		berth_hasher h = u->hash;
		digest_hasher_final(&h, &res->digest);
		if (digest_equal(&res->digest, want))
			return rc;
	}
	res->digest_unknown = !known;
	remove_upload(u);
	return REGISTRY_UPLOAD_E_DIGEST;
}

int registry_upload_finalize(registry_upload *u, const berth_digest *want,
			     registry_upload_result *res)
{
	char data[BERTH_PATH_MAX];
	memset(res, 0, sizeof *res);
	if (check_length(u))
		return REGISTRY_UPLOAD_E_LENGTH;
	layout_upload_data(data, u->name, u->id);
	uint64_t held = store_writer_size(u->store, u->w);
	int rc = store_commit(u->store, u->w);
	int rc2 = store_writer_close(u->store, u->w);
	u->w = NULL;
	if (rc == BERTH_E_INVALID_ARGUMENT && u->hinted &&
	    digest_equal(&u->hint_digest, want))
		rc = refused_by_hint(u, want, held, rc, res);
	if (rc == REGISTRY_UPLOAD_E_DIGEST)
		return rc;
	if (rc || rc2) {
		taint(u, 1);
		return rc ? rc : rc2;
	}
	uint64_t hashed;
	rc = committed_digest(u, data, want->alg, held, &res->digest, &hashed);
	if (rc)
		return rc;
	if (!digest_equal(&res->digest, want)) {
		remove_upload(u);
		return REGISTRY_UPLOAD_E_DIGEST;
	}
	rc = publish_blob(u, data, &res->digest, hashed, res);
	if (rc == BERTH_OK)
		rc = registry_link_blob(u->reg, u->name, &res->digest);
	if (rc)
		return rc;
	remove_upload(u);
	return BERTH_OK;
}

int registry_upload_cancel(registry_upload *u)
{
	if (claim_take(u->id))
		return REGISTRY_UPLOAD_E_BUSY;
	u->registered = 1;
	remove_upload(u);
	return BERTH_OK;
}

void registry_upload_close(registry_upload *u)
{
	if (!u)
		return;
	if (u->mark_pending)
		write_mark(u);
	if (u->w) {
		/* Data of an upload nobody can continue is about to go:
		   cancelling spares the flush. */
		if (!u->announced)
			store_cancel(u->store, u->w);
		int rc = store_writer_close(u->store, u->w);
		u->w = NULL;
		/* A request cut short keeps the bytes written so far; if
		   the close cannot keep them, they are not what was hashed. */
		if (rc)
			taint(u, 0);
	}
	/* A failed monolithic POST (or a start that failed before the id
	   was given out) leaves nothing: no client could cancel it. */
	if (!u->announced && !u->removed)
		remove_upload(u);
	if (u->registered)
		claim_release(u->id);
	free(u);
}

int registry_upload_mount(berth_registry *reg, const char *name,
			  const berth_digest *d, const char *from)
{
	int rc;
	if (from) {
		rc = registry_blob_linked(reg, from, d);
	} else {
		uint64_t size;
		rc = registry_blob_size(reg, d, &size) == BERTH_OK;
	}
	if (rc <= 0)
		return 0;
	rc = registry_link_blob(reg, name, d);
	return rc ? rc : 1;
}
