/*
 * registry/record_cache.h - the media types of manifests read lately, so that a
 * manifest GET or HEAD needs no storage read beyond finding the manifest.
 *
 * Keyed by storage instance, repository and digest; holds a bounded
 * number of entries (RECORD_CACHE_ENTRIES, replaced on collision).  It
 * replaces only the read of the record (registry/manifest_record.h), never the
 * check that the manifest is there: a reader first resolves the
 * reference (revision link and data stat), and only then asks the cache.
 * So a delete, by this process or another one on the same storage, is
 * seen at once.  What a record says is a function of the manifest's
 * bytes and the media type its push resolved, which only changes if the
 * same bytes are pushed again under another Content-Type (possible only
 * for a manifest without a mediaType member that has both "config" and
 * "manifests"); a push or delete in this process forgets the entry, one
 * in another process is seen once the entry is replaced.
 */
#ifndef BERTH_CORE_REGISTRY_RECORD_CACHE_H
#define BERTH_CORE_REGISTRY_RECORD_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "common/digest.h"

#define RECORD_CACHE_ENTRIES 1024

/** 1 and the media type in mt (cap bytes) if cached with this size. */
int record_cache_get(const void *store, const char *name,
		     const berth_digest *d, uint64_t size, char *mt,
		     size_t cap);

/** Remember the media type of manifest `d` (`size` bytes) of `name`. */
void record_cache_put(const void *store, const char *name,
		      const berth_digest *d, uint64_t size, const char *mt);

/** Forget manifest `d` of `name` (a push or delete changed it). */
void record_cache_forget(const void *store, const char *name,
			 const berth_digest *d);

#endif
