/*
 * mem_driver.c - the in-memory storage driver: the reference
 * implementation of the storage ABI (include/berth/storage.h).  It keeps
 * no data on disk and is meant for tests, for trying Berth out, and as the
 * plainest possible reading of the contract for driver authors: every
 * method here does exactly what the header says and nothing else.
 *
 * This file: the descriptor, create/destroy and validate_config,
 * whole-object methods (get and put content, stat and stat_version), move
 * and remove.  Streams (with writer_flush and hinted writers) are in
 * mem_stream.c, list and walk in mem_tree.c, batch in mem_batch.c,
 * maintain in mem_maintain.c, the store itself in mem_store.c.
 *
 * Thread safety: every method takes the store's rwlock (shared for
 * lookups, exclusive for changes) and never calls back into the core
 * while holding it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

int mem_config_check(const berth_host *host, const berth_config *config)
{
	/* The driver takes no options; the ABI asks to refuse every
	   unknown one by name. */
	if (config && config->count)
		return berth_sdk_error(host, MEM_NAME, BERTH_E_CONFIG,
				       "unknown option \"%s\" (this driver "
				       "takes no options)",
				       config->items[0].key);
	return BERTH_OK;
}

static int mem_create(berth_instance **out, const berth_host *host,
		      const berth_config *config)
{
	int rc = mem_config_check(host, config);
	if (rc)
		return rc;
	berth_instance *in = calloc(1, sizeof *in);
	if (!in)
		return berth_sdk_error(host, MEM_NAME, BERTH_E_NOMEM,
				       "out of memory");
	in->host = host;
	in->st = mem_store_get();
	*out = in;
	return BERTH_OK;
}

static void mem_destroy(berth_instance *in)
{
	/* The store outlives instances (see mem.h). */
	free(in);
}

static int mem_get_content(berth_instance *in, const char *path, char **out,
			   size_t *out_len)
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
	char *copy = berth_sdk_host_dup(in->host, b->data, b->len);
	size_t len = b->len;
	mem_blob_unref(b);
	if (!copy)
		return mem_fail(in, BERTH_E_NOMEM, "out of memory");
	*out = copy;
	*out_len = len;
	return BERTH_OK;
}

static int mem_put_content(berth_instance *in, const char *path,
			   const void *data, size_t len)
{
	int rc = berth_sdk_path_check(in->host, MEM_NAME, path, 0);
	if (rc)
		return rc;
	/* Copy outside the lock; the swap below is the atomic step. */
	char *copy = malloc(len ? len : 1);
	mem_blob *b = copy ? mem_blob_new(copy, len) : NULL;
	if (!b) {
		free(copy);
		return mem_fail(in, BERTH_E_NOMEM, "out of memory");
	}
	if (len)
		memcpy(copy, data, len);
	char *key = strdup(path);
	if (!key) {
		mem_blob_unref(b);
		return mem_fail(in, BERTH_E_NOMEM, "out of memory");
	}
	mem_store *st = in->st;
	pthread_rwlock_wrlock(&st->lock);
	rc = mem_check_place(in, st, path);
	if (rc == BERTH_OK && mem_insert(st, key, b, mem_now(in)) != BERTH_OK)
		rc = mem_fail(in, BERTH_E_NOMEM, "out of memory");
	pthread_rwlock_unlock(&st->lock);
	if (rc) {
		free(key);
		mem_blob_unref(b);
	}
	return rc;
}

/* stat, and the object's generation as its version ("" for a
   directory); `version` may be NULL. */
static int stat_gen(berth_instance *in, const char *path,
		    berth_stat_info *out, char *version)
{
	int rc = berth_sdk_path_check(in->host, MEM_NAME, path,
				      BERTH_SDK_PATH_ALLOW_ROOT);
	if (rc)
		return rc;
	mem_store *st = in->st;
	memset(out, 0, sizeof *out);
	pthread_rwlock_rdlock(&st->lock);
	mem_obj *o = mem_find(st, path);
	if (o) {
		out->size = o->blob->len;
		out->mtime_ns = o->mtime_ns;
		if (version)
			snprintf(version, BERTH_VERSION_MAX, "%llu",
				 (unsigned long long)o->gen);
	} else {
		if (version)
			version[0] = 0;
		/* A directory: its mtime is that of its newest object. */
		size_t lo, hi;
		mem_subtree(st, path, &lo, &hi);
		if (lo == hi && strcmp(path, "/"))
			rc = BERTH_E_NOT_FOUND;
		out->is_dir = 1;
		for (size_t i = lo; i < hi; i++)
			if (st->objs[i].mtime_ns > out->mtime_ns)
				out->mtime_ns = st->objs[i].mtime_ns;
	}
	pthread_rwlock_unlock(&st->lock);
	if (rc)
		return mem_fail(in, rc, "%s not found", path);
	return BERTH_OK;
}

static int mem_stat(berth_instance *in, const char *path,
		    berth_stat_info *out)
{
	return stat_gen(in, path, out, NULL);
}

static int mem_stat_version(berth_instance *in, const char *path,
			    berth_stat_info *out, char *out_version)
{
	return stat_gen(in, path, out, out_version);
}

static int mem_move(berth_instance *in, const char *src, const char *dst)
{
	int rc = berth_sdk_path_check(in->host, MEM_NAME, src, 0);
	if (rc == BERTH_OK)
		rc = berth_sdk_path_check(in->host, MEM_NAME, dst, 0);
	if (rc)
		return rc;
	mem_store *st = in->st;
	pthread_rwlock_wrlock(&st->lock);
	size_t lo, hi;
	mem_obj *o = mem_find(st, src);
	if (o) {
		lo = (size_t)(o - st->objs);
		hi = lo + 1;
	} else {
		mem_subtree(st, src, &lo, &hi);
	}
	if (lo == hi) {
		rc = mem_fail(in, BERTH_E_NOT_FOUND, "%s not found", src);
		goto out;
	}
	if (!strcmp(src, dst))
		goto out; /* moving onto itself changes nothing */
	if (berth_sdk_path_under(dst, src) || berth_sdk_path_under(src, dst)) {
		rc = mem_fail(in, BERTH_E_INVALID_ARGUMENT,
			      "cannot move %s to %s: one contains the other",
			      src, dst);
		goto out;
	}
	/* Detach the moving objects with their new names first, so that
	   nothing changes unless every allocation succeeded. */
	size_t k = hi - lo, slen = strlen(src), dlen = strlen(dst);
	mem_obj *moving = calloc(k, sizeof *moving);
	if (!moving) {
		rc = mem_fail(in, BERTH_E_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < k; i++) {
		const char *tail = st->objs[lo + i].path + slen;
		char *np = malloc(dlen + strlen(tail) + 1);
		if (!np) {
			for (size_t j = 0; j < i; j++)
				free(moving[j].path);
			free(moving);
			rc = mem_fail(in, BERTH_E_NOMEM, "out of memory");
			goto out;
		}
		memcpy(np, dst, dlen);
		strcpy(np + dlen, tail);
		moving[i] = (mem_obj){np, st->objs[lo + i].blob,
				      st->objs[lo + i].mtime_ns, 0};
	}
	/* No parent of dst may be an object; whatever is at dst itself
	   (object or directory) is replaced. */
	char *p = strdup(dst);
	if (!p)
		rc = mem_fail(in, BERTH_E_NOMEM, "out of memory");
	for (char *s = p ? strchr(p + 1, '/') : NULL; s && !rc;
	     s = strchr(s + 1, '/')) {
		*s = 0;
		if (mem_find(st, p))
			rc = mem_fail(in, BERTH_E_INVALID_ARGUMENT,
				      "cannot move to %s: %s is an object", dst,
				      p);
		*s = '/';
	}
	free(p);
	if (rc) {
		for (size_t i = 0; i < k; i++)
			free(moving[i].path);
		free(moving);
		goto out;
	}
	/* Forget the old names (the blobs now belong to `moving`)... */
	for (size_t i = lo; i < hi; i++)
		free(st->objs[i].path);
	memmove(&st->objs[lo], &st->objs[hi], (st->n - hi) * sizeof *st->objs);
	st->n -= k;
	/* ...clear the destination... */
	o = mem_find(st, dst);
	if (o) {
		lo = (size_t)(o - st->objs);
		hi = lo + 1;
	} else {
		mem_subtree(st, dst, &lo, &hi);
	}
	mem_erase(st, lo, hi);
	/* ...and insert under the new names: the array had room for these
	   a moment ago, so this cannot fail and the move is all or nothing. */
	for (size_t i = 0; i < k; i++)
		mem_insert(st, moving[i].path, moving[i].blob, moving[i].mtime_ns);
	free(moving);
out:
	pthread_rwlock_unlock(&st->lock);
	return rc;
}

static int mem_remove(berth_instance *in, const char *path)
{
	int rc = berth_sdk_path_check(in->host, MEM_NAME, path, 0);
	if (rc)
		return rc;
	mem_store *st = in->st;
	pthread_rwlock_wrlock(&st->lock);
	size_t lo, hi;
	mem_obj *o = mem_find(st, path);
	if (o) {
		lo = (size_t)(o - st->objs);
		hi = lo + 1;
	} else {
		mem_subtree(st, path, &lo, &hi);
	}
	mem_erase(st, lo, hi);
	/* Uncommitted writer data below the path goes too: nothing may
	   resurrect a removed tree. */
	mem_pending_drop(st, path);
	pthread_rwlock_unlock(&st->lock);
	if (lo == hi)
		return mem_fail(in, BERTH_E_NOT_FOUND, "%s not found", path);
	return BERTH_OK;
}

static const berth_storage_driver mem_driver = {
	BERTH_STORAGE_HEAD(MEM_NAME, "1.1.0",
			   BERTH_CAP_NATIVE_WALK | BERTH_CAP_SERVER_MOVE |
				   BERTH_CAP_RANGE_READ | BERTH_CAP_APPEND |
				   BERTH_CAP_BATCH | BERTH_CAP_WRITER_FLUSH |
				   BERTH_CAP_MAINTAIN | BERTH_CAP_WRITER_HINTS |
				   BERTH_CAP_VALIDATE_CONFIG |
				   BERTH_CAP_STAT_VERSION),
	.create = mem_create,
	.destroy = mem_destroy,
	.get_content = mem_get_content,
	.put_content = mem_put_content,
	.reader_open = mem_reader_open,
	.reader_read = mem_reader_read,
	.reader_close = mem_reader_close,
	.writer_open = mem_writer_open,
	.writer_write = mem_writer_write,
	.writer_size = mem_writer_size,
	.writer_commit = mem_writer_commit,
	.writer_cancel = mem_writer_cancel,
	.writer_close = mem_writer_close,
	.stat = mem_stat,
	.list = mem_list,
	.move = mem_move,
	.remove = mem_remove,
	.redirect_url = NULL, /* no BERTH_CAP_REDIRECT */
	.walk = mem_walk,
	.open_fd = NULL, /* no BERTH_CAP_FILE_DESCRIPTOR */
	/* ABI 1.1 */
	.batch = mem_batch,
	.writer_flush = mem_writer_flush,
	.maintain = mem_maintain,
	.writer_open_hinted = mem_writer_open_hinted,
	.validate_config = mem_config_check,
	.stat_version = mem_stat_version,
};

BERTH_STORAGE_DRIVER(&mem_driver)
