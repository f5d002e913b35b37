/*
 * storage/store.h - the core's handle on its storage: a driver instance plus the
 * loaded driver, with thin wrappers that fill in defaults for optional
 * members.  Every core module talks to storage through these.
 */
#ifndef BERTH_CORE_STORAGE_STORE_H
#define BERTH_CORE_STORAGE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <berth/storage.h>

#include "storage/driver_loader.h"

typedef struct berth_store {
	berth_driver *driver;
	berth_instance *inst;
	const berth_storage_driver *d; /* == &driver->desc */
} berth_store;

/** Create the instance; -1 with errbuf on failure. */
int store_open(berth_store *s, berth_driver *driver,
		     const berth_config *cfg, char *errbuf, size_t errlen);
void store_close(berth_store *s);

/* Each returns BERTH_OK or a berth_status; buffers are malloc'd (free()). */
int store_get(berth_store *s, const char *path, char **out, size_t *len);
int store_put(berth_store *s, const char *path, const void *data, size_t len);
int store_stat(berth_store *s, const char *path, berth_stat_info *out);
int store_exists(berth_store *s, const char *path); /* 1, 0, or <0 error */
int store_move(berth_store *s, const char *src, const char *dst);
int store_remove(berth_store *s, const char *path);
int store_list(berth_store *s, const char *path, berth_list_cb cb, void *p);
int store_walk(berth_store *s, const char *path, const char *start_after,
	       berth_walk_cb cb, void *p);
int store_reader(berth_store *s, const char *path, int64_t off,
		 berth_reader **out);
int store_read(berth_store *s, berth_reader *r, void *buf, size_t cap,
	       size_t *n);
void store_reader_close(berth_store *s, berth_reader *r);
int store_writer(berth_store *s, const char *path, int append,
		 berth_writer **out);
int store_write(berth_store *s, berth_writer *w, const void *d, size_t len);
uint64_t store_writer_size(berth_store *s, berth_writer *w);
int store_commit(berth_store *s, berth_writer *w);
int store_cancel(berth_store *s, berth_writer *w);
int store_writer_close(berth_store *s, berth_writer *w);
/** open_fd if supported, else BERTH_E_UNSUPPORTED. */
int store_open_fd(berth_store *s, const char *path, int *fd, uint64_t *size);
/** redirect_url if supported, else BERTH_E_UNSUPPORTED; *out malloc'd. */
int store_redirect(berth_store *s, const char *path, const char *method,
		   char **out);

/** Human-readable name of a berth_status. */
const char *store_status_name(int status);

#endif
