/*
 * manifest.h - parsing and validation of manifests on PUT: OCI image
 * manifest, OCI image index, Docker schema 2 manifest and manifest list.
 */
#ifndef BERTH_CORE_MANIFEST_H
#define BERTH_CORE_MANIFEST_H

#include <stddef.h>

#include "digest.h"

#define BERTH_MANIFEST_MAX (4u * 1024 * 1024)

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_OCI_EMPTY "application/vnd.oci.empty.v1+json"

typedef enum berth_manifest_kind {
	BERTH_MANIFEST_IMAGE, /* OCI manifest or Docker schema 2 */
	BERTH_MANIFEST_INDEX, /* OCI index or Docker manifest list */
} berth_manifest_kind;

/** A descriptor the manifest references. */
typedef struct berth_manifest_ref {
	berth_digest digest;
	long long size;
	int is_manifest; /* index entry (a child manifest), else a blob */
} berth_manifest_ref;

typedef struct berth_manifest {
	berth_manifest_kind kind;
	char *media_type;    /* effective media type (malloc'd) */
	char *artifact_type; /* artifactType, or config.mediaType for images
				(malloc'd, NULL if none) */
	int has_subject;
	berth_digest subject;
	size_t nrefs;
	berth_manifest_ref *refs; /* config first, then layers; or children */
	char *annotations_json;   /* compact JSON of "annotations" or NULL */
} berth_manifest;

/**
 * Parse and validate `len` bytes of manifest JSON.  `content_type` is the
 * request's Content-Type (may be NULL).  The media type is taken from the
 * JSON "mediaType" member; if it is absent, from content_type; they must
 * agree when both are present.  Checks schemaVersion 2, required
 * descriptors, digest syntax, non-negative sizes.  Unknown media types
 * are rejected.
 *
 * Returns 0 and fills *out (free with berth_manifest_free), or -1 with a
 * human-readable reason in errbuf (MANIFEST_INVALID), or -2 when a
 * descriptor digest uses an unsupported algorithm.
 */
int berth_manifest_parse(const char *data, size_t len,
			 const char *content_type, berth_manifest *out,
			 char *errbuf, size_t errlen);

void berth_manifest_free(berth_manifest *m);

/** Non-zero if mt is one of the four manifest media types Berth stores. */
int berth_manifest_media_type_known(const char *mt);

#endif
