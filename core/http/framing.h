/*
 * http/framing.h - checks on how a request is framed and addressed, made
 * when its headers are complete and before any handler sees it.
 *
 * A request whose length could be read two ways (two Content-Length
 * headers, Content-Length with Transfer-Encoding, a transfer coding the
 * server does not decode) is how requests are smuggled past a proxy that
 * reads it the other way; such a request is answered with an error and
 * its connection closed, so nothing that follows it on the connection is
 * ever taken for another request.
 */
#ifndef BERTH_CORE_HTTP_FRAMING_H
#define BERTH_CORE_HTTP_FRAMING_H

#include <stddef.h>
#include <microhttpd.h>

/**
 * Check the framing of the request on `conn` (HTTP version `version`).
 * Returns 0 when it is sound, else the status to answer (400 or 501) with
 * a reason in *why (static text).
 */
unsigned http_framing_check(struct MHD_Connection *conn, const char *version,
			    const char **why);

/**
 * libmicrohttpd's URL-decoding callback (MHD_OPTION_UNESCAPE_CALLBACK):
 * percent-decodes `s` in place and returns its new length, except that a
 * string that would decode to one with a NUL byte in it is left encoded
 * (the router then sees "%00" and refuses it), so "v1%00.json" can never
 * be read as "v1".
 */
size_t http_unescape(void *cls, struct MHD_Connection *conn, char *s);

#endif
