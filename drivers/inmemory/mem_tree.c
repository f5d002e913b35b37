/*
 * mem_tree.c - list and walk of the in-memory driver.
 *
 * Both take a snapshot of the entries under the read lock and call the
 * callback after releasing it: a callback may then call back into the
 * driver (remove what it sees, say) without deadlocking, at the price of
 * reporting the tree as it was when the call began.
 *
 * The object array is in walk order, so walk is one pass over the
 * subtree's run: before each object come those of its parent directories
 * that the previous object did not already share.
 */
#include <stdlib.h>
#include <string.h>

#include "mem.h"

typedef struct entry {
	char *path;
	berth_stat_info info;
} entry;

typedef struct snap {
	entry *e;
	size_t n, cap;
} snap;

static int snap_add(snap *s, const char *path, size_t len,
		    const berth_stat_info *info)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		entry *e = realloc(s->e, cap * sizeof *e);
		if (!e)
			return BERTH_E_NOMEM;
		s->e = e;
		s->cap = cap;
	}
	char *p = strndup(path, len);
	if (!p)
		return BERTH_E_NOMEM;
	s->e[s->n].path = p;
	s->e[s->n].info = *info;
	s->n++;
	return BERTH_OK;
}

static void snap_free(snap *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->e[i].path);
	free(s->e);
}

/* Is the path a directory we can list or walk?  "/" always is. */
static int dir_range(berth_instance *in, const char *path, size_t *lo,
		     size_t *hi)
{
	mem_subtree(in->st, path, lo, hi);
	if (*lo == *hi && strcmp(path, "/"))
		return mem_fail(in, BERTH_E_NOT_FOUND,
				"%s not found (or not a directory)", path);
	return BERTH_OK;
}

int mem_list(berth_instance *in, const char *path, berth_list_cb cb,
	     void *payload)
{
	int rc = berth_sdk_path_check(in->host, MEM_NAME, path,
				      BERTH_SDK_PATH_ALLOW_ROOT);
	if (rc)
		return rc;
	mem_store *st = in->st;
	snap s = {0};
	size_t lo, hi, plen = strcmp(path, "/") ? strlen(path) : 0;
	pthread_rwlock_rdlock(&st->lock);
	rc = dir_range(in, path, &lo, &hi);
	const char *last = NULL;
	size_t lastlen = 0;
	berth_stat_info none = {0};
	for (size_t i = lo; rc == BERTH_OK && i < hi; i++) {
		/* The child is the next component after the directory;
		   a child directory's objects are adjacent, so comparing
		   with the previous child removes duplicates. */
		const char *p = st->objs[i].path;
		const char *end = strchr(p + plen + 1, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (last && len == lastlen && !strncmp(p, last, len))
			continue;
		last = p;
		lastlen = len;
		if (snap_add(&s, p, len, &none))
			rc = mem_fail(in, BERTH_E_NOMEM, "out of memory");
	}
	pthread_rwlock_unlock(&st->lock);
	for (size_t i = 0; rc == BERTH_OK && i < s.n; i++)
		if (cb(s.e[i].path, payload))
			break;
	snap_free(&s);
	return rc;
}

int mem_walk(berth_instance *in, const char *path, const char *start_after,
	     berth_walk_cb cb, void *payload)
{
	int rc = berth_sdk_path_check(in->host, MEM_NAME, path,
				      BERTH_SDK_PATH_ALLOW_ROOT);
	if (rc)
		return rc;
	mem_store *st = in->st;
	snap s = {0};
	size_t lo, hi, plen = strcmp(path, "/") ? strlen(path) : 0;
	/* open[d]: snapshot index of the directory entry at depth d on the
	   current object's way down, to give each directory the mtime of
	   its newest object. */
	size_t *open = NULL, capopen = 0;
	pthread_rwlock_rdlock(&st->lock);
	rc = dir_range(in, path, &lo, &hi);
	const char *prev = NULL;
	for (size_t i = lo; rc == BERTH_OK && i < hi; i++) {
		const mem_obj *o = &st->objs[i];
		const char *p = o->path;
		size_t depth = 0;
		for (const char *q = strchr(p + plen + 1, '/'); q;
		     q = strchr(q + 1, '/'), depth++) {
			size_t len = (size_t)(q - p);
			int seen = prev && !strncmp(prev, p, len) && prev[len] == '/';
			if (!seen) {
				berth_stat_info di = {.is_dir = 1};
				if (snap_add(&s, p, len, &di)) {
					rc = BERTH_E_NOMEM;
					break;
				}
				if (depth >= capopen) {
					size_t cap = capopen ? capopen * 2 : 16;
					size_t *no = realloc(open, cap * sizeof *no);
					if (!no) {
						rc = BERTH_E_NOMEM;
						break;
					}
					open = no;
					capopen = cap;
				}
				open[depth] = s.n - 1;
			}
			if (s.e[open[depth]].info.mtime_ns < o->mtime_ns)
				s.e[open[depth]].info.mtime_ns = o->mtime_ns;
		}
		berth_stat_info fi = {.size = o->blob->len, .mtime_ns = o->mtime_ns};
		if (rc == BERTH_OK && snap_add(&s, p, strlen(p), &fi))
			rc = BERTH_E_NOMEM;
		prev = p;
	}
	pthread_rwlock_unlock(&st->lock);
	free(open);
	if (rc == BERTH_E_NOMEM)
		rc = mem_fail(in, rc, "out of memory");
	const char *skip = NULL; /* directory answered with SKIP_DIR */
	for (size_t i = 0; rc == BERTH_OK && i < s.n; i++) {
		const char *p = s.e[i].path;
		if (skip && berth_sdk_path_under(p, skip))
			continue;
		skip = NULL;
		/* start_after is a hint; honouring it is what makes
		   resuming a long walk cheap. */
		if (start_after && berth_sdk_path_cmp(p, start_after) <= 0)
			continue;
		berth_walk_action a = cb(p, &s.e[i].info, payload);
		if (a == BERTH_WALK_STOP)
			break;
		if (a == BERTH_WALK_SKIP_DIR && s.e[i].info.is_dir)
			skip = p;
	}
	snap_free(&s);
	return rc;
}
