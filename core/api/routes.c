/*
 * api/routes.c - maps paths and methods to the API handlers: the
 * built-in token service at the realm's path (api/token.c), and
 * "/v2/..." below http.prefix.
 *
 * Repository names may contain slashes (and even a component called
 * "blobs"), so routes are recognised from the right: the last one or two
 * components decide the endpoint and everything before is the name.
 */
#include <stdio.h>
#include <string.h>

#include "api/context.h"
#include "api/routes.h"
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

/* A path below ".../blobs/uploads/" that is no upload URL (an id with a
   slash in it, "../../etc" once %2f is decoded, or one too long for a
   ref): the upload route with an id no upload has, so that it answers
   404 BLOB_UPLOAD_UNKNOWN like any other unknown id.  The ref keeps a
   slash, which no upload id has. */
static route upload_fallback(berth_request *req, const char *p,
			     size_t *name_len)
{
	static const char mark[] = "/blobs/uploads/";
	const char *at = strstr(p, mark);
	if (!at || at == p)
		return R_NONE;
	*name_len = at - p;
	snprintf(req->ref, sizeof req->ref, "%s", at + strlen(mark));
	if (!strchr(req->ref, '/'))
		snprintf(req->ref, sizeof req->ref, "/");
	return R_UPLOAD;
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
		return upload_fallback(req, p, name_len);
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
	return upload_fallback(req, p, name_len);
}

static int is(const berth_request *req, const char *m)
{
	return strcmp(req->method, m) == 0;
}

/* The path below http.prefix, "/v2" read as "/v2/"; NULL (after a 404)
   for a path outside both. */
static const char *api_path(berth_request *req)
{
	const char *path = req->path;
	const char *prefix = api_registry(req)->cfg->prefix;
	if (prefix && *prefix) {
		size_t plen = strlen(prefix);
		while (plen && prefix[plen - 1] == '/')
			plen--;
		if (strncmp(path, prefix, plen) != 0)
			path = NULL;
		else
			path += plen;
	}
	if (path && strcmp(path, "/v2") == 0)
		path = "/v2/";
	if (!path || strncmp(path, "/v2/", 4) != 0) {
		http_reply_error_status(req, 404, OCI_UNSUPPORTED,
					"no such endpoint");
		return NULL;
	}
	return path;
}

/* The repository name of a route that has one into req->name; -1 after
   a 400 NAME_INVALID. */
static int take_name(berth_request *req, route r, const char *name,
		     size_t name_len)
{
	if (r == R_BASE || r == R_CATALOG)
		return 0;
	if (name_len == 0 || name_len >= sizeof req->name ||
	    !names_repository_valid(name, name_len)) {
		http_reply_error(req, OCI_NAME_INVALID,
				 "invalid repository name");
		return -1;
	}
	memcpy(req->name, name, name_len);
	req->name[name_len] = 0;
	return 0;
}

/* Access control (auth/auth.c): pull to read, pull and push to write,
   delete to delete; the catalog has its own scope and /v2/ only needs
   valid credentials.  0 if the request may go on. */
static int authorize(berth_request *req, route r, int get)
{
	unsigned need = get ? BERTH_ACTION_PULL
			: is(req, "DELETE") && r != R_UPLOAD
			? BERTH_ACTION_DELETE
			: BERTH_ACTION_PULL | BERTH_ACTION_PUSH;
	if (r == R_BASE)
		need = 0;
	else if (r == R_CATALOG)
		need = BERTH_ACTION_CATALOG;
	return auth_authorize(req, r == R_BASE || r == R_CATALOG
						 ? NULL
						 : req->name,
				    need);
}

typedef void (*handler_fn)(berth_request *req);

/* The handler of the route for the request's method; NULL if it has
   none. */
static handler_fn handler_of(berth_request *req, route r, int get)
{
	switch (r) {
	case R_BASE:
		return get ? api_base : NULL;
	case R_CATALOG:
		return get ? api_catalog : NULL;
	case R_TAGS:
		return get ? api_tags_list : NULL;
	case R_BLOB:
		/* "/blobs/uploads" without the trailing slash */
		if (strcmp(req->ref, "uploads") == 0 && is(req, "POST")) {
			req->ref[0] = 0;
			return api_upload_start;
		}
		return get ? api_blob_get
		       : is(req, "DELETE") ? api_blob_delete : NULL;
	case R_UPLOAD:
		if (req->ref[0] == 0)
			return is(req, "POST") ? api_upload_start : NULL;
		return is(req, "PATCH")	   ? api_upload_patch
		       : is(req, "PUT")	   ? api_upload_put
		       : get		   ? api_upload_status
		       : is(req, "DELETE") ? api_upload_cancel
					   : NULL;
	case R_MANIFEST:
		return get		   ? api_manifest_get
		       : is(req, "PUT")	   ? api_manifest_put
		       : is(req, "DELETE") ? api_manifest_delete
					   : NULL;
	case R_REFERRERS:
		return get ? api_referrers : NULL;
	case R_NONE:
		break;
	}
	return NULL;
}

/*
 * One request's way through the registry, after the HTTP layer checked
 * its framing and its client certificate (http/dispatch.c): the built-in
 * token service at its own path; else a path below /v2/ picks a route,
 * the route's repository name is checked, access control decides, and
 * the route's handler for the method runs.
 */
void api_route(berth_request *req)
{
	const char *token_path = api_registry(req)->cfg->auth.token_path;
	if (token_path && strcmp(req->path, token_path) == 0)
		return api_token(req);
	const char *path = api_path(req);
	if (!path)
		return;
	size_t name_len = 0;
	route r = classify(req, path + 4, &name_len);
	if (r == R_NONE) {
		http_reply_error_status(req, 404, OCI_UNSUPPORTED,
					"no such endpoint");
		return;
	}
	int get = is(req, "GET") || req->is_head;
	if (take_name(req, r, path + 4, name_len) || authorize(req, r, get))
		return;
	handler_fn handler = handler_of(req, r, get);
	if (handler)
		handler(req);
	else
		http_reply_error_status(req, 405, OCI_UNSUPPORTED,
					"method not allowed on this endpoint");
}
