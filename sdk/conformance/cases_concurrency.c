/*
 * cases_concurrency.c - conformance cases run from many threads at once,
 * as the server calls a driver: concurrent stat, 10 readers at random
 * offsets verifying every byte, 32 writers on different paths, and puts
 * racing gets on one path (each get sees a whole old or new object).
 *
 * Worker threads use their own random state (derived from the case's) and
 * record failures through the thread-safe ct_fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conformance.h"

struct worker {
	ct_ctx *c;
	int id;
	uint64_t rng;
	const unsigned char *data;
	size_t len;
	const char *path;
	volatile int *stop;
};

static int run_threads(ct_ctx *c, struct worker *w, int n, void *(*fn)(void *))
{
	pthread_t *t = ct_alloc(c, (size_t)n * sizeof *t);
	int started = 0;
	for (int i = 0; i < n; i++) {
		if (pthread_create(&t[i], NULL, fn, &w[i]) != 0) {
			ct_fail(c, "pthread_create failed");
			break;
		}
		started++;
	}
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	return c->failed ? -1 : 0;
}

/* ---- concurrent stat ---- */

static void *stat_worker(void *arg)
{
	struct worker *w = arg;
	ct_ctx *c = w->c;
	for (int round = 0; round < 40 && !c->failed; round++) {
		int i = (int)ct_rand_below(&w->rng, 16);
		char path[512];
		snprintf(path, sizeof path, "%s/f%d", c->dir, i);
		berth_stat_info st;
		ct_clear_detail();
		int rc = c->d->stat(c->in, path, &st);
		if (rc != BERTH_OK) {
			ct_fail(c, "thread %d: stat(%s): %s (%s)", w->id, path,
				ct_status_name(rc), ct_detail());
			break;
		}
		if (st.size != (uint64_t)(i * 100) || st.is_dir) {
			ct_fail(c, "thread %d: stat(%s): size %llu is_dir %d, want %d", w->id,
				path, (unsigned long long)st.size, st.is_dir, i * 100);
			break;
		}
	}
	return NULL;
}

static int c_concurrent_stat(ct_ctx *c)
{
	unsigned char *data = ct_random_data(c, 1600);
	struct worker w[12];
	for (int i = 0; i < 16; i++) {
		char *p = ct_path(c, ct_fmt(c, "/f%d", i));
		CT_OK(c, c->d->put_content(c->in, p, data, (size_t)i * 100),
		      ct_fmt(c, "put_content(%s)", p));
	}
	for (int i = 0; i < 12; i++)
		w[i] = (struct worker){.c = c, .id = i, .rng = c->rng + (uint64_t)i * 7919};
	run_threads(c, w, 12, stat_worker);
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

/* ---- 10 readers at random offsets ---- */

static void *reader_worker(void *arg)
{
	struct worker *w = arg;
	ct_ctx *c = w->c;
	size_t cap = 64 * 1024;
	unsigned char *buf = malloc(cap);
	if (!buf) {
		ct_fail(c, "out of memory");
		return NULL;
	}
	for (int round = 0; round < 20 && !c->failed; round++) {
		uint64_t off = ct_rand_below(&w->rng, w->len + 1);
		size_t want = (size_t)ct_rand_below(&w->rng, 256 * 1024) + 1;
		if (want > w->len - off)
			want = (size_t)(w->len - off);
		berth_reader *r = NULL;
		ct_clear_detail();
		int rc = c->d->reader_open(&r, c->in, w->path, (int64_t)off);
		if (rc != BERTH_OK) {
			ct_fail(c, "reader %d: reader_open(%s, %llu): %s (%s)", w->id, w->path,
				(unsigned long long)off, ct_status_name(rc), ct_detail());
			break;
		}
		size_t got = 0;
		while (got < want) {
			size_t n = 0, ask = want - got < cap ? want - got : cap;
			rc = c->d->reader_read(r, buf, ask, &n);
			if (rc != BERTH_OK || n == 0 || n > ask) {
				ct_fail(c, "reader %d at offset %llu: reader_read after %zu of %zu "
					"bytes: %s, %zu bytes", w->id, (unsigned long long)off,
					got, want, ct_status_name(rc), n);
				break;
			}
			if (memcmp(buf, w->data + off + got, n)) {
				ct_fail(c, "reader %d: bytes at offset %llu differ from the "
					"object's", w->id, (unsigned long long)(off + got));
				break;
			}
			got += n;
		}
		c->d->reader_close(r);
	}
	free(buf);
	return NULL;
}

static int c_concurrent_readers(ct_ctx *c)
{
	char *p = ct_path(c, "/shared");
	size_t len = c->short_mode ? 512 * 1024 + 3 : 4 * CT_MIB + 3;
	unsigned char *data = ct_random_data(c, len);
	struct worker w[10];
	CT_OK(c, c->d->put_content(c->in, p, data, len), ct_fmt(c, "put_content(%s)", p));
	for (int i = 0; i < 10; i++)
		w[i] = (struct worker){.c = c, .id = i, .rng = c->rng ^ ((uint64_t)i << 40),
				       .data = data, .len = len, .path = p};
	run_threads(c, w, 10, reader_worker);
out:
	ct_rm(c, p);
	return ct_result(c);
}

/* ---- 32 writers on different paths ---- */

static void *writer_worker(void *arg)
{
	struct worker *w = arg;
	ct_ctx *c = w->c;
	berth_writer *wr = NULL;
	ct_clear_detail();
	int rc = c->d->writer_open(&wr, c->in, w->path, 0);
	if (rc != BERTH_OK) {
		ct_fail(c, "writer %d: writer_open(%s): %s (%s)", w->id, w->path,
			ct_status_name(rc), ct_detail());
		return NULL;
	}
	size_t chunk = 1 + (size_t)ct_rand_below(&w->rng, 40000);
	for (size_t done = 0; done < w->len; done += chunk) {
		size_t n = w->len - done < chunk ? w->len - done : chunk;
		rc = c->d->writer_write(wr, w->data + done, n);
		if (rc != BERTH_OK) {
			ct_fail(c, "writer %d: writer_write(%s) at %zu: %s (%s)", w->id, w->path,
				done, ct_status_name(rc), ct_detail());
			c->d->writer_cancel(wr);
			c->d->writer_close(wr);
			return NULL;
		}
	}
	rc = c->d->writer_commit(wr);
	if (rc != BERTH_OK)
		ct_fail(c, "writer %d: writer_commit(%s): %s (%s)", w->id, w->path,
			ct_status_name(rc), ct_detail());
	rc = c->d->writer_close(wr);
	if (rc != BERTH_OK)
		ct_fail(c, "writer %d: writer_close(%s): %s", w->id, w->path, ct_status_name(rc));
	return NULL;
}

static int c_concurrent_writers(ct_ctx *c)
{
	enum { N = 32 };
	size_t len = c->short_mode ? 64 * 1024 : CT_MIB;
	struct worker w[N];
	for (int i = 0; i < N; i++) {
		size_t l = len + (size_t)i * 13;
		w[i] = (struct worker){.c = c, .id = i, .rng = c->rng + (uint64_t)i,
				       .data = ct_random_data(c, l), .len = l,
				       .path = ct_path(c, ct_fmt(c, "/w%02d/blob", i))};
	}
	if (run_threads(c, w, N, writer_worker))
		goto out;
	for (int i = 0; i < N; i++)
		if (ct_expect_content(c, w[i].path, w[i].data, w[i].len))
			goto out;
out:
	for (int i = 0; i < N; i++)
		ct_cancel_writer(c, w[i].path);
	ct_rm(c, c->dir);
	return ct_result(c);
}

/* ---- puts racing gets on one path ---- */

static void *put_worker(void *arg)
{
	struct worker *w = arg;
	ct_ctx *c = w->c;
	size_t la = w->len, lb = w->len / 2 + 1;
	unsigned char *a = malloc(la), *b = malloc(lb);
	if (!a || !b) {
		ct_fail(c, "out of memory");
		goto done;
	}
	memset(a, 'a', la);
	memset(b, 'b', lb);
	for (int i = 0; i < (c->short_mode ? 60 : 300) && !c->failed; i++) {
		ct_clear_detail();
		int rc = c->d->put_content(c->in, w->path, i % 2 ? b : a, i % 2 ? lb : la);
		if (rc != BERTH_OK) {
			ct_fail(c, "put_content(%s) #%d: %s (%s)", w->path, i,
				ct_status_name(rc), ct_detail());
			break;
		}
	}
done:
	*w->stop = 1;
	free(a);
	free(b);
	return NULL;
}

static void *get_worker(void *arg)
{
	struct worker *w = arg;
	ct_ctx *c = w->c;
	size_t la = w->len, lb = w->len / 2 + 1;
	while (!*w->stop && !c->failed) {
		char *buf = NULL;
		size_t n = 0;
		ct_clear_detail();
		int rc = c->d->get_content(c->in, w->path, &buf, &n);
		if (rc != BERTH_OK) {
			ct_fail(c, "get_content(%s) during puts: %s (%s) - the object must "
				"always exist", w->path, ct_status_name(rc), ct_detail());
			break;
		}
		int ok = (n == la || n == lb) && n > 0;
		for (size_t i = 1; ok && i < n; i++)
			ok = buf[i] == buf[0];
		if (ok)
			ok = (buf[0] == 'a' && n == la) || (buf[0] == 'b' && n == lb);
		c->host->free(buf);
		if (!ok) {
			ct_fail(c, "get_content during puts saw a mixed or partial object "
				"(%zu bytes; want %zu of 'a' or %zu of 'b')", n, la, lb);
			break;
		}
	}
	return NULL;
}

static int c_put_atomic(ct_ctx *c)
{
	char *p = ct_path(c, "/object");
	size_t len = c->short_mode ? 64 * 1024 : 512 * 1024;
	unsigned char *a = ct_alloc(c, len);
	volatile int stop = 0;
	struct worker w[5];
	memset(a, 'a', len);
	CT_OK(c, c->d->put_content(c->in, p, a, len), ct_fmt(c, "put_content(%s)", p));
	for (int i = 0; i < 5; i++)
		w[i] = (struct worker){.c = c, .id = i, .len = len, .path = p, .stop = &stop};
	pthread_t t[5];
	int started = 0;
	for (int i = 0; i < 5; i++, started++)
		if (pthread_create(&t[i], NULL, i ? get_worker : put_worker, &w[i]) != 0) {
			ct_fail(c, "pthread_create failed");
			stop = 1;
			break;
		}
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
out:
	ct_rm(c, p);
	return ct_result(c);
}

/* ---- writers and removes on neighbouring paths ---- */

static void *churn_worker(void *arg)
{
	struct worker *w = arg;
	ct_ctx *c = w->c;
	char path[512];
	for (int i = 0; i < (c->short_mode ? 30 : 150) && !c->failed; i++) {
		snprintf(path, sizeof path, "%s/shared/dir%d/obj%d", c->dir, i % 3, w->id);
		ct_clear_detail();
		int rc = c->d->put_content(c->in, path, path, strlen(path));
		if (rc != BERTH_OK) {
			ct_fail(c, "thread %d: put_content(%s) while others remove "
				"neighbours: %s (%s)", w->id, path, ct_status_name(rc), ct_detail());
			break;
		}
		char *buf = NULL;
		size_t n = 0;
		rc = c->d->get_content(c->in, path, &buf, &n);
		if (rc != BERTH_OK || n != strlen(path) || memcmp(buf, path, n)) {
			ct_fail(c, "thread %d: get_content(%s) right after its put: %s, %zu bytes",
				w->id, path, ct_status_name(rc), n);
			if (rc == BERTH_OK)
				c->host->free(buf);
			break;
		}
		c->host->free(buf);
		rc = c->d->remove(c->in, path);
		if (rc != BERTH_OK) {
			ct_fail(c, "thread %d: remove(%s): %s (%s)", w->id, path,
				ct_status_name(rc), ct_detail());
			break;
		}
	}
	return NULL;
}

static int c_concurrent_put_remove(ct_ctx *c)
{
	struct worker w[8];
	for (int i = 0; i < 8; i++)
		w[i] = (struct worker){.c = c, .id = i};
	run_threads(c, w, 8, churn_worker);
	ct_rm(c, c->dir);
	return ct_result(c);
}

const ct_case ct_cases_concurrency[] = {
	{"concurrent-stat", c_concurrent_stat, 0, 0, "12 threads stat 16 objects"},
	{"concurrent-readers", c_concurrent_readers, 0, 0,
	 "10 readers at random offsets of one object verify every byte"},
	{"concurrent-writers", c_concurrent_writers, 0, 0,
	 "32 writers on different paths at once, each verified"},
	{"concurrent-put-get", c_put_atomic, 0, 0,
	 "gets racing puts on one path see a whole object, old or new"},
	{"concurrent-put-remove", c_concurrent_put_remove, 0, 0,
	 "puts and removes in shared directories do not break each other"},
	{NULL, NULL, 0, 0, NULL},
};
