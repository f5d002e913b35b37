/*
 * sigv4.c - AWS Signature Version 4, written from the AWS documentation
 * ("Signature Calculations for the Authorization Header", "Authenticating
 * Requests: Using Query Parameters").  Steps: canonical request -> its
 * SHA-256 -> string to sign -> HMAC chain (date, region, service,
 * "aws4_request") -> HMAC of the string to sign.  Hashing, HMAC, hex and
 * percent-encoding are the driver SDK's; this file only assembles the
 * strings.
 */
#include "sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <berth/sdk.h>

/* A string being built over the SDK's buffer; after the first failed
   append `oom` is set and further appends do nothing. */
typedef struct sb {
	berth_sdk_buf b;
	int oom;
} sb;

static void sb_addn(sb *b, const char *s, size_t n)
{
	if (!b->oom && berth_sdk_buf_append(&b->b, s, n))
		b->oom = 1;
}

static void sb_add(sb *b, const char *s) { sb_addn(b, s, strlen(s)); }

/* The text (malloc'd, "" when nothing was added) or NULL after a
   failure; the builder is reset either way. */
static char *sb_take(sb *b)
{
	if (b->oom) {
		berth_sdk_buf_free(&b->b);
		return NULL;
	}
	return berth_sdk_buf_steal(&b->b, NULL);
}

/* HMAC-SHA256 of the string msg; 0 or -1. */
static int hmac(const void *key, size_t klen, const char *msg,
		unsigned char out[BERTH_SDK_SHA256_LEN])
{
	return berth_sdk_hmac_sha256(key, klen, msg, strlen(msg), out) ? -1 : 0;
}

typedef struct enc_kv {
	char *k, *v;
} enc_kv;

static int enc_cmp(const void *a, const void *b)
{
	const enc_kv *x = a, *y = b;
	int c = strcmp(x->k, y->k);
	return c ? c : strcmp(x->v, y->v);
}

char *s3_canonical_query(const s3_kv *params, size_t n)
{
	if (n == 0)
		return strdup("");
	enc_kv *e = calloc(n, sizeof *e);
	if (!e)
		return NULL;
	sb b = {0};
	for (size_t i = 0; i < n; i++) {
		e[i].k = berth_sdk_url_encode(params[i].k, 0);
		e[i].v = berth_sdk_url_encode(params[i].v ? params[i].v : "", 0);
		if (!e[i].k || !e[i].v)
			b.oom = 1;
	}
	if (!b.oom) {
		qsort(e, n, sizeof *e, enc_cmp);
		for (size_t i = 0; i < n; i++) {
			if (i)
				sb_add(&b, "&");
			sb_add(&b, e[i].k);
			sb_add(&b, "=");
			sb_add(&b, e[i].v);
		}
	}
	for (size_t i = 0; i < n; i++) {
		free(e[i].k);
		free(e[i].v);
	}
	free(e);
	return sb_take(&b);
}

static int hdr_cmp(const void *a, const void *b)
{
	const s3_kv *x = a, *y = b;
	return strcmp(x->k, y->k);
}

/* Append "value" with leading/trailing blanks removed and inner runs of
   blanks squeezed to one space, as the canonical headers want. */
static void add_trimmed(sb *b, const char *v)
{
	while (*v == ' ' || *v == '\t')
		v++;
	size_t n = strlen(v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	int space = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i] == ' ' || v[i] == '\t') {
			space = 1;
			continue;
		}
		if (space)
			sb_addn(b, " ", 1);
		space = 0;
		sb_addn(b, v + i, 1);
	}
}

/* The signature (hex) of `canonical` for `date8`/scope into sig[65];
   the credential scope string into scope (caller-sized 128). */
static void sign_canonical(const s3_signer *sg, const char *canonical,
			   const char *amz_date, char sig[65], char *scope,
			   size_t scope_cap)
{
	char date8[9];
	memcpy(date8, amz_date, 8);
	date8[8] = '\0';
	snprintf(scope, scope_cap, "%s/%s/%s/aws4_request", date8, sg->region,
		 sg->service);

	char creq_hash[65];
	sig[0] = '\0';
	if (berth_sdk_sha256_hex(canonical, strlen(canonical), creq_hash))
		return;

	sb sts = {0};
	sb_add(&sts, "AWS4-HMAC-SHA256\n");
	sb_add(&sts, amz_date);
	sb_add(&sts, "\n");
	sb_add(&sts, scope);
	sb_add(&sts, "\n");
	sb_add(&sts, creq_hash);

	size_t sl = strlen(sg->secret_key);
	char *k0 = malloc(sl + 5);
	unsigned char kd[32], kr[32], ks[32], kk[32], s[32];
	if (k0 && !sts.oom) {
		memcpy(k0, "AWS4", 4);
		memcpy(k0 + 4, sg->secret_key, sl + 1);
		if (!hmac(k0, sl + 4, date8, kd) && !hmac(kd, 32, sg->region, kr) &&
		    !hmac(kr, 32, sg->service, ks) &&
		    !hmac(ks, 32, "aws4_request", kk) && !hmac(kk, 32, sts.b.data, s))
			berth_sdk_hex_encode(s, sizeof s, sig);
	}
	free(k0);
	berth_sdk_buf_free(&sts.b);
}

char *s3_sigv4_authorization(const s3_signer *sg, const char *method,
			     const char *canonical_uri, const char *query,
			     const s3_kv *headers, size_t nheaders,
			     const char *payload_hash, const char *amz_date)
{
	s3_kv *h = malloc((nheaders ? nheaders : 1) * sizeof *h);
	if (!h)
		return NULL;
	if (nheaders) {
		memcpy(h, headers, nheaders * sizeof *h);
		qsort(h, nheaders, sizeof *h, hdr_cmp);
	}

	sb signed_names = {0};
	sb c = {0};
	sb_add(&c, method);
	sb_add(&c, "\n");
	sb_add(&c, canonical_uri);
	sb_add(&c, "\n");
	sb_add(&c, query ? query : "");
	sb_add(&c, "\n");
	for (size_t i = 0; i < nheaders; i++) {
		sb_add(&c, h[i].k);
		sb_add(&c, ":");
		add_trimmed(&c, h[i].v);
		sb_add(&c, "\n");
		if (i)
			sb_add(&signed_names, ";");
		sb_add(&signed_names, h[i].k);
	}
	sb_add(&c, "\n");
	sb_add(&c, signed_names.b.data ? signed_names.b.data : "");
	sb_add(&c, "\n");
	sb_add(&c, payload_hash);
	free(h);

	char *out = NULL;
	if (!c.oom && !signed_names.oom) {
		char sig[65], scope[160];
		sign_canonical(sg, c.b.data, amz_date, sig, scope, sizeof scope);
		sb a = {0};
		sb_add(&a, "AWS4-HMAC-SHA256 Credential=");
		sb_add(&a, sg->access_key);
		sb_add(&a, "/");
		sb_add(&a, scope);
		sb_add(&a, ",SignedHeaders=");
		sb_add(&a, signed_names.b.data ? signed_names.b.data : "");
		sb_add(&a, ",Signature=");
		sb_add(&a, sig);
		out = sig[0] ? sb_take(&a) : (berth_sdk_buf_free(&a.b), NULL);
	}
	berth_sdk_buf_free(&c.b);
	berth_sdk_buf_free(&signed_names.b);
	return out;
}

char *s3_sigv4_presign(const s3_signer *sg, const char *method,
		       const char *canonical_uri, const char *host,
		       const s3_kv *extra, size_t nextra, const char *amz_date,
		       long expires)
{
	char date8[9], cred[512], exp[32];
	memcpy(date8, amz_date, 8);
	date8[8] = '\0';
	snprintf(cred, sizeof cred, "%s/%s/%s/%s/aws4_request", sg->access_key,
		 date8, sg->region, sg->service);
	snprintf(exp, sizeof exp, "%ld", expires);

	size_t n = nextra + 5;
	s3_kv *q = malloc(n * sizeof *q);
	if (!q)
		return NULL;
	if (nextra)
		memcpy(q, extra, nextra * sizeof *q);
	q[nextra + 0] = (s3_kv){"X-Amz-Algorithm", "AWS4-HMAC-SHA256"};
	q[nextra + 1] = (s3_kv){"X-Amz-Credential", cred};
	q[nextra + 2] = (s3_kv){"X-Amz-Date", amz_date};
	q[nextra + 3] = (s3_kv){"X-Amz-Expires", exp};
	q[nextra + 4] = (s3_kv){"X-Amz-SignedHeaders", "host"};
	char *query = s3_canonical_query(q, n);
	free(q);
	if (!query)
		return NULL;

	sb c = {0};
	sb_add(&c, method);
	sb_add(&c, "\n");
	sb_add(&c, canonical_uri);
	sb_add(&c, "\n");
	sb_add(&c, query);
	sb_add(&c, "\nhost:");
	sb_add(&c, host);
	sb_add(&c, "\n\nhost\nUNSIGNED-PAYLOAD");
	char *out = NULL;
	if (!c.oom) {
		char sig[65], scope[160];
		sign_canonical(sg, c.b.data, amz_date, sig, scope, sizeof scope);
		if (sig[0]) {
			sb o = {0};
			sb_add(&o, query);
			sb_add(&o, "&X-Amz-Signature=");
			sb_add(&o, sig);
			out = sb_take(&o);
		}
	}
	berth_sdk_buf_free(&c.b);
	free(query);
	return out;
}
