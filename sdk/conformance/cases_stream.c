/*
 * cases_stream.c - conformance cases about readers and writers: stream
 * round trips of several sizes and chunkings, reader offsets (negative,
 * N-1, N = EOF, N+1), writers continued across sessions and across driver
 * instances, writer data staying invisible until commit, cancel, the
 * handle state after commit/cancel, and memory that stays bounded while a
 * big stream goes through (checked by digest computed on the fly, never
 * buffered).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "conformance.h"

/* ---- plain streams ---- */

static int c_stream_1m(ct_ctx *c)
{
	char *p = ct_path(c, "/stream");
	size_t len = CT_MIB;
	unsigned char *data = ct_random_data(c, len);
	unsigned char *got;
	size_t glen;
	berth_writer *w = NULL;
	berth_stat_info st;
	CT_OK(c, c->d->writer_open(&w, c->in, p, 0), ct_fmt(c, "writer_open(%s)", p));
	CT_FAILIF(c, c->d->writer_size(w) != 0, "writer_size of a new writer is %llu",
		  (unsigned long long)c->d->writer_size(w));
	for (size_t done = 0; done < len;) {
		size_t n = 1 + (size_t)ct_rand_below(&c->rng, 65536);
		if (n > len - done)
			n = len - done;
		CT_OK(c, c->d->writer_write(w, data + done, n),
		      ct_fmt(c, "writer_write(%s) at %zu", p, done));
		done += n;
		CT_FAILIF(c, c->d->writer_size(w) != done, "writer_size %llu after %zu bytes",
			  (unsigned long long)c->d->writer_size(w), done);
	}
	CT_OK(c, c->d->writer_commit(w), ct_fmt(c, "writer_commit(%s)", p));
	CT_OK(c, c->d->writer_close(w), ct_fmt(c, "writer_close(%s)", p));
	w = NULL;
	CT_OK(c, c->d->stat(c->in, p, &st), ct_fmt(c, "stat(%s)", p));
	CT_FAILIF(c, st.size != len, "stat size %llu, want %zu", (unsigned long long)st.size, len);
	CT_OK(c, ct_read(c, p, 0, 32768, &got, &glen), ct_fmt(c, "read %s", p));
	CT_FAILIF(c, glen != len || memcmp(got, data, len),
		  "reader returned %zu bytes%s, want the %zu written", glen,
		  glen == len ? " with different content" : "", len);
	ct_expect_content(c, p, data, len);
out:
	if (w) {
		c->d->writer_cancel(w);
		c->d->writer_close(w);
	}
	ct_rm(c, p);
	return ct_result(c);
}

static int c_stream_chunks(ct_ctx *c)
{
	static const size_t chunks[] = {1, 7, 4096, 65537};
	for (size_t i = 0; i < sizeof chunks / sizeof *chunks; i++) {
		size_t len = chunks[i] == 1 ? 3000 : 200 * 1024 + 3;
		char *p = ct_path(c, ct_fmt(c, "/s%zu", chunks[i]));
		unsigned char *data = ct_random_data(c, len), *got;
		size_t glen;
		if (ct_write(c, c->in, p, 0, data, len, chunks[i], 1))
			goto out;
		CT_OK(c, ct_read(c, p, 0, chunks[i], &got, &glen),
		      ct_fmt(c, "read %s with %zu-byte reads", p, chunks[i]));
		CT_FAILIF(c, glen != len || memcmp(got, data, len),
			  "%s written and read in %zu-byte chunks: got %zu bytes%s, want %zu",
			  p, chunks[i], glen, glen == len ? " (content differs)" : "", len);
	}
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

static int c_stream_binary(ct_ctx *c)
{
	char *p = ct_path(c, "/bin");
	size_t len = 70000;
	unsigned char *data = ct_alloc(c, len), *got;
	size_t glen;
	for (size_t i = 0; i < len; i++)
		data[i] = (unsigned char)(i % 7 == 0 ? 0 : i % 5 == 0 ? 0xff : i * 131);
	if (ct_write(c, c->in, p, 0, data, len, 9999, 1))
		goto out;
	CT_OK(c, ct_read(c, p, 0, 10000, &got, &glen), ct_fmt(c, "read %s", p));
	CT_FAILIF(c, glen != len || memcmp(got, data, len),
		  "non-UTF-8 stream: got %zu bytes%s, want %zu", glen,
		  glen == len ? " (content differs)" : "", len);
out:
	ct_rm(c, p);
	return ct_result(c);
}

/* ---- readers ---- */

static int c_reader_offsets(ct_ctx *c)
{
	char *p = ct_path(c, "/object");
	size_t n = 100003;
	unsigned char *data = ct_random_data(c, n), *got;
	size_t glen;
	berth_reader *r = NULL;
	CT_OK(c, c->d->put_content(c->in, p, data, n), ct_fmt(c, "put_content(%s)", p));
	int64_t offs[] = {0, 1, 4095, 4096, (int64_t)n / 2, (int64_t)n - 1, -1, -1, -1};
	for (int i = 6; i < 9; i++)
		offs[i] = (int64_t)ct_rand_below(&c->rng, n);
	for (size_t i = 0; i < sizeof offs / sizeof *offs; i++) {
		int64_t o = offs[i];
		CT_OK(c, ct_read(c, p, o, 8192, &got, &glen),
		      ct_fmt(c, "read %s from offset %lld", p, (long long)o));
		CT_FAILIF(c, glen != n - (size_t)o || memcmp(got, data + o, glen),
			  "reader at offset %lld of %zu: got %zu bytes%s, want %zu",
			  (long long)o, n, glen,
			  glen == n - (size_t)o ? " that are not the object's bytes from there" : "",
			  n - (size_t)o);
	}
	/* offset == size: opens, and the first read is EOF (twice). */
	CT_OK(c, c->d->reader_open(&r, c->in, p, (int64_t)n),
	      ct_fmt(c, "reader_open(%s, offset = size %zu)", p, n));
	for (int i = 0; i < 2; i++) {
		unsigned char b[16];
		size_t got_n = 99;
		CT_OK(c, c->d->reader_read(r, b, sizeof b, &got_n),
		      "reader_read at offset == size");
		CT_FAILIF(c, got_n != 0, "reader at offset == size read %zu bytes, want EOF", got_n);
	}
	c->d->reader_close(r);
	r = NULL;
	static const int64_t bad[] = {-1, -4096, INT64_MIN};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		CT_WANT(c, c->d->reader_open(&r, c->in, p, bad[i]), BERTH_E_INVALID_OFFSET,
			ct_fmt(c, "reader_open(%s, offset %lld)", p, (long long)bad[i]));
	}
	int64_t beyond[] = {(int64_t)n + 1, (int64_t)n + 4096, INT64_MAX};
	for (size_t i = 0; i < sizeof beyond / sizeof *beyond; i++) {
		CT_WANT(c, c->d->reader_open(&r, c->in, p, beyond[i]), BERTH_E_INVALID_OFFSET,
			ct_fmt(c, "reader_open(%s, offset %lld beyond size %zu)", p,
			       (long long)beyond[i], n));
	}
out:
	if (r)
		c->d->reader_close(r);
	ct_rm(c, p);
	return ct_result(c);
}

static int c_reader_nonexistent(ct_ctx *c)
{
	berth_reader *r = NULL;
	char *p = ct_path(c, "/missing");
	CT_WANT(c, c->d->reader_open(&r, c->in, p, 0), BERTH_E_NOT_FOUND,
		ct_fmt(c, "reader_open(%s, 0)", p));
	CT_WANT(c, c->d->reader_open(&r, c->in, p, 10), BERTH_E_NOT_FOUND,
		ct_fmt(c, "reader_open(%s, 10)", p));
out:
	if (r)
		c->d->reader_close(r);
	return ct_result(c);
}

static int c_reader_empty(ct_ctx *c)
{
	char *p = ct_path(c, "/empty");
	unsigned char *got;
	size_t glen = 99;
	berth_reader *r = NULL;
	CT_OK(c, c->d->put_content(c->in, p, "", 0), ct_fmt(c, "put_content(%s)", p));
	CT_OK(c, ct_read(c, p, 0, 100, &got, &glen), ct_fmt(c, "read %s", p));
	CT_FAILIF(c, glen != 0, "reader of an empty object read %zu bytes", glen);
	CT_WANT(c, c->d->reader_open(&r, c->in, p, 1), BERTH_E_INVALID_OFFSET,
		ct_fmt(c, "reader_open(%s, 1) of an empty object", p));
out:
	if (r)
		c->d->reader_close(r);
	ct_rm(c, p);
	return ct_result(c);
}

/* ---- writers across sessions ---- */

static uint64_t wsize(ct_ctx *c, berth_writer *w)
{
	return c->d->writer_size(w);
}

static int c_append_3_sessions(ct_ctx *c)
{
	char *p = ct_path(c, "/appended");
	size_t len = c->short_mode ? CT_MIB + 5 : 10 * CT_MIB;
	unsigned char *data = ct_random_data(c, len), *got;
	size_t cut1 = len / 3 + 17, cut2 = 2 * len / 3 - 5, glen;
	berth_writer *w = NULL;
	if (ct_write(c, c->in, p, 0, data, cut1, 65536, 0))
		goto out;
	if (ct_expect_absent(c, p))
		goto out;
	CT_OK(c, c->d->writer_open(&w, c->in, p, 1), ct_fmt(c, "writer_open(%s, append) #2", p));
	CT_FAILIF(c, wsize(c, w) != cut1,
		  "second session: writer_size %llu, want %zu (the first session's bytes)",
		  (unsigned long long)wsize(c, w), cut1);
	CT_OK(c, c->d->writer_write(w, data + cut1, cut2 - cut1), "writer_write #2");
	CT_OK(c, c->d->writer_close(w), "writer_close #2");
	w = NULL;
	if (ct_expect_absent(c, p))
		goto out;
	CT_OK(c, c->d->writer_open(&w, c->in, p, 1), ct_fmt(c, "writer_open(%s, append) #3", p));
	CT_FAILIF(c, wsize(c, w) != cut2, "third session: writer_size %llu, want %zu",
		  (unsigned long long)wsize(c, w), cut2);
	CT_OK(c, c->d->writer_write(w, data + cut2, len - cut2), "writer_write #3");
	CT_FAILIF(c, wsize(c, w) != len, "writer_size %llu before commit, want %zu",
		  (unsigned long long)wsize(c, w), len);
	CT_OK(c, c->d->writer_commit(w), "writer_commit #3");
	CT_OK(c, c->d->writer_close(w), "writer_close #3");
	w = NULL;
	CT_OK(c, ct_read(c, p, 0, 1 << 20, &got, &glen), ct_fmt(c, "read %s", p));
	CT_FAILIF(c, glen != len || memcmp(got, data, len),
		  "after 3 sessions: got %zu bytes%s, want %zu", glen,
		  glen == len ? " (content differs)" : "", len);
out:
	if (w)
		c->d->writer_close(w);
	ct_cancel_writer(c, p);
	ct_rm(c, p);
	return ct_result(c);
}

static int c_append_small_chunks(ct_ctx *c)
{
	char *p = ct_path(c, "/chunks");
	size_t sessions = c->short_mode ? 40 : 200;
	size_t len = sessions * 32;
	unsigned char *data = ct_random_data(c, len);
	berth_writer *w = NULL;
	for (size_t i = 0; i < sessions; i++) {
		CT_OK(c, c->d->writer_open(&w, c->in, p, i > 0),
		      ct_fmt(c, "writer_open(%s, append=%d) session %zu", p, i > 0, i + 1));
		CT_FAILIF(c, wsize(c, w) != i * 32,
			  "session %zu: writer_size %llu, want %zu", i + 1,
			  (unsigned long long)wsize(c, w), i * 32);
		CT_OK(c, c->d->writer_write(w, data + i * 32, 32),
		      ct_fmt(c, "writer_write session %zu", i + 1));
		if (i + 1 == sessions)
			CT_OK(c, c->d->writer_commit(w), "writer_commit");
		CT_OK(c, c->d->writer_close(w), ct_fmt(c, "writer_close session %zu", i + 1));
		w = NULL;
	}
	ct_expect_content(c, p, data, len);
out:
	if (w)
		c->d->writer_close(w);
	ct_cancel_writer(c, p);
	ct_rm(c, p);
	return ct_result(c);
}

static int c_append_committed(ct_ctx *c)
{
	char *p = ct_path(c, "/object");
	unsigned char *data = ct_random_data(c, 30000);
	berth_writer *w = NULL;
	CT_OK(c, c->d->put_content(c->in, p, data, 10000), ct_fmt(c, "put_content(%s)", p));
	CT_OK(c, c->d->writer_open(&w, c->in, p, 1), ct_fmt(c, "writer_open(%s, append)", p));
	CT_FAILIF(c, wsize(c, w) != 10000,
		  "append to a committed 10000-byte object: writer_size %llu",
		  (unsigned long long)wsize(c, w));
	CT_OK(c, c->d->writer_write(w, data + 10000, 20000), "writer_write");
	if (ct_expect_content(c, p, data, 10000)) /* still the old object */
		goto out;
	CT_OK(c, c->d->writer_commit(w), "writer_commit");
	CT_OK(c, c->d->writer_close(w), "writer_close");
	w = NULL;
	ct_expect_content(c, p, data, 30000);
out:
	if (w) {
		c->d->writer_cancel(w);
		c->d->writer_close(w);
	}
	ct_rm(c, p);
	return ct_result(c);
}

static int c_zero_content_append(ct_ctx *c)
{
	char *p = ct_path(c, "/zero");
	unsigned char *data = ct_random_data(c, 4097);
	berth_writer *w = NULL;
	berth_stat_info st;
	CT_OK(c, c->d->put_content(c->in, p, "", 0), ct_fmt(c, "put_content(%s, 0 bytes)", p));
	CT_OK(c, c->d->stat(c->in, p, &st), ct_fmt(c, "stat(%s)", p));
	CT_FAILIF(c, st.size != 0 || st.is_dir, "stat of the empty object: size %llu is_dir %d",
		  (unsigned long long)st.size, st.is_dir);
	CT_OK(c, c->d->writer_open(&w, c->in, p, 1), ct_fmt(c, "writer_open(%s, append)", p));
	CT_FAILIF(c, wsize(c, w) != 0, "writer_size %llu appending to an empty object",
		  (unsigned long long)wsize(c, w));
	CT_OK(c, c->d->writer_write(w, data, 4097), "writer_write");
	CT_OK(c, c->d->writer_commit(w), "writer_commit");
	CT_OK(c, c->d->writer_close(w), "writer_close");
	w = NULL;
	ct_expect_content(c, p, data, 4097);
out:
	if (w)
		c->d->writer_close(w);
	ct_rm(c, p);
	return ct_result(c);
}

static int c_zero_stream_append(ct_ctx *c)
{
	char *p = ct_path(c, "/zero");
	unsigned char *data = ct_random_data(c, 4097);
	berth_stat_info st;
	if (ct_write(c, c->in, p, 0, "", 0, 1, 1))
		goto out;
	CT_OK(c, c->d->stat(c->in, p, &st), ct_fmt(c, "stat(%s) after a 0-byte commit", p));
	CT_FAILIF(c, st.size != 0 || st.is_dir, "stat of the 0-byte stream: size %llu is_dir %d",
		  (unsigned long long)st.size, st.is_dir);
	if (ct_expect_content(c, p, "", 0))
		goto out;
	if (ct_write(c, c->in, p, 1, data, 4097, 1000, 1))
		goto out;
	ct_expect_content(c, p, data, 4097);
out:
	ct_rm(c, p);
	return ct_result(c);
}

static int c_writer_no_append(ct_ctx *c)
{
	char *p = ct_path(c, "/object");
	unsigned char *a = ct_random_data(c, 5000), *b = ct_random_data(c, 3000);
	berth_writer *w = NULL;
	if (ct_write(c, c->in, p, 0, a, 5000, 1000, 0))
		goto out;
	CT_OK(c, c->d->writer_open(&w, c->in, p, 0), ct_fmt(c, "writer_open(%s, append=0)", p));
	CT_FAILIF(c, wsize(c, w) != 0,
		  "writer_open without append kept %llu uncommitted bytes, want 0",
		  (unsigned long long)wsize(c, w));
	CT_OK(c, c->d->writer_write(w, b, 3000), "writer_write");
	CT_OK(c, c->d->writer_commit(w), "writer_commit");
	CT_OK(c, c->d->writer_close(w), "writer_close");
	w = NULL;
	if (ct_expect_content(c, p, b, 3000))
		goto out;
	/* A committed object is not where a non-append writer starts either. */
	CT_OK(c, c->d->writer_open(&w, c->in, p, 0), ct_fmt(c, "writer_open(%s, append=0) #2", p));
	CT_FAILIF(c, wsize(c, w) != 0, "writer_open without append over a committed "
		  "object: writer_size %llu, want 0", (unsigned long long)wsize(c, w));
	CT_OK(c, c->d->writer_write(w, a, 10), "writer_write #2");
	CT_OK(c, c->d->writer_commit(w), "writer_commit #2");
	CT_OK(c, c->d->writer_close(w), "writer_close #2");
	w = NULL;
	ct_expect_content(c, p, a, 10);
out:
	if (w)
		c->d->writer_close(w);
	ct_cancel_writer(c, p);
	ct_rm(c, p);
	return ct_result(c);
}

static berth_walk_action walk_count_cb(const char *path,
					const berth_stat_info *info, void *payload)
{
	(*(int *)payload)++;
	return BERTH_WALK_CONTINUE;
}

/* Nothing of an uncommitted writer may show at `p` or in its parent. */
static void expect_invisible(ct_ctx *c, const char *p, const char *parent,
			     const char *when)
{
	berth_stat_info st;
	char *buf;
	size_t len;
	berth_reader *r = NULL;
	char **v;
	size_t n;
	int rc;
	ct_clear_detail();
	rc = c->d->stat(c->in, p, &st);
	if (rc != BERTH_E_NOT_FOUND) {
		ct_fail(c, "%s: stat(%s) got %s (size %llu), want NOT_FOUND", when, p,
			ct_status_name(rc), rc ? 0ull : (unsigned long long)st.size);
		return;
	}
	rc = ct_get(c, p, &buf, &len);
	if (rc != BERTH_E_NOT_FOUND) {
		ct_fail(c, "%s: get_content(%s) got %s (%zu bytes), want NOT_FOUND", when,
			p, ct_status_name(rc), rc ? 0 : len);
		return;
	}
	rc = c->d->reader_open(&r, c->in, p, 0);
	if (rc == BERTH_OK)
		c->d->reader_close(r);
	if (rc != BERTH_E_NOT_FOUND) {
		ct_fail(c, "%s: reader_open(%s) got %s, want NOT_FOUND", when, p,
			ct_status_name(rc));
		return;
	}
	rc = ct_list(c, c->in, parent, &v, &n);
	if (rc == BERTH_OK && n) {
		ct_fail(c, "%s: list(%s) shows %s", when, parent, v[0]);
		return;
	}
	if (rc != BERTH_OK && rc != BERTH_E_NOT_FOUND) {
		ct_fail(c, "%s: list(%s) got %s", when, parent, ct_status_name(rc));
		return;
	}
	if (c->d->walk) {
		int count = 0;
		rc = c->d->walk(c->in, parent, NULL, walk_count_cb, &count);
		if (rc == BERTH_OK && count)
			ct_fail(c, "%s: walk(%s) shows %d entries", when, parent, count);
	}
}

static int c_writer_invisible(ct_ctx *c)
{
	char *parent = ct_path(c, "/w");
	char *p = ct_path(c, "/w/object");
	char *q = ct_path(c, "/existing");
	unsigned char *data = ct_random_data(c, 100000);
	unsigned char *old = ct_random_data(c, 777);
	berth_writer *w = NULL;

	CT_OK(c, c->d->writer_open(&w, c->in, p, 0), ct_fmt(c, "writer_open(%s)", p));
	CT_OK(c, c->d->writer_write(w, data, 100000), "writer_write");
	expect_invisible(c, p, parent, "before commit");
	CT_BAIL(c);
	CT_OK(c, c->d->writer_close(w), "writer_close without commit");
	w = NULL;
	expect_invisible(c, p, parent, "after close without commit");
	CT_BAIL(c);

	/* Over a committed object: the old content stays until commit. */
	CT_OK(c, c->d->put_content(c->in, q, old, 777), ct_fmt(c, "put_content(%s)", q));
	CT_OK(c, c->d->writer_open(&w, c->in, q, 0), ct_fmt(c, "writer_open(%s)", q));
	CT_OK(c, c->d->writer_write(w, data, 50000), "writer_write over the object");
	if (ct_expect_content(c, q, old, 777))
		goto out;
	CT_OK(c, c->d->writer_close(w), "writer_close without commit");
	w = NULL;
	if (ct_expect_content(c, q, old, 777))
		goto out;
	/* Reopened with append it continues the uncommitted data, which
	   takes precedence over the committed object. */
	CT_OK(c, c->d->writer_open(&w, c->in, q, 1), ct_fmt(c, "writer_open(%s, append)", q));
	CT_FAILIF(c, wsize(c, w) != 50000,
		  "append after an uncommitted session over a committed object: "
		  "writer_size %llu, want 50000", (unsigned long long)wsize(c, w));
	CT_OK(c, c->d->writer_commit(w), "writer_commit");
	CT_OK(c, c->d->writer_close(w), "writer_close");
	w = NULL;
	ct_expect_content(c, q, data, 50000);
out:
	if (w)
		c->d->writer_close(w);
	ct_cancel_writer(c, p);
	ct_cancel_writer(c, q);
	ct_rm(c, q);
	ct_rm(c, c->dir);
	return ct_result(c);
}

static int c_writer_cancel(ct_ctx *c)
{
	char *p = ct_path(c, "/c/object");
	char *q = ct_path(c, "/existing");
	unsigned char *data = ct_random_data(c, 20000);
	berth_writer *w = NULL;
	if (ct_write(c, c->in, p, 0, data, 10000, 4096, 0))
		goto out;
	CT_OK(c, c->d->writer_open(&w, c->in, p, 1), ct_fmt(c, "writer_open(%s, append)", p));
	CT_OK(c, c->d->writer_write(w, data + 10000, 10000), "writer_write");
	CT_OK(c, c->d->writer_cancel(w), "writer_cancel");
	CT_OK(c, c->d->writer_close(w), "writer_close after cancel");
	w = NULL;
	expect_invisible(c, p, ct_path(c, "/c"), "after cancel");
	CT_BAIL(c);
	/* Cancel discarded the earlier sessions too. */
	CT_OK(c, c->d->writer_open(&w, c->in, p, 1), ct_fmt(c, "writer_open(%s, append) after cancel", p));
	CT_FAILIF(c, wsize(c, w) != 0, "after cancel, an append writer starts at %llu, want 0",
		  (unsigned long long)wsize(c, w));
	CT_OK(c, c->d->writer_cancel(w), "writer_cancel #2");
	CT_OK(c, c->d->writer_close(w), "writer_close #2");
	w = NULL;
	/* Cancel over a committed object keeps the object. */
	CT_OK(c, c->d->put_content(c->in, q, data, 300), ct_fmt(c, "put_content(%s)", q));
	CT_OK(c, c->d->writer_open(&w, c->in, q, 0), ct_fmt(c, "writer_open(%s)", q));
	CT_OK(c, c->d->writer_write(w, data + 300, 5000), "writer_write");
	CT_OK(c, c->d->writer_cancel(w), "writer_cancel over an object");
	CT_OK(c, c->d->writer_close(w), "writer_close");
	w = NULL;
	ct_expect_content(c, q, data, 300);
out:
	if (w)
		c->d->writer_close(w);
	ct_cancel_writer(c, p);
	ct_rm(c, q);
	return ct_result(c);
}

static int c_writer_state_commit(ct_ctx *c)
{
	char *p = ct_path(c, "/object");
	berth_writer *w = NULL;
	CT_OK(c, c->d->writer_open(&w, c->in, p, 0), ct_fmt(c, "writer_open(%s)", p));
	CT_OK(c, c->d->writer_write(w, "abc", 3), "writer_write");
	CT_OK(c, c->d->writer_commit(w), "writer_commit");
	CT_WANT(c, c->d->writer_write(w, "def", 3), BERTH_E_STATE, "writer_write after commit");
	CT_WANT(c, c->d->writer_commit(w), BERTH_E_STATE, "writer_commit after commit");
	CT_WANT(c, c->d->writer_cancel(w), BERTH_E_STATE, "writer_cancel after commit");
	CT_OK(c, c->d->writer_close(w), "writer_close after commit");
	w = NULL;
	ct_expect_content(c, p, "abc", 3);
out:
	if (w)
		c->d->writer_close(w);
	ct_rm(c, p);
	return ct_result(c);
}

static int c_writer_state_cancel(ct_ctx *c)
{
	char *p = ct_path(c, "/object");
	berth_writer *w = NULL;
	CT_OK(c, c->d->writer_open(&w, c->in, p, 0), ct_fmt(c, "writer_open(%s)", p));
	CT_OK(c, c->d->writer_write(w, "abc", 3), "writer_write");
	CT_OK(c, c->d->writer_cancel(w), "writer_cancel");
	CT_WANT(c, c->d->writer_write(w, "def", 3), BERTH_E_STATE, "writer_write after cancel");
	CT_WANT(c, c->d->writer_commit(w), BERTH_E_STATE, "writer_commit after cancel");
	CT_WANT(c, c->d->writer_cancel(w), BERTH_E_STATE, "writer_cancel after cancel");
	CT_OK(c, c->d->writer_close(w), "writer_close after cancel");
	w = NULL;
	ct_expect_absent(c, p);
out:
	if (w)
		c->d->writer_close(w);
	ct_cancel_writer(c, p);
	ct_rm(c, p);
	return ct_result(c);
}

static int c_writer_resume_instance(ct_ctx *c)
{
	if (!(c->d->capabilities & BERTH_CAP_APPEND))
		return ct_skip(c, "driver does not claim BERTH_CAP_APPEND (keeps no "
			       "writer state across instances)");
	char *p = ct_path(c, "/resumed");
	size_t len = 300000, cut = 123457;
	unsigned char *data = ct_random_data(c, len);
	berth_instance *a = NULL, *b = NULL;
	berth_writer *w = NULL;
	CT_OK(c, ct_create(c, &a), "create (first instance)");
	if (ct_write(c, a, p, 0, data, cut, 65536, 0))
		goto out;
	c->d->destroy(a);
	a = NULL;
	CT_OK(c, ct_create(c, &b), "create (second instance)");
	CT_OK(c, c->d->writer_open(&w, b, p, 1),
	      ct_fmt(c, "writer_open(%s, append) on a new instance", p));
	CT_FAILIF(c, wsize(c, w) != cut,
		  "on a new instance the writer resumes at %llu, want %zu",
		  (unsigned long long)wsize(c, w), cut);
	CT_OK(c, c->d->writer_write(w, data + cut, len - cut), "writer_write");
	CT_OK(c, c->d->writer_commit(w), "writer_commit");
	CT_OK(c, c->d->writer_close(w), "writer_close");
	w = NULL;
	ct_expect_content(c, p, data, len);
out:
	if (w)
		c->d->writer_close(w);
	if (a)
		c->d->destroy(a);
	if (b)
		c->d->destroy(b);
	ct_cancel_writer(c, p);
	ct_rm(c, p);
	return ct_result(c);
}

/* ---- big streams: digest on the fly, bounded memory ---- */

static int big_stream(ct_ctx *c, uint64_t size, int allow_stored_copy)
{
	char *p = ct_path(c, "/big");
	size_t buflen = CT_MIB;
	uint64_t bound = 64 * (uint64_t)CT_MIB + 2 * buflen;
	unsigned char *buf = ct_alloc(c, buflen);
	unsigned char dw[EVP_MAX_MD_SIZE], dr[EVP_MAX_MD_SIZE];
	unsigned int dwn = 0, drn = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	berth_writer *w = NULL;
	berth_reader *r = NULL;
	berth_stat_info st;
	ct_rss_probe probe = {0};
	uint64_t gw = 0, gr = 0, total = 0;
	int64_t t0 = ct_now_ms(), tw = 0;
	uint64_t rng = c->rng;
	CT_FAILIF(c, !md, "EVP_MD_CTX_new failed");

	ct_rss_start(&probe);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	CT_OK(c, c->d->writer_open(&w, c->in, p, 0), ct_fmt(c, "writer_open(%s)", p));
	for (uint64_t done = 0; done < size;) {
		size_t n = size - done < buflen ? (size_t)(size - done) : buflen;
		ct_fill(&rng, buf, n);
		EVP_DigestUpdate(md, buf, n);
		CT_OK(c, c->d->writer_write(w, buf, n),
		      ct_fmt(c, "writer_write at %llu", (unsigned long long)done));
		done += n;
	}
	CT_FAILIF(c, wsize(c, w) != size, "writer_size %llu, want %llu",
		  (unsigned long long)wsize(c, w), (unsigned long long)size);
	CT_OK(c, c->d->writer_commit(w), "writer_commit");
	CT_OK(c, c->d->writer_close(w), "writer_close");
	w = NULL;
	EVP_DigestFinal_ex(md, dw, &dwn);
	gw = ct_rss_stop(&probe);
	tw = ct_now_ms() - t0;

	CT_OK(c, c->d->stat(c->in, p, &st), ct_fmt(c, "stat(%s)", p));
	CT_FAILIF(c, st.size != size, "stat size %llu, want %llu",
		  (unsigned long long)st.size, (unsigned long long)size);

	ct_rss_start(&probe);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	CT_OK(c, c->d->reader_open(&r, c->in, p, 0), ct_fmt(c, "reader_open(%s)", p));
	for (;;) {
		size_t n = 0;
		CT_OK(c, c->d->reader_read(r, buf, buflen, &n),
		      ct_fmt(c, "reader_read at %llu", (unsigned long long)total));
		if (!n)
			break;
		EVP_DigestUpdate(md, buf, n);
		total += n;
	}
	c->d->reader_close(r);
	r = NULL;
	EVP_DigestFinal_ex(md, dr, &drn);
	gr = ct_rss_stop(&probe);

	ct_note(c, "%llu MiB, peak RSS growth: write +%llu MiB, read +%llu MiB; "
		"%.0f MiB/s write",
		(unsigned long long)(size >> 20), (unsigned long long)(gw >> 20),
		(unsigned long long)(gr >> 20),
		tw > 0 ? (double)size / (double)CT_MIB * 1000.0 / (double)tw : 0.0);
	CT_FAILIF(c, total != size, "read back %llu bytes, want %llu",
		  (unsigned long long)total, (unsigned long long)size);
	CT_FAILIF(c, dwn != drn || memcmp(dw, dr, dwn),
		  "the sha256 of the bytes read back differs from the bytes written");
	CT_FAILIF(c, gw > bound + (allow_stored_copy ? size : 0),
		  "RSS grew by %llu MiB while writing %llu MiB (bound %llu MiB%s)",
		  (unsigned long long)(gw >> 20), (unsigned long long)(size >> 20),
		  (unsigned long long)((bound + (allow_stored_copy ? size : 0)) >> 20),
		  allow_stored_copy ? ", one stored copy allowed" : "");
	CT_FAILIF(c, gr > bound,
		  "RSS grew by %llu MiB while reading %llu MiB (bound %llu MiB): the "
		  "reader buffers", (unsigned long long)(gr >> 20),
		  (unsigned long long)(size >> 20), (unsigned long long)(bound >> 20));
out:
	if (probe.thread && !probe.stop)
		ct_rss_stop(&probe);
	if (w) {
		c->d->writer_cancel(w);
		c->d->writer_close(w);
	}
	if (r)
		c->d->reader_close(r);
	EVP_MD_CTX_free(md);
	ct_rm(c, p);
	return ct_result(c);
}

static int c_memory_bounded(ct_ctx *c)
{
	/* An in-memory driver legitimately holds what it stores, so the
	   write phase may grow by one copy of the data; reading must not
	   grow at all beyond the bound. */
	return big_stream(c, (c->short_mode ? 24 : 192) * (uint64_t)CT_MIB, 1);
}

static int c_stream_5g(ct_ctx *c)
{
	return big_stream(c, 5ull << 30, 0);
}

const ct_case ct_cases_stream[] = {
	{"stream-1m", c_stream_1m, 0, 0,
	 "1 MiB through a writer in random chunks, writer_size, read back"},
	{"stream-chunks", c_stream_chunks, 0, 0,
	 "streams written and read in 1, 7, 4096, 65537-byte pieces"},
	{"stream-binary", c_stream_binary, 0, 0, "non-UTF-8 binary stream round trip"},
	{"reader-offsets", c_reader_offsets, 0, 0,
	 "offsets 0, 1, N/2, N-1, random; N is EOF; N+1 and negative INVALID_OFFSET"},
	{"reader-nonexistent", c_reader_nonexistent, 0, 0, "reader_open of a missing path is NOT_FOUND"},
	{"reader-empty", c_reader_empty, 0, 0, "reader of a 0-byte object is EOF at once"},
	{"append-3-sessions", c_append_3_sessions, 0, 0,
	 "10 MiB written in 3 writer sessions (close, reopen with append)"},
	{"append-small-chunks", c_append_small_chunks, 0, 0,
	 "many 32-byte chunks, one writer session each; size continues"},
	{"append-committed", c_append_committed, 0, 0,
	 "append continues a committed object; old content until commit"},
	{"zero-content-then-append", c_zero_content_append, 0, 0,
	 "put 0 bytes, then append through a writer"},
	{"zero-stream-then-append", c_zero_stream_append, 0, 0,
	 "commit a 0-byte stream, then append"},
	{"writer-open-discards", c_writer_no_append, 0, 0,
	 "writer_open without append starts empty"},
	{"writer-invisible-before-commit", c_writer_invisible, 0, 0,
	 "uncommitted data is not seen by stat/get/reader/list/walk"},
	{"writer-cancel", c_writer_cancel, 0, 0,
	 "cancel discards all sessions, leaves nothing, keeps a committed object"},
	{"writer-state-after-commit", c_writer_state_commit, 0, 0,
	 "after commit only close is allowed (STATE)"},
	{"writer-state-after-cancel", c_writer_state_cancel, 0, 0,
	 "after cancel only close is allowed (STATE)"},
	{"writer-resume-new-instance", c_writer_resume_instance, 0, 0,
	 "APPEND: a writer closed uncommitted resumes on a re-created instance"},
	{"memory-bounded-stream", c_memory_bounded, 0, 3,
	 "192 MiB stream: peak RSS growth bounded (digest checked on the fly)"},
	{"stream-5g", c_stream_5g, CT_LONG, 30,
	 "5 GiB stream, digest on the fly, RSS bounded in both directions"},
	{NULL, NULL, 0, 0, NULL},
};
