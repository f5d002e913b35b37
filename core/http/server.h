/*
 * http/server.h - run the HTTP server until SIGINT or SIGTERM.
 */
#ifndef BERTH_CORE_SERVER_H
#define BERTH_CORE_SERVER_H

#include "app.h"

/** Serve until a terminating signal; returns 0, or -1 if it cannot listen. */
int berth_server_run(berth_app *app);

#endif
