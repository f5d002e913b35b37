/*
 * api/content.h - replying with the bytes of a stored blob (a layer, a
 * config, a manifest) without holding them in memory: from a
 * descriptor, which the kernel sends (sendfile) or the event thread
 * copies, or from the driver's reader, read ahead on the workers so no
 * event thread waits on a remote store.
 */
#ifndef BERTH_CORE_API_CONTENT_H
#define BERTH_CORE_API_CONTENT_H

#include <stdint.h>

#include "common/digest.h"
#include "http/oci_error.h"
#include "http/request.h"

/** Largest piece a streamed reply holds in memory. */
#define API_CONTENT_BLOCK (256 * 1024)

/**
 * Reply `status` with `len` bytes of blob `d` from offset `first`, as
 * `content_type`, with `headers` (NULL-terminated name, value pairs; may
 * be NULL).  A HEAD reply reports Content-Length `len` and opens
 * nothing.  When the driver offers descriptors, the file is handed to
 * sendfile if http.sendfile allows it for this client (see
 * api_content_use_sendfile), else copied in pieces of at most
 * API_CONTENT_BLOCK bytes; other drivers' readers are read ahead on the
 * workers (http_stream_response).  Runs on a request step (a worker).
 * If the blob cannot be opened, replies with the storage error
 * (`not_found` for a missing one).  A transfer cut short by the storage
 * aborts the connection (the client sees fewer bytes than
 * Content-Length).
 */
void api_reply_content(berth_request *req, unsigned status,
		       const berth_digest *d, uint64_t first, uint64_t len,
		       const char *content_type, const char *const *headers,
		       oci_error not_found);

/** Whether http.sendfile lets this request's bytes go through sendfile. */
int api_content_use_sendfile(berth_request *req);

#endif
