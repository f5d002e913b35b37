/*
 * http/conn_guard.h - which connections the server keeps, and for how long.
 *
 * Every connection, from accept to close, is tracked here with the phase
 * it is in, so that slow or idle clients cannot hold connections the
 * others need:
 *
 *   waiting for the first request   headers complete within header_timeout
 *   waiting for the next request    headers complete within idle_timeout
 *                                   of the previous response (keep-alive)
 *   receiving a request body        at least min_body_rate bytes/s over
 *                                   every window of GUARD_RATE_WINDOW_S,
 *                                   not counting time the server itself
 *                                   made the client wait
 *   being served                    no deadline (the server's own work)
 *
 * A connection past its deadline is closed by shutting its socket down,
 * which the event loop that owns it sees at once.  Admission bounds the
 * connections of one client address (IPv4 address, or IPv6 /64) and the
 * total; at the total, the connection that has waited longest for a
 * request is closed to make room, so idle and slow clients can never
 * lock out a new one.
 *
 * Thread-safety: every function may be called from any thread.
 */
#ifndef BERTH_CORE_HTTP_CONN_GUARD_H
#define BERTH_CORE_HTTP_CONN_GUARD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/** Seconds over which a request body's rate is measured. */
#define GUARD_RATE_WINDOW_S 10

typedef struct http_guard_limits {
	unsigned limit;            /* connections in all */
	unsigned per_addr;         /* from one address; 0: no limit */
	unsigned header_timeout_s; /* first request's headers */
	unsigned idle_timeout_s;   /* next request's headers */
	unsigned min_body_rate;    /* bytes per second; 0: no minimum */
} http_guard_limits;

/** One tracked connection (opaque). */
typedef struct berth_conn berth_conn;

/** Start the deadline thread with `lim`.  0, or -1 with errno set. */
int http_guard_start(const http_guard_limits *lim);

/** Stop the thread.  Connections still tracked are forgotten. */
void http_guard_stop(void);

/**
 * Whether a new connection from `addr` may be accepted.  At the total
 * limit it first closes the connection that has waited longest for a
 * request (if one has waited at least a second).  1: accept, 0: refuse.
 */
int http_guard_admit(const struct sockaddr *addr);

/**
 * Track a connection on socket `fd` from `addr`, waiting for its first
 * request (or take over the entry handed off for it, see
 * http_guard_handoff).  The guard may shut `fd` down (never closes it)
 * until http_guard_remove, which must come before the socket is closed.
 * NULL when out of memory (the connection is then not guarded).
 */
berth_conn *http_guard_add(int fd, const struct sockaddr *addr);

/**
 * The connection's socket is being handed to libmicrohttpd, whose
 * http_guard_add for the same descriptor and address takes the entry
 * over: it stays counted in between, and is never shut down by the guard
 * until then.  If the hand-off fails at once, http_guard_remove it.
 */
void http_guard_handoff(berth_conn *c);

/** Forget `c` (NULL is ignored). */
void http_guard_remove(berth_conn *c);

/** The request's headers are complete: the server works on it. */
void http_guard_headers_done(berth_conn *c);

/** The request body starts arriving. */
void http_guard_body_start(berth_conn *c);

/** `n` more body bytes arrived (lock-free). */
void http_guard_body_bytes(berth_conn *c, size_t n);

/**
 * The server stops (waiting != 0) or resumes reading the body; time spent
 * waiting for the server does not count against the client (lock-free).
 */
void http_guard_server_wait(berth_conn *c, int waiting);

/** The response was sent: the connection waits for its next request. */
void http_guard_request_done(berth_conn *c);

/**
 * A number standing for the client at `addr` (its IPv4 address, or its
 * IPv6 /64, as for the per-address limit), to share work fairly between
 * clients (http/workers.h).
 */
uint64_t http_guard_client(const struct sockaddr *addr);

/** Counters since start, for tests and the periodic log line. */
typedef struct http_guard_stats {
	uint64_t header_timeouts, idle_timeouts, slow_bodies, evicted,
		refused_addr, refused_total;
	unsigned open; /* connections tracked now */
} http_guard_stats;

void http_guard_get_stats(http_guard_stats *out);

#endif
