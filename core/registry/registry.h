/*
 * registry/registry.h - what every registry operation works on: the
 * settings, the store, and the in-process locks that serialise work on
 * one upload or one tag.  The application (app.h) owns one and hands it
 * to the API; the registry layer needs nothing above it.
 */
#ifndef BERTH_CORE_REGISTRY_REGISTRY_H
#define BERTH_CORE_REGISTRY_REGISTRY_H

#include <pthread.h>

#include "config.h"
#include "storage/store.h"

typedef struct berth_registry {
	berth_settings *cfg; /* borrowed: outlives the registry */
	berth_store store;   /* opened by the owner after registry_init */
	/* Striped mutexes keyed by a string hash (upload id, repo+tag). */
	pthread_mutex_t stripes[64];
} berth_registry;

/** Set the settings and make the locks; the store is the caller's to
    open.  Undone by registry_fini. */
void registry_init(berth_registry *reg, berth_settings *cfg);
void registry_fini(berth_registry *reg);

/** Lock/unlock the stripe for `key` (e.g. an upload id).  Not
    recursive: two keys may share a stripe, so never hold one while
    taking another. */
void registry_lock(berth_registry *reg, const char *key);
void registry_unlock(berth_registry *reg, const char *key);

#endif
