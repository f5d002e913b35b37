/*
 * server.c - the HTTP server: libmicrohttpd set-up, the access handler
 * that turns libmicrohttpd's repeated calls into the route/body/end model
 * of http.h, and the signal loop.
 *
 * Threading: one thread per connection.  Storage drivers block (disk
 * fsync, network round trips to object stores); a thread per connection
 * keeps one slow backend call from stalling other clients, and the
 * connection limit and timeout bound the cost of idle or slow clients.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth.h"
#include "http.h"
#include "listener.h"
#include "log.h"
#include "purge.h"
#include "server.h"
#include "tls.h"

/* libmicrohttpd hands the body to the handler in pieces of at most about
   half of this per-connection buffer; 256 KiB keeps syscalls few while
   memory per connection stays bounded. */
#define CONNECTION_MEMORY (256 * 1024)

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	vsnprintf(buf, sizeof buf, fmt, ap);
	size_t n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = 0;
	LOG_DEBUG("http: %s", buf);
}

static enum MHD_Result queue(berth_request *req)
{
	if (!req->response) {
		http_reply_error(req, BERTH_ERR_UNKNOWN,
				 "the handler produced no reply");
		if (!req->response)
			return MHD_NO;
	}
	/* Release the request's resources (upload claims, writers) before
	   the reply leaves: a client may send its next request on another
	   connection as soon as it has read this reply. */
	if (req->on_cleanup) {
		req->on_cleanup(req);
		req->on_cleanup = NULL;
	}
	enum MHD_Result r = MHD_queue_response(req->conn, req->status,
					       req->response);
	MHD_destroy_response(req->response);
	req->response = NULL;
	return r;
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

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn,
				 const char *url, const char *method,
				 const char *version, const char *upload_data,
				 size_t *upload_data_size, void **con_cls)
{
	berth_app *app = cls;
	berth_request *req = *con_cls;

	if (!req) {
		req = calloc(1, sizeof *req);
		if (!req)
			return MHD_NO;
		req->conn = conn;
		req->app = app;
		req->method = method;
		req->is_head = strcmp(method, "HEAD") == 0;
		req->path = url;
		*con_cls = req;
	}
	if (!req->started) {
		req->started = 1;
		http_route(req);
		/* Replied at once (error or bodiless request).  A response
		   queued on this first call makes libmicrohttpd close the
		   connection (it cannot know no body follows), which cost
		   every GET and HEAD a new connection and thread; so without
		   a body, answer on the next call and keep the connection.
		   With a body, send now: the unread body is skipped by
		   closing. */
		if (req->replied && !req->on_body) {
			if (!request_has_body(conn))
				return MHD_YES;
			return queue(req);
		}
		if (!req->on_body && !req->replied)
			return queue(req);
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		req->body_bytes += n;
		if (!req->body_failed && req->on_body(req, upload_data, n) < 0)
			req->body_failed = 1;
		return MHD_YES;
	}
	if (!req->replied && req->on_end)
		req->on_end(req);
	return queue(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn,
			 void **con_cls, enum MHD_RequestTerminationCode toe)
{
	berth_request *req = *con_cls;
	if (!req)
		return;
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		LOG_DEBUG("%s %s: request ended early (%d)", req->method,
			  req->path, (int)toe);
	if (req->on_cleanup)
		req->on_cleanup(req);
	if (req->response)
		MHD_destroy_response(req->response);
	free(req);
	*con_cls = NULL;
}

/* Parse http.addr ("host:port", ":port", "[v6]:port") into a socket
   address.  Returns 0 or -1 with a message. */
static int resolve_addr(const char *addr, struct sockaddr_storage *ss,
			char *err, size_t errlen)
{
	char host[256] = "", port[16] = "";
	const char *colon;
	if (addr[0] == '[') {
		const char *end = strchr(addr, ']');
		if (!end || end[1] != ':' || (size_t)(end - addr - 1) >= sizeof host)
			goto bad;
		memcpy(host, addr + 1, end - addr - 1);
		colon = end + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon || (size_t)(colon - addr) >= sizeof host)
			goto bad;
		memcpy(host, addr, colon - addr);
	}
	if (strlen(colon + 1) == 0 || strlen(colon + 1) >= sizeof port)
		goto bad;
	strcpy(port, colon + 1);
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(*host ? host : NULL, port, &hints, &res);
	if (rc) {
		snprintf(err, errlen, "http.addr %s: %s", addr,
			 gai_strerror(rc));
		return -1;
	}
	memset(ss, 0, sizeof *ss);
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
bad:
	snprintf(err, errlen, "http.addr %s: expected host:port", addr);
	return -1;
}

int berth_server_run(berth_app *app)
{
	const berth_settings *cfg = app->cfg;
	struct sockaddr_storage ss;
	char err[512];
	if (resolve_addr(cfg->addr, &ss, err, sizeof err)) {
		LOG_ERROR("%s", err);
		return -1;
	}

	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* access control and TLS (auth.c, tls.c) */
	struct MHD_OptionItem tls_opts[8];
	if (berth_auth_start(app, err, sizeof err)) {
		LOG_ERROR("%s", err);
		return -1;
	}
	berth_tls_mhd_options(tls_opts);

	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG |
			 berth_tls_mhd_flags();
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* Plain HTTP: our own accept loop turns away TLS handshakes with a
	   clear answer (listener.c); with TLS, libmicrohttpd listens. */
	int listen_fd = -1;
	if (!app->tls) {
		socklen_t slen = ss.ss_family == AF_INET6
					 ? sizeof(struct sockaddr_in6)
					 : sizeof(struct sockaddr_in);
		listen_fd = berth_listen_socket((struct sockaddr *)&ss, slen);
		if (listen_fd < 0) {
			LOG_ERROR("cannot listen on %s: %s", cfg->addr,
				  strerror(errno));
			berth_auth_stop();
			return -1;
		}
		flags |= MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC;
	}
	struct MHD_Daemon *d = MHD_start_daemon(
		flags, 0, NULL, NULL, on_access, app,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
		MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)(cfg->connection_limit ? cfg->connection_limit : 1024),
		MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)(cfg->timeout_s ? cfg->timeout_s : 60),
		MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		(unsigned)cfg->max_connections_per_ip, /* 0: none */
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, app,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
		MHD_OPTION_ARRAY, tls_opts,
		MHD_OPTION_END);
	berth_listener *listener = NULL;
	if (d && listen_fd >= 0 &&
	    berth_listener_start(&listener, listen_fd, d, cfg->timeout_s,
				 cfg->connection_limit,
				 cfg->max_connections_per_ip)) {
		MHD_stop_daemon(d);
		d = NULL;
	}
	if (!d) {
		LOG_ERROR("cannot listen on %s: %s", cfg->addr,
			  errno ? strerror(errno) : "libmicrohttpd refused");
		if (listen_fd >= 0 && !listener)
			close(listen_fd);
		berth_auth_stop();
		return -1;
	}
	LOG_INFO("berth %s listening on %s%s (storage: %s)", BERTH_VERSION,
		 cfg->addr, app->tls ? " with TLS" : "", app->store.d->name);
	if (berth_purge_start(app))
		LOG_WARN("could not start the upload purger");

	for (;;) {
		int sig = 0;
		if (sigwait(&set, &sig))
			continue;
		if (sig == SIGHUP) {
			/* TLS certificate and key, password files */
			if (berth_tls_reload(err, sizeof err))
				LOG_ERROR("SIGHUP: %s; keeping the previous "
					  "certificate", err);
			else
				LOG_INFO("SIGHUP: reloaded");
			berth_auth_reload();
			continue;
		}
		LOG_INFO("signal %d: shutting down", sig);
		break;
	}
	berth_purge_stop();
	berth_listener_stop(listener);
	MHD_stop_daemon(d);
	berth_auth_stop();
	return 0;
}
