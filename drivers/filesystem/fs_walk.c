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
 * compares component by component, which is what start_after needs: a
 * child whose whole subtree lies before start_after is skipped without
 * even a stat, and only the ancestors of start_after are descended into.
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

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* The sorted, visible names in `d`; 0 or an errno. */
static int read_names(DIR *d, char ***out, size_t *out_n)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		errno = 0;
		struct dirent *e = readdir(d);
		if (!e) {
			if (errno) {
				int err = errno;
				free_names(names, n);
				return err;
			}
			break;
		}
		if (!fs_valid_name(e->d_name))
			continue; /* ".", "..", '~' helpers, foreign names */
		if (n == cap) {
			cap = cap ? 2 * cap : 32;
			char **grown = realloc(names, cap * sizeof *names);
			if (!grown) {
				free_names(names, n);
				return ENOMEM;
			}
			names = grown;
		}
		if (!(names[n] = strdup(e->d_name))) {
			free_names(names, n);
			return ENOMEM;
		}
		n++;
	}
	if (n > 1)
		qsort(names, n, sizeof *names, by_name);
	*out = names;
	*out_n = n;
	return 0;
}

/* Visit the children of the directory open as `fd` (consumed), whose
   storage path is ctx->path[0..base). */
static int walk_dir(walk_ctx *ctx, int fd, size_t base)
{
	DIR *d = fdopendir(fd);
	if (!d) {
		int err = errno;
		close(fd);
		ctx->path[base] = '\0';
		return fs_sys_fail(ctx->in, err, "walk", base ? ctx->path : "/");
	}
	char **names = NULL;
	size_t n = 0;
	int err = read_names(d, &names, &n);
	if (err) {
		closedir(d);
		ctx->path[base] = '\0';
		return fs_sys_fail(ctx->in, err, "walk", base ? ctx->path : "/");
	}
	int rc = BERTH_OK;
	int past = !ctx->start_after; /* every further sibling is after it */
	for (size_t i = 0; i < n && rc == BERTH_OK && !ctx->stopped; i++) {
		size_t len = strlen(names[i]);
		if (base + len + 2 > ctx->cap) {
			size_t cap = 2 * (base + len + 2);
			char *grown = realloc(ctx->path, cap);
			if (!grown) {
				rc = fs_fail(ctx->in, BERTH_E_NOMEM,
					     "out of memory walking");
				break;
			}
			ctx->path = grown;
			ctx->cap = cap;
		}
		ctx->path[base] = '/';
		memcpy(ctx->path + base + 1, names[i], len + 1);
		int rel = past ? REL_AFTER : walk_rel(ctx->path, ctx->start_after);
		if (rel == REL_BEFORE)
			continue;
		if (rel == REL_AFTER)
			past = 1;
		struct stat st;
		if (fstatat(dirfd(d), names[i], &st, 0) != 0) {
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
		int cfd = openat(dirfd(d), names[i],
				 O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cfd < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue; /* removed or replaced meanwhile */
			rc = fs_sys_fail(ctx->in, errno, "walk", ctx->path);
			break;
		}
		rc = walk_dir(ctx, cfd, base + 1 + len);
	}
	free_names(names, n);
	closedir(d);
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
