/*
 * mem_batch.c - batch of the in-memory driver: puts, moves, removes and
 * preconditions applied all or nothing (BERTH_CAP_BATCH).
 *
 * A batch runs under the store's write lock on a shallow copy of the
 * object array, the scratch: each op changes only the scratch, so it sees
 * the ops before it.  What an op creates (a path, a blob reference) is
 * listed in `made`; what the scratch lets go of in `dropped`.  When every
 * op succeeded the scratch becomes the store's array and the dropped
 * entries are freed; otherwise the scratch and the made entries are, and
 * the store never changed.  Either way readers, who take the read lock,
 * see the store before or after the whole batch.  An entry the store
 * had ends in the scratch or in `dropped`; one the batch made, in the
 * scratch or in `dropped` and always in `made`: so freeing `dropped` on
 * success and `made` on failure frees each once.
 *
 * The copy costs one pass over the array per batch: plain rather than
 * fast, like the rest of this driver.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

#define BATCH_MAX 64

typedef struct objlist {
	mem_obj *v;
	size_t n, cap;
} objlist;

typedef struct scratch {
	berth_instance *in;
	mem_store *st;  /* the real store: generations, pending data */
	mem_store view; /* objs/n/cap only: the lookups of mem_store.c */
	objlist made, dropped;
} scratch;

static int list_reserve(objlist *l, size_t extra)
{
	if (l->n + extra <= l->cap)
		return BERTH_OK;
	size_t cap = l->cap ? l->cap : 16;
	while (cap < l->n + extra)
		cap *= 2;
	mem_obj *v = realloc(l->v, cap * sizeof *v);
	if (!v)
		return BERTH_E_NOMEM;
	l->v = v;
	l->cap = cap;
	return BERTH_OK;
}

static void list_free(objlist *l, int entries)
{
	for (size_t i = 0; entries && i < l->n; i++) {
		free(l->v[i].path);
		mem_blob_unref(l->v[i].blob);
	}
	free(l->v);
}

/* Let go of scratch entries [lo, hi). */
static int take(scratch *s, size_t lo, size_t hi)
{
	if (lo >= hi)
		return BERTH_OK;
	if (list_reserve(&s->dropped, hi - lo))
		return mem_fail(s->in, BERTH_E_NOMEM, "out of memory");
	mem_store *v = &s->view;
	memcpy(&s->dropped.v[s->dropped.n], &v->objs[lo], (hi - lo) * sizeof *v->objs);
	s->dropped.n += hi - lo;
	memmove(&v->objs[lo], &v->objs[hi], (v->n - hi) * sizeof *v->objs);
	v->n -= hi - lo;
	return BERTH_OK;
}

/* The scratch range of the object or directory at `path`. */
static void range_of(const scratch *s, const char *path, size_t *lo,
		     size_t *hi)
{
	const mem_obj *o = mem_find(&s->view, path);
	if (o) {
		*lo = (size_t)(o - s->view.objs);
		*hi = *lo + 1;
	} else {
		mem_subtree(&s->view, path, lo, hi);
	}
}

/* Store a made entry (path, blob) in the scratch with a new generation,
   letting go of an object there.  The scratch has room: it was sized for
   one new entry per op. */
static int store(scratch *s, char *path, mem_blob *blob, int64_t mtime_ns)
{
	mem_store *v = &s->view;
	size_t i = mem_lower(v, path);
	mem_obj o = {path, blob, mtime_ns, mem_next_gen(s->st)};
	if (i < v->n && !strcmp(v->objs[i].path, path)) {
		if (list_reserve(&s->dropped, 1))
			return mem_fail(s->in, BERTH_E_NOMEM, "out of memory");
		s->dropped.v[s->dropped.n++] = v->objs[i];
		v->objs[i] = o;
		return BERTH_OK;
	}
	memmove(&v->objs[i + 1], &v->objs[i], (v->n - i) * sizeof *v->objs);
	v->objs[i] = o;
	v->n++;
	return BERTH_OK;
}

/* Record a new entry as made; on failure frees both. */
static int make(scratch *s, char *path, mem_blob *blob)
{
	if (!path || !blob || list_reserve(&s->made, 1)) {
		free(path);
		mem_blob_unref(blob);
		return mem_fail(s->in, BERTH_E_NOMEM, "out of memory");
	}
	s->made.v[s->made.n++] = (mem_obj){path, blob, 0, 0};
	return BERTH_OK;
}

static int op_put(scratch *s, const berth_batch_op *op)
{
	if (!op->data && op->len)
		return mem_fail(s->in, BERTH_E_INVALID_ARGUMENT,
				"batch put of %s: no data", op->path);
	int rc = mem_check_place(s->in, &s->view, op->path);
	if (rc)
		return rc;
	char *copy = malloc(op->len ? op->len : 1);
	mem_blob *b = copy ? mem_blob_new(copy, op->len) : NULL;
	if (!b)
		free(copy);
	else if (op->len)
		memcpy(copy, op->data, op->len);
	char *key = strdup(op->path);
	rc = make(s, key, b);
	if (rc)
		return rc;
	return store(s, key, b, mem_now(s->in));
}

static int op_remove(scratch *s, const berth_batch_op *op)
{
	size_t lo, hi;
	range_of(s, op->path, &lo, &hi);
	if (lo == hi)
		return mem_fail(s->in, BERTH_E_NOT_FOUND, "%s not found", op->path);
	return take(s, lo, hi);
}

static int op_move(scratch *s, const berth_batch_op *op)
{
	const char *src = op->path, *dst = op->dst;
	int rc = berth_sdk_path_check(s->in->host, MEM_NAME, dst, 0);
	if (rc)
		return rc;
	mem_obj *o = mem_find(&s->view, src);
	if (!o) {
		size_t lo, hi;
		mem_subtree(&s->view, src, &lo, &hi);
		if (lo < hi)
			return mem_fail(s->in, BERTH_E_INVALID_ARGUMENT,
					"batch move of %s: a directory (a batch "
					"moves objects only)", src);
		return mem_fail(s->in, BERTH_E_NOT_FOUND, "%s not found", src);
	}
	if (!strcmp(src, dst))
		return BERTH_OK; /* as move: onto itself changes nothing */
	if (berth_sdk_path_under(src, dst))
		return mem_fail(s->in, BERTH_E_INVALID_ARGUMENT,
				"cannot move %s to %s: one contains the other",
				src, dst);
	mem_blob *blob = o->blob;
	int64_t mtime = o->mtime_ns;
	mem_blob_ref(blob); /* the made entry's reference */
	char *key = strdup(dst);
	rc = make(s, key, blob);
	if (rc)
		return rc;
	size_t lo = (size_t)(o - s->view.objs), hi;
	rc = take(s, lo, lo + 1);
	if (rc)
		return rc;
	/* Whatever is at dst (object or directory) is replaced, as move
	   does; a parent of dst that is an object refuses the move. */
	range_of(s, dst, &lo, &hi);
	rc = take(s, lo, hi);
	if (rc == BERTH_OK)
		rc = mem_check_place(s->in, &s->view, dst);
	if (rc == BERTH_OK)
		rc = store(s, key, blob, mtime);
	return rc;
}

static int op_expect(scratch *s, const berth_batch_op *op)
{
	size_t lo, hi;
	range_of(s, op->path, &lo, &hi);
	if (!op->version) {
		if (lo < hi)
			return mem_fail(s->in, BERTH_E_CONFLICT,
					"%s exists, expected absent", op->path);
		return BERTH_OK;
	}
	const mem_obj *o = mem_find(&s->view, op->path);
	char v[BERTH_VERSION_MAX] = "";
	if (o)
		snprintf(v, sizeof v, "%llu", (unsigned long long)o->gen);
	if (!o || strcmp(v, op->version))
		return mem_fail(s->in, BERTH_E_CONFLICT,
				"%s is %s%s, expected version %s", op->path,
				o ? "at version " : "not an object", o ? v : "",
				op->version);
	return BERTH_OK;
}

/* The checks of the ops' shape, before anything is looked at. */
static int check_ops(berth_instance *in, const berth_batch_op *ops,
		     size_t count)
{
	if (!ops || count == 0 || count > BATCH_MAX)
		return mem_fail(in, BERTH_E_INVALID_ARGUMENT,
				"batch of %zu ops (1..%d)", count, BATCH_MAX);
	for (size_t i = 0; i < count; i++) {
		if (ops[i].kind > BERTH_BATCH_EXPECT || ops[i].reserved)
			return mem_fail(in, BERTH_E_INVALID_ARGUMENT,
					"batch op %zu: kind %u, reserved %u", i,
					ops[i].kind, ops[i].reserved);
		if (ops[i].kind == BERTH_BATCH_MOVE && !ops[i].dst)
			return mem_fail(in, BERTH_E_INVALID_ARGUMENT,
					"batch op %zu: move without dst", i);
	}
	return BERTH_OK;
}

static int apply(scratch *s, const berth_batch_op *op)
{
	int rc = berth_sdk_path_check(s->in->host, MEM_NAME, op->path, 0);
	if (rc)
		return rc;
	switch (op->kind) {
	case BERTH_BATCH_PUT:
		return op_put(s, op);
	case BERTH_BATCH_MOVE:
		return op_move(s, op);
	case BERTH_BATCH_REMOVE:
		return op_remove(s, op);
	default:
		return op_expect(s, op);
	}
}

int mem_batch(berth_instance *in, const berth_batch_op *ops, size_t count)
{
	int rc = check_ops(in, ops, count);
	if (rc)
		return rc;
	mem_store *st = in->st;
	scratch s = {.in = in, .st = st};
	pthread_rwlock_wrlock(&st->lock);
	s.view.cap = st->n + count;
	s.view.objs = malloc(s.view.cap * sizeof *s.view.objs);
	if (!s.view.objs) {
		pthread_rwlock_unlock(&st->lock);
		return mem_fail(in, BERTH_E_NOMEM, "out of memory");
	}
	if (st->n)
		memcpy(s.view.objs, st->objs, st->n * sizeof *st->objs);
	s.view.n = st->n;
	for (size_t i = 0; rc == BERTH_OK && i < count; i++)
		rc = apply(&s, &ops[i]);
	if (rc == BERTH_OK) {
		free(st->objs);
		st->objs = s.view.objs;
		st->n = s.view.n;
		st->cap = s.view.cap;
		/* remove's promise: no writer data survives below a removed
		   path. */
		for (size_t i = 0; i < count; i++)
			if (ops[i].kind == BERTH_BATCH_REMOVE)
				mem_pending_drop(st, ops[i].path);
	}
	pthread_rwlock_unlock(&st->lock);
	if (rc == BERTH_OK) {
		list_free(&s.dropped, 1);
		list_free(&s.made, 0);
	} else {
		free(s.view.objs);
		list_free(&s.dropped, 0);
		list_free(&s.made, 1);
	}
	return rc;
}
