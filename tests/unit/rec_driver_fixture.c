/*
 * rec_driver_fixture.c - see rec_driver_fixture.h.
 */
#include <stdio.h>
#include <string.h>

#include "rec_driver_fixture.h"
#include "storage/store.h"

rec_log rec;
static berth_storage_driver real;

const berth_storage_driver *rec_real(void)
{
	return &real;
}

static int expect_holds(berth_instance *inst, const berth_batch_op *op)
{
	berth_stat_info st;
	char v[BERTH_VERSION_MAX];
	int rc = real.stat_version(inst, op->path, &st, v);
	if (!op->version)
		return rc == BERTH_E_NOT_FOUND ? BERTH_OK
		       : rc		       ? rc
					       : BERTH_E_CONFLICT;
	if (rc == BERTH_E_NOT_FOUND)
		return BERTH_E_CONFLICT;
	if (rc)
		return rc;
	return !st.is_dir && !strcmp(v, op->version) ? BERTH_OK
						     : BERTH_E_CONFLICT;
}

static int rec_batch(berth_instance *inst, const berth_batch_op *ops,
		     size_t count)
{
	rec.batch_calls++;
	rec.nops = count < REC_OPS_MAX ? count : REC_OPS_MAX;
	for (size_t i = 0; i < rec.nops; i++) {
		rec.kinds[i] = (int)ops[i].kind;
		snprintf(rec.paths[i], sizeof rec.paths[i], "%s", ops[i].path);
		snprintf(rec.versions[i], sizeof rec.versions[i], "%s",
			 ops[i].version ? ops[i].version : "");
	}
	if (rec.before_batch)
		rec.before_batch(inst, rec.batch_calls);
	if (rec.fail_batch) {
		int rc = rec.fail_batch;
		rec.fail_batch = 0;
		return rc;
	}
	/* All or nothing as far as these tests go: the preconditions are
	   checked before anything changes. */
	for (size_t i = 0; i < count; i++) {
		int rc = ops[i].kind == BERTH_BATCH_EXPECT
				 ? expect_holds(inst, &ops[i])
				 : BERTH_OK;
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < count; i++) {
		const berth_batch_op *op = &ops[i];
		int rc = BERTH_OK;
		if (op->kind == BERTH_BATCH_PUT)
			rc = real.put_content(inst, op->path, op->data,
					      op->len);
		else if (op->kind == BERTH_BATCH_MOVE)
			rc = real.move(inst, op->path, op->dst);
		else if (op->kind == BERTH_BATCH_REMOVE)
			rc = real.remove(inst, op->path);
		if (rc)
			return rc;
	}
	return BERTH_OK;
}

static int rec_flush(berth_writer *w)
{
	rec.flush_calls++;
	if (rec.fail_flush) {
		int rc = rec.fail_flush;
		rec.fail_flush = 0;
		return rc;
	}
	return real.writer_flush(w);
}

static int rec_hinted(berth_writer **out, berth_instance *inst,
		      const char *path, int append,
		      const berth_writer_hints *hints)
{
	rec.hinted_calls++;
	snprintf(rec.hint_digest, sizeof rec.hint_digest, "%s",
		 hints && hints->digest ? hints->digest : "");
	rec.hint_size = hints ? hints->size : UINT64_MAX;
	/* the filesystem driver takes no hints: it gets a plain writer */
	return real.writer_open(out, inst, path, append);
}

static int rec_commit(berth_writer *w)
{
	if (rec.fail_commit) {
		int rc = rec.fail_commit;
		rec.fail_commit = 0;
		return rc;
	}
	return real.writer_commit(w);
}

static int rec_maintain(berth_instance *inst, int64_t budget_ns,
			int *out_more)
{
	rec.maintain_calls++;
	rec.maintain_budget = budget_ns;
	if (rec.fail_maintain)
		return rec.fail_maintain;
	*out_more = rec.maintain_more > 0;
	if (rec.maintain_more > 0)
		rec.maintain_more--;
	return BERTH_OK;
}

int rec_fixture_setup(repo_fixture *f, uint64_t caps)
{
	memset(&rec, 0, sizeof rec);
	if (repo_fixture_setup(f))
		return -1;
	real = f->driver->desc;
	berth_storage_driver *d = &f->driver->desc;
	const uint64_t all11 = BERTH_CAP_BATCH | BERTH_CAP_WRITER_FLUSH |
			       BERTH_CAP_MAINTAIN | BERTH_CAP_WRITER_HINTS |
			       BERTH_CAP_VALIDATE_CONFIG |
			       BERTH_CAP_STAT_VERSION;
	d->capabilities = (d->capabilities & ~all11) | caps;
	d->writer_commit = rec_commit;
	if (caps & BERTH_CAP_BATCH)
		d->batch = rec_batch;
	if (caps & BERTH_CAP_WRITER_FLUSH)
		d->writer_flush = rec_flush;
	if (caps & BERTH_CAP_WRITER_HINTS)
		d->writer_open_hinted = rec_hinted;
	if (caps & BERTH_CAP_MAINTAIN)
		d->maintain = rec_maintain;
	return 0;
}
