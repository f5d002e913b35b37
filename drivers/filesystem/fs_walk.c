/*
 * fs_walk.c - tree operations of the filesystem driver: the native walk
 * and the recursive delete behind remove().
 *
 * Both work with directory descriptors (openat/fstatat/unlinkat), so they
 * neither rebuild long path strings for every entry nor follow a symlink
 * that replaced a directory half-way (the delete never follows symlinks).
 *
 * Walk order is depth-first with each directory's children sorted by the
 * bytes of their names (strcmp, never the locale).  In that order a path
 * compares component by component, which is what start_after needs: the
 * children whose whole subtree lies before start_after are skipped by a
 * binary search over the sorted names, without even a stat, and only the
 * ancestors of start_after are descended into.  The sorted names come
 * from fs_listing.c, which caches those of large directories, so the next
 * page of a long walk costs O(log n + page), not a read of every name.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"

/* Where `c` lies relative to `s` in walk order. */
enum {
	REL_BEFORE = -2,   /* c and everything below c come before s */
	REL_ANCESTOR = -1, /* c is a proper ancestor of s: c before, s inside */
	REL_EQUAL = 0,
	REL_AFTER = 1, /* c (and so everything below it) comes after s */
};

static int walk_rel(const char *c, const char *s)
{
	for (;;) {
		while (*c == '/')
			c++;
		while (*s == '/')
			s++;
		size_t lc = strcspn(c, "/"), ls = strcspn(s, "/");
		if (lc == 0 && ls == 0)
			return REL_EQUAL;
		if (lc == 0)
			return REL_ANCESTOR;
		if (ls == 0)
			return REL_AFTER; /* c lies below s */
		int d = memcmp(c, s, lc < ls ? lc : ls);
		if (d == 0 && lc != ls)
			d = lc < ls ? -1 : 1;
		if (d != 0)
			return d < 0 ? REL_BEFORE : REL_AFTER;
		c += lc;
		s += ls;
	}
}

typedef struct walk_ctx {
	struct berth_instance *in;
	const char *start_after;
	berth_walk_cb cb;
	void *payload;
	char *path; /* the entry being visited, grown as needed */
	size_t cap;
	int stopped;
} walk_ctx;

/* Put "<base>/<name>" into ctx->path; BERTH_OK or NOMEM (reported). */
static int set_child(walk_ctx *ctx, size_t base, const char *name,
		     size_t len)
{
	if (base + len + 2 > ctx->cap) {
		size_t cap = 2 * (base + len + 2);
		char *grown = realloc(ctx->path, cap);
		if (!grown)
			return fs_fail(ctx->in, BERTH_E_NOMEM,
				       "out of memory walking");
		ctx->path = grown;
		ctx->cap = cap;
	}
	ctx->path[base] = '/';
	memcpy(ctx->path + base + 1, name, len + 1);
	return BERTH_OK;
}

/* Index of the first of the sorted `names` that is not REL_BEFORE
   start_after.  Being REL_BEFORE depends only on how the name compares
   with start_after's component at this depth, so it holds for a prefix
   of the sorted names and a binary search finds its end: resuming a walk
   in a directory of n names costs O(log n) comparisons, not n. */
static int first_not_before(walk_ctx *ctx, size_t base,
			    const fs_listing *l, size_t *out)
{
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int rc = set_child(ctx, base, l->names[mid],
				   strlen(l->names[mid]));
		if (rc)
			return rc;
		if (walk_rel(ctx->path, ctx->start_after) == REL_BEFORE)
			lo = mid + 1;
		else
			hi = mid;
	}
	*out = lo;
	return BERTH_OK;
}

/* Visit the children of the directory open as `fd` (consumed), whose
   storage path is ctx->path[0..base). */
static int walk_dir(walk_ctx *ctx, int fd, size_t base)
{
	fs_listing *l = NULL;
	int err = fs_listing_get(ctx->in, fd, &l);
	if (err) {
		close(fd);
		ctx->path[base] = '\0';
		return fs_sys_fail(ctx->in, err, "walk", base ? ctx->path : "/");
	}
	size_t i = 0;
	int rc = BERTH_OK;
	int past = !ctx->start_after; /* every further sibling is after it */
	if (ctx->start_after)
		rc = first_not_before(ctx, base, l, &i);
	for (; i < l->n && rc == BERTH_OK && !ctx->stopped; i++) {
		const char *name = l->names[i];
		if ((rc = set_child(ctx, base, name, strlen(name))) != 0)
			break;
		int rel = past ? REL_AFTER : walk_rel(ctx->path, ctx->start_after);
		if (rel == REL_BEFORE)
			continue;
		if (rel == REL_AFTER)
			past = 1;
		struct stat st;
		if (fstatat(fd, name, &st, 0) != 0) {
			if (errno == ENOENT)
				continue; /* removed while we walk */
			rc = fs_sys_fail(ctx->in, errno, "walk", ctx->path);
			break;
		}
		berth_stat_info info = {0};
		info.is_dir = S_ISDIR(st.st_mode) ? 1 : 0;
		info.size = info.is_dir ? 0 : (uint64_t)st.st_size;
		info.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
				st.st_mtim.tv_nsec;
		if (rel == REL_AFTER) {
			berth_walk_action act =
				ctx->cb(ctx->path, &info, ctx->payload);
			if (act == BERTH_WALK_STOP) {
				ctx->stopped = 1;
				break;
			}
			/* SKIP_DIR on a file means nothing more than
			   CONTINUE: there is nothing to descend into. */
			if (act == BERTH_WALK_SKIP_DIR)
				continue;
		}
		if (!info.is_dir)
			continue;
		int cfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cfd < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue; /* removed or replaced meanwhile */
			rc = fs_sys_fail(ctx->in, errno, "walk", ctx->path);
			break;
		}
		rc = walk_dir(ctx, cfd, base + 1 + strlen(name));
	}
	fs_listing_put(ctx->in, l);
	close(fd);
	return rc;
}

int fs_walk(berth_instance *in, const char *path, const char *start_after,
	    berth_walk_cb cb, void *payload)
{
	int rc = fs_check_path(in, path, 1);
	if (rc)
		return rc;
	int is_root = !strcmp(path, "/");
	char *full = fs_full(in, path, NULL);
	if (!full)
		return fs_fail(in, BERTH_E_NOMEM, "out of memory walking %s",
			       path);
	int fd = open(full, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int err = errno;
	free(full);
	if (fd < 0) {
		if (is_root && err == ENOENT)
			return BERTH_OK; /* an empty root has nothing below */
		return fs_sys_fail(in, err, "walk", path);
	}
	walk_ctx ctx = {.in = in, .start_after = start_after, .cb = cb,
			.payload = payload};
	size_t base = is_root ? 0 : strlen(path);
	ctx.cap = base + 256;
	ctx.path = malloc(ctx.cap);
	if (!ctx.path) {
		close(fd);
		return fs_fail(in, BERTH_E_NOMEM, "out of memory walking %s",
			       path);
	}
	memcpy(ctx.path, path, base);
	rc = walk_dir(&ctx, fd, base);
	free(ctx.path);
	return rc;
}

/* rm -r of the directory `name` in `parent`; 0 or an errno. */
static int remove_at(int parent, const char *name)
{
	/* A file created inside while we delete makes the final rmdir fail
	   with ENOTEMPTY; scan again a few times before giving up. */
	for (int attempt = 0; attempt < 4; attempt++) {
		int fd = openat(parent, name,
				O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT)
				return 0; /* removed concurrently */
			if (errno == ENOTDIR || errno == ELOOP) {
				/* Replaced by a file or symlink meanwhile. */
				if (unlinkat(parent, name, 0) == 0 ||
				    errno == ENOENT)
					return 0;
			}
			return errno;
		}
		DIR *d = fdopendir(fd);
		if (!d) {
			int err = errno;
			close(fd);
			return err;
		}
		int err = 0;
		for (;;) {
			errno = 0;
			struct dirent *e = readdir(d);
			if (!e) {
				err = errno;
				break;
			}
			const char *n = e->d_name;
			if (!strcmp(n, ".") || !strcmp(n, ".."))
				continue;
			int is_dir = e->d_type == DT_DIR;
			if (e->d_type == DT_UNKNOWN) {
				struct stat st;
				if (fstatat(dirfd(d), n, &st,
					    AT_SYMLINK_NOFOLLOW) == 0)
					is_dir = S_ISDIR(st.st_mode);
			}
			if (is_dir)
				err = remove_at(dirfd(d), n);
			else if (unlinkat(dirfd(d), n, 0) != 0 &&
				 errno != ENOENT)
				err = errno == EISDIR ? remove_at(dirfd(d), n)
						      : errno;
			if (err)
				break;
		}
		closedir(d);
		if (err)
			return err;
		if (unlinkat(parent, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
			return 0;
		if (errno != ENOTEMPTY && errno != EEXIST)
			return errno;
	}
	return ENOTEMPTY;
}

int fs_remove_tree(const char *full)
{
	return remove_at(AT_FDCWD, full);
}
