/*
 * api/reply.h - replies every endpoint family shares.
 */
#ifndef BERTH_CORE_API_REPLY_H
#define BERTH_CORE_API_REPLY_H

#include "http/request.h"

/**
 * Answer a storage status: `not_found_err` (with its usual status) for
 * BERTH_E_NOT_FOUND, 503 for a throttled or unreachable backend, 507 for
 * a full one, 500 otherwise, with the driver's message as the detail.
 */
void api_reply_storage_error(berth_request *req, int status,
			     oci_error not_found_err);

#endif
