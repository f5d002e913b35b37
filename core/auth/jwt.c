/*
 * auth/jwt.c - verification and signing of JSON Web Tokens (RFC 7519, JWS
 * compact form) for the Docker token specification.
 *
 * Security decisions, each a known JWT pitfall:
 * - the algorithm comes from the header but must match the type (and for
 *   EC the curve) of the trusted key that verifies it; "none", HMAC and
 *   anything unknown is refused, so a public key can never be used as an
 *   HMAC secret and an unsigned token never passes;
 * - the key is never taken from the token itself: "kid" must name a
 *   trusted key, and an "x5c" chain must verify up to a trusted root
 *   certificate; a "jku"/"jwk" header is ignored, "crit" is refused;
 * - headers and claims are parsed with duplicate keys refused, so two
 *   parsers can never disagree about what a token says;
 * - ECDSA signatures arrive as raw r||s (JWS) and are converted to the
 *   DER form OpenSSL verifies; lengths are checked exactly.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <berth/sdk.h>

#include "auth/jwt.h"
#include "common/json_limits.h"

typedef struct tkey {
	EVP_PKEY *pk;
	char kid[BERTH_JWT_KID_MAX];
} tkey;

struct auth_jwt_keys {
	tkey *v;
	size_t n, cap;
	X509_STORE *roots; /* certificates of the root bundle */
	size_t nroots;
};

typedef struct alg_info {
	const char *name;
	int type;          /* EVP_PKEY_RSA, EVP_PKEY_EC, EVP_PKEY_ED25519 */
	const char *md;    /* digest name; NULL for EdDSA */
	int ec_bits;       /* curve size for ES* */
} alg_info;

static const alg_info algs[] = {
	{"RS256", EVP_PKEY_RSA, "SHA256", 0},
	{"RS384", EVP_PKEY_RSA, "SHA384", 0},
	{"RS512", EVP_PKEY_RSA, "SHA512", 0},
	{"ES256", EVP_PKEY_EC, "SHA256", 256},
	{"ES384", EVP_PKEY_EC, "SHA384", 384},
	{"ES512", EVP_PKEY_EC, "SHA512", 521},
	{"EdDSA", EVP_PKEY_ED25519, NULL, 0},
};

static void seterr(char *err, size_t errlen, const char *fmt, const char *arg)
{
	if (err && errlen)
		snprintf(err, errlen, fmt, arg ? arg : "");
}

static const alg_info *alg_find(const char *name)
{
	for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++)
		if (strcmp(algs[i].name, name) == 0)
			return &algs[i];
	return NULL;
}

/* Non-zero if `pk` is the kind of key `a` is defined for. */
static int alg_fits_key(const alg_info *a, EVP_PKEY *pk)
{
	if (EVP_PKEY_get_base_id(pk) != a->type)
		return 0;
	if (a->type == EVP_PKEY_EC)
		return EVP_PKEY_get_bits(pk) == a->ec_bits;
	if (a->type == EVP_PKEY_RSA)
		return EVP_PKEY_get_bits(pk) >= 2048;
	return 1;
}

/* Pick the signing algorithm for a private key. */
static const alg_info *alg_for_key(EVP_PKEY *pk)
{
	for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++)
		if (alg_fits_key(&algs[i], pk))
			return &algs[i];
	return NULL;
}

/* ---- trusted keys ---- */

auth_jwt_keys *auth_jwt_keys_new(void)
{
	auth_jwt_keys *k = calloc(1, sizeof *k);
	if (k && !(k->roots = X509_STORE_new())) {
		free(k);
		return NULL;
	}
	return k;
}

void auth_jwt_keys_free(auth_jwt_keys *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++)
		EVP_PKEY_free(k->v[i].pk);
	free(k->v);
	X509_STORE_free(k->roots);
	free(k);
}

size_t auth_jwt_keys_count(const auth_jwt_keys *k)
{
	return k->n;
}

int auth_jwt_keys_add_key(auth_jwt_keys *k, EVP_PKEY *pk, const char *kid)
{
	if (!kid || strlen(kid) >= BERTH_JWT_KID_MAX || !*kid)
		return -1;
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 4;
		tkey *v = realloc(k->v, cap * sizeof *v);
		if (!v)
			return -1;
		k->v = v;
		k->cap = cap;
	}
	if (!EVP_PKEY_up_ref(pk))
		return -1;
	k->v[k->n].pk = pk;
	strcpy(k->v[k->n].kid, kid);
	k->n++;
	return 0;
}

int auth_jwt_key_id(EVP_PKEY *pk, char out[BERTH_JWT_KID_MAX])
{
	/* libtrust: base32 of the first 240 bits of SHA-256 over the DER
	   SubjectPublicKeyInfo, in groups of four joined by ':'. */
	static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	unsigned char *der = NULL, md[32];
	int len = i2d_PUBKEY(pk, &der);
	if (len <= 0)
		return -1;
	unsigned int mdlen = 0;
	int ok = EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(), NULL);
	OPENSSL_free(der);
	if (!ok)
		return -1;
	char s[49];
	size_t o = 0;
	for (size_t i = 0; i < 30; i += 5) {
		uint64_t v = 0;
		for (size_t j = 0; j < 5; j++)
			v = v << 8 | md[i + j];
		for (int j = 7; j >= 0; j--)
			s[o++] = b32[(v >> (5 * j)) & 31];
	}
	s[48] = 0;
	o = 0;
	for (size_t i = 0; i < 48; i += 4) {
		if (i)
			out[o++] = ':';
		memcpy(out + o, s + i, 4);
		o += 4;
	}
	out[o] = 0;
	return 0;
}

int auth_jwt_keys_add_bundle(auth_jwt_keys *k, const char *path, char *err,
			      size_t errlen)
{
	BIO *bio = BIO_new_file(path, "r");
	if (!bio) {
		seterr(err, errlen, "cannot read %s", path);
		return -1;
	}
	size_t count = 0;
	int rc = 0;
	X509 *x;
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		char kid[BERTH_JWT_KID_MAX];
		EVP_PKEY *pk = X509_get0_pubkey(x);
		if (!pk || auth_jwt_key_id(pk, kid) ||
		    auth_jwt_keys_add_key(k, pk, kid) ||
		    !X509_STORE_add_cert(k->roots, x)) {
			X509_free(x);
			rc = -1;
			break;
		}
		X509_free(x);
		count++;
	}
	ERR_clear_error();
	BIO_free(bio);
	if (rc || count == 0) {
		seterr(err, errlen, "%s: no usable PEM certificate", path);
		return -1;
	}
	k->nroots += count;
	return 0;
}

/* A base64url JWK member as a BIGNUM / raw bytes. */
static int jwk_bytes(json_t *jwk, const char *member, unsigned char **out,
		     size_t *len)
{
	const char *s = json_string_value(json_object_get(jwk, member));
	*out = NULL;
	if (!s || berth_sdk_base64_decode(s, strlen(s), BERTH_SDK_B64_URL, out,
					  len) || !*len) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	EVP_PKEY *pk = NULL;
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	if (params && ctx && EVP_PKEY_fromdata_init(ctx) == 1)
		EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pk;
}

static EVP_PKEY *jwk_rsa(json_t *jwk)
{
	unsigned char *n = NULL, *e = NULL;
	size_t nl = 0, el = 0;
	EVP_PKEY *pk = NULL;
	BIGNUM *bn = NULL, *be = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	if (jwk_bytes(jwk, "n", &n, &nl) || jwk_bytes(jwk, "e", &e, &el))
		goto out;
	bn = BN_bin2bn(n, (int)nl, NULL);
	be = BN_bin2bn(e, (int)el, NULL);
	bld = OSSL_PARAM_BLD_new();
	if (!bn || !be || !bld ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be))
		goto out;
	pk = from_params("RSA", bld);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	free(n);
	free(e);
	return pk;
}

static EVP_PKEY *jwk_ec(json_t *jwk)
{
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	const char *group = NULL;
	size_t flen = 0;
	if (crv && strcmp(crv, "P-256") == 0)
		group = "prime256v1", flen = 32;
	else if (crv && strcmp(crv, "P-384") == 0)
		group = "secp384r1", flen = 48;
	else if (crv && strcmp(crv, "P-521") == 0)
		group = "secp521r1", flen = 66;
	else
		return NULL;
	unsigned char *x = NULL, *y = NULL;
	size_t xl = 0, yl = 0;
	EVP_PKEY *pk = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	unsigned char point[1 + 2 * 66];
	if (jwk_bytes(jwk, "x", &x, &xl) || jwk_bytes(jwk, "y", &y, &yl) ||
	    xl != flen || yl != flen)
		goto out;
	point[0] = 4; /* uncompressed */
	memcpy(point + 1, x, flen);
	memcpy(point + 1 + flen, y, flen);
	bld = OSSL_PARAM_BLD_new();
	if (!bld ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
					     group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
					      point, 1 + 2 * flen))
		goto out;
	pk = from_params("EC", bld);
out:
	OSSL_PARAM_BLD_free(bld);
	free(x);
	free(y);
	return pk;
}

static EVP_PKEY *jwk_okp(json_t *jwk)
{
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	unsigned char *x = NULL;
	size_t xl = 0;
	if (!crv || strcmp(crv, "Ed25519") || jwk_bytes(jwk, "x", &x, &xl))
		return NULL;
	EVP_PKEY *pk = NULL;
	if (xl == 32)
		pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, xl);
	free(x);
	return pk;
}

int auth_jwt_keys_add_jwks(auth_jwt_keys *k, const char *path, char *err,
			    size_t errlen)
{
	json_error_t je;
	json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	if (!doc) {
		seterr(err, errlen, "cannot parse the JSON Web Key Set %s",
		       path);
		return -1;
	}
	json_t *keys = json_object_get(doc, "keys");
	int rc = json_is_array(keys) && json_array_size(keys) ? 0 : -1;
	size_t i;
	json_t *jwk;
	json_array_foreach(keys, i, jwk) {
		if (rc)
			break;
		const char *kty = json_string_value(json_object_get(jwk, "kty"));
		const char *kid = json_string_value(json_object_get(jwk, "kid"));
		const char *use = json_string_value(json_object_get(jwk, "use"));
		if (use && strcmp(use, "sig"))
			continue; /* an encryption key never signs tokens */
		EVP_PKEY *pk = NULL;
		if (kty && strcmp(kty, "RSA") == 0)
			pk = jwk_rsa(jwk);
		else if (kty && strcmp(kty, "EC") == 0)
			pk = jwk_ec(jwk);
		else if (kty && strcmp(kty, "OKP") == 0)
			pk = jwk_okp(jwk);
		if (!pk || !kid || auth_jwt_keys_add_key(k, pk, kid))
			rc = -1;
		EVP_PKEY_free(pk);
	}
	json_decref(doc);
	ERR_clear_error();
	if (rc)
		seterr(err, errlen,
		       "%s: every key needs kty (RSA, EC, OKP/Ed25519), kid "
		       "and valid key members", path);
	return rc;
}

/* ---- verification ---- */

/* JWS ECDSA signature (r||s, fixed width) to DER. */
static unsigned char *ecdsa_raw_to_der(const unsigned char *sig, size_t len,
				       size_t *outlen)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)(len / 2), NULL);
	BIGNUM *s = BN_bin2bn(sig + len / 2, (int)(len / 2), NULL);
	unsigned char *der = NULL;
	if (!es || !r || !s || !ECDSA_SIG_set0(es, r, s)) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return NULL;
	}
	int n = i2d_ECDSA_SIG(es, &der);
	ECDSA_SIG_free(es);
	if (n <= 0)
		return NULL;
	*outlen = (size_t)n;
	return der;
}

static int verify_sig(const alg_info *a, EVP_PKEY *pk, const char *input,
		      size_t inlen, const unsigned char *sig, size_t siglen)
{
	unsigned char *der = NULL;
	if (a->type == EVP_PKEY_EC) {
		size_t w = (size_t)(a->ec_bits + 7) / 8;
		if (siglen != 2 * w ||
		    !(der = ecdsa_raw_to_der(sig, siglen, &siglen)))
			return 0;
		sig = der;
	}
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx &&
		 EVP_DigestVerifyInit_ex(ctx, NULL, a->md, NULL, NULL, pk,
					 NULL) == 1 &&
		 EVP_DigestVerify(ctx, sig, siglen,
				  (const unsigned char *)input, inlen) == 1;
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	ERR_clear_error();
	return ok;
}

/* The key of an x5c chain's leaf if the chain verifies to a trusted
   root; a new reference, or NULL. */
static EVP_PKEY *x5c_key(const auth_jwt_keys *k, json_t *x5c)
{
	if (!k->nroots || !json_is_array(x5c) || !json_array_size(x5c) ||
	    json_array_size(x5c) > 10)
		return NULL;
	STACK_OF(X509) *chain = sk_X509_new_null();
	X509 *leaf = NULL;
	EVP_PKEY *pk = NULL;
	size_t i;
	json_t *v;
	json_array_foreach(x5c, i, v) {
		const char *s = json_string_value(v);
		unsigned char *der = NULL;
		size_t len = 0;
		if (!s || berth_sdk_base64_decode(s, strlen(s),
						  BERTH_SDK_B64_STD, &der, &len))
			goto out;
		const unsigned char *p = der;
		X509 *x = d2i_X509(NULL, &p, (long)len);
		free(der);
		if (!x)
			goto out;
		if (i == 0)
			leaf = x;
		else if (!chain || !sk_X509_push(chain, x)) {
			X509_free(x);
			goto out;
		}
	}
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	if (ctx && X509_STORE_CTX_init(ctx, k->roots, leaf, chain) == 1 &&
	    X509_verify_cert(ctx) == 1) {
		pk = X509_get_pubkey(leaf);
	}
	X509_STORE_CTX_free(ctx);
out:
	X509_free(leaf);
	sk_X509_pop_free(chain, X509_free);
	ERR_clear_error();
	return pk;
}

/* A token travels in a request header, so its JSON is small already;
   these bounds keep its tree small too (a token with a long "access"
   list stays far below them). */
static const json_limits jwt_limits = {
	.budget = 2u << 20,
	.max_depth = 16,
	.max_values = 16384,
};

static json_t *decode_json(const char *s, size_t len)
{
	unsigned char *raw = NULL;
	size_t rawlen = 0;
	if (berth_sdk_base64_decode(s, len, BERTH_SDK_B64_URL, &raw, &rawlen))
		return NULL;
	json_t *j = json_limits_loadb((const char *)raw, rawlen,
				      JSON_REJECT_DUPLICATES, &jwt_limits,
				      NULL, NULL, 0);
	free(raw);
	if (j && !json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static int aud_matches(json_t *aud, const char *want)
{
	if (json_is_string(aud))
		return strcmp(json_string_value(aud), want) == 0;
	size_t i;
	json_t *v;
	json_array_foreach(aud, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), want) == 0)
			return 1;
	}
	return 0;
}

/* The key that signed a token with header `hdr`, with a reference the
   caller frees (EVP_PKEY_free), and its algorithm in *alg; NULL with a
   message in err when the header names no accepted algorithm or no
   trusted key that fits it. */
static EVP_PKEY *header_key(const auth_jwt_keys *k, json_t *hdr,
			    const alg_info **alg, char *err, size_t errlen)
{
	const char *algname = json_string_value(json_object_get(hdr, "alg"));
	const alg_info *a = algname ? alg_find(algname) : NULL;
	if (!a) {
		seterr(err, errlen, "token algorithm %s is not accepted",
		       algname ? algname : "(none)");
		return NULL;
	}
	if (json_object_get(hdr, "crit")) {
		seterr(err, errlen, "token has critical extensions", NULL);
		return NULL;
	}
	EVP_PKEY *pk = NULL;
	json_t *x5c = json_object_get(hdr, "x5c");
	const char *kid = json_string_value(json_object_get(hdr, "kid"));
	if (x5c) {
		pk = x5c_key(k, x5c);
	} else if (kid) {
		for (size_t i = 0; i < k->n; i++) {
			if (strcmp(k->v[i].kid, kid) == 0 &&
			    alg_fits_key(a, k->v[i].pk)) {
				pk = k->v[i].pk;
				EVP_PKEY_up_ref(pk);
				break;
			}
		}
	}
	if (!pk) {
		seterr(err, errlen, "token is not signed by a trusted key", NULL);
		return NULL;
	}
	if (!alg_fits_key(a, pk)) {
		seterr(err, errlen, "token algorithm %s does not fit its key",
		       a->name);
		EVP_PKEY_free(pk);
		return NULL;
	}
	*alg = a;
	return pk;
}

/* Whether verified claims are for this service now: issuer, audience,
   expiry and not-before (each with BERTH_JWT_LEEWAY); 0, or -1 with a
   message in err. */
static int claims_valid(json_t *cl, const auth_jwt_expect *e, char *err,
			size_t errlen)
{
	const char *iss = json_string_value(json_object_get(cl, "iss"));
	if (!iss || !e->issuer || strcmp(iss, e->issuer)) {
		seterr(err, errlen, "token issuer is not trusted", NULL);
		return -1;
	}
	if (!e->audience || !aud_matches(json_object_get(cl, "aud"),
					 e->audience)) {
		seterr(err, errlen, "token is meant for another service", NULL);
		return -1;
	}
	time_t now = e->now ? e->now : time(NULL);
	json_t *exp = json_object_get(cl, "exp");
	json_t *nbf = json_object_get(cl, "nbf");
	if (!json_is_number(exp) ||
	    json_number_value(exp) + BERTH_JWT_LEEWAY < (double)now) {
		seterr(err, errlen, "token has expired", NULL);
		return -1;
	}
	if (nbf && (!json_is_number(nbf) ||
		    json_number_value(nbf) - BERTH_JWT_LEEWAY > (double)now)) {
		seterr(err, errlen, "token is not valid yet", NULL);
		return -1;
	}
	return 0;
}

int auth_jwt_verify(const auth_jwt_keys *k, const char *tok, size_t len,
		     const auth_jwt_expect *e, json_t **claims, char *err,
		     size_t errlen)
{
	*claims = NULL;
	const char *d1 = memchr(tok, '.', len);
	const char *d2 = d1 ? memchr(d1 + 1, '.', len - (d1 + 1 - tok)) : NULL;
	if (!d1 || !d2 || memchr(d2 + 1, '.', len - (d2 + 1 - tok)) ||
	    d2 + 1 == tok + len) {
		seterr(err, errlen, "malformed token", NULL);
		return -1;
	}
	json_t *hdr = decode_json(tok, d1 - tok);
	json_t *cl = NULL;
	EVP_PKEY *pk = NULL;
	const alg_info *a = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	int rc = -1;
	if (!hdr) {
		seterr(err, errlen, "malformed token header", NULL);
		goto out;
	}
	pk = header_key(k, hdr, &a, err, errlen);
	if (!pk)
		goto out;
	if (berth_sdk_base64_decode(d2 + 1, len - (d2 + 1 - tok),
				    BERTH_SDK_B64_URL, &sig, &siglen) ||
	    !verify_sig(a, pk, tok, d2 - tok, sig, siglen)) {
		seterr(err, errlen, "token signature is invalid", NULL);
		goto out;
	}
	cl = decode_json(d1 + 1, d2 - d1 - 1);
	if (!cl) {
		seterr(err, errlen, "malformed token claims", NULL);
		goto out;
	}
	if (claims_valid(cl, e, err, errlen))
		goto out;
	*claims = cl;
	cl = NULL;
	rc = 0;
out:
	json_decref(hdr);
	json_decref(cl);
	EVP_PKEY_free(pk);
	free(sig);
	return rc;
}

/* ---- signing ---- */

static char *b64_json(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	if (!s)
		return NULL;
	char *out = berth_sdk_base64_encode(s, strlen(s), BERTH_SDK_B64_URL);
	free(s);
	return out;
}

char *auth_jwt_sign(EVP_PKEY *key, const char *kid, json_t *claims)
{
	const alg_info *a = alg_for_key(key);
	if (!a)
		return NULL;
	json_t *hdr = json_pack("{s:s,s:s,s:s}", "typ", "JWT", "alg", a->name,
				"kid", kid);
	char *h = hdr ? b64_json(hdr) : NULL;
	char *c = b64_json(claims);
	json_decref(hdr);
	char *input = NULL, *out = NULL, *s64 = NULL;
	unsigned char *sig = NULL, raw[132];
	size_t siglen = 0;
	EVP_MD_CTX *ctx = NULL;
	if (!h || !c || asprintf(&input, "%s.%s", h, c) < 0) {
		input = NULL;
		goto out;
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx ||
	    EVP_DigestSignInit_ex(ctx, NULL, a->md, NULL, NULL, key, NULL) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, (unsigned char *)input,
			   strlen(input)) != 1 ||
	    !(sig = OPENSSL_malloc(siglen)) ||
	    EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)input,
			   strlen(input)) != 1)
		goto out;
	const unsigned char *sp = sig;
	size_t outlen = siglen;
	if (a->type == EVP_PKEY_EC) {
		/* DER to the fixed-width r||s of JWS. */
		const unsigned char *p = sig;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)siglen);
		size_t w = (size_t)(a->ec_bits + 7) / 8;
		if (!es)
			goto out;
		int ok = BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, (int)w) ==
				 (int)w &&
			 BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + w, (int)w) ==
				 (int)w;
		ECDSA_SIG_free(es);
		if (!ok)
			goto out;
		sp = raw;
		outlen = 2 * w;
	}
	s64 = berth_sdk_base64_encode(sp, outlen, BERTH_SDK_B64_URL);
	if (s64 && asprintf(&out, "%s.%s", input, s64) < 0)
		out = NULL;
out:
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(sig);
	free(h);
	free(c);
	free(input);
	free(s64);
	ERR_clear_error();
	return out;
}
