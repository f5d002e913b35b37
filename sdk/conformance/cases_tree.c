/*
 * cases_tree.c - conformance cases about the namespace: stat (size,
 * directories, mtime), list (direct children only, the root, prefixes
 * that are not a directory boundary), move, remove (recursive, never
 * touching a sibling that merely shares a prefix) and walk (byte order
 * depth-first, SKIP_DIR, STOP, start_after).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conformance.h"

/* Put each "rel" of a NULL-terminated list with its own name as content. */
static int put_files(ct_ctx *c, const char *const *rels)
{
	for (; *rels; rels++) {
		char *p = ct_path(c, *rels);
		ct_clear_detail();
		int rc = c->d->put_content(c->in, p, *rels, strlen(*rels));
		if (rc != BERTH_OK) {
			ct_fail_rc(c, rc, BERTH_OK, ct_fmt(c, "put_content(%s)", p));
			return -1;
		}
	}
	return 0;
}

/* Fail unless the sorted list `v` is exactly c->dir + each want. */
static int expect_paths(ct_ctx *c, const char *what, char **v, size_t n,
			const char *const *want)
{
	size_t nw = 0;
	while (want[nw])
		nw++;
	char got[600] = "";
	size_t gl = 0;
	for (size_t i = 0; i < n && gl < 500; i++)
		gl += (size_t)snprintf(got + gl, sizeof got - gl, "%s%s", i ? " " : "", v[i]);
	if (n != nw)
		goto bad;
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], ct_path(c, want[i])))
			goto bad;
	return 0;
bad:
	ct_fail(c, "%s: got [%s], want %zu entries starting %s", what, got, nw,
		nw ? ct_path(c, want[0]) : "(none)");
	return -1;
}

/* ---- stat ---- */

static int c_stat_file(ct_ctx *c)
{
	char *p = ct_path(c, "/dir/file");
	unsigned char *data = ct_random_data(c, 12345);
	berth_stat_info st;
	int64_t before = c->host->now_ns();
	CT_OK(c, c->d->put_content(c->in, p, data, 12345), ct_fmt(c, "put_content(%s)", p));
	int64_t after = c->host->now_ns();
	memset(&st, 0x5a, sizeof st);
	CT_OK(c, c->d->stat(c->in, p, &st), ct_fmt(c, "stat(%s)", p));
	CT_FAILIF(c, st.size != 12345, "stat size %llu, want 12345", (unsigned long long)st.size);
	CT_FAILIF(c, st.is_dir, "stat says a file is a directory");
	/* Allow coarse backend clocks (1 s resolution, some skew). */
	CT_FAILIF(c, st.mtime_ns < before - 5000000000ll || st.mtime_ns > after + 5000000000ll,
		  "mtime %lld is not within 5 s of the put (%lld..%lld)",
		  (long long)st.mtime_ns, (long long)before, (long long)after);
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

static int c_stat_dir(ct_ctx *c)
{
	char *p = ct_path(c, "/a/b/file");
	const char *dirs[] = {ct_path(c, "/a/b"), ct_path(c, "/a"), c->dir, c->root, "/"};
	berth_stat_info st;
	CT_OK(c, c->d->put_content(c->in, p, "x", 1), ct_fmt(c, "put_content(%s)", p));
	for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
		CT_OK(c, c->d->stat(c->in, dirs[i], &st), ct_fmt(c, "stat(%s)", dirs[i]));
		CT_FAILIF(c, !st.is_dir, "stat(%s): is_dir 0 for a directory", dirs[i]);
	}
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

static int c_stat_mtime(ct_ctx *c)
{
	char *p = ct_path(c, "/file");
	berth_stat_info s1, s2;
	CT_OK(c, c->d->put_content(c->in, p, "one", 3), ct_fmt(c, "put_content(%s)", p));
	CT_OK(c, c->d->stat(c->in, p, &s1), "stat #1");
	struct timespec ts = {1, 150 * 1000 * 1000};
	nanosleep(&ts, NULL);
	CT_OK(c, c->d->put_content(c->in, p, "second", 6), ct_fmt(c, "put_content(%s) again", p));
	CT_OK(c, c->d->stat(c->in, p, &s2), "stat #2");
	CT_FAILIF(c, s2.size != 6, "stat after the rewrite: size %llu, want 6",
		  (unsigned long long)s2.size);
	CT_FAILIF(c, s2.mtime_ns <= s1.mtime_ns,
		  "mtime did not advance across a rewrite 1.15 s later (%lld then %lld)",
		  (long long)s1.mtime_ns, (long long)s2.mtime_ns);
out:
	ct_rm(c, p);
	return ct_result(c);
}

static int c_stat_nonexistent(ct_ctx *c)
{
	char *ab = ct_path(c, "/ab");
	CT_OK(c, c->d->put_content(c->in, ab, "x", 1), ct_fmt(c, "put_content(%s)", ab));
	if (ct_expect_absent(c, ct_path(c, "/missing")) ||
	    ct_expect_absent(c, ct_path(c, "/a")) || /* a prefix of "ab" */
	    ct_expect_absent(c, ct_path(c, "/ab/c")) ||
	    ct_expect_absent(c, ct_path(c, "/no/such/dir")))
		goto out;
out:
	ct_rm(c, ab);
	return ct_result(c);
}

/* ---- list ---- */

static int c_list_children(ct_ctx *c)
{
	static const char *const files[] = {"/d/a", "/d/b/c", "/d/b/e/f", "/d/x.y",
					    "/d/Z", "/other", NULL};
	static const char *const want[] = {"/d/Z", "/d/a", "/d/b", "/d/x.y", NULL};
	static const char *const want_b[] = {"/d/b/c", "/d/b/e", NULL};
	char **v;
	size_t n;
	if (put_files(c, files))
		goto out;
	CT_OK(c, ct_list(c, c->in, ct_path(c, "/d"), &v, &n), "list(d)");
	if (expect_paths(c, ct_fmt(c, "list(%s)", ct_path(c, "/d")), v, n, want))
		goto out;
	CT_OK(c, ct_list(c, c->in, ct_path(c, "/d/b"), &v, &n), "list(d/b)");
	expect_paths(c, ct_fmt(c, "list(%s)", ct_path(c, "/d/b")), v, n, want_b);
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

static int c_list_root(ct_ctx *c)
{
	char *p = ct_path(c, "/file");
	char **v;
	size_t n;
	int found = 0;
	CT_OK(c, c->d->put_content(c->in, p, "x", 1), ct_fmt(c, "put_content(%s)", p));
	CT_OK(c, ct_list(c, c->in, "/", &v, &n), "list(/)");
	for (size_t i = 0; i < n; i++) {
		CT_FAILIF(c, v[i][0] != '/' || strchr(v[i] + 1, '/'),
			  "list(/) returned \"%s\", not a direct child of /", v[i]);
		if (!strcmp(v[i], c->root))
			found = 1;
	}
	CT_FAILIF(c, !found, "list(/) does not show the test root %s (%zu entries)",
		  c->root, n);
out:
	ct_rm(c, p);
	return ct_result(c);
}

static int c_list_nonexistent(ct_ctx *c)
{
	char **v;
	size_t n;
	char *p = ct_path(c, "/missing");
	CT_WANT(c, ct_list(c, c->in, p, &v, &n), BERTH_E_NOT_FOUND, ct_fmt(c, "list(%s)", p));
out:
	return ct_result(c);
}

static int c_list_prefix(ct_ctx *c)
{
	static const char *const files[] = {"/d/abc/x", "/d/abd", NULL};
	char **v;
	size_t n;
	if (put_files(c, files))
		goto out;
	CT_WANT(c, ct_list(c, c->in, ct_path(c, "/d/ab"), &v, &n), BERTH_E_NOT_FOUND,
		ct_fmt(c, "list(%s), a name prefix but not a directory", ct_path(c, "/d/ab")));
	CT_WANT(c, ct_list(c, c->in, ct_path(c, "/d/abd"), &v, &n), BERTH_E_NOT_FOUND,
		ct_fmt(c, "list(%s), a file", ct_path(c, "/d/abd")));
	CT_WANT(c, ct_list(c, c->in, ct_path(c, "/d/abc/x"), &v, &n), BERTH_E_NOT_FOUND,
		ct_fmt(c, "list(%s), a file", ct_path(c, "/d/abc/x")));
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

static int stop_after_one(const char *path, void *payload)
{
	(*(int *)payload)++;
	return 1;
}

static int c_list_stop(ct_ctx *c)
{
	static const char *const files[] = {"/a", "/b", "/c", "/d", NULL};
	int calls = 0;
	if (put_files(c, files))
		goto out;
	CT_OK(c, c->d->list(c->in, c->dir, stop_after_one, &calls),
	      "list with a callback that stops");
	CT_FAILIF(c, calls != 1, "list called the callback %d times after it asked "
		  "to stop, want 1", calls);
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

/* ---- move ---- */

static int c_move_basic(ct_ctx *c)
{
	char *src = ct_path(c, "/src/object"), *dst = ct_path(c, "/dst/deep/er/object");
	unsigned char *data = ct_random_data(c, 32768);
	char **v;
	size_t n;
	CT_OK(c, c->d->put_content(c->in, src, data, 32768), ct_fmt(c, "put_content(%s)", src));
	CT_OK(c, c->d->move(c->in, src, dst), ct_fmt(c, "move(%s, %s)", src, dst));
	if (ct_expect_content(c, dst, data, 32768) || ct_expect_absent(c, src))
		goto out;
	/* The source's directory had no other child: it is gone too. */
	int rc = ct_list(c, c->in, ct_path(c, "/src"), &v, &n);
	CT_FAILIF(c, rc == BERTH_OK && n, "list(%s) still shows %s after the move",
		  ct_path(c, "/src"), v[0]);
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

static int c_move_overwrite(ct_ctx *c)
{
	char *src = ct_path(c, "/src"), *dst = ct_path(c, "/dst");
	unsigned char *a = ct_random_data(c, 1000), *b = ct_random_data(c, 5000);
	CT_OK(c, c->d->put_content(c->in, src, a, 1000), ct_fmt(c, "put_content(%s)", src));
	CT_OK(c, c->d->put_content(c->in, dst, b, 5000), ct_fmt(c, "put_content(%s)", dst));
	CT_OK(c, c->d->move(c->in, src, dst), ct_fmt(c, "move(%s, %s) over an object", src, dst));
	if (ct_expect_content(c, dst, a, 1000))
		goto out;
	ct_expect_absent(c, src);
out:
	ct_rm(c, src);
	ct_rm(c, dst);
	return ct_result(c);
}

static int c_move_nonexistent(ct_ctx *c)
{
	char *src = ct_path(c, "/missing"), *dst = ct_path(c, "/dst");
	unsigned char *b = ct_random_data(c, 2000);
	CT_OK(c, c->d->put_content(c->in, dst, b, 2000), ct_fmt(c, "put_content(%s)", dst));
	CT_WANT(c, c->d->move(c->in, src, dst), BERTH_E_NOT_FOUND,
		ct_fmt(c, "move(%s, %s) of a missing source", src, dst));
	ct_expect_content(c, dst, b, 2000);
out:
	ct_rm(c, dst);
	return ct_result(c);
}

static int c_move_invalid(ct_ctx *c)
{
	char *src = ct_path(c, "/src");
	static const char *const bad[] = {"", "/", "//x", "/a b", "/x/../y"};
	CT_OK(c, c->d->put_content(c->in, src, "data", 4), ct_fmt(c, "put_content(%s)", src));
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		/* "/" as destination would replace the whole store: only the
		   other ones are tried under the case directory. */
		const char *dst = i == 1 ? ct_path(c, "/x/") : i == 0 ? "" : ct_path(c, bad[i]);
		CT_WANT(c, c->d->move(c->in, src, dst), BERTH_E_INVALID_PATH,
			ct_fmt(c, "move(%s, \"%s\")", src, dst));
		if (ct_expect_content(c, src, "data", 4))
			goto out;
	}
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

/* ---- remove ---- */

static int c_delete_file(ct_ctx *c)
{
	char *p = ct_path(c, "/file"), *keep = ct_path(c, "/keep");
	CT_OK(c, c->d->put_content(c->in, p, "x", 1), ct_fmt(c, "put_content(%s)", p));
	CT_OK(c, c->d->put_content(c->in, keep, "k", 1), ct_fmt(c, "put_content(%s)", keep));
	CT_OK(c, c->d->remove(c->in, p), ct_fmt(c, "remove(%s)", p));
	if (ct_expect_absent(c, p))
		goto out;
	ct_expect_content(c, keep, "k", 1);
out:
	ct_rm(c, keep);
	ct_rm(c, p);
	return ct_result(c);
}

static int c_delete_recursive(ct_ctx *c)
{
	static const char *const files[] = {"/d/a", "/d/b/c", "/d/b/d/e", "/d/b/d/f/g",
					    "/d2/h", NULL};
	char **v;
	size_t n;
	if (put_files(c, files))
		goto out;
	CT_OK(c, c->d->remove(c->in, ct_path(c, "/d")), ct_fmt(c, "remove(%s)", ct_path(c, "/d")));
	for (int i = 0; i < 4; i++)
		if (ct_expect_absent(c, ct_path(c, files[i])))
			goto out;
	if (ct_expect_absent(c, ct_path(c, "/d")) || ct_expect_content(c, ct_path(c, "/d2/h"), "/d2/h", 5))
		goto out;
	CT_OK(c, ct_tree(c, c->dir, &v, &n), "list the case directory");
	static const char *const want[] = {"/d2", "/d2/h", NULL};
	expect_paths(c, "what is left after remove(d)", v, n, want);
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

static int c_delete_only_subpaths(ct_ctx *c)
{
	static const char *const files[] = {
		"/x/a", "/x/ab", "/x/a.b", "/x/a-", "/x/b/f", "/x/bb/f", "/x/b-c/f",
		"/x/b.d/f", NULL};
	char **v;
	size_t n;
	if (put_files(c, files))
		goto out;
	CT_OK(c, c->d->remove(c->in, ct_path(c, "/x/a")), ct_fmt(c, "remove(%s)", ct_path(c, "/x/a")));
	CT_OK(c, c->d->remove(c->in, ct_path(c, "/x/b")), ct_fmt(c, "remove(%s)", ct_path(c, "/x/b")));
	CT_OK(c, ct_tree(c, ct_path(c, "/x"), &v, &n), "list x");
	static const char *const want[] = {"/x/a-", "/x/a.b", "/x/ab", "/x/b-c", "/x/b-c/f",
					   "/x/b.d", "/x/b.d/f", "/x/bb", "/x/bb/f", NULL};
	if (expect_paths(c, "after remove(x/a) and remove(x/b), what is left", v, n, want))
		goto out;
	for (int i = 1; files[i]; i++) {
		if (i == 4)
			continue;
		if (ct_expect_content(c, ct_path(c, files[i]), files[i], strlen(files[i])))
			goto out;
	}
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

static int c_delete_nonexistent(ct_ctx *c)
{
	char *ab = ct_path(c, "/ab");
	CT_OK(c, c->d->put_content(c->in, ab, "x", 1), ct_fmt(c, "put_content(%s)", ab));
	CT_WANT(c, c->d->remove(c->in, ct_path(c, "/missing")), BERTH_E_NOT_FOUND,
		"remove of a missing path");
	CT_WANT(c, c->d->remove(c->in, ct_path(c, "/a")), BERTH_E_NOT_FOUND,
		"remove of a missing path that is a name prefix of an object");
	ct_expect_content(c, ab, "x", 1);
out:
	ct_rm(c, ab);
	return ct_result(c);
}

static int c_delete_empty_parents(ct_ctx *c)
{
	char *p = ct_path(c, "/d/e/f/file");
	char *keep = ct_path(c, "/d/keep");
	char **v;
	size_t n;
	CT_OK(c, c->d->put_content(c->in, p, "x", 1), ct_fmt(c, "put_content(%s)", p));
	CT_OK(c, c->d->put_content(c->in, keep, "k", 1), ct_fmt(c, "put_content(%s)", keep));
	CT_OK(c, c->d->remove(c->in, p), ct_fmt(c, "remove(%s)", p));
	/* Directories exist only while they have children. */
	if (ct_expect_absent(c, ct_path(c, "/d/e/f")) || ct_expect_absent(c, ct_path(c, "/d/e")))
		goto out;
	CT_OK(c, ct_list(c, c->in, ct_path(c, "/d"), &v, &n), "list(d)");
	static const char *const want[] = {"/d/keep", NULL};
	expect_paths(c, "list(d) after removing its only subdirectory's file", v, n, want);
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

/* ---- walk ---- */

static const char *const walk_files[] = {"/_", "/a/x", "/a-b", "/a.b/y", "/aB",
					 "/b/c/d", "/b/c/e", "/b/f", NULL};
/* Depth-first, children in byte order of their names. */
static const char *const walk_order[] = {"/_", "/a", "/a/x", "/a-b", "/a.b", "/a.b/y",
					 "/aB", "/b", "/b/c", "/b/c/d", "/b/c/e", "/b/f", NULL};

struct walk_rec {
	ct_ctx *c;
	char **v;
	size_t n, cap;
	const char *skip1, *skip2, *stop;
	int bad_info;
	char bad[300];
};

static berth_walk_action walk_rec_cb(const char *path, const berth_stat_info *info,
				     void *payload)
{
	struct walk_rec *w = payload;
	if (w->n == w->cap) {
		size_t nc = w->cap ? 2 * w->cap : 32;
		char **nv = ct_alloc(w->c, nc * sizeof *nv);
		if (w->n)
			memcpy(nv, w->v, w->n * sizeof *nv);
		w->v = nv;
		w->cap = nc;
	}
	w->v[w->n++] = ct_fmt(w->c, "%s", path);
	/* Files carry their own relative name as content. */
	const char *rel = path + strlen(w->c->dir);
	int is_file = 0;
	for (int i = 0; walk_files[i]; i++)
		if (!strcmp(rel, walk_files[i]))
			is_file = 1;
	if (!w->bad_info && (!info || (is_file && (info->is_dir || info->size != strlen(rel))) ||
			     (!is_file && !info->is_dir))) {
		w->bad_info = 1;
		snprintf(w->bad, sizeof w->bad, "walk info for %s: is_dir %d size %llu", path,
			 info ? info->is_dir : -1, info ? (unsigned long long)info->size : 0ull);
	}
	if (w->stop && !strcmp(path, w->stop))
		return BERTH_WALK_STOP;
	if ((w->skip1 && !strcmp(path, w->skip1)) || (w->skip2 && !strcmp(path, w->skip2)))
		return BERTH_WALK_SKIP_DIR;
	return BERTH_WALK_CONTINUE;
}

/* Fail unless the recorded walk is exactly `want` in order. */
static int expect_walk(ct_ctx *c, const char *what, struct walk_rec *w,
		       const char *const *want)
{
	size_t nw = 0;
	while (want[nw])
		nw++;
	if (w->bad_info) {
		ct_fail(c, "%s: %s", what, w->bad);
		return -1;
	}
	for (size_t i = 0; i < nw || i < w->n; i++) {
		const char *exp = i < nw ? ct_path(c, want[i]) : "(end)";
		const char *got = i < w->n ? w->v[i] : "(end)";
		if (strcmp(exp, got)) {
			ct_fail(c, "%s: entry %zu is %s, want %s (depth-first, byte "
				"order of names)", what, i + 1, got, exp);
			return -1;
		}
	}
	return 0;
}

static int walk_setup(ct_ctx *c)
{
	if (!c->d->walk)
		return ct_skip(c, "driver has no walk and does not claim "
			       "BERTH_CAP_NATIVE_WALK (the core falls back to list)");
	return put_files(c, walk_files) ? CT_FAIL : CT_PASS;
}

static int c_walk_order(ct_ctx *c)
{
	int s = walk_setup(c);
	if (s != CT_PASS)
		return s == CT_SKIP ? s : (ct_rm(c, c->dir), CT_FAIL);
	struct walk_rec w = {.c = c};
	CT_OK(c, c->d->walk(c->in, c->dir, NULL, walk_rec_cb, &w), ct_fmt(c, "walk(%s)", c->dir));
	expect_walk(c, "walk", &w, walk_order);
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

static int c_walk_skip_dir(ct_ctx *c)
{
	int s = walk_setup(c);
	if (s != CT_PASS)
		return s == CT_SKIP ? s : (ct_rm(c, c->dir), CT_FAIL);
	static const char *const want[] = {"/_", "/a", "/a/x", "/a-b", "/a.b", "/aB",
					   "/b", "/b/c", "/b/f", NULL};
	struct walk_rec w = {.c = c, .skip1 = ct_path(c, "/a.b"), .skip2 = ct_path(c, "/b/c")};
	CT_OK(c, c->d->walk(c->in, c->dir, NULL, walk_rec_cb, &w), "walk with SKIP_DIR");
	expect_walk(c, "walk with SKIP_DIR at a.b and b/c", &w, want);
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

static int c_walk_stop(ct_ctx *c)
{
	int s = walk_setup(c);
	if (s != CT_PASS)
		return s == CT_SKIP ? s : (ct_rm(c, c->dir), CT_FAIL);
	static const char *const want[] = {"/_", "/a", "/a/x", "/a-b", NULL};
	struct walk_rec w = {.c = c, .stop = ct_path(c, "/a-b")};
	CT_OK(c, c->d->walk(c->in, c->dir, NULL, walk_rec_cb, &w),
	      "walk stopped by the callback (must return OK)");
	expect_walk(c, "walk with STOP at a-b", &w, want);
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

/* start_after is a hint: entries up to it may come or not, in order;
   everything after it must come, in order. */
static int check_start_after(ct_ctx *c, const char *after_rel)
{
	struct walk_rec w = {.c = c};
	char *after = ct_path(c, after_rel);
	size_t pos = 0;
	while (walk_order[pos] && strcmp(walk_order[pos], after_rel))
		pos++;
	CT_OK(c, c->d->walk(c->in, c->dir, after, walk_rec_cb, &w),
	      ct_fmt(c, "walk(start_after=%s)", after));
	size_t i = 0, j = 0;
	/* The optional head: a subsequence of walk_order[0..pos]. */
	while (i < w.n) {
		while (j <= pos && strcmp(w.v[i], ct_path(c, walk_order[j])))
			j++;
		if (j > pos)
			break;
		i++;
		j++;
	}
	for (size_t k = pos + 1; walk_order[k]; k++, i++) {
		CT_FAILIF(c, i >= w.n, "walk(start_after=%s) ended before %s", after,
			  ct_path(c, walk_order[k]));
		CT_FAILIF(c, strcmp(w.v[i], ct_path(c, walk_order[k])),
			  "walk(start_after=%s): got %s where %s was due", after, w.v[i],
			  ct_path(c, walk_order[k]));
	}
	CT_FAILIF(c, i != w.n, "walk(start_after=%s): extra entry %s at the end", after, w.v[i]);
out:
	return c->failed ? -1 : 0;
}

static int c_walk_start_after(ct_ctx *c)
{
	int s = walk_setup(c);
	if (s != CT_PASS)
		return s == CT_SKIP ? s : (ct_rm(c, c->dir), CT_FAIL);
	if (check_start_after(c, "/a.b") || check_start_after(c, "/b/c/d") ||
	    check_start_after(c, "/a"))
		goto out;
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

static int c_walk_nonexistent(ct_ctx *c)
{
	if (!c->d->walk)
		return ct_skip(c, "driver has no walk and does not claim "
			       "BERTH_CAP_NATIVE_WALK (the core falls back to list)");
	struct walk_rec w = {.c = c};
	char *p = ct_path(c, "/missing");
	CT_WANT(c, c->d->walk(c->in, p, NULL, walk_rec_cb, &w), BERTH_E_NOT_FOUND,
		ct_fmt(c, "walk(%s)", p));
	CT_FAILIF(c, w.n, "walk of a missing path called the callback");
out:
	return ct_result(c);
}

const ct_case ct_cases_tree[] = {
	{"stat-file", c_stat_file, 0, 0, "stat of an object: size, not a directory, mtime"},
	{"stat-directory", c_stat_dir, 0, 0, "parents (and /) stat as directories"},
	{"stat-mtime-advances", c_stat_mtime, 0, 0, "mtime advances when an object is rewritten"},
	{"stat-nonexistent", c_stat_nonexistent, 0, 0,
	 "stat of missing paths (incl. a name prefix) is NOT_FOUND"},
	{"list-children", c_list_children, 0, 0, "list shows direct children only, absolute"},
	{"list-root", c_list_root, 0, 0, "list(/) works and shows the test root"},
	{"list-nonexistent", c_list_nonexistent, 0, 0, "list of a missing path is NOT_FOUND"},
	{"list-not-a-dir-boundary", c_list_prefix, 0, 0,
	 "list of a name prefix or of a file is NOT_FOUND"},
	{"list-stop", c_list_stop, 0, 0, "a non-zero callback answer stops list, which returns OK"},
	{"move", c_move_basic, 0, 0, "move: content at dst, src gone (with its empty parent)"},
	{"move-overwrite", c_move_overwrite, 0, 0, "move replaces an existing destination"},
	{"move-nonexistent", c_move_nonexistent, 0, 0,
	 "move of a missing source is NOT_FOUND, destination untouched"},
	{"move-invalid", c_move_invalid, 0, 0, "move to an invalid path is refused, source kept"},
	{"delete", c_delete_file, 0, 0, "remove an object, its sibling stays"},
	{"delete-recursive", c_delete_recursive, 0, 0, "remove of a directory removes the tree"},
	{"delete-only-subpaths", c_delete_only_subpaths, 0, 0,
	 "remove(/x/a) never touches /x/ab, /x/a.b, /x/a-"},
	{"delete-nonexistent", c_delete_nonexistent, 0, 0, "remove of a missing path is NOT_FOUND"},
	{"delete-empty-parents", c_delete_empty_parents, 0, 0,
	 "directories left without children disappear"},
	{"walk-order", c_walk_order, 0, 0, "walk is depth-first in byte order of names, with stat info"},
	{"walk-skip-dir", c_walk_skip_dir, 0, 0, "SKIP_DIR does not descend, siblings go on"},
	{"walk-stop", c_walk_stop, 0, 0, "STOP ends the walk, which returns OK"},
	{"walk-start-after", c_walk_start_after, 0, 0,
	 "start_after: every later entry comes, in order"},
	{"walk-nonexistent", c_walk_nonexistent, 0, 0, "walk of a missing path is NOT_FOUND"},
	{NULL, NULL, 0, 0, NULL},
};
