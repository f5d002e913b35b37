/*
 * s3_http.c - how the S3 driver talks to the service: over the driver
 * SDK's HTTP client (a pool of connections shared by all threads, retries
 * with exponential backoff and jitter on throttling and transient network
 * failures), with request signing (sigv4.c), S3's own "try again" errors
 * (SlowDown, RequestTimeout, InternalError, also inside a 200 answer) and
 * the mapping of S3 error codes onto berth_status values with the S3 code
 * in the message.  Also the key and multipart helpers every other file
 * needs.
 */
#include "s3.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int s3_fail(s3_instance *s, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	code = berth_sdk_verror(s ? s->host : NULL, S3_NAME, code, fmt, ap);
	va_end(ap);
	return code;
}

/* ---- the client ---- */

int s3_http_init(s3_instance *s)
{
	berth_sdk_http_options o = {
		.host = s->host,
		.driver = S3_NAME,
		.connect_timeout_ms = 5000,
		.low_speed_time_s = 60,
		/* s3_do sets each request's budget from max_attempts */
		.backoff_base_ms = 50,
		.backoff_max_ms = 3200,
		.insecure = s->skip_verify,
		.max_body = SIZE_MAX, /* get_content takes objects whole */
	};
	s->http = berth_sdk_http_new(&o);
	return s->http ? BERTH_OK : s3_fail(s, BERTH_E_NOMEM, "out of memory");
}

void s3_http_cleanup(s3_instance *s)
{
	berth_sdk_http_free(s->http);
	s->http = NULL;
}

/* ---- requests ---- */

void s3_req_query(s3_req *r, const char *k, const char *v)
{
	if (r->nquery < sizeof r->query / sizeof r->query[0])
		r->query[r->nquery++] = (s3_kv){k, v};
}

void s3_req_header(s3_req *r, const char *k, const char *v)
{
	if (r->nheaders < S3_MAX_HEADERS)
		r->headers[r->nheaders++] = (s3_kv){k, v};
}

void s3_req_object_headers(s3_instance *s, s3_req *r)
{
	if (s->storage_class)
		s3_req_header(r, "x-amz-storage-class", s->storage_class);
	if (s->encrypt) {
		s3_req_header(r, "x-amz-server-side-encryption",
			      s->kms_key_id ? "aws:kms" : "AES256");
		if (s->kms_key_id)
			s3_req_header(r, "x-amz-server-side-encryption-aws-kms-key-id",
				      s->kms_key_id);
	}
	if (s->acl)
		s3_req_header(r, "x-amz-acl", s->acl);
}

void s3_req_done(s3_req *r) { berth_sdk_http_response_free(&r->resp); }

/* Build the canonical URI for r. */
static int build_uri(s3_instance *s, const s3_req *r, char **uri)
{
	char *ek = NULL;
	if (r->key) {
		ek = berth_sdk_url_encode(r->key, 1);
		if (!ek)
			return BERTH_E_NOMEM;
	}
	int n;
	if (r->key)
		n = asprintf(uri, "%s/%s", s->uri_prefix, ek);
	else
		n = asprintf(uri, "%s", s->uri_prefix[0] ? s->uri_prefix : "/");
	free(ek);
	return n < 0 ? BERTH_E_NOMEM : BERTH_OK;
}

static void amz_now(char out[17])
{
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

berth_sdk_xml_node *s3_xml_root(const s3_req *r, berth_sdk_xml **doc)
{
	*doc = NULL;
	if (!r->resp.body.len ||
	    berth_sdk_xml_parse(NULL, S3_NAME, r->resp.body.data,
				r->resp.body.len, doc) != BERTH_OK)
		return NULL;
	return berth_sdk_xml_root(*doc);
}

/* Fill err_code/err_msg from an <Error> body; returns 1 if there was one. */
static int parse_error(s3_req *r)
{
	const char *p = r->resp.body.data;
	size_t i = 0, len = r->resp.body.len;
	while (p && i < len && (p[i] == ' ' || p[i] == '\r' || p[i] == '\n' || p[i] == '\t'))
		i++;
	if (!p || i >= len || p[i] != '<')
		return 0;
	berth_sdk_xml *d;
	berth_sdk_xml_node *root = s3_xml_root(r, &d);
	int found = 0;
	if (root && !strcmp(berth_sdk_xml_name(root), "Error")) {
		char *c = berth_sdk_xml_text(root, "Code");
		char *m = berth_sdk_xml_text(root, "Message");
		snprintf(r->err_code, sizeof r->err_code, "%s", c ? c : "");
		snprintf(r->err_msg, sizeof r->err_msg, "%s", m ? m : "");
		free(c);
		free(m);
		found = 1;
	}
	berth_sdk_xml_free(d);
	return found;
}

static int is_copy(const s3_req *r)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (!strcmp(r->headers[i].k, "x-amz-copy-source"))
			return 1;
	return 0;
}

static int has_body(const s3_req *r)
{
	return r->body_len || !strcmp(r->method, "PUT") || !strcmp(r->method, "POST");
}

/* The status for an S3 error: S3's codes first, then the HTTP status as
   the SDK maps it, except that S3 answers the other 4xx (and 410, 413)
   to requests the driver got wrong: an I/O error, not the caller's. */
static int status_code(long http, const char *code)
{
	int st = berth_sdk_http_status(http);
	if (!strcmp(code, "SlowDown") || st == BERTH_E_THROTTLED)
		return BERTH_E_THROTTLED; /* 429, 503 */
	if (http == 404 || !strcmp(code, "NoSuchKey") ||
	    !strcmp(code, "NoSuchUpload") || !strcmp(code, "NoSuchBucket"))
		return BERTH_E_NOT_FOUND;
	if (st == BERTH_E_PERMISSION || st == BERTH_E_INVALID_OFFSET)
		return st; /* 401, 403; 416 */
	if (!strcmp(code, "QuotaExceeded") || http == 507)
		return BERTH_E_NO_SPACE;
	if (http >= 500)
		return BERTH_E_UNAVAILABLE;
	return BERTH_E_IO;
}

/* The SDK's retry classifier: reads each answer's <Error>, if any, into
   the request, and asks for a retry on S3's "try again" codes (the SDK
   itself retries 429, 500, 502, 503 and 504).  Error bodies come with
   error statuses, except that CompleteMultipartUpload and copies may
   fail after a 200. */
static int retry_check(const berth_sdk_http_response *resp, void *payload)
{
	s3_req *r = payload;
	r->err_code[0] = r->err_msg[0] = '\0';
	int maybe_err = resp->status < 200 || resp->status >= 300 ||
			!strcmp(r->method, "POST") || is_copy(r);
	r->has_err = maybe_err && parse_error(r);
	if (!r->has_err)
		return 0;
	return !strcmp(r->err_code, "SlowDown") ||
	       !strcmp(r->err_code, "RequestTimeout") ||
	       !strcmp(r->err_code, "InternalError");
}

/* The signed request headers, "Name: value" strings, NULL-terminated. */
typedef struct s3_hdrs {
	char *v[S3_MAX_HEADERS + 8];
	size_t n;
	int oom;
} s3_hdrs;

/* Add "name: value", or "name:" (curl: do not send it) for NULL. */
static void hdrs_add(s3_hdrs *h, const char *name, const char *value)
{
	char *line = NULL;
	int n = value ? asprintf(&line, "%s: %s", name, value)
		      : asprintf(&line, "%s:", name);
	if (h->oom || n < 0) {
		if (n >= 0)
			free(line);
		h->oom = 1;
		return;
	}
	h->v[h->n++] = line;
}

static void hdrs_free(s3_hdrs *h)
{
	for (size_t i = 0; i < h->n; i++)
		free(h->v[i]);
	h->n = 0;
}

/* Sign r (SigV4 over host, payload hash, date, token and r's headers)
   into the header lines of the request. */
static int sign(s3_instance *s, const s3_req *r, const char *curi,
		const char *query, s3_hdrs *out)
{
	char date[17], hash[65];
	amz_now(date);
	if (has_body(r)) {
		if (berth_sdk_sha256_hex(r->body ? r->body : "", r->body_len, hash))
			return BERTH_E_IO;
	} else {
		memcpy(hash, S3_EMPTY_SHA256, 65);
	}
	s3_kv h[S3_MAX_HEADERS + 4];
	size_t nh = 0;
	h[nh++] = (s3_kv){"host", s->host_hdr};
	h[nh++] = (s3_kv){"x-amz-content-sha256", hash};
	h[nh++] = (s3_kv){"x-amz-date", date};
	if (s->session_token)
		h[nh++] = (s3_kv){"x-amz-security-token", s->session_token};
	for (size_t i = 0; i < r->nheaders; i++)
		h[nh++] = r->headers[i];
	char *auth = s3_sigv4_authorization(&s->signer, r->method, curi, query,
					    h, nh, hash, date);
	if (!auth)
		return BERTH_E_NOMEM;
	for (size_t i = 1; i < nh; i++) /* curl sends Host itself */
		hdrs_add(out, h[i].k, h[i].v);
	hdrs_add(out, "Authorization", auth);
	free(auth);
	hdrs_add(out, "Expect", NULL);
	if (has_body(r))
		hdrs_add(out, "Content-Type", "application/octet-stream");
	if (out->oom)
		return BERTH_E_NOMEM;
	out->v[out->n] = NULL;
	return BERTH_OK;
}

/* r's fields from the headers of a response. */
static void take_headers(s3_req *r)
{
	const berth_sdk_http_response *p = &r->resp;
	const char *v;
	r->status = p->status;
	if ((v = berth_sdk_http_header(p, "etag")))
		snprintf(r->etag, sizeof r->etag, "%s", v);
	if ((v = berth_sdk_http_header(p, "content-length")))
		r->content_length = strtoull(v, NULL, 10);
	if ((v = berth_sdk_http_header(p, "content-range")) && (v = strchr(v, '/')) &&
	    v[1] != '*')
		r->total_size = strtoull(v + 1, NULL, 10);
	int64_t t = berth_sdk_http_parse_date(berth_sdk_http_header(p, "last-modified"));
	if (t > 0)
		r->mtime_ns = t * 1000000000LL;
	if (!r->total_size)
		r->total_size = r->content_length;
}

/* Send r to url (signed for curi and query); the result as s3_do's. */
static int perform(s3_instance *s, s3_req *r, const char *url, const char *curi,
		   const char *query, const char *op, const char *path)
{
	s3_hdrs h = {.n = 0};
	int rc = sign(s, r, curi, query, &h);
	if (rc) {
		hdrs_free(&h);
		return s3_fail(s, rc, "%s %s: %s", op, path,
			       rc == BERTH_E_NOMEM ? "out of memory" : "cannot sign");
	}
	berth_sdk_http_request q = {
		.method = r->method, .url = url, .headers = (const char *const *)h.v,
		.body = r->body, .body_len = r->body_len,
		.max_retries = s->max_attempts > 1 ? s->max_attempts - 1 : -1,
		.retry_check = retry_check, .retry_payload = r,
	};
	berth_sdk_http_response_free(&r->resp);
	r->status = 0;
	r->has_err = 0;
	r->etag[0] = r->err_code[0] = r->err_msg[0] = '\0';
	r->content_length = r->total_size = 0;
	r->mtime_ns = 0;
	rc = berth_sdk_http_perform(s->http, &q, &r->resp);
	hdrs_free(&h);
	if (rc == BERTH_E_NOMEM)
		return s3_fail(s, rc, "%s %s: out of memory", op, path);
	if (rc)
		return s3_fail(s, BERTH_E_UNAVAILABLE, "%s %s: %s: %s", op, path,
			       s->scheme_host, r->resp.error);
	take_headers(r);
	if (r->status >= 200 && r->status < 300 && !r->has_err)
		return BERTH_OK;
	if (!r->has_err && r->status == 404)
		snprintf(r->err_code, sizeof r->err_code, "NotFound");
	else if (!r->has_err)
		snprintf(r->err_code, sizeof r->err_code, "HTTP%ld", r->status);
	return s3_fail(s, status_code(r->status, r->err_code), "%s %s: %s%s%s", op,
		       path, r->err_code, r->err_msg[0] ? ": " : "", r->err_msg);
}

int s3_do(s3_instance *s, s3_req *r, const char *op, const char *path)
{
	char *curi = NULL, *query = NULL, *url = NULL;
	int rc = build_uri(s, r, &curi);
	if (rc)
		return s3_fail(s, rc, "%s %s: out of memory", op, path);
	query = s3_canonical_query(r->query, r->nquery);
	if (!query || asprintf(&url, "%s%s%s%s", s->scheme_host, curi,
			       query[0] ? "?" : "", query) < 0) {
		free(curi);
		free(query);
		return s3_fail(s, BERTH_E_NOMEM, "%s %s: out of memory", op, path);
	}
	rc = perform(s, r, url, curi, query, op, path);
	free(curi);
	free(query);
	free(url);
	return rc;
}

/* ---- keys ---- */

int s3_check_path(s3_instance *s, const char *path, int allow_root)
{
	/* the SDK owns the path grammar, so every driver agrees on it */
	return berth_sdk_path_check(s->host, S3_NAME, path,
				    allow_root ? BERTH_SDK_PATH_ALLOW_ROOT : 0);
}

char *s3_key(const s3_instance *s, const char *path)
{
	char *k = NULL;
	if (!strcmp(path, "/"))
		return strdup(s->root);
	if (s->root[0])
		return asprintf(&k, "%s%s", s->root, path) < 0 ? NULL : k;
	return strdup(path + 1);
}

char *s3_dir_prefix(const s3_instance *s, const char *path)
{
	char *k = NULL;
	if (!strcmp(path, "/"))
		return s->root[0] ? (asprintf(&k, "%s/", s->root) < 0 ? NULL : k)
				  : strdup("");
	if (s->root[0])
		return asprintf(&k, "%s%s/", s->root, path) < 0 ? NULL : k;
	return asprintf(&k, "%s/", path + 1) < 0 ? NULL : k;
}

/* ---- object and multipart helpers ---- */

int s3_head(s3_instance *s, const char *key, const char *path, uint64_t *size,
	    int64_t *mtime_ns)
{
	s3_req r = {.method = "HEAD", .key = key};
	int rc = s3_do(s, &r, "HeadObject", path);
	if (rc == BERTH_OK) {
		if (size)
			*size = r.content_length;
		if (mtime_ns)
			*mtime_ns = r.mtime_ns;
	}
	s3_req_done(&r);
	return rc;
}

int s3_delete_object(s3_instance *s, const char *key, const char *path)
{
	s3_req r = {.method = "DELETE", .key = key};
	int rc = s3_do(s, &r, "DeleteObject", path);
	s3_req_done(&r);
	return rc == BERTH_E_NOT_FOUND ? BERTH_OK : rc;
}

int s3_mpu_create(s3_instance *s, const char *key, const char *path,
		  char **upload_id)
{
	s3_req r = {.method = "POST", .key = key};
	s3_req_query(&r, "uploads", "");
	s3_req_object_headers(s, &r);
	int rc = s3_do(s, &r, "CreateMultipartUpload", path);
	if (rc == BERTH_OK) {
		berth_sdk_xml *d;
		berth_sdk_xml_node *root = s3_xml_root(&r, &d);
		*upload_id = root ? berth_sdk_xml_text(root, "UploadId") : NULL;
		berth_sdk_xml_free(d);
		if (!*upload_id)
			rc = s3_fail(s, BERTH_E_IO,
				     "CreateMultipartUpload %s: no UploadId in the answer",
				     path);
	}
	s3_req_done(&r);
	return rc;
}

int s3_mpu_complete(s3_instance *s, const char *key, const char *path,
		    const char *upload_id, const s3_part *parts, size_t n)
{
	berth_sdk_buf b = {0};
	int rc = berth_sdk_buf_printf(&b, "<CompleteMultipartUpload>");
	for (size_t i = 0; i < n && rc == BERTH_OK; i++)
		rc = berth_sdk_buf_printf(&b, "<Part><PartNumber>%d</PartNumber>"
					      "<ETag>%s</ETag></Part>",
					  parts[i].number, parts[i].etag);
	if (rc == BERTH_OK)
		rc = berth_sdk_buf_printf(&b, "</CompleteMultipartUpload>");
	if (rc) {
		berth_sdk_buf_free(&b);
		return s3_fail(s, rc, "CompleteMultipartUpload %s: out of memory", path);
	}
	s3_req r = {.method = "POST", .key = key, .body = b.data, .body_len = b.len};
	s3_req_query(&r, "uploadId", upload_id);
	rc = s3_do(s, &r, "CompleteMultipartUpload", path);
	s3_req_done(&r);
	berth_sdk_buf_free(&b);
	return rc;
}

int s3_mpu_abort(s3_instance *s, const char *key, const char *path,
		 const char *upload_id)
{
	s3_req r = {.method = "DELETE", .key = key};
	s3_req_query(&r, "uploadId", upload_id);
	int rc = s3_do(s, &r, "AbortMultipartUpload", path);
	s3_req_done(&r);
	return rc == BERTH_E_NOT_FOUND ? BERTH_OK : rc;
}

/* "/bucket/encoded-key" for x-amz-copy-source. */
static char *copy_source(s3_instance *s, const char *key)
{
	char *ek = berth_sdk_url_encode(key, 1), *out = NULL;
	if (ek && asprintf(&out, "/%s/%s", s->bucket, ek) < 0)
		out = NULL;
	free(ek);
	return out;
}

static int copy_multipart(s3_instance *s, const char *src, const char *src_key,
			  const char *dst_key, uint64_t size, const char *path)
{
	char *uid = NULL;
	int rc = s3_mpu_create(s, dst_key, path, &uid);
	if (rc)
		return rc;
	uint64_t chunk = s->copy_chunk_size;
	size_t n = (size_t)((size + chunk - 1) / chunk);
	s3_part *parts = calloc(n ? n : 1, sizeof *parts);
	if (!parts)
		rc = s3_fail(s, BERTH_E_NOMEM, "copy %s: out of memory", path);
	for (size_t i = 0; i < n && rc == BERTH_OK; i++) {
		char num[24], range[64];
		uint64_t a = (uint64_t)i * chunk, b = a + chunk - 1;
		if (b >= size)
			b = size - 1;
		snprintf(num, sizeof num, "%zu", i + 1);
		snprintf(range, sizeof range, "bytes=%llu-%llu",
			 (unsigned long long)a, (unsigned long long)b);
		s3_req r = {.method = "PUT", .key = dst_key};
		s3_req_query(&r, "partNumber", num);
		s3_req_query(&r, "uploadId", uid);
		s3_req_header(&r, "x-amz-copy-source", src);
		s3_req_header(&r, "x-amz-copy-source-range", range);
		rc = s3_do(s, &r, "UploadPartCopy", path);
		if (rc == BERTH_OK) {
			berth_sdk_xml *d;
			berth_sdk_xml_node *root = s3_xml_root(&r, &d);
			parts[i].number = (int)i + 1;
			parts[i].etag = root ? berth_sdk_xml_text(root, "ETag") : NULL;
			berth_sdk_xml_free(d);
			if (!parts[i].etag)
				rc = s3_fail(s, BERTH_E_IO, "UploadPartCopy %s: no ETag", path);
		}
		s3_req_done(&r);
	}
	if (rc == BERTH_OK)
		rc = s3_mpu_complete(s, dst_key, path, uid, parts, n);
	if (rc != BERTH_OK)
		s3_mpu_abort(s, dst_key, path, uid);
	for (size_t i = 0; parts && i < n; i++)
		free(parts[i].etag);
	free(parts);
	free(uid);
	(void)src_key;
	return rc;
}

int s3_copy_object(s3_instance *s, const char *src_key, const char *dst_key,
		   uint64_t size, const char *path)
{
	char *src = copy_source(s, src_key);
	if (!src)
		return s3_fail(s, BERTH_E_NOMEM, "copy %s: out of memory", path);
	int rc;
	if (size > s->copy_threshold) {
		rc = copy_multipart(s, src, src_key, dst_key, size, path);
	} else {
		s3_req r = {.method = "PUT", .key = dst_key};
		s3_req_header(&r, "x-amz-copy-source", src);
		s3_req_object_headers(s, &r);
		rc = s3_do(s, &r, "CopyObject", path);
		s3_req_done(&r);
	}
	free(src);
	return rc;
}
