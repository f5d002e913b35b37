/*
 * registry/upload_memo.h - the hash state of each upload as this process left it
 * at the end of its last PATCH, so the next request on the upload neither
 * re-checks that the upload exists nor reads the saved hash state back
 * from storage (two round trips per PATCH on an object store).
 *
 * A memo is trusted only when the reopened writer holds exactly the
 * memo's byte count; anything else (another process appended, the upload
 * was removed) sends the caller back to storage.  Thread-safe; bounded.
 *
 * A memo can also say that the upload met a storage error in this process
 * (upload_memo_taint): from then on no hash of it is trusted, so its
 * digest is computed from the stored data when it closes.  The taint
 * stays until the memo is forgotten; a newer hash does not clear it.
 */
#ifndef BERTH_CORE_REGISTRY_UPLOAD_MEMO_H
#define BERTH_CORE_REGISTRY_UPLOAD_MEMO_H

#include <stdint.h>

#include "common/digest.h"

/* Remember `h` (covering h->bytes bytes) for upload `id` of `name`. */
void upload_memo_put(const char *name, const char *id, const berth_hasher *h);
/* 1 if upload `id` of `name` has a memo. */
int upload_memo_has(const char *name, const char *id);
/* 1 and the state in *out if the memo covers exactly `size` bytes and
   the upload is not tainted. */
int upload_memo_get(const char *name, const char *id, uint64_t size,
		    berth_hasher *out);
/* Record that upload `id` of `name` met a storage error. */
void upload_memo_taint(const char *name, const char *id);
/* 1 if upload `id` of `name` met a storage error in this process. */
int upload_memo_tainted(const char *name, const char *id);
void upload_memo_forget(const char *id);
/* Drop every memo (tests, shutdown). */
void upload_memo_clear(void);

#endif
