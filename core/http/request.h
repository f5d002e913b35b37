/*
 * http/request.h - the request model shared by the server and the API handlers.
 *
 * libmicrohttpd calls the access handler several times per request: once
 * with headers only, then once per piece of request body, then once with
 * no body left.  The server turns that into three steps a handler sees:
 *
 *   1. the route handler runs once with headers; it either replies at once
 *      (http_reply_*), or installs body callbacks with http_expect_body();
 *   2. on_body() is called for each piece of the body (bounded memory);
 *      it returns 0, or -1 after recording an error reply, after which the
 *      rest of the body is discarded;
 *   3. on_end() is called when the body is complete and must reply.
 *
 * on_cleanup() runs once: on the worker that decided the reply, before
 * the reply is queued, or when the request ends without one (a
 * disconnect).
 *
 * Threads (http/dispatch.c): the route handler, on_body and on_end run
 * on the worker pool and may block on storage; they run one at a time
 * per request, in order.  on_body may run while the next piece of the
 * body is being received, so it must not read request headers or query
 * arguments (take what it needs in the route handler).
 */
#ifndef BERTH_CORE_HTTP_REQUEST_H
#define BERTH_CORE_HTTP_REQUEST_H

#include <stddef.h>
#include <stdint.h>
#include <microhttpd.h>

#include "config.h"
#include "http/oci_error.h"

/* Room for a URL path the API builds ("/v2/<name>/<kind>/<ref>"). */
#define HTTP_URL_PATH_MAX 1024

typedef struct berth_request berth_request;

typedef int (*berth_body_cb)(berth_request *req, const char *data,
			     size_t len);
typedef void (*berth_end_cb)(berth_request *req);
typedef void (*berth_cleanup_cb)(berth_request *req);

struct berth_request {
	struct MHD_Connection *conn;
	void *ctx; /* the route's context (http_server_options.ctx): HTTP
		      never looks inside */
	const berth_settings *cfg;
	int tls;            /* served over HTTPS */
	const char *method; /* "GET", "HEAD", ... */
	int is_head;
	const char *path;   /* URL path without http.prefix and query */

	/* Route captures (filled by the router). */
	char name[256];     /* repository name */
	char ref[160];      /* tag, digest or upload id */

	/* Body handling, installed by http_expect_body. */
	berth_body_cb on_body;
	berth_end_cb on_end;
	berth_cleanup_cb on_cleanup;
	void *state;        /* handler-owned, freed in on_cleanup */
	uint64_t body_bytes;

	/* Reply, queued when the request completes. */
	struct MHD_Response *response;
	unsigned status;
	int replied;
	int body_failed;    /* on_body failed: discard the rest */
	int started;        /* route handler already ran */
};

/** Request header value or NULL (case-insensitive name). */
const char *http_header(berth_request *req, const char *name);
/** Query argument value or NULL; "" for a key without value. */
const char *http_query(berth_request *req, const char *key);
/** Call `fn` with every value of the query argument `key`, in order of
    appearance ("" for a key without value). */
void http_query_each(berth_request *req, const char *key,
		     void (*fn)(void *cls, const char *value), void *cls);

/** Install body callbacks (step 1 of the model above). */
void http_expect_body(berth_request *req, berth_body_cb on_body,
		      berth_end_cb on_end);

/*
 * Replies.  Each creates the response and records it; the server queues it.
 * `headers` is a NULL-terminated array of name, value, name, value, ...
 * (may be NULL).  Strings are copied.
 */
void http_reply_error(berth_request *req, oci_error err,
		      const char *detail);
/** Like http_reply_error but with an explicit status. */
void http_reply_error_status(berth_request *req, unsigned status,
			     oci_error err, const char *detail);
void http_reply_empty(berth_request *req, unsigned status,
		      const char *const *headers);
/** Body is copied; for HEAD the body is dropped but Content-Length kept. */
void http_reply_buffer(berth_request *req, unsigned status,
		       const char *content_type, const void *body,
		       size_t len, const char *const *headers);
/** Takes ownership of an MHD response already built by the caller. */
void http_reply_response(berth_request *req, unsigned status,
			 struct MHD_Response *resp,
			 const char *const *headers);

/**
 * Build the absolute-or-relative URL for a path like "/v2/foo/blobs/..."
 * honouring http.host, http.relativeurls and the Host header.  Returns a
 * malloc'd string.
 */
char *http_location(berth_request *req, const char *path);

/** 1 if `sa` is a loopback address (127.0.0.0/8, ::1, ::ffff:127.x). */
int http_addr_is_loopback(const struct sockaddr *sa);
/** 1 if the client of `req` connected from a loopback address. */
int http_peer_is_loopback(berth_request *req);

#endif
