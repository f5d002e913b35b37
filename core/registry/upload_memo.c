/*
 * registry/upload_memo.c - in-process memos of upload hash states (registry/upload_memo.h).
 *
 * A list, newest first, of at most MEMO_MAX entries: an upload touches
 * its memo once per request, so a linear scan of a few hundred short
 * entries under one mutex costs far less than the storage round trips it
 * saves.  Losing a memo (evicted, process restarted) costs those round
 * trips again, never correctness: a taint is also recorded in storage
 * (registry/uploads.c), and no saved hash state ever describes bytes that are
 * not stored, so the taint is a second line of defence, not the only one.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "registry/upload_memo.h"

#define MEMO_MAX 512

typedef struct memo {
	struct memo *next;
	char id[40];
	char *name;
	berth_hasher hash;
	int tainted; /* met a storage error: the hash is never trusted */
} memo;

static pthread_mutex_t memo_mu = PTHREAD_MUTEX_INITIALIZER;
static memo *memo_head;
static size_t memo_count;

static void memo_free(memo *m)
{
	if (m) {
		free(m->name);
		free(m);
	}
}

/* Unlink the memo of `id`; the caller holds memo_mu. */
static memo *memo_unlink(const char *id)
{
	for (memo **p = &memo_head; *p; p = &(*p)->next) {
		if (strcmp((*p)->id, id) == 0) {
			memo *m = *p;
			*p = m->next;
			memo_count--;
			return m;
		}
	}
	return NULL;
}

/* Insert a memo for `id` of `name`, replacing an older one: a taint
   outlives the replacement.  `h` NULL records only a taint. */
static void memo_insert(const char *name, const char *id,
			const berth_hasher *h)
{
	if (strlen(id) >= sizeof ((memo *)0)->id)
		return;
	memo *m = calloc(1, sizeof *m);
	if (!m || !(m->name = strdup(name))) {
		free(m); /* a memo is a hint: the next request reads storage */
		return;
	}
	strcpy(m->id, id);
	if (h)
		m->hash = *h;
	m->tainted = !h;
	memo *drop = NULL;
	pthread_mutex_lock(&memo_mu);
	memo *old = memo_unlink(id);
	if (old && old->tainted && !strcmp(old->name, name))
		m->tainted = 1;
	memo_free(old);
	m->next = memo_head;
	memo_head = m;
	if (++memo_count > MEMO_MAX) {
		memo **p = &memo_head; /* the last one is the oldest */
		while ((*p)->next)
			p = &(*p)->next;
		drop = *p;
		*p = NULL;
		memo_count--;
	}
	pthread_mutex_unlock(&memo_mu);
	memo_free(drop);
}

void upload_memo_put(const char *name, const char *id, const berth_hasher *h)
{
	memo_insert(name, id, h);
}

void upload_memo_taint(const char *name, const char *id)
{
	memo_insert(name, id, NULL);
}

/* Find the memo of `id` in repository `name`; the caller holds memo_mu. */
static const memo *memo_find(const char *name, const char *id)
{
	for (const memo *m = memo_head; m; m = m->next)
		if (strcmp(m->id, id) == 0)
			return strcmp(m->name, name) == 0 ? m : NULL;
	return NULL;
}

int upload_memo_has(const char *name, const char *id)
{
	pthread_mutex_lock(&memo_mu);
	int found = memo_find(name, id) != NULL;
	pthread_mutex_unlock(&memo_mu);
	return found;
}

int upload_memo_get(const char *name, const char *id, uint64_t size,
		    berth_hasher *out)
{
	pthread_mutex_lock(&memo_mu);
	const memo *m = memo_find(name, id);
	int hit = m && !m->tainted && m->hash.bytes == size;
	if (hit)
		*out = m->hash;
	pthread_mutex_unlock(&memo_mu);
	return hit;
}

int upload_memo_tainted(const char *name, const char *id)
{
	pthread_mutex_lock(&memo_mu);
	const memo *m = memo_find(name, id);
	int tainted = m && m->tainted;
	pthread_mutex_unlock(&memo_mu);
	return tainted;
}

void upload_memo_forget(const char *id)
{
	pthread_mutex_lock(&memo_mu);
	memo *m = memo_unlink(id);
	pthread_mutex_unlock(&memo_mu);
	memo_free(m);
}

void upload_memo_clear(void)
{
	pthread_mutex_lock(&memo_mu);
	memo *m = memo_head;
	memo_head = NULL;
	memo_count = 0;
	pthread_mutex_unlock(&memo_mu);
	while (m) {
		memo *next = m->next;
		memo_free(m);
		m = next;
	}
}
