/*
 * storage/store.h - the core's handle on its storage: a driver instance plus the
 * loaded driver, with thin wrappers that fill in defaults for optional
 * members.  Every core module talks to storage through these.
 *
 * ABI 1.1 members are called only when their capability is claimed and
 * the member is there (store_has); otherwise each wrapper says what it
 * does instead: store_batch applies the ops one by one, hinted writers
 * are plain writers, the others answer BERTH_E_UNSUPPORTED.
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

/* ---- ABI 1.1 ---- */

/** 1 if the driver claims the capability `cap` (one BERTH_CAP_* bit) and,
    for a capability that promises a member, has that member; else 0. */
int store_has(const berth_store *s, uint64_t cap);

/**
 * Apply `count` ops (1..BERTH_STORE_BATCH_MAX).  With BERTH_CAP_BATCH:
 * the driver's batch, all or nothing.  Without: the ops one by one, in
 * order, stopping at the first that fails and leaving the ones before it
 * applied; an EXPECT op is checked when it is reached (version NULL: the
 * path must not exist; a version needs BERTH_CAP_STAT_VERSION, else
 * BERTH_E_UNSUPPORTED), not atomically with the rest.  So a caller lists
 * its ops in the order in which every prefix is a state it can live with
 * (what the 1.0 code did with single calls) and needs no second path
 * for 1.0 drivers; only where it relies on all-or-nothing or on EXPECT
 * holding up to the change does it ask store_has(BERTH_CAP_BATCH).
 */
int store_batch(berth_store *s, const berth_batch_op *ops, size_t count);
#define BERTH_STORE_BATCH_MAX 64

/** writer_flush with BERTH_CAP_WRITER_FLUSH, else BERTH_E_UNSUPPORTED
    (the caller relies on the close instead). */
int store_writer_flush(berth_store *s, berth_writer *w);

/** One bounded round of the driver's housekeeping (BERTH_CAP_MAINTAIN):
    BERTH_OK with *more = 1 when work is left; without the capability
    BERTH_E_UNSUPPORTED with *more = 0. */
int store_maintain(berth_store *s, int64_t budget_ns, int *more);

/** writer_open_hinted with BERTH_CAP_WRITER_HINTS, else writer_open (the
    hints are dropped).  `digest` may be NULL, `size` UINT64_MAX when not
    known; the core verifies the digest itself either way. */
int store_writer_hinted(berth_store *s, const char *path, int append,
			const char *digest, uint64_t size,
			berth_writer **out);

/**
 * The driver's validate_config (BERTH_CAP_VALIDATE_CONFIG), without an
 * instance: BERTH_OK, BERTH_E_UNSUPPORTED when the driver cannot check
 * options alone (errbuf empty), or the driver's error with a message in
 * errbuf ("storage driver <name>: <status>: <detail>", as store_open).
 */
int store_validate_config(const berth_driver *driver, const berth_config *cfg,
			  char *errbuf, size_t errlen);

/** stat plus the object's version (BERTH_VERSION_MAX bytes, "" for a
    directory) with BERTH_CAP_STAT_VERSION; else BERTH_E_UNSUPPORTED. */
int store_stat_version(berth_store *s, const char *path, berth_stat_info *out,
		       char *version);

/** Human-readable name of a berth_status. */
const char *store_status_name(int status);

#endif
