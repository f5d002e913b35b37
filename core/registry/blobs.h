/*
 * registry/blobs.h - repository-level storage operations on blobs, on top of the
 * layout: what "blob X is in repository R" means, and linking.  Shared by
 * the API handlers and the offline tools.
 */
#ifndef BERTH_CORE_REGISTRY_BLOBS_H
#define BERTH_CORE_REGISTRY_BLOBS_H

#include <stdint.h>

#include "registry/registry.h"
#include "common/digest.h"

/**
 * Size of the blob's data in the global blob store.  Returns BERTH_OK,
 * BERTH_E_NOT_FOUND, or another storage error.
 */
int registry_blob_size(berth_registry *reg, const berth_digest *d,
		       uint64_t *size);

/**
 * Whether repository `name` holds blob `d`: its layer link exists, names
 * that digest, and the blob data exists.  Returns 1, 0, or a negative
 * storage error.
 */
int registry_blob_linked(berth_registry *reg, const char *name,
			 const berth_digest *d);

/** registry_blob_linked that also reports the blob's size when it is 1. */
int registry_blob_linked_size(berth_registry *reg, const char *name,
			      const berth_digest *d, uint64_t *size);

/** Create (or re-write) the layer link of `d` in repository `name`. */
int registry_link_blob(berth_registry *reg, const char *name,
		       const berth_digest *d);

/** Remove the layer link; BERTH_E_NOT_FOUND if there was none. */
int registry_unlink_blob(berth_registry *reg, const char *name,
			 const berth_digest *d);

/**
 * A link file whose content is not a digest.  Core-internal, outside the
 * driver status codes: a driver's BERTH_E_IO (a failed read) must stay
 * an error answered with a 5xx, while a corrupt link makes what it links
 * absent.
 */
#define REGISTRY_E_CORRUPT_LINK (-1000)

/**
 * Read a link file at `path` and parse the digest in it.  Returns
 * BERTH_OK, BERTH_E_NOT_FOUND, REGISTRY_E_CORRUPT_LINK, or the storage error
 * of the read.
 */
int registry_read_link(berth_registry *reg, const char *path,
		       berth_digest *out);

/** Write a link file holding `d` (atomically, through put_content). */
int registry_write_link(berth_registry *reg, const char *path,
			const berth_digest *d);

#endif
