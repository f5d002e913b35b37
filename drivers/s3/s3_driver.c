/*
 * s3_driver.c - the S3 storage driver's descriptor, configuration (option
 * names as in CNCF Distribution's s3 driver, plus redirectexpiry), the
 * start-up health check, and the whole-object operations: get/put
 * content, move (CopyObject, multipart copy above a threshold, then
 * delete) and presigned redirect URLs.
 */
#include "s3.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- option parsing ---- */

/* The SDK's booleans, and "" (an option left empty) as false. */
static int parse_bool(const char *v, int *out)
{
	if (!*v) {
		*out = 0;
		return BERTH_OK;
	}
	return berth_sdk_parse_bool(v, out);
}

/* A byte count in [min, max] (the SDK's integers). */
static int parse_bytes(const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
	int64_t n;
	if (berth_sdk_parse_int(v, (int64_t)min, (int64_t)max, &n))
		return -1;
	*out = (uint64_t)n;
	return 0;
}

/* Go-style duration ("20m", "1h30m", "90s", "500ms") or plain seconds. */
static int parse_duration_s(const char *v, long *out)
{
	double total = 0;
	const char *p = v;
	if (!*p)
		return -1;
	if (strspn(v, "0123456789") == strlen(v)) {
		total = strtod(v, NULL); /* bare number: seconds */
		p = v + strlen(v);
	}
	while (*p) {
		char *end;
		double n = strtod(p, &end);
		if (end == p)
			return -1;
		p = end;
		double mul;
		if (!strncmp(p, "ms", 2))
			mul = 1e-3, p += 2;
		else if (!strncmp(p, "us", 2))
			mul = 1e-6, p += 2;
		else if (!strncmp(p, "ns", 2))
			mul = 1e-9, p += 2;
		else if (*p == 'h')
			mul = 3600, p++;
		else if (*p == 'm')
			mul = 60, p++;
		else if (*p == 's')
			mul = 1, p++;
		else
			return -1;
		total += n * mul;
	}
	if (total < 1 || total > 7 * 86400)
		return -1;
	*out = (long)total;
	return 0;
}

static void instance_free(s3_instance *s)
{
	if (!s)
		return;
	s3_http_cleanup(s);
	s3_memo_cleanup(s);
	free(s->access_key);
	free(s->secret_key);
	free(s->session_token);
	free(s->region);
	free(s->bucket);
	free(s->root);
	free(s->scheme_host);
	free(s->host_hdr);
	free(s->uri_prefix);
	free(s->storage_class);
	free(s->kms_key_id);
	free(s->acl);
	free(s);
}

static int dupopt(s3_instance *s, char **dst, const char *v)
{
	free(*dst);
	*dst = strdup(v);
	return *dst ? BERTH_OK : s3_fail(s, BERTH_E_NOMEM, "out of memory");
}

static int bad(s3_instance *s, const char *key, const char *v, const char *why)
{
	return s3_fail(s, BERTH_E_CONFIG, "option %s: invalid value \"%s\" (%s)",
		       key, v, why);
}

static int apply_options(s3_instance *s, const berth_config *cfg,
			 char **endpoint, int *secure, int *pathstyle)
{
	for (size_t i = 0; i < cfg->count; i++) {
		const char *k = cfg->items[i].key, *v = cfg->items[i].value;
		uint64_t n;
		int b, rc = BERTH_OK;
		if (!strcmp(k, "accesskey"))
			rc = *v ? dupopt(s, &s->access_key, v) : 0;
		else if (!strcmp(k, "secretkey"))
			rc = *v ? dupopt(s, &s->secret_key, v) : 0;
		else if (!strcmp(k, "sessiontoken"))
			rc = *v ? dupopt(s, &s->session_token, v) : 0;
		else if (!strcmp(k, "region"))
			rc = dupopt(s, &s->region, v);
		else if (!strcmp(k, "regionendpoint"))
			rc = *v ? dupopt(s, endpoint, v) : 0;
		else if (!strcmp(k, "bucket"))
			rc = dupopt(s, &s->bucket, v);
		else if (!strcmp(k, "rootdirectory")) {
			while (*v == '/')
				v++;
			rc = dupopt(s, &s->root, v);
			size_t l = s->root ? strlen(s->root) : 0;
			while (l && s->root[l - 1] == '/')
				s->root[--l] = '\0';
		} else if (!strcmp(k, "secure") || !strcmp(k, "forcepathstyle") ||
			   !strcmp(k, "skipverify") || !strcmp(k, "encrypt") ||
			   !strcmp(k, "v4auth")) {
			if (parse_bool(v, &b))
				return bad(s, k, v, "expected true or false");
			if (!strcmp(k, "secure"))
				*secure = b;
			else if (!strcmp(k, "forcepathstyle"))
				*pathstyle = b;
			else if (!strcmp(k, "skipverify"))
				s->skip_verify = b;
			else if (!strcmp(k, "encrypt"))
				s->encrypt = b;
			else if (!b)
				return bad(s, k, v, "only Signature Version 4 is supported");
		} else if (!strcmp(k, "chunksize")) {
			if (parse_bytes(v, S3_MIN_PART, 5ull << 30, &n))
				return bad(s, k, v, "bytes, at least 5242880");
			s->chunk_size = (size_t)n;
		} else if (!strcmp(k, "multipartcopychunksize")) {
			if (parse_bytes(v, S3_MIN_PART, 5ull << 30, &n))
				return bad(s, k, v, "bytes, 5 MiB to 5 GiB");
			s->copy_chunk_size = n;
		} else if (!strcmp(k, "multipartcopythresholdsize")) {
			if (parse_bytes(v, 0, 5ull << 30, &n))
				return bad(s, k, v, "bytes, at most 5 GiB");
			s->copy_threshold = n;
		} else if (!strcmp(k, "multipartcopymaxconcurrency")) {
			if (parse_bytes(v, 1, INT64_MAX, &n))
				return bad(s, k, v, "a positive integer");
		} else if (!strcmp(k, "storageclass")) {
			if (!strcasecmp(v, "NONE") || !*v) {
				free(s->storage_class);
				s->storage_class = NULL;
			} else {
				rc = dupopt(s, &s->storage_class, v);
			}
		} else if (!strcmp(k, "keyid")) {
			rc = *v ? dupopt(s, &s->kms_key_id, v) : 0;
		} else if (!strcmp(k, "objectacl")) {
			rc = strcmp(v, "private") && *v ? dupopt(s, &s->acl, v) : 0;
		} else if (!strcmp(k, "redirectexpiry")) {
			if (parse_duration_s(v, &s->redirect_expiry_s))
				return bad(s, k, v, "a duration from 1s to 168h, e.g. 20m");
		} else if (!strcmp(k, "loglevel") || !strcmp(k, "useragent")) {
			/* accepted for compatibility; nothing to configure */
		} else {
			return s3_fail(s, BERTH_E_CONFIG, "unknown option \"%s\"", k);
		}
		if (rc)
			return rc;
	}
	return BERTH_OK;
}

/* Split the endpoint into scheme://host[:port] and host[:port]. */
static int set_endpoint(s3_instance *s, const char *endpoint, int secure,
			int pathstyle)
{
	char *base = NULL;
	if (endpoint) {
		if (strstr(endpoint, "://"))
			base = strdup(endpoint);
		else if (asprintf(&base, "%s://%s", secure ? "https" : "http",
				  endpoint) < 0)
			base = NULL;
	} else if (asprintf(&base, "%s://s3.%s.amazonaws.com",
			    secure ? "https" : "http", s->region) < 0) {
		base = NULL;
	}
	if (!base)
		return s3_fail(s, BERTH_E_NOMEM, "out of memory");
	size_t l = strlen(base);
	while (l && base[l - 1] == '/')
		base[--l] = '\0';
	char *hoststart = strstr(base, "://") + 3;
	if (strchr(hoststart, '/')) {
		free(base);
		return bad(s, "regionendpoint", endpoint,
			   "scheme://host[:port] without a path");
	}
	if (!pathstyle) {
		/* virtual-hosted style: bucket.host */
		char *vb = NULL;
		if (asprintf(&vb, "%.*s%s.%s", (int)(hoststart - base), base,
			     s->bucket, hoststart) < 0) {
			free(base);
			return s3_fail(s, BERTH_E_NOMEM, "out of memory");
		}
		free(base);
		base = vb;
		hoststart = strstr(base, "://") + 3;
		s->uri_prefix = strdup("");
	} else if (asprintf(&s->uri_prefix, "/%s", s->bucket) < 0) {
		s->uri_prefix = NULL;
	}
	s->scheme_host = base;
	/* Default ports are not part of the Host header curl sends. */
	size_t hl = strlen(hoststart);
	if (!strncmp(base, "http://", 7) && hl > 3 && !strcmp(hoststart + hl - 3, ":80"))
		hl -= 3;
	else if (!strncmp(base, "https://", 8) && hl > 4 &&
		 !strcmp(hoststart + hl - 4, ":443"))
		hl -= 4;
	s->host_hdr = strndup(hoststart, hl);
	if (!s->host_hdr || !s->uri_prefix)
		return s3_fail(s, BERTH_E_NOMEM, "out of memory");
	return BERTH_OK;
}

/* Start-up check: one ListObjectsV2 with max-keys=1 proves endpoint,
   credentials and bucket. */
static int health_check(s3_instance *s)
{
	s3_req r = {.method = "GET"};
	s3_req_query(&r, "list-type", "2");
	s3_req_query(&r, "max-keys", "1");
	int saved = s->max_attempts;
	s->max_attempts = 2;
	int rc = s3_do(s, &r, "ListObjectsV2", s->bucket);
	s->max_attempts = saved;
	if (rc == BERTH_E_PERMISSION)
		rc = s3_fail(s, rc,
			     "access to bucket \"%s\" at %s refused (%s%s%s): check "
			     "accesskey/secretkey and permissions",
			     s->bucket, s->scheme_host, r.err_code,
			     r.err_msg[0] ? ": " : "", r.err_msg);
	else if (rc == BERTH_E_NOT_FOUND && !strcmp(r.err_code, "NotFound"))
		rc = s3_fail(s, BERTH_E_CONFIG,
			     "bucket \"%s\": %s answered 404 without an S3 error "
			     "(is regionendpoint an S3 endpoint?)",
			     s->bucket, s->scheme_host);
	else if (rc == BERTH_E_NOT_FOUND)
		rc = s3_fail(s, BERTH_E_CONFIG, "bucket \"%s\" does not exist at %s (%s)",
			     s->bucket, s->scheme_host, r.err_code);
	else if (rc == BERTH_E_UNAVAILABLE && r.status == 0)
		rc = s3_fail(s, rc, "endpoint %s unreachable (bucket \"%s\")",
			     s->scheme_host, s->bucket);
	s3_req_done(&r);
	return rc;
}

static int s3_create(berth_instance **out, const berth_host *host,
		     const berth_config *cfg)
{
	*out = NULL;
	s3_instance *s = calloc(1, sizeof *s);
	if (!s)
		return host->error(host, BERTH_E_NOMEM, "s3: out of memory");
	s->host = host;
	s->chunk_size = 10u << 20;
	s->copy_chunk_size = 32u << 20;
	s->copy_threshold = 32u << 20;
	s->redirect_expiry_s = 20 * 60;
	s->max_attempts = 6;
	s->root = strdup("");
	s3_memo_init(s);
	char *endpoint = NULL;
	int secure = 1, pathstyle = 0;
	int rc = s->root ? BERTH_OK : s3_fail(s, BERTH_E_NOMEM, "out of memory");
	if (rc == BERTH_OK)
		rc = apply_options(s, cfg, &endpoint, &secure, &pathstyle);
	if (rc == BERTH_OK && !s->access_key && getenv("AWS_ACCESS_KEY_ID"))
		rc = dupopt(s, &s->access_key, getenv("AWS_ACCESS_KEY_ID"));
	if (rc == BERTH_OK && !s->secret_key && getenv("AWS_SECRET_ACCESS_KEY"))
		rc = dupopt(s, &s->secret_key, getenv("AWS_SECRET_ACCESS_KEY"));
	if (rc == BERTH_OK && !s->session_token && getenv("AWS_SESSION_TOKEN") &&
	    *getenv("AWS_SESSION_TOKEN"))
		rc = dupopt(s, &s->session_token, getenv("AWS_SESSION_TOKEN"));
	if (rc == BERTH_OK && (!s->bucket || !*s->bucket))
		rc = s3_fail(s, BERTH_E_CONFIG, "option bucket is required");
	if (rc == BERTH_OK && !s->region && endpoint)
		rc = dupopt(s, &s->region, "us-east-1");
	if (rc == BERTH_OK && (!s->region || !*s->region))
		rc = s3_fail(s, BERTH_E_CONFIG, "option region is required");
	if (rc == BERTH_OK && (!s->access_key || !s->secret_key))
		rc = s3_fail(s, BERTH_E_CONFIG,
			     "no credentials: set accesskey and secretkey (or "
			     "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)");
	if (rc == BERTH_OK && s->kms_key_id && !s->encrypt)
		rc = s3_fail(s, BERTH_E_CONFIG, "option keyid needs encrypt: true");
	if (rc == BERTH_OK)
		rc = set_endpoint(s, endpoint, secure, pathstyle);
	free(endpoint);
	if (rc == BERTH_OK)
		rc = s3_http_init(s);
	if (rc == BERTH_OK) {
		s->signer = (s3_signer){s->access_key, s->secret_key, s->region, "s3"};
		rc = health_check(s);
	}
	if (rc != BERTH_OK) {
		instance_free(s);
		return rc;
	}
	*out = s;
	return BERTH_OK;
}

static void s3_destroy(berth_instance *inst) { instance_free(inst); }

/* ---- whole objects ---- */

static int s3_get_content(berth_instance *s, const char *path, char **out,
			  size_t *out_len)
{
	int rc = s3_check_path(s, path, 0);
	if (rc)
		return rc;
	char *key = s3_key(s, path);
	if (!key)
		return s3_fail(s, BERTH_E_NOMEM, "out of memory");
	s3_req r = {.method = "GET", .key = key};
	rc = s3_do(s, &r, "GetObject", path);
	if (rc == BERTH_E_NOT_FOUND) {
		/* Ask once more: some S3 implementations (Swift's s3api)
		   briefly answer 404 while the object is being overwritten,
		   where S3 promises the old or the new content. */
		s3_req_done(&r);
		rc = s3_do(s, &r, "GetObject", path);
	}
	if (rc == BERTH_OK) {
		*out = berth_sdk_host_dup(s->host, r.resp.body.data, r.resp.body.len);
		if (!*out)
			rc = s3_fail(s, BERTH_E_NOMEM, "GetObject %s: out of memory", path);
		else
			*out_len = r.resp.body.len;
	}
	s3_req_done(&r);
	free(key);
	return rc;
}

static int s3_put_content(berth_instance *s, const char *path,
			  const void *data, size_t len)
{
	int rc = s3_check_path(s, path, 0);
	if (rc)
		return rc;
	char *key = s3_key(s, path);
	if (!key)
		return s3_fail(s, BERTH_E_NOMEM, "out of memory");
	s3_req r = {.method = "PUT", .key = key, .body = data, .body_len = len};
	s3_req_object_headers(s, &r);
	rc = s3_do(s, &r, "PutObject", path);
	s3_req_done(&r);
	free(key);
	return rc;
}

static int s3_move(berth_instance *s, const char *src, const char *dst)
{
	int rc = s3_check_path(s, src, 0);
	if (rc == BERTH_OK)
		rc = s3_check_path(s, dst, 0);
	if (rc)
		return rc;
	char *sk = s3_key(s, src), *dk = s3_key(s, dst);
	uint64_t size = 0;
	if (!sk || !dk)
		rc = s3_fail(s, BERTH_E_NOMEM, "out of memory");
	if (rc == BERTH_OK)
		rc = s3_head(s, sk, src, &size, NULL);
	if (rc == BERTH_OK && strcmp(sk, dk) != 0) {
		rc = s3_copy_object(s, sk, dk, size, dst);
		if (rc == BERTH_OK)
			rc = s3_delete_object(s, sk, src);
	}
	free(sk);
	free(dk);
	return rc;
}

static int s3_redirect_url(berth_instance *s, const char *path,
			   const char *method, char **out)
{
	int rc = s3_check_path(s, path, 0);
	if (rc)
		return rc;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return s3_fail(s, BERTH_E_INVALID_ARGUMENT,
			       "redirect_url: method %s not supported", method);
	char *key = s3_key(s, path), *ek = key ? berth_sdk_url_encode(key, 1) : NULL;
	char *curi = NULL, *q = NULL;
	char date[17];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(date, sizeof date, "%Y%m%dT%H%M%SZ", &tm);
	if (ek && asprintf(&curi, "%s/%s", s->uri_prefix, ek) >= 0) {
		if (s->session_token) {
			s3_kv extra = {"X-Amz-Security-Token", s->session_token};
			q = s3_sigv4_presign(&s->signer, method, curi, s->host_hdr,
					     &extra, 1, date, s->redirect_expiry_s);
		} else {
			q = s3_sigv4_presign(&s->signer, method, curi, s->host_hdr,
					     NULL, 0, date, s->redirect_expiry_s);
		}
	}
	rc = BERTH_E_NOMEM;
	if (q) {
		size_t n = strlen(s->scheme_host) + strlen(curi) + strlen(q) + 2;
		*out = s->host->alloc(n);
		if (*out) {
			snprintf(*out, n, "%s%s?%s", s->scheme_host, curi, q);
			rc = BERTH_OK;
		}
	}
	free(key);
	free(ek);
	free(curi);
	free(q);
	return rc ? s3_fail(s, rc, "redirect_url %s: out of memory", path) : rc;
}

static const berth_storage_driver s3_driver = {
	BERTH_STORAGE_HEAD(S3_NAME, "1.0.0",
			   BERTH_CAP_REDIRECT | BERTH_CAP_NATIVE_WALK |
				   BERTH_CAP_SERVER_MOVE | BERTH_CAP_RANGE_READ |
				   BERTH_CAP_APPEND),
	.create = s3_create,
	.destroy = s3_destroy,
	.get_content = s3_get_content,
	.put_content = s3_put_content,
	.reader_open = s3_reader_open,
	.reader_read = s3_reader_read,
	.reader_close = s3_reader_close,
	.writer_open = s3_writer_open,
	.writer_write = s3_writer_write,
	.writer_size = s3_writer_size,
	.writer_commit = s3_writer_commit,
	.writer_cancel = s3_writer_cancel,
	.writer_close = s3_writer_close,
	.stat = s3_stat,
	.list = s3_list,
	.move = s3_move,
	.remove = s3_remove,
	.redirect_url = s3_redirect_url,
	.walk = s3_walk,
	.open_fd = NULL,
};

BERTH_STORAGE_DRIVER(&s3_driver)
