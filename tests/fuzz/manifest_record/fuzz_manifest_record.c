/*
 * fuzz_manifest_record.c - what a manifest PUT records for reads (the
 * record of registry/manifest_record.h), built from arbitrary bytes.
 *
 * Input: byte 0 picks the request's Content-Type (low 4 bits) and, with
 * bit 7 set, expands the body so that small inputs reach large sizes: a
 * body "A\0B\0C" becomes A, then B repeated, then C, up to 32 KiB << k
 * bytes (k = bits 4-6; k = 7 is the size limit, BERTH_MANIFEST_MAX - 1),
 * which is how "x":[{},{},...] padding is written.  The rest is the
 * body.
 *
 * For every input:
 *  - the PUT-time parse holds no more than the manifest budget, and a
 *    manifest it accepts gives a record whose text is bounded and reads
 *    back with the same media type, size, subject, artifact type and
 *    annotations (the last two as the manifest has them when they fit,
 *    which a push requires; the first line alone with the same media
 *    type and subject);
 *  - the lenient description of stored bytes (a revision without a
 *    record) always gives a record, bounded and round-tripping too;
 *  - the bytes read as a record (a damaged record file) either fail or
 *    give one that round-trips.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_limits.h"
#include "registry/manifest.h"
#include "registry/manifest_record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	json_limits_init(); /* as main() does, before any jansson use */
	return 0;
}

static const char *const content_types[] = {
	NULL,
	MT_OCI_MANIFEST,
	MT_OCI_INDEX,
	MT_DOCKER_MANIFEST,
	MT_DOCKER_LIST,
	"application/json",
	"text/plain",
};

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* A media type a record may hold: printable ASCII, 1 to 255 bytes. */
static int plain(const char *t)
{
	size_t n = t ? strlen(t) : 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] < 0x20 || (unsigned char)t[i] > 0x7e)
			return 0;
	return n > 0 && n <= BERTH_RECORD_TYPE_MAX;
}

/* Format `r`, read it back (whole and first line), compare; abort on
   any difference. */
static void round_trip(const berth_manifest_record *r)
{
	size_t len;
	char *text = registry_record_format(r, &len);
	if (!text)
		return; /* out of memory */
	if (len > BERTH_RECORD_MAX || strlen(text) != len)
		abort();
	berth_manifest_record back, head;
	if (registry_record_parse(text, len, 1, &back) ||
	    registry_record_parse(text, len, 0, &head))
		abort();
	if (!same(back.media_type, r->media_type) || back.size != r->size ||
	    back.has_subject != r->has_subject ||
	    (r->has_subject &&
	     !digest_equal(&back.subject, &r->subject)) ||
	    !same(back.artifact_type,
		  r->has_subject ? r->artifact_type : NULL) ||
	    !same(back.annotations_json,
		  r->has_subject ? r->annotations_json : NULL))
		abort();
	if (!same(head.media_type, r->media_type) ||
	    head.has_subject != r->has_subject || head.artifact_type ||
	    head.annotations_json)
		abort();
	registry_record_free(&back);
	registry_record_free(&head);
	free(text);
}

/* The body `in` of `n` bytes, expanded to at most `cap` bytes as the
   header describes (into a new buffer, *len bytes), or NULL when it is
   used as it is. */
static char *expand(const uint8_t *in, size_t n, size_t cap, size_t *len)
{
	const uint8_t *z1 = memchr(in, 0, n);
	const uint8_t *z2 = z1 ? memchr(z1 + 1, 0, n - (size_t)(z1 + 1 - in))
			       : NULL;
	if (!z2 || z2 == z1 + 1)
		return NULL;
	size_t la = (size_t)(z1 - in), lb = (size_t)(z2 - z1 - 1),
	       lc = n - (size_t)(z2 + 1 - in);
	if (la + lc > cap)
		return NULL;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	size_t o = 0;
	memcpy(out, in, la);
	o = la;
	while (o + lb + lc <= cap) {
		memcpy(out + o, z1 + 1, lb);
		o += lb;
	}
	memcpy(out + o, z2 + 1, lc);
	*len = o + lc;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > BERTH_MANIFEST_MAX)
		return 0;
	const char *ct = content_types[(data[0] & 15) %
				       (sizeof content_types /
					sizeof content_types[0])];
	size_t len = size - 1, cap = (size_t)32 * 1024 << ((data[0] >> 4) & 7);
	if (cap > BERTH_MANIFEST_MAX - 1)
		cap = BERTH_MANIFEST_MAX - 1;
	char *body = (data[0] & 0x80) ? expand(data + 1, len, cap, &len)
				      : NULL;
	if (!body) {
		len = size - 1;
		/* exact-size copy: nothing may need a terminator */
		body = malloc(len ? len : 1);
		if (!body)
			return 0;
		memcpy(body, data + 1, len);
	}

	/* the PUT: parse within the budget, then the record */
	berth_manifest m;
	char err[256];
	err[0] = 0;
	json_limits_thread_peak();
	int rc = registry_manifest_parse(body, len, ct, &m, err, sizeof err);
	if (json_limits_thread_peak() > BERTH_MANIFEST_JSON_BUDGET)
		abort();
	if (rc == 0) {
		if (!registry_manifest_media_type_known(m.media_type))
			abort();
		int fits = registry_record_fits(&m, err, sizeof err) == 0;
		if (!fits && (!m.has_subject || !err[0]))
			abort();
		berth_manifest_record r;
		if (registry_record_from_manifest(&m, len, &r) == 0) {
			if (!same(r.media_type, m.media_type) ||
			    r.has_subject != m.has_subject ||
			    (fits && r.has_subject &&
			     (!same(r.artifact_type, m.artifact_type) ||
			      !same(r.annotations_json, m.annotations_json))))
				abort();
			round_trip(&r);
			registry_record_free(&r);
		}
		registry_manifest_free(&m);
	} else if ((rc != -1 && rc != -2) || !err[0]) {
		abort();
	}

	/* the same bytes stored without a record */
	berth_manifest_record d;
	rc = registry_record_describe(body, len, &d, err, sizeof err);
	if (json_limits_thread_peak() > BERTH_MANIFEST_JSON_BUDGET)
		abort();
	if (rc == 0 || rc == 1) {
		if (!plain(d.media_type) || d.size != len ||
		    (rc == 1 && (strcmp(d.media_type, "application/json") ||
				 d.has_subject || !err[0])))
			abort();
		round_trip(&d);
		registry_record_free(&d);
	} else if (rc != -1) {
		abort();
	}

	/* the same bytes as a record file */
	berth_manifest_record r2;
	if (registry_record_parse(body, len, 1, &r2) == 0) {
		if (!plain(r2.media_type))
			abort();
		round_trip(&r2);
		registry_record_free(&r2);
	}
	free(body);
	return 0;
}
