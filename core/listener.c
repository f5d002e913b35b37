/*
 * listener.c - accepts plain-HTTP connections and looks at their first
 * byte before libmicrohttpd sees them.
 *
 * Why: clients told a registry is "insecure" (docker, dockerd, the docker
 * CLI's --insecure) first try HTTPS and fall back to HTTP only when the
 * answer shows the port speaks HTTP.  libmicrohttpd, fed a TLS ClientHello,
 * sometimes answers 400, sometimes waits for a line end and sometimes
 * closes the connection; the client reads the close as a network error and
 * gives up.  A TLS record starts with byte 0x16, which no HTTP method
 * does, so this loop answers such a connection with a 400 at once, and
 * gives every other connection to libmicrohttpd unchanged.
 *
 * One thread runs an epoll loop over the listening socket, a wake-up
 * eventfd and the connections waiting for their first byte, so the check
 * costs no thread per connection and a client that never sends anything
 * is closed after the connection timeout.
 */
#include <errno.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "listener.h"
#include "log.h"

typedef struct pending {
	int fd;
	struct sockaddr_storage addr;
	socklen_t len;
	time_t since;
	struct pending *prev, *next;
} pending;

struct berth_listener {
	int listen_fd, epfd, wake_fd;
	struct MHD_Daemon *daemon;
	unsigned timeout_s, limit, per_ip, count;
	pending *head;
	pthread_t thread;
};

static const char tls_body[] =
	"This port serves plain HTTP: use http://, not https://.\n";

int berth_listen_socket(const struct sockaddr *addr, socklen_t len)
{
	int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, addr, len) || listen(fd, 1024)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void unlink_pending(berth_listener *l, pending *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		l->head = p->next;
	if (p->next)
		p->next->prev = p->prev;
	l->count--;
}

static void drop(berth_listener *l, pending *p)
{
	unlink_pending(l, p);
	close(p->fd);
	free(p);
}

/* Same client address (the port does not matter). */
static int same_host(const struct sockaddr_storage *a,
		     const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return !memcmp(&((const struct sockaddr_in *)a)->sin_addr,
			       &((const struct sockaddr_in *)b)->sin_addr,
			       sizeof(struct in_addr));
	if (a->ss_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr,
			       sizeof(struct in6_addr));
	return 0;
}

/* A client address already holding per_ip waiting connections gets no
   more: without this, one client opening silent connections fills the
   whole pool and every other client is turned away until they expire. */
static int host_full(const berth_listener *l, const pending *np)
{
	if (!l->per_ip)
		return 0;
	unsigned n = 0;
	for (const pending *p = l->head; p; p = p->next)
		if (same_host(&p->addr, &np->addr) && ++n >= l->per_ip)
			return 1;
	return 0;
}

static void accept_all(berth_listener *l)
{
	for (;;) {
		pending *p = calloc(1, sizeof *p);
		if (!p)
			return;
		p->len = sizeof p->addr;
		p->fd = accept4(l->listen_fd, (struct sockaddr *)&p->addr,
				&p->len, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (p->fd < 0) {
			free(p);
			return;
		}
		if (l->count >= l->limit || host_full(l, p)) {
			close(p->fd);
			free(p);
			continue;
		}
		p->since = time(NULL);
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP,
					 .data.ptr = p};
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, p->fd, &ev)) {
			close(p->fd);
			free(p);
			continue;
		}
		p->next = l->head;
		if (l->head)
			l->head->prev = p;
		l->head = p;
		l->count++;
	}
}

/* The first byte arrived (or the peer closed): decide. */
static void first_byte(berth_listener *l, pending *p)
{
	unsigned char b;
	ssize_t n = recv(p->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, p->fd, NULL);
	if (n == 1 && b == 0x16) {
		char reply[512];
		int len = snprintf(reply, sizeof reply,
				   "HTTP/1.1 400 Bad Request\r\n"
				   "Content-Type: text/plain\r\n"
				   "Connection: close\r\n"
				   "Content-Length: %zu\r\n\r\n%s",
				   sizeof tls_body - 1, tls_body);
		if (send(p->fd, reply, (size_t)len,
			 MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			LOG_DEBUG("http: could not answer a TLS handshake");
		/* Read what the client sent, so closing sends a FIN and not a
		   reset, which could discard the answer before it is read. */
		char sink[4096];
		for (int i = 0; i < 16 && recv(p->fd, sink, sizeof sink,
					      MSG_DONTWAIT) > 0; i++)
			;
		shutdown(p->fd, SHUT_WR);
		drop(l, p);
		return;
	}
	if (n != 1) {
		drop(l, p);
		return;
	}
	unlink_pending(l, p);
	/* libmicrohttpd expects a blocking socket in thread-per-connection
	   mode. */
	int fl = fcntl(p->fd, F_GETFL);
	if (fl >= 0)
		fcntl(p->fd, F_SETFL, fl & ~O_NONBLOCK);
	if (MHD_add_connection(l->daemon, p->fd, (struct sockaddr *)&p->addr,
			       p->len) != MHD_YES)
		LOG_DEBUG("http: connection refused by the server's limits");
	free(p);
}

static void expire(berth_listener *l)
{
	time_t now = time(NULL);
	for (pending *p = l->head, *next; p; p = next) {
		next = p->next;
		if (now - p->since >= (time_t)l->timeout_s) {
			epoll_ctl(l->epfd, EPOLL_CTL_DEL, p->fd, NULL);
			drop(l, p);
		}
	}
}

static void *listener_main(void *arg)
{
	berth_listener *l = arg;
	struct epoll_event evs[64];
	for (;;) {
		int n = epoll_wait(l->epfd, evs, 64, 1000);
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			void *ptr = evs[i].data.ptr;
			if (ptr == &l->wake_fd)
				return NULL;
			if (ptr == &l->listen_fd)
				accept_all(l);
			else
				first_byte(l, ptr);
		}
		expire(l);
	}
	return NULL;
}

int berth_listener_start(berth_listener **out, int listen_fd,
			 struct MHD_Daemon *daemon, unsigned timeout_s,
			 unsigned limit, unsigned per_ip)
{
	berth_listener *l = calloc(1, sizeof *l);
	if (!l)
		return -1;
	l->listen_fd = listen_fd;
	l->daemon = daemon;
	l->timeout_s = timeout_s ? timeout_s : 60;
	l->limit = limit ? limit : 1024;
	l->per_ip = per_ip;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int fl = fcntl(listen_fd, F_GETFL);
	fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &l->listen_fd};
	struct epoll_event wake = {.events = EPOLLIN, .data.ptr = &l->wake_fd};
	if (l->epfd < 0 || l->wake_fd < 0 ||
	    epoll_ctl(l->epfd, EPOLL_CTL_ADD, listen_fd, &ev) ||
	    epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->wake_fd, &wake) ||
	    pthread_create(&l->thread, NULL, listener_main, l)) {
		int e = errno;
		if (l->epfd >= 0)
			close(l->epfd);
		if (l->wake_fd >= 0)
			close(l->wake_fd);
		free(l);
		errno = e;
		return -1;
	}
	*out = l;
	return 0;
}

void berth_listener_stop(berth_listener *l)
{
	if (!l)
		return;
	uint64_t one = 1;
	if (write(l->wake_fd, &one, sizeof one) < 0)
		LOG_WARN("http: could not wake the accept thread");
	pthread_join(l->thread, NULL);
	while (l->head)
		drop(l, l->head);
	close(l->listen_fd);
	close(l->epfd);
	close(l->wake_fd);
	free(l);
}
