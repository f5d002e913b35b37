/*
 * common/log.h - the core's logger: one line per event on stderr, with a level
 * filter set from `log.level`.  Thread-safe.
 */
#ifndef BERTH_CORE_COMMON_LOG_H
#define BERTH_CORE_COMMON_LOG_H

#include <berth/storage.h>

/** Set the lowest level that is printed (default BERTH_LOG_INFO). */
void log_set_level(berth_log_level level);

/** Parse "error", "warn", "info", "debug"; returns -1 if unknown. */
int log_level_parse(const char *name);

/** printf-style log line with a level prefix and a timestamp. */
void log_write(berth_log_level level, const char *fmt, ...) BERTH_PRINTF(2, 3);

#define LOG_ERROR(...) log_write(BERTH_LOG_ERROR, __VA_ARGS__)
#define LOG_WARN(...) log_write(BERTH_LOG_WARN, __VA_ARGS__)
#define LOG_INFO(...) log_write(BERTH_LOG_INFO, __VA_ARGS__)
#define LOG_DEBUG(...) log_write(BERTH_LOG_DEBUG, __VA_ARGS__)

#endif
