/*
 * auth/jwt.h - JSON Web Tokens as the Docker token specification uses them:
 * verification against a set of trusted keys (certificates of a root
 * bundle, a JSON Web Key Set, or keys added directly), and signing for
 * the built-in token service.
 */
#ifndef BERTH_CORE_JWT_H
#define BERTH_CORE_JWT_H

#include <stddef.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

/** Allowed clock skew for exp/nbf, in seconds. */
#define BERTH_JWT_LEEWAY 60

/** Longest key id produced or accepted. */
#define BERTH_JWT_KID_MAX 128

typedef struct berth_jwt_keys berth_jwt_keys;

berth_jwt_keys *berth_jwt_keys_new(void);
void berth_jwt_keys_free(berth_jwt_keys *k);

/**
 * Trust the certificates of a PEM bundle: tokens may name one of their
 * keys by key id (the libtrust form Distribution uses), or carry an x5c
 * chain that verifies up to one of them.  Returns 0 or -1 with a message.
 */
int berth_jwt_keys_add_bundle(berth_jwt_keys *k, const char *path, char *err,
			      size_t errlen);

/** Trust the keys of a JSON Web Key Set file (RSA, EC P-256/384/521,
    Ed25519; each needs a "kid").  Returns 0 or -1 with a message. */
int berth_jwt_keys_add_jwks(berth_jwt_keys *k, const char *path, char *err,
			    size_t errlen);

/** Trust a public key under `kid` (the key's reference is taken). */
int berth_jwt_keys_add_key(berth_jwt_keys *k, EVP_PKEY *pk, const char *kid);

/** Number of trusted keys and certificates. */
size_t berth_jwt_keys_count(const berth_jwt_keys *k);

/** The libtrust key id of a public key ("ABCD:EFGH:..."); 0 or -1. */
int berth_jwt_key_id(EVP_PKEY *pk, char out[BERTH_JWT_KID_MAX]);

/** What a valid token must say. */
typedef struct berth_jwt_expect {
	const char *issuer;   /* "iss" must equal it */
	const char *audience; /* "aud" (string or array) must contain it */
	time_t now;           /* 0: the current time */
} berth_jwt_expect;

/**
 * Verify the compact token `tok` (length `len`): structure, algorithm
 * matching the key's type (never "none"), the signature with a trusted
 * key, iss, aud, exp and nbf.  On success returns 0 and the claims
 * (caller decrefs); on failure -1 and a short reason in err.
 */
int berth_jwt_verify(const berth_jwt_keys *k, const char *tok, size_t len,
		     const berth_jwt_expect *e, json_t **claims, char *err,
		     size_t errlen);

/**
 * Sign `claims` with the private key (RSA: RS256, EC P-256: ES256,
 * Ed25519: EdDSA); the header names the key by `kid`.  Returns the
 * malloc'd compact token or NULL.
 */
char *berth_jwt_sign(EVP_PKEY *key, const char *kid, json_t *claims);

#endif
