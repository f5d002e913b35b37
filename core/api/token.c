/*
 * api/token.c - the built-in token service (auth.token.builtin: true),
 * served at the path of auth.token.realm: GET <realm path>?service=...
 * &scope=... with Basic credentials answers a token (the Docker token
 * specification) granting what the access list allows.  The endpoint's
 * HTTP side only: the credentials are checked, the grants decided and
 * the token signed by access control (auth/auth.h, auth/token_issue.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api/context.h"
#include "api/routes.h"
#include "auth/auth.h"
#include "auth/token_issue.h"
#include "http/request.h"

/* The scope parameters, as the request holds them. */
typedef struct scopes {
	const char **v;
	size_t n, cap;
	int failed;
} scopes;

static void add_scope(void *cls, const char *value)
{
	scopes *s = cls;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		const char **nv = realloc(s->v, cap * sizeof *nv);
		if (!nv) {
			s->failed = 1;
			return;
		}
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = value;
}

/* 401 with a Basic challenge naming the service: clients log in here. */
static void reply_login(berth_request *req, const char *service)
{
	char challenge[512];
	snprintf(challenge, sizeof challenge, "Basic realm=\"%s\"", service);
	char *body = oci_error_json(OCI_UNAUTHORIZED, NULL,
					  "invalid credentials");
	const char *h[] = {"WWW-Authenticate", challenge, NULL};
	http_reply_buffer(req, 401, "application/json; charset=utf-8", body,
			  body ? strlen(body) : 0, h);
	free(body);
}

/* 200 with the token, as both token and access_token. */
static void reply_token(berth_request *req, const char *tok, time_t now,
			unsigned expires_in)
{
	char issued[32];
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(issued, sizeof issued, "%Y-%m-%dT%H:%M:%SZ", &tm);
	json_t *resp = json_pack("{s:s,s:s,s:I,s:s}", "token", tok,
				 "access_token", tok, "expires_in",
				 (json_int_t)expires_in, "issued_at", issued);
	char *body = resp ? json_dumps(resp, JSON_COMPACT) : NULL;
	json_decref(resp);
	const char *h[] = {"Cache-Control", "no-store", NULL};
	if (body)
		http_reply_buffer(req, 200, "application/json", body,
				  strlen(body), h);
	else
		http_reply_error(req, OCI_UNKNOWN, "out of memory");
	free(body);
}

void api_token(berth_request *req)
{
	const auth_settings *conf = &api_registry(req)->cfg->auth;
	if (strcmp(req->method, "GET") && !req->is_head) {
		http_reply_error_status(req, 405, OCI_UNSUPPORTED,
					"the token service answers GET");
		return;
	}
	char user[BERTH_AUTH_ACCOUNT_MAX];
	if (!auth_basic(req, user, sizeof user)) {
		reply_login(req, conf->token_service);
		return;
	}
	const char *service = http_query(req, "service");
	if (service && strcmp(service, conf->token_service)) {
		http_reply_error_status(req, 400, OCI_DENIED,
					"unknown service");
		return;
	}
	scopes s = {0};
	http_query_each(req, "scope", add_scope, &s);
	time_t now = time(NULL);
	char *tok = s.failed ? NULL
			     : auth_token_issue(user, s.v, s.n, now);
	free(s.v);
	if (!tok) {
		http_reply_error(req, OCI_UNKNOWN, "could not sign");
		return;
	}
	reply_token(req, tok, now, conf->token_expiration_s);
	free(tok);
}
