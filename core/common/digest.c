/*
 * common/digest.c - OCI content digests and a resumable streaming hasher.
 *
 * Digests are parsed strictly: only sha256 and sha512 with lower-case hex
 * of the exact length are accepted; any other well-formed "alg:encoded"
 * (per the OCI digest grammar) is reported as unsupported rather than
 * invalid, because the API answers the two cases differently.
 *
 * The hasher keeps OpenSSL's low-level SHA256_CTX / SHA512_CTX inside the
 * berth_hasher struct so that its state can be copied out byte for byte and
 * restored later: a chunked upload that resumes after a restart, or on
 * another instance, continues hashing where it stopped instead of
 * re-reading the whole blob.
 */

/* EVP contexts are opaque and cannot be serialised; a resumable upload
   needs its hash state persisted, so this file uses the low-level SHA
   contexts that OpenSSL 3 marks deprecated. */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <string.h>

#include "common/digest.h"

/* OpenSSL initialises itself on first use, reading openssl.cnf, and the
   thread that does so keeps per-thread error state that is freed only
   for the main thread at exit.  Left to the first digest, that thread is
   a worker (or a driver's call on one), and a sanitizer build reports
   the state as leaked; done here it is the main thread's. */
void digest_library_init(void)
{
	OPENSSL_init_crypto(OPENSSL_INIT_LOAD_CONFIG, NULL);
}

_Static_assert(sizeof(SHA256_CTX) <= sizeof(((berth_hasher *)0)->state),
	       "SHA256_CTX must fit in berth_hasher.state");
_Static_assert(sizeof(SHA512_CTX) <= sizeof(((berth_hasher *)0)->state),
	       "SHA512_CTX must fit in berth_hasher.state");
_Static_assert(_Alignof(SHA512_CTX) <= 16 && _Alignof(SHA256_CTX) <= 16,
	       "berth_hasher.state alignment");

/* Saved state: "BHS1" | alg (1 byte) | bytes (8, little endian) | ctx. */
#define STATE_MAGIC "BHS1"
#define STATE_HEAD (4 + 1 + 8)
_Static_assert(STATE_HEAD + sizeof(SHA512_CTX) <= BERTH_HASHER_STATE_MAX,
	       "saved hasher state must fit BERTH_HASHER_STATE_MAX");

static const char hexdigits[] = "0123456789abcdef";

static int is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* OCI digest grammar, used only to tell "unsupported" from "malformed":
   algorithm ::= component (separator component)*, component ::= [a-z0-9]+,
   separator ::= [+._-]; encoded ::= [a-zA-Z0-9=_-]+. */
static int alg_well_formed(const char *s, size_t n)
{
	int need_component = 1;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			need_component = 0;
		} else if (c == '+' || c == '.' || c == '_' || c == '-') {
			if (need_component)
				return 0;
			need_component = 1;
		} else {
			return 0;
		}
	}
	return n > 0 && !need_component;
}

static int encoded_well_formed(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++) {
		char c = *s;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '=' || c == '_' ||
		      c == '-'))
			return 0;
	}
	return 1;
}

int digest_parse(const char *s, berth_digest *out)
{
	if (!s)
		return -1;
	const char *colon = strchr(s, ':');
	if (!colon)
		return -1;
	size_t alen = (size_t)(colon - s);
	const char *hex = colon + 1;
	digest_alg alg;
	if (alen == 6 && memcmp(s, "sha256", 6) == 0)
		alg = BERTH_DIGEST_SHA256;
	else if (alen == 6 && memcmp(s, "sha512", 6) == 0)
		alg = BERTH_DIGEST_SHA512;
	else
		return alg_well_formed(s, alen) && encoded_well_formed(hex)
			       ? -2
			       : -1;

	size_t want = digest_hex_len(alg);
	size_t i;
	for (i = 0; i < want; i++)
		if (!is_lower_hex(hex[i])) /* also stops at the NUL */
			return -1;
	if (hex[want] != '\0')
		return -1;
	if (out) {
		out->alg = alg;
		memcpy(out->hex, hex, want);
		out->hex[want] = '\0';
	}
	return 0;
}

const char *digest_alg_name(digest_alg alg)
{
	return alg == BERTH_DIGEST_SHA512 ? "sha512" : "sha256";
}

size_t digest_hex_len(digest_alg alg)
{
	return alg == BERTH_DIGEST_SHA512 ? 128 : 64;
}

void digest_format(const berth_digest *d, char *buf)
{
	/* Both parts are bounded: 6 + 1 + 128 + 1 <= BERTH_DIGEST_MAX. */
	size_t n = digest_hex_len(d->alg);
	memcpy(buf, digest_alg_name(d->alg), 6);
	buf[6] = ':';
	memcpy(buf + 7, d->hex, n);
	buf[7 + n] = '\0';
}

int digest_equal(const berth_digest *a, const berth_digest *b)
{
	return a->alg == b->alg &&
	       memcmp(a->hex, b->hex, digest_hex_len(a->alg)) == 0;
}

static void to_hex(const unsigned char *md, size_t n, char *hex)
{
	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = hexdigits[md[i] >> 4];
		hex[2 * i + 1] = hexdigits[md[i] & 15];
	}
	hex[2 * n] = '\0';
}

void digest_hasher_init(berth_hasher *h, digest_alg alg)
{
	memset(h, 0, sizeof *h);
	h->alg = alg == BERTH_DIGEST_SHA512 ? BERTH_DIGEST_SHA512
					    : BERTH_DIGEST_SHA256;
	if (h->alg == BERTH_DIGEST_SHA512)
		SHA512_Init((SHA512_CTX *)h->state);
	else
		SHA256_Init((SHA256_CTX *)h->state);
}

void digest_hasher_update(berth_hasher *h, const void *data, size_t len)
{
	if (len == 0)
		return;
	if (h->alg == BERTH_DIGEST_SHA512)
		SHA512_Update((SHA512_CTX *)h->state, data, len);
	else
		SHA256_Update((SHA256_CTX *)h->state, data, len);
	h->bytes += len;
}

void digest_hasher_final(berth_hasher *h, berth_digest *out)
{
	unsigned char md[SHA512_DIGEST_LENGTH];
	size_t n;
	if (h->alg == BERTH_DIGEST_SHA512) {
		SHA512_Final(md, (SHA512_CTX *)h->state);
		n = SHA512_DIGEST_LENGTH;
	} else {
		SHA256_Final(md, (SHA256_CTX *)h->state);
		n = SHA256_DIGEST_LENGTH;
	}
	out->alg = h->alg;
	to_hex(md, n, out->hex);
}

static size_t ctx_size(digest_alg alg)
{
	return alg == BERTH_DIGEST_SHA512 ? sizeof(SHA512_CTX)
					  : sizeof(SHA256_CTX);
}

size_t digest_hasher_save(const berth_hasher *h, unsigned char *buf)
{
	size_t cs = ctx_size(h->alg);
	memcpy(buf, STATE_MAGIC, 4);
	buf[4] = (unsigned char)h->alg;
	for (int i = 0; i < 8; i++)
		buf[5 + i] = (unsigned char)(h->bytes >> (8 * i));
	memcpy(buf + STATE_HEAD, h->state, cs);
	return STATE_HEAD + cs;
}

/* The raw context is trusted only if it is consistent with itself and
   with the byte count in the header: a truncated or foreign file must
   not make the hasher read or write outside its buffers. */
static int ctx_consistent(digest_alg alg, const unsigned char *raw,
			  uint64_t bytes)
{
	if (alg == BERTH_DIGEST_SHA512) {
		SHA512_CTX c;
		memcpy(&c, raw, sizeof c);
		return c.md_len == SHA512_DIGEST_LENGTH &&
		       c.num < SHA512_CBLOCK && c.Nh == (bytes >> 61) &&
		       c.Nl == (uint64_t)(bytes << 3) &&
		       c.num == bytes % SHA512_CBLOCK;
	}
	SHA256_CTX c;
	memcpy(&c, raw, sizeof c);
	return c.md_len == SHA256_DIGEST_LENGTH && c.num < SHA256_CBLOCK &&
	       c.Nl == (uint32_t)(bytes << 3) &&
	       c.Nh == (uint32_t)(bytes >> 29) &&
	       c.num == bytes % SHA256_CBLOCK;
}

int digest_hasher_restore(berth_hasher *h, const unsigned char *buf,
			 size_t len)
{
	if (!buf || len < STATE_HEAD || memcmp(buf, STATE_MAGIC, 4) != 0)
		return -1;
	if (buf[4] != BERTH_DIGEST_SHA256 && buf[4] != BERTH_DIGEST_SHA512)
		return -1;
	digest_alg alg = (digest_alg)buf[4];
	size_t cs = ctx_size(alg);
	if (len != STATE_HEAD + cs)
		return -1;
	uint64_t bytes = 0;
	for (int i = 0; i < 8; i++)
		bytes |= (uint64_t)buf[5 + i] << (8 * i);
	if (!ctx_consistent(alg, buf + STATE_HEAD, bytes))
		return -1;
	memset(h, 0, sizeof *h);
	h->alg = alg;
	h->bytes = bytes;
	memcpy(h->state, buf + STATE_HEAD, cs);
	return 0;
}

void digest_buffer(digest_alg alg, const void *data, size_t len,
			 berth_digest *out)
{
	berth_hasher h;
	digest_hasher_init(&h, alg);
	digest_hasher_update(&h, data, len);
	digest_hasher_final(&h, out);
}
