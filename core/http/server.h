/*
 * http/server.h - the HTTP server: listens, admits and limits
 * connections (http/conn_guard.h), and runs each request's steps on the
 * worker pool (http/dispatch.h).  What runs a request is the caller's:
 * the server knows neither the endpoints nor storage.
 */
#ifndef BERTH_CORE_HTTP_SERVER_H
#define BERTH_CORE_HTTP_SERVER_H

#include <stddef.h>

#include "config.h"
#include "http/dispatch.h"

typedef struct berth_server berth_server;

typedef struct http_server_options {
	const berth_settings *cfg; /* http.*: address, limits, timeouts */
	int tls;                   /* serve HTTPS (http/tls.c initialised) */
	berth_route_fn route;      /* each request's route step */
	void *ctx; /* handed to the handlers as req->ctx */
} http_server_options;

/**
 * Start listening and serving.  The caller blocks SIGINT, SIGTERM and
 * SIGHUP in every thread first if it waits for them (the server's
 * threads inherit the mask).  Returns the server, or NULL with a
 * message in err.
 */
berth_server *http_server_start(const http_server_options *o, char *err,
				 size_t errlen);

/**
 * Stop accepting: the listening socket is closed (new connections are
 * refused); connections open go on being served.  Idempotent.
 */
void http_server_quiesce(berth_server *srv);

/** Requests under way now (headers read, reply not yet sent). */
unsigned long http_server_inflight(const berth_server *srv);

/**
 * Stop: no new connection and no new request; the requests under way
 * finish their storage steps; then every connection is closed.
 */
void http_server_stop(berth_server *srv);

#endif
