/*
 * fuzz_http.c - the whole request path in one process: the real server
 * (libmicrohttpd's parser, the router, every API handler) runs on a
 * loopback port with the inmemory driver, and each input is sent as raw
 * bytes over a fresh connection.
 *
 * Asserted for every input: the server answers or closes the connection
 * within a bound (a hang aborts), an input that starts like a complete
 * GET request gets an HTTP response, and afterwards a well-behaved
 * GET /v2/ still gets 200 (the server neither died nor wedged).  A blob
 * and a tagged manifest exist in "fuzz/app" before the first input, so
 * requests naming them reach the read paths, not only the 404s.
 *
 * The driver is found through $BERTH_DRIVER_DIR, else in lib/berth of the
 * build directory the binary lives in (BUILD/tests/fuzz/<binary>).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "common/digest.h"
#include "common/json_limits.h"
#include "common/log.h"
#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A reply (or a close) must come within this many milliseconds; the
   server's own idle timeout (http.timeout below) is shorter. */
#define REPLY_BOUND_MS 15000

static int port;
static berth_settings settings;
static berth_app app;
static int started;

static void die(const char *what)
{
	fprintf(stderr, "fuzz_http: %s\n", what);
	abort();
}

static int connect_server(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
		close(fd);
		return -1;
	}
	return fd;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Send `len` bytes, half-close, and read until the server closes.  The
   first bytes of the answer go to `head`.  Returns the number of bytes
   received, or -1 if the server neither answered nor closed in time. */
static long exchange(const void *data, size_t len, char *head, size_t hcap)
{
	int fd = connect_server();
	if (fd < 0)
		die("cannot connect to the in-process server");
	long long deadline = now_ms() + REPLY_BOUND_MS;
	size_t off = 0;
	while (off < len) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		if (poll(&p, 1, 100) <= 0) {
			if (now_ms() > deadline)
				break;
			continue;
		}
		ssize_t n = send(fd, (const char *)data + off, len - off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			break; /* the server closed early: allowed */
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	long got = 0;
	head[0] = 0;
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0) {
			close(fd);
			return -1;
		}
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, (int)(left > 1000 ? 1000 : left)) <= 0)
			continue;
		char buf[4096];
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if ((size_t)got + 1 < hcap) {
			size_t c = hcap - 1 - (size_t)got;
			if (c > (size_t)n)
				c = (size_t)n;
			memcpy(head + got, buf, c);
			head[got + (long)c] = 0;
		}
		got += n;
	}
	close(fd);
	return got;
}

static int status_of(const char *head)
{
	int st = 0;
	if (sscanf(head, "HTTP/1.%*d %d", &st) != 1)
		return 0;
	return st;
}

static int request(const char *text, const void *body, size_t blen)
{
	size_t tl = strlen(text);
	char *all = malloc(tl + blen);
	if (!all)
		die("out of memory");
	memcpy(all, text, tl);
	if (blen)
		memcpy(all + tl, body, blen);
	char head[256];
	long n = exchange(all, tl + blen, head, sizeof head);
	free(all);
	return n > 0 ? status_of(head) : 0;
}

/* A blob and a manifest referencing it, tagged v1 in fuzz/app. */
static void populate(void)
{
	static const char blob[] = "{}";
	berth_digest d;
	char dg[BERTH_DIGEST_MAX], req[1024];
	digest_buffer(BERTH_DIGEST_SHA256, blob, 2, &d);
	digest_format(&d, dg);
	snprintf(req, sizeof req,
		 "POST /v2/fuzz/app/blobs/uploads/?digest=%s HTTP/1.1\r\n"
		 "Host: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n",
		 dg);
	if (request(req, blob, 2) != 201)
		die("could not push the seed blob");
	char man[1024];
	int ml = snprintf(man, sizeof man,
			  "{\"schemaVersion\":2,\"mediaType\":\"%s\","
			  "\"config\":{\"mediaType\":\"%s\",\"digest\":\"%s\","
			  "\"size\":2},\"layers\":[{\"mediaType\":\"%s\","
			  "\"digest\":\"%s\",\"size\":2}]}",
			  "application/vnd.oci.image.manifest.v1+json",
			  "application/vnd.oci.image.config.v1+json", dg,
			  "application/vnd.oci.image.layer.v1.tar", dg);
	snprintf(req, sizeof req,
		 "PUT /v2/fuzz/app/manifests/v1 HTTP/1.1\r\nHost: x\r\n"
		 "Content-Type: application/vnd.oci.image.manifest.v1+json\r\n"
		 "Content-Length: %d\r\nConnection: close\r\n\r\n", ml);
	if (request(req, man, (size_t)ml) != 201)
		die("could not push the seed manifest");
}

static void stop(void)
{
	if (!started)
		return;
	started = 0;
	app_unserve(&app);
	app_close(&app);
	config_free(&settings);
}

static void find_driver_dir(void)
{
	if (getenv("BERTH_DRIVER_DIR"))
		return;
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return;
	exe[n] = 0;
	/* BUILD/tests/fuzz/<binary> -> BUILD/lib/berth */
	for (int i = 0; i < 3; i++) {
		char *s = strrchr(exe, '/');
		if (!s)
			return;
		*s = 0;
	}
	char dir[PATH_MAX + 16];
	snprintf(dir, sizeof dir, "%s/lib/berth", exe);
	setenv("BERTH_DRIVER_DIR", dir, 1);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	json_limits_init(); /* as main() does, before any jansson use */
	/* a free port: bind to 0, read it, let go */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t al = sizeof a;
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) ||
	    getsockname(fd, (struct sockaddr *)&a, &al))
		die("no free port");
	port = ntohs(a.sin_port);
	close(fd);

	char yaml[1024], err[1024];
	snprintf(yaml, sizeof yaml,
		 "version: 0.1\n"
		 "log:\n  level: error\n"
		 "storage:\n  inmemory:\n"
		 "  delete:\n    enabled: true\n"
		 "  maintenance:\n    uploadpurging:\n      enabled: true\n"
		 "      age: 30s\n      interval: 10s\n"
		 "http:\n  addr: 127.0.0.1:%d\n  timeout: 5s\n", port);
	/* no auth and no TLS: plain HTTP with open access */
	if (config_parse(yaml, strlen(yaml), "<fuzz>", &settings, err,
				 sizeof err))
		die(err);
	log_set_level((berth_log_level)settings.log_level);
	find_driver_dir();
	/* the start-up berth serve has, without its signal wait */
	if (app_open(&app, &settings, err, sizeof err) ||
	    app_serve(&app, err, sizeof err))
		die(err);
	started = 1;
	atexit(stop);
	for (int i = 0; i < 200; i++) {
		int c = connect_server();
		if (c >= 0) {
			close(c);
			populate();
			return 0;
		}
		usleep(10000);
	}
	die("the server did not listen");
	return 0;
}

static int has(const uint8_t *data, size_t size, const char *s)
{
	return memmem(data, size, s, strlen(s)) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	char head[256];
	long n = exchange(data, size, head, sizeof head);
	if (n < 0)
		die("no reply and no close within the bound");
	/* a complete bodiless GET must be answered */
	if (size > 5 && !memcmp(data, "GET /", 5) &&
	    has(data, size, "\r\n\r\n") && !has(data, size, "Content-Length") &&
	    !has(data, size, "Transfer-Encoding") && !status_of(head))
		die("a complete GET request got no HTTP response");
	if (request("GET /v2/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		    NULL, 0) != 200)
		die("GET /v2/ failed after the input");
	return 0;
}
