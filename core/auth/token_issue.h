/*
 * auth/token_issue.h - the policy and the signature of Berth's built-in
 * token service (auth.token.builtin): what the access list grants an
 * account for the scopes it asks, in a JWT signed with
 * auth.token.signingkey that access control itself trusts.  The HTTP
 * side (the endpoint at the realm's path, credentials, the reply) is
 * api/token.c.
 */
#ifndef BERTH_CORE_AUTH_TOKEN_ISSUE_H
#define BERTH_CORE_AUTH_TOKEN_ISSUE_H

#include <stddef.h>
#include <time.h>

#include "auth/jwt.h"
#include "config.h"

/**
 * Load the signing key of `conf` (RSA of 2048 bits or more, EC
 * P-256/384/521 or Ed25519, PEM) and trust it in `trust`.  `conf` must
 * outlive auth_token_issuer_stop.  0, or -1 with a message.
 */
int auth_token_issuer_start(const auth_settings *conf,
			     auth_jwt_keys *trust, char *err, size_t errlen);
void auth_token_issuer_stop(void);

/**
 * A signed token for `account` (already authenticated), issued at `now`
 * for the access list's expiration, granting of each requested scope
 * ("type:name:actions"; a value of `scopes` may hold several separated
 * by spaces) the actions the access list allows; scopes that are
 * malformed or grant nothing are left out.  Returns the malloc'd compact
 * token, or NULL if it could not be signed.
 */
char *auth_token_issue(const char *account, const char *const *scopes,
			size_t nscopes, time_t now);

#endif
