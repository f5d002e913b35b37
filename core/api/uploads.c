/*
 * api/uploads.c - blob uploads: POST (start, monolithic, mount), PATCH
 * (streamed or chunked), PUT (close, optionally with the last chunk), GET
 * (status) and DELETE (cancel) on /v2/<name>/blobs/uploads/.
 *
 * HTTP only: ids, digests, Content-Range and Content-Length, access
 * control and the answers.  The upload itself (its storage, its hash,
 * the integrity rules, publication) is registry/uploads.c.
 *
 * An error answer leaves the upload as it was, as far as the protocol can
 * tell: a chunk's length is checked against Content-Range before its body
 * is read (Content-Range without Content-Length answers 411).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include "api/context.h"
#include "api/reply.h"
#include "api/routes.h"
#include "auth/auth.h"
#include "common/names.h"
#include "http/range.h"
#include "http/request.h"
#include "registry/uploads.h"

/* What a request keeps between its steps. */
typedef struct upload_req {
	registry_upload *u;
	berth_digest want;    /* digest to verify when finalizing */
	int finalize;         /* PUT / monolithic POST: close at the end */
} upload_req;

/* ---- helpers ---- */

static int id_valid(const char *id)
{
	uuid_t u;
	return strlen(id) == 36 && uuid_parse(id, u) == 0;
}

static void reply_progress(berth_request *req, unsigned status,
			   const char *id, uint64_t size)
{
	char path[HTTP_URL_PATH_MAX + 64], range[64];
	snprintf(path, sizeof path, "/v2/%s/blobs/uploads/%s", req->name, id);
	snprintf(range, sizeof range, "0-%" PRIu64, size ? size - 1 : 0);
	char *loc = http_location(req, path);
	const char *h[] = {"Location", loc ? loc : path,
			   "Range", range,
			   "Docker-Upload-UUID", id,
			   NULL};
	http_reply_empty(req, status, h);
	free(loc);
}

static void reply_created(berth_request *req, const berth_digest *d)
{
	char digest[BERTH_DIGEST_MAX], path[HTTP_URL_PATH_MAX + 64];
	digest_format(d, digest);
	snprintf(path, sizeof path, "/v2/%s/blobs/%s", req->name, digest);
	char *loc = http_location(req, path);
	const char *h[] = {"Location", loc ? loc : path,
			   "Docker-Content-Digest", digest,
			   NULL};
	http_reply_empty(req, 201, h);
	free(loc);
}

/* Answer an upload module's error; `not_found_err` for a storage
   BERTH_E_NOT_FOUND. */
static void reply_upload_error(berth_request *req, int rc,
			       oci_error not_found_err)
{
	switch (rc) {
	case REGISTRY_UPLOAD_E_UNKNOWN:
		return http_reply_error(req, OCI_BLOB_UPLOAD_UNKNOWN,
					req->ref);
	case REGISTRY_UPLOAD_E_BUSY:
		return http_reply_error(
			req, OCI_BLOB_UPLOAD_INVALID,
			"the upload is in use by another request");
	case REGISTRY_UPLOAD_E_OWNER:
		return http_reply_error(req, OCI_UNKNOWN,
					"could not record the upload's owner");
	case REGISTRY_UPLOAD_E_LENGTH:
		/* Not reached while a chunk needs Content-Length
		   (check_content_range) and the server delivers exactly
		   that many bytes. */
		return http_reply_error_status(
			req, 400, OCI_BLOB_UPLOAD_INVALID,
			"body length does not match Content-Range");
	default:
		return api_reply_storage_error(req, rc, not_found_err);
	}
}

static void upload_cleanup(berth_request *req)
{
	upload_req *s = req->state;
	if (!s)
		return;
	registry_upload_close(s->u);
	free(s);
	req->state = NULL;
}

/* The request's state, freed by upload_cleanup; NULL after replying. */
static upload_req *state_new(berth_request *req)
{
	upload_req *s = calloc(1, sizeof *s);
	if (!s) {
		api_reply_storage_error(req, BERTH_E_NOMEM, 0);
		return NULL;
	}
	req->state = s;
	req->on_cleanup = upload_cleanup;
	return s;
}

/* Look up an existing upload named by req->ref that the request's
   account may continue; NULL after replying. */
static upload_req *upload_find(berth_request *req)
{
	if (!id_valid(req->ref)) {
		http_reply_error(req, OCI_BLOB_UPLOAD_UNKNOWN, req->ref);
		return NULL;
	}
	upload_req *s = state_new(req);
	if (!s)
		return NULL;
	int rc = registry_upload_find(api_registry(req), req->name, req->ref,
				      &s->u);
	/* access control: only the account that started it */
	char acct[256];
	int who = rc ? 0 : auth_account(req, acct, sizeof acct);
	if (rc == 0 && who == 0)
		rc = registry_upload_owned_by(s->u, acct);
	if (rc == 0 && who < 0)
		rc = REGISTRY_UPLOAD_E_UNKNOWN;
	if (rc) {
		reply_upload_error(req, rc, OCI_BLOB_UPLOAD_UNKNOWN);
		return NULL;
	}
	return s;
}

/* Claim the upload and reopen it; replies and returns -1 on error. */
static int upload_open(berth_request *req, upload_req *s)
{
	int rc = registry_upload_open(s->u);
	if (rc)
		reply_upload_error(req, rc, OCI_BLOB_UPLOAD_UNKNOWN);
	return rc ? -1 : 0;
}

/* The 416 of a Content-Range that does not continue the upload. */
static void reply_range_invalid(berth_request *req, const char *cr,
				registry_upload *u)
{
	uint64_t size = registry_upload_size(u);
	char detail[128], range[64];
	snprintf(detail, sizeof detail,
		 "Content-Range %s does not continue the upload at %" PRIu64,
		 cr, size);
	snprintf(range, sizeof range, "0-%" PRIu64, size ? size - 1 : 0);
	char *body = oci_error_json(OCI_RANGE_INVALID, NULL, detail);
	const char *h[] = {"Range", range,
			   "Docker-Upload-UUID", registry_upload_id(u),
			   NULL};
	http_reply_buffer(req, 416, "application/json; charset=utf-8", body,
			  body ? strlen(body) : 0, h);
	free(body);
}

/* Check a Content-Range header (if any) against the upload's size. */
static int check_content_range(berth_request *req, upload_req *s)
{
	const char *cr = http_header(req, "Content-Range");
	if (!cr)
		return 0;
	/* The chunk's length must be known before its first byte is
	   appended, so that a wrong length is refused with the upload
	   unchanged: a chunked body could only be found too long or too
	   short after it was written. */
	const char *cl = http_header(req, "Content-Length");
	if (!cl || http_header(req, "Transfer-Encoding")) {
		http_reply_error_status(
			req, 411, OCI_BLOB_UPLOAD_INVALID,
			"Content-Range needs Content-Length (a chunk cannot "
			"use chunked transfer encoding)");
		return -1;
	}
	uint64_t first, last;
	if (range_content_parse(cr, &first, &last) ||
	    first != registry_upload_size(s->u)) {
		reply_range_invalid(req, cr, s->u);
		return -1;
	}
	registry_upload_expect(s->u, last - first + 1);
	if (strtoull(cl, NULL, 10) != last - first + 1) {
		http_reply_error_status(
			req, 416, OCI_RANGE_INVALID,
			"Content-Length does not match Content-Range");
		return -1;
	}
	return 0;
}

static int upload_body(berth_request *req, const char *data, size_t len)
{
	upload_req *s = req->state;
	int rc = registry_upload_write(s->u, data, len);
	if (rc)
		api_reply_storage_error(req, rc, OCI_BLOB_UPLOAD_INVALID);
	return rc ? -1 : 0;
}

/* Close the upload as the blob the client named; always replies. */
static void upload_finalize(berth_request *req, upload_req *s)
{
	registry_upload_result res;
	int rc = registry_upload_finalize(s->u, &s->want, &res);
	char detail[2 * BERTH_DIGEST_MAX + 64], a[BERTH_DIGEST_MAX],
		b[BERTH_DIGEST_MAX];
	switch (rc) {
	case BERTH_OK:
		return reply_created(req, &res.digest);
	case REGISTRY_UPLOAD_E_DIGEST:
		digest_format(&s->want, a);
		if (res.digest_unknown)
			snprintf(b, sizeof b, "storage found another digest");
		else
			digest_format(&res.digest, b);
		snprintf(detail, sizeof detail,
			 "digest %s does not match the uploaded content (%s)",
			 a, b);
		return http_reply_error(req, OCI_DIGEST_INVALID, detail);
	case REGISTRY_UPLOAD_E_SIZE:
		digest_format(&res.digest, a);
		snprintf(detail, sizeof detail,
			 "storage holds %" PRIu64 " bytes of blob %s, %" PRIu64
			 " were verified", res.stored, a, res.verified);
		return http_reply_error_status(req, 500, OCI_UNKNOWN,
					       detail);
	default:
		return reply_upload_error(req, rc,
					  OCI_BLOB_UPLOAD_UNKNOWN);
	}
}

static void upload_end(berth_request *req)
{
	upload_req *s = req->state;
	if (s->finalize)
		return upload_finalize(req, s);
	int rc = registry_upload_end_chunk(s->u);
	if (rc)
		return reply_upload_error(req, rc,
					  OCI_BLOB_UPLOAD_INVALID);
	reply_progress(req, 202, registry_upload_id(s->u),
		       registry_upload_size(s->u));
}

/* The whole blob's size when the request gives it: the body of a
   monolithic POST (Content-Length), or a last chunk starting at 0
   (Content-Range); else UINT64_MAX.  Only a hint for the driver. */
static uint64_t whole_size(berth_request *req, int monolithic)
{
	const char *cl = http_header(req, "Content-Length");
	const char *cr = http_header(req, "Content-Range");
	uint64_t first, last;
	char *end;
	if (!cl || http_header(req, "Transfer-Encoding"))
		return UINT64_MAX;
	if (cr)
		return range_content_parse(cr, &first, &last) == 0 &&
				       first == 0
			       ? last + 1
			       : UINT64_MAX;
	if (!monolithic)
		return UINT64_MAX; /* appended to what is there already */
	unsigned long long n = strtoull(cl, &end, 10);
	return end != cl && !*end ? (uint64_t)n : UINT64_MAX;
}

/* Parse ?digest=; replies and returns -1 when missing or invalid. */
static int want_digest(berth_request *req, const char *value, upload_req *s)
{
	int rc = value ? digest_parse(value, &s->want) : -1;
	if (rc == 0)
		return 0;
	/* an unsupported algorithm is an invalid digest, as in api/blobs.c */
	http_reply_error(req, OCI_DIGEST_INVALID,
			 !value	     ? "digest parameter missing"
			 : rc == -2 ? "unsupported digest algorithm"
				    : "invalid digest");
	return -1;
}

/* ---- handlers ---- */

/* 1 when the mount answered, 0 when a plain upload starts instead.  A
   blob that cannot be mounted starts an upload, but a ?mount= that is no
   digest at all (or of an algorithm Berth does not implement) is the
   client's error: 400 DIGEST_INVALID, as Distribution answers. */
static int try_mount(berth_request *req, const char *mount, const char *from)
{
	berth_digest d;
	int prc = digest_parse(mount, &d);
	if (prc) {
		http_reply_error(req, OCI_DIGEST_INVALID,
				 prc == -2 ? "unsupported digest algorithm"
					   : "invalid digest");
		return 1;
	}
	if (from && !*from)
		from = NULL; /* automatic mount: from any repository */
	/* access control: mounting needs pull on the source (auth/auth.c) */
	if (!auth_permits(req, from, BERTH_ACTION_PULL))
		return 0;
	if (from && !names_repository_valid(from, strlen(from)))
		return 0;
	int rc = registry_upload_mount(api_registry(req), req->name, &d, from);
	if (rc == 0)
		return 0;
	if (rc < 0)
		api_reply_storage_error(req, rc, OCI_BLOB_UNKNOWN);
	else
		reply_created(req, &d);
	return 1;
}

/* A plain POST: an upload the client continues; always replies. */
static void start_plain(berth_request *req, registry_upload *u)
{
	int rc = registry_upload_start(u);
	if (rc)
		return api_reply_storage_error(req, rc, OCI_UNKNOWN);
	/* access control: record who owns the upload */
	char acct[256];
	int who = auth_account(req, acct, sizeof acct);
	rc = who < 0 ? REGISTRY_UPLOAD_E_OWNER
		     : registry_upload_hand_out(u, who == 0 ? acct : NULL);
	if (rc)
		return reply_upload_error(req, rc, OCI_UNKNOWN);
	reply_progress(req, 202, registry_upload_id(u), 0);
}

void api_upload_start(berth_request *req)
{
	berth_registry *reg = api_registry(req);
	if (reg->cfg->readonly)
		return http_reply_error_status(req, 405, OCI_UNSUPPORTED,
					       "the registry is read-only");
	const char *mount = http_query(req, "mount");
	if (mount && try_mount(req, mount, http_query(req, "from")))
		return;

	upload_req *s = state_new(req);
	if (!s)
		return;
	const char *digest = http_query(req, "digest");
	if (digest && want_digest(req, digest, s))
		return;
	int rc = registry_upload_new(reg, req->name, &s->u);
	if (rc)
		return api_reply_storage_error(req, rc, 0);
	if (!digest)
		return start_plain(req, s->u);
	/* Monolithic upload: the body is the whole blob, and the id never
	   leaves this request (see registry/uploads.c). */
	registry_upload_hint(s->u, &s->want, whole_size(req, 1));
	if (upload_open(req, s))
		return;
	s->finalize = 1;
	http_expect_body(req, upload_body, upload_end);
}

void api_upload_patch(berth_request *req)
{
	upload_req *s = upload_find(req);
	if (!s || upload_open(req, s) || check_content_range(req, s))
		return;
	http_expect_body(req, upload_body, upload_end);
}

void api_upload_put(berth_request *req)
{
	upload_req *s = upload_find(req);
	if (!s || want_digest(req, http_query(req, "digest"), s))
		return;
	registry_upload_hint(s->u, &s->want, whole_size(req, 0));
	if (upload_open(req, s) || check_content_range(req, s))
		return;
	s->finalize = 1;
	http_expect_body(req, upload_body, upload_end);
}

void api_upload_status(berth_request *req)
{
	upload_req *s = upload_find(req);
	if (!s || upload_open(req, s))
		return;
	reply_progress(req, 204, registry_upload_id(s->u),
		       registry_upload_size(s->u));
}

void api_upload_cancel(berth_request *req)
{
	upload_req *s = upload_find(req);
	if (!s)
		return;
	int rc = registry_upload_cancel(s->u);
	if (rc)
		return reply_upload_error(req, rc, OCI_BLOB_UPLOAD_UNKNOWN);
	http_reply_empty(req, 204, NULL);
}
