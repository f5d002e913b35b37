/*
 * cases_rules.c - conformance cases for the rules of <berth/storage.h>
 * that are about edges rather than the main paths: writing where a
 * directory or an object already is, moving a directory, what remove
 * does to unfinished writer data, two writers on one path, a process
 * that dies without writer_close, readers outliving their object,
 * directory mtimes, walk of a file or with a start_after outside the
 * walk, a writer after an error, and list/walk callbacks that call back
 * into the driver.  Each case checks what the header promises, no more:
 * where the header allows two outcomes, either passes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <berth/sdk.h>

#include "conformance.h"

/* Put below an object: refused with the object intact, or stored beside
   it with the object still readable (object stores without directories). */
static int c_put_below_object(ct_ctx *c)
{
	char *f = ct_path(c, "/f"), *below = ct_path(c, "/f/x");
	CT_OK(c, c->d->put_content(c->in, f, "data", 4), ct_fmt(c, "put_content(%s)", f));
	ct_clear_detail();
	int rc = c->d->put_content(c->in, below, "x", 1);
	if (rc != BERTH_OK) {
		ct_note(c, "refused with %s", ct_status_name(rc));
		CT_FAILIF(c, rc == BERTH_E_INVALID_PATH,
			  "put_content(%s) below an object: INVALID_PATH is for the "
			  "grammar only", below);
		if (ct_expect_content(c, f, "data", 4))
			goto out;
		ct_expect_absent(c, below);
	} else {
		ct_note(c, "accepted beside the object");
		if (ct_expect_content(c, f, "data", 4))
			goto out;
		ct_expect_content(c, below, "x", 1);
	}
out:
	ct_rm(c, below);
	ct_rm(c, f);
	ct_rm(c, c->dir);
	return ct_result(c);
}

/* move of a directory: the whole tree moves, or it is refused with
   NOT_FOUND or UNSUPPORTED and nothing changes. */
static int c_move_directory(ct_ctx *c)
{
	char *a = ct_path(c, "/d/a"), *b = ct_path(c, "/d/s/b");
	char *src = ct_path(c, "/d"), *dst = ct_path(c, "/e");
	CT_OK(c, c->d->put_content(c->in, a, "A", 1), ct_fmt(c, "put_content(%s)", a));
	CT_OK(c, c->d->put_content(c->in, b, "BB", 2), ct_fmt(c, "put_content(%s)", b));
	ct_clear_detail();
	int rc = c->d->move(c->in, src, dst);
	if (rc == BERTH_OK) {
		ct_note(c, "moved the tree");
		if (ct_expect_content(c, ct_path(c, "/e/a"), "A", 1) ||
		    ct_expect_content(c, ct_path(c, "/e/s/b"), "BB", 2))
			goto out;
		ct_expect_absent(c, src);
	} else {
		ct_note(c, "refused with %s", ct_status_name(rc));
		CT_FAILIF(c, rc != BERTH_E_NOT_FOUND && rc != BERTH_E_UNSUPPORTED,
			  "move(%s, %s) of a directory: got %s (%s), want OK, "
			  "NOT_FOUND or UNSUPPORTED", src, dst, ct_status_name(rc),
			  ct_detail());
		if (ct_expect_content(c, a, "A", 1) || ct_expect_content(c, b, "BB", 2))
			goto out;
		ct_expect_absent(c, dst);
	}
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

/* Open `path` with append and fail unless it starts empty; the writer is
   cancelled and closed. */
static void expect_no_pending(ct_ctx *c, const char *path, const char *after)
{
	berth_writer *w = NULL;
	ct_clear_detail();
	int rc = c->d->writer_open(&w, c->in, path, 1);
	if (rc != BERTH_OK) {
		ct_fail_rc(c, rc, BERTH_OK, ct_fmt(c, "writer_open(%s, append=1) %s", path, after));
		return;
	}
	uint64_t n = c->d->writer_size(w);
	c->d->writer_cancel(w);
	c->d->writer_close(w);
	if (n)
		ct_fail(c, "writer_open(%s, append=1) %s continues %llu bytes of "
			"uncommitted data; remove must discard it", path, after,
			(unsigned long long)n);
}

static int c_delete_discards_writer_data(ct_ctx *c)
{
	char *o = ct_path(c, "/o"), *k = ct_path(c, "/d/k"), *d = ct_path(c, "/d");
	CT_OK(c, c->d->put_content(c->in, o, "old", 3), ct_fmt(c, "put_content(%s)", o));
	if (ct_write(c, c->in, o, 1, "more", 4, 4, 0))
		goto out;
	CT_OK(c, c->d->remove(c->in, o), ct_fmt(c, "remove(%s)", o));
	expect_no_pending(c, o, "after remove of the object");
	CT_BAIL(c);
	CT_OK(c, c->d->put_content(c->in, k, "k", 1), ct_fmt(c, "put_content(%s)", k));
	if (ct_write(c, c->in, k, 0, "zz", 2, 2, 0))
		goto out;
	CT_OK(c, c->d->remove(c->in, d), ct_fmt(c, "remove(%s)", d));
	expect_no_pending(c, k, "after remove of its directory");
out:
	ct_cancel_writer(c, o);
	ct_cancel_writer(c, k);
	ct_rm(c, c->dir);
	return ct_result(c);
}

/* Two writers on one path at once: the result is unspecified, but every
   call returns, nothing crashes and the path can be cleaned up. */
static int c_writers_same_path(ct_ctx *c)
{
	char *p = ct_path(c, "/p");
	berth_writer *w1 = NULL, *w2 = NULL;
	CT_OK(c, c->d->writer_open(&w1, c->in, p, 0), ct_fmt(c, "writer_open(%s) first", p));
	CT_OK(c, c->d->writer_open(&w2, c->in, p, 0), ct_fmt(c, "writer_open(%s) second", p));
	c->d->writer_write(w1, "11111", 5);
	c->d->writer_write(w2, "222", 3);
	c->d->writer_write(w1, "11111", 5);
	int r1 = c->d->writer_commit(w1);
	int r2 = c->d->writer_commit(w2);
	c->d->writer_close(w1);
	c->d->writer_close(w2);
	w1 = w2 = NULL;
	ct_note(c, "commits: %s, %s", ct_status_name(r1), ct_status_name(r2));
	char *buf = NULL;
	size_t len = 0;
	ct_clear_detail();
	int rc = ct_get(c, p, &buf, &len);
	CT_FAILIF(c, rc != BERTH_OK && rc != BERTH_E_NOT_FOUND,
		  "get_content(%s) after two writers: %s (%s)", p,
		  ct_status_name(rc), ct_detail());
out:
	if (w1)
		c->d->writer_close(w1);
	if (w2)
		c->d->writer_close(w2);
	ct_cancel_writer(c, p);
	ct_rm(c, p);
	return ct_result(c);
}

/* The process dies between writer_write and writer_close: a writer
   reopened with append continues a prefix of what was written (possibly
   empty), and writer_size says how long it is. */
static int c_writer_crash(ct_ctx *c)
{
	char *p = ct_path(c, "/crash");
	size_t len = 200000;
	unsigned char *data = ct_random_data(c, len);
	berth_writer *w = NULL;
	fflush(NULL);
	pid_t pid = fork();
	CT_FAILIF(c, pid < 0, "fork failed");
	if (pid == 0) {
		berth_instance *in = NULL;
		berth_writer *cw = NULL;
		if (c->d->create(&in, c->host, c->cfg) != BERTH_OK ||
		    c->d->writer_open(&cw, in, p, 0) != BERTH_OK)
			_exit(3);
		for (size_t off = 0; off < len; off += 7000)
			if (c->d->writer_write(cw, data + off,
					       len - off < 7000 ? len - off : 7000))
				_exit(4);
		_exit(0); /* no writer_close, no destroy: a crash */
	}
	int status = 0;
	waitpid(pid, &status, 0);
	CT_FAILIF(c, !WIFEXITED(status) || WEXITSTATUS(status),
		  "the child process writing %s failed (status 0x%x)", p, status);
	CT_OK(c, c->d->writer_open(&w, c->in, p, 1),
	      ct_fmt(c, "writer_open(%s, append=1) after the crash", p));
	uint64_t n = c->d->writer_size(w);
	ct_note(c, "%llu of %zu bytes survived", (unsigned long long)n, len);
	CT_FAILIF(c, n > len, "writer_size %llu after the crash, more than the "
		  "%zu bytes written", (unsigned long long)n, len);
	CT_OK(c, c->d->writer_commit(w), ct_fmt(c, "writer_commit(%s)", p));
	c->d->writer_close(w);
	w = NULL;
	char *got = NULL;
	size_t glen = 0;
	CT_OK(c, ct_get(c, p, &got, &glen), ct_fmt(c, "get_content(%s)", p));
	CT_FAILIF(c, glen != n || memcmp(got, data, glen),
		  "after the crash the continued data is not a prefix of what "
		  "was written (%zu bytes committed, writer_size said %llu)",
		  glen, (unsigned long long)n);
out:
	if (w) {
		c->d->writer_cancel(w);
		c->d->writer_close(w);
	}
	ct_cancel_writer(c, p);
	ct_rm(c, p);
	return ct_result(c);
}

/* A reader whose object is replaced or removed stays safe: reads return
   bytes or an error, and end. */
static void reader_outlives(ct_ctx *c, int remove_it)
{
	char *p = ct_path(c, "/r");
	size_t len = 300000, nlen = 1000;
	unsigned char *a = ct_random_data(c, len), *b = ct_random_data(c, nlen);
	unsigned char *buf = ct_alloc(c, 65536);
	berth_reader *r = NULL;
	size_t got = 0, n = 0;
	CT_OK(c, c->d->put_content(c->in, p, a, len), ct_fmt(c, "put_content(%s)", p));
	CT_OK(c, c->d->reader_open(&r, c->in, p, 0), ct_fmt(c, "reader_open(%s)", p));
	CT_OK(c, c->d->reader_read(r, buf, 1000, &n), "reader_read before the change");
	CT_FAILIF(c, n == 0 || memcmp(buf, a, n), "the first read is wrong");
	got = n;
	if (remove_it)
		CT_OK(c, c->d->remove(c->in, p), ct_fmt(c, "remove(%s)", p));
	else
		CT_OK(c, c->d->put_content(c->in, p, b, nlen),
		      ct_fmt(c, "put_content(%s) replacing", p));
	for (;;) {
		int rc = c->d->reader_read(r, buf, 65536, &n);
		if (rc != BERTH_OK) {
			ct_note(c, "reads end with %s", ct_status_name(rc));
			break;
		}
		if (n == 0)
			break;
		got += n;
		CT_FAILIF(c, got > len, "the reader returned %zu bytes, more than "
			  "the object ever had (%zu)", got, len);
	}
	if (got == len)
		ct_note(c, "kept the old bytes");
out:
	if (r)
		c->d->reader_close(r);
	ct_rm(c, p);
}

static int c_reader_after_replace(ct_ctx *c)
{
	reader_outlives(c, 0);
	return ct_result(c);
}

static int c_reader_after_remove(ct_ctx *c)
{
	reader_outlives(c, 1);
	return ct_result(c);
}

/* A directory's mtime is 0 (unknown) or a wall-clock time in ns, not in
   the future. */
static int c_stat_directory_mtime(ct_ctx *c)
{
	char *f = ct_path(c, "/d/f"), *d = ct_path(c, "/d");
	berth_stat_info st;
	CT_OK(c, c->d->put_content(c->in, f, "x", 1), ct_fmt(c, "put_content(%s)", f));
	CT_OK(c, c->d->stat(c->in, d, &st), ct_fmt(c, "stat(%s)", d));
	int64_t now = c->host->now_ns();
	const int64_t y2000 = 946684800LL * 1000000000LL;
	CT_FAILIF(c, st.mtime_ns != 0 &&
			     (st.mtime_ns < y2000 || st.mtime_ns > now + 60LL * 1000000000LL),
		  "stat(%s): directory mtime_ns %lld is neither 0 nor a time in ns "
		  "since the epoch up to now (%lld)", d, (long long)st.mtime_ns,
		  (long long)now);
	ct_note(c, "%s", st.mtime_ns ? "set" : "0 (unknown)");
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

static berth_walk_action walk_count(const char *path,
				    const berth_stat_info *info, void *payload)
{
	(*(size_t *)payload)++;
	return BERTH_WALK_CONTINUE;
}

static int c_walk_file(ct_ctx *c)
{
	if (!c->d->walk)
		return ct_skip(c, "driver has no walk");
	char *f = ct_path(c, "/f");
	size_t n = 0;
	CT_OK(c, c->d->put_content(c->in, f, "x", 1), ct_fmt(c, "put_content(%s)", f));
	CT_WANT(c, c->d->walk(c->in, f, NULL, walk_count, &n), BERTH_E_NOT_FOUND,
		ct_fmt(c, "walk(%s) of an object", f));
	CT_FAILIF(c, n, "walk(%s) of an object reported %zu entries", f, n);
out:
	ct_rm(c, f);
	return ct_result(c);
}

/* start_after outside the walked directory is a hint like any other:
   OK, and every entry after it in walk order comes. */
static int c_walk_start_after_outside(ct_ctx *c)
{
	if (!c->d->walk)
		return ct_skip(c, "driver has no walk");
	char *d = ct_path(c, "/w"), *f1 = ct_path(c, "/w/a"), *f2 = ct_path(c, "/w/b/c");
	size_t n = 0;
	CT_OK(c, c->d->put_content(c->in, f1, "x", 1), ct_fmt(c, "put_content(%s)", f1));
	CT_OK(c, c->d->put_content(c->in, f2, "x", 1), ct_fmt(c, "put_content(%s)", f2));
	char *before = ct_path(c, "/a"); /* a sibling sorting before /w */
	CT_OK(c, c->d->walk(c->in, d, before, walk_count, &n),
	      ct_fmt(c, "walk(%s, start_after=%s)", d, before));
	CT_FAILIF(c, n != 3, "walk(%s, start_after=%s) before the directory: %zu "
		  "entries, want all 3", d, before, n);
	char *after = ct_path(c, "/x");
	n = 0;
	CT_OK(c, c->d->walk(c->in, d, after, walk_count, &n),
	      ct_fmt(c, "walk(%s, start_after=%s)", d, after));
	CT_FAILIF(c, n != 0 && n != 3, "walk(%s, start_after=%s) after the "
		  "directory: %zu entries, want none or all 3", d, after, n);
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

/* After an error a writer still answers writer_size, may be cancelled
   and is closed; the failed call added nothing. */
static int c_writer_after_error(ct_ctx *c)
{
	char *p = ct_path(c, "/w");
	berth_writer *w = NULL;
	CT_OK(c, c->d->writer_open(&w, c->in, p, 0), ct_fmt(c, "writer_open(%s)", p));
	CT_OK(c, c->d->writer_write(w, "abc", 3), "writer_write");
	CT_OK(c, c->d->writer_commit(w), "writer_commit");
	CT_WANT(c, c->d->writer_write(w, "de", 2), BERTH_E_STATE, "writer_write after commit");
	uint64_t n = c->d->writer_size(w);
	CT_FAILIF(c, n != 3 && n != 0, "writer_size after a failed write: %llu, "
		  "want 3 (or 0 once committed)", (unsigned long long)n);
	CT_WANT(c, c->d->writer_cancel(w), BERTH_E_STATE, "writer_cancel after commit");
	CT_OK(c, c->d->writer_close(w), "writer_close after errors");
	w = NULL;
	if (ct_expect_content(c, p, "abc", 3))
		goto out;
	/* An error of the backend: commit below an object, where refused. */
	char *f = ct_path(c, "/f"), *q = ct_path(c, "/f/q");
	CT_OK(c, c->d->put_content(c->in, f, "f", 1), ct_fmt(c, "put_content(%s)", f));
	ct_clear_detail();
	int rc = c->d->writer_open(&w, c->in, q, 0);
	if (rc != BERTH_OK) {
		ct_note(c, "writer_open below an object refused (%s)", ct_status_name(rc));
		w = NULL;
		goto out;
	}
	rc = c->d->writer_write(w, "12345", 5);
	if (rc == BERTH_OK)
		rc = c->d->writer_commit(w);
	if (rc == BERTH_OK) {
		ct_note(c, "commit below an object accepted");
		goto out;
	}
	ct_note(c, "commit below an object refused (%s)", ct_status_name(rc));
	n = c->d->writer_size(w);
	CT_FAILIF(c, n > 5, "writer_size after the failed call: %llu, more than "
		  "the 5 bytes written", (unsigned long long)n);
	CT_OK(c, c->d->writer_cancel(w), "writer_cancel after a failed call");
	CT_OK(c, c->d->writer_close(w), "writer_close after cancel");
	w = NULL;
	ct_expect_content(c, f, "f", 1);
out:
	if (w)
		c->d->writer_close(w);
	ct_rm(c, c->dir);
	return ct_result(c);
}

/* ---- callbacks that call back into the driver ---- */

struct reenter {
	ct_ctx *c;
	const char *extra;
	int seen;
};

static void reenter_body(struct reenter *re, const char *path)
{
	ct_ctx *c = re->c;
	berth_stat_info st;
	int rc = c->d->stat(c->in, path, &st);
	if (rc != BERTH_OK && rc != BERTH_E_NOT_FOUND)
		ct_fail_rc(c, rc, BERTH_OK, ct_fmt(c, "stat(%s) from a callback", path));
	rc = c->d->put_content(c->in, re->extra, "e", 1);
	if (rc != BERTH_OK)
		ct_fail_rc(c, rc, BERTH_OK, ct_fmt(c, "put_content(%s) from a callback", re->extra));
	rc = c->d->remove(c->in, re->extra);
	if (rc != BERTH_OK)
		ct_fail_rc(c, rc, BERTH_OK, ct_fmt(c, "remove(%s) from a callback", re->extra));
	re->seen++;
}

static int list_reenter_cb(const char *path, void *payload)
{
	reenter_body(payload, path);
	return 0;
}

static berth_walk_action walk_reenter_cb(const char *path,
					 const berth_stat_info *info, void *payload)
{
	reenter_body(payload, path);
	return BERTH_WALK_CONTINUE;
}

static int callback_reenters(ct_ctx *c, int walk)
{
	if (walk && !c->d->walk)
		return ct_skip(c, "driver has no walk");
	char *d = ct_path(c, "/t"), *f1 = ct_path(c, "/t/a"), *f2 = ct_path(c, "/t/b");
	struct reenter re = {c, ct_path(c, "/other"), 0};
	CT_OK(c, c->d->put_content(c->in, f1, "1", 1), ct_fmt(c, "put_content(%s)", f1));
	CT_OK(c, c->d->put_content(c->in, f2, "2", 1), ct_fmt(c, "put_content(%s)", f2));
	if (walk)
		CT_OK(c, c->d->walk(c->in, d, NULL, walk_reenter_cb, &re),
		      ct_fmt(c, "walk(%s) with a re-entering callback", d));
	else
		CT_OK(c, c->d->list(c->in, d, list_reenter_cb, &re),
		      ct_fmt(c, "list(%s) with a re-entering callback", d));
	CT_BAIL(c);
	CT_FAILIF(c, re.seen != 2, "the callback saw %d entries, want 2", re.seen);
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

static int c_list_callback_reenters(ct_ctx *c)
{
	return callback_reenters(c, 0);
}

static int c_walk_callback_reenters(ct_ctx *c)
{
	return callback_reenters(c, 1);
}

const ct_case ct_cases_rules[] = {
	{"put-below-object", c_put_below_object, 0, 0,
	 "put_content below an object: refused intact, or stored beside it"},
	{"move-directory", c_move_directory, 0, 0,
	 "move of a directory: the whole tree, or NOT_FOUND/UNSUPPORTED changing nothing"},
	{"delete-discards-writer-data", c_delete_discards_writer_data, 0, 0,
	 "remove drops uncommitted writer data at and below the path"},
	{"writers-same-path", c_writers_same_path, 0, 0,
	 "two writers on one path at once: every call returns, the path cleans up"},
	{"writer-crash", c_writer_crash, 0, 0,
	 "a process dying before writer_close leaves a prefix (or nothing) to append to"},
	{"reader-after-replace", c_reader_after_replace, 0, 0,
	 "a reader whose object is replaced returns bytes or an error, and ends"},
	{"reader-after-remove", c_reader_after_remove, 0, 0,
	 "a reader whose object is removed returns bytes or an error, and ends"},
	{"stat-directory-mtime", c_stat_directory_mtime, 0, 0,
	 "a directory's mtime is 0 or a time in ns, not in the future"},
	{"walk-file", c_walk_file, 0, 0, "walk of an object is NOT_FOUND"},
	{"walk-start-after-outside", c_walk_start_after_outside, 0, 0,
	 "start_after outside the walked directory: OK, every later entry"},
	{"writer-after-error", c_writer_after_error, 0, 0,
	 "after an error writer_size answers, cancel and close work"},
	{"list-callback-reenters", c_list_callback_reenters, 0, 0,
	 "a list callback may call back into the driver"},
	{"walk-callback-reenters", c_walk_callback_reenters, 0, 0,
	 "a walk callback may call back into the driver"},
	{NULL, NULL, 0, 0, NULL},
};
