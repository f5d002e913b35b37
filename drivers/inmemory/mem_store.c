/*
 * mem_store.c - the in-memory driver's store: the process-wide sorted
 * object array, the table of uncommitted writer data, and the reference
 * counted content blobs readers hold on to (so replacing or removing an
 * object never pulls the bytes from under a reader).
 *
 * Locking is the callers' business (see mem.h for which lock each
 * primitive needs); this file only keeps the array sorted.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mem.h"

static mem_store store = {.lock = PTHREAD_RWLOCK_INITIALIZER};

mem_store *mem_store_get(void)
{
	return &store;
}

/* Release everything when the driver is unloaded (dlclose or exit), so
   leak checkers see a clean process. */
__attribute__((destructor)) static void mem_store_fini(void)
{
	for (size_t i = 0; i < store.n; i++) {
		free(store.objs[i].path);
		mem_blob_unref(store.objs[i].blob);
	}
	for (size_t i = 0; i < store.npend; i++) {
		free(store.pend[i].path);
		free(store.pend[i].data);
	}
	free(store.objs);
	free(store.pend);
	store.objs = NULL;
	store.pend = NULL;
	store.n = store.cap = store.npend = store.cappend = 0;
}

mem_blob *mem_blob_new(char *data, size_t len)
{
	mem_blob *b = malloc(sizeof *b);
	if (!b)
		return NULL;
	b->refs = 1;
	b->len = len;
	b->data = data;
	return b;
}

void mem_blob_ref(mem_blob *b)
{
	__atomic_add_fetch(&b->refs, 1, __ATOMIC_RELAXED);
}

void mem_blob_unref(mem_blob *b)
{
	if (b && __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		free(b->data);
		free(b);
	}
}

int64_t mem_now(berth_instance *in)
{
	if (in->host && in->host->now_ns)
		return in->host->now_ns();
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

size_t mem_lower(const mem_store *st, const char *path)
{
	size_t lo = 0, hi = st->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (berth_sdk_path_cmp(st->objs[mid].path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

mem_obj *mem_find(const mem_store *st, const char *path)
{
	size_t i = mem_lower(st, path);
	if (i < st->n && !strcmp(st->objs[i].path, path))
		return &st->objs[i];
	return NULL;
}

void mem_subtree(const mem_store *st, const char *path, size_t *lo,
		 size_t *hi)
{
	if (!strcmp(path, "/")) {
		*lo = 0;
		*hi = st->n;
		return;
	}
	/* Walk order puts "/d" first, then everything below it, then the
	   siblings that merely share the prefix ("/d-x", "/d.y"). */
	size_t i = mem_lower(st, path);
	size_t plen = strlen(path);
	if (i < st->n && !strcmp(st->objs[i].path, path))
		i++;
	size_t j = i;
	while (j < st->n && !strncmp(st->objs[j].path, path, plen) &&
	       st->objs[j].path[plen] == '/')
		j++;
	*lo = i;
	*hi = j;
}

int mem_check_place(berth_instance *in, const mem_store *st,
		    const char *path)
{
	size_t lo, hi;
	mem_subtree(st, path, &lo, &hi);
	if (lo < hi)
		return mem_fail(in, BERTH_E_INVALID_ARGUMENT,
				"%s is a directory", path);
	char *parent = strdup(path);
	if (!parent)
		return mem_fail(in, BERTH_E_NOMEM, "out of memory");
	for (char *s = strchr(parent + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = 0;
		int clash = mem_find(st, parent) != NULL;
		if (clash) {
			int rc = mem_fail(in, BERTH_E_INVALID_ARGUMENT,
					  "cannot store %s: %s is an object",
					  path, parent);
			free(parent);
			return rc;
		}
		*s = '/';
	}
	free(parent);
	return BERTH_OK;
}

int mem_insert(mem_store *st, char *path, mem_blob *blob, int64_t mtime_ns)
{
	size_t i = mem_lower(st, path);
	if (i < st->n && !strcmp(st->objs[i].path, path)) {
		mem_blob_unref(st->objs[i].blob);
		st->objs[i].blob = blob;
		st->objs[i].mtime_ns = mtime_ns;
		st->objs[i].gen = mem_next_gen(st);
		free(path);
		return BERTH_OK;
	}
	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 64;
		mem_obj *o = realloc(st->objs, cap * sizeof *o);
		if (!o)
			return BERTH_E_NOMEM;
		st->objs = o;
		st->cap = cap;
	}
	memmove(&st->objs[i + 1], &st->objs[i], (st->n - i) * sizeof *st->objs);
	st->objs[i] = (mem_obj){path, blob, mtime_ns, mem_next_gen(st)};
	st->n++;
	return BERTH_OK;
}

uint64_t mem_next_gen(mem_store *st)
{
	return ++st->gen;
}

void mem_erase(mem_store *st, size_t lo, size_t hi)
{
	/* nothing to erase, possibly in an empty store whose array is
	   still NULL: memmove must not be handed a null pointer */
	if (lo >= hi)
		return;
	for (size_t i = lo; i < hi; i++) {
		free(st->objs[i].path);
		mem_blob_unref(st->objs[i].blob);
	}
	memmove(&st->objs[lo], &st->objs[hi], (st->n - hi) * sizeof *st->objs);
	st->n -= hi - lo;
}

int mem_pending_take(mem_store *st, const char *path, mem_pending *out)
{
	for (size_t i = 0; i < st->npend; i++) {
		if (!strcmp(st->pend[i].path, path)) {
			*out = st->pend[i];
			st->pend[i] = st->pend[--st->npend];
			return 1;
		}
	}
	return 0;
}

int mem_pending_put(mem_store *st, mem_pending *p)
{
	mem_pending old;
	if (mem_pending_take(st, p->path, &old)) {
		free(old.path);
		free(old.data);
	}
	if (st->npend == st->cappend) {
		size_t cap = st->cappend ? st->cappend * 2 : 16;
		mem_pending *np = realloc(st->pend, cap * sizeof *np);
		if (!np) {
			free(p->path);
			free(p->data);
			return BERTH_E_NOMEM;
		}
		st->pend = np;
		st->cappend = cap;
	}
	st->pend[st->npend++] = *p;
	return BERTH_OK;
}

void mem_pending_drop(mem_store *st, const char *path)
{
	for (size_t i = 0; i < st->npend;) {
		if (berth_sdk_path_under(st->pend[i].path, path)) {
			free(st->pend[i].path);
			free(st->pend[i].data);
			st->pend[i] = st->pend[--st->npend];
		} else {
			i++;
		}
	}
}
