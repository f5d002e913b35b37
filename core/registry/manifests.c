/*
 * registry/manifests.c - manifests, tags, the catalog and referrers in CNCF
 * Distribution's storage layout.
 *
 * A manifest is a blob in the shared content-addressed store; repository
 * R holds it when R's revision link names it.  A tag is a directory with
 * a "current" link (the digest it names now) and an "index" of every
 * digest it has named.  Referrers are Berth's addition: a link per
 * referring manifest under the subject's digest, so the referrers API
 * needs no scan of every revision.
 *
 * Every revision Berth writes has a record next to its link
 * (registry/manifest_record.h): what GET, HEAD, DELETE and the referrers API need,
 * so none of them parses a manifest.  A revision without one (written by
 * Distribution or an older Berth) gets it built from a bounded parse of
 * the manifest on first read, and written back.
 *
 * Crash and concurrency safety come from the order of writes (every link
 * is written only after what it points at exists, a tag's current link
 * last) and from each write being atomic (put_content).  Changes to one
 * repository's links are serialised by a registry lock, so a delete that
 * removes the tags naming a manifest cannot remove a tag a concurrent
 * PUT has just moved to another manifest.
 *
 * With a driver that applies batches all or nothing (BERTH_CAP_BATCH), a
 * PUT commits the record and every link as one batch: a failure or a
 * crash leaves all of them or none.  The lock only serialises one
 * process; when the driver also gives versions (BERTH_CAP_STAT_VERSION),
 * the deletes close the races between several Berth instances on one
 * storage root with BERTH_BATCH_EXPECT: a tag or a revision is removed
 * only if nobody rewrote it since it was read.  On a conflict the delete
 * starts again, so it answers as it would had the other push come
 * first.  A PUT expects nothing: of two pushes the last one wins anyway.
 */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "common/log.h"
#include "common/names.h"
#include "registry/blobs.h"
#include "registry/layout.h"
#include "registry/manifest_record.h"
#include "registry/manifests.h"
#include "registry/record_cache.h"

/* ---- string vectors ---- */

typedef struct strv {
	char **v;
	size_t n, cap;
	int oom;
} strv;

static int strv_push(strv *s, const char *str, size_t len)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		char **v = realloc(s->v, cap * sizeof *v);
		if (!v) {
			s->oom = 1;
			return -1;
		}
		s->v = v;
		s->cap = cap;
	}
	char *copy = strndup(str, len);
	if (!copy) {
		s->oom = 1;
		return -1;
	}
	s->v[s->n++] = copy;
	return 0;
}

/* Add one name to a page of at most `limit` names.  Returns non-zero when
   the walk must stop: the page was already full (*more is set: a name
   lies beyond it) or memory ran out (s->oom is set). */
static int page_add(strv *s, size_t limit, int *more, const char *str,
		    size_t len)
{
	if (s->n == limit) {
		*more = 1;
		return 1;
	}
	return strv_push(s, str, len);
}

/* The walk's start_after for a page that follows `last` below `dir`, in
   `buf` (BERTH_PATH_MAX bytes); NULL for the first page, or when the path
   would not fit (the walk then starts at the beginning). */
static const char *page_start(char *buf, const char *dir, const char *last)
{
	if (!last || snprintf(buf, BERTH_PATH_MAX, "%s/%s", dir, last) >=
			     BERTH_PATH_MAX)
		return NULL;
	return buf;
}

void registry_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* Cut the last component off a path ("a/b/link" -> "a/b"). */
static void strip_last(char *path)
{
	char *slash = strrchr(path, '/');
	if (slash)
		*slash = 0;
}

static void lock_repo(berth_registry *reg, const char *name, char *key,
		      size_t cap)
{
	snprintf(key, cap, "manifests:%s", name);
	registry_lock(reg, key);
}

/* ---- manifests ---- */

int registry_manifest_exists_size(berth_registry *reg, const char *name,
				  const berth_digest *d, uint64_t *size)
{
	char path[BERTH_PATH_MAX];
	berth_digest linked;
	int rc = registry_read_link(reg, layout_revision_link(path, name, d),
				    &linked);
	if (rc == BERTH_E_NOT_FOUND || rc == REGISTRY_E_CORRUPT_LINK ||
	    (rc == BERTH_OK && !digest_equal(&linked, d)))
		return 0; /* a corrupt link does not make it present */
	if (rc)
		return rc;
	rc = registry_blob_size(reg, d, size);
	if (rc == BERTH_E_NOT_FOUND)
		return 0;
	return rc ? rc : 1;
}

int registry_manifest_exists(berth_registry *reg, const char *name,
			     const berth_digest *d)
{
	uint64_t size;
	return registry_manifest_exists_size(reg, name, d, &size);
}

int registry_manifest_resolve_size(berth_registry *reg, const char *name,
				   const char *ref, berth_digest *out,
				   uint64_t *size)
{
	char path[BERTH_PATH_MAX];
	int rc;
	if (strchr(ref, ':')) {
		if (digest_parse(ref, out))
			return BERTH_E_INVALID_ARGUMENT;
	} else {
		if (!names_tag_valid(ref))
			return BERTH_E_INVALID_ARGUMENT;
		rc = registry_read_link(
			reg, layout_tag_current(path, name, ref), out);
		if (rc == REGISTRY_E_CORRUPT_LINK)
			return BERTH_E_NOT_FOUND; /* corrupt tag link */
		if (rc)
			return rc;
	}
	rc = registry_manifest_exists_size(reg, name, out, size);
	if (rc < 0)
		return rc;
	return rc ? BERTH_OK : BERTH_E_NOT_FOUND;
}

int registry_manifest_resolve(berth_registry *reg, const char *name,
			      const char *ref, berth_digest *out)
{
	uint64_t size;
	return registry_manifest_resolve_size(reg, name, ref, out, &size);
}

int registry_manifest_read(berth_registry *reg, const berth_digest *d,
			   char **data, size_t *len)
{
	char path[BERTH_PATH_MAX];
	return store_get(&reg->store, layout_blob_data(path, d), data, len);
}

const char *registry_manifest_media_type(const char *data, size_t len, char *buf,
				     size_t cap)
{
	berth_manifest_record r;
	int rc = registry_record_describe(data, len, &r, NULL, 0);
	snprintf(buf, cap, "%s", rc < 0 ? "application/json" : r.media_type);
	registry_record_free(&r);
	return buf;
}

/* The record of manifest `d` (`size` bytes) of `name` rebuilt from the
   manifest itself, and written back when allowed. */
static int record_rebuild(berth_registry *reg, const char *name,
			  const berth_digest *d, uint64_t size, int flags,
			  berth_manifest_record *out)
{
	char path[BERTH_PATH_MAX], ds[BERTH_DIGEST_MAX], why[256];
	char *data = NULL;
	size_t len = 0;
	int rc;
	digest_format(d, ds);
	if (size > BERTH_MANIFEST_MAX) {
		/* Not read at all: describe only says it is too large. */
		rc = registry_record_describe(NULL, (size_t)size, out, why,
					   sizeof why);
	} else {
		rc = registry_manifest_read(reg, d, &data, &len);
		if (rc)
			return rc;
		rc = registry_record_describe(data, len, out, why, sizeof why);
		free(data);
	}
	if (rc < 0)
		return BERTH_E_NOMEM;
	if (rc == 1)
		LOG_WARN("%s: manifest %s: %s; served as %s", name, ds, why,
			 out->media_type);
	if ((flags & REPO_RECORD_NO_WRITE) || (reg->cfg && reg->cfg->readonly))
		return BERTH_OK;
	size_t tlen;
	char *text = registry_record_format(out, &tlen);
	/* Best effort: the reader has what it needs either way. */
	int wrc = text ? store_put(&reg->store,
				   layout_revision_record(path, name, d), text,
				   tlen)
		       : BERTH_E_NOMEM;
	if (wrc)
		LOG_WARN("%s: manifest %s: cannot write its record: %s", name,
			 ds, store_status_name(wrc));
	free(text);
	return BERTH_OK;
}

int registry_manifest_served_type(berth_registry *reg, const char *name,
				  const berth_digest *d, uint64_t size,
				  char *mt, size_t cap)
{
	const void *key = reg->store.inst;
	if (record_cache_get(key, name, d, size, mt, cap))
		return BERTH_OK;
	berth_manifest_record rec;
	int rc = registry_manifest_record(reg, name, d, size, 0, &rec);
	if (rc)
		return rc;
	snprintf(mt, cap, "%s", rec.media_type);
	record_cache_put(key, name, d, size, rec.media_type);
	registry_record_free(&rec);
	return BERTH_OK;
}

int registry_manifest_record(berth_registry *reg, const char *name,
			     const berth_digest *d, uint64_t size, int flags,
			     berth_manifest_record *out)
{
	char path[BERTH_PATH_MAX];
	char *text = NULL;
	size_t len = 0;
	memset(out, 0, sizeof *out);
	int rc = store_get(&reg->store, layout_revision_record(path, name, d),
			   &text, &len);
	if (rc == BERTH_OK) {
		int bad = registry_record_parse(text, len,
					     flags & REPO_RECORD_FULL, out);
		free(text);
		if (!bad && out->size == size)
			return BERTH_OK;
		registry_record_free(out);
	} else if (rc != BERTH_E_NOT_FOUND) {
		return rc;
	}
	return record_rebuild(reg, name, d, size, flags, out);
}

/* REPO_PUT_OK if every reference of `m` is present with the size its
   descriptor gives, else REPO_PUT_MISSING or REPO_PUT_SIZE_MISMATCH with
   *problem filled, or <0.  The sizes come from the same stat that shows
   the data is there. */
static int refs_present(berth_registry *reg, const char *name,
			const berth_manifest *m, repo_put_problem *problem)
{
	for (size_t i = 0; i < m->nrefs; i++) {
		const berth_manifest_ref *r = &m->refs[i];
		uint64_t size = 0;
		int rc = r->is_manifest ? registry_manifest_exists_size(
						  reg, name, &r->digest, &size)
					: registry_blob_linked_size(
						  reg, name, &r->digest, &size);
		if (rc < 0)
			return rc;
		problem->digest = r->digest;
		problem->is_manifest = r->is_manifest;
		problem->declared = r->size;
		problem->stored = size;
		if (rc == 0)
			return REPO_PUT_MISSING;
		if ((uint64_t)r->size != size)
			return REPO_PUT_SIZE_MISMATCH;
	}
	return REPO_PUT_OK;
}

/* A link op of a batch: the digest text in `text` (BERTH_DIGEST_MAX). */
static berth_batch_op link_op(const char *path, const berth_digest *d,
			      char *text)
{
	digest_format(d, text);
	return (berth_batch_op){.kind = BERTH_BATCH_PUT,
				.path = path,
				.data = text,
				.len = strlen(text)};
}

/* The record and the links of manifest `d`, in the order in which every
   prefix is safe (store_batch applies them one by one without
   BERTH_CAP_BATCH): the record before the revision link, so a revision
   is never there without it, the revision before what names it, a tag's
   current link last. */
static int commit_links(berth_registry *reg, const char *name,
			const char *tag, const berth_digest *d,
			const berth_manifest *m, const char *record,
			size_t rlen)
{
	char rec[BERTH_PATH_MAX], rev[BERTH_PATH_MAX], ref[BERTH_PATH_MAX],
		idx[BERTH_PATH_MAX], cur[BERTH_PATH_MAX], key[BERTH_PATH_MAX];
	char t[4][BERTH_DIGEST_MAX];
	berth_batch_op ops[5];
	size_t n = 0;
	ops[n++] = (berth_batch_op){.kind = BERTH_BATCH_PUT,
				    .path = layout_revision_record(rec, name, d),
				    .data = record,
				    .len = rlen};
	ops[n++] = link_op(layout_revision_link(rev, name, d), d, t[0]);
	if (m->has_subject)
		ops[n++] = link_op(layout_referrer_link(ref, name, &m->subject,
							d),
				   d, t[1]);
	if (tag) {
		ops[n++] = link_op(layout_tag_index(idx, name, tag, d), d, t[2]);
		ops[n++] = link_op(layout_tag_current(cur, name, tag), d, t[3]);
	}
	lock_repo(reg, name, key, sizeof key);
	int rc = store_batch(&reg->store, ops, n);
	record_cache_forget(reg->store.inst, name, d);
	registry_unlock(reg, key);
	return rc;
}

int registry_manifest_put(berth_registry *reg, const char *name,
			  const char *tag, const berth_digest *d,
			  const char *data, size_t len, const berth_manifest *m,
			  repo_put_problem *problem)
{
	char path[BERTH_PATH_MAX];
	int rc = refs_present(reg, name, m, problem);
	if (rc)
		return rc;

	berth_manifest_record rec;
	if (registry_record_from_manifest(m, len, &rec))
		return BERTH_E_NOMEM;
	size_t rlen;
	char *record = registry_record_format(&rec, &rlen);
	registry_record_free(&rec);
	if (!record)
		return BERTH_E_NOMEM;

	/* Content-addressed: existing data with this digest is these bytes. */
	layout_blob_data(path, d);
	rc = store_exists(&reg->store, path);
	if (rc == 0)
		rc = store_put(&reg->store, path, data, len);
	if (rc < 0) {
		free(record);
		return rc;
	}

	rc = commit_links(reg, name, tag, d, m, record, rlen);
	free(record);
	return rc;
}

/*
 * Remove tag `tag`: its current link first, then the rest of its
 * directory.  A recursive remove is not atomic, so a crash part-way
 * must not leave a current link behind with half an index: without its
 * current link a tag is invisible (registry_tags_list skips it) whatever else
 * is left.  BERTH_E_NOT_FOUND if the tag had no current link.
 */
static int remove_tag(berth_registry *reg, const char *name, const char *tag)
{
	char path[BERTH_PATH_MAX];
	int rc = store_remove(&reg->store, layout_tag_current(path, name, tag));
	if (rc && rc != BERTH_E_NOT_FOUND)
		return rc;
	int rc2 = store_remove(&reg->store, layout_tag_dir(path, name, tag));
	if (rc2 && rc2 != BERTH_E_NOT_FOUND)
		return rc2;
	return rc;
}

/* Deletes guarded by versions (see the top of the file): the driver
   applies batches all or nothing and can tell objects' versions. */
static int versioned(berth_registry *reg)
{
	return store_has(&reg->store, BERTH_CAP_BATCH) &&
	       store_has(&reg->store, BERTH_CAP_STAT_VERSION);
}

/* How often a versioned delete starts again after a conflict: each one
   means another instance changed the repository meanwhile. */
#define DELETE_TRIES 8

/* Remove `dir` (a tag's or a revision's directory) only if the object
   `guard` in it still has `version`, all at once.  BERTH_OK, CONFLICT,
   or another status (NOT_FOUND: nothing to remove). */
static int remove_if_unchanged(berth_registry *reg, const char *guard,
			       const char *version, const char *dir)
{
	berth_batch_op ops[2] = {
		{.kind = BERTH_BATCH_EXPECT, .path = guard, .version = version},
		{.kind = BERTH_BATCH_REMOVE, .path = dir},
	};
	return store_batch(&reg->store, ops, 2);
}

typedef struct tag_scan {
	berth_registry *reg;
	const char *name;
	const berth_digest *d;
	int versioned;
	strv doomed;   /* tag names whose current link names d */
	strv versions; /* versioned: their current links' versions */
	int err;       /* a tag that could not be read: delete nothing */
} tag_scan;

static int scan_tag(const char *child, void *p)
{
	tag_scan *s = p;
	const char *tag = base_name(child);
	char path[BERTH_PATH_MAX], version[BERTH_VERSION_MAX] = "";
	berth_digest cur;
	if (!names_tag_valid(tag))
		return 0;
	layout_tag_current(path, s->name, tag);
	int rc = BERTH_OK;
	if (s->versioned) {
		/* The version before the content: a change in between fails
		   the removal's EXPECT instead of going unseen. */
		berth_stat_info st;
		rc = store_stat_version(&s->reg->store, path, &st, version);
	}
	if (rc == BERTH_OK)
		rc = registry_read_link(s->reg, path, &cur);
	if (rc == BERTH_OK && digest_equal(&cur, s->d)) {
		if (strv_push(&s->doomed, tag, strlen(tag)))
			return 1;
		return s->versioned &&
		       strv_push(&s->versions, version, strlen(version));
	}
	/* A tag we cannot read may name d: removing the revision anyway
	   would leave it dangling. */
	if (rc && rc != BERTH_E_NOT_FOUND && rc != REGISTRY_E_CORRUPT_LINK) {
		s->err = rc;
		return 1;
	}
	return 0;
}

/* Remove the tags naming d; CONFLICT (versioned) when one changed since
   it was read. */
static int delete_tags(berth_registry *reg, const char *name,
		       const berth_digest *d)
{
	char path[BERTH_PATH_MAX], cur[BERTH_PATH_MAX];
	tag_scan s = {reg, name, d, versioned(reg), {0}, {0}, 0};
	int rc = store_list(&reg->store, layout_tags_dir(path, name), scan_tag,
			    &s);
	if (rc == BERTH_E_NOT_FOUND)
		rc = BERTH_OK;
	if (!rc && s.err)
		rc = s.err;
	if (!rc && (s.doomed.oom || s.versions.oom))
		rc = BERTH_E_NOMEM;
	for (size_t i = 0; !rc && i < s.doomed.n; i++) {
		const char *tag = s.doomed.v[i];
		rc = s.versioned
			     ? remove_if_unchanged(
				       reg, layout_tag_current(cur, name, tag),
				       s.versions.v[i],
				       layout_tag_dir(path, name, tag))
			     : remove_tag(reg, name, tag);
		if (rc == BERTH_E_NOT_FOUND)
			rc = BERTH_OK;
	}
	registry_strv_free(s.doomed.v, s.doomed.n);
	registry_strv_free(s.versions.v, s.versions.n);
	return rc;
}

/* The subject says which referrer link to remove.  A record that cannot
   be had leaves the link, which the referrers API skips once the
   revision is gone. */
static int delete_referrer_link(berth_registry *reg, const char *name,
				const berth_digest *d, uint64_t size)
{
	char path[BERTH_PATH_MAX];
	berth_manifest_record rec;
	int rc = BERTH_OK;
	if (registry_manifest_record(reg, name, d, size, REPO_RECORD_NO_WRITE,
				     &rec) != BERTH_OK)
		return BERTH_OK;
	if (rec.has_subject) {
		layout_referrer_link(path, name, &rec.subject, d);
		strip_last(path);
		rc = store_remove(&reg->store, path);
		if (rc == BERTH_E_NOT_FOUND)
			rc = BERTH_OK;
	}
	registry_record_free(&rec);
	return rc;
}

/* One attempt at deleting manifest d; the caller holds the lock.
   CONFLICT (versioned) when another instance pushed d meanwhile: its
   revision link is not the one this attempt read. */
static int delete_once(berth_registry *reg, const char *name,
		       const berth_digest *d)
{
	char path[BERTH_PATH_MAX], link[BERTH_PATH_MAX];
	char version[BERTH_VERSION_MAX] = "";
	uint64_t size = 0;
	int rc = BERTH_OK;
	layout_revision_link(link, name, d);
	if (versioned(reg)) {
		berth_stat_info st;
		rc = store_stat_version(&reg->store, link, &st, version);
	}
	if (!rc) {
		rc = registry_manifest_exists_size(reg, name, d, &size);
		rc = rc < 0 ? rc : rc ? BERTH_OK : BERTH_E_NOT_FOUND;
	}
	/* Tags first: a crash part-way leaves a manifest without some of
	   its tags, never a tag naming a deleted manifest. */
	if (!rc)
		rc = delete_tags(reg, name, d);
	if (!rc)
		rc = delete_referrer_link(reg, name, d, size);
	if (rc)
		return rc;
	record_cache_forget(reg->store.inst, name, d);
	layout_revision_dir(path, name, d);
	rc = versioned(reg) ? remove_if_unchanged(reg, link, version, path)
			    : store_remove(&reg->store, path);
	return rc == BERTH_E_NOT_FOUND ? BERTH_OK : rc;
}

int registry_manifest_delete(berth_registry *reg, const char *name,
			     const berth_digest *d)
{
	char key[BERTH_PATH_MAX];
	lock_repo(reg, name, key, sizeof key);
	int rc = delete_once(reg, name, d);
	for (int i = 1; rc == BERTH_E_CONFLICT && i < DELETE_TRIES; i++)
		rc = delete_once(reg, name, d);
	registry_unlock(reg, key);
	return rc;
}

/* One attempt at deleting tag `tag` all at once (versioned); CONFLICT
   when it was pushed since its version was read. */
static int tag_delete_once(berth_registry *reg, const char *name,
			   const char *tag)
{
	char cur[BERTH_PATH_MAX], dir[BERTH_PATH_MAX];
	char version[BERTH_VERSION_MAX];
	berth_stat_info st;
	int rc = store_stat_version(&reg->store,
				    layout_tag_current(cur, name, tag), &st,
				    version);
	if (!rc && st.is_dir)
		rc = BERTH_E_NOT_FOUND;
	/* No current link: clear what a cut-short write or delete left,
	   still answering NOT_FOUND, as without versions. */
	if (rc == BERTH_E_NOT_FOUND)
		return remove_tag(reg, name, tag);
	if (rc)
		return rc;
	return remove_if_unchanged(reg, cur, version,
				   layout_tag_dir(dir, name, tag));
}

int registry_tag_delete(berth_registry *reg, const char *name, const char *tag)
{
	char key[BERTH_PATH_MAX];
	if (!names_tag_valid(tag))
		return BERTH_E_NOT_FOUND;
	lock_repo(reg, name, key, sizeof key);
	int rc;
	if (versioned(reg)) {
		rc = tag_delete_once(reg, name, tag);
		for (int i = 1; rc == BERTH_E_CONFLICT && i < DELETE_TRIES; i++)
			rc = tag_delete_once(reg, name, tag);
	} else {
		rc = remove_tag(reg, name, tag);
	}
	registry_unlock(reg, key);
	return rc;
}

/* ---- tags and catalog ---- */

int registry_repo_exists(berth_registry *reg, const char *name)
{
	static const char *const kids[] = {"_manifests", "_layers",
					   "_uploads"};
	char path[BERTH_PATH_MAX], repo[BERTH_PATH_MAX];
	layout_repo(repo, name);
	for (size_t i = 0; i < sizeof kids / sizeof kids[0]; i++) {
		int n = snprintf(path, sizeof path, "%s/%s", repo, kids[i]);
		if (n < 0 || (size_t)n >= sizeof path)
			return 0;
		int rc = store_exists(&reg->store, path);
		if (rc)
			return rc;
	}
	return 0;
}

typedef struct tags_walk {
	berth_registry *reg;
	const char *name;
	size_t dir_len;   /* strlen of ".../_manifests/tags" */
	const char *last; /* the previous page's last tag, or NULL */
	size_t limit;     /* tags wanted */
	strv tags;
	int seen;         /* the walk reported anything at all */
	int more;         /* a tag beyond the page exists */
	int rc;           /* storage error met during the walk */
} tags_walk;

/* One entry of the walk over the tags directory.  Its direct children
   are the tag directories, which come in byte order of their names --
   the strcmp order of the page -- and are never descended into; deeper
   entries only appear below the directory of `last` itself, which
   follows it in walk order. */
static berth_walk_action tag_entry(const char *path,
				   const berth_stat_info *info, void *p)
{
	tags_walk *t = p;
	char link[BERTH_PATH_MAX];
	t->seen = 1;
	const char *tag = path + t->dir_len + 1;
	if (strchr(tag, '/') || !info->is_dir)
		return BERTH_WALK_SKIP_DIR;
	/* start_after is a hint a driver may ignore: filter here too. */
	if (!names_tag_valid(tag) || (t->last && strcmp(tag, t->last) <= 0))
		return BERTH_WALK_SKIP_DIR;
	/* A tag exists once its current link does: a crash between the
	   index link and the current link of a first tag write, or in the
	   middle of a tag delete, leaves a directory without one, which
	   must not be listed as a tag that then answers 404. */
	int e = store_exists(&t->reg->store,
			     layout_tag_current(link, t->name, tag));
	if (e < 0) {
		t->rc = e;
		return BERTH_WALK_STOP;
	}
	if (e == 0)
		return BERTH_WALK_SKIP_DIR;
	if (page_add(&t->tags, t->limit, &t->more, tag, strlen(tag)))
		return BERTH_WALK_STOP;
	return BERTH_WALK_SKIP_DIR;
}

int registry_tags_page(berth_registry *reg, const char *name, const char *last,
		       size_t limit, char ***out, size_t *n, int *more)
{
	char dir[BERTH_PATH_MAX], after[BERTH_PATH_MAX];
	tags_walk t = {.reg = reg, .name = name, .last = last, .limit = limit};
	*out = NULL;
	*n = 0;
	*more = 0;
	layout_tags_dir(dir, name);
	t.dir_len = strlen(dir);
	/* Resume the walk after `last` and stop at the first existing tag
	   beyond the page: a driver that honours start_after (the
	   filesystem driver by binary search in a cached sorted listing)
	   then makes the page cost the same whatever the number of tags,
	   instead of reading and sorting every name.  Only the page and
	   one more tag cost a link check. */
	const char *start = page_start(after, dir, last);
	int rc = store_walk(&reg->store, dir, start, tag_entry, &t);
	if (!rc)
		rc = t.rc;
	if (!rc && t.tags.oom)
		rc = BERTH_E_NOMEM;
	/* No tags directory (or one a driver reports as empty, as object
	   stores do for a missing prefix): the repository may still exist
	   without tags. */
	if (rc == BERTH_E_NOT_FOUND || (!rc && !t.seen)) {
		registry_strv_free(t.tags.v, t.tags.n);
		t.tags = (strv){0};
		t.more = 0;
		rc = registry_repo_exists(reg, name);
		rc = rc < 0 ? rc : rc ? BERTH_OK : BERTH_E_NOT_FOUND;
	}
	if (rc) {
		registry_strv_free(t.tags.v, t.tags.n);
		return rc;
	}
	*out = t.tags.v;
	*n = t.tags.n;
	*more = t.more;
	return BERTH_OK;
}

int registry_tags_list(berth_registry *reg, const char *name, char ***out,
		       size_t *n)
{
	int more;
	return registry_tags_page(reg, name, NULL, SIZE_MAX, out, n, &more);
}

typedef struct catalog_walk {
	size_t root_len; /* strlen of ".../repositories/" */
	strv names;
	const char *last; /* the previous page's last name, or NULL */
	size_t limit;     /* names wanted */
	int more;         /* a name beyond the page exists */
	berth_registry *reg;
	int rc;           /* storage error met during the walk */
} catalog_walk;

/* A directory is a repository when it holds _manifests, _layers or
   _uploads. */
static int is_repository(berth_registry *reg, const char *dir)
{
	static const char *const marks[] = {"_manifests", "_layers",
					    "_uploads"};
	char path[BERTH_PATH_MAX];
	for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
		if (snprintf(path, sizeof path, "%s/%s", dir, marks[i]) >=
		    (int)sizeof path)
			return 0;
		int rc = store_exists(&reg->store, path);
		if (rc)
			return rc;
	}
	return 0;
}

/* Repositories are recorded when the walk enters their directory, so
   names come in walk order, the order `start_after` resumes in. */
static berth_walk_action catalog_entry(const char *path,
				       const berth_stat_info *info, void *p)
{
	catalog_walk *c = p;
	const char *base = base_name(path);
	if (!info->is_dir)
		return BERTH_WALK_CONTINUE;
	if (base[0] == '_')
		return BERTH_WALK_SKIP_DIR;
	const char *name = path + c->root_len;
	size_t len = strlen(name);
	if (!names_repository_valid(name, len))
		return BERTH_WALK_SKIP_DIR;
	if (c->last && !strcmp(c->last, name))
		return BERTH_WALK_CONTINUE;
	int rc = is_repository(c->reg, path);
	if (rc < 0) {
		c->rc = rc;
		return BERTH_WALK_STOP;
	}
	if (rc == 0)
		return BERTH_WALK_CONTINUE;
	if (page_add(&c->names, c->limit, &c->more, name, len))
		return BERTH_WALK_STOP;
	return BERTH_WALK_CONTINUE;
}

int registry_catalog_page(berth_registry *reg, const char *last, size_t limit,
			  char ***out, size_t *n, int *more)
{
	char root[BERTH_PATH_MAX], after[BERTH_PATH_MAX];
	catalog_walk c = {.last = last, .limit = limit, .reg = reg};
	*out = NULL;
	*n = 0;
	*more = 0;
	layout_repos_root(root);
	c.root_len = strlen(root) + 1;
	/* The walk resumes after `last` and stops once the page is full, so
	   a page costs the same whatever the number of repositories. */
	const char *start = page_start(after, root, last);
	int rc = store_walk(&reg->store, root, start, catalog_entry, &c);
	if (rc == BERTH_E_NOT_FOUND)
		rc = BERTH_OK;
	if (!rc)
		rc = c.rc;
	if (!rc && c.names.oom)
		rc = BERTH_E_NOMEM;
	if (rc) {
		registry_strv_free(c.names.v, c.names.n);
		return rc;
	}
	/* Keep the walk's order, which is the order `last` resumes in
	   (sorting by bytes would put "a-b" before "a/b"). */
	*out = c.names.v;
	*n = c.names.n;
	*more = c.more;
	return BERTH_OK;
}

int registry_catalog(berth_registry *reg, char ***out, size_t *n)
{
	int more;
	return registry_catalog_page(reg, NULL, SIZE_MAX, out, n, &more);
}

/* ---- referrers ---- */

static void referrer_clear(registry_referrer *r)
{
	free(r->media_type);
	free(r->artifact_type);
	free(r->annotations_json);
	memset(r, 0, sizeof *r);
}

void registry_referrers_free(registry_referrer *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		referrer_clear(&v[i]);
	free(v);
}

typedef struct referrers_walk {
	berth_registry *reg;
	const char *name;
	const berth_digest *subject;
	size_t dir_len;         /* strlen of ".../referrers/<alg>/<hex>" */
	char after[BERTH_DIGEST_MAX]; /* "" or the digest to resume after */
	repo_referrer_cb cb;
	void *payload;
	int rc;
} referrers_walk;

/* The referrer named by one entry of the walk (a link file
   <alg>/<hex>/link below the subject's directory): 1 and *d, or 0 for
   anything else. */
static int referrer_of(const char *rel, berth_digest *d)
{
	char text[BERTH_DIGEST_MAX];
	const char *slash = strchr(rel, '/');
	const char *tail = slash ? strchr(slash + 1, '/') : NULL;
	if (!slash || !tail || strcmp(tail, "/link") ||
	    (size_t)(tail - rel) >= sizeof text)
		return 0;
	memcpy(text, rel, (size_t)(tail - rel));
	text[tail - rel] = 0;
	text[slash - rel] = ':';
	return digest_parse(text, d) == 0;
}

/* One referrer from its record; 1 if it is one (present, naming the
   subject), 0 if not (a stale link), <0. */
static int referrer_describe(referrers_walk *w, const berth_digest *d,
			     registry_referrer *r)
{
	uint64_t size = 0;
	int rc = registry_manifest_exists_size(w->reg, w->name, d, &size);
	if (rc <= 0)
		return rc;
	berth_manifest_record rec;
	rc = registry_manifest_record(w->reg, w->name, d, size,
				      REPO_RECORD_FULL, &rec);
	if (rc)
		return rc == BERTH_E_NOT_FOUND ? 0 : rc;
	if (!rec.has_subject || !digest_equal(&rec.subject, w->subject)) {
		registry_record_free(&rec);
		return 0;
	}
	memset(r, 0, sizeof *r);
	r->digest = *d;
	r->size = size;
	/* Ownership of the strings moves to the referrer. */
	r->media_type = rec.media_type;
	r->artifact_type = rec.artifact_type;
	r->annotations_json = rec.annotations_json;
	return 1;
}

/* Walk entries come in byte order of their names within a directory,
   so link files come in digest order ("sha256:..." before "sha512:..."
   and hex in order), the order pages are cut in. */
static berth_walk_action referrer_entry(const char *path,
					const berth_stat_info *info, void *p)
{
	referrers_walk *w = p;
	berth_digest d;
	char ds[BERTH_DIGEST_MAX];
	if (info->is_dir || !referrer_of(path + w->dir_len + 1, &d))
		return BERTH_WALK_CONTINUE;
	digest_format(&d, ds);
	/* start_after is a hint a driver may ignore: filter here too. */
	if (w->after[0] && strcmp(ds, w->after) <= 0)
		return BERTH_WALK_CONTINUE;
	registry_referrer r;
	int rc = referrer_describe(w, &d, &r);
	if (rc < 0) {
		w->rc = rc;
		return BERTH_WALK_STOP;
	}
	if (rc == 0)
		return BERTH_WALK_CONTINUE;
	int stop = w->cb(&r, w->payload);
	referrer_clear(&r);
	return stop ? BERTH_WALK_STOP : BERTH_WALK_CONTINUE;
}

int registry_referrers_walk(berth_registry *reg, const char *name,
			    const berth_digest *subject,
			    const berth_digest *after, repo_referrer_cb cb,
			    void *payload)
{
	char dir[BERTH_PATH_MAX], start[BERTH_PATH_MAX];
	referrers_walk w = {.reg = reg,
			    .name = name,
			    .subject = subject,
			    .cb = cb,
			    .payload = payload};
	layout_referrers_dir(dir, name, subject);
	w.dir_len = strlen(dir);
	const char *start_after = NULL;
	if (after) {
		digest_format(after, w.after);
		/* Resume just after the previous page's last link. */
		if (snprintf(start, sizeof start, "%s/%s/%s/link", dir,
			     digest_alg_name(after->alg),
			     after->hex) < (int)sizeof start)
			start_after = start;
	}
	int rc = store_walk(&reg->store, dir, start_after, referrer_entry, &w);
	if (rc == BERTH_E_NOT_FOUND)
		rc = BERTH_OK;
	return rc ? rc : w.rc;
}

typedef struct referrers_all {
	registry_referrer *v;
	size_t n, cap;
	int oom;
} referrers_all;

static int collect_referrer(const registry_referrer *r, void *p)
{
	referrers_all *a = p;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 8;
		registry_referrer *v = realloc(a->v, cap * sizeof *v);
		if (!v) {
			a->oom = 1;
			return 1;
		}
		a->v = v;
		a->cap = cap;
	}
	registry_referrer *c = &a->v[a->n];
	memset(c, 0, sizeof *c);
	c->digest = r->digest;
	c->size = r->size;
	if ((r->media_type && !(c->media_type = strdup(r->media_type))) ||
	    (r->artifact_type &&
	     !(c->artifact_type = strdup(r->artifact_type))) ||
	    (r->annotations_json &&
	     !(c->annotations_json = strdup(r->annotations_json)))) {
		referrer_clear(c);
		a->oom = 1;
		return 1;
	}
	a->n++;
	return 0;
}

int registry_referrers(berth_registry *reg, const char *name,
		       const berth_digest *subject, registry_referrer **out,
		       size_t *n)
{
	referrers_all a = {0};
	*out = NULL;
	*n = 0;
	int rc = registry_referrers_walk(reg, name, subject, NULL,
					 collect_referrer, &a);
	if (!rc && a.oom)
		rc = BERTH_E_NOMEM;
	if (rc) {
		registry_referrers_free(a.v, a.n);
		return rc;
	}
	*out = a.v;
	*n = a.n;
	return BERTH_OK;
}
