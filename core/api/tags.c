/*
 * api/tags.c - GET /v2/<name>/tags/list and GET /v2/_catalog.
 *
 * Both are ordered lists paginated the same way (OCI distribution spec):
 * `last` skips every entry up to and including it, `n` bounds the page,
 * and when entries remain a Link header names the next page.  Without
 * `n` the whole list is returned.  The storage layer builds only the page
 * (registry_tags_page, registry_catalog_page), so a first page costs the same for
 * a hundred entries or for ten thousand.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/context.h"
#include "api/reply.h"
#include "api/routes.h"
#include "http/request.h"
#include "registry/manifests.h"

/* Beyond this a page is as good as unbounded; keeps arithmetic simple. */
#define PAGE_MAX 100000000ull

typedef struct page {
	size_t first, count; /* slice of the list (first is always 0) */
	int more;            /* entries remain after the slice */
	long long n;         /* requested n, or -1 */
	const char *last;
} page;

/* Read n and last; replies and returns -1 if n is not a non-negative
   integer. */
static int paginate(berth_request *req, page *pg)
{
	const char *n = http_query(req, "n");
	memset(pg, 0, sizeof *pg);
	pg->n = -1;
	if (n) {
		unsigned long long x = 0;
		if (!*n) {
			http_reply_error(req, OCI_PAGINATION_NUMBER_INVALID,
					 "n must be a non-negative integer");
			return -1;
		}
		for (const char *c = n; *c; c++) {
			if (*c < '0' || *c > '9') {
				http_reply_error(
					req, OCI_PAGINATION_NUMBER_INVALID,
					"n must be a non-negative integer");
				return -1;
			}
			if (x < PAGE_MAX)
				x = x * 10 + (unsigned)(*c - '0');
		}
		pg->n = (long long)(x < PAGE_MAX ? x : PAGE_MAX);
	}
	pg->last = http_query(req, "last");
	if (pg->last && !*pg->last)
		pg->last = NULL;
	return 0;
}

/* The page size to ask the storage layer for. */
static size_t page_limit(const page *pg)
{
	return pg->n >= 0 ? (size_t)pg->n : SIZE_MAX;
}

/* Reply 200 with `root` as JSON and the Link header if more remain;
   `base` is the endpoint's path ("/v2/..."). */
static void reply_page(berth_request *req, json_t *root, const page *pg,
		       char **v, const char *base)
{
	char *body = root ? json_dumps(root, JSON_COMPACT) : NULL;
	json_decref(root);
	if (!body)
		return api_reply_storage_error(req, BERTH_E_NOMEM, 0);
	char *link = NULL;
	if (pg->more) {
		const char *prefix = api_registry(req)->cfg->prefix;
		int plen = prefix ? (int)strlen(prefix) : 0;
		while (plen && prefix[plen - 1] == '/')
			plen--;
		if (asprintf(&link, "<%.*s%s?last=%s&n=%lld>; rel=\"next\"",
			     plen, prefix ? prefix : "", base,
			     v[pg->first + pg->count - 1], pg->n) < 0)
			link = NULL;
	}
	const char *h[] = {link ? "Link" : NULL, link, NULL};
	http_reply_buffer(req, 200, "application/json; charset=utf-8", body,
			  strlen(body), h);
	free(link);
	free(body);
}

static json_t *slice_array(char **v, const page *pg)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < pg->count; i++)
		if (json_array_append_new(a, json_string(v[pg->first + i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

void api_tags_list(berth_request *req)
{
	char **tags = NULL;
	size_t n = 0;
	page pg;
	if (paginate(req, &pg))
		return;
	int rc = registry_tags_page(api_registry(req), req->name, pg.last,
				    page_limit(&pg), &tags, &n, &pg.more);
	if (rc)
		return api_reply_storage_error(req, rc, OCI_NAME_UNKNOWN);
	pg.count = n;
	pg.more = pg.more && n > 0;
	json_t *list = slice_array(tags, &pg);
	json_t *root = list ? json_pack("{s:s, s:o}", "name", req->name,
					"tags", list)
			    : NULL;
	char base[sizeof req->name + 32];
	snprintf(base, sizeof base, "/v2/%s/tags/list", req->name);
	reply_page(req, root, &pg, tags, base);
	registry_strv_free(tags, n);
}

void api_catalog(berth_request *req)
{
	char **names = NULL;
	size_t n = 0;
	page pg;
	if (paginate(req, &pg))
		return;
	/* catalog.maxentries caps a page (n absent or larger); the Link
	   header then leads to the rest, as for any short page */
	unsigned cap = api_registry(req)->cfg->catalog_max_entries;
	if (cap && (pg.n < 0 || pg.n > (long long)cap))
		pg.n = cap;
	int rc = registry_catalog_page(api_registry(req), pg.last,
				       page_limit(&pg), &names, &n, &pg.more);
	if (rc)
		return api_reply_storage_error(req, rc, OCI_UNKNOWN);
	pg.count = n;
	pg.more = pg.more && n > 0;
	json_t *list = slice_array(names, &pg);
	json_t *root = list ? json_pack("{s:o}", "repositories", list) : NULL;
	reply_page(req, root, &pg, names, "/v2/_catalog");
	registry_strv_free(names, n);
}
