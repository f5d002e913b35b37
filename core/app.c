/*
 * app.c - the start-up the commands share: settings -> driver ->
 * registry (its store), then TLS, access control (told whether TLS is
 * on), the HTTP server with the API's routes, and the upload purger.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/routes.h"
#include "app.h"
#include "auth/auth.h"
#include "common/log.h"
#include "http/server.h"
#include "http/tls.h"
#include "registry/purge.h"

int app_open(berth_app *app, berth_settings *cfg, char *err, size_t errlen)
{
	memset(app, 0, sizeof *app);
	app->cfg = cfg;
	char *file = driver_resolve(cfg->driver, cfg->driver_path);
	if (!file) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int rc = driver_load(file, &app->driver, err, errlen);
	free(file);
	if (rc)
		return -1;
	berth_config_item *items = calloc(cfg->noptions + 1, sizeof *items);
	if (!items) {
		snprintf(err, errlen, "out of memory");
		driver_unload(app->driver);
		app->driver = NULL;
		return -1;
	}
	for (size_t i = 0; i < cfg->noptions; i++) {
		items[i].key = cfg->options[i].key;
		items[i].value = cfg->options[i].value;
	}
	berth_config opts = {.count = cfg->noptions, .items = items};
	registry_init(&app->reg, cfg);
	rc = store_open(&app->reg.store, app->driver, &opts, err, errlen);
	free(items);
	if (rc) {
		registry_fini(&app->reg);
		driver_unload(app->driver);
		app->driver = NULL;
		return -1;
	}
	return 0;
}

void app_close(berth_app *app)
{
	store_close(&app->reg.store);
	registry_fini(&app->reg);
	driver_unload(app->driver);
	app->driver = NULL;
}

/* HTTPS as http.tls says; *on = 1 when serving it.  0 or -1 with a
   message. */
static int tls_start(const berth_settings *cfg, int *on, char *err,
		     size_t errlen)
{
	*on = 0;
	if ((cfg->tls_certificate && *cfg->tls_certificate) ||
	    (cfg->tls_key && *cfg->tls_key)) {
		http_tls_options o = {
			.certificate = cfg->tls_certificate,
			.key = cfg->tls_key,
			.clientcas = cfg->tls_clientcas.v,
			.nclientcas = cfg->tls_clientcas.n,
			.clientauth = cfg->tls_clientauth,
			.minimum = cfg->tls_minimum,
		};
		if (http_tls_init(&o, err, errlen))
			return -1;
		*on = 1;
	} else if (cfg->tls_clientcas.n || cfg->tls_clientauth ||
		   cfg->tls_minimum) {
		snprintf(err, errlen,
			 "http.tls.clientcas, clientauth and minimumtls need "
			 "http.tls.certificate and key");
		return -1;
	}
	return 0;
}

int app_serve(berth_app *app, char *err, size_t errlen)
{
	if (tls_start(app->cfg, &app->tls, err, errlen))
		return -1;
	if (auth_start(&app->cfg->auth, app->tls, err, errlen)) {
		http_tls_fini();
		return -1;
	}
	http_server_options so = {app->cfg, app->tls, api_route, &app->reg};
	app->server = http_server_start(&so, err, errlen);
	if (!app->server) {
		auth_stop();
		http_tls_fini();
		return -1;
	}
	LOG_INFO("berth %s serving (storage: %s)", BERTH_VERSION,
		 app->reg.store.d->name);
	if (registry_purge_start(&app->reg))
		LOG_WARN("could not start the upload purger");
	return 0;
}

void app_quiesce(berth_app *app)
{
	http_server_quiesce(app->server);
}

unsigned long app_inflight(const berth_app *app)
{
	return http_server_inflight(app->server);
}

void app_unserve(berth_app *app)
{
	registry_purge_stop();
	http_server_stop(app->server);
	app->server = NULL;
	auth_stop();
	http_tls_fini();
}
