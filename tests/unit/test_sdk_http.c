/*
 * test_sdk_http.c - the driver SDK's HTTP client against a loopback
 * server thread that answers each connection with the next canned
 * response (no request parsing: it reads until the blank line and
 * replies), and against a closed port.  Covers: retry on 503 then
 * success, the retry budget on persistent 503, a closed port failing fast
 * with UNAVAILABLE after the retries, header lookup, streaming 2xx bodies
 * to a callback while error bodies are buffered, and the backoff schedule.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <berth/sdk.h>

#include "test.h"

struct canned {
	int lfd;
	const char *const *replies; /* one per connection, NULL-terminated */
	int served;
};

static void *serve(void *arg)
{
	struct canned *c = arg;
	for (const char *const *r = c->replies; *r; r++) {
		int fd = accept(c->lfd, NULL, NULL);
		if (fd < 0)
			break;
		char buf[4096];
		size_t got = 0;
		while (got < sizeof buf - 1) {
			ssize_t n = read(fd, buf + got, sizeof buf - 1 - got);
			if (n <= 0)
				break;
			got += (size_t)n;
			buf[got] = 0;
			if (strstr(buf, "\r\n\r\n"))
				break;
		}
		ssize_t w = write(fd, *r, strlen(*r));
		(void)w;
		close(fd);
		c->served++;
	}
	return NULL;
}

static int listen_any(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof a;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) ||
	    listen(fd, 8) || getsockname(fd, (struct sockaddr *)&a, &len)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

#define R503 "HTTP/1.1 503 Slow Down\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy"
#define R200 "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nETag: \"e1\"\r\nConnection: close\r\n\r\nhello"
#define R404 "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\n<missing>"

static berth_sdk_http *client(int retries)
{
	berth_sdk_http_options o = {.driver = "test", .max_retries = retries,
				    .backoff_base_ms = 1, .backoff_max_ms = 5,
				    .connect_timeout_ms = 2000, .timeout_ms = 5000};
	return berth_sdk_http_new(&o);
}

static int run(const char *const *replies, berth_sdk_http *h,
	       berth_sdk_http_request *req, berth_sdk_http_response *resp,
	       int *served)
{
	struct canned c = {.replies = replies};
	int port;
	c.lfd = listen_any(&port);
	if (c.lfd < 0)
		return -100;
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/obj", port);
	req->url = url;
	pthread_t t;
	pthread_create(&t, NULL, serve, &c);
	int rc = berth_sdk_http_perform(h, req, resp);
	/* Unblock the server if the client stopped early. */
	shutdown(c.lfd, SHUT_RDWR);
	pthread_join(t, NULL);
	close(c.lfd);
	*served = c.served;
	req->url = NULL;
	return rc;
}

TEST(sdk_http_retry_then_ok)
{
	static const char *const replies[] = {R503, R503, R200, NULL};
	berth_sdk_http *h = client(3);
	berth_sdk_http_request req = {.method = "GET"};
	berth_sdk_http_response resp = {0};
	int served = 0;
	CHECK_EQ_INT(run(replies, h, &req, &resp, &served), BERTH_OK);
	CHECK_EQ_INT(resp.status, 200);
	CHECK_EQ_INT(resp.attempts, 3);
	CHECK_EQ_INT(served, 3);
	CHECK_STR(resp.body.data, "hello");
	CHECK_STR(berth_sdk_http_header(&resp, "etag"), "\"e1\"");
	CHECK(berth_sdk_http_header(&resp, "X-Missing") == NULL);
	berth_sdk_http_response_free(&resp);
	berth_sdk_http_free(h);
}

TEST(sdk_http_retry_budget)
{
	static const char *const replies[] = {R503, R503, R503, R200, NULL};
	berth_sdk_http *h = client(2);
	berth_sdk_http_request req = {.method = "GET"};
	berth_sdk_http_response resp = {0};
	int served = 0;
	/* A response arrived: OK, with the last status to map. */
	CHECK_EQ_INT(run(replies, h, &req, &resp, &served), BERTH_OK);
	CHECK_EQ_INT(resp.status, 503);
	CHECK_EQ_INT(resp.attempts, 3);
	CHECK_EQ_INT(berth_sdk_http_status(resp.status), BERTH_E_THROTTLED);
	CHECK_STR(resp.body.data, "busy");
	berth_sdk_http_response_free(&resp);
	berth_sdk_http_free(h);
}

struct sink {
	berth_sdk_buf b;
	int calls;
};

static int sink_write(const void *data, size_t len, void *payload)
{
	struct sink *s = payload;
	s->calls++;
	return berth_sdk_buf_append(&s->b, data, len) ? 1 : 0;
}

TEST(sdk_http_stream_and_errors)
{
	static const char *const ok[] = {R200, NULL};
	static const char *const missing[] = {R404, NULL};
	berth_sdk_http *h = client(3);
	struct sink s = {{0}, 0};
	berth_sdk_http_request req = {.method = "GET", .on_body = sink_write,
				      .on_body_payload = &s};
	berth_sdk_http_response resp = {0};
	int served = 0;
	CHECK_EQ_INT(run(ok, h, &req, &resp, &served), BERTH_OK);
	CHECK_STR(s.b.data, "hello");
	CHECK_EQ_INT(resp.body.len, 0); /* went to the callback */
	berth_sdk_http_response_free(&resp);
	/* A 404 is not retried and its body is buffered, not streamed. */
	s.calls = 0;
	CHECK_EQ_INT(run(missing, h, &req, &resp, &served), BERTH_OK);
	CHECK_EQ_INT(resp.status, 404);
	CHECK_EQ_INT(resp.attempts, 1);
	CHECK_EQ_INT(s.calls, 0);
	CHECK_STR(resp.body.data, "<missing>");
	CHECK_EQ_INT(berth_sdk_http_status(resp.status), BERTH_E_NOT_FOUND);
	berth_sdk_http_response_free(&resp);
	berth_sdk_buf_free(&s.b);
	/* A PUT from a buffer goes through as well. */
	berth_sdk_http_request put = {.method = "PUT", .body = "data", .body_len = 4};
	CHECK_EQ_INT(run(ok, h, &put, &resp, &served), BERTH_OK);
	CHECK_EQ_INT(resp.status, 200);
	berth_sdk_http_response_free(&resp);
	berth_sdk_http_free(h);
}

TEST(sdk_http_closed_port_fails_fast)
{
	int port;
	int fd = listen_any(&port);
	CHECK(fd >= 0);
	close(fd); /* nothing listens there now: connection refused */
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/x", port);
	berth_sdk_http *h = client(2);
	berth_sdk_http_request req = {.method = "GET", .url = url};
	berth_sdk_http_response resp = {0};
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_EQ_INT(berth_sdk_http_perform(h, &req, &resp), BERTH_E_UNAVAILABLE);
	clock_gettime(CLOCK_MONOTONIC, &b);
	CHECK_EQ_INT(resp.attempts, 3);
	CHECK((b.tv_sec - a.tv_sec) < 2);
	berth_sdk_http_response_free(&resp);
	berth_sdk_http_free(h);
}

TEST(sdk_http_backoff)
{
	uint64_t rng = 42;
	for (unsigned attempt = 0; attempt < 40; attempt++) {
		long cap = attempt < 10 ? 100L << attempt : 5000;
		if (cap > 5000)
			cap = 5000;
		for (int i = 0; i < 50; i++) {
			long v = berth_sdk_backoff_ms(attempt, 100, 5000, &rng);
			CHECK(v >= 0 && v <= cap);
		}
	}
	/* Jitter: not always the same value. */
	long first = berth_sdk_backoff_ms(5, 100, 5000, &rng);
	int differs = 0;
	for (int i = 0; i < 20; i++)
		differs |= berth_sdk_backoff_ms(5, 100, 5000, &rng) != first;
	CHECK(differs);
}

/* ---- SDK 1.1.0: keep-alive reuse, rewinds, retry_check, timeouts ---- */

/* A loopback server that keeps connections open: it reads each request
   (head, then Content-Length bytes of body) and answers 200 "ok", until
   `max` requests were served; with drop_each it closes the connection
   after every answer without saying so (no Connection: close), as a
   server timing out idle connections does. */
struct keepalive {
	int lfd;
	int max, drop_each;
	int conns, requests;
	long body_bytes;
};

/* Read one request from fd; its body length in *body; 0 at EOF. */
static int read_request(int fd, long *body)
{
	char buf[8192];
	size_t got = 0;
	char *end = NULL;
	while (!end && got < sizeof buf - 1) {
		ssize_t n = read(fd, buf + got, sizeof buf - 1 - got);
		if (n <= 0)
			return 0;
		got += (size_t)n;
		buf[got] = 0;
		end = strstr(buf, "\r\n\r\n");
	}
	if (!end)
		return 0;
	long len = 0;
	for (char *p = buf; p < end; p = strstr(p, "\r\n") + 2)
		if (!strncasecmp(p, "Content-Length:", 15))
			len = strtol(p + 15, NULL, 10);
	long have = (long)(got - (size_t)(end + 4 - buf));
	while (have < len) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n <= 0)
			return 0;
		have += n;
	}
	*body = len;
	return 1;
}

static void *serve_keepalive(void *arg)
{
	struct keepalive *k = arg;
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	while (k->requests < k->max) {
		int fd = accept(k->lfd, NULL, NULL);
		if (fd < 0)
			break;
		k->conns++;
		long body;
		while (k->requests < k->max && read_request(fd, &body)) {
			k->body_bytes += body;
			ssize_t w = write(fd, ok, sizeof ok - 1);
			(void)w;
			k->requests++;
			if (k->drop_each)
				break;
		}
		close(fd);
	}
	return NULL;
}

/* `n` requests like `req` (url filled in) to a keep-alive server; each
   must succeed with 200. */
static void keepalive_run(struct keepalive *k, berth_sdk_http *h,
			  berth_sdk_http_request *req, int n)
{
	int port;
	k->lfd = listen_any(&port);
	CHECK(k->lfd >= 0);
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/obj", port);
	req->url = url;
	k->max = n;
	pthread_t t;
	pthread_create(&t, NULL, serve_keepalive, k);
	for (int i = 0; i < n; i++) {
		berth_sdk_http_response resp = {0};
		CHECK_EQ_INT(berth_sdk_http_perform(h, req, &resp), BERTH_OK);
		CHECK_EQ_INT(resp.status, 200);
		CHECK_STR(resp.body.data, "ok");
		CHECK_STR(resp.error, "");
		berth_sdk_http_response_free(&resp);
	}
	shutdown(k->lfd, SHUT_RDWR);
	pthread_join(t, NULL);
	close(k->lfd);
	req->url = NULL;
}

TEST(sdk_http_reuses_one_connection)
{
	berth_sdk_http *h = client(3);
	struct keepalive k = {0};
	berth_sdk_http_request get = {.method = "GET"};
	keepalive_run(&k, h, &get, 5);
	CHECK_EQ_INT(k.requests, 5);
	CHECK_EQ_INT(k.conns, 1);
	/* Bodies, PUT and POST alike, on the same kept connection. */
	struct keepalive k2 = {0};
	const char *hdrs[] = {"Expect:", NULL};
	berth_sdk_http_request put = {.method = "PUT", .headers = hdrs,
				      .body = "0123456789", .body_len = 10};
	keepalive_run(&k2, h, &put, 3);
	CHECK_EQ_INT(k2.conns, 1);
	CHECK_EQ_INT(k2.body_bytes, 30);
	berth_sdk_http_free(h);
}

TEST(sdk_http_body_resent_after_dropped_connection)
{
	/* No retries of our own: whatever resending happens is libcurl
	   reopening a connection the server dropped, which needs the body
	   rewound. */
	berth_sdk_http *h = client(-1);
	struct keepalive k = {.drop_each = 1};
	const char *hdrs[] = {"Expect:", NULL};
	berth_sdk_http_request put = {.method = "PUT", .headers = hdrs,
				      .body = "abcdef", .body_len = 6};
	keepalive_run(&k, h, &put, 4);
	CHECK_EQ_INT(k.requests, 4);
	CHECK_EQ_INT(k.body_bytes, 24);
	berth_sdk_http_free(h);
}

static int retry_on_slowdown(const berth_sdk_http_response *resp, void *payload)
{
	(*(int *)payload)++;
	return resp->body.data && strstr(resp->body.data, "SlowDown") ? 1 : 0;
}

#define R200_SLOW "HTTP/1.1 200 OK\r\nContent-Length: 38\r\nConnection: close\r\n\r\n<Error><Code>SlowDown</Code></Error>\r\n"

TEST(sdk_http_retry_check)
{
	static const char *const replies[] = {R200_SLOW, R200, NULL};
	static const char *const stuck[] = {R200_SLOW, R200_SLOW, R200_SLOW, NULL};
	berth_sdk_http *h = client(3);
	int calls = 0;
	berth_sdk_http_request req = {.method = "POST", .retry_check = retry_on_slowdown,
				      .retry_payload = &calls};
	berth_sdk_http_response resp = {0};
	int served = 0;
	CHECK_EQ_INT(run(replies, h, &req, &resp, &served), BERTH_OK);
	CHECK_EQ_INT(resp.attempts, 2);
	CHECK_EQ_INT(calls, 2); /* the last response too */
	CHECK_STR(resp.body.data, "hello");
	berth_sdk_http_response_free(&resp);
	/* The budget still holds: 1 retry, then the last answer as is. */
	calls = 0;
	req.max_retries = 1;
	CHECK_EQ_INT(run(stuck, h, &req, &resp, &served), BERTH_OK);
	CHECK_EQ_INT(resp.attempts, 2);
	CHECK_EQ_INT(calls, 2);
	CHECK(strstr(resp.body.data, "SlowDown") != NULL);
	berth_sdk_http_response_free(&resp);
	berth_sdk_http_free(h);
}

TEST(sdk_http_request_timeout)
{
	/* A listening socket nobody accepts from: the connection completes
	   in the kernel, the answer never comes. */
	int port;
	int fd = listen_any(&port);
	CHECK(fd >= 0);
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/x", port);
	berth_sdk_http *h = client(2);
	berth_sdk_http_request req = {.method = "GET", .url = url,
				      .timeout_ms = 200, .max_retries = -1};
	berth_sdk_http_response resp = {0};
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_EQ_INT(berth_sdk_http_perform(h, &req, &resp), BERTH_E_UNAVAILABLE);
	clock_gettime(CLOCK_MONOTONIC, &b);
	long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	CHECK(ms >= 150 && ms < 3000); /* not the client's 5 s */
	CHECK_EQ_INT(resp.attempts, 1);
	CHECK(resp.error[0] != 0);
	berth_sdk_http_response_free(&resp);
	berth_sdk_http_free(h);
	close(fd);
}

TEST(sdk_http_parse_date_and_reserve)
{
	CHECK_EQ_INT(berth_sdk_http_parse_date("Sun, 06 Nov 1994 08:49:37 GMT"),
		     784111777);
	CHECK_EQ_INT(berth_sdk_http_parse_date("not a date"), -1);
	CHECK_EQ_INT(berth_sdk_http_parse_date(NULL), -1);
	berth_sdk_buf b = {0};
	CHECK_EQ_INT(berth_sdk_buf_reserve(&b, 1000), BERTH_OK);
	CHECK(b.cap >= 1001);
	CHECK_EQ_INT(b.len, 0);
	char *before = b.data;
	char chunk[100];
	memset(chunk, 'x', sizeof chunk);
	for (int i = 0; i < 10; i++)
		CHECK_EQ_INT(berth_sdk_buf_append(&b, chunk, sizeof chunk), BERTH_OK);
	CHECK(b.data == before); /* no reallocation */
	CHECK_EQ_INT(b.len, 1000);
	berth_sdk_buf_free(&b);
}
