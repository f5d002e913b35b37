/*
 * test_jwt.c - JSON Web Token verification and signing: every algorithm
 * round trip, and each way a forged or misdirected token must fail.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <berth/sdk.h>

#include "auth/jwt.h"
#include "test.h"

static json_t *claims_for(const char *iss, const char *aud, long exp_in)
{
	time_t now = time(NULL);
	return json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:[{s:s,s:s,s:[s]}]}",
			 "iss", iss, "sub", "alice", "aud", aud, "exp",
			 (json_int_t)(now + exp_in), "nbf", (json_int_t)now - 1,
			 "iat", (json_int_t)now, "access", "type",
			 "repository", "name", "team/app", "actions", "pull");
}

static int verify(auth_jwt_keys *k, const char *tok, char *err)
{
	auth_jwt_expect e = {.issuer = "issuer", .audience = "registry"};
	json_t *cl = NULL;
	int rc = auth_jwt_verify(k, tok, strlen(tok), &e, &cl, err, 256);
	if (rc == 0)
		CHECK_STR(json_string_value(json_object_get(cl, "sub")),
			  "alice");
	json_decref(cl);
	return rc;
}

/* Sign header.claims with `key` exactly as given (no checks). */
static char *forge(EVP_PKEY *key, json_t *hdr, json_t *cl, const char *md)
{
	char *h = json_dumps(hdr, JSON_COMPACT), *c = json_dumps(cl, JSON_COMPACT);
	char *hb = berth_sdk_base64_encode(h, strlen(h), BERTH_SDK_B64_URL);
	char *cb = berth_sdk_base64_encode(c, strlen(c), BERTH_SDK_B64_URL);
	char *input = NULL, *out = NULL;
	CHECK(asprintf(&input, "%s.%s", hb, cb) > 0);
	unsigned char sig[1024];
	size_t siglen = sizeof sig;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	CHECK(EVP_DigestSignInit_ex(ctx, NULL, md, NULL, NULL, key, NULL) == 1);
	CHECK(EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)input,
			     strlen(input)) == 1);
	EVP_MD_CTX_free(ctx);
	char *sb = berth_sdk_base64_encode(sig, siglen, BERTH_SDK_B64_URL);
	CHECK(asprintf(&out, "%s.%s", input, sb) > 0);
	free(h); free(c); free(hb); free(cb); free(input); free(sb);
	return out;
}

static void trust(auth_jwt_keys *k, EVP_PKEY *pk, char kid[BERTH_JWT_KID_MAX])
{
	CHECK(auth_jwt_key_id(pk, kid) == 0);
	CHECK(auth_jwt_keys_add_key(k, pk, kid) == 0);
}

TEST(jwt_roundtrip_each_key_type)
{
	EVP_PKEY *keys[] = {EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"),
			    EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048),
			    EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"),
			    EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384")};
	for (size_t i = 0; i < 4; i++) {
		CHECK(keys[i] != NULL);
		auth_jwt_keys *k = auth_jwt_keys_new();
		char kid[BERTH_JWT_KID_MAX], err[256] = "";
		trust(k, keys[i], kid);
		CHECK_EQ_INT(strlen(kid), 59);
		json_t *cl = claims_for("issuer", "registry", 300);
		char *tok = auth_jwt_sign(keys[i], kid, cl);
		CHECK(tok != NULL);
		CHECK_EQ_INT(verify(k, tok, err), 0);
		/* Tampered payload: the same signature over other claims. */
		char *dot = strchr(tok, '.');
		json_t *cl2 = claims_for("issuer", "registry", 300);
		json_object_set_new(cl2, "sub", json_string("mallory"));
		char *evil = auth_jwt_sign(keys[i], kid, cl2);
		char *edot = strchr(evil, '.'), *edot2 = strchr(edot + 1, '.');
		char *mixed = NULL;
		CHECK(asprintf(&mixed, "%.*s%.*s%s", (int)(dot - tok), tok,
			       (int)(edot2 - edot), edot,
			       strrchr(tok, '.')) > 0);
		CHECK_EQ_INT(verify(k, mixed, err), -1);
		CHECK(strstr(err, "signature") != NULL);
		free(mixed);
		free(evil);
		json_decref(cl2);
		free(tok);
		json_decref(cl);
		auth_jwt_keys_free(k);
		EVP_PKEY_free(keys[i]);
	}
}

TEST(jwt_claims_checked)
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	auth_jwt_keys *k = auth_jwt_keys_new();
	char kid[BERTH_JWT_KID_MAX], err[256];
	trust(k, pk, kid);
	struct { const char *iss, *aud; long exp; const char *why; } cases[] = {
		{"issuer", "other-service", 300, "another service"},
		{"someone", "registry", 300, "issuer"},
		{"issuer", "registry", -120, "expired"},
	};
	for (size_t i = 0; i < 3; i++) {
		json_t *cl = claims_for(cases[i].iss, cases[i].aud, cases[i].exp);
		char *tok = auth_jwt_sign(pk, kid, cl);
		CHECK_EQ_INT(verify(k, tok, err), -1);
		CHECK(strstr(err, cases[i].why) != NULL);
		free(tok);
		json_decref(cl);
	}
	/* Within the leeway: expired 30 s ago still passes. */
	json_t *cl = claims_for("issuer", "registry", -30);
	char *tok = auth_jwt_sign(pk, kid, cl);
	CHECK_EQ_INT(verify(k, tok, err), 0);
	free(tok);
	/* aud as an array; nbf in the future; no exp at all. */
	json_object_set_new(cl, "exp", json_integer(time(NULL) + 300));
	json_object_set_new(cl, "aud", json_pack("[s,s]", "x", "registry"));
	tok = auth_jwt_sign(pk, kid, cl);
	CHECK_EQ_INT(verify(k, tok, err), 0);
	free(tok);
	json_object_set_new(cl, "nbf", json_integer(time(NULL) + 600));
	tok = auth_jwt_sign(pk, kid, cl);
	CHECK_EQ_INT(verify(k, tok, err), -1);
	free(tok);
	json_object_del(cl, "nbf");
	json_object_del(cl, "exp");
	tok = auth_jwt_sign(pk, kid, cl);
	CHECK_EQ_INT(verify(k, tok, err), -1);
	free(tok);
	json_decref(cl);
	auth_jwt_keys_free(k);
	EVP_PKEY_free(pk);
}

TEST(jwt_forgeries_refused)
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	auth_jwt_keys *k = auth_jwt_keys_new();
	char kid[BERTH_JWT_KID_MAX], okid[BERTH_JWT_KID_MAX], err[256];
	trust(k, pk, kid);
	CHECK(auth_jwt_key_id(other, okid) == 0);
	json_t *cl = claims_for("issuer", "registry", 300);

	/* Untrusted key, whatever kid it claims. */
	char *tok = auth_jwt_sign(other, okid, cl);
	CHECK_EQ_INT(verify(k, tok, err), -1);
	free(tok);
	tok = auth_jwt_sign(other, kid, cl);
	CHECK_EQ_INT(verify(k, tok, err), -1);
	free(tok);

	/* alg none, with and without a signature part. */
	json_t *hdr = json_pack("{s:s,s:s}", "alg", "none", "kid", kid);
	char *h = json_dumps(hdr, JSON_COMPACT), *c = json_dumps(cl, JSON_COMPACT);
	char *hb = berth_sdk_base64_encode(h, strlen(h), BERTH_SDK_B64_URL);
	char *cb = berth_sdk_base64_encode(c, strlen(c), BERTH_SDK_B64_URL);
	char *none = NULL;
	CHECK(asprintf(&none, "%s.%s.", hb, cb) > 0);
	CHECK_EQ_INT(verify(k, none, err), -1);
	free(none);
	CHECK(asprintf(&none, "%s.%s.AAAA", hb, cb) > 0);
	CHECK_EQ_INT(verify(k, none, err), -1);
	CHECK(strstr(err, "not accepted") != NULL);
	free(none);
	free(h); free(c); free(hb); free(cb);
	json_decref(hdr);

	/* alg that does not fit the key: RS256 header, Ed25519 key. */
	hdr = json_pack("{s:s,s:s}", "alg", "RS256", "kid", kid);
	tok = forge(pk, hdr, cl, NULL);
	CHECK_EQ_INT(verify(k, tok, err), -1);
	free(tok);
	json_decref(hdr);
	/* The right alg through the forge helper passes (helper sanity). */
	hdr = json_pack("{s:s,s:s}", "alg", "EdDSA", "kid", kid);
	tok = forge(pk, hdr, cl, NULL);
	CHECK_EQ_INT(verify(k, tok, err), 0);
	free(tok);
	/* No kid and no x5c. */
	json_object_del(hdr, "kid");
	tok = forge(pk, hdr, cl, NULL);
	CHECK_EQ_INT(verify(k, tok, err), -1);
	free(tok);
	/* crit extension. */
	json_object_set_new(hdr, "kid", json_string(kid));
	json_object_set_new(hdr, "crit", json_pack("[s]", "exp"));
	tok = forge(pk, hdr, cl, NULL);
	CHECK_EQ_INT(verify(k, tok, err), -1);
	free(tok);
	json_decref(hdr);

	/* HS256 with the public key as the HMAC secret: refused by name. */
	hdr = json_pack("{s:s,s:s}", "alg", "HS256", "kid", kid);
	h = json_dumps(hdr, JSON_COMPACT);
	hb = berth_sdk_base64_encode(h, strlen(h), BERTH_SDK_B64_URL);
	CHECK(asprintf(&none, "%s.eyJ9.AAAA", hb) > 0);
	CHECK_EQ_INT(verify(k, none, err), -1);
	free(none); free(h); free(hb);
	json_decref(hdr);

	/* Structure: too few or too many parts, bad base64. */
	CHECK_EQ_INT(verify(k, "abc", err), -1);
	CHECK_EQ_INT(verify(k, "a.b.c.d", err), -1);
	CHECK_EQ_INT(verify(k, "a b.c.d", err), -1);
	json_decref(cl);
	auth_jwt_keys_free(k);
	EVP_PKEY_free(pk);
	EVP_PKEY_free(other);
}

/* A self-signed certificate for `pk`. */
static X509 *self_signed(EVP_PKEY *pk)
{
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, pk);
	X509_NAME *n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				   (unsigned char *)"token signer", -1, -1, 0);
	X509_set_issuer_name(x, n);
	CHECK(X509_sign(x, pk, NULL) > 0);
	return x;
}

TEST(jwt_root_bundle_and_x5c)
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY *other = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	X509 *cert = self_signed(pk), *ocert = self_signed(other);
	char path[] = "/tmp/berth-jwt-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	PEM_write_X509(f, cert);
	fclose(f);
	auth_jwt_keys *k = auth_jwt_keys_new();
	char err[256], kid[BERTH_JWT_KID_MAX];
	CHECK_EQ_INT(auth_jwt_keys_add_bundle(k, path, err, sizeof err), 0);
	CHECK_EQ_INT(auth_jwt_keys_add_bundle(k, "/nonexistent", err,
					       sizeof err), -1);
	json_t *cl = claims_for("issuer", "registry", 300);
	/* By libtrust key id of the certificate's key. */
	CHECK(auth_jwt_key_id(pk, kid) == 0);
	char *tok = auth_jwt_sign(pk, kid, cl);
	CHECK_EQ_INT(verify(k, tok, err), 0);
	free(tok);
	/* By an x5c chain that is the trusted certificate. */
	unsigned char *der = NULL;
	int len = i2d_X509(cert, &der);
	char *b64 = berth_sdk_base64_encode(der, (size_t)len, BERTH_SDK_B64_STD);
	json_t *hdr = json_pack("{s:s,s:[s]}", "alg", "EdDSA", "x5c", b64);
	tok = forge(pk, hdr, cl, NULL);
	CHECK_EQ_INT(verify(k, tok, err), 0);
	free(tok);
	json_decref(hdr);
	free(b64);
	OPENSSL_free(der);
	/* An x5c chain of an untrusted certificate, even with a trusted kid. */
	der = NULL;
	len = i2d_X509(ocert, &der);
	b64 = berth_sdk_base64_encode(der, (size_t)len, BERTH_SDK_B64_STD);
	hdr = json_pack("{s:s,s:s,s:[s]}", "alg", "EdDSA", "kid", kid, "x5c",
			b64);
	tok = forge(other, hdr, cl, NULL);
	CHECK_EQ_INT(verify(k, tok, err), -1);
	free(tok);
	json_decref(hdr);
	free(b64);
	OPENSSL_free(der);
	json_decref(cl);
	auth_jwt_keys_free(k);
	X509_free(cert);
	X509_free(ocert);
	EVP_PKEY_free(pk);
	EVP_PKEY_free(other);
	unlink(path);
}

/* A key parameter in base64url: `width` bytes (an EC coordinate, which
   JWK writes at the curve's full size even with leading zeros), or as
   few as the number needs when `width` is 0. */
static char *b64_param(EVP_PKEY *pk, const char *name, int width)
{
	BIGNUM *bn = NULL;
	CHECK(EVP_PKEY_get_bn_param(pk, name, &bn) == 1);
	unsigned char buf[512];
	int n = width ? BN_bn2binpad(bn, buf, width) : BN_bn2bin(bn, buf);
	BN_free(bn);
	return berth_sdk_base64_encode(buf, (size_t)n, BERTH_SDK_B64_URL);
}

TEST(jwt_jwks)
{
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	char *n = b64_param(rsa, OSSL_PKEY_PARAM_RSA_N, 0);
	char *e = b64_param(rsa, OSSL_PKEY_PARAM_RSA_E, 0);
	char *x = b64_param(ec, OSSL_PKEY_PARAM_EC_PUB_X, 32);
	char *y = b64_param(ec, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
	json_t *jwks = json_pack(
		"{s:[{s:s,s:s,s:s,s:s},{s:s,s:s,s:s,s:s,s:s}]}", "keys",
		"kty", "RSA", "kid", "rsa-1", "n", n, "e", e,
		"kty", "EC", "kid", "ec-1", "crv", "P-256", "x", x, "y", y);
	char path[] = "/tmp/berth-jwks-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	CHECK(json_dump_file(jwks, path, 0) == 0);
	auth_jwt_keys *k = auth_jwt_keys_new();
	char err[256];
	CHECK_EQ_INT(auth_jwt_keys_add_jwks(k, path, err, sizeof err), 0);
	CHECK_EQ_INT(auth_jwt_keys_count(k), 2);
	json_t *cl = claims_for("issuer", "registry", 300);
	char *tok = auth_jwt_sign(rsa, "rsa-1", cl);
	CHECK_EQ_INT(verify(k, tok, err), 0);
	free(tok);
	tok = auth_jwt_sign(ec, "ec-1", cl);
	CHECK_EQ_INT(verify(k, tok, err), 0);
	free(tok);
	/* The EC key's token naming the RSA key id: alg does not fit. */
	tok = auth_jwt_sign(ec, "rsa-1", cl);
	CHECK_EQ_INT(verify(k, tok, err), -1);
	free(tok);
	/* A key set without kid is refused. */
	json_object_del(json_array_get(json_object_get(jwks, "keys"), 0), "kid");
	CHECK(json_dump_file(jwks, path, 0) == 0);
	auth_jwt_keys *k2 = auth_jwt_keys_new();
	CHECK_EQ_INT(auth_jwt_keys_add_jwks(k2, path, err, sizeof err), -1);
	auth_jwt_keys_free(k2);
	unlink(path);
	json_decref(cl);
	json_decref(jwks);
	free(n); free(e); free(x); free(y);
	auth_jwt_keys_free(k);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
}

TEST(base64_strict)
{
	/* the core decodes credentials and tokens with the driver SDK's
	   base64: strict, no white space, padding optional */
	unsigned char *out = NULL;
	size_t len = 0;
	const int bad = BERTH_E_INVALID_ARGUMENT;
	CHECK_EQ_INT(berth_sdk_base64_decode("YWxpY2U6cHc=", 12, BERTH_SDK_B64_STD,
					     &out, &len), 0);
	CHECK_EQ_INT(len, 8);
	CHECK(memcmp(out, "alice:pw", 8) == 0);
	free(out);
	CHECK_EQ_INT(berth_sdk_base64_decode("YWxpY2U6cHc", 11, BERTH_SDK_B64_STD,
					     &out, &len), 0);
	free(out);
	CHECK_EQ_INT(berth_sdk_base64_decode("YWxp Y2U6", 9, BERTH_SDK_B64_STD,
					     &out, &len), bad);
	CHECK_EQ_INT(berth_sdk_base64_decode("-_-_", 4, BERTH_SDK_B64_STD, &out,
					     &len), bad);
	CHECK_EQ_INT(berth_sdk_base64_decode("-_-_", 4, BERTH_SDK_B64_URL, &out,
					     &len), 0);
	CHECK_EQ_INT(len, 3);
	free(out);
	CHECK_EQ_INT(berth_sdk_base64_decode("A", 1, BERTH_SDK_B64_URL, &out,
					     &len), bad);
	CHECK_EQ_INT(berth_sdk_base64_decode("", 0, BERTH_SDK_B64_URL, &out,
					     &len), 0);
	CHECK_EQ_INT(len, 0);
	free(out);
	char *s = berth_sdk_base64_encode("\xfb\xff", 2, BERTH_SDK_B64_URL);
	CHECK_STR(s, "-_8");
	free(s);
}
