/*
 * test_config_auth.c - the auth and http.tls settings of config.yml: a
 * complete token section with an access list, and the configurations
 * that must be refused (header injection through realm or service, mixed
 * schemes, incomplete sections, unknown keys), each with a message
 * naming the file, the line and the key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/actions.h"
#include "config.h"
#include "test.h"

/* Storage and version first, so a refusal is the auth section's. */
#define HEAD "version: 0.1\nstorage: inmemory\n"

static int parse(const char *text, berth_settings *s, char *err)
{
	return config_parse(text, strlen(text), "config.yml", s, err,
				    512);
}

TEST(config_auth_token_with_acl)
{
	berth_settings s;
	char err[512] = "";
	const char *y =
		"version: 0.1\nstorage: inmemory\n"
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
	int rc = parse(y, &s, err);
	CHECK_EQ_INT(rc, 0);
	CHECK_STR(err, "");
	if (rc)
		return;
	CHECK_STR(s.auth.token_service, "berth");
	CHECK_EQ_INT(s.auth.token_expiration_s, 300);
	CHECK_EQ_INT(s.tls_clientcas.n, 2);
	CHECK_STR(s.tls_clientcas.v[1], "/ca2");
	CHECK_STR(s.tls_minimum, "tls1.3");
	CHECK_EQ_INT(s.auth.nacl, 3);
	CHECK_EQ_INT(s.auth.acl[0].actions,
		     BERTH_ACTION_PULL | BERTH_ACTION_PUSH);
	CHECK_STR(s.auth.acl[0].type, "repository");
	CHECK_EQ_INT(s.auth.acl[1].actions, BERTH_ACTION_ALL);
	CHECK_STR(s.auth.acl[1].accounts.v[0], "*");
	CHECK_STR(s.auth.acl[2].type, "registry");
	config_free(&s);
}

TEST(config_auth_refusals)
{
	static const struct {
		const char *yaml, *want;
	} bad[] = {
		/* realm with CR/LF (YAML double-quoted escapes) */
		{HEAD "auth:\n  htpasswd:\n    realm: \"a\\r\\nX-Evil: 1\"\n"
		      "    path: /p\n",
		 "config.yml:5: auth.htpasswd.realm: must not contain"},
		{HEAD "auth:\n  token:\n    realm: \"https://x/t\\nX: y\"\n"
		      "    service: s\n    issuer: i\n    jwks: /j\n",
		 "config.yml:5: auth.token.realm: must not contain"},
		/* a quote would end the realm parameter early */
		{HEAD "auth:\n  token:\n    realm: https://x/t\n"
		      "    service: 'a\",scope=\"x'\n    issuer: i\n    jwks: /j\n",
		 "config.yml:6: auth.token.service: must not contain"},
		{HEAD "auth:\n  htpasswd:\n    realm: r\n",
		 "config.yml:5: auth.htpasswd: needs realm and path"},
		{HEAD "auth:\n  htpasswd:\n    realm: r\n    path: /p\n"
		      "    typo: 1\n",
		 "config.yml:7: auth.htpasswd.typo: unknown key"},
		{HEAD "auth:\n  htpasswd: {realm: r, path: /p}\n"
		      "  token: {realm: r, service: s, issuer: i, jwks: /j}\n",
		 "config.yml:4: auth: choose one of htpasswd and token"},
		{HEAD "auth:\n  token: {realm: r, service: s, issuer: i}\n",
		 "config.yml:4: auth.token: needs rootcertbundle or jwks"},
		{HEAD "auth:\n  token: {realm: r, service: s, issuer: i, "
		      "jwks: /j, signingkey: /k}\n",
		 "config.yml:4: auth.token: signingkey, htpasswd and acl "
		 "belong to the built-in token service"},
		{HEAD "auth:\n  token: {realm: r, service: s, issuer: i, "
		      "builtin: true, signingkey: /k}\n",
		 "config.yml:4: auth.token: builtin needs signingkey and "
		 "htpasswd"},
		{HEAD "auth:\n  token: {realm: r, service: s, issuer: i, "
		      "builtin: true, signingkey: /k, htpasswd: /h, "
		      "acl: [{account: a, actions: [fly]}]}\n",
		 "config.yml:4: auth.token.acl.actions: expected pull, push, "
		 "delete or *, got \"fly\""},
		{HEAD "auth:\n  silly: {realm: r, service: s}\n",
		 "config.yml:4: auth.silly: is a test scheme Berth does not "
		 "offer"},
		{HEAD "auth:\n  htpasswd: {realm: r, path: /p, "
		      "allowinsecure: maybe}\n",
		 "config.yml:4: auth.htpasswd.allowinsecure: expected a "
		 "boolean, got \"maybe\""},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		berth_settings s;
		char err[512] = "";
		int rc = parse(bad[i].yaml, &s, err);
		if (rc != -1)
			fprintf(stderr, "accepted case %zu\n", i);
		CHECK_EQ_INT(rc, -1);
		/* the message names file, line and key */
		if (!strstr(err, bad[i].want)) {
			char m[1200];
			snprintf(m, sizeof m, "case %zu: error \"%s\" contains "
				 "\"%s\"", i, err, bad[i].want);
			test_fail(__FILE__, __LINE__, m);
		}
		if (rc == 0)
			config_free(&s);
	}
	berth_settings s;
	char err[512];
	CHECK_EQ_INT(parse(HEAD, &s, err), 0);
	CHECK(s.auth.htpasswd_path == NULL && s.auth.token_realm == NULL);
	config_free(&s);
}
