/*
 * fs.h - internal interface of the filesystem storage driver, shared by
 * its source files.  Nothing here is exported: the .so is built with
 * hidden visibility and only the ABI entry point is public.
 *
 * The driver maps a storage path "/a/b" onto "<rootdirectory>/a/b".
 * Helper files that are not part of the path grammar carry a '~' in their
 * name, so they can never collide with a valid path and are easy to hide:
 *   "<name>~partial"       a writer's uncommitted data (kept across restarts)
 *   "<name>~tmp.<pid>.<n>" a put_content / copy in progress
 * A temporary that a killed process left behind is removed by the next
 * list or walk that reads its directory, once it is FS_TEMP_STALE_S old
 * (fs_sweep_temp), or by maintain's sweep of the whole tree, a bounded
 * piece per call (fs_maintain.c).
 */
#ifndef BERTH_DRIVERS_FILESYSTEM_FS_H
#define BERTH_DRIVERS_FILESYSTEM_FS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include <berth/sdk.h>
#include <berth/storage.h>

#define FS_NAME "filesystem"
#define FS_PARTIAL_SUFFIX "~partial"
/* How often an operation is retried when a directory it just created is
   removed by a concurrent remove() pruning empty parents.  Each retry
   means another thread made progress, so the bound only guards against a
   livelock; 8 was exceeded under valgrind, whose serialised threads make
   the same remover win repeatedly. */
#define FS_MKDIR_RETRIES 64
/* Age (seconds since its last change) from which a "~tmp." file is
   taken for the leftover of a killed writer and removed.  A temporary
   lives for one put_content or one copy of a committed object: its
   writes keep its mtime current, and only the fsync and rename that
   follow the last write can take long, never an hour.  The age, not the
   pid in the name, decides because several servers (on several hosts, if
   the root is shared) may write into one root; and should a writer stall
   past it all the same, removing its temporary makes its rename fail and
   the operation report an error: nothing partial is ever published. */
#define FS_TEMP_STALE_S 3600

typedef struct fs_listing_cache fs_listing_cache;

struct berth_instance {
	const berth_host *host;
	char *root;     /* without trailing '/'; "" when the root is "/" */
	size_t rootlen;
	fs_listing_cache *listings; /* sorted listings of large directories */
	/* maintain's place in its sweep of the tree (fs_maintain.c): the
	   last directory swept, or NULL between passes.  Only maintain,
	   never concurrent with itself, touches it. */
	char *sweep_cursor;
};

/* The visible names of one directory, sorted by bytes (fs_listing.c).
   Read-only for its holders; released with fs_listing_put. */
typedef struct fs_listing {
	char **names;
	size_t n;
	/* bookkeeping of fs_listing.c */
	char *blob;  /* the names' bytes */
	size_t bytes; /* memory charged to the cache */
	unsigned refs;
	int cached;
	dev_t dev;
	ino_t ino;
	struct timespec mtim, ctim; /* of the directory when read */
	struct fs_listing *prev, *next, *hnext;
} fs_listing;

fs_listing_cache *fs_listing_cache_new(void);
void fs_listing_cache_free(fs_listing_cache *c);
/* The sorted listing of the directory open as `fd` (not consumed), from
   the cache when still valid; 0 or an errno. */
int fs_listing_get(struct berth_instance *in, int fd, fs_listing **out);
void fs_listing_put(struct berth_instance *in, fs_listing *l);

/* Errors, paths and errno go through the driver SDK (<berth/sdk.h>), so
   the filesystem driver answers exactly like every other driver: */
/* report `code` as "filesystem: <fmt...>" (berth_sdk_error); */
#define fs_fail(in, code, ...)                                            \
	berth_sdk_error((in)->host, FS_NAME, (code), __VA_ARGS__)
/* report errno `err` as "filesystem: <what> <path>: <strerror>", with
   the status of berth_sdk_errno_status (berth_sdk_error_errno); */
#define fs_sys_fail(in, err, what, path)                                  \
	berth_sdk_error_errno((in)->host, FS_NAME, (err), "%s %s", (what),   \
			      (path))
/* BERTH_OK if `path` is in the ABI's grammar (or "/" when allow_root),
   else reported BERTH_E_INVALID_PATH (berth_sdk_path_check). */
#define fs_check_path(in, path, allow_root)                               \
	berth_sdk_path_check((in)->host, FS_NAME, (path),                  \
			     (allow_root) ? BERTH_SDK_PATH_ALLOW_ROOT : 0)

/* malloc'd "<root><path><suffix>" ("/" maps to the root itself); NULL on
   allocation failure. */
/* Open the stored file at `path` read-only and report its size;
   directories and missing files are BERTH_E_NOT_FOUND.  `verb` names the
   caller's operation in messages ("reading", "opening").  Shared by
   readers and open_fd. */
int fs_open_regular(struct berth_instance *in, const char *path,
		    const char *verb, int *out_fd, uint64_t *out_size);

char *fs_full(const struct berth_instance *in, const char *path,
	      const char *suffix);

/* mkdir -p of the directory holding the file `full`; 0 or an errno. */
int fs_mkdir_parent(const char *full);
/* fsync the directory holding `full`; 0 or an errno. */
int fs_sync_parent(const char *full);
/* Remove now-empty directories above `path` up to (not including) the
   root.  Best effort: stops at the first rmdir that fails. */
void fs_prune_parents(const struct berth_instance *in, const char *path);
/* Create "<full>~tmp.<unique>" exclusively; returns the fd and the
   malloc'd name in *tmp_out, or -1 with errno set. */
int fs_open_temp(const char *full, char **tmp_out);
/* Called for each hidden entry `name` a listing of the directory open as
   `dirfd` meets: removes it if it is a temporary (fs_open_temp) that has
   not changed for FS_TEMP_STALE_S.  `dir` (may be NULL) names the
   directory in the log. */
void fs_sweep_temp(const struct berth_instance *in, int dirfd,
		   const char *name, const char *dir);
/* write() all of `data`; 0 or an errno. */
int fs_write_all(int fd, const void *data, size_t len);

/* Methods implemented in other files. */
int fs_reader_open(berth_reader **out, berth_instance *inst, const char *path,
		   int64_t offset);
int fs_reader_read(berth_reader *r, void *buf, size_t cap, size_t *out_n);
void fs_reader_close(berth_reader *r);
int fs_writer_open(berth_writer **out, berth_instance *inst, const char *path,
		   int append);
int fs_writer_write(berth_writer *w, const void *data, size_t len);
uint64_t fs_writer_size(berth_writer *w);
int fs_writer_commit(berth_writer *w);
int fs_writer_cancel(berth_writer *w);
int fs_writer_close(berth_writer *w);
int fs_writer_flush(berth_writer *w);
int fs_maintain(berth_instance *inst, int64_t budget_ns, int *out_more);
int fs_walk(berth_instance *inst, const char *path, const char *start_after,
	    berth_walk_cb cb, void *payload);
/* rm -r of the directory tree `full` without following symlinks; 0 or an
   errno (ENOENT included when `full` itself is missing). */
int fs_remove_tree(const char *full);

#endif
