/*
 * registry/record_cache.c - a direct-mapped table of manifest media types (see
 * registry/record_cache.h), locked in stripes.  Entries are fixed-size, so the
 * table costs at most RECORD_CACHE_ENTRIES x ~660 bytes, touched only as
 * it fills.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "registry/manifest_record.h"
#include "registry/record_cache.h"

#define STRIPES 16

typedef struct entry {
	const void *store;
	uint64_t size;
	berth_digest d;
	char name[256];
	char mt[BERTH_RECORD_TYPE_MAX + 1];
	int used;
} entry;

static entry table[RECORD_CACHE_ENTRIES];
static pthread_mutex_t locks[STRIPES] = {
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
	PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
};

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 1099511628211ull;
	}
	return h;
}

static size_t slot_of(const void *store, const char *name,
		      const berth_digest *d)
{
	uint64_t h = 14695981039346656037ull;
	h = fnv(h, &store, sizeof store);
	h = fnv(h, name, strlen(name) + 1);
	h = fnv(h, &d->alg, sizeof d->alg);
	h = fnv(h, d->hex, strlen(d->hex));
	return (size_t)(h % RECORD_CACHE_ENTRIES);
}

static int matches(const entry *e, const void *store, const char *name,
		   const berth_digest *d)
{
	return e->used && e->store == store && digest_equal(&e->d, d) &&
	       !strcmp(e->name, name);
}

int record_cache_get(const void *store, const char *name,
		     const berth_digest *d, uint64_t size, char *mt,
		     size_t cap)
{
	size_t i = slot_of(store, name, d);
	int hit = 0;
	pthread_mutex_lock(&locks[i % STRIPES]);
	if (matches(&table[i], store, name, d) && table[i].size == size) {
		snprintf(mt, cap, "%s", table[i].mt);
		hit = 1;
	}
	pthread_mutex_unlock(&locks[i % STRIPES]);
	return hit;
}

void record_cache_put(const void *store, const char *name,
		      const berth_digest *d, uint64_t size, const char *mt)
{
	if (strlen(name) >= sizeof table[0].name ||
	    strlen(mt) >= sizeof table[0].mt)
		return;
	size_t i = slot_of(store, name, d);
	pthread_mutex_lock(&locks[i % STRIPES]);
	entry *e = &table[i];
	e->store = store;
	e->size = size;
	e->d = *d;
	strcpy(e->name, name);
	strcpy(e->mt, mt);
	e->used = 1;
	pthread_mutex_unlock(&locks[i % STRIPES]);
}

void record_cache_forget(const void *store, const char *name,
			 const berth_digest *d)
{
	size_t i = slot_of(store, name, d);
	pthread_mutex_lock(&locks[i % STRIPES]);
	if (matches(&table[i], store, name, d))
		table[i].used = 0;
	pthread_mutex_unlock(&locks[i % STRIPES]);
}
