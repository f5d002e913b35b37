/*
 * cases_v11.c - conformance cases for the members ABI 1.1 appended to
 * <berth/storage.h>: batch (all or nothing, in order, preconditions,
 * bad shapes, under concurrent load), stat_version, writer_flush,
 * maintain, writer_open_hinted and validate_config.  Each case runs when
 * the driver claims the member's capability and is skipped otherwise, so
 * a 1.0 driver passes with all of them skipped.  Like cases_rules.c,
 * each checks what the header promises and no more: where it allows two
 * outcomes, either passes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <berth/sdk.h>

#include "conformance.h"

#define BATCH_MAX 64

/* Skip the case unless the driver claims `cap`. */
#define NEED(c, cap)                                                       \
	do {                                                               \
		if (!((c)->d->capabilities & (cap)))                       \
			return ct_skip((c), "driver does not claim " #cap);  \
	} while (0)

static berth_batch_op op_put(const char *path, const void *data, size_t len)
{
	return (berth_batch_op){.kind = BERTH_BATCH_PUT, .path = path,
				.data = data, .len = len};
}

static berth_batch_op op_move(const char *src, const char *dst)
{
	return (berth_batch_op){.kind = BERTH_BATCH_MOVE, .path = src, .dst = dst};
}

static berth_batch_op op_remove(const char *path)
{
	return (berth_batch_op){.kind = BERTH_BATCH_REMOVE, .path = path};
}

static berth_batch_op op_expect(const char *path, const char *version)
{
	return (berth_batch_op){.kind = BERTH_BATCH_EXPECT, .path = path,
				.version = version};
}

static int batch(ct_ctx *c, const berth_batch_op *ops, size_t n)
{
	return c->d->batch(c->in, ops, n);
}

/* stat_version into `v`, failing the case unless it answers OK with a
   version of the promised shape (objects: 1..MAX-1 printable bytes;
   directories ""). */
static int version_of(ct_ctx *c, berth_instance *in, const char *path,
		      char v[BERTH_VERSION_MAX])
{
	berth_stat_info st;
	memset(v, 0x7f, BERTH_VERSION_MAX);
	ct_clear_detail();
	int rc = c->d->stat_version(in, path, &st, v);
	if (rc != BERTH_OK) {
		ct_fail_rc(c, rc, BERTH_OK, ct_fmt(c, "stat_version(%s)", path));
		return -1;
	}
	size_t n = strnlen(v, BERTH_VERSION_MAX);
	if (n == BERTH_VERSION_MAX) {
		ct_fail(c, "stat_version(%s): the version is not NUL-terminated "
			"within %d bytes", path, BERTH_VERSION_MAX);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (v[i] < 0x20 || v[i] > 0x7e) {
			ct_fail(c, "stat_version(%s): byte %zu of the version is "
				"0x%02x, not printable ASCII", path, i,
				(unsigned char)v[i]);
			return -1;
		}
	if (st.is_dir ? n != 0 : n == 0) {
		ct_fail(c, "stat_version(%s): version \"%s\" for %s, want %s", path,
			v, st.is_dir ? "a directory" : "an object",
			st.is_dir ? "\"\"" : "1 or more bytes");
		return -1;
	}
	return 0;
}

/* ---- batch ---- */

/* A failing op leaves every op before it unapplied. */
static int c_batch_atomic(ct_ctx *c)
{
	NEED(c, BERTH_CAP_BATCH);
	char *keep = ct_path(c, "/keep"), *a = ct_path(c, "/a"), *b = ct_path(c, "/b");
	char *dst = ct_path(c, "/dst"), *missing = ct_path(c, "/missing");
	CT_OK(c, c->d->put_content(c->in, keep, "old", 3), ct_fmt(c, "put_content(%s)", keep));

	berth_batch_op rm[] = {op_put(a, "A", 1), op_put(keep, "new", 3),
			       op_remove(missing)};
	CT_WANT(c, batch(c, rm, 3), BERTH_E_NOT_FOUND,
		"batch [put, put, remove of a missing path]");
	if (ct_expect_absent(c, a) || ct_expect_content(c, keep, "old", 3))
		goto out;

	berth_batch_op mv[] = {op_put(b, "B", 1), op_remove(keep),
			       op_move(missing, dst)};
	CT_WANT(c, batch(c, mv, 3), BERTH_E_NOT_FOUND,
		"batch [put, remove, move of a missing path]");
	if (ct_expect_absent(c, b) || ct_expect_absent(c, dst) ||
	    ct_expect_content(c, keep, "old", 3))
		goto out;

	berth_batch_op ex[] = {op_put(a, "A", 1), op_move(keep, dst),
			       op_expect(dst, NULL)};
	CT_WANT(c, batch(c, ex, 3), BERTH_E_CONFLICT,
		"batch [put, move, expect the moved-to path absent]");
	if (ct_expect_absent(c, a) || ct_expect_absent(c, dst))
		goto out;
	ct_expect_content(c, keep, "old", 3);
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

/* Ops take effect in order, each seeing the ones before it. */
static int c_batch_order(ct_ctx *c)
{
	NEED(c, BERTH_CAP_BATCH);
	char *x = ct_path(c, "/x"), *y = ct_path(c, "/d/y"), *z = ct_path(c, "/z");
	berth_batch_op ops[] = {op_put(x, "1", 1), op_move(x, y), op_put(x, "22", 2),
				op_put(z, "z", 1), op_remove(z), op_expect(z, NULL)};
	CT_OK(c, batch(c, ops, 6),
	      "batch [put x, move x to y, put x, put z, remove z, expect z absent]");
	if (ct_expect_content(c, y, "1", 1) || ct_expect_content(c, x, "22", 2))
		goto out;
	ct_expect_absent(c, z);
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

/* EXPECT with no version: the path is neither an object nor a
   directory. */
static int c_batch_expect_absent(ct_ctx *c)
{
	NEED(c, BERTH_CAP_BATCH);
	char *n = ct_path(c, "/n"), *f = ct_path(c, "/d/f"), *d = ct_path(c, "/d");
	berth_batch_op create[] = {op_expect(n, NULL), op_put(n, "1", 1)};
	CT_OK(c, batch(c, create, 2), "batch [expect absent, put] on a new path");
	if (ct_expect_content(c, n, "1", 1))
		goto out;
	berth_batch_op again[] = {op_expect(n, NULL), op_put(n, "2", 1)};
	CT_WANT(c, batch(c, again, 2), BERTH_E_CONFLICT,
		"batch [expect absent, put] on an existing object");
	if (ct_expect_content(c, n, "1", 1))
		goto out;
	CT_OK(c, c->d->put_content(c->in, f, "f", 1), ct_fmt(c, "put_content(%s)", f));
	berth_batch_op dir[] = {op_expect(d, NULL), op_remove(f)};
	CT_WANT(c, batch(c, dir, 2), BERTH_E_CONFLICT,
		"batch [expect absent, remove] on a directory");
	ct_expect_content(c, f, "f", 1);
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

/* EXPECT with a version: the object's stat_version, exactly.  Without
   BERTH_CAP_STAT_VERSION such an op is UNSUPPORTED. */
static int c_batch_expect_version(ct_ctx *c)
{
	NEED(c, BERTH_CAP_BATCH);
	char *v = ct_path(c, "/v"), *missing = ct_path(c, "/missing");
	char *f = ct_path(c, "/d/f"), *d = ct_path(c, "/d");
	char v1[BERTH_VERSION_MAX], v2[BERTH_VERSION_MAX];
	CT_OK(c, c->d->put_content(c->in, v, "1", 1), ct_fmt(c, "put_content(%s)", v));
	if (!(c->d->capabilities & BERTH_CAP_STAT_VERSION)) {
		berth_batch_op ops[] = {op_expect(v, "1"), op_put(v, "2", 1)};
		CT_WANT(c, batch(c, ops, 2), BERTH_E_UNSUPPORTED,
			"batch with a versioned expect, without BERTH_CAP_STAT_VERSION");
		ct_expect_content(c, v, "1", 1);
		ct_note(c, "no STAT_VERSION: UNSUPPORTED");
		goto out;
	}
	if (version_of(c, c->in, v, v1))
		goto out;
	berth_batch_op ok[] = {op_expect(v, v1), op_put(v, "2", 1)};
	CT_OK(c, batch(c, ok, 2), "batch [expect the current version, put]");
	if (ct_expect_content(c, v, "2", 1) || version_of(c, c->in, v, v2))
		goto out;
	CT_FAILIF(c, !strcmp(v1, v2), "stat_version(%s) is \"%s\" before and "
		  "after a batch replaced it", v, v1);
	berth_batch_op stale[] = {op_expect(v, v1), op_put(v, "3", 1)};
	CT_WANT(c, batch(c, stale, 2), BERTH_E_CONFLICT,
		"batch [expect a version replaced since, put]");
	if (ct_expect_content(c, v, "2", 1))
		goto out;
	berth_batch_op gone[] = {op_expect(missing, v2), op_put(v, "4", 1)};
	CT_WANT(c, batch(c, gone, 2), BERTH_E_CONFLICT,
		"batch [expect a version of a missing path, put]");
	if (ct_expect_content(c, v, "2", 1))
		goto out;
	CT_OK(c, c->d->put_content(c->in, f, "f", 1), ct_fmt(c, "put_content(%s)", f));
	berth_batch_op dir[] = {op_expect(d, ""), op_put(v, "5", 1)};
	CT_WANT(c, batch(c, dir, 2), BERTH_E_CONFLICT,
		"batch [expect version \"\" of a directory (not an object), put]");
	ct_expect_content(c, v, "2", 1);
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

/* A failing EXPECT is CONFLICT and applies nothing, wherever it is. */
static int c_batch_conflict(ct_ctx *c)
{
	NEED(c, BERTH_CAP_BATCH);
	char *a = ct_path(c, "/a"), *b = ct_path(c, "/b");
	int versions = (c->d->capabilities & BERTH_CAP_STAT_VERSION) != 0;
	char v1[BERTH_VERSION_MAX] = "", v2[BERTH_VERSION_MAX] = "";
	CT_OK(c, c->d->put_content(c->in, b, "old", 3), ct_fmt(c, "put_content(%s)", b));
	if (versions && version_of(c, c->in, b, v1))
		goto out;
	berth_batch_op last[] = {op_put(a, "A", 1), op_put(b, "new", 3),
				 op_expect(b, NULL)};
	CT_WANT(c, batch(c, last, 3), BERTH_E_CONFLICT,
		"batch [put, put, expect absent of the path just put]");
	if (ct_expect_absent(c, a) || ct_expect_content(c, b, "old", 3))
		goto out;
	berth_batch_op first[] = {op_expect(b, NULL), op_put(a, "A", 1),
				  op_remove(b)};
	CT_WANT(c, batch(c, first, 3), BERTH_E_CONFLICT,
		"batch [expect absent of an object, put, remove]");
	if (ct_expect_absent(c, a) || ct_expect_content(c, b, "old", 3))
		goto out;
	if (versions) {
		if (version_of(c, c->in, b, v2))
			goto out;
		CT_FAILIF(c, strcmp(v1, v2), "stat_version(%s) changed from \"%s\" "
			  "to \"%s\" though no batch applied", b, v1, v2);
	}
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

/* Bad shapes: INVALID_ARGUMENT, nothing applied; 64 ops are fine. */
static int c_batch_invalid(ct_ctx *c)
{
	NEED(c, BERTH_CAP_BATCH);
	berth_batch_op *ops = ct_alloc(c, (BATCH_MAX + 1) * sizeof *ops);
	char **paths = ct_alloc(c, (BATCH_MAX + 1) * sizeof *paths);
	for (int i = 0; i <= BATCH_MAX; i++) {
		paths[i] = ct_path(c, ct_fmt(c, "/p%02d", i));
		ops[i] = op_put(paths[i], "x", 1);
	}
	CT_WANT(c, batch(c, ops, 0), BERTH_E_INVALID_ARGUMENT, "batch of 0 ops");
	CT_WANT(c, batch(c, ops, BATCH_MAX + 1), BERTH_E_INVALID_ARGUMENT,
		"batch of 65 ops");
	if (ct_expect_absent(c, paths[0]) || ct_expect_absent(c, paths[BATCH_MAX]))
		goto out;
	berth_batch_op kind[] = {op_put(paths[0], "x", 1), op_put(paths[1], "y", 1)};
	kind[1].kind = 99;
	CT_WANT(c, batch(c, kind, 2), BERTH_E_INVALID_ARGUMENT,
		"batch [put, an op of kind 99]");
	if (ct_expect_absent(c, paths[0]))
		goto out;
	berth_batch_op res[] = {op_put(paths[0], "x", 1), op_put(paths[1], "y", 1)};
	res[1].reserved = 1;
	CT_WANT(c, batch(c, res, 2), BERTH_E_INVALID_ARGUMENT,
		"batch [put, a put with reserved = 1]");
	if (ct_expect_absent(c, paths[0]) || ct_expect_absent(c, paths[1]))
		goto out;
	CT_OK(c, batch(c, ops, BATCH_MAX), "batch of 64 puts");
	if (ct_expect_content(c, paths[0], "x", 1) ||
	    ct_expect_content(c, paths[BATCH_MAX - 1], "x", 1))
		goto out;
	ct_expect_absent(c, paths[BATCH_MAX]);
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

/* ---- batch under concurrent load ---- */

enum { CB_PATHS = 3 };

struct cb_shared {
	ct_ctx *c;
	char *paths[CB_PATHS];
	pthread_mutex_t order; /* phase 2: batches applied in counter order */
	uint64_t counter;
	int serial;            /* phase 2 when set */
	int rounds;
	volatile int writers_left;
};

struct cb_worker {
	struct cb_shared *s;
	int id;
};

/* One batch writing `value` to every path; odd values list the paths
   backwards, so a driver applying ops in either order shows a half
   batch to readers who read the paths in one order. */
static int cb_write(struct cb_shared *s, uint64_t value)
{
	char buf[CB_PATHS][24];
	berth_batch_op ops[CB_PATHS];
	for (int i = 0; i < CB_PATHS; i++) {
		int k = value & 1 ? CB_PATHS - 1 - i : i;
		snprintf(buf[i], sizeof buf[i], "%020llu", (unsigned long long)value);
		ops[i] = op_put(s->paths[k], buf[i], 20);
	}
	return s->c->d->batch(s->c->in, ops, CB_PATHS);
}

static void *cb_writer(void *arg)
{
	struct cb_worker *w = arg;
	struct cb_shared *s = w->s;
	ct_ctx *c = s->c;
	for (int r = 0; r < s->rounds && !c->failed; r++) {
		int rc;
		if (s->serial) {
			pthread_mutex_lock(&s->order);
			rc = cb_write(s, ++s->counter);
			pthread_mutex_unlock(&s->order);
		} else {
			rc = cb_write(s, (uint64_t)w->id * 1000000 + (uint64_t)r);
		}
		if (rc != BERTH_OK) {
			ct_fail(c, "writer %d: batch of %d puts: %s (%s)", w->id,
				CB_PATHS, ct_status_name(rc), ct_detail());
			break;
		}
	}
	__atomic_sub_fetch(&s->writers_left, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

/* The value at `path`, or -1 after recording a failure. */
static long long cb_read(struct cb_shared *s, const char *path)
{
	ct_ctx *c = s->c;
	char *buf = NULL;
	size_t len = 0;
	int rc = c->d->get_content(c->in, path, &buf, &len);
	if (rc != BERTH_OK) {
		ct_fail(c, "reader: get_content(%s): %s (%s)", path,
			ct_status_name(rc), ct_detail());
		return -1;
	}
	long long v = -1;
	if (len == 20) {
		char tmp[21];
		memcpy(tmp, buf, 20);
		tmp[20] = 0;
		v = strtoll(tmp, NULL, 10);
	}
	c->host->free(buf);
	if (v < 0)
		ct_fail(c, "reader: get_content(%s): %zu bytes, not one whole value "
			"a batch wrote", path, len);
	return v;
}

/* Phase 2: values only grow, in batch order, so reading the paths in
   order must never find a later one older than an earlier one. */
static void *cb_reader(void *arg)
{
	struct cb_worker *w = arg;
	struct cb_shared *s = w->s;
	ct_ctx *c = s->c;
	while (__atomic_load_n(&s->writers_left, __ATOMIC_SEQ_CST) > 0 && !c->failed) {
		long long prev = -1;
		for (int i = 0; i < CB_PATHS; i++) {
			long long v = cb_read(s, s->paths[i]);
			if (v < 0)
				return NULL;
			if (s->serial && v < prev) {
				ct_fail(c, "reader: %s holds batch %lld after %s held "
					"batch %lld: a half-applied batch was visible",
					s->paths[i], v, s->paths[i - 1], prev);
				return NULL;
			}
			prev = v;
		}
	}
	return NULL;
}

static void cb_run(ct_ctx *c, struct cb_shared *s)
{
	struct cb_worker w[4];
	pthread_t t[4];
	int started = 0;
	s->writers_left = 2;
	for (int i = 0; i < 4; i++) {
		w[i] = (struct cb_worker){s, i + 1};
		if (pthread_create(&t[i], NULL, i < 2 ? cb_writer : cb_reader, &w[i])) {
			ct_fail(c, "pthread_create failed");
			if (i < 2)
				s->writers_left -= 2 - i;
			break;
		}
		started++;
	}
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
}

/* Two threads batching on the same paths while two read them: readers
   never see half a batch, and what is left is one whole batch. */
static int c_batch_concurrent(ct_ctx *c)
{
	NEED(c, BERTH_CAP_BATCH);
	struct cb_shared s = {.c = c, .order = PTHREAD_MUTEX_INITIALIZER,
			      .rounds = c->short_mode ? 150 : 600};
	for (int i = 0; i < CB_PATHS; i++)
		s.paths[i] = ct_path(c, ct_fmt(c, "/p%d", i));
	CT_OK(c, cb_write(&s, 0), "the first batch");
	/* Phase 1: batches race each other; the end is one whole batch. */
	cb_run(c, &s);
	CT_BAIL(c);
	long long first = cb_read(&s, s.paths[0]);
	for (int i = 1; i < CB_PATHS && first >= 0; i++) {
		long long v = cb_read(&s, s.paths[i]);
		CT_FAILIF(c, v >= 0 && v != first, "after racing batches %s holds "
			  "batch %lld, %s batch %lld: not one whole batch",
			  s.paths[0], first, s.paths[i], v);
	}
	CT_BAIL(c);
	/* Phase 2: batches in a known order under readers. */
	s.serial = 1;
	CT_OK(c, cb_write(&s, 0), "the batch starting the ordered phase");
	cb_run(c, &s);
	ct_note(c, "%d batches", 4 * s.rounds);
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

/* ---- stat_version ---- */

static int same_version(ct_ctx *c, const char *path, const char *before,
			const char *how)
{
	char now[BERTH_VERSION_MAX];
	if (version_of(c, c->in, path, now))
		return -1;
	if (!strcmp(before, now)) {
		ct_fail(c, "stat_version(%s) stayed \"%s\" when %s", path, now, how);
		return -1;
	}
	return 0;
}

static int c_stat_version(ct_ctx *c)
{
	NEED(c, BERTH_CAP_STAT_VERSION);
	char *o = ct_path(c, "/o"), *p = ct_path(c, "/p");
	char v[BERTH_VERSION_MAX], again[BERTH_VERSION_MAX];
	berth_stat_info st, plain;
	berth_instance *in2 = NULL;
	CT_OK(c, c->d->put_content(c->in, o, "same", 4), ct_fmt(c, "put_content(%s)", o));
	if (version_of(c, c->in, o, v) || version_of(c, c->in, o, again))
		goto out;
	CT_FAILIF(c, strcmp(v, again), "stat_version(%s) changed from \"%s\" to "
		  "\"%s\" with nothing written", o, v, again);
	CT_OK(c, c->d->stat_version(c->in, o, &st, again), ct_fmt(c, "stat_version(%s)", o));
	CT_OK(c, c->d->stat(c->in, o, &plain), ct_fmt(c, "stat(%s)", o));
	CT_FAILIF(c, st.size != 4 || st.is_dir || st.size != plain.size,
		  "stat_version(%s): size %llu is_dir %d, stat says size %llu",
		  o, (unsigned long long)st.size, st.is_dir,
		  (unsigned long long)plain.size);

	CT_OK(c, c->d->put_content(c->in, o, "same", 4),
	      ct_fmt(c, "put_content(%s) with the same bytes", o));
	if (same_version(c, o, v, "put_content replaced it by the same bytes") ||
	    version_of(c, c->in, o, v))
		goto out;
	if (ct_write(c, c->in, o, 0, "same", 4, 4, 1) ||
	    same_version(c, o, v, "a writer committed the same bytes") ||
	    version_of(c, c->in, o, v))
		goto out;
	CT_OK(c, c->d->put_content(c->in, p, "same", 4), ct_fmt(c, "put_content(%s)", p));
	CT_OK(c, c->d->move(c->in, p, o), ct_fmt(c, "move(%s, %s)", p, o));
	if (same_version(c, o, v, "move put the same bytes onto it") ||
	    version_of(c, c->in, o, v))
		goto out;
	if (c->d->capabilities & BERTH_CAP_BATCH) {
		berth_batch_op put = op_put(o, "same", 4);
		CT_OK(c, batch(c, &put, 1), ct_fmt(c, "batch [put %s]", o));
		if (same_version(c, o, v, "a batch put the same bytes") ||
		    version_of(c, c->in, o, v))
			goto out;
	}
	/* A directory's version is "", a missing path NOT_FOUND. */
	CT_OK(c, c->d->stat_version(c->in, c->dir, &st, again),
	      ct_fmt(c, "stat_version(%s) of a directory", c->dir));
	CT_FAILIF(c, !st.is_dir || again[0], "stat_version(%s) of a directory: "
		  "is_dir %d, version \"%s\", want a directory with \"\"",
		  c->dir, st.is_dir, again);
	CT_WANT(c, c->d->stat_version(c->in, ct_path(c, "/missing"), &st, again),
		BERTH_E_NOT_FOUND, "stat_version of a missing path");

	/* The same on every instance of one backend, where a second
	   instance with these options can be made. */
	ct_clear_detail();
	int rc = ct_create(c, &in2);
	if (rc != BERTH_OK) {
		ct_note(c, "no second instance (%s): not compared across instances",
			ct_status_name(rc));
		in2 = NULL;
		goto out;
	}
	if (version_of(c, in2, o, again))
		goto out;
	CT_FAILIF(c, strcmp(v, again), "stat_version(%s) is \"%s\" on one instance "
		  "and \"%s\" on another of the same backend", o, v, again);
	ct_note(c, "same on two instances");
out:
	if (in2)
		c->d->destroy(in2);
	ct_rm(c, c->dir);
	return ct_result(c);
}

/* ---- writer_flush ---- */

/* Flushed bytes survive a process that dies without writer_close, where
   the backend outlives the process at all (a committed probe object
   tells; inmemory's does not). */
static void flush_crash(ct_ctx *c)
{
	char *p = ct_path(c, "/crash"), *probe = ct_path(c, "/probe");
	size_t flushed = 150000, extra = 20000, len = flushed + extra;
	unsigned char *data = ct_random_data(c, len);
	berth_writer *w = NULL;
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		ct_fail(c, "fork failed");
		return;
	}
	if (pid == 0) {
		berth_instance *in = NULL;
		berth_writer *cw = NULL;
		if (c->d->create(&in, c->host, c->cfg) != BERTH_OK ||
		    c->d->put_content(in, probe, "p", 1) != BERTH_OK ||
		    c->d->writer_open(&cw, in, p, 0) != BERTH_OK)
			_exit(3);
		for (size_t off = 0; off < flushed; off += 10000)
			if (c->d->writer_write(cw, data + off, 10000))
				_exit(4);
		if (c->d->writer_flush(cw) != BERTH_OK)
			_exit(5);
		if (c->d->writer_write(cw, data + flushed, extra))
			_exit(4);
		_exit(0); /* no writer_close, no destroy: a crash */
	}
	int status = 0;
	waitpid(pid, &status, 0);
	CT_FAILIF(c, !WIFEXITED(status) || WEXITSTATUS(status),
		  "the child process writing and flushing %s failed (status 0x%x)",
		  p, status);
	berth_stat_info st;
	if (c->d->stat(c->in, probe, &st) == BERTH_E_NOT_FOUND) {
		ct_note(c, "the backend does not outlive the process: no crash check");
		goto out;
	}
	CT_OK(c, c->d->writer_open(&w, c->in, p, 1),
	      ct_fmt(c, "writer_open(%s, append=1) after the crash", p));
	uint64_t n = c->d->writer_size(w);
	ct_note(c, "%llu of %zu bytes survived the crash (%zu flushed)",
		(unsigned long long)n, len, flushed);
	CT_FAILIF(c, n < flushed || n > len, "writer_size %llu after a crash, want "
		  "at least the %zu flushed bytes and at most the %zu written",
		  (unsigned long long)n, flushed, len);
	CT_OK(c, c->d->writer_commit(w), ct_fmt(c, "writer_commit(%s)", p));
	c->d->writer_close(w);
	w = NULL;
	char *got = NULL;
	size_t glen = 0;
	CT_OK(c, ct_get(c, p, &got, &glen), ct_fmt(c, "get_content(%s)", p));
	CT_FAILIF(c, glen != n || memcmp(got, data, glen),
		  "after the crash the continued data is not what was written");
out:
	if (w) {
		c->d->writer_cancel(w);
		c->d->writer_close(w);
	}
	ct_cancel_writer(c, p);
}

static int c_writer_flush(ct_ctx *c)
{
	NEED(c, BERTH_CAP_WRITER_FLUSH);
	char *p = ct_path(c, "/w");
	size_t first = 100000, len = first + 5000;
	unsigned char *data = ct_random_data(c, len);
	berth_writer *w = NULL;
	CT_OK(c, c->d->writer_open(&w, c->in, p, 0), ct_fmt(c, "writer_open(%s)", p));
	for (size_t off = 0; off < first; off += 25000)
		CT_OK(c, c->d->writer_write(w, data + off, 25000), "writer_write");
	CT_OK(c, c->d->writer_flush(w), "writer_flush");
	CT_FAILIF(c, c->d->writer_size(w) != first, "writer_size after "
		  "writer_flush: %llu, want %zu",
		  (unsigned long long)c->d->writer_size(w), first);
	if (ct_expect_absent(c, p))
		goto out; /* flushed data stays invisible */
	CT_OK(c, c->d->writer_write(w, data + first, len - first), "writer_write");
	CT_OK(c, c->d->writer_flush(w), "writer_flush a second time");
	CT_FAILIF(c, c->d->writer_size(w) != len, "writer_size after the second "
		  "writer_flush: %llu, want %zu",
		  (unsigned long long)c->d->writer_size(w), len);
	CT_OK(c, c->d->writer_close(w), "writer_close without commit after flushes");
	w = NULL;
	CT_OK(c, c->d->writer_open(&w, c->in, p, 1),
	      ct_fmt(c, "writer_open(%s, append=1)", p));
	CT_FAILIF(c, c->d->writer_size(w) != len, "a writer continuing flushed "
		  "data: writer_size %llu, want all %zu flushed bytes",
		  (unsigned long long)c->d->writer_size(w), len);
	CT_OK(c, c->d->writer_commit(w), "writer_commit");
	c->d->writer_close(w);
	w = NULL;
	if (ct_expect_content(c, p, data, len))
		goto out;
	flush_crash(c);
out:
	if (w) {
		c->d->writer_cancel(w);
		c->d->writer_close(w);
	}
	ct_cancel_writer(c, p);
	ct_rm(c, c->dir);
	return ct_result(c);
}

/* ---- maintain ---- */

enum { MT_OBJECTS = 8, MT_SIZE = 20000 };

struct mt_shared {
	ct_ctx *c;
	char *objs[MT_OBJECTS];
	unsigned char *data; /* MT_OBJECTS * MT_SIZE */
	volatile int stop;
};

struct mt_worker {
	struct mt_shared *s;
	int id;
	char path[512];
	unsigned char buf[4096];
};

/* Read back every committed object: maintain must change none. */
static void *mt_reader(void *arg)
{
	struct mt_worker *w = arg;
	struct mt_shared *s = w->s;
	ct_ctx *c = s->c;
	while (!s->stop && !c->failed) {
		for (int i = 0; i < MT_OBJECTS; i++) {
			char *buf = NULL;
			size_t len = 0;
			int rc = c->d->get_content(c->in, s->objs[i], &buf, &len);
			if (rc != BERTH_OK) {
				ct_fail(c, "reader during maintain: get_content(%s): %s (%s)",
					s->objs[i], ct_status_name(rc), ct_detail());
				return NULL;
			}
			int same = len == MT_SIZE &&
				   !memcmp(buf, s->data + (size_t)i * MT_SIZE, MT_SIZE);
			c->host->free(buf);
			if (!same) {
				ct_fail(c, "reader during maintain: %s changed (%zu bytes)",
					s->objs[i], len);
				return NULL;
			}
		}
	}
	return NULL;
}

/* Write in two sessions (close without commit between), commit, check,
   remove: maintain must lose no writer data. */
static void *mt_writer(void *arg)
{
	struct mt_worker *w = arg;
	struct mt_shared *s = w->s;
	ct_ctx *c = s->c;
	const unsigned char *d = s->data + (size_t)w->id * 1000;
	for (int round = 0; !s->stop && !c->failed; round++) {
		berth_writer *wr = NULL;
		int rc = c->d->writer_open(&wr, c->in, w->path, 0);
		if (rc == BERTH_OK)
			rc = c->d->writer_write(wr, d, 3000);
		if (wr && c->d->writer_close(wr) != BERTH_OK && rc == BERTH_OK)
			rc = BERTH_E_IO;
		wr = NULL;
		if (rc == BERTH_OK)
			rc = c->d->writer_open(&wr, c->in, w->path, 1);
		if (rc == BERTH_OK && c->d->writer_size(wr) != 3000) {
			ct_fail(c, "writer %d during maintain: writer_size %llu after "
				"reopening, want 3000: uncommitted data was lost", w->id,
				(unsigned long long)c->d->writer_size(wr));
			c->d->writer_cancel(wr);
			c->d->writer_close(wr);
			return NULL;
		}
		if (rc == BERTH_OK)
			rc = c->d->writer_write(wr, d + 3000, 2000);
		if (rc == BERTH_OK)
			rc = c->d->writer_commit(wr);
		if (wr)
			c->d->writer_close(wr);
		char *buf = NULL;
		size_t len = 0;
		if (rc == BERTH_OK)
			rc = c->d->get_content(c->in, w->path, &buf, &len);
		if (rc != BERTH_OK) {
			ct_fail(c, "writer %d during maintain, round %d: %s (%s)", w->id,
				round, ct_status_name(rc), ct_detail());
			return NULL;
		}
		int same = len == 5000 && !memcmp(buf, d, 5000);
		c->host->free(buf);
		if (!same) {
			ct_fail(c, "writer %d during maintain: %s holds %zu bytes, not "
				"the 5000 written", w->id, w->path, len);
			return NULL;
		}
		rc = c->d->remove(c->in, w->path);
		if (rc != BERTH_OK) {
			ct_fail(c, "writer %d during maintain: remove(%s): %s", w->id,
				w->path, ct_status_name(rc));
			return NULL;
		}
	}
	return NULL;
}

/* maintain called until it reports a tidy store; -1 on failure. */
static int mt_settle(ct_ctx *c, int *calls)
{
	int64_t until = ct_now_ms() + 20000;
	for (*calls = 0; ct_now_ms() < until; ++*calls) {
		int more = -1;
		ct_clear_detail();
		int rc = c->d->maintain(c->in, 2000000, &more);
		if (rc != BERTH_OK) {
			ct_fail_rc(c, rc, BERTH_OK, "maintain with nothing else running");
			return -1;
		}
		if (more != 0 && more != 1) {
			ct_fail(c, "maintain set *out_more to %d, want 0 or 1", more);
			return -1;
		}
		if (!more)
			return 0;
	}
	ct_fail(c, "maintain still reports work left (*out_more = 1) after %d "
		"calls over 20 s with nothing else running", *calls);
	return -1;
}

static int c_maintain(ct_ctx *c)
{
	NEED(c, BERTH_CAP_MAINTAIN);
	struct mt_shared s = {.c = c};
	struct mt_worker *w = ct_alloc(c, 3 * sizeof *w);
	pthread_t t[3];
	int started = 0, calls = 0;
	char *pend = ct_path(c, "/pending");
	size_t plen = 30000;
	unsigned char *pdata = ct_random_data(c, plen);
	s.data = ct_random_data(c, (size_t)MT_OBJECTS * MT_SIZE);
	for (int i = 0; i < MT_OBJECTS; i++) {
		s.objs[i] = ct_path(c, ct_fmt(c, "/o%d", i));
		CT_OK(c, c->d->put_content(c->in, s.objs[i], s.data + (size_t)i * MT_SIZE,
					   MT_SIZE),
		      ct_fmt(c, "put_content(%s)", s.objs[i]));
	}
	/* Data a writer left uncommitted, and a removed object's. */
	if (ct_write(c, c->in, pend, 0, pdata, plen, 7000, 0) ||
	    ct_write(c, c->in, s.objs[0], 1, "tail", 4, 4, 0))
		goto out;
	CT_OK(c, c->d->remove(c->in, s.objs[0]), ct_fmt(c, "remove(%s)", s.objs[0]));
	CT_OK(c, c->d->put_content(c->in, s.objs[0], s.data, MT_SIZE),
	      ct_fmt(c, "put_content(%s)", s.objs[0]));

	for (int i = 0; i < 3; i++) {
		w[i].s = &s;
		w[i].id = i;
		snprintf(w[i].path, sizeof w[i].path, "%s/t%d", c->dir, i);
		if (pthread_create(&t[i], NULL, i ? mt_writer : mt_reader, &w[i])) {
			ct_fail(c, "pthread_create failed");
			break;
		}
		started++;
	}
	int64_t until = ct_now_ms() + (c->short_mode ? 600 : 2000);
	while (ct_now_ms() < until && !c->failed) {
		int more = -1;
		int rc = c->d->maintain(c->in, 1000000, &more);
		if (rc != BERTH_OK) {
			ct_fail(c, "maintain while others read and write: %s (%s)",
				ct_status_name(rc), ct_detail());
			break;
		}
		calls++;
	}
	s.stop = 1;
	for (int i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	CT_BAIL(c);
	int settle = 0;
	if (mt_settle(c, &settle))
		goto out;
	ct_note(c, "%d calls under load, tidy after %d more", calls, settle + 1);
	for (int i = 0; i < MT_OBJECTS; i++)
		if (ct_expect_content(c, s.objs[i], s.data + (size_t)i * MT_SIZE, MT_SIZE))
			goto out;
	berth_writer *pw = NULL;
	CT_OK(c, c->d->writer_open(&pw, c->in, pend, 1),
	      ct_fmt(c, "writer_open(%s, append=1) after maintain", pend));
	uint64_t n = c->d->writer_size(pw);
	int rc = n == plen ? c->d->writer_commit(pw) : BERTH_OK;
	if (n != plen)
		c->d->writer_cancel(pw);
	c->d->writer_close(pw);
	CT_FAILIF(c, n != plen, "uncommitted data of %s: %llu bytes after "
		  "maintain, want %zu", pend, (unsigned long long)n, plen);
	CT_OK(c, rc, ct_fmt(c, "writer_commit(%s)", pend));
	ct_expect_content(c, pend, pdata, plen);
out:
	ct_cancel_writer(c, pend);
	ct_cancel_writer(c, s.objs[0] ? s.objs[0] : pend);
	ct_rm(c, c->dir);
	return ct_result(c);
}

/* ---- writer_open_hinted ---- */

/* Open with `hints`, write `len` bytes of `data`, commit when `commit`
   (else close without); returns the commit's status, or HINT_FAILED
   when something else failed (recorded). */
#define HINT_FAILED 1

static int hinted_write(ct_ctx *c, const char *path, int append,
			const berth_writer_hints *h, const void *data,
			size_t len, int commit, uint64_t *size_after)
{
	berth_writer *w = NULL;
	ct_clear_detail();
	int rc = c->d->writer_open_hinted(&w, c->in, path, append, h);
	if (rc != BERTH_OK) {
		ct_fail_rc(c, rc, BERTH_OK, ct_fmt(c, "writer_open_hinted(%s, append=%d)",
						     path, append));
		return HINT_FAILED;
	}
	const unsigned char *p = data;
	for (size_t off = 0; off < len && rc == BERTH_OK; off += 16384)
		rc = c->d->writer_write(w, p + off, len - off < 16384 ? len - off : 16384);
	if (rc != BERTH_OK) {
		ct_fail_rc(c, rc, BERTH_OK, ct_fmt(c, "writer_write(%s) of a hinted writer",
						     path));
		c->d->writer_cancel(w);
		c->d->writer_close(w);
		return HINT_FAILED;
	}
	if (size_after)
		*size_after = c->d->writer_size(w);
	ct_clear_detail();
	rc = commit ? c->d->writer_commit(w) : BERTH_OK;
	if (rc != BERTH_OK)
		c->d->writer_cancel(w);
	c->d->writer_close(w);
	return rc;
}

/* A wrong hint: commit refuses with INVALID_ARGUMENT leaving nothing
   visible, or succeeds with exactly the bytes written. */
static void wrong_hint(ct_ctx *c, const char *path, const berth_writer_hints *h,
		       const unsigned char *data, size_t len, const char *what)
{
	int rc = hinted_write(c, path, 0, h, data, len, 1, NULL);
	if (rc == HINT_FAILED)
		return;
	if (rc == BERTH_OK) {
		ct_note(c, "%s%s: accepted", c->note[0] ? "; " : "", what);
		if (ct_expect_content(c, path, data, len) == 0)
			ct_rm(c, path);
		return;
	}
	if (rc != BERTH_E_INVALID_ARGUMENT) {
		ct_fail(c, "commit of a writer with %s: %s (%s), want OK or "
			"INVALID_ARGUMENT", what, ct_status_name(rc), ct_detail());
		return;
	}
	ct_note(c, "%s%s: refused", c->note[0] ? "; " : "", what);
	ct_expect_absent(c, path);
}

static int c_writer_hints(ct_ctx *c)
{
	NEED(c, BERTH_CAP_WRITER_HINTS);
	char *p = ct_path(c, "/h"), *q = ct_path(c, "/q"), *r = ct_path(c, "/r");
	size_t len = 70000, half = 30000;
	unsigned char *data = ct_random_data(c, len);
	char hex[65];
	CT_OK(c, berth_sdk_sha256_hex(data, len, hex), "sha256 of the test data");
	char *digest = ct_fmt(c, "sha256:%s", hex);
	berth_writer_hints h = {sizeof h, 0, digest, len};
	uint64_t size = 0;

	CT_OK(c, hinted_write(c, p, 0, &h, data, len, 1, NULL),
	      "commit of a writer with the right digest and size hinted");
	if (ct_expect_content(c, p, data, len))
		goto out;
	/* Hints describe the whole object, across sessions. */
	CT_OK(c, hinted_write(c, q, 0, &h, data, half, 0, NULL),
	      "close of a hinted writer without commit");
	CT_OK(c, hinted_write(c, q, 1, &h, data + half, len - half, 1, &size),
	      "commit of a hinted writer continuing an earlier session");
	CT_FAILIF(c, size != len, "a hinted writer continuing %zu bytes: "
		  "writer_size %llu after the rest, want %zu", half,
		  (unsigned long long)size, len);
	if (ct_expect_content(c, q, data, len))
		goto out;
	/* NULL hints: exactly writer_open. */
	CT_OK(c, hinted_write(c, r, 0, NULL, "abc", 3, 0, NULL),
	      "close of a writer opened with NULL hints");
	CT_OK(c, hinted_write(c, r, 1, NULL, "def", 3, 1, &size),
	      "commit of a writer opened with NULL hints, append=1");
	CT_FAILIF(c, size != 6, "NULL hints, append=1: writer_size %llu, want 6 "
		  "(the 3 bytes of the earlier session and 3 more)",
		  (unsigned long long)size);
	if (ct_expect_content(c, r, "abcdef", 6))
		goto out;
	/* A caller of an older header: members beyond struct_size are not
	   read (here a wrong size). */
	berth_writer_hints old = {offsetof(berth_writer_hints, size), 0, digest, 1};
	CT_OK(c, hinted_write(c, r, 0, &old, data, len, 1, NULL),
	      "commit with hints whose struct_size ends before `size`");
	if (ct_expect_content(c, r, data, len))
		goto out;
	/* Wrong hints: refused whole, or accepted whole. */
	ct_rm(c, r);
	berth_writer_hints big = {sizeof big, 0, NULL, len + 1};
	wrong_hint(c, r, &big, data, len, "a size hint 1 byte too large");
	CT_BAIL(c);
	berth_writer_hints bad = {sizeof bad, 0,
				  "sha256:0000000000000000000000000000000000000000"
				  "000000000000000000000000", len};
	wrong_hint(c, r, &bad, data, len, "a wrong sha256 digest hinted");
out:
	ct_cancel_writer(c, q);
	ct_cancel_writer(c, r);
	ct_rm(c, c->dir);
	return ct_result(c);
}

/* ---- validate_config ---- */

/* Remove `dir` and what a misbehaving driver made in it (two levels). */
static void rm_tmp(const char *dir, const char *made)
{
	char sub[4200];
	snprintf(sub, sizeof sub, "%s/sub", made);
	rmdir(sub);
	unlink(sub);
	rmdir(made);
	unlink(made);
	rmdir(dir);
}

/* Options whose value is an absolute path point at a directory that does
   not exist; validate_config must not create it (whatever it answers). */
static void no_side_effects(ct_ctx *c)
{
	size_t n = c->cfg->count;
	for (size_t i = 0; i < n && !c->failed; i++) {
		const berth_config_item *it = &c->cfg->items[i];
		if (it->value[0] != '/')
			continue;
		char tmpl[] = "/tmp/berth-conformance-XXXXXX";
		char *dir = mkdtemp(tmpl);
		if (!dir) {
			ct_fail(c, "mkdtemp failed: %s", strerror(errno));
			return;
		}
		char *fresh = ct_fmt(c, "%s/never-created", dir);
		char *value = ct_fmt(c, "%s/sub", fresh);
		berth_config_item *items = ct_alloc(c, n * sizeof *items);
		memcpy(items, c->cfg->items, n * sizeof *items);
		items[i].value = value;
		berth_config cfg = {n, items};
		ct_clear_detail();
		int rc = c->d->validate_config(c->host, &cfg);
		ct_note(c, "%s%s=<missing directory>: %s", c->note[0] ? "; " : "",
			it->key, ct_status_name(rc));
		struct stat st;
		int made = lstat(fresh, &st) == 0;
		rm_tmp(dir, fresh);
		if (made)
			ct_fail(c, "validate_config created %s (option %s = %s): it must "
				"have no side effect", fresh, it->key, value);
		else if (rc != BERTH_OK && rc != BERTH_E_CONFIG)
			ct_fail(c, "validate_config with %s = %s: %s (%s), want OK or "
				"CONFIG", it->key, value, ct_status_name(rc), ct_detail());
	}
}

static int c_validate_config(ct_ctx *c)
{
	NEED(c, BERTH_CAP_VALIDATE_CONFIG);
	static const char key[] = "berth-conformance-unknown-key";
	char **before = NULL, **after = NULL;
	size_t nbefore = 0, nafter = 0, n = c->cfg->count;
	CT_OK(c, ct_list(c, c->in, "/", &before, &nbefore), "list(/)");
	CT_OK(c, c->d->validate_config(c->host, c->cfg),
	      "validate_config of the options create accepted");
	berth_config_item *items = ct_alloc(c, (n + 1) * sizeof *items);
	if (n)
		memcpy(items, c->cfg->items, n * sizeof *items);
	items[n].key = key;
	items[n].value = "1";
	berth_config bad = {n + 1, items};
	CT_WANT(c, c->d->validate_config(c->host, &bad), BERTH_E_CONFIG,
		ct_fmt(c, "validate_config with the unknown option \"%s\"", key));
	CT_FAILIF(c, !strstr(ct_detail(), key), "validate_config's message does "
		  "not name the unknown key \"%s\": \"%s\"", key, ct_detail());
	no_side_effects(c);
	CT_BAIL(c);
	CT_OK(c, ct_list(c, c->in, "/", &after, &nafter), "list(/)");
	for (size_t i = 0, j = 0; i < nafter; i++) {
		while (j < nbefore && strcmp(before[j], after[i]) < 0)
			j++;
		CT_FAILIF(c, j == nbefore || strcmp(before[j], after[i]),
			  "%s appeared in the store during validate_config", after[i]);
	}
out:
	return ct_result(c);
}

const ct_case ct_cases_v11[] = {
	{"batch-atomic", c_batch_atomic, 0, 0,
	 "BATCH: a failing op (missing path, EXPECT) leaves the earlier ops unapplied"},
	{"batch-order", c_batch_order, 0, 0,
	 "BATCH: ops apply in order, each seeing the ones before it"},
	{"batch-expect-absent", c_batch_expect_absent, 0, 0,
	 "BATCH: EXPECT without a version holds only where nothing is"},
	{"batch-expect-version", c_batch_expect_version, 0, 0,
	 "BATCH: EXPECT with a version holds only for that stat_version"},
	{"batch-conflict", c_batch_conflict, 0, 0,
	 "BATCH: a failing EXPECT is CONFLICT and nothing changes"},
	{"batch-invalid", c_batch_invalid, 0, 0,
	 "BATCH: 0 or 65 ops, an unknown kind, reserved != 0: INVALID_ARGUMENT"},
	{"batch-concurrent", c_batch_concurrent, 0, 0,
	 "BATCH: racing batches and readers never see half a batch"},
	{"stat-version", c_stat_version, 0, 0,
	 "STAT_VERSION: changes on every replace, even by the same bytes"},
	{"writer-flush", c_writer_flush, 0, 0,
	 "WRITER_FLUSH: flushed bytes are counted and continued, even after a crash"},
	{"maintain", c_maintain, 0, 0,
	 "MAINTAIN: under load changes no object, loses no writer data, ends tidy"},
	{"writer-hints", c_writer_hints, 0, 0,
	 "WRITER_HINTS: right hints commit; wrong ones refuse whole or accept whole"},
	{"validate-config", c_validate_config, 0, 0,
	 "VALIDATE_CONFIG: create's checks, naming the key, without side effects"},
	{NULL, NULL, 0, 0, NULL},
};
