/*
 * test_loader.c - the driver loader and the store wrappers: broken .so
 * files are refused with a message saying what is wrong (never a crash),
 * drivers of an older or newer minor version load with the right members,
 * the list+stat walk fallback keeps walk order, and the real filesystem
 * driver loads and works through the wrappers.
 *
 * Fixtures come from tests/fixtures/loader, built by the Makefile into
 * <dir of this binary>/fixtures/loader ($BERTH_FIXTURES overrides).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/driver_loader.h"
#include "storage/store.h"
#include "test.h"

static const char *fixture(const char *name)
{
	static char path[PATH_MAX + 64];
	const char *env = getenv("BERTH_FIXTURES");
	if (env && *env) {
		snprintf(path, sizeof path, "%s/%s.so", env, name);
		return path;
	}
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = 0;
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = 0;
	snprintf(path, sizeof path, "%s/fixtures/loader/%s.so", exe, name);
	return path;
}

static void refused(const char *name, const char *want)
{
	berth_driver *d = (berth_driver *)1;
	char err[512] = "";
	const char *file = fixture(name);
	if (strcmp(name, "no_such_driver")) /* the fixture was built */
		CHECK(access(file, R_OK) == 0);
	CHECK_EQ_INT(driver_load(file, &d, err, sizeof err), -1);
	CHECK(d == NULL);
	if (!strstr(err, want)) {
		char m[1200];
		snprintf(m, sizeof m, "%s: error \"%s\" contains \"%s\"", name,
			 err, want);
		test_fail(__FILE__, __LINE__, m);
	}
}

TEST(loader_refuses_broken_drivers)
{
	refused("not_a_driver",
		"not a Berth storage driver (no symbol berth_storage_driver_v1)");
	refused("null_desc", "returned no descriptor");
	refused("wrong_major", "built for storage ABI 2.3");
	refused("wrong_major", "this core supports 1.x");
	refused("tiny_head", "smaller than the ABI head");
	refused("no_remove", "lacks the required member remove");
	refused("claim_no_walk",
		"claims BERTH_CAP_NATIVE_WALK but has no walk");
	refused("claim_beyond_size",
		"claims BERTH_CAP_FILE_DESCRIPTOR but has no open_fd");
	refused("reserved_set", "reserved = 1");
	refused("no_such_driver", "cannot load");
}

TEST(loader_newer_minor_loads)
{
	berth_driver *d = NULL;
	char err[512] = "";
	/* loads, with an info line naming both versions (stderr captured) */
	char logged[2048] = "";
	FILE *tmp = tmpfile();
	int saved = dup(2);
	fflush(stderr);
	dup2(fileno(tmp), 2);
	int rc = driver_load(fixture("new_minor"), &d, err, sizeof err);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	logged[fread(logged, 1, sizeof logged - 1, tmp)] = 0;
	fclose(tmp);
	CHECK_EQ_INT(rc, 0);
	CHECK_STR(err, "");
	if (rc)
		return;
	CHECK_STR(d->desc.name, "newminor");
	CHECK(strstr(logged, "info") || strstr(logged, "INFO"));
	CHECK(strstr(logged, "built for storage ABI 1.7, newer than this core's 1.1") != NULL);
	CHECK_EQ_INT(d->desc.abi_minor, 7);
	CHECK(d->desc.open_fd != NULL);
	CHECK(d->desc.walk == NULL);
	driver_unload(d);
}

TEST(loader_ignores_unknown_capability_bits)
{
	berth_driver *d = NULL;
	char err[512] = "";
	CHECK_EQ_INT(driver_load(fixture("unknown_caps"), &d, err, sizeof err), 0);
	CHECK_STR(err, "");
	if (!d)
		return;
	CHECK(d->desc.capabilities & BERTH_CAP_SERVER_MOVE);
	CHECK(!(d->desc.capabilities & BERTH_CAP_BATCH));
	driver_unload(d);
}

/* A driver built against the ABI 1.0 header as released
   (tests/fixtures/abi-1.0): <dir of this binary>/fixtures/storage-abi10.so. */
TEST(loader_abi10_driver_loads_and_works)
{
	char path[PATH_MAX + 64];
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = 0;
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = 0;
	snprintf(path, sizeof path, "%s/fixtures/storage-abi10.so", exe);
	CHECK(access(path, R_OK) == 0);
	berth_driver *d = NULL;
	char err[512] = "";
	CHECK_EQ_INT(driver_load(path, &d, err, sizeof err), 0);
	CHECK_STR(err, "");
	if (!d)
		return;
	CHECK_STR(d->desc.name, "abi10");
	CHECK_EQ_INT(d->desc.abi_minor, 0);
	CHECK_EQ_INT(d->desc.struct_size, BERTH_STORAGE_SIZE_1_0);
	/* every 1.1 member lies beyond its descriptor: NULL, unclaimed */
	CHECK(d->desc.batch == NULL && d->desc.writer_flush == NULL &&
	      d->desc.maintain == NULL && d->desc.writer_open_hinted == NULL &&
	      d->desc.validate_config == NULL && d->desc.stat_version == NULL);
	CHECK(!(d->desc.capabilities & ~(uint64_t)0x3f));
	/* and its 1.0 members work */
	berth_instance *in = NULL;
	berth_config cfg = {0, NULL};
	CHECK_EQ_INT(d->desc.create(&in, driver_host(), &cfg), BERTH_OK);
	if (!in) {
		driver_unload(d);
		return;
	}
	char *got = NULL;
	size_t len = 0;
	CHECK_EQ_INT(d->desc.put_content(in, "/test-loader-abi10/x", "hello", 5), BERTH_OK);
	CHECK_EQ_INT(d->desc.get_content(in, "/test-loader-abi10/x", &got, &len), BERTH_OK);
	CHECK(got && len == 5 && !memcmp(got, "hello", 5));
	if (got)
		driver_host()->free(got);
	CHECK_EQ_INT(d->desc.remove(in, "/test-loader-abi10"), BERTH_OK);
	d->desc.destroy(in);
	driver_unload(d);
}

typedef struct seen {
	char paths[16][32];
	int dirs[16];
	int n;
	const char *skip;
	const char *stop;
} seen;

static berth_walk_action record(const char *path, const berth_stat_info *info,
				void *p)
{
	seen *s = p;
	if (s->n < 16) {
		snprintf(s->paths[s->n], sizeof s->paths[0], "%s", path);
		s->dirs[s->n] = info->is_dir;
		s->n++;
	}
	if (s->stop && !strcmp(path, s->stop))
		return BERTH_WALK_STOP;
	if (s->skip && !strcmp(path, s->skip))
		return BERTH_WALK_SKIP_DIR;
	return BERTH_WALK_CONTINUE;
}

static void check_walk_after(berth_store *st, const char *after,
			     const char *skip, const char *stop,
			     const char *want)
{
	seen s;
	memset(&s, 0, sizeof s);
	s.skip = skip;
	s.stop = stop;
	CHECK_EQ_INT(store_walk(st, "/", after, record, &s), BERTH_OK);
	char got[256] = "";
	for (int i = 0; i < s.n; i++) {
		strcat(got, s.paths[i]);
		strcat(got, s.dirs[i] ? "/ " : " ");
	}
	CHECK_STR(got, want);
}

static void check_walk(berth_store *st, const char *skip, const char *stop,
		       const char *want)
{
	check_walk_after(st, NULL, skip, stop, want);
}

TEST(loader_older_minor_and_walk_fallback)
{
	berth_driver *d = NULL;
	char err[512] = "";
	int rc = driver_load(fixture("old_minor"), &d, err, sizeof err);
	CHECK_EQ_INT(rc, 0);
	CHECK_STR(err, "");
	if (rc)
		return;
	/* open_fd lies beyond its struct_size: not copied */
	CHECK(d->desc.open_fd == NULL);
	CHECK(d->desc.walk == NULL);
	CHECK(d->desc.redirect_url == NULL);

	berth_store st;
	berth_config_item bad_items[] = {{"greeting", "hi"}, {"colour", "red"}};
	berth_config bad = {2, bad_items};
	CHECK_EQ_INT(store_open(&st, d, &bad, err, sizeof err), -1);
	CHECK(strstr(err, "oldminor") != NULL);
	CHECK(strstr(err, "configuration error") != NULL);
	CHECK(strstr(err, "unknown option colour") != NULL);

	berth_config good = {1, bad_items};
	rc = store_open(&st, d, &good, err, sizeof err);
	CHECK_EQ_INT(rc, 0);
	if (rc == 0) {
		int fd = 7;
		uint64_t size = 0;
		CHECK_EQ_INT(store_open_fd(&st, "/a/b", &fd, &size),
			     BERTH_E_UNSUPPORTED);
		CHECK_EQ_INT(fd, -1);
		char *url = (char *)1;
		CHECK_EQ_INT(store_redirect(&st, "/a/b", "GET", &url),
			     BERTH_E_UNSUPPORTED);
		CHECK(url == NULL);
		CHECK_EQ_INT(store_exists(&st, "/a/b"), 1);
		CHECK_EQ_INT(store_exists(&st, "/a/x"), 0);
		/* listed in reverse, walked in byte order of names */
		check_walk(&st, NULL, NULL, "/a/ /a/b /a-c /z/ /z/y ");
		check_walk(&st, "/a", NULL, "/a/ /a-c /z/ /z/y ");
		check_walk(&st, NULL, "/a-c", "/a/ /a/b /a-c ");
		/* start_after: strictly after it in walk order */
		check_walk_after(&st, "/a", NULL, NULL, "/a/b /a-c /z/ /z/y ");
		check_walk_after(&st, "/a/b", NULL, NULL, "/a-c /z/ /z/y ");
		check_walk_after(&st, "/z", NULL, NULL, "/z/y ");
		seen s;
		memset(&s, 0, sizeof s);
		CHECK_EQ_INT(store_walk(&st, "/nope", NULL, record, &s),
			     BERTH_E_NOT_FOUND);
		store_close(&st);
	}
	driver_unload(d);
}

TEST(loader_resolve)
{
	const char *old = getenv("BERTH_DRIVER_DIR");
	char *saved = old ? strdup(old) : NULL;
	char *f = driver_resolve("s3", "/opt/x.so");
	CHECK_STR(f, "/opt/x.so");
	free(f);
	setenv("BERTH_DRIVER_DIR", "/some/dir", 1);
	f = driver_resolve("s3", NULL);
	CHECK_STR(f, "/some/dir/storage-s3.so");
	free(f);
	unsetenv("BERTH_DRIVER_DIR");
	/* next to the executable: <bin>/../lib/berth */
	f = driver_resolve("filesystem", NULL);
	CHECK(f && strstr(f, "/lib/berth/storage-filesystem.so"));
	CHECK(f && access(f, R_OK) == 0);
	free(f);
	if (saved) {
		setenv("BERTH_DRIVER_DIR", saved, 1);
		free(saved);
	}
}

static int count_cb(const char *path, void *p)
{
	(*(int *)p)++;
	return 0;
}

TEST(loader_real_filesystem_driver)
{
	char *file = driver_resolve("filesystem", NULL);
	berth_driver *d = NULL;
	char err[512] = "";
	int rc = driver_load(file, &d, err, sizeof err);
	free(file);
	CHECK_EQ_INT(rc, 0);
	CHECK_STR(err, "");
	if (rc)
		return;
	CHECK_STR(d->desc.name, "filesystem");
	CHECK_EQ_INT(d->desc.abi_major, BERTH_STORAGE_ABI_MAJOR);

	char root[] = "/tmp/berth-loader-XXXXXX";
	CHECK(mkdtemp(root) != NULL);
	berth_config_item items[] = {{"rootdirectory", root}};
	berth_config cfg = {1, items};
	berth_store st;
	rc = store_open(&st, d, &cfg, err, sizeof err);
	CHECK_EQ_INT(rc, 0);
	if (rc == 0) {
		CHECK_EQ_INT(store_put(&st, "/x/hello", "world", 5), BERTH_OK);
		char *buf = NULL;
		size_t len = 0;
		CHECK_EQ_INT(store_get(&st, "/x/hello", &buf, &len), BERTH_OK);
		CHECK_EQ_INT(len, 5);
		CHECK(buf && !memcmp(buf, "world", 5));
		free(buf);
		CHECK_EQ_INT(store_exists(&st, "/x/hello"), 1);
		CHECK_EQ_INT(store_exists(&st, "/x/nothing"), 0);
		CHECK_EQ_INT(store_get(&st, "/x/nothing", &buf, &len),
			     BERTH_E_NOT_FOUND);
		CHECK(buf == NULL);
		int n = 0;
		CHECK_EQ_INT(store_list(&st, "/x", count_cb, &n), BERTH_OK);
		CHECK_EQ_INT(n, 1);
		check_walk(&st, NULL, NULL, "/x/ /x/hello ");
		check_walk_after(&st, "/x", NULL, NULL, "/x/hello ");
		check_walk_after(&st, "/x/hello", NULL, NULL, "");
		CHECK_EQ_INT(store_remove(&st, "/x"), BERTH_OK);
		CHECK_EQ_INT(store_exists(&st, "/x/hello"), 0);
		store_close(&st);
	}
	/* an unknown option is refused with the driver's detail */
	berth_config_item bad_items[] = {{"rootdirectory", root},
					 {"bogus", "1"}};
	berth_config bad = {2, bad_items};
	CHECK_EQ_INT(store_open(&st, d, &bad, err, sizeof err), -1);
	CHECK(strstr(err, "bogus") != NULL);
	rmdir(root);
	driver_unload(d);
}
