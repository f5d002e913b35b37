/*
 * registry/content.c - reading stored blobs (see registry/content.h).
 */
#include <stdlib.h>

#include "registry/content.h"
#include "registry/layout.h"
#include "storage/store.h"

struct registry_reader {
	berth_store *store;
	berth_reader *r;
};

int registry_content_redirect(berth_registry *reg, const berth_digest *d,
			      const char *method, char **url)
{
	char path[BERTH_PATH_MAX];
	if (reg->cfg->redirect_disabled ||
	    !(reg->store.d->capabilities & BERTH_CAP_REDIRECT))
		return BERTH_E_UNSUPPORTED;
	return store_redirect(&reg->store, layout_blob_data(path, d), method,
			      url);
}

int registry_content_has_fd(const berth_registry *reg)
{
	return (reg->store.d->capabilities & BERTH_CAP_FILE_DESCRIPTOR) != 0;
}

int registry_content_fd(berth_registry *reg, const berth_digest *d, int *fd)
{
	char path[BERTH_PATH_MAX];
	uint64_t size;
	return store_open_fd(&reg->store, layout_blob_data(path, d), fd, &size);
}

int registry_content_open(berth_registry *reg, const berth_digest *d,
			  uint64_t first, registry_reader **out)
{
	char path[BERTH_PATH_MAX];
	registry_reader *rr = calloc(1, sizeof *rr);
	if (!rr)
		return BERTH_E_NOMEM;
	rr->store = &reg->store;
	int rc = store_reader(&reg->store, layout_blob_data(path, d),
			      (int64_t)first, &rr->r);
	if (rc) {
		free(rr);
		return rc;
	}
	*out = rr;
	return BERTH_OK;
}

int registry_content_read(void *r, void *buf, size_t cap, size_t *n)
{
	registry_reader *rr = r;
	return store_read(rr->store, rr->r, buf, cap, n);
}

void registry_content_close(void *r)
{
	registry_reader *rr = r;
	if (!rr)
		return;
	store_reader_close(rr->store, rr->r);
	free(rr);
}
