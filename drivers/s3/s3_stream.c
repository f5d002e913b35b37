/*
 * s3_stream.c - the S3 driver's readers and writers.
 *
 * Readers issue ranged GETs, starting at 1 MiB and doubling up to 8 MiB,
 * so memory stays bounded and a reader at an offset never fetches the
 * bytes before it.
 *
 * Writers buffer up to chunksize bytes and send each full buffer as one
 * UploadPart of a multipart upload created on the first full buffer.
 * Commit completes the upload (the remainder becomes the last part, which
 * S3 lets be any size) or, when nothing was uploaded yet, stores the data
 * with one PutObject.  S3 refuses parts under 5 MiB except the last, so a
 * writer closed without commit keeps its remainder as follows:
 *   >= 5 MiB: uploaded as one more part (any later part is then >= 5 MiB
 *             or the last one, so the upload stays valid);
 *   <  5 MiB: stored as the object "<key>~tail" (hidden from list/walk).
 * A writer reopened with append finds the upload with ListMultipartUploads
 * (prefix = key, exact key match) and its parts with ListParts, loads the
 * tail object into its buffer, and continues: nothing already stored is
 * uploaded again.  Without an upload or tail, append continues a committed
 * object: whole chunks are copied server-side (UploadPartCopy), the rest is
 * read into the buffer.  Cancel aborts the upload and deletes the tail.
 */
#include "s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_MIN (1u << 20)
#define READ_MAX (8u << 20)

struct berth_reader {
	s3_instance *s;
	char *key, *path;
	uint64_t pos;  /* offset of the next byte to fetch */
	uint64_t size; /* object size */
	berth_sdk_buf buf; /* the current range */
	size_t off;        /* consumed bytes of buf */
	size_t next;
	int eof;
};

static void reader_free(berth_reader *r)
{
	if (!r)
		return;
	berth_sdk_buf_free(&r->buf);
	free(r->key);
	free(r->path);
	free(r);
}

/* Fetch the next range into r->buf.  first: the opening request. */
static int reader_fetch(berth_reader *r, int first)
{
	char range[64];
	uint64_t end = r->pos + r->next - 1;
	snprintf(range, sizeof range, "bytes=%llu-%llu", (unsigned long long)r->pos,
		 (unsigned long long)end);
	berth_sdk_buf_free(&r->buf); /* consumed: do not hold two ranges at once */
	r->off = 0;
	s3_req q = {.method = "GET", .key = r->key};
	s3_req_header(&q, "range", range);
	int rc = s3_do(r->s, &q, "GetObject", r->path);
	if (rc == BERTH_E_NOT_FOUND && first) {
		/* once more: see s3_get_content (404 during an overwrite) */
		s3_req_done(&q);
		rc = s3_do(r->s, &q, "GetObject", r->path);
	}
	if (rc == BERTH_E_INVALID_OFFSET) {
		/* 416: at or beyond the end (also any range of an empty object) */
		s3_req_done(&q);
		uint64_t size = 0;
		rc = s3_head(r->s, r->key, r->path, &size, NULL);
		if (rc)
			return rc;
		if (r->pos == size) {
			r->size = size;
			r->eof = 1;
			return BERTH_OK;
		}
		return s3_fail(r->s, BERTH_E_INVALID_OFFSET,
			       "reader %s: offset %llu beyond size %llu", r->path,
			       (unsigned long long)r->pos, (unsigned long long)size);
	}
	if (rc) {
		s3_req_done(&q);
		return rc;
	}
	r->buf = q.resp.body; /* take the body */
	q.resp.body = (berth_sdk_buf){0};
	s3_req_done(&q);
	r->off = 0;
	if (q.status == 200) {
		/* the whole object (range ignored): drop what precedes pos */
		r->size = r->buf.len;
		if (r->pos > r->size)
			return s3_fail(r->s, BERTH_E_INVALID_OFFSET,
				       "reader %s: offset beyond the end", r->path);
		r->off = (size_t)r->pos;
	} else if (first || q.total_size) {
		r->size = q.total_size;
	}
	r->pos += r->buf.len - r->off;
	if (r->next < READ_MAX)
		r->next *= 2;
	return BERTH_OK;
}

int s3_reader_open(berth_reader **out, berth_instance *s, const char *path,
		   int64_t offset)
{
	*out = NULL;
	int rc = s3_check_path(s, path, 0);
	if (rc)
		return rc;
	if (offset < 0)
		return s3_fail(s, BERTH_E_INVALID_OFFSET, "reader %s: negative offset", path);
	berth_reader *r = calloc(1, sizeof *r);
	if (!r || !(r->key = s3_key(s, path)) || !(r->path = strdup(path))) {
		reader_free(r);
		return s3_fail(s, BERTH_E_NOMEM, "out of memory");
	}
	r->s = s;
	r->pos = (uint64_t)offset;
	r->next = READ_MIN;
	rc = reader_fetch(r, 1);
	if (rc) {
		reader_free(r);
		return rc;
	}
	*out = r;
	return BERTH_OK;
}

int s3_reader_read(berth_reader *r, void *buf, size_t cap, size_t *out_n)
{
	*out_n = 0;
	if (r->off == r->buf.len) {
		if (r->eof || r->pos >= r->size)
			return BERTH_OK;
		int rc = reader_fetch(r, 0);
		if (rc)
			return rc;
		if (r->off == r->buf.len)
			return r->eof ? BERTH_OK
				      : s3_fail(r->s, BERTH_E_IO,
						"reader %s: empty range answer", r->path);
	}
	size_t n = r->buf.len - r->off;
	if (n > cap)
		n = cap;
	memcpy(buf, r->buf.data + r->off, n);
	r->off += n;
	*out_n = n;
	return BERTH_OK;
}

void s3_reader_close(berth_reader *r) { reader_free(r); }

/* ---- writers ---- */

enum { W_OPEN, W_DONE, W_FAILED };

struct berth_writer {
	s3_instance *s;
	char *path, *key, *tail_key;
	char *upload_id;
	s3_part *parts;
	size_t nparts, cap_parts;
	uint64_t parts_size;
	char *buf;
	size_t len, cap;
	int tail_exists; /* the "~tail" object is in the bucket */
	int dirty;       /* buf differs from the stored tail */
	int state;
};

/* Forget the upload and parts the writer knows of, and its buffered
   bytes (a failed reopen attempt, or on the way to freeing it). */
static void writer_reset(berth_writer *w)
{
	for (size_t i = 0; i < w->nparts; i++)
		free(w->parts[i].etag);
	w->nparts = 0;
	w->parts_size = 0;
	free(w->upload_id);
	w->upload_id = NULL;
	w->len = 0;
	w->tail_exists = 0;
}

static void writer_free(berth_writer *w)
{
	if (!w)
		return;
	writer_reset(w);
	free(w->parts);
	free(w->buf);
	free(w->path);
	free(w->key);
	free(w->tail_key);
	free(w);
}

static int buf_reserve(berth_writer *w, size_t need)
{
	if (need <= w->cap)
		return BERTH_OK;
	size_t cap = w->cap ? w->cap : 65536;
	while (cap < need)
		cap *= 2;
	if (cap > w->s->chunk_size && need <= w->s->chunk_size)
		cap = w->s->chunk_size;
	char *p = realloc(w->buf, cap);
	if (!p)
		return s3_fail(w->s, BERTH_E_NOMEM, "writer %s: out of memory", w->path);
	w->buf = p;
	w->cap = cap;
	return BERTH_OK;
}

static int add_part(berth_writer *w, int number, const char *etag, uint64_t size)
{
	if (w->nparts == w->cap_parts) {
		size_t cap = w->cap_parts ? w->cap_parts * 2 : 16;
		s3_part *p = realloc(w->parts, cap * sizeof *p);
		if (!p)
			return s3_fail(w->s, BERTH_E_NOMEM, "out of memory");
		w->parts = p;
		w->cap_parts = cap;
	}
	char *e = strdup(etag);
	if (!e)
		return s3_fail(w->s, BERTH_E_NOMEM, "out of memory");
	w->parts[w->nparts++] = (s3_part){number, e, size};
	w->parts_size += size;
	return BERTH_OK;
}

static int ensure_upload(berth_writer *w)
{
	if (w->upload_id)
		return BERTH_OK;
	return s3_mpu_create(w->s, w->key, w->path, &w->upload_id);
}

static int next_part_number(const berth_writer *w)
{
	return w->nparts ? w->parts[w->nparts - 1].number + 1 : 1;
}

/* Upload buf[0..n) as the next part. */
static int upload_part(berth_writer *w, const char *data, size_t n)
{
	int rc = ensure_upload(w);
	if (rc)
		return rc;
	char num[16];
	int number = next_part_number(w);
	snprintf(num, sizeof num, "%d", number);
	s3_req r = {.method = "PUT", .key = w->key, .body = data, .body_len = n};
	s3_req_query(&r, "partNumber", num);
	s3_req_query(&r, "uploadId", w->upload_id);
	rc = s3_do(w->s, &r, "UploadPart", w->path);
	if (rc == BERTH_OK && !r.etag[0])
		rc = s3_fail(w->s, BERTH_E_IO, "UploadPart %s: no ETag", w->path);
	if (rc == BERTH_OK)
		rc = add_part(w, number, r.etag, n);
	s3_req_done(&r);
	w->dirty = 1; /* the buffer moved into a part: the tail is stale */
	/* Drop the stale tail now, not at close: if the process dies before
	   close, a reopen must not count those bytes twice. */
	if (rc == BERTH_OK && w->tail_exists) {
		rc = s3_delete_object(w->s, w->tail_key, w->path);
		if (rc == BERTH_OK)
			w->tail_exists = 0;
	}
	return rc;
}

/* find_upload's walk over the <Upload> elements. */
typedef struct upload_scan {
	berth_writer *w;
	char **upload_id;
	int abort_all;
	int rc;
} upload_scan;

static int on_upload(berth_sdk_xml_node *c, void *payload)
{
	upload_scan *u = payload;
	berth_writer *w = u->w;
	char *k = berth_sdk_xml_text(c, "Key"), *id = berth_sdk_xml_text(c, "UploadId");
	if (k && id && !strcmp(k, w->key)) {
		if (u->abort_all)
			u->rc = s3_mpu_abort(w->s, w->key, w->path, id);
		else if (!*u->upload_id) {
			*u->upload_id = id;
			id = NULL;
		}
	}
	free(k);
	free(id);
	return u->rc != BERTH_OK;
}

/* Find the in-progress upload for exactly w->key; NULL if none. */
static int find_upload(berth_writer *w, char **upload_id, int abort_all)
{
	*upload_id = NULL;
	s3_req r = {.method = "GET"};
	s3_req_query(&r, "uploads", "");
	s3_req_query(&r, "prefix", w->key);
	int rc = s3_do(w->s, &r, "ListMultipartUploads", w->path);
	if (rc == BERTH_OK) {
		berth_sdk_xml *d;
		upload_scan u = {w, upload_id, abort_all, BERTH_OK};
		berth_sdk_xml_each(s3_xml_root(&r, &d), "Upload", on_upload, &u);
		berth_sdk_xml_free(d);
		rc = u.rc;
	}
	s3_req_done(&r);
	return rc;
}

/* load_parts' walk over the <Part> elements: added to the writer. */
typedef struct part_scan {
	berth_writer *w;
	int rc;
} part_scan;

static int on_part(berth_sdk_xml_node *c, void *payload)
{
	part_scan *p = payload;
	char *n = berth_sdk_xml_text(c, "PartNumber"), *e = berth_sdk_xml_text(c, "ETag"),
	     *sz = berth_sdk_xml_text(c, "Size");
	if (n && e && sz)
		p->rc = add_part(p->w, atoi(n), e, strtoull(sz, NULL, 10));
	free(n);
	free(e);
	free(sz);
	return p->rc != BERTH_OK;
}

static int load_parts(berth_writer *w)
{
	char *marker = NULL;
	int rc = BERTH_OK, more;
	do {
		more = 0;
		s3_req r = {.method = "GET", .key = w->key};
		s3_req_query(&r, "uploadId", w->upload_id);
		if (marker)
			s3_req_query(&r, "part-number-marker", marker);
		rc = s3_do(w->s, &r, "ListParts", w->path);
		free(marker);
		marker = NULL;
		berth_sdk_xml *d = NULL;
		berth_sdk_xml_node *root = rc ? NULL : s3_xml_root(&r, &d);
		part_scan ps = {w, BERTH_OK};
		berth_sdk_xml_each(root, "Part", on_part, &ps);
		rc = rc ? rc : ps.rc;
		if (root && rc == BERTH_OK) {
			char *t = berth_sdk_xml_text(root, "IsTruncated");
			if (t && !strcmp(t, "true")) {
				marker = berth_sdk_xml_text(root, "NextPartNumberMarker");
				more = marker != NULL;
			}
			free(t);
		}
		berth_sdk_xml_free(d);
		s3_req_done(&r);
	} while (more && rc == BERTH_OK);
	free(marker);
	return rc;
}

/* GET key (whole, or a range when len) into the writer's buffer. */
static int load_into_buffer(berth_writer *w, const char *key, const char *op,
			    uint64_t from, uint64_t len, int *found)
{
	s3_req r = {.method = "GET", .key = key};
	char range[64];
	if (len) {
		snprintf(range, sizeof range, "bytes=%llu-%llu",
			 (unsigned long long)from, (unsigned long long)(from + len - 1));
		s3_req_header(&r, "range", range);
	}
	int rc = s3_do(w->s, &r, op, w->path);
	*found = rc == BERTH_OK;
	if (rc == BERTH_E_NOT_FOUND && !len) {
		rc = BERTH_OK;
	} else if (rc == BERTH_OK && r.resp.body.len) {
		rc = buf_reserve(w, w->len + r.resp.body.len);
		if (rc == BERTH_OK) {
			memcpy(w->buf + w->len, r.resp.body.data, r.resp.body.len);
			w->len += r.resp.body.len;
		}
	}
	s3_req_done(&r);
	return rc;
}

/* append with neither upload nor tail: continue the committed object. */
static int continue_committed(berth_writer *w)
{
	uint64_t size = 0;
	int rc = s3_head(w->s, w->key, w->path, &size, NULL), found;
	if (rc == BERTH_E_NOT_FOUND)
		return BERTH_OK;
	if (rc || size == 0)
		return rc;
	uint64_t chunk = w->s->chunk_size, whole = size / chunk * chunk;
	if (whole) {
		char *src = NULL, *ek = berth_sdk_url_encode(w->key, 1);
		if (!ek || asprintf(&src, "/%s/%s", w->s->bucket, ek) < 0)
			src = NULL;
		free(ek);
		if (!src)
			return s3_fail(w->s, BERTH_E_NOMEM, "out of memory");
		rc = ensure_upload(w);
		for (uint64_t a = 0; a < whole && rc == BERTH_OK; a += chunk) {
			char num[16], range[64];
			int number = next_part_number(w);
			snprintf(num, sizeof num, "%d", number);
			snprintf(range, sizeof range, "bytes=%llu-%llu",
				 (unsigned long long)a, (unsigned long long)(a + chunk - 1));
			s3_req r = {.method = "PUT", .key = w->key};
			s3_req_query(&r, "partNumber", num);
			s3_req_query(&r, "uploadId", w->upload_id);
			s3_req_header(&r, "x-amz-copy-source", src);
			s3_req_header(&r, "x-amz-copy-source-range", range);
			rc = s3_do(w->s, &r, "UploadPartCopy", w->path);
			if (rc == BERTH_OK) {
				berth_sdk_xml *d;
				berth_sdk_xml_node *root = s3_xml_root(&r, &d);
				char *e = root ? berth_sdk_xml_text(root, "ETag") : NULL;
				rc = e ? add_part(w, number, e, chunk)
				       : s3_fail(w->s, BERTH_E_IO, "UploadPartCopy %s: no ETag",
						 w->path);
				free(e);
				berth_sdk_xml_free(d);
			}
			s3_req_done(&r);
		}
		free(src);
	}
	if (rc == BERTH_OK && size > whole)
		rc = load_into_buffer(w, w->key, "GetObject", whole, size - whole, &found);
	w->dirty = 1;
	return rc;
}

/* Reopen from what this process knew when the writer was last closed
   (s3_memo.c): one ListParts confirms the upload and its parts, and the
   tail is fetched only if one was stored.  Returns 1 when the writer is
   ready, 0 when the full search must run instead (no memo, no upload in
   it, or the bucket disagrees).  A tail written by another process since
   (with no new part) is not seen: the data then differs from what the
   client sent, which the digest check at the end of the upload refuses. */
static int reopen_from_memo(berth_writer *w)
{
	s3_memo *m = s3_memo_take(w->s, w->key);
	if (!m)
		return 0;
	int ok = 0;
	if (s3_memo_upload_id(m) &&
	    (w->upload_id = strdup(s3_memo_upload_id(m))) != NULL &&
	    load_parts(w) == BERTH_OK &&
	    s3_memo_parts_match(m, w->parts, w->nparts)) {
		int found = 0;
		ok = !s3_memo_tail_exists(m) ||
		     load_into_buffer(w, w->tail_key, "GetObject", 0, 0,
				      &found) == BERTH_OK;
		w->tail_exists = found;
	}
	s3_memo_release(m);
	if (!ok)
		writer_reset(w);
	return ok;
}

int s3_writer_open(berth_writer **out, berth_instance *s, const char *path,
		   int append)
{
	*out = NULL;
	int rc = s3_check_path(s, path, 0);
	if (rc)
		return rc;
	berth_writer *w = calloc(1, sizeof *w);
	if (!w || !(w->path = strdup(path)) || !(w->key = s3_key(s, path)) ||
	    asprintf(&w->tail_key, "%s" S3_TAIL_SUFFIX, w->key) < 0) {
		if (w)
			w->tail_key = NULL;
		writer_free(w);
		return s3_fail(s, BERTH_E_NOMEM, "out of memory");
	}
	w->s = s;
	if (!append) {
		/* discard what earlier sessions left */
		s3_memo_forget(s, w->key);
		rc = find_upload(w, &w->upload_id, 1);
		if (rc == BERTH_OK)
			rc = s3_delete_object(s, w->tail_key, path);
	} else if (!reopen_from_memo(w)) {
		int found = 0;
		rc = find_upload(w, &w->upload_id, 0);
		if (rc == BERTH_OK && w->upload_id)
			rc = load_parts(w);
		if (rc == BERTH_OK)
			rc = load_into_buffer(w, w->tail_key, "GetObject", 0, 0, &found);
		w->tail_exists = found;
		if (rc == BERTH_OK && !w->upload_id && !found)
			rc = continue_committed(w);
	}
	if (rc) {
		writer_free(w);
		return rc;
	}
	*out = w;
	return BERTH_OK;
}

static int check_open(berth_writer *w)
{
	if (w->state == W_OPEN)
		return BERTH_OK;
	return s3_fail(w->s, BERTH_E_STATE, "writer %s: already %s", w->path,
		       w->state == W_DONE ? "committed or cancelled" : "failed");
}

int s3_writer_write(berth_writer *w, const void *data, size_t len)
{
	int rc = check_open(w);
	if (rc)
		return rc;
	const char *p = data;
	size_t chunk = w->s->chunk_size;
	while (len) {
		size_t room = chunk > w->len ? chunk - w->len : 0;
		size_t n = len < room ? len : room;
		if (n) {
			rc = buf_reserve(w, w->len + n);
			if (rc)
				break;
			memcpy(w->buf + w->len, p, n);
			w->len += n;
			p += n;
			len -= n;
			w->dirty = 1;
		}
		if (w->len >= chunk) {
			rc = upload_part(w, w->buf, w->len);
			if (rc)
				break;
			w->len = 0;
		}
	}
	if (rc)
		w->state = W_FAILED;
	return rc;
}

uint64_t s3_writer_size(berth_writer *w) { return w->parts_size + w->len; }

int s3_writer_commit(berth_writer *w)
{
	int rc = check_open(w);
	if (rc)
		return rc;
	if (!w->upload_id) {
		s3_req r = {.method = "PUT", .key = w->key, .body = w->buf,
			    .body_len = w->len};
		s3_req_object_headers(w->s, &r);
		rc = s3_do(w->s, &r, "PutObject", w->path);
		s3_req_done(&r);
	} else {
		if (w->len || w->nparts == 0)
			rc = upload_part(w, w->buf, w->len);
		if (rc == BERTH_OK)
			rc = s3_mpu_complete(w->s, w->key, w->path, w->upload_id,
					     w->parts, w->nparts);
	}
	if (rc == BERTH_OK) {
		w->len = 0;
		if (w->tail_exists && s3_delete_object(w->s, w->tail_key, w->path) == BERTH_OK)
			w->tail_exists = 0;
		w->state = W_DONE;
	} else {
		w->state = W_FAILED;
	}
	return rc;
}

int s3_writer_cancel(berth_writer *w)
{
	if (w->state == W_DONE)
		return check_open(w);
	int rc = BERTH_OK;
	if (w->upload_id)
		rc = s3_mpu_abort(w->s, w->key, w->path, w->upload_id);
	int rc2 = s3_delete_object(w->s, w->tail_key, w->path);
	w->state = W_DONE;
	w->len = 0;
	return rc ? rc : rc2;
}

int s3_writer_close(berth_writer *w)
{
	int rc = BERTH_OK;
	if (w->state == W_OPEN && w->dirty) {
		if (w->len >= S3_MIN_PART) {
			rc = upload_part(w, w->buf, w->len);
			if (rc == BERTH_OK)
				w->len = 0;
		}
		if (rc == BERTH_OK && w->len) {
			s3_req r = {.method = "PUT", .key = w->tail_key, .body = w->buf,
				    .body_len = w->len};
			rc = s3_do(w->s, &r, "PutObject", w->path);
			s3_req_done(&r);
			if (rc == BERTH_OK)
				w->tail_exists = 1;
		} else if (rc == BERTH_OK && w->tail_exists) {
			rc = s3_delete_object(w->s, w->tail_key, w->path);
			if (rc == BERTH_OK)
				w->tail_exists = 0;
		}
	}
	if (w->state == W_OPEN && rc == BERTH_OK)
		s3_memo_put(w->s, w->key, w->upload_id, w->parts, w->nparts,
			    w->tail_exists);
	writer_free(w);
	return rc;
}
