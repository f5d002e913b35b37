/*
 * auth/auth.h - access control: who may do what on which repository.
 *
 * Two schemes, as in CNCF Distribution: htpasswd (HTTP Basic, every
 * authenticated account may do everything) and token (the Docker token
 * specification: signed JWTs whose access claim lists what is allowed),
 * plus Berth's built-in token service that issues such tokens from an
 * htpasswd file and an access list.
 */
#ifndef BERTH_CORE_AUTH_AUTH_H
#define BERTH_CORE_AUTH_AUTH_H

#include <stddef.h>

#include "common/actions.h"
#include "config.h"
#include "http/request.h"

/** Room for an account name, with its terminating NUL. */
#define BERTH_AUTH_ACCOUNT_MAX 256

/**
 * Start access control as the auth settings say: load password files and
 * trusted keys.  `safe` says whether passwords may travel as the server
 * is set up (HTTPS, or plain HTTP app.c allowed on a loopback address):
 * without it passwords are refused unless allowinsecure says otherwise.
 * 0, or -1 with a message.  `conf` must outlive auth_stop.
 */
int auth_start(const auth_settings *conf, int safe, char *err,
		     size_t errlen);
void auth_stop(void);

/** Non-zero when requests must authenticate. */
int auth_enabled(void);

/**
 * May this request perform `actions` (BERTH_ACTION_*) on repository
 * `repo` (NULL for /v2/ itself or the catalog)?  Returns 0 if yes;
 * otherwise replies 401 UNAUTHORIZED with a WWW-Authenticate challenge
 * (missing or invalid credentials) or 403 DENIED (valid credentials
 * without the permission) and returns -1.
 */
int auth_authorize(berth_request *req, const char *repo,
			 unsigned actions);

/** Like auth_authorize without replying: 1 if allowed.  `repo`
    NULL asks for every repository (automatic cross-repository mount). */
int auth_permits(berth_request *req, const char *repo,
		       unsigned actions);

/**
 * The account the request authenticated as, in `out` (cap bytes): 0;
 * 1 when access control is off (there are no accounts); -1 when the
 * request carries no valid credentials.
 */
int auth_account(berth_request *req, char *out, size_t cap);

/**
 * Basic credentials of the request checked against the password file in
 * force (auth.htpasswd.path, or the built-in token service's
 * auth.token.htpasswd): 1 with the account in `account` (cap bytes), 0
 * if they are missing or wrong.
 */
int auth_basic(berth_request *req, char *account, size_t cap);

/** SIGHUP: re-read password files on their next use. */
void auth_reload(void);

#endif
