/*
 * config_diff.h - which settings differ between two configurations, by
 * the YAML path of each key (log.level, http.addr, storage.filesystem.
 * rootdirectory): what SIGHUP tells the operator when it re-reads the
 * file and can apply only part of it.
 */
#ifndef BERTH_CORE_CONFIG_DIFF_H
#define BERTH_CORE_CONFIG_DIFF_H

#include <stddef.h>

#include "config.h"

/** Called with the YAML path of one changed key (borrowed for the call). */
typedef void (*config_diff_fn)(const char *key, void *payload);

/**
 * Call `fn` for every key whose value differs between `a` and `b`, in
 * the order of the configuration's sections.  A changed storage driver
 * is reported once as "storage" (its options are then not compared).
 * Returns the number of changed keys.
 */
size_t config_diff(const berth_settings *a, const berth_settings *b,
		   config_diff_fn fn, void *payload);

#endif
