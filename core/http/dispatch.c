/*
 * http/dispatch.c - from libmicrohttpd's access handler to request steps
 * on the workers (see http/dispatch.h for the model).
 *
 * Hand-off protocol between the event thread that owns a connection and
 * the worker running one of its jobs, under the request's mutex:
 *
 *  - at most one job of a request exists at a time (`job`);
 *  - the event thread suspends the connection (`parked`) before it
 *    starts a job it must wait for, or when it finds the job still
 *    running and cannot go on without it; suspension happens under the
 *    mutex, so the worker's resume can never come first (libmicrohttpd
 *    would then lose it and the connection would hang);
 *  - the worker ends a job by clearing `job` and, if the connection is
 *    parked, resuming it, both under the mutex: `parked` is set exactly
 *    while the connection is suspended with no resume issued;
 *  - libmicrohttpd may call the access handler again while the
 *    connection is suspended (0.9.75 hands every chunk of a chunked body
 *    that is already buffered to the handler in one loop, suspended or
 *    not).  Such a call takes nothing and never suspends again: a second
 *    MHD_suspend_connection on a suspended connection corrupts the
 *    daemon's connection lists, and resumes on that event thread are
 *    lost from then on (its connections hang).  The data stays buffered
 *    and is offered again after the resume;
 *  - the request is freed by whoever drops the last reference:
 *    libmicrohttpd's (until the request completes) or the job's.  A
 *    connection can complete while a job runs only when it was not
 *    parked (a body piece written while the next is received).
 *
 * libmicrohttpd's body pieces live in its read buffer, which it may
 * move as soon as the access handler returns, so they are copied into
 * the request's staging buffers and never used in place by a worker.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "http/conn_guard.h"
#include "http/dispatch.h"
#include "http/framing.h"
#include "http/tls.h"
#include "http/workers.h"

/* A staging buffer holds this much body before a worker takes it:
   large enough that hand-offs cost nothing next to the bytes (a few
   thousand per GiB), small enough that an upload holds 1 MiB. */
#define STAGE_SIZE (512 * 1024)
/* The largest body read and dropped after an early reply (a client's
   chunk; nginx discards bodies for the same reason). */
#define HTTP_DROP_BODY_MAX (8ull << 20)
/* Streamed downloads read ahead in buffers of this size. */
#define STREAM_BUF (256 * 1024)
#define STREAM_BLOCK (64 * 1024)

typedef enum stage {
	ROUTING,   /* the route job is queued or running */
	RECEIVING, /* the body is arriving */
	ENDING,    /* the end job is queued or running */
	ANSWERING, /* the reply is recorded; queue it on the next call */
} stage;

typedef struct staging {
	char *buf;
	size_t len, cap;
} staging;

typedef struct live_request {
	berth_request req;
	berth_conn *guard;
	pthread_mutex_t mu;
	const http_dispatch_config *dc;
	int refs;   /* libmicrohttpd's until completion, plus a job's */
	int job;    /* a job of this request is queued or running */
	int parked; /* the connection is suspended until the job ends */
	int failed; /* a body piece failed (set by the job, read here) */
	stage stage;
	berth_job node; /* the job's node in the pool's queue */
	uint64_t tenant; /* the client, for fair turns on the workers */
	staging fill;  /* the event thread copies body pieces into it */
	staging flush; /* a worker hands it to on_body */
} live_request;

static int stopping;
static unsigned long inflight; /* requests from begin() to completion */

static void request_unref(live_request *lr)
{
	pthread_mutex_lock(&lr->mu);
	int last = --lr->refs == 0;
	pthread_mutex_unlock(&lr->mu);
	if (!last)
		return;
	berth_request *req = &lr->req;
	if (req->on_cleanup)
		req->on_cleanup(req);
	if (req->response)
		MHD_destroy_response(req->response);
	free(lr->fill.buf);
	free(lr->flush.buf);
	pthread_mutex_destroy(&lr->mu);
	free(lr);
}

/* The end of every job, on its worker: run the handler's cleanup once the
   reply is decided (before the reply leaves: the client may send its
   next request on another connection as soon as it has read it), then
   hand the connection back. */
static void job_done(live_request *lr, int failed)
{
	berth_request *req = &lr->req;
	if (req->replied && req->on_cleanup) {
		req->on_cleanup(req);
		req->on_cleanup = NULL;
	}
	pthread_mutex_lock(&lr->mu);
	lr->job = 0;
	if (failed)
		lr->failed = 1;
	if (lr->parked) {
		lr->parked = 0;
		http_guard_server_wait(lr->guard, 0);
		MHD_resume_connection(req->conn);
	}
	pthread_mutex_unlock(&lr->mu);
	request_unref(lr);
}

/* The route step, behind the client certificate check: TLS client
   authentication belongs to the transport, so a request whose client
   http.tls.clientauth refuses reaches no endpoint at all (the token
   service included), whatever the route table holds.  On a worker: the
   check verifies the certificate chain. */
static void route_job(void *arg)
{
	live_request *lr = arg;
	berth_request *req = &lr->req;
	char why[160];
	if (req->tls && http_tls_check_client(req->conn, why, sizeof why))
		http_reply_error(req, OCI_UNAUTHORIZED, why);
	else
		lr->dc->route(req);
	job_done(lr, 0);
}

/* Hand `s` to the handler; non-zero if it failed. */
static int feed(berth_request *req, staging *s)
{
	int rc = s->len && req->on_body(req, s->buf, s->len) < 0;
	s->len = 0;
	return rc;
}

static void body_job(void *arg)
{
	live_request *lr = arg;
	job_done(lr, feed(&lr->req, &lr->flush));
}

static void end_job(void *arg)
{
	live_request *lr = arg;
	berth_request *req = &lr->req;
	/* No other job runs and the connection is parked: `fill` and
	   `failed` are this job's to read. */
	int failed = lr->failed || feed(req, &lr->fill);
	if (!failed && !req->replied && req->on_end)
		req->on_end(req);
	job_done(lr, failed);
}

/* Make `fn` the request's job; with `park`, suspend the connection until
   it ends.  The mutex is held; the caller releases it, then hands the job
   to the pool (http_workers_run), so a worker can never resume the
   connection before it was suspended. */
static berth_job *prepare_job(live_request *lr, berth_job_fn fn, int park)
{
	lr->job = 1;
	lr->refs++;
	if (park) {
		lr->parked = 1;
		http_guard_server_wait(lr->guard, 1);
		MHD_suspend_connection(lr->req.conn);
	}
	lr->node.fn = fn;
	lr->node.arg = lr;
	lr->node.tenant = lr->tenant;
	return &lr->node;
}

static void start_job(live_request *lr, berth_job_fn fn)
{
	pthread_mutex_lock(&lr->mu);
	berth_job *j = prepare_job(lr, fn, 1);
	pthread_mutex_unlock(&lr->mu);
	http_workers_run(j);
}

static enum MHD_Result queue(berth_request *req)
{
	if (!req->response) {
		http_reply_error(req, OCI_UNKNOWN,
				 "the handler produced no reply");
		if (!req->response)
			return MHD_NO;
	}
	enum MHD_Result r = MHD_queue_response(req->conn, req->status,
					       req->response);
	MHD_destroy_response(req->response);
	req->response = NULL;
	return r;
}

/* Answer at once and close the connection afterwards: nothing that
   follows on it may be read as another request. */
static enum MHD_Result refuse(berth_request *req, unsigned status,
			      oci_error err, const char *why)
{
	http_reply_error_status(req, status, err, why);
	if (req->response)
		MHD_add_response_header(req->response, "Connection", "close");
	return queue(req);
}

/* Does a body follow the headers (Content-Length above 0, or chunked)? */
static int request_has_body(struct MHD_Connection *conn)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     "Content-Length");
	if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					"Transfer-Encoding"))
		return 1;
	return cl && strtoull(cl, NULL, 10) != 0;
}

/* Is the body's size known (Content-Length) and small enough to read
   and drop rather than close the connection on it? */
static int body_droppable(struct MHD_Connection *conn)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     "Content-Length");
	if (!cl || MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					       "Transfer-Encoding"))
		return 0;
	return strtoull(cl, NULL, 10) <= HTTP_DROP_BODY_MAX;
}

static uint64_t client_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	return http_guard_client(ci ? ci->client_addr : NULL);
}

static berth_conn *guard_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* Headers are complete: check, then route on a worker. */
static enum MHD_Result begin(const http_dispatch_config *dc,
			     struct MHD_Connection *conn,
			     const char *url, const char *method,
			     const char *version, void **con_cls)
{
	live_request *lr = calloc(1, sizeof *lr);
	if (!lr)
		return MHD_NO;
	pthread_mutex_init(&lr->mu, NULL);
	lr->dc = dc;
	lr->refs = 1;
	lr->guard = guard_of(conn);
	lr->tenant = client_of(conn);
	berth_request *req = &lr->req;
	req->conn = conn;
	req->ctx = dc->ctx;
	req->cfg = dc->cfg;
	req->tls = dc->tls;
	req->method = method;
	req->is_head = strcmp(method, "HEAD") == 0;
	req->path = url;
	*con_cls = lr;
	__atomic_add_fetch(&inflight, 1, __ATOMIC_RELAXED);
	http_guard_headers_done(lr->guard);

	const char *why = NULL;
	unsigned status = http_framing_check(conn, version, &why);
	if (status)
		return refuse(req, status,
			      status == 501 ? OCI_UNSUPPORTED
					    : OCI_UNKNOWN,
			      why);
	if (__atomic_load_n(&stopping, __ATOMIC_RELAXED))
		return refuse(req, 503, OCI_UNAVAILABLE,
			      "the server is shutting down");
	lr->stage = ROUTING;
	start_job(lr, route_job);
	return MHD_YES;
}

/* The route job has run: reply now, later, or take the body. */
static enum MHD_Result routed(live_request *lr)
{
	berth_request *req = &lr->req;
	if (!req->replied && !req->on_body)
		return queue(req); /* "the handler produced no reply" */
	if (req->replied) {
		/* A reply queued before the body is read makes
		   libmicrohttpd close the connection (it cannot know no body
		   follows), which would cost every GET and HEAD a new
		   connection; so without a body, answer on the next call and
		   keep the connection. */
		if (!request_has_body(req->conn)) {
			lr->stage = ANSWERING;
			return MHD_YES;
		}
		/* A body the handler refused before reading it (a PATCH at
		   a stale offset): closing with it unread makes the kernel
		   reset the connection, and a client still sending loses
		   the reply with it.  A body of known, bounded size is read
		   and dropped (as a failed body is), the reply follows on
		   the same connection; a larger or chunked one is skipped
		   by closing, as reading it could take for ever. */
		if (body_droppable(req->conn)) {
			lr->failed = 1;
			lr->stage = RECEIVING;
			http_guard_body_start(lr->guard);
			return MHD_YES;
		}
		lr->stage = ANSWERING;
		return queue(req);
	}
	lr->stage = RECEIVING;
	http_guard_body_start(lr->guard);
	return MHD_YES;
}

/* Grow `s` to hold a piece; the first buffer is sized to the body when
   its length is known and small. */
static int stage_alloc(berth_request *req, staging *s)
{
	if (s->buf)
		return 0;
	size_t cap = STAGE_SIZE;
	const char *cl = http_header(req, "Content-Length");
	if (cl) {
		unsigned long long n = strtoull(cl, NULL, 10);
		if (n && n < cap)
			cap = (size_t)n;
	}
	s->buf = malloc(cap);
	if (!s->buf)
		return -1;
	s->cap = cap;
	return 0;
}

/* Take what fits of a body piece; a full buffer goes to a worker. */
static enum MHD_Result receive(live_request *lr, const char *data,
			       size_t *size)
{
	berth_request *req = &lr->req;
	/* Shutting down: the upload stays resumable from what was stored;
	   waiting for the rest of a large body could take for ever. */
	if (__atomic_load_n(&stopping, __ATOMIC_RELAXED))
		return MHD_NO;
	pthread_mutex_lock(&lr->mu);
	if (lr->failed) {
		/* The handler refused the body: read and drop the rest, so
		   the reply can follow it on this connection. */
		pthread_mutex_unlock(&lr->mu);
		req->body_bytes += *size;
		http_guard_body_bytes(lr->guard, *size);
		*size = 0;
		return MHD_YES;
	}
	while (*size) {
		if (stage_alloc(req, &lr->fill)) {
			pthread_mutex_unlock(&lr->mu);
			return MHD_NO;
		}
		size_t n = lr->fill.cap - lr->fill.len;
		if (n > *size)
			n = *size;
		memcpy(lr->fill.buf + lr->fill.len, data, n);
		lr->fill.len += n;
		data += n;
		*size -= n;
		req->body_bytes += n;
		http_guard_body_bytes(lr->guard, n);
		if (lr->fill.len < lr->fill.cap)
			break;
		if (lr->job) {
			/* The worker still holds the other buffer: wait for
			   it with the rest of this piece unread. */
			lr->parked = 1;
			http_guard_server_wait(lr->guard, 1);
			MHD_suspend_connection(req->conn);
			break;
		}
		staging full = lr->fill;
		lr->fill = lr->flush;
		lr->flush = full;
		if (lr->fill.buf && lr->fill.cap < lr->flush.cap) {
			free(lr->fill.buf);
			lr->fill.buf = NULL;
		}
		lr->fill.len = 0;
		berth_job *j = prepare_job(lr, body_job, 0);
		pthread_mutex_unlock(&lr->mu);
		http_workers_run(j);
		pthread_mutex_lock(&lr->mu);
	}
	pthread_mutex_unlock(&lr->mu);
	return MHD_YES;
}

/* The body is complete: once the worker is free, run the end job. */
static enum MHD_Result finish_body(live_request *lr)
{
	pthread_mutex_lock(&lr->mu);
	if (lr->job) {
		lr->parked = 1;
		http_guard_server_wait(lr->guard, 1);
		MHD_suspend_connection(lr->req.conn);
		pthread_mutex_unlock(&lr->mu);
		return MHD_YES;
	}
	lr->stage = ENDING;
	berth_job *j = prepare_job(lr, end_job, 1);
	pthread_mutex_unlock(&lr->mu);
	http_workers_run(j);
	return MHD_YES;
}

enum MHD_Result http_dispatch_access(void *cls, struct MHD_Connection *conn,
				     const char *url, const char *method,
				     const char *version,
				     const char *upload_data,
				     size_t *upload_data_size, void **con_cls)
{
	live_request *lr = *con_cls;
	if (!lr)
		return begin(cls, conn, url, method, version, con_cls);
	pthread_mutex_lock(&lr->mu);
	int parked = lr->parked;
	pthread_mutex_unlock(&lr->mu);
	if (parked) {
		/* Called while suspended (see the top of this file): take
		   nothing now, it comes again after the resume. */
		LOG_DEBUG("%s %s: called while suspended", lr->req.method,
			  lr->req.path);
		return MHD_YES;
	}
	switch (lr->stage) {
	case ROUTING:
		return routed(lr);
	case RECEIVING:
		if (*upload_data_size)
			return receive(lr, upload_data, upload_data_size);
		return finish_body(lr);
	case ENDING:
	case ANSWERING:
		break;
	}
	return queue(&lr->req);
}

void http_dispatch_completed(void *cls, struct MHD_Connection *conn,
			     void **con_cls,
			     enum MHD_RequestTerminationCode toe)
{
	live_request *lr = *con_cls;
	(void)cls;
	http_guard_request_done(guard_of(conn));
	if (!lr)
		return;
	*con_cls = NULL;
	__atomic_sub_fetch(&inflight, 1, __ATOMIC_RELAXED);
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		LOG_DEBUG("%s %s: request ended early (%d)", lr->req.method,
			  lr->req.path, (int)toe);
	request_unref(lr);
}

void http_dispatch_connection(void *cls, struct MHD_Connection *conn,
			      void **socket_context,
			      enum MHD_ConnectionNotificationCode code)
{
	(void)cls;
	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		http_guard_remove(*socket_context);
		*socket_context = NULL;
		return;
	}
	const union MHD_ConnectionInfo *fd = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	const union MHD_ConnectionInfo *addr = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	*socket_context = fd ? http_guard_add(fd->connect_fd,
					       addr ? addr->client_addr : NULL)
			     : NULL;
}

unsigned long http_dispatch_inflight(void)
{
	return __atomic_load_n(&inflight, __ATOMIC_RELAXED);
}

void http_dispatch_stopping(void)
{
	__atomic_store_n(&stopping, 1, __ATOMIC_SEQ_CST);
}

/* ---- streamed responses ---- */

typedef struct stream {
	pthread_mutex_t mu;
	http_read_fn read;
	http_close_fn close;
	void *src;
	struct MHD_Connection *conn;
	uint64_t unfetched; /* bytes not read from the driver yet */
	char *buf[2];
	size_t len[2], off[2];
	int ready[2];  /* buf[i] holds fetched bytes not all sent */
	int cur;       /* the buffer the socket is fed from */
	int fetching;  /* a fetch job is queued or running */
	int target;    /* the buffer it fills */
	int waiting;   /* the connection is suspended until it ends */
	int failed;    /* the driver failed or the object was short */
	int refs;      /* the response's, plus a fetch job's */
	berth_job node;
	uint64_t tenant;
} stream;

static void stream_unref(stream *s)
{
	pthread_mutex_lock(&s->mu);
	int last = --s->refs == 0;
	pthread_mutex_unlock(&s->mu);
	if (!last)
		return;
	if (s->src)
		s->close(s->src);
	free(s->buf[0]);
	free(s->buf[1]);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* Read the next buffer's worth into buf[b]: the driver call that must
   not run on an event thread.  Returns 0, or -1 on error or a short
   object. */
static int fetch_into(stream *s, int b)
{
	size_t want = s->unfetched < STREAM_BUF ? (size_t)s->unfetched
						: STREAM_BUF;
	size_t got = 0;
	while (got < want) {
		size_t n = 0;
		if (s->read(s->src, s->buf[b] + got, want - got, &n) || n == 0)
			return -1;
		got += n;
	}
	s->len[b] = got;
	s->off[b] = 0;
	s->unfetched -= got;
	return 0;
}

static void fetch_job(void *arg)
{
	stream *s = arg;
	int rc = fetch_into(s, s->target);
	pthread_mutex_lock(&s->mu);
	s->fetching = 0;
	if (rc)
		s->failed = 1;
	else
		s->ready[s->target] = 1;
	if (s->waiting) {
		s->waiting = 0;
		MHD_resume_connection(s->conn);
	}
	pthread_mutex_unlock(&s->mu);
	stream_unref(s);
}

/* Pick a free buffer to fetch into if there is more to read and no fetch
   runs (mutex held); the caller hands the returned job to the pool after
   releasing the mutex.  NULL: nothing to start. */
static berth_job *next_fetch(stream *s)
{
	if (s->fetching || s->failed || s->unfetched == 0)
		return NULL;
	int b = !s->ready[s->cur] ? s->cur : !s->ready[!s->cur] ? !s->cur : -1;
	if (b < 0)
		return NULL;
	s->fetching = 1;
	s->target = b;
	s->refs++;
	s->node.fn = fetch_job;
	s->node.arg = s;
	s->node.tenant = s->tenant;
	return &s->node;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	stream *s = cls;
	(void)pos;
	pthread_mutex_lock(&s->mu);
	int b = s->cur;
	ssize_t n;
	if (s->ready[b]) {
		size_t avail = s->len[b] - s->off[b];
		n = (ssize_t)(avail < max ? avail : max);
		memcpy(buf, s->buf[b] + s->off[b], (size_t)n);
		s->off[b] += (size_t)n;
		if (s->off[b] == s->len[b]) {
			s->ready[b] = 0;
			s->cur = !b;
		}
	} else if (s->failed || (!s->fetching && s->unfetched == 0) ||
		   __atomic_load_n(&stopping, __ATOMIC_RELAXED)) {
		n = MHD_CONTENT_READER_END_WITH_ERROR;
	} else {
		/* Nothing ready: wait for the fetch without holding the
		   event thread (returning 0 without suspending would spin).
		   Suspended already (called again before the suspension took
		   hold): suspending twice corrupts the daemon's lists. */
		if (!s->waiting) {
			s->waiting = 1;
			MHD_suspend_connection(s->conn);
		}
		n = 0;
	}
	berth_job *j = n >= 0 ? next_fetch(s) : NULL;
	pthread_mutex_unlock(&s->mu);
	if (j)
		http_workers_run(j);
	return n;
}

static void stream_free(void *cls)
{
	stream_unref(cls);
}

struct MHD_Response *http_stream_response(berth_request *req,
					  http_read_fn read,
					  http_close_fn close, void *src,
					  uint64_t len)
{
	stream *s = calloc(1, sizeof *s);
	if (s) {
		s->buf[0] = malloc(STREAM_BUF);
		s->buf[1] = malloc(STREAM_BUF);
	}
	if (!s || !s->buf[0] || !s->buf[1]) {
		if (s) {
			free(s->buf[0]);
			free(s->buf[1]);
			free(s);
		}
		close(src);
		return NULL;
	}
	pthread_mutex_init(&s->mu, NULL);
	s->read = read;
	s->close = close;
	s->src = src;
	s->conn = req->conn;
	s->tenant = client_of(req->conn);
	s->unfetched = len;
	s->refs = 1;
	/* This runs on a worker already: fetch the first buffer here, so
	   the reply starts without a hand-off. */
	if (len && fetch_into(s, 0) == 0)
		s->ready[0] = 1;
	else if (len)
		s->failed = 1;
	struct MHD_Response *resp = MHD_create_response_from_callback(
		len, STREAM_BLOCK, stream_read, s, stream_free);
	if (!resp)
		stream_unref(s);
	return resp;
}
