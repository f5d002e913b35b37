/*
 * repo_manifests.h - repository-level storage operations on manifests,
 * tags, the catalog and referrers, on top of the layout.  No HTTP here:
 * the API handlers (api_manifests.c, api_tags.c, api_referrers.c) and
 * offline tools share these.
 */
#ifndef BERTH_CORE_REPO_MANIFESTS_H
#define BERTH_CORE_REPO_MANIFESTS_H

#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "digest.h"
#include "manifest.h"

/**
 * Whether repository `name` holds manifest `d`: its revision link names
 * that digest and the manifest's blob data exists.  1, 0 or a negative
 * storage error.
 */
int repo_manifest_exists(berth_app *app, const char *name,
			 const berth_digest *d);

/**
 * Resolve `ref` (a tag or a digest string) to the digest of a manifest
 * held by the repository.  BERTH_OK, BERTH_E_NOT_FOUND (unknown tag or
 * revision), BERTH_E_INVALID_ARGUMENT (neither a valid tag nor a valid
 * digest), or another storage error.
 */
int repo_manifest_resolve(berth_app *app, const char *name, const char *ref,
			  berth_digest *out);

/** Read the stored bytes of manifest `d` (malloc'd, NUL-terminated). */
int repo_manifest_read(berth_app *app, const berth_digest *d, char **data,
		       size_t *len);

/**
 * The media type of stored manifest bytes: the "mediaType" member, or
 * inferred the way the OCI spec allows (index with "manifests", image
 * with "config"), or a Docker schema 1 type.  Writes into buf (cap bytes)
 * and returns it.
 */
const char *repo_manifest_media_type(const char *data, size_t len, char *buf,
				     size_t cap);

/**
 * Store a parsed manifest `m` (bytes `data`, digest `d`) in repository
 * `name`, tagged `tag` unless NULL.  Every blob it references must be in
 * the repository and every child manifest of an index must be a revision
 * of it; otherwise nothing is written, *missing names the first absent
 * reference and the call returns 1.  Write order: blob data, revision
 * link, referrer link, tag index link, tag current link (last, so a tag
 * only ever names a complete manifest).  BERTH_OK, 1, or a storage error.
 */
int repo_manifest_put(berth_app *app, const char *name, const char *tag,
		      const berth_digest *d, const char *data, size_t len,
		      const berth_manifest *m, berth_digest *missing);

/**
 * Delete manifest `d` from repository `name`: every tag whose current
 * link names it, its referrer link (if it has a subject) and its revision
 * link.  The blob data stays (garbage collection's job).
 * BERTH_E_NOT_FOUND if the repository does not hold it.
 */
int repo_manifest_delete(berth_app *app, const char *name,
			 const berth_digest *d);

/** Delete tag `tag`; BERTH_E_NOT_FOUND if there is none. */
int repo_tag_delete(berth_app *app, const char *name, const char *tag);

/** 1 if repository `name` exists (has _manifests, _layers or _uploads). */
int repo_exists(berth_app *app, const char *name);

/**
 * The tags of repository `name`, sorted (byte order).  *out is a malloc'd
 * array of malloc'd strings (free with repo_strv_free).  A repository
 * without tags gives an empty list; an unknown one BERTH_E_NOT_FOUND.
 */
int repo_tags_list(berth_app *app, const char *name, char ***out, size_t *n);

/**
 * One page of tags: those after `last` (NULL: from the start), at most
 * `limit`; *more says whether tags remain after the page.
 */
int repo_tags_page(berth_app *app, const char *name, const char *last,
		   size_t limit, char ***out, size_t *n, int *more);

/**
 * Every repository name, in walk order: component by component, each
 * level in byte order (as Distribution's catalog), e.g. "a", "a/x", "a-b".
 */
int repo_catalog(berth_app *app, char ***out, size_t *n);

/** One page of the catalog: names after `last`, at most `limit`. */
int repo_catalog_page(berth_app *app, const char *last, size_t limit,
		      char ***out, size_t *n, int *more);

void repo_strv_free(char **v, size_t n);

/** A manifest whose subject is some other manifest. */
typedef struct repo_referrer {
	berth_digest digest;
	uint64_t size;
	char *media_type;
	char *artifact_type;    /* NULL if none */
	char *annotations_json; /* NULL if none */
} repo_referrer;

/**
 * The manifests of repository `name` whose subject is `subject`, sorted
 * by digest.  An unknown subject gives an empty list.
 */
int repo_referrers(berth_app *app, const char *name,
		   const berth_digest *subject, repo_referrer **out,
		   size_t *n);

void repo_referrers_free(repo_referrer *v, size_t n);

#endif
