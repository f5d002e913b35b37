/*
 * http/server.c - the HTTP server: libmicrohttpd set-up, the limits that keep
 * slow and greedy clients from taking it away from the others, and the
 * signal loop.
 *
 * Threading: libmicrohttpd runs one event thread per CPU (epoll, so the
 * number of connections is bounded by the connection limit and the
 * descriptor limit, not by select()'s 1,024), and every step of a
 * request that may block on storage runs on the worker pool
 * (http/dispatch.c, http/workers.c).  An idle or slow connection costs memory,
 * never a thread; the connection guard (http/conn_guard.c) closes the ones
 * that are too slow or wait too long.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "http/conn_guard.h"
#include "http/dispatch.h"
#include "http/framing.h"
#include "http/listener.h"
#include "http/server.h"
#include "http/tls.h"
#include "http/workers.h"

/* libmicrohttpd hands the body to the handler in pieces of at most about
   half of this per-connection buffer; 256 KiB keeps syscalls few while
   memory per connection stays bounded. */
#define CONNECTION_MEMORY (256 * 1024)
/* http.connectionlimit when the configuration sets none. */
#define DEFAULT_CONNECTION_LIMIT 4096
/* Descriptors kept for everything but client connections: storage files
   and sockets of the workers, logs, the listener's own. */
#define RESERVED_FDS(workers) (64 + 4 * (workers))
/* Connections closed by the guard stay open until their event thread
   notices, so libmicrohttpd's own limit leaves this much room above
   the guard's. */
#define CLOSING_SLACK(limit) ((limit) / 8 + 16)

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	vsnprintf(buf, sizeof buf, fmt, ap);
	size_t n = strlen(buf);
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = 0;
	LOG_DEBUG("http: %s", buf);
}

/* libmicrohttpd's accept policy (HTTPS, where it accepts itself). */
static enum MHD_Result admit(void *cls, const struct sockaddr *addr,
			     socklen_t len)
{
	(void)cls;
	(void)len;
	return http_guard_admit(addr) ? MHD_YES : MHD_NO;
}

/* Raise the descriptor limit to its hard limit and size the connection
   limit to it: every connection is a descriptor.  An explicit
   http.connectionlimit that cannot fit is an error; the default shrinks
   to fit.  Returns the limit, or 0 with a message. */
static unsigned connection_budget(const berth_settings *cfg, unsigned workers,
				  char *err, size_t errlen)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			getrlimit(RLIMIT_NOFILE, &rl);
	}
	unsigned long long fds = rl.rlim_cur == RLIM_INFINITY
					 ? 1ull << 20
					 : (unsigned long long)rl.rlim_cur;
	unsigned long long reserve = RESERVED_FDS(workers);
	unsigned long long fit = fds > reserve ? fds - reserve : 0;
	fit -= fit / 9; /* the slack above the limit (CLOSING_SLACK) */
	if (cfg->connection_limit) {
		if (cfg->connection_limit > fit) {
			snprintf(err, errlen,
				 "%s: http.connectionlimit: %u connections need "
				 "more file descriptors than the process may "
				 "open (%llu; at most %llu connections fit): "
				 "raise the limit (ulimit -n, LimitNOFILE=) or "
				 "lower http.connectionlimit",
				 cfg->source, cfg->connection_limit, fds, fit);
			return 0;
		}
		return cfg->connection_limit;
	}
	if (fit < 16) {
		snprintf(err, errlen, "only %llu file descriptors may be open: "
			 "too few to serve", fds);
		return 0;
	}
	if (fit < DEFAULT_CONNECTION_LIMIT)
		LOG_WARN("serving at most %llu connections: the process may "
			 "open %llu file descriptors (raise ulimit -n for the "
			 "default of %u)", fit, fds, DEFAULT_CONNECTION_LIMIT);
	return fit < DEFAULT_CONNECTION_LIMIT ? (unsigned)fit
					      : DEFAULT_CONNECTION_LIMIT;
}

static unsigned event_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 16 ? 16 : (unsigned)n;
}

/* Parse http.addr ("host:port", ":port", "[v6]:port") into a socket
   address; *dual = 1 for an empty host, which means every address, IPv4
   and IPv6, as in Distribution (`ss` is then IPv6's any address).
   Returns 0 or -1 with a message. */
static int resolve_addr(const char *addr, struct sockaddr_storage *ss,
			int *dual, char *err, size_t errlen)
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
	*dual = !*host;
	struct addrinfo hints = {.ai_family = *host ? AF_UNSPEC : AF_INET6,
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

struct berth_server {
	http_dispatch_config dc;
	struct MHD_Daemon *daemon;
	berth_listener *listener;
	unsigned limit;
	int quiesced;  /* no longer accepting (http_server_quiesce) */
	int mhd_fd;    /* the socket libmicrohttpd gave back, closed after it
			  stops; -1: none */
};

void http_server_quiesce(berth_server *srv)
{
	if (!srv || srv->quiesced || !srv->daemon)
		return;
	srv->quiesced = 1;
	/* plain HTTP: our accept loop closes its socket */
	http_listener_stop(srv->listener);
	srv->listener = NULL;
	/* TLS: libmicrohttpd's threads may still look at the socket until it
	   stops, so it is shut down now (Linux then refuses new connections
	   on it) and closed after MHD_stop_daemon. */
	MHD_socket fd = MHD_quiesce_daemon(srv->daemon);
	if (fd != MHD_INVALID_SOCKET) {
		shutdown(fd, SHUT_RDWR);
		srv->mhd_fd = fd;
	}
}

unsigned long http_server_inflight(const berth_server *srv)
{
	return srv ? http_dispatch_inflight() : 0;
}

/* Undo what http_server_start has started so far. */
static void server_free(berth_server *srv)
{
	http_server_quiesce(srv);
	http_dispatch_stopping();
	http_workers_stop();
	if (srv->daemon)
		MHD_stop_daemon(srv->daemon);
	if (srv->mhd_fd >= 0)
		close(srv->mhd_fd);
	http_guard_stop();
	free(srv);
}

/* The listening socket for `ss`, with `dual` (an empty host) one IPv6
   socket that takes IPv4 connections too, or IPv4 alone on a machine
   without IPv6 (`ss` is then changed to IPv4's any address).  -1 with
   errno set. */
static int listen_socket(struct sockaddr_storage *ss, int dual)
{
	socklen_t len = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						  : sizeof(struct sockaddr_in);
	int fd = http_listen_socket((const struct sockaddr *)ss, len, !dual);
	if (fd >= 0 || !dual ||
	    (errno != EAFNOSUPPORT && errno != EADDRNOTAVAIL &&
	     errno != EPROTONOSUPPORT))
		return fd;
	LOG_WARN("no IPv6 on this machine (%s): listening on IPv4 only",
		 strerror(errno));
	in_port_t port = ((struct sockaddr_in6 *)ss)->sin6_port;
	struct sockaddr_in *in = (struct sockaddr_in *)ss;
	memset(ss, 0, sizeof *ss);
	in->sin_family = AF_INET;
	in->sin_addr.s_addr = htonl(INADDR_ANY);
	in->sin_port = port;
	return http_listen_socket((const struct sockaddr *)ss,
				  sizeof(struct sockaddr_in), 0);
}

/* Start libmicrohttpd on `listen_fd`: with TLS it accepts on it; for
   plain HTTP our accept loop does (and owns it from then on).  0, or -1
   with errno set (`listen_fd` is then still the caller's). */
static int start_daemon(berth_server *srv, int listen_fd)
{
	const berth_settings *cfg = srv->dc.cfg;
	unsigned limit = srv->limit;
	struct MHD_OptionItem tls_opts[8];
	http_tls_mhd_options(tls_opts);
	/* MHD_USE_ITC: MHD_quiesce_daemon needs it */
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD |
			 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
			 MHD_USE_ITC | http_tls_mhd_flags();
	int tls = srv->dc.tls;
	struct MHD_OptionItem sock_opts[2] = {
		{MHD_OPTION_LISTEN_SOCKET, listen_fd, NULL},
		{MHD_OPTION_END, 0, NULL}};
	if (!tls) {
		flags |= MHD_USE_NO_LISTEN_SOCKET;
		sock_opts[0].option = MHD_OPTION_END;
	}
	errno = 0;
	srv->daemon = MHD_start_daemon(
		flags, 0, tls ? admit : NULL, NULL,
		http_dispatch_access, &srv->dc,
		MHD_OPTION_ARRAY, sock_opts,
		MHD_OPTION_THREAD_POOL_SIZE, event_threads(),
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
		MHD_OPTION_CONNECTION_LIMIT, limit + CLOSING_SLACK(limit),
		MHD_OPTION_CONNECTION_TIMEOUT, cfg->timeout_s,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
		MHD_OPTION_NOTIFY_COMPLETED, http_dispatch_completed, NULL,
		MHD_OPTION_NOTIFY_CONNECTION, http_dispatch_connection, NULL,
		MHD_OPTION_UNESCAPE_CALLBACK, http_unescape, NULL,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
		MHD_OPTION_ARRAY, tls_opts,
		MHD_OPTION_END);
	if (srv->daemon && !tls &&
	    http_listener_start(&srv->listener, listen_fd, srv->daemon)) {
		int e = errno;
		MHD_stop_daemon(srv->daemon);
		srv->daemon = NULL;
		errno = e;
	}
	return srv->daemon ? 0 : -1;
}

berth_server *http_server_start(const http_server_options *o, char *err,
				 size_t errlen)
{
	const berth_settings *cfg = o->cfg;
	struct sockaddr_storage ss;
	int dual = 0;
	if (resolve_addr(cfg->addr, &ss, &dual, err, errlen))
		return NULL;
	unsigned workers = cfg->workers ? cfg->workers : 32;
	unsigned limit = connection_budget(cfg, workers, err, errlen);
	if (!limit)
		return NULL;
	berth_server *srv = calloc(1, sizeof *srv);
	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->dc = (http_dispatch_config){o->route, o->ctx, cfg, o->tls};
	srv->limit = limit;
	srv->mhd_fd = -1;
	http_guard_limits gl = {
		.limit = limit,
		.per_addr = cfg->max_connections_per_ip,
		.header_timeout_s = cfg->header_timeout_s,
		.idle_timeout_s = cfg->timeout_s,
		.min_body_rate = cfg->min_body_rate,
	};
	signal(SIGPIPE, SIG_IGN);
	if (http_guard_start(&gl) || http_workers_start(workers)) {
		snprintf(err, errlen, "cannot start threads: %s",
			 strerror(errno));
		server_free(srv);
		return NULL;
	}
	/* Plain HTTP: our own accept loop turns away TLS handshakes with a
	   clear answer (http/listener.c); with TLS, libmicrohttpd accepts. */
	int listen_fd = listen_socket(&ss, dual);
	if (listen_fd < 0 || start_daemon(srv, listen_fd)) {
		snprintf(err, errlen, "cannot listen on %s: %s", cfg->addr,
			 errno ? strerror(errno) : "libmicrohttpd refused");
		if (listen_fd >= 0 && !srv->listener)
			close(listen_fd);
		server_free(srv);
		return NULL;
	}
	LOG_INFO("listening on %s%s%s (at most %u connections, %u per "
		 "address)", cfg->addr,
		 dual && ss.ss_family == AF_INET6 ? ", IPv4 and IPv6" : "",
		 o->tls ? " with TLS" : "", limit, cfg->max_connections_per_ip);
	return srv;
}

void http_server_stop(berth_server *srv)
{
	/* Order matters: no new connection, no new request; the requests
	   under way finish their steps (every suspended connection is then
	   resumed, which libmicrohttpd requires before it stops); then the
	   daemon closes the connections, telling the guard of each. */
	if (srv)
		server_free(srv);
}
