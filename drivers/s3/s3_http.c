/*
 * s3_http.c - how the S3 driver talks to the service: a pool of libcurl
 * easy handles sharing one CURLSH (DNS cache, connections, TLS sessions),
 * so requests reuse connections instead of handshaking each time; request
 * signing (sigv4.c); retries with exponential backoff and jitter on
 * throttling (SlowDown, 503, 429) and transient network failures; and the
 * mapping of S3 error codes onto berth_status values with the S3 code in
 * the message.  Also the small XML, key and multipart helpers every other
 * file needs.
 */
#include "s3.h"

#include <berth/sdk.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>

int s3_fail(s3_instance *s, int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (s && s->host && s->host->error)
		s->host->error(s->host, code, "s3: %s", msg);
	return code;
}

int s3_buf_add(s3_buf *b, const void *data, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p)
			return BERTH_E_NOMEM;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return BERTH_OK;
}

void s3_buf_free(s3_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* ---- connection pool ---- */

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access a,
		       void *user)
{
	s3_instance *s = user;
	pthread_mutex_lock(&s->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *user)
{
	s3_instance *s = user;
	pthread_mutex_unlock(&s->share_locks[data]);
}

int s3_http_init(s3_instance *s)
{
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&s->share_locks[i], NULL);
	pthread_mutex_init(&s->pool_lock, NULL);
	s->share = curl_share_init();
	if (!s->share)
		return BERTH_E_NOMEM;
	curl_share_setopt(s->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(s->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(s->share, CURLSHOPT_USERDATA, s);
	curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	return BERTH_OK;
}

void s3_http_cleanup(s3_instance *s)
{
	for (size_t i = 0; i < s->pool_len; i++)
		curl_easy_cleanup(s->pool[i]);
	free(s->pool);
	s->pool = NULL;
	s->pool_len = 0;
	if (s->share)
		curl_share_cleanup(s->share);
	s->share = NULL;
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&s->share_locks[i]);
	pthread_mutex_destroy(&s->pool_lock);
}

static CURL *pool_get(s3_instance *s)
{
	CURL *h = NULL;
	pthread_mutex_lock(&s->pool_lock);
	if (s->pool_len)
		h = s->pool[--s->pool_len];
	pthread_mutex_unlock(&s->pool_lock);
	if (h)
		curl_easy_reset(h);
	else
		h = curl_easy_init();
	return h;
}

static void pool_put(s3_instance *s, CURL *h)
{
	pthread_mutex_lock(&s->pool_lock);
	if (s->pool_len == s->pool_cap) {
		size_t cap = s->pool_cap ? s->pool_cap * 2 : 16;
		CURL **p = realloc(s->pool, cap * sizeof *p);
		if (!p) {
			pthread_mutex_unlock(&s->pool_lock);
			curl_easy_cleanup(h);
			return;
		}
		s->pool = p;
		s->pool_cap = cap;
	}
	s->pool[s->pool_len++] = h;
	pthread_mutex_unlock(&s->pool_lock);
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

void s3_req_done(s3_req *r) { s3_buf_free(&r->resp); }

static size_t on_body(char *p, size_t sz, size_t n, void *user)
{
	s3_req *r = user;
	return s3_buf_add(&r->resp, p, sz * n) == BERTH_OK ? sz * n : 0;
}

static int hdr_is(const char *line, size_t n, const char *name, const char **val)
{
	size_t l = strlen(name);
	if (n <= l || strncasecmp(line, name, l) != 0 || line[l] != ':')
		return 0;
	*val = line + l + 1;
	while (**val == ' ')
		(*val)++;
	return 1;
}

static size_t on_header(char *p, size_t sz, size_t n, void *user)
{
	s3_req *r = user;
	size_t len = sz * n;
	char line[512];
	size_t l = len < sizeof line - 1 ? len : sizeof line - 1;
	memcpy(line, p, l);
	line[l] = '\0';
	while (l && (line[l - 1] == '\r' || line[l - 1] == '\n'))
		line[--l] = '\0';
	const char *v;
	if (hdr_is(line, l, "etag", &v)) {
		snprintf(r->etag, sizeof r->etag, "%s", v);
	} else if (hdr_is(line, l, "content-length", &v)) {
		r->content_length = strtoull(v, NULL, 10);
		/* size the body buffer once instead of doubling past it */
		if (strcmp(r->method, "HEAD") && r->content_length < (64u << 20) &&
		    r->resp.cap < r->content_length + 1) {
			char *np = realloc(r->resp.p, r->content_length + 1);
			if (np) {
				r->resp.p = np;
				r->resp.cap = r->content_length + 1;
			}
		}
	} else if (hdr_is(line, l, "content-range", &v)) {
		const char *slash = strchr(v, '/');
		if (slash && slash[1] != '*')
			r->total_size = strtoull(slash + 1, NULL, 10);
	} else if (hdr_is(line, l, "last-modified", &v)) {
		time_t t = curl_getdate(v, NULL);
		if (t > 0)
			r->mtime_ns = (int64_t)t * 1000000000LL;
	}
	return len;
}

/* Build URL and canonical URI for r. */
static int build_uri(s3_instance *s, const s3_req *r, char **uri)
{
	char *ek = NULL;
	if (r->key) {
		ek = s3_uri_encode(r->key, 1);
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

xmlDoc *s3_xml_parse(const s3_buf *b)
{
	if (!b->p || b->len == 0)
		return NULL;
	return xmlReadMemory(b->p, (int)b->len, "s3.xml", NULL,
			     XML_PARSE_NONET | XML_PARSE_NOERROR |
				     XML_PARSE_NOWARNING);
}

xmlNode *s3_xml_child(xmlNode *node, const char *name)
{
	for (xmlNode *c = node ? node->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE &&
		    strcmp((const char *)c->name, name) == 0)
			return c;
	return NULL;
}

char *s3_xml_text(xmlNode *node, const char *child)
{
	xmlNode *c = child ? s3_xml_child(node, child) : node;
	if (!c)
		return NULL;
	xmlChar *t = xmlNodeGetContent(c);
	if (!t)
		return NULL;
	char *out = strdup((const char *)t);
	xmlFree(t);
	return out;
}

/* Fill err_code/err_msg from an <Error> body; returns 1 if there was one. */
static int parse_error(s3_req *r)
{
	const char *p = r->resp.p;
	size_t i = 0;
	while (p && i < r->resp.len && (p[i] == ' ' || p[i] == '\r' || p[i] == '\n' || p[i] == '\t'))
		i++;
	if (!p || i >= r->resp.len || p[i] != '<')
		return 0;
	xmlDoc *d = s3_xml_parse(&r->resp);
	if (!d)
		return 0;
	int found = 0;
	xmlNode *root = xmlDocGetRootElement(d);
	if (root && strcmp((const char *)root->name, "Error") == 0) {
		char *c = s3_xml_text(root, "Code"), *m = s3_xml_text(root, "Message");
		snprintf(r->err_code, sizeof r->err_code, "%s", c ? c : "");
		snprintf(r->err_msg, sizeof r->err_msg, "%s", m ? m : "");
		free(c);
		free(m);
		found = 1;
	}
	xmlFreeDoc(d);
	return found;
}

static int is_copy(const s3_req *r)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (!strcmp(r->headers[i].k, "x-amz-copy-source"))
			return 1;
	return 0;
}

static int status_code(long http, const char *code)
{
	if (!strcmp(code, "SlowDown") || http == 429 || http == 503)
		return BERTH_E_THROTTLED;
	if (http == 404 || !strcmp(code, "NoSuchKey") ||
	    !strcmp(code, "NoSuchUpload") || !strcmp(code, "NoSuchBucket"))
		return BERTH_E_NOT_FOUND;
	if (http == 403 || http == 401)
		return BERTH_E_PERMISSION;
	if (http == 416)
		return BERTH_E_INVALID_OFFSET;
	if (!strcmp(code, "QuotaExceeded") || http == 507)
		return BERTH_E_NO_SPACE;
	if (http >= 500)
		return BERTH_E_UNAVAILABLE;
	return BERTH_E_IO;
}

static int retryable_http(long http, const char *code)
{
	return http == 429 || http == 500 || http == 502 || http == 503 ||
	       http == 504 || !strcmp(code, "SlowDown") ||
	       !strcmp(code, "RequestTimeout") || !strcmp(code, "InternalError");
}

static int retryable_curl(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	default:
		return 0;
	}
}

static void backoff(int attempt)
{
	long ms = 50L << (attempt < 6 ? attempt : 6); /* 50 ms .. 3.2 s */
	ms = ms / 2 + (rand() % (ms / 2 + 1));       /* jitter */
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* One attempt; returns the CURLcode, fills r. */
static CURLcode attempt_once(s3_instance *s, s3_req *r, const char *url,
			     const char *curi, const char *query)
{
	char date[17], hash[65];
	amz_now(date);
	if (r->body_len || !strcmp(r->method, "PUT") || !strcmp(r->method, "POST"))
		s3_sha256_hex(r->body ? r->body : "", r->body_len, hash);
	else
		memcpy(hash, S3_EMPTY_SHA256, 65);

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
		return CURLE_OUT_OF_MEMORY;

	struct curl_slist *list = NULL, *tmp;
	char line[2048];
	int oom = 0;
#define ADDH(...)                                                   \
	do {                                                        \
		snprintf(line, sizeof line, __VA_ARGS__);           \
		tmp = curl_slist_append(list, line);                \
		if (!tmp)                                           \
			oom = 1;                                    \
		else                                                \
			list = tmp;                                 \
	} while (0)
	for (size_t i = 1; i < nh; i++) /* curl sends Host itself */
		ADDH("%s: %s", h[i].k, h[i].v);
	ADDH("Authorization: %s", auth);
	ADDH("Expect:");
	if (r->body_len || !strcmp(r->method, "PUT") || !strcmp(r->method, "POST"))
		ADDH("Content-Type: application/octet-stream");
#undef ADDH
	free(auth);
	if (oom) {
		curl_slist_free_all(list);
		return CURLE_OUT_OF_MEMORY;
	}

	CURL *c = pool_get(s);
	if (!c) {
		curl_slist_free_all(list);
		return CURLE_OUT_OF_MEMORY;
	}
	curl_easy_setopt(c, CURLOPT_SHARE, s->share);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	if (s->skip_verify) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (!strcmp(r->method, "HEAD")) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (!strcmp(r->method, "GET")) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else {
		if (r->body_len || !strcmp(r->method, "PUT") ||
		    !strcmp(r->method, "POST")) {
			curl_easy_setopt(c, CURLOPT_POSTFIELDS,
					 r->body ? (const char *)r->body : "");
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
					 (curl_off_t)r->body_len);
		}
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, r->method);
	}
	CURLcode rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(list);
	if (rc == CURLE_OK)
		pool_put(s, c);
	else
		curl_easy_cleanup(c); /* a broken handle is not reused */
	return rc;
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

	rc = BERTH_E_IO;
	for (int attempt = 0;; attempt++) {
		s3_buf_free(&r->resp);
		r->status = 0;
		r->etag[0] = r->err_code[0] = r->err_msg[0] = '\0';
		r->content_length = r->total_size = 0;
		r->mtime_ns = 0;
		CURLcode cc = attempt_once(s, r, url, curi, query);
		int last = attempt + 1 >= s->max_attempts;
		if (cc != CURLE_OK) {
			if (cc == CURLE_OUT_OF_MEMORY) {
				rc = s3_fail(s, BERTH_E_NOMEM, "%s %s: out of memory", op, path);
				break;
			}
			if (!last && retryable_curl(cc)) {
				backoff(attempt);
				continue;
			}
			rc = s3_fail(s, BERTH_E_UNAVAILABLE, "%s %s: %s: %s", op,
				     path, s->scheme_host, curl_easy_strerror(cc));
			break;
		}
		if (!r->total_size)
			r->total_size = r->content_length;
		/* Error bodies come with error statuses, except that
		   CompleteMultipartUpload and copies may fail after a 200. */
		int maybe_err = r->status < 200 || r->status >= 300 ||
				!strcmp(r->method, "POST") || is_copy(r);
		int has_err = maybe_err && parse_error(r);
		if (r->status >= 200 && r->status < 300 && !has_err) {
			rc = BERTH_OK;
			break;
		}
		if (!has_err && r->status == 404)
			snprintf(r->err_code, sizeof r->err_code, "NotFound");
		else if (!has_err)
			snprintf(r->err_code, sizeof r->err_code, "HTTP%ld", r->status);
		if (!last && retryable_http(r->status, r->err_code)) {
			backoff(attempt);
			continue;
		}
		rc = s3_fail(s, status_code(r->status, r->err_code), "%s %s: %s%s%s",
			     op, path, r->err_code, r->err_msg[0] ? ": " : "",
			     r->err_msg);
		break;
	}
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
		xmlDoc *d = s3_xml_parse(&r.resp);
		*upload_id = d ? s3_xml_text(xmlDocGetRootElement(d), "UploadId") : NULL;
		if (d)
			xmlFreeDoc(d);
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
	s3_buf b = {0};
	int rc = s3_buf_add(&b, "<CompleteMultipartUpload>", 25);
	for (size_t i = 0; i < n && rc == BERTH_OK; i++) {
		char *x = NULL;
		if (asprintf(&x, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>",
			     parts[i].number, parts[i].etag) < 0)
			rc = BERTH_E_NOMEM;
		else
			rc = s3_buf_add(&b, x, strlen(x));
		free(x);
	}
	if (rc == BERTH_OK)
		rc = s3_buf_add(&b, "</CompleteMultipartUpload>", 26);
	if (rc) {
		s3_buf_free(&b);
		return s3_fail(s, rc, "CompleteMultipartUpload %s: out of memory", path);
	}
	s3_req r = {.method = "POST", .key = key, .body = b.p, .body_len = b.len};
	s3_req_query(&r, "uploadId", upload_id);
	rc = s3_do(s, &r, "CompleteMultipartUpload", path);
	s3_req_done(&r);
	s3_buf_free(&b);
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
	char *ek = s3_uri_encode(key, 1), *out = NULL;
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
			xmlDoc *d = s3_xml_parse(&r.resp);
			parts[i].number = (int)i + 1;
			parts[i].etag = d ? s3_xml_text(xmlDocGetRootElement(d), "ETag") : NULL;
			if (d)
				xmlFreeDoc(d);
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
