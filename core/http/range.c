/*
 * http/range.c - the Range (RFC 9110 section 14.2) and Content-Range headers,
 * parsed by hand because libmicrohttpd leaves them to the application.
 *
 * Range: only the single byte-range forms are honoured.  Anything that is
 * not a syntactically valid byte range set, and any set of more than one
 * range, answers BERTH_RANGE_NONE: the caller then sends the whole body,
 * which RFC 9110 allows.  Numbers too large for 64 bits are saturated
 * rather than rejected: "bytes=99999999999999999999-" is valid syntax for
 * a position beyond any representation, so it is unsatisfiable, and a huge
 * last-pos or suffix length simply covers the whole body.
 *
 * Content-Range (uploads): "a-b" as Docker clients send it, or "bytes a-b"
 * with an optional "/total" or "/ *".  Here overflow is an error: an
 * upload offset has to be exact.
 */
#include <stddef.h>
#include <strings.h>

#include "http/range.h"

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* Digits at *p into *out, saturating at UINT64_MAX.  Returns the number
   of digits read (0 if none); sets *overflow if the value did not fit. */
static size_t read_number(const char **p, uint64_t *out, int *overflow)
{
	const char *s = *p;
	uint64_t v = 0;
	int ovf = 0;
	while (is_digit(*s)) {
		unsigned d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10) {
			ovf = 1;
			v = UINT64_MAX;
		} else if (!ovf) {
			v = v * 10 + d;
		}
		s++;
	}
	size_t n = (size_t)(s - *p);
	*p = s;
	*out = v;
	if (overflow)
		*overflow = ovf;
	return n;
}

/* One range-spec between `s` and `end` (OWS already trimmed). */
typedef struct spec {
	int suffix;          /* "-n" form */
	int open;            /* "a-" form */
	uint64_t a, b;
} spec;

static int parse_spec(const char *s, const char *end, spec *out)
{
	out->suffix = out->open = 0;
	out->a = out->b = 0;
	const char *p = s;
	if (p < end && *p == '-') {
		p++;
		if (!read_number(&p, &out->b, NULL) || p != end)
			return -1;
		out->suffix = 1;
		return 0;
	}
	if (!read_number(&p, &out->a, NULL) || p >= end || *p != '-')
		return -1;
	p++;
	if (p == end) {
		out->open = 1;
		return 0;
	}
	if (!read_number(&p, &out->b, NULL) || p != end)
		return -1;
	/* RFC 9110: last-pos < first-pos makes the range-spec invalid. */
	return out->b < out->a ? -1 : 0;
}

berth_range_result range_parse(const char *header, uint64_t size,
				     uint64_t *first, uint64_t *last)
{
	if (!header)
		return BERTH_RANGE_NONE;
	const char *p = header;
	while (is_ows(*p))
		p++;
	/* The range unit is case-insensitive. */
	if (strncasecmp(p, "bytes", 5) != 0)
		return BERTH_RANGE_NONE;
	p += 5;
	if (*p != '=')
		return BERTH_RANGE_NONE;
	p++;

	/* 1#range-spec: comma-separated, OWS around elements, empty
	   elements ignored.  Count the real ones; keep the first. */
	spec one = {0};
	int count = 0;
	while (*p) {
		while (is_ows(*p))
			p++;
		const char *s = p;
		while (*p && *p != ',')
			p++;
		const char *e = p;
		while (e > s && is_ows(e[-1]))
			e--;
		if (e > s) {
			spec cur;
			if (parse_spec(s, e, &cur))
				return BERTH_RANGE_NONE;
			if (count++ == 0)
				one = cur;
		}
		if (*p == ',')
			p++;
	}
	if (count != 1)
		return BERTH_RANGE_NONE;

	if (one.suffix) {
		/* A zero-length suffix, or any suffix of an empty body,
		   selects nothing. */
		if (one.b == 0 || size == 0)
			return BERTH_RANGE_UNSATISFIABLE;
		*first = one.b >= size ? 0 : size - one.b;
		*last = size - 1;
		return BERTH_RANGE_OK;
	}
	if (one.a >= size)
		return BERTH_RANGE_UNSATISFIABLE;
	*first = one.a;
	*last = (one.open || one.b >= size) ? size - 1 : one.b;
	return BERTH_RANGE_OK;
}

int range_content_parse(const char *header, uint64_t *first,
			      uint64_t *last)
{
	if (!header)
		return -1;
	const char *p = header;
	while (is_ows(*p))
		p++;
	if (strncasecmp(p, "bytes", 5) == 0 && is_ows(p[5])) {
		p += 5;
		while (is_ows(*p))
			p++;
	}
	uint64_t a, b;
	int ovf;
	if (!read_number(&p, &a, &ovf) || ovf || *p != '-')
		return -1;
	p++;
	if (!read_number(&p, &b, &ovf) || ovf || b < a)
		return -1;
	if (*p == '/') {
		p++;
		if (*p == '*') {
			p++;
		} else {
			uint64_t total;
			/* The complete length must cover the range. */
			if (!read_number(&p, &total, &ovf) || ovf || total <= b)
				return -1;
		}
	}
	while (is_ows(*p))
		p++;
	if (*p)
		return -1;
	*first = a;
	*last = b;
	return 0;
}
