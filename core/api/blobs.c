/*
 * api/blobs.c - GET, HEAD and DELETE /v2/<name>/blobs/<digest>.
 *
 * Downloads take the fastest path the driver offers: a redirect to the
 * backend (BERTH_CAP_REDIRECT), then sendfile from a descriptor
 * (BERTH_CAP_FILE_DESCRIPTOR), then a stream pulled from the driver's
 * reader in bounded pieces (the last two in api/object.c).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/content.h"
#include "api/context.h"
#include "api/reply.h"
#include "api/routes.h"
#include "http/range.h"
#include "http/request.h"
#include "registry/blobs.h"
#include "registry/content.h"

/* Parse the digest in req->ref; replies and returns -1 if invalid.  An
   algorithm Berth does not implement (md5:...) is as invalid a digest for
   a client as a malformed one: 400 DIGEST_INVALID, as Distribution
   answers, not the 405 UNSUPPORTED that means a method or endpoint. */
static int ref_digest(berth_request *req, berth_digest *d)
{
	int rc = digest_parse(req->ref, d);
	if (rc == 0)
		return 0;
	http_reply_error(req, OCI_DIGEST_INVALID,
			 rc == -2 ? "unsupported digest algorithm"
				  : "invalid digest");
	return -1;
}

void api_blob_get(berth_request *req)
{
	berth_registry *reg = api_registry(req);
	berth_digest d;
	if (ref_digest(req, &d))
		return;
	uint64_t size = 0;
	int rc = registry_blob_linked_size(reg, req->name, &d, &size);
	if (rc < 0)
		return api_reply_storage_error(req, rc, OCI_BLOB_UNKNOWN);
	if (rc == 0)
		return http_reply_error(req, OCI_BLOB_UNKNOWN, req->ref);

	char digest[BERTH_DIGEST_MAX], etag[BERTH_DIGEST_MAX + 3];
	digest_format(&d, digest);
	snprintf(etag, sizeof etag, "\"%s\"", digest);

	char *url = NULL;
	if (registry_content_redirect(reg, &d, req->method, &url) == BERTH_OK) {
		const char *h[] = {"Location", url, "Docker-Content-Digest",
				   digest, NULL};
		http_reply_empty(req, 307, h);
		free(url);
		return;
	}
	/* no redirect (or it failed): serve the bytes ourselves */

	uint64_t first = 0, last = size ? size - 1 : 0;
	unsigned status = 200;
	char content_range[96] = "";
	const char *range = http_header(req, "Range");
	if (range) {
		berth_range_result rr =
			range_parse(range, size, &first, &last);
		if (rr == BERTH_RANGE_UNSATISFIABLE) {
			snprintf(content_range, sizeof content_range,
				 "bytes */%" PRIu64, size);
			char *body = oci_error_json(
				OCI_RANGE_INVALID, NULL,
				"requested range not satisfiable");
			const char *h[] = {"Content-Range", content_range,
					   NULL};
			http_reply_buffer(req, 416,
					  "application/json; charset=utf-8",
					  body, body ? strlen(body) : 0, h);
			free(body);
			return;
		}
		if (rr == BERTH_RANGE_OK) {
			status = 206;
			snprintf(content_range, sizeof content_range,
				 "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64,
				 first, last, size);
		}
	}
	uint64_t len = size ? last - first + 1 : 0;
	const char *h[] = {"Docker-Content-Digest", digest,
			   "ETag", etag,
			   "Accept-Ranges", "bytes",
			   "Cache-Control", "max-age=31536000",
			   content_range[0] ? "Content-Range" : NULL,
			   content_range,
			   NULL};
	api_reply_content(req, status, &d, first, len,
			  "application/octet-stream", h, OCI_BLOB_UNKNOWN);
}

void api_blob_delete(berth_request *req)
{
	berth_registry *reg = api_registry(req);
	berth_digest d;
	if (!reg->cfg->delete_enabled || reg->cfg->readonly)
		return http_reply_error_status(req, 405, OCI_UNSUPPORTED,
					       "deletes are disabled");
	if (ref_digest(req, &d))
		return;
	int rc = registry_unlink_blob(reg, req->name, &d);
	if (rc)
		return api_reply_storage_error(req, rc, OCI_BLOB_UNKNOWN);
	char digest[BERTH_DIGEST_MAX];
	digest_format(&d, digest);
	const char *h[] = {"Docker-Content-Digest", digest, NULL};
	http_reply_empty(req, 202, h);
}
