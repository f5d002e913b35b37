/*
 * test_s3_sigv4.c - the S3 driver's Signature Version 4 code against the
 * example values published in the Amazon S3 API reference (GET object with
 * a Range header; presigned GET URL), plus URI and query encoding.
 * The driver's signing file is compiled into this test directly, because
 * driver sources are not part of the core library the unit tests link.
 */
#include "test.h"

#include <stdlib.h>

#include "../../drivers/s3/sigv4.c"

static const s3_signer example_signer = {
	"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	"us-east-1", "s3"};

TEST(s3_sigv4_get_object_example)
{
	s3_kv h[] = {
		{"host", "examplebucket.s3.amazonaws.com"},
		{"range", "bytes=0-9"},
		{"x-amz-content-sha256", S3_EMPTY_SHA256},
		{"x-amz-date", "20130524T000000Z"},
	};
	char *a = s3_sigv4_authorization(&example_signer, "GET", "/test.txt",
					 "", h, 4, S3_EMPTY_SHA256,
					 "20130524T000000Z");
	CHECK(a != NULL);
	CHECK(a && strcmp(a,
			  "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/"
			  "20130524/us-east-1/s3/aws4_request,SignedHeaders="
			  "host;range;x-amz-content-sha256;x-amz-date,"
			  "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0"
			  "170aba48dd91039c6036bdb41") == 0);
	free(a);
}

TEST(s3_sigv4_header_order_does_not_matter)
{
	s3_kv h[] = {
		{"x-amz-date", "20130524T000000Z"},
		{"range", "  bytes=0-9 "},
		{"host", "examplebucket.s3.amazonaws.com"},
		{"x-amz-content-sha256", S3_EMPTY_SHA256},
	};
	char *a = s3_sigv4_authorization(&example_signer, "GET", "/test.txt",
					 "", h, 4, S3_EMPTY_SHA256,
					 "20130524T000000Z");
	CHECK(a && strstr(a, "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd"
			     "44f0170aba48dd91039c6036bdb41"));
	free(a);
}

TEST(s3_sigv4_presigned_example)
{
	char *q = s3_sigv4_presign(&example_signer, "GET", "/test.txt",
				   "examplebucket.s3.amazonaws.com", NULL, 0,
				   "20130524T000000Z", 86400);
	CHECK(q && strcmp(q,
			  "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
			  "AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2F"
			  "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-"
			  "Expires=86400&X-Amz-SignedHeaders=host&X-Amz-"
			  "Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330d"
			  "a4c265957d157751f604d404") == 0);
	free(q);
}

TEST(s3_sigv4_encoding)
{
	/* the driver encodes keys with the SDK's SigV4 form */
	char *e = berth_sdk_url_encode("a b/c~d+e=", 1);
	CHECK(e && strcmp(e, "a%20b/c~d%2Be%3D") == 0);
	free(e);
	e = berth_sdk_url_encode("x/y", 0);
	CHECK(e && strcmp(e, "x%2Fy") == 0);
	free(e);
	s3_kv q[] = {{"prefix", "a/b"}, {"list-type", "2"}, {"delimiter", "/"},
		     {"uploads", ""}};
	e = s3_canonical_query(q, 4);
	CHECK(e && strcmp(e, "delimiter=%2F&list-type=2&prefix=a%2Fb&uploads=") == 0);
	free(e);
	char h[65];
	CHECK_EQ_INT(berth_sdk_sha256_hex("", 0, h), 0);
	CHECK(strcmp(h, S3_EMPTY_SHA256) == 0);
}
