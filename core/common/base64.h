/*
 * common/base64.h - base64 and base64url (RFC 4648) on top of OpenSSL's block
 * coder, for HTTP Basic credentials, JSON Web Tokens and JWK members.
 */
#ifndef BERTH_CORE_BASE64_H
#define BERTH_CORE_BASE64_H

#include <stddef.h>

/**
 * Decode standard base64 (`url` 0) or base64url (`url` 1) text of `len`
 * bytes.  Padding is optional; characters outside the alphabet are
 * refused.  Returns 0 and a malloc'd buffer (NUL-terminated for
 * convenience, `*outlen` excludes the NUL), or -1.
 */
int berth_base64_decode(const char *in, size_t len, int url,
			unsigned char **out, size_t *outlen);

/** Encode as base64 (`url` 0, padded) or base64url (`url` 1, unpadded).
    Returns a malloc'd string or NULL. */
char *berth_base64_encode(const unsigned char *in, size_t len, int url);

#endif
