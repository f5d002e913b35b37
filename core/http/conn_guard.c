/*
 * http/conn_guard.c - connection admission and deadlines (see http/conn_guard.h).
 *
 * State: one mutex over a table of connections, each in exactly one list
 * by phase.  Lists are appended at the tail when a connection enters a
 * phase, so each list is ordered by how long its members have been in
 * it: the deadline scan stops at the first connection that is still in
 * time, and the eviction candidate is a list head.  A per-address count
 * table (IPv4 address, or IPv6 /64: one host's addresses) bounds how many
 * connections one client holds.
 *
 * Closing: the guard never closes a socket, it shuts it down.  The owner
 * (libmicrohttpd, or the accept loop for connections still waiting for
 * their first byte) sees end of file at once and closes; it removes the
 * connection from the guard under the same mutex before closing, so the
 * guard can never shut down a descriptor number that has been reused.
 * A shut-down connection moves to the dying list and no longer counts
 * against the limits, so a new client is admitted without waiting for
 * the owner to notice.
 *
 * The body rate is fed without the mutex (atomics on the connection):
 * a 1 GiB upload reports some eight thousand pieces.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "http/conn_guard.h"

/* How often deadlines are checked, and how long a waiting connection is
   left alone before it may be evicted for a newcomer. */
#define TICK_MS 500
#define EVICT_MIN_AGE_MS 1000
/* A handed-off connection libmicrohttpd never started (it failed after
   accepting it) is forgotten after this long. */
#define HANDOFF_MAX_MS 10000
/* How often a summary of closed connections is logged (when any were). */
#define REPORT_EVERY_MS 60000
#define ADDR_BUCKETS 4096

/* HANDOFF: accepted by the accept loop and handed to libmicrohttpd, which
   has not started it yet; counted, but its descriptor is no longer the
   guard's to shut down until http_guard_add adopts the entry. */
enum phase {
	AWAIT_FIRST,
	AWAIT_NEXT,
	WORKING,
	BODY,
	HANDOFF,
	DYING,
	NPHASES
};

typedef struct addr_key {
	unsigned char b[16];
} addr_key;

typedef struct addr_count {
	addr_key key;
	unsigned n;
	struct addr_count *next;
} addr_count;

struct berth_conn {
	int fd;
	addr_key key;
	enum phase phase;
	int64_t since_ms; /* entered the phase */
	struct berth_conn *prev, *next;
	/* body rate: bytes and flags written lock-free by the request's
	   threads, the window by the guard thread under the mutex */
	uint64_t bytes;
	int server_wait, window_reset;
	int64_t window_start;
	uint64_t window_bytes;
};

typedef struct conn_list {
	berth_conn *head, *tail;
	unsigned n;
} conn_list;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tick_cv;
static http_guard_limits lim;
static conn_list lists[NPHASES];
static addr_count *addrs[ADDR_BUCKETS];
static http_guard_stats stats, reported;
static int stopping, started;
static pthread_t thread;

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One key per client: an IPv4 address (also when it arrives mapped into
   IPv6), or the /64 prefix of an IPv6 address, which one host or one
   customer network normally owns whole. */
static void key_of(const struct sockaddr *sa, addr_key *k)
{
	memset(k, 0, sizeof *k);
	if (!sa)
		return;
	if (sa->sa_family == AF_INET) {
		k->b[10] = k->b[11] = 0xff;
		memcpy(k->b + 12, &((const struct sockaddr_in *)sa)->sin_addr,
		       4);
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a =
			&((const struct sockaddr_in6 *)sa)->sin6_addr;
		memcpy(k->b, a->s6_addr, IN6_IS_ADDR_V4MAPPED(a) ? 16 : 8);
	}
}

uint64_t http_guard_client(const struct sockaddr *addr)
{
	addr_key k;
	key_of(addr, &k);
	uint64_t h = 14695981039346656037ull; /* FNV-1a, 64 bits */
	for (size_t i = 0; i < sizeof k.b; i++)
		h = (h ^ k.b[i]) * 1099511628211ull;
	return h;
}

static unsigned bucket_of(const addr_key *k)
{
	unsigned h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < sizeof k->b; i++)
		h = (h ^ k->b[i]) * 16777619u;
	return h % ADDR_BUCKETS;
}

static addr_count **addr_slot(const addr_key *k)
{
	addr_count **p = &addrs[bucket_of(k)];
	while (*p && memcmp((*p)->key.b, k->b, sizeof k->b))
		p = &(*p)->next;
	return p;
}

static unsigned addr_get(const addr_key *k)
{
	addr_count *a = *addr_slot(k);
	return a ? a->n : 0;
}

static int addr_add(const addr_key *k)
{
	addr_count **p = addr_slot(k);
	if (!*p) {
		*p = calloc(1, sizeof **p);
		if (!*p)
			return -1;
		(*p)->key = *k;
	}
	(*p)->n++;
	return 0;
}

static void addr_del(const addr_key *k)
{
	addr_count **p = addr_slot(k);
	addr_count *a = *p;
	if (a && --a->n == 0) {
		*p = a->next;
		free(a);
	}
}

static void list_unlink(berth_conn *c)
{
	conn_list *l = &lists[c->phase];
	if (c->prev)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
	c->prev = c->next = NULL;
	l->n--;
}

static void list_append(berth_conn *c, enum phase ph)
{
	conn_list *l = &lists[ph];
	c->phase = ph;
	c->since_ms = now_ms();
	c->prev = l->tail;
	c->next = NULL;
	if (l->tail)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
	l->n++;
}

/* Connections that count against the limits: all but the dying. */
static unsigned live(void)
{
	return lists[AWAIT_FIRST].n + lists[AWAIT_NEXT].n + lists[WORKING].n +
	       lists[BODY].n + lists[HANDOFF].n;
}

/* Shut `c` down and stop counting it (mutex held). */
static void kill_conn(berth_conn *c, uint64_t *counter)
{
	static const char *const why[] = {
		"no request headers in time", "idle for too long",
		"being served", "request body too slow", "handed off",
		"closing"};
	LOG_DEBUG("http: closing connection %d: %s", c->fd, why[c->phase]);
	shutdown(c->fd, SHUT_RDWR);
	list_unlink(c);
	addr_del(&c->key);
	list_append(c, DYING);
	(*counter)++;
}

/* Move `c` to phase `ph` (mutex held); a dying connection stays dying. */
static void enter(berth_conn *c, enum phase ph)
{
	if (!c || c->phase == DYING)
		return;
	list_unlink(c);
	list_append(c, ph);
}

static void set_phase(berth_conn *c, enum phase ph)
{
	if (!c)
		return;
	pthread_mutex_lock(&mu);
	enter(c, ph);
	pthread_mutex_unlock(&mu);
}

/* The connection that has waited longest for a request, if it has waited
   long enough to be evicted: an idle keep-alive connection first (its
   client has what it came for), then one that has not finished its
   first request's headers. */
static berth_conn *eviction_candidate(int64_t now)
{
	static const enum phase order[] = {AWAIT_NEXT, AWAIT_FIRST};
	for (size_t i = 0; i < 2; i++) {
		berth_conn *c = lists[order[i]].head;
		if (c && now - c->since_ms >= EVICT_MIN_AGE_MS)
			return c;
	}
	return NULL;
}

int http_guard_admit(const struct sockaddr *addr)
{
	addr_key k;
	key_of(addr, &k);
	pthread_mutex_lock(&mu);
	int ok = 1;
	if (lim.per_addr && addr_get(&k) >= lim.per_addr) {
		stats.refused_addr++;
		LOG_DEBUG("http: connection refused: %u from its address",
			  addr_get(&k));
		ok = 0;
	} else if (lim.limit && live() >= lim.limit) {
		berth_conn *victim = eviction_candidate(now_ms());
		if (victim) {
			kill_conn(victim, &stats.evicted);
		} else {
			stats.refused_total++;
			LOG_DEBUG("http: connection refused: %u open", live());
			ok = 0;
		}
	}
	pthread_mutex_unlock(&mu);
	return ok;
}

berth_conn *http_guard_add(int fd, const struct sockaddr *addr)
{
	addr_key k;
	key_of(addr, &k);
	pthread_mutex_lock(&mu);
	/* A connection the accept loop handed off keeps its entry, so it is
	   counted without a gap while it changes hands. */
	for (berth_conn *c = lists[HANDOFF].head; c; c = c->next) {
		if (c->fd == fd && !memcmp(c->key.b, k.b, sizeof k.b)) {
			enter(c, AWAIT_FIRST);
			pthread_mutex_unlock(&mu);
			return c;
		}
	}
	berth_conn *c = calloc(1, sizeof *c);
	if (!c || addr_add(&k)) {
		pthread_mutex_unlock(&mu);
		free(c);
		return NULL;
	}
	c->fd = fd;
	c->key = k;
	list_append(c, AWAIT_FIRST);
	pthread_mutex_unlock(&mu);
	return c;
}

void http_guard_handoff(berth_conn *c)
{
	set_phase(c, HANDOFF);
}

void http_guard_remove(berth_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&mu);
	if (c->phase != DYING)
		addr_del(&c->key);
	list_unlink(c);
	pthread_mutex_unlock(&mu);
	free(c);
}

void http_guard_headers_done(berth_conn *c)
{
	set_phase(c, WORKING);
}

void http_guard_body_start(berth_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&mu);
	enter(c, BODY);
	c->window_start = c->since_ms;
	c->window_bytes = __atomic_load_n(&c->bytes, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&mu);
}

void http_guard_body_bytes(berth_conn *c, size_t n)
{
	if (c)
		__atomic_add_fetch(&c->bytes, n, __ATOMIC_RELAXED);
}

void http_guard_server_wait(berth_conn *c, int waiting)
{
	if (!c)
		return;
	__atomic_store_n(&c->server_wait, waiting, __ATOMIC_RELAXED);
	if (!waiting)
		__atomic_store_n(&c->window_reset, 1, __ATOMIC_RELAXED);
}

void http_guard_request_done(berth_conn *c)
{
	set_phase(c, AWAIT_NEXT);
}

/* Close the waiting connections of `ph` older than `timeout_s`. */
static void expire(enum phase ph, unsigned timeout_s, int64_t now,
		   uint64_t *counter)
{
	if (!timeout_s)
		return;
	while (lists[ph].head &&
	       now - lists[ph].head->since_ms >= (int64_t)timeout_s * 1000)
		kill_conn(lists[ph].head, counter);
}

/* Handed-off connections libmicrohttpd never started (mutex held).  Their
   descriptors are not the guard's: forget them, never shut them down. */
static void forget_handoffs(int64_t now)
{
	while (lists[HANDOFF].head &&
	       now - lists[HANDOFF].head->since_ms >= HANDOFF_MAX_MS) {
		berth_conn *c = lists[HANDOFF].head;
		list_unlink(c);
		addr_del(&c->key);
		free(c);
	}
}

/* Close request bodies slower than the minimum rate over a window. */
static void check_bodies(int64_t now)
{
	if (!lim.min_body_rate)
		return;
	for (berth_conn *c = lists[BODY].head, *next; c; c = next) {
		next = c->next;
		uint64_t bytes = __atomic_load_n(&c->bytes, __ATOMIC_RELAXED);
		if (__atomic_load_n(&c->server_wait, __ATOMIC_RELAXED) ||
		    __atomic_exchange_n(&c->window_reset, 0,
					__ATOMIC_RELAXED)) {
			c->window_start = now;
			c->window_bytes = bytes;
			continue;
		}
		int64_t span = now - c->window_start;
		if (span < GUARD_RATE_WINDOW_S * 1000)
			continue;
		if ((bytes - c->window_bytes) * 1000 <
		    (uint64_t)lim.min_body_rate * (uint64_t)span) {
			kill_conn(c, &stats.slow_bodies);
			continue;
		}
		c->window_start = now;
		c->window_bytes = bytes;
	}
}

/* Log what the guard closed since the last report, at most once a
   minute: under attack one line a minute, not one per connection. */
static void report(void)
{
	http_guard_stats d = {
		stats.header_timeouts - reported.header_timeouts,
		stats.idle_timeouts - reported.idle_timeouts,
		stats.slow_bodies - reported.slow_bodies,
		stats.evicted - reported.evicted,
		stats.refused_addr - reported.refused_addr,
		stats.refused_total - reported.refused_total, 0};
	if (d.header_timeouts | d.idle_timeouts | d.slow_bodies | d.evicted |
	    d.refused_addr | d.refused_total)
		LOG_WARN("connections closed in the last minute: %llu without "
			 "request headers after %us, %llu idle after %us, %llu "
			 "with a body slower than %u B/s, %llu to make room at "
			 "the limit of %u; refused: %llu over %u from one "
			 "address, %llu at the limit",
			 (unsigned long long)d.header_timeouts,
			 lim.header_timeout_s,
			 (unsigned long long)d.idle_timeouts,
			 lim.idle_timeout_s,
			 (unsigned long long)d.slow_bodies, lim.min_body_rate,
			 (unsigned long long)d.evicted, lim.limit,
			 (unsigned long long)d.refused_addr, lim.per_addr,
			 (unsigned long long)d.refused_total);
	reported = stats;
}

static void *guard_main(void *unused)
{
	(void)unused;
	int64_t next_report = now_ms() + REPORT_EVERY_MS;
	pthread_mutex_lock(&mu);
	while (!stopping) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += TICK_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&tick_cv, &mu, &ts);
		int64_t now = now_ms();
		expire(AWAIT_FIRST, lim.header_timeout_s, now,
		       &stats.header_timeouts);
		expire(AWAIT_NEXT, lim.idle_timeout_s, now,
		       &stats.idle_timeouts);
		forget_handoffs(now);
		check_bodies(now);
		if (now >= next_report) {
			report();
			next_report = now + REPORT_EVERY_MS;
		}
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

int http_guard_start(const http_guard_limits *l)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&tick_cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_lock(&mu);
	lim = *l;
	stopping = 0;
	memset(&stats, 0, sizeof stats);
	reported = stats;
	pthread_mutex_unlock(&mu);
	int rc = pthread_create(&thread, NULL, guard_main, NULL);
	if (rc) {
		pthread_cond_destroy(&tick_cv);
		errno = rc;
		return -1;
	}
	started = 1;
	return 0;
}

void http_guard_stop(void)
{
	if (!started)
		return;
	pthread_mutex_lock(&mu);
	stopping = 1;
	pthread_cond_signal(&tick_cv);
	pthread_mutex_unlock(&mu);
	pthread_join(thread, NULL);
	started = 0;
	pthread_mutex_lock(&mu);
	for (int ph = 0; ph < NPHASES; ph++)
		while (lists[ph].head) {
			berth_conn *c = lists[ph].head;
			list_unlink(c);
			free(c);
		}
	for (size_t i = 0; i < ADDR_BUCKETS; i++)
		while (addrs[i]) {
			addr_count *a = addrs[i];
			addrs[i] = a->next;
			free(a);
		}
	pthread_mutex_unlock(&mu);
	pthread_cond_destroy(&tick_cv);
}

void http_guard_get_stats(http_guard_stats *out)
{
	pthread_mutex_lock(&mu);
	*out = stats;
	out->open = live();
	pthread_mutex_unlock(&mu);
}
