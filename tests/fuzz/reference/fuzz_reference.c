/*
 * fuzz_reference.c - the parsers of the references a URL carries:
 * digests (digest_parse), repository names (names_repository_valid, on an
 * unterminated slice as the router passes it) and tags (names_tag_valid),
 * plus the saved hasher state an upload resumes from.  Accepted values
 * are checked against the grammar independently.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/digest.h"
#include "common/names.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *s = malloc(size + 1);
	char *slice = malloc(size ? size : 1);
	if (!s || !slice) {
		free(s);
		free(slice);
		return 0;
	}
	memcpy(s, data, size);
	s[size] = 0;
	memcpy(slice, data, size);

	berth_digest d;
	int rc = digest_parse(s, &d);
	if (rc == 0) {
		char back[BERTH_DIGEST_MAX];
		digest_format(&d, back);
		if (strcmp(back, s) ||
		    strlen(d.hex) != digest_hex_len(d.alg))
			abort();
	} else if (rc != -1 && rc != -2) {
		abort();
	}

	if (names_repository_valid(slice, size)) {
		/* grammar: starts and ends with [a-z0-9], never two '/' or
		   a separator next to '/' */
		if (size > BERTH_NAME_MAX || !lower_alnum(slice[0]) ||
		    !lower_alnum(slice[size - 1]))
			abort();
		for (size_t i = 0; i < size; i++) {
			char c = slice[i];
			if (!lower_alnum(c) && c != '.' && c != '_' &&
			    c != '-' && c != '/')
				abort();
			if (c == '/' && !lower_alnum(slice[i - 1]))
				abort();
			if (c == '/' && !lower_alnum(slice[i + 1]))
				abort();
		}
	}

	if (names_tag_valid(s)) {
		size_t n = strlen(s);
		if (n == 0 || n > BERTH_TAG_MAX || s[0] == '.' || s[0] == '-')
			abort();
	}

	berth_hasher h;
	if (digest_hasher_restore(&h, data, size) == 0) {
		digest_hasher_update(&h, "x", 1);
		digest_hasher_final(&h, &d);
	}
	free(s);
	free(slice);
	return 0;
}
