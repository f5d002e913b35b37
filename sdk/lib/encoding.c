/*
 * encoding.c - hex, base64 (standard and URL-safe) and percent-encoding.
 * Object store APIs need all three (SigV4 hex digests, Content-MD5 and
 * Azure block ids in base64, keys in URLs), and each is easy to get
 * subtly wrong at the edges (padding, odd lengths, '/' in keys).
 */
#include <stdlib.h>
#include <string.h>

#include <berth/sdk.h>

static const char hexdig[] = "0123456789abcdef";

size_t berth_sdk_hex_encode(const void *data, size_t len, char *out)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hexdig[p[i] >> 4];
		out[2 * i + 1] = hexdig[p[i] & 15];
	}
	out[2 * len] = 0;
	return 2 * len;
}

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int berth_sdk_hex_decode(const char *hex, size_t len, void *out, size_t cap,
			 size_t *out_len)
{
	if (len % 2 || len / 2 > cap)
		return BERTH_E_INVALID_ARGUMENT;
	unsigned char *o = out;
	for (size_t i = 0; i < len; i += 2) {
		int hi = hexval((unsigned char)hex[i]);
		int lo = hexval((unsigned char)hex[i + 1]);
		if (hi < 0 || lo < 0)
			return BERTH_E_INVALID_ARGUMENT;
		o[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	if (out_len)
		*out_len = len / 2;
	return BERTH_OK;
}

static const char b64_std[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64_url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *berth_sdk_base64_encode(const void *data, size_t len, int alphabet)
{
	const char *tab = alphabet == BERTH_SDK_B64_URL ? b64_url : b64_std;
	int pad = alphabet != BERTH_SDK_B64_URL;
	if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
		return NULL;
	char *out = malloc((len + 2) / 3 * 4 + 1);
	if (!out)
		return NULL;
	const unsigned char *p = data;
	size_t o = 0, i = 0;
	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		out[o++] = tab[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;
		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		if (pad) {
			out[o++] = '=';
			out[o++] = '=';
		}
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		out[o++] = tab[v >> 18];
		out[o++] = tab[(v >> 12) & 63];
		out[o++] = tab[(v >> 6) & 63];
		if (pad)
			out[o++] = '=';
	}
	out[o] = 0;
	return out;
}

static int b64val(unsigned char c, int alphabet)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (alphabet == BERTH_SDK_B64_URL)
		return c == '-' ? 62 : c == '_' ? 63 : -1;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

int berth_sdk_base64_decode(const char *text, size_t len, int alphabet,
			    unsigned char **out, size_t *out_len)
{
	/* Padding is optional; when present it must complete a quantum. */
	size_t n = len;
	if (n && text[n - 1] == '=') {
		n--;
		if (n && text[n - 1] == '=')
			n--;
		if (len % 4)
			return BERTH_E_INVALID_ARGUMENT;
	}
	if (n % 4 == 1)
		return BERTH_E_INVALID_ARGUMENT;
	unsigned char *o = malloc(n / 4 * 3 + 3);
	if (!o)
		return BERTH_E_NOMEM;
	size_t w = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64val((unsigned char)text[i], alphabet);
		if (v < 0) {
			free(o);
			return BERTH_E_INVALID_ARGUMENT;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[w++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* Left-over bits must be zero, or the text was not canonical. */
	if (acc != 0) {
		free(o);
		return BERTH_E_INVALID_ARGUMENT;
	}
	o[w] = 0;
	*out = o;
	*out_len = w;
	return BERTH_OK;
}

char *berth_sdk_url_encode(const char *s, int keep_slash)
{
	size_t n = strlen(s);
	if (n > (SIZE_MAX - 1) / 3)
		return NULL;
	char *out = malloc(3 * n + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char c = *p;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~' || (keep_slash && c == '/')) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = "0123456789ABCDEF"[c >> 4];
			out[o++] = "0123456789ABCDEF"[c & 15];
		}
	}
	out[o] = 0;
	return out;
}
