/*
 * auth/auth_config.h - the access-control and TLS settings: auth.htpasswd,
 * auth.token (with Berth's built-in token service) and the http.tls keys
 * beyond certificate and key.  Read from the same config.yml.
 */
#ifndef BERTH_CORE_AUTH_CONFIG_H
#define BERTH_CORE_AUTH_CONFIG_H

#include <stddef.h>

/* Actions a token or rule grants. */
#define BERTH_ACTION_PULL 1u
#define BERTH_ACTION_PUSH 2u
#define BERTH_ACTION_DELETE 4u
#define BERTH_ACTION_ALL 0x80u /* "*": every action (and the catalog) */

/** One rule of the built-in token service's access list. */
typedef struct berth_acl_rule {
	char **accounts;   /* account names; "*" is any authenticated one */
	size_t naccounts;
	char *type;        /* "repository" or "registry" */
	char *name;        /* glob; "${account}" is replaced by the account */
	unsigned actions;  /* BERTH_ACTION_* */
} berth_acl_rule;

typedef struct berth_auth_config {
	/* http.tls */
	char **tls_clientcas;
	size_t ntls_clientcas;
	char *tls_clientauth;
	char *tls_minimum;

	/* auth.htpasswd */
	char *htpasswd_realm;
	char *htpasswd_path;
	int allow_insecure; /* auth.*.allowinsecure: passwords over HTTP */

	/* auth.token */
	char *token_realm;
	char *token_service;
	char *token_issuer;
	char *token_rootcertbundle;
	char *token_jwks;
	/* the built-in token service (auth.token.builtin) */
	int token_builtin;
	char *token_signingkey;
	char *token_htpasswd;
	long token_expiration_s;
	berth_acl_rule *acl;
	size_t nacl;
} berth_auth_config;

/**
 * Read the auth and http.tls keys of the YAML file `path` (NULL: nothing
 * configured).  Refuses unknown keys, realms or services that could break
 * a header line, and incomplete sections, with a message naming the key
 * and line.  Returns 0 or -1.
 */
int berth_auth_config_load(const char *path, berth_auth_config *out,
			   char *err, size_t errlen);

/** Parse a comma-free action name list entry ("pull", "push", "delete",
    "*"); 0 if unknown. */
unsigned berth_auth_action_parse(const char *name);

void berth_auth_config_free(berth_auth_config *c);

#endif
