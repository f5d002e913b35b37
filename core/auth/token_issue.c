/*
 * auth/token_issue.c - what the built-in token service grants, and its
 * signature.  The signing key stays here rather than in auth/jwt.c:
 * jwt.c is the token format and its cryptography (used alike to verify
 * every bearer token), while this file is the issuer's policy (the access
 * list, the claims it puts in) and owns the one private key.
 */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>
#include <openssl/rand.h>

#include "common/actions.h"
#include "auth/token_issue.h"
#include "common/names.h"

static struct {
	const auth_settings *conf;
	EVP_PKEY *key;
	char kid[BERTH_JWT_KID_MAX];
} T;

int auth_token_issuer_start(const auth_settings *conf,
			     auth_jwt_keys *trust, char *err, size_t errlen)
{
	T.conf = conf;
	FILE *f = fopen(conf->token_signingkey, "r");
	if (!f) {
		snprintf(err, errlen, "auth.token.signingkey: cannot read %s",
			 conf->token_signingkey);
		return -1;
	}
	T.key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	/* A throw-away token proves the key can sign (RSA >= 2048,
	   EC P-256/384/521 or Ed25519). */
	json_t *probe = json_object();
	char *tok = T.key && !auth_jwt_key_id(T.key, T.kid)
			    ? auth_jwt_sign(T.key, T.kid, probe)
			    : NULL;
	json_decref(probe);
	if (!tok) {
		snprintf(err, errlen,
			 "auth.token.signingkey %s: not an RSA (2048 bits or "
			 "more), EC or Ed25519 private key in PEM",
			 conf->token_signingkey);
		return -1;
	}
	free(tok);
	return auth_jwt_keys_add_key(trust, T.key, T.kid);
}

void auth_token_issuer_stop(void)
{
	EVP_PKEY_free(T.key);
	memset(&T, 0, sizeof T);
}

/* What the access list grants `account` on type:name. */
static unsigned acl_grant(const char *account, const char *type,
			  const char *name)
{
	unsigned g = 0;
	for (size_t i = 0; i < T.conf->nacl; i++) {
		const berth_acl_rule *r = &T.conf->acl[i];
		int who = 0;
		for (size_t j = 0; j < r->accounts.n; j++)
			who |= strcmp(r->accounts.v[j], "*") == 0 ||
			       strcmp(r->accounts.v[j], account) == 0;
		if (!who || strcmp(r->type, type))
			continue;
		/* "${account}" in the pattern stands for the account. */
		char pattern[512];
		const char *at = strstr(r->name, "${account}");
		if (at)
			snprintf(pattern, sizeof pattern, "%.*s%s%s",
				 (int)(at - r->name), r->name, account,
				 at + strlen("${account}"));
		else
			snprintf(pattern, sizeof pattern, "%s", r->name);
		if (fnmatch(pattern, name, 0) == 0)
			g |= r->actions;
	}
	return g;
}

/* The actions of the comma-separated list `acts` that grant `g` covers,
   as a JSON array of their names. */
static json_t *granted_actions(const char *acts, unsigned g)
{
	json_t *granted = json_array();
	char *save = NULL, *copy = strdup(acts);
	for (char *a = copy ? strtok_r(copy, ",", &save) : NULL; a;
	     a = strtok_r(NULL, ",", &save)) {
		unsigned bit = actions_parse(a);
		if (bit && ((g & BERTH_ACTION_ALL) ||
			    (bit != BERTH_ACTION_ALL && (g & bit))))
			json_array_append_new(granted, json_string(a));
	}
	free(copy);
	return granted;
}

/* Adds to `access` what the access list grants for one
   "type:name:actions" scope. */
static void grant_scope(json_t *access, const char *account,
			const char *scope, size_t len)
{
	char buf[BERTH_NAME_MAX + 128];
	if (len >= sizeof buf)
		return;
	memcpy(buf, scope, len);
	buf[len] = 0;
	char *c1 = strchr(buf, ':'), *c2 = strrchr(buf, ':');
	if (!c1 || c1 == c2)
		return;
	*c1 = 0;
	*c2 = 0;
	const char *type = buf, *name = c1 + 1, *acts = c2 + 1;
	if (strcmp(type, "repository") == 0) {
		if (!names_repository_valid(name, strlen(name)))
			return;
	} else if (strcmp(type, "registry") || strcmp(name, "catalog")) {
		return;
	}
	json_t *granted = granted_actions(acts, acl_grant(account, type, name));
	if (json_array_size(granted))
		json_array_append_new(access,
				      json_pack("{s:s,s:s,s:o}", "type", type,
						"name", name, "actions",
						granted));
	else
		json_decref(granted);
}

char *auth_token_issue(const char *account, const char *const *scopes,
			size_t nscopes, time_t now)
{
	json_t *access = json_array();
	for (size_t i = 0; i < nscopes; i++) {
		/* One parameter may carry several scopes separated by
		   spaces. */
		for (const char *p = scopes[i]; *p;) {
			while (*p == ' ')
				p++;
			size_t n = strcspn(p, " ");
			if (n)
				grant_scope(access, account, p, n);
			p += n;
		}
	}
	unsigned char rnd[16];
	char jti[33];
	RAND_bytes(rnd, sizeof rnd);
	for (int i = 0; i < 16; i++)
		snprintf(jti + 2 * i, 3, "%02x", rnd[i]);
	const auth_settings *c = T.conf;
	json_t *claims = json_pack(
		"{s:s,s:s,s:s,s:I,s:I,s:I,s:s,s:o}", "iss", c->token_issuer,
		"sub", account, "aud", c->token_service, "exp",
		(json_int_t)(now + (time_t)c->token_expiration_s), "nbf",
		(json_int_t)now, "iat", (json_int_t)now, "jti", jti, "access",
		access);
	char *tok = claims ? auth_jwt_sign(T.key, T.kid, claims) : NULL;
	json_decref(claims);
	return tok;
}
