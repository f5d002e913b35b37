/*
 * common/json_limits.h - JSON parsing with bounded memory and complexity.
 *
 * jansson builds a tree of small heap blocks, and the tree of a document
 * can be a hundred times larger than its text: `[{},{},...]` costs about
 * 150 bytes of heap per 3 bytes of input (an object header, its hash
 * table and the malloc chunks around them).  Everything Berth parses
 * from a client or from storage goes through json_limits_loadb, which
 *
 *  - counts the bytes jansson holds while this thread parses (allocation
 *    functions installed with json_set_alloc_funcs, a budget per thread)
 *    and fails the parse as soon as the budget would be exceeded;
 *  - then refuses a tree deeper than max_depth or with more than
 *    max_values values;
 *  - optionally takes one of a few process-wide slots first (`throttle`),
 *    so that parallel requests cannot multiply the budget without bound.
 *
 * The limits for manifests and their numbers are in registry/manifest.h.
 */
#ifndef BERTH_CORE_COMMON_JSON_LIMITS_H
#define BERTH_CORE_COMMON_JSON_LIMITS_H

#include <jansson.h>
#include <stddef.h>

typedef struct json_limits {
	size_t budget;     /* bytes of heap jansson may hold for the tree */
	size_t max_depth;  /* nesting of arrays and objects (root = 1) */
	size_t max_values; /* values of every kind, containers included */
	int throttle;      /* wait for one of the shared parse slots */
} json_limits;

typedef enum json_limits_status {
	JSON_LIMITS_OK = 0,
	JSON_LIMITS_SYNTAX,  /* not JSON (or rejected by jansson's flags) */
	JSON_LIMITS_MEMORY,  /* the tree would exceed the budget */
	JSON_LIMITS_DEPTH,   /* nested deeper than max_depth */
	JSON_LIMITS_VALUES,  /* more than max_values values */
} json_limits_status;

/**
 * Install the accounting allocator in jansson.  Call once at start-up,
 * before any thread uses jansson (main() and every test or fuzz entry
 * point); json_limits_loadb also installs it on first use, so a missed
 * entry point stays correct.  Idempotent.
 */
void json_limits_init(void);

/**
 * Parse `len` bytes with jansson's decode `flags` within `lim`.  Returns
 * the tree (json_decref it; freeing is not counted against anything), or
 * NULL with *status (may be NULL) and a message in err (errlen bytes; may
 * be NULL) such as "JSON too complex: 1398102 values, limit 262144".
 */
json_t *json_limits_loadb(const char *data, size_t len, size_t flags,
			  const json_limits *lim, json_limits_status *status,
			  char *err, size_t errlen);

/** Number of throttle slots: 2 x the online CPUs, from 2 to 16. */
unsigned json_limits_slots(void);

/**
 * The most heap the calling thread's parses held at once since the last
 * call (then reset); for tests and measurements.
 */
size_t json_limits_thread_peak(void);

#endif
