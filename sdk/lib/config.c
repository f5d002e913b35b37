/*
 * config.c - parsing of option values as they come from config.yml
 * (always strings), strict enough that "10x" or "" is refused rather than
 * silently read as 10 or 0.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <berth/sdk.h>

int berth_sdk_parse_bool(const char *s, int *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	if (!s)
		return BERTH_E_CONFIG;
	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = 1;
			return BERTH_OK;
		}
		if (!strcasecmp(s, no[i])) {
			*out = 0;
			return BERTH_OK;
		}
	}
	return BERTH_E_CONFIG;
}

int berth_sdk_parse_int(const char *s, int64_t min, int64_t max,
			int64_t *out)
{
	if (!s || !*s)
		return BERTH_E_CONFIG;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return BERTH_E_CONFIG;
	*out = v;
	return BERTH_OK;
}

int berth_sdk_parse_double(const char *s, double min, double max,
			   double *out)
{
	if (!s || !*s)
		return BERTH_E_CONFIG;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v < min || v > max)
		return BERTH_E_CONFIG;
	*out = v;
	return BERTH_OK;
}

int berth_sdk_parse_size(const char *s, uint64_t *out)
{
	if (!s || *s < '0' || *s > '9')
		return BERTH_E_CONFIG;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return BERTH_E_CONFIG;
	unsigned shift = 0;
	if (*end) {
		switch (*end | 0x20) {
		case 'k': shift = 10; break;
		case 'm': shift = 20; break;
		case 'g': shift = 30; break;
		case 't': shift = 40; break;
		default: return BERTH_E_CONFIG;
		}
		end++;
		if (!strcasecmp(end, "ib") || !strcasecmp(end, "b"))
			end += strlen(end);
		if (*end)
			return BERTH_E_CONFIG;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return BERTH_E_CONFIG;
	*out = (uint64_t)v << shift;
	return BERTH_OK;
}
