/*
 * test_auth_config.c - the auth and http.tls settings: a complete token
 * section with an access list, and the configurations that must be
 * refused (header injection through realm or service, mixed schemes,
 * incomplete sections, unknown keys).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/auth_config.h"
#include "test.h"

static int load_text(const char *text, berth_auth_config *c, char *err)
{
	char path[] = "/tmp/berth-authcfg-XXXXXX";
	int fd = mkstemp(path);
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
	int rc = berth_auth_config_load(path, c, err, 256);
	unlink(path);
	return rc;
}

TEST(auth_config_token_with_acl)
{
	berth_auth_config c;
	char err[256] = "";
	const char *y =
		"version: 0.1\n"
		"http:\n  addr: :5000\n  tls:\n    certificate: /c\n    key: /k\n"
		"    clientcas: [/ca1, /ca2]\n    minimumtls: tls1.3\n"
		"auth:\n  token:\n    realm: https://127.0.0.1:5000/token\n"
		"    service: berth\n    issuer: berth-tokens\n"
		"    builtin: true\n    signingkey: /key.pem\n"
		"    htpasswd: /htpasswd\n    expiration: 5m\n"
		"    acl:\n"
		"      - {account: alice, name: \"team/*\", actions: [pull, push]}\n"
		"      - {account: [\"*\"], name: \"${account}/*\", actions: \"*\"}\n"
		"      - {account: admin, type: registry, name: catalog, actions: [\"*\"]}\n";
	CHECK_EQ_INT(load_text(y, &c, err), 0);
	CHECK_STR(c.token_service, "berth");
	CHECK_EQ_INT(c.token_expiration_s, 300);
	CHECK_EQ_INT(c.ntls_clientcas, 2);
	CHECK_STR(c.tls_minimum, "tls1.3");
	CHECK_EQ_INT(c.nacl, 3);
	CHECK_EQ_INT(c.acl[0].actions, BERTH_ACTION_PULL | BERTH_ACTION_PUSH);
	CHECK_STR(c.acl[0].type, "repository");
	CHECK_EQ_INT(c.acl[1].actions, BERTH_ACTION_ALL);
	CHECK_STR(c.acl[2].type, "registry");
	berth_auth_config_free(&c);
}

TEST(auth_config_refusals)
{
	const char *bad[] = {
		/* realm with CR/LF (YAML double-quoted escapes) */
		"auth:\n  htpasswd:\n    realm: \"a\\r\\nX-Evil: 1\"\n    path: /p\n",
		"auth:\n  token:\n    realm: \"https://x/t\\nX: y\"\n    service: s\n"
		"    issuer: i\n    jwks: /j\n",
		/* a quote would end the realm parameter early */
		"auth:\n  token:\n    realm: https://x/t\n    service: 'a\",scope=\"x'\n"
		"    issuer: i\n    jwks: /j\n",
		"auth:\n  htpasswd:\n    realm: r\n",
		"auth:\n  htpasswd:\n    realm: r\n    path: /p\n    typo: 1\n",
		"auth:\n  htpasswd: {realm: r, path: /p}\n  token: {realm: r, service: s, issuer: i, jwks: /j}\n",
		"auth:\n  token: {realm: r, service: s, issuer: i}\n",
		"auth:\n  token: {realm: r, service: s, issuer: i, jwks: /j, signingkey: /k}\n",
		"auth:\n  token: {realm: r, service: s, issuer: i, builtin: true, signingkey: /k}\n",
		"auth:\n  token: {realm: r, service: s, issuer: i, builtin: true, signingkey: /k,"
		" htpasswd: /h, acl: [{account: a, actions: [fly]}]}\n",
		"auth:\n  silly: {realm: r, service: s}\n",
		"auth:\n  htpasswd: {realm: r, path: /p, allowinsecure: maybe}\n",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		berth_auth_config c;
		char err[256] = "";
		int rc = load_text(bad[i], &c, err);
		if (rc != -1)
			fprintf(stderr, "accepted case %zu\n", i);
		CHECK_EQ_INT(rc, -1);
		CHECK(strstr(err, "line ") != NULL);
	}
	berth_auth_config c;
	char err[256];
	CHECK_EQ_INT(load_text("version: 0.1\n", &c, err), 0);
	CHECK(c.htpasswd_path == NULL && c.token_realm == NULL);
	berth_auth_config_free(&c);
}
