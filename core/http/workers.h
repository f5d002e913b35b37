/*
 * http/workers.h - a fixed pool of threads that run jobs, fairly between
 * clients.
 *
 * The HTTP event threads never block on storage: every step of a request
 * that may call a driver (route handler, body pieces, the end of a body,
 * reading ahead for a streamed download) runs here, while its connection
 * waits (see http/dispatch.c).
 *
 * Each job names its client (`tenant`: the connection's address, see
 * http/conn_guard.h).  The pool takes jobs from the clients in turn, each
 * client's in the order they came, so a client that floods the queue
 * (hundreds of connections starting uploads at once) delays the others
 * by a job each, not by its whole backlog.
 */
#ifndef BERTH_CORE_HTTP_WORKERS_H
#define BERTH_CORE_HTTP_WORKERS_H

#include <stddef.h>
#include <stdint.h>

typedef void (*berth_job_fn)(void *arg);

/**
 * One job.  The node belongs to the caller (it lives in the request the
 * job works on, which never has two jobs at once), so queueing a job
 * cannot fail for want of memory.  It must stay valid until `fn` starts.
 */
typedef struct berth_job {
	berth_job_fn fn;
	void *arg;
	uint64_t tenant;        /* the client the job works for */
	struct berth_job *next; /* the pool's */
} berth_job;

/**
 * Start `n` threads.  Returns 0, or -1 with errno set (no thread is left
 * running).
 */
int http_workers_start(unsigned n);

/**
 * Queue `j`.  When the pool is not running (not started, or stopped),
 * `j->fn(j->arg)` runs at once on the calling thread instead: at shutdown
 * a request's last steps still run, just without a worker.
 */
void http_workers_run(berth_job *j);

/**
 * Run every job queued so far, then join the threads.  Jobs queued while
 * stopping still run, on the pool if a thread is left, else on the
 * caller of http_workers_run.
 */
void http_workers_stop(void);

/** Jobs waiting for a thread right now (for tests and diagnostics). */
size_t http_workers_queued(void);

#endif
