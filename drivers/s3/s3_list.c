/*
 * s3_list.c - the S3 driver's namespace operations over ListObjectsV2:
 * stat (HeadObject, else "is it a prefix"), list (delimiter "/"), walk and
 * remove (DeleteObjects in batches of at most 1000).
 *
 * walk lists one directory at a time with delimiter "/" and sorts its
 * children by name.  A single flat listing would come in key order, which
 * is not walk order: "a-b" sorts before "a/x" because '-' < '/', while a
 * depth-first walk visits the directory "a" (and all of a/x) before "a-b".
 * Per-directory listing keeps the order right and makes SKIP_DIR and STOP
 * cheap; start_after becomes ListObjectsV2's start-after on the directories
 * leading to it, which is safe component by component.
 */
#include "s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Called per key (is_prefix = 0) or common prefix (1); non-zero stops. */
typedef int (*obj_cb)(const char *key, int is_prefix, uint64_t size,
		      int64_t mtime_ns, void *payload);

static int64_t parse_iso8601(const char *t)
{
	struct tm tm = {0};
	if (!t || !strptime(t, "%Y-%m-%dT%H:%M:%S", &tm))
		return 0;
	return (int64_t)timegm(&tm) * 1000000000LL;
}

/* One page's <Contents> or <CommonPrefixes> elements, to the callback. */
typedef struct page_scan {
	obj_cb cb;
	void *payload;
	int is_prefix;
	int *any;
	int stop;
} page_scan;

static int on_entry(berth_sdk_xml_node *c, void *payload)
{
	page_scan *p = payload;
	char *k = berth_sdk_xml_text(c, p->is_prefix ? "Prefix" : "Key");
	if (!k)
		return 0;
	uint64_t size = 0;
	int64_t mt = 0;
	if (!p->is_prefix) {
		char *sz = berth_sdk_xml_text(c, "Size");
		char *lm = berth_sdk_xml_text(c, "LastModified");
		size = sz ? strtoull(sz, NULL, 10) : 0;
		mt = parse_iso8601(lm);
		free(sz);
		free(lm);
	}
	if (p->any)
		*p->any = 1;
	p->stop = p->cb(k, p->is_prefix, size, mt, p->payload);
	free(k);
	return p->stop;
}

/* Hand one page's objects, then its prefixes, to cb; 1 when cb stopped. */
static int page_entries(berth_sdk_xml_node *root, obj_cb cb, void *payload,
			int *any)
{
	page_scan p = {cb, payload, 0, any, 0};
	berth_sdk_xml_each(root, "Contents", on_entry, &p);
	p.is_prefix = 1;
	if (!p.stop)
		berth_sdk_xml_each(root, "CommonPrefixes", on_entry, &p);
	return p.stop;
}

/* ListObjectsV2 over all pages (or until cb stops); *any = entries seen. */
static int list_objects(s3_instance *s, const char *prefix, int delimited,
			const char *start_after, const char *max_keys,
			const char *path, obj_cb cb, void *payload, int *any)
{
	char *token = NULL;
	int rc = BERTH_OK, stop = 0;
	if (any)
		*any = 0;
	do {
		s3_req r = {.method = "GET"};
		s3_req_query(&r, "list-type", "2");
		s3_req_query(&r, "prefix", prefix);
		if (delimited)
			s3_req_query(&r, "delimiter", "/");
		if (token)
			s3_req_query(&r, "continuation-token", token);
		else if (start_after)
			s3_req_query(&r, "start-after", start_after);
		if (max_keys)
			s3_req_query(&r, "max-keys", max_keys);
		rc = s3_do(s, &r, "ListObjectsV2", path);
		free(token);
		token = NULL;
		if (rc) {
			s3_req_done(&r);
			break;
		}
		berth_sdk_xml *d;
		berth_sdk_xml_node *root = s3_xml_root(&r, &d);
		if (!root) {
			rc = s3_fail(s, BERTH_E_IO, "ListObjectsV2 %s: unreadable answer", path);
			s3_req_done(&r);
			break;
		}
		stop = page_entries(root, cb, payload, any);
		char *trunc = berth_sdk_xml_text(root, "IsTruncated");
		if (!stop && trunc && !strcmp(trunc, "true") && !max_keys)
			token = berth_sdk_xml_text(root, "NextContinuationToken");
		free(trunc);
		berth_sdk_xml_free(d);
		s3_req_done(&r);
	} while (token);
	free(token);
	return rc;
}

/* ---- stat ---- */

static int stop_first(const char *key, int is_prefix, uint64_t size,
		      int64_t mt, void *payload)
{
	return 1;
}

int s3_stat(berth_instance *s, const char *path, berth_stat_info *out)
{
	int rc = s3_check_path(s, path, 1);
	if (rc)
		return rc;
	memset(out, 0, sizeof *out);
	if (!strcmp(path, "/")) {
		out->is_dir = 1;
		return BERTH_OK;
	}
	char *key = s3_key(s, path), *prefix = s3_dir_prefix(s, path);
	if (!key || !prefix) {
		free(key);
		free(prefix);
		return s3_fail(s, BERTH_E_NOMEM, "out of memory");
	}
	rc = s3_head(s, key, path, &out->size, &out->mtime_ns);
	if (rc == BERTH_E_NOT_FOUND) {
		int any = 0;
		rc = list_objects(s, prefix, 0, NULL, "1", path, stop_first, NULL, &any);
		if (rc == BERTH_OK && !any)
			rc = s3_fail(s, BERTH_E_NOT_FOUND, "stat %s: not found", path);
		if (rc == BERTH_OK)
			out->is_dir = 1;
	}
	free(key);
	free(prefix);
	return rc;
}

/* ---- children of one directory ---- */

typedef struct child {
	char *name;
	int is_dir;
	uint64_t size;
	int64_t mtime_ns;
} child;

typedef struct children {
	size_t plen; /* length of the directory prefix */
	child *v;
	size_t n, cap;
	int oom;
} children;

static int collect(const char *key, int is_prefix, uint64_t size, int64_t mt,
		   void *payload)
{
	children *c = payload;
	const char *name = key + c->plen;
	size_t l = strlen(name);
	if (is_prefix && l && name[l - 1] == '/')
		l--;
	/* skip the directory marker itself, nested names and hidden state */
	if (l == 0 || memchr(name, '/', l) || memchr(name, '~', l))
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		child *v = realloc(c->v, cap * sizeof *v);
		if (!v) {
			c->oom = 1;
			return 1;
		}
		c->v = v;
		c->cap = cap;
	}
	char *nm = strndup(name, l);
	if (!nm) {
		c->oom = 1;
		return 1;
	}
	c->v[c->n++] = (child){nm, is_prefix, size, mt};
	return 0;
}

static void children_free(children *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->v[i].name);
	free(c->v);
}

static int child_cmp(const void *a, const void *b)
{
	const child *x = a, *y = b;
	int r = strcmp(x->name, y->name);
	return r ? r : x->is_dir - y->is_dir;
}

static int get_children(s3_instance *s, const char *path, const char *start_after,
			children *out, int *any)
{
	char *prefix = s3_dir_prefix(s, path);
	if (!prefix)
		return s3_fail(s, BERTH_E_NOMEM, "out of memory");
	memset(out, 0, sizeof *out);
	out->plen = strlen(prefix);
	int rc = list_objects(s, prefix, 1, start_after, NULL, path, collect, out, any);
	free(prefix);
	if (rc == BERTH_OK && out->oom)
		rc = s3_fail(s, BERTH_E_NOMEM, "list %s: out of memory", path);
	if (rc)
		children_free(out);
	else if (out->n > 1)
		qsort(out->v, out->n, sizeof *out->v, child_cmp);
	return rc;
}

static char *join(const char *dir, const char *name)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%s", strcmp(dir, "/") ? dir : "", name) < 0)
		return NULL;
	return p;
}

int s3_list(berth_instance *s, const char *path, berth_list_cb cb, void *payload)
{
	int rc = s3_check_path(s, path, 1);
	if (rc)
		return rc;
	children c;
	int any = 0;
	rc = get_children(s, path, NULL, &c, &any);
	if (rc)
		return rc;
	if (!any && strcmp(path, "/"))
		rc = s3_fail(s, BERTH_E_NOT_FOUND, "list %s: not found", path);
	for (size_t i = 0; rc == BERTH_OK && i < c.n; i++) {
		if (i && !strcmp(c.v[i].name, c.v[i - 1].name))
			continue; /* a file and a directory of the same name */
		char *p = join(path, c.v[i].name);
		if (!p) {
			rc = s3_fail(s, BERTH_E_NOMEM, "out of memory");
			break;
		}
		int stop = cb(p, payload);
		free(p);
		if (stop)
			break;
	}
	children_free(&c);
	return rc;
}

/* ---- walk ---- */

/* Compare paths in walk order: component by component, '/' lowest. */
static int walk_cmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		unsigned char x = (unsigned char)*a, y = (unsigned char)*b;
		if (x == '/')
			x = 1;
		if (y == '/')
			y = 1;
		if (x != y || !x)
			return (int)x - (int)y;
	}
}

static int walk_dir(s3_instance *s, const char *path, const char *start_after,
		    berth_walk_cb cb, void *payload, int *stopped, int top)
{
	char *sa_key = NULL;
	if (start_after) {
		/* start-after = this directory's prefix + the component of
		   start_after at this level */
		size_t pl = strcmp(path, "/") ? strlen(path) : 0;
		const char *comp = start_after + pl + 1;
		const char *end = strchr(comp, '/');
		char *prefix = s3_dir_prefix(s, path);
		if (!prefix || asprintf(&sa_key, "%s%.*s", prefix,
					(int)(end ? (size_t)(end - comp) : strlen(comp)),
					comp) < 0)
			sa_key = NULL;
		free(prefix);
		if (!sa_key)
			return s3_fail(s, BERTH_E_NOMEM, "out of memory");
	}
	children c;
	int any = 0;
	int rc = get_children(s, path, sa_key, &c, &any);
	free(sa_key);
	if (rc)
		return rc;
	if (top && !any && !start_after && strcmp(path, "/"))
		rc = s3_fail(s, BERTH_E_NOT_FOUND, "walk %s: not found", path);
	for (size_t i = 0; rc == BERTH_OK && i < c.n && !*stopped; i++) {
		if (i && !strcmp(c.v[i].name, c.v[i - 1].name))
			continue;
		char *p = join(path, c.v[i].name);
		if (!p) {
			rc = s3_fail(s, BERTH_E_NOMEM, "out of memory");
			break;
		}
		size_t pl = strlen(p);
		int ancestor = start_after && c.v[i].is_dir &&
			       !strncmp(start_after, p, pl) && start_after[pl] == '/';
		if (ancestor) {
			rc = walk_dir(s, p, start_after, cb, payload, stopped, 0);
		} else if (start_after && c.v[i].is_dir && !strcmp(p, start_after)) {
			/* the directory itself is not after start_after, its
			   children are */
			rc = walk_dir(s, p, NULL, cb, payload, stopped, 0);
		} else if (!start_after || walk_cmp(p, start_after) > 0) {
			berth_stat_info info = {c.v[i].is_dir ? 0 : c.v[i].size,
						c.v[i].mtime_ns, c.v[i].is_dir, 0};
			berth_walk_action act = cb(p, &info, payload);
			if (act == BERTH_WALK_STOP)
				*stopped = 1;
			else if (c.v[i].is_dir && act == BERTH_WALK_CONTINUE)
				rc = walk_dir(s, p, NULL, cb, payload, stopped, 0);
		}
		free(p);
	}
	children_free(&c);
	return rc;
}

int s3_walk(berth_instance *s, const char *path, const char *start_after,
	    berth_walk_cb cb, void *payload)
{
	int rc = s3_check_path(s, path, 1);
	if (rc)
		return rc;
	/* start_after is only a hint; use it when it lies below path */
	size_t pl = strcmp(path, "/") ? strlen(path) : 0;
	if (start_after && (strncmp(start_after, path, pl) || start_after[pl] != '/' ||
			    !start_after[pl + 1]))
		start_after = NULL;
	int stopped = 0;
	return walk_dir(s, path, start_after, cb, payload, &stopped, 1);
}

/* ---- remove ---- */

typedef struct batch {
	s3_instance *s;
	const char *path;
	char **keys;
	size_t n;
	int rc;
	int found;
	int below; /* keys below path/ (a directory) */
} batch;

static void xml_escape_add(berth_sdk_buf *b, const char *k, int *rc)
{
	for (; *k && *rc == BERTH_OK; k++) {
		const char *e = NULL;
		switch (*k) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&apos;"; break;
		}
		*rc = e ? berth_sdk_buf_append(b, e, strlen(e))
			: berth_sdk_buf_append(b, k, 1);
	}
}

/* The first <Error> of a DeleteObjects answer, as an I/O error. */
static int delete_errors(s3_instance *s, const s3_req *r, const char *path)
{
	berth_sdk_xml *d;
	berth_sdk_xml_node *e = berth_sdk_xml_find(s3_xml_root(r, &d), "Error");
	int rc = BERTH_OK;
	if (e) {
		char *k = berth_sdk_xml_text(e, "Key"), *c = berth_sdk_xml_text(e, "Code");
		rc = s3_fail(s, BERTH_E_IO, "DeleteObjects %s: %s: %s", path,
			     k ? k : "?", c ? c : "?");
		free(k);
		free(c);
	}
	berth_sdk_xml_free(d);
	return rc;
}

static int flush_batch(batch *bt)
{
	if (bt->n == 0 || bt->rc)
		return bt->rc;
	s3_instance *s = bt->s;
	if (bt->n == 1) { /* a single object: one plain DeleteObject */
		bt->rc = s3_delete_object(s, bt->keys[0], bt->path);
		free(bt->keys[0]);
		bt->n = 0;
		return bt->rc;
	}
	berth_sdk_buf b = {0};
	int rc = berth_sdk_buf_printf(&b, "<Delete><Quiet>true</Quiet>");
	for (size_t i = 0; i < bt->n && rc == BERTH_OK; i++) {
		rc = berth_sdk_buf_printf(&b, "<Object><Key>");
		xml_escape_add(&b, bt->keys[i], &rc);
		if (rc == BERTH_OK)
			rc = berth_sdk_buf_printf(&b, "</Key></Object>");
	}
	if (rc == BERTH_OK)
		rc = berth_sdk_buf_printf(&b, "</Delete>");
	unsigned char md[BERTH_SDK_MD5_LEN];
	char *md5b64 = NULL;
	if (rc == BERTH_OK && berth_sdk_md5(b.data, b.len, md) == BERTH_OK)
		md5b64 = berth_sdk_base64_encode(md, sizeof md, BERTH_SDK_B64_STD);
	if (!md5b64) {
		berth_sdk_buf_free(&b);
		return bt->rc = s3_fail(s, BERTH_E_NOMEM, "out of memory");
	}
	s3_req r = {.method = "POST", .body = b.data, .body_len = b.len};
	s3_req_query(&r, "delete", "");
	s3_req_header(&r, "content-md5", md5b64);
	rc = s3_do(s, &r, "DeleteObjects", bt->path);
	if (rc == BERTH_OK)
		rc = delete_errors(s, &r, bt->path);
	s3_req_done(&r);
	berth_sdk_buf_free(&b);
	free(md5b64);
	for (size_t i = 0; i < bt->n; i++)
		free(bt->keys[i]);
	bt->n = 0;
	return bt->rc = rc;
}

static int add_key(batch *bt, const char *key)
{
	bt->found = 1;
	bt->keys[bt->n] = strdup(key);
	if (!bt->keys[bt->n]) {
		bt->rc = s3_fail(bt->s, BERTH_E_NOMEM, "out of memory");
		return 1;
	}
	if (++bt->n == 1000)
		flush_batch(bt);
	return bt->rc != BERTH_OK;
}

static int on_remove_key(const char *key, int is_prefix, uint64_t size,
			 int64_t mt, void *payload)
{
	((batch *)payload)->below = 1;
	return add_key(payload, key);
}

typedef struct mpu_list {
	s3_instance *s;
	const char *path;
	const char *exact; /* only the upload of this key, or NULL */
	int rc;
} mpu_list;

static int on_abort_upload(berth_sdk_xml_node *c, void *payload)
{
	mpu_list *m = payload;
	char *k = berth_sdk_xml_text(c, "Key"), *u = berth_sdk_xml_text(c, "UploadId");
	if (k && u && (!m->exact || !strcmp(k, m->exact)))
		s3_mpu_abort(m->s, k, m->path, u);
	free(k);
	free(u);
	return 0;
}

/* Abort the multipart uploads (writers' uncommitted data) below prefix,
   or, with `exact`, only the one of that key. */
static int abort_uploads(s3_instance *s, const char *prefix, const char *exact,
			 const char *path)
{
	s3_req r = {.method = "GET"};
	s3_req_query(&r, "uploads", "");
	s3_req_query(&r, "prefix", prefix);
	int rc = s3_do(s, &r, "ListMultipartUploads", path);
	if (rc == BERTH_OK) {
		berth_sdk_xml *d;
		mpu_list m = {s, path, exact, BERTH_OK};
		berth_sdk_xml_each(s3_xml_root(&r, &d), "Upload", on_abort_upload, &m);
		berth_sdk_xml_free(d);
	}
	s3_req_done(&r);
	return rc;
}

static void discard_writer_data(s3_instance *s, const char *key,
				const char *path)
{
	char *tail = NULL;
	abort_uploads(s, key, key, path);
	if (asprintf(&tail, "%s%s", key, S3_TAIL_SUFFIX) >= 0) {
		s3_delete_object(s, tail, path); /* absent is fine */
		free(tail);
	}
}

int s3_remove(berth_instance *s, const char *path)
{
	int rc = s3_check_path(s, path, 1);
	if (rc)
		return rc;
	char *key = s3_key(s, path), *prefix = s3_dir_prefix(s, path);
	char **keys = calloc(1000, sizeof *keys);
	batch bt = {s, path, keys, 0, BERTH_OK, 0, 0};
	int object = 0; /* an object at path itself */
	if (!key || !prefix || !keys)
		rc = s3_fail(s, BERTH_E_NOMEM, "out of memory");
	if (rc == BERTH_OK && strcmp(path, "/")) {
		rc = s3_head(s, key, path, NULL, NULL);
		object = rc == BERTH_OK;
		if (rc == BERTH_OK)
			add_key(&bt, key);
		else if (rc == BERTH_E_NOT_FOUND)
			rc = BERTH_OK;
	}
	if (rc == BERTH_OK)
		rc = list_objects(s, prefix, 0, NULL, NULL, path, on_remove_key, &bt, NULL);
	if (rc == BERTH_OK)
		rc = bt.rc;
	if (rc == BERTH_OK)
		rc = flush_batch(&bt);
	if (rc == BERTH_OK && bt.below)
		abort_uploads(s, prefix, NULL, path);
	/* The object's own uncommitted writer data goes with it (the ABI's
	   rule for remove): its multipart upload and its "~tail". */
	if (rc == BERTH_OK && object)
		discard_writer_data(s, key, path);
	if (rc == BERTH_OK && !bt.found && strcmp(path, "/"))
		rc = s3_fail(s, BERTH_E_NOT_FOUND, "remove %s: not found", path);
	for (size_t i = 0; keys && i < bt.n; i++)
		free(keys[i]);
	free(keys);
	free(key);
	free(prefix);
	return rc;
}
