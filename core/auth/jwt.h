/*
 * auth/jwt.h - JSON Web Tokens as the Docker token specification uses them:
 * verification against a set of trusted keys (certificates of a root
 * bundle, a JSON Web Key Set, or keys added directly), and signing for
 * the built-in token service.
 */
#ifndef BERTH_CORE_AUTH_JWT_H
#define BERTH_CORE_AUTH_JWT_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

/** Allowed clock skew for exp/nbf, in seconds. */
#define BERTH_JWT_LEEWAY 60

/** Longest key id produced or accepted. */
#define BERTH_JWT_KID_MAX 128

typedef struct auth_jwt_keys auth_jwt_keys;

auth_jwt_keys *auth_jwt_keys_new(void);
void auth_jwt_keys_free(auth_jwt_keys *k);

/**
 * Trust the certificates of a PEM bundle: tokens may name one of their
 * keys by key id (the libtrust form Distribution uses), or carry an x5c
 * chain that verifies up to one of them.  Returns 0 or -1 with a message.
 */
int auth_jwt_keys_add_bundle(auth_jwt_keys *k, const char *path, char *err,
			      size_t errlen);

/** Trust the keys of a JSON Web Key Set file (RSA, EC P-256/384/521,
    Ed25519; each needs a "kid").  Returns 0 or -1 with a message. */
int auth_jwt_keys_add_jwks(auth_jwt_keys *k, const char *path, char *err,
			    size_t errlen);

/** Trust a public key under `kid` (the key's reference is taken). */
int auth_jwt_keys_add_key(auth_jwt_keys *k, EVP_PKEY *pk, const char *kid);

/** Number of trusted keys and certificates. */
size_t auth_jwt_keys_count(const auth_jwt_keys *k);

/** The libtrust key id of a public key ("ABCD:EFGH:..."); 0 or -1. */
int auth_jwt_key_id(EVP_PKEY *pk, char out[BERTH_JWT_KID_MAX]);

/** What a valid token must say. */
typedef struct auth_jwt_expect {
	const char *issuer;   /* "iss" must equal it */
	const char *audience; /* "aud" (string or array) must contain it */
	time_t now;           /* 0: the current time */
} auth_jwt_expect;

/**
 * Verify the compact token `tok` (length `len`): structure, algorithm
 * matching the key's type (never "none"), the signature with a trusted
 * key, iss, aud, exp and nbf.  On success returns 0 and the claims
 * (caller decrefs); on failure -1 and a short reason in err.
 */
int auth_jwt_verify(const auth_jwt_keys *k, const char *tok, size_t len,
		     const auth_jwt_expect *e, json_t **claims, char *err,
		     size_t errlen);

/**
 * Sign `claims` with the private key (RSA: RS256, EC P-256: ES256,
 * Ed25519: EdDSA); the header names the key by `kid`.  Returns the
 * malloc'd compact token or NULL.
 */
char *auth_jwt_sign(EVP_PKEY *key, const char *kid, json_t *claims);

#endif
