/*
 * http/range.h - parsing of the HTTP range headers the API uses.  Written by
 * hand because libmicrohttpd has no Range support; both parsers reject
 * anything but the single-range byte forms the registry serves.
 */
#ifndef BERTH_CORE_HTTP_RANGE_H
#define BERTH_CORE_HTTP_RANGE_H

#include <stdint.h>

typedef enum berth_range_result {
	BERTH_RANGE_OK = 0,            /**< *first..*last (inclusive) valid */
	BERTH_RANGE_NONE = 1,          /**< header should be ignored (RFC 9110:
					    syntactically invalid Range) */
	BERTH_RANGE_UNSATISFIABLE = 2, /**< answer 416 */
} berth_range_result;

/**
 * Parse a request `Range` header against a resource of `size` bytes.
 * Accepts "bytes=a-b", "bytes=a-" and "bytes=-n" (suffix).  A last beyond
 * the end is clamped to size-1.  Multiple ranges are answered as NONE
 * (the full body is sent, which RFC 9110 allows).
 */
berth_range_result range_parse(const char *header, uint64_t size,
				     uint64_t *first, uint64_t *last);

/**
 * Parse an upload `Content-Range` header: "a-b" or "bytes a-b" (with
 * optional "/total" or "/ *" (star) suffix).  Returns 0 on success with the
 * inclusive bounds, -1 if malformed or b < a.
 */
int range_content_parse(const char *header, uint64_t *first,
			      uint64_t *last);

#endif
