/*
 * registry/maintain.c - rounds of the storage driver's housekeeping (see
 * registry/maintain.h).
 *
 * The ABI promises a driver that maintain never runs concurrently with
 * itself; the purger's single thread is its only caller in the server,
 * and the try-lock keeps the promise should another caller (a test, a
 * command) ever overlap it: a round under way already does the work.
 */
#include <pthread.h>
#include <time.h>

#include "common/log.h"
#include "registry/maintain.h"
#include "registry/status.h"

static pthread_mutex_t maintain_mu = PTHREAD_MUTEX_INITIALIZER;

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int registry_maintain(berth_registry *reg, int64_t round_ns,
		      int (*stop)(void))
{
	if (!store_has(&reg->store, BERTH_CAP_MAINTAIN) ||
	    pthread_mutex_trylock(&maintain_mu))
		return 0;
	int64_t start = mono_ns();
	int more = 0;
	for (;;) {
		int rc = store_maintain(&reg->store, BERTH_MAINTAIN_BUDGET_NS,
					&more);
		if (rc) {
			const char *detail = registry_status_detail();
			LOG_WARN("storage maintenance: %s%s%s",
				 registry_status_name(rc), *detail ? ": " : "",
				 detail);
			more = 0;
			break;
		}
		/* Another call only if it fits in the round. */
		if (!more || (stop && stop()) ||
		    mono_ns() - start + BERTH_MAINTAIN_BUDGET_NS > round_ns)
			break;
	}
	pthread_mutex_unlock(&maintain_mu);
	return more;
}
