/*
 * common/log.c - the core's logger.  Every event becomes exactly one line on
 * stderr: "<ISO-8601 UTC timestamp> <LEVEL> <message>".
 *
 * The line is formatted completely in memory and written with a single
 * fprintf, so lines from concurrent threads never interleave (stdio locks
 * the stream for the duration of one call).  The level filter is an atomic
 * so it can be changed while request threads are logging.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/log.h"

static _Atomic int log_level = BERTH_LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};
static const char *const level_tags[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void log_set_level(berth_log_level level)
{
	if ((int)level < BERTH_LOG_ERROR)
		level = BERTH_LOG_ERROR;
	if (level > BERTH_LOG_DEBUG)
		level = BERTH_LOG_DEBUG;
	atomic_store(&log_level, (int)level);
}

int log_level_parse(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < 4; i++)
		if (strcasecmp(name, level_names[i]) == 0)
			return i;
	/* "warning" is what people type as often as "warn". */
	if (strcasecmp(name, "warning") == 0)
		return BERTH_LOG_WARN;
	return -1;
}

void log_write(berth_log_level level, const char *fmt, ...)
{
	if ((int)level > atomic_load(&log_level) || (int)level < 0)
		return;

	/* Timestamp first: YYYY-MM-DDTHH:MM:SS.mmmZ. */
	struct timespec ts;
	struct tm tm;
	char stamp[40];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t sl = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(stamp + sl, sizeof stamp - sl, ".%03dZ",
		 (int)(ts.tv_nsec / 1000000L));

	/* Message into a stack buffer; very long ones go to the heap so
	   they are not cut (a failed allocation falls back to truncation). */
	char small[1024];
	char *msg = small;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		snprintf(small, sizeof small, "(unformattable log message)");
		n = (int)strlen(small);
	} else if ((size_t)n >= sizeof small) {
		char *big = malloc((size_t)n + 1);
		if (big) {
			va_start(ap, fmt);
			vsnprintf(big, (size_t)n + 1, fmt, ap);
			va_end(ap);
			msg = big;
		} else {
			n = (int)sizeof small - 1;
		}
	}
	/* One event, one line: drop trailing newlines the caller added. */
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';

	fprintf(stderr, "%s %-5s %s\n", stamp, level_tags[level], msg);
	if (msg != small)
		free(msg);
}
