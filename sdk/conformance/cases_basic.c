/*
 * cases_basic.c - conformance cases about paths and whole-object content:
 * the path grammar (valid paths work, invalid ones are refused with
 * INVALID_PATH by every method), put_content/get_content round trips with
 * text, UTF-8 and non-UTF-8 binary content, truncation on re-put, and
 * what happens with missing objects and directories.
 *
 * Invalid paths are built under the case directory where the grammar
 * allows it, so a driver that wrongly accepts one writes inside the test
 * root (where the leftover check finds it) rather than into real data.
 * remove("/") and move with "/" are deliberately not tried: a driver that
 * wrongly accepted them would destroy the whole store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conformance.h"

/* ---- invalid paths ---- */

/* Relative to the case directory. */
static const char *const bad_rel[] = {
	"/a/", "//a", "/a//b", "/a/../b", "/a/./b", "/..", "/.", "/a/..",
	"/a b", "/\xc3\xbc", "/\xe6\x97\xa5\xe6\x9c\xac", "/a\tb", "/a:b",
	"/a*b", "/a\\b", "/a?b", "/a%2Fb", "/a\nb", "/a\xff", "/a+b", "/a~b",
};
/* Used as they are. */
static const char *const bad_abs[] = {
	"", "a", "berth-conformance-relative", "berth-conformance-rel/a",
	" /a", "./a",
};

enum bad_method {
	BM_GET, BM_PUT, BM_READER, BM_WRITER, BM_STAT, BM_LIST, BM_MOVE_SRC,
	BM_MOVE_DST, BM_REMOVE, BM_WALK, BM_REDIRECT, BM_OPEN_FD,
};

static berth_walk_action walk_count(const char *path, const berth_stat_info *info,
				    void *payload)
{
	(*(int *)payload)++;
	return BERTH_WALK_CONTINUE;
}

static int list_count(const char *path, void *payload)
{
	(*(int *)payload)++;
	return 0;
}

/* Call `m` on `path`; returns the status.  `valid` is an existing object
   used as the other side of move. */
static int call_method(ct_ctx *c, enum bad_method m, const char *path,
		       const char *valid)
{
	const berth_storage_driver *d = c->d;
	char *buf = NULL;
	size_t len = 0;
	int rc, n = 0, fd = -1;
	uint64_t sz;
	berth_reader *r = NULL;
	berth_writer *w = NULL;
	berth_stat_info st;
	switch (m) {
	case BM_GET:
		rc = d->get_content(c->in, path, &buf, &len);
		if (rc == BERTH_OK)
			c->host->free(buf);
		return rc;
	case BM_PUT:
		return d->put_content(c->in, path, "x", 1);
	case BM_READER:
		rc = d->reader_open(&r, c->in, path, 0);
		if (rc == BERTH_OK)
			d->reader_close(r);
		return rc;
	case BM_WRITER:
		rc = d->writer_open(&w, c->in, path, 0);
		if (rc == BERTH_OK) {
			d->writer_cancel(w);
			d->writer_close(w);
		}
		return rc;
	case BM_STAT:
		return d->stat(c->in, path, &st);
	case BM_LIST:
		return d->list(c->in, path, list_count, &n);
	case BM_MOVE_SRC:
		return d->move(c->in, path, valid);
	case BM_MOVE_DST:
		return d->move(c->in, valid, path);
	case BM_REMOVE:
		return d->remove(c->in, path);
	case BM_WALK:
		return d->walk(c->in, path, NULL, walk_count, &n);
	case BM_REDIRECT:
		rc = d->redirect_url(c->in, path, "GET", &buf);
		if (rc == BERTH_OK)
			c->host->free(buf);
		return rc;
	case BM_OPEN_FD:
		rc = d->open_fd(c->in, path, &fd, &sz);
		if (rc == BERTH_OK && fd >= 0)
			close(fd);
		return rc;
	}
	return BERTH_E_INVALID_ARGUMENT;
}

/* Escape a path for a failure message. */
static const char *shown(ct_ctx *c, const char *p)
{
	size_t n = strlen(p);
	char *o = ct_alloc(c, n * 4 + 3), *q = o;
	*q++ = '"';
	for (const unsigned char *s = (const unsigned char *)p; *s; s++) {
		if (*s < 0x20 || *s >= 0x7f || *s == '"')
			q += sprintf(q, "\\x%02x", *s);
		else
			*q++ = (char)*s;
	}
	*q++ = '"';
	return o;
}

static int invalid_paths(ct_ctx *c, enum bad_method m, const char *mname)
{
	const berth_storage_driver *d = c->d;
	if (m == BM_WALK && !d->walk)
		return ct_skip(c, "driver has no walk and does not claim "
			       "BERTH_CAP_NATIVE_WALK (the core falls back to list)");
	if (m == BM_REDIRECT && !(d->capabilities & BERTH_CAP_REDIRECT))
		return ct_skip(c, "driver does not claim BERTH_CAP_REDIRECT");
	if (m == BM_OPEN_FD && !(d->capabilities & BERTH_CAP_FILE_DESCRIPTOR))
		return ct_skip(c, "driver does not claim BERTH_CAP_FILE_DESCRIPTOR");
	char *valid = ct_path(c, "/valid");
	int is_move = m == BM_MOVE_SRC || m == BM_MOVE_DST;
	if (is_move)
		CT_OK(c, d->put_content(c->in, valid, "v", 1),
		      ct_fmt(c, "put_content(%s)", valid));
	size_t nb = sizeof bad_rel / sizeof *bad_rel + sizeof bad_abs / sizeof *bad_abs + 1;
	for (size_t i = 0; i < nb; i++) {
		const char *p;
		if (i < sizeof bad_rel / sizeof *bad_rel)
			p = ct_path(c, bad_rel[i]);
		else if (i < nb - 1)
			p = bad_abs[i - sizeof bad_rel / sizeof *bad_rel];
		else if (m == BM_STAT || m == BM_LIST || m == BM_WALK || is_move ||
			 m == BM_REMOVE)
			continue; /* "/" is valid there, or too dangerous to try */
		else
			p = "/";
		ct_clear_detail();
		int rc = call_method(c, m, p, valid);
		CT_FAILIF(c, rc != BERTH_E_INVALID_PATH,
			  "%s(%s): got %s%s%s%s, want INVALID_PATH", mname, shown(c, p),
			  ct_status_name(rc), rc ? " (\"" : "", rc ? ct_detail() : "",
			  rc ? "\")" : "");
		if (is_move && ct_expect_content(c, valid, "v", 1))
			goto out;
	}
out:
	if (is_move)
		ct_rm(c, valid);
	return ct_result(c);
}

#define INVALID_CASE(fn, m, mname)                                            \
	static int fn(ct_ctx *c)                                              \
	{                                                                     \
		return invalid_paths(c, m, mname);                            \
	}
INVALID_CASE(c_inv_get, BM_GET, "get_content")
INVALID_CASE(c_inv_put, BM_PUT, "put_content")
INVALID_CASE(c_inv_reader, BM_READER, "reader_open")
INVALID_CASE(c_inv_writer, BM_WRITER, "writer_open")
INVALID_CASE(c_inv_stat, BM_STAT, "stat")
INVALID_CASE(c_inv_list, BM_LIST, "list")
INVALID_CASE(c_inv_move_src, BM_MOVE_SRC, "move(src)")
INVALID_CASE(c_inv_move_dst, BM_MOVE_DST, "move(dst)")
INVALID_CASE(c_inv_remove, BM_REMOVE, "remove")
INVALID_CASE(c_inv_walk, BM_WALK, "walk")
INVALID_CASE(c_inv_redirect, BM_REDIRECT, "redirect_url")
INVALID_CASE(c_inv_open_fd, BM_OPEN_FD, "open_fd")

/* ---- valid paths ---- */

static int c_valid_paths(ct_ctx *c)
{
	static const char *const good[] = {
		"/a", "/2", "/aa", "/a.a", "/0-9/abcdefg", "/abcdefg/z.75",
		"/abc/1.2.3.4.5-6_zyx/123.z/4", "/docker/docker-registry",
		"/123.abc", "/abc./abc", "/.abc", "/a--b", "/a-.b", "/_.abc",
		"/Docker/docker-registry", "/Abc/Cba", "/..a", "/a..", "/...",
		"/_", "/-", "/A_Z-a.z_0-9",
		"/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/d12/d13/d14/d15/d16/leaf",
	};
	size_t ng = sizeof good / sizeof *good;
	char longname[202];
	longname[0] = '/';
	for (int i = 1; i < 201; i++)
		longname[i] = "abcdefghijklmnopqrstuvwxyz0123456789._-"[i % 39];
	longname[201] = 0;
	for (size_t i = 0; i <= ng; i++) {
		const char *rel = i < ng ? good[i] : longname;
		char *p = ct_path(c, rel);
		berth_stat_info st;
		CT_OK(c, c->d->put_content(c->in, p, rel, strlen(rel)),
		      ct_fmt(c, "put_content(%s)", p));
		if (ct_expect_content(c, p, rel, strlen(rel)))
			goto out;
		CT_OK(c, c->d->stat(c->in, p, &st), ct_fmt(c, "stat(%s)", p));
		CT_FAILIF(c, st.is_dir || st.size != strlen(rel),
			  "stat(%s): is_dir %d size %llu, want a %zu-byte file", p,
			  st.is_dir, (unsigned long long)st.size, strlen(rel));
		CT_OK(c, c->d->remove(c->in, p), ct_fmt(c, "remove(%s)", p));
		if (ct_expect_absent(c, p))
			goto out;
	}
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

/* ---- put/get ---- */

static int roundtrip(ct_ctx *c, const void *data, size_t len)
{
	char *p = ct_path(c, "/sub/object");
	berth_stat_info st;
	CT_OK(c, c->d->put_content(c->in, p, data, len), ct_fmt(c, "put_content(%s)", p));
	if (ct_expect_content(c, p, data, len))
		goto out;
	CT_OK(c, c->d->stat(c->in, p, &st), ct_fmt(c, "stat(%s)", p));
	CT_FAILIF(c, st.size != len || st.is_dir,
		  "stat(%s): size %llu is_dir %d, want %zu and 0", p,
		  (unsigned long long)st.size, st.is_dir, len);
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

static int c_put_get_small(ct_ctx *c)
{
	static const char text[] = "a small object: 0123456789 abcdefghijklmnopqrstuvwxyz";
	return roundtrip(c, text, sizeof text - 1);
}

static int c_put_get_unicode(ct_ctx *c)
{
	static const char text[] =
		"\xe2\x82\xac \xc3\xa9t\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e "
		"\xf0\x9f\x90\xb3 \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82";
	return roundtrip(c, text, sizeof text - 1);
}

static int c_put_get_binary(ct_ctx *c)
{
	/* Every byte value (NUL included) and sequences that are not UTF-8. */
	static const unsigned char tail[] = {0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0,
					     0x80, 0xf8, 0x88, 0x80, 0x80, 0x80,
					     0x00, 0x00, 0x0d, 0x0a, 0x1a};
	size_t len = 4 * 256 + sizeof tail;
	unsigned char *data = ct_alloc(c, len);
	for (size_t i = 0; i < 4 * 256; i++)
		data[i] = (unsigned char)(i * 7 + i / 256);
	memcpy(data + 4 * 256, tail, sizeof tail);
	return roundtrip(c, data, len);
}

static int c_put_get_empty(ct_ctx *c)
{
	return roundtrip(c, "", 0);
}

static int c_put_get_large(ct_ctx *c)
{
	size_t len = c->short_mode ? 300 * 1024 + 7 : 5 * CT_MIB + 7;
	return roundtrip(c, ct_random_data(c, len), len);
}

static int c_put_truncate(ct_ctx *c)
{
	char *p = ct_path(c, "/object");
	size_t big = 64 * 1024;
	unsigned char *a = ct_random_data(c, big);
	static const char small[] = "short";
	berth_stat_info st;
	CT_OK(c, c->d->put_content(c->in, p, a, big), ct_fmt(c, "put_content(%s)", p));
	CT_OK(c, c->d->put_content(c->in, p, small, 5),
	      ct_fmt(c, "put_content(%s) shorter", p));
	if (ct_expect_content(c, p, small, 5))
		goto out;
	CT_OK(c, c->d->stat(c->in, p, &st), ct_fmt(c, "stat(%s)", p));
	CT_FAILIF(c, st.size != 5, "stat(%s) after the shorter put: size %llu, want 5",
		  p, (unsigned long long)st.size);
	CT_OK(c, c->d->put_content(c->in, p, "", 0), ct_fmt(c, "put_content(%s) empty", p));
	if (ct_expect_content(c, p, "", 0))
		goto out;
out:
	ct_rm(c, p);
	return ct_result(c);
}

static int c_put_multiple_times(ct_ctx *c)
{
	char *p = ct_path(c, "/object");
	for (int i = 0; i < 5; i++) {
		size_t len = 100 + (size_t)ct_rand_below(&c->rng, 5000);
		unsigned char *data = ct_random_data(c, len);
		CT_OK(c, c->d->put_content(c->in, p, data, len),
		      ct_fmt(c, "put_content(%s) #%d", p, i + 1));
		if (ct_expect_content(c, p, data, len))
			goto out;
	}
out:
	ct_rm(c, p);
	return ct_result(c);
}

static int c_get_nonexistent(ct_ctx *c)
{
	char *buf;
	size_t len;
	char *p = ct_path(c, "/missing");
	char *deep = ct_path(c, "/no/such/dir/missing");
	CT_WANT(c, ct_get(c, p, &buf, &len), BERTH_E_NOT_FOUND,
		ct_fmt(c, "get_content(%s)", p));
	CT_WANT(c, ct_get(c, deep, &buf, &len), BERTH_E_NOT_FOUND,
		ct_fmt(c, "get_content(%s)", deep));
out:
	return ct_result(c);
}

static int c_get_directory(ct_ctx *c)
{
	char *f = ct_path(c, "/dir/file");
	char *dir = ct_path(c, "/dir");
	char *buf;
	size_t len;
	berth_reader *r = NULL;
	CT_OK(c, c->d->put_content(c->in, f, "data", 4), ct_fmt(c, "put_content(%s)", f));
	CT_WANT(c, ct_get(c, dir, &buf, &len), BERTH_E_NOT_FOUND,
		ct_fmt(c, "get_content(%s) of a directory", dir));
	ct_clear_detail();
	int rc = c->d->reader_open(&r, c->in, dir, 0);
	if (rc == BERTH_OK)
		c->d->reader_close(r);
	CT_FAILIF(c, rc == BERTH_OK, "reader_open(%s) of a directory succeeded", dir);
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

static int c_put_over_directory(ct_ctx *c)
{
	char *f = ct_path(c, "/dir/file");
	char *dir = ct_path(c, "/dir");
	berth_stat_info st;
	CT_OK(c, c->d->put_content(c->in, f, "data", 4), ct_fmt(c, "put_content(%s)", f));
	ct_clear_detail();
	int rc = c->d->put_content(c->in, dir, "x", 1);
	if (rc != BERTH_OK) {
		/* Refused: the directory and its child must be intact. */
		ct_note(c, "refused with %s", ct_status_name(rc));
		if (ct_expect_content(c, f, "data", 4))
			goto out;
		CT_OK(c, c->d->stat(c->in, dir, &st), ct_fmt(c, "stat(%s) after the refused put", dir));
		CT_FAILIF(c, !st.is_dir, "stat(%s): no longer a directory after a refused put", dir);
	} else {
		/* Accepted: the path must now be that object, consistently. */
		ct_note(c, "accepted, replaced the directory");
		if (ct_expect_content(c, dir, "x", 1))
			goto out;
		CT_OK(c, c->d->stat(c->in, dir, &st), ct_fmt(c, "stat(%s)", dir));
		CT_FAILIF(c, st.is_dir || st.size != 1,
			  "put over a directory accepted but stat(%s) says is_dir %d size %llu",
			  dir, st.is_dir, (unsigned long long)st.size);
	}
out:
	ct_rm(c, c->dir);
	return ct_result(c);
}

const ct_case ct_cases_basic[] = {
	{"valid-paths", c_valid_paths, 0, 0,
	 "paths of the grammar work with put/get/stat/remove"},
	{"invalid-paths-get-content", c_inv_get, 0, 0, "get_content refuses invalid paths"},
	{"invalid-paths-put-content", c_inv_put, 0, 0, "put_content refuses invalid paths"},
	{"invalid-paths-reader-open", c_inv_reader, 0, 0, "reader_open refuses invalid paths"},
	{"invalid-paths-writer-open", c_inv_writer, 0, 0, "writer_open refuses invalid paths"},
	{"invalid-paths-stat", c_inv_stat, 0, 0, "stat refuses invalid paths"},
	{"invalid-paths-list", c_inv_list, 0, 0, "list refuses invalid paths"},
	{"invalid-paths-move-src", c_inv_move_src, 0, 0,
	 "move refuses an invalid source, the destination is kept"},
	{"invalid-paths-move-dst", c_inv_move_dst, 0, 0,
	 "move refuses an invalid destination, the source is kept"},
	{"invalid-paths-remove", c_inv_remove, 0, 0, "remove refuses invalid paths"},
	{"invalid-paths-walk", c_inv_walk, 0, 0, "walk refuses invalid paths"},
	{"invalid-paths-redirect", c_inv_redirect, 0, 0,
	 "REDIRECT: redirect_url refuses invalid paths"},
	{"invalid-paths-open-fd", c_inv_open_fd, 0, 0,
	 "FILE_DESCRIPTOR: open_fd refuses invalid paths"},
	{"put-get-small", c_put_get_small, 0, 0, "small text object round trip"},
	{"put-get-unicode", c_put_get_unicode, 0, 0, "UTF-8 content round trip"},
	{"put-get-binary", c_put_get_binary, 0, 0,
	 "binary content: every byte value, NULs, invalid UTF-8"},
	{"put-get-empty", c_put_get_empty, 0, 0, "zero-byte object round trip"},
	{"put-get-large", c_put_get_large, 0, 0, "5 MiB object through put/get_content"},
	{"put-truncate", c_put_truncate, 0, 0, "re-put with shorter content truncates"},
	{"put-multiple-times", c_put_multiple_times, 0, 0,
	 "repeated puts to one path: the last wins"},
	{"get-nonexistent", c_get_nonexistent, 0, 0, "get_content of a missing path is NOT_FOUND"},
	{"get-directory", c_get_directory, 0, 0,
	 "get_content of a directory is NOT_FOUND, reader_open fails"},
	{"put-over-directory", c_put_over_directory, 0, 0,
	 "put_content on a directory path: refused intact, or replaced consistently"},
	{NULL, NULL, 0, 0, NULL},
};
