/*
 * mem_maintain.c - maintain of the in-memory driver (BERTH_CAP_MAINTAIN):
 * give back memory the store holds but does not use.  Parked writer data
 * keeps the capacity its buffer grew to, and the object array keeps the
 * size of its busiest moment; maintain trims both, one parked buffer per
 * hold of the write lock, so other calls wait at most for one trim and
 * the budget is checked between steps.
 *
 * Nothing is dropped: a parked buffer, even an empty one, decides what a
 * later writer_open(append=1) continues, and objects are only moved in
 * memory, so no committed object changes and no writer data is lost.
 */
#include <stdlib.h>
#include <time.h>

#include "mem.h"

/* Keep an array this many slots large at least; trim when it is four
   times what is used. */
#define MIN_SLOTS 64

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One step under the write lock; 1 when a whole round is done. */
static int tidy_step(mem_store *st)
{
	if (st->tidy_next < st->npend) {
		mem_pending *p = &st->pend[st->tidy_next++];
		if (p->data && p->cap > p->len) {
			char *d = realloc(p->data, p->len ? p->len : 1);
			if (d) {
				p->data = d;
				p->cap = p->len ? p->len : 1;
			}
		}
		return 0;
	}
	st->tidy_next = 0;
	if (st->cap > MIN_SLOTS && st->n < st->cap / 4) {
		size_t cap = st->n * 2 > MIN_SLOTS ? st->n * 2 : MIN_SLOTS;
		mem_obj *o = realloc(st->objs, cap * sizeof *o);
		if (o) {
			st->objs = o;
			st->cap = cap;
		}
	}
	return 1;
}

int mem_maintain(berth_instance *in, int64_t budget_ns, int *out_more)
{
	mem_store *st = in->st;
	int64_t start = mono_ns();
	int more = 0;
	for (;;) {
		pthread_rwlock_wrlock(&st->lock);
		int done = tidy_step(st);
		pthread_rwlock_unlock(&st->lock);
		if (done)
			break;
		if (mono_ns() - start >= budget_ns) {
			more = 1;
			break;
		}
	}
	*out_more = more;
	return BERTH_OK;
}
