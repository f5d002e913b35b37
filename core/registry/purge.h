/*
 * registry/purge.h - removal of abandoned uploads (storage.maintenance.uploadpurging):
 * uploads whose `startedat` is older than the configured age are deleted,
 * once at start-up and then every interval, by a background thread.
 */
#ifndef BERTH_CORE_REGISTRY_PURGE_H
#define BERTH_CORE_REGISTRY_PURGE_H

#include <stdint.h>

#include "registry/registry.h"

/**
 * Remove (or with dryrun only count) every upload started before
 * `cutoff` (seconds since the epoch).  Returns the number of uploads
 * found, or a negative berth_status if the walk failed.
 */
long registry_purge_uploads(berth_registry *reg, int64_t cutoff, int dryrun);

/** Start the background purger if enabled in the settings, or if the
    driver has maintenance to run on its schedule (registry/maintain.h);
    never for a read-only registry. */
int registry_purge_start(berth_registry *reg);
/** Stop it and wait for the thread (no-op if not started). */
void registry_purge_stop(void);

#endif
