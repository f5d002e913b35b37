/*
 * berth/sdk.h - helpers for storage driver authors (libberth-driver.a).
 *
 * Everything a driver needs again and again and should not get subtly
 * wrong: the ABI's path grammar, error reporting through the host table,
 * hex/base64/percent encoding, SHA-256/HMAC/MD5 over OpenSSL, an HTTP
 * client over libcurl with retries and connection reuse, and small XML
 * helpers over libxml2.  Link it statically into the driver:
 *
 *     cc $(pkg-config --cflags berth-driver) -shared -fPIC \
 *        -fvisibility=hidden -o storage-NAME.so *.c \
 *        $(pkg-config --libs berth-driver)
 *
 * The SDK's symbols have hidden visibility (see below), so none of them
 * leaks out of the .so and two drivers built against different SDK
 * versions never clash; with -fvisibility=hidden the driver's own symbols
 * stay private too, and only the entry point is exported.
 *
 * Conventions (true for every function below unless it says otherwise):
 *  - Functions returning `int` return BERTH_OK (0) or a negative
 *    berth_status, like the ABI itself.
 *  - `const char *` arguments are borrowed for the duration of the call.
 *  - Memory returned to the caller comes from malloc() and is released
 *    with free() (or the named *_free function).  It is NOT host->alloc
 *    memory: copy into host->alloc memory before handing a buffer to the
 *    core (berth_sdk_host_dup does that).
 *  - Everything is thread-safe: functions keep no hidden global state
 *    except one-time library initialisation (done with pthread_once), and
 *    objects (berth_sdk_http) that say so may be shared by threads.
 *    berth_sdk_buf, berth_sdk_hash and berth_sdk_xml values belong to one
 *    thread at a time.
 */
#ifndef BERTH_SDK_H
#define BERTH_SDK_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <berth/storage.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every SDK function has hidden visibility: linked into a driver .so it
   stays private to that driver whatever flags the driver is built with. */
#if defined(__GNUC__)
#pragma GCC visibility push(hidden)
#endif

/** SDK version, independent of the ABI version. */
#define BERTH_SDK_VERSION "1.1.0"

/*
 * History (additions only; nothing earlier changes meaning or place):
 *  1.1.0  berth_sdk_buf_reserve; berth_sdk_http_request.timeout_ms,
 *         .retry_check, .retry_payload; berth_sdk_http_response.error;
 *         berth_sdk_http_parse_date.  The client now rewinds request
 *         bodies when libcurl must resend one on a new connection, and
 *         sizes buffered response bodies from their Content-Length.
 */

/* ================================================================== */
/* Paths (path.c)                                                      */
/* ================================================================== */

/** Flags for berth_sdk_path_valid. */
enum {
	/** Accept "/" itself (list, walk and stat take it). */
	BERTH_SDK_PATH_ALLOW_ROOT = 1u << 0,
};

/**
 * Non-zero when `path` matches the ABI's grammar ^(/[A-Za-z0-9._-]+)+$,
 * or is "/" with BERTH_SDK_PATH_ALLOW_ROOT, and no component is "." or
 * "..".  NULL is invalid.
 */
int berth_sdk_path_valid(const char *path, unsigned flags);

/**
 * Non-zero when `name` is one valid path component: [A-Za-z0-9._-]+ and
 * neither "." nor "..".  For telling a backend's own entries from the
 * ones it keeps for itself (a '~' in a name can never be a path's).
 */
int berth_sdk_path_name_valid(const char *name);

/**
 * BERTH_OK when valid; otherwise reports "<driver>: invalid path "..."
 * through host->error and returns BERTH_E_INVALID_PATH.  `host` may be
 * NULL (no message is recorded then).
 */
int berth_sdk_path_check(const berth_host *host, const char *driver,
			 const char *path, unsigned flags);

/**
 * Join two path pieces with exactly one '/' between them ("/a" + "b",
 * "/a/" + "/b" and "/" + "b" give "/a/b", "/b").  Either may be empty.
 * Returns malloc'd memory, NULL when out of memory.  Does not validate.
 */
char *berth_sdk_path_join(const char *base, const char *rel);

/**
 * Non-zero when `path` equals `dir` or lies below it: "/a/b" is under
 * "/a", "/ab" is not.  Everything is under "/".
 */
int berth_sdk_path_under(const char *path, const char *dir);

/**
 * Length of the parent of `path` ("/a/b" -> 2 for "/a"; "/a" -> 1 for
 * "/"; "/" -> 1).  Use as berth_sdk_path_parent_len(p) to slice p.
 */
size_t berth_sdk_path_parent_len(const char *path);

/** The last component of `path` (a pointer into it); "" for "/". */
const char *berth_sdk_path_base(const char *path);

/**
 * Compare two paths in walk order: component by component, each in byte
 * order, a parent before its children ("/a" < "/a/x" < "/a-b", although
 * '-' < '/' in ASCII).  Returns <0, 0, >0 like strcmp.
 */
int berth_sdk_path_cmp(const char *a, const char *b);

/* ================================================================== */
/* Errors and logging (error.c)                                        */
/* ================================================================== */

/**
 * Record the error message "<driver>: <fmt...>" with host->error and
 * return `code`, so a method can end with
 *     return berth_sdk_error(host, "s3", BERTH_E_IO, "PUT %s: %ld", p, st);
 * `host` may be NULL (then only `code` is returned).  The message is
 * truncated at 1 KiB.
 */
int berth_sdk_error(const berth_host *host, const char *driver, int code,
		    const char *fmt, ...) BERTH_PRINTF(4, 5);

/** berth_sdk_error with a va_list. */
int berth_sdk_verror(const berth_host *host, const char *driver, int code,
		     const char *fmt, va_list ap) BERTH_PRINTF(4, 0);

/**
 * Report an errno value: the status is berth_sdk_errno_status(err) and the
 * message "<driver>: <fmt...>: <strerror(err)>".  Returns the status.
 */
int berth_sdk_error_errno(const berth_host *host, const char *driver,
			  int err, const char *fmt, ...) BERTH_PRINTF(4, 5);

/**
 * Map the errno of a failed system call to a berth_status:
 * ENOENT/ENOTDIR -> NOT_FOUND, EACCES/EPERM/EROFS -> PERMISSION,
 * ENOSPC/EDQUOT/EFBIG -> NO_SPACE (EFBIG: the object is larger than the
 * backend or the process may store), ENOMEM -> NOMEM, ENAMETOOLONG ->
 * INVALID_PATH, ETIMEDOUT/ECONNREFUSED/ECONNRESET/ECONNABORTED/ENOTCONN/
 * EHOSTUNREACH/ENETUNREACH/ENETDOWN/EHOSTDOWN/ESTALE -> UNAVAILABLE (a
 * network filesystem or FUSE backend that went away: retryable),
 * EAGAIN/EBUSY -> THROTTLED, 0 -> OK, anything else -> IO.  EINVAL is IO
 * too: a driver checks its arguments before the call, so EINVAL means
 * the backend cannot do what was asked, not that the caller erred.
 */
int berth_sdk_errno_status(int err);

/** Upper-case name of a status ("NOT_FOUND"; "UNKNOWN" for others). */
const char *berth_sdk_status_name(int code);

/**
 * Parse a status name as written in configuration: "io", "notfound",
 * "not_found", "NOT-FOUND", "nospace", "throttled"... (case and '_'/'-'
 * insensitive).  Returns the negative status, or BERTH_OK when `name` is
 * not a known status.
 */
int berth_sdk_status_parse(const char *name);

/** Log "<driver>: <fmt...>" through host->log (no-op if host is NULL). */
void berth_sdk_log(const berth_host *host, const char *driver,
		   berth_log_level level, const char *fmt, ...)
	BERTH_PRINTF(4, 5);

/**
 * Copy `len` bytes into host->alloc memory with a terminating NUL (the
 * form get_content and redirect_url hand to the core).  NULL when out of
 * memory.
 */
char *berth_sdk_host_dup(const berth_host *host, const void *data,
			 size_t len);

/* ================================================================== */
/* Descriptors (descriptor.c)                                          */
/* ================================================================== */

/**
 * Check a driver's descriptor as Berth's loader does before calling
 * anything through it (for programs that load drivers themselves, like a
 * driver wrapping another one):
 *  - abi_major is this header's BERTH_STORAGE_ABI_MAJOR (else
 *    BERTH_E_UNSUPPORTED, the message naming both versions);
 *  - struct_size covers at least the frozen head, and reserved is 0;
 *  - name is set, printable ASCII without blanks, at most 64 bytes;
 *    version is set and not empty;
 *  - every required ABI 1.0 member is set (create .. remove);
 *  - every claimed capability has its member: REDIRECT redirect_url,
 *    NATIVE_WALK walk, FILE_DESCRIPTOR open_fd.
 * Members are read from a copy padded to this header's size: a member
 * beyond the driver's struct_size is missing, and members of a later
 * minor are ignored.  On success that copy is stored in *out (when `out`
 * is not NULL); otherwise BERTH_E_INVALID_ARGUMENT (or UNSUPPORTED) with
 * a one-line message naming `file` in `err` (`errlen` bytes, may be 0).
 * `desc` may be NULL (a driver whose entry returned nothing).
 */
int berth_sdk_descriptor_check(const berth_storage_driver *desc,
			       const char *file, berth_storage_driver *out,
			       char *err, size_t errlen);

/* ================================================================== */
/* Configuration values (config.c)                                     */
/* ================================================================== */

/**
 * Parse YAML-style booleans: true/false, yes/no, on/off, 1/0 (any case).
 * BERTH_OK and *out = 0/1, or BERTH_E_CONFIG.
 */
int berth_sdk_parse_bool(const char *s, int *out);

/** Parse a decimal integer in [min, max].  BERTH_OK or BERTH_E_CONFIG. */
int berth_sdk_parse_int(const char *s, int64_t min, int64_t max,
			int64_t *out);

/** Parse a finite real number in [min, max].  BERTH_OK or CONFIG. */
int berth_sdk_parse_double(const char *s, double min, double max,
			   double *out);

/**
 * Parse a size with an optional binary suffix: "512", "64k", "5M",
 * "1G", "2T" (also "KiB", "MB"... all binary).  BERTH_OK or CONFIG.
 */
int berth_sdk_parse_size(const char *s, uint64_t *out);

/* ================================================================== */
/* Growable byte buffer (buf.c)                                        */
/* ================================================================== */

/**
 * A growable buffer; zero-initialise it ({0}).  `data` is always
 * NUL-terminated after a successful append (not counted in `len`).
 */
typedef struct berth_sdk_buf {
	char *data;
	size_t len;
	size_t cap;
} berth_sdk_buf;

/** Append bytes.  BERTH_OK or BERTH_E_NOMEM (buffer unchanged). */
int berth_sdk_buf_append(berth_sdk_buf *b, const void *data, size_t len);
/** Append printf-style text.  BERTH_OK or BERTH_E_NOMEM. */
int berth_sdk_buf_printf(berth_sdk_buf *b, const char *fmt, ...)
	BERTH_PRINTF(2, 3);
/**
 * Make room for `extra` more bytes (plus the NUL) without changing the
 * contents, so appends up to that size do not reallocate.  BERTH_OK or
 * BERTH_E_NOMEM (buffer unchanged).  Added in 1.1.0.
 */
int berth_sdk_buf_reserve(berth_sdk_buf *b, size_t extra);
/** Hand the data to the caller (malloc'd, never NULL unless out of
    memory) and reset the buffer. */
char *berth_sdk_buf_steal(berth_sdk_buf *b, size_t *len);
/** Release the data and reset the buffer. */
void berth_sdk_buf_free(berth_sdk_buf *b);

/* ================================================================== */
/* Encodings (encoding.c)                                              */
/* ================================================================== */

/**
 * Lower-case hex of `len` bytes into `out`, which must hold 2*len+1
 * bytes (NUL-terminated).  Returns 2*len.
 */
size_t berth_sdk_hex_encode(const void *data, size_t len, char *out);

/**
 * Decode `len` hex digits (either case; `len` even) into `out` of `cap`
 * bytes.  BERTH_OK with *out_len, or BERTH_E_INVALID_ARGUMENT on a bad
 * digit, odd length or short `out`.
 */
int berth_sdk_hex_decode(const char *hex, size_t len, void *out, size_t cap,
			 size_t *out_len);

/** Base64 alphabets. */
enum {
	BERTH_SDK_B64_STD = 0,    /**< RFC 4648 §4, with '=' padding */
	BERTH_SDK_B64_URL = 1,    /**< RFC 4648 §5, '-' '_', no padding */
};

/** Base64 of `len` bytes; malloc'd NUL-terminated text or NULL. */
char *berth_sdk_base64_encode(const void *data, size_t len, int alphabet);

/**
 * Decode base64 (padding optional, no whitespace).  *out is malloc'd
 * (NUL-terminated, not counted).  BERTH_OK, BERTH_E_INVALID_ARGUMENT or
 * BERTH_E_NOMEM.
 */
int berth_sdk_base64_decode(const char *text, size_t len, int alphabet,
			    unsigned char **out, size_t *out_len);

/**
 * Percent-encode everything but the RFC 3986 unreserved characters
 * (A-Z a-z 0-9 - . _ ~), and '/' too when keep_slash is non-zero (the
 * form S3 SigV4 and most object stores want).  Malloc'd text or NULL.
 */
char *berth_sdk_url_encode(const char *s, int keep_slash);

/* ================================================================== */
/* Hashes and MACs over OpenSSL EVP (crypto.c)                         */
/* ================================================================== */

#define BERTH_SDK_SHA256_LEN 32
#define BERTH_SDK_MD5_LEN 16

/** SHA-256 of a buffer.  BERTH_OK or BERTH_E_IO (OpenSSL failure). */
int berth_sdk_sha256(const void *data, size_t len,
		     unsigned char out[BERTH_SDK_SHA256_LEN]);
/** SHA-256 as 64 lower-case hex digits + NUL. */
int berth_sdk_sha256_hex(const void *data, size_t len, char out[65]);
/** HMAC-SHA256 of `data` with `key`. */
int berth_sdk_hmac_sha256(const void *key, size_t key_len, const void *data,
			  size_t len, unsigned char out[BERTH_SDK_SHA256_LEN]);
/** MD5 (for Content-MD5 headers and ETags, not for security). */
int berth_sdk_md5(const void *data, size_t len,
		  unsigned char out[BERTH_SDK_MD5_LEN]);

/** Incremental hashing, e.g. over a stream a writer receives. */
typedef struct berth_sdk_hash berth_sdk_hash;
typedef enum berth_sdk_hash_alg {
	BERTH_SDK_HASH_SHA256 = 0,
	BERTH_SDK_HASH_MD5 = 1,
} berth_sdk_hash_alg;

/** New hash state (NULL when out of memory or OpenSSL fails). */
berth_sdk_hash *berth_sdk_hash_new(berth_sdk_hash_alg alg);
int berth_sdk_hash_update(berth_sdk_hash *h, const void *data, size_t len);
/** Finish into `out` (32 or 16 bytes); *out_len gets the length.  The
    state may be updated again afterwards only after hash_reset. */
int berth_sdk_hash_final(berth_sdk_hash *h, unsigned char *out,
			 size_t *out_len);
/** Start over with the same algorithm. */
int berth_sdk_hash_reset(berth_sdk_hash *h);
void berth_sdk_hash_free(berth_sdk_hash *h);

/* ================================================================== */
/* HTTP over libcurl (http.c)                                         */
/* ================================================================== */

/**
 * A client: settings plus a pool of curl handles sharing one CURLSH
 * (DNS cache, connection cache, TLS sessions), so consecutive requests
 * from any thread reuse connections.  Thread-safe: create one per driver
 * instance and use it from every thread.
 */
typedef struct berth_sdk_http berth_sdk_http;

/** Client settings; zero means "the default" for every member. */
typedef struct berth_sdk_http_options {
	const berth_host *host;  /**< for error messages (may be NULL) */
	const char *driver;      /**< name prefixed to messages ("s3") */
	long connect_timeout_ms; /**< default 10000 */
	long timeout_ms;         /**< whole request; default 0 = none */
	long low_speed_time_s;   /**< abort below 1 byte/s for this long;
				      default 60 */
	int max_retries;         /**< retries after the first try; default
				      3, negative = none */
	long backoff_base_ms;    /**< first backoff; default 100 */
	long backoff_max_ms;     /**< cap on one backoff; default 10000 */
	const char *user_agent;  /**< default "berth-driver-sdk/1.0" */
	const char *ca_file;     /**< CA bundle; default: system's */
	int insecure;            /**< non-zero: do not verify TLS peers */
	size_t max_body;         /**< cap on a buffered response body;
				      default 64 MiB */
} berth_sdk_http_options;

/**
 * Request body producer: fill up to `cap` bytes of `buf`, return the
 * count, 0 at the end, or BERTH_SDK_HTTP_ABORT to abort the request.
 */
typedef size_t (*berth_sdk_http_read_fn)(void *buf, size_t cap,
					 void *payload);
/** Rewind the body producer to its start for a retry; 0 on success. */
typedef int (*berth_sdk_http_rewind_fn)(void *payload);
/** Response body consumer: return 0 to go on, non-zero to abort. */
typedef int (*berth_sdk_http_write_fn)(const void *data, size_t len,
				       void *payload);

#define BERTH_SDK_HTTP_ABORT ((size_t)-1)

/**
 * Retry classifier (added in 1.1.0), for services that signal "try
 * again" in the body or with statuses the default rule does not cover
 * (S3's <Error><Code>SlowDown</Code>, or an error inside a 200 answer).
 * Called after every attempt that brought a complete response -- the
 * last call is for the response berth_sdk_http_perform returns -- on the
 * thread running the request, with the status, the headers and the
 * buffered body (empty when on_body took a 2xx body).  Returns > 0 to
 * retry, < 0 not to retry, 0 for the default rule (429, 500, 502, 503,
 * 504).  A retry still needs the budget (max_retries) and a body that can
 * be sent again.  `resp` is borrowed for the call.
 */
struct berth_sdk_http_response; /* defined below */
typedef int (*berth_sdk_http_retry_fn)(
	const struct berth_sdk_http_response *resp, void *payload);

typedef struct berth_sdk_http_request {
	const char *method;  /**< "GET", "PUT", "HEAD", "DELETE", ... */
	const char *url;
	/** NULL-terminated "Name: value" strings, or NULL. */
	const char *const *headers;

	/* Body, either a buffer ... */
	const void *body;
	size_t body_len;
	/* ... or a producer (used when body_read != NULL). */
	berth_sdk_http_read_fn body_read;
	berth_sdk_http_rewind_fn body_rewind; /**< NULL: no retry once sent */
	void *body_payload;
	int64_t body_size; /**< producer's total size; < 0: chunked */

	/**
	 * Response body consumer for 2xx responses; other responses (and
	 * 2xx ones without a consumer) are buffered in response.body so an
	 * error document can be parsed.  Once the consumer has received
	 * data the request is not retried.
	 */
	berth_sdk_http_write_fn on_body;
	void *on_body_payload;

	/** Per-request override of options.max_retries when non-zero
	    (negative = no retries, e.g. for non-idempotent requests). */
	int max_retries;

	/* Added in 1.1.0 (zero-initialised requests keep 1.0.0 behaviour). */

	/** Per-request override of options.timeout_ms for each attempt:
	    > 0 the limit in ms, < 0 none, 0 the client's setting. */
	long timeout_ms;
	/** Retry classifier (see berth_sdk_http_retry_fn), or NULL. */
	berth_sdk_http_retry_fn retry_check;
	void *retry_payload;
} berth_sdk_http_request;

typedef struct berth_sdk_http_response {
	long status;        /**< HTTP status of the last attempt */
	berth_sdk_buf body; /**< buffered body (see on_body) */
	/** Headers of the last attempt: "Name: value" lines, NUL-separated
	    records in one block; use berth_sdk_http_header to look up. */
	berth_sdk_buf headers;
	int attempts;       /**< tries made, >= 1 */
	/** Added in 1.1.0: libcurl's description of the last attempt's
	    transport failure ("Couldn't connect to server"), "" when a
	    response arrived; for a driver's own error message. */
	char error[256];
} berth_sdk_http_response;

/** New client; NULL when out of memory (or libcurl fails to start). */
berth_sdk_http *berth_sdk_http_new(const berth_sdk_http_options *opts);
/** Release the client; no request may be running. */
void berth_sdk_http_free(berth_sdk_http *http);

/**
 * Perform a request, retrying with exponential backoff and full jitter
 * (sleep a random time in [0, min(max, base * 2^attempt)], or the
 * server's Retry-After in seconds when longer, capped at backoff_max_ms)
 * on HTTP 429, 500, 502, 503, 504 (or as req->retry_check decides) and
 * on transient transport errors (connection refused or reset, DNS
 * failure, timeouts, empty replies).  All attempts send the same
 * headers, so a signature in them must stay valid for the backoffs.
 *
 * Returns BERTH_OK whenever a response arrived, whatever its status --
 * map it with berth_sdk_http_status().  On a transport failure after the
 * last retry returns BERTH_E_UNAVAILABLE (or BERTH_E_IO for non-transient
 * failures), records a message and leaves libcurl's text of the failure
 * in resp->error.  `resp` must be zero-initialised or
 * reset by berth_sdk_http_response_free; free it after use either way.
 */
int berth_sdk_http_perform(berth_sdk_http *http,
			   const berth_sdk_http_request *req,
			   berth_sdk_http_response *resp);

/** Release a response's buffers and zero it. */
void berth_sdk_http_response_free(berth_sdk_http_response *resp);

/**
 * A response header's value (case-insensitive name), borrowed from
 * `resp`, or NULL.  With repeated headers the first one is returned.
 */
const char *berth_sdk_http_header(const berth_sdk_http_response *resp,
				  const char *name);

/**
 * Seconds since the epoch of an HTTP date ("Sun, 06 Nov 1994 08:49:37
 * GMT", and the obsolete RFC 850 and asctime forms), as in Last-Modified;
 * -1 when `value` is NULL or not a date.  Added in 1.1.0.
 */
int64_t berth_sdk_http_parse_date(const char *value);

/**
 * Map an HTTP status to a berth_status: 2xx OK, 404/410 NOT_FOUND,
 * 401/403 PERMISSION, 416 INVALID_OFFSET, 429 and 503 THROTTLED,
 * 507/413 NO_SPACE, other 4xx INVALID_ARGUMENT, 5xx UNAVAILABLE,
 * anything else IO.
 */
int berth_sdk_http_status(long status);

/**
 * Backoff before retry number `attempt` (0-based): a uniformly random
 * value in [0, min(max_ms, base_ms << attempt)] drawn from *rng (any
 * non-zero seed; updated).  Exposed so drivers with their own loops and
 * tests can use the same schedule.
 */
long berth_sdk_backoff_ms(unsigned attempt, long base_ms, long max_ms,
			  uint64_t *rng);

/* ================================================================== */
/* XML over libxml2 (xml.c)                                            */
/* ================================================================== */

/** A parsed document; owns all its nodes. */
typedef struct berth_sdk_xml berth_sdk_xml;
/** An element inside a document, borrowed from it. */
typedef struct berth_sdk_xml_node berth_sdk_xml_node;

/**
 * Parse `len` bytes.  Network access, DTD loading and entity expansion
 * are off (safe on untrusted input).  BERTH_OK, BERTH_E_IO (malformed:
 * message recorded when `host` is given) or BERTH_E_NOMEM.
 */
int berth_sdk_xml_parse(const berth_host *host, const char *driver,
			const char *data, size_t len, berth_sdk_xml **out);
void berth_sdk_xml_free(berth_sdk_xml *doc);

/** The root element (never NULL for a parsed document). */
berth_sdk_xml_node *berth_sdk_xml_root(berth_sdk_xml *doc);

/**
 * Name of an element without its namespace prefix, borrowed.
 */
const char *berth_sdk_xml_name(const berth_sdk_xml_node *node);

/**
 * The first element at `path` below `node`: slash-separated local names
 * matched ignoring namespaces ("Contents/Key").  NULL or "" is `node`
 * itself.  NULL when absent.
 */
berth_sdk_xml_node *berth_sdk_xml_find(berth_sdk_xml_node *node,
				       const char *path);

/**
 * Text content of the first element at `path` below `node` (see find),
 * malloc'd; NULL when absent or out of memory.
 */
char *berth_sdk_xml_text(berth_sdk_xml_node *node, const char *path);

/** Callback for berth_sdk_xml_each: 0 to go on, non-zero to stop. */
typedef int (*berth_sdk_xml_each_fn)(berth_sdk_xml_node *node,
				     void *payload);

/**
 * Call `fn` for every element at `path` below `node`, in document order
 * ("Contents" on a ListBucketResult root visits each Contents child;
 * "CommonPrefixes/Prefix" each Prefix inside each CommonPrefixes).
 * Returns the number of elements visited.
 */
size_t berth_sdk_xml_each(berth_sdk_xml_node *node, const char *path,
			  berth_sdk_xml_each_fn fn, void *payload);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif
#endif /* BERTH_SDK_H */
