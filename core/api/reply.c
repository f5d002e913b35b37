/*
 * api/reply.c - replies every endpoint family shares (see api/reply.h).
 */
#include <stdio.h>

#include <berth/storage.h>

#include "api/reply.h"
#include "registry/status.h"

void api_reply_storage_error(berth_request *req, int status,
			     oci_error not_found_err)
{
	const char *detail = registry_status_detail();
	char buf[1200];
	if (status == BERTH_E_NOT_FOUND) {
		http_reply_error(req, not_found_err, NULL);
		return;
	}
	snprintf(buf, sizeof buf, "storage: %s%s%s", registry_status_name(status),
		 *detail ? ": " : "", detail);
	switch (status) {
	case BERTH_E_THROTTLED:
		http_reply_error_status(req, 503, OCI_TOOMANYREQUESTS, buf);
		break;
	case BERTH_E_UNAVAILABLE:
		http_reply_error_status(req, 503, OCI_UNAVAILABLE, buf);
		break;
	case BERTH_E_NO_SPACE:
		http_reply_error_status(req, 507, OCI_UNKNOWN, buf);
		break;
	default:
		http_reply_error_status(req, 500, OCI_UNKNOWN, buf);
	}
}
