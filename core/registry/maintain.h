/*
 * registry/maintain.h - the storage driver's housekeeping
 * (BERTH_CAP_MAINTAIN: compaction, checkpoints, stale temporary data),
 * run by the purger's thread on its schedule (registry/purge.c) in calls
 * of a bounded budget, so it never holds storage for long and never runs
 * twice at once.
 */
#ifndef BERTH_CORE_REGISTRY_MAINTAIN_H
#define BERTH_CORE_REGISTRY_MAINTAIN_H

#include <stdint.h>

#include "registry/registry.h"

/** Wall time one call of the driver's maintain may take. */
#define BERTH_MAINTAIN_BUDGET_NS (2 * 1000000000LL)

/**
 * One round of maintenance: the driver's maintain with a budget of
 * BERTH_MAINTAIN_BUDGET_NS, again while it says work is left, for at most
 * `round_ns` in all and while `stop` (may be NULL) says 0.  Errors are
 * logged.  A round already under way elsewhere makes this one a no-op.
 * 1 if the driver has work left (call again soon), 0 if not (or it has
 * no maintain).
 */
int registry_maintain(berth_registry *reg, int64_t round_ns,
		      int (*stop)(void));

#endif
