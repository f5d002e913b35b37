/*
 * http_object.h - replying with the bytes of a stored object (a blob, a
 * manifest) without holding them in memory: a descriptor the kernel
 * sends from (sendfile), or the driver's reader pulled in bounded
 * pieces.
 */
#ifndef BERTH_CORE_HTTP_OBJECT_H
#define BERTH_CORE_HTTP_OBJECT_H

#include <stdint.h>

#include "errors.h"
#include "http.h"

/** Largest piece a streamed reply holds in memory. */
#define HTTP_OBJECT_BLOCK (256 * 1024)

/**
 * Reply `status` with `len` bytes of the object at driver path `path`
 * from offset `first`, as `content_type`, with `headers` (NULL-terminated
 * name, value pairs; may be NULL).  A HEAD reply reports Content-Length
 * `len` and opens nothing.  The file is handed to sendfile when the
 * driver offers descriptors and http.sendfile allows it for this client
 * (see http_object_use_sendfile), else read through the driver's reader
 * in pieces of at most HTTP_OBJECT_BLOCK bytes.  If the object cannot be
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
