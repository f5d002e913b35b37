/*
 * http/framing.c - request framing checks (see http/framing.h).
 *
 * libmicrohttpd parses the request; these checks only count and compare
 * the header fields it parsed (RFC 9112 section 6): libmicrohttpd reads
 * the first Content-Length of several, lets Transfer-Encoding win over
 * Content-Length, and reads a body of unknown coding until the connection
 * closes, each of which a proxy in front may do differently.
 */
#include <string.h>
#include <strings.h>

#include "http/framing.h"

typedef struct framing {
	unsigned content_length, transfer_encoding, host;
	int te_chunked;   /* the one Transfer-Encoding is exactly "chunked" */
	int bad_name;     /* a field name with white space or a control byte */
} framing;

static enum MHD_Result count_field(void *cls, enum MHD_ValueKind kind,
				   const char *key, size_t key_size,
				   const char *value, size_t value_size)
{
	framing *f = cls;
	(void)kind;
	for (size_t i = 0; i < key_size; i++)
		if ((unsigned char)key[i] <= ' ' || key[i] == 0x7f)
			f->bad_name = 1;
	if (key_size == 14 && !strncasecmp(key, "Content-Length", 14))
		f->content_length++;
	else if (key_size == 4 && !strncasecmp(key, "Host", 4))
		f->host++;
	else if (key_size == 17 && !strncasecmp(key, "Transfer-Encoding", 17)) {
		f->transfer_encoding++;
		/* Only the exact coding is decoded; "chunked " or "gzip,
		   chunked" would be read by libmicrohttpd as a body of
		   unknown length. */
		f->te_chunked = value && value_size == 7 &&
				!strncasecmp(value, "chunked", 7);
	}
	return MHD_YES;
}

unsigned http_framing_check(struct MHD_Connection *conn, const char *version,
			    const char **why)
{
	framing f = {0};
	MHD_get_connection_values_n(conn, MHD_HEADER_KIND, count_field, &f);
	int http10 = version && !strcmp(version, MHD_HTTP_VERSION_1_0);
	if (f.bad_name) {
		*why = "a header field name holds white space or a control "
		       "character";
		return 400;
	}
	if (f.content_length > 1) {
		*why = "more than one Content-Length header";
		return 400;
	}
	if (f.transfer_encoding && f.content_length) {
		*why = "both Content-Length and Transfer-Encoding";
		return 400;
	}
	if (f.transfer_encoding && http10) {
		*why = "Transfer-Encoding in an HTTP/1.0 request";
		return 400;
	}
	if (f.transfer_encoding > 1 || (f.transfer_encoding && !f.te_chunked)) {
		*why = "unsupported transfer coding: only \"chunked\" is "
		       "accepted";
		return 501;
	}
	if (!http10 && f.host != 1) {
		*why = f.host ? "more than one Host header"
			      : "an HTTP/1.1 request without a Host header";
		return 400;
	}
	return 0;
}

size_t http_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	(void)cls;
	(void)conn;
	/* "%00" is the only escape that decodes to a NUL byte. */
	if (strstr(s, "%00"))
		return strlen(s);
	return MHD_http_unescape(s);
}
