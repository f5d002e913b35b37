/*
 * api/base.c - GET /v2/: the version check every client makes first.
 */
#include "api/routes.h"
#include "http/request.h"

void api_base(berth_request *req)
{
	static const char *const headers[] = {"Cache-Control", "no-cache",
					      NULL};
	http_reply_buffer(req, 200, "application/json; charset=utf-8", "{}", 2,
			  headers);
}
