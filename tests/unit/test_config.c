/*
 * test_config.c - config.yml parsing: the embedded default, a complete
 * Distribution-style file, keys accepted with a warning, and every kind of
 * refusal, each of which must name the line and the key.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "config.h"
#include "test.h"

static int parse(const char *y, berth_settings *s, char *err)
{
	return config_parse(y, strlen(y), "config.yml", s, err, 512);
}

/* Parses `y` and returns what was logged on stderr meanwhile. */
static char *parse_logged(const char *y, berth_settings *s, char *err,
			  int *rc)
{
	char path[] = "/tmp/berth-cfglog-XXXXXX";
	int fd = mkstemp(path);
	fflush(stderr);
	int saved = dup(2);
	dup2(fd, 2);
	log_set_level(BERTH_LOG_DEBUG);
	*rc = parse(y, s, err);
	log_set_level(BERTH_LOG_INFO);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	static char buf[8192];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	buf[n > 0 ? n : 0] = 0;
	close(fd);
	unlink(path);
	return buf;
}

static const char *opt(const berth_settings *s, const char *key)
{
	for (size_t i = 0; i < s->noptions; i++)
		if (!strcmp(s->options[i].key, key))
			return s->options[i].value;
	return NULL;
}

TEST(config_default)
{
	berth_settings s;
	char err[512] = "";
	CHECK_EQ_INT(config_load(NULL, &s, err, sizeof err), 0);
	CHECK_STR(s.source, "<default>");
	CHECK_STR(s.driver, "filesystem");
	CHECK(s.driver_path == NULL);
	CHECK_EQ_INT(s.noptions, 1);
	CHECK_STR(opt(&s, "rootdirectory"), "./data");
	CHECK_STR(s.addr, "127.0.0.1:5000");
	CHECK_EQ_INT(s.delete_enabled, 0);
	CHECK_EQ_INT(s.log_level, BERTH_LOG_INFO);
	CHECK_EQ_INT(s.purge_enabled, 1);
	CHECK_EQ_INT(s.purge_age_s, 168 * 3600);
	CHECK_EQ_INT(s.purge_interval_s, 24 * 3600);
	CHECK_EQ_INT(s.purge_dryrun, 0);
	CHECK_EQ_INT(s.readonly, 0);
	CHECK_EQ_INT(s.redirect_disabled, 0);
	CHECK_EQ_INT(s.connection_limit, 0); /* as descriptors allow */
	CHECK_EQ_INT(s.timeout_s, 60);
	CHECK(s.host == NULL && s.prefix == NULL && s.tls_certificate == NULL);
	config_free(&s);
}

TEST(config_full)
{
	berth_settings s;
	char err[512] = "";
	const char *y =
		"version: 0.1\n"
		"log:\n  level: debug\n  formatter: text\n"
		"storage:\n"
		"  s3:\n"
		"    bucket: images\n"
		"    region: \"eu-west-1\"\n"
		"    secure: true\n"
		"    driverpath: /opt/berth/storage-s3.so\n"
		"  delete:\n    enabled: yes\n"
		"  redirect:\n    disable: true\n"
		"  maintenance:\n"
		"    uploadpurging:\n"
		"      enabled: true\n      age: 1h30m\n      interval: 30m\n"
		"      dryrun: true\n"
		"    readonly:\n      enabled: false\n"
		"http:\n"
		"  addr: :5443\n"
		"  host: https://registry.example.com\n"
		"  prefix: /reg\n"
		"  relativeurls: true\n"
		"  tls:\n    certificate: /c.pem\n    key: /k.pem\n"
		"  connectionlimit: 50\n"
		"  timeout: 2m\n";
	CHECK_EQ_INT(parse(y, &s, err), 0);
	CHECK_STR(err, "");
	CHECK_EQ_INT(s.log_level, BERTH_LOG_DEBUG);
	CHECK_STR(s.driver, "s3");
	CHECK_STR(s.driver_path, "/opt/berth/storage-s3.so");
	CHECK_EQ_INT(s.noptions, 3);
	CHECK_STR(s.options[0].key, "bucket");
	CHECK_STR(opt(&s, "region"), "eu-west-1");
	CHECK_STR(opt(&s, "secure"), "true");
	CHECK(opt(&s, "driverpath") == NULL);
	CHECK_EQ_INT(s.delete_enabled, 1);
	CHECK_EQ_INT(s.redirect_disabled, 1);
	CHECK_EQ_INT(s.purge_enabled, 1);
	CHECK_EQ_INT(s.purge_age_s, 5400);
	CHECK_EQ_INT(s.purge_interval_s, 1800);
	CHECK_EQ_INT(s.purge_dryrun, 1);
	CHECK_EQ_INT(s.readonly, 0);
	CHECK_STR(s.addr, ":5443");
	CHECK_STR(s.host, "https://registry.example.com");
	CHECK_STR(s.prefix, "/reg");
	CHECK_EQ_INT(s.relative_urls, 1);
	CHECK_STR(s.tls_certificate, "/c.pem");
	CHECK_STR(s.tls_key, "/k.pem");
	CHECK_EQ_INT(s.connection_limit, 50);
	CHECK_EQ_INT(s.timeout_s, 120);
	config_free(&s);
}

TEST(config_distribution_example_warns_only)
{
	berth_settings s;
	char err[512] = "";
	int rc;
	const char *y =
		"version: 0.1\n"
		"log: {level: info, accesslog: {disabled: false}, fields: "
		"{service: registry}}\n"
		"storage:\n"
		"  cache: {blobdescriptor: inmemory}\n"
		"  filesystem: {rootdirectory: /tmp/reg-data}\n"
		"  delete: {enabled: true}\n"
		"http:\n"
		"  addr: 127.0.0.1:5000\n"
		"  headers: {X-Content-Type-Options: [nosniff]}\n"
		"health: {storagedriver: {enabled: true, interval: 10s, "
		"threshold: 3}}\n";
	const char *log = parse_logged(y, &s, err, &rc);
	CHECK_EQ_INT(rc, 0);
	CHECK_STR(err, "");
	CHECK_STR(s.driver, "filesystem");
	CHECK_STR(opt(&s, "rootdirectory"), "/tmp/reg-data");
	CHECK_EQ_INT(s.delete_enabled, 1);
	CHECK_STR(s.addr, "127.0.0.1:5000");
	/* each unused key is named with its line */
	CHECK(strstr(log, "config.yml:2: log.fields") != NULL);
	CHECK(strstr(log, "config.yml:4: storage.cache") != NULL);
	/* nosniff is what Berth sends anyway: honoured, not warned about */
	CHECK(strstr(log, "headers") == NULL);
	CHECK(strstr(log, "config.yml:10: health") != NULL);
	CHECK(strstr(log, "WARN") != NULL);
	/* accesslog is understood, not warned about */
	CHECK(strstr(log, "accesslog") == NULL);
	if (rc == 0)
		config_free(&s);
}

TEST(config_auth_and_tls_client_keys_are_silent)
{
	berth_settings s;
	char err[512] = "";
	int rc;
	const char *y =
		"version: 0.1\n"
		"storage: {inmemory: }\n"
		"http:\n  tls:\n    certificate: /c\n    key: /k\n"
		"    clientcas: [/ca]\n    minimumtls: tls1.2\n"
		"auth:\n  htpasswd: {realm: r, path: /p}\n";
	const char *log = parse_logged(y, &s, err, &rc);
	CHECK_EQ_INT(rc, 0);
	CHECK_STR(s.driver, "inmemory");
	CHECK_EQ_INT(s.noptions, 0);
	CHECK_STR(s.addr, ":5000");
	CHECK_STR(log, "");
	if (rc == 0)
		config_free(&s);
}

TEST(config_storage_as_scalar)
{
	berth_settings s;
	char err[512] = "";
	CHECK_EQ_INT(parse("version: 0.1\nstorage: inmemory\n", &s, err), 0);
	CHECK_STR(s.driver, "inmemory");
	config_free(&s);
}

TEST(config_nested_driver_options_flattened)
{
	berth_settings s;
	char err[512] = "";
	const char *y = "version: 0.1\n"
			"storage:\n"
			"  gcs:\n"
			"    bucket: b\n"
			"    credentials:\n"
			"      type: service_account\n"
			"      project_id: p1\n"
			"      deep: {x: 1}\n"
			"    chunksize: 5242880\n";
	CHECK_EQ_INT(parse(y, &s, err), 0);
	CHECK_STR(err, "");
	CHECK_EQ_INT(s.noptions, 5);
	CHECK_STR(opt(&s, "credentials.type"), "service_account");
	CHECK_STR(opt(&s, "credentials.project_id"), "p1");
	CHECK_STR(opt(&s, "credentials.deep.x"), "1");
	CHECK_STR(opt(&s, "chunksize"), "5242880");
	config_free(&s);
}

TEST(config_durations)
{
	static const struct {
		const char *text;
		long long secs;
	} ok[] = {
		{"168h", 168 * 3600}, {"24h", 86400}, {"30m", 1800},
		{"10s", 10},	      {"1h30m", 5400}, {"1h0m30s", 3630},
		{"1.5h", 5400},	      {"90", 90},      {"500ms", 1},
		{"2h45m10s", 9910},
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		char y[256], err[512] = "";
		berth_settings s;
		snprintf(y, sizeof y,
			 "version: 0.1\nstorage:\n  filesystem: {}\n"
			 "  maintenance:\n    uploadpurging: {age: %s}\n",
			 ok[i].text);
		int rc = parse(y, &s, err);
		CHECK_EQ_INT(rc, 0);
		if (rc == 0) {
			CHECK_EQ_INT(s.purge_age_s, ok[i].secs);
			config_free(&s);
		}
	}
	static const char *const bad[] = {"24", "x", "10 s", "1d", "-1h",
					  "h", "1h-5m", ".h", "0s", "5sm"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char y[256], err[512] = "";
		berth_settings s;
		snprintf(y, sizeof y,
			 "version: 0.1\nstorage:\n  filesystem: {}\n"
			 "  maintenance:\n    uploadpurging:\n"
			 "      interval: \"%s\"\n",
			 bad[i]);
		int rc = parse(y, &s, err);
		if (!strcmp(bad[i], "24")) {
			/* a bare number is seconds */
			CHECK_EQ_INT(rc, 0);
			if (rc == 0) {
				CHECK_EQ_INT(s.purge_interval_s, 24);
				config_free(&s);
			}
			continue;
		}
		CHECK_EQ_INT(rc, -1);
		CHECK(strstr(err, "config.yml:6: storage.maintenance."
				  "uploadpurging.interval: expected a") != NULL);
	}
}

TEST(config_http_timeout_seconds)
{
	berth_settings s;
	char err[512] = "";
	CHECK_EQ_INT(parse("version: 0.1\nstorage: {filesystem: }\n"
			   "http: {timeout: 15}\n",
			   &s, err),
		     0);
	CHECK_EQ_INT(s.timeout_s, 15);
	config_free(&s);
}

/* Each refusal: the exact message names file, line and key. */
static void refused(const char *y, const char *want)
{
	berth_settings s;
	char err[512] = "";
	int rc = parse(y, &s, err);
	CHECK_EQ_INT(rc, -1);
	if (!strstr(err, want)) {
		char m[1200];
		snprintf(m, sizeof m, "error \"%s\" contains \"%s\"", err, want);
		test_fail(__FILE__, __LINE__, m);
	}
	if (rc == 0)
		config_free(&s);
}

TEST(config_unknown_key_names_line_and_key)
{
	refused("version: 0.1\n"
		"storage:\n"
		"  filesystem: {rootdirectory: /x}\n"
		"  delete:\n"
		"    enable: true\n",
		"config.yml:5: storage.delete.enable: unknown key");
	refused("version: 0.1\nstorage: {filesystem: }\nhttpp: {}\n",
		"config.yml:3: httpp: unknown key");
	refused("version: 0.1\nstorage: {filesystem: }\n"
		"log:\n  levl: info\n",
		"config.yml:4: log.levl: unknown key");
}

TEST(config_bad_values)
{
	const char *head = "version: 0.1\nstorage:\n  filesystem: {}\n";
	char y[512];
	snprintf(y, sizeof y, "%s  delete:\n    enabled: maybe\n", head);
	refused(y, "config.yml:5: storage.delete.enabled: expected a boolean, "
		   "got \"maybe\"");
	snprintf(y, sizeof y, "%s  delete: true\n", head);
	refused(y, "config.yml:4: storage.delete: expected a map, got a scalar");
	snprintf(y, sizeof y, "%s  delete:\n    enabled: [true]\n", head);
	refused(y, "config.yml:5: storage.delete.enabled: expected a scalar, "
		   "got a list");
	snprintf(y, sizeof y, "%slog: {level: loud}\n", head);
	refused(y, "config.yml:4: log.level: expected error, warn, info or "
		   "debug, got \"loud\"");
	snprintf(y, sizeof y, "%shttp: {connectionlimit: lots}\n", head);
	refused(y, "config.yml:4: http.connectionlimit: expected a number");
	snprintf(y, sizeof y, "%shttp: {prefix: reg}\n", head);
	refused(y, "config.yml:4: http.prefix: expected a path");
	snprintf(y, sizeof y, "%shttp: {host: \"http://x\\r\\nSet-Cookie: a\"}\n",
		 head);
	refused(y, "config.yml:4: http.host: expected an http:// or https://");
	snprintf(y, sizeof y, "%sstorage: {}\n", head);
	refused(y, "config.yml:4: storage: duplicate key (first on line 2)");
	refused("version: 0.2\nstorage: {filesystem: }\n",
		"config.yml:1: version: expected 0.1, got \"0.2\"");
	refused("storage: {filesystem: }\n", "config.yml:1: version: required");
	refused("", "version: required");
	refused("version: 0.1\nstorage:\n  filesystem:\n    tags: [a, b]\n",
		"config.yml:4: storage.filesystem.tags: expected a scalar or a "
		"map, got a list");
	refused("version: 0.1\nstorage:\n  ../evil: {}\n",
		"config.yml:3: storage.../evil: not a valid driver name");
}

TEST(config_driver_count)
{
	refused("version: 0.1\n"
		"storage:\n"
		"  filesystem: {rootdirectory: /a}\n"
		"  delete: {enabled: true}\n"
		"  s3: {bucket: b}\n",
		"config.yml:5: storage.s3: a second storage driver "
		"(\"filesystem\" is configured on line 3)");
	refused("version: 0.1\n"
		"storage:\n"
		"  delete: {enabled: true}\n",
		"config.yml:3: storage: no storage driver configured");
	refused("version: 0.1\nhttp:\n  addr: :5000\n",
		"storage: no storage driver configured");
}

TEST(config_yaml_syntax_error)
{
	refused("version: 0.1\n"
		"storage:\n"
		"  filesystem: {rootdirectory: /a\n"
		"http:\n",
		"config.yml:4: YAML syntax error:");
	refused("version: 0.1\nstorage:\n  filesystem:\n rootdirectory: x\n"
		"  bad: [\n",
		"config.yml:4: YAML syntax error:");
}

TEST(config_load_file_and_missing_file)
{
	char path[] = "/tmp/berth-cfg-XXXXXX";
	int fd = mkstemp(path);
	const char *y = "version: 0.1\nstorage:\n  filesystem:\n"
			"    rootdirectory: /srv\n  delete: {enabled: maybe}\n";
	CHECK(write(fd, y, strlen(y)) == (ssize_t)strlen(y));
	close(fd);
	berth_settings s;
	char err[512] = "", want[600];
	CHECK_EQ_INT(config_load(path, &s, err, sizeof err), -1);
	snprintf(want, sizeof want,
		 "%s:5: storage.delete.enabled: expected a boolean", path);
	CHECK(strstr(err, want) == err);
	unlink(path);
	CHECK_EQ_INT(config_load(path, &s, err, sizeof err), -1);
	CHECK(strstr(err, "cannot open") != NULL);
}

TEST(config_environment_overrides)
{
	berth_settings s;
	char err[512] = "";
	setenv("REGISTRY_HTTP_ADDR", "0.0.0.0:6000", 1);
	setenv("REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY", "/env/root", 1);
	setenv("REGISTRY_STORAGE_FILESYSTEM_MAXTHREADS", "50", 1);
	setenv("REGISTRY_STORAGE_DELETE_ENABLED", "true", 1);
	int rc = config_load(NULL, &s, err, sizeof err);
	CHECK_EQ_INT(rc, 0);
	if (rc == 0) {
		CHECK_STR(s.addr, "0.0.0.0:6000");
		CHECK_STR(opt(&s, "rootdirectory"), "/env/root");
		CHECK_STR(opt(&s, "maxthreads"), "50");
		CHECK_EQ_INT(s.delete_enabled, 1);
		config_free(&s);
	}
	setenv("REGISTRY_STORAGE_DELETE_ENABLED", "maybe", 1);
	CHECK_EQ_INT(config_load(NULL, &s, err, sizeof err), -1);
	CHECK_STR(err, "REGISTRY_STORAGE_DELETE_ENABLED: expected a boolean, "
		       "got \"maybe\"");
	unsetenv("REGISTRY_HTTP_ADDR");
	unsetenv("REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY");
	unsetenv("REGISTRY_STORAGE_FILESYSTEM_MAXTHREADS");
	unsetenv("REGISTRY_STORAGE_DELETE_ENABLED");
}

TEST(config_auth_token_autoredirect_false_accepted)
{
	berth_settings s;
	char err[512] = "";
	int rc;
	const char *y =
		"version: 0.1\n"
		"storage: inmemory\n"
		"auth:\n  none: {}\n"
		"  token: {realm: https://a/t, service: s, issuer: i, "
		"jwks: /j,\n    autoredirect: false}\n";
	const char *log = parse_logged(y, &s, err, &rc);
	CHECK_EQ_INT(rc, 0);
	CHECK_STR(err, "");
	CHECK(strstr(log, "autoredirect") == NULL);
	CHECK(strstr(log, "none") == NULL);
	if (rc == 0) {
		CHECK_STR(s.auth.token_jwks, "/j");
		config_free(&s);
	}
}
