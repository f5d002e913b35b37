/*
 * sigv4.h - AWS Signature Version 4 for the S3 driver: canonical request,
 * string to sign, signing key and the two ways of carrying the result
 * (Authorization header, presigned query string).  Kept apart from the
 * driver so the unit tests can check it against the published examples.
 * Depends on the driver SDK's crypto and encoding helpers only (SHA-256,
 * HMAC and hex from crypto.c/encoding.c; URI encoding is
 * berth_sdk_url_encode with keep_slash).
 */
#ifndef BERTH_DRIVERS_S3_SIGV4_H
#define BERTH_DRIVERS_S3_SIGV4_H

#include <stddef.h>

/* SHA-256 of the empty string, the payload hash of body-less requests. */
#define S3_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* A name/value pair: a query parameter (raw, not yet encoded) or a request
   header (lower-case name, value as sent). */
typedef struct s3_kv {
	const char *k;
	const char *v;
} s3_kv;

/* Who signs and for which scope. */
typedef struct s3_signer {
	const char *access_key;
	const char *secret_key;
	const char *region;
	const char *service; /* "s3" */
} s3_signer;

/* Canonical query string: parameters encoded and sorted by name (then
   value).  Also usable verbatim as the URL's query.  malloc'd. */
char *s3_canonical_query(const s3_kv *params, size_t n);

/* The Authorization header value for a request.  `headers` must include
   host and x-amz-date (and x-amz-content-sha256 for S3); every header
   given is signed.  `canonical_uri` is already encoded, `query` is the
   canonical query ("" for none), `amz_date` is YYYYMMDD'T'HHMMSS'Z'.
   malloc'd; NULL on ENOMEM. */
char *s3_sigv4_authorization(const s3_signer *sg, const char *method,
			     const char *canonical_uri, const char *query,
			     const s3_kv *headers, size_t nheaders,
			     const char *payload_hash, const char *amz_date);

/* A presigned query string (signed header: host only, payload
   UNSIGNED-PAYLOAD): the canonical query of `extra` plus the X-Amz-*
   parameters, ending with &X-Amz-Signature=...  malloc'd. */
char *s3_sigv4_presign(const s3_signer *sg, const char *method,
		       const char *canonical_uri, const char *host,
		       const s3_kv *extra, size_t nextra, const char *amz_date,
		       long expires);

#endif /* BERTH_DRIVERS_S3_SIGV4_H */
