/*
 * common/names.h - validation of repository names and tags, following the OCI
 * distribution spec's grammar.
 */
#ifndef BERTH_CORE_COMMON_NAMES_H
#define BERTH_CORE_COMMON_NAMES_H

#include <stddef.h>

/** Longest repository name accepted (spec: 255 including hostname). */
#define BERTH_NAME_MAX 255
/** Longest tag: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}. */
#define BERTH_TAG_MAX 128

/**
 * Non-zero if `name` (length `len`, not necessarily NUL-terminated) is a
 * valid repository name:
 *   [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*
 * and at most BERTH_NAME_MAX bytes.
 */
int names_repository_valid(const char *name, size_t len);

/** Non-zero if `tag` is a valid tag: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}. */
int names_tag_valid(const char *tag);

#endif
