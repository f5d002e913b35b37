/*
 * api/context.h - what an endpoint answers from: the registry the
 * application handed the server as the route's context
 * (http_server_options.ctx), which HTTP carries without looking inside.
 */
#ifndef BERTH_CORE_API_CONTEXT_H
#define BERTH_CORE_API_CONTEXT_H

#include "http/request.h"
#include "registry/registry.h"

/** The registry `req` works on (borrowed: it outlives every request). */
static inline berth_registry *api_registry(const berth_request *req)
{
	return req->ctx;
}

#endif
