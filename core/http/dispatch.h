/*
 * http/dispatch.h - libmicrohttpd's callbacks, turned into the request
 * model of http/request.h and run on the worker pool.
 *
 * libmicrohttpd runs a few event threads (epoll) that must never block;
 * the steps of a request that may call a storage driver run on the
 * workers (http/workers.h) while the connection is suspended, and the event
 * thread only moves bytes:
 *
 *   headers complete   framing checks (http/framing.h), then on a
 *                      worker the client certificate check
 *                      (http.tls.clientauth, http/tls.h) and the route
 *                      handler;
 *   body               pieces are copied into a staging buffer; a full
 *                      buffer goes to a worker (on_body) while the event
 *                      thread fills the other one, so receiving, hashing
 *                      and writing overlap;
 *   end of body        on_body with what is left, then on_end, on a
 *                      worker;
 *   reply              queued by the event thread.
 *
 * A connection is suspended only while it waits for its own job, so a
 * slow driver call holds one worker and one connection, never an event
 * thread.
 */
#ifndef BERTH_CORE_HTTP_DISPATCH_H
#define BERTH_CORE_HTTP_DISPATCH_H

#include <microhttpd.h>

#include "http/request.h"

/** The route step of a request: picks and runs its handler. */
typedef void (*berth_route_fn)(berth_request *req);

/** What every request is given; the server owns it (`cls` below). */
typedef struct http_dispatch_config {
	berth_route_fn route;
	void *ctx; /* handed to handlers as req->ctx */
	const berth_settings *cfg; /* req->cfg */
	int tls;                   /* req->tls */
} http_dispatch_config;

/** MHD_AccessHandlerCallback; `cls` is the http_dispatch_config. */
enum MHD_Result http_dispatch_access(void *cls, struct MHD_Connection *conn,
				     const char *url, const char *method,
				     const char *version,
				     const char *upload_data,
				     size_t *upload_data_size, void **con_cls);

/** MHD_RequestCompletedCallback. */
void http_dispatch_completed(void *cls, struct MHD_Connection *conn,
			     void **con_cls,
			     enum MHD_RequestTerminationCode toe);

/** MHD_NotifyConnectionCallback: tracks connections in the guard. */
void http_dispatch_connection(void *cls, struct MHD_Connection *conn,
			      void **socket_context,
			      enum MHD_ConnectionNotificationCode code);

/**
 * From now on no new job is started: requests that would need one are
 * answered 503 or their connection closed.  Called before the workers
 * stop, so every suspended connection is resumed before the daemon is.
 */
void http_dispatch_stopping(void);

/** Requests whose headers were read and whose reply is not yet sent. */
unsigned long http_dispatch_inflight(void);

/** Read up to `cap` bytes of a stream into `buf`; *n = 0 at the end.
    Returns 0, or non-zero on an error (the transfer is cut short). */
typedef int (*http_read_fn)(void *src, void *buf, size_t cap, size_t *n);
/** Release a stream's source. */
typedef void (*http_close_fn)(void *src);

/**
 * A response of `len` bytes read from `src` (owned by the response from
 * now on, released with `close`) by the workers, a buffer ahead of the
 * socket, so a slow source never blocks an event thread.  Must be called
 * from a request step (it needs the request's connection).  NULL when
 * out of memory (`src` is closed).
 */
struct MHD_Response *http_stream_response(berth_request *req,
					  http_read_fn read,
					  http_close_fn close, void *src,
					  uint64_t len);

#endif
