/*
 * registry/manifest_record.c - the record of a stored manifest (format in
 * registry/manifest_record.h): built at PUT from the validated manifest, or from
 * stored bytes nobody validated; written as two lines of compact JSON;
 * read back with small, fixed JSON limits.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_limits.h"
#include "registry/manifest_record.h"

#define DEFAULT_TYPE "application/json"

/* The first line: five members of bounded size. */
static const json_limits head_limits = {
	.budget = 64 * 1024,
	.max_depth = 1,
	.max_values = 16,
};

/* The second line: BERTH_RECORD_REFERRER_MAX bytes of strings, at least
   three bytes per value ("",). */
static const json_limits tail_limits = {
	.budget = 4u << 20,
	.max_depth = 2,
	.max_values = BERTH_RECORD_REFERRER_MAX / 3 + 8,
};

void registry_record_free(berth_manifest_record *r)
{
	if (!r)
		return;
	free(r->media_type);
	free(r->artifact_type);
	free(r->annotations_json);
	memset(r, 0, sizeof *r);
}

/* A type a record keeps and a Content-Type header may repeat: printable
   ASCII, no longer than BERTH_RECORD_TYPE_MAX. */
static int plain_type(const char *t)
{
	size_t n = 0;
	if (!t)
		return 0;
	for (; t[n]; n++)
		if ((unsigned char)t[n] < 0x20 || (unsigned char)t[n] > 0x7e)
			return 0;
	return n > 0 && n <= BERTH_RECORD_TYPE_MAX;
}

static int dup_into(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -1;
}

/* What the referrers API lists, in bytes of the record. */
static size_t referrer_part(const char *artifact_type,
			    const char *annotations_json)
{
	return (artifact_type ? strlen(artifact_type) : 0) +
	       (annotations_json ? strlen(annotations_json) : 0);
}

int registry_record_fits(const berth_manifest *m, char *err, size_t errlen)
{
	size_t n = referrer_part(m->artifact_type, m->annotations_json);
	if (!m->has_subject || n <= BERTH_RECORD_REFERRER_MAX)
		return 0;
	if (err && errlen)
		snprintf(err, errlen,
			 "a manifest with a subject may carry at most %u "
			 "bytes of artifactType and annotations (compact "
			 "JSON), which the referrers API lists; this one has "
			 "%zu",
			 BERTH_RECORD_REFERRER_MAX, n);
	return -1;
}

/* Leave out of `r` what does not fit the record: the annotations, then
   the artifact type too if it alone is too long. */
static void bound_referrer_part(berth_manifest_record *r)
{
	if (referrer_part(r->artifact_type, r->annotations_json) <=
	    BERTH_RECORD_REFERRER_MAX)
		return;
	free(r->annotations_json);
	r->annotations_json = NULL;
	if (referrer_part(r->artifact_type, NULL) > BERTH_RECORD_REFERRER_MAX) {
		free(r->artifact_type);
		r->artifact_type = NULL;
	}
}

int registry_record_from_manifest(const berth_manifest *m, uint64_t size,
			       berth_manifest_record *out)
{
	memset(out, 0, sizeof *out);
	out->size = size;
	out->has_subject = m->has_subject;
	out->subject = m->subject;
	if (dup_into(&out->media_type, m->media_type) ||
	    (m->has_subject &&
	     (dup_into(&out->artifact_type, m->artifact_type) ||
	      dup_into(&out->annotations_json, m->annotations_json)))) {
		registry_record_free(out);
		return -1;
	}
	bound_referrer_part(out);
	return 0;
}

/* ---- stored bytes ---- */

/* The media type of a parsed stored manifest, as the OCI specification
   and Docker schema 1 let a reader infer it. */
static const char *infer_type(json_t *root)
{
	json_t *member = json_object_get(root, "mediaType");
	json_t *sv = json_object_get(root, "schemaVersion");
	if (json_is_string(member) && json_string_length(member) > 0)
		return json_string_value(member);
	if (json_is_integer(sv) && json_integer_value(sv) == 1)
		return json_object_get(root, "signatures")
			       ? "application/vnd.docker.distribution."
				 "manifest.v1+prettyjws"
			       : "application/vnd.docker.distribution."
				 "manifest.v1+json";
	if (json_object_get(root, "manifests"))
		return MT_OCI_INDEX;
	if (json_object_get(root, "config"))
		return MT_OCI_MANIFEST;
	return DEFAULT_TYPE;
}

/* Annotations as the referrers API shows them: an object of strings,
   compact; NULL (and no error) for anything else. */
static int annotations_of(json_t *root, char **out)
{
	json_t *ann = json_object_get(root, "annotations");
	const char *k;
	json_t *v;
	*out = NULL;
	if (!json_is_object(ann))
		return 0;
	json_object_foreach(ann, k, v)
	{
		if (!json_is_string(v))
			return 0;
	}
	*out = json_dumps(ann, JSON_COMPACT | JSON_PRESERVE_ORDER);
	return *out ? 0 : -1;
}

static int describe_tree(json_t *root, berth_manifest_record *out)
{
	const char *mt = infer_type(root);
	if (dup_into(&out->media_type, plain_type(mt) ? mt : DEFAULT_TYPE))
		return -1;
	json_t *subject = json_object_get(root, "subject");
	const char *sd = json_string_value(json_object_get(subject, "digest"));
	if (!json_is_object(subject) || !sd ||
	    digest_parse(sd, &out->subject))
		return 0;
	out->has_subject = 1;

	/* As on PUT: an image without artifactType is listed with its
	   config's media type. */
	const char *at = json_string_value(json_object_get(root, "artifactType"));
	if (!at && strcmp(out->media_type, MT_OCI_INDEX) &&
	    strcmp(out->media_type, MT_DOCKER_LIST))
		at = json_string_value(json_object_get(
			json_object_get(root, "config"), "mediaType"));
	if (dup_into(&out->artifact_type, at) ||
	    annotations_of(root, &out->annotations_json))
		return -1;
	/* Already stored, so not refused: what does not fit the record is
	   left out of the referrers list. */
	bound_referrer_part(out);
	return 0;
}

int registry_record_describe(const char *data, size_t len,
			  berth_manifest_record *out, char *err,
			  size_t errlen)
{
	memset(out, 0, sizeof *out);
	out->size = len;
	if (err && errlen)
		err[0] = '\0';
	json_t *root = NULL;
	if (len > BERTH_MANIFEST_MAX) {
		if (err && errlen)
			snprintf(err, errlen,
				 "%zu bytes, over the manifest limit of %u",
				 len, BERTH_MANIFEST_MAX);
	} else {
		root = json_limits_loadb(data, len, JSON_DECODE_ANY,
					 &registry_manifest_json_limits, NULL,
					 err, errlen);
	}
	if (!root)
		return dup_into(&out->media_type, DEFAULT_TYPE) ? -1 : 1;
	int rc = describe_tree(root, out);
	json_decref(root);
	if (rc)
		registry_record_free(out);
	return rc;
}

/* ---- text ---- */

/* "<a><b>\n" into a new string; NULL if either is NULL. */
static char *line_of(char *a, const char *b)
{
	char *s = NULL;
	if (a && b && asprintf(&s, "%s%s\n", a, b) < 0)
		s = NULL;
	return s;
}

char *registry_record_format(const berth_manifest_record *r, size_t *len)
{
	char subject[BERTH_DIGEST_MAX];
	json_t *head = json_pack("{s:i, s:s, s:I}", "version", 1, "mediaType",
				 r->media_type, "size", (json_int_t)r->size);
	if (head && r->has_subject) {
		digest_format(&r->subject, subject);
		if (json_object_set_new(head, "subject", json_string(subject))) {
			json_decref(head);
			head = NULL;
		}
	}
	char *h = head ? json_dumps(head, JSON_COMPACT | JSON_PRESERVE_ORDER)
		       : NULL;
	json_decref(head);
	char *text = line_of(h, "");
	free(h);
	if (!text || !r->has_subject ||
	    (!r->artifact_type && !r->annotations_json))
		goto out;

	/* The annotations are spliced in as they are: compact JSON that
	   jansson wrote from a validated object. */
	char *at = NULL;
	if (r->artifact_type) {
		json_t *s = json_string(r->artifact_type);
		at = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
		json_decref(s);
		if (!at) {
			free(text);
			text = NULL;
			goto out;
		}
	}
	char *all = NULL;
	if (asprintf(&all, "%s{%s%s%s%s%s}\n", text,
		     at ? "\"artifactType\":" : "", at ? at : "",
		     at && r->annotations_json ? "," : "",
		     r->annotations_json ? "\"annotations\":" : "",
		     r->annotations_json ? r->annotations_json : "") < 0)
		all = NULL;
	free(at);
	free(text);
	text = all;
out:
	if (len)
		*len = text ? strlen(text) : 0;
	return text;
}

static int parse_head(json_t *h, berth_manifest_record *out)
{
	json_t *v = json_object_get(h, "version");
	json_t *mt = json_object_get(h, "mediaType");
	json_t *size = json_object_get(h, "size");
	json_t *subject = json_object_get(h, "subject");
	if (!json_is_integer(v) || json_integer_value(v) != 1 ||
	    !plain_type(json_string_value(mt)) || !json_is_integer(size) ||
	    json_integer_value(size) < 0)
		return -1;
	if (subject) {
		if (!json_is_string(subject) ||
		    digest_parse(json_string_value(subject),
				       &out->subject))
			return -1;
		out->has_subject = 1;
	}
	out->size = (uint64_t)json_integer_value(size);
	return dup_into(&out->media_type, json_string_value(mt));
}

static int parse_tail(json_t *t, berth_manifest_record *out)
{
	json_t *at = json_object_get(t, "artifactType");
	json_t *ann = json_object_get(t, "annotations");
	const char *k;
	json_t *v;
	if (!json_is_object(t) || (at && !json_is_string(at)) ||
	    (ann && !json_is_object(ann)))
		return -1;
	json_object_foreach(ann, k, v)
	{
		if (!json_is_string(v))
			return -1;
	}
	if (dup_into(&out->artifact_type, json_string_value(at)))
		return -1;
	if (ann) {
		out->annotations_json =
			json_dumps(ann, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (!out->annotations_json)
			return -1;
	}
	return 0;
}

int registry_record_parse(const char *data, size_t len, int full,
		       berth_manifest_record *out)
{
	memset(out, 0, sizeof *out);
	if (!data || len > BERTH_RECORD_MAX)
		return -1;
	const char *nl = memchr(data, '\n', len);
	if (!nl)
		return -1;
	json_t *h = json_limits_loadb(data, (size_t)(nl - data), 0,
				      &head_limits, NULL, NULL, 0);
	int rc = h ? parse_head(h, out) : -1;
	json_decref(h);
	const char *rest = nl + 1, *end = data + len;
	if (!rc && full && rest < end && out->has_subject) {
		const char *nl2 = memchr(rest, '\n', (size_t)(end - rest));
		json_t *t = nl2 ? json_limits_loadb(rest, (size_t)(nl2 - rest),
						    0, &tail_limits, NULL,
						    NULL, 0)
				: NULL;
		rc = t ? parse_tail(t, out) : -1;
		json_decref(t);
	}
	if (rc)
		registry_record_free(out);
	return rc;
}
