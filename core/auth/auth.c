/*
 * auth/auth.c - enforcement of access control, and the built-in token service.
 *
 * The router calls berth_auth_authorize once per request with the
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
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <berth/sdk.h>

#include "auth/auth.h"
#include "auth/htpasswd.h"
#include "auth/jwt.h"
#include "common/log.h"
#include "common/names.h"
#include "http/tls.h"
#include "registry/layout.h"

#define USER_MAX 256
#define PASS_MAX 1024

typedef enum scheme { SCHEME_NONE, SCHEME_HTPASSWD, SCHEME_TOKEN } scheme;

static struct {
	scheme scheme;
	berth_auth_config conf;
	berth_htpasswd *passwords; /* htpasswd scheme or token service */
	berth_jwt_keys *keys;
	EVP_PKEY *signing_key;
	char signing_kid[BERTH_JWT_KID_MAX];
	char *token_path; /* path of the built-in token endpoint */
} A;

/* ---- start and stop ---- */

static int load_signing_key(char *err, size_t errlen)
{
	FILE *f = fopen(A.conf.token_signingkey, "r");
	if (!f) {
		snprintf(err, errlen, "auth.token.signingkey: cannot read %s",
			 A.conf.token_signingkey);
		return -1;
	}
	A.signing_key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	/* A throw-away token proves the key can sign (RSA >= 2048,
	   EC P-256/384/521 or Ed25519). */
	json_t *probe = json_object();
	char *tok = A.signing_key && !berth_jwt_key_id(A.signing_key,
							A.signing_kid)
			    ? berth_jwt_sign(A.signing_key, A.signing_kid,
					     probe)
			    : NULL;
	json_decref(probe);
	if (!tok) {
		snprintf(err, errlen,
			 "auth.token.signingkey %s: not an RSA (2048 bits or "
			 "more), EC or Ed25519 private key in PEM",
			 A.conf.token_signingkey);
		return -1;
	}
	free(tok);
	return berth_jwt_keys_add_key(A.keys, A.signing_key, A.signing_kid);
}

/* The path of the realm URL, where the built-in service answers. */
static int realm_path(char *err, size_t errlen)
{
	const char *r = A.conf.token_realm;
	const char *p = strstr(r, "://");
	p = p ? strchr(p + 3, '/') : (r[0] == '/' ? r : NULL);
	if (!p || !p[1] || strchr(p, '?')) {
		snprintf(err, errlen,
			 "auth.token.realm %s: the built-in token service "
			 "needs a URL with a path, e.g. https://host:5000/token",
			 r);
		return -1;
	}
	if (strncmp(p, "/v2/", 4) == 0 || strcmp(p, "/v2") == 0) {
		snprintf(err, errlen,
			 "auth.token.realm %s: the path must be outside /v2/",
			 r);
		return -1;
	}
	A.token_path = strdup(p);
	return A.token_path ? 0 : -1;
}

int berth_auth_start(berth_app *app, char *err, size_t errlen)
{
	const berth_settings *cfg = app->cfg;
	const char *src = cfg->source;
	if (src && src[0] == '<')
		src = NULL; /* the embedded default: no auth, no TLS */
	if (berth_auth_config_load(src, &A.conf, err, errlen))
		return -1;
	const berth_auth_config *c = &A.conf;
	if ((cfg->tls_certificate && *cfg->tls_certificate) ||
	    (cfg->tls_key && *cfg->tls_key)) {
		berth_tls_options o = {
			.certificate = cfg->tls_certificate,
			.key = cfg->tls_key,
			.clientcas = c->tls_clientcas,
			.nclientcas = c->ntls_clientcas,
			.clientauth = c->tls_clientauth,
			.minimum = c->tls_minimum,
		};
		if (berth_tls_init(&o, err, errlen))
			goto fail;
		app->tls = 1;
	} else if (c->ntls_clientcas || c->tls_clientauth || c->tls_minimum) {
		snprintf(err, errlen,
			 "http.tls.clientcas, clientauth and minimumtls need "
			 "http.tls.certificate and key");
		goto fail;
	}
	int takes_passwords = c->htpasswd_path || c->token_builtin;
	if (takes_passwords && !app->tls && !c->allow_insecure) {
		snprintf(err, errlen,
			 "refusing to accept passwords over plain HTTP: "
			 "configure http.tls, or set allowinsecure: true in "
			 "the auth section for a test set-up");
		goto fail;
	}
	if (c->htpasswd_path) {
		A.scheme = SCHEME_HTPASSWD;
		if (!(A.passwords = berth_htpasswd_open(c->htpasswd_path, err,
							errlen)))
			goto fail;
	} else if (c->token_realm) {
		A.scheme = SCHEME_TOKEN;
		if (!(A.keys = berth_jwt_keys_new()))
			goto fail;
		if (c->token_rootcertbundle &&
		    berth_jwt_keys_add_bundle(A.keys, c->token_rootcertbundle,
					      err, errlen))
			goto fail;
		if (c->token_jwks &&
		    berth_jwt_keys_add_jwks(A.keys, c->token_jwks, err, errlen))
			goto fail;
		if (c->token_builtin &&
		    (load_signing_key(err, errlen) || realm_path(err, errlen) ||
		     !(A.passwords = berth_htpasswd_open(c->token_htpasswd,
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
	berth_auth_stop();
	return -1;
}

void berth_auth_stop(void)
{
	berth_tls_fini();
	berth_htpasswd_free(A.passwords);
	berth_jwt_keys_free(A.keys);
	EVP_PKEY_free(A.signing_key);
	free(A.token_path);
	berth_auth_config_free(&A.conf);
	memset(&A, 0, sizeof A);
}

int berth_auth_enabled(void)
{
	return A.scheme != SCHEME_NONE;
}

void berth_auth_reload(void)
{
	if (A.passwords)
		berth_htpasswd_invalidate(A.passwords);
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
	int ok = berth_htpasswd_check(A.passwords, user, pass) == 1;
	OPENSSL_cleanse(pass, sizeof pass);
	return ok;
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
	berth_jwt_expect e = {.issuer = A.conf.token_issuer,
			      .audience = A.conf.token_service};
	json_t *claims = NULL;
	if (berth_jwt_verify(A.keys, h, len, &e, &claims, why, whylen))
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
			a |= berth_auth_action_parse(json_string_value(v));
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
			    berth_api_error code, const char *detail,
			    const char *repo, unsigned actions,
			    const char *error)
{
	char challenge[BERTH_NAME_MAX + 1024], scope[BERTH_NAME_MAX + 64];
	if (A.scheme == SCHEME_HTPASSWD) {
		snprintf(challenge, sizeof challenge, "Basic realm=\"%s\"",
			 A.conf.htpasswd_realm);
	} else {
		scope_of(repo, actions, scope, sizeof scope);
		int n = snprintf(challenge, sizeof challenge,
				 "Bearer realm=\"%s\",service=\"%s\"",
				 A.conf.token_realm, A.conf.token_service);
		if (*scope && n > 0 && (size_t)n < sizeof challenge)
			n += snprintf(challenge + n, sizeof challenge - n,
				      ",scope=\"%s\"", scope);
		if (error && n > 0 && (size_t)n < sizeof challenge)
			snprintf(challenge + n, sizeof challenge - n,
				 ",error=\"%s\"", error);
	}
	char *body = berth_api_error_json(code, NULL, detail);
	const char *h[] = {"WWW-Authenticate", challenge, NULL};
	http_reply_buffer(req, status, "application/json; charset=utf-8", body,
			  body ? strlen(body) : 0, h);
	free(body);
}

/* ---- enforcement ---- */

int berth_auth_authorize(berth_request *req, const char *repo,
			 unsigned actions)
{
	if (A.scheme == SCHEME_NONE)
		return 0;
	if (A.scheme == SCHEME_HTPASSWD) {
		char user[USER_MAX];
		if (basic_ok(req, user))
			return 0;
		reply_challenge(req, 401, BERTH_ERR_UNAUTHORIZED,
				"authentication required", repo, actions, NULL);
		return -1;
	}
	char why[160];
	json_t *claims = bearer_claims(req, why, sizeof why);
	if (!claims) {
		int has = http_header(req, "Authorization") != NULL;
		reply_challenge(req, 401, BERTH_ERR_UNAUTHORIZED, why, repo,
				actions, has ? "invalid_token" : NULL);
		return -1;
	}
	int ok = claims_permit(claims, repo, actions);
	json_decref(claims);
	if (ok)
		return 0;
	reply_challenge(req, 403, BERTH_ERR_DENIED,
			"the token does not grant this access", repo, actions,
			"insufficient_scope");
	return -1;
}

int berth_auth_permits(berth_request *req, const char *repo,
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

static char *owner_path(char *buf, const char *name, const char *id)
{
	layout_upload_dir(buf, name, id);
	size_t n = strlen(buf);
	if (n + sizeof "/owner" > BERTH_PATH_MAX)
		return NULL;
	strcpy(buf + n, "/owner");
	return buf;
}

int berth_auth_upload_claim(berth_request *req, const char *name,
			    const char *id)
{
	char acct[USER_MAX], path[BERTH_PATH_MAX];
	if (A.scheme == SCHEME_NONE)
		return 0;
	if (account_of(req, acct) || !owner_path(path, name, id))
		return -1;
	return store_put(&req->app->store, path, acct, strlen(acct)) ? -1 : 0;
}

int berth_auth_upload_check(berth_request *req, const char *name,
			    const char *id)
{
	char acct[USER_MAX], path[BERTH_PATH_MAX];
	if (A.scheme == SCHEME_NONE)
		return 0;
	if (account_of(req, acct) || !owner_path(path, name, id))
		return -1;
	char *owner = NULL;
	size_t len = 0;
	if (store_get(&req->app->store, path, &owner, &len))
		return -1; /* no owner recorded: nobody may continue it */
	int ok = len == strlen(acct) && CRYPTO_memcmp(owner, acct, len) == 0;
	free(owner);
	return ok ? 0 : -1;
}

/* ---- the built-in token service ---- */

static unsigned acl_grant(const char *account, const char *type,
			  const char *name)
{
	unsigned g = 0;
	for (size_t i = 0; i < A.conf.nacl; i++) {
		const berth_acl_rule *r = &A.conf.acl[i];
		int who = 0;
		for (size_t j = 0; j < r->naccounts; j++)
			who |= strcmp(r->accounts[j], "*") == 0 ||
			       strcmp(r->accounts[j], account) == 0;
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

typedef struct scopes {
	json_t *access;
	const char *account;
} scopes;

/* Add what the access list grants for one "type:name:actions" scope. */
static void grant_scope(scopes *s, const char *scope, size_t len)
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
		if (!berth_name_valid(name, strlen(name)))
			return;
	} else if (strcmp(type, "registry") || strcmp(name, "catalog")) {
		return;
	}
	unsigned g = acl_grant(s->account, type, name);
	json_t *granted = json_array();
	char *save = NULL, *copy = strdup(acts);
	for (char *a = copy ? strtok_r(copy, ",", &save) : NULL; a;
	     a = strtok_r(NULL, ",", &save)) {
		unsigned bit = berth_auth_action_parse(a);
		if (bit && ((g & BERTH_ACTION_ALL) ||
			    (bit != BERTH_ACTION_ALL && (g & bit))))
			json_array_append_new(granted, json_string(a));
	}
	free(copy);
	if (json_array_size(granted))
		json_array_append_new(s->access,
				      json_pack("{s:s,s:s,s:o}", "type", type,
						"name", name, "actions",
						granted));
	else
		json_decref(granted);
}

static enum MHD_Result collect_scope(void *cls, enum MHD_ValueKind kind,
				     const char *key, const char *value)
{
	scopes *s = cls;
	if (!key || strcmp(key, "scope") || !value)
		return MHD_YES;
	/* One parameter may carry several scopes separated by spaces. */
	const char *p = value;
	while (*p) {
		while (*p == ' ')
			p++;
		size_t n = strcspn(p, " ");
		if (n)
			grant_scope(s, p, n);
		p += n;
	}
	return MHD_YES;
}

static void token_service(berth_request *req)
{
	if (strcmp(req->method, "GET") && !req->is_head) {
		http_reply_error_status(req, 405, BERTH_ERR_UNSUPPORTED,
					"the token service answers GET");
		return;
	}
	char user[USER_MAX];
	if (!basic_ok(req, user)) {
		char challenge[512];
		snprintf(challenge, sizeof challenge, "Basic realm=\"%s\"",
			 A.conf.token_service);
		char *body = berth_api_error_json(BERTH_ERR_UNAUTHORIZED, NULL,
						  "invalid credentials");
		const char *h[] = {"WWW-Authenticate", challenge, NULL};
		http_reply_buffer(req, 401, "application/json; charset=utf-8",
				  body, body ? strlen(body) : 0, h);
		free(body);
		return;
	}
	const char *service = http_query(req, "service");
	if (service && strcmp(service, A.conf.token_service)) {
		http_reply_error_status(req, 400, BERTH_ERR_DENIED,
					"unknown service");
		return;
	}
	scopes s = {json_array(), user};
	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND,
				  collect_scope, &s);
	time_t now = time(NULL);
	unsigned char rnd[16];
	char jti[33];
	RAND_bytes(rnd, sizeof rnd);
	for (int i = 0; i < 16; i++)
		snprintf(jti + 2 * i, 3, "%02x", rnd[i]);
	json_t *claims = json_pack(
		"{s:s,s:s,s:s,s:I,s:I,s:I,s:s,s:o}", "iss",
		A.conf.token_issuer, "sub", user, "aud", A.conf.token_service,
		"exp", (json_int_t)(now + A.conf.token_expiration_s), "nbf",
		(json_int_t)now, "iat", (json_int_t)now, "jti", jti, "access",
		s.access);
	char *tok = claims ? berth_jwt_sign(A.signing_key, A.signing_kid,
					    claims)
			   : NULL;
	json_decref(claims);
	if (!tok) {
		http_reply_error(req, BERTH_ERR_UNKNOWN, "could not sign");
		return;
	}
	char issued[32];
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(issued, sizeof issued, "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *resp = json_pack("{s:s,s:s,s:I,s:s}", "token", tok,
				 "access_token", tok, "expires_in",
				 (json_int_t)A.conf.token_expiration_s,
				 "issued_at", issued);
	char *body = resp ? json_dumps(resp, JSON_COMPACT) : NULL;
	json_decref(resp);
	free(tok);
	const char *h[] = {"Cache-Control", "no-store", NULL};
	if (body)
		http_reply_buffer(req, 200, "application/json", body,
				  strlen(body), h);
	else
		http_reply_error(req, BERTH_ERR_UNKNOWN, "out of memory");
	free(body);
}

int berth_auth_precheck(berth_request *req)
{
	char why[160];
	if (berth_tls_check_client(req->conn, why, sizeof why)) {
		http_reply_error(req, BERTH_ERR_UNAUTHORIZED, why);
		return 1;
	}
	if (A.token_path && strcmp(req->path, A.token_path) == 0) {
		token_service(req);
		return 1;
	}
	return 0;
}
