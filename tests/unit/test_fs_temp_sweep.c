/*
 * test_fs_temp_sweep.c - temporaries ("<name>~tmp.<pid>.<n>") that a
 * killed write left behind are removed by the filesystem driver's next
 * list or walk of their directory once they are an hour old; younger
 * ones (a live writer's), writer sidecars ("~partial") and anything that
 * is not a regular file are kept, and none of them is ever listed.
 *
 * The driver is loaded from its .so (as test_fs_driver.c does); the
 * stale files are made by hand with an mtime two hours back, as a
 * process killed two hours ago would have left them.
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

static int swept_logs;

static void ts_log(const berth_host *h, berth_log_level level,
		   const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (strstr(msg, "temporary"))
		swept_logs++;
}

static int ts_error(const berth_host *h, int code, const char *fmt, ...)
{
	return code;
}

static int64_t ts_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const berth_host ts_host = {
	.struct_size = sizeof(berth_host),
	.abi_minor = BERTH_STORAGE_ABI_MINOR,
	.log = ts_log,
	.error = ts_error,
	.alloc = malloc,
	.free = free,
	.now_ns = ts_now,
};

/* Create the file `dir`/`name` with an mtime `age` seconds back. */
static void make_file(const char *dir, const char *name, int age)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, "partial", 7) == 7);
	struct timespec t[2];
	clock_gettime(CLOCK_REALTIME, &t[0]);
	t[0].tv_sec -= age;
	t[1] = t[0];
	CHECK(futimens(fd, t) == 0);
	close(fd);
}

static int exists(const char *dir, const char *name)
{
	char path[512];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return lstat(path, &st) == 0;
}

typedef struct seen {
	char text[512];
} seen;

static int list_cb(const char *path, void *p)
{
	seen *s = p;
	strncat(s->text, path, sizeof s->text - strlen(s->text) - 2);
	strcat(s->text, ";");
	return 0;
}

static berth_walk_action walk_cb(const char *path, const berth_stat_info *i,
				 void *p)
{
	list_cb(path, p);
	return BERTH_WALK_CONTINUE;
}

TEST(fs_stale_temporaries_swept_by_list_and_walk)
{
	const berth_storage_driver *d = test_fs_driver();
	CHECK(d != NULL);
	if (!d)
		return;
	char dir[64] = "/tmp/berth-sweep-test-XXXXXX", root[128];
	if (!mkdtemp(dir)) {
		CHECK(!"mkdtemp");
		return;
	}
	snprintf(root, sizeof root, "%s/root", dir);
	berth_config_item items[] = {{"rootdirectory", root}};
	berth_config cfg = {1, items};
	berth_instance *in = NULL;
	CHECK_EQ_INT(d->create(&in, &ts_host, &cfg), BERTH_OK);
	if (!in) {
		test_rm_tree(dir);
		return;
	}
	CHECK_EQ_INT(d->put_content(in, "/a/b/link", "x", 1), BERTH_OK);
	CHECK_EQ_INT(d->put_content(in, "/c/d/link", "y", 1), BERTH_OK);
	char ab[256], cd[256];
	snprintf(ab, sizeof ab, "%s/a/b", root);
	snprintf(cd, sizeof cd, "%s/c/d", root);
	make_file(ab, "link~tmp.4242.1", 2 * 3600);     /* killed: stale */
	make_file(ab, "link~tmp.4242.2", 60);           /* a live writer's */
	make_file(ab, "data~partial", 2 * 3600);        /* resumable data */
	make_file(ab, "foreign~file", 2 * 3600);        /* not ours */
	char sub[300];
	snprintf(sub, sizeof sub, "%s/old~tmp.1.1", ab);
	CHECK(mkdir(sub, 0755) == 0);                   /* not a file */
	make_file(cd, "link~tmp.4242.3", 2 * 3600);

	swept_logs = 0;
	seen s = {""};
	CHECK_EQ_INT(d->list(in, "/a/b", list_cb, &s), BERTH_OK);
	CHECK_STR(s.text, "/a/b/link;");
	CHECK(!exists(ab, "link~tmp.4242.1"));
	CHECK(exists(ab, "link~tmp.4242.2"));
	CHECK(exists(ab, "data~partial"));
	CHECK(exists(ab, "foreign~file"));
	CHECK(exists(ab, "old~tmp.1.1"));
	CHECK(exists(cd, "link~tmp.4242.3")); /* not listed yet */
	CHECK_EQ_INT(swept_logs, 1);

	memset(&s, 0, sizeof s);
	CHECK_EQ_INT(d->walk(in, "/", NULL, walk_cb, &s), BERTH_OK);
	CHECK_STR(s.text, "/a;/a/b;/a/b/link;/c;/c/d;/c/d/link;");
	CHECK(!exists(cd, "link~tmp.4242.3"));
	CHECK(exists(ab, "link~tmp.4242.2"));
	CHECK_EQ_INT(swept_logs, 2);

	/* the content the temporaries would have replaced is untouched */
	char *out = NULL;
	size_t len = 0;
	CHECK_EQ_INT(d->get_content(in, "/a/b/link", &out, &len), BERTH_OK);
	CHECK(len == 1 && out && out[0] == 'x');
	free(out);
	d->destroy(in);
	test_rm_tree(dir);
}
