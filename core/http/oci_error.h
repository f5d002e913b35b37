/*
 * http/oci_error.h - the OCI distribution error codes and their HTTP statuses,
 * and the JSON error body every failed API call returns.
 */
#ifndef BERTH_CORE_HTTP_OCI_ERROR_H
#define BERTH_CORE_HTTP_OCI_ERROR_H

typedef enum oci_error {
	OCI_BLOB_UNKNOWN,          /* 404 */
	OCI_BLOB_UPLOAD_INVALID,   /* 400 (416 for bad ranges) */
	OCI_BLOB_UPLOAD_UNKNOWN,   /* 404 */
	OCI_DIGEST_INVALID,        /* 400 */
	OCI_MANIFEST_BLOB_UNKNOWN, /* 400 */
	OCI_MANIFEST_INVALID,      /* 400 */
	OCI_MANIFEST_UNKNOWN,      /* 404 */
	OCI_NAME_INVALID,          /* 400 */
	OCI_NAME_UNKNOWN,          /* 404 */
	OCI_SIZE_INVALID,          /* 400 */
	OCI_UNAUTHORIZED,          /* 401 */
	OCI_DENIED,                /* 403 */
	OCI_UNSUPPORTED,           /* 405 / 415 */
	OCI_TOOMANYREQUESTS,       /* 429 */
	OCI_RANGE_INVALID,         /* 416 (Docker's extension) */
	OCI_PAGINATION_NUMBER_INVALID, /* 400 */
	OCI_TAG_INVALID,           /* 400 */
	OCI_UNKNOWN,               /* 500 */
	OCI_UNAVAILABLE,           /* 503 */
	OCI__COUNT
} oci_error;

/** The code string, e.g. "BLOB_UNKNOWN". */
const char *oci_error_code(oci_error e);

/** The default HTTP status for the error. */
unsigned oci_error_status(oci_error e);

/** The spec's default message, e.g. "blob unknown to registry". */
const char *oci_error_message(oci_error e);

/**
 * Build the JSON body {"errors":[{"code":..,"message":..,"detail":..}]}.
 * `message` NULL means the default message; `detail` may be NULL (then
 * the member is omitted) or any string.  Returns a malloc'd string.
 */
char *oci_error_json(oci_error e, const char *message,
			   const char *detail);

#endif
