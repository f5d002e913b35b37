/*
 * app.c - the start-up the commands share: settings -> driver ->
 * registry (its store), then TLS, access control (the password policy,
 * then password files and keys), the HTTP server with the API's routes,
 * and the upload purger.  berth check-config runs the same steps short of
 * listening (app_check), so what it accepts serve starts and what serve
 * refuses it reports.  Both ask a driver that can check its options
 * alone (validate_config) before they create an instance.  Each step's
 * message names the file, line and key of the setting at fault
 * (config_where).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/routes.h"
#include "app.h"
#include "auth/auth.h"
#include "common/digest.h"
#include "common/log.h"
#include "http/server.h"
#include "http/tls.h"
#include "registry/purge.h"

/* "file:line: key: msg" into err: where the setting at fault is. */
static void blame(const berth_settings *cfg, const char *key,
		  const char *msg, char *err, size_t errlen)
{
	char where[512];
	config_where(cfg, key, where, sizeof where);
	snprintf(err, errlen, "%s: %s", where, msg);
}

/* The storage driver .so the settings name; -1 with a message. */
static int load_driver(berth_app *app, char *err, size_t errlen)
{
	const berth_settings *cfg = app->cfg;
	char key[256], msg[1024];
	snprintf(key, sizeof key, "storage.%s%s", cfg->driver,
		 cfg->driver_path ? ".driverpath" : "");
	char *file = driver_resolve(cfg->driver, cfg->driver_path);
	if (!file) {
		blame(cfg, key, "out of memory", err, errlen);
		return -1;
	}
	int rc;
	if (!cfg->driver_path && access(file, F_OK)) {
		/* storage.<name> that no installed driver answers to */
		snprintf(msg, sizeof msg,
			 "no storage driver \"%s\" is installed (no %s); "
			 "set driverpath for one installed elsewhere",
			 cfg->driver, file);
		rc = -1;
	} else {
		rc = driver_load(file, &app->driver, msg, sizeof msg);
	}
	free(file);
	if (rc) {
		app->driver = NULL;
		blame(cfg, key, msg, err, errlen);
		return -1;
	}
	return 0;
}

/* The option a driver's message names (the longest key it contains), so
   the message points at its line; NULL if it names none. */
static const char *named_option(const berth_settings *cfg, const char *msg)
{
	const char *best = NULL;
	for (size_t i = 0; i < cfg->noptions; i++) {
		const char *k = cfg->options[i].key;
		if (strstr(msg, k) && (!best || strlen(k) > strlen(best)))
			best = k;
	}
	return best;
}

/* The driver's own check of its options (BERTH_CAP_VALIDATE_CONFIG),
   before create: a bad option is refused with the file and line of its
   key, and create (which may make the root, or reach the backend) is
   not called.  0 or -1 with a message; a driver without the check
   passes (create checks). */
static int validate_options(berth_app *app, const berth_config *opts,
			    char *err, size_t errlen)
{
	const berth_settings *cfg = app->cfg;
	char key[512], msg[1024];
	int rc = store_validate_config(app->driver, opts, msg, sizeof msg);
	if (rc == BERTH_OK || rc == BERTH_E_UNSUPPORTED)
		return 0;
	const char *opt = named_option(cfg, msg);
	snprintf(key, sizeof key, "storage.%s%s%s", cfg->driver,
		 opt ? "." : "", opt ? opt : "");
	blame(cfg, key, msg, err, errlen);
	return -1;
}

/* The registry's store: the driver's validate_config (when it has one)
   and create with the options (and its start-up health check); -1 with
   a message, the driver unloaded. */
static int open_store(berth_app *app, char *err, size_t errlen)
{
	const berth_settings *cfg = app->cfg;
	char key[256], msg[1024] = "out of memory";
	snprintf(key, sizeof key, "storage.%s", cfg->driver);
	berth_config_item *items = calloc(cfg->noptions + 1, sizeof *items);
	int rc = -1, blamed = 0;
	if (items) {
		for (size_t i = 0; i < cfg->noptions; i++) {
			items[i].key = cfg->options[i].key;
			items[i].value = cfg->options[i].value;
		}
		berth_config opts = {.count = cfg->noptions, .items = items};
		rc = blamed = validate_options(app, &opts, err, errlen);
		if (!rc) {
			registry_init(&app->reg, app->cfg);
			rc = store_open(&app->reg.store, app->driver, &opts,
					msg, sizeof msg);
			if (rc)
				registry_fini(&app->reg);
		}
		free(items);
	}
	if (rc) {
		if (!blamed)
			blame(cfg, key, msg, err, errlen);
		driver_unload(app->driver);
		app->driver = NULL;
		return -1;
	}
	return 0;
}

int app_open(berth_app *app, berth_settings *cfg, char *err, size_t errlen)
{
	memset(app, 0, sizeof *app);
	app->cfg = cfg;
	digest_library_init();
	if (load_driver(app, err, errlen) || open_store(app, err, errlen))
		return -1;
	return 0;
}

void app_close(berth_app *app)
{
	store_close(&app->reg.store);
	registry_fini(&app->reg);
	driver_unload(app->driver);
	app->driver = NULL;
}

/* Whether http.tls asks for HTTPS (a certificate or a key is set). */
static int tls_wanted(const berth_settings *cfg)
{
	return (cfg->tls_certificate && *cfg->tls_certificate) ||
	       (cfg->tls_key && *cfg->tls_key);
}

/* HTTPS as http.tls says; *on = 1 when serving it.  0 or -1 with a
   message. */
static int tls_start(const berth_settings *cfg, int *on, char *err,
		     size_t errlen)
{
	char msg[1024];
	*on = 0;
	if (tls_wanted(cfg)) {
		http_tls_options o = {
			.certificate = cfg->tls_certificate,
			.key = cfg->tls_key,
			.clientcas = cfg->tls_clientcas.v,
			.nclientcas = cfg->tls_clientcas.n,
			.clientauth = cfg->tls_clientauth,
			.minimum = cfg->tls_minimum,
		};
		if (http_tls_init(&o, msg, sizeof msg)) {
			blame(cfg, "http.tls", msg, err, errlen);
			return -1;
		}
		*on = 1;
	} else if (cfg->tls_clientcas.n || cfg->tls_clientauth ||
		   cfg->tls_minimum) {
		blame(cfg, "http.tls",
		      "clientcas, clientauth and minimumtls need "
		      "http.tls.certificate and key", err, errlen);
		return -1;
	}
	return 0;
}

/*
 * Passwords over plain HTTP can be read by anyone on the way.  Refused
 * when another machine can connect (a non-loopback http.addr) unless
 * allowinsecure says so; on a loopback address they stay on this machine
 * (a registry behind a local TLS proxy, a CI job's): allowed with a
 * warning.  `tls`: HTTPS is configured.  0 or -1 with a message.
 */
static int passwords_safe(const berth_settings *cfg, int tls, char *err,
			  size_t errlen)
{
	const auth_settings *a = &cfg->auth;
	const char *key = a->htpasswd_path ? "auth.htpasswd" : "auth.token";
	char msg[768];
	if (!(a->htpasswd_path || a->token_builtin) || tls || a->allow_insecure)
		return 0;
	if (!cfg->addr) /* refused by the reader (config_load_partial) */
		return 0;
	if (config_addr_is_loopback(cfg->addr)) {
		LOG_WARN("%s: accepting passwords over plain HTTP on the "
			 "loopback address %s only; configure http.tls before "
			 "listening on any other address", key, cfg->addr);
		return 0;
	}
	snprintf(msg, sizeof msg,
		 "refusing to accept passwords over plain HTTP on http.addr "
		 "%s, which other machines can reach: configure http.tls, "
		 "listen on a loopback address only (e.g. 127.0.0.1:5000), or "
		 "set allowinsecure: true in the auth section for a test "
		 "set-up", cfg->addr);
	blame(cfg, key, msg, err, errlen);
	return -1;
}

/* Password files and trusted keys (auth_start), once the password policy
   has passed; 0 or -1 with a message. */
static int auth_files(const berth_settings *cfg, char *err, size_t errlen)
{
	const auth_settings *a = &cfg->auth;
	char msg[1024];
	if (auth_start(a, 1, msg, sizeof msg)) {
		blame(cfg, a->htpasswd_path ? "auth.htpasswd.path" : "auth.token",
		      msg, err, errlen);
		return -1;
	}
	return 0;
}

/* One more problem line into err. */
static void add_problem(char *err, size_t errlen, const char *msg)
{
	size_t used = strlen(err);
	if (used + 1 < errlen)
		snprintf(err + used, errlen - used, "%s%s", used ? "\n" : "",
			 msg);
}

int app_check(berth_settings *cfg, char *err, size_t errlen)
{
	char msg[2048];
	int problems = 0, tls;
	berth_app app;
	if (!errlen)
		return -1;
	err[0] = 0;
	if (app_open(&app, cfg, msg, sizeof msg)) {
		add_problem(err, errlen, msg);
		problems++;
	} else {
		app_close(&app);
	}
	if (tls_start(cfg, &tls, msg, sizeof msg)) {
		add_problem(err, errlen, msg);
		problems++;
	} else if (tls) {
		http_tls_fini();
	}
	/* the policy as if TLS worked: a TLS problem is reported above */
	if (passwords_safe(cfg, tls_wanted(cfg), msg, sizeof msg)) {
		add_problem(err, errlen, msg);
		problems++;
	}
	if (auth_files(cfg, msg, sizeof msg)) {
		add_problem(err, errlen, msg);
		problems++;
	} else {
		auth_stop();
	}
	return problems ? -1 : 0;
}

int app_serve(berth_app *app, char *err, size_t errlen)
{
	if (tls_start(app->cfg, &app->tls, err, errlen))
		return -1;
	if (passwords_safe(app->cfg, app->tls, err, errlen) ||
	    auth_files(app->cfg, err, errlen)) {
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
