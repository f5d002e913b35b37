/*
 * test_fs_abi11.c - the filesystem driver's ABI 1.1 members, loaded from
 * its .so as test_fs_driver.c does: what it claims (and that it does not
 * claim batch or hints), stat_version (a replacement by the same bytes changes
 * it, two instances on one root agree, a directory's is ""),
 * writer_flush (the bytes are in the sidecar before any close), no
 * writer_open_hinted (a client's size must reserve nothing), validate_config
 * (create's refusals, without touching the root) and maintain (the
 * stale temporaries of the whole tree, in pieces when the budget is
 * small; sidecars kept).
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <berth/storage.h>

#include "fs_driver_fixture.h"
#include "test.h"

static __thread char last_error[1024];

static void h_log(const berth_host *h, berth_log_level level,
		  const char *fmt, ...)
{
}

static int h_error(const berth_host *h, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof last_error, fmt, ap);
	va_end(ap);
	return code;
}

static int64_t h_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const berth_host host = {
	.struct_size = sizeof(berth_host),
	.abi_minor = BERTH_STORAGE_ABI_MINOR,
	.log = h_log,
	.error = h_error,
	.alloc = malloc,
	.free = free,
	.now_ns = h_now,
};

/* A fresh root and an instance on it; NULL if either fails. */
static berth_instance *open_root(const berth_storage_driver *d, char *root)
{
	strcpy(root, "/tmp/berth-fs11-XXXXXX");
	if (!mkdtemp(root))
		return NULL;
	berth_config_item items[] = {{"rootdirectory", root}};
	berth_config cfg = {1, items};
	berth_instance *in = NULL;
	return d->create(&in, &host, &cfg) == BERTH_OK ? in : NULL;
}

static void close_root(const berth_storage_driver *d, berth_instance *in,
		       const char *root)
{
	d->destroy(in);
	test_rm_tree(root);
}

TEST(fs11_claims)
{
	const berth_storage_driver *d = test_fs_driver();
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_EQ_INT(d->abi_minor, 1);
	CHECK_STR(d->version, "1.1.0");
	uint64_t want = BERTH_CAP_WRITER_FLUSH | BERTH_CAP_MAINTAIN |
			BERTH_CAP_VALIDATE_CONFIG | BERTH_CAP_STAT_VERSION;
	CHECK_EQ_INT(d->capabilities & want, want);
	/* renames of several files are not all or nothing */
	CHECK_EQ_INT(d->capabilities & BERTH_CAP_BATCH, 0);
	CHECK(d->batch == NULL);
	CHECK(d->writer_flush && d->maintain && d->validate_config &&
	      d->stat_version);
	/* nor hints: a size a client announces reserves nothing */
	CHECK_EQ_INT(d->capabilities & BERTH_CAP_WRITER_HINTS, 0);
	CHECK(d->writer_open_hinted == NULL);
}

TEST(fs11_stat_version)
{
	const berth_storage_driver *d = test_fs_driver();
	char root[64];
	berth_instance *in = d ? open_root(d, root) : NULL;
	CHECK(in != NULL);
	if (!in)
		return;
	berth_stat_info st;
	char v1[BERTH_VERSION_MAX], v2[BERTH_VERSION_MAX],
		v3[BERTH_VERSION_MAX];
	CHECK_EQ_INT(d->put_content(in, "/a/obj", "same", 4), BERTH_OK);
	CHECK_EQ_INT(d->stat_version(in, "/a/obj", &st, v1), BERTH_OK);
	CHECK_EQ_INT(st.size, 4);
	CHECK_EQ_INT(st.is_dir, 0);
	CHECK(v1[0] != 0 && strlen(v1) < BERTH_VERSION_MAX);
	/* the same bytes again, at once: another version */
	CHECK_EQ_INT(d->put_content(in, "/a/obj", "same", 4), BERTH_OK);
	CHECK_EQ_INT(d->stat_version(in, "/a/obj", &st, v2), BERTH_OK);
	CHECK(strcmp(v1, v2) != 0);
	/* unchanged: the same version, from another instance too */
	berth_config_item items[] = {{"rootdirectory", root}};
	berth_config cfg = {1, items};
	berth_instance *other = NULL;
	CHECK_EQ_INT(d->create(&other, &host, &cfg), BERTH_OK);
	if (other) {
		CHECK_EQ_INT(d->stat_version(other, "/a/obj", &st, v3),
			     BERTH_OK);
		CHECK_STR(v3, v2);
		d->destroy(other);
	}
	/* a commit and a move onto it replace it too */
	berth_writer *w = NULL;
	CHECK_EQ_INT(d->writer_open(&w, in, "/a/obj", 0), BERTH_OK);
	if (w) {
		CHECK_EQ_INT(d->writer_write(w, "same", 4), BERTH_OK);
		CHECK_EQ_INT(d->writer_commit(w), BERTH_OK);
		CHECK_EQ_INT(d->writer_close(w), BERTH_OK);
	}
	CHECK_EQ_INT(d->stat_version(in, "/a/obj", &st, v3), BERTH_OK);
	CHECK(strcmp(v3, v2) != 0);
	CHECK_EQ_INT(d->put_content(in, "/b", "same", 4), BERTH_OK);
	CHECK_EQ_INT(d->move(in, "/b", "/a/obj"), BERTH_OK);
	CHECK_EQ_INT(d->stat_version(in, "/a/obj", &st, v1), BERTH_OK);
	CHECK(strcmp(v1, v3) != 0);
	/* a directory's version is "", a missing path NOT_FOUND */
	CHECK_EQ_INT(d->stat_version(in, "/a", &st, v1), BERTH_OK);
	CHECK_EQ_INT(st.is_dir, 1);
	CHECK_STR(v1, "");
	CHECK_EQ_INT(d->stat_version(in, "/", &st, v1), BERTH_OK);
	CHECK_STR(v1, "");
	CHECK_EQ_INT(d->stat_version(in, "/nope", &st, v1), BERTH_E_NOT_FOUND);
	CHECK_EQ_INT(d->stat_version(in, "/a/../x", &st, v1),
		     BERTH_E_INVALID_PATH);
	close_root(d, in, root);
}

/* Size of the file `rel` below `root` on disk, or -1. */
static long long disk_size(const char *root, const char *rel)
{
	char p[256];
	struct stat st;
	snprintf(p, sizeof p, "%s%s", root, rel);
	return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

TEST(fs11_writer_flush)
{
	const berth_storage_driver *d = test_fs_driver();
	char root[64];
	berth_instance *in = d ? open_root(d, root) : NULL;
	CHECK(in != NULL);
	if (!in)
		return;
	berth_writer *w = NULL;
	CHECK_EQ_INT(d->writer_open(&w, in, "/up/data", 0), BERTH_OK);
	if (!w)
		return close_root(d, in, root);
	CHECK_EQ_INT(d->writer_write(w, "small", 5), BERTH_OK);
	/* buffered: not in the sidecar yet */
	CHECK_EQ_INT(disk_size(root, "/up/data~partial"), 0);
	CHECK_EQ_INT(d->writer_flush(w), BERTH_OK);
	CHECK_EQ_INT(disk_size(root, "/up/data~partial"), 5);
	CHECK_EQ_INT(d->writer_size(w), 5);
	/* still invisible, and the writer goes on */
	CHECK_EQ_INT(disk_size(root, "/up/data"), -1);
	CHECK_EQ_INT(d->writer_write(w, "er", 2), BERTH_OK);
	CHECK_EQ_INT(d->writer_flush(w), BERTH_OK);
	CHECK_EQ_INT(disk_size(root, "/up/data~partial"), 7);
	CHECK_EQ_INT(d->writer_commit(w), BERTH_OK);
	CHECK_EQ_INT(d->writer_flush(w), BERTH_E_STATE);
	CHECK_EQ_INT(d->writer_close(w), BERTH_OK);
	CHECK_EQ_INT(disk_size(root, "/up/data"), 7);
	close_root(d, in, root);
}

TEST(fs11_validate_config)
{
	const berth_storage_driver *d = test_fs_driver();
	CHECK(d != NULL);
	if (!d)
		return;
	char root[64];
	snprintf(root, sizeof root, "/tmp/berth-fs11-none-%ld/deeper",
		 (long)getpid());
	berth_config_item good[] = {{"rootdirectory", root},
				    {"maxthreads", "100"}};
	berth_config cfg = {2, good};
	CHECK_EQ_INT(d->validate_config(&host, &cfg), BERTH_OK);
	CHECK(access(root, F_OK) != 0); /* nothing made */
	CHECK_EQ_INT(d->validate_config(&host, NULL), BERTH_OK);

	berth_config_item unknown[] = {{"rootdirectory", root},
				       {"colour", "red"}};
	cfg = (berth_config){2, unknown};
	last_error[0] = 0;
	CHECK_EQ_INT(d->validate_config(&host, &cfg), BERTH_E_CONFIG);
	CHECK(strstr(last_error, "unknown option \"colour\"") != NULL);
	berth_config_item few[] = {{"maxthreads", "3"}};
	cfg = (berth_config){1, few};
	CHECK_EQ_INT(d->validate_config(&host, &cfg), BERTH_E_CONFIG);
	CHECK(strstr(last_error, "maxthreads") != NULL);
	berth_config_item empty[] = {{"rootdirectory", ""}};
	cfg = (berth_config){1, empty};
	CHECK_EQ_INT(d->validate_config(&host, &cfg), BERTH_E_CONFIG);
	CHECK(strstr(last_error, "rootdirectory") != NULL);
	CHECK(access(root, F_OK) != 0);
}

/* A file `rel` below `root`, its mtime two hours back (as a process
   killed two hours ago left it). */
static void stale_file(const char *root, const char *rel)
{
	char p[256];
	snprintf(p, sizeof p, "%s%s", root, rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	struct timespec old[2];
	clock_gettime(CLOCK_REALTIME, &old[0]);
	old[0].tv_sec -= 7200;
	old[1] = old[0];
	futimens(fd, old);
	close(fd);
}

static int present(const char *root, const char *rel)
{
	char p[256];
	snprintf(p, sizeof p, "%s%s", root, rel);
	return access(p, F_OK) == 0;
}

TEST(fs11_maintain_sweeps_the_tree)
{
	const berth_storage_driver *d = test_fs_driver();
	char root[64];
	berth_instance *in = d ? open_root(d, root) : NULL;
	CHECK(in != NULL);
	if (!in)
		return;
	const char *dirs[] = {"/a/b/c/x", "/a/d/y", "/e/z", "/f/w"};
	for (size_t i = 0; i < 4; i++)
		CHECK_EQ_INT(d->put_content(in, dirs[i], "x", 1), BERTH_OK);
	stale_file(root, "/a/b/c/x~tmp.1.1");
	stale_file(root, "/a/d/y~tmp.1.2");
	stale_file(root, "/e/z~tmp.1.3");
	stale_file(root, "/f~tmp.1.4");
	stale_file(root, "/e/z~partial"); /* a writer's data: kept */
	char fresh[256];
	snprintf(fresh, sizeof fresh, "%s/f/w~tmp.1.5", root);
	close(open(fresh, O_WRONLY | O_CREAT, 0644)); /* a live write's */

	/* the smallest budget: one directory a call, resumed each time */
	int more = 1, calls = 0;
	while (more && calls < 50) {
		CHECK_EQ_INT(d->maintain(in, 0, &more), BERTH_OK);
		calls++;
	}
	CHECK_EQ_INT(more, 0);
	CHECK(calls > 3); /* it did come back: work was left */
	CHECK(!present(root, "/a/b/c/x~tmp.1.1"));
	CHECK(!present(root, "/a/d/y~tmp.1.2"));
	CHECK(!present(root, "/e/z~tmp.1.3"));
	CHECK(!present(root, "/f~tmp.1.4"));
	CHECK(present(root, "/e/z~partial"));
	CHECK(present(root, "/f/w~tmp.1.5"));
	for (size_t i = 0; i < 4; i++)
		CHECK(present(root, dirs[i]));

	/* a generous budget: one call, a tidy store */
	stale_file(root, "/a/d/y~tmp.1.6");
	CHECK_EQ_INT(d->maintain(in, 10 * 1000000000LL, &more), BERTH_OK);
	CHECK_EQ_INT(more, 0);
	CHECK(!present(root, "/a/d/y~tmp.1.6"));
	close_root(d, in, root);
}
