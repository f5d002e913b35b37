/*
 * test_config_check.c - what berth check-config relies on in the reader:
 * every problem of a file reported (one a line, each with file, line and
 * key), http.addr's port range, the Distribution keys refused because
 * clients would notice their absence (and those still only warned
 * about), the line of every key (config_where), the loopback test of the
 * password policy, and config_load_partial keeping what it could read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "config.h"
#include "test.h"

static int parse(const char *y, berth_settings *s, char *err, size_t len)
{
	return config_parse(y, strlen(y), "c.yml", s, err, len);
}

/* `y` is refused with `want` somewhere in the message. */
static void refused(const char *y, const char *want)
{
	berth_settings s;
	char err[2048] = "";
	int rc = parse(y, &s, err, sizeof err);
	CHECK_EQ_INT(rc, -1);
	if (!strstr(err, want)) {
		char m[2600];
		snprintf(m, sizeof m, "error \"%s\" contains \"%s\"", err, want);
		test_fail(__FILE__, __LINE__, m);
	}
	if (rc == 0)
		config_free(&s);
}

/* `y` is accepted. */
static void accepted(const char *y)
{
	berth_settings s;
	char err[2048] = "";
	int rc = parse(y, &s, err, sizeof err);
	CHECK_EQ_INT(rc, 0);
	CHECK_STR(err, "");
	if (rc == 0)
		config_free(&s);
}

#define HEAD "version: 0.1\nstorage: inmemory\n"

static void addr_refused(const char *addr, const char *want)
{
	char y[256];
	snprintf(y, sizeof y, HEAD "http:\n  addr: \"%s\"\n", addr);
	refused(y, want);
}

static void addr_accepted(const char *addr)
{
	char y[256];
	snprintf(y, sizeof y, HEAD "http:\n  addr: \"%s\"\n", addr);
	accepted(y);
}

TEST(config_check_port_range)
{
	addr_refused("127.0.0.1:99999",
		     "c.yml:4: http.addr: the port must be a number from 1 to "
		     "65535, got \"99999\" in \"127.0.0.1:99999\"");
	addr_refused(":0", "c.yml:4: http.addr: the port must be a number");
	addr_refused(":abc", "c.yml:4: http.addr: the port must be a number "
			     "from 1 to 65535, got \"abc\"");
	addr_refused(":65536", "c.yml:4: http.addr: the port must be");
	addr_refused(":-1", "c.yml:4: http.addr: the port must be");
	addr_refused(":", "c.yml:4: http.addr: the port must be");
	addr_refused("[::1]:70000", "c.yml:4: http.addr: the port must be");
	addr_refused("localhost", "c.yml:4: http.addr: expected host:port");
	addr_accepted(":1");
	addr_accepted("127.0.0.1:65535");
	addr_accepted("[::1]:5000");
	addr_accepted("0.0.0.0:5000");
	/* the same rule for the environment's override */
	setenv("REGISTRY_HTTP_ADDR", "127.0.0.1:99999", 1);
	berth_settings s;
	char err[512] = "";
	CHECK_EQ_INT(parse(HEAD, &s, err, sizeof err), -1);
	CHECK(strstr(err, "REGISTRY_HTTP_ADDR: the port must be") != NULL);
	unsetenv("REGISTRY_HTTP_ADDR");
}

TEST(config_check_refused_distribution_keys)
{
	refused(HEAD "proxy:\n  remoteurl: https://registry-1.docker.io\n",
		"c.yml:3: proxy: Berth does not implement the pull-through "
		"cache (proxy) yet");
	refused(HEAD "middleware:\n  storage:\n    - name: cloudfront\n",
		"c.yml:3: middleware: Berth does not implement middleware");
	refused(HEAD "notifications:\n  endpoints:\n    - name: a\n"
		"      url: https://x/\n",
		"c.yml:4: notifications.endpoints: Berth does not implement "
		"event notifications yet");
	refused(HEAD "validation:\n  manifests:\n    urls:\n"
		"      allow: ['^https?://']\n",
		"c.yml:4: validation.manifests: Berth does not implement "
		"manifest validation rules");
	refused(HEAD "compatibility:\n  schema1:\n    enabled: true\n",
		"c.yml:5: compatibility.schema1.enabled: Berth does not "
		"implement schema1 manifests yet");
	refused(HEAD "http:\n  headers:\n    Access-Control-Allow-Origin: "
		"['*']\n",
		"c.yml:5: http.headers.Access-Control-Allow-Origin: Berth "
		"does not implement configured response headers yet");
	refused(HEAD "http:\n  headers:\n    X-Content-Type-Options: "
		"[sniff]\n",
		"c.yml:5: http.headers.X-Content-Type-Options: Berth does not");
	refused(HEAD "http:\n  net: unix\n",
		"c.yml:4: http.net: Berth does not implement unix sockets "
		"yet");
	refused(HEAD "http:\n  net: udp\n",
		"c.yml:4: http.net: expected tcp or unix");
	refused(HEAD "http:\n  tls:\n    letsencrypt:\n"
		"      cachefile: /c\n      email: a@b\n",
		"c.yml:5: http.tls.letsencrypt: Berth does not implement "
		"Let's Encrypt certificates yet");
	refused(HEAD "auth:\n  token: {realm: https://a/t, service: s, "
		"issuer: i, jwks: /j,\n    autoredirect: true}\n",
		"c.yml:5: auth.token.autoredirect: Berth does not implement "
		"the token auto-redirect yet");
}

TEST(config_check_harmless_keys_stay_warnings)
{
	log_set_level(BERTH_LOG_ERROR); /* the warnings are expected */
	accepted(HEAD "catalog:\n  maxentries: 100\n");
	accepted(HEAD "log:\n  fields: {service: registry}\n"
		"redis:\n  addr: localhost:6379\n"
		"health:\n  storagedriver: {enabled: true}\n"
		"notifications:\n  events: {includereferences: true}\n"
		"validation:\n  disabled: true\n"
		"compatibility:\n  schema1:\n    enabled: false\n"
		"    signingkeyfile: /k\n"
		"http:\n  net: tcp\n  secret: s\n"
		"  headers:\n    X-Content-Type-Options: [nosniff]\n"
		"  tls: {ciphersuites: [TLS_AES_128_GCM_SHA256]}\n");
	accepted(HEAD "http:\n  headers:\n    x-content-type-options: "
		"nosniff\n");
	/* implemented: kept */
	accepted("version: 0.1\nstorage:\n  inmemory:\n  maintenance:\n"
		 "    readonly: {enabled: true}\n");
	log_set_level(BERTH_LOG_INFO);
}

TEST(config_check_every_problem_reported)
{
	const char *y = "version: 0.1\n"
			"storage:\n"
			"  filesystem: {rootdirectory: /x}\n"
			"  delete:\n"
			"    enable: true\n"       /* 5: unknown key */
			"http:\n"
			"  addr: :99999\n"         /* 7: port */
			"  connectionlimit: lots\n" /* 8: not a number */
			"proxy: {remoteurl: https://r}\n" /* 9: refused */
			"log: {level: loud}\n";    /* 10: level */
	berth_settings s;
	char err[4096] = "";
	CHECK_EQ_INT(parse(y, &s, err, sizeof err), -1);
	const char *want[] = {
		"c.yml:5: storage.delete.enable: unknown key",
		"c.yml:7: http.addr: the port must be",
		"c.yml:8: http.connectionlimit: expected a number",
		"c.yml:9: proxy: Berth does not implement",
		"c.yml:10: log.level: expected error, warn, info or debug",
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		if (!strstr(err, want[i])) {
			char m[4600];
			snprintf(m, sizeof m, "\"%s\" in \"%s\"", want[i], err);
			test_fail(__FILE__, __LINE__, m);
		}
	/* one problem a line, no trailing newline */
	size_t lines = 1;
	for (const char *p = err; *p; p++)
		lines += *p == '\n';
	CHECK_EQ_INT(lines, 5);
	CHECK(err[strlen(err) - 1] != '\n');
	/* a small buffer is cut, never overrun */
	char small[40];
	memset(small, 'x', sizeof small);
	CHECK_EQ_INT(config_parse(y, strlen(y), "c.yml", &s, small, 32), -1);
	CHECK(strlen(small) < 32);
	CHECK(small[33] == 'x');
}

TEST(config_check_where_names_line_and_key)
{
	const char *y = "version: 0.1\n"
			"storage:\n"
			"  filesystem:\n"
			"    rootdirectory: /x\n"
			"    driverpath: /d.so\n"
			"http:\n"
			"  addr: 127.0.0.1:5000\n"
			"auth:\n"
			"  htpasswd:\n"
			"    realm: r\n"
			"    path: /p\n";
	berth_settings s;
	char err[512] = "", w[512];
	CHECK_EQ_INT(parse(y, &s, err, sizeof err), 0);
	config_where(&s, "storage.filesystem.driverpath", w, sizeof w);
	CHECK_STR(w, "c.yml:5: storage.filesystem.driverpath");
	config_where(&s, "storage.filesystem", w, sizeof w);
	CHECK_STR(w, "c.yml:3: storage.filesystem");
	config_where(&s, "auth.htpasswd.path", w, sizeof w);
	CHECK_STR(w, "c.yml:11: auth.htpasswd.path");
	/* a key the file does not have: the nearest one around it */
	config_where(&s, "http.tls", w, sizeof w);
	CHECK_STR(w, "c.yml:6: http.tls");
	config_where(&s, "nothing.here", w, sizeof w);
	CHECK_STR(w, "c.yml: nothing.here");
	config_free(&s);
}

TEST(config_check_loopback_addresses)
{
	CHECK_EQ_INT(config_addr_is_loopback("127.0.0.1:5000"), 1);
	CHECK_EQ_INT(config_addr_is_loopback("127.1.2.3:5000"), 1);
	CHECK_EQ_INT(config_addr_is_loopback("[::1]:5000"), 1);
	CHECK_EQ_INT(config_addr_is_loopback("localhost:5000"), 1);
	CHECK_EQ_INT(config_addr_is_loopback("LocalHost:5000"), 1);
	CHECK_EQ_INT(config_addr_is_loopback(":5000"), 0);
	CHECK_EQ_INT(config_addr_is_loopback("0.0.0.0:5000"), 0);
	CHECK_EQ_INT(config_addr_is_loopback("[::]:5000"), 0);
	CHECK_EQ_INT(config_addr_is_loopback("128.0.0.1:5000"), 0);
	CHECK_EQ_INT(config_addr_is_loopback("10.0.0.1:5000"), 0);
	CHECK_EQ_INT(config_addr_is_loopback("127.0.0.1.example.com:5000"), 0);
	CHECK_EQ_INT(config_addr_is_loopback("registry.example.com:5000"), 0);
	CHECK_EQ_INT(config_addr_is_loopback(NULL), 0);
}

TEST(config_check_partial_load_keeps_what_it_read)
{
	char path[] = "/tmp/berth-cfgpartial-XXXXXX";
	int fd = mkstemp(path);
	const char *y = "version: 0.1\n"
			"storage:\n"
			"  filesystem: {rootdirectory: /x}\n"
			"http: {addr: \":0\"}\n"
			"proxy: {remoteurl: https://r}\n";
	CHECK(write(fd, y, strlen(y)) == (ssize_t)strlen(y));
	close(fd);
	berth_settings s;
	char err[1024] = "";
	CHECK_EQ_INT(config_load_partial(path, &s, err, sizeof err), -1);
	CHECK(strstr(err, ":4: http.addr:") != NULL);
	CHECK(strstr(err, ":5: proxy:") != NULL);
	CHECK_STR(s.driver, "filesystem");
	CHECK(s.addr == NULL);
	config_free(&s);
	/* config_load keeps nothing */
	CHECK_EQ_INT(config_load(path, &s, err, sizeof err), -1);
	CHECK(s.driver == NULL);
	unlink(path);
	CHECK_EQ_INT(config_load_partial(path, &s, err, sizeof err), -2);
	CHECK(strstr(err, "cannot open") != NULL);
}
