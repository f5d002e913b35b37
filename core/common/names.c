/*
 * common/names.c - repository name and tag validation.
 *
 * A small hand-written matcher for the OCI distribution grammar:
 *
 *   name      := component ("/" component)*
 *   component := alnum+ (separator alnum+)*
 *   separator := "." | "_" | "__" | "-"+
 *   alnum     := [a-z0-9]
 *
 * It is exact and linear, needs no regex library, and never reads beyond
 * `len` bytes, so it works on URL path slices that are not NUL-terminated.
 * Because every separator must sit between two alphanumerics, names like
 * "../x", "a/", "/a", "a//b", "-a" and "a..b" cannot match.
 */
#include "common/names.h"

static int lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

int names_repository_valid(const char *name, size_t len)
{
	if (!name || len == 0 || len > BERTH_NAME_MAX)
		return 0;
	size_t i = 0;
	for (;;) {
		/* One component: alnum+ (separator alnum+)* */
		for (;;) {
			if (i >= len || !lower_alnum(name[i]))
				return 0;
			while (i < len && lower_alnum(name[i]))
				i++;
			if (i == len)
				return 1;
			char c = name[i];
			if (c == '.') {
				i++;
			} else if (c == '_') {
				i++;
				if (i < len && name[i] == '_')
					i++;
			} else if (c == '-') {
				while (i < len && name[i] == '-')
					i++;
			} else {
				break; /* '/' or an invalid byte */
			}
		}
		if (name[i] != '/')
			return 0;
		i++;
	}
}

static int tag_char(char c, int first)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_')
		return 1;
	return !first && (c == '.' || c == '-');
}

int names_tag_valid(const char *tag)
{
	if (!tag || !tag_char(tag[0], 1))
		return 0;
	size_t i = 1;
	for (; tag[i]; i++)
		if (i >= BERTH_TAG_MAX || !tag_char(tag[i], 0))
			return 0;
	return 1;
}
