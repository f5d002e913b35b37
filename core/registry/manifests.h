/*
 * registry/manifests.h - repository-level storage operations on manifests,
 * tags, the catalog and referrers, on top of the layout.  No HTTP here:
 * the API handlers (api/manifests.c, api/tags.c, api/referrers.c) and
 * offline tools share these.
 */
#ifndef BERTH_CORE_REGISTRY_MANIFESTS_H
#define BERTH_CORE_REGISTRY_MANIFESTS_H

#include <stddef.h>
#include <stdint.h>

#include "registry/registry.h"
#include "common/digest.h"
#include "registry/manifest.h"
#include "registry/manifest_record.h"

/**
 * Whether repository `name` holds manifest `d`: its revision link names
 * that digest and the manifest's blob data exists.  1, 0 or a negative
 * storage error.
 */
int registry_manifest_exists(berth_registry *reg, const char *name,
			     const berth_digest *d);

/** registry_manifest_exists that also reports the manifest's size when 1. */
int registry_manifest_exists_size(berth_registry *reg, const char *name,
				  const berth_digest *d, uint64_t *size);

/**
 * Resolve `ref` (a tag or a digest string) to the digest of a manifest
 * held by the repository.  BERTH_OK, BERTH_E_NOT_FOUND (unknown tag or
 * revision), BERTH_E_INVALID_ARGUMENT (neither a valid tag nor a valid
 * digest), or another storage error.
 */
int registry_manifest_resolve(berth_registry *reg, const char *name,
			      const char *ref, berth_digest *out);

/** registry_manifest_resolve that also reports the manifest's size. */
int registry_manifest_resolve_size(berth_registry *reg, const char *name,
				   const char *ref, berth_digest *out,
				   uint64_t *size);

/** Read the stored bytes of manifest `d` (malloc'd, NUL-terminated). */
int registry_manifest_read(berth_registry *reg, const berth_digest *d,
			   char **data, size_t *len);

/**
 * The media type of stored manifest bytes, as registry_record_describe
 * finds it (a bounded parse).  Writes into buf (cap bytes), returns it.
 */
const char *registry_manifest_media_type(const char *data, size_t len, char *buf,
				     size_t cap);

enum {
	REPO_RECORD_FULL = 1 << 0,     /* also artifactType and annotations */
	REPO_RECORD_NO_WRITE = 1 << 1, /* never write a rebuilt record back */
};

/**
 * The record of manifest `d` of repository `name`, which the caller found
 * present with `size` bytes (registry_manifest_exists_size).  One small read
 * when the record is there and its size matches; otherwise (a revision
 * written by Distribution or an older Berth, or a damaged record) it is
 * rebuilt from a bounded parse of the manifest (registry_record_describe;
 * what cannot be parsed within the limits is described as
 * application/json, with a warning in the log) and written back, unless
 * REPO_RECORD_NO_WRITE or the registry is read-only.  Free *out with
 * registry_record_free.  BERTH_OK or a storage error.
 */
int registry_manifest_record(berth_registry *reg, const char *name,
			     const berth_digest *d, uint64_t size, int flags,
			     berth_manifest_record *out);

/**
 * The media type manifest `d` (`size` bytes, found present by the
 * caller) is served with, into mt (cap bytes): from the in-process cache
 * of recent answers (registry/record_cache.h) or its record (registry_manifest_record,
 * which may rebuild it).  BERTH_OK or a storage error.
 */
int registry_manifest_served_type(berth_registry *reg, const char *name,
				  const berth_digest *d, uint64_t size,
				  char *mt, size_t cap);

/** Why registry_manifest_put refused a manifest (a positive return). */
enum {
	REPO_PUT_OK = 0,
	REPO_PUT_MISSING = 1,       /* a reference is not in the repository */
	REPO_PUT_SIZE_MISMATCH = 2, /* a descriptor's size is not the stored */
};

typedef struct repo_put_problem {
	berth_digest digest; /* the reference */
	int is_manifest;     /* a child manifest, else a blob */
	long long declared;  /* the size its descriptor gives */
	uint64_t stored;     /* the size stored (REPO_PUT_SIZE_MISMATCH) */
} repo_put_problem;

/**
 * Store a parsed manifest `m` (bytes `data`, digest `d`) in repository
 * `name`, tagged `tag` unless NULL.  Every blob it references must be in
 * the repository and every child manifest of an index must be a revision
 * of it, each of the size its descriptor gives; otherwise nothing is
 * written and the call returns REPO_PUT_MISSING or
 * REPO_PUT_SIZE_MISMATCH with *problem describing the first reference at
 * fault.  Write order: blob data, record, revision link, referrer link,
 * tag index link, tag current link (last, so a tag only ever names a
 * complete manifest).  BERTH_OK, a REPO_PUT_* or a storage error.
 */
int registry_manifest_put(berth_registry *reg, const char *name,
			  const char *tag, const berth_digest *d,
			  const char *data, size_t len, const berth_manifest *m,
			  repo_put_problem *problem);

/**
 * Delete manifest `d` from repository `name`: every tag whose current
 * link names it, its referrer link (if its record names a subject) and
 * its revision directory (link and record).  The blob data stays
 * (garbage collection's job).
 * BERTH_E_NOT_FOUND if the repository does not hold it.
 */
int registry_manifest_delete(berth_registry *reg, const char *name,
			     const berth_digest *d);

/** Delete tag `tag`; BERTH_E_NOT_FOUND if there is none. */
int registry_tag_delete(berth_registry *reg, const char *name, const char *tag);

/** 1 if repository `name` exists (has _manifests, _layers or _uploads). */
int registry_repo_exists(berth_registry *reg, const char *name);

/**
 * The tags of repository `name`, sorted (byte order).  *out is a malloc'd
 * array of malloc'd strings (free with registry_strv_free).  A repository
 * without tags gives an empty list; an unknown one BERTH_E_NOT_FOUND.
 */
int registry_tags_list(berth_registry *reg, const char *name, char ***out,
		       size_t *n);

/**
 * One page of tags: those after `last` (NULL: from the start), at most
 * `limit`; *more says whether tags remain after the page.
 */
int registry_tags_page(berth_registry *reg, const char *name, const char *last,
		       size_t limit, char ***out, size_t *n, int *more);

/**
 * Every repository name, in walk order: component by component, each
 * level in byte order (as Distribution's catalog), e.g. "a", "a/x", "a-b".
 */
int registry_catalog(berth_registry *reg, char ***out, size_t *n);

/** One page of the catalog: names after `last`, at most `limit`. */
int registry_catalog_page(berth_registry *reg, const char *last, size_t limit,
			  char ***out, size_t *n, int *more);

void registry_strv_free(char **v, size_t n);

/** A manifest whose subject is some other manifest. */
typedef struct registry_referrer {
	berth_digest digest;
	uint64_t size;
	char *media_type;
	char *artifact_type;    /* NULL if none */
	char *annotations_json; /* NULL if none */
} registry_referrer;

/** Called per referrer; `r` is borrowed.  Non-zero stops the walk. */
typedef int (*repo_referrer_cb)(const registry_referrer *r, void *payload);

/**
 * The manifests of repository `name` whose subject is `subject`, in
 * digest order ("sha256:..." before "sha512:...", then by hex), those
 * after `after` only (NULL: from the first), each described from its
 * record (registry_manifest_record), never by parsing the manifest.  The
 * walk resumes after `after` and stops when `cb` says so, so a page costs
 * what it holds.  An unknown subject calls nothing.  BERTH_OK or a
 * storage error.
 */
int registry_referrers_walk(berth_registry *reg, const char *name,
			    const berth_digest *subject,
			    const berth_digest *after, repo_referrer_cb cb,
			    void *payload);

/** Every referrer of `subject` (registry_referrers_walk), in digest order. */
int registry_referrers(berth_registry *reg, const char *name,
		       const berth_digest *subject, registry_referrer **out,
		       size_t *n);

void registry_referrers_free(registry_referrer *v, size_t n);

#endif
