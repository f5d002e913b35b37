/*
 * test_config_limits.c - the http.* abuse limits: connection limit, idle
 * and header timeouts, minimum body rate, the per-address connection
 * limit and the worker count, their defaults and their refusals.
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
	return config_parse(y, strlen(y), "limits.yml", s, err, 512);
}

TEST(config_limits_defaults)
{
	berth_settings s;
	char err[512];
	CHECK_EQ_INT(parse_limits("", &s, err), 0);
	CHECK_EQ_INT(s.connection_limit, 0); /* as descriptors allow */
	CHECK_EQ_INT(s.timeout_s, 60);
	CHECK_EQ_INT(s.header_timeout_s, 20);
	CHECK_EQ_INT(s.min_body_rate, 1024);
	CHECK_EQ_INT(s.max_connections_per_ip, 256);
	CHECK_EQ_INT(s.workers, 32);
	config_free(&s);
}

TEST(config_limits_set)
{
	berth_settings s;
	char err[512];
	CHECK_EQ_INT(parse_limits("  connectionlimit: 64\n  timeout: 2s\n"
				  "  maxconnectionsperip: 16\n"
				  "  headertimeout: 1m\n  minbodyrate: 100\n"
				  "  workers: 4\n",
				  &s, err),
		     0);
	CHECK_EQ_INT(s.connection_limit, 64);
	CHECK_EQ_INT(s.timeout_s, 2);
	CHECK_EQ_INT(s.max_connections_per_ip, 16);
	CHECK_EQ_INT(s.header_timeout_s, 60);
	CHECK_EQ_INT(s.min_body_rate, 100);
	CHECK_EQ_INT(s.workers, 4);
	config_free(&s);
	/* 0 switches the per-address limit and the body rate off */
	CHECK_EQ_INT(parse_limits("  maxconnectionsperip: 0\n"
				  "  minbodyrate: 0\n",
				  &s, err),
		     0);
	CHECK_EQ_INT(s.max_connections_per_ip, 0);
	CHECK_EQ_INT(s.min_body_rate, 0);
	config_free(&s);
}

TEST(config_limits_refused)
{
	berth_settings s;
	char err[512];
	CHECK_EQ_INT(parse_limits("  maxconnectionsperip: many\n", &s, err),
		     -1);
	CHECK(strstr(err, "limits.yml:5: http.maxconnectionsperip") != NULL);
	CHECK_EQ_INT(parse_limits("  connectionlimit: 0\n", &s, err), -1);
	CHECK(strstr(err, "http.connectionlimit") != NULL);
	CHECK_EQ_INT(parse_limits("  workers: 0\n", &s, err), -1);
	CHECK(strstr(err, "http.workers") != NULL);
	CHECK_EQ_INT(parse_limits("  headertimeout: 0s\n", &s, err), -1);
	CHECK(strstr(err, "http.headertimeout") != NULL);
	CHECK_EQ_INT(parse_limits("  headertimeout: 25h\n", &s, err), -1);
	CHECK_EQ_INT(parse_limits("  minbodyrate: -1\n", &s, err), -1);
	CHECK(strstr(err, "http.minbodyrate") != NULL);
	CHECK_EQ_INT(parse_limits("  maxconnectionsperip: [1]\n", &s, err), -1);
	CHECK(strstr(err, "http.maxconnectionsperip") != NULL);
	CHECK_EQ_INT(parse_limits("  timeout: 25h\n", &s, err), -1);
	CHECK(strstr(err, "http.timeout") != NULL);
}

TEST(config_draintimeout)
{
	berth_settings s;
	char err[512];
	CHECK_EQ_INT(parse_limits("", &s, err), 0);
	CHECK_EQ_INT(s.drain_timeout_s, 25);
	config_free(&s);
	CHECK_EQ_INT(parse_limits("  draintimeout: 90s\n", &s, err), 0);
	CHECK_EQ_INT(s.drain_timeout_s, 90);
	config_free(&s);
	CHECK_EQ_INT(parse_limits("  draintimeout: 0s\n", &s, err), 0);
	CHECK_EQ_INT(s.drain_timeout_s, 0);
	config_free(&s);
	CHECK(parse_limits("  draintimeout: soon\n", &s, err) != 0);
	CHECK(strstr(err, "http.draintimeout") != NULL);
}
