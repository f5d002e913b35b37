/*
 * crypto.c - SHA-256, HMAC-SHA256 and MD5 over OpenSSL's EVP interface
 * (never our own primitives), one-shot and incremental.
 */
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/opensslv.h>

#include <berth/sdk.h>

struct berth_sdk_hash {
	EVP_MD_CTX *ctx;
	const EVP_MD *md;
};

static const EVP_MD *alg_md(berth_sdk_hash_alg alg)
{
	return alg == BERTH_SDK_HASH_MD5 ? EVP_md5() : EVP_sha256();
}

static int digest(const EVP_MD *md, const void *data, size_t len,
		  unsigned char *out)
{
	unsigned int n = 0;
	return EVP_Digest(data, len, out, &n, md, NULL) == 1 ? BERTH_OK
							     : BERTH_E_IO;
}

int berth_sdk_sha256(const void *data, size_t len,
		     unsigned char out[BERTH_SDK_SHA256_LEN])
{
	return digest(EVP_sha256(), data, len, out);
}

int berth_sdk_sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char d[BERTH_SDK_SHA256_LEN];
	int rc = berth_sdk_sha256(data, len, d);
	if (rc == BERTH_OK)
		berth_sdk_hex_encode(d, sizeof d, out);
	return rc;
}

int berth_sdk_md5(const void *data, size_t len,
		  unsigned char out[BERTH_SDK_MD5_LEN])
{
	return digest(EVP_md5(), data, len, out);
}

int berth_sdk_hmac_sha256(const void *key, size_t key_len, const void *data,
			  size_t len, unsigned char out[BERTH_SDK_SHA256_LEN])
{
	unsigned int n = 0;
	if (key_len > INT32_MAX)
		return BERTH_E_INVALID_ARGUMENT;
	/* HMAC() is OpenSSL's one-shot EVP-based HMAC; unlike HMAC_CTX it
	   is not deprecated in 3.x. */
	if (!HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &n) ||
	    n != BERTH_SDK_SHA256_LEN)
		return BERTH_E_IO;
	return BERTH_OK;
}

berth_sdk_hash *berth_sdk_hash_new(berth_sdk_hash_alg alg)
{
	berth_sdk_hash *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->md = alg_md(alg);
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, h->md, NULL) != 1) {
		berth_sdk_hash_free(h);
		return NULL;
	}
	return h;
}

int berth_sdk_hash_update(berth_sdk_hash *h, const void *data, size_t len)
{
	return EVP_DigestUpdate(h->ctx, data, len) == 1 ? BERTH_OK : BERTH_E_IO;
}

int berth_sdk_hash_final(berth_sdk_hash *h, unsigned char *out,
			 size_t *out_len)
{
	unsigned int n = 0;
	if (EVP_DigestFinal_ex(h->ctx, out, &n) != 1)
		return BERTH_E_IO;
	if (out_len)
		*out_len = n;
	return BERTH_OK;
}

int berth_sdk_hash_reset(berth_sdk_hash *h)
{
	return EVP_DigestInit_ex(h->ctx, h->md, NULL) == 1 ? BERTH_OK
							   : BERTH_E_IO;
}

void berth_sdk_hash_free(berth_sdk_hash *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}
