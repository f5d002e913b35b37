/*
 * app.h - the registry application: its settings, its driver, the
 * registry (store and locks) the API works on, and the one start-up
 * every command shares (berth serve, berth check, the tests and fuzz
 * targets that run the server in process).
 */
#ifndef BERTH_CORE_APP_H
#define BERTH_CORE_APP_H

#include <stddef.h>

#include "config.h"
#include "registry/registry.h"
#include "storage/driver_loader.h"

struct berth_server;

typedef struct berth_app {
	berth_settings *cfg;
	berth_registry
		reg; /* its store is open between app_open and app_close */
	int tls; /* serving HTTPS: absolute URLs use https */
	berth_driver *driver;         /* loaded by app_open */
	struct berth_server *server;  /* running since app_serve */
} berth_app;

/**
 * Load the driver `cfg` names and open the registry's store with the
 * driver's options.  0, or -1 with a message (nothing left open).
 * `cfg` stays the caller's and must outlive the app.
 */
int app_open(berth_app *app, berth_settings *cfg, char *err, size_t errlen);
void app_close(berth_app *app);

/**
 * Everything app_open and app_serve do short of listening: load the
 * driver and open the store (the driver's create and health check), load
 * TLS certificate and key, apply the password policy, load password files
 * and token keys; then undo it all.  0, or -1 with every problem found
 * in `err`, one a line ("file:line: key: what").  For berth check-config.
 */
int app_check(berth_settings *cfg, char *err, size_t errlen);

/**
 * Serve: TLS (http.tls), access control (auth), the HTTP server with the
 * API's routes, the upload purger.  0, or -1 with a message (nothing left
 * running).
 */
int app_serve(berth_app *app, char *err, size_t errlen);
/** Stop accepting connections (the listening socket is closed); the open
    ones are still served.  Before app_unserve, to drain. */
void app_quiesce(berth_app *app);
/** Requests under way. */
unsigned long app_inflight(const berth_app *app);
/** Stop what app_serve started: the purger, the server, access control,
    TLS. */
void app_unserve(berth_app *app);

#endif
