/*
 * auth/auth.c - access control: the scheme in force, credential checks
 * (Basic against a password file, bearer tokens against trusted keys) and
 * what a token's scopes permit.  The built-in token service's grants and
 * signature are auth/token_issue.c, its endpoint api/token.c.
 *
 * The router calls auth_authorize once per request with the
 * repository and the actions its method needs (pull for GET/HEAD, pull and
 * push for writes, delete for DELETE, the catalog scope for _catalog).
 * Credentials are checked on every request; there is no session state.
 * Nothing a client sends is ever copied into the WWW-Authenticate
 * challenge except a repository name the router validated against the
 * name grammar, and realm and service were checked at load time.
 *
 * Uploads are bound to the account that started them: an upload id seen
 * by someone else (a log, a proxy) cannot be used to write into or finish
 * another user's upload.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include <berth/sdk.h>

#include "auth/auth.h"
#include "auth/htpasswd.h"
#include "auth/jwt.h"
#include "auth/token_issue.h"
#include "common/log.h"
#include "common/names.h"

#define USER_MAX BERTH_AUTH_ACCOUNT_MAX
#define PASS_MAX 1024

typedef enum scheme { SCHEME_NONE, SCHEME_HTPASSWD, SCHEME_TOKEN } scheme;

static struct {
	scheme scheme;
	const auth_settings *conf; /* the settings' auth section */
	berth_htpasswd *passwords; /* htpasswd scheme or token service */
	auth_jwt_keys *keys;
} A;

/* ---- start and stop ---- */

int auth_start(const auth_settings *conf, int safe, char *err,
		     size_t errlen)
{
	A.conf = conf;
	const auth_settings *c = conf;
	int takes_passwords = c->htpasswd_path || c->token_builtin;
	if (takes_passwords && !safe && !c->allow_insecure) {
		snprintf(err, errlen,
			 "refusing to accept passwords over plain HTTP: "
			 "configure http.tls, or set allowinsecure: true in "
			 "the auth section for a test set-up");
		goto fail;
	}
	if (c->htpasswd_path) {
		A.scheme = SCHEME_HTPASSWD;
		if (!(A.passwords = auth_htpasswd_open(c->htpasswd_path, err,
							errlen)))
			goto fail;
	} else if (c->token_realm) {
		A.scheme = SCHEME_TOKEN;
		if (!(A.keys = auth_jwt_keys_new()))
			goto fail;
		if (c->token_rootcertbundle &&
		    auth_jwt_keys_add_bundle(A.keys, c->token_rootcertbundle,
					      err, errlen))
			goto fail;
		if (c->token_jwks &&
		    auth_jwt_keys_add_jwks(A.keys, c->token_jwks, err, errlen))
			goto fail;
		if (c->token_builtin &&
		    (auth_token_issuer_start(c, A.keys, err, errlen) ||
		     !(A.passwords = auth_htpasswd_open(c->token_htpasswd,
							 err, errlen))))
			goto fail;
	}
	if (A.scheme != SCHEME_NONE)
		LOG_INFO("access control: %s%s",
			 A.scheme == SCHEME_HTPASSWD ? "htpasswd" : "token",
			 c->token_builtin ? " with the built-in token service"
					  : "");
	return 0;
fail:
	auth_stop();
	return -1;
}

void auth_stop(void)
{
	auth_htpasswd_free(A.passwords);
	auth_jwt_keys_free(A.keys);
	auth_token_issuer_stop();
	memset(&A, 0, sizeof A);
}

int auth_enabled(void)
{
	return A.scheme != SCHEME_NONE;
}

void auth_reload(void)
{
	if (A.passwords)
		auth_htpasswd_invalidate(A.passwords);
}

/* ---- credentials ---- */

/* "Basic base64(user:password)" into user and password; 0 or -1. */
static int parse_basic(const char *h, char *user, char *pass)
{
	if (!h || strncasecmp(h, "Basic ", 6))
		return -1;
	h += 6;
	while (*h == ' ')
		h++;
	unsigned char *raw = NULL;
	size_t len = 0;
	size_t hl = strlen(h);
	while (hl && h[hl - 1] == ' ')
		hl--;
	if (berth_sdk_base64_decode(h, hl, BERTH_SDK_B64_STD, &raw, &len))
		return -1;
	int rc = -1;
	unsigned char *colon = memchr(raw, ':', len);
	if (colon && colon != raw && memchr(raw, 0, len) == NULL &&
	    (size_t)(colon - raw) < USER_MAX &&
	    len - (colon + 1 - raw) < PASS_MAX) {
		memcpy(user, raw, colon - raw);
		user[colon - raw] = 0;
		memcpy(pass, colon + 1, len - (colon + 1 - raw));
		pass[len - (colon + 1 - raw)] = 0;
		rc = 0;
		for (const char *u = user; *u; u++)
			if ((unsigned char)*u < 0x20 || *u == 0x7f)
				rc = -1;
	}
	OPENSSL_cleanse(raw, len);
	free(raw);
	return rc;
}

/* Check Basic credentials against the password file; the account name
   on success. */
static int basic_ok(berth_request *req, char user[USER_MAX])
{
	char pass[PASS_MAX];
	if (!A.passwords ||
	    parse_basic(http_header(req, "Authorization"), user, pass))
		return 0;
	int ok = auth_htpasswd_check(A.passwords, user, pass) == 1;
	OPENSSL_cleanse(pass, sizeof pass);
	return ok;
}

int auth_basic(berth_request *req, char *account, size_t cap)
{
	char user[USER_MAX];
	if (!basic_ok(req, user))
		return 0;
	snprintf(account, cap, "%s", user);
	return 1;
}

/* The verified claims of the request's bearer token, or NULL. */
static json_t *bearer_claims(berth_request *req, char *why, size_t whylen)
{
	const char *h = http_header(req, "Authorization");
	if (!h || strncasecmp(h, "Bearer ", 7)) {
		snprintf(why, whylen, "authentication required");
		return NULL;
	}
	h += 7;
	while (*h == ' ')
		h++;
	size_t len = strlen(h);
	while (len && h[len - 1] == ' ')
		len--;
	auth_jwt_expect e = {.issuer = A.conf->token_issuer,
			      .audience = A.conf->token_service};
	json_t *claims = NULL;
	if (auth_jwt_verify(A.keys, h, len, &e, &claims, why, whylen))
		return NULL;
	return claims;
}

static unsigned actions_of(json_t *list)
{
	unsigned a = 0;
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v) {
		if (json_is_string(v))
			a |= actions_parse(json_string_value(v));
	}
	return a;
}

/* What the token's access claim grants on type:name. */
static unsigned token_grants(json_t *claims, const char *type,
			     const char *name)
{
	json_t *access = json_object_get(claims, "access");
	unsigned a = 0;
	size_t i;
	json_t *e;
	json_array_foreach(access, i, e) {
		const char *t = json_string_value(json_object_get(e, "type"));
		const char *n = json_string_value(json_object_get(e, "name"));
		if (t && n && strcmp(t, type) == 0 && strcmp(n, name) == 0)
			a |= actions_of(json_object_get(e, "actions"));
	}
	return a;
}

static int covers(unsigned have, unsigned need)
{
	if (have & BERTH_ACTION_ALL)
		return 1;
	return (need & ~have & (BERTH_ACTION_PULL | BERTH_ACTION_PUSH |
				BERTH_ACTION_DELETE)) == 0;
}

/* Does a token with `claims` allow `actions` on `repo`? */
static int claims_permit(json_t *claims, const char *repo, unsigned actions)
{
	if (actions & BERTH_ACTION_CATALOG)
		return (token_grants(claims, "registry", "catalog") &
			BERTH_ACTION_ALL) != 0;
	if (!repo)
		return actions == 0;
	return covers(token_grants(claims, "repository", repo), actions);
}

/* ---- replies ---- */

static void scope_of(const char *repo, unsigned actions, char *buf,
		     size_t len)
{
	if (actions & BERTH_ACTION_CATALOG) {
		snprintf(buf, len, "registry:catalog:*");
		return;
	}
	if (!repo || !actions) {
		buf[0] = 0;
		return;
	}
	char acts[32] = "";
	if (actions & BERTH_ACTION_PULL)
		strcat(acts, "pull");
	if (actions & BERTH_ACTION_PUSH)
		strcat(acts, *acts ? ",push" : "push");
	if (actions & BERTH_ACTION_DELETE)
		strcat(acts, *acts ? ",delete" : "delete");
	snprintf(buf, len, "repository:%s:%s", repo, acts);
}

static void reply_challenge(berth_request *req, unsigned status,
			    oci_error code, const char *detail,
			    const char *repo, unsigned actions,
			    const char *error)
{
	char challenge[BERTH_NAME_MAX + 1024], scope[BERTH_NAME_MAX + 64];
	if (A.scheme == SCHEME_HTPASSWD) {
		snprintf(challenge, sizeof challenge, "Basic realm=\"%s\"",
			 A.conf->htpasswd_realm);
	} else {
		scope_of(repo, actions, scope, sizeof scope);
		int n = snprintf(challenge, sizeof challenge,
				 "Bearer realm=\"%s\",service=\"%s\"",
				 A.conf->token_realm, A.conf->token_service);
		if (*scope && n > 0 && (size_t)n < sizeof challenge)
			n += snprintf(challenge + n, sizeof challenge - n,
				      ",scope=\"%s\"", scope);
		if (error && n > 0 && (size_t)n < sizeof challenge)
			snprintf(challenge + n, sizeof challenge - n,
				 ",error=\"%s\"", error);
	}
	char *body = oci_error_json(code, NULL, detail);
	const char *h[] = {"WWW-Authenticate", challenge, NULL};
	http_reply_buffer(req, status, "application/json; charset=utf-8", body,
			  body ? strlen(body) : 0, h);
	free(body);
}

/* ---- enforcement ---- */

int auth_authorize(berth_request *req, const char *repo,
			 unsigned actions)
{
	if (A.scheme == SCHEME_NONE)
		return 0;
	if (A.scheme == SCHEME_HTPASSWD) {
		char user[USER_MAX];
		if (basic_ok(req, user))
			return 0;
		reply_challenge(req, 401, OCI_UNAUTHORIZED,
				"authentication required", repo, actions, NULL);
		return -1;
	}
	char why[160];
	json_t *claims = bearer_claims(req, why, sizeof why);
	if (!claims) {
		int has = http_header(req, "Authorization") != NULL;
		reply_challenge(req, 401, OCI_UNAUTHORIZED, why, repo,
				actions, has ? "invalid_token" : NULL);
		return -1;
	}
	int ok = claims_permit(claims, repo, actions);
	json_decref(claims);
	if (ok)
		return 0;
	reply_challenge(req, 403, OCI_DENIED,
			"the token does not grant this access", repo, actions,
			"insufficient_scope");
	return -1;
}

int auth_permits(berth_request *req, const char *repo,
		       unsigned actions)
{
	if (A.scheme == SCHEME_NONE)
		return 1;
	if (A.scheme == SCHEME_HTPASSWD) {
		char user[USER_MAX];
		return basic_ok(req, user);
	}
	if (!repo)
		return 0;
	char why[160];
	json_t *claims = bearer_claims(req, why, sizeof why);
	int ok = claims && claims_permit(claims, repo, actions);
	json_decref(claims);
	return ok;
}

/* The authenticated account ("" when access control is off). */
static int account_of(berth_request *req, char out[USER_MAX])
{
	out[0] = 0;
	if (A.scheme == SCHEME_NONE)
		return 0;
	if (A.scheme == SCHEME_HTPASSWD)
		return basic_ok(req, out) ? 0 : -1;
	char why[160];
	json_t *claims = bearer_claims(req, why, sizeof why);
	const char *sub = json_string_value(json_object_get(claims, "sub"));
	int rc = -1;
	if (claims) {
		snprintf(out, USER_MAX, "%s", sub ? sub : "");
		rc = 0;
	}
	json_decref(claims);
	return rc;
}

int auth_account(berth_request *req, char *out, size_t cap)
{
	char acct[USER_MAX];
	if (A.scheme == SCHEME_NONE)
		return 1;
	if (account_of(req, acct))
		return -1;
	snprintf(out, cap, "%s", acct);
	return 0;
}
