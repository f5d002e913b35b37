/*
 * test_manifest.c - manifest validation: the four supported formats,
 * media type resolution against Content-Type, the references returned,
 * and the many ways a manifest can be invalid.
 */
#include <stdlib.h>
#include <string.h>

#include "registry/manifest.h"
#include "test.h"

#define H1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define H2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define H3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"
#define H4 "sha256:4444444444444444444444444444444444444444444444444444444444444444"

#define DESC(mt, dg, sz) "{\"mediaType\":\"" mt "\",\"digest\":\"" dg "\",\"size\":" #sz "}"

#define OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define OCI_LAYER "application/vnd.oci.image.layer.v1.tar+gzip"
#define DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"

static const char oci_manifest[] =
	"{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\","
	"\"config\":" DESC(OCI_CONFIG, H1, 10) ","
	"\"layers\":[" DESC(OCI_LAYER, H2, 20) "," DESC(OCI_LAYER, H3, 0) "],"
	"\"annotations\":{\"org.opencontainers.image.title\":\"t\",\"b\":\"x y\"}}";

static const char oci_index[] =
	"{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX "\","
	"\"manifests\":[" DESC(MT_OCI_MANIFEST, H1, 500) ","
	"{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" H2 "\",\"size\":600,"
	"\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\"}}]}";

static const char docker_manifest[] =
	"{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_MANIFEST "\","
	"\"config\":" DESC(DOCKER_CONFIG, H1, 1469) ","
	"\"layers\":[" DESC(DOCKER_LAYER, H2, 2811969) "]}";

static const char docker_list[] =
	"{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_LIST "\","
	"\"manifests\":[" DESC(MT_DOCKER_MANIFEST, H3, 528) "]}";

static char err[256];

static int parse(const char *json, const char *ct, berth_manifest *m)
{
	err[0] = 'X';
	err[1] = '\0';
	return registry_manifest_parse(json, strlen(json), ct, m, err, sizeof err);
}

/* Expect failure with `rc` and a message containing `needle`; the
   output must be left empty. */
static void expect_fail(const char *json, const char *ct, int rc,
			const char *needle, int line)
{
	berth_manifest m;
	int got = parse(json, ct, &m);
	if (got != rc || !strstr(err, needle)) {
		char msg[400];
		snprintf(msg, sizeof msg, "rc %d (want %d), error \"%s\" "
			 "(want \"%s\")", got, rc, err, needle);
		test_fail(__FILE__, line, msg);
	}
	if (m.media_type || m.refs || m.nrefs || m.artifact_type ||
	    m.annotations_json)
		test_fail(__FILE__, line, "output not empty after failure");
	registry_manifest_free(&m);
}
#define FAILS(json, ct, needle) expect_fail((json), (ct), -1, (needle), __LINE__)

TEST(manifest_oci_image)
{
	berth_manifest m;
	CHECK_EQ_INT(parse(oci_manifest, MT_OCI_MANIFEST, &m), 0);
	CHECK_EQ_INT(m.kind, BERTH_MANIFEST_IMAGE);
	CHECK_STR(m.media_type, MT_OCI_MANIFEST);
	CHECK_STR(m.artifact_type, OCI_CONFIG);
	CHECK_EQ_INT(m.has_subject, 0);
	CHECK_EQ_INT(m.nrefs, 3);
	char s[BERTH_DIGEST_MAX];
	digest_format(&m.refs[0].digest, s);
	CHECK_STR(s, H1);
	CHECK_EQ_INT(m.refs[0].size, 10);
	CHECK_EQ_INT(m.refs[0].is_manifest, 0);
	digest_format(&m.refs[1].digest, s);
	CHECK_STR(s, H2);
	CHECK_EQ_INT(m.refs[1].size, 20);
	digest_format(&m.refs[2].digest, s);
	CHECK_STR(s, H3);
	CHECK_EQ_INT(m.refs[2].size, 0);
	CHECK_STR(m.annotations_json,
		  "{\"org.opencontainers.image.title\":\"t\",\"b\":\"x y\"}");
	registry_manifest_free(&m);
	CHECK(m.media_type == NULL && m.refs == NULL);
	registry_manifest_free(&m); /* harmless twice */
}

TEST(manifest_oci_index)
{
	berth_manifest m;
	CHECK_EQ_INT(parse(oci_index, MT_OCI_INDEX, &m), 0);
	CHECK_EQ_INT(m.kind, BERTH_MANIFEST_INDEX);
	CHECK_STR(m.media_type, MT_OCI_INDEX);
	CHECK(m.artifact_type == NULL);
	CHECK(m.annotations_json == NULL);
	CHECK_EQ_INT(m.nrefs, 2);
	CHECK_EQ_INT(m.refs[0].is_manifest, 1);
	CHECK_EQ_INT(m.refs[1].is_manifest, 1);
	CHECK_EQ_INT(m.refs[1].size, 600);
	char s[BERTH_DIGEST_MAX];
	digest_format(&m.refs[1].digest, s);
	CHECK_STR(s, H2);
	registry_manifest_free(&m);
}

TEST(manifest_docker_schema2)
{
	berth_manifest m;
	CHECK_EQ_INT(parse(docker_manifest, MT_DOCKER_MANIFEST, &m), 0);
	CHECK_EQ_INT(m.kind, BERTH_MANIFEST_IMAGE);
	CHECK_STR(m.media_type, MT_DOCKER_MANIFEST);
	CHECK_STR(m.artifact_type, DOCKER_CONFIG);
	CHECK_EQ_INT(m.nrefs, 2);
	CHECK_EQ_INT(m.refs[1].size, 2811969);
	registry_manifest_free(&m);
}

TEST(manifest_docker_list)
{
	berth_manifest m;
	CHECK_EQ_INT(parse(docker_list, MT_DOCKER_LIST, &m), 0);
	CHECK_EQ_INT(m.kind, BERTH_MANIFEST_INDEX);
	CHECK_STR(m.media_type, MT_DOCKER_LIST);
	CHECK_EQ_INT(m.nrefs, 1);
	CHECK_EQ_INT(m.refs[0].is_manifest, 1);
	CHECK_EQ_INT(m.refs[0].size, 528);
	registry_manifest_free(&m);
}

TEST(manifest_media_type_from_member_with_generic_content_type)
{
	const char *cts[] = {NULL, "", "application/json",
			     "application/octet-stream",
			     "Application/JSON; charset=utf-8"};
	for (size_t i = 0; i < sizeof cts / sizeof cts[0]; i++) {
		berth_manifest m;
		CHECK_EQ_INT(parse(docker_manifest, cts[i], &m), 0);
		CHECK_STR(m.media_type, MT_DOCKER_MANIFEST);
		registry_manifest_free(&m);
	}
}

TEST(manifest_content_type_parameters_and_case)
{
	berth_manifest m;
	CHECK_EQ_INT(parse(oci_index,
			   " application/vnd.OCI.image.index.v1+json ; x=y",
			   &m),
		     0);
	CHECK_STR(m.media_type, MT_OCI_INDEX);
	registry_manifest_free(&m);
}

TEST(manifest_oci_without_media_type)
{
	const char *img = "{\"schemaVersion\":2,\"config\":" DESC(OCI_CONFIG, H1, 1)
			  ",\"layers\":[]}";
	const char *idx = "{\"schemaVersion\":2,\"manifests\":[]}";
	berth_manifest m;
	/* inferred from the shape */
	CHECK_EQ_INT(parse(img, NULL, &m), 0);
	CHECK_STR(m.media_type, MT_OCI_MANIFEST);
	CHECK_EQ_INT(m.kind, BERTH_MANIFEST_IMAGE);
	CHECK_EQ_INT(m.nrefs, 1);
	registry_manifest_free(&m);
	CHECK_EQ_INT(parse(idx, "application/json", &m), 0);
	CHECK_STR(m.media_type, MT_OCI_INDEX);
	CHECK_EQ_INT(m.kind, BERTH_MANIFEST_INDEX);
	CHECK_EQ_INT(m.nrefs, 0);
	CHECK(m.refs == NULL);
	registry_manifest_free(&m);
	/* taken from Content-Type */
	CHECK_EQ_INT(parse(img, MT_OCI_MANIFEST, &m), 0);
	CHECK_STR(m.media_type, MT_OCI_MANIFEST);
	registry_manifest_free(&m);
	/* Content-Type says index but it has no manifests */
	FAILS(img, MT_OCI_INDEX, "manifests");
	/* neither shape */
	FAILS("{\"schemaVersion\":2}", NULL, "cannot be inferred");
	FAILS("{\"schemaVersion\":2,\"config\":{},\"manifests\":[]}", NULL,
	      "cannot be inferred");
}

TEST(manifest_docker_requires_media_type_member)
{
	const char *img = "{\"schemaVersion\":2,\"config\":" DESC(DOCKER_CONFIG, H1, 1)
			  ",\"layers\":[]}";
	FAILS(img, MT_DOCKER_MANIFEST, "mediaType member is required");
	FAILS("{\"schemaVersion\":2,\"manifests\":[]}", MT_DOCKER_LIST,
	      "mediaType member is required");
}

TEST(manifest_media_type_mismatch)
{
	FAILS(oci_manifest, MT_DOCKER_MANIFEST, "does not match");
	FAILS(oci_manifest, MT_OCI_INDEX, "does not match");
	FAILS(docker_list, "application/vnd.foo+json", "does not match");
}

TEST(manifest_unknown_media_types)
{
	FAILS("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.foo\","
	      "\"config\":" DESC(OCI_CONFIG, H1, 1) ",\"layers\":[]}",
	      NULL, "unsupported manifest media type");
	FAILS("{\"schemaVersion\":2,\"config\":" DESC(OCI_CONFIG, H1, 1)
	      ",\"layers\":[]}",
	      "application/vnd.docker.distribution.manifest.v1+prettyjws",
	      "unsupported manifest media type");
	FAILS("{\"schemaVersion\":2,\"mediaType\":7,\"manifests\":[]}", NULL,
	      "mediaType must be a string");
	CHECK(registry_manifest_media_type_known(MT_OCI_MANIFEST));
	CHECK(registry_manifest_media_type_known(MT_OCI_INDEX));
	CHECK(registry_manifest_media_type_known(MT_DOCKER_MANIFEST));
	CHECK(registry_manifest_media_type_known(MT_DOCKER_LIST));
	CHECK(!registry_manifest_media_type_known(MT_OCI_EMPTY));
	CHECK(!registry_manifest_media_type_known("application/json"));
	CHECK(!registry_manifest_media_type_known(NULL));
}

TEST(manifest_schema_version)
{
	FAILS("{\"schemaVersion\":1,\"mediaType\":\"" MT_OCI_INDEX
	      "\",\"manifests\":[]}",
	      NULL, "schemaVersion");
	FAILS("{\"schemaVersion\":\"2\",\"mediaType\":\"" MT_OCI_INDEX
	      "\",\"manifests\":[]}",
	      NULL, "schemaVersion");
	FAILS("{\"schemaVersion\":2.0,\"mediaType\":\"" MT_OCI_INDEX
	      "\",\"manifests\":[]}",
	      NULL, "schemaVersion");
	FAILS("{\"mediaType\":\"" MT_OCI_INDEX "\",\"manifests\":[]}", NULL,
	      "schemaVersion missing");
}

TEST(manifest_not_json_object)
{
	FAILS("[1,2,3]", NULL, "JSON object");
	FAILS("\"manifest\"", NULL, "JSON object");
	FAILS("null", NULL, "JSON object");
	FAILS("{\"schemaVersion\":2,\"manifests\":[", NULL, "invalid JSON");
	FAILS("{\"schemaVersion\":2,\"manifests\":[]} x", NULL,
	      "invalid JSON");
	FAILS("", NULL, "empty");
	/* duplicate keys are ambiguous */
	FAILS("{\"schemaVersion\":2,\"manifests\":[],\"manifests\":[]}", NULL,
	      "invalid JSON");
	berth_manifest m;
	err[0] = 'X';
	CHECK_EQ_INT(registry_manifest_parse(NULL, 0, NULL, &m, err, sizeof err),
		     -1);
	/* length is honoured: a valid prefix cut short is invalid */
	CHECK_EQ_INT(registry_manifest_parse(oci_index, sizeof oci_index - 3,
					  NULL, &m, err, sizeof err),
		     -1);
	/* no error buffer at all is fine */
	CHECK_EQ_INT(registry_manifest_parse("[]", 2, NULL, &m, NULL, 0), -1);
}

TEST(manifest_too_large)
{
	size_t n = BERTH_MANIFEST_MAX + 1;
	char *big = malloc(n);
	memset(big, ' ', n);
	berth_manifest m;
	CHECK_EQ_INT(registry_manifest_parse(big, n, NULL, &m, err, sizeof err),
		     -1);
	CHECK(strstr(err, "too large") != NULL);
	free(big);
}

#define IMG(config, layers)                                                  \
	"{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\","      \
	"\"config\":" config ",\"layers\":" layers "}"

TEST(manifest_image_structure_errors)
{
	FAILS("{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST
	      "\",\"layers\":[]}",
	      NULL, "requires a \"config\"");
	FAILS("{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_MANIFEST
	      "\",\"layers\":[" DESC(DOCKER_LAYER, H2, 1) "]}",
	      NULL, "requires a \"config\"");
	FAILS("{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST
	      "\",\"config\":" DESC(OCI_CONFIG, H1, 1) "}",
	      NULL, "\"layers\" array");
	FAILS(IMG(DESC(OCI_CONFIG, H1, 1), "{}"), NULL, "\"layers\" array");
	FAILS(IMG("[]", "[]"), NULL, "config: descriptor must be an object");
	FAILS(IMG(DESC(OCI_CONFIG, H1, 1), "[1]"), NULL,
	      "layers[0]: descriptor must be an object");
	FAILS("{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX
	      "\",\"manifests\":{}}",
	      NULL, "\"manifests\" array");
	FAILS("{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_LIST "\"}",
	      NULL, "\"manifests\" array");
}

TEST(manifest_descriptor_errors)
{
	FAILS(IMG(DESC(OCI_CONFIG, "sha256:abc", 1), "[]"), NULL,
	      "config: invalid digest");
	FAILS(IMG(DESC(OCI_CONFIG, H1, 1),
		  "[" DESC(OCI_LAYER, H2, 1) "," DESC(OCI_LAYER, "sha256:ZZ", 1) "]"),
	      NULL, "layers[1]: invalid digest");
	FAILS(IMG(DESC(OCI_CONFIG, H1, -1), "[]"), NULL,
	      "config: size must be a non-negative integer");
	FAILS(IMG(DESC(OCI_CONFIG, H1, "5"), "[]"), NULL, "size");
	FAILS(IMG(DESC(OCI_CONFIG, H1, 1.5), "[]"), NULL, "size");
	FAILS(IMG("{\"mediaType\":\"" OCI_CONFIG "\",\"digest\":\"" H1 "\"}",
		  "[]"),
	      NULL, "size");
	FAILS(IMG("{\"digest\":\"" H1 "\",\"size\":1}", "[]"), NULL,
	      "config: mediaType");
	FAILS(IMG(DESC("", H1, 1), "[]"), NULL, "config: mediaType");
	FAILS(IMG("{\"mediaType\":\"" OCI_CONFIG "\",\"digest\":5,\"size\":1}",
		  "[]"),
	      NULL, "config: digest must be a string");
	FAILS(IMG(DESC(OCI_CONFIG, H1, 1),
		  "[{\"mediaType\":\"" OCI_LAYER "\",\"digest\":\"" H2
		  "\",\"size\":1,\"urls\":\"http://x\"}]"),
	      NULL, "urls");
	FAILS("{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX
	      "\",\"manifests\":[" DESC(MT_OCI_MANIFEST, "sha256:", 1) "]}",
	      NULL, "manifests[0]: invalid digest");
}

TEST(manifest_unsupported_digest_algorithm)
{
	expect_fail(IMG(DESC(OCI_CONFIG, H1, 1),
			"[" DESC(OCI_LAYER, "sha384:abcdef", 1) "]"),
		    NULL, -2, "unsupported digest algorithm", __LINE__);
	expect_fail("{\"schemaVersion\":2,\"manifests\":[" DESC(MT_OCI_MANIFEST,
								"blake3:abc", 1) "]}",
		    NULL, -2, "manifests[0]", __LINE__);
}

TEST(manifest_oci_artifact)
{
	const char *art =
		"{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\","
		"\"artifactType\":\"application/vnd.example.sbom\","
		"\"config\":" DESC(MT_OCI_EMPTY, H4, 2) ",\"layers\":[],"
		"\"subject\":" DESC(MT_OCI_MANIFEST, H1, 123) "}";
	berth_manifest m;
	CHECK_EQ_INT(parse(art, NULL, &m), 0);
	CHECK_STR(m.artifact_type, "application/vnd.example.sbom");
	CHECK_EQ_INT(m.has_subject, 1);
	char s[BERTH_DIGEST_MAX];
	digest_format(&m.subject, s);
	CHECK_STR(s, H1);
	CHECK_EQ_INT(m.nrefs, 1); /* the empty config blob */
	CHECK(m.annotations_json == NULL);
	registry_manifest_free(&m);

	/* an index may carry artifactType and subject too */
	const char *idx =
		"{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX "\","
		"\"artifactType\":\"application/vnd.example.bundle\","
		"\"manifests\":[],\"subject\":" DESC(MT_OCI_INDEX, H2, 9) "}";
	CHECK_EQ_INT(parse(idx, NULL, &m), 0);
	CHECK_STR(m.artifact_type, "application/vnd.example.bundle");
	CHECK_EQ_INT(m.has_subject, 1);
	registry_manifest_free(&m);
}

TEST(manifest_subject_and_fields_errors)
{
	FAILS("{\"schemaVersion\":2,\"manifests\":[],\"subject\":{\"digest\":\""
	      H1 "\"}}",
	      NULL, "subject: mediaType");
	FAILS("{\"schemaVersion\":2,\"manifests\":[],\"subject\":"
	      DESC(MT_OCI_MANIFEST, "sha256:1", 1) "}",
	      NULL, "subject: invalid digest");
	expect_fail("{\"schemaVersion\":2,\"manifests\":[],\"subject\":"
		    DESC(MT_OCI_MANIFEST, "sha1:abcd", 1) "}",
		    NULL, -2, "subject", __LINE__);
	FAILS("{\"schemaVersion\":2,\"manifests\":[],\"artifactType\":3}",
	      NULL, "artifactType must be a string");
	FAILS("{\"schemaVersion\":2,\"manifests\":[],\"annotations\":[]}",
	      NULL, "annotations must be an object");
	FAILS("{\"schemaVersion\":2,\"manifests\":[],\"annotations\":{\"a\":1}}",
	      NULL, "annotation \"a\" must be a string");
}

TEST(manifest_foreign_layers_not_referenced)
{
	const char *m_json =
		"{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_MANIFEST "\","
		"\"config\":" DESC(DOCKER_CONFIG, H1, 1) ",\"layers\":["
		"{\"mediaType\":\"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip\","
		"\"digest\":\"" H2 "\",\"size\":100,\"urls\":[\"https://example.com/l\"]},"
		"{\"mediaType\":\"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip\","
		"\"digest\":\"" H3 "\",\"size\":100,\"urls\":[\"https://example.com/m\"]},"
		"{\"mediaType\":\"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip\","
		"\"digest\":\"" H4 "\",\"size\":7}"
		"]}";
	berth_manifest m;
	CHECK_EQ_INT(parse(m_json, NULL, &m), 0);
	/* config + the non-distributable layer that has no URLs */
	CHECK_EQ_INT(m.nrefs, 2);
	char s[BERTH_DIGEST_MAX];
	digest_format(&m.refs[0].digest, s);
	CHECK_STR(s, H1);
	digest_format(&m.refs[1].digest, s);
	CHECK_STR(s, H4);
	CHECK_EQ_INT(m.refs[1].size, 7);
	registry_manifest_free(&m);
}

TEST(manifest_sha512_descriptors)
{
	const char *d512 = "sha512:"
		"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
		"2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
	char json[1024];
	snprintf(json, sizeof json,
		 "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"%s\","
		 "\"digest\":\"%s\",\"size\":3}]}",
		 MT_OCI_MANIFEST, d512);
	berth_manifest m;
	CHECK_EQ_INT(parse(json, NULL, &m), 0);
	CHECK_EQ_INT(m.nrefs, 1);
	CHECK_EQ_INT(m.refs[0].digest.alg, BERTH_DIGEST_SHA512);
	registry_manifest_free(&m);
}
