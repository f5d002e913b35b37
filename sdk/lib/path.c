/*
 * path.c - the storage ABI's path grammar, ^(/[A-Za-z0-9._-]+)+$ with "."
 * and ".." components refused (they match the character class but would
 * escape a directory on any backend that resolves them), plus joining
 * and the walk-order comparison every walk implementation needs.
 */
#include <stdlib.h>
#include <string.h>

#include <berth/sdk.h>

static int path_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* Is name[0..n) one component: [A-Za-z0-9._-]+, not "." or ".."? */
static int component_valid(const char *name, size_t n)
{
	if (n == 0)
		return 0; /* "//" or a trailing '/' */
	for (size_t i = 0; i < n; i++)
		if (!path_char((unsigned char)name[i]))
			return 0;
	return !(name[0] == '.' && (n == 1 || (n == 2 && name[1] == '.')));
}

int berth_sdk_path_valid(const char *path, unsigned flags)
{
	if (!path || path[0] != '/')
		return 0;
	if (path[1] == 0)
		return (flags & BERTH_SDK_PATH_ALLOW_ROOT) != 0;
	const char *p = path;
	while (*p) {
		/* *p == '/': one component follows. */
		const char *start = ++p;
		while (*p && *p != '/')
			p++;
		if (!component_valid(start, (size_t)(p - start)))
			return 0;
	}
	return 1;
}

int berth_sdk_path_name_valid(const char *name)
{
	return name && component_valid(name, strlen(name));
}

int berth_sdk_path_check(const berth_host *host, const char *driver,
			 const char *path, unsigned flags)
{
	if (berth_sdk_path_valid(path, flags))
		return BERTH_OK;
	if (!path)
		return berth_sdk_error(host, driver, BERTH_E_INVALID_PATH,
				       "invalid path (null)");
	/* Show control and non-ASCII bytes escaped so the message stays
	   one readable line. */
	char shown[256];
	size_t o = 0;
	for (const unsigned char *s = (const unsigned char *)path;
	     *s && o + 5 < sizeof shown; s++) {
		if (*s < 0x20 || *s >= 0x7f || *s == '"' || *s == '\\') {
			static const char hex[] = "0123456789abcdef";
			shown[o++] = '\\';
			shown[o++] = 'x';
			shown[o++] = hex[*s >> 4];
			shown[o++] = hex[*s & 15];
		} else {
			shown[o++] = (char)*s;
		}
	}
	shown[o] = 0;
	return berth_sdk_error(host, driver, BERTH_E_INVALID_PATH,
			       "invalid path \"%s\"", shown);
}

char *berth_sdk_path_join(const char *base, const char *rel)
{
	if (!base)
		base = "";
	if (!rel)
		rel = "";
	size_t bn = strlen(base);
	while (bn > 0 && base[bn - 1] == '/')
		bn--;
	while (*rel == '/')
		rel++;
	size_t rn = strlen(rel);
	char *out = malloc(bn + rn + 2);
	if (!out)
		return NULL;
	memcpy(out, base, bn);
	size_t o = bn;
	if (rn || bn == 0)
		out[o++] = '/';
	memcpy(out + o, rel, rn);
	out[o + rn] = 0;
	return out;
}

int berth_sdk_path_under(const char *path, const char *dir)
{
	if (!path || !dir)
		return 0;
	if (dir[0] == '/' && dir[1] == 0)
		return path[0] == '/';
	size_t n = strlen(dir);
	return strncmp(path, dir, n) == 0 && (path[n] == 0 || path[n] == '/');
}

size_t berth_sdk_path_parent_len(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash || slash == path)
		return 1;
	return (size_t)(slash - path);
}

const char *berth_sdk_path_base(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

int berth_sdk_path_cmp(const char *a, const char *b)
{
	/* '/' sorts before every name character, which turns plain byte
	   order of whole paths into component-wise order. */
	const unsigned char *x = (const unsigned char *)a;
	const unsigned char *y = (const unsigned char *)b;
	while (*x && *x == *y) {
		x++;
		y++;
	}
	int cx = *x == '/' ? 1 : *x ? *x + 1 : 0;
	int cy = *y == '/' ? 1 : *y ? *y + 1 : 0;
	return cx - cy;
}
