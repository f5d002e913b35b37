/*
 * test_fs_listing.c - the filesystem driver's cache of sorted directory
 * listings, seen through walk: a directory changed behind the driver's
 * back (plain mkdir/rmdir/rename, as another process would) is seen by
 * the next walk, also when the change falls in the same clock tick as the
 * read that was cached, and resumed walks over large directories give
 * exactly the names after start_after.
 *
 * The driver is loaded from its .so (as test_fs_driver.c does) with a
 * host whose wall clock can run ahead: the driver keeps a listing only
 * when the directory's last change is 2 s older than the host's clock, so
 * running the clock an hour ahead makes every large listing cacheable at
 * once, without sleeping -- and exposes the cache to exactly the
 * same-tick changes it must still see when the clock is right.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <berth/storage.h>

#include "fs_driver_fixture.h"
#include "test.h"

#define BIG 300 /* above the driver's threshold for caching a listing */

static _Atomic int64_t clock_ahead_ns;

static void lh_log(const berth_host *h, berth_log_level level,
		   const char *fmt, ...)
{
}

static int lh_error(const berth_host *h, int code, const char *fmt, ...)
{
	return code;
}

static int64_t lh_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec +
	       atomic_load(&clock_ahead_ns);
}

static const berth_host lhost = {
	.struct_size = sizeof(berth_host),
	.abi_minor = BERTH_STORAGE_ABI_MINOR,
	.log = lh_log,
	.error = lh_error,
	.alloc = malloc,
	.free = free,
	.now_ns = lh_now,
};

typedef struct lfx {
	char root[64];
	const berth_storage_driver *d;
	berth_instance *in;
} lfx;

/* "<root>/<rel>" */
static const char *at(lfx *f, const char *rel, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%s", f->root, rel);
	return buf;
}

static int lfx_open(lfx *f, int64_t ahead_ns)
{
	memset(f, 0, sizeof *f);
	atomic_store(&clock_ahead_ns, ahead_ns);
	f->d = test_fs_driver();
	CHECK(f->d != NULL);
	strcpy(f->root, "/tmp/berth-listing-XXXXXX");
	if (!f->d || !mkdtemp(f->root))
		return 0;
	berth_config_item items[] = {{"rootdirectory", f->root}};
	berth_config cfg = {1, items};
	int rc = f->d->create(&f->in, &lhost, &cfg);
	CHECK_EQ_INT(rc, BERTH_OK);
	if (rc) {
		test_rm_tree(f->root);
		return 0;
	}
	return 1;
}

static void lfx_close(lfx *f)
{
	f->d->destroy(f->in);
	test_rm_tree(f->root);
	atomic_store(&clock_ahead_ns, 0);
}

/* Make <root>/<dir>/nNNN for NNN in [0, n) with plain mkdir. */
static void make_big(lfx *f, const char *dir, int n)
{
	char p[256];
	CHECK_EQ_INT(mkdir(at(f, dir, p, sizeof p), 0755), 0);
	for (int i = 0; i < n; i++) {
		snprintf(p, sizeof p, "%s%s/n%03d", f->root, dir, i);
		CHECK_EQ_INT(mkdir(p, 0755), 0);
	}
}

/* The direct children a walk of `dir` reports (never descending), in
   the order reported, after `after` (or all). */
typedef struct names {
	char v[2 * BIG][16];
	int n;
	size_t skip; /* strlen(dir) + 1 */
} names;

static berth_walk_action collect(const char *path, const berth_stat_info *i,
				 void *p)
{
	names *s = p;
	if (s->n < 2 * BIG)
		snprintf(s->v[s->n++], sizeof s->v[0], "%s", path + s->skip);
	return BERTH_WALK_SKIP_DIR;
}

static int walk_names(lfx *f, const char *dir, const char *after, names *s)
{
	memset(s, 0, sizeof *s);
	s->skip = strlen(dir) + 1;
	return f->d->walk(f->in, dir, after, collect, s);
}

static int has(const names *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], name))
			return 1;
	return 0;
}

static int sorted(const names *s)
{
	for (int i = 1; i < s->n; i++)
		if (strcmp(s->v[i - 1], s->v[i]) >= 0)
			return 0;
	return 1;
}

/* Wait until the kernel's timestamp clock (CLOCK_REALTIME_COARSE) is past
   the directory's last change, so the next change stamps a new time. */
static void next_tick(lfx *f, const char *dir)
{
	char p[256];
	struct stat st;
	if (stat(at(f, dir, p, sizeof p), &st) != 0)
		return;
	for (int i = 0; i < 200; i++) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME_COARSE, &now);
		if (now.tv_sec > st.st_ctim.tv_sec ||
		    (now.tv_sec == st.st_ctim.tv_sec &&
		     now.tv_nsec > st.st_ctim.tv_nsec))
			return;
		usleep(1000);
	}
}

/* The clock an hour ahead: the listing is cached at the first walk, and
   every later change made by plain system calls must invalidate it. */
TEST(fs_listing_sees_changes_behind_its_back)
{
	lfx f;
	if (!lfx_open(&f, (int64_t)3600 * 1000000000))
		return;
	char p[256], q[256];
	names s;
	make_big(&f, "/big", BIG);
	CHECK_EQ_INT(walk_names(&f, "/big", NULL, &s), BERTH_OK);
	CHECK_EQ_INT(s.n, BIG);
	CHECK(sorted(&s));
	CHECK_EQ_INT(walk_names(&f, "/big", NULL, &s), BERTH_OK); /* cached */
	CHECK_EQ_INT(s.n, BIG);

	next_tick(&f, "/big");
	CHECK_EQ_INT(mkdir(at(&f, "/big/n1500", p, sizeof p), 0755), 0);
	CHECK_EQ_INT(walk_names(&f, "/big", NULL, &s), BERTH_OK);
	CHECK_EQ_INT(s.n, BIG + 1);
	CHECK(has(&s, "n1500") && sorted(&s));
	/* ... also when resuming right before the new name */
	CHECK_EQ_INT(walk_names(&f, "/big", "/big/n150", &s), BERTH_OK);
	CHECK(s.n > 0 && !strcmp(s.v[0], "n1500"));

	next_tick(&f, "/big");
	CHECK_EQ_INT(rmdir(at(&f, "/big/n007", p, sizeof p)), 0);
	CHECK_EQ_INT(walk_names(&f, "/big", "/big/n006", &s), BERTH_OK);
	CHECK(s.n > 0 && !strcmp(s.v[0], "n008"));
	CHECK(!has(&s, "n007"));

	next_tick(&f, "/big");
	CHECK_EQ_INT(rename(at(&f, "/big/n010", p, sizeof p),
			    at(&f, "/big/m010", q, sizeof q)),
		     0);
	CHECK_EQ_INT(walk_names(&f, "/big", NULL, &s), BERTH_OK);
	CHECK(has(&s, "m010") && !has(&s, "n010") && s.n == BIG);

	/* A new directory in the old one's place (possibly the same inode)
	   lists its own names. */
	next_tick(&f, "/big");
	CHECK_EQ_INT(f.d->remove(f.in, "/big"), BERTH_OK);
	make_big(&f, "/big", BIG / 2 + 200);
	CHECK_EQ_INT(walk_names(&f, "/big", NULL, &s), BERTH_OK);
	CHECK_EQ_INT(s.n, BIG / 2 + 200);
	CHECK(!has(&s, "m010"));

	/* Changes through the driver itself, on a cached listing. */
	CHECK_EQ_INT(walk_names(&f, "/big", NULL, &s), BERTH_OK);
	next_tick(&f, "/big");
	CHECK_EQ_INT(f.d->put_content(f.in, "/big/z1/link", "x", 1),
		     BERTH_OK);
	CHECK_EQ_INT(walk_names(&f, "/big", "/big/z0", &s), BERTH_OK);
	CHECK(s.n == 1 && !strcmp(s.v[0], "z1"));
	next_tick(&f, "/big");
	CHECK_EQ_INT(f.d->remove(f.in, "/big/z1"), BERTH_OK);
	CHECK_EQ_INT(walk_names(&f, "/big", "/big/z0", &s), BERTH_OK);
	CHECK_EQ_INT(s.n, 0);
	lfx_close(&f);
}

/* The right clock: a change in the same tick as the read of a listing
   leaves the directory's times as they were, so the listing must not be
   kept.  Each round reads the listing right after the previous change
   (most rounds fall within one tick) and changes it again at once.
   Kernels with multigrain timestamps (Linux 6.13+ on ext4, xfs, btrfs,
   tmpfs) stamp a change after a stat with the fine clock, so there this
   case passes even without the margin; on coarse-stamping kernels and
   filesystems it fails without it. */
TEST(fs_listing_same_tick_changes)
{
	lfx f;
	if (!lfx_open(&f, 0))
		return;
	char p[256];
	names s;
	make_big(&f, "/big", BIG);
	for (int r = 0; r < 100; r++) {
		CHECK_EQ_INT(walk_names(&f, "/big", "/big/n298", &s), BERTH_OK);
		snprintf(p, sizeof p, "%s/big/z%03d", f.root, r);
		CHECK_EQ_INT(mkdir(p, 0755), 0);
		CHECK_EQ_INT(walk_names(&f, "/big", "/big/n298", &s), BERTH_OK);
		CHECK_EQ_INT(s.n, 2 + r);
		if (s.n != 2 + r)
			break;
	}
	for (int r = 0; r < 100; r++) {
		CHECK_EQ_INT(walk_names(&f, "/big", "/big/z", &s), BERTH_OK);
		snprintf(p, sizeof p, "%s/big/z%03d", f.root, r);
		CHECK_EQ_INT(rmdir(p), 0);
		CHECK_EQ_INT(walk_names(&f, "/big", "/big/z", &s), BERTH_OK);
		CHECK_EQ_INT(s.n, 99 - r);
		if (s.n != 99 - r)
			break;
	}
	lfx_close(&f);
}

/* Resuming in a large (cached) directory: the binary search must land on
   the first name after start_after, wherever start_after falls. */
TEST(fs_listing_resume_positions)
{
	lfx f;
	if (!lfx_open(&f, (int64_t)3600 * 1000000000))
		return;
	names s;
	make_big(&f, "/big", BIG);
	struct {
		const char *after, *first;
		int n;
	} cases[] = {
		{"/big/a", "n000", BIG},      /* before every name */
		{"/big/n", "n000", BIG},      /* a prefix of every name */
		{"/big/n000", "n001", BIG - 1},
		{"/big/n1", "n100", BIG - 100},  /* between names */
		{"/big/n149", "n150", BIG - 150},
		{"/big/n149/x/y", "n150", BIG - 150}, /* below a name */
		{"/big/n150-", "n151", BIG - 151},
		{"/big/n299", NULL, 0},       /* the last name */
		{"/big/z", NULL, 0},          /* after every name */
		{"/a", "n000", BIG},          /* before the directory */
		{"/c", NULL, 0},              /* after the directory */
	};
	for (int round = 0; round < 2; round++) /* read, then cached */
		for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
			CHECK_EQ_INT(walk_names(&f, "/big", cases[i].after, &s),
				     BERTH_OK);
			CHECK_EQ_INT(s.n, cases[i].n);
			if (cases[i].first)
				CHECK_STR(s.n ? s.v[0] : "", cases[i].first);
			CHECK(sorted(&s));
		}
	lfx_close(&f);
}

typedef struct walker {
	lfx *f;
	int id;
	atomic_int *stop;
	int bad;
} walker;

static void *walk_loop(void *p)
{
	walker *w = p;
	names *s = malloc(sizeof *s);
	if (!s) {
		w->bad = 1;
		return NULL;
	}
	char after[64], dir[16];
	for (int i = 0; !atomic_load(w->stop) && i < 2000; i++) {
		snprintf(dir, sizeof dir, "/d%d", (w->id + i) % 4);
		snprintf(after, sizeof after, "%s/n%03d", dir, (i * 37) % BIG);
		int rc = walk_names(w->f, dir, i % 3 ? after : NULL, s);
		if (rc != BERTH_OK || !sorted(s) || s->n > BIG + 50)
			w->bad = 1;
	}
	free(s);
	return NULL;
}

/* Walks from several threads over cached listings while the directories
   change: every walk is sorted and complete (ASan/TSan builds check the
   reference counting). */
TEST(fs_listing_concurrent_walks)
{
	lfx f;
	if (!lfx_open(&f, (int64_t)3600 * 1000000000))
		return;
	char p[256];
	for (int d = 0; d < 4; d++) {
		snprintf(p, sizeof p, "/d%d", d);
		make_big(&f, p, BIG);
	}
	atomic_int stop = 0;
	walker w[3];
	pthread_t t[3];
	for (int i = 0; i < 3; i++) {
		w[i] = (walker){&f, i, &stop, 0};
		CHECK_EQ_INT(pthread_create(&t[i], NULL, walk_loop, &w[i]), 0);
	}
	for (int i = 0; i < 200; i++) {
		snprintf(p, sizeof p, "%s/d%d/x%03d", f.root, i % 4, i / 4);
		CHECK_EQ_INT(mkdir(p, 0755), 0);
		if (i % 2)
			CHECK_EQ_INT(rmdir(p), 0);
		usleep(200);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 3; i++) {
		pthread_join(t[i], NULL);
		CHECK(!w[i].bad);
	}
	/* Every change is visible at the end.  With the clock ahead a
	   walker may have cached a listing read in the same tick as one of
	   the changes above (which is why the real clock's margin exists),
	   so stamp each directory once more first. */
	names s;
	for (int d = 0; d < 4; d++) {
		snprintf(p, sizeof p, "/d%d", d);
		next_tick(&f, p);
		char x[400];
		snprintf(x, sizeof x, "%s%s/touch", f.root, p);
		CHECK_EQ_INT(mkdir(x, 0755), 0);
		CHECK_EQ_INT(rmdir(x), 0);
		CHECK_EQ_INT(walk_names(&f, p, NULL, &s), BERTH_OK);
		/* odd i (odd d) were removed again */
		CHECK_EQ_INT(s.n, d % 2 ? BIG : BIG + 50);
	}
	lfx_close(&f);
}
