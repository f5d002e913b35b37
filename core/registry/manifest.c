/*
 * registry/manifest.c - parsing and validation of a manifest on PUT.
 *
 * Berth stores manifests byte for byte, so validation only has to prove
 * that a manifest is well-formed and to extract what the registry acts
 * on: its effective media type, the blobs and child manifests it
 * references (which must exist in the repository), its subject (for the
 * referrers API), its artifact type and annotations.
 *
 * Media type resolution:
 *  - the "mediaType" member wins; a Content-Type that is neither absent
 *    nor generic (application/json, application/octet-stream) must name
 *    the same type;
 *  - without the member, a manifest Content-Type decides; the Docker
 *    formats always carry the member, so they must have it;
 *  - without either, the OCI rule applies (mediaType is optional in OCI):
 *    an object with "manifests" is an index, one with "config" an image.
 *
 * Layers whose media type marks them foreign / non-distributable and that
 * carry "urls" are checked but not returned as references: such blobs are
 * fetched from their URLs and the registry need not hold them.
 *
 * JSON parsing is jansson's, within the limits of registry/manifest.h (memory,
 * values, depth: a small document must not become a huge tree);
 * duplicate keys are rejected because a manifest whose meaning depends on
 * which duplicate a reader picks is a known way of showing different
 * content to different clients.
 */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "registry/manifest.h"

const json_limits registry_manifest_json_limits = {
	.budget = BERTH_MANIFEST_JSON_BUDGET,
	.max_depth = BERTH_MANIFEST_MAX_DEPTH,
	.max_values = BERTH_MANIFEST_MAX_VALUES,
	.throttle = 1,
};

static const char *const known_types[] = {
	MT_OCI_MANIFEST,
	MT_OCI_INDEX,
	MT_DOCKER_MANIFEST,
	MT_DOCKER_LIST,
};
#define NKNOWN (sizeof known_types / sizeof known_types[0])

typedef struct errsink {
	char *buf;
	size_t len;
} errsink;

__attribute__((format(printf, 2, 3))) static int fail(errsink *e,
						      const char *fmt, ...)
{
	if (e->buf && e->len) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->buf, e->len, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static const char *known_type(const char *mt)
{
	if (!mt)
		return NULL;
	for (size_t i = 0; i < NKNOWN; i++)
		if (strcmp(mt, known_types[i]) == 0)
			return known_types[i];
	return NULL;
}

int registry_manifest_media_type_known(const char *mt)
{
	return known_type(mt) != NULL;
}

static int is_index_type(const char *mt)
{
	return strcmp(mt, MT_OCI_INDEX) == 0 || strcmp(mt, MT_DOCKER_LIST) == 0;
}

static int is_docker_type(const char *mt)
{
	return strcmp(mt, MT_DOCKER_MANIFEST) == 0 ||
	       strcmp(mt, MT_DOCKER_LIST) == 0;
}

enum ct_class { CT_NONE, CT_SPECIFIC };

/* Reduce a Content-Type to its lower-cased "type/subtype" (parameters
   and whitespace dropped).  Absent and generic types are CT_NONE. */
static enum ct_class ct_normalize(const char *ct, char *buf, size_t cap)
{
	buf[0] = '\0';
	if (!ct)
		return CT_NONE;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	size_t n = 0;
	while (ct[n] && ct[n] != ';')
		n++;
	while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	if (n == 0)
		return CT_NONE;
	if (n >= cap)
		n = cap - 1; /* too long to be a manifest type anyway */
	for (size_t i = 0; i < n; i++) {
		char c = ct[i];
		buf[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	buf[n] = '\0';
	if (strcmp(buf, "application/json") == 0 ||
	    strcmp(buf, "application/octet-stream") == 0)
		return CT_NONE;
	return CT_SPECIFIC;
}

/* The effective media type (one of known_types) or NULL after fail(). */
static const char *resolve_type(json_t *root, const char *content_type,
				errsink *e)
{
	char ct[256];
	enum ct_class cls = ct_normalize(content_type, ct, sizeof ct);
	json_t *member = json_object_get(root, "mediaType");

	if (member) {
		if (!json_is_string(member)) {
			fail(e, "mediaType must be a string");
			return NULL;
		}
		const char *m = json_string_value(member);
		if (cls == CT_SPECIFIC && strcasecmp(m, ct) != 0) {
			fail(e,
			     "mediaType \"%.100s\" does not match "
			     "Content-Type \"%.100s\"",
			     m, ct);
			return NULL;
		}
		const char *k = known_type(m);
		if (!k)
			fail(e, "unsupported manifest media type \"%.100s\"", m);
		return k;
	}
	if (cls == CT_SPECIFIC) {
		const char *k = known_type(ct);
		if (!k) {
			fail(e, "unsupported manifest media type \"%.100s\"",
			     ct);
			return NULL;
		}
		if (is_docker_type(k)) {
			fail(e, "mediaType member is required for %s", k);
			return NULL;
		}
		return k;
	}
	int has_manifests = json_object_get(root, "manifests") != NULL;
	int has_config = json_object_get(root, "config") != NULL;
	if (has_manifests && !has_config)
		return MT_OCI_INDEX;
	if (has_config && !has_manifests)
		return MT_OCI_MANIFEST;
	fail(e, "mediaType missing and the manifest type cannot be inferred "
		"(expected \"config\" or \"manifests\")");
	return NULL;
}

/* Validate one descriptor; `where` names it in messages.  Returns 0, -1
   (invalid) or -2 (digest algorithm unsupported). */
static int check_descriptor(json_t *d, const char *where, berth_digest *dg,
			    long long *size, errsink *e)
{
	if (!json_is_object(d))
		return fail(e, "%s: descriptor must be an object", where);
	json_t *mt = json_object_get(d, "mediaType");
	if (!json_is_string(mt) || json_string_length(mt) == 0)
		return fail(e, "%s: mediaType must be a non-empty string",
			    where);
	json_t *dj = json_object_get(d, "digest");
	if (!json_is_string(dj))
		return fail(e, "%s: digest must be a string", where);
	int rc = digest_parse(json_string_value(dj), dg);
	if (rc == -2) {
		fail(e, "%s: unsupported digest algorithm in \"%.150s\"", where,
		     json_string_value(dj));
		return -2;
	}
	if (rc)
		return fail(e, "%s: invalid digest \"%.150s\"", where,
			    json_string_value(dj));
	json_t *sz = json_object_get(d, "size");
	if (!json_is_integer(sz) || json_integer_value(sz) < 0)
		return fail(e, "%s: size must be a non-negative integer", where);
	*size = (long long)json_integer_value(sz);
	json_t *urls = json_object_get(d, "urls");
	if (urls) {
		size_t i;
		json_t *u;
		if (!json_is_array(urls))
			return fail(e, "%s: urls must be an array", where);
		json_array_foreach(urls, i, u)
		{
			if (!json_is_string(u))
				return fail(e, "%s: urls must hold strings",
					    where);
		}
	}
	return 0;
}

/* A layer the registry need not hold: foreign / non-distributable with
   URLs to fetch it from. */
static int is_foreign(json_t *d)
{
	const char *mt = json_string_value(json_object_get(d, "mediaType"));
	json_t *urls = json_object_get(d, "urls");
	return mt && (strstr(mt, "foreign") || strstr(mt, "nondistributable")) &&
	       json_is_array(urls) && json_array_size(urls) > 0;
}

static int add_ref(berth_manifest *m, json_t *d, const char *where,
		   int is_manifest, int counted, errsink *e)
{
	berth_manifest_ref r = {.is_manifest = is_manifest};
	int rc = check_descriptor(d, where, &r.digest, &r.size, e);
	if (rc)
		return rc;
	if (counted)
		m->refs[m->nrefs++] = r;
	return 0;
}

static int parse_image(berth_manifest *m, json_t *root, errsink *e)
{
	json_t *config = json_object_get(root, "config");
	json_t *layers = json_object_get(root, "layers");
	if (!config)
		return fail(e, "image manifest requires a \"config\" "
			       "descriptor");
	if (!json_is_array(layers))
		return fail(e, "image manifest requires a \"layers\" array");
	size_t n = json_array_size(layers);
	m->refs = calloc(n + 1, sizeof *m->refs);
	if (!m->refs)
		return fail(e, "out of memory");
	int rc = add_ref(m, config, "config", 0, 1, e);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		char where[40];
		json_t *l = json_array_get(layers, i);
		snprintf(where, sizeof where, "layers[%zu]", i);
		rc = add_ref(m, l, where, 0, !is_foreign(l), e);
		if (rc)
			return rc;
	}
	/* Referrers report config.mediaType when artifactType is unset. */
	if (!m->artifact_type) {
		m->artifact_type = strdup(
			json_string_value(json_object_get(config, "mediaType")));
		if (!m->artifact_type)
			return fail(e, "out of memory");
	}
	return 0;
}

static int parse_index(berth_manifest *m, json_t *root, errsink *e)
{
	json_t *list = json_object_get(root, "manifests");
	if (!json_is_array(list))
		return fail(e, "index requires a \"manifests\" array");
	size_t n = json_array_size(list);
	if (n) {
		m->refs = calloc(n, sizeof *m->refs);
		if (!m->refs)
			return fail(e, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		char where[40];
		snprintf(where, sizeof where, "manifests[%zu]", i);
		int rc = add_ref(m, json_array_get(list, i), where, 1, 1, e);
		if (rc)
			return rc;
	}
	return 0;
}

static int parse_root(berth_manifest *m, json_t *root,
		      const char *content_type, errsink *e)
{
	if (!json_is_object(root))
		return fail(e, "manifest must be a JSON object");
	json_t *sv = json_object_get(root, "schemaVersion");
	if (!sv)
		return fail(e, "schemaVersion missing");
	if (!json_is_integer(sv) || json_integer_value(sv) != 2)
		return fail(e, "schemaVersion must be the integer 2");

	const char *mt = resolve_type(root, content_type, e);
	if (!mt)
		return -1;
	m->kind = is_index_type(mt) ? BERTH_MANIFEST_INDEX
				    : BERTH_MANIFEST_IMAGE;
	m->media_type = strdup(mt);
	if (!m->media_type)
		return fail(e, "out of memory");

	json_t *at = json_object_get(root, "artifactType");
	if (at) {
		if (!json_is_string(at))
			return fail(e, "artifactType must be a string");
		m->artifact_type = strdup(json_string_value(at));
		if (!m->artifact_type)
			return fail(e, "out of memory");
	}

	json_t *subject = json_object_get(root, "subject");
	if (subject) {
		long long size;
		int rc = check_descriptor(subject, "subject", &m->subject,
					  &size, e);
		if (rc)
			return rc;
		m->has_subject = 1;
	}

	json_t *ann = json_object_get(root, "annotations");
	if (ann) {
		const char *k;
		json_t *v;
		if (!json_is_object(ann))
			return fail(e, "annotations must be an object");
		json_object_foreach(ann, k, v)
		{
			if (!json_is_string(v))
				return fail(e,
					    "annotation \"%.100s\" must be a "
					    "string",
					    k);
		}
		m->annotations_json =
			json_dumps(ann, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (!m->annotations_json)
			return fail(e, "out of memory");
	}

	return m->kind == BERTH_MANIFEST_INDEX ? parse_index(m, root, e)
					       : parse_image(m, root, e);
}

int registry_manifest_parse(const char *data, size_t len,
			 const char *content_type, berth_manifest *out,
			 char *errbuf, size_t errlen)
{
	errsink e = {errbuf, errlen};
	if (errbuf && errlen)
		errbuf[0] = '\0';
	memset(out, 0, sizeof *out);
	if (!data || len == 0)
		return fail(&e, "empty manifest");
	if (len > BERTH_MANIFEST_MAX)
		return fail(&e, "manifest too large (%zu bytes, limit %u)", len,
			    BERTH_MANIFEST_MAX);

	char why[200];
	json_limits_status st;
	json_t *root = json_limits_loadb(
		data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
		&registry_manifest_json_limits, &st, why, sizeof why);
	if (!root)
		return fail(&e, "%s%s", st == JSON_LIMITS_SYNTAX ? "" : "manifest ",
			    why);
	int rc = parse_root(out, root, content_type, &e);
	json_decref(root);
	if (rc)
		registry_manifest_free(out);
	return rc;
}

void registry_manifest_free(berth_manifest *m)
{
	if (!m)
		return;
	free(m->media_type);
	free(m->artifact_type);
	free(m->refs);
	free(m->annotations_json);
	memset(m, 0, sizeof *m);
}
