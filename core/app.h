/*
 * app.h - the registry application state shared by all request handlers:
 * settings, the storage, and the in-process locks that serialise work on
 * one upload or one tag.
 */
#ifndef BERTH_CORE_APP_H
#define BERTH_CORE_APP_H

#include <pthread.h>

#include "config.h"
#include "storage/store.h"

typedef struct berth_app {
	berth_settings *cfg;
	berth_store store;
	int tls; /* serving HTTPS: absolute URLs use https */
	/* Striped mutexes keyed by a string hash (upload id, repo+tag). */
	pthread_mutex_t stripes[64];
} berth_app;

/** Lock/unlock the stripe for `key` (e.g. an upload id). */
void app_lock(berth_app *app, const char *key);
void app_unlock(berth_app *app, const char *key);

int app_init(berth_app *app, berth_settings *cfg);
void app_fini(berth_app *app);

#endif
