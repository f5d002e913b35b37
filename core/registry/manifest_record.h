/*
 * registry/manifest_record.h - what reads need to know about a stored manifest,
 * recorded once when it is pushed, so that GET, HEAD, DELETE and the
 * referrers API never parse the manifest itself.
 *
 * The record lives next to the revision link (layout_revision_record)
 * and is JSON Lines, at most BERTH_RECORD_MAX bytes:
 *
 *   {"version":1,"mediaType":"<type>","size":<bytes>[,"subject":"<digest>"]}
 *   {["artifactType":"<type>"][,]["annotations":{<string members>}]}
 *
 * The first line is small and all that GET and HEAD read (the parse stops
 * after it).  The second line is there only for a manifest with a subject
 * that has an artifact type or annotations: only the referrers API shows
 * them.  `size` must equal
 * the stored manifest's size, or the record is not trusted (it then gets
 * rebuilt from the manifest).  A record is a pure function of the
 * manifest's bytes and the media type the push resolved, so a record
 * left behind by a delete that only removed the revision link (as
 * Distribution's delete does) is still right if the manifest comes back.
 */
#ifndef BERTH_CORE_REGISTRY_MANIFEST_RECORD_H
#define BERTH_CORE_REGISTRY_MANIFEST_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "common/digest.h"
#include "registry/manifest.h"

/** The referrer part (artifactType and annotations) of one record. */
#define BERTH_RECORD_REFERRER_MAX (64u * 1024)
/** A whole record: the referrer part plus the first line's fields. */
#define BERTH_RECORD_MAX (BERTH_RECORD_REFERRER_MAX + 1024)
/** Longest media type a record keeps (RFC 6838: 127 + "/" + 127). */
#define BERTH_RECORD_TYPE_MAX 255

typedef struct berth_manifest_record {
	char *media_type;       /* effective media type (malloc'd) */
	uint64_t size;          /* bytes of the stored manifest */
	int has_subject;
	berth_digest subject;
	char *artifact_type;    /* NULL if none or no subject */
	char *annotations_json; /* compact JSON object, NULL if none */
} berth_manifest_record;

/**
 * Whether what the referrers API lists of manifest `m` (artifactType and
 * compact annotations, kept only for a manifest with a subject) fits a
 * record: BERTH_RECORD_REFERRER_MAX bytes.  0, or -1 with the sizes in
 * err (errlen bytes).  A push refuses a manifest that does not fit
 * rather than list it without its annotations.
 */
int registry_record_fits(const berth_manifest *m, char *err, size_t errlen);

/**
 * The record of a manifest that passed registry_manifest_parse (`m`), of
 * `size` bytes.  Strings are copied.  A referrer part that does not fit
 * (registry_record_fits; a stored manifest, not a push) is left out as
 * registry_record_describe leaves it out.  0, or -1 when out of memory.
 */
int registry_record_from_manifest(const berth_manifest *m, uint64_t size,
			       berth_manifest_record *out);

/**
 * The record of stored manifest bytes that may never have passed
 * Berth's validation (written by Distribution or an older Berth):
 * lenient, as a reader must be.  The media type is the "mediaType"
 * member, or inferred as the OCI specification allows (an index has
 * "manifests", an image "config"), or Docker schema 1's; a type that is
 * not a plain header value, or bytes that cannot be parsed within the
 * manifest limits (registry/manifest.h), give "application/json".  Returns 0 when
 * the bytes were parsed, 1 when the record is that default (reason in
 * err), -1 when out of memory.
 */
int registry_record_describe(const char *data, size_t len,
			  berth_manifest_record *out, char *err,
			  size_t errlen);

/** The record's text (malloc'd) and its length in *len; NULL if OOM. */
char *registry_record_format(const berth_manifest_record *r, size_t *len);

/**
 * Parse a record's text.  With `full` zero only the first line is read
 * (artifact_type and annotations_json stay NULL).  0, or -1 if the text
 * is not a valid record (treat it as absent).
 */
int registry_record_parse(const char *data, size_t len, int full,
		       berth_manifest_record *out);

void registry_record_free(berth_manifest_record *r);

#endif
