/*
 * storage/store.c - the core's calls into its storage driver.
 *
 * Thin wrappers, so that optional members (walk, open_fd, redirect_url)
 * are checked in one place, driver error details are reset before each
 * call, and unknown error codes from a driver are folded into
 * BERTH_E_IO.  A driver without a native walk gets one here, built from
 * list and stat with children sorted by byte order.
 *
 * A 1.1 member is called only when its capability is claimed and the
 * member is not NULL (the loader pads a 1.0 descriptor with NULLs); the
 * fallbacks are said in store.h.  store_batch falls back to the ops one
 * by one rather than answering UNSUPPORTED so that its callers keep one
 * code path: they order their ops as the 1.0 code ordered its writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <berth/sdk.h>

#include "storage/store.h"

static int norm(int rc)
{
	return rc > 0 || rc < BERTH_E_CONFLICT ? BERTH_E_IO : rc;
}

int store_open(berth_store *s, berth_driver *driver,
		     const berth_config *cfg, char *errbuf, size_t errlen)
{
	memset(s, 0, sizeof *s);
	s->driver = driver;
	s->d = &driver->desc;
	driver_host_clear_error();
	int rc = s->d->create(&s->inst, driver_host(), cfg);
	if (rc || !s->inst) {
		const char *detail = driver_host_last_error();
		snprintf(errbuf, errlen, "storage driver %s: %s%s%s",
			 s->d->name, store_status_name(rc ? rc : BERTH_E_IO),
			 *detail ? ": " : "", detail);
		s->inst = NULL;
		return -1;
	}
	return 0;
}

void store_close(berth_store *s)
{
	if (s->inst)
		s->d->destroy(s->inst);
	s->inst = NULL;
}

#define CALL(expr) (driver_host_clear_error(), norm(expr))

int store_get(berth_store *s, const char *path, char **out, size_t *len)
{
	*out = NULL;
	*len = 0;
	return CALL(s->d->get_content(s->inst, path, out, len));
}

int store_put(berth_store *s, const char *path, const void *data, size_t len)
{
	return CALL(s->d->put_content(s->inst, path, data, len));
}

int store_stat(berth_store *s, const char *path, berth_stat_info *out)
{
	memset(out, 0, sizeof *out);
	return CALL(s->d->stat(s->inst, path, out));
}

int store_exists(berth_store *s, const char *path)
{
	berth_stat_info st;
	int rc = store_stat(s, path, &st);
	if (rc == BERTH_E_NOT_FOUND)
		return 0;
	return rc ? rc : 1;
}

int store_move(berth_store *s, const char *src, const char *dst)
{
	return CALL(s->d->move(s->inst, src, dst));
}

int store_remove(berth_store *s, const char *path)
{
	return CALL(s->d->remove(s->inst, path));
}

int store_list(berth_store *s, const char *path, berth_list_cb cb, void *p)
{
	return CALL(s->d->list(s->inst, path, cb, p));
}

/* ---- walk built from list + stat, for drivers without one ---- */

typedef struct names {
	char **v;
	size_t n, cap;
} names;

static int collect(const char *path, void *payload)
{
	names *ns = payload;
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? ns->cap * 2 : 16;
		char **v = realloc(ns->v, cap * sizeof *v);
		if (!v)
			return 1;
		ns->v = v;
		ns->cap = cap;
	}
	ns->v[ns->n] = strdup(path);
	if (!ns->v[ns->n])
		return 1;
	ns->n++;
	return 0;
}

static int by_bytes(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Returns BERTH_OK, an error, or 1 when the callback asked to stop. */
static int fallback_walk(berth_store *s, const char *path,
			 const char *start_after, berth_walk_cb cb, void *p)
{
	names ns = {0};
	int rc = CALL(s->d->list(s->inst, path, collect, &ns));
	if (rc == BERTH_OK)
		qsort(ns.v, ns.n, sizeof *ns.v, by_bytes);
	for (size_t i = 0; rc == BERTH_OK && i < ns.n; i++) {
		berth_stat_info st;
		int src = store_stat(s, ns.v[i], &st);
		if (src == BERTH_E_NOT_FOUND)
			continue; /* removed meanwhile */
		if (src) {
			rc = src;
			break;
		}
		berth_walk_action a = cb(ns.v[i], &st, p);
		if (a == BERTH_WALK_STOP) {
			rc = 1;
			break;
		}
		if (st.is_dir && a == BERTH_WALK_CONTINUE) {
			rc = fallback_walk(s, ns.v[i], start_after, cb, p);
			if (rc == BERTH_E_NOT_FOUND)
				rc = BERTH_OK; /* removed meanwhile */
		}
	}
	for (size_t i = 0; i < ns.n; i++)
		free(ns.v[i]);
	free(ns.v);
	return rc;
}

typedef struct after_filter {
	const char *start_after;
	berth_walk_cb cb;
	void *p;
} after_filter;

/* start_after is only a hint to drivers; entries up to it are dropped
   here, but the walk still descends (they may be its ancestors). */
static berth_walk_action filter_after(const char *path,
				      const berth_stat_info *info, void *p)
{
	after_filter *f = p;
	if (berth_sdk_path_cmp(path, f->start_after) <= 0)
		return BERTH_WALK_CONTINUE;
	return f->cb(path, info, f->p);
}

int store_walk(berth_store *s, const char *path, const char *start_after,
	       berth_walk_cb cb, void *p)
{
	after_filter f = {start_after, cb, p};
	if (start_after) {
		cb = filter_after;
		p = &f;
	}
	if (s->d->walk)
		return CALL(s->d->walk(s->inst, path, start_after, cb, p));
	int rc = fallback_walk(s, path, start_after, cb, p);
	return rc == 1 ? BERTH_OK : rc;
}

int store_reader(berth_store *s, const char *path, int64_t off,
		 berth_reader **out)
{
	*out = NULL;
	return CALL(s->d->reader_open(out, s->inst, path, off));
}

int store_read(berth_store *s, berth_reader *r, void *buf, size_t cap,
	       size_t *n)
{
	*n = 0;
	return CALL(s->d->reader_read(r, buf, cap, n));
}

void store_reader_close(berth_store *s, berth_reader *r)
{
	if (r)
		s->d->reader_close(r);
}

int store_writer(berth_store *s, const char *path, int append,
		 berth_writer **out)
{
	*out = NULL;
	return CALL(s->d->writer_open(out, s->inst, path, append));
}

int store_write(berth_store *s, berth_writer *w, const void *d, size_t len)
{
	return CALL(s->d->writer_write(w, d, len));
}

uint64_t store_writer_size(berth_store *s, berth_writer *w)
{
	return s->d->writer_size(w);
}

int store_commit(berth_store *s, berth_writer *w)
{
	return CALL(s->d->writer_commit(w));
}

int store_cancel(berth_store *s, berth_writer *w)
{
	return CALL(s->d->writer_cancel(w));
}

int store_writer_close(berth_store *s, berth_writer *w)
{
	return CALL(s->d->writer_close(w));
}

int store_open_fd(berth_store *s, const char *path, int *fd, uint64_t *size)
{
	*fd = -1;
	if (!s->d->open_fd || !(s->d->capabilities & BERTH_CAP_FILE_DESCRIPTOR))
		return BERTH_E_UNSUPPORTED;
	return CALL(s->d->open_fd(s->inst, path, fd, size));
}

int store_redirect(berth_store *s, const char *path, const char *method,
		   char **out)
{
	*out = NULL;
	if (!s->d->redirect_url || !(s->d->capabilities & BERTH_CAP_REDIRECT))
		return BERTH_E_UNSUPPORTED;
	return CALL(s->d->redirect_url(s->inst, path, method, out));
}

/* ---- ABI 1.1 ---- */

int store_has(const berth_store *s, uint64_t cap)
{
	const berth_storage_driver *d = s->d;
	if (!(d->capabilities & cap))
		return 0;
	switch (cap) {
	case BERTH_CAP_BATCH: return d->batch != NULL;
	case BERTH_CAP_WRITER_FLUSH: return d->writer_flush != NULL;
	case BERTH_CAP_MAINTAIN: return d->maintain != NULL;
	case BERTH_CAP_WRITER_HINTS: return d->writer_open_hinted != NULL;
	case BERTH_CAP_VALIDATE_CONFIG: return d->validate_config != NULL;
	case BERTH_CAP_STAT_VERSION: return d->stat_version != NULL;
	case BERTH_CAP_REDIRECT: return d->redirect_url != NULL;
	case BERTH_CAP_NATIVE_WALK: return d->walk != NULL;
	case BERTH_CAP_FILE_DESCRIPTOR: return d->open_fd != NULL;
	default: return 1;
	}
}

/* An EXPECT op applied on its own: BERTH_OK if it holds, CONFLICT if
   not, or the error of looking. */
static int expect_one(berth_store *s, const berth_batch_op *op)
{
	if (!op->version) {
		int rc = store_exists(s, op->path);
		return rc < 0 ? rc : rc ? BERTH_E_CONFLICT : BERTH_OK;
	}
	berth_stat_info st;
	char version[BERTH_VERSION_MAX];
	int rc = store_stat_version(s, op->path, &st, version);
	if (rc == BERTH_E_NOT_FOUND)
		return BERTH_E_CONFLICT;
	if (rc)
		return rc;
	return !st.is_dir && !strcmp(version, op->version) ? BERTH_OK
							   : BERTH_E_CONFLICT;
}

static int batch_one(berth_store *s, const berth_batch_op *op)
{
	switch (op->kind) {
	case BERTH_BATCH_PUT:
		return store_put(s, op->path, op->data, op->len);
	case BERTH_BATCH_MOVE:
		return store_move(s, op->path, op->dst);
	case BERTH_BATCH_REMOVE:
		return store_remove(s, op->path);
	case BERTH_BATCH_EXPECT:
		return expect_one(s, op);
	default:
		return BERTH_E_INVALID_ARGUMENT;
	}
}

int store_batch(berth_store *s, const berth_batch_op *ops, size_t count)
{
	if (count == 0 || count > BERTH_STORE_BATCH_MAX)
		return BERTH_E_INVALID_ARGUMENT;
	if (store_has(s, BERTH_CAP_BATCH))
		return CALL(s->d->batch(s->inst, ops, count));
	for (size_t i = 0; i < count; i++)
		if (ops[i].kind > BERTH_BATCH_EXPECT || ops[i].reserved)
			return BERTH_E_INVALID_ARGUMENT;
	for (size_t i = 0; i < count; i++) {
		int rc = batch_one(s, &ops[i]);
		if (rc)
			return rc;
	}
	return BERTH_OK;
}

int store_writer_flush(berth_store *s, berth_writer *w)
{
	if (!store_has(s, BERTH_CAP_WRITER_FLUSH))
		return BERTH_E_UNSUPPORTED;
	return CALL(s->d->writer_flush(w));
}

int store_maintain(berth_store *s, int64_t budget_ns, int *more)
{
	*more = 0;
	if (!store_has(s, BERTH_CAP_MAINTAIN))
		return BERTH_E_UNSUPPORTED;
	int rc = CALL(s->d->maintain(s->inst, budget_ns, more));
	if (rc)
		*more = 0;
	*more = *more != 0;
	return rc;
}

int store_writer_hinted(berth_store *s, const char *path, int append,
			const char *digest, uint64_t size, berth_writer **out)
{
	*out = NULL;
	if (!store_has(s, BERTH_CAP_WRITER_HINTS))
		return store_writer(s, path, append, out);
	berth_writer_hints h = {.struct_size = sizeof h,
				.digest = digest,
				.size = size};
	return CALL(s->d->writer_open_hinted(out, s->inst, path, append, &h));
}

int store_validate_config(const berth_driver *driver, const berth_config *cfg,
			  char *errbuf, size_t errlen)
{
	const berth_storage_driver *d = &driver->desc;
	if (errlen)
		errbuf[0] = 0;
	if (!(d->capabilities & BERTH_CAP_VALIDATE_CONFIG) || !d->validate_config)
		return BERTH_E_UNSUPPORTED;
	int rc = CALL(d->validate_config(driver_host(), cfg));
	if (rc) {
		const char *detail = driver_host_last_error();
		snprintf(errbuf, errlen, "storage driver %s: %s%s%s", d->name,
			 store_status_name(rc), *detail ? ": " : "", detail);
	}
	return rc;
}

int store_stat_version(berth_store *s, const char *path, berth_stat_info *out,
		       char *version)
{
	memset(out, 0, sizeof *out);
	version[0] = 0;
	if (!store_has(s, BERTH_CAP_STAT_VERSION))
		return BERTH_E_UNSUPPORTED;
	int rc = CALL(s->d->stat_version(s->inst, path, out, version));
	/* Never trust a driver's string to be terminated. */
	version[BERTH_VERSION_MAX - 1] = 0;
	if (rc)
		version[0] = 0;
	return rc;
}

const char *store_status_name(int status)
{
	switch (status) {
	case BERTH_OK: return "ok";
	case BERTH_E_NOT_FOUND: return "not found";
	case BERTH_E_INVALID_PATH: return "invalid path";
	case BERTH_E_INVALID_OFFSET: return "invalid offset";
	case BERTH_E_UNSUPPORTED: return "unsupported";
	case BERTH_E_IO: return "I/O error";
	case BERTH_E_NOMEM: return "out of memory";
	case BERTH_E_THROTTLED: return "throttled";
	case BERTH_E_CONFIG: return "configuration error";
	case BERTH_E_PERMISSION: return "permission denied";
	case BERTH_E_NO_SPACE: return "no space left";
	case BERTH_E_UNAVAILABLE: return "unavailable";
	case BERTH_E_INVALID_ARGUMENT: return "invalid argument";
	case BERTH_E_STATE: return "invalid writer state";
	case BERTH_E_CONFLICT: return "conflict";
	default: return "unknown error";
	}
}
