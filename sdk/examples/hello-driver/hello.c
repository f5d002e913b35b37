/*
 * hello.c - an example out-of-tree storage driver for Berth, built only
 * with the installed SDK (see Makefile and sdk/README.md).
 *
 * It keeps objects in memory, in a plain unsorted array under one mutex:
 * the simplest design that honours the whole contract of
 * <berth/storage.h>.  It shows:
 *   - the descriptor and the one exported entry point;
 *   - options: one known key ("maxobjects"), every other key refused with
 *     BERTH_E_CONFIG naming it;
 *   - path validation and error messages through the SDK, which put the
 *     driver's name in front of every message;
 *   - writers whose data is invisible until commit, and kept (per
 *     instance) when closed without commit so an append continues it;
 *   - capabilities claimed honestly: none.  walk is NULL (the core builds
 *     one from list + stat), and since the data dies with the instance,
 *     BERTH_CAP_APPEND (which promises resuming from a new instance) is
 *     not claimed.
 *
 * Readers share the content they opened through a reference count, so a
 * replaced object never changes under a reader and reading never copies.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <berth/sdk.h>
#include <berth/storage.h>

#define NAME "hello"

/* Immutable content shared by the store and readers. */
typedef struct content {
	unsigned long refs; /* atomic */
	size_t len;
	char data[];
} content;

typedef struct object {
	char *path;
	content *c;      /* committed content; NULL for pending-only */
	int64_t mtime_ns;
	char *pend;      /* data of a writer closed without commit */
	size_t pend_len;
} object;

struct berth_instance {
	const berth_host *host;
	pthread_mutex_t mu;
	object *objs;
	size_t n, cap;
	long long maxobjects;
};

static void content_unref(content *c)
{
	if (c && __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(c);
}

static content *content_new(const void *data, size_t len)
{
	content *c = malloc(sizeof *c + len);
	if (c) {
		c->refs = 1;
		c->len = len;
		if (len)
			memcpy(c->data, data, len);
	}
	return c;
}

/* ---- the object table (callers hold in->mu) ---- */

static object *find(berth_instance *in, const char *path)
{
	for (size_t i = 0; i < in->n; i++)
		if (!strcmp(in->objs[i].path, path))
			return &in->objs[i];
	return NULL;
}

/* The entry for `path`, created when missing (NULL when out of room). */
static object *find_or_add(berth_instance *in, const char *path)
{
	object *o = find(in, path);
	if (o)
		return o;
	if (in->maxobjects && (long long)in->n >= in->maxobjects)
		return NULL;
	if (in->n == in->cap) {
		size_t cap = in->cap ? in->cap * 2 : 16;
		object *p = realloc(in->objs, cap * sizeof *p);
		if (!p)
			return NULL;
		in->objs = p;
		in->cap = cap;
	}
	char *copy = strdup(path);
	if (!copy)
		return NULL;
	o = &in->objs[in->n++];
	memset(o, 0, sizeof *o);
	o->path = copy;
	return o;
}

/* Drop entries that hold neither content nor pending data. */
static void compact(berth_instance *in)
{
	size_t w = 0;
	for (size_t i = 0; i < in->n; i++) {
		if (in->objs[i].c || in->objs[i].pend)
			in->objs[w++] = in->objs[i];
		else
			free(in->objs[i].path);
	}
	in->n = w;
}

/* Is there committed content strictly below `dir`? */
static int is_dir(berth_instance *in, const char *dir)
{
	for (size_t i = 0; i < in->n; i++)
		if (in->objs[i].c && strcmp(in->objs[i].path, dir) &&
		    berth_sdk_path_under(in->objs[i].path, dir))
			return 1;
	return 0;
}

/* Store committed content at `path` (mu held).  Takes `c` on success
   only. */
static int store(berth_instance *in, const char *path, content *c)
{
	if (is_dir(in, path))
		return berth_sdk_error(in->host, NAME, BERTH_E_INVALID_ARGUMENT,
				       "%s is a directory", path);
	for (size_t i = 0; i < in->n; i++) {
		const char *p = in->objs[i].path;
		if (in->objs[i].c && berth_sdk_path_under(path, p) && strcmp(path, p))
			return berth_sdk_error(in->host, NAME, BERTH_E_INVALID_ARGUMENT,
					       "%s is an object, not a directory", p);
	}
	object *o = find_or_add(in, path);
	if (!o)
		return berth_sdk_error(in->host, NAME, BERTH_E_NO_SPACE,
				       "no room for %s", path);
	content_unref(o->c);
	o->c = c;
	o->mtime_ns = in->host->now_ns();
	return BERTH_OK;
}

/* ---- create / destroy ---- */

static int hello_create(berth_instance **out, const berth_host *host,
			const berth_config *config)
{
	long long maxobjects = 0;
	for (size_t i = 0; config && i < config->count; i++) {
		const berth_config_item *it = &config->items[i];
		int64_t v;
		if (!strcmp(it->key, "maxobjects")) {
			if (berth_sdk_parse_int(it->value, 0, 1000000000, &v))
				return berth_sdk_error(host, NAME, BERTH_E_CONFIG,
						       "maxobjects: want an integer "
						       ">= 0, got \"%s\"", it->value);
			maxobjects = v;
		} else {
			return berth_sdk_error(host, NAME, BERTH_E_CONFIG,
					       "unknown option \"%s\"", it->key);
		}
	}
	berth_instance *in = calloc(1, sizeof *in);
	if (!in)
		return berth_sdk_error(host, NAME, BERTH_E_NOMEM, "out of memory");
	in->host = host;
	in->maxobjects = maxobjects;
	pthread_mutex_init(&in->mu, NULL);
	*out = in;
	return BERTH_OK;
}

static void hello_destroy(berth_instance *in)
{
	for (size_t i = 0; i < in->n; i++) {
		free(in->objs[i].path);
		content_unref(in->objs[i].c);
		free(in->objs[i].pend);
	}
	free(in->objs);
	pthread_mutex_destroy(&in->mu);
	free(in);
}

/* ---- whole objects ---- */

static int hello_get_content(berth_instance *in, const char *path, char **out,
			     size_t *out_len)
{
	int rc = berth_sdk_path_check(in->host, NAME, path, 0);
	if (rc)
		return rc;
	pthread_mutex_lock(&in->mu);
	object *o = find(in, path);
	char *copy = NULL;
	size_t len = 0;
	if (!o || !o->c)
		rc = berth_sdk_error(in->host, NAME, BERTH_E_NOT_FOUND,
				     "%s not found", path);
	else if (!(copy = berth_sdk_host_dup(in->host, o->c->data, o->c->len)))
		rc = berth_sdk_error(in->host, NAME, BERTH_E_NOMEM, "out of memory");
	else
		len = o->c->len;
	pthread_mutex_unlock(&in->mu);
	if (rc == BERTH_OK) {
		*out = copy;
		*out_len = len;
	}
	return rc;
}

static int hello_put_content(berth_instance *in, const char *path,
			     const void *data, size_t len)
{
	int rc = berth_sdk_path_check(in->host, NAME, path, 0);
	if (rc)
		return rc;
	content *c = content_new(data, len);
	if (!c)
		return berth_sdk_error(in->host, NAME, BERTH_E_NOMEM, "out of memory");
	pthread_mutex_lock(&in->mu);
	rc = store(in, path, c);
	pthread_mutex_unlock(&in->mu);
	if (rc)
		content_unref(c);
	return rc;
}

static int hello_stat(berth_instance *in, const char *path,
		      berth_stat_info *out)
{
	int rc = berth_sdk_path_check(in->host, NAME, path,
				      BERTH_SDK_PATH_ALLOW_ROOT);
	if (rc)
		return rc;
	memset(out, 0, sizeof *out);
	pthread_mutex_lock(&in->mu);
	object *o = find(in, path);
	if (o && o->c) {
		out->size = o->c->len;
		out->mtime_ns = o->mtime_ns;
	} else if (!strcmp(path, "/") || is_dir(in, path)) {
		out->is_dir = 1;
		for (size_t i = 0; i < in->n; i++)
			if (in->objs[i].c && berth_sdk_path_under(in->objs[i].path, path) &&
			    in->objs[i].mtime_ns > out->mtime_ns)
				out->mtime_ns = in->objs[i].mtime_ns;
	} else {
		rc = berth_sdk_error(in->host, NAME, BERTH_E_NOT_FOUND,
				     "%s not found", path);
	}
	pthread_mutex_unlock(&in->mu);
	return rc;
}

/* ---- tree ---- */

static int hello_list(berth_instance *in, const char *path, berth_list_cb cb,
		      void *payload)
{
	int rc = berth_sdk_path_check(in->host, NAME, path,
				      BERTH_SDK_PATH_ALLOW_ROOT);
	if (rc)
		return rc;
	/* Collect the children under the lock, call back without it (the
	   callback may call into the driver). */
	size_t plen = strcmp(path, "/") ? strlen(path) : 0, n = 0;
	char **kids = NULL;
	pthread_mutex_lock(&in->mu);
	if (plen && !is_dir(in, path))
		rc = berth_sdk_error(in->host, NAME, BERTH_E_NOT_FOUND,
				     "%s is not a directory", path);
	else if (in->n && !(kids = calloc(in->n, sizeof *kids)))
		rc = berth_sdk_error(in->host, NAME, BERTH_E_NOMEM, "out of memory");
	for (size_t i = 0; rc == BERTH_OK && i < in->n; i++) {
		const char *p = in->objs[i].path;
		if (!in->objs[i].c || !berth_sdk_path_under(p, path) ||
		    strlen(p) <= plen)
			continue;
		size_t len = plen + 1 + strcspn(p + plen + 1, "/");
		int dup = 0;
		for (size_t k = 0; k < n && !dup; k++)
			dup = strlen(kids[k]) == len && !strncmp(kids[k], p, len);
		if (!dup && !(kids[n++] = strndup(p, len)))
			rc = berth_sdk_error(in->host, NAME, BERTH_E_NOMEM, "out of memory");
	}
	pthread_mutex_unlock(&in->mu);
	int stop = 0;
	for (size_t k = 0; k < n; k++) {
		if (rc == BERTH_OK && !stop && kids[k])
			stop = cb(kids[k], payload);
		free(kids[k]);
	}
	free(kids);
	return rc;
}

static int hello_remove(berth_instance *in, const char *path)
{
	int rc = berth_sdk_path_check(in->host, NAME, path, 0);
	if (rc)
		return rc;
	int found = 0;
	pthread_mutex_lock(&in->mu);
	for (size_t i = 0; i < in->n; i++) {
		object *o = &in->objs[i];
		/* path_under: "/a" covers "/a" and "/a/x", never "/ab". */
		if (!berth_sdk_path_under(o->path, path))
			continue;
		found |= o->c != NULL;
		content_unref(o->c);
		o->c = NULL;
		free(o->pend);
		o->pend = NULL;
	}
	compact(in);
	pthread_mutex_unlock(&in->mu);
	if (!found)
		return berth_sdk_error(in->host, NAME, BERTH_E_NOT_FOUND,
				       "%s not found", path);
	return BERTH_OK;
}

static int hello_move(berth_instance *in, const char *src, const char *dst)
{
	int rc = berth_sdk_path_check(in->host, NAME, src, 0);
	if (rc == BERTH_OK)
		rc = berth_sdk_path_check(in->host, NAME, dst, 0);
	if (rc)
		return rc;
	pthread_mutex_lock(&in->mu);
	object *o = find(in, src);
	if (!o || !o->c) {
		/* Moving whole directories is not needed by the core; this
		   driver keeps it simple and moves objects only. */
		rc = berth_sdk_error(in->host, NAME,
				     is_dir(in, src) ? BERTH_E_UNSUPPORTED
						     : BERTH_E_NOT_FOUND,
				     "%s: no such object", src);
	} else if (strcmp(src, dst)) {
		content *c = o->c;
		o->c = NULL;
		rc = store(in, dst, c);
		if (rc == BERTH_OK)
			compact(in);
		else
			find(in, src)->c = c; /* put it back (the table may
						 have moved, the entry not) */
	}
	pthread_mutex_unlock(&in->mu);
	return rc;
}

/* ---- readers ---- */

struct berth_reader {
	content *c;
	size_t off;
};

static int hello_reader_open(berth_reader **out, berth_instance *in,
			     const char *path, int64_t offset)
{
	int rc = berth_sdk_path_check(in->host, NAME, path, 0);
	if (rc)
		return rc;
	pthread_mutex_lock(&in->mu);
	object *o = find(in, path);
	content *c = o ? o->c : NULL;
	if (c)
		__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&in->mu);
	if (!c)
		return berth_sdk_error(in->host, NAME, BERTH_E_NOT_FOUND,
				       "%s not found", path);
	if (offset < 0 || (uint64_t)offset > c->len) {
		content_unref(c);
		return berth_sdk_error(in->host, NAME, BERTH_E_INVALID_OFFSET,
				       "offset %lld outside %s", (long long)offset, path);
	}
	berth_reader *r = malloc(sizeof *r);
	if (!r) {
		content_unref(c);
		return berth_sdk_error(in->host, NAME, BERTH_E_NOMEM, "out of memory");
	}
	r->c = c;
	r->off = (size_t)offset;
	*out = r;
	return BERTH_OK;
}

static int hello_reader_read(berth_reader *r, void *buf, size_t cap,
			     size_t *out_n)
{
	size_t n = r->c->len - r->off;
	if (n > cap)
		n = cap;
	memcpy(buf, r->c->data + r->off, n);
	r->off += n;
	*out_n = n;
	return BERTH_OK;
}

static void hello_reader_close(berth_reader *r)
{
	content_unref(r->c);
	free(r);
}

/* ---- writers ---- */

struct berth_writer {
	berth_instance *in;
	char *path;
	berth_sdk_buf data;
	int done; /* committed or cancelled */
};

static int hello_writer_open(berth_writer **out, berth_instance *in,
			     const char *path, int append)
{
	int rc = berth_sdk_path_check(in->host, NAME, path, 0);
	if (rc)
		return rc;
	berth_writer *w = calloc(1, sizeof *w);
	if (!w || !(w->path = strdup(path))) {
		free(w);
		return berth_sdk_error(in->host, NAME, BERTH_E_NOMEM, "out of memory");
	}
	w->in = in;
	pthread_mutex_lock(&in->mu);
	object *o = find(in, path);
	if (o && append && o->pend) {
		/* Continue what an earlier writer left. */
		w->data.data = o->pend;
		w->data.len = w->data.cap = o->pend_len;
	} else if (o && append && o->c) {
		rc = berth_sdk_buf_append(&w->data, o->c->data, o->c->len);
	} else if (o) {
		free(o->pend);
	}
	if (o) {
		o->pend = NULL;
		compact(in);
	}
	pthread_mutex_unlock(&in->mu);
	if (rc) {
		berth_sdk_buf_free(&w->data);
		free(w->path);
		free(w);
		return berth_sdk_error(in->host, NAME, BERTH_E_NOMEM, "out of memory");
	}
	*out = w;
	return BERTH_OK;
}

static int hello_writer_write(berth_writer *w, const void *data, size_t len)
{
	if (w->done)
		return berth_sdk_error(w->in->host, NAME, BERTH_E_STATE,
				       "writer of %s already finished", w->path);
	if (berth_sdk_buf_append(&w->data, data, len))
		return berth_sdk_error(w->in->host, NAME, BERTH_E_NO_SPACE,
				       "out of memory writing %s", w->path);
	return BERTH_OK;
}

static uint64_t hello_writer_size(berth_writer *w)
{
	return w->data.len;
}

static int hello_writer_commit(berth_writer *w)
{
	berth_instance *in = w->in;
	if (w->done)
		return berth_sdk_error(in->host, NAME, BERTH_E_STATE,
				       "writer of %s already finished", w->path);
	content *c = content_new(w->data.data, w->data.len);
	if (!c)
		return berth_sdk_error(in->host, NAME, BERTH_E_NOMEM, "out of memory");
	pthread_mutex_lock(&in->mu);
	int rc = store(in, w->path, c);
	pthread_mutex_unlock(&in->mu);
	if (rc) {
		content_unref(c);
		return rc;
	}
	berth_sdk_buf_free(&w->data);
	w->done = 1;
	return BERTH_OK;
}

static int hello_writer_cancel(berth_writer *w)
{
	if (w->done)
		return berth_sdk_error(w->in->host, NAME, BERTH_E_STATE,
				       "writer of %s already finished", w->path);
	berth_sdk_buf_free(&w->data);
	w->done = 1;
	return BERTH_OK;
}

static int hello_writer_close(berth_writer *w)
{
	berth_instance *in = w->in;
	int rc = BERTH_OK;
	if (!w->done) {
		/* Keep the data for a later writer_open(append). */
		pthread_mutex_lock(&in->mu);
		object *o = find_or_add(in, w->path);
		int kept = 0;
		if (o) {
			free(o->pend);
			o->pend_len = 0;
			o->pend = berth_sdk_buf_steal(&w->data, &o->pend_len);
			kept = o->pend != NULL;
			if (!kept)
				compact(in);
		}
		pthread_mutex_unlock(&in->mu);
		if (!kept)
			rc = berth_sdk_error(in->host, NAME, BERTH_E_NO_SPACE,
					     "cannot keep the data of %s", w->path);
	}
	berth_sdk_buf_free(&w->data);
	free(w->path);
	free(w);
	return rc;
}

/* ---- the descriptor and the entry point ---- */

static const berth_storage_driver hello_driver = {
	BERTH_STORAGE_HEAD(NAME, "0.1.0", 0), /* no capabilities */
	.create = hello_create,
	.destroy = hello_destroy,
	.get_content = hello_get_content,
	.put_content = hello_put_content,
	.reader_open = hello_reader_open,
	.reader_read = hello_reader_read,
	.reader_close = hello_reader_close,
	.writer_open = hello_writer_open,
	.writer_write = hello_writer_write,
	.writer_size = hello_writer_size,
	.writer_commit = hello_writer_commit,
	.writer_cancel = hello_writer_cancel,
	.writer_close = hello_writer_close,
	.stat = hello_stat,
	.list = hello_list,
	.move = hello_move,
	.remove = hello_remove,
	/* redirect_url, walk, open_fd: NULL = not supported. */
};

/* Exports berth_storage_driver_v1, the only visible symbol. */
BERTH_STORAGE_DRIVER(&hello_driver)
