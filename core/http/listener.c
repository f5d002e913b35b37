/*
 * http/listener.c - accepts plain-HTTP connections and looks at their first
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
 * costs no thread per connection.  Admission and the deadline for the
 * first byte are the connection guard's (http/conn_guard.h): it shuts a
 * waiting socket down, which this loop sees as end of file.
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
#include <unistd.h>

#include "common/log.h"
#include "http/conn_guard.h"
#include "http/listener.h"

typedef struct pending {
	int fd;
	struct sockaddr_storage addr;
	socklen_t len;
	berth_conn *guard;
	struct pending *prev, *next;
} pending;

struct berth_listener {
	int listen_fd, epfd, wake_fd;
	int spare_fd; /* kept open to accept and close when out of descriptors */
	struct MHD_Daemon *daemon;
	pending *head;
	pthread_t thread;
};

static const char tls_body[] =
	"This port serves plain HTTP: use http://, not https://.\n";

int http_listen_socket(const struct sockaddr *addr, socklen_t len,
		       int v6only)
{
	int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	/* Set either way: the system's default (bindv6only) may be either. */
	if (addr->sa_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
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
}

static void drop(berth_listener *l, pending *p)
{
	unlink_pending(l, p);
	/* before the descriptor is closed: the guard may shut it down until
	   then */
	http_guard_remove(p->guard);
	close(p->fd);
	free(p);
}

/* Out of descriptors: the pending connection would wake this loop again
   and again.  Free the spare descriptor, accept the connection with it
   and close it at once (the client sees a closed connection rather than
   a hang), then take the spare back. */
static void shed(berth_listener *l)
{
	close(l->spare_fd);
	int fd = accept4(l->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		close(fd);
	l->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	LOG_WARN("http: out of file descriptors; a connection was refused");
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
			int e = errno;
			free(p);
			if ((e == EMFILE || e == ENFILE) && l->spare_fd >= 0)
				shed(l);
			return;
		}
		if (!http_guard_admit((struct sockaddr *)&p->addr)) {
			close(p->fd);
			free(p);
			continue;
		}
		struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP,
					 .data.ptr = p};
		if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, p->fd, &ev)) {
			close(p->fd);
			free(p);
			continue;
		}
		p->guard = http_guard_add(p->fd, (struct sockaddr *)&p->addr);
		p->next = l->head;
		if (l->head)
			l->head->prev = p;
		l->head = p;
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
	http_guard_handoff(p->guard);
	if (MHD_add_connection(l->daemon, p->fd, (struct sockaddr *)&p->addr,
			       p->len) != MHD_YES) {
		/* it closed the socket and will not start the connection */
		http_guard_remove(p->guard);
		LOG_DEBUG("http: connection refused by the server's limits");
	}
	free(p);
}

static void *listener_main(void *arg)
{
	berth_listener *l = arg;
	struct epoll_event evs[64];
	for (;;) {
		int n = epoll_wait(l->epfd, evs, 64, -1);
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
	}
	return NULL;
}

int http_listener_start(berth_listener **out, int listen_fd,
			 struct MHD_Daemon *daemon)
{
	berth_listener *l = calloc(1, sizeof *l);
	if (!l)
		return -1;
	l->listen_fd = listen_fd;
	l->daemon = daemon;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	l->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	l->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
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
		if (l->spare_fd >= 0)
			close(l->spare_fd);
		free(l);
		errno = e;
		return -1;
	}
	*out = l;
	return 0;
}

void http_listener_stop(berth_listener *l)
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
	if (l->spare_fd >= 0)
		close(l->spare_fd);
	free(l);
}
