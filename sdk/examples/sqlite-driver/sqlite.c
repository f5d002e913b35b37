/*
 * sqlite.c - an example out-of-tree storage driver for Berth that keeps
 * every object in one SQLite database file, built only with the
 * installed SDK and Debian's libsqlite3 (see Makefile and sdk/README.md).
 *
 * It is the example of a store that is not a filesystem, and of every
 * member of ABI 1.1: batch, writer_flush, maintain, writer_open_hinted,
 * validate_config and stat_version.
 *
 * Schema
 * ------
 *   objects(path TEXT PRIMARY KEY, blob_id, size, mtime_ns, version)
 *   writers(path TEXT PRIMARY KEY, blob_id, size)   uncommitted data
 *   chunks(id INTEGER PRIMARY KEY, blob_id, off, data BLOB)
 *          UNIQUE (blob_id, off)
 *   meta(k TEXT PRIMARY KEY, v INTEGER)             the sequence 'seq'
 *
 * The bytes of an object or of a writer's uncommitted data are a "blob":
 * the chunk rows with its blob_id, each holding the bytes from offset
 * `off` (at most `chunksize`, 1 MiB by default; a flushed writer leaves
 * shorter ones).  Nothing ever holds a whole object in memory except
 * get_content, whose caller asks for exactly that: readers fetch the one
 * chunk that holds their offset, writers buffer at most one chunk.
 * Committing a writer only relabels its blob as the object's (one
 * transaction, no copy).  Blob ids and versions are drawn from one
 * global sequence, so a version is unique for ever in the database and
 * the same for every process using it; stat_version prints it in
 * decimal.
 *
 * Directories are implicit: "/a" is a directory while some object path
 * starts with "/a/".  Every path of the ABI's grammar is ASCII and SQLite
 * compares TEXT with memcmp, so the objects below "/a" are exactly the
 * range "/a/" < path < "/a0" ('0' follows '/'), which the primary key's
 * index answers without a scan; "/ab" and "/a-b" lie outside it.
 *
 * Concurrency
 * -----------
 * Instance methods run on many threads at once.  Each call borrows a
 * connection from a pool (a mutex-guarded free list, grown on demand,
 * so there is never more than one connection per running call) and
 * gives it back before returning: no connection, statement or lock is
 * held while a list or walk callback runs, so callbacks may call back
 * into the driver.  Reader and writer handles hold no connection between
 * calls either.  The database runs in WAL mode (readers never block the
 * writer), every change is one short "BEGIN IMMEDIATE" transaction (the
 * write lock is taken up front, so two transactions never deadlock
 * upgrading), and the busy timeout makes writers queue instead of
 * failing; a timeout that still expires is BERTH_E_THROTTLED.
 *
 * A reader keeps the blob id it opened.  When the object is replaced or
 * removed the old chunks go, and the reader's next fetch of a chunk it
 * has not cached fails with BERTH_E_NOT_FOUND: never more bytes than the
 * object had, as the edge rules require.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include <berth/sdk.h>
#include <berth/storage.h>

#define NAME "sqlite"
#define CHUNK_DEFAULT (1u << 20)
#define BATCH_MAX 64

/* ================================================================== */
/* Options                                                             */
/* ================================================================== */

typedef struct options {
	const char *path;     /* borrowed from the config */
	int64_t busy_ms;      /* busy timeout */
	const char *sync;     /* PRAGMA synchronous value (static) */
	uint64_t chunk;       /* bytes per chunk row */
} options;

/* The options of `cfg`, every unknown key refused with BERTH_E_CONFIG
   naming it.  Shared by create and validate_config, so both accept
   exactly the same configurations. */
static int parse_options(const berth_host *host, const berth_config *cfg,
			 options *o)
{
	static const char *const syncs[] = {"OFF", "NORMAL", "FULL", "EXTRA"};
	o->path = NULL;
	o->busy_ms = 5000;
	o->sync = "FULL";
	o->chunk = CHUNK_DEFAULT;
	for (size_t i = 0; cfg && i < cfg->count; i++) {
		const char *k = cfg->items[i].key, *v = cfg->items[i].value;
		if (!strcmp(k, "path")) {
			if (!*v)
				return berth_sdk_error(host, NAME, BERTH_E_CONFIG,
						       "path: want the database file, got \"\"");
			o->path = v;
		} else if (!strcmp(k, "busytimeout")) {
			if (berth_sdk_parse_int(v, 0, 3600000, &o->busy_ms))
				return berth_sdk_error(host, NAME, BERTH_E_CONFIG,
						       "busytimeout: want milliseconds "
						       "0..3600000, got \"%s\"", v);
		} else if (!strcmp(k, "synchronous")) {
			size_t j = 0;
			while (j < 4 && strcasecmp(v, syncs[j]))
				j++;
			if (j == 4)
				return berth_sdk_error(host, NAME, BERTH_E_CONFIG,
						       "synchronous: want off, normal, full "
						       "or extra, got \"%s\"", v);
			o->sync = syncs[j];
		} else if (!strcmp(k, "chunksize")) {
			if (berth_sdk_parse_size(v, &o->chunk) || o->chunk < 4096 ||
			    o->chunk > (64u << 20))
				return berth_sdk_error(host, NAME, BERTH_E_CONFIG,
						       "chunksize: want 4k..64M, got \"%s\"", v);
		} else {
			return berth_sdk_error(host, NAME, BERTH_E_CONFIG,
					       "unknown option \"%s\"", k);
		}
	}
	if (!o->path)
		return berth_sdk_error(host, NAME, BERTH_E_CONFIG,
				       "option \"path\" (the database file) is required");
	return BERTH_OK;
}

/* Is the database file usable, without creating it?  An existing file
   must be a readable and writable regular file; a new one needs a
   writable directory.  No SDK helper checks files: a driver's files are
   its own business. */
static int check_file(const berth_host *host, const char *path)
{
	struct stat st;
	if (stat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return berth_sdk_error(host, NAME, BERTH_E_CONFIG,
					       "path: %s is not a regular file", path);
		if (access(path, R_OK | W_OK))
			return berth_sdk_error(host, NAME, BERTH_E_CONFIG,
					       "path: %s is not readable and writable: %s",
					       path, strerror(errno));
		return BERTH_OK;
	}
	if (errno != ENOENT)
		return berth_sdk_error(host, NAME, BERTH_E_CONFIG, "path: %s: %s",
				       path, strerror(errno));
	size_t dl = strrchr(path, '/') ? (size_t)(strrchr(path, '/') - path) : 0;
	char *dir = dl ? strndup(path, dl) : strdup(strchr(path, '/') ? "/" : ".");
	if (!dir)
		return berth_sdk_error(host, NAME, BERTH_E_NOMEM, "out of memory");
	int rc = BERTH_OK;
	if (stat(dir, &st) || !S_ISDIR(st.st_mode) || access(dir, W_OK | X_OK))
		rc = berth_sdk_error(host, NAME, BERTH_E_CONFIG,
				     "path: cannot create %s: %s is not a writable "
				     "directory", path, dir);
	free(dir);
	return rc;
}

/* ================================================================== */
/* Connections and statements                                          */
/* ================================================================== */

enum {
	Q_BEGIN, Q_BEGIN_W, Q_COMMIT, Q_ROLLBACK, Q_SEQ,
	Q_OBJ, Q_BELOW, Q_FROM, Q_OBJ_SET, Q_OBJ_DEL, Q_OBJ_MOVE,
	Q_TREE_CHUNKS_DEL, Q_TREE_DEL, Q_WTREE_CHUNKS_DEL, Q_WTREE_DEL,
	Q_CHUNK_ADD, Q_CHUNK_AT, Q_CHUNKS, Q_CHUNKS_DEL, Q_CHUNKS_COPY,
	Q_W_GET, Q_W_SET, Q_W_SIZE, Q_W_DEL,
	Q_COUNT
};

/* "?2 < path < ?3" is the subtree of ?1 (see the header comment). */
static const char *const sql[Q_COUNT] = {
	[Q_BEGIN] = "BEGIN",
	[Q_BEGIN_W] = "BEGIN IMMEDIATE",
	[Q_COMMIT] = "COMMIT",
	[Q_ROLLBACK] = "ROLLBACK",
	[Q_SEQ] = "UPDATE meta SET v = v + 1 WHERE k = 'seq' RETURNING v",
	[Q_OBJ] = "SELECT blob_id, size, mtime_ns, version FROM objects "
		  "WHERE path = ?1",
	[Q_BELOW] = "SELECT path, size, mtime_ns FROM objects "
		    "WHERE path > ?1 AND path < ?2 ORDER BY path LIMIT 1",
	[Q_FROM] = "SELECT path, size, mtime_ns FROM objects "
		   "WHERE path >= ?1 AND path < ?2 ORDER BY path LIMIT 1",
	[Q_OBJ_SET] = "INSERT INTO objects(path, blob_id, size, mtime_ns, version) "
		      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT(path) DO UPDATE SET "
		      "blob_id = excluded.blob_id, size = excluded.size, "
		      "mtime_ns = excluded.mtime_ns, version = excluded.version",
	[Q_OBJ_DEL] = "DELETE FROM objects WHERE path = ?1",
	[Q_OBJ_MOVE] = "UPDATE objects SET path = ?2, version = ?3 WHERE path = ?1",
	[Q_TREE_CHUNKS_DEL] = "DELETE FROM chunks WHERE blob_id IN (SELECT blob_id "
			      "FROM objects WHERE path = ?1 OR (path > ?2 AND path < ?3))",
	[Q_TREE_DEL] = "DELETE FROM objects WHERE path = ?1 OR (path > ?2 AND path < ?3)",
	[Q_WTREE_CHUNKS_DEL] = "DELETE FROM chunks WHERE blob_id IN (SELECT blob_id "
			       "FROM writers WHERE path = ?1 OR (path > ?2 AND path < ?3))",
	[Q_WTREE_DEL] = "DELETE FROM writers WHERE path = ?1 OR (path > ?2 AND path < ?3)",
	[Q_CHUNK_ADD] = "INSERT INTO chunks(blob_id, off, data) VALUES (?1, ?2, ?3)",
	[Q_CHUNK_AT] = "SELECT off, data FROM chunks WHERE blob_id = ?1 AND off <= ?2 "
		       "ORDER BY off DESC LIMIT 1",
	[Q_CHUNKS] = "SELECT off, data FROM chunks WHERE blob_id = ?1 ORDER BY off",
	[Q_CHUNKS_DEL] = "DELETE FROM chunks WHERE blob_id = ?1",
	[Q_CHUNKS_COPY] = "INSERT INTO chunks(blob_id, off, data) "
			  "SELECT ?1, off, data FROM chunks WHERE blob_id = ?2",
	[Q_W_GET] = "SELECT blob_id, size FROM writers WHERE path = ?1",
	[Q_W_SET] = "INSERT OR REPLACE INTO writers(path, blob_id, size) "
		    "VALUES (?1, ?2, ?3)",
	[Q_W_SIZE] = "UPDATE writers SET size = ?3 WHERE path = ?1 AND blob_id = ?2",
	[Q_W_DEL] = "DELETE FROM writers WHERE path = ?1 AND blob_id = ?2",
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS objects(path TEXT PRIMARY KEY NOT NULL, "
	"  blob_id INTEGER NOT NULL, size INTEGER NOT NULL, "
	"  mtime_ns INTEGER NOT NULL, version INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS writers(path TEXT PRIMARY KEY NOT NULL, "
	"  blob_id INTEGER NOT NULL, size INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS chunks(id INTEGER PRIMARY KEY, "
	"  blob_id INTEGER NOT NULL, off INTEGER NOT NULL, data BLOB NOT NULL, "
	"  UNIQUE (blob_id, off));"
	"CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY NOT NULL, v INTEGER NOT NULL);"
	"INSERT OR IGNORE INTO meta(k, v) VALUES ('seq', 0);";

typedef struct conn {
	sqlite3 *db;
	sqlite3_stmt *st[Q_COUNT]; /* prepared on first use */
	struct conn *next;         /* free list */
} conn;

struct berth_instance {
	const berth_host *host;
	char *path;
	options opt;      /* opt.path points to `path` */
	int incremental;  /* auto_vacuum is INCREMENTAL */
	pthread_mutex_t mu;
	conn *idle;       /* free list, under mu */
};

/* SQLite result code to berth_status. */
static int status_of(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return BERTH_E_THROTTLED;
	case SQLITE_NOMEM:
		return BERTH_E_NOMEM;
	case SQLITE_FULL:
		return BERTH_E_NO_SPACE;
	case SQLITE_PERM:
	case SQLITE_READONLY:
	case SQLITE_AUTH:
		return BERTH_E_PERMISSION;
	case SQLITE_CANTOPEN:
		return BERTH_E_UNAVAILABLE;
	case SQLITE_TOOBIG:
		return BERTH_E_INVALID_ARGUMENT;
	default:
		return BERTH_E_IO;
	}
}

/* Report SQLite's error `rc` on `c` as "<what>: <sqlite message>". */
static int dberr(berth_instance *in, conn *c, int rc, const char *fmt, ...)
	BERTH_PRINTF(4, 5);
static int dberr(berth_instance *in, conn *c, int rc, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return berth_sdk_error(in->host, NAME, status_of(rc), "%s: %s", what,
			       c && c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
}

static void conn_close(conn *c)
{
	for (int i = 0; i < Q_COUNT; i++)
		sqlite3_finalize(c->st[i]);
	sqlite3_close_v2(c->db);
	free(c);
}

static int conn_open(berth_instance *in, conn **out)
{
	conn *c = calloc(1, sizeof *c);
	if (!c)
		return berth_sdk_error(in->host, NAME, BERTH_E_NOMEM, "out of memory");
	/* NOMUTEX: a connection is used by one thread at a time (the pool
	   hands it to one call), so SQLite's per-connection mutex is not
	   needed. */
	int rc = sqlite3_open_v2(in->path, &c->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
					 SQLITE_OPEN_NOMUTEX, NULL);
	/* secure_delete FAST: Debian builds SQLite with secure deletion on,
	   which overwrites every freed page with zeros -- removing a 5 GiB
	   blob would write 5 GiB more.  FAST clears deleted cells only where
	   that costs no extra I/O.  journal_size_limit: the WAL file shrinks
	   back after a large transaction (a removed or committed blob). */
	char pragma[160];
	snprintf(pragma, sizeof pragma,
		 "PRAGMA synchronous = %s; PRAGMA secure_delete = FAST; "
		 "PRAGMA journal_size_limit = %d", in->opt.sync, 64 << 20);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(c->db, (int)in->opt.busy_ms);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(c->db, pragma, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		rc = dberr(in, c, rc, "open %s", in->path);
		conn_close(c);
		return rc;
	}
	*out = c;
	return BERTH_OK;
}

/* A connection for this call: an idle one, or a new one. */
static int conn_get(berth_instance *in, conn **out)
{
	pthread_mutex_lock(&in->mu);
	conn *c = in->idle;
	if (c)
		in->idle = c->next;
	pthread_mutex_unlock(&in->mu);
	if (c) {
		*out = c;
		return BERTH_OK;
	}
	return conn_open(in, out);
}

static void conn_put(berth_instance *in, conn *c)
{
	/* Never pool a connection inside a transaction (an error path that
	   could not roll back): its locks would outlive the call. */
	if (!sqlite3_get_autocommit(c->db))
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_lock(&in->mu);
	c->next = in->idle;
	in->idle = c;
	pthread_mutex_unlock(&in->mu);
}

/* The statement `id`, prepared once per connection, reset and unbound.
   NULL on error (the code is in *rc). */
static sqlite3_stmt *q(conn *c, int id, int *rc)
{
	if (!c->st[id]) {
		*rc = sqlite3_prepare_v3(c->db, sql[id], -1, SQLITE_PREPARE_PERSISTENT,
					 &c->st[id], NULL);
		if (*rc != SQLITE_OK)
			return NULL;
	}
	sqlite3_reset(c->st[id]);
	sqlite3_clear_bindings(c->st[id]);
	*rc = SQLITE_OK;
	return c->st[id];
}

/* Step a statement to its end (or its first row, discarded) and reset
   it: SQLITE_OK or the error. */
static int run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

/* Run statement `id` without parameters. */
static int exec_q(conn *c, int id)
{
	int rc;
	sqlite3_stmt *st = q(c, id, &rc);
	return st ? run(st) : rc;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* The bounds of the subtree of `path`: lo = path + "/", hi = path + "0"
   ("/" and "0" for the root).  One allocation: free(r->lo). */
typedef struct range {
	char *lo, *hi;
} range;

static int range_of(berth_instance *in, const char *path, range *r)
{
	size_t n = strcmp(path, "/") ? strlen(path) : 0;
	char *b = malloc(2 * n + 4);
	if (!b)
		return berth_sdk_error(in->host, NAME, BERTH_E_NOMEM, "out of memory");
	memcpy(b, path, n);
	memcpy(b + n, "/", 2);
	r->lo = b;
	r->hi = b + n + 2;
	memcpy(r->hi, path, n);
	memcpy(r->hi + n, "0", 2);
	return BERTH_OK;
}

/* A transaction on a pooled connection around fn: committed when fn
   returns BERTH_OK, rolled back otherwise.  Writers take the write lock
   up front (BEGIN IMMEDIATE). */
typedef int (*tx_fn)(berth_instance *in, conn *c, void *arg);

static int with_tx(berth_instance *in, int write, tx_fn fn, void *arg)
{
	conn *c;
	int rc = conn_get(in, &c);
	if (rc)
		return rc;
	int src = exec_q(c, write ? Q_BEGIN_W : Q_BEGIN);
	if (src != SQLITE_OK) {
		rc = dberr(in, c, src, "begin");
	} else {
		rc = fn(in, c, arg);
		if (rc == BERTH_OK && (src = exec_q(c, Q_COMMIT)) != SQLITE_OK)
			rc = dberr(in, c, src, "commit");
		if (rc != BERTH_OK && !sqlite3_get_autocommit(c->db))
			exec_q(c, Q_ROLLBACK);
	}
	conn_put(in, c);
	return rc;
}

/* ================================================================== */
/* Building blocks, inside a transaction                               */
/* ================================================================== */

typedef struct obj {
	int64_t blob, size, mtime_ns, version;
} obj;

/* 1 and *o when `path` is an object, 0 when not, or a negative status. */
static int obj_get(berth_instance *in, conn *c, const char *path, size_t len,
		   obj *o)
{
	int rc;
	sqlite3_stmt *st = q(c, Q_OBJ, &rc);
	if (!st)
		return dberr(in, c, rc, "stat %s", path);
	sqlite3_bind_text(st, 1, path, (int)len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		o->blob = sqlite3_column_int64(st, 0);
		o->size = sqlite3_column_int64(st, 1);
		o->mtime_ns = sqlite3_column_int64(st, 2);
		o->version = sqlite3_column_int64(st, 3);
		sqlite3_reset(st);
		return 1;
	}
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : dberr(in, c, rc, "stat %s", path);
}

/* 1 when some object lies strictly below `path` (it is a directory),
   0 when none does, or a negative status. */
static int has_below(berth_instance *in, conn *c, const char *path)
{
	range r;
	int rc = range_of(in, path, &r);
	if (rc)
		return rc;
	sqlite3_stmt *st = q(c, Q_BELOW, &rc);
	if (!st) {
		free(r.lo);
		return dberr(in, c, rc, "stat %s", path);
	}
	bind_text(st, 1, r.lo);
	bind_text(st, 2, r.hi);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	free(r.lo);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : dberr(in, c, rc, "stat %s", path);
}

/* The next value of the global sequence (blob ids and versions). */
static int next_seq(berth_instance *in, conn *c, int64_t *out)
{
	int rc;
	sqlite3_stmt *st = q(c, Q_SEQ, &rc);
	if (st && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
		return BERTH_OK;
	}
	if (st)
		sqlite3_reset(st);
	return dberr(in, c, rc, "sequence");
}

/* Store `len` bytes as chunk rows of `blob` from offset `off`. */
static int chunks_add(berth_instance *in, conn *c, int64_t blob, int64_t off,
		      const void *data, size_t len)
{
	const char *p = data;
	for (size_t done = 0; done < len;) {
		size_t n = len - done < in->opt.chunk ? len - done : in->opt.chunk;
		int rc;
		sqlite3_stmt *st = q(c, Q_CHUNK_ADD, &rc);
		if (st) {
			sqlite3_bind_int64(st, 1, blob);
			sqlite3_bind_int64(st, 2, off + (int64_t)done);
			sqlite3_bind_blob64(st, 3, p + done, n, SQLITE_STATIC);
			rc = run(st);
		}
		if (rc != SQLITE_OK)
			return dberr(in, c, rc, "store data");
		done += n;
	}
	return BERTH_OK;
}

/* Run the single-parameter statement `id` with one int64. */
static int run_int(berth_instance *in, conn *c, int id, int64_t v,
		   const char *what)
{
	int rc;
	sqlite3_stmt *st = q(c, id, &rc);
	if (st) {
		sqlite3_bind_int64(st, 1, v);
		rc = run(st);
	}
	return rc == SQLITE_OK ? BERTH_OK : dberr(in, c, rc, "%s", what);
}

/* Run a statement taking path, lo, hi (the subtree statements). */
static int run_tree(berth_instance *in, conn *c, int id, const char *path,
		    const range *r)
{
	int rc;
	sqlite3_stmt *st = q(c, id, &rc);
	if (st) {
		bind_text(st, 1, path);
		bind_text(st, 2, r->lo);
		bind_text(st, 3, r->hi);
		rc = run(st);
	}
	return rc == SQLITE_OK ? BERTH_OK : dberr(in, c, rc, "remove %s", path);
}

static int obj_set(berth_instance *in, conn *c, const char *path,
		   const obj *o)
{
	int rc;
	sqlite3_stmt *st = q(c, Q_OBJ_SET, &rc);
	if (st) {
		bind_text(st, 1, path);
		sqlite3_bind_int64(st, 2, o->blob);
		sqlite3_bind_int64(st, 3, o->size);
		sqlite3_bind_int64(st, 4, o->mtime_ns);
		sqlite3_bind_int64(st, 5, o->version);
		rc = run(st);
	}
	return rc == SQLITE_OK ? BERTH_OK : dberr(in, c, rc, "store %s", path);
}

/*
 * May an object be stored at `path`?  Not over a directory (the
 * directory and everything below it stay), and not below an object
 * ("/f/x" while "/f" is one): both are BERTH_E_INVALID_ARGUMENT, as
 * the edge rules allow.  One point lookup per ancestor.
 */
static int check_place(berth_instance *in, conn *c, const char *path)
{
	int rc = has_below(in, c, path);
	if (rc < 0)
		return rc;
	if (rc)
		return berth_sdk_error(in->host, NAME, BERTH_E_INVALID_ARGUMENT,
				       "%s is a directory", path);
	obj o;
	for (size_t i = 1; path[i]; i++) {
		if (path[i] != '/')
			continue;
		rc = obj_get(in, c, path, i, &o);
		if (rc < 0)
			return rc;
		if (rc)
			return berth_sdk_error(in->host, NAME, BERTH_E_INVALID_ARGUMENT,
					       "%.*s is an object, not a directory",
					       (int)i, path);
	}
	return BERTH_OK;
}

/* Drop the object at `path` if there is one (row and chunks). */
static int obj_drop(berth_instance *in, conn *c, const char *path)
{
	obj o;
	int rc = obj_get(in, c, path, strlen(path), &o);
	if (rc <= 0)
		return rc;
	rc = run_int(in, c, Q_CHUNKS_DEL, o.blob, "drop old data");
	if (rc)
		return rc;
	int src;
	sqlite3_stmt *st = q(c, Q_OBJ_DEL, &src);
	if (st) {
		bind_text(st, 1, path);
		src = run(st);
	}
	return src == SQLITE_OK ? BERTH_OK : dberr(in, c, src, "drop %s", path);
}

/* ---- the changes: put, move, remove, expect (also batch ops) ---- */

static int tx_put(berth_instance *in, conn *c, const char *path,
		  const void *data, size_t len)
{
	int rc = check_place(in, c, path);
	if (rc == BERTH_OK)
		rc = obj_drop(in, c, path);
	obj o = {.size = (int64_t)len, .mtime_ns = in->host->now_ns()};
	if (rc == BERTH_OK)
		rc = next_seq(in, c, &o.version);
	o.blob = o.version;
	if (rc == BERTH_OK)
		rc = chunks_add(in, c, o.blob, 0, data, len);
	if (rc == BERTH_OK)
		rc = obj_set(in, c, path, &o);
	return rc;
}

static int tx_move(berth_instance *in, conn *c, const char *src,
		   const char *dst)
{
	obj o;
	int rc = obj_get(in, c, src, strlen(src), &o);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		/* Moves of whole directories are not needed by the core (the
		   edge rules allow refusing them): objects only. */
		rc = has_below(in, c, src);
		if (rc < 0)
			return rc;
		return berth_sdk_error(in->host, NAME,
				       rc ? BERTH_E_UNSUPPORTED : BERTH_E_NOT_FOUND,
				       rc ? "%s is a directory; only objects move"
					  : "%s not found", src);
	}
	if (!strcmp(src, dst))
		return BERTH_OK;
	if ((rc = check_place(in, c, dst)) || (rc = obj_drop(in, c, dst)))
		return rc;
	int64_t version;
	if ((rc = next_seq(in, c, &version)))
		return rc;
	int src_rc;
	sqlite3_stmt *st = q(c, Q_OBJ_MOVE, &src_rc);
	if (st) {
		bind_text(st, 1, src);
		bind_text(st, 2, dst);
		sqlite3_bind_int64(st, 3, version);
		src_rc = run(st);
	}
	return src_rc == SQLITE_OK ? BERTH_OK
				   : dberr(in, c, src_rc, "move %s to %s", src, dst);
}

/* remove: the object or the subtree, and every writer's uncommitted
   data at and below `path`. */
static int tx_remove(berth_instance *in, conn *c, const char *path)
{
	range r;
	int rc = range_of(in, path, &r);
	if (rc)
		return rc;
	int objects = 0;
	rc = run_tree(in, c, Q_TREE_CHUNKS_DEL, path, &r);
	if (rc == BERTH_OK && (rc = run_tree(in, c, Q_TREE_DEL, path, &r)) == BERTH_OK)
		objects = sqlite3_changes(c->db);
	if (rc == BERTH_OK)
		rc = run_tree(in, c, Q_WTREE_CHUNKS_DEL, path, &r);
	if (rc == BERTH_OK)
		rc = run_tree(in, c, Q_WTREE_DEL, path, &r);
	free(r.lo);
	if (rc == BERTH_OK && !objects)
		rc = berth_sdk_error(in->host, NAME, BERTH_E_NOT_FOUND, "%s not found",
				     path);
	return rc;
}

static int tx_expect(berth_instance *in, conn *c, const char *path,
		     const char *version)
{
	obj o;
	int rc = obj_get(in, c, path, strlen(path), &o);
	if (rc < 0)
		return rc;
	if (!version) {
		if (!rc && (rc = has_below(in, c, path)) < 0)
			return rc;
		if (rc)
			return berth_sdk_error(in->host, NAME, BERTH_E_CONFLICT,
					       "%s exists", path);
		return BERTH_OK;
	}
	char have[32] = "";
	if (rc)
		snprintf(have, sizeof have, "%lld", (long long)o.version);
	if (!rc || strcmp(have, version))
		return berth_sdk_error(in->host, NAME, BERTH_E_CONFLICT,
				       "%s is %s%s, not version %s", path,
				       rc ? "version " : "", rc ? have : "no object",
				       version);
	return BERTH_OK;
}

/* ================================================================== */
/* create / destroy / validate_config                                  */
/* ================================================================== */

static int init_schema(berth_instance *in, conn *c)
{
	/* auto_vacuum takes effect only before the first table exists:
	   on a new file it makes maintain's incremental vacuum possible;
	   on an old one it does nothing (maintain then only checkpoints). */
	int rc = sqlite3_exec(c->db, "PRAGMA auto_vacuum = INCREMENTAL", NULL, NULL, NULL);
	sqlite3_stmt *st = NULL;
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(c->db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(c->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(c->db, schema, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(c->db, "PRAGMA auto_vacuum", -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		in->incremental = sqlite3_column_int(st, 0) == 2;
	sqlite3_finalize(st);
	if (rc != SQLITE_OK) {
		int status = dberr(in, c, rc, "set up %s", in->path);
		if (!sqlite3_get_autocommit(c->db))
			sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
		return status;
	}
	return BERTH_OK;
}

static int sq_validate_config(const berth_host *host, const berth_config *config)
{
	options o;
	int rc = parse_options(host, config, &o);
	return rc ? rc : check_file(host, o.path);
}

static void sq_destroy(berth_instance *in)
{
	while (in->idle) {
		conn *c = in->idle;
		in->idle = c->next;
		conn_close(c);
	}
	pthread_mutex_destroy(&in->mu);
	free(in->path);
	free(in);
}

static int sq_create(berth_instance **out, const berth_host *host,
		     const berth_config *config)
{
	options o;
	int rc = parse_options(host, config, &o);
	if (rc == BERTH_OK)
		rc = check_file(host, o.path);
	if (rc)
		return rc;
	berth_instance *in = calloc(1, sizeof *in);
	if (!in || !(in->path = strdup(o.path))) {
		free(in);
		return berth_sdk_error(host, NAME, BERTH_E_NOMEM, "out of memory");
	}
	in->host = host;
	in->opt = o;
	in->opt.path = in->path;
	pthread_mutex_init(&in->mu, NULL);
	conn *c;
	if ((rc = conn_open(in, &c)) == BERTH_OK) {
		rc = init_schema(in, c);
		conn_put(in, c);
	}
	if (rc) {
		sq_destroy(in);
		return rc;
	}
	berth_sdk_log(host, NAME, BERTH_LOG_INFO,
		      "database %s (SQLite %s, WAL, synchronous %s, %s vacuum)",
		      in->path, sqlite3_libversion(), o.sync,
		      in->incremental ? "incremental" : "no incremental");
	*out = in;
	return BERTH_OK;
}

/* ================================================================== */
/* Whole objects, stat                                                 */
/* ================================================================== */

typedef struct get_arg {
	const char *path;
	char *buf;
	size_t len;
} get_arg;

static int tx_get(berth_instance *in, conn *c, void *arg)
{
	get_arg *a = arg;
	obj o;
	int rc = obj_get(in, c, a->path, strlen(a->path), &o);
	if (rc <= 0)
		return rc ? rc : berth_sdk_error(in->host, NAME, BERTH_E_NOT_FOUND,
						 "%s not found", a->path);
	if ((uint64_t)o.size >= SIZE_MAX)
		return berth_sdk_error(in->host, NAME, BERTH_E_NOMEM,
				       "%s is too large to read whole", a->path);
	/* Straight into host->alloc memory: berth_sdk_host_dup would copy a
	   possibly large object a second time. */
	char *buf = in->host->alloc((size_t)o.size + 1);
	if (!buf)
		return berth_sdk_error(in->host, NAME, BERTH_E_NOMEM, "out of memory");
	sqlite3_stmt *st = q(c, Q_CHUNKS, &rc);
	size_t got = 0;
	if (st) {
		sqlite3_bind_int64(st, 1, o.blob);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			int64_t off = sqlite3_column_int64(st, 0);
			size_t n = (size_t)sqlite3_column_bytes(st, 1);
			if (off != (int64_t)got || got + n > (size_t)o.size)
				break;
			memcpy(buf + got, sqlite3_column_blob(st, 1), n);
			got += n;
		}
		sqlite3_reset(st);
	}
	if (rc != SQLITE_DONE || got != (size_t)o.size) {
		in->host->free(buf);
		if (rc == SQLITE_DONE || rc == SQLITE_ROW)
			return berth_sdk_error(in->host, NAME, BERTH_E_IO,
					       "%s: chunks do not match its size", a->path);
		return dberr(in, c, rc, "read %s", a->path);
	}
	buf[got] = 0;
	a->buf = buf;
	a->len = got;
	return BERTH_OK;
}

static int sq_get_content(berth_instance *in, const char *path, char **out,
			  size_t *out_len)
{
	int rc = berth_sdk_path_check(in->host, NAME, path, 0);
	if (rc)
		return rc;
	get_arg a = {path, NULL, 0};
	if ((rc = with_tx(in, 0, tx_get, &a)))
		return rc;
	*out = a.buf;
	*out_len = a.len;
	return BERTH_OK;
}

typedef struct put_arg {
	const char *path;
	const void *data;
	size_t len;
} put_arg;

static int tx_put_fn(berth_instance *in, conn *c, void *arg)
{
	put_arg *a = arg;
	return tx_put(in, c, a->path, a->data, a->len);
}

static int sq_put_content(berth_instance *in, const char *path,
			  const void *data, size_t len)
{
	int rc = berth_sdk_path_check(in->host, NAME, path, 0);
	if (rc)
		return rc;
	put_arg a = {path, data, len};
	return with_tx(in, 1, tx_put_fn, &a);
}

typedef struct stat_arg {
	const char *path;
	berth_stat_info *st;
	char *version; /* NULL for plain stat */
} stat_arg;

static int tx_stat(berth_instance *in, conn *c, void *arg)
{
	stat_arg *a = arg;
	obj o;
	memset(a->st, 0, sizeof *a->st);
	int rc = strcmp(a->path, "/") ? obj_get(in, c, a->path, strlen(a->path), &o) : 0;
	if (rc < 0)
		return rc;
	if (rc) {
		a->st->size = (uint64_t)o.size;
		a->st->mtime_ns = o.mtime_ns;
		if (a->version)
			snprintf(a->version, BERTH_VERSION_MAX, "%lld",
				 (long long)o.version);
		return BERTH_OK;
	}
	/* A directory: mtime 0 (unknown), which the edge rules allow; the
	   newest object below would cost a scan of the subtree. */
	if (strcmp(a->path, "/") && (rc = has_below(in, c, a->path)) <= 0)
		return rc ? rc : berth_sdk_error(in->host, NAME, BERTH_E_NOT_FOUND,
						 "%s not found", a->path);
	a->st->is_dir = 1;
	if (a->version)
		a->version[0] = 0;
	return BERTH_OK;
}

static int sq_stat(berth_instance *in, const char *path, berth_stat_info *out)
{
	int rc = berth_sdk_path_check(in->host, NAME, path, BERTH_SDK_PATH_ALLOW_ROOT);
	stat_arg a = {path, out, NULL};
	return rc ? rc : with_tx(in, 0, tx_stat, &a);
}

static int sq_stat_version(berth_instance *in, const char *path,
			   berth_stat_info *out, char *out_version)
{
	int rc = berth_sdk_path_check(in->host, NAME, path, BERTH_SDK_PATH_ALLOW_ROOT);
	stat_arg a = {path, out, out_version};
	return rc ? rc : with_tx(in, 0, tx_stat, &a);
}

/* ================================================================== */
/* Tree: list, walk, move, remove                                      */
/* ================================================================== */

typedef struct child {
	char *path;
	berth_stat_info st;
} child;

typedef struct kids {
	const char *dir;
	child *v;
	size_t n, cap;
} kids;

static void kids_free(kids *k)
{
	for (size_t i = 0; i < k->n; i++)
		free(k->v[i].path);
	free(k->v);
}

/* One probe: the first object path in (lo, hi) or [lo, hi), copied to
   *out (NULL when there is none), with its size and mtime. */
static int probe(berth_instance *in, conn *c, int id, const char *lo,
		 const char *hi, char **out, berth_stat_info *st)
{
	int rc;
	sqlite3_stmt *s = q(c, id, &rc);
	*out = NULL;
	if (!s)
		return dberr(in, c, rc, "list");
	bind_text(s, 1, lo);
	bind_text(s, 2, hi);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*out = strdup((const char *)sqlite3_column_text(s, 0));
		st->size = (uint64_t)sqlite3_column_int64(s, 1);
		st->mtime_ns = sqlite3_column_int64(s, 2);
	}
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return *out ? BERTH_OK
			    : berth_sdk_error(in->host, NAME, BERTH_E_NOMEM, "out of memory");
	return rc == SQLITE_DONE ? BERTH_OK : dberr(in, c, rc, "list");
}

/*
 * The direct children of k->dir, by skip scan: the first path below the
 * directory names the first child; the next child is the first path
 * after that child's own subtree, so each child costs one or two index
 * probes however large its subtree.  A child "a" found as the object
 * "P/a" is followed first by the paths in ("P/a", "P/a/") -- "P/a-b",
 * "P/a.x" sort there -- and then by those from "P/a0" on; found as a
 * directory (through "P/a/..."), everything before that was seen
 * already, and the next child starts at "P/a0".  Each probe starts
 * after the path found last, so the scan always ends.
 */
static int tx_children(berth_instance *in, conn *c, void *arg)
{
	kids *k = arg;
	range r;
	int rc = range_of(in, k->dir, &r);
	if (rc)
		return rc;
	size_t plen = strlen(r.lo);
	berth_stat_info st = {0};
	char *p = NULL;
	rc = probe(in, c, Q_BELOW, r.lo, r.hi, &p, &st);
	while (rc == BERTH_OK && p) {
		size_t nlen = plen + strcspn(p + plen, "/");
		int is_dir = p[nlen] != 0;
		p[nlen] = 0; /* the child's path */
		if (k->n == k->cap) {
			size_t cap = k->cap ? 2 * k->cap : 16;
			child *v = realloc(k->v, cap * sizeof *v);
			if (!v) {
				free(p);
				rc = berth_sdk_error(in->host, NAME, BERTH_E_NOMEM, "out of memory");
				break;
			}
			k->v = v;
			k->cap = cap;
		}
		child *ch = &k->v[k->n++];
		ch->path = p;
		memset(&ch->st, 0, sizeof ch->st);
		if (is_dir)
			ch->st.is_dir = 1;
		else
			ch->st = st;
		char *b = malloc(nlen + 2);
		if (!b) {
			rc = berth_sdk_error(in->host, NAME, BERTH_E_NOMEM, "out of memory");
			break;
		}
		memcpy(b, p, nlen);
		memcpy(b + nlen, "/", 2);
		p = NULL;
		if (!is_dir)
			rc = probe(in, c, Q_BELOW, ch->path, b, &p, &st);
		if (rc == BERTH_OK && !p) {
			b[nlen] = '0';
			rc = probe(in, c, Q_FROM, b, r.hi, &p, &st);
		}
		free(b);
	}
	free(r.lo);
	if (rc == BERTH_OK && !k->n && strcmp(k->dir, "/"))
		rc = berth_sdk_error(in->host, NAME, BERTH_E_NOT_FOUND,
				     "%s is not a directory", k->dir);
	return rc;
}

static int child_cmp(const void *a, const void *b)
{
	return strcmp(((const child *)a)->path, ((const child *)b)->path);
}

/* The children of `dir` sorted by name; no connection held afterwards. */
static int children(berth_instance *in, const char *dir, kids *k)
{
	memset(k, 0, sizeof *k);
	k->dir = dir;
	int rc = with_tx(in, 0, tx_children, k);
	if (rc) {
		kids_free(k);
		return rc;
	}
	if (k->n) /* qsort wants a non-NULL array even for none */
		qsort(k->v, k->n, sizeof *k->v, child_cmp);
	/* A name twice would take an object and a directory at one path,
	   which check_place rules out; drop it anyway rather than report it
	   twice. */
	size_t n = 0;
	for (size_t i = 0; i < k->n; i++) {
		if (n && !strcmp(k->v[n - 1].path, k->v[i].path))
			free(k->v[i].path);
		else
			k->v[n++] = k->v[i];
	}
	k->n = n;
	return BERTH_OK;
}

static int sq_list(berth_instance *in, const char *path, berth_list_cb cb,
		   void *payload)
{
	int rc = berth_sdk_path_check(in->host, NAME, path, BERTH_SDK_PATH_ALLOW_ROOT);
	kids k;
	if (rc || (rc = children(in, path, &k)))
		return rc;
	for (size_t i = 0; i < k.n && !cb(k.v[i].path, payload); i++)
		;
	kids_free(&k);
	return BERTH_OK;
}

/* Depth-first below `dir`; *stop once the callback said STOP.  A
   directory that vanished meanwhile (a callback removed it) is empty. */
static int walk_dir(berth_instance *in, const char *dir, const char *after,
		    berth_walk_cb cb, void *payload, int *stop)
{
	kids k;
	int rc = children(in, dir, &k);
	if (rc)
		return rc;
	for (size_t i = 0; i < k.n && !*stop && rc == BERTH_OK; i++) {
		const child *ch = &k.v[i];
		int descend = ch->st.is_dir;
		if (after && berth_sdk_path_cmp(ch->path, after) <= 0) {
			/* Already reported: skip it, but enter the directories
			   holding start_after (what follows it inside them is
			   new). */
			if (!descend || !berth_sdk_path_under(after, ch->path))
				continue;
		} else {
			berth_walk_action act = cb(ch->path, &ch->st, payload);
			if (act == BERTH_WALK_STOP)
				*stop = 1;
			if (act != BERTH_WALK_CONTINUE)
				descend = 0;
		}
		if (descend) {
			rc = walk_dir(in, ch->path, after, cb, payload, stop);
			if (rc == BERTH_E_NOT_FOUND)
				rc = BERTH_OK;
		}
	}
	kids_free(&k);
	return rc;
}

static int sq_walk(berth_instance *in, const char *path, const char *start_after,
		   berth_walk_cb cb, void *payload)
{
	int rc = berth_sdk_path_check(in->host, NAME, path, BERTH_SDK_PATH_ALLOW_ROOT);
	int stop = 0;
	return rc ? rc : walk_dir(in, path, start_after, cb, payload, &stop);
}

typedef struct two_paths {
	const char *a, *b;
} two_paths;

static int tx_move_fn(berth_instance *in, conn *c, void *arg)
{
	two_paths *p = arg;
	return tx_move(in, c, p->a, p->b);
}

static int sq_move(berth_instance *in, const char *src, const char *dst)
{
	int rc = berth_sdk_path_check(in->host, NAME, src, 0);
	if (rc == BERTH_OK)
		rc = berth_sdk_path_check(in->host, NAME, dst, 0);
	two_paths p = {src, dst};
	return rc ? rc : with_tx(in, 1, tx_move_fn, &p);
}

static int tx_remove_fn(berth_instance *in, conn *c, void *arg)
{
	return tx_remove(in, c, arg);
}

static int sq_remove(berth_instance *in, const char *path)
{
	int rc = berth_sdk_path_check(in->host, NAME, path, 0);
	return rc ? rc : with_tx(in, 1, tx_remove_fn, (void *)path);
}

/* ================================================================== */
/* batch                                                               */
/* ================================================================== */

typedef struct batch_arg {
	const berth_batch_op *ops;
	size_t count;
} batch_arg;

static int tx_batch(berth_instance *in, conn *c, void *arg)
{
	batch_arg *b = arg;
	int rc = BERTH_OK;
	for (size_t i = 0; i < b->count && rc == BERTH_OK; i++) {
		const berth_batch_op *op = &b->ops[i];
		switch (op->kind) {
		case BERTH_BATCH_PUT:
			rc = tx_put(in, c, op->path, op->data, op->len);
			break;
		case BERTH_BATCH_MOVE:
			rc = tx_move(in, c, op->path, op->dst);
			break;
		case BERTH_BATCH_REMOVE:
			rc = tx_remove(in, c, op->path);
			break;
		default:
			rc = tx_expect(in, c, op->path, op->version);
			break;
		}
	}
	return rc;
}

/* One transaction: SQLite's atomic commit gives "all or nothing, also
   after a crash", and every op sees the ones before it. */
static int sq_batch(berth_instance *in, const berth_batch_op *ops, size_t count)
{
	if (!count || count > BATCH_MAX || !ops)
		return berth_sdk_error(in->host, NAME, BERTH_E_INVALID_ARGUMENT,
				       "batch of %zu ops (1..%d)", count, BATCH_MAX);
	/* Arguments first, in order, so the error is the first bad op's. */
	for (size_t i = 0; i < count; i++) {
		const berth_batch_op *op = &ops[i];
		int rc;
		if (op->kind > BERTH_BATCH_EXPECT || op->reserved)
			return berth_sdk_error(in->host, NAME, BERTH_E_INVALID_ARGUMENT,
					       "batch op %zu: kind %u, reserved %u", i,
					       op->kind, op->reserved);
		if ((rc = berth_sdk_path_check(in->host, NAME, op->path, 0)))
			return rc;
		if (op->kind == BERTH_BATCH_MOVE &&
		    (rc = berth_sdk_path_check(in->host, NAME, op->dst, 0)))
			return rc;
		if (op->kind == BERTH_BATCH_PUT && op->len && !op->data)
			return berth_sdk_error(in->host, NAME, BERTH_E_INVALID_ARGUMENT,
					       "batch op %zu: no data", i);
	}
	batch_arg b = {ops, count};
	return with_tx(in, 1, tx_batch, &b);
}

/* ================================================================== */
/* Readers                                                             */
/* ================================================================== */

struct berth_reader {
	berth_instance *in;
	char *path;
	int64_t blob;
	uint64_t size, pos;
	unsigned char *cache; /* the chunk holding cache_off .. + cache_len */
	uint64_t cache_off;
	size_t cache_len, cache_cap;
};

typedef struct open_arg {
	const char *path;
	obj o;
} open_arg;

static int tx_reader_open(berth_instance *in, conn *c, void *arg)
{
	open_arg *a = arg;
	int rc = obj_get(in, c, a->path, strlen(a->path), &a->o);
	return rc > 0 ? BERTH_OK
		      : rc ? rc
			   : berth_sdk_error(in->host, NAME, BERTH_E_NOT_FOUND,
					     "%s not found", a->path);
}

static int sq_reader_open(berth_reader **out, berth_instance *in,
			  const char *path, int64_t offset)
{
	int rc = berth_sdk_path_check(in->host, NAME, path, 0);
	open_arg a = {path, {0}};
	if (rc || (rc = with_tx(in, 0, tx_reader_open, &a)))
		return rc;
	if (offset < 0 || offset > a.o.size)
		return berth_sdk_error(in->host, NAME, BERTH_E_INVALID_OFFSET,
				       "offset %lld outside %s (%lld bytes)",
				       (long long)offset, path, (long long)a.o.size);
	berth_reader *r = calloc(1, sizeof *r);
	if (!r || !(r->path = strdup(path))) {
		free(r);
		return berth_sdk_error(in->host, NAME, BERTH_E_NOMEM, "out of memory");
	}
	r->in = in;
	r->blob = a.o.blob;
	r->size = (uint64_t)a.o.size;
	r->pos = (uint64_t)offset;
	*out = r;
	return BERTH_OK;
}

/* Fetch the chunk holding r->pos into the cache.  Its absence means the
   object was replaced or removed since reader_open. */
static int fetch(berth_reader *r)
{
	berth_instance *in = r->in;
	conn *c;
	int rc = conn_get(in, &c), src;
	if (rc)
		return rc;
	sqlite3_stmt *st = q(c, Q_CHUNK_AT, &src);
	if (st) {
		sqlite3_bind_int64(st, 1, r->blob);
		sqlite3_bind_int64(st, 2, (int64_t)r->pos);
		src = sqlite3_step(st);
	}
	if (src == SQLITE_ROW) {
		uint64_t off = (uint64_t)sqlite3_column_int64(st, 0);
		size_t n = (size_t)sqlite3_column_bytes(st, 1);
		if (off + n <= r->pos) {
			rc = berth_sdk_error(in->host, NAME, BERTH_E_NOT_FOUND,
					     "%s was replaced or removed while being read",
					     r->path);
		} else {
			if (n > r->cache_cap) {
				unsigned char *p = realloc(r->cache, n);
				if (!p)
					rc = berth_sdk_error(in->host, NAME, BERTH_E_NOMEM,
							     "out of memory");
				else {
					r->cache = p;
					r->cache_cap = n;
				}
			}
			if (rc == BERTH_OK) {
				memcpy(r->cache, sqlite3_column_blob(st, 1), n);
				r->cache_off = off;
				r->cache_len = n;
			}
		}
	} else if (src == SQLITE_DONE) {
		rc = berth_sdk_error(in->host, NAME, BERTH_E_NOT_FOUND,
				     "%s was replaced or removed while being read", r->path);
	} else {
		rc = dberr(in, c, src, "read %s", r->path);
	}
	if (st)
		sqlite3_reset(st);
	conn_put(in, c);
	return rc;
}

static int sq_reader_read(berth_reader *r, void *buf, size_t cap, size_t *out_n)
{
	*out_n = 0;
	if (r->pos >= r->size || !cap)
		return BERTH_OK;
	if (r->pos < r->cache_off || r->pos >= r->cache_off + r->cache_len) {
		int rc = fetch(r);
		if (rc)
			return rc;
	}
	uint64_t end = r->cache_off + r->cache_len;
	if (end > r->size)
		end = r->size; /* never more than the object had */
	size_t n = end - r->pos < cap ? (size_t)(end - r->pos) : cap;
	memcpy(buf, r->cache + (r->pos - r->cache_off), n);
	r->pos += n;
	*out_n = n;
	return BERTH_OK;
}

static void sq_reader_close(berth_reader *r)
{
	free(r->cache);
	free(r->path);
	free(r);
}

/* ================================================================== */
/* Writers                                                             */
/* ================================================================== */

/*
 * A writer's bytes: `dur` of them stored as chunk rows of `blob`, listed
 * in writers(path, blob, size = dur), and the rest in `buf` (less than
 * one chunk).  Every change to the rows is one transaction that also
 * updates writers.size, so after a crash append resumes exactly the
 * stored bytes: a prefix of what was written.  The row is checked on
 * every change, so a writer whose data was discarded (remove, or another
 * writer opened on the path) fails instead of leaving orphan chunks.
 */
struct berth_writer {
	berth_instance *in;
	char *path;
	int64_t blob;
	uint64_t dur;
	berth_sdk_buf buf;
	int done;             /* committed or cancelled */
	uint64_t hint_size;   /* UINT64_MAX: none */
	char *hint_digest;    /* "sha256:<hex>" to verify, or NULL */
};

typedef struct wopen_arg {
	berth_writer *w;
	int append;
} wopen_arg;

static int tx_writer_open(berth_instance *in, conn *c, void *arg)
{
	wopen_arg *a = arg;
	berth_writer *w = a->w;
	int rc;
	sqlite3_stmt *st = q(c, Q_W_GET, &rc);
	if (!st)
		return dberr(in, c, rc, "open writer %s", w->path);
	bind_text(st, 1, w->path);
	rc = sqlite3_step(st);
	int64_t blob = 0, size = 0;
	if (rc == SQLITE_ROW) {
		blob = sqlite3_column_int64(st, 0);
		size = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dberr(in, c, rc, "open writer %s", w->path);
	if (rc == SQLITE_ROW && a->append) {
		w->blob = blob; /* continue the data left by a closed writer */
		w->dur = (uint64_t)size;
		return BERTH_OK;
	}
	if (rc == SQLITE_ROW && (rc = run_int(in, c, Q_CHUNKS_DEL, blob, "discard writer data")))
		return rc;
	if ((rc = next_seq(in, c, &w->blob)))
		return rc;
	obj o;
	if (a->append && (rc = obj_get(in, c, w->path, strlen(w->path), &o)) < 0)
		return rc;
	if (a->append && rc) {
		/* Continue the committed object: a copy of its chunks, inside
		   the database (the object stays as it is until commit). */
		int src;
		if ((st = q(c, Q_CHUNKS_COPY, &src))) {
			sqlite3_bind_int64(st, 1, w->blob);
			sqlite3_bind_int64(st, 2, o.blob);
			src = run(st);
		}
		if (src != SQLITE_OK)
			return dberr(in, c, src, "copy %s", w->path);
		w->dur = (uint64_t)o.size;
	}
	if ((st = q(c, Q_W_SET, &rc))) {
		bind_text(st, 1, w->path);
		sqlite3_bind_int64(st, 2, w->blob);
		sqlite3_bind_int64(st, 3, (int64_t)w->dur);
		rc = run(st);
	}
	return rc == SQLITE_OK ? BERTH_OK : dberr(in, c, rc, "open writer %s", w->path);
}

static void writer_free(berth_writer *w)
{
	berth_sdk_buf_free(&w->buf);
	free(w->hint_digest);
	free(w->path);
	free(w);
}

static int sq_writer_open_hinted(berth_writer **out, berth_instance *in,
				 const char *path, int append,
				 const berth_writer_hints *hints)
{
	int rc = berth_sdk_path_check(in->host, NAME, path, 0);
	if (rc)
		return rc;
	berth_writer *w = calloc(1, sizeof *w);
	if (!w || !(w->path = strdup(path)) ||
	    /* room for a whole chunk now, so appends never fail midway */
	    berth_sdk_buf_reserve(&w->buf, in->opt.chunk)) {
		if (w)
			writer_free(w);
		return berth_sdk_error(in->host, NAME, BERTH_E_NOMEM, "out of memory");
	}
	w->in = in;
	w->hint_size = UINT64_MAX;
	/* Read only the members the caller's struct_size covers. */
	size_t hs = hints ? hints->struct_size : 0;
	if (hs >= offsetof(berth_writer_hints, size) + sizeof hints->size)
		w->hint_size = hints->size;
	const char *dg = hs >= offsetof(berth_writer_hints, digest) + sizeof(char *)
				 ? hints->digest : NULL;
	/* Only SHA-256 can be verified (the SDK's hash helper); another
	   digest is kept by nobody: the core checks it anyway. */
	if (dg && !strncmp(dg, "sha256:", 7) && strlen(dg) == 7 + 64 &&
	    !(w->hint_digest = strdup(dg))) {
		writer_free(w);
		return berth_sdk_error(in->host, NAME, BERTH_E_NOMEM, "out of memory");
	}
	wopen_arg a = {w, append};
	if ((rc = with_tx(in, 1, tx_writer_open, &a))) {
		writer_free(w);
		return rc;
	}
	*out = w;
	return BERTH_OK;
}

static int sq_writer_open(berth_writer **out, berth_instance *in,
			  const char *path, int append)
{
	return sq_writer_open_hinted(out, in, path, append, NULL);
}

/* Record the writer's stored size; NOT_FOUND when its data was
   discarded meanwhile. */
static int writer_mark(berth_writer *w, conn *c, uint64_t size)
{
	int rc;
	sqlite3_stmt *st = q(c, Q_W_SIZE, &rc);
	if (st) {
		bind_text(st, 1, w->path);
		sqlite3_bind_int64(st, 2, w->blob);
		sqlite3_bind_int64(st, 3, (int64_t)size);
		rc = run(st);
	}
	if (rc != SQLITE_OK)
		return dberr(w->in, c, rc, "write %s", w->path);
	if (sqlite3_changes(c->db) != 1)
		return berth_sdk_error(w->in->host, NAME, BERTH_E_NOT_FOUND,
				       "the uncommitted data of %s was discarded "
				       "(removed, or another writer opened)", w->path);
	return BERTH_OK;
}

typedef struct wwrite_arg {
	berth_writer *w;
	const unsigned char *data; /* after buf's bytes */
	size_t len;                /* whole chunks of data */
} wwrite_arg;

/* Store buf (full) and then `len` bytes of `data`, all whole chunks. */
static int tx_writer_store(berth_instance *in, conn *c, void *arg)
{
	wwrite_arg *a = arg;
	berth_writer *w = a->w;
	int rc = chunks_add(in, c, w->blob, (int64_t)w->dur, w->buf.data, w->buf.len);
	if (rc == BERTH_OK && a->len)
		rc = chunks_add(in, c, w->blob, (int64_t)(w->dur + w->buf.len),
				a->data, a->len);
	if (rc == BERTH_OK)
		rc = writer_mark(w, c, w->dur + w->buf.len + a->len);
	return rc;
}

static int sq_writer_write(berth_writer *w, const void *data, size_t len)
{
	berth_instance *in = w->in;
	if (w->done)
		return berth_sdk_error(in->host, NAME, BERTH_E_STATE,
				       "writer of %s already finished", w->path);
	size_t chunk = in->opt.chunk, old = w->buf.len;
	if (old + len < chunk)
		return berth_sdk_buf_append(&w->buf, data, len); /* reserved: OK */
	/* Fill buf to a chunk, store it and the whole chunks of data that
	   follow in one transaction, keep the tail in buf.  On error
	   nothing was stored and buf is as before: this call's bytes count
	   for nothing, as the ABI says. */
	const unsigned char *p = data;
	size_t head = chunk - old;
	berth_sdk_buf_append(&w->buf, p, head);
	size_t whole = (len - head) / chunk * chunk;
	wwrite_arg a = {w, p + head, whole};
	int rc = with_tx(in, 1, tx_writer_store, &a);
	if (rc) {
		w->buf.len = old;
		return rc;
	}
	w->dur += chunk + whole;
	w->buf.len = 0;
	return berth_sdk_buf_append(&w->buf, p + head + whole, len - head - whole);
}

static int sq_writer_flush(berth_writer *w)
{
	if (w->done)
		return berth_sdk_error(w->in->host, NAME, BERTH_E_STATE,
				       "writer of %s already finished", w->path);
	if (!w->buf.len)
		return BERTH_OK;
	wwrite_arg a = {w, NULL, 0};
	int rc = with_tx(w->in, 1, tx_writer_store, &a);
	if (rc == BERTH_OK) {
		w->dur += w->buf.len;
		w->buf.len = 0;
	}
	return rc;
}

static uint64_t sq_writer_size(berth_writer *w)
{
	return w->dur + w->buf.len;
}

/* Does the blob hash to the hinted SHA-256?  The data is read back from
   the database, chunk by chunk, so a writer resumed from an earlier
   session (whose hash state is gone) is verified the same way. */
static int verify_digest(berth_writer *w, conn *c)
{
	berth_instance *in = w->in;
	berth_sdk_hash *h = berth_sdk_hash_new(BERTH_SDK_HASH_SHA256);
	if (!h)
		return berth_sdk_error(in->host, NAME, BERTH_E_NOMEM, "out of memory");
	int rc, src;
	sqlite3_stmt *st = q(c, Q_CHUNKS, &src);
	if (st) {
		sqlite3_bind_int64(st, 1, w->blob);
		while ((src = sqlite3_step(st)) == SQLITE_ROW)
			if (berth_sdk_hash_update(h, sqlite3_column_blob(st, 1),
						  (size_t)sqlite3_column_bytes(st, 1)))
				break;
		sqlite3_reset(st);
	}
	unsigned char d[BERTH_SDK_SHA256_LEN];
	size_t dlen = 0;
	char hex[2 * BERTH_SDK_SHA256_LEN + 1];
	if (src != SQLITE_DONE)
		rc = src == SQLITE_ROW ? berth_sdk_error(in->host, NAME, BERTH_E_IO, "sha256 failed")
				       : dberr(in, c, src, "read %s", w->path);
	else if (berth_sdk_hash_final(h, d, &dlen) || dlen != sizeof d)
		rc = berth_sdk_error(in->host, NAME, BERTH_E_IO, "sha256 failed");
	else
		rc = BERTH_OK;
	if (rc == BERTH_OK) {
		berth_sdk_hex_encode(d, dlen, hex);
		if (strcasecmp(hex, w->hint_digest + 7))
			rc = berth_sdk_error(in->host, NAME, BERTH_E_INVALID_ARGUMENT,
					     "%s: the data is sha256:%s, not the hinted %s",
					     w->path, hex, w->hint_digest);
	}
	berth_sdk_hash_free(h);
	return rc;
}

/* Store the tail, check the hints and the place, and relabel the blob
   as the object: one transaction. */
static int tx_writer_commit(berth_instance *in, conn *c, void *arg)
{
	berth_writer *w = arg;
	uint64_t total = w->dur + w->buf.len;
	int rc = chunks_add(in, c, w->blob, (int64_t)w->dur, w->buf.data, w->buf.len);
	if (rc == BERTH_OK)
		rc = writer_mark(w, c, total);
	if (rc)
		return rc;
	if (w->hint_size != UINT64_MAX && total != w->hint_size)
		return berth_sdk_error(in->host, NAME, BERTH_E_INVALID_ARGUMENT,
				       "%s: %llu bytes written, %llu hinted", w->path,
				       (unsigned long long)total,
				       (unsigned long long)w->hint_size);
	if (w->hint_digest && (rc = verify_digest(w, c)))
		return rc;
	if ((rc = check_place(in, c, w->path)) || (rc = obj_drop(in, c, w->path)))
		return rc;
	obj o = {.blob = w->blob, .size = (int64_t)total,
		 .mtime_ns = in->host->now_ns()};
	if ((rc = next_seq(in, c, &o.version)) || (rc = obj_set(in, c, w->path, &o)))
		return rc;
	sqlite3_stmt *st = q(c, Q_W_DEL, &rc);
	if (st) {
		bind_text(st, 1, w->path);
		sqlite3_bind_int64(st, 2, w->blob);
		rc = run(st);
	}
	return rc == SQLITE_OK ? BERTH_OK : dberr(in, c, rc, "commit %s", w->path);
}

static int sq_writer_commit(berth_writer *w)
{
	if (w->done)
		return berth_sdk_error(w->in->host, NAME, BERTH_E_STATE,
				       "writer of %s already finished", w->path);
	int rc = with_tx(w->in, 1, tx_writer_commit, w);
	if (rc == BERTH_OK) {
		w->dur += w->buf.len;
		w->buf.len = 0;
		w->done = 1;
	}
	return rc;
}

static int tx_writer_cancel(berth_instance *in, conn *c, void *arg)
{
	berth_writer *w = arg;
	int rc = run_int(in, c, Q_CHUNKS_DEL, w->blob, "cancel");
	if (rc)
		return rc;
	sqlite3_stmt *st = q(c, Q_W_DEL, &rc);
	if (st) {
		bind_text(st, 1, w->path);
		sqlite3_bind_int64(st, 2, w->blob);
		rc = run(st);
	}
	return rc == SQLITE_OK ? BERTH_OK : dberr(in, c, rc, "cancel %s", w->path);
}

static int sq_writer_cancel(berth_writer *w)
{
	if (w->done)
		return berth_sdk_error(w->in->host, NAME, BERTH_E_STATE,
				       "writer of %s already finished", w->path);
	int rc = with_tx(w->in, 1, tx_writer_cancel, w);
	if (rc == BERTH_OK) {
		w->done = 1;
		w->buf.len = 0;
	}
	return rc;
}

static int sq_writer_close(berth_writer *w)
{
	/* Uncommitted: store the tail, so append continues every byte. */
	int rc = w->done ? BERTH_OK : sq_writer_flush(w);
	writer_free(w);
	return rc;
}

/* ================================================================== */
/* maintain                                                            */
/* ================================================================== */

/* Pages freed per incremental vacuum step: small steps keep the write
   lock short, so the calls running meanwhile only queue briefly. */
#define VACUUM_STEP 256

static int sq_maintain(berth_instance *in, int64_t budget_ns, int *out_more)
{
	int64_t deadline = in->host->now_ns() + (budget_ns > 0 ? budget_ns : 0);
	conn *c;
	int rc = conn_get(in, &c);
	if (rc)
		return rc;
	int more = 0, src = SQLITE_OK;
	/* Give free pages back to the filesystem, a step at a time. */
	while (in->incremental) {
		sqlite3_stmt *st = NULL;
		int64_t freelist = 0;
		src = sqlite3_prepare_v2(c->db, "PRAGMA freelist_count", -1, &st, NULL);
		if (src == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
			freelist = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		if (src != SQLITE_OK || !freelist)
			break;
		if (in->host->now_ns() >= deadline) {
			more = 1;
			break;
		}
		char sqlbuf[64];
		snprintf(sqlbuf, sizeof sqlbuf, "PRAGMA incremental_vacuum(%d)", VACUUM_STEP);
		src = sqlite3_exec(c->db, sqlbuf, NULL, NULL, NULL);
		if ((src & 0xff) == SQLITE_BUSY) {
			more = 1; /* busy writers: try again later */
			src = SQLITE_OK;
			break;
		}
		if (src != SQLITE_OK)
			break;
	}
	/* Copy the WAL into the database without waiting for anyone
	   (PASSIVE): frames readers still need stay for the next time.
	   SQLite cannot stop a checkpoint midway, but its automatic
	   checkpoints keep the WAL near 1000 pages, so this one is short
	   unless long-lived readers held it back. */
	if (src == SQLITE_OK) {
		int log = 0, done = 0;
		src = sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
						&log, &done);
		if ((src & 0xff) == SQLITE_BUSY) {
			src = SQLITE_OK;
			more = 1;
		} else if (src == SQLITE_OK && log > done)
			more = 1;
	}
	if (src != SQLITE_OK)
		rc = dberr(in, c, src, "maintain");
	conn_put(in, c);
	if (rc == BERTH_OK)
		*out_more = more;
	return rc;
}

/* ================================================================== */
/* The descriptor and the entry point                                  */
/* ================================================================== */

static const berth_storage_driver sqlite_driver = {
	BERTH_STORAGE_HEAD(NAME, "0.1.0",
			   BERTH_CAP_NATIVE_WALK | BERTH_CAP_SERVER_MOVE |
				   BERTH_CAP_RANGE_READ | BERTH_CAP_APPEND |
				   BERTH_CAP_BATCH | BERTH_CAP_WRITER_FLUSH |
				   BERTH_CAP_MAINTAIN | BERTH_CAP_WRITER_HINTS |
				   BERTH_CAP_VALIDATE_CONFIG |
				   BERTH_CAP_STAT_VERSION),
	.create = sq_create,
	.destroy = sq_destroy,
	.get_content = sq_get_content,
	.put_content = sq_put_content,
	.reader_open = sq_reader_open,
	.reader_read = sq_reader_read,
	.reader_close = sq_reader_close,
	.writer_open = sq_writer_open,
	.writer_write = sq_writer_write,
	.writer_size = sq_writer_size,
	.writer_commit = sq_writer_commit,
	.writer_cancel = sq_writer_cancel,
	.writer_close = sq_writer_close,
	.stat = sq_stat,
	.list = sq_list,
	.move = sq_move,
	.remove = sq_remove,
	.walk = sq_walk,
	/* redirect_url, open_fd: NULL, not supported. */
	.batch = sq_batch,
	.writer_flush = sq_writer_flush,
	.maintain = sq_maintain,
	.writer_open_hinted = sq_writer_open_hinted,
	.validate_config = sq_validate_config,
	.stat_version = sq_stat_version,
};

/* Exports berth_storage_driver_v1, the only visible symbol. */
BERTH_STORAGE_DRIVER(&sqlite_driver)
