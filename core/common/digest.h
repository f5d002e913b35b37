/*
 * common/digest.h - OCI content digests ("sha256:<64 hex>", "sha512:<128 hex>")
 * and a streaming hasher whose state can be saved and restored, so a
 * resumed upload keeps hashing where it stopped.
 */
#ifndef BERTH_CORE_COMMON_DIGEST_H
#define BERTH_CORE_COMMON_DIGEST_H

#include <stddef.h>
#include <stdint.h>

typedef enum digest_alg {
	BERTH_DIGEST_SHA256 = 0,
	BERTH_DIGEST_SHA512 = 1,
} digest_alg;

/** Longest digest string: "sha512:" + 128 hex + NUL. */
#define BERTH_DIGEST_MAX 136

/** A parsed, validated digest. */
typedef struct berth_digest {
	digest_alg alg;
	char hex[129]; /**< lower-case hex, NUL-terminated */
} berth_digest;

/**
 * Parse `s` as a digest.  Accepts only "sha256:" with 64 and "sha512:" with
 * 128 lower-case hex characters.  Returns 0 on success, -1 if malformed,
 * -2 if the algorithm is well-formed but unsupported (e.g. "sha384:..."):
 * the API answers DIGEST_INVALID for -1 and UNSUPPORTED for -2.
 */
int digest_parse(const char *s, berth_digest *out);

/* Initialise OpenSSL on the calling thread; call once from the main
   thread at start-up, before drivers or workers hash (see digest.c). */
void digest_library_init(void);

/** "sha256" or "sha512". */
const char *digest_alg_name(digest_alg alg);

/** Hex length of an algorithm's digest (64 or 128). */
size_t digest_hex_len(digest_alg alg);

/** Write "alg:hex" into buf (at least BERTH_DIGEST_MAX bytes). */
void digest_format(const berth_digest *d, char *buf);

/** Non-zero if both digests are equal. */
int digest_equal(const berth_digest *a, const berth_digest *b);

/**
 * Streaming hasher.  Opaque size is fixed so it can live on the stack or
 * inside other structs without allocation.
 */
typedef struct berth_hasher {
	digest_alg alg;
	uint64_t bytes; /**< bytes hashed so far */
	_Alignas(16) unsigned char state[256];
} berth_hasher;

void digest_hasher_init(berth_hasher *h, digest_alg alg);
void digest_hasher_update(berth_hasher *h, const void *data, size_t len);
/** Finish into `out`; the hasher must be re-initialised before reuse. */
void digest_hasher_final(berth_hasher *h, berth_digest *out);

/**
 * Serialise the hasher's state into `buf` (at least
 * BERTH_HASHER_STATE_MAX bytes); returns the length written.  The format
 * is Berth's own, versioned with a magic prefix.
 */
#define BERTH_HASHER_STATE_MAX 320
size_t digest_hasher_save(const berth_hasher *h, unsigned char *buf);

/**
 * Restore a state written by digest_hasher_save.  Returns 0 on success,
 * -1 if the bytes are not a valid saved state.
 */
int digest_hasher_restore(berth_hasher *h, const unsigned char *buf,
			 size_t len);

/** One-shot digest of a buffer. */
void digest_buffer(digest_alg alg, const void *data, size_t len,
			 berth_digest *out);

#endif
