/*
 * api_referrers.c - GET /v2/<name>/referrers/<digest>[?artifactType=...]
 * (OCI distribution spec v1.1): an image index listing a descriptor of
 * every manifest in the repository whose subject is <digest>.
 *
 * An unknown subject is not an error: the answer is an empty index, so
 * clients can tell "nothing refers to it" from "API not supported".
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "manifest.h"
#include "repo_manifests.h"

/* The descriptor of one referrer, or NULL when out of memory. */
static json_t *descriptor(const repo_referrer *r)
{
	char digest[BERTH_DIGEST_MAX];
	berth_digest_format(&r->digest, digest);
	json_t *d = json_pack("{s:s, s:s, s:I}", "mediaType", r->media_type,
			      "digest", digest, "size", (json_int_t)r->size);
	if (!d)
		return NULL;
	if (r->artifact_type &&
	    json_object_set_new(d, "artifactType",
				json_string(r->artifact_type))) {
		json_decref(d);
		return NULL;
	}
	if (r->annotations_json) {
		json_t *a = json_loads(r->annotations_json, 0, NULL);
		if (!a || json_object_set_new(d, "annotations", a)) {
			json_decref(d);
			return NULL;
		}
	}
	return d;
}

void api_referrers(berth_request *req)
{
	berth_digest subject;
	if (berth_digest_parse(req->ref, &subject))
		return http_reply_error(req, BERTH_ERR_DIGEST_INVALID,
					"invalid digest");
	const char *filter = http_query(req, "artifactType");
	if (filter && !*filter)
		filter = NULL;

	repo_referrer *v = NULL;
	size_t n = 0;
	int rc = repo_referrers(req->app, req->name, &subject, &v, &n);
	if (rc)
		return http_reply_storage_error(req, rc, BERTH_ERR_UNKNOWN);

	json_t *list = json_array();
	for (size_t i = 0; list && i < n; i++) {
		if (filter && (!v[i].artifact_type ||
			       strcmp(v[i].artifact_type, filter) != 0))
			continue;
		json_t *d = descriptor(&v[i]);
		if (!d || json_array_append_new(list, d)) {
			json_decref(list);
			list = NULL;
		}
	}
	repo_referrers_free(v, n);
	json_t *root = list ? json_pack("{s:i, s:s, s:o}", "schemaVersion", 2,
					"mediaType", MT_OCI_INDEX,
					"manifests", list)
			    : NULL;
	char *body = root ? json_dumps(root, JSON_COMPACT) : NULL;
	json_decref(root);
	if (!body)
		return http_reply_storage_error(req, BERTH_E_NOMEM, 0);
	const char *h[] = {filter ? "OCI-Filters-Applied" : NULL,
			   "artifactType", NULL};
	http_reply_buffer(req, 200, MT_OCI_INDEX, body, strlen(body), h);
	free(body);
}
