/*
 * api/object.h - replying with the bytes of a stored object (a blob, a
 * manifest) without holding them in memory: from a descriptor, which the
 * kernel sends (sendfile) or the event thread copies, or from the
 * driver's reader, read ahead on the workers so no event thread waits
 * on a remote store.
 */
#ifndef BERTH_CORE_HTTP_OBJECT_H
#define BERTH_CORE_HTTP_OBJECT_H

#include <stdint.h>

#include "http/errors.h"
#include "http/request.h"

/** Largest piece a streamed reply holds in memory. */
#define HTTP_OBJECT_BLOCK (256 * 1024)

/**
 * Reply `status` with `len` bytes of the object at driver path `path`
 * from offset `first`, as `content_type`, with `headers` (NULL-terminated
 * name, value pairs; may be NULL).  A HEAD reply reports Content-Length
 * `len` and opens nothing.  When the driver offers descriptors, the file
 * is handed to sendfile if http.sendfile allows it for this client (see
 * http_object_use_sendfile), else copied in pieces of at most
 * HTTP_OBJECT_BLOCK bytes; other drivers' readers are read ahead on the
 * workers (http_stream_response).  Must run on a request step (a
 * worker).  If the object cannot be
 * opened, replies with the storage error (`not_found` for a missing
 * object).  A transfer cut short by the storage aborts the connection
 * (the client sees fewer bytes than Content-Length).
 */
void http_reply_object(berth_request *req, unsigned status, const char *path,
		       uint64_t first, uint64_t len, const char *content_type,
		       const char *const *headers, berth_api_error not_found);

/** Whether http.sendfile lets this request's bytes go through sendfile. */
int http_object_use_sendfile(berth_request *req);

#endif
