/*
 * http_object.c - stored bytes to the client: sendfile from a descriptor
 * (BERTH_CAP_FILE_DESCRIPTOR) or a stream pulled from the driver's
 * reader in bounded pieces.  Used by blob and manifest GET.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http_object.h"
#include "store.h"

typedef struct object_stream {
	berth_store *store;
	berth_reader *reader;
	uint64_t remaining;
} object_stream;

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	object_stream *s = cls;
	if (s->remaining == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (max > s->remaining)
		max = s->remaining;
	size_t n = 0;
	int rc = store_read(s->store, s->reader, buf, max, &n);
	if (rc || n == 0) /* short object or error: abort the transfer */
		return MHD_CONTENT_READER_END_WITH_ERROR;
	s->remaining -= n;
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	object_stream *s = cls;
	if (s->reader)
		store_reader_close(s->store, s->reader);
	free(s);
}

/*
 * Whether to hand the file to the kernel (sendfile) or copy it through a
 * buffer (http.sendfile: auto, always, never).  sendfile saves the server
 * a copy, and over a network card the bytes then go from the page cache
 * to the card without the CPU.  Over loopback there is no card: the
 * receiving process copies straight out of the page cache, so one client
 * core does all the copying, from memory that is not in any CPU cache,
 * while the server's core idles.  Copying through a 256 KiB buffer splits
 * the work: the server reads the page cache, the client copies from a
 * buffer still in cache.  Measured on 2 cores, 1 GiB from the page cache
 * to curl over loopback, alternating runs: sendfile 1072-1422 MB/s, the
 * buffer 1547-2447 MB/s.  So "auto" copies for clients on this host and
 * uses sendfile for everyone else.
 */
int http_object_use_sendfile(berth_request *req)
{
	const char *mode = req->app->cfg->sendfile;
	if (mode && !strcmp(mode, "always"))
		return 1;
	if (mode && !strcmp(mode, "never"))
		return 0;
	return !http_peer_is_loopback(req);
}

void http_reply_object(berth_request *req, unsigned status, const char *path,
		       uint64_t first, uint64_t len, const char *content_type,
		       const char *const *headers, berth_api_error not_found)
{
	berth_store *store = &req->app->store;
	/* A piece never larger than the object: a small manifest costs a
	   small buffer. */
	size_t block = len < HTTP_OBJECT_BLOCK ? (size_t)(len ? len : 1)
					       : HTTP_OBJECT_BLOCK;
	struct MHD_Response *resp = NULL;
	int fd = -1, rc = BERTH_E_UNSUPPORTED;
	uint64_t fd_size = 0;

	if (!req->is_head && len && http_object_use_sendfile(req))
		rc = store_open_fd(store, path, &fd, &fd_size);
	if (rc == BERTH_OK) {
		resp = MHD_create_response_from_fd_at_offset64(len, fd, first);
		if (!resp)
			close(fd);
	} else if (rc != BERTH_E_UNSUPPORTED) {
		return http_reply_storage_error(req, rc, not_found);
	} else if (req->is_head || len == 0) {
		/* No reader needed: libmicrohttpd sends no body for HEAD but
		   still reports the length.  The block is never filled, so
		   keep it small: libmicrohttpd allocates (and zeroes) it for
		   every response. */
		resp = MHD_create_response_from_callback(len, 64, stream_read,
							 NULL, NULL);
	} else {
		object_stream *s = calloc(1, sizeof *s);
		if (!s)
			return http_reply_storage_error(req, BERTH_E_NOMEM, 0);
		s->store = store;
		s->remaining = len;
		rc = store_reader(store, path, (int64_t)first, &s->reader);
		if (rc) {
			free(s);
			return http_reply_storage_error(req, rc, not_found);
		}
		resp = MHD_create_response_from_callback(len, block,
							 stream_read, s,
							 stream_free);
		if (!resp)
			stream_free(s);
	}
	if (!resp)
		return http_reply_storage_error(req, BERTH_E_NOMEM, 0);
	if (content_type)
		MHD_add_response_header(resp, "Content-Type", content_type);
	http_reply_response(req, status, resp, headers);
}
