/*
 * http.c - an HTTP client over libcurl for drivers that talk to object
 * stores: one request struct, buffered or streamed bodies both ways,
 * retries with exponential backoff and full jitter on throttling, server
 * errors and transient transport failures, and connection reuse.
 *
 * Reuse: each client keeps a pool of easy handles (an easy handle keeps
 * its connections alive between transfers) and one CURLSH sharing the DNS
 * cache, the connection cache and TLS sessions between them, so a request
 * from any thread finds a warm connection.  The share's locks are one
 * mutex per data kind, as libcurl's documentation asks.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include <berth/sdk.h>

#define POOL_MAX 64
#define DEFAULT_MAX_BODY ((size_t)64 << 20)
/* Largest body sized up front from its Content-Length. */
#define PRESIZE_MAX ((unsigned long long)64 << 20)

struct berth_sdk_http {
	berth_sdk_http_options o;
	char *driver, *user_agent, *ca_file; /* owned copies */
	CURLSH *share;
	pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
	pthread_mutex_t pool_mu;
	CURL *pool[POOL_MAX];
	size_t npool;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access acc,
		       void *userp)
{
	berth_sdk_http *c = userp;
	if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
		pthread_mutex_lock(&c->locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *userp)
{
	berth_sdk_http *c = userp;
	if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
		pthread_mutex_unlock(&c->locks[data]);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

berth_sdk_http *berth_sdk_http_new(const berth_sdk_http_options *opts)
{
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return NULL;
	berth_sdk_http *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	if (opts)
		c->o = *opts;
	c->driver = dup_or_null(c->o.driver);
	c->user_agent = strdup(c->o.user_agent ? c->o.user_agent
					       : "berth-driver-sdk/" BERTH_SDK_VERSION);
	c->ca_file = dup_or_null(c->o.ca_file);
	if ((c->o.driver && !c->driver) || !c->user_agent ||
	    (c->o.ca_file && !c->ca_file)) {
		free(c->driver);
		free(c->user_agent);
		free(c->ca_file);
		free(c);
		return NULL;
	}
	c->o.driver = c->driver;
	c->o.user_agent = c->user_agent;
	c->o.ca_file = c->ca_file;
	if (!c->o.connect_timeout_ms)
		c->o.connect_timeout_ms = 10000;
	if (!c->o.low_speed_time_s)
		c->o.low_speed_time_s = 60;
	if (!c->o.max_retries)
		c->o.max_retries = 3;
	if (c->o.max_retries < 0)
		c->o.max_retries = 0;
	if (c->o.backoff_base_ms <= 0)
		c->o.backoff_base_ms = 100;
	if (c->o.backoff_max_ms <= 0)
		c->o.backoff_max_ms = 10000;
	if (!c->o.max_body)
		c->o.max_body = DEFAULT_MAX_BODY;
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&c->locks[i], NULL);
	pthread_mutex_init(&c->pool_mu, NULL);
	c->share = curl_share_init();
	if (c->share) {
		curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock);
		curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
		curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
		curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
		curl_share_setopt(c->share, CURLSHOPT_SHARE,
				  CURL_LOCK_DATA_SSL_SESSION);
		curl_share_setopt(c->share, CURLSHOPT_SHARE,
				  CURL_LOCK_DATA_CONNECT);
	}
	return c;
}

void berth_sdk_http_free(berth_sdk_http *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->npool; i++)
		curl_easy_cleanup(c->pool[i]);
	if (c->share)
		curl_share_cleanup(c->share);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&c->locks[i]);
	pthread_mutex_destroy(&c->pool_mu);
	free(c->driver);
	free(c->user_agent);
	free(c->ca_file);
	free(c);
}

static CURL *pool_get(berth_sdk_http *c)
{
	CURL *h = NULL;
	pthread_mutex_lock(&c->pool_mu);
	if (c->npool)
		h = c->pool[--c->npool];
	pthread_mutex_unlock(&c->pool_mu);
	return h ? h : curl_easy_init();
}

static void pool_put(berth_sdk_http *c, CURL *h)
{
	pthread_mutex_lock(&c->pool_mu);
	if (c->npool < POOL_MAX) {
		c->pool[c->npool++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&c->pool_mu);
	if (h)
		curl_easy_cleanup(h);
}

/* ---- one transfer ---- */

struct xfer {
	berth_sdk_http *c;
	const berth_sdk_http_request *req;
	berth_sdk_http_response *resp;
	CURL *h;
	size_t body_off;  /* buffer body: bytes sent */
	int delivered;    /* on_body received data: no retry */
	int too_big;      /* buffered body over max_body */
	int aborted;      /* a callback asked to stop */
};

static size_t on_read(char *buf, size_t size, size_t n, void *userp)
{
	struct xfer *x = userp;
	size_t cap = size * n;
	const berth_sdk_http_request *r = x->req;
	if (r->body_read) {
		size_t got = r->body_read(buf, cap, r->body_payload);
		if (got == BERTH_SDK_HTTP_ABORT || got > cap) {
			x->aborted = 1;
			return CURL_READFUNC_ABORT;
		}
		return got;
	}
	size_t left = r->body_len - x->body_off;
	if (left > cap)
		left = cap;
	if (left)
		memcpy(buf, (const char *)r->body + x->body_off, left);
	x->body_off += left;
	return left;
}

/* curl rewinds the body when it must send it again on its own (a reused
   connection found closed): a buffer seeks, a producer rewinds to 0. */
static int on_seek(void *userp, curl_off_t off, int origin)
{
	struct xfer *x = userp;
	const berth_sdk_http_request *r = x->req;
	if (origin != SEEK_SET || off < 0)
		return CURL_SEEKFUNC_CANTSEEK;
	if (r->body_read) {
		if (off != 0 || !r->body_rewind || r->body_rewind(r->body_payload))
			return CURL_SEEKFUNC_CANTSEEK;
		return CURL_SEEKFUNC_OK;
	}
	if ((uint64_t)off > r->body_len)
		return CURL_SEEKFUNC_FAIL;
	x->body_off = (size_t)off;
	return CURL_SEEKFUNC_OK;
}

static size_t on_write(char *data, size_t size, size_t n, void *userp)
{
	struct xfer *x = userp;
	size_t len = size * n;
	long status = 0;
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	if (x->req->on_body && status >= 200 && status < 300) {
		x->delivered = 1;
		if (x->req->on_body(data, len, x->req->on_body_payload)) {
			x->aborted = 1;
			return 0;
		}
		return len;
	}
	if (x->resp->body.len + len > x->c->o.max_body) {
		x->too_big = 1;
		return 0;
	}
	if (berth_sdk_buf_append(&x->resp->body, data, len)) {
		x->too_big = 1;
		return 0;
	}
	return len;
}

/* Size a buffered body once from its Content-Length instead of doubling
   up to it (bodies a consumer takes, and HEAD answers, need no room). */
static void presize(struct xfer *x, const char *v, size_t len)
{
	char num[24];
	const berth_sdk_http_request *r = x->req;
	while (len && (*v == ' ' || *v == '\t'))
		v++, len--;
	if (!len || len >= sizeof num || (r->method && !strcmp(r->method, "HEAD")))
		return;
	memcpy(num, v, len);
	num[len] = 0;
	char *end;
	unsigned long long n = strtoull(num, &end, 10);
	if (*end || n > x->c->o.max_body || n > PRESIZE_MAX)
		return;
	if (r->on_body) {
		long status = 0;
		curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status < 300)
			return;
	}
	berth_sdk_buf_reserve(&x->resp->body, (size_t)n);
}

static size_t on_header(char *data, size_t size, size_t n, void *userp)
{
	struct xfer *x = userp;
	size_t len = size * n;
	berth_sdk_buf *hb = &x->resp->headers;
	if (len >= 5 && !strncmp(data, "HTTP/", 5)) {
		/* A new response (after 100 Continue, say): start over. */
		hb->len = 0;
		return len;
	}
	while (len && (data[len - 1] == '\r' || data[len - 1] == '\n'))
		len--;
	if (len > 15 && !strncasecmp(data, "Content-Length:", 15))
		presize(x, data + 15, len - 15);
	if (len && (berth_sdk_buf_append(hb, data, len) ||
		    berth_sdk_buf_append(hb, "", 1)))
		return 0;
	return size * n;
}

static void setup(struct xfer *x, struct curl_slist *hdrs)
{
	berth_sdk_http *c = x->c;
	const berth_sdk_http_request *r = x->req;
	CURL *h = x->h;
	const char *m = r->method ? r->method : "GET";
	int has_body = r->body_read || r->body_len || !strcmp(m, "PUT") ||
		       !strcmp(m, "POST");

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, r->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_SHARE, c->share);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, c->o.connect_timeout_ms);
	long timeout = r->timeout_ms ? r->timeout_ms : c->o.timeout_ms;
	if (timeout > 0)
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, c->o.low_speed_time_s);
	curl_easy_setopt(h, CURLOPT_USERAGENT, c->o.user_agent);
	if (c->o.ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->o.ca_file);
	if (c->o.insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	if (!strcmp(m, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (has_body) {
		/* UPLOAD sends the body from the read callback; the custom
		   request line then names the real method (POST too). */
		curl_off_t size = r->body_read ? (curl_off_t)r->body_size
					       : (curl_off_t)r->body_len;
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(h, CURLOPT_READDATA, x);
		curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(h, CURLOPT_SEEKDATA, x);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, size < 0 ? (curl_off_t)-1 : size);
		if (strcmp(m, "PUT"))
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
	} else if (strcmp(m, "GET")) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
	}
}

static int transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

static int retry_status(long st)
{
	return st == 429 || st == 500 || st == 502 || st == 503 || st == 504;
}

long berth_sdk_backoff_ms(unsigned attempt, long base_ms, long max_ms,
			  uint64_t *rng)
{
	if (base_ms <= 0 || max_ms <= 0)
		return 0;
	long cap = max_ms;
	if (attempt < 31 && base_ms <= (max_ms >> attempt))
		cap = base_ms << attempt;
	/* xorshift64*: plenty for spreading retries apart. */
	uint64_t s = *rng ? *rng : 0x9e3779b97f4a7c15ull;
	s ^= s >> 12;
	s ^= s << 25;
	s ^= s >> 27;
	*rng = s;
	uint64_t v = s * 0x2545f4914f6cdd1dull;
	return (long)(v % ((uint64_t)cap + 1));
}

static void sleep_ms(long ms)
{
	if (ms <= 0)
		return;
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0)
		;
}

static long retry_after_ms(const berth_sdk_http_response *resp)
{
	const char *v = berth_sdk_http_header(resp, "Retry-After");
	if (!v || *v < '0' || *v > '9')
		return 0; /* absent, or an HTTP date: use our own backoff */
	long s = strtol(v, NULL, 10);
	return s > 86400 ? 86400000L : s * 1000L;
}

static uint64_t seed(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32);
	s ^= (uint64_t)(uintptr_t)pthread_self() * 0x9e3779b97f4a7c15ull;
	return s ? s : 1;
}

/* The request's headers as a curl list; BERTH_OK or NOMEM. */
static int header_list(const berth_sdk_http_request *req,
		       struct curl_slist **out)
{
	struct curl_slist *hdrs = NULL;
	for (const char *const *p = req->headers; p && *p; p++) {
		struct curl_slist *n = curl_slist_append(hdrs, *p);
		if (!n) {
			curl_slist_free_all(hdrs);
			return BERTH_E_NOMEM;
		}
		hdrs = n;
	}
	*out = hdrs;
	return BERTH_OK;
}

/* One try: reset the response, set the handle up and run it. */
static CURLcode attempt_once(struct xfer *x, struct curl_slist *hdrs,
			     char *errbuf)
{
	berth_sdk_http_response *resp = x->resp;
	resp->status = 0;
	resp->body.len = 0;
	resp->headers.len = 0;
	resp->error[0] = 0;
	x->body_off = 0;
	x->too_big = x->aborted = 0;
	setup(x, hdrs);
	errbuf[0] = 0;
	curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode cr = curl_easy_perform(x->h);
	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &resp->status);
	if (cr != CURLE_OK)
		snprintf(resp->error, sizeof resp->error, "%s",
			 errbuf[0] ? errbuf : curl_easy_strerror(cr));
	return cr;
}

/* Should the attempt that ended with `cr` be made again (budget aside)?
   The caller's retry_check sees every response that arrived. */
static int want_retry(struct xfer *x, CURLcode cr)
{
	const berth_sdk_http_request *r = x->req;
	if (cr != CURLE_OK)
		return transient(cr) && !x->aborted && !x->too_big;
	int v = r->retry_check ? r->retry_check(x->resp, r->retry_payload) : 0;
	return v > 0 || (v == 0 && retry_status(x->resp->status));
}

/* The status and message of a request that ended with `cr`. */
static int finish(struct xfer *x, CURLcode cr, int attempt)
{
	berth_sdk_http *c = x->c;
	const berth_sdk_http_request *req = x->req;
	const char *m = req->method ? req->method : "GET";
	if (cr == CURLE_OK)
		return BERTH_OK;
	if (x->too_big)
		return berth_sdk_error(c->o.host, c->o.driver, BERTH_E_IO,
				       "%s %s: response body over %zu bytes", m,
				       req->url, c->o.max_body);
	if (x->aborted)
		return berth_sdk_error(c->o.host, c->o.driver, BERTH_E_IO,
				       "%s %s: aborted by the body callback", m,
				       req->url);
	int code = cr == CURLE_OUT_OF_MEMORY ? BERTH_E_NOMEM
		   : transient(cr)           ? BERTH_E_UNAVAILABLE
					     : BERTH_E_IO;
	return berth_sdk_error(c->o.host, c->o.driver, code,
			       "%s %s: %s (after %d attempt%s)", m, req->url,
			       x->resp->error, attempt + 1, attempt ? "s" : "");
}

/* Sleep before retry number attempt + 1: our backoff, or the server's
   Retry-After when longer (capped at backoff_max_ms). */
static void wait_before_retry(struct xfer *x, CURLcode cr, int attempt,
			      uint64_t *rng)
{
	berth_sdk_http *c = x->c;
	long wait = berth_sdk_backoff_ms((unsigned)attempt, c->o.backoff_base_ms,
					 c->o.backoff_max_ms, rng);
	long ra = cr == CURLE_OK ? retry_after_ms(x->resp) : 0;
	if (ra > c->o.backoff_max_ms)
		ra = c->o.backoff_max_ms;
	if (ra > wait)
		wait = ra;
	berth_sdk_log(c->o.host, c->o.driver, BERTH_LOG_DEBUG,
		      "%s %s: %s, retry %d in %ld ms",
		      x->req->method ? x->req->method : "GET", x->req->url,
		      cr == CURLE_OK ? "server busy" : x->resp->error,
		      attempt + 1, wait);
	sleep_ms(wait);
}

int berth_sdk_http_perform(berth_sdk_http *c, const berth_sdk_http_request *req,
			   berth_sdk_http_response *resp)
{
	const char *driver = c->o.driver;
	const berth_host *host = c->o.host;
	if (!req->url)
		return berth_sdk_error(host, driver, BERTH_E_INVALID_ARGUMENT,
				       "HTTP request without a URL");
	struct curl_slist *hdrs = NULL;
	if (header_list(req, &hdrs))
		return berth_sdk_error(host, driver, BERTH_E_NOMEM, "out of memory");
	struct xfer x = {.c = c, .req = req, .resp = resp};
	x.h = pool_get(c);
	if (!x.h) {
		curl_slist_free_all(hdrs);
		return berth_sdk_error(host, driver, BERTH_E_NOMEM,
				       "cannot create a curl handle");
	}
	int retries = req->max_retries ? req->max_retries : c->o.max_retries;
	if (retries < 0)
		retries = 0;
	uint64_t rng = seed();
	char errbuf[CURL_ERROR_SIZE];
	int rc;
	resp->attempts = 0;
	for (int attempt = 0;; attempt++) {
		CURLcode cr = attempt_once(&x, hdrs, errbuf);
		resp->attempts = attempt + 1;
		int again = want_retry(&x, cr);
		/* Replaying needs a body we can send again and a consumer
		   that has not seen part of an earlier response. */
		if (again && (x.delivered || attempt >= retries))
			again = 0;
		if (again && req->body_read &&
		    (!req->body_rewind || req->body_rewind(req->body_payload)))
			again = 0;
		if (!again) {
			rc = finish(&x, cr, attempt);
			break;
		}
		wait_before_retry(&x, cr, attempt, &rng);
	}
	curl_easy_setopt(x.h, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(x.h, CURLOPT_HTTPHEADER, NULL);
	pool_put(c, x.h);
	curl_slist_free_all(hdrs);
	return rc;
}

void berth_sdk_http_response_free(berth_sdk_http_response *resp)
{
	berth_sdk_buf_free(&resp->body);
	berth_sdk_buf_free(&resp->headers);
	memset(resp, 0, sizeof *resp);
}

const char *berth_sdk_http_header(const berth_sdk_http_response *resp,
				  const char *name)
{
	if (!resp->headers.data)
		return NULL;
	size_t nl = strlen(name);
	const char *p = resp->headers.data, *end = p + resp->headers.len;
	while (p < end) {
		size_t len = strlen(p);
		if (len > nl && p[nl] == ':' && !strncasecmp(p, name, nl)) {
			const char *v = p + nl + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			return v;
		}
		p += len + 1;
	}
	return NULL;
}

int berth_sdk_http_status(long status)
{
	if (status >= 200 && status < 300)
		return BERTH_OK;
	switch (status) {
	case 404:
	case 410:
		return BERTH_E_NOT_FOUND;
	case 401:
	case 403:
		return BERTH_E_PERMISSION;
	case 416:
		return BERTH_E_INVALID_OFFSET;
	case 429:
	case 503:
		return BERTH_E_THROTTLED;
	case 413:
	case 507:
		return BERTH_E_NO_SPACE;
	}
	if (status >= 400 && status < 500)
		return BERTH_E_INVALID_ARGUMENT;
	if (status >= 500 && status < 600)
		return BERTH_E_UNAVAILABLE;
	return BERTH_E_IO;
}

int64_t berth_sdk_http_parse_date(const char *value)
{
	if (!value)
		return -1;
	time_t t = curl_getdate(value, NULL);
	return t < 0 ? -1 : (int64_t)t;
}
