/*
 * registry/manifest.h - parsing and validation of manifests on PUT: OCI image
 * manifest, OCI image index, Docker schema 2 manifest and manifest list.
 */
#ifndef BERTH_CORE_REGISTRY_MANIFEST_H
#define BERTH_CORE_REGISTRY_MANIFEST_H

#include <stddef.h>

#include "common/digest.h"
#include "common/json_limits.h"

#define BERTH_MANIFEST_MAX (4u * 1024 * 1024)

/*
 * Limits of every parse of a manifest, pushed or stored (common/json_limits.h).
 *
 * Measured with jansson 2.14 and glibc on x86-64 (heap counted as
 * json_limits counts it), for documents just under BERTH_MANIFEST_MAX:
 *
 *   shape (4 MiB)                                heap     values  depth
 *   index, 9,700 platform manifests, 3 annots.   24 MiB   125 k   5
 *   index, 21,000 plain platform manifests       27 MiB   144 k   5
 *   image, 18,600 layers with a title annotation 22 MiB   112 k   5
 *   image, 26,900 plain layers                   20 MiB   108 k   4
 *   artifact, 138,000 short annotations          28 MiB   138 k   3
 *   artifact, 4 annotations of 1 MiB each         5 MiB    14     3
 *   padding "x":[1,1,...]                        80 MiB   2.1 M   3
 *   padding "x":[{},{},...]                     315 MiB   1.4 M   3
 *   padding "x":[[],[],...]                     187 MiB   1.4 M   3
 *   padding "x":["","",...]                     123 MiB   1.4 M   3
 *   padding "x":[{"a":1},...]                   172 MiB   1.0 M   4
 *
 * Real manifests cost at most 7 bytes of heap per byte of text and at
 * least 29 bytes of text per value; padding costs 20 to 79 bytes of heap
 * per byte and 2 to 4 bytes of text per value.  The bounds keep 1.7 times
 * the largest real-world figure: 48 MiB of heap and 256 Ki values, so
 * every real-world shape up to the size limit passes and every padding
 * above is refused, by both bounds.  Manifests nest 5 deep; 32 levels is
 * generous and still keeps the walk over the tree shallow.
 *
 * Parses of manifests take one of json_limits_slots() slots, so at most
 * that many budgets are held at once (192 MiB on 2 CPUs).
 */
#define BERTH_MANIFEST_JSON_BUDGET (48u << 20)
#define BERTH_MANIFEST_MAX_VALUES (256u * 1024)
#define BERTH_MANIFEST_MAX_DEPTH 32

/** The limits above, as json_limits_loadb takes them. */
extern const json_limits registry_manifest_json_limits;

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
 * are rejected, and so is JSON beyond the limits above ("manifest JSON
 * too complex: ...").  A push also checks registry_record_fits
 * (registry/manifest_record.h).
 *
 * Returns 0 and fills *out (free with registry_manifest_free), or -1 with a
 * human-readable reason in errbuf (MANIFEST_INVALID), or -2 when a
 * descriptor digest uses an unsupported algorithm.
 */
int registry_manifest_parse(const char *data, size_t len,
			 const char *content_type, berth_manifest *out,
			 char *errbuf, size_t errlen);

void registry_manifest_free(berth_manifest *m);

/** Non-zero if mt is one of the four manifest media types Berth stores. */
int registry_manifest_media_type_known(const char *mt);

#endif
