/*
 * fuzz_range.c - the Range and Content-Range parsers on arbitrary header
 * text.  The first 8 bytes are the resource size (little-endian; small
 * sizes are made likely so ranges can be satisfiable), the rest is the
 * header value.  Checks the bounds the blob and upload handlers trust.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 8)
		return 0;
	uint64_t res = 0;
	for (int i = 7; i >= 0; i--)
		res = res << 8 | data[i];
	if (data[0] & 1) /* half of the time a size below 64 KiB */
		res &= 0xffff;
	char *h = malloc(size - 8 + 1);
	if (!h)
		return 0;
	memcpy(h, data + 8, size - 8);
	h[size - 8] = 0;

	uint64_t first = 0, last = 0;
	berth_range_result r = range_parse(h, res, &first, &last);
	if (r == BERTH_RANGE_OK && (first > last || last >= res))
		abort();
	if (r != BERTH_RANGE_OK && r != BERTH_RANGE_NONE &&
	    r != BERTH_RANGE_UNSATISFIABLE)
		abort();
	if (range_content_parse(h, &first, &last) == 0 && first > last)
		abort();
	free(h);
	return 0;
}
