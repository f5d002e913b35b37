/*
 * common/json_limits.c - jansson with a memory budget per parse, a bound on
 * depth and value count, and a bound on parses running at once.
 *
 * Accounting.  jansson allocates through one pair of functions
 * (json_set_alloc_funcs), process-wide.  Ours count only while the
 * calling thread is inside json_limits_loadb: a thread-local budget and
 * counter, so parses on other threads neither see nor disturb it.  The
 * size of a block is taken from the allocator (malloc_usable_size) rather
 * than from a header in front of the block: a header would make every
 * block jansson allocated before the functions were installed (or after
 * they were, by a library sharing libjansson) unfreeable, while the
 * allocator's own size is right for any block.  Each block is counted
 * with the 8 bytes of malloc's chunk header, so the count follows what
 * the process really holds.  jansson never reallocates (it only has
 * malloc and free), and frees inside a parse are of blocks that parse
 * allocated (its string buffer growing), so the counter stays exact.
 *
 * When a block would take the thread over its budget, the allocation
 * fails; jansson then abandons the parse and frees what it built.  So a
 * parse never holds more than its budget, whatever the input.
 *
 * Throttling.  A budget bounds one parse; `throttle` bounds how many
 * large parses run at once: a counting semaphore of 2 x the online CPUs,
 * at most 16 (a parse is CPU-bound: more at once would only queue on the
 * CPUs, each holding its memory).
 */
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/json_limits.h"

/* glibc's per-chunk header beyond the usable size. */
#define CHUNK_OVERHEAD sizeof(size_t)

static __thread int tl_active;
static __thread int tl_exceeded;
static __thread size_t tl_used, tl_budget, tl_peak;

static size_t block_size(void *p)
{
	return malloc_usable_size(p) + CHUNK_OVERHEAD;
}

static void *acct_malloc(size_t n)
{
	if (!tl_active)
		return malloc(n);
	if (tl_exceeded || n > tl_budget - tl_used)
		goto over;
	void *p = malloc(n);
	if (!p)
		return NULL;
	size_t b = block_size(p);
	if (b > tl_budget - tl_used) {
		free(p);
		goto over;
	}
	tl_used += b;
	if (tl_used > tl_peak)
		tl_peak = tl_used;
	return p;
over:
	tl_exceeded = 1;
	return NULL;
}

static void acct_free(void *p)
{
	if (p && tl_active) {
		size_t b = block_size(p);
		tl_used = b < tl_used ? tl_used - b : 0;
	}
	free(p);
}

static pthread_once_t install_once = PTHREAD_ONCE_INIT;

static void install(void)
{
	json_set_alloc_funcs(acct_malloc, acct_free);
}

void json_limits_init(void)
{
	pthread_once(&install_once, install);
}

size_t json_limits_thread_peak(void)
{
	size_t p = tl_peak;
	tl_peak = 0;
	return p;
}

/* ---- throttle ---- */

/* Memory does not grow with the CPU count: a large machine still holds
   at most this many budgets at once. */
#define SLOTS_CAP 16u

static pthread_mutex_t slot_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slot_cv = PTHREAD_COND_INITIALIZER;
static unsigned slots_used, slots_max;

unsigned json_limits_slots(void)
{
	pthread_mutex_lock(&slot_mu);
	if (!slots_max) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		slots_max = n < 1 ? 2u : n > SLOTS_CAP / 2 ? SLOTS_CAP
							     : 2u * (unsigned)n;
	}
	unsigned m = slots_max;
	pthread_mutex_unlock(&slot_mu);
	return m;
}

static void slot_take(void)
{
	unsigned max = json_limits_slots();
	pthread_mutex_lock(&slot_mu);
	while (slots_used >= max)
		pthread_cond_wait(&slot_cv, &slot_mu);
	slots_used++;
	pthread_mutex_unlock(&slot_mu);
}

static void slot_give(void)
{
	pthread_mutex_lock(&slot_mu);
	slots_used--;
	pthread_cond_signal(&slot_cv);
	pthread_mutex_unlock(&slot_mu);
}

/* ---- shape ---- */

typedef struct shape {
	size_t values, max_depth;
} shape;

/* Count the values below and including `v` at nesting `depth` (all of
   them, so a refusal can say how many); stops (returns -1) only when the
   tree is deeper than max_depth, checked before descending, which also
   bounds the recursion.  The tree is within the memory budget, so the
   count is bounded too. */
static int measure(json_t *v, size_t depth, shape *s)
{
	s->values++;
	if (!json_is_object(v) && !json_is_array(v))
		return 0;
	if (depth > s->max_depth)
		return -1;
	if (json_is_array(v)) {
		size_t i;
		json_t *e;
		json_array_foreach(v, i, e)
		{
			if (measure(e, depth + 1, s))
				return -1;
		}
		return 0;
	}
	const char *k;
	json_t *e;
	json_object_foreach(v, k, e)
	{
		if (measure(e, depth + 1, s))
			return -1;
	}
	return 0;
}

__attribute__((format(printf, 3, 4))) static void
say(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

json_t *json_limits_loadb(const char *data, size_t len, size_t flags,
			  const json_limits *lim, json_limits_status *status,
			  char *err, size_t errlen)
{
	json_limits_status st_local;
	if (!status)
		status = &st_local;
	*status = JSON_LIMITS_OK;
	if (err && errlen)
		err[0] = '\0';
	json_limits_init();

	if (lim->throttle)
		slot_take();
	/* Nested use (a parse inside a parse) is not expected; keep the
	   outer accounting if it ever happens. */
	int outer = tl_active;
	size_t saved_used = tl_used, saved_budget = tl_budget;
	int saved_exceeded = tl_exceeded;
	tl_active = 1;
	tl_exceeded = 0;
	tl_used = 0;
	tl_budget = lim->budget;

	json_error_t je;
	json_t *root = json_loadb(data, len, flags, &je);
	int exceeded = tl_exceeded;

	tl_active = outer;
	tl_used = saved_used;
	tl_budget = saved_budget;
	tl_exceeded = saved_exceeded;
	if (lim->throttle)
		slot_give();

	if (!root) {
		if (exceeded) {
			*status = JSON_LIMITS_MEMORY;
			say(err, errlen,
			    "JSON too complex: its %zu bytes would take more "
			    "than the limit of %zu bytes of memory to parse",
			    len, lim->budget);
		} else {
			*status = JSON_LIMITS_SYNTAX;
			say(err, errlen,
			    "invalid JSON at line %d, column %d: %s", je.line,
			    je.column, je.text);
		}
		return NULL;
	}

	shape s = {.max_depth = lim->max_depth};
	if (measure(root, 1, &s)) {
		json_decref(root);
		*status = JSON_LIMITS_DEPTH;
		say(err, errlen,
		    "JSON too complex: nested more than %zu levels deep",
		    lim->max_depth);
		return NULL;
	}
	if (s.values > lim->max_values) {
		json_decref(root);
		*status = JSON_LIMITS_VALUES;
		say(err, errlen, "JSON too complex: %zu values, limit %zu",
		    s.values, lim->max_values);
		return NULL;
	}
	return root;
}
