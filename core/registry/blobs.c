/*
 * registry/blobs.c - blob-level repository operations on top of the layout.
 *
 * A blob belongs to a repository when the repository's layer link names
 * it and the blob's data exists in the shared, content-addressed store;
 * checking both keeps a dangling link (left by an interrupted delete or
 * an external tool) from being served as present.
 */
#include <stdlib.h>
#include <string.h>

#include "registry/blobs.h"
#include "registry/layout.h"

int registry_blob_size(berth_registry *reg, const berth_digest *d,
		       uint64_t *size)
{
	char path[BERTH_PATH_MAX];
	berth_stat_info st;
	int rc = store_stat(&reg->store, layout_blob_data(path, d), &st);
	if (rc)
		return rc;
	if (st.is_dir)
		return BERTH_E_NOT_FOUND;
	*size = st.size;
	return BERTH_OK;
}

int registry_read_link(berth_registry *reg, const char *path, berth_digest *out)
{
	char *buf = NULL;
	size_t len = 0;
	int rc = store_get(&reg->store, path, &buf, &len);
	if (rc)
		return rc;
	/* Tolerate a trailing newline written by other tools. */
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r' ||
		       buf[len - 1] == ' '))
		buf[--len] = 0;
	rc = strlen(buf) == len && digest_parse(buf, out) == 0
		     ? BERTH_OK
		     : REGISTRY_E_CORRUPT_LINK;
	free(buf);
	return rc;
}

int registry_write_link(berth_registry *reg, const char *path,
			const berth_digest *d)
{
	char text[BERTH_DIGEST_MAX];
	digest_format(d, text);
	return store_put(&reg->store, path, text, strlen(text));
}

int registry_blob_linked(berth_registry *reg, const char *name,
			 const berth_digest *d)
{
	uint64_t size;
	return registry_blob_linked_size(reg, name, d, &size);
}

int registry_blob_linked_size(berth_registry *reg, const char *name,
			      const berth_digest *d, uint64_t *size)
{
	char path[BERTH_PATH_MAX];
	berth_digest linked;
	int rc = registry_read_link(reg, layout_layer_link(path, name, d),
				    &linked);
	if (rc == BERTH_E_NOT_FOUND || (rc == BERTH_OK &&
					!digest_equal(&linked, d)))
		return 0;
	if (rc == REGISTRY_E_CORRUPT_LINK)
		return 0; /* a corrupt link does not make the blob present */
	if (rc)
		return rc;
	rc = registry_blob_size(reg, d, size);
	if (rc == BERTH_E_NOT_FOUND)
		return 0;
	return rc ? rc : 1;
}

int registry_link_blob(berth_registry *reg, const char *name,
		       const berth_digest *d)
{
	char path[BERTH_PATH_MAX];
	return registry_write_link(reg, layout_layer_link(path, name, d), d);
}

int registry_unlink_blob(berth_registry *reg, const char *name,
			 const berth_digest *d)
{
	char path[BERTH_PATH_MAX];
	layout_layer_link(path, name, d);
	/* Remove the <hex> directory holding the link. */
	char *slash = strrchr(path, '/');
	if (slash)
		*slash = 0;
	return store_remove(&reg->store, path);
}
