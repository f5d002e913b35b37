/*
 * mem.h - the in-memory storage driver's shared declarations.
 *
 * The store is one sorted array of objects (path -> content, mtime) plus
 * a table of uncommitted writer data, under one rwlock.  It belongs to the
 * process, not to an instance: every instance is a handle on the same
 * store, the way every filesystem instance with the same root directory
 * sees the same files.  That is what lets a writer closed without commit
 * be continued from a new instance (the ABI's promise behind
 * BERTH_CAP_APPEND).  Everything is lost when the process exits.
 *
 * Objects are kept in walk order (berth_sdk_path_cmp: component by
 * component), so every directory's subtree is one contiguous run of the
 * array starting right where the directory's own path would sort.
 * Directories are implicit: a directory exists while some object lies
 * below it.
 *
 * Every object carries a generation drawn from the store's counter each
 * time something is stored at its path (put, commit, move onto, batch):
 * that is its stat_version, and since the counter belongs to the store
 * every instance reports the same version for the same object.
 */
#ifndef BERTH_DRIVERS_INMEMORY_MEM_H
#define BERTH_DRIVERS_INMEMORY_MEM_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <berth/sdk.h>
#include <berth/storage.h>

#define MEM_NAME "inmemory"

/* Immutable content, shared by the store and open readers; freed when
   the last reference goes. */
typedef struct mem_blob {
	unsigned long refs; /* atomic */
	size_t len;
	char *data;
} mem_blob;

typedef struct mem_obj {
	char *path;
	mem_blob *blob;
	int64_t mtime_ns;
	uint64_t gen; /* the store's counter when stored here */
} mem_obj;

/* Data of a writer closed without commit, waiting for an append. */
typedef struct mem_pending {
	char *path;
	char *data;
	size_t len, cap;
} mem_pending;

typedef struct mem_store {
	pthread_rwlock_t lock;
	mem_obj *objs; /* sorted by berth_sdk_path_cmp */
	size_t n, cap;
	mem_pending *pend; /* unsorted; few at a time */
	size_t npend, cappend;
	uint64_t gen;      /* last generation handed out */
	size_t tidy_next;  /* maintain's cursor into pend */
} mem_store;

struct berth_instance {
	const berth_host *host;
	mem_store *st;
};

/* The process-wide store. */
mem_store *mem_store_get(void);

/* Report an error with the driver's name in front; returns `code`. */
#define mem_fail(in, code, ...) \
	berth_sdk_error((in)->host, MEM_NAME, (code), __VA_ARGS__)

/* ---- store primitives: callers hold st->lock as noted ---- */

/* Index of the first object not before `path` in walk order (read). */
size_t mem_lower(const mem_store *st, const char *path);
/* The object at exactly `path`, or NULL (read). */
mem_obj *mem_find(const mem_store *st, const char *path);
/* [*lo, *hi): the objects strictly below directory `path` ("/" = all)
   (read). */
void mem_subtree(const mem_store *st, const char *path, size_t *lo,
		 size_t *hi);
/* Why `path` cannot hold an object: BERTH_OK, or an error when it is a
   directory or one of its parents is an object (read). */
int mem_check_place(berth_instance *in, const mem_store *st,
		    const char *path);
/* Put `blob` at `path`, replacing an object there, with a new
   generation (write).  On success takes both the malloc'd `path` and the
   caller's blob reference; on failure (BERTH_E_NOMEM) the caller keeps
   both.  Cannot fail while the array has a free slot (st->n < st->cap). */
int mem_insert(mem_store *st, char *path, mem_blob *blob, int64_t mtime_ns);
/* The next generation (write). */
uint64_t mem_next_gen(mem_store *st);
/* Remove objects [lo, hi) (write). */
void mem_erase(mem_store *st, size_t lo, size_t hi);

/* Pending writer data (write lock): take it out of the table. */
int mem_pending_take(mem_store *st, const char *path, mem_pending *out);
/* Store it (replacing older data of the same path); frees on failure. */
int mem_pending_put(mem_store *st, mem_pending *p);
/* Drop pending data at or below `path`. */
void mem_pending_drop(mem_store *st, const char *path);

mem_blob *mem_blob_new(char *data, size_t len); /* takes `data` */
void mem_blob_ref(mem_blob *b);
void mem_blob_unref(mem_blob *b);

int64_t mem_now(berth_instance *in);

/* The option check create and validate_config share: the driver takes
   no options. */
int mem_config_check(const berth_host *host, const berth_config *config);

/* ---- methods implemented outside mem_driver.c ---- */
int mem_reader_open(berth_reader **out, berth_instance *in, const char *path,
		    int64_t offset);
int mem_reader_read(berth_reader *r, void *buf, size_t cap, size_t *out_n);
void mem_reader_close(berth_reader *r);
int mem_writer_open(berth_writer **out, berth_instance *in, const char *path,
		    int append);
int mem_writer_open_hinted(berth_writer **out, berth_instance *in,
			   const char *path, int append,
			   const berth_writer_hints *hints);
int mem_writer_flush(berth_writer *w);
int mem_writer_write(berth_writer *w, const void *data, size_t len);
uint64_t mem_writer_size(berth_writer *w);
int mem_writer_commit(berth_writer *w);
int mem_writer_cancel(berth_writer *w);
int mem_writer_close(berth_writer *w);
int mem_list(berth_instance *in, const char *path, berth_list_cb cb,
	     void *payload);
int mem_walk(berth_instance *in, const char *path, const char *start_after,
	     berth_walk_cb cb, void *payload);
int mem_batch(berth_instance *in, const berth_batch_op *ops, size_t count);
int mem_maintain(berth_instance *in, int64_t budget_ns, int *out_more);

#endif
