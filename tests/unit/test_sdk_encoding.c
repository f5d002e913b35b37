/*
 * test_sdk_encoding.c - the driver SDK's hex, base64 and percent
 * encodings (RFC 4648 test vectors, refusal of malformed input) and the
 * hashes over OpenSSL (FIPS 180-2, RFC 1321 and RFC 4231 vectors).
 */
#include <stdlib.h>
#include <string.h>

#include <berth/sdk.h>

#include "test.h"

TEST(sdk_hex)
{
	char out[16];
	unsigned char bin[8];
	size_t n = 0;
	CHECK_EQ_INT(berth_sdk_hex_encode("\x00\xab\xff", 3, out), 6);
	CHECK_STR(out, "00abff");
	CHECK_EQ_INT(berth_sdk_hex_decode("00ABff", 6, bin, sizeof bin, &n), BERTH_OK);
	CHECK(n == 3 && bin[0] == 0 && bin[1] == 0xab && bin[2] == 0xff);
	CHECK_EQ_INT(berth_sdk_hex_decode("abc", 3, bin, sizeof bin, &n),
		     BERTH_E_INVALID_ARGUMENT);
	CHECK_EQ_INT(berth_sdk_hex_decode("zz", 2, bin, sizeof bin, &n),
		     BERTH_E_INVALID_ARGUMENT);
	CHECK_EQ_INT(berth_sdk_hex_decode("001122", 6, bin, 2, &n),
		     BERTH_E_INVALID_ARGUMENT);
}

TEST(sdk_base64)
{
	/* RFC 4648 section 10. */
	static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const std[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==",
					  "Zm9vYmE=", "Zm9vYmFy"};
	for (size_t i = 0; i < 7; i++) {
		char *e = berth_sdk_base64_encode(plain[i], strlen(plain[i]),
						  BERTH_SDK_B64_STD);
		CHECK_STR(e, std[i]);
		unsigned char *d = NULL;
		size_t n = 0;
		CHECK_EQ_INT(berth_sdk_base64_decode(e, strlen(e), BERTH_SDK_B64_STD,
						     &d, &n), BERTH_OK);
		CHECK(n == strlen(plain[i]) && d && !memcmp(d, plain[i], n));
		free(d);
		free(e);
	}
	char *u = berth_sdk_base64_encode("\xfb\xff", 2, BERTH_SDK_B64_URL);
	CHECK_STR(u, "-_8");
	unsigned char *d = NULL;
	size_t n = 0;
	CHECK_EQ_INT(berth_sdk_base64_decode(u, strlen(u), BERTH_SDK_B64_URL, &d, &n),
		     BERTH_OK);
	CHECK(n == 2 && d[0] == 0xfb && d[1] == 0xff);
	free(d);
	free(u);
	/* Padding is optional, but malformed text is refused. */
	CHECK_EQ_INT(berth_sdk_base64_decode("Zg", 2, BERTH_SDK_B64_STD, &d, &n), BERTH_OK);
	CHECK(n == 1 && d[0] == 'f');
	free(d);
	CHECK_EQ_INT(berth_sdk_base64_decode("Z", 1, BERTH_SDK_B64_STD, &d, &n),
		     BERTH_E_INVALID_ARGUMENT);
	CHECK_EQ_INT(berth_sdk_base64_decode("Zg=", 3, BERTH_SDK_B64_STD, &d, &n),
		     BERTH_E_INVALID_ARGUMENT);
	CHECK_EQ_INT(berth_sdk_base64_decode("Z!==", 4, BERTH_SDK_B64_STD, &d, &n),
		     BERTH_E_INVALID_ARGUMENT);
	CHECK_EQ_INT(berth_sdk_base64_decode("-_8", 3, BERTH_SDK_B64_STD, &d, &n),
		     BERTH_E_INVALID_ARGUMENT);
	CHECK_EQ_INT(berth_sdk_base64_decode("Zh==", 4, BERTH_SDK_B64_STD, &d, &n),
		     BERTH_E_INVALID_ARGUMENT); /* non-zero trailing bits */
}

TEST(sdk_url_encode)
{
	char *s = berth_sdk_url_encode("a b/c~d_e.f-g+h%", 0);
	CHECK_STR(s, "a%20b%2Fc~d_e.f-g%2Bh%25");
	free(s);
	s = berth_sdk_url_encode("docker/registry/v2/\xc3\xbc", 1);
	CHECK_STR(s, "docker/registry/v2/%C3%BC");
	free(s);
}

TEST(sdk_hashes)
{
	char hex[65];
	CHECK_EQ_INT(berth_sdk_sha256_hex("abc", 3, hex), BERTH_OK);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CHECK_EQ_INT(berth_sdk_sha256_hex("", 0, hex), BERTH_OK);
	CHECK_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	unsigned char md5[16];
	CHECK_EQ_INT(berth_sdk_md5("abc", 3, md5), BERTH_OK);
	berth_sdk_hex_encode(md5, 16, hex);
	CHECK_STR(hex, "900150983cd24fb0d6963f7d28e17f72");
	/* RFC 4231 test case 2. */
	unsigned char mac[32];
	const char *data = "what do ya want for nothing?";
	CHECK_EQ_INT(berth_sdk_hmac_sha256("Jefe", 4, data, strlen(data), mac), BERTH_OK);
	berth_sdk_hex_encode(mac, 32, hex);
	CHECK_STR(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* Incremental equals one-shot, and reset starts over. */
	berth_sdk_hash *h = berth_sdk_hash_new(BERTH_SDK_HASH_SHA256);
	CHECK(h != NULL);
	if (!h)
		return;
	unsigned char d[32];
	size_t n = 0;
	berth_sdk_hash_update(h, "xyz", 3);
	berth_sdk_hash_reset(h);
	berth_sdk_hash_update(h, "a", 1);
	berth_sdk_hash_update(h, "bc", 2);
	CHECK_EQ_INT(berth_sdk_hash_final(h, d, &n), BERTH_OK);
	CHECK_EQ_INT(n, 32);
	berth_sdk_hex_encode(d, 32, hex);
	CHECK_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	berth_sdk_hash_free(h);
}
