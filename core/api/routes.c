/*
 * api/routes.c - maps "/v2/..." paths and methods to the API handlers.
 *
 * Repository names may contain slashes (and even a component called
 * "blobs"), so routes are recognised from the right: the last one or two
 * components decide the endpoint and everything before is the name.
 */
#include <string.h>

#include "api/routes.h"
#include "app.h"
#include "auth/auth.h"
#include "common/names.h"
#include "http/request.h"

typedef enum route {
	R_NONE,
	R_BASE,
	R_CATALOG,
	R_TAGS,
	R_BLOB,
	R_UPLOAD,
	R_MANIFEST,
	R_REFERRERS,
} route;

static int ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

/* Split `p` (path after "/v2/") into name and ref for the route. */
static route classify(berth_request *req, const char *p, size_t *name_len)
{
	size_t len = strlen(p);
	if (len == 0)
		return R_BASE;
	if (strcmp(p, "_catalog") == 0)
		return R_CATALOG;
	if (ends_with(p, len, "/tags/list")) {
		*name_len = len - strlen("/tags/list");
		return R_TAGS;
	}
	const char *slash = memrchr(p, '/', len);
	if (!slash)
		return R_NONE;
	const char *last = slash + 1;
	size_t rest = slash - p;
	if (strlen(last) >= sizeof req->ref)
		return R_NONE;
	static const struct {
		const char *suffix;
		route r;
	} kinds[] = {
		{"/blobs/uploads", R_UPLOAD},
		{"/blobs", R_BLOB},
		{"/manifests", R_MANIFEST},
		{"/referrers", R_REFERRERS},
	};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		if (ends_with(p, rest, kinds[i].suffix)) {
			*name_len = rest - strlen(kinds[i].suffix);
			strcpy(req->ref, last);
			return kinds[i].r;
		}
	}
	return R_NONE;
}

static int is(const berth_request *req, const char *m)
{
	return strcmp(req->method, m) == 0;
}

void api_route(berth_request *req)
{
	const char *path = req->path;
	const char *prefix = req->app->cfg->prefix;
	/* access control: client certificate, built-in token service */
	if (berth_auth_precheck(req))
		return;
	if (prefix && *prefix) {
		size_t plen = strlen(prefix);
		while (plen && prefix[plen - 1] == '/')
			plen--;
		if (strncmp(path, prefix, plen) != 0) {
			http_reply_error_status(req, 404, BERTH_ERR_UNSUPPORTED,
						"no such endpoint");
			return;
		}
		path += plen;
	}
	if (strcmp(path, "/v2") == 0)
		path = "/v2/";
	if (strncmp(path, "/v2/", 4) != 0) {
		http_reply_error_status(req, 404, BERTH_ERR_UNSUPPORTED,
					"no such endpoint");
		return;
	}
	size_t name_len = 0;
	route r = classify(req, path + 4, &name_len);
	if (r == R_NONE) {
		http_reply_error_status(req, 404, BERTH_ERR_UNSUPPORTED,
					"no such endpoint");
		return;
	}
	if (r != R_BASE && r != R_CATALOG) {
		if (name_len == 0 || name_len >= sizeof req->name ||
		    !berth_name_valid(path + 4, name_len)) {
			http_reply_error(req, BERTH_ERR_NAME_INVALID,
					 "invalid repository name");
			return;
		}
		memcpy(req->name, path + 4, name_len);
		req->name[name_len] = 0;
	}
	int get = is(req, "GET") || req->is_head;
	/* access control (auth/auth.c): pull to read, pull and push to write,
	   delete to delete; the catalog has its own scope and /v2/ only
	   needs valid credentials. */
	unsigned need = get ? BERTH_ACTION_PULL
			: is(req, "DELETE") && r != R_UPLOAD
			? BERTH_ACTION_DELETE
			: BERTH_ACTION_PULL | BERTH_ACTION_PUSH;
	if (r == R_BASE)
		need = 0;
	else if (r == R_CATALOG)
		need = BERTH_ACTION_CATALOG;
	if (berth_auth_authorize(req, r == R_BASE || r == R_CATALOG ? NULL
								    : req->name,
				 need))
		return;
	switch (r) {
	case R_BASE:
		if (get)
			return api_base(req);
		break;
	case R_CATALOG:
		if (get)
			return api_catalog(req);
		break;
	case R_TAGS:
		if (get)
			return api_tags_list(req);
		break;
	case R_BLOB:
		/* "/blobs/uploads" without the trailing slash */
		if (strcmp(req->ref, "uploads") == 0 && is(req, "POST")) {
			req->ref[0] = 0;
			return api_upload_start(req);
		}
		if (get)
			return api_blob_get(req);
		if (is(req, "DELETE"))
			return api_blob_delete(req);
		break;
	case R_UPLOAD:
		if (req->ref[0] == 0) {
			if (is(req, "POST"))
				return api_upload_start(req);
			break;
		}
		if (is(req, "PATCH"))
			return api_upload_patch(req);
		if (is(req, "PUT"))
			return api_upload_put(req);
		if (get)
			return api_upload_status(req);
		if (is(req, "DELETE"))
			return api_upload_cancel(req);
		break;
	case R_MANIFEST:
		if (get)
			return api_manifest_get(req);
		if (is(req, "PUT"))
			return api_manifest_put(req);
		if (is(req, "DELETE"))
			return api_manifest_delete(req);
		break;
	case R_REFERRERS:
		if (get)
			return api_referrers(req);
		break;
	case R_NONE:
		break;
	}
	http_reply_error_status(req, 405, BERTH_ERR_UNSUPPORTED,
				"method not allowed on this endpoint");
}
