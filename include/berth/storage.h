/*
 * berth/storage.h - the storage driver ABI, version 1.1.
 *
 * A storage driver is a shared object that exports exactly one symbol,
 * BERTH_STORAGE_ENTRY ("berth_storage_driver_v1"), a function returning a
 * pointer to a static, immutable berth_storage_driver descriptor.  The core
 * loads it with dlopen(RTLD_NOW | RTLD_LOCAL), calls the entry once, checks
 * the descriptor head and from then on calls only through the descriptor.
 *
 * The model is CNCF Distribution's storage driver: a filesystem-like object
 * store addressed by absolute paths matching ^(/[A-Za-z0-9._-]+)+$ (and "/"
 * itself for list/walk/stat).  Directories exist implicitly while they have
 * children.
 *
 * Versioning promise
 * ------------------
 *  - The head of berth_storage_driver (abi_major .. capabilities) is frozen
 *    for ever; its layout is pinned by _Static_assert below.
 *  - Within one major version, members are only ever appended, under a new
 *    minor version.  A driver built against minor M sets abi_minor = M and
 *    struct_size = sizeof(berth_storage_driver) as it saw it; the core
 *    treats every member lying beyond struct_size, or NULL, as unsupported.
 *  - The core refuses a driver whose abi_major differs from its own.
 *  - A driver built against a newer minor than the core's loads: the core
 *    uses the members it knows and ignores the rest, and logs (info level)
 *    both versions, so an operator sees that the driver offers more than
 *    this core uses.
 *  - The server's loader and the conformance tool make one and the same
 *    check of a descriptor (the SDK's berth_sdk_descriptor_check): a
 *    non-zero `reserved`, a missing required member, or a capability
 *    claimed without the member it promises (REDIRECT: redirect_url,
 *    NATIVE_WALK: walk, FILE_DESCRIPTOR: open_fd, and each 1.1
 *    capability: the member of its name) refuses the driver.
 *    redirect_url, walk and open_fd are optional (NULL when not
 *    implemented); without walk the core builds one from list and stat.
 *  - A capability flag with a bit the core does not know is ignored.
 *  - Error codes (berth_status) are never renumbered or reused.
 *
 * History
 * -------
 *  - 1.0: the head, create .. open_fd, codes 0 .. -13, capabilities bits
 *    0-5.  A 1.0 descriptor is BERTH_STORAGE_SIZE_1_0 bytes long.
 *  - 1.1: appended batch, writer_flush, maintain, writer_open_hinted,
 *    validate_config, stat_version, each behind the capability of its
 *    name (bits 6-11); BERTH_E_CONFLICT (-14); the types berth_batch_op,
 *    berth_batch_kind, berth_writer_hints; BERTH_VERSION_MAX.  Nothing
 *    of 1.0 changed place or meaning: a 1.0 driver loads and is used as
 *    before (the core falls back to 1.0 calls for everything 1.1 adds).
 *
 * Ownership
 * ---------
 *  - Every `const char *` argument is borrowed for the duration of the call.
 *  - Buffers handed to the core (get_content, redirect_url) are allocated
 *    with host->alloc and released by the core with host->free (never
 *    with the driver's own allocator, never with plain free).
 *  - Out-parameters: a method that creates a handle returns it through its
 *    FIRST argument (create, reader_open, writer_open); every other
 *    method takes its outputs LAST (get_content, stat, redirect_url,
 *    open_fd, reader_read).  Only BERTH_OK makes an out-parameter
 *    meaningful: after an error the caller neither reads it nor frees
 *    anything through it (a driver may have written to it).
 *  - Handles (instance, reader, writer) are owned by the caller that
 *    received them and released exactly once by the matching close/destroy.
 *
 * Threading
 * ---------
 *  - create/destroy are called once per instance, never concurrently with
 *    any other call on that instance.
 *  - All other instance methods may be called concurrently from many
 *    threads; a driver must make them thread-safe.
 *  - A single reader or writer handle is used by one thread at a time (but
 *    not necessarily always the same thread).
 *  - list and walk callbacks may call back into the driver (any method on
 *    the same instance, including put_content and remove): a driver must
 *    not hold a lock a method needs while it calls a callback.  What a
 *    callback changes may or may not show in the rest of that listing.
 *    [conformance: list-callback-reenters, walk-callback-reenters]
 *
 * Edge rules
 * ----------
 * Every rule below names the conformance case that checks it.  The core
 * itself never relies on the cases left open (its layout never stores an
 * object where a directory is, moves only objects, has one writer per
 * path, and never replaces a blob while reading it), but a driver must
 * keep them safe.
 *  - Writing onto a directory (put_content, or writer_commit, at a path
 *    with children) either fails, leaving the directory and everything
 *    below it intact, or replaces the directory by the object
 *    consistently (stat and get_content agree).  [put-over-directory]
 *  - Writing below an object ("/f/x" while "/f" is an object) either
 *    fails with any error but BERTH_E_INVALID_PATH (filesystem: NOT_FOUND,
 *    inmemory: INVALID_ARGUMENT), leaving "/f" intact and "/f/x" absent,
 *    or (object stores, S3) stores "/f/x" beside "/f", which stays the
 *    same object.  [put-below-object]
 *  - move of a directory either moves the whole tree (filesystem,
 *    inmemory) or fails with BERTH_E_NOT_FOUND or BERTH_E_UNSUPPORTED
 *    and changes nothing (S3: move is of objects only).  [move-directory]
 *  - remove of an existing object or directory also discards uncommitted
 *    writer data (writers closed without commit) at and below the path:
 *    a later writer_open(append=1) there starts empty.
 *    [delete-discards-writer-data]
 *  - Two writers open on one path at once: the caller must not do it (the
 *    core serialises the writers of a path).  A driver need not detect
 *    it and the outcome is unspecified, but every call returns (no
 *    deadlock, no crash) and the path can be cleaned up by remove and
 *    writer_cancel afterwards.  [writers-same-path]
 *  - A crash (the process ends without writer_close): committed objects
 *    are durable where the backend outlives the process (inmemory keeps
 *    nothing).  Of a writer not closed, writer_open(append=1) afterwards
 *    continues a prefix of the bytes written -- possibly empty, never
 *    anything else -- and writer_size tells its length.  Only
 *    writer_close (uncommitted) or writer_commit promise all the bytes.
 *    [writer-crash]
 *  - A reader open while its object is replaced or removed stays safe:
 *    reads return bytes or an error and the stream ends, never more bytes
 *    than the object had.  Which bytes is unspecified: filesystem and
 *    inmemory keep the old ones; S3, reading in ranges, may fail or
 *    return the new object's bytes from the current offset.  (open_fd
 *    must keep the old bytes, see there.)
 *    [reader-after-replace, reader-after-remove, open-fd]
 *  - The mtime_ns of a directory is 0 (unknown) or a wall-clock time in
 *    ns since the epoch, not in the future; it promises nothing more (it
 *    need not change when something below it does).
 *    [stat-directory-mtime]
 *  - walk of an object (not a directory) is BERTH_E_NOT_FOUND, like
 *    list.  [walk-file]
 *  - start_after is a hint anywhere: one that does not lie below `path`
 *    is no error; the walk returns BERTH_OK and reports at least every
 *    entry after start_after in walk order (reporting all is always
 *    right).  [walk-start-after-outside]
 *  - After a writer method returned an error, writer_size still answers
 *    (the bytes of the calls that succeeded, at most), writer_cancel may
 *    be called (BERTH_OK, or BERTH_E_STATE after commit or cancel) and
 *    writer_close must be called.  [writer-after-error]
 *
 * Errors
 * ------
 * Every method returns BERTH_OK (0) or a negative berth_status.  Before
 * returning an error a driver should call host->error() with a message; the
 * message should start with the driver's name (the SDK helper does that).
 */
#ifndef BERTH_STORAGE_H
#define BERTH_STORAGE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** ABI major version: a change here means old drivers cannot load. */
#define BERTH_STORAGE_ABI_MAJOR 1
/** ABI minor version: members appended compatibly. */
#define BERTH_STORAGE_ABI_MINOR 1

/** Name of the single symbol every driver exports. */
#define BERTH_STORAGE_ENTRY "berth_storage_driver_v1"

#if defined(__GNUC__)
#define BERTH_EXPORT __attribute__((visibility("default")))
#define BERTH_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define BERTH_EXPORT
#define BERTH_PRINTF(f, a)
#endif

/**
 * Status codes (ABI 1.0).  Values are stable and never reused; new codes
 * are only ever added with new (more negative) numbers.  A core that
 * receives a code it does not know treats it as BERTH_E_IO.
 */
typedef enum berth_status {
	BERTH_OK = 0,
	BERTH_E_NOT_FOUND = -1,      /**< path (or upload state) does not exist */
	BERTH_E_INVALID_PATH = -2,   /**< path does not match the path grammar */
	BERTH_E_INVALID_OFFSET = -3, /**< reader offset < 0 or beyond the end */
	BERTH_E_UNSUPPORTED = -4,    /**< the operation is not implemented */
	BERTH_E_IO = -5,             /**< backend failure not covered below */
	BERTH_E_NOMEM = -6,          /**< allocation failed */
	BERTH_E_THROTTLED = -7,      /**< backend asks to slow down; retryable */
	BERTH_E_CONFIG = -8,         /**< bad or unknown configuration option */
	BERTH_E_PERMISSION = -9,     /**< backend refused the credentials */
	BERTH_E_NO_SPACE = -10,      /**< backend is full (ENOSPC, quota) */
	BERTH_E_UNAVAILABLE = -11,   /**< backend unreachable; retryable */
	BERTH_E_INVALID_ARGUMENT = -12, /**< any other bad argument */
	BERTH_E_STATE = -13,         /**< handle used after commit/cancel */
	/** A batch's BERTH_BATCH_EXPECT did not hold; nothing was applied
	    (ABI 1.1). */
	BERTH_E_CONFLICT = -14,
} berth_status;

/** Log levels for host->log. */
typedef enum berth_log_level {
	BERTH_LOG_ERROR = 0,
	BERTH_LOG_WARN = 1,
	BERTH_LOG_INFO = 2,
	BERTH_LOG_DEBUG = 3,
} berth_log_level;

/**
 * Services the core offers a driver (OpenSSL-provider style), so a driver
 * never links against core symbols.  The table outlives every instance
 * created with it.  All members are thread-safe.
 */
typedef struct berth_host {
	/** sizeof(berth_host) as the core built it (ABI 1.0). */
	uint32_t struct_size;
	/** Core's ABI minor version (ABI 1.0). */
	uint32_t abi_minor;
	/** Core-private cookie; drivers must not touch it (ABI 1.0). */
	void *opaque;
	/** Write a log line; `fmt` is printf-style (ABI 1.0). */
	void (*log)(const struct berth_host *host, berth_log_level level,
		    const char *fmt, ...) BERTH_PRINTF(3, 4);
	/**
	 * Record the detail message of the error the calling thread is about
	 * to return.  The core copies the text; it is kept per thread until
	 * the next call.  Returns `code` for convenience (ABI 1.0).
	 */
	int (*error)(const struct berth_host *host, int code,
		     const char *fmt, ...) BERTH_PRINTF(3, 4);
	/**
	 * Allocate memory; the core releases what a driver hands it with
	 * host->free, never with free(3) (ABI 1.0).
	 */
	void *(*alloc)(size_t size);
	/** Free memory from `alloc` or given to the driver by the core. */
	void (*free)(void *ptr);
	/** Wall clock, nanoseconds since the Unix epoch (ABI 1.0). */
	int64_t (*now_ns)(void);
} berth_host;

/** One configuration option: borrowed strings, valid during `create`. */
typedef struct berth_config_item {
	const char *key;   /**< e.g. "rootdirectory" */
	const char *value; /**< scalar as written in YAML; never NULL */
} berth_config_item;

/**
 * The driver's options, straight from the YAML map `storage.<name>`.
 * A driver must reject a key it does not know with BERTH_E_CONFIG and an
 * error message naming the key.  Valid only during `create`.
 */
typedef struct berth_config {
	size_t count;
	const berth_config_item *items;
} berth_config;

/** Result of stat (ABI 1.0). */
typedef struct berth_stat_info {
	uint64_t size;    /**< bytes; 0 for directories */
	int64_t mtime_ns; /**< modification time, ns since the epoch */
	int is_dir;       /**< non-zero for a directory */
	int reserved;     /**< zero */
} berth_stat_info;

/** Walk callback answers. */
typedef enum berth_walk_action {
	BERTH_WALK_CONTINUE = 0, /**< go on (and into this directory) */
	BERTH_WALK_SKIP_DIR = 1, /**< do not descend into this directory */
	BERTH_WALK_STOP = 2,     /**< end the walk; walk returns BERTH_OK */
} berth_walk_action;

/**
 * list callback: one direct child, as an absolute path.  `path` is
 * borrowed for the call.  Return 0 to continue, non-zero to stop (list
 * then returns BERTH_OK).
 */
typedef int (*berth_list_cb)(const char *path, void *payload);

/**
 * walk callback: one entry below the walk root, depth-first, children in
 * byte order of their names.  `path` and `info` are borrowed for the call.
 */
typedef berth_walk_action (*berth_walk_cb)(const char *path,
					   const berth_stat_info *info,
					   void *payload);

/** Capability flags: a driver claims only what it implements (ABI 1.0). */
enum {
	/** redirect_url returns URLs a client can GET and HEAD directly. */
	BERTH_CAP_REDIRECT = 1u << 0,
	/** walk is native (not list+stat); start_after is honoured cheaply. */
	BERTH_CAP_NATIVE_WALK = 1u << 1,
	/** move is a server-side operation without copying through the host. */
	BERTH_CAP_SERVER_MOVE = 1u << 2,
	/** readers at an offset do not read the bytes before it. */
	BERTH_CAP_RANGE_READ = 1u << 3,
	/** a writer reopened with append continues without rewriting data. */
	BERTH_CAP_APPEND = 1u << 4,
	/** open_fd returns a descriptor the core may sendfile() from. */
	BERTH_CAP_FILE_DESCRIPTOR = 1u << 5,
	/* ABI 1.1: each claims the member of the same name; claiming one
	   without the member refuses the driver, and the core calls a 1.1
	   member only when its capability is claimed. */
	/** batch applies several changes all or nothing (ABI 1.1). */
	BERTH_CAP_BATCH = 1u << 6,
	/** writer_flush makes a writer's bytes durable mid-way (ABI 1.1). */
	BERTH_CAP_WRITER_FLUSH = 1u << 7,
	/** maintain does bounded housekeeping the core schedules (ABI 1.1). */
	BERTH_CAP_MAINTAIN = 1u << 8,
	/** writer_open_hinted takes the digest and size to come (ABI 1.1). */
	BERTH_CAP_WRITER_HINTS = 1u << 9,
	/** validate_config checks options without an instance (ABI 1.1). */
	BERTH_CAP_VALIDATE_CONFIG = 1u << 10,
	/** stat_version gives an object's version (ABI 1.1). */
	BERTH_CAP_STAT_VERSION = 1u << 11,
};

/** Size of the buffer stat_version fills, NUL included (ABI 1.1). */
#define BERTH_VERSION_MAX 128

/** Kinds of berth_batch_op (ABI 1.1).  Never renumbered. */
typedef enum berth_batch_kind {
	/** put_content(path, data, len). */
	BERTH_BATCH_PUT = 0,
	/** move(path, dst); `path` must be an object. */
	BERTH_BATCH_MOVE = 1,
	/** remove(path); a missing path fails the batch (NOT_FOUND). */
	BERTH_BATCH_REMOVE = 2,
	/**
	 * A precondition, changing nothing: with `version` NULL, `path` must
	 * not exist (neither object nor directory); otherwise `path` must be
	 * an object whose stat_version is exactly `version`.  Fails the
	 * batch with BERTH_E_CONFLICT.  `version` non-NULL is only passed to
	 * a driver that also claims BERTH_CAP_STAT_VERSION.
	 */
	BERTH_BATCH_EXPECT = 3,
} berth_batch_kind;

/**
 * One change of a batch (ABI 1.1).  All pointers are borrowed for the
 * duration of the batch call.  Unused members are NULL / 0.
 */
typedef struct berth_batch_op {
	uint32_t kind;       /**< berth_batch_kind */
	uint32_t reserved;   /**< zero */
	const char *path;    /**< the path the op is about (MOVE: source) */
	const char *dst;     /**< MOVE: destination; otherwise NULL */
	const void *data;    /**< PUT: the bytes */
	size_t len;          /**< PUT: their count */
	const char *version; /**< EXPECT: see BERTH_BATCH_EXPECT */
} berth_batch_op;

/**
 * What the caller of writer_open_hinted knows of the object to come
 * (ABI 1.1).  Borrowed for the call; copy what you keep.  The core
 * checks the digest itself whatever the driver does; a hint is a promise
 * of the client the core passes on, not a verified fact.
 */
typedef struct berth_writer_hints {
	/** sizeof(berth_writer_hints) as the caller built it; a driver reads
	    no member lying beyond it. */
	uint32_t struct_size;
	uint32_t reserved; /**< zero */
	/** Digest the complete object should have ("sha256:<64 hex>" or
	    "sha512:<128 hex>"), or NULL when not known. */
	const char *digest;
	/** Total size the complete object should have (including data of
	    earlier sessions when appending), or UINT64_MAX when not known. */
	uint64_t size;
} berth_writer_hints;

typedef struct berth_instance berth_instance; /**< driver-defined */
typedef struct berth_reader berth_reader;     /**< driver-defined */
typedef struct berth_writer berth_writer;     /**< driver-defined */

/**
 * The driver descriptor.  Static and immutable in the driver; the core
 * never writes to it.
 */
typedef struct berth_storage_driver {
	/* ---- frozen head: never changes in any version ---- */
	uint32_t abi_major;   /**< BERTH_STORAGE_ABI_MAJOR the driver built with */
	uint32_t abi_minor;   /**< BERTH_STORAGE_ABI_MINOR the driver built with */
	uint32_t struct_size; /**< sizeof(berth_storage_driver) it built with */
	uint32_t reserved;    /**< zero */
	const char *name;     /**< short name, e.g. "filesystem" (static) */
	const char *version;  /**< driver's own version string (static) */
	uint64_t capabilities; /**< BERTH_CAP_* flags */

	/* ---- ABI 1.0 ---- */

	/**
	 * Create an instance from `config`.  On success store it in *out.
	 * `host` outlives the instance; the driver may keep the pointer.
	 * Errors: BERTH_E_CONFIG (unknown key, bad value, naming it),
	 * BERTH_E_PERMISSION / BERTH_E_UNAVAILABLE (start-up health check).
	 */
	int (*create)(berth_instance **out, const berth_host *host,
		      const berth_config *config);

	/** Release the instance.  No other call on it may be running. */
	void (*destroy)(berth_instance *inst);

	/**
	 * Read a whole (small) object.  *out is allocated with host->alloc
	 * (NUL-terminated for convenience, not counted in *out_len) and freed
	 * by the caller with host->free.  Errors: NOT_FOUND, INVALID_PATH.
	 */
	int (*get_content)(berth_instance *inst, const char *path,
			   char **out, size_t *out_len);

	/**
	 * Replace the object at `path` with `len` bytes, atomically: readers
	 * see either the old or the new content, never a mix.
	 */
	int (*put_content)(berth_instance *inst, const char *path,
			   const void *data, size_t len);

	/**
	 * Open a stream reading `path` from byte `offset`.  offset < 0 or
	 * > size is BERTH_E_INVALID_OFFSET; offset == size yields EOF at once.
	 */
	int (*reader_open)(berth_reader **out, berth_instance *inst,
			   const char *path, int64_t offset);

	/**
	 * Read up to `cap` bytes into `buf`; *out_n = 0 means end of stream.
	 * Short reads are allowed.
	 */
	int (*reader_read)(berth_reader *r, void *buf, size_t cap,
			   size_t *out_n);

	/** Release a reader.  Always succeeds. */
	void (*reader_close)(berth_reader *r);

	/**
	 * Open a writer on `path`.  With append == 0 any earlier uncommitted
	 * data is discarded and the writer starts empty.  With append != 0 it
	 * continues the data an earlier writer left (closed without commit),
	 * or the committed object at `path`, or starts empty if neither
	 * exists.  Written data is invisible at `path` until commit.
	 */
	int (*writer_open)(berth_writer **out, berth_instance *inst,
			   const char *path, int append);

	/**
	 * Append `len` bytes.  On error the bytes of this call count for
	 * nothing; afterwards only writer_size, writer_cancel and
	 * writer_close are meaningful (see "Edge rules").
	 */
	int (*writer_write)(berth_writer *w, const void *data, size_t len);

	/** Bytes in the writer so far, including earlier sessions. */
	uint64_t (*writer_size)(berth_writer *w);

	/**
	 * Make the data visible at `path`, replacing what was there,
	 * atomically and durably.  Afterwards only writer_close is allowed.
	 */
	int (*writer_commit)(berth_writer *w);

	/** Discard all data of this writer (and of earlier sessions). */
	int (*writer_cancel)(berth_writer *w);

	/**
	 * Release the handle.  Uncommitted, uncancelled data is kept durably
	 * so a later writer_open(append=1) continues it; returns an error if
	 * that could not be guaranteed.
	 */
	int (*writer_close)(berth_writer *w);

	/**
	 * Size, mtime and kind of `path`.  Errors: NOT_FOUND.  A directory's
	 * size is 0 and its mtime_ns 0 or a past time (see "Edge rules").
	 */
	int (*stat)(berth_instance *inst, const char *path,
		    berth_stat_info *out);

	/**
	 * Call `cb` for each direct child of the directory `path`, in no
	 * particular order; `cb` may call into the driver.  "/" always
	 * exists (an empty root lists nothing); any other path that is not a
	 * directory is BERTH_E_NOT_FOUND.
	 */
	int (*list)(berth_instance *inst, const char *path, berth_list_cb cb,
		    void *payload);

	/**
	 * Move `src` to `dst`, replacing `dst` atomically.  A missing `src`
	 * is BERTH_E_NOT_FOUND and leaves `dst` untouched.  A directory as
	 * `src`: the whole tree, or NOT_FOUND/UNSUPPORTED (see "Edge rules").
	 */
	int (*move)(berth_instance *inst, const char *src, const char *dst);

	/**
	 * Delete `path` and everything below it.  Deleting "/a" never touches
	 * "/ab".  A missing path is BERTH_E_NOT_FOUND.  Uncommitted writer
	 * data at and below `path` goes too.
	 */
	int (*remove)(berth_instance *inst, const char *path);

	/**
	 * Optional (NULL or BERTH_E_UNSUPPORTED when not claimed): a URL from
	 * which a client can GET or HEAD `path` directly; `method` is "GET"
	 * or "HEAD".  *out from host->alloc, freed by the caller.
	 */
	int (*redirect_url)(berth_instance *inst, const char *path,
			    const char *method, char **out);

	/**
	 * Depth-first walk of everything below `path` (not `path` itself).
	 * Entries come in byte order of their names within each directory.
	 * If `start_after` is not NULL, entries whose full path is <= it in
	 * walk order may be skipped (a hint; the core filters again; valid
	 * even outside `path`).  `path` must be a directory ("/" always is):
	 * an object or a missing path is BERTH_E_NOT_FOUND.  Optional: NULL
	 * unless BERTH_CAP_NATIVE_WALK is claimed is fine (the core then
	 * walks with list + stat).  The callback may call into the driver.
	 */
	int (*walk)(berth_instance *inst, const char *path,
		    const char *start_after, berth_walk_cb cb, void *payload);

	/**
	 * Optional (BERTH_CAP_FILE_DESCRIPTOR): open `path` for reading and
	 * return a file descriptor the core owns and closes; used for
	 * sendfile.  The descriptor must stay valid if `path` is replaced.
	 */
	int (*open_fd)(berth_instance *inst, const char *path, int *out_fd,
		       uint64_t *out_size);

	/* ---- ABI 1.1: every member optional, used only when its
	   BERTH_CAP_* is claimed.  A 1.0 driver's descriptor ends above. ---- */

	/**
	 * BERTH_CAP_BATCH: apply `count` ops (1..64) all or nothing.  They
	 * take effect in order, each seeing the ones before it; readers and
	 * other calls see the store either before the whole batch or after
	 * it, never in between, and after a crash it is wholly applied or
	 * not at all.  On any error nothing is changed; the error is the one
	 * the first failing op would return on its own (EXPECT: CONFLICT).
	 * Errors besides those: INVALID_ARGUMENT (count 0 or over 64, an
	 * unknown kind, non-zero reserved), UNSUPPORTED (EXPECT with a
	 * version from a driver without BERTH_CAP_STAT_VERSION: the core
	 * never sends one, the answer is for other callers).  A MOVE whose
	 * `path` is a directory fails the batch (INVALID_ARGUMENT or
	 * UNSUPPORTED); a MOVE onto a directory replaces it, as move may
	 * (see "Edge rules").  Thread-safe like any
	 * instance method.  The core commits a manifest with its links as
	 * one batch.  [batch-*]
	 */
	int (*batch)(berth_instance *inst, const berth_batch_op *ops,
		     size_t count);

	/**
	 * BERTH_CAP_WRITER_FLUSH: make every byte written so far durable
	 * without releasing the writer: after BERTH_OK, a crash loses none
	 * of them (writer_open(append=1) continues all of them) and
	 * writer_size counts them.  A driver that keeps nothing across a
	 * crash (inmemory) answers BERTH_OK having nothing to do.  After
	 * commit or cancel: BERTH_E_STATE.  Data stays invisible at the path until
	 * commit.  The core calls it at the end of each PATCH (and every
	 * 64 MiB of a long body) before it records the upload's progress;
	 * not for a monolithic POST, whose upload is dropped on failure.
	 * An error is like a writer_write error (see "Edge rules").
	 * [writer-flush]
	 */
	int (*writer_flush)(berth_writer *w);

	/**
	 * BERTH_CAP_MAINTAIN: housekeeping (compaction, checkpoints, removing
	 * stale temporary data), for at most about `budget_ns` nanoseconds of
	 * wall time, then return.  *out_more = 1 asks to be called again
	 * soon (work is left), 0 says the store is tidy.  A budget of 0 or
	 * less asks for one small step.  Called by the core
	 * on its purge schedule from one thread, never concurrently with
	 * itself nor with create/destroy, but concurrently with every other
	 * method, which it must not make fail.  Must leave no committed
	 * object changed and no writer's data lost.  [maintain]
	 */
	int (*maintain)(berth_instance *inst, int64_t budget_ns,
			int *out_more);

	/**
	 * BERTH_CAP_WRITER_HINTS: writer_open with what is known of the
	 * object to come (`hints` may be NULL: then exactly writer_open).
	 * A driver may use the hints to pick part sizes, deduplicate or
	 * verify on the backend.  A hint is the client's word, not a
	 * fact: a driver must never reserve space, memory or quota on it
	 * beyond what the bytes written so far take (an attacker with push
	 * access announces 10 GiB on thousands of slow uploads).  It must
	 * still accept any
	 * bytes written (a hint can be wrong: commit may fail with
	 * BERTH_E_INVALID_ARGUMENT when the bytes do not match the digest or
	 * size hinted, and must otherwise behave as writer_open's writer).
	 * [writer-hints]
	 */
	int (*writer_open_hinted)(berth_writer **out, berth_instance *inst,
				  const char *path, int append,
				  const berth_writer_hints *hints);

	/**
	 * BERTH_CAP_VALIDATE_CONFIG: check `config` as create would (unknown
	 * keys, values out of range, files named by options readable) but
	 * without creating an instance and without contacting the backend.
	 * Returns BERTH_OK or BERTH_E_CONFIG after host->error() naming the
	 * key.  May be called before, after or without any create, from any
	 * thread, concurrently with anything.  `berth serve` and `berth
	 * check-config` call it before create (a refusal: create is not
	 * called).  [validate-config]
	 */
	int (*validate_config)(const berth_host *host,
			       const berth_config *config);

	/**
	 * BERTH_CAP_STAT_VERSION: stat, plus the object's version: a
	 * NUL-terminated string of 1..BERTH_VERSION_MAX-1 printable ASCII
	 * bytes written to `out_version` (a buffer of BERTH_VERSION_MAX).
	 * It changes whenever the object is replaced (put_content,
	 * writer_commit, move onto it, a batch), even by the same bytes, and
	 * is the same for every instance on the same backend.  A directory
	 * has the version "" (empty).  Errors as stat.  Used in batches'
	 * BERTH_BATCH_EXPECT, so the core can change a path only if nobody
	 * did since it looked.  [stat-version]
	 */
	int (*stat_version)(berth_instance *inst, const char *path,
			    berth_stat_info *out, char *out_version);
} berth_storage_driver;

/** Type of the exported entry point. */
typedef const berth_storage_driver *(*berth_storage_entry_fn)(void);

/** struct_size of a descriptor built against ABI 1.0 (ABI 1.1; usable
    from C99 and C++ too). */
#define BERTH_STORAGE_SIZE_1_0 (24 + 22 * sizeof(void *))

/* Layout guards: the frozen head and the 1.0 members never move. */
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(offsetof(berth_storage_driver, abi_major) == 0, "ABI head");
_Static_assert(offsetof(berth_storage_driver, abi_minor) == 4, "ABI head");
_Static_assert(offsetof(berth_storage_driver, struct_size) == 8, "ABI head");
_Static_assert(offsetof(berth_storage_driver, name) == 16, "ABI head");
_Static_assert(offsetof(berth_storage_driver, version) == 16 + sizeof(void *),
	       "ABI head");
_Static_assert(offsetof(berth_storage_driver, capabilities) ==
		       16 + 2 * sizeof(void *),
	       "ABI head");
_Static_assert(offsetof(berth_storage_driver, create) ==
		       24 + 2 * sizeof(void *),
	       "ABI 1.0 first member");
_Static_assert(offsetof(berth_storage_driver, open_fd) ==
		       24 + 21 * sizeof(void *),
	       "ABI 1.0 last member");
_Static_assert(offsetof(berth_storage_driver, batch) ==
		       BERTH_STORAGE_SIZE_1_0,
	       "ABI 1.1 first member: 1.0's size");
_Static_assert(offsetof(berth_storage_driver, stat_version) ==
		       24 + 27 * sizeof(void *),
	       "ABI 1.1 last member");
_Static_assert(sizeof(berth_storage_driver) == 24 + 28 * sizeof(void *),
	       "ABI 1.1 size");
_Static_assert(offsetof(berth_batch_op, path) == 8, "batch op");
_Static_assert(offsetof(berth_writer_hints, digest) == 8, "writer hints");
_Static_assert(offsetof(berth_host, log) == 16, "host head");
_Static_assert(sizeof(berth_stat_info) == 24, "stat info");
#endif

/**
 * The frozen head of a descriptor as designated initialisers, so a driver
 * never writes abi_major, abi_minor, struct_size and reserved by hand:
 *
 *     static const berth_storage_driver my_driver = {
 *             BERTH_STORAGE_HEAD("mine", "1.0.0", BERTH_CAP_NATIVE_WALK),
 *             .create = mine_create,
 *             ...
 *     };
 *
 * The ABI version filled in is the one of the header the driver is
 * compiled with.  A macro only: it was added with the ABI 1.0 headers and
 * changes no layout and no version (a descriptor written out by hand is
 * exactly as valid).
 */
#define BERTH_STORAGE_HEAD(drv_name, drv_version, caps)                       \
	.abi_major = BERTH_STORAGE_ABI_MAJOR,                                 \
	.abi_minor = BERTH_STORAGE_ABI_MINOR,                                 \
	.struct_size = sizeof(berth_storage_driver), .reserved = 0,          \
	.name = (drv_name), .version = (drv_version),                        \
	.capabilities = (caps)

/** Declare the entry point in a driver: BERTH_STORAGE_DRIVER(&my_desc). */
#define BERTH_STORAGE_DRIVER(desc_ptr)                                        \
	BERTH_EXPORT const berth_storage_driver *berth_storage_driver_v1(void); \
	BERTH_EXPORT const berth_storage_driver *berth_storage_driver_v1(void) \
	{                                                                     \
		return (desc_ptr);                                            \
	}

#ifdef __cplusplus
}
#endif
#endif /* BERTH_STORAGE_H */
