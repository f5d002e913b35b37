/*
 * test_http_sendfile.c - http.sendfile and the loopback test behind its
 * "auto" mode (api/object.c): which addresses count as this host, and
 * which values the option accepts.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "config.h"
#include "http/request.h"
#include "test.h"

static int v4(const char *a)
{
	struct sockaddr_in in = {.sin_family = AF_INET};
	inet_pton(AF_INET, a, &in.sin_addr);
	return http_addr_is_loopback((struct sockaddr *)&in);
}

static int v6(const char *a)
{
	struct sockaddr_in6 in = {.sin6_family = AF_INET6};
	inet_pton(AF_INET6, a, &in.sin6_addr);
	return http_addr_is_loopback((struct sockaddr *)&in);
}

TEST(http_loopback_addresses)
{
	CHECK(v4("127.0.0.1"));
	CHECK(v4("127.255.0.9"));
	CHECK(!v4("10.0.0.1"));
	CHECK(!v4("128.0.0.1"));
	CHECK(!v4("0.0.0.0"));
	CHECK(v6("::1"));
	CHECK(v6("::ffff:127.0.0.1"));
	CHECK(!v6("::ffff:192.168.1.1"));
	CHECK(!v6("fe80::1"));
	CHECK(!v6("::"));
	CHECK(!http_addr_is_loopback(NULL));
	struct sockaddr un = {.sa_family = AF_UNIX};
	CHECK(!http_addr_is_loopback(&un));
}

static int parse_sendfile(const char *value, berth_settings *s, char *err)
{
	char y[256];
	snprintf(y, sizeof y,
		 "version: 0.1\nstorage: inmemory\nhttp:\n  sendfile: %s\n",
		 value);
	return config_parse(y, strlen(y), "sf.yml", s, err, 512);
}

TEST(config_http_sendfile)
{
	berth_settings s;
	char err[512] = "";
	const char *ok[] = {"auto", "always", "never"};
	for (size_t i = 0; i < 3; i++) {
		CHECK_EQ_INT(parse_sendfile(ok[i], &s, err), 0);
		CHECK(s.sendfile && !strcmp(s.sendfile, ok[i]));
		config_free(&s);
	}
	CHECK_EQ_INT(parse_sendfile("yes", &s, err), -1);
	CHECK(strstr(err, "sf.yml:4: http.sendfile: expected auto, always or "
			  "never, got \"yes\"") == err);
}
