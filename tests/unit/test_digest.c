/*
 * test_digest.c - digest parsing/formatting and the resumable hasher:
 * known vectors, strict syntax, and save/restore at arbitrary points
 * giving the same digest as hashing in one go.
 */
#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
#include "test.h"

#define ABC256 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define ABC512                                                               \
	"ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" \
	"2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
#define EMPTY256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

TEST(digest_sha256_abc)
{
	berth_digest d;
	char s[BERTH_DIGEST_MAX];
	digest_buffer(BERTH_DIGEST_SHA256, "abc", 3, &d);
	CHECK_EQ_INT(d.alg, BERTH_DIGEST_SHA256);
	CHECK_STR(d.hex, ABC256);
	digest_format(&d, s);
	CHECK_STR(s, "sha256:" ABC256);
}

TEST(digest_sha512_abc)
{
	berth_digest d;
	char s[BERTH_DIGEST_MAX];
	digest_buffer(BERTH_DIGEST_SHA512, "abc", 3, &d);
	CHECK_EQ_INT(d.alg, BERTH_DIGEST_SHA512);
	CHECK_STR(d.hex, ABC512);
	digest_format(&d, s);
	CHECK_STR(s, "sha512:" ABC512);
	CHECK_EQ_INT(strlen(s), BERTH_DIGEST_MAX - 1);
}

TEST(digest_empty_input)
{
	berth_digest d;
	digest_buffer(BERTH_DIGEST_SHA256, NULL, 0, &d);
	CHECK_STR(d.hex, EMPTY256);
}

TEST(digest_million_a_in_chunks)
{
	/* FIPS 180-2 vector: one million 'a', fed in uneven chunks. */
	static char buf[1000];
	memset(buf, 'a', sizeof buf);
	berth_hasher h;
	digest_hasher_init(&h, BERTH_DIGEST_SHA256);
	size_t left = 1000000, step = 1;
	while (left) {
		size_t n = step < left ? step : left;
		if (n > sizeof buf)
			n = sizeof buf;
		digest_hasher_update(&h, buf, n);
		left -= n;
		step = step * 3 + 1;
	}
	CHECK_EQ_INT(h.bytes, 1000000);
	berth_digest d;
	digest_hasher_final(&h, &d);
	CHECK_STR(d.hex, "cdc76e5c9914fb9281a1c7e284d73e67"
			 "f1809a48a497200e046d39ccc7112cd0");
}

TEST(digest_parse_valid)
{
	berth_digest d;
	CHECK_EQ_INT(digest_parse("sha256:" ABC256, &d), 0);
	CHECK_EQ_INT(d.alg, BERTH_DIGEST_SHA256);
	CHECK_STR(d.hex, ABC256);
	CHECK_EQ_INT(digest_parse("sha512:" ABC512, &d), 0);
	CHECK_EQ_INT(d.alg, BERTH_DIGEST_SHA512);
	CHECK_STR(d.hex, ABC512);
	CHECK_EQ_INT(digest_hex_len(BERTH_DIGEST_SHA256), 64);
	CHECK_EQ_INT(digest_hex_len(BERTH_DIGEST_SHA512), 128);
	CHECK_STR(digest_alg_name(BERTH_DIGEST_SHA256), "sha256");
	CHECK_STR(digest_alg_name(BERTH_DIGEST_SHA512), "sha512");
}

TEST(digest_parse_malformed)
{
	berth_digest d;
	CHECK_EQ_INT(digest_parse(NULL, &d), -1);
	CHECK_EQ_INT(digest_parse("", &d), -1);
	CHECK_EQ_INT(digest_parse(ABC256, &d), -1);        /* no alg */
	CHECK_EQ_INT(digest_parse("sha256:", &d), -1);
	CHECK_EQ_INT(digest_parse(":" ABC256, &d), -1);
	/* upper-case hex is not canonical */
	CHECK_EQ_INT(digest_parse("sha256:BA7816BF8F01CFEA414140DE5DAE2223"
					"B00361A396177A9CB410FF61F20015AD",
					&d),
		     -1);
	CHECK_EQ_INT(digest_parse("sha256:" ABC256 "0", &d), -1); /* long */
	CHECK_EQ_INT(digest_parse("sha256:ba7816bf", &d), -1);   /* short */
	CHECK_EQ_INT(digest_parse("sha256:" ABC256 "\n", &d), -1);
	CHECK_EQ_INT(digest_parse("sha256: " ABC256, &d), -1);
	CHECK_EQ_INT(digest_parse("sha512:" ABC256, &d), -1); /* wrong len */
	CHECK_EQ_INT(digest_parse("sha256:" ABC512, &d), -1);
	CHECK_EQ_INT(digest_parse("SHA256:" ABC256, &d), -1);
	CHECK_EQ_INT(digest_parse("sha256:g7816bf8f01cfea414140de5dae2223"
					"b00361a396177a9cb410ff61f20015ad",
					&d),
		     -1);
	CHECK_EQ_INT(digest_parse("-sha:abc", &d), -1);
	CHECK_EQ_INT(digest_parse("foo:", &d), -1);
	CHECK_EQ_INT(digest_parse("foo:a/b", &d), -1);
}

TEST(digest_parse_unsupported)
{
	berth_digest d;
	CHECK_EQ_INT(digest_parse("sha384:" ABC256, &d), -2);
	CHECK_EQ_INT(digest_parse("md5:abc", &d), -2);
	CHECK_EQ_INT(digest_parse("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8", &d), -2);
	CHECK_EQ_INT(digest_parse("sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564", &d), -2);
}

TEST(digest_equal)
{
	berth_digest a, b, c;
	CHECK_EQ_INT(digest_parse("sha256:" ABC256, &a), 0);
	digest_buffer(BERTH_DIGEST_SHA256, "abc", 3, &b);
	digest_buffer(BERTH_DIGEST_SHA256, "abd", 3, &c);
	CHECK(digest_equal(&a, &b));
	CHECK(!digest_equal(&a, &c));
	digest_buffer(BERTH_DIGEST_SHA512, "abc", 3, &c);
	CHECK(!digest_equal(&a, &c));
}

static unsigned char *pattern(size_t n)
{
	unsigned char *p = malloc(n);
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 31 + (i >> 7));
	return p;
}

/* Hash `data` with save/restore at `cut`, into a hasher that was
   scribbled over first, and compare with the one-shot digest. */
static void check_resume(digest_alg alg, const unsigned char *data,
			 size_t n, size_t cut)
{
	berth_hasher h;
	digest_hasher_init(&h, alg);
	digest_hasher_update(&h, data, cut);
	unsigned char st[BERTH_HASHER_STATE_MAX];
	size_t len = digest_hasher_save(&h, st);
	CHECK(len > 13 && len <= BERTH_HASHER_STATE_MAX);

	berth_hasher r;
	memset(&r, 0xa5, sizeof r);
	CHECK_EQ_INT(digest_hasher_restore(&r, st, len), 0);
	CHECK_EQ_INT(r.alg, alg);
	CHECK_EQ_INT(r.bytes, cut);
	digest_hasher_update(&r, data + cut, n - cut);
	CHECK_EQ_INT(r.bytes, n);

	berth_digest got, want;
	digest_hasher_final(&r, &got);
	digest_buffer(alg, data, n, &want);
	CHECK(digest_equal(&got, &want));
	CHECK_STR(got.hex, want.hex);
}

TEST(hasher_save_restore_midway)
{
	size_t n = 5000;
	unsigned char *data = pattern(n);
	size_t cuts[] = {0, 1, 63, 64, 65, 127, 128, 129, 1000, 4999, 5000};
	for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		check_resume(BERTH_DIGEST_SHA256, data, n, cuts[i]);
		check_resume(BERTH_DIGEST_SHA512, data, n, cuts[i]);
	}
	free(data);
}

TEST(hasher_save_restore_twice)
{
	/* Two resumes in a row, as an upload in three chunks would do. */
	size_t n = 3000;
	unsigned char *data = pattern(n);
	berth_hasher h;
	unsigned char st[BERTH_HASHER_STATE_MAX];
	digest_hasher_init(&h, BERTH_DIGEST_SHA512);
	digest_hasher_update(&h, data, 700);
	size_t len = digest_hasher_save(&h, st);
	CHECK_EQ_INT(digest_hasher_restore(&h, st, len), 0);
	digest_hasher_update(&h, data + 700, 1500);
	len = digest_hasher_save(&h, st);
	berth_hasher h2;
	CHECK_EQ_INT(digest_hasher_restore(&h2, st, len), 0);
	digest_hasher_update(&h2, data + 2200, n - 2200);
	berth_digest got, want;
	digest_hasher_final(&h2, &got);
	digest_buffer(BERTH_DIGEST_SHA512, data, n, &want);
	CHECK(digest_equal(&got, &want));
	free(data);
}

TEST(hasher_restore_rejects_bad_state)
{
	berth_hasher h;
	unsigned char st[BERTH_HASHER_STATE_MAX], bad[BERTH_HASHER_STATE_MAX];
	digest_hasher_init(&h, BERTH_DIGEST_SHA256);
	digest_hasher_update(&h, "hello world", 11);
	size_t len = digest_hasher_save(&h, st);

	berth_hasher r;
	CHECK_EQ_INT(digest_hasher_restore(&r, NULL, 0), -1);
	CHECK_EQ_INT(digest_hasher_restore(&r, st, 0), -1);
	CHECK_EQ_INT(digest_hasher_restore(&r, st, 12), -1);
	CHECK_EQ_INT(digest_hasher_restore(&r, st, len - 1), -1);
	CHECK_EQ_INT(digest_hasher_restore(&r, st, len + 1), -1);

	memcpy(bad, st, len);
	bad[0] = 'X'; /* magic */
	CHECK_EQ_INT(digest_hasher_restore(&r, bad, len), -1);

	memcpy(bad, st, len);
	bad[3] = '2'; /* another format version */
	CHECK_EQ_INT(digest_hasher_restore(&r, bad, len), -1);

	memcpy(bad, st, len);
	bad[4] = 7; /* unknown algorithm */
	CHECK_EQ_INT(digest_hasher_restore(&r, bad, len), -1);

	memcpy(bad, st, len);
	bad[4] = BERTH_DIGEST_SHA512; /* sha256 context under sha512 tag */
	CHECK_EQ_INT(digest_hasher_restore(&r, bad, len), -1);

	memcpy(bad, st, len);
	bad[5] ^= 1; /* byte count disagrees with the context */
	CHECK_EQ_INT(digest_hasher_restore(&r, bad, len), -1);

	/* Garbage of the right length is refused too. */
	memset(bad, 0xff, sizeof bad);
	memcpy(bad, "BHS1", 4);
	bad[4] = 0;
	CHECK_EQ_INT(digest_hasher_restore(&r, bad, len), -1);

	CHECK_EQ_INT(digest_hasher_restore(&r, st, len), 0);
	berth_digest got, want;
	digest_hasher_final(&r, &got);
	digest_buffer(BERTH_DIGEST_SHA256, "hello world", 11, &want);
	CHECK(digest_equal(&got, &want));
}

TEST(hasher_state_format_prefix)
{
	berth_hasher h;
	unsigned char st[BERTH_HASHER_STATE_MAX];
	digest_hasher_init(&h, BERTH_DIGEST_SHA512);
	digest_hasher_update(&h, "x", 1);
	size_t len = digest_hasher_save(&h, st);
	CHECK(memcmp(st, "BHS1", 4) == 0);
	CHECK_EQ_INT(st[4], BERTH_DIGEST_SHA512);
	CHECK_EQ_INT(st[5], 1); /* little-endian byte count */
	CHECK_EQ_INT(st[6], 0);
	CHECK(len > 200); /* SHA512_CTX is larger than SHA256_CTX */
}
