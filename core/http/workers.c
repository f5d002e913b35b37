/*
 * http/workers.c - the job pool behind the HTTP server (see http/workers.h).
 *
 * One mutex guards a ring of clients that have jobs waiting, each with
 * its own FIFO of jobs; a thread takes the first job of the client at
 * the head of the ring and moves that client to the tail.  Client
 * entries live in a small hash table and are freed when their queue
 * empties, so the memory follows the clients waiting now.  Jobs are
 * short (a driver call, a body piece of at most a few hundred KiB), so
 * one pool-wide queue costs a lock round trip per job and nothing more.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "http/workers.h"

#define TENANT_BUCKETS 256

typedef struct tenant {
	uint64_t key;
	berth_job *head, *tail;
	struct tenant *ring_next; /* in the ring of clients with jobs */
	struct tenant *hash_next;
} tenant;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static tenant *buckets[TENANT_BUCKETS];
static tenant *ring_head, *ring_tail;
/* Jobs of clients no tenant entry could be allocated for share this one,
   so queueing never fails. */
static tenant fallback;
static size_t queued;
static unsigned live; /* threads that still take jobs */
static int stopping;
static pthread_t *threads;
static unsigned nthreads;

static tenant **bucket_of(uint64_t key)
{
	return &buckets[(key ^ (key >> 29)) % TENANT_BUCKETS];
}

/* The entry of `key`, created if needed (mutex held). */
static tenant *tenant_of(uint64_t key)
{
	tenant **b = bucket_of(key);
	for (tenant *t = *b; t; t = t->hash_next)
		if (t->key == key)
			return t;
	tenant *t = calloc(1, sizeof *t);
	if (!t)
		return &fallback;
	t->key = key;
	t->hash_next = *b;
	*b = t;
	return t;
}

static void tenant_free(tenant *t)
{
	if (t == &fallback)
		return;
	for (tenant **p = bucket_of(t->key); *p; p = &(*p)->hash_next) {
		if (*p == t) {
			*p = t->hash_next;
			break;
		}
	}
	free(t);
}

static void enqueue(berth_job *j)
{
	tenant *t = tenant_of(j->tenant);
	j->next = NULL;
	if (t->tail) {
		t->tail->next = j;
	} else {
		t->head = j;
		t->ring_next = NULL; /* joins the ring */
		if (ring_tail)
			ring_tail->ring_next = t;
		else
			ring_head = t;
		ring_tail = t;
	}
	t->tail = j;
	queued++;
}

/* The next job in turn, or NULL (mutex held). */
static berth_job *dequeue(void)
{
	tenant *t = ring_head;
	if (!t)
		return NULL;
	berth_job *j = t->head;
	t->head = j->next;
	ring_head = t->ring_next;
	if (!ring_head)
		ring_tail = NULL;
	if (t->head) { /* more to do: to the back of the ring */
		t->ring_next = NULL;
		if (ring_tail)
			ring_tail->ring_next = t;
		else
			ring_head = t;
		ring_tail = t;
	} else {
		t->tail = NULL;
		tenant_free(t);
	}
	queued--;
	return j;
}

static void *worker_main(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&mu);
	for (;;) {
		berth_job *j;
		while (!(j = dequeue()) && !stopping)
			pthread_cond_wait(&wake, &mu);
		if (!j) /* stopping, and nothing left to run */
			break;
		pthread_mutex_unlock(&mu);
		j->fn(j->arg); /* may free j: read nothing from it after */
		pthread_mutex_lock(&mu);
	}
	live--;
	pthread_mutex_unlock(&mu);
	return NULL;
}

int http_workers_start(unsigned n)
{
	if (n == 0)
		n = 1;
	threads = calloc(n, sizeof *threads);
	if (!threads)
		return -1;
	pthread_mutex_lock(&mu);
	stopping = 0;
	pthread_mutex_unlock(&mu);
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	/* Drivers call libcurl, OpenSSL and libxml2: give them the usual
	   stack, not a trimmed one. */
	pthread_attr_setstacksize(&attr, 8u << 20);
	for (nthreads = 0; nthreads < n; nthreads++) {
		pthread_mutex_lock(&mu);
		live++;
		pthread_mutex_unlock(&mu);
		int rc = pthread_create(&threads[nthreads], &attr, worker_main,
					NULL);
		if (rc) {
			pthread_mutex_lock(&mu);
			live--;
			pthread_mutex_unlock(&mu);
			pthread_attr_destroy(&attr);
			http_workers_stop();
			errno = rc;
			return -1;
		}
	}
	pthread_attr_destroy(&attr);
	return 0;
}

void http_workers_run(berth_job *j)
{
	pthread_mutex_lock(&mu);
	if (!live) {
		pthread_mutex_unlock(&mu);
		j->fn(j->arg);
		return;
	}
	enqueue(j);
	pthread_cond_signal(&wake);
	pthread_mutex_unlock(&mu);
}

void http_workers_stop(void)
{
	pthread_mutex_lock(&mu);
	stopping = 1;
	pthread_cond_broadcast(&wake);
	pthread_mutex_unlock(&mu);
	for (unsigned i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	free(threads);
	threads = NULL;
	nthreads = 0;
	/* A job queued after the last thread looked at the queue: run it
	   here rather than lose it. */
	pthread_mutex_lock(&mu);
	berth_job *j;
	while ((j = dequeue())) {
		pthread_mutex_unlock(&mu);
		j->fn(j->arg);
		pthread_mutex_lock(&mu);
	}
	pthread_mutex_unlock(&mu);
}

size_t http_workers_queued(void)
{
	pthread_mutex_lock(&mu);
	size_t n = queued;
	pthread_mutex_unlock(&mu);
	return n;
}
