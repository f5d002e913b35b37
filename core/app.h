/*
 * app.h - the registry application: its settings, its storage, the
 * in-process locks that serialise work on one upload or one tag, and the
 * one start-up every command shares (berth serve, berth check, the tests
 * and fuzz targets that run the server in process).
 */
#ifndef BERTH_CORE_APP_H
#define BERTH_CORE_APP_H

#include <pthread.h>
#include <stddef.h>

#include "config.h"
#include "storage/driver_loader.h"
#include "storage/store.h"

struct berth_server;

typedef struct berth_app {
	berth_settings *cfg;
	berth_store store;
	int tls; /* serving HTTPS: absolute URLs use https */
	/* Striped mutexes keyed by a string hash (upload id, repo+tag). */
	pthread_mutex_t stripes[64];
	berth_driver *driver;         /* loaded by app_open */
	struct berth_server *server;  /* running since app_serve */
} berth_app;

/** Lock/unlock the stripe for `key` (e.g. an upload id). */
void app_lock(berth_app *app, const char *key);
void app_unlock(berth_app *app, const char *key);

/** The locks only, for tests that bring their own store. */
int app_init(berth_app *app, berth_settings *cfg);
void app_fini(berth_app *app);

/**
 * app_init, then load the driver `cfg` names and open its store with
 * the driver's options.  0, or -1 with a message (nothing left open).
 * `cfg` stays the caller's and must outlive the app.
 */
int app_open(berth_app *app, berth_settings *cfg, char *err, size_t errlen);
void app_close(berth_app *app);

/**
 * Serve: TLS (http.tls), access control (auth), the HTTP server with the
 * API's routes, the upload purger.  0, or -1 with a message (nothing left
 * running).
 */
int app_serve(berth_app *app, char *err, size_t errlen);
/** Stop what app_serve started: the purger, the server, access control,
    TLS. */
void app_unserve(berth_app *app);

#endif
