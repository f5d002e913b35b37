/*
 * common/base64.c - base64 and base64url with OpenSSL's EVP block coder doing the
 * actual coding; this file only translates the url alphabet, restores or
 * strips padding, and refuses anything outside the alphabet (OpenSSL's
 * decoder skips white space, which a token or credential must not carry).
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/base64.h"

int berth_base64_decode(const char *in, size_t len, int url,
			unsigned char **out, size_t *outlen)
{
	*out = NULL;
	*outlen = 0;
	size_t pad = 0;
	/* Strip the caller's padding (at most two) and count it back later. */
	while (len && in[len - 1] == '=' && pad < 2) {
		len--;
		pad++;
	}
	if (len % 4 == 1 || len > (size_t)1 << 30)
		return -1;
	size_t full = (len + 3) / 4 * 4;
	char *buf = malloc(full + 1);
	unsigned char *dec = malloc(full / 4 * 3 + 1);
	if (!buf || !dec)
		goto fail;
	for (size_t i = 0; i < len; i++) {
		char c = in[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9'))
			buf[i] = c;
		else if (c == (url ? '-' : '+'))
			buf[i] = '+';
		else if (c == (url ? '_' : '/'))
			buf[i] = '/';
		else
			goto fail;
	}
	size_t missing = full - len;
	if (pad && pad != missing)
		goto fail;
	memset(buf + len, '=', missing);
	buf[full] = 0;
	int n = full ? EVP_DecodeBlock(dec, (unsigned char *)buf, (int)full)
		     : 0;
	if (n < 0 || (size_t)n < missing)
		goto fail;
	n -= (int)missing;
	dec[n] = 0;
	free(buf);
	*out = dec;
	*outlen = (size_t)n;
	return 0;
fail:
	free(buf);
	free(dec);
	return -1;
}

char *berth_base64_encode(const unsigned char *in, size_t len, int url)
{
	if (len > (size_t)1 << 30)
		return NULL;
	char *out = malloc((len + 2) / 3 * 4 + 1);
	if (!out)
		return NULL;
	int n = EVP_EncodeBlock((unsigned char *)out, in, (int)len);
	if (url) {
		while (n && out[n - 1] == '=')
			n--;
		out[n] = 0;
		for (int i = 0; i < n; i++) {
			if (out[i] == '+')
				out[i] = '-';
			else if (out[i] == '/')
				out[i] = '_';
		}
	}
	return out;
}
