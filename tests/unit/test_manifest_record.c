/*
 * test_manifest_record.c - the record of a manifest: built from a pushed
 * manifest it round-trips through its text; built from stored bytes it
 * is what a reader can infer, and bounded; damaged text is refused; and
 * what the referrers list of a manifest with a subject is bounded at PUT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/manifest_record.h"
#include "test.h"

#define H1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define H2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

#define SUBJECT                                                          \
	"\"subject\":{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" H2 \
	"\",\"size\":7}"
#define CONFIG(mt)                                                        \
	"\"config\":{\"mediaType\":\"" mt "\",\"digest\":\"" H1 "\",\"size\":2}"

/* Parse `json` as a push would, make its record, format it, parse the
   text back (full) into *back.  0 or -1. */
static int round_trip(const char *json, const char *ct,
		      berth_manifest_record *made,
		      berth_manifest_record *back, char **text)
{
	berth_manifest m;
	char err[256];
	if (registry_manifest_parse(json, strlen(json), ct, &m, err, sizeof err)) {
		fprintf(stderr, "    parse: %s\n", err);
		return -1;
	}
	int rc = registry_record_from_manifest(&m, strlen(json), made);
	registry_manifest_free(&m);
	if (rc)
		return -1;
	size_t len;
	*text = registry_record_format(made, &len);
	if (!*text || strlen(*text) != len)
		return -1;
	return registry_record_parse(*text, len, 1, back);
}

TEST(record_round_trip_artifact_with_subject)
{
	const char *json =
		"{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\","
		"\"artifactType\":\"application/vnd.example.sig\","
		CONFIG(MT_OCI_EMPTY) ",\"layers\":[]," SUBJECT ","
		"\"annotations\":{\"b\":\"2\",\"a\":\"line\\nbreak \\\"q\\\"\"}}";
	berth_manifest_record made, back;
	char *text = NULL;
	CHECK_EQ_INT(round_trip(json, NULL, &made, &back, &text), 0);
	CHECK_STR(back.media_type, MT_OCI_MANIFEST);
	CHECK_EQ_INT(back.size, strlen(json));
	CHECK(back.has_subject);
	char s[BERTH_DIGEST_MAX];
	digest_format(&back.subject, s);
	CHECK_STR(s, H2);
	CHECK_STR(back.artifact_type, "application/vnd.example.sig");
	/* annotations kept in their order, escapes intact */
	CHECK_STR(back.annotations_json,
		  "{\"b\":\"2\",\"a\":\"line\\nbreak \\\"q\\\"\"}");
	/* two lines, the first small: what GET reads */
	CHECK(text && strchr(text, '\n') &&
	      strchr(text, '\n') - text < 300);
	CHECK(strchr(strchr(text, '\n') + 1, '\n') != NULL);
	registry_record_free(&back);
	/* the first line alone has no artifact type or annotations */
	CHECK_EQ_INT(registry_record_parse(text, strlen(text), 0, &back), 0);
	CHECK_STR(back.media_type, MT_OCI_MANIFEST);
	CHECK(back.has_subject);
	CHECK(back.artifact_type == NULL && back.annotations_json == NULL);
	registry_record_free(&back);
	registry_record_free(&made);
	free(text);
}

TEST(record_round_trip_without_subject_keeps_one_line)
{
	/* image artifactType falls back to config.mediaType, but without a
	   subject nobody lists it, so the record does not keep it */
	const char *json =
		"{\"schemaVersion\":2," CONFIG("application/vnd.x") ","
		"\"layers\":[],\"annotations\":{\"k\":\"v\"}}";
	berth_manifest_record made, back;
	char *text = NULL;
	/* no mediaType member: the Content-Type decides */
	CHECK_EQ_INT(round_trip(json, MT_OCI_MANIFEST, &made, &back, &text),
		     0);
	CHECK_STR(back.media_type, MT_OCI_MANIFEST);
	CHECK(!back.has_subject && !back.artifact_type &&
	      !back.annotations_json);
	CHECK(text && strchr(text, '\n') == text + strlen(text) - 1);
	char want[200];
	snprintf(want, sizeof want,
		 "{\"version\":1,\"mediaType\":\"" MT_OCI_MANIFEST
		 "\",\"size\":%zu}\n",
		 strlen(json));
	CHECK_STR(text, want);
	registry_record_free(&back);
	registry_record_free(&made);
	free(text);

	/* an image with a subject lists config.mediaType */
	const char *ref = "{\"schemaVersion\":2," CONFIG("application/vnd.y")
			  ",\"layers\":[]," SUBJECT "}";
	CHECK_EQ_INT(round_trip(ref, NULL, &made, &back, &text), 0);
	CHECK_STR(back.artifact_type, "application/vnd.y");
	CHECK(back.annotations_json == NULL);
	registry_record_free(&back);
	registry_record_free(&made);
	free(text);
}

TEST(record_parse_refuses_damaged_text)
{
	berth_manifest_record r;
	const char *bad[] = {
		"",
		"{\"version\":1,\"mediaType\":\"a/b\",\"size\":3}", /* no \n */
		"{\"version\":2,\"mediaType\":\"a/b\",\"size\":3}\n",
		"{\"version\":1,\"mediaType\":\"\",\"size\":3}\n",
		"{\"version\":1,\"mediaType\":\"a\\r\\nX: y\",\"size\":3}\n",
		"{\"version\":1,\"mediaType\":\"a/b\",\"size\":-1}\n",
		"{\"version\":1,\"mediaType\":\"a/b\"}\n",
		"{\"version\":1,\"mediaType\":\"a/b\",\"size\":3,"
		"\"subject\":\"sha256:12\"}\n",
		"[1]\n",
		"{\"version\":1,\"mediaType\":\"a/b\",\"size\":3,\"subject\":\"" H2
		"\"}\n{\"annotations\":{\"k\":1}}\n",
		"{\"version\":1,\"mediaType\":\"a/b\",\"size\":3,\"subject\":\"" H2
		"\"}\n{\"artifactType\":5}\n",
		"{\"version\":1,\"mediaType\":\"a/b\",\"size\":3,\"subject\":\"" H2
		"\"}\n{\"artifactType\":\"x\"", /* second line cut short */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = registry_record_parse(bad[i], strlen(bad[i]), 1, &r);
		if (rc != -1) {
			char m[64];
			snprintf(m, sizeof m, "damaged record %zu accepted", i);
			test_fail(__FILE__, __LINE__, m);
		}
		CHECK(r.media_type == NULL);
	}
	/* a type longer than a media type can be */
	char longtype[400];
	memset(longtype, 'a', sizeof longtype);
	char text[600];
	snprintf(text, sizeof text,
		 "{\"version\":1,\"mediaType\":\"%.300s\",\"size\":1}\n",
		 longtype);
	CHECK_EQ_INT(registry_record_parse(text, strlen(text), 0, &r), -1);
	/* unknown members are ignored (a later version may add some) */
	const char *ok = "{\"version\":1,\"mediaType\":\"a/b\",\"size\":3,"
			 "\"extra\":true}\n";
	CHECK_EQ_INT(registry_record_parse(ok, strlen(ok), 1, &r), 0);
	CHECK_STR(r.media_type, "a/b");
	registry_record_free(&r);
}

TEST(record_describe_stored_bytes)
{
	berth_manifest_record r;
	char err[200];
	struct {
		const char *json, *type;
	} cases[] = {
		{"{\"schemaVersion\":2,\"config\":{},\"layers\":[]}",
		 MT_OCI_MANIFEST},
		{"{\"schemaVersion\":2,\"manifests\":[]}", MT_OCI_INDEX},
		{"{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_LIST "\"}",
		 MT_DOCKER_LIST},
		{"{\"schemaVersion\":1,\"signatures\":[]}",
		 "application/vnd.docker.distribution.manifest.v1+prettyjws"},
		{"{\"schemaVersion\":1}",
		 "application/vnd.docker.distribution.manifest.v1+json"},
		{"{\"mediaType\":\"a\\r\\nX: y\"}", "application/json"},
		{"{\"mediaType\":\"caf\\u00e9/x\"}", "application/json"},
		{"{}", "application/json"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *j = cases[i].json;
		CHECK_EQ_INT(registry_record_describe(j, strlen(j), &r, err,
						   sizeof err),
			     0);
		CHECK_STR(r.media_type, cases[i].type);
		CHECK_EQ_INT(r.size, strlen(j));
		registry_record_free(&r);
	}
	/* not JSON, or over the limits: the default, and why */
	CHECK_EQ_INT(registry_record_describe("nope", 4, &r, err, sizeof err), 1);
	CHECK_STR(r.media_type, "application/json");
	CHECK(strstr(err, "invalid JSON") != NULL);
	registry_record_free(&r);
	CHECK_EQ_INT(registry_record_describe(NULL, BERTH_MANIFEST_MAX + 1, &r,
					   err, sizeof err),
		     1);
	CHECK(strstr(err, "over the manifest limit") != NULL);
	CHECK_EQ_INT(r.size, BERTH_MANIFEST_MAX + 1);
	registry_record_free(&r);
	char *deep = malloc(2 * 100 + 1);
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	CHECK_EQ_INT(registry_record_describe(deep, 200, &r, err, sizeof err), 1);
	CHECK(strstr(err, "nested") != NULL);
	registry_record_free(&r);
	free(deep);

	/* a stored referrer: subject, artifactType from the config, the
	   annotations; lenient where PUT is strict (no schemaVersion) */
	const char *ref = "{" CONFIG("application/vnd.z") "," SUBJECT
			  ",\"annotations\":{\"k\":\"v\"}}";
	CHECK_EQ_INT(registry_record_describe(ref, strlen(ref), &r, err,
					   sizeof err),
		     0);
	CHECK_STR(r.media_type, MT_OCI_MANIFEST);
	CHECK(r.has_subject);
	CHECK_STR(r.artifact_type, "application/vnd.z");
	CHECK_STR(r.annotations_json, "{\"k\":\"v\"}");
	registry_record_free(&r);
	/* annotations that are not all strings are not listed */
	const char *odd = "{\"manifests\":[]," SUBJECT
			  ",\"annotations\":{\"k\":1}}";
	CHECK_EQ_INT(registry_record_describe(odd, strlen(odd), &r, err,
					   sizeof err),
		     0);
	CHECK_STR(r.media_type, MT_OCI_INDEX);
	CHECK(r.has_subject && !r.artifact_type && !r.annotations_json);
	registry_record_free(&r);
}

TEST(record_describe_bounds_what_referrers_list)
{
	/* stored bytes are not refused: annotations that do not fit the
	   record are left out */
	size_t n = BERTH_RECORD_REFERRER_MAX + 100;
	char *json = malloc(n + 300);
	int len = snprintf(json, n + 300,
			   "{\"manifests\":[]," SUBJECT
			   ",\"artifactType\":\"a/b\",\"annotations\":{\"k\":\"%0*d\"}}",
			   (int)n, 0);
	berth_manifest_record r;
	char err[200];
	CHECK_EQ_INT(registry_record_describe(json, (size_t)len, &r, err,
					   sizeof err),
		     0);
	CHECK_STR(r.artifact_type, "a/b");
	CHECK(r.annotations_json == NULL);
	size_t tl;
	char *text = registry_record_format(&r, &tl);
	CHECK(text && tl < BERTH_RECORD_MAX);
	free(text);
	registry_record_free(&r);
	free(json);
}

/* Parse `json` (must be valid) and ask whether its referrer part fits;
   *r gets its record. */
static int fits(const char *json, size_t len, char *err, size_t errlen,
		berth_manifest_record *r)
{
	berth_manifest m;
	if (registry_manifest_parse(json, len, NULL, &m, err, errlen))
		return -100;
	int rc = registry_record_fits(&m, err, errlen);
	if (registry_record_from_manifest(&m, len, r))
		rc = -100;
	registry_manifest_free(&m);
	return rc;
}

TEST(record_referrer_part_is_bounded_at_put)
{
	size_t n = BERTH_RECORD_REFERRER_MAX;
	char *json = malloc(n + 400);
	berth_manifest_record r;
	char err[300];
	/* just within: artifactType + compact annotations == the limit */
	const char *at = "a/b";
	size_t value = n - strlen(at) - strlen("{\"k\":\"\"}");
	int len = snprintf(json, n + 400,
			   "{\"schemaVersion\":2," CONFIG(MT_OCI_EMPTY)
			   ",\"layers\":[],\"artifactType\":\"%s\"," SUBJECT
			   ",\"annotations\":{\"k\":\"%0*d\"}}",
			   at, (int)value, 0);
	CHECK_EQ_INT(fits(json, (size_t)len, err, sizeof err, &r), 0);
	CHECK(r.annotations_json != NULL);
	registry_record_free(&r);
	/* one byte more does not fit, and the push says so with both
	   numbers; a record made anyway (of stored bytes) leaves the
	   annotations out, as describing them does */
	len = snprintf(json, n + 400,
		       "{\"schemaVersion\":2," CONFIG(MT_OCI_EMPTY)
		       ",\"layers\":[],\"artifactType\":\"%s\"," SUBJECT
		       ",\"annotations\":{\"k\":\"%0*d\"}}",
		       at, (int)value + 1, 0);
	CHECK_EQ_INT(fits(json, (size_t)len, err, sizeof err, &r), -1);
	CHECK(strstr(err, "at most 65536 bytes") != NULL);
	CHECK(strstr(err, "has 65537") != NULL);
	CHECK_STR(r.artifact_type, "a/b");
	CHECK(r.annotations_json == NULL);
	registry_record_free(&r);
	berth_manifest_record d;
	CHECK_EQ_INT(registry_record_describe(json, (size_t)len, &d, err,
					   sizeof err),
		     0);
	CHECK_STR(d.artifact_type, "a/b");
	CHECK(d.annotations_json == NULL);
	registry_record_free(&d);
	/* without a subject nothing is listed, nothing is bounded */
	len = snprintf(json, n + 400,
		       "{\"schemaVersion\":2," CONFIG(MT_OCI_EMPTY)
		       ",\"layers\":[],\"artifactType\":\"%s\","
		       "\"annotations\":{\"k\":\"%0*d\"}}",
		       at, (int)value + 1, 0);
	CHECK_EQ_INT(fits(json, (size_t)len, err, sizeof err, &r), 0);
	registry_record_free(&r);
	free(json);
}
