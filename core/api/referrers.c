/*
 * api/referrers.c - GET /v2/<name>/referrers/<digest>[?artifactType=...]
 * (OCI distribution spec v1.1): an image index listing a descriptor of
 * every manifest in the repository whose subject is <digest>.
 *
 * An unknown subject is not an error: the answer is an empty index, so
 * clients can tell "nothing refers to it" from "API not supported".
 *
 * Descriptors come from the referrers' records (registry_referrers_walk), not
 * from parsing them, and the answer is written as text descriptor by
 * descriptor: its memory is the page, whatever the referrers' size.  A
 * page holds descriptors in digest order up to PAGE_BYTES of JSON (and
 * at most `n` when the query gives one); when more remain, a
 * `Link: <...?last=<digest>...>; rel="next"` header names the next page,
 * as the specification allows.  Every referrer's entry is bounded
 * (BERTH_RECORD_REFERRER_MAX), so a page always has room for one.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/context.h"
#include "api/reply.h"
#include "api/routes.h"
#include "http/request.h"
#include "registry/manifest.h"
#include "registry/manifests.h"

/* The bound on one page's JSON. */
#define PAGE_BYTES (4u * 1024 * 1024)

#define PAGE_HEAD                                                         \
	"{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX             \
	"\",\"manifests\":["
#define PAGE_TAIL "]}"

typedef struct page {
	char *buf;
	size_t len, cap;
	size_t count;       /* descriptors in the page */
	size_t n;           /* most descriptors wanted (SIZE_MAX: any) */
	const char *filter; /* artifactType, or NULL */
	berth_digest last;  /* the page's last descriptor */
	int more;           /* a matching referrer lies beyond the page */
	int oom;
} page;

static int append(page *p, const char *s, size_t len)
{
	if (p->len + len + 1 > p->cap) {
		size_t cap = p->cap ? p->cap : 4096;
		while (cap < p->len + len + 1)
			cap *= 2;
		char *b = realloc(p->buf, cap);
		if (!b) {
			p->oom = 1;
			return -1;
		}
		p->buf = b;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, s, len);
	p->len += len;
	p->buf[p->len] = 0;
	return 0;
}

/* The descriptor of one referrer as compact JSON (malloc'd), or NULL
   when out of memory.  The annotations are the record's, which is
   compact JSON jansson wrote and read back. */
static char *descriptor(const registry_referrer *r)
{
	char digest[BERTH_DIGEST_MAX];
	digest_format(&r->digest, digest);
	json_t *d = json_pack("{s:s, s:s, s:I}", "mediaType", r->media_type,
			      "digest", digest, "size", (json_int_t)r->size);
	if (d && r->artifact_type &&
	    json_object_set_new(d, "artifactType",
				json_string(r->artifact_type))) {
		json_decref(d);
		d = NULL;
	}
	char *head = d ? json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER)
		       : NULL;
	json_decref(d);
	if (!head || !r->annotations_json)
		return head;
	char *full = NULL;
	size_t hl = strlen(head);
	if (asprintf(&full, "%.*s,\"annotations\":%s}", (int)(hl - 1), head,
		     r->annotations_json) < 0)
		full = NULL;
	free(head);
	return full;
}

static int add_referrer(const registry_referrer *r, void *p)
{
	page *pg = p;
	if (pg->filter && (!r->artifact_type ||
			   strcmp(r->artifact_type, pg->filter) != 0))
		return 0;
	if (pg->count == pg->n) {
		pg->more = 1;
		return 1;
	}
	char *d = descriptor(r);
	if (!d) {
		pg->oom = 1;
		return 1;
	}
	size_t dl = strlen(d);
	if (pg->count &&
	    pg->len + 1 + dl + sizeof PAGE_TAIL - 1 > PAGE_BYTES) {
		free(d);
		pg->more = 1;
		return 1;
	}
	if ((pg->count && append(pg, ",", 1)) || append(pg, d, dl)) {
		free(d);
		return 1;
	}
	free(d);
	pg->count++;
	pg->last = r->digest;
	return 0;
}

/* `s` percent-encoded for a query value (malloc'd), or NULL. */
static char *query_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(strlen(s) * 3 + 1), *o = out;
	if (!out)
		return NULL;
	for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
		if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		    (*c >= '0' && *c <= '9') || strchr("-._~", *c)) {
			*o++ = (char)*c;
		} else {
			*o++ = '%';
			*o++ = hex[*c >> 4];
			*o++ = hex[*c & 15];
		}
	}
	*o = 0;
	return out;
}

/* The Link header naming the page after `pg`, or NULL. */
static char *next_link(berth_request *req, const char *subject,
		       const page *pg, int has_n)
{
	char last[BERTH_DIGEST_MAX], n[32] = "";
	digest_format(&pg->last, last);
	const char *prefix = api_registry(req)->cfg->prefix;
	int plen = prefix ? (int)strlen(prefix) : 0;
	while (plen && prefix[plen - 1] == '/')
		plen--;
	if (has_n)
		snprintf(n, sizeof n, "&n=%zu", pg->n);
	char *filter = pg->filter ? query_escape(pg->filter) : NULL;
	if (pg->filter && !filter)
		return NULL;
	char *link = NULL;
	if (asprintf(&link, "<%.*s/v2/%s/referrers/%s?last=%s%s%s%s>; "
			    "rel=\"next\"",
		     plen, prefix ? prefix : "", req->name, subject, last, n,
		     filter ? "&artifactType=" : "", filter ? filter : "") < 0)
		link = NULL;
	free(filter);
	return link;
}

/* The `n` query argument; replies and returns -1 if it is not a
   non-negative integer.  *has is 0 without one. */
static int page_size(berth_request *req, size_t *n, int *has)
{
	const char *q = http_query(req, "n");
	*n = SIZE_MAX;
	*has = 0;
	if (!q)
		return 0;
	size_t x = 0;
	for (const char *c = q; *c; c++) {
		if (*c < '0' || *c > '9')
			goto bad;
		if (x < 100000000)
			x = x * 10 + (size_t)(*c - '0');
	}
	if (!*q)
		goto bad;
	*n = x;
	*has = 1;
	return 0;
bad:
	http_reply_error(req, OCI_PAGINATION_NUMBER_INVALID,
			 "n must be a non-negative integer");
	return -1;
}

void api_referrers(berth_request *req)
{
	berth_digest subject, after;
	if (digest_parse(req->ref, &subject))
		return http_reply_error(req, OCI_DIGEST_INVALID,
					"invalid digest");
	page pg = {0};
	int has_n;
	if (page_size(req, &pg.n, &has_n))
		return;
	pg.filter = http_query(req, "artifactType");
	if (pg.filter && !*pg.filter)
		pg.filter = NULL;
	const char *last = http_query(req, "last");
	if (last && *last && digest_parse(last, &after))
		return http_reply_error(req, OCI_DIGEST_INVALID,
					"last must be a digest");

	append(&pg, PAGE_HEAD, sizeof PAGE_HEAD - 1);
	int rc = pg.oom ? BERTH_E_NOMEM
			: registry_referrers_walk(api_registry(req), req->name,
						  &subject,
						  last && *last ? &after : NULL,
						  add_referrer, &pg);
	if (!rc && (pg.oom || append(&pg, PAGE_TAIL, sizeof PAGE_TAIL - 1)))
		rc = BERTH_E_NOMEM;
	if (rc) {
		free(pg.buf);
		return api_reply_storage_error(req, rc, OCI_UNKNOWN);
	}
	char *link = pg.more && pg.count
			     ? next_link(req, req->ref, &pg, has_n)
			     : NULL;
	const char *h[] = {pg.filter ? "OCI-Filters-Applied" : NULL,
			   "artifactType",
			   link ? "Link" : NULL,
			   link,
			   NULL};
	/* Compact the headers: a NULL name ends the list. */
	const char *hv[5] = {NULL};
	size_t k = 0;
	for (size_t i = 0; i + 1 < sizeof h / sizeof h[0]; i += 2) {
		if (h[i]) {
			hv[k++] = h[i];
			hv[k++] = h[i + 1];
		}
	}
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		pg.len, pg.buf, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(pg.buf);
		free(link);
		return api_reply_storage_error(req, BERTH_E_NOMEM, 0);
	}
	MHD_add_response_header(resp, "Content-Type", MT_OCI_INDEX);
	http_reply_response(req, 200, resp, hv);
	free(link);
}
