/*
 * api/manifests.c - GET, HEAD, PUT and DELETE /v2/<name>/manifests/<ref>.
 *
 * Manifests are served byte for byte as pushed, with the media type they
 * declare: content negotiation is not needed because Berth never converts
 * between formats (schema 1 is not accepted on push), and clients accept
 * the stored type or fail on it anyway, as with CNCF Distribution.
 *
 * GET and HEAD never parse the manifest: the media type comes from the
 * record the PUT wrote (registry_manifest_served_type, through a small cache
 * of recent answers), the length from the stat that found the manifest, and the bytes are streamed from storage
 * (api_reply_content), so a large manifest costs a bounded buffer, not a
 * copy, let alone a JSON tree.
 *
 * A PUT body is collected in memory up to BERTH_MANIFEST_MAX; larger
 * bodies are refused before they are read when Content-Length says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/content.h"
#include "api/context.h"
#include "api/reply.h"
#include "api/routes.h"
#include "common/names.h"
#include "http/request.h"
#include "registry/manifest.h"
#include "registry/manifest_record.h"
#include "registry/manifests.h"

/* Parse req->ref as a reference: 0 = tag, 1 = digest (in *d); replies
   and returns -1 if it is neither. */
static int parse_ref(berth_request *req, berth_digest *d, int for_put)
{
	if (strchr(req->ref, ':')) {
		int rc = digest_parse(req->ref, d);
		if (rc == 0)
			return 1;
		http_reply_error(req, OCI_DIGEST_INVALID,
				 rc == -2 ? "unsupported digest algorithm"
					  : "invalid digest");
		return -1;
	}
	if (names_tag_valid(req->ref))
		return 0;
	if (for_put)
		http_reply_error(req, OCI_TAG_INVALID, "invalid tag");
	else /* a name that cannot be a tag names no manifest */
		http_reply_error(req, OCI_MANIFEST_UNKNOWN, NULL);
	return -1;
}

/* Manifests up to this size are read whole and sent with the headers:
   one read and one send instead of a reader and two sends, which
   measurably speeds up the common small manifest; the memory is what one
   streamed piece would hold anyway. */
#define INLINE_MAX (64 * 1024)

static void reply_inline(berth_request *req, const berth_digest *d,
			 const char *content_type, const char *const *h)
{
	char *data = NULL;
	size_t len = 0;
	int rc = registry_manifest_read(api_registry(req), d, &data, &len);
	if (rc)
		return api_reply_storage_error(req, rc,
					       OCI_MANIFEST_UNKNOWN);
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		len, data, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(data);
		return api_reply_storage_error(req, BERTH_E_NOMEM, 0);
	}
	MHD_add_response_header(resp, "Content-Type", content_type);
	http_reply_response(req, 200, resp, h);
}

void api_manifest_get(berth_request *req)
{
	berth_registry *reg = api_registry(req);
	berth_digest d;
	uint64_t size = 0;
	if (parse_ref(req, &d, 0) < 0)
		return;
	int rc = registry_manifest_resolve_size(reg, req->name, req->ref, &d,
						&size);
	if (rc)
		return api_reply_storage_error(req, rc,
					       OCI_MANIFEST_UNKNOWN);
	char mt[BERTH_RECORD_TYPE_MAX + 1];
	rc = registry_manifest_served_type(reg, req->name, &d, size, mt,
					   sizeof mt);
	if (rc)
		return api_reply_storage_error(req, rc,
					       OCI_MANIFEST_UNKNOWN);
	char digest[BERTH_DIGEST_MAX], etag[BERTH_DIGEST_MAX + 3];
	digest_format(&d, digest);
	snprintf(etag, sizeof etag, "\"%s\"", digest);
	const char *h[] = {"Docker-Content-Digest", digest, "ETag", etag, NULL};

	const char *inm = http_header(req, "If-None-Match");
	if (inm && (strcmp(inm, etag) == 0 || strcmp(inm, digest) == 0))
		http_reply_empty(req, 304, h);
	else if (size <= INLINE_MAX && !req->is_head)
		reply_inline(req, &d, mt, h);
	else
		api_reply_content(req, 200, &d, 0, size, mt, h,
				  OCI_MANIFEST_UNKNOWN);
}

/* ---- PUT ---- */

typedef struct put_state {
	char *buf;
	size_t len, cap;
	int is_digest;
	berth_digest want;
} put_state;

static void put_cleanup(berth_request *req)
{
	put_state *s = req->state;
	if (!s)
		return;
	free(s->buf);
	free(s);
	req->state = NULL;
}

static void reply_too_big(berth_request *req)
{
	char detail[96];
	snprintf(detail, sizeof detail, "manifest exceeds the limit of %u bytes",
		 BERTH_MANIFEST_MAX);
	http_reply_error_status(req, 413, OCI_SIZE_INVALID, detail);
}

static int put_body(berth_request *req, const char *data, size_t len)
{
	put_state *s = req->state;
	if (len > BERTH_MANIFEST_MAX - s->len) {
		reply_too_big(req);
		return -1;
	}
	if (s->len + len > s->cap) {
		size_t cap = s->cap ? s->cap : 64 * 1024;
		while (cap < s->len + len)
			cap *= 2;
		if (cap > BERTH_MANIFEST_MAX)
			cap = BERTH_MANIFEST_MAX;
		char *buf = realloc(s->buf, cap);
		if (!buf) {
			api_reply_storage_error(req, BERTH_E_NOMEM, 0);
			return -1;
		}
		s->buf = buf;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, data, len);
	s->len += len;
	return 0;
}

static void put_end(berth_request *req)
{
	berth_registry *reg = api_registry(req);
	put_state *s = req->state;
	berth_digest d;
	char digest[BERTH_DIGEST_MAX], err[512];

	digest_buffer(s->is_digest ? s->want.alg : BERTH_DIGEST_SHA256,
			    s->buf, s->len, &d);
	digest_format(&d, digest);
	if (s->is_digest && !digest_equal(&d, &s->want)) {
		char detail[2 * BERTH_DIGEST_MAX + 64];
		snprintf(detail, sizeof detail,
			 "the manifest's digest is %s, not %s", digest,
			 req->ref);
		return http_reply_error(req, OCI_DIGEST_INVALID, detail);
	}

	berth_manifest m;
	int rc = registry_manifest_parse(s->buf, s->len,
				      http_header(req, "Content-Type"), &m,
				      err, sizeof err);
	if (rc == -2)
		return http_reply_error(req, OCI_DIGEST_INVALID, err);
	if (rc)
		return http_reply_error(req, OCI_MANIFEST_INVALID, err);
	if (registry_record_fits(&m, err, sizeof err)) {
		registry_manifest_free(&m);
		return http_reply_error(req, OCI_MANIFEST_INVALID, err);
	}

	repo_put_problem problem;
	rc = registry_manifest_put(reg, req->name,
				   s->is_digest ? NULL : req->ref, &d, s->buf,
				   s->len, &m, &problem);
	if (rc == REPO_PUT_MISSING) {
		char which[BERTH_DIGEST_MAX];
		digest_format(&problem.digest, which);
		http_reply_error(req, OCI_MANIFEST_BLOB_UNKNOWN, which);
	} else if (rc == REPO_PUT_SIZE_MISMATCH) {
		char which[BERTH_DIGEST_MAX], detail[BERTH_DIGEST_MAX + 160];
		digest_format(&problem.digest, which);
		snprintf(detail, sizeof detail,
			 "descriptor of %s %s gives size %lld, but the stored "
			 "%s has %llu bytes",
			 problem.is_manifest ? "manifest" : "blob", which,
			 problem.declared,
			 problem.is_manifest ? "manifest" : "blob",
			 (unsigned long long)problem.stored);
		http_reply_error(req, OCI_MANIFEST_INVALID, detail);
	} else if (rc) {
		api_reply_storage_error(req, rc, OCI_MANIFEST_UNKNOWN);
	} else {
		char path[HTTP_URL_PATH_MAX], subject[BERTH_DIGEST_MAX] = "";
		snprintf(path, sizeof path, "/v2/%s/manifests/%s", req->name,
			 digest);
		char *loc = http_location(req, path);
		if (m.has_subject)
			digest_format(&m.subject, subject);
		const char *h[] = {"Location", loc ? loc : path,
				   "Docker-Content-Digest", digest,
				   m.has_subject ? "OCI-Subject" : NULL,
				   subject, NULL};
		http_reply_empty(req, 201, h);
		free(loc);
	}
	registry_manifest_free(&m);
}

void api_manifest_put(berth_request *req)
{
	berth_registry *reg = api_registry(req);
	if (reg->cfg->readonly)
		return http_reply_error_status(req, 405, OCI_UNSUPPORTED,
					       "the registry is read-only");
	berth_digest want;
	int kind = parse_ref(req, &want, 1);
	if (kind < 0)
		return;
	const char *cl = http_header(req, "Content-Length");
	if (cl) {
		char *end;
		unsigned long long n = strtoull(cl, &end, 10);
		if (end != cl && *end == 0 && n > BERTH_MANIFEST_MAX)
			return reply_too_big(req);
	}
	put_state *s = calloc(1, sizeof *s);
	if (!s)
		return api_reply_storage_error(req, BERTH_E_NOMEM, 0);
	s->is_digest = kind;
	s->want = want;
	req->state = s;
	req->on_cleanup = put_cleanup;
	http_expect_body(req, put_body, put_end);
}

/* ---- DELETE ---- */

void api_manifest_delete(berth_request *req)
{
	berth_registry *reg = api_registry(req);
	if (!reg->cfg->delete_enabled || reg->cfg->readonly)
		return http_reply_error_status(req, 405, OCI_UNSUPPORTED,
					       "deletes are disabled");
	berth_digest d;
	int kind = parse_ref(req, &d, 0);
	if (kind < 0)
		return;
	int rc = kind ? registry_manifest_delete(reg, req->name, &d)
		      : registry_tag_delete(reg, req->name, req->ref);
	if (rc)
		return api_reply_storage_error(req, rc,
					       OCI_MANIFEST_UNKNOWN);
	http_reply_empty(req, 202, NULL);
}
