/*
 * test_token_issue.c - the built-in token service's grants and signature
 * (auth/token_issue.c): a token issued for an account verifies with the
 * keys access control trusts and grants of each requested scope exactly
 * what the access list allows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "auth/token_issue.h"
#include "config.h"
#include "test.h"

/* An EC P-256 private key in a temporary PEM file. */
static void write_key(char *path)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	CHECK(key && f && PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL,
					       NULL) == 1);
	fclose(f);
	EVP_PKEY_free(key);
}

/* The access claim of `tok` verified with `keys`, compact and sorted. */
static char *access_of(auth_jwt_keys *keys, const char *tok, time_t now)
{
	auth_jwt_expect e = {.issuer = "berth-tokens", .audience = "berth",
			      .now = now};
	json_t *claims = NULL;
	char err[256] = "";
	if (auth_jwt_verify(keys, tok, strlen(tok), &e, &claims, err,
			     sizeof err)) {
		test_fail(__FILE__, __LINE__, err);
		return NULL;
	}
	CHECK_STR(json_string_value(json_object_get(claims, "sub")), "alice");
	CHECK_EQ_INT(json_integer_value(json_object_get(claims, "exp")),
		     now + 300);
	char *a = json_dumps(json_object_get(claims, "access"),
			     JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(claims);
	return a;
}

TEST(token_issue_grants_what_the_acl_allows)
{
	char key[] = "/tmp/berth-signkey-XXXXXX", y[1024], err[512] = "";
	write_key(key);
	snprintf(y, sizeof y,
		 "version: 0.1\nstorage: inmemory\n"
		 "auth:\n  token:\n    realm: https://127.0.0.1:5000/token\n"
		 "    service: berth\n    issuer: berth-tokens\n"
		 "    builtin: true\n    signingkey: %s\n"
		 "    htpasswd: /htpasswd\n    acl:\n"
		 "      - {account: alice, name: \"team/*\", actions: [pull, push]}\n"
		 "      - {account: \"*\", name: \"${account}/*\", actions: \"*\"}\n"
		 "      - {account: admin, type: registry, name: catalog, "
		 "actions: [\"*\"]}\n",
		 key);
	berth_settings s;
	int rc = config_parse(y, strlen(y), "config.yml", &s, err,
				      sizeof err);
	CHECK_EQ_INT(rc, 0);
	if (rc) {
		unlink(key);
		return;
	}
	CHECK_STR(s.auth.token_path, "/token");
	auth_jwt_keys *keys = auth_jwt_keys_new();
	CHECK_EQ_INT(auth_token_issuer_start(&s.auth, keys, err, sizeof err),
		     0);
	const char *scopes[] = {
		"repository:team/app:pull,push,delete repository:other/x:pull",
		"repository:alice/tool:delete registry:catalog:*",
		"repository:team/app\r\nX: 1:pull"};
	time_t now = time(NULL);
	char *tok = auth_token_issue("alice", scopes, 3, now);
	CHECK(tok != NULL);
	char *access = tok ? access_of(keys, tok, now) : NULL;
	CHECK_STR(access,
		  "[{\"actions\":[\"pull\",\"push\"],\"name\":\"team/app\","
		  "\"type\":\"repository\"},{\"actions\":[\"delete\"],"
		  "\"name\":\"alice/tool\",\"type\":\"repository\"}]");
	free(access);
	free(tok);
	auth_token_issuer_stop();
	auth_jwt_keys_free(keys);
	config_free(&s);
	unlink(key);
}

TEST(token_issue_realm_needs_a_path_outside_v2)
{
	static const struct {
		const char *realm, *want;
	} bad[] = {
		{"https://127.0.0.1:5000", "config.yml:5: auth.token.realm: "
		 "https://127.0.0.1:5000: the built-in token service needs a "
		 "URL with a path"},
		{"https://127.0.0.1:5000/v2/token", "config.yml:5: "
		 "auth.token.realm: https://127.0.0.1:5000/v2/token: the path "
		 "must be outside /v2/"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char y[512], err[512] = "";
		snprintf(y, sizeof y,
			 "version: 0.1\nstorage: inmemory\nauth:\n  token:\n"
			 "    realm: %s\n    service: s\n    issuer: i\n"
			 "    builtin: true\n    signingkey: /k\n"
			 "    htpasswd: /h\n",
			 bad[i].realm);
		berth_settings s;
		CHECK_EQ_INT(config_parse(y, strlen(y), "config.yml",
						  &s, err, sizeof err),
			     -1);
		if (!strstr(err, bad[i].want)) {
			char m[1200];
			snprintf(m, sizeof m, "error \"%s\" contains \"%s\"",
				 err, bad[i].want);
			test_fail(__FILE__, __LINE__, m);
		}
	}
}
