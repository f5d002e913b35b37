/*
 * test_fs_driver.c - focused tests of the filesystem storage driver,
 * loaded straight from its .so with dlopen and a minimal host table, so
 * they exercise exactly what the server loads (hidden symbols, the one
 * exported entry) without depending on the core's loader.
 *
 * The .so is the one of this binary's build (test_driver_path: the
 * directory $BERTH_DRIVER_DIR, else <BUILD>/lib/berth).  Every
 * case works in its own temporary directory and removes it afterwards.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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

/* ---- minimal host ---- */

static __thread char last_error[1024];
static __thread int last_code;

static void host_log(const berth_host *h, berth_log_level level,
		     const char *fmt, ...)
{
}

static int host_error(const berth_host *h, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof last_error, fmt, ap);
	va_end(ap);
	last_code = code;
	return code;
}

static int64_t host_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const berth_host host = {
	.struct_size = sizeof(berth_host),
	.abi_minor = BERTH_STORAGE_ABI_MINOR,
	.log = host_log,
	.error = host_error,
	.alloc = malloc,
	.free = free,
	.now_ns = host_now,
};

/* ---- fixtures ---- */

typedef struct fx {
	char dir[64];   /* the temporary directory */
	char root[128]; /* dir/root: the driver's rootdirectory */
	const berth_storage_driver *d;
	berth_instance *in;
} fx;

static void rm_rf(const char *dir)
{
	test_rm_tree(dir);
}

static int fx_create(fx *f)
{
	berth_config_item items[] = {{"rootdirectory", f->root},
				     {"maxthreads", "100"}};
	berth_config cfg = {2, items};
	f->in = NULL;
	return f->d->create(&f->in, &host, &cfg);
}

/* Set up a fresh root (not created yet: the driver must make it). */
static int fx_open(fx *f)
{
	memset(f, 0, sizeof *f);
	f->d = test_fs_driver();
	CHECK(f->d != NULL);
	if (!f->d)
		return 0;
	strcpy(f->dir, "/tmp/berth-fs-test-XXXXXX");
	if (!mkdtemp(f->dir)) {
		CHECK(!"mkdtemp");
		return 0;
	}
	snprintf(f->root, sizeof f->root, "%s/root", f->dir);
	int rc = fx_create(f);
	CHECK_EQ_INT(rc, BERTH_OK);
	if (rc != BERTH_OK) {
		rm_rf(f->dir);
		return 0;
	}
	return 1;
}

static void fx_close(fx *f)
{
	if (f->in)
		f->d->destroy(f->in);
	f->in = NULL;
	rm_rf(f->dir);
}

static int put(fx *f, const char *path, const char *s)
{
	return f->d->put_content(f->in, path, s, strlen(s));
}

/* Content of `path`, or NULL; caller frees. */
static char *get(fx *f, const char *path)
{
	char *out = NULL;
	size_t len = 0;
	if (f->d->get_content(f->in, path, &out, &len) != BERTH_OK)
		return NULL;
	if (strlen(out) != len) { /* NUL-terminated at len */
		free(out);
		return NULL;
	}
	return out;
}

#define CHECK_CONTENT(f, path, want)                                      \
	do {                                                              \
		char *got_ = get(f, path);                                \
		CHECK_STR(got_, want);                                    \
		free(got_);                                               \
	} while (0)

static int disk_exists(fx *f, const char *rel)
{
	char p[512];
	struct stat st;
	snprintf(p, sizeof p, "%s%s", f->root, rel);
	return lstat(p, &st) == 0;
}

/* The last error message starts with "filesystem: " and names `what`. */
static int error_names(const char *what)
{
	return !strncmp(last_error, "filesystem: ", 12) &&
	       strstr(last_error, what) != NULL;
}

/* ---- cases ---- */

TEST(fs_descriptor_and_config)
{
	const berth_storage_driver *d = test_fs_driver();
	CHECK(d != NULL);
	if (!d)
		return;
	CHECK_EQ_INT(d->abi_major, BERTH_STORAGE_ABI_MAJOR);
	CHECK_EQ_INT(d->struct_size, sizeof(berth_storage_driver));
	CHECK_STR(d->name, "filesystem");
	CHECK(d->capabilities & BERTH_CAP_NATIVE_WALK);
	CHECK(d->capabilities & BERTH_CAP_SERVER_MOVE);
	CHECK(d->capabilities & BERTH_CAP_RANGE_READ);
	CHECK(d->capabilities & BERTH_CAP_APPEND);
	CHECK(d->capabilities & BERTH_CAP_FILE_DESCRIPTOR);
	CHECK(!(d->capabilities & BERTH_CAP_REDIRECT));
	CHECK(d->redirect_url == NULL);

	fx f;
	if (!fx_open(&f))
		return;
	/* create made the nested root. */
	struct stat st;
	CHECK(stat(f.root, &st) == 0 && S_ISDIR(st.st_mode));

	berth_instance *in = NULL;
	berth_config_item bad_key[] = {{"rootdirectory", f.root},
				       {"bogusoption", "1"}};
	berth_config cfg = {2, bad_key};
	CHECK_EQ_INT(d->create(&in, &host, &cfg), BERTH_E_CONFIG);
	CHECK(error_names("bogusoption"));

	const char *bad_threads[] = {"10", "abc", "", "25x", "-30"};
	for (size_t i = 0; i < 5; i++) {
		berth_config_item it[] = {{"rootdirectory", f.root},
					  {"maxthreads", bad_threads[i]}};
		berth_config c = {2, it};
		CHECK_EQ_INT(d->create(&in, &host, &c), BERTH_E_CONFIG);
		CHECK(error_names("maxthreads"));
	}
	berth_config_item ok25[] = {{"rootdirectory", f.root},
				    {"maxthreads", "25"}};
	berth_config c25 = {2, ok25};
	CHECK_EQ_INT(d->create(&in, &host, &c25), BERTH_OK);
	if (in)
		d->destroy(in);

	/* A root below a regular file cannot be created. */
	char file[160], below[200];
	snprintf(file, sizeof file, "%s/plainfile", f.dir);
	FILE *fp = fopen(file, "w");
	CHECK(fp != NULL);
	if (fp)
		fclose(fp);
	snprintf(below, sizeof below, "%s/sub", file);
	berth_config_item under_file[] = {{"rootdirectory", below}};
	berth_config cu = {1, under_file};
	in = NULL;
	CHECK(d->create(&in, &host, &cu) != BERTH_OK);
	CHECK(in == NULL);
	CHECK(error_names(below));

	/* A read-only root is refused (root bypasses modes: not checked). */
	if (geteuid() != 0) {
		char ro[160];
		snprintf(ro, sizeof ro, "%s/readonly", f.dir);
		CHECK(mkdir(ro, 0500) == 0);
		berth_config_item it[] = {{"rootdirectory", ro}};
		berth_config c = {1, it};
		CHECK_EQ_INT(d->create(&in, &host, &c), BERTH_E_PERMISSION);
		CHECK(error_names("not writable"));
		chmod(ro, 0700);
	}
	fx_close(&f);
}

TEST(fs_put_get)
{
	fx f;
	if (!fx_open(&f))
		return;
	CHECK_EQ_INT(put(&f, "/a/b/c", "hello"), BERTH_OK);
	CHECK_CONTENT(&f, "/a/b/c", "hello");
	/* Overwrite with something shorter: no tail of the old content. */
	CHECK_EQ_INT(put(&f, "/a/b/c", "hi"), BERTH_OK);
	CHECK_CONTENT(&f, "/a/b/c", "hi");
	CHECK_EQ_INT(put(&f, "/a/b/c", ""), BERTH_OK);
	CHECK_CONTENT(&f, "/a/b/c", "");
	/* Binary data with NULs round-trips with its length. */
	char bin[] = {'x', 0, 'y', 0};
	CHECK_EQ_INT(f.d->put_content(f.in, "/bin", bin, 4), BERTH_OK);
	char *out = NULL;
	size_t len = 0;
	CHECK_EQ_INT(f.d->get_content(f.in, "/bin", &out, &len), BERTH_OK);
	CHECK_EQ_INT(len, 4);
	CHECK(out && !memcmp(out, bin, 4) && out[4] == 0);
	free(out);

	CHECK_EQ_INT(f.d->get_content(f.in, "/a/nope", &out, &len),
		     BERTH_E_NOT_FOUND);
	CHECK(error_names("/a/nope"));
	/* A directory is not an object. */
	CHECK_EQ_INT(f.d->get_content(f.in, "/a/b", &out, &len),
		     BERTH_E_NOT_FOUND);
	/* Below a file there is nothing. */
	CHECK_EQ_INT(f.d->get_content(f.in, "/a/b/c/d", &out, &len),
		     BERTH_E_NOT_FOUND);
	/* No temporaries are left behind. */
	fx_close(&f);
}

static int count_cb(const char *path, void *p)
{
	(*(int *)p)++;
	return 0;
}

static berth_walk_action walk_count(const char *path,
				    const berth_stat_info *i, void *p)
{
	(*(int *)p)++;
	return BERTH_WALK_CONTINUE;
}

TEST(fs_path_validation)
{
	fx f;
	if (!fx_open(&f))
		return;
	CHECK_EQ_INT(put(&f, "/Ab-c_d.e/0.9/x..y", "ok"), BERTH_OK);
	CHECK_CONTENT(&f, "/Ab-c_d.e/0.9/x..y", "ok");
	CHECK_EQ_INT(put(&f, "/.hidden", "ok"), BERTH_OK);

	const char *bad[] = {"/",      "a",     "",      "/a/../b", "/a//b",
			     "/a b",   "/a~b",  "/a/",   "/a/./b",  "/..",
			     "/.",     "//",    "/a\\b", "/a/b~partial",
			     "/\xc3\xa9"};
	size_t nbad = sizeof bad / sizeof bad[0];
	for (size_t i = 0; i < nbad; i++) {
		const char *p = bad[i];
		char *out = NULL;
		size_t len;
		berth_reader *r = NULL;
		berth_writer *w = NULL;
		berth_stat_info st;
		int fd = -1, n = 0;
		uint64_t sz;
		CHECK_EQ_INT(put(&f, p, "x"), BERTH_E_INVALID_PATH);
		CHECK(error_names("filesystem: invalid path"));
		CHECK_EQ_INT(f.d->get_content(f.in, p, &out, &len),
			     BERTH_E_INVALID_PATH);
		CHECK_EQ_INT(f.d->reader_open(&r, f.in, p, 0),
			     BERTH_E_INVALID_PATH);
		CHECK_EQ_INT(f.d->writer_open(&w, f.in, p, 1),
			     BERTH_E_INVALID_PATH);
		CHECK_EQ_INT(f.d->remove(f.in, p), BERTH_E_INVALID_PATH);
		CHECK_EQ_INT(f.d->move(f.in, p, "/ok"), BERTH_E_INVALID_PATH);
		CHECK_EQ_INT(f.d->move(f.in, "/.hidden", p),
			     BERTH_E_INVALID_PATH);
		CHECK_EQ_INT(f.d->open_fd(f.in, p, &fd, &sz),
			     BERTH_E_INVALID_PATH);
		if (strcmp(p, "/") != 0) {
			CHECK_EQ_INT(f.d->stat(f.in, p, &st),
				     BERTH_E_INVALID_PATH);
			CHECK_EQ_INT(f.d->list(f.in, p, count_cb, &n),
				     BERTH_E_INVALID_PATH);
			CHECK_EQ_INT(f.d->walk(f.in, p, NULL, walk_count, &n),
				     BERTH_E_INVALID_PATH);
		}
		CHECK_EQ_INT(n, 0);
	}
	/* Nothing invalid reached the disk. */
	CHECK(!disk_exists(&f, "/a b"));
	CHECK(!disk_exists(&f, "/a~b"));
	CHECK(!disk_exists(&f, "/b"));
	CHECK(disk_exists(&f, "/.hidden"));
	fx_close(&f);
}

/* Read everything from `r` in small pieces; caller frees. */
static char *read_all(fx *f, berth_reader *r)
{
	size_t cap = 64, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (len + 4 > cap)
			buf = realloc(buf, cap *= 2);
		size_t n = 0;
		if (f->d->reader_read(r, buf + len, 3, &n) != BERTH_OK) {
			free(buf);
			return NULL;
		}
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	return buf;
}

TEST(fs_reader_offsets)
{
	fx f;
	if (!fx_open(&f))
		return;
	const char *text = "hello world";
	int64_t n = (int64_t)strlen(text);
	CHECK_EQ_INT(put(&f, "/r/obj", text), BERTH_OK);
	struct {
		int64_t off;
		int rc;
		const char *want;
	} cases[] = {{0, BERTH_OK, "hello world"},
		     {6, BERTH_OK, "world"},
		     {n - 1, BERTH_OK, "d"},
		     {n, BERTH_OK, ""},
		     {n + 1, BERTH_E_INVALID_OFFSET, NULL},
		     {-1, BERTH_E_INVALID_OFFSET, NULL}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		berth_reader *r = NULL;
		int rc = f.d->reader_open(&r, f.in, "/r/obj", cases[i].off);
		CHECK_EQ_INT(rc, cases[i].rc);
		if (rc != BERTH_OK) {
			CHECK(error_names("/r/obj"));
			continue;
		}
		char *got = read_all(&f, r);
		CHECK_STR(got, cases[i].want);
		free(got);
		f.d->reader_close(r);
	}
	berth_reader *r = NULL;
	CHECK_EQ_INT(f.d->reader_open(&r, f.in, "/r/missing", 0),
		     BERTH_E_NOT_FOUND);
	CHECK_EQ_INT(f.d->reader_open(&r, f.in, "/r", 0), BERTH_E_NOT_FOUND);
	fx_close(&f);
}

TEST(fs_writer_invisible_until_commit)
{
	fx f;
	if (!fx_open(&f))
		return;
	berth_writer *w = NULL;
	CHECK_EQ_INT(f.d->writer_open(&w, f.in, "/u/data", 0), BERTH_OK);
	if (!w) {
		fx_close(&f);
		return;
	}
	/* Many small writes crossing the internal buffer, then a big one. */
	char chunk[33];
	size_t total = 0;
	for (int i = 0; i < 5000; i++) {
		snprintf(chunk, sizeof chunk, "%031d\n", i);
		CHECK_EQ_INT(f.d->writer_write(w, chunk, 32), BERTH_OK);
		total += 32;
	}
	size_t big_n = 200000;
	char *big = malloc(big_n);
	memset(big, 'B', big_n);
	CHECK_EQ_INT(f.d->writer_write(w, big, big_n), BERTH_OK);
	total += big_n;
	CHECK_EQ_INT(f.d->writer_size(w), total);

	berth_stat_info st;
	CHECK_EQ_INT(f.d->stat(f.in, "/u/data", &st), BERTH_E_NOT_FOUND);
	char *out = NULL;
	size_t len = 0;
	CHECK_EQ_INT(f.d->get_content(f.in, "/u/data", &out, &len),
		     BERTH_E_NOT_FOUND);
	int n = 0;
	CHECK_EQ_INT(f.d->list(f.in, "/u", count_cb, &n), BERTH_OK);
	CHECK_EQ_INT(n, 0); /* the sidecar is hidden */

	CHECK_EQ_INT(f.d->writer_commit(w), BERTH_OK);
	CHECK_EQ_INT(f.d->stat(f.in, "/u/data", &st), BERTH_OK);
	CHECK_EQ_INT(st.size, total);
	CHECK_EQ_INT(f.d->get_content(f.in, "/u/data", &out, &len), BERTH_OK);
	CHECK_EQ_INT(len, total);
	if (out && len == total) {
		CHECK(!memcmp(out, "0000000000000000000000000000000\n", 32));
		CHECK(!memcmp(out + 4999 * 32,
			      "0000000000000000000000000004999\n", 32));
		CHECK(!memcmp(out + 5000 * 32, big, big_n));
	}
	free(out);
	free(big);
	CHECK(!disk_exists(&f, "/u/data~partial"));

	/* After commit only close is allowed. */
	CHECK_EQ_INT(f.d->writer_write(w, "x", 1), BERTH_E_STATE);
	CHECK(error_names("/u/data"));
	CHECK_EQ_INT(f.d->writer_commit(w), BERTH_E_STATE);
	CHECK_EQ_INT(f.d->writer_cancel(w), BERTH_E_STATE);
	CHECK_EQ_INT(f.d->writer_size(w), total);
	CHECK_EQ_INT(f.d->writer_close(w), BERTH_OK);

	/* A committed writer replaces existing content entirely. */
	CHECK_EQ_INT(f.d->writer_open(&w, f.in, "/u/data", 0), BERTH_OK);
	CHECK_EQ_INT(f.d->writer_write(w, "short", 5), BERTH_OK);
	CHECK_EQ_INT(f.d->writer_commit(w), BERTH_OK);
	CHECK_EQ_INT(f.d->writer_close(w), BERTH_OK);
	CHECK_CONTENT(&f, "/u/data", "short");
	fx_close(&f);
}

static void write_and_close(fx *f, const char *path, int append,
			    const char *s, uint64_t want_size_before)
{
	berth_writer *w = NULL;
	CHECK_EQ_INT(f->d->writer_open(&w, f->in, path, append), BERTH_OK);
	if (!w)
		return;
	CHECK_EQ_INT(f->d->writer_size(w), want_size_before);
	CHECK_EQ_INT(f->d->writer_write(w, s, strlen(s)), BERTH_OK);
	CHECK_EQ_INT(f->d->writer_close(w), BERTH_OK);
}

TEST(fs_writer_resume)
{
	fx f;
	if (!fx_open(&f))
		return;
	write_and_close(&f, "/up/1/data", 0, "abc", 0);
	write_and_close(&f, "/up/1/data", 1, "def", 3);
	/* Survives the instance going away (as across a restart). */
	f.d->destroy(f.in);
	CHECK_EQ_INT(fx_create(&f), BERTH_OK);
	berth_stat_info st;
	CHECK_EQ_INT(f.d->stat(f.in, "/up/1/data", &st), BERTH_E_NOT_FOUND);
	berth_writer *w = NULL;
	CHECK_EQ_INT(f.d->writer_open(&w, f.in, "/up/1/data", 1), BERTH_OK);
	if (w) {
		CHECK_EQ_INT(f.d->writer_size(w), 6);
		CHECK_EQ_INT(f.d->writer_commit(w), BERTH_OK);
		CHECK_EQ_INT(f.d->writer_close(w), BERTH_OK);
	}
	CHECK_CONTENT(&f, "/up/1/data", "abcdef");

	/* Appending to a committed object continues it, invisibly. */
	write_and_close(&f, "/up/1/data", 1, "g", 6);
	CHECK_CONTENT(&f, "/up/1/data", "abcdef");
	CHECK_EQ_INT(f.d->writer_open(&w, f.in, "/up/1/data", 1), BERTH_OK);
	if (w) {
		CHECK_EQ_INT(f.d->writer_size(w), 7);
		CHECK_EQ_INT(f.d->writer_write(w, "h", 1), BERTH_OK);
		CHECK_EQ_INT(f.d->writer_commit(w), BERTH_OK);
		CHECK_EQ_INT(f.d->writer_close(w), BERTH_OK);
	}
	CHECK_CONTENT(&f, "/up/1/data", "abcdefgh");

	/* append == 0 discards uncommitted data. */
	write_and_close(&f, "/up/2/data", 0, "old", 0);
	write_and_close(&f, "/up/2/data", 0, "new", 0);
	CHECK_EQ_INT(f.d->writer_open(&w, f.in, "/up/2/data", 1), BERTH_OK);
	if (w) {
		CHECK_EQ_INT(f.d->writer_size(w), 3);
		CHECK_EQ_INT(f.d->writer_commit(w), BERTH_OK);
		CHECK_EQ_INT(f.d->writer_close(w), BERTH_OK);
	}
	CHECK_CONTENT(&f, "/up/2/data", "new");

	/* append == 1 on nothing starts empty. */
	write_and_close(&f, "/up/3/data", 1, "fresh", 0);
	fx_close(&f);
}

TEST(fs_writer_empty_then_append)
{
	fx f;
	if (!fx_open(&f))
		return;
	CHECK_EQ_INT(put(&f, "/e/obj", ""), BERTH_OK);
	berth_writer *w = NULL;
	CHECK_EQ_INT(f.d->writer_open(&w, f.in, "/e/obj", 1), BERTH_OK);
	if (w) {
		CHECK_EQ_INT(f.d->writer_size(w), 0);
		CHECK_EQ_INT(f.d->writer_write(w, "z", 1), BERTH_OK);
		CHECK_EQ_INT(f.d->writer_commit(w), BERTH_OK);
		CHECK_EQ_INT(f.d->writer_close(w), BERTH_OK);
	}
	CHECK_CONTENT(&f, "/e/obj", "z");

	/* A writer committed without any data makes an empty object. */
	CHECK_EQ_INT(f.d->writer_open(&w, f.in, "/e/empty", 0), BERTH_OK);
	if (w) {
		CHECK_EQ_INT(f.d->writer_commit(w), BERTH_OK);
		CHECK_EQ_INT(f.d->writer_close(w), BERTH_OK);
	}
	berth_stat_info st;
	CHECK_EQ_INT(f.d->stat(f.in, "/e/empty", &st), BERTH_OK);
	CHECK_EQ_INT(st.size, 0);
	CHECK_EQ_INT(st.is_dir, 0);
	fx_close(&f);
}

TEST(fs_writer_cancel)
{
	fx f;
	if (!fx_open(&f))
		return;
	write_and_close(&f, "/c/u/data", 0, "abc", 0);
	berth_writer *w = NULL;
	CHECK_EQ_INT(f.d->writer_open(&w, f.in, "/c/u/data", 1), BERTH_OK);
	if (w) {
		CHECK_EQ_INT(f.d->writer_write(w, "more", 4), BERTH_OK);
		CHECK_EQ_INT(f.d->writer_cancel(w), BERTH_OK);
		CHECK_EQ_INT(f.d->writer_write(w, "x", 1), BERTH_E_STATE);
		CHECK_EQ_INT(f.d->writer_commit(w), BERTH_E_STATE);
		CHECK_EQ_INT(f.d->writer_close(w), BERTH_OK);
	}
	CHECK(!disk_exists(&f, "/c/u/data~partial"));
	CHECK(!disk_exists(&f, "/c/u/data"));
	/* Nothing is left: not even the directories made for the writer. */
	int n = 0;
	CHECK_EQ_INT(f.d->list(f.in, "/", count_cb, &n), BERTH_OK);
	CHECK_EQ_INT(n, 0);
	write_and_close(&f, "/c/u/data", 1, "", 0);

	/* Cancelling leaves a committed object as it was. */
	CHECK_EQ_INT(put(&f, "/c/kept", "committed"), BERTH_OK);
	CHECK_EQ_INT(f.d->writer_open(&w, f.in, "/c/kept", 1), BERTH_OK);
	if (w) {
		CHECK_EQ_INT(f.d->writer_write(w, "junk", 4), BERTH_OK);
		CHECK_EQ_INT(f.d->writer_cancel(w), BERTH_OK);
		CHECK_EQ_INT(f.d->writer_close(w), BERTH_OK);
	}
	CHECK_CONTENT(&f, "/c/kept", "committed");
	fx_close(&f);
}

/* Collects list/walk output as "path;" text. */
typedef struct seen {
	char text[4096];
	int n;
	int stop_at;                /* list: stop after this many */
	const char *skip, *stop_on; /* walk: answers for these paths */
} seen;

/* Like CHECK_STR, for output longer than its message buffer. */
#define CHECK_SEEN(s, want)                                               \
	do {                                                              \
		if (strcmp((s).text, (want)) != 0) {                      \
			fprintf(stderr, "    got  \"%s\"\n    want \"%s\"\n", \
				(s).text, (want));                        \
			test_fail(__FILE__, __LINE__, "output of " #s);   \
		}                                                         \
	} while (0)

static int list_cb(const char *path, void *p)
{
	seen *s = p;
	s->n++;
	strcat(s->text, path);
	strcat(s->text, ";");
	return s->stop_at && s->n >= s->stop_at;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* list output, sorted (list order is unspecified). */
static void sorted(seen *s)
{
	char *parts[64];
	int n = 0;
	char copy[4096];
	strcpy(copy, s->text);
	for (char *t = strtok(copy, ";"); t && n < 64; t = strtok(NULL, ";"))
		parts[n++] = t;
	qsort(parts, (size_t)n, sizeof parts[0], cmp_str);
	s->text[0] = '\0';
	for (int i = 0; i < n; i++) {
		strcat(s->text, parts[i]);
		strcat(s->text, ";");
	}
}

TEST(fs_list)
{
	fx f;
	if (!fx_open(&f))
		return;
	seen s = {0};
	CHECK_EQ_INT(f.d->list(f.in, "/", list_cb, &s), BERTH_OK);
	CHECK_EQ_INT(s.n, 0);
	CHECK_EQ_INT(put(&f, "/l/a", "1"), BERTH_OK);
	CHECK_EQ_INT(put(&f, "/l/b/c", "2"), BERTH_OK);
	CHECK_EQ_INT(put(&f, "/l/d/e/f", "3"), BERTH_OK);
	CHECK_EQ_INT(put(&f, "/la", "4"), BERTH_OK);
	write_and_close(&f, "/l/pending", 0, "x", 0); /* sidecar only */
	char stray[256];
	snprintf(stray, sizeof stray, "%s/l/x~tmp.1.2", f.root);
	FILE *fp = fopen(stray, "w");
	CHECK(fp != NULL);
	if (fp)
		fclose(fp);

	memset(&s, 0, sizeof s);
	CHECK_EQ_INT(f.d->list(f.in, "/l", list_cb, &s), BERTH_OK);
	sorted(&s);
	CHECK_SEEN(s, "/l/a;/l/b;/l/d;");
	memset(&s, 0, sizeof s);
	CHECK_EQ_INT(f.d->list(f.in, "/", list_cb, &s), BERTH_OK);
	sorted(&s);
	CHECK_SEEN(s, "/l;/la;");
	memset(&s, 0, sizeof s);
	s.stop_at = 1;
	CHECK_EQ_INT(f.d->list(f.in, "/l", list_cb, &s), BERTH_OK);
	CHECK_EQ_INT(s.n, 1);

	memset(&s, 0, sizeof s);
	CHECK_EQ_INT(f.d->list(f.in, "/l/a", list_cb, &s), BERTH_E_NOT_FOUND);
	CHECK(error_names("/l/a"));
	CHECK_EQ_INT(f.d->list(f.in, "/nope", list_cb, &s), BERTH_E_NOT_FOUND);
	CHECK_EQ_INT(s.n, 0);

	/* A root removed behind the driver's back still lists as empty. */
	rm_rf(f.root);
	CHECK_EQ_INT(f.d->list(f.in, "/", list_cb, &s), BERTH_OK);
	CHECK_EQ_INT(s.n, 0);
	fx_close(&f);
}

TEST(fs_move)
{
	fx f;
	if (!fx_open(&f))
		return;
	CHECK_EQ_INT(put(&f, "/m/src", "payload"), BERTH_OK);
	CHECK_EQ_INT(f.d->move(f.in, "/m/src", "/n/deep/dst"), BERTH_OK);
	CHECK_CONTENT(&f, "/n/deep/dst", "payload");
	berth_stat_info st;
	CHECK_EQ_INT(f.d->stat(f.in, "/m/src", &st), BERTH_E_NOT_FOUND);
	/* The source's emptied directory went with it. */
	CHECK_EQ_INT(f.d->stat(f.in, "/m", &st), BERTH_E_NOT_FOUND);

	/* Overwrite. */
	CHECK_EQ_INT(put(&f, "/m/other", "new"), BERTH_OK);
	CHECK_EQ_INT(f.d->move(f.in, "/m/other", "/n/deep/dst"), BERTH_OK);
	CHECK_CONTENT(&f, "/n/deep/dst", "new");

	/* Missing source: error, destination untouched, nothing created. */
	CHECK_EQ_INT(f.d->move(f.in, "/m/ghost", "/n/deep/dst"),
		     BERTH_E_NOT_FOUND);
	CHECK(error_names("/m/ghost"));
	CHECK_CONTENT(&f, "/n/deep/dst", "new");
	CHECK_EQ_INT(f.d->move(f.in, "/m/ghost", "/q/r/s"), BERTH_E_NOT_FOUND);
	CHECK(!disk_exists(&f, "/q"));

	/* Directories move too. */
	CHECK_EQ_INT(put(&f, "/dir1/x/y", "t"), BERTH_OK);
	CHECK_EQ_INT(f.d->move(f.in, "/dir1/x", "/dir2/x"), BERTH_OK);
	CHECK_CONTENT(&f, "/dir2/x/y", "t");
	fx_close(&f);
}

TEST(fs_remove)
{
	fx f;
	if (!fx_open(&f))
		return;
	CHECK_EQ_INT(put(&f, "/r/a/x", "1"), BERTH_OK);
	CHECK_EQ_INT(put(&f, "/r/a/y/z", "2"), BERTH_OK);
	CHECK_EQ_INT(put(&f, "/r/ab/k", "3"), BERTH_OK);
	CHECK_EQ_INT(put(&f, "/r/a.b", "4"), BERTH_OK);
	write_and_close(&f, "/r/a/y/up", 0, "partial", 0);
	CHECK_EQ_INT(f.d->remove(f.in, "/r/a"), BERTH_OK);
	berth_stat_info st;
	CHECK_EQ_INT(f.d->stat(f.in, "/r/a", &st), BERTH_E_NOT_FOUND);
	CHECK(!disk_exists(&f, "/r/a"));
	CHECK_CONTENT(&f, "/r/ab/k", "3");
	CHECK_CONTENT(&f, "/r/a.b", "4");
	CHECK_EQ_INT(f.d->remove(f.in, "/r/a"), BERTH_E_NOT_FOUND);
	CHECK(error_names("/r/a"));

	/* A file, and the emptied parents up to (not including) the root. */
	CHECK_EQ_INT(put(&f, "/p/q/r/s", "deep"), BERTH_OK);
	CHECK_EQ_INT(put(&f, "/p/keep", "k"), BERTH_OK);
	CHECK_EQ_INT(f.d->remove(f.in, "/p/q/r/s"), BERTH_OK);
	CHECK_EQ_INT(f.d->stat(f.in, "/p/q", &st), BERTH_E_NOT_FOUND);
	CHECK_CONTENT(&f, "/p/keep", "k");
	CHECK_EQ_INT(f.d->remove(f.in, "/p/keep"), BERTH_OK);
	CHECK_EQ_INT(f.d->stat(f.in, "/p", &st), BERTH_E_NOT_FOUND);
	struct stat ds;
	CHECK(stat(f.root, &ds) == 0 && S_ISDIR(ds.st_mode));
	fx_close(&f);
}

TEST(fs_stat)
{
	fx f;
	if (!fx_open(&f))
		return;
	int64_t before = host_now();
	CHECK_EQ_INT(put(&f, "/s/file", "12345"), BERTH_OK);
	int64_t after = host_now();
	berth_stat_info st;
	CHECK_EQ_INT(f.d->stat(f.in, "/s/file", &st), BERTH_OK);
	CHECK_EQ_INT(st.size, 5);
	CHECK_EQ_INT(st.is_dir, 0);
	/* Filesystem timestamps may be coarser than the clock. */
	CHECK(st.mtime_ns >= before - 1000000000LL);
	CHECK(st.mtime_ns <= after + 1000000000LL);
	CHECK_EQ_INT(f.d->stat(f.in, "/s", &st), BERTH_OK);
	CHECK_EQ_INT(st.is_dir, 1);
	CHECK_EQ_INT(st.size, 0);
	CHECK_EQ_INT(f.d->stat(f.in, "/", &st), BERTH_OK);
	CHECK_EQ_INT(st.is_dir, 1);
	CHECK_EQ_INT(f.d->stat(f.in, "/s/none", &st), BERTH_E_NOT_FOUND);
	CHECK(error_names("/s/none"));
	CHECK_EQ_INT(f.d->stat(f.in, "/s/file/below", &st), BERTH_E_NOT_FOUND);
	write_and_close(&f, "/s/pending", 0, "x", 0);
	CHECK_EQ_INT(f.d->stat(f.in, "/s/pending", &st), BERTH_E_NOT_FOUND);
	fx_close(&f);
}

static berth_walk_action walk_cb(const char *path, const berth_stat_info *i,
				 void *p)
{
	seen *s = p;
	s->n++;
	strcat(s->text, path);
	if (i->is_dir)
		strcat(s->text, "/");
	strcat(s->text, ";");
	if (s->stop_on && !strcmp(path, s->stop_on))
		return BERTH_WALK_STOP;
	if (s->skip && !strcmp(path, s->skip))
		return BERTH_WALK_SKIP_DIR;
	return BERTH_WALK_CONTINUE;
}

TEST(fs_walk)
{
	fx f;
	if (!fx_open(&f))
		return;
	seen s = {0};
	CHECK_EQ_INT(f.d->walk(f.in, "/", NULL, walk_cb, &s), BERTH_OK);
	CHECK_EQ_INT(s.n, 0);
	const char *files[] = {"/w/a/1", "/w/a/2/z", "/w/a.x", "/w/b/1",
			       "/w/c",   "/w/B",     "/w/a-"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		CHECK_EQ_INT(put(&f, files[i], "x"), BERTH_OK);
	write_and_close(&f, "/w/b/hidden", 0, "x", 0); /* sidecar only */

	/* Byte order of names ('B' < 'a', '-' < '.'), depth-first: "/w/a.x"
	   comes after everything below "/w/a" although strcmp on whole
	   paths would put it first. */
	const char *all = "/w/B;/w/a/;/w/a/1;/w/a/2/;/w/a/2/z;/w/a-;/w/a.x;"
			  "/w/b/;/w/b/1;/w/c;";
	memset(&s, 0, sizeof s);
	CHECK_EQ_INT(f.d->walk(f.in, "/w", NULL, walk_cb, &s), BERTH_OK);
	CHECK_SEEN(s, all);
	memset(&s, 0, sizeof s);
	CHECK_EQ_INT(f.d->walk(f.in, "/", NULL, walk_cb, &s), BERTH_OK);
	CHECK(!strncmp(s.text, "/w/;", 4) && !strcmp(s.text + 4, all));

	memset(&s, 0, sizeof s);
	s.skip = "/w/a";
	CHECK_EQ_INT(f.d->walk(f.in, "/w", NULL, walk_cb, &s), BERTH_OK);
	CHECK_SEEN(s, "/w/B;/w/a/;/w/a-;/w/a.x;/w/b/;/w/b/1;/w/c;");

	memset(&s, 0, sizeof s);
	s.stop_on = "/w/a/2";
	CHECK_EQ_INT(f.d->walk(f.in, "/w", NULL, walk_cb, &s), BERTH_OK);
	CHECK_SEEN(s, "/w/B;/w/a/;/w/a/1;/w/a/2/;");

	struct {
		const char *after, *want;
	} resume[] = {
		{"/w/a/2", "/w/a/2/z;/w/a-;/w/a.x;/w/b/;/w/b/1;/w/c;"},
		{"/w/a/2/z", "/w/a-;/w/a.x;/w/b/;/w/b/1;/w/c;"},
		{"/w/a.x", "/w/b/;/w/b/1;/w/c;"},
		{"/w/a/10", "/w/a/2/;/w/a/2/z;/w/a-;/w/a.x;/w/b/;/w/b/1;/w/c;"},
		{"/w/C", "/w/a/;/w/a/1;/w/a/2/;/w/a/2/z;/w/a-;/w/a.x;/w/b/;"
			 "/w/b/1;/w/c;"},
		{"/w/c", ""},
		{"/w/zzz", ""},
		{"/a", all},
	};
	for (size_t i = 0; i < sizeof resume / sizeof resume[0]; i++) {
		memset(&s, 0, sizeof s);
		CHECK_EQ_INT(f.d->walk(f.in, "/w", resume[i].after, walk_cb, &s),
			     BERTH_OK);
		CHECK_SEEN(s, resume[i].want);
	}

	CHECK_EQ_INT(f.d->walk(f.in, "/nope", NULL, walk_cb, &s),
		     BERTH_E_NOT_FOUND);
	CHECK(error_names("/nope"));
	CHECK_EQ_INT(f.d->walk(f.in, "/w/c", NULL, walk_cb, &s),
		     BERTH_E_NOT_FOUND);
	fx_close(&f);
}

static berth_walk_action size_cb(const char *path, const berth_stat_info *i,
				 void *p)
{
	*(uint64_t *)p = i->size;
	return BERTH_WALK_CONTINUE;
}

TEST(fs_walk_sizes)
{
	fx f;
	if (!fx_open(&f))
		return;
	CHECK_EQ_INT(put(&f, "/v/sized", "123456"), BERTH_OK);
	uint64_t size = 0;
	CHECK_EQ_INT(f.d->walk(f.in, "/v", NULL, size_cb, &size), BERTH_OK);
	CHECK_EQ_INT(size, 6);
	fx_close(&f);
}

TEST(fs_open_fd)
{
	fx f;
	if (!fx_open(&f))
		return;
	CHECK_EQ_INT(put(&f, "/o/blob", "original"), BERTH_OK);
	int fd = -1;
	uint64_t size = 0;
	CHECK_EQ_INT(f.d->open_fd(f.in, "/o/blob", &fd, &size), BERTH_OK);
	CHECK_EQ_INT(size, 8);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		/* The descriptor keeps the old object when it is replaced. */
		CHECK_EQ_INT(put(&f, "/o/blob", "replaced!"), BERTH_OK);
		char buf[32] = {0};
		CHECK_EQ_INT(pread(fd, buf, sizeof buf - 1, 0), 8);
		CHECK_STR(buf, "original");
		close(fd);
	}
	CHECK_EQ_INT(f.d->open_fd(f.in, "/o/none", &fd, &size),
		     BERTH_E_NOT_FOUND);
	CHECK(error_names("/o/none"));
	CHECK_EQ_INT(f.d->open_fd(f.in, "/o", &fd, &size), BERTH_E_NOT_FOUND);
	fx_close(&f);
}

typedef struct worker {
	fx *f;
	int id;
	int failures;
} worker;

/* Each thread writes its own objects in directories shared with the
   others and removes some again, so directory creation races with the
   pruning of emptied parents. */
static void *worker_main(void *p)
{
	worker *wk = p;
	fx *f = wk->f;
	char path[128], want[64];
	for (int i = 0; i < 40; i++) {
		snprintf(path, sizeof path, "/t/shared/d%d/t%d-%d", i % 3,
			 wk->id, i);
		snprintf(want, sizeof want, "thread %d item %d", wk->id, i);
		if (put(f, path, want) != BERTH_OK)
			wk->failures++;
		char *got = get(f, path);
		if (!got || strcmp(got, want))
			wk->failures++;
		free(got);

		snprintf(path, sizeof path, "/t/w%d/up/data", wk->id);
		berth_writer *w = NULL;
		if (f->d->writer_open(&w, f->in, path, 1) != BERTH_OK) {
			wk->failures++;
			continue;
		}
		if (f->d->writer_size(w) != (uint64_t)i * 32)
			wk->failures++;
		for (int k = 0; k < 32; k++)
			if (f->d->writer_write(w, "x", 1) != BERTH_OK)
				wk->failures++;
		if (f->d->writer_close(w) != BERTH_OK)
			wk->failures++;

		/* Remove the previous item: may prune d<n> while another
		   thread is about to create a file in it. */
		if (i > 0) {
			snprintf(path, sizeof path, "/t/shared/d%d/t%d-%d",
				 (i - 1) % 3, wk->id, i - 1);
			if (f->d->remove(f->in, path) != BERTH_OK)
				wk->failures++;
		}
	}
	return NULL;
}

TEST(fs_concurrent_writers)
{
	fx f;
	if (!fx_open(&f))
		return;
	enum { N = 8 };
	pthread_t th[N];
	worker wk[N];
	for (int i = 0; i < N; i++) {
		wk[i] = (worker){.f = &f, .id = i};
		CHECK(pthread_create(&th[i], NULL, worker_main, &wk[i]) == 0);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ_INT(wk[i].failures, 0);
	}
	for (int i = 0; i < N; i++) {
		char path[128], want[64];
		snprintf(path, sizeof path, "/t/shared/d%d/t%d-%d", 39 % 3, i,
			 39);
		snprintf(want, sizeof want, "thread %d item %d", i, 39);
		CHECK_CONTENT(&f, path, want);
		snprintf(path, sizeof path, "/t/w%d/up/data", i);
		berth_writer *w = NULL;
		CHECK_EQ_INT(f.d->writer_open(&w, f.in, path, 1), BERTH_OK);
		if (w) {
			CHECK_EQ_INT(f.d->writer_size(w), 40 * 32);
			CHECK_EQ_INT(f.d->writer_cancel(w), BERTH_OK);
			f.d->writer_close(w);
		}
	}
	/* Only each thread's last item is left in the shared tree. */
	int n = 0;
	CHECK_EQ_INT(f.d->walk(f.in, "/t/shared", NULL, walk_count, &n),
		     BERTH_OK);
	CHECK_EQ_INT(n, 1 + N);
	fx_close(&f);
}

static void *churn_main(void *p)
{
	worker *wk = p;
	fx *f = wk->f;
	char path[64];
	snprintf(path, sizeof path, "/hot/a/b/t%d", wk->id);
	for (int i = 0; i < 100; i++) {
		if (put(f, path, "x") != BERTH_OK)
			wk->failures++;
		if (f->d->remove(f->in, path) != BERTH_OK)
			wk->failures++;
	}
	/* Writers never sync before cancel: a much tighter loop. */
	for (int i = 0; i < 1000; i++) {
		berth_writer *w = NULL;
		if (f->d->writer_open(&w, f->in, path, 0) != BERTH_OK) {
			wk->failures++;
			continue;
		}
		if (f->d->writer_cancel(w) != BERTH_OK)
			wk->failures++;
		f->d->writer_close(w);
	}
	return NULL;
}

/* Eight threads create and delete files in one directory: each delete
   prunes the (momentarily empty) directories the others are creating
   files in, and no put may fail because of that. */
TEST(fs_concurrent_prune_race)
{
	fx f;
	if (!fx_open(&f))
		return;
	enum { N = 8 };
	pthread_t th[N];
	worker wk[N];
	for (int i = 0; i < N; i++) {
		wk[i] = (worker){.f = &f, .id = i};
		CHECK(pthread_create(&th[i], NULL, churn_main, &wk[i]) == 0);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		CHECK_EQ_INT(wk[i].failures, 0);
	}
	berth_stat_info st;
	CHECK_EQ_INT(f.d->stat(f.in, "/hot", &st), BERTH_E_NOT_FOUND);
	fx_close(&f);
}
