/*
 * api/content.c - stored bytes to the client: from a descriptor
 * (BERTH_CAP_FILE_DESCRIPTOR) by sendfile or through a buffer, or from
 * the driver's reader, read ahead on the workers in bounded pieces.
 * Used by blob and manifest GET.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/content.h"
#include "api/context.h"
#include "api/reply.h"
#include "http/dispatch.h"
#include "registry/content.h"

/* Copying a local file through a buffer (http.sendfile said no): pread
   on the event thread.  It reads the page cache, as sendfile would on
   the same thread; only drivers that hand out descriptors (local files)
   take this path, every other reader is read ahead on the workers
   (http_stream_response). */
typedef struct fd_copy {
	int fd;
	uint64_t off, remaining;
} fd_copy;

static ssize_t fd_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	fd_copy *c = cls;
	(void)pos;
	if (c->remaining == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (max > c->remaining)
		max = (size_t)c->remaining;
	ssize_t n;
	do
		n = pread(c->fd, buf, max, (off_t)c->off);
	while (n < 0 && errno == EINTR);
	if (n <= 0) /* short file or error: abort the transfer */
		return MHD_CONTENT_READER_END_WITH_ERROR;
	c->off += (uint64_t)n;
	c->remaining -= (uint64_t)n;
	return n;
}

static void fd_free(void *cls)
{
	fd_copy *c = cls;
	close(c->fd);
	free(c);
}

static ssize_t no_body(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)cls;
	(void)pos;
	(void)buf;
	(void)max;
	return MHD_CONTENT_READER_END_WITH_ERROR;
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
int api_content_use_sendfile(berth_request *req)
{
	const char *mode = req->cfg->sendfile;
	if (mode && !strcmp(mode, "always"))
		return 1;
	if (mode && !strcmp(mode, "never"))
		return 0;
	return !http_peer_is_loopback(req);
}

/* A response copying from the descriptor `fd` (taken over). */
static struct MHD_Response *fd_copy_response(int fd, uint64_t first,
					     uint64_t len, size_t block)
{
	fd_copy *c = calloc(1, sizeof *c);
	if (!c) {
		close(fd);
		return NULL;
	}
	c->fd = fd;
	c->off = first;
	c->remaining = len;
	struct MHD_Response *resp = MHD_create_response_from_callback(
		len, block, fd_read, c, fd_free);
	if (!resp)
		fd_free(c);
	return resp;
}

void api_reply_content(berth_request *req, unsigned status,
		       const berth_digest *d, uint64_t first, uint64_t len,
		       const char *content_type, const char *const *headers,
		       oci_error not_found)
{
	berth_registry *reg = api_registry(req);
	/* A piece never larger than the object: a small manifest costs a
	   small buffer. */
	size_t block = len < API_CONTENT_BLOCK ? (size_t)(len ? len : 1)
					       : API_CONTENT_BLOCK;
	struct MHD_Response *resp = NULL;
	int rc;

	if (req->is_head || len == 0) {
		/* No body: libmicrohttpd sends none for HEAD but still reports
		   the length.  It allocates (and zeroes) the block for every
		   response and never fills it here, so ask for a small one. */
		resp = MHD_create_response_from_callback(len, 64, no_body,
							 NULL, NULL);
	} else if (registry_content_has_fd(reg)) {
		int fd = -1;
		rc = registry_content_fd(reg, d, &fd);
		if (rc)
			return api_reply_storage_error(req, rc, not_found);
		if (api_content_use_sendfile(req)) {
			resp = MHD_create_response_from_fd_at_offset64(len, fd,
								       first);
			if (!resp)
				close(fd);
		} else {
			resp = fd_copy_response(fd, first, len, block);
		}
	} else {
		registry_reader *r = NULL;
		rc = registry_content_open(reg, d, first, &r);
		if (rc)
			return api_reply_storage_error(req, rc, not_found);
		resp = http_stream_response(req, registry_content_read,
					    registry_content_close, r, len);
	}
	if (!resp)
		return api_reply_storage_error(req, BERTH_E_NOMEM, 0);
	if (content_type)
		MHD_add_response_header(resp, "Content-Type", content_type);
	http_reply_response(req, status, resp, headers);
}
