/*
 * registry/content.h - reading a stored blob's bytes (a layer, a config,
 * a manifest: all live in the content-addressed blob store) for a reply,
 * the fastest way the driver offers: a URL the client fetches itself, a
 * descriptor of a local file, or a reader.
 */
#ifndef BERTH_CORE_REGISTRY_CONTENT_H
#define BERTH_CORE_REGISTRY_CONTENT_H

#include <stddef.h>
#include <stdint.h>

#include "registry/registry.h"
#include "common/digest.h"

/**
 * A URL from which a client can `method` ("GET" or "HEAD") blob `d`
 * directly (malloc'd).  BERTH_E_UNSUPPORTED when the driver cannot
 * redirect or storage.redirect.disable is set; another status on error.
 */
int registry_content_redirect(berth_registry *reg, const berth_digest *d,
			      const char *method, char **url);

/** Non-zero when the driver hands out descriptors of local files. */
int registry_content_has_fd(const berth_registry *reg);

/**
 * A descriptor for reading blob `d` (the caller closes it), valid even
 * if the blob is replaced; BERTH_E_UNSUPPORTED without
 * registry_content_has_fd.
 */
int registry_content_fd(berth_registry *reg, const berth_digest *d, int *fd);

/** An open stream of blob `d` from byte `first`. */
typedef struct registry_reader registry_reader;

int registry_content_open(berth_registry *reg, const berth_digest *d,
			  uint64_t first, registry_reader **out);

/**
 * Read up to `cap` bytes; *n = 0 at the end.  0 or a storage status.
 * The argument is a registry_reader (void so it fits a stream callback).
 */
int registry_content_read(void *r, void *buf, size_t cap, size_t *n);

/** Release a reader (void *: see registry_content_read). */
void registry_content_close(void *r);

#endif
