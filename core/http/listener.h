/*
 * http/listener.h - the plain-HTTP accept loop: accepts connections itself and
 * hands them to libmicrohttpd, except a TLS handshake sent to the plain
 * port, which is answered with a clear HTTP 400 instead of a dropped
 * connection.
 */
#ifndef BERTH_CORE_HTTP_LISTENER_H
#define BERTH_CORE_HTTP_LISTENER_H

#include <sys/socket.h>
#include <microhttpd.h>

typedef struct berth_listener berth_listener;

/**
 * Bind and listen on `addr` (reuse-address set); an IPv6 socket also
 * accepts IPv4 connections unless `v6only`.  Returns the socket, or -1
 * with errno set.
 */
int http_listen_socket(const struct sockaddr *addr, socklen_t len,
		       int v6only);

/**
 * Start the accept thread on `listen_fd` (owned by the listener from now
 * on), handing connections to `daemon` (started with
 * MHD_USE_NO_LISTEN_SOCKET).  Connections are admitted by the connection
 * guard (http/conn_guard.h), which must be running, and tracked by it while
 * they wait for their first byte.  Returns 0, or -1 with errno set.
 */
int http_listener_start(berth_listener **out, int listen_fd,
			 struct MHD_Daemon *daemon);

/** Stop the thread, close the listening socket and waiting connections. */
void http_listener_stop(berth_listener *l);

#endif
