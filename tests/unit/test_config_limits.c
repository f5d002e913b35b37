/*
 * test_config_limits.c - the http.* abuse limits: connection limit, idle
 * timeout and the per-address connection limit, their defaults and their
 * refusals.
 */
#include <string.h>

#include "config.h"
#include "test.h"

static int parse_limits(const char *http, berth_settings *s, char *err)
{
	char y[512];
	snprintf(y, sizeof y,
		 "version: 0.1\nstorage: inmemory\nhttp:\n  addr: :5000\n%s",
		 http);
	return berth_settings_parse(y, strlen(y), "limits.yml", s, err, 512);
}

TEST(config_limits_defaults)
{
	berth_settings s;
	char err[512];
	CHECK_EQ_INT(parse_limits("", &s, err), 0);
	CHECK_EQ_INT(s.connection_limit, 1024);
	CHECK_EQ_INT(s.timeout_s, 60);
	CHECK_EQ_INT(s.max_connections_per_ip, 0); /* no per-address limit */
	berth_settings_free(&s);
}

TEST(config_limits_set)
{
	berth_settings s;
	char err[512];
	CHECK_EQ_INT(parse_limits("  connectionlimit: 64\n  timeout: 2s\n"
				  "  maxconnectionsperip: 16\n",
				  &s, err),
		     0);
	CHECK_EQ_INT(s.connection_limit, 64);
	CHECK_EQ_INT(s.timeout_s, 2);
	CHECK_EQ_INT(s.max_connections_per_ip, 16);
	berth_settings_free(&s);
}

TEST(config_limits_refused)
{
	berth_settings s;
	char err[512];
	CHECK_EQ_INT(parse_limits("  maxconnectionsperip: 0\n", &s, err), -1);
	CHECK(strstr(err, "limits.yml:5: http.maxconnectionsperip") != NULL);
	CHECK_EQ_INT(parse_limits("  maxconnectionsperip: many\n", &s, err),
		     -1);
	CHECK(strstr(err, "http.maxconnectionsperip") != NULL);
	CHECK_EQ_INT(parse_limits("  maxconnectionsperip: [1]\n", &s, err), -1);
	CHECK_EQ_INT(parse_limits("  timeout: 25h\n", &s, err), -1);
	CHECK(strstr(err, "http.timeout") != NULL);
}
