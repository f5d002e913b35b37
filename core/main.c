/*
 * main.c - the `berth` command: serve, check-config, --version, --help.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "auth/auth_config.h"
#include "common/json_limits.h"
#include "common/log.h"
#include "config.h"
#include "http/server.h"
#include "registry/check.h"
#include "storage/driver_loader.h"
#include "storage/store.h"

#ifndef BERTH_VERSION
#define BERTH_VERSION "0.0.0"
#endif

static void usage(FILE *out)
{
	fprintf(out,
		"usage: berth <command> [arguments]\n"
		"\n"
		"commands:\n"
		"  serve [config.yml]        serve the registry (embedded default\n"
		"                            configuration without a file)\n"
		"  check-config config.yml   validate a configuration file\n"
		"  check [--repair] [--fast] config.yml\n"
		"                            verify (and repair) the storage\n"
		"  --version                 print the version and storage ABI\n"
		"  --help                    print this help\n");
}

static int check_config(const char *path)
{
	berth_settings s;
	char err[1024];
	if (berth_settings_load(path, &s, err, sizeof err)) {
		fprintf(stderr, "berth: %s\n", err);
		return 1;
	}
	/* the auth and http.tls client keys are read by their own module */
	berth_auth_config a;
	if (berth_auth_config_load(path, &a, err, sizeof err)) {
		fprintf(stderr, "berth: %s\n", err);
		berth_settings_free(&s);
		return 1;
	}
	berth_auth_config_free(&a);
	printf("%s: OK (storage driver %s)\n", s.source, s.driver);
	berth_settings_free(&s);
	return 0;
}

static int serve(const char *path)
{
	berth_settings s;
	char err[1024];
	if (berth_settings_load(path, &s, err, sizeof err)) {
		fprintf(stderr, "berth: %s\n", err);
		return 1;
	}
	berth_log_set_level((berth_log_level)s.log_level);

	int rc = 1;
	berth_driver *driver = NULL;
	berth_app app;
	memset(&app, 0, sizeof app);
	char *file = berth_driver_resolve(s.driver, s.driver_path);
	if (!file) {
		fprintf(stderr, "berth: out of memory\n");
		goto out;
	}
	if (berth_driver_load(file, &driver, err, sizeof err)) {
		fprintf(stderr, "berth: %s\n", err);
		goto out;
	}
	berth_config_item *items = calloc(s.noptions + 1, sizeof *items);
	if (!items)
		goto out;
	for (size_t i = 0; i < s.noptions; i++) {
		items[i].key = s.options[i].key;
		items[i].value = s.options[i].value;
	}
	berth_config cfg = {.count = s.noptions, .items = items};
	app_init(&app, &s);
	int open_rc = berth_store_open(&app.store, driver, &cfg, err,
				       sizeof err);
	free(items);
	if (open_rc) {
		fprintf(stderr, "berth: %s\n", err);
		app_fini(&app);
		goto out;
	}
	rc = berth_server_run(&app) ? 1 : 0;
	berth_store_close(&app.store);
	app_fini(&app);
out:
	berth_driver_unload(driver);
	free(file);
	berth_settings_free(&s);
	return rc;
}

int main(int argc, char **argv)
{
	/* Before anything uses jansson (configuration, tokens, manifests). */
	json_limits_init();
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("berth %s, storage ABI %d.%d\n", BERTH_VERSION,
		       BERTH_STORAGE_ABI_MAJOR, BERTH_STORAGE_ABI_MINOR);
		return 0;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") ||
	    !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "serve") && argc <= 3)
		return serve(argc == 3 ? argv[2] : NULL);
	if (!strcmp(cmd, "check-config") && argc == 3)
		return check_config(argv[2]);
	if (!strcmp(cmd, "check"))
		return berth_check_main(argc - 2, argv + 2);
	fprintf(stderr, "berth: unknown command or arguments: %s\n", cmd);
	usage(stderr);
	return 2;
}
