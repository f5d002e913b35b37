/*
 * http/errors.h - the OCI distribution error codes and their HTTP statuses,
 * and the JSON error body every failed API call returns.
 */
#ifndef BERTH_CORE_ERRORS_H
#define BERTH_CORE_ERRORS_H

typedef enum berth_api_error {
	BERTH_ERR_BLOB_UNKNOWN,          /* 404 */
	BERTH_ERR_BLOB_UPLOAD_INVALID,   /* 400 (416 for bad ranges) */
	BERTH_ERR_BLOB_UPLOAD_UNKNOWN,   /* 404 */
	BERTH_ERR_DIGEST_INVALID,        /* 400 */
	BERTH_ERR_MANIFEST_BLOB_UNKNOWN, /* 400 */
	BERTH_ERR_MANIFEST_INVALID,      /* 400 */
	BERTH_ERR_MANIFEST_UNKNOWN,      /* 404 */
	BERTH_ERR_NAME_INVALID,          /* 400 */
	BERTH_ERR_NAME_UNKNOWN,          /* 404 */
	BERTH_ERR_SIZE_INVALID,          /* 400 */
	BERTH_ERR_UNAUTHORIZED,          /* 401 */
	BERTH_ERR_DENIED,                /* 403 */
	BERTH_ERR_UNSUPPORTED,           /* 405 / 415 */
	BERTH_ERR_TOOMANYREQUESTS,       /* 429 */
	BERTH_ERR_RANGE_INVALID,         /* 416 (Docker's extension) */
	BERTH_ERR_PAGINATION_NUMBER_INVALID, /* 400 */
	BERTH_ERR_TAG_INVALID,           /* 400 */
	BERTH_ERR_UNKNOWN,               /* 500 */
	BERTH_ERR_UNAVAILABLE,           /* 503 */
	BERTH_ERR__COUNT
} berth_api_error;

/** The code string, e.g. "BLOB_UNKNOWN". */
const char *berth_api_error_code(berth_api_error e);

/** The default HTTP status for the error. */
unsigned berth_api_error_status(berth_api_error e);

/** The spec's default message, e.g. "blob unknown to registry". */
const char *berth_api_error_message(berth_api_error e);

/**
 * Build the JSON body {"errors":[{"code":..,"message":..,"detail":..}]}.
 * `message` NULL means the default message; `detail` may be NULL (then
 * the member is omitted) or any string.  Returns a malloc'd string.
 */
char *berth_api_error_json(berth_api_error e, const char *message,
			   const char *detail);

#endif
