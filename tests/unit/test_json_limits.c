/*
 * test_json_limits.c - the budgeted JSON parser: each bound refuses what
 * crosses it and says so, a parse never holds more than its budget,
 * budgets are per thread, and real-world shaped manifests at the size
 * limit pass the manifest limits while padding of the same size does not.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_limits.h"
#include "registry/manifest.h"
#include "test.h"

/* A growing string. */
typedef struct sbuf {
	char *s;
	size_t len, cap;
} sbuf;

static void put(sbuf *b, const char *s)
{
	size_t n = strlen(s);
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = realloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n + 1);
	b->len += n;
}

/* `head`, then `item(i)` for i = 0, 1, ... comma-separated while the
   whole stays within `target` bytes, then `tail`. */
static char *fill(const char *head, void (*item)(char *, size_t, size_t),
		  const char *tail, size_t target, size_t *len)
{
	sbuf b = {0};
	char one[1024];
	put(&b, head);
	for (size_t i = 0;; i++) {
		item(one, sizeof one, i);
		if (b.len + strlen(one) + 1 + strlen(tail) > target)
			break;
		if (i)
			put(&b, ",");
		put(&b, one);
	}
	put(&b, tail);
	*len = b.len;
	return b.s;
}

#define DG "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define NEAR_LIMIT (BERTH_MANIFEST_MAX - 1024)

static void pad_item(char *buf, size_t cap, size_t i)
{
	snprintf(buf, cap, "{}");
}

static void platform_item(char *buf, size_t cap, size_t i)
{
	static const char *const arch[] = {"amd64", "arm64", "arm", "ppc64le",
					   "s390x", "386"};
	snprintf(buf, cap,
		 "{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" DG
		 "\",\"size\":%zu,\"platform\":{\"architecture\":\"%s\","
		 "\"os\":\"linux\"}}",
		 1000 + i, arch[i % 6]);
}

static void layer_item(char *buf, size_t cap, size_t i)
{
	snprintf(buf, cap,
		 "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
		 "\"digest\":\"" DG "\",\"size\":%zu,\"annotations\":{"
		 "\"org.opencontainers.image.title\":\"layer-%zu.tar.gz\"}}",
		 10000 + i, i);
}

static void annotation_item(char *buf, size_t cap, size_t i)
{
	snprintf(buf, cap, "\"org.example.k%zu\":\"v%zu\"", i, i);
}

#define IMAGE_HEAD                                                        \
	"{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\","   \
	"\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\"," \
	"\"digest\":\"" DG "\",\"size\":2},"

static int manifest_ok(const char *json, size_t len, char *err,
		       size_t errlen)
{
	berth_manifest m;
	int rc = registry_manifest_parse(json, len, NULL, &m, err, errlen);
	if (rc == 0)
		registry_manifest_free(&m);
	return rc;
}

TEST(json_limits_real_world_manifests_at_the_size_limit_pass)
{
	char err[256];
	size_t len;
	char *j = fill("{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX
		       "\",\"manifests\":[",
		       platform_item, "]}", NEAR_LIMIT, &len);
	json_limits_thread_peak();
	CHECK_EQ_INT(manifest_ok(j, len, err, sizeof err), 0);
	size_t peak = json_limits_thread_peak();
	/* the budget keeps a margin over the largest real shape */
	CHECK(peak > 0 && peak < BERTH_MANIFEST_JSON_BUDGET / 3 * 2);
	free(j);

	j = fill(IMAGE_HEAD "\"layers\":[", layer_item, "]}", NEAR_LIMIT,
		 &len);
	CHECK_EQ_INT(manifest_ok(j, len, err, sizeof err), 0);
	free(j);

	j = fill(IMAGE_HEAD "\"layers\":[],\"annotations\":{", annotation_item,
		 "}}", NEAR_LIMIT, &len);
	CHECK_EQ_INT(manifest_ok(j, len, err, sizeof err), 0);
	free(j);
}

TEST(json_limits_padding_is_refused_within_the_budget)
{
	char err[256];
	size_t len;
	char *j = fill(IMAGE_HEAD "\"layers\":[],\"x\":[", pad_item, "]}",
		       NEAR_LIMIT, &len);
	json_limits_thread_peak();
	CHECK_EQ_INT(manifest_ok(j, len, err, sizeof err), -1);
	CHECK(strstr(err, "manifest JSON too complex") != NULL);
	/* the parse stopped at the budget, not after building the tree */
	CHECK(json_limits_thread_peak() <= BERTH_MANIFEST_JSON_BUDGET);
	free(j);
}

TEST(json_limits_each_bound_refuses_and_says_why)
{
	json_limits lim = {.budget = 1u << 20, .max_depth = 4,
			   .max_values = 10};
	json_limits_status st;
	char err[200];
	const char *ok = "{\"a\":[1,2,{\"b\":\"c\"}]}";
	json_t *j = json_limits_loadb(ok, strlen(ok), 0, &lim, &st, err,
				      sizeof err);
	CHECK(j != NULL);
	CHECK_EQ_INT(st, JSON_LIMITS_OK);
	json_decref(j);

	/* values: the whole count is reported */
	const char *many = "[1,2,3,4,5,6,7,8,9,10,11,12]";
	CHECK(json_limits_loadb(many, strlen(many), 0, &lim, &st, err,
				sizeof err) == NULL);
	CHECK_EQ_INT(st, JSON_LIMITS_VALUES);
	CHECK_STR(err, "JSON too complex: 13 values, limit 10");

	/* depth: four levels pass, five do not */
	const char *d4 = "[[[[]]]]", *d5 = "[[[[[]]]]]";
	j = json_limits_loadb(d4, strlen(d4), 0, &lim, &st, err, sizeof err);
	CHECK(j != NULL);
	json_decref(j);
	CHECK(json_limits_loadb(d5, strlen(d5), 0, &lim, &st, err,
				sizeof err) == NULL);
	CHECK_EQ_INT(st, JSON_LIMITS_DEPTH);
	CHECK(strstr(err, "nested more than 4 levels") != NULL);

	/* memory */
	json_limits tiny = {.budget = 4096, .max_depth = 8,
			    .max_values = 1000000};
	sbuf b = {0};
	put(&b, "[");
	for (int i = 0; i < 500; i++)
		put(&b, i ? ",{}" : "{}");
	put(&b, "]");
	CHECK(json_limits_loadb(b.s, b.len, 0, &tiny, &st, err,
				sizeof err) == NULL);
	CHECK_EQ_INT(st, JSON_LIMITS_MEMORY);
	CHECK(strstr(err, "more than the limit of 4096 bytes of memory") != NULL);
	free(b.s);

	/* syntax, with jansson's position */
	CHECK(json_limits_loadb("{\"a\":", 5, 0, &lim, &st, err,
				sizeof err) == NULL);
	CHECK_EQ_INT(st, JSON_LIMITS_SYNTAX);
	CHECK(strstr(err, "invalid JSON at line 1") != NULL);
	/* no status or message wanted */
	CHECK(json_limits_loadb("[", 1, 0, &lim, NULL, NULL, 0) == NULL);
}

TEST(json_limits_outside_a_parse_nothing_is_counted)
{
	json_limits lim = {.budget = 1u << 20, .max_depth = 4,
			   .max_values = 100};
	json_t *tree = json_limits_loadb("[1,2,3]", 7, 0, &lim, NULL, NULL, 0);
	CHECK(tree != NULL);
	json_limits_thread_peak();
	/* a tree built outside json_limits_loadb may be any size */
	json_t *a = json_array();
	for (int i = 0; i < 100000; i++)
		json_array_append_new(a, json_object());
	CHECK_EQ_INT(json_array_size(a), 100000);
	CHECK_EQ_INT(json_limits_thread_peak(), 0);
	json_decref(a);
	/* and freeing a budgeted tree later disturbs nothing */
	json_decref(tree);
	tree = json_limits_loadb("[1,2,3]", 7, 0, &lim, NULL, NULL, 0);
	CHECK(tree != NULL);
	json_decref(tree);
}

typedef struct worker {
	int refused, accepted;
} worker;

static void *parse_in_thread(void *p)
{
	worker *w = p;
	/* a small budget on this thread, a large one on the others */
	json_limits lim = {.budget = w->refused ? 2048 : 8u << 20,
			   .max_depth = 4, .max_values = 1000000};
	sbuf b = {0};
	put(&b, "[");
	for (int i = 0; i < 2000; i++)
		put(&b, i ? ",{}" : "{}");
	put(&b, "]");
	int ok = 0;
	for (int round = 0; round < 20; round++) {
		json_t *j = json_limits_loadb(b.s, b.len, 0, &lim, NULL, NULL,
					      0);
		ok += j != NULL;
		json_decref(j);
	}
	free(b.s);
	w->accepted = ok;
	return NULL;
}

TEST(json_limits_budgets_are_per_thread)
{
	pthread_t t[4];
	worker w[4] = {{1, 0}, {0, 0}, {1, 0}, {0, 0}};
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, parse_in_thread, &w[i]);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ_INT(w[0].accepted, 0);
	CHECK_EQ_INT(w[1].accepted, 20);
	CHECK_EQ_INT(w[2].accepted, 0);
	CHECK_EQ_INT(w[3].accepted, 20);
}

TEST(json_limits_slots)
{
	unsigned n = json_limits_slots();
	CHECK(n >= 2 && n <= 16 && n % 2 == 0);
}
