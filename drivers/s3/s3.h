/*
 * s3.h - internal interface of the S3 storage driver, shared by its source
 * files (nothing here is exported; only the ABI entry point is public).
 *
 * A storage path "/a/b" is the object key "<rootdirectory>/a/b" (root
 * without its leading slash); directories are key prefixes.  Writer state
 * that is not yet committed lives in a multipart upload for the key plus,
 * for a tail shorter than the 5 MiB minimum part, an object "<key>~tail".
 * '~' is outside the path grammar, so these never collide with a path and
 * list/walk hide them.
 */
#ifndef BERTH_DRIVERS_S3_S3_H
#define BERTH_DRIVERS_S3_S3_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <berth/sdk.h>
#include <berth/storage.h>

#include "sigv4.h"

#define S3_NAME "s3"
#define S3_TAIL_SUFFIX "~tail"
#define S3_MIN_PART (5u << 20)
#define S3_MAX_HEADERS 12

struct berth_instance {
	const berth_host *host;
	s3_signer signer;
	char *access_key, *secret_key, *session_token, *region, *bucket;
	char *root;        /* key prefix without leading/trailing '/'; may be "" */
	char *scheme_host; /* "https://host[:port]" the requests go to */
	char *host_hdr;    /* "host[:port]" as signed */
	char *uri_prefix;  /* "/bucket" (path style) or "" */
	char *storage_class, *kms_key_id, *acl;
	int encrypt, skip_verify;
	size_t chunk_size;
	uint64_t copy_chunk_size, copy_threshold;
	long redirect_expiry_s;
	int max_attempts; /* per request, retries included */

	/* The SDK's client: pooled connections shared by all threads. */
	berth_sdk_http *http;

	pthread_mutex_t memo_lock; /* s3_memo.c */
	struct s3_memo *memos;
	size_t nmemos;
};
typedef struct berth_instance s3_instance;

/* One S3 request and its response. */
typedef struct s3_req {
	const char *method;
	const char *key;         /* object key; NULL = the bucket itself */
	s3_kv query[8];
	size_t nquery;
	s3_kv headers[S3_MAX_HEADERS]; /* extra headers, lower-case names */
	size_t nheaders;
	const void *body;
	size_t body_len;
	/* response */
	long status;
	berth_sdk_http_response resp; /* body and headers */
	int has_err; /* resp.body is an <Error> document */
	char etag[256];
	uint64_t content_length;
	uint64_t total_size; /* from Content-Range, else content_length */
	int64_t mtime_ns;
	char err_code[64];
	char err_msg[256];
} s3_req;

void s3_req_query(s3_req *r, const char *k, const char *v);
void s3_req_header(s3_req *r, const char *k, const char *v);
/* Headers a new object gets (storage class, encryption, ACL). */
void s3_req_object_headers(s3_instance *s, s3_req *r);

/*
 * Perform `r` with retries on throttling and transient failures.  Returns
 * BERTH_OK for a 2xx answer without an <Error> body, otherwise a status
 * with host->error() set to "s3: <op> <path>: <Code>: <Message>".
 * r->resp must be released with s3_req_done.
 */
int s3_do(s3_instance *s, s3_req *r, const char *op, const char *path);
void s3_req_done(s3_req *r);

int s3_fail(s3_instance *s, int code, const char *fmt, ...) BERTH_PRINTF(3, 4);

/* The SDK client for the instance's settings (after the options). */
int s3_http_init(s3_instance *s);
void s3_http_cleanup(s3_instance *s);

/* Keys. */
char *s3_key(const s3_instance *s, const char *path);      /* "/a" -> "root/a" */
char *s3_dir_prefix(const s3_instance *s, const char *path); /* -> "root/a/" */
int s3_check_path(s3_instance *s, const char *path, int allow_root);

/* The root element of r's response body parsed with the SDK (*doc to
   free with berth_sdk_xml_free), or NULL (and *doc NULL) when the body is
   not XML. */
berth_sdk_xml_node *s3_xml_root(const s3_req *r, berth_sdk_xml **doc);

/* Multipart helpers shared by writers and move. */
typedef struct s3_part {
	int number;
	char *etag;
	uint64_t size;
} s3_part;

int s3_mpu_create(s3_instance *s, const char *key, const char *path,
		  char **upload_id);
int s3_mpu_complete(s3_instance *s, const char *key, const char *path,
		    const char *upload_id, const s3_part *parts, size_t n);
int s3_mpu_abort(s3_instance *s, const char *key, const char *path,
		 const char *upload_id);
int s3_delete_object(s3_instance *s, const char *key, const char *path);
int s3_head(s3_instance *s, const char *key, const char *path,
	    uint64_t *size, int64_t *mtime_ns);
int s3_copy_object(s3_instance *s, const char *src_key, const char *dst_key,
		   uint64_t size, const char *path);

/* Memos of the multipart uploads of writers closed uncommitted
   (s3_memo.c): a reopen in the same process checks them with one
   ListParts instead of searching.  Thread-safe; a memo taken belongs to
   the caller until it is released. */
typedef struct s3_memo s3_memo;
void s3_memo_init(s3_instance *s);
void s3_memo_cleanup(s3_instance *s);
/* Record the state of `key`'s writer (copies everything; best effort). */
void s3_memo_put(s3_instance *s, const char *key, const char *upload_id,
		 const s3_part *parts, size_t nparts, int tail_exists);
/* Remove and return the memo for `key`, or NULL. */
s3_memo *s3_memo_take(s3_instance *s, const char *key);
void s3_memo_forget(s3_instance *s, const char *key);
void s3_memo_release(s3_memo *m);
const char *s3_memo_upload_id(const s3_memo *m); /* NULL: no upload yet */
int s3_memo_tail_exists(const s3_memo *m);
/* 1 if `parts` (as listed by ListParts) are exactly the memo's parts. */
int s3_memo_parts_match(const s3_memo *m, const s3_part *parts, size_t n);

/* Driver entry points implemented in s3_stream.c. */
int s3_reader_open(berth_reader **out, berth_instance *inst, const char *path,
		   int64_t offset);
int s3_reader_read(berth_reader *r, void *buf, size_t cap, size_t *out_n);
void s3_reader_close(berth_reader *r);
int s3_writer_open(berth_writer **out, berth_instance *inst, const char *path,
		   int append);
int s3_writer_write(berth_writer *w, const void *data, size_t len);
uint64_t s3_writer_size(berth_writer *w);
int s3_writer_commit(berth_writer *w);
int s3_writer_cancel(berth_writer *w);
int s3_writer_close(berth_writer *w);

/* Listing (s3_list.c). */
int s3_list(berth_instance *inst, const char *path, berth_list_cb cb,
	    void *payload);
int s3_walk(berth_instance *inst, const char *path, const char *start_after,
	    berth_walk_cb cb, void *payload);
int s3_remove(berth_instance *inst, const char *path);
int s3_stat(berth_instance *inst, const char *path, berth_stat_info *out);

#endif /* BERTH_DRIVERS_S3_S3_H */
