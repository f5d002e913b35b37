/*
 * fs_listing.c - sorted listings of directories for walk, and a cache of
 * the listings of large directories.
 *
 * A walk that resumes after start_after (the next page of the catalog or
 * of a tag list) must otherwise read and sort every name of each
 * directory it enters: with 10,000 repositories under one parent, every
 * page costs 10,000 readdir entries, strdups and an O(n log n) sort.  The
 * cache keeps the sorted names of directories with at least
 * FS_LISTING_MIN_NAMES entries, so a page costs an fstat and a binary
 * search instead.
 *
 * Validity.  An entry is keyed by the directory's (st_dev, st_ino) and
 * records its st_mtim and st_ctim; every use fstats the open directory
 * and trusts the entry only if both are unchanged.  Creating, removing or
 * renaming an entry updates both, from this process or any other.  That
 * alone is racy: the kernel stamps times from a coarse clock (a jiffy,
 * whole seconds on some filesystems), so a change made in the same tick
 * as our fstat, after it, leaves the times unchanged.  As git does for
 * its "racily clean" index entries, a listing is kept only if, when it
 * was read, the directory's last change (the later of mtime and ctime)
 * was already FS_LISTING_RACY_NS older than the clock: any change after
 * the read then necessarily stamps a different time.  A listing read
 * sooner after a change serves that one walk and is dropped.  "Now" is
 * the host's wall clock, the clock the kernel stamps with.  Times that a
 * tool sets back (tar, rsync -t) move ctime forward, so they invalidate
 * too.  (A network filesystem whose attribute cache hides a change would
 * hide it from readdir as much as from fstat.)
 *
 * Threads.  One mutex guards the table and the LRU list; listings are
 * reference-counted (the cache holds one reference), so a walk reads the
 * names it holds without the lock while other threads evict or replace
 * the entry.  Memory is bounded by FS_LISTING_CACHE_BYTES, evicting the
 * least recently used listings.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"

/* Smaller directories cost less to read than the cache bookkeeping is
   worth (and are the vast majority: a tag, a revision, a layer link). */
#define FS_LISTING_MIN_NAMES 256
/* About 100,000 names of ~20 bytes: enough for the catalog and the tag
   directories of the largest repositories. */
#define FS_LISTING_CACHE_BYTES ((size_t)4 << 20)
/* Margin between the directory's last change and the read for the
   listing to be kept (see above).  2 s covers 1 s timestamp granularity
   and clock steps of the same order. */
#define FS_LISTING_RACY_NS ((int64_t)2000000000)
#define FS_LISTING_BUCKETS 256

struct fs_listing_cache {
	pthread_mutex_t lock;
	fs_listing *buckets[FS_LISTING_BUCKETS]; /* chained by hnext */
	fs_listing *lru_head, *lru_tail;         /* most recent first */
	size_t bytes;                            /* of cached listings */
	size_t max_bytes;
};

static int64_t ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
}

static int same_ts(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static size_t bucket_of(dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ull ^ (uint64_t)dev;
	return (size_t)(h >> 56) % FS_LISTING_BUCKETS;
}

static void listing_free(fs_listing *l)
{
	if (!l)
		return;
	free(l->names);
	free(l->blob);
	free(l);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read the visible names of the directory open as `fd` (not consumed)
   into a new listing, sorted by bytes, sweeping stale temporaries on the
   way; 0 or an errno. */
static int listing_read(struct berth_instance *in, int fd, fs_listing **out)
{
	/* A duplicate for the DIR stream: the caller keeps `fd` for
	   fstatat/openat, which do not depend on the stream's offset. */
	int dfd = dup(fd);
	if (dfd < 0)
		return errno;
	DIR *d = fdopendir(dfd);
	if (!d) {
		int err = errno;
		close(dfd);
		return err;
	}
	fs_listing *l = calloc(1, sizeof *l);
	size_t *off = NULL, n = 0, cap = 0, used = 0, bcap = 0;
	char *blob = NULL;
	int err = l ? 0 : ENOMEM;
	while (!err) {
		errno = 0;
		struct dirent *e = readdir(d);
		if (!e) {
			err = errno;
			break;
		}
		if (!berth_sdk_path_name_valid(e->d_name)) {
			/* ".", "..", '~' helpers, foreign names */
			fs_sweep_temp(in, fd, e->d_name, NULL);
			continue;
		}
		size_t len = strlen(e->d_name) + 1;
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			size_t *g = realloc(off, cap * sizeof *g);
			if (!g) {
				err = ENOMEM;
				break;
			}
			off = g;
		}
		if (used + len > bcap) {
			bcap = bcap ? 2 * bcap : 1024;
			while (used + len > bcap)
				bcap *= 2;
			char *g = realloc(blob, bcap);
			if (!g) {
				err = ENOMEM;
				break;
			}
			blob = g;
		}
		memcpy(blob + used, e->d_name, len);
		off[n++] = used;
		used += len;
	}
	closedir(d);
	if (!err && n) {
		/* Pointers only now: the blob moved while it grew. */
		l->names = malloc(n * sizeof *l->names);
		if (!l->names)
			err = ENOMEM;
		for (size_t i = 0; !err && i < n; i++)
			l->names[i] = blob + off[i];
	}
	free(off);
	if (err) {
		free(blob);
		listing_free(l);
		return err;
	}
	if (n > 1)
		qsort(l->names, n, sizeof *l->names, by_name);
	l->n = n;
	l->blob = blob;
	l->bytes = sizeof *l + n * sizeof *l->names + used;
	l->refs = 1;
	*out = l;
	return 0;
}

fs_listing_cache *fs_listing_cache_new(void)
{
	fs_listing_cache *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		free(c);
		return NULL;
	}
	c->max_bytes = FS_LISTING_CACHE_BYTES;
	return c;
}

void fs_listing_cache_free(fs_listing_cache *c)
{
	if (!c)
		return;
	/* No walk runs any more (destroy is exclusive), so the cache holds
	   the last reference of every entry. */
	for (fs_listing *l = c->lru_head, *next; l; l = next) {
		next = l->next;
		listing_free(l);
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* Drop `l` from the table and the LRU list, and the cache's reference.
   Called with the lock held; never frees a listing a walk still holds. */
static void cache_unlink(fs_listing_cache *c, fs_listing *l)
{
	fs_listing **pp = &c->buckets[bucket_of(l->dev, l->ino)];
	while (*pp && *pp != l)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = l->hnext;
	if (l->prev)
		l->prev->next = l->next;
	else
		c->lru_head = l->next;
	if (l->next)
		l->next->prev = l->prev;
	else
		c->lru_tail = l->prev;
	l->prev = l->next = l->hnext = NULL;
	l->cached = 0;
	c->bytes -= l->bytes;
	if (--l->refs == 0)
		listing_free(l);
}

static void lru_front(fs_listing_cache *c, fs_listing *l)
{
	if (c->lru_head == l)
		return;
	l->prev->next = l->next; /* l is not the head, so it has a prev */
	if (l->next)
		l->next->prev = l->prev;
	else
		c->lru_tail = l->prev;
	l->prev = NULL;
	l->next = c->lru_head;
	c->lru_head->prev = l;
	c->lru_head = l;
}

/* The cached listing of (st->st_dev, st->st_ino) if still valid, with a
   reference for the caller; a stale one is dropped.  Lock held. */
static fs_listing *cache_find(fs_listing_cache *c, const struct stat *st)
{
	fs_listing *l = c->buckets[bucket_of(st->st_dev, st->st_ino)];
	while (l && !(l->dev == st->st_dev && l->ino == st->st_ino))
		l = l->hnext;
	if (!l)
		return NULL;
	if (!same_ts(&l->mtim, &st->st_mtim) ||
	    !same_ts(&l->ctim, &st->st_ctim)) {
		cache_unlink(c, l);
		return NULL;
	}
	lru_front(c, l);
	l->refs++;
	return l;
}

/* Keep `l` (the caller's reference stays the caller's).  Lock held. */
static void cache_insert(fs_listing_cache *c, fs_listing *l)
{
	/* Another thread may have read the same directory meanwhile. */
	fs_listing *old = c->buckets[bucket_of(l->dev, l->ino)];
	while (old && !(old->dev == l->dev && old->ino == l->ino))
		old = old->hnext;
	if (old)
		cache_unlink(c, old);
	while (c->lru_tail && c->bytes + l->bytes > c->max_bytes)
		cache_unlink(c, c->lru_tail);
	size_t b = bucket_of(l->dev, l->ino);
	l->hnext = c->buckets[b];
	c->buckets[b] = l;
	l->prev = NULL;
	l->next = c->lru_head;
	if (c->lru_head)
		c->lru_head->prev = l;
	else
		c->lru_tail = l;
	c->lru_head = l;
	c->bytes += l->bytes;
	l->cached = 1;
	l->refs++;
}

int fs_listing_get(struct berth_instance *in, int fd, fs_listing **out)
{
	fs_listing_cache *c = in->listings;
	struct stat st;
	if (fstat(fd, &st) != 0)
		return errno;
	if (c) {
		pthread_mutex_lock(&c->lock);
		fs_listing *l = cache_find(c, &st);
		pthread_mutex_unlock(&c->lock);
		if (l) {
			*out = l;
			return 0;
		}
	}
	/* Read after the fstat: whatever the listing lacks was changed
	   after it, and so stamped the directory anew. */
	fs_listing *l = NULL;
	int err = listing_read(in, fd, &l);
	if (err)
		return err;
	l->dev = st.st_dev;
	l->ino = st.st_ino;
	l->mtim = st.st_mtim;
	l->ctim = st.st_ctim;
	int64_t changed = ts_ns(&st.st_mtim);
	if (ts_ns(&st.st_ctim) > changed)
		changed = ts_ns(&st.st_ctim);
	if (c && l->n >= FS_LISTING_MIN_NAMES && l->bytes <= c->max_bytes &&
	    changed <= in->host->now_ns() - FS_LISTING_RACY_NS) {
		pthread_mutex_lock(&c->lock);
		cache_insert(c, l);
		pthread_mutex_unlock(&c->lock);
	}
	*out = l;
	return 0;
}

void fs_listing_put(struct berth_instance *in, fs_listing *l)
{
	if (!l)
		return;
	fs_listing_cache *c = in->listings;
	if (!c) {
		listing_free(l);
		return;
	}
	pthread_mutex_lock(&c->lock);
	int last = --l->refs == 0;
	pthread_mutex_unlock(&c->lock);
	if (last)
		listing_free(l);
}
