/*
 * registry/check.h - `berth check`: an offline consistency check of the storage
 * (tags, revisions, layer links, referrer links, blob contents, uploads),
 * with an optional repair that removes dangling links and stale uploads
 * but never blob data.
 */
#ifndef BERTH_CORE_REGISTRY_CHECK_H
#define BERTH_CORE_REGISTRY_CHECK_H

#include <stdint.h>
#include <stdio.h>

#include "registry/registry.h"

typedef struct berth_check_options {
	int repair;        /* remove dangling links and stale uploads */
	int fast;          /* do not re-hash blob contents */
	int purge_uploads; /* with repair: remove every upload, stale or not */
	int progress;      /* keep a \r-updated progress line on `err` */
	int64_t upload_age_s; /* uploads started longer ago are stale */
	FILE *out;         /* problems and the summary */
	FILE *err;         /* the progress line */
} berth_check_options;

typedef struct berth_check_stats {
	unsigned long repos, blobs, manifests, tags, layers;
	unsigned long uploads, stale_uploads, uploads_removed;
	unsigned long leftover_tags, leftovers_removed; /* no current link */
	unsigned long problems, repaired;
} berth_check_stats;

/**
 * Check (and with o->repair, repair) the storage of `reg`.  Every problem
 * is printed as one line on o->out, prefixed by its repository.  Returns
 * the number of problems found (repaired ones included), or a negative
 * berth_status when the check could not run at all (out of memory).
 */
long registry_check_storage(berth_registry *reg, const berth_check_options *o,
			    berth_check_stats *st);

#endif
