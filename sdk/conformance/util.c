/*
 * util.c - helpers of the conformance cases: failure recording, memory
 * owned by a case, reproducible random data, thin wrappers around the
 * driver calls the cases repeat, and resident-memory measurement.
 *
 * The wrappers record what went wrong with the driver's own error detail
 * (captured by the core host per thread), so a FAIL line tells the driver
 * author which call returned what.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "conformance.h"
#include "storage/driver_loader.h"

struct ct_alloc_node {
	struct ct_alloc_node *next;
	max_align_t data[];
};

/* ---- failure recording ---- */

static void ct_vfail(ct_ctx *c, const char *fmt, va_list ap)
{
	pthread_mutex_lock(&c->mu);
	if (!c->failed) {
		vsnprintf(c->reason, sizeof c->reason, fmt, ap);
		c->failed = 1;
	}
	pthread_mutex_unlock(&c->mu);
}

void ct_fail(ct_ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ct_vfail(c, fmt, ap);
	va_end(ap);
}

const char *ct_detail(void)
{
	const char *d = driver_host_last_error();
	return d ? d : "";
}

void ct_clear_detail(void)
{
	driver_host_clear_error();
}

void ct_fail_rc(ct_ctx *c, int got, int want, const char *what)
{
	const char *d = got != BERTH_OK ? ct_detail() : "";
	ct_fail(c, "%s: got %s%s%s%s, want %s", what, ct_status_name(got),
		*d ? " (\"" : "", d, *d ? "\")" : "", ct_status_name(want));
}

int ct_skip(ct_ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	pthread_mutex_lock(&c->mu);
	vsnprintf(c->reason, sizeof c->reason, fmt, ap);
	pthread_mutex_unlock(&c->mu);
	va_end(ap);
	return CT_SKIP;
}

void ct_note(ct_ctx *c, const char *fmt, ...)
{
	va_list ap;
	size_t n = strlen(c->note);
	va_start(ap, fmt);
	vsnprintf(c->note + n, sizeof c->note - n, fmt, ap);
	va_end(ap);
}

int ct_result(ct_ctx *c)
{
	return c->failed ? CT_FAIL : CT_PASS;
}

const char *ct_status_name(int code)
{
	switch (code) {
	case BERTH_OK: return "OK";
	case BERTH_E_NOT_FOUND: return "NOT_FOUND";
	case BERTH_E_INVALID_PATH: return "INVALID_PATH";
	case BERTH_E_INVALID_OFFSET: return "INVALID_OFFSET";
	case BERTH_E_UNSUPPORTED: return "UNSUPPORTED";
	case BERTH_E_IO: return "IO";
	case BERTH_E_NOMEM: return "NOMEM";
	case BERTH_E_THROTTLED: return "THROTTLED";
	case BERTH_E_CONFIG: return "CONFIG";
	case BERTH_E_PERMISSION: return "PERMISSION";
	case BERTH_E_NO_SPACE: return "NO_SPACE";
	case BERTH_E_UNAVAILABLE: return "UNAVAILABLE";
	case BERTH_E_INVALID_ARGUMENT: return "INVALID_ARGUMENT";
	case BERTH_E_STATE: return "STATE";
	case BERTH_E_CONFLICT: return "CONFLICT";
	default: {
		static __thread char buf[32];
		snprintf(buf, sizeof buf, "unknown status %d", code);
		return buf;
	}
	}
}

/* ---- case-owned memory ---- */

void *ct_alloc(ct_ctx *c, size_t n)
{
	struct ct_alloc_node *a = calloc(1, sizeof *a + n + 1);
	if (!a) {
		fprintf(stderr, "berth-driver-test: out of memory\n");
		exit(2);
	}
	pthread_mutex_lock(&c->mu);
	a->next = c->allocs;
	c->allocs = a;
	pthread_mutex_unlock(&c->mu);
	return a->data;
}

char *ct_fmt(ct_ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *s = ct_alloc(c, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

char *ct_path(ct_ctx *c, const char *rel)
{
	return ct_fmt(c, "%s%s", c->dir, rel);
}

void ct_free_all(ct_ctx *c)
{
	struct ct_alloc_node *a = c->allocs;
	while (a) {
		struct ct_alloc_node *next = a->next;
		free(a);
		a = next;
	}
	c->allocs = NULL;
}

/* ---- random data: xorshift64*, reproducible from --seed ---- */

uint64_t ct_rand(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ull;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

uint64_t ct_rand_below(uint64_t *s, uint64_t n)
{
	return ct_rand(s) % n;
}

void ct_fill(uint64_t *s, void *buf, size_t len)
{
	unsigned char *p = buf;
	while (len >= 8) {
		uint64_t v = ct_rand(s);
		memcpy(p, &v, 8);
		p += 8;
		len -= 8;
	}
	if (len) {
		uint64_t v = ct_rand(s);
		memcpy(p, &v, len);
	}
}

unsigned char *ct_random_data(ct_ctx *c, size_t len)
{
	unsigned char *p = ct_alloc(c, len);
	pthread_mutex_lock(&c->mu);
	ct_fill(&c->rng, p, len);
	pthread_mutex_unlock(&c->mu);
	return p;
}

/* ---- driver helpers ---- */

int ct_get(ct_ctx *c, const char *path, char **out, size_t *len)
{
	char *buf = NULL;
	size_t n = 0;
	int rc = c->d->get_content(c->in, path, &buf, &n);
	if (rc != BERTH_OK)
		return rc;
	char *copy = ct_alloc(c, n);
	if (n)
		memcpy(copy, buf, n);
	c->host->free(buf);
	*out = copy;
	*len = n;
	return BERTH_OK;
}

int ct_write(ct_ctx *c, berth_instance *in, const char *path, int append,
	     const void *data, size_t len, size_t chunk, int commit)
{
	berth_writer *w = NULL;
	ct_clear_detail();
	int rc = c->d->writer_open(&w, in, path, append);
	if (rc != BERTH_OK) {
		ct_fail_rc(c, rc, BERTH_OK, ct_fmt(c, "writer_open(%s, append=%d)", path, append));
		return rc;
	}
	const unsigned char *p = data;
	size_t done = 0;
	if (!chunk)
		chunk = 1;
	while (done < len) {
		size_t n = len - done < chunk ? len - done : chunk;
		rc = c->d->writer_write(w, p + done, n);
		if (rc != BERTH_OK) {
			ct_fail_rc(c, rc, BERTH_OK,
				   ct_fmt(c, "writer_write(%s) at %zu", path, done));
			c->d->writer_close(w);
			return rc;
		}
		done += n;
	}
	if (commit) {
		rc = c->d->writer_commit(w);
		if (rc != BERTH_OK) {
			ct_fail_rc(c, rc, BERTH_OK, ct_fmt(c, "writer_commit(%s)", path));
			c->d->writer_close(w);
			return rc;
		}
	}
	rc = c->d->writer_close(w);
	if (rc != BERTH_OK)
		ct_fail_rc(c, rc, BERTH_OK, ct_fmt(c, "writer_close(%s)", path));
	return rc;
}

int ct_read(ct_ctx *c, const char *path, int64_t offset, size_t cap,
	    unsigned char **out, size_t *len)
{
	berth_reader *r = NULL;
	int rc = c->d->reader_open(&r, c->in, path, offset);
	if (rc != BERTH_OK)
		return rc;
	size_t size = 0, alloc = 64 * 1024;
	unsigned char *buf = malloc(alloc);
	if (!buf) {
		c->d->reader_close(r);
		return BERTH_E_NOMEM;
	}
	for (;;) {
		if (alloc - size < cap) {
			size_t na = alloc * 2 > size + cap ? alloc * 2 : size + cap;
			unsigned char *nb = realloc(buf, na);
			if (!nb) {
				rc = BERTH_E_NOMEM;
				break;
			}
			buf = nb;
			alloc = na;
		}
		size_t n = 0;
		rc = c->d->reader_read(r, buf + size, cap, &n);
		if (rc != BERTH_OK)
			break;
		if (n > cap) {
			ct_fail(c, "reader_read(%s) returned %zu bytes for a %zu-byte buffer",
				path, n, cap);
			rc = BERTH_E_IO;
			break;
		}
		if (n == 0)
			break;
		size += n;
	}
	c->d->reader_close(r);
	if (rc == BERTH_OK) {
		*out = ct_alloc(c, size);
		memcpy(*out, buf, size);
		*len = size;
	}
	free(buf);
	return rc;
}

/* Describe the first difference between two buffers. */
static void ct_diff(ct_ctx *c, const char *what, const unsigned char *got,
		    size_t glen, const unsigned char *want, size_t wlen)
{
	size_t i = 0;
	while (i < glen && i < wlen && got[i] == want[i])
		i++;
	if (glen != wlen)
		ct_fail(c, "%s: got %zu bytes, want %zu (first difference at byte %zu)",
			what, glen, wlen, i);
	else
		ct_fail(c, "%s: %zu bytes, content differs at byte %zu "
			"(got 0x%02x, want 0x%02x)", what, glen, i, got[i], want[i]);
}

int ct_expect_content(ct_ctx *c, const char *path, const void *data,
		      size_t len)
{
	char *got = NULL;
	size_t n = 0;
	ct_clear_detail();
	int rc = ct_get(c, path, &got, &n);
	if (rc != BERTH_OK) {
		ct_fail_rc(c, rc, BERTH_OK, ct_fmt(c, "get_content(%s)", path));
		return -1;
	}
	if (n != len || (len && memcmp(got, data, len))) {
		ct_diff(c, ct_fmt(c, "get_content(%s)", path),
			(const unsigned char *)got, n, data, len);
		return -1;
	}
	return 0;
}

int ct_expect_absent(ct_ctx *c, const char *path)
{
	berth_stat_info st;
	ct_clear_detail();
	int rc = c->d->stat(c->in, path, &st);
	if (rc != BERTH_E_NOT_FOUND) {
		ct_fail_rc(c, rc, BERTH_E_NOT_FOUND, ct_fmt(c, "stat(%s)", path));
		return -1;
	}
	return 0;
}

void ct_rm(ct_ctx *c, const char *path)
{
	ct_clear_detail();
	int rc = c->d->remove(c->in, path);
	if (rc != BERTH_OK && rc != BERTH_E_NOT_FOUND)
		ct_fail_rc(c, rc, BERTH_OK, ct_fmt(c, "cleanup remove(%s)", path));
}

struct list_acc {
	ct_ctx *c;
	char **v;
	size_t n, cap;
};

static int list_collect(const char *path, void *payload)
{
	struct list_acc *a = payload;
	if (a->n == a->cap) {
		size_t ncap = a->cap ? a->cap * 2 : 16;
		char **nv = ct_alloc(a->c, ncap * sizeof *nv);
		if (a->n)
			memcpy(nv, a->v, a->n * sizeof *nv);
		a->v = nv;
		a->cap = ncap;
	}
	a->v[a->n++] = ct_fmt(a->c, "%s", path);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int ct_list(ct_ctx *c, berth_instance *in, const char *path, char ***names,
	    size_t *n)
{
	struct list_acc a = {.c = c};
	int rc = c->d->list(in, path, list_collect, &a);
	if (a.n > 1)
		qsort(a.v, a.n, sizeof *a.v, cmp_str);
	*names = a.v;
	*n = a.n;
	return rc;
}

static int tree_rec(ct_ctx *c, const char *path, struct list_acc *out, int depth)
{
	char **v;
	size_t n;
	int rc = ct_list(c, c->in, path, &v, &n);
	if (rc == BERTH_E_NOT_FOUND)
		return BERTH_OK; /* a file, or gone */
	if (rc != BERTH_OK)
		return rc;
	for (size_t i = 0; i < n; i++) {
		list_collect(v[i], out);
		/* Guard against a driver listing a path as its own child. */
		if (depth < 64 && strcmp(v[i], path)) {
			rc = tree_rec(c, v[i], out, depth + 1);
			if (rc != BERTH_OK)
				return rc;
		}
	}
	return BERTH_OK;
}

int ct_tree(ct_ctx *c, const char *path, char ***names, size_t *n)
{
	struct list_acc a = {.c = c};
	int rc = tree_rec(c, path, &a, 0);
	if (a.n > 1)
		qsort(a.v, a.n, sizeof *a.v, cmp_str);
	*names = a.v;
	*n = a.n;
	return rc;
}

void ct_cancel_writer(ct_ctx *c, const char *path)
{
	berth_writer *w = NULL;
	if (c->d->writer_open(&w, c->in, path, 1) != BERTH_OK)
		return;
	c->d->writer_cancel(w);
	c->d->writer_close(w);
}

int ct_create(ct_ctx *c, berth_instance **out)
{
	*out = NULL;
	return c->d->create(out, c->host, c->cfg);
}

/* ---- resident memory ---- */

uint64_t ct_rss_now(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long long size = 0, res = 0;
	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu", &size, &res) != 2)
		res = 0;
	fclose(f);
	return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
}

uint64_t ct_rss_peak(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (uint64_t)ru.ru_maxrss * 1024;
}

static void *rss_sampler(void *arg)
{
	ct_rss_probe *p = arg;
	struct timespec ts = {0, 5 * 1000 * 1000};
	while (!p->stop) {
		uint64_t now = ct_rss_now();
		if (now > p->peak)
			p->peak = now;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

void ct_rss_start(ct_rss_probe *p)
{
	p->stop = 0;
	p->base = ct_rss_now();
	p->peak = p->base;
	p->rusage_base = ct_rss_peak();
	if (pthread_create(&p->thread, NULL, rss_sampler, p) != 0)
		p->thread = 0;
}

uint64_t ct_rss_stop(ct_rss_probe *p)
{
	p->stop = 1;
	if (p->thread)
		pthread_join(p->thread, NULL);
	uint64_t now = ct_rss_now();
	if (now > p->peak)
		p->peak = now;
	uint64_t sampled = p->peak > p->base ? p->peak - p->base : 0;
	/* getrusage's peak only moves when the stream set a new record;
	   when it did, the growth over the old record is a lower bound. */
	uint64_t ru = ct_rss_peak();
	uint64_t rgrowth = ru > p->rusage_base && ru > p->base ? ru - p->base : 0;
	return sampled > rgrowth ? sampled : rgrowth;
}

int64_t ct_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
