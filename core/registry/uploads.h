/*
 * registry/uploads.h - blob uploads in storage: start, resume, append,
 * end of a chunk, finalize (verify, publish, link), cancel, and mounts.
 * No HTTP here: the functions return storage statuses (berth_status) or
 * one of the REGISTRY_UPLOAD_E_* codes below, fill what the caller asked
 * for and never reply; api/uploads.c turns that into answers.  The
 * integrity rules these functions keep are written at the top of
 * registry/uploads.c.
 *
 * A request works on one upload through a handle:
 *
 *   registry_upload_new       a fresh id, nothing stored yet; then
 *     registry_upload_start   startedat, and
 *     registry_upload_hand_out  the owner: the client may continue it; or
 *     registry_upload_open    (monolithic POST ?digest=: the body is the
 *                             whole blob, the id never leaves the request)
 *   registry_upload_find      an existing upload;
 *     registry_upload_owned_by  may the caller's account continue it?
 *     registry_upload_hint    (optional) the digest and size to come,
 *                             for drivers that take hints
 *     registry_upload_open    claim it and reopen its data for appending
 *   registry_upload_write     append a piece of the body, hashing it
 *   registry_upload_end_chunk close the data, keep the hash state, or
 *   registry_upload_finalize  commit, verify, move into the blob store
 *                             and link into the repository
 *   registry_upload_cancel    remove the upload
 *   registry_upload_close     always, once, at the end of the request
 *
 * Storage errors: when a function returns a storage status, the driver's
 * detail for it (registry/status.h) is still the calling thread's last;
 * whatever the module does about the error in storage (the `rehash`
 * mark) waits for registry_upload_close, so the caller can answer with
 * that detail first.
 *
 * A handle belongs to one request at a time; the functions may block on
 * storage.  Different handles may be used on different threads.
 */
#ifndef BERTH_CORE_REGISTRY_UPLOADS_H
#define BERTH_CORE_REGISTRY_UPLOADS_H

#include <stddef.h>
#include <stdint.h>

#include "registry/registry.h"
#include "common/digest.h"

/* Codes of their own, outside the driver statuses. */
enum {
	/** No such upload, or not one the caller may continue. */
	REGISTRY_UPLOAD_E_UNKNOWN = -1100,
	/** Another request of this process is working on the upload. */
	REGISTRY_UPLOAD_E_BUSY = -1101,
	/** The owner of a new upload could not be recorded. */
	REGISTRY_UPLOAD_E_OWNER = -1102,
	/** The chunk's length is not the length it was announced with. */
	REGISTRY_UPLOAD_E_LENGTH = -1103,
	/** The content does not have the digest the upload was closed with. */
	REGISTRY_UPLOAD_E_DIGEST = -1104,
	/** After the move, storage holds another size than was verified. */
	REGISTRY_UPLOAD_E_SIZE = -1105,
};

/** Room for an upload id (a lower-case UUID) and its NUL. */
#define REGISTRY_UPLOAD_ID_MAX 40

typedef struct registry_upload registry_upload;

/** What registry_upload_finalize found. */
typedef struct registry_upload_result {
	/** The content's digest: the blob's, or (E_DIGEST) what the
	    content hashed to. */
	berth_digest digest;
	/** E_SIZE: the bytes storage holds at the blob's address, and the
	    bytes that were verified. */
	uint64_t stored, verified;
	/** E_DIGEST: the driver refused the content for the digest hinted
	    to it (BERTH_CAP_WRITER_HINTS) and the content's own digest is
	    not known; `digest` means nothing. */
	int digest_unknown;
} registry_upload_result;

/**
 * A handle on a new upload of repository `name` under a fresh random id.
 * Nothing is stored until registry_upload_start or registry_upload_open.
 * BERTH_OK or BERTH_E_NOMEM.
 */
int registry_upload_new(berth_registry *reg, const char *name,
			registry_upload **out);

/**
 * Store the new upload's `startedat`.  A storage status on error; the
 * close then removes what was written.
 */
int registry_upload_start(registry_upload *u);

/**
 * The id goes to the client: record `owner` as the account that alone
 * may continue the upload (`owner` NULL: access control is off, nothing
 * to record).  From BERTH_OK on the upload outlives the request; on
 * REGISTRY_UPLOAD_E_OWNER the close removes it.
 */
int registry_upload_hand_out(registry_upload *u, const char *owner);

/**
 * A handle on upload `id` of repository `name`, if it exists.  BERTH_OK,
 * REGISTRY_UPLOAD_E_UNKNOWN, BERTH_E_NOMEM or another storage status.
 * The caller checks the id's syntax.
 */
int registry_upload_find(berth_registry *reg, const char *name, const char *id,
			 registry_upload **out);

/**
 * Access control: BERTH_OK if `account` started the upload, else
 * REGISTRY_UPLOAD_E_UNKNOWN (an upload whose owner was never recorded
 * is nobody's), or a storage status.
 */
int registry_upload_owned_by(registry_upload *u, const char *account);

/**
 * What the request knows of the whole blob, before registry_upload_open:
 * the digest it must have (`want`, NULL when not known) and its total
 * size (UINT64_MAX when not known).  Passed to a driver that takes hints
 * (BERTH_CAP_WRITER_HINTS) when the data is opened; the digest is
 * verified at the close whatever the driver does with it.
 */
void registry_upload_hint(registry_upload *u, const berth_digest *want,
			  uint64_t size);

/**
 * Claim the upload for this request and reopen its data for appending,
 * with the hash of what it holds when that can be trusted.
 * REGISTRY_UPLOAD_E_BUSY, BERTH_E_NOT_FOUND (removed meanwhile), or a
 * storage status.
 */
int registry_upload_open(registry_upload *u);

/** The upload's id (NUL-terminated). */
const char *registry_upload_id(const registry_upload *u);

/** Bytes the upload holds: once open, and after registry_upload_write
    and registry_upload_end_chunk. */
uint64_t registry_upload_size(const registry_upload *u);

/** The request announced `len` bytes (Content-Range): the end of the
    chunk refuses another count with REGISTRY_UPLOAD_E_LENGTH. */
void registry_upload_expect(registry_upload *u, uint64_t len);

/**
 * Append `len` bytes and hash them (no copy).  BERTH_OK or the storage
 * status of the write; after an error no hash of the upload is trusted
 * (it is a "taint", see registry/uploads.c).
 */
int registry_upload_write(registry_upload *u, const void *data, size_t len);

/**
 * End of a chunk: close the data and save the hash state for the size
 * the driver confirmed; registry_upload_size is then that size.
 * BERTH_OK, REGISTRY_UPLOAD_E_LENGTH or the storage status of the close.
 */
int registry_upload_end_chunk(registry_upload *u);

/**
 * Close the upload as blob `want`: commit its data, verify the digest
 * (from the incremental hash or by hashing the stored data again), move
 * the data to its content address and link it into the repository; the
 * upload is removed.  BERTH_OK with res->digest; REGISTRY_UPLOAD_E_DIGEST
 * (the upload is removed) with res->digest the content's;
 * REGISTRY_UPLOAD_E_SIZE (nothing published) with res->stored and
 * res->verified; REGISTRY_UPLOAD_E_LENGTH; or a storage status.
 */
int registry_upload_finalize(registry_upload *u, const berth_digest *want,
			     registry_upload_result *res);

/**
 * Remove the upload (its data, startedat and hash states).
 * REGISTRY_UPLOAD_E_BUSY, else BERTH_OK (a removal storage refuses is
 * logged: the purger finishes it).
 */
int registry_upload_cancel(registry_upload *u);

/**
 * The end of the request: close the data if still open (a request cut
 * short keeps what it wrote), record a storage error met on the way,
 * remove an upload no client can continue (one whose start or monolithic
 * POST failed), release the claim and free the handle.  NULL is a no-op.
 */
void registry_upload_close(registry_upload *u);

/**
 * Cross-repository mount: link blob `d` into repository `name` if
 * repository `from` holds it, or (`from` NULL) if the blob store does
 * (automatic mount).  The caller checks that the account may pull from
 * `from` and that it is a valid name.  1 when linked, 0 when there is
 * nothing to mount (or it cannot be looked up: a plain upload starts
 * instead), or the negative storage status of the link.
 */
int registry_upload_mount(berth_registry *reg, const char *name,
			  const berth_digest *d, const char *from);

#endif
