/*
 * fs_maintain.c - the filesystem driver's housekeeping (ABI 1.1
 * maintain): the sweep of stale temporaries (fs_sweep_temp) over the
 * whole tree, not only the directories list and walk happen to read, in
 * pieces that fit the budget the core gives.
 *
 * One pass visits every directory depth-first, siblings in byte order
 * (walk order).  When the budget is spent the pass stops after a whole
 * directory and keeps that directory's path as its cursor; the next call
 * skips everything up to it in walk order and goes on.  The cursor is a
 * path, not open directory handles, so nothing is held between calls
 * and a tree changing meanwhile is no problem: what moved before the
 * cursor waits for the next pass.  Only temporaries (FS_TEMP_STALE_S old)
 * are removed; writers' sidecars ("~partial") and objects never are.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"

typedef struct sweep {
	berth_instance *in;
	int64_t deadline; /* host now_ns beyond which no directory starts */
	const char *after; /* skip up to this directory (walk order), or NULL */
	char *last;        /* the last directory swept (malloc'd) */
	int more;          /* stopped for the budget */
	int err;           /* allocation failure: give up the pass */
} sweep;

/* 1 if `dir` is `path` or one of its ancestors. */
static int is_ancestor_or_self(const char *dir, const char *path)
{
	if (!strcmp(dir, "/"))
		return 1;
	size_t n = strlen(dir);
	return !strncmp(dir, path, n) && (path[n] == '/' || !path[n]);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of the subdirectories of the directory open as `fd`, sorted,
   after removing the stale temporaries in it (`path` for the log). */
static char **sweep_entries(sweep *s, int fd, const char *path, size_t *n)
{
	*n = 0;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return NULL;
	}
	char **v = NULL;
	size_t cap = 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!berth_sdk_path_name_valid(e->d_name)) {
			fs_sweep_temp(s->in, dirfd(d), e->d_name,
				      strcmp(path, "/") ? path : "");
			continue;
		}
		int is_dir = e->d_type == DT_DIR;
		struct stat st;
		if (e->d_type == DT_UNKNOWN)
			is_dir = fstatat(dirfd(d), e->d_name, &st,
					 AT_SYMLINK_NOFOLLOW) == 0 &&
				 S_ISDIR(st.st_mode);
		if (!is_dir)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nv = realloc(v, cap * sizeof *v);
			if (!nv)
				break;
			v = nv;
		}
		if (!(v[*n] = strdup(e->d_name)))
			break;
		(*n)++;
	}
	if (e) /* stopped by an allocation failure */
		s->err = BERTH_E_NOMEM;
	closedir(d);
	if (*n > 1)
		qsort(v, *n, sizeof *v, by_name);
	return v;
}

/* Sweep directory `path` (storage path) and below, in walk order.
   `own`: sweep its own entries too (not when the cursor says an earlier
   call did). */
static void sweep_dir(sweep *s, const char *path, int own)
{
	/* At least one directory per call, so a pass always ends. */
	if (own && s->last && s->in->host->now_ns() > s->deadline) {
		s->more = 1;
		return;
	}
	char *full = fs_full(s->in, path, NULL);
	if (!full) {
		s->err = BERTH_E_NOMEM;
		return;
	}
	int fd = open(full, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	free(full);
	if (fd < 0)
		return; /* gone meanwhile, or not ours to read: skip it */
	size_t n = 0;
	char **names = sweep_entries(s, fd, path, &n);
	if (own) {
		free(s->last);
		s->last = strdup(path);
		if (!s->last)
			s->err = BERTH_E_NOMEM;
	}
	size_t plen = strcmp(path, "/") ? strlen(path) : 0;
	for (size_t i = 0; i < n && !s->more && !s->err; i++) {
		char *child = malloc(plen + strlen(names[i]) + 2);
		if (!child) {
			s->err = BERTH_E_NOMEM;
			break;
		}
		memcpy(child, path, plen);
		child[plen] = '/';
		strcpy(child + plen + 1, names[i]);
		if (s->after && is_ancestor_or_self(child, s->after)) {
			/* swept by an earlier call down to the cursor */
			sweep_dir(s, child, 0);
		} else if (!s->after || berth_sdk_path_cmp(child, s->after) > 0) {
			s->after = NULL; /* past the cursor from here on */
			sweep_dir(s, child, 1);
		}
		free(child);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int fs_maintain(berth_instance *in, int64_t budget_ns, int *out_more)
{
	sweep s = {.in = in,
		   .deadline = in->host->now_ns() + (budget_ns > 0 ? budget_ns
								   : 0),
		   .after = in->sweep_cursor};
	*out_more = 0;
	sweep_dir(&s, "/", s.after == NULL);
	if (s.err) {
		free(s.last);
		free(in->sweep_cursor);
		in->sweep_cursor = NULL;
		return fs_fail(in, s.err, "out of memory sweeping temporaries");
	}
	if (s.more) {
		/* Nothing swept this time (the budget was spent before the
		   first directory): keep the old place. */
		if (s.last) {
			free(in->sweep_cursor);
			in->sweep_cursor = s.last;
		}
		*out_more = 1;
		return BERTH_OK;
	}
	free(s.last);
	free(in->sweep_cursor);
	in->sweep_cursor = NULL; /* the pass is complete */
	return BERTH_OK;
}
