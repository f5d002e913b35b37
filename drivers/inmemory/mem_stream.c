/*
 * mem_stream.c - readers and writers of the in-memory driver.
 *
 * A reader holds a reference to the content blob it opened, so it reads
 * one consistent version even if the object is replaced or removed
 * meanwhile.  A writer owns its buffer while open; data only reaches the
 * store's object array at commit (so it is invisible before), and a
 * writer closed without commit parks its buffer in the pending table,
 * where writer_open(append) picks it up again -- from any instance, since
 * the store is the process's (mem.h).
 *
 * A hinted writer keeps the size and sha256 digest it was promised and
 * refuses to commit bytes that break the promise (INVALID_ARGUMENT), so
 * a wrong hint never becomes a visible object.  writer_flush has nothing
 * to do: the buffer lives exactly as long as the process, which is as
 * durable as anything in this driver (a crash loses the whole store).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

/* ---- readers ---- */

struct berth_reader {
	berth_instance *in;
	mem_blob *blob;
	size_t off;
};

int mem_reader_open(berth_reader **out, berth_instance *in, const char *path,
		    int64_t offset)
{
	int rc = berth_sdk_path_check(in->host, MEM_NAME, path, 0);
	if (rc)
		return rc;
	mem_store *st = in->st;
	pthread_rwlock_rdlock(&st->lock);
	mem_obj *o = mem_find(st, path);
	mem_blob *b = o ? o->blob : NULL;
	if (b)
		mem_blob_ref(b);
	pthread_rwlock_unlock(&st->lock);
	if (!b)
		return mem_fail(in, BERTH_E_NOT_FOUND, "%s not found", path);
	if (offset < 0 || (uint64_t)offset > b->len) {
		size_t len = b->len;
		mem_blob_unref(b);
		return mem_fail(in, BERTH_E_INVALID_OFFSET,
				"offset %lld outside %s (%zu bytes)",
				(long long)offset, path, len);
	}
	berth_reader *r = malloc(sizeof *r);
	if (!r) {
		mem_blob_unref(b);
		return mem_fail(in, BERTH_E_NOMEM, "out of memory");
	}
	*r = (berth_reader){in, b, (size_t)offset};
	*out = r;
	return BERTH_OK;
}

int mem_reader_read(berth_reader *r, void *buf, size_t cap, size_t *out_n)
{
	size_t n = r->blob->len - r->off;
	if (n > cap)
		n = cap;
	if (n)
		memcpy(buf, r->blob->data + r->off, n);
	r->off += n;
	*out_n = n;
	return BERTH_OK;
}

void mem_reader_close(berth_reader *r)
{
	if (!r)
		return;
	mem_blob_unref(r->blob);
	free(r);
}

/* ---- writers ---- */

enum wstate { W_OPEN, W_COMMITTED, W_CANCELLED };

struct berth_writer {
	berth_instance *in;
	mem_pending buf; /* path + data while open */
	enum wstate state;
	uint64_t hint_size;   /* UINT64_MAX: no promise */
	char hint_sha256[65]; /* hex; "" when no sha256 digest was hinted */
	uint64_t flushed;     /* bytes at the last writer_flush */
};

int mem_writer_open(berth_writer **out, berth_instance *in, const char *path,
		    int append)
{
	int rc = berth_sdk_path_check(in->host, MEM_NAME, path, 0);
	if (rc)
		return rc;
	berth_writer *w = calloc(1, sizeof *w);
	char *key = strdup(path);
	if (!w || !key) {
		free(w);
		free(key);
		return mem_fail(in, BERTH_E_NOMEM, "out of memory");
	}
	w->in = in;
	w->hint_size = UINT64_MAX;
	mem_store *st = in->st;
	pthread_rwlock_wrlock(&st->lock);
	mem_pending old;
	int had = mem_pending_take(st, path, &old);
	if (had && append) {
		/* Continue an earlier session's data. */
		free(old.path);
		w->buf = old;
	} else {
		if (had) {
			free(old.path);
			free(old.data);
		}
		mem_obj *o = append ? mem_find(st, path) : NULL;
		if (o && o->blob->len) {
			/* Continue the committed object: copy it, the
			   writer must not change what readers see. */
			w->buf.data = malloc(o->blob->len);
			if (!w->buf.data)
				rc = BERTH_E_NOMEM;
			else
				memcpy(w->buf.data, o->blob->data, o->blob->len);
			w->buf.len = w->buf.cap = o->blob->len;
		}
	}
	pthread_rwlock_unlock(&st->lock);
	w->buf.path = key;
	if (rc) {
		free(w->buf.data);
		free(key);
		free(w);
		return mem_fail(in, rc, "out of memory");
	}
	*out = w;
	return BERTH_OK;
}

int mem_writer_write(berth_writer *w, const void *data, size_t len)
{
	if (w->state != W_OPEN)
		return mem_fail(w->in, BERTH_E_STATE,
				"write to %s after commit or cancel", w->buf.path);
	mem_pending *b = &w->buf;
	if (len > SIZE_MAX - b->len)
		return mem_fail(w->in, BERTH_E_NO_SPACE, "%s too large", b->path);
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + len)
			cap = cap > SIZE_MAX / 2 ? b->len + len : cap * 2;
		char *p = realloc(b->data, cap);
		if (!p)
			return mem_fail(w->in, BERTH_E_NO_SPACE,
					"out of memory writing %s", b->path);
		b->data = p;
		b->cap = cap;
	}
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	return BERTH_OK;
}

uint64_t mem_writer_size(berth_writer *w)
{
	return w->buf.len;
}

/* What a hint promises that this driver can check: the size, and a
   sha256 digest (a sha512 or malformed one is left to the core, which
   checks digests whatever a driver does). */
static void read_hints(const berth_writer_hints *h, uint64_t *size,
		       char sha256[65])
{
	const size_t has_digest = offsetof(berth_writer_hints, digest) +
				  sizeof h->digest;
	const size_t has_size = offsetof(berth_writer_hints, size) +
				sizeof h->size;
	*size = h->struct_size >= has_size ? h->size : UINT64_MAX;
	sha256[0] = 0;
	const char *d = h->struct_size >= has_digest ? h->digest : NULL;
	if (!d || strncmp(d, "sha256:", 7))
		return;
	d += 7;
	if (strlen(d) == 64 && strspn(d, "0123456789abcdef") == 64)
		memcpy(sha256, d, 65);
}

int mem_writer_open_hinted(berth_writer **out, berth_instance *in,
			   const char *path, int append,
			   const berth_writer_hints *hints)
{
	uint64_t size = UINT64_MAX;
	char sha256[65] = "";
	if (hints)
		read_hints(hints, &size, sha256);
	berth_writer *w = NULL;
	int rc = mem_writer_open(&w, in, path, append);
	if (rc)
		return rc;
	w->hint_size = size;
	memcpy(w->hint_sha256, sha256, sizeof sha256);
	*out = w;
	return BERTH_OK;
}

int mem_writer_flush(berth_writer *w)
{
	if (w->state != W_OPEN)
		return mem_fail(w->in, BERTH_E_STATE,
				"flush of %s after commit or cancel", w->buf.path);
	w->flushed = w->buf.len;
	return BERTH_OK;
}

/* Does the data keep the hints' promises?  BERTH_OK or INVALID_ARGUMENT. */
static int check_hints(berth_writer *w)
{
	const mem_pending *b = &w->buf;
	if (w->hint_size != UINT64_MAX && w->hint_size != b->len)
		return mem_fail(w->in, BERTH_E_INVALID_ARGUMENT,
				"%s: %zu bytes written, %llu hinted", b->path,
				b->len, (unsigned long long)w->hint_size);
	if (!w->hint_sha256[0])
		return BERTH_OK;
	char hex[65];
	if (berth_sdk_sha256_hex(b->data ? b->data : "", b->len, hex))
		return mem_fail(w->in, BERTH_E_IO, "%s: sha256 failed", b->path);
	if (strcmp(hex, w->hint_sha256))
		return mem_fail(w->in, BERTH_E_INVALID_ARGUMENT,
				"%s: data is sha256:%s, sha256:%s hinted",
				b->path, hex, w->hint_sha256);
	return BERTH_OK;
}

int mem_writer_commit(berth_writer *w)
{
	berth_instance *in = w->in;
	if (w->state != W_OPEN)
		return mem_fail(in, BERTH_E_STATE, "commit of %s after commit or cancel",
				w->buf.path);
	mem_pending *b = &w->buf;
	int rc = check_hints(w);
	if (rc)
		return rc; /* the data stays in the writer, like any error */
	/* Hand the buffer to a blob, trimmed to size. */
	char *data = b->data;
	if (b->len < b->cap) {
		char *p = realloc(data, b->len ? b->len : 1);
		if (p)
			data = p;
	} else if (!data) {
		data = malloc(1);
	}
	char *key = strdup(b->path);
	mem_blob *blob = data && key ? mem_blob_new(data, b->len) : NULL;
	if (!blob) {
		b->data = data; /* still ours, possibly moved by realloc */
		if (data)
			b->cap = b->len ? b->len : 1;
		free(key);
		return mem_fail(in, BERTH_E_NOMEM, "out of memory");
	}
	mem_store *st = in->st;
	pthread_rwlock_wrlock(&st->lock);
	rc = mem_check_place(in, st, b->path);
	if (rc == BERTH_OK && mem_insert(st, key, blob, mem_now(in)) != BERTH_OK)
		rc = mem_fail(in, BERTH_E_NOMEM, "out of memory");
	pthread_rwlock_unlock(&st->lock);
	if (rc) {
		/* Keep the data in the writer: it may still be closed and
		   continued later. */
		free(key);
		b->data = blob->data;
		b->cap = b->len ? b->len : 1;
		free(blob);
		return rc;
	}
	b->data = NULL;
	b->len = b->cap = 0;
	w->state = W_COMMITTED;
	return BERTH_OK;
}

int mem_writer_cancel(berth_writer *w)
{
	if (w->state != W_OPEN)
		return mem_fail(w->in, BERTH_E_STATE,
				"cancel of %s after commit or cancel", w->buf.path);
	free(w->buf.data);
	w->buf.data = NULL;
	w->buf.len = w->buf.cap = 0;
	/* Data of earlier sessions was taken over at open (append) or
	   dropped (no append); a session that parked data since then is
	   dropped too. */
	mem_store *st = w->in->st;
	pthread_rwlock_wrlock(&st->lock);
	mem_pending old;
	if (mem_pending_take(st, w->buf.path, &old)) {
		free(old.path);
		free(old.data);
	}
	pthread_rwlock_unlock(&st->lock);
	w->state = W_CANCELLED;
	return BERTH_OK;
}

int mem_writer_close(berth_writer *w)
{
	if (!w)
		return BERTH_OK;
	int rc = BERTH_OK;
	if (w->state == W_OPEN) {
		/* Park the data for a later append; it stays invisible. */
		mem_store *st = w->in->st;
		pthread_rwlock_wrlock(&st->lock);
		rc = mem_pending_put(st, &w->buf);
		pthread_rwlock_unlock(&st->lock);
		if (rc)
			rc = mem_fail(w->in, rc, "out of memory keeping %s",
				      "uncommitted data");
	} else {
		free(w->buf.path);
		free(w->buf.data);
	}
	free(w);
	return rc;
}
