/*
 * rec_driver_fixture.h - the filesystem driver with ABI 1.1 members of
 * the test's own spliced into its descriptor: a batch (applied op by op,
 * its EXPECTs checked first), writer_flush, writer_open_hinted and
 * maintain that record every call and fail on demand, so a unit test
 * can see what the core asks of a driver with those capabilities and
 * what it does when they fail.  One at a time: the record is global.
 */
#ifndef BERTH_TESTS_UNIT_REC_DRIVER_FIXTURE_H
#define BERTH_TESTS_UNIT_REC_DRIVER_FIXTURE_H

#include <stdint.h>

#include "repo_fixture.h"

#define REC_OPS_MAX 64

typedef struct rec_log {
	int batch_calls;
	/* the last batch's ops: kinds, paths, versions ("" when NULL) */
	size_t nops;
	int kinds[REC_OPS_MAX];
	char paths[REC_OPS_MAX][256];
	char versions[REC_OPS_MAX][BERTH_VERSION_MAX];
	/* batch: fail the next call with this status, applying nothing */
	int fail_batch;
	/* batch: called before call `n` (1-based) is applied */
	void (*before_batch)(berth_instance *inst, int n);

	int flush_calls;
	int fail_flush; /* fail the next flush with this status */

	int fail_commit; /* writer_commit: fail the next one (data kept) */

	int hinted_calls;
	char hint_digest[160]; /* "" when NULL */
	uint64_t hint_size;

	int maintain_calls;
	int maintain_more; /* answer *out_more = 1 this many times */
	int fail_maintain; /* fail every call with this status */
	int64_t maintain_budget;
} rec_log;

extern rec_log rec;

/** repo_fixture_setup, then the recording members spliced in: the 1.1
    capabilities claimed are exactly `caps` (BATCH, WRITER_FLUSH,
    WRITER_HINTS and MAINTAIN recorded; STAT_VERSION and
    VALIDATE_CONFIG the filesystem driver's own); the record is cleared.
    0 or -1. */
int rec_fixture_setup(repo_fixture *f, uint64_t caps);

/** The filesystem driver's own descriptor (its real members). */
const berth_storage_driver *rec_real(void);

#endif
