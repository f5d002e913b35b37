/*
 * berth-load - a small HTTP load generator for the benchmarks.
 *
 *   berth-load [-c CONNS] [-d SECONDS] [-m GET|HEAD] [-H 'Name: value']... URL
 *
 * Keeps CONNS requests in flight on CONNS keep-alive connections (libcurl
 * multi interface, one thread) for SECONDS, then prints one JSON object:
 * requests, errors, seconds, rps, p50_ms, p99_ms, max_ms.
 *
 * Why not wrk or ab: wrk 4.1 waits for a body after a HEAD response that
 * carries Content-Length (so it measures nothing), and ab speaks HTTP/1.0
 * keep-alive only; one tool that does GET and HEAD the same way keeps the
 * two figures comparable.  An error is a transport failure or a status
 * outside 2xx.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct slot {
	CURL *easy;
	double started;
} slot;

typedef struct samples {
	float *v; /* latencies in milliseconds */
	size_t n, cap;
} samples;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
	return size * n;
}

static int sample_add(samples *s, float ms)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 65536;
		float *v = realloc(s->v, cap * sizeof *v);
		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = ms;
	return 0;
}

static int cmp_float(const void *a, const void *b)
{
	float x = *(const float *)a, y = *(const float *)b;
	return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted samples. */
static double percentile(const samples *s, double p)
{
	if (!s->n)
		return 0;
	size_t i = (size_t)(p / 100.0 * s->n + 0.999999);
	if (i < 1)
		i = 1;
	if (i > s->n)
		i = s->n;
	return s->v[i - 1];
}

static void usage(void)
{
	fprintf(stderr, "usage: berth-load [-c CONNS] [-d SECONDS] "
			"[-m GET|HEAD] [-H 'Name: value']... URL\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int conns = 32, opt;
	double duration = 10;
	const char *method = "GET";
	struct curl_slist *headers = NULL;
	while ((opt = getopt(argc, argv, "c:d:m:H:")) != -1) {
		switch (opt) {
		case 'c': conns = atoi(optarg); break;
		case 'd': duration = atof(optarg); break;
		case 'm': method = optarg; break;
		case 'H': headers = curl_slist_append(headers, optarg); break;
		default: usage();
		}
	}
	if (optind != argc - 1 || conns < 1 || duration <= 0 ||
	    (strcmp(method, "GET") && strcmp(method, "HEAD")))
		usage();
	const char *url = argv[optind];
	int head = strcmp(method, "HEAD") == 0;

	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		fprintf(stderr, "berth-load: curl_global_init failed\n");
		return 1;
	}
	CURLM *multi = curl_multi_init();
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, (long)conns);
	curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)conns);
	slot *slots = calloc(conns, sizeof *slots);
	samples lat = {0};
	if (!multi || !slots) {
		fprintf(stderr, "berth-load: out of memory\n");
		return 1;
	}

	double t0 = now_s(), end = t0 + duration, last = t0;
	unsigned long errors = 0, failures_shown = 0;
	for (int i = 0; i < conns; i++) {
		CURL *e = curl_easy_init();
		slots[i].easy = e;
		curl_easy_setopt(e, CURLOPT_URL, url);
		curl_easy_setopt(e, CURLOPT_NOBODY, (long)head);
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
		curl_easy_setopt(e, CURLOPT_PRIVATE, &slots[i]);
		curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
		slots[i].started = now_s();
		curl_multi_add_handle(multi, e);
	}

	int running = conns;
	while (running > 0) {
		int still = 0;
		curl_multi_perform(multi, &still);
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(multi, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			CURL *e = msg->easy_handle;
			slot *s = NULL;
			curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&s);
			double t = now_s();
			long code = 0;
			curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
			if (msg->data.result != CURLE_OK || code < 200 ||
			    code > 299) {
				errors++;
				if (failures_shown++ < 3)
					fprintf(stderr,
						"berth-load: %s (status %ld)\n",
						curl_easy_strerror(
							msg->data.result),
						code);
			}
			if (sample_add(&lat, (float)((t - s->started) * 1e3))) {
				fprintf(stderr, "berth-load: out of memory\n");
				return 1;
			}
			last = t;
			curl_multi_remove_handle(multi, e);
			if (t < end) {
				s->started = t;
				curl_multi_add_handle(multi, e);
			} else {
				running--;
			}
		}
		if (running > 0)
			curl_multi_poll(multi, NULL, 0, 100, NULL);
	}

	double secs = last - t0;
	qsort(lat.v, lat.n, sizeof *lat.v, cmp_float);
	printf("{\"requests\":%zu,\"errors\":%lu,\"seconds\":%.3f,"
	       "\"rps\":%.1f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
	       "\"max_ms\":%.3f}\n",
	       lat.n, errors, secs, secs > 0 ? lat.n / secs : 0,
	       percentile(&lat, 50), percentile(&lat, 99),
	       lat.n ? lat.v[lat.n - 1] : 0.0);

	for (int i = 0; i < conns; i++)
		curl_easy_cleanup(slots[i].easy);
	curl_multi_cleanup(multi);
	curl_slist_free_all(headers);
	curl_global_cleanup();
	free(slots);
	free(lat.v);
	return errors && errors == lat.n ? 1 : 0;
}
