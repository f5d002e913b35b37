/*
 * registry/check.c - `berth check`: walk the storage and verify that what the
 * registry would serve is complete and intact.
 *
 *  - every blob's data hashes to its digest (skipped with --fast);
 *  - every layer link holds a valid digest, the one its directory names,
 *    and the blob data exists;
 *  - every revision link likewise, and the manifest it names parses, its
 *    blobs are linked in the repository with data present, and the child
 *    manifests of an index are revisions of the repository;
 *  - every tag's current link names a revision of the repository, and the
 *    tag's index links hold valid digests (a tag directory without a
 *    current link is the leftover of an interrupted tag write or delete,
 *    invisible to clients: counted, and removed by --repair);
 *  - every referrer link names a revision;
 *  - uploads are counted; those older than the purge age are stale, and
 *    so are those without a readable `startedat`: a monolithic POST
 *    writes none (its id never reaches a client, see
 *    registry/uploads.c), so one cut short by a crash, like an upload
 *    whose removal was cut short, can never be finished by anyone.
 *
 * Every directory of blobs, links and tags is walked, so a driver that
 * cleans up as it lists (the filesystem driver removes the temporaries of
 * killed writes) gets to all of them.
 * Each problem is one line naming its repository.  With --repair the
 * dangling links (a tag whose manifest is missing, a layer or revision
 * link whose data is missing, a link that holds no valid digest) and
 * stale uploads are removed; blob data never is, since it may be the only
 * copy of something and a corrupt blob needs a human, not a delete.
 *
 * The storage is read through the configured driver, so the check sees
 * exactly what the server sees.  Run it on a quiet registry: a push in
 * flight looks like a dangling link for a moment.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/names.h"
#include "config.h"
#include "registry/blobs.h"
#include "registry/check.h"
#include "registry/layout.h"
#include "registry/manifest.h"
#include "registry/manifest_record.h"
#include "registry/manifests.h"
#include "storage/driver_loader.h"

#define HASH_BUF (1u << 20)

/* ---- small containers ---- */

typedef struct pathv {
	char **v;
	size_t n, cap;
	int oom;
} pathv;

static void pathv_push(pathv *p, const char *s)
{
	if (p->oom)
		return;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 32;
		char **v = realloc(p->v, cap * sizeof *v);
		if (!v) {
			p->oom = 1;
			return;
		}
		p->v = v;
		p->cap = cap;
	}
	char *copy = strdup(s);
	if (!copy) {
		p->oom = 1;
		return;
	}
	p->v[p->n++] = copy;
}

static void pathv_free(pathv *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
	memset(p, 0, sizeof *p);
}

typedef struct dent {
	berth_digest d;
	int corrupt;
} dent;

/* A set of digests: appended, then sorted once, then searched. */
typedef struct dset {
	dent *v;
	size_t n, cap;
	int oom;
} dset;

static void dset_add(dset *s, const berth_digest *d)
{
	if (s->oom)
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		dent *v = realloc(s->v, cap * sizeof *v);
		if (!v) {
			s->oom = 1;
			return;
		}
		s->v = v;
		s->cap = cap;
	}
	memset(&s->v[s->n], 0, sizeof s->v[s->n]);
	s->v[s->n].d = *d;
	s->n++;
}

static int cmp_dent(const void *a, const void *b)
{
	const dent *x = a, *y = b;
	if (x->d.alg != y->d.alg)
		return x->d.alg < y->d.alg ? -1 : 1;
	return strcmp(x->d.hex, y->d.hex);
}

static void dset_sort(dset *s)
{
	if (s->n > 1)
		qsort(s->v, s->n, sizeof *s->v, cmp_dent);
}

static dent *dset_find(const dset *s, const berth_digest *d)
{
	if (!s->n)
		return NULL;
	dent key;
	memset(&key, 0, sizeof key);
	key.d = *d;
	return bsearch(&key, s->v, s->n, sizeof *s->v, cmp_dent);
}

static void dset_free(dset *s)
{
	free(s->v);
	memset(s, 0, sizeof *s);
}

/* ---- the checker ---- */

typedef struct checker {
	berth_registry *reg;
	const berth_check_options *o;
	berth_check_stats *st;
	dset blobs;          /* every blob with data in the blob store */
	unsigned char *buf;  /* HASH_BUF bytes for re-hashing */
	struct timespec last_progress;
	int progress_shown;
	int oom;
} checker;

static void progress(checker *c, int force)
{
	if (!c->o->progress || !c->o->err)
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long ms = (now.tv_sec - c->last_progress.tv_sec) * 1000 +
		  (now.tv_nsec - c->last_progress.tv_nsec) / 1000000;
	if (!force && c->progress_shown && ms < 100)
		return;
	c->last_progress = now;
	c->progress_shown = 1;
	fprintf(c->o->err, "\rchecked %lu repositories, %lu blobs",
		c->st->repos, c->st->blobs);
	fflush(c->o->err);
}

/* Clear the progress line before a problem line on the same terminal. */
static void progress_clear(checker *c)
{
	if (c->o->progress && c->o->err && c->progress_shown) {
		fputs("\r\033[K", c->o->err);
		fflush(c->o->err);
	}
}

/*
 * Report one problem.  With --repair and a non-NULL `remove_path`, the
 * path (a link's directory, a tag, ...) is removed and the line says so.
 */
__attribute__((format(printf, 3, 4))) static void
problem(checker *c, const char *remove_path, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	c->st->problems++;
	const char *fix = "";
	char fixbuf[64];
	if (c->o->repair && remove_path && *remove_path) {
		int rc = store_remove(&c->reg->store, remove_path);
		if (rc == BERTH_OK || rc == BERTH_E_NOT_FOUND) {
			c->st->repaired++;
			fix = " (repaired: link removed)";
		} else {
			snprintf(fixbuf, sizeof fixbuf,
				 " (repair failed: %s)", store_status_name(rc));
			fix = fixbuf;
		}
	}
	progress_clear(c);
	fprintf(c->o->out, "%s%s\n", msg, fix);
	fflush(c->o->out);
	progress(c, 1);
}

static berth_walk_action collect_files(const char *path,
				       const berth_stat_info *info, void *p)
{
	if (!info->is_dir)
		pathv_push(p, path);
	return ((pathv *)p)->oom ? BERTH_WALK_STOP : BERTH_WALK_CONTINUE;
}

static int collect_child(const char *path, void *p)
{
	pathv_push(p, path);
	return ((pathv *)p)->oom;
}

/* Files below `dir`; a missing directory is empty.  Problems reported. */
static int walk_files(checker *c, const char *label, const char *dir,
		      pathv *out)
{
	int rc = store_walk(&c->reg->store, dir, NULL, collect_files, out);
	if (rc == BERTH_E_NOT_FOUND)
		rc = BERTH_OK;
	if (out->oom) {
		c->oom = 1;
		return BERTH_E_NOMEM;
	}
	if (rc)
		problem(c, NULL, "%s: cannot walk %s: %s", label, dir,
			store_status_name(rc));
	return rc;
}

/* Split `s` in place at '/' into at most `max` parts; the count. */
static int split(char *s, char **parts, int max)
{
	int n = 0;
	while (n < max) {
		parts[n++] = s;
		char *slash = strchr(s, '/');
		if (!slash)
			return n;
		*slash = 0;
		s = slash + 1;
	}
	return max + 1; /* more parts than expected */
}

/* Parse "<alg>" and "<hex>" directory names into a digest. */
static int digest_of(const char *alg, const char *hex, berth_digest *out)
{
	char text[BERTH_DIGEST_MAX + 16];
	size_t la = strlen(alg), lh = strlen(hex);
	if (la + lh + 2 > sizeof text)
		return -1;
	memcpy(text, alg, la);
	text[la] = ':';
	memcpy(text + la + 1, hex, lh + 1);
	return digest_parse(text, out) ? -1 : 0;
}

/* `a` followed by `b` into a BERTH_PATH_MAX buffer; "" if it does not
   fit (drivers reject "", while a cut path could name something else). */
static char *join(char *buf, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la + lb + 1 > BERTH_PATH_MAX) {
		buf[0] = 0;
		return buf;
	}
	memcpy(buf, a, la);
	memcpy(buf + la, b, lb + 1);
	return buf;
}

/* The directory holding a link file ("a/b/link" -> "a/b"), in `buf`. */
static const char *link_dir(const char *link, char *buf)
{
	snprintf(buf, BERTH_PATH_MAX, "%s", link);
	char *slash = strrchr(buf, '/');
	if (slash)
		*slash = 0;
	return buf;
}

/* ---- blobs ---- */

static int rehash(checker *c, const char *path, const berth_digest *want,
		  berth_digest *got)
{
	berth_reader *r = NULL;
	int rc = store_reader(&c->reg->store, path, 0, &r);
	if (rc)
		return rc;
	berth_hasher h;
	digest_hasher_init(&h, want->alg);
	for (;;) {
		size_t n = 0;
		rc = store_read(&c->reg->store, r, c->buf, HASH_BUF, &n);
		if (rc || n == 0)
			break;
		digest_hasher_update(&h, c->buf, n);
	}
	store_reader_close(&c->reg->store, r);
	if (rc == BERTH_OK)
		digest_hasher_final(&h, got);
	return rc;
}

static int check_blobs(checker *c)
{
	char root[BERTH_PATH_MAX];
	snprintf(root, sizeof root, "%s/blobs", BERTH_ROOT);
	pathv files = {0};
	int rc = walk_files(c, "blobs", root, &files);
	size_t skip = strlen(root) + 1;
	for (size_t i = 0; !rc && i < files.n; i++) {
		char rel[BERTH_PATH_MAX];
		snprintf(rel, sizeof rel, "%s", files.v[i] + skip);
		char *p[4];
		berth_digest d;
		if (split(rel, p, 4) != 4 || strcmp(p[3], "data") ||
		    digest_of(p[0], p[2], &d) || strlen(p[1]) != 2 ||
		    strncmp(p[1], p[2], 2)) {
			problem(c, NULL, "blobs: unexpected file %s",
				files.v[i]);
			continue;
		}
		dset_add(&c->blobs, &d);
		c->st->blobs++;
		if (!c->o->fast) {
			berth_digest got;
			char ds[BERTH_DIGEST_MAX], gs[BERTH_DIGEST_MAX];
			digest_format(&d, ds);
			int hrc = rehash(c, files.v[i], &d, &got);
			if (hrc) {
				problem(c, NULL, "blob %s: cannot read: %s", ds,
					store_status_name(hrc));
			} else if (!digest_equal(&got, &d)) {
				c->blobs.v[c->blobs.n - 1].corrupt = 1;
				digest_format(&got, gs);
				problem(c, NULL,
					"blob %s: content does not match its "
					"digest (it hashes to %s)", ds, gs);
			}
		}
		progress(c, 0);
	}
	pathv_free(&files);
	if (c->blobs.oom) {
		c->oom = 1;
		return BERTH_E_NOMEM;
	}
	dset_sort(&c->blobs);
	return rc;
}

/* ---- links ---- */

/*
 * Check one link file `path` that should hold `want`: 1 if it does, 0
 * after reporting a problem (and, repairing, removing the link's
 * directory), -1 if it vanished meanwhile.  `what` names the link in the
 * message ("<repo>: layer link").
 */
static int check_link(checker *c, const char *what, const char *path,
		      const berth_digest *want)
{
	char dir[BERTH_PATH_MAX], ws[BERTH_DIGEST_MAX], gs[BERTH_DIGEST_MAX];
	berth_digest got;
	digest_format(want, ws);
	int rc = registry_read_link(c->reg, path, &got);
	if (rc == BERTH_E_NOT_FOUND)
		return -1;
	if (rc == REGISTRY_E_CORRUPT_LINK) {
		problem(c, link_dir(path, dir), "%s %s: not a valid digest",
			what, ws);
		return 0;
	}
	if (rc) {
		problem(c, NULL, "%s %s: cannot read: %s", what, ws,
			store_status_name(rc));
		return 0;
	}
	if (!digest_equal(&got, want)) {
		digest_format(&got, gs);
		problem(c, link_dir(path, dir), "%s %s: names %s instead", what,
			ws, gs);
		return 0;
	}
	return 1;
}

/*
 * The links below `dir` laid out as <alg>/<hex>/link (layers, revisions):
 * each checked, and those whose blob data exists added to `set`.
 * `kind` is "layer" or "manifest".
 */
static int check_link_tree(checker *c, const char *repo, const char *dir,
			   const char *kind, dset *set)
{
	pathv files = {0};
	int rc = walk_files(c, repo, dir, &files);
	size_t skip = strlen(dir) + 1;
	char what[BERTH_PATH_MAX + 32];
	snprintf(what, sizeof what, "%s: %s link", repo, kind);
	for (size_t i = 0; !rc && i < files.n; i++) {
		char rel[BERTH_PATH_MAX], ldir[BERTH_PATH_MAX];
		snprintf(rel, sizeof rel, "%s", files.v[i] + skip);
		char *p[3];
		berth_digest d;
		/* A revision's record sits next to its link (checked with the
		   manifest). */
		int parts = split(rel, p, 3);
		if (parts == 3 && !strcmp(kind, "manifest") &&
		    !strcmp(p[2], LAYOUT_RECORD_NAME) &&
		    !digest_of(p[0], p[1], &d))
			continue;
		if (parts != 3 || strcmp(p[2], "link") ||
		    digest_of(p[0], p[1], &d)) {
			problem(c, NULL, "%s: unexpected file %s", repo,
				files.v[i]);
			continue;
		}
		if (check_link(c, what, files.v[i], &d) <= 0)
			continue;
		char ds[BERTH_DIGEST_MAX];
		digest_format(&d, ds);
		if (!dset_find(&c->blobs, &d)) {
			problem(c, link_dir(files.v[i], ldir),
				"%s: %s %s: %s data missing", repo, kind, ds,
				strcmp(kind, "layer") ? kind : "blob");
			continue;
		}
		dset_add(set, &d);
	}
	pathv_free(&files);
	if (set->oom) {
		c->oom = 1;
		return BERTH_E_NOMEM;
	}
	dset_sort(set);
	return rc;
}

/* ---- manifests ---- */

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* The record at `rpath` (`rec`, NULL when absent or unreadable) against
   the one the manifest `m` of `len` bytes gives.  A missing record is no
   problem (Distribution writes none; the first read makes it); a wrong
   one would be served, so it is reported and, with --repair, rewritten. */
static void check_record(checker *c, const char *repo, const char *ds,
			 const char *rpath, int have_rec,
			 const berth_manifest_record *rec,
			 const berth_manifest *m, size_t len)
{
	berth_manifest_record want;
	if (!have_rec)
		return;
	if (registry_record_from_manifest(m, len, &want)) {
		c->oom = 1;
		return;
	}
	if (rec && rec->size == want.size &&
	    same_str(rec->media_type, want.media_type) &&
	    rec->has_subject == want.has_subject &&
	    (!rec->has_subject ||
	     digest_equal(&rec->subject, &want.subject)) &&
	    same_str(rec->artifact_type, want.artifact_type) &&
	    same_str(rec->annotations_json, want.annotations_json)) {
		registry_record_free(&want);
		return;
	}
	const char *fix = "";
	if (c->o->repair) {
		size_t tlen;
		char *text = registry_record_format(&want, &tlen);
		int rc = text ? store_put(&c->reg->store, rpath, text, tlen)
			      : BERTH_E_NOMEM;
		free(text);
		if (rc == BERTH_OK) {
			c->st->repaired++;
			fix = " (repaired: record rewritten)";
		} else {
			fix = " (repair failed)";
		}
	}
	/* No path for problem() to remove: the fix is the rewrite. */
	problem(c, NULL, "%s: manifest %s: its record does not match it%s",
		repo, ds, fix);
	registry_record_free(&want);
}

/* Every descriptor of manifest `ds` names a manifest or a blob the
   repository holds, and a blob whose content is sound. */
static void check_refs(checker *c, const char *repo, const char *ds,
		       const berth_manifest *m, const dset *layers,
		       const dset *revisions)
{
	char rs[BERTH_DIGEST_MAX];
	for (size_t i = 0; i < m->nrefs; i++) {
		const berth_manifest_ref *r = &m->refs[i];
		digest_format(&r->digest, rs);
		if (r->is_manifest) {
			if (!dset_find(revisions, &r->digest))
				problem(c, NULL,
					"%s: index %s references manifest %s: "
					"manifest missing", repo, ds, rs);
			continue;
		}
		dent *b = dset_find(&c->blobs, &r->digest);
		if (!b)
			problem(c, NULL,
				"%s: manifest %s references blob %s: blob "
				"data missing", repo, ds, rs);
		else if (!dset_find(layers, &r->digest))
			problem(c, NULL,
				"%s: manifest %s references blob %s: not "
				"linked in the repository", repo, ds, rs);
		else if (b->corrupt)
			problem(c, NULL,
				"%s: manifest %s references blob %s: content "
				"corrupt", repo, ds, rs);
	}
}

/* Parse stored manifest `data`, with the media type its record holds
   (the push resolved it from the Content-Type when the manifest has no
   mediaType), then without.  0, or -1 with the reason in err. */
static int parse_stored(const char *data, size_t len,
			const berth_manifest_record *rec, berth_manifest *m,
			char *err, size_t errlen)
{
	int rc = registry_manifest_parse(data, len, rec ? rec->media_type : NULL,
				      m, err, errlen);
	if (rc && rec)
		rc = registry_manifest_parse(data, len, NULL, m, err, errlen);
	return rc ? -1 : 0;
}

static void check_manifest(checker *c, const char *repo,
			   const berth_digest *d, const dset *layers,
			   const dset *revisions)
{
	char ds[BERTH_DIGEST_MAX];
	digest_format(d, ds);
	c->st->manifests++;
	dent *self = dset_find(&c->blobs, d);
	if (self && self->corrupt) {
		problem(c, NULL, "%s: manifest %s: content corrupt", repo, ds);
		return;
	}
	char *data = NULL;
	size_t len = 0;
	int rc = registry_manifest_read(c->reg, d, &data, &len);
	if (rc) {
		problem(c, NULL, "%s: manifest %s: cannot read: %s", repo, ds,
			store_status_name(rc));
		return;
	}
	char mt[256];
	registry_manifest_media_type(data, len, mt, sizeof mt);
	if (strstr(mt, "distribution.manifest.v1+")) {
		/* Docker schema 1, written by old Distribution: Berth does
		   not parse those, so it cannot vouch for their blobs. */
		free(data);
		return;
	}
	char rpath[BERTH_PATH_MAX];
	char *rtext = NULL;
	size_t rlen = 0;
	berth_manifest_record rec;
	int have_rec = store_get(&c->reg->store,
				 layout_revision_record(rpath, repo, d), &rtext,
				 &rlen) == BERTH_OK;
	int rec_ok = have_rec && !registry_record_parse(rtext, rlen, 1, &rec);
	free(rtext);
	berth_manifest m;
	char err[256];
	rc = parse_stored(data, len, rec_ok ? &rec : NULL, &m, err, sizeof err);
	free(data);
	if (rc) {
		problem(c, NULL, "%s: manifest %s: not a valid manifest: %s",
			repo, ds, err);
	} else {
		check_record(c, repo, ds, rpath, have_rec, rec_ok ? &rec : NULL,
			     &m, len);
		check_refs(c, repo, ds, &m, layers, revisions);
		registry_manifest_free(&m);
	}
	if (rec_ok)
		registry_record_free(&rec);
}

/* ---- tags ---- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static void check_tag(checker *c, const char *repo, const char *tag,
		      const dset *revisions)
{
	char path[BERTH_PATH_MAX], tdir[BERTH_PATH_MAX], ds[BERTH_DIGEST_MAX];
	layout_tag_dir(tdir, repo, tag);
	c->st->tags++;
	berth_digest d;
	int rc = registry_read_link(c->reg, layout_tag_current(path, repo, tag),
				    &d);
	if (rc == BERTH_E_NOT_FOUND) {
		/* A tag write or delete cut short: invisible to clients (a
		   tag exists by its current link), so a leftover like a
		   stale upload, not a problem. */
		c->st->tags--;
		c->st->leftover_tags++;
		if (c->o->repair) {
			int r = store_remove(&c->reg->store, tdir);
			if (r == BERTH_OK || r == BERTH_E_NOT_FOUND)
				c->st->leftovers_removed++;
		}
		return;
	}
	if (rc == REGISTRY_E_CORRUPT_LINK) {
		problem(c, tdir, "%s: tag %s: current link is not a valid "
			"digest", repo, tag);
		return;
	}
	if (rc) {
		problem(c, NULL, "%s: tag %s: cannot read: %s", repo, tag,
			store_status_name(rc));
		return;
	}
	digest_format(&d, ds);
	if (!dset_find(revisions, &d)) {
		problem(c, tdir, "%s: tag %s -> %s: manifest missing", repo,
			tag, ds);
		return;
	}
	/* The index is the tag's history: its links must parse, but may
	   name manifests deleted since.  The whole tag directory is walked,
	   current link included (read above), so that every directory of
	   the tag is listed once (see the top of the file). */
	char what[BERTH_PATH_MAX + 64];
	snprintf(what, sizeof what, "%s: tag %s index link", repo, tag);
	pathv files = {0};
	if (walk_files(c, repo, tdir, &files) == BERTH_OK) {
		size_t skip = strlen(tdir) + 1;
		for (size_t i = 0; i < files.n; i++) {
			char rel[BERTH_PATH_MAX];
			snprintf(rel, sizeof rel, "%s", files.v[i] + skip);
			if (!strcmp(rel, "current/link"))
				continue;
			char *p[4];
			berth_digest id;
			if (split(rel, p, 4) != 4 || strcmp(p[0], "index") ||
			    strcmp(p[3], "link") || digest_of(p[1], p[2], &id)) {
				problem(c, NULL, "%s: unexpected file %s",
					repo, files.v[i]);
				continue;
			}
			check_link(c, what, files.v[i], &id);
		}
	}
	pathv_free(&files);
}

/* Referrer links: <salg>/<shex>/<ralg>/<rhex>/link naming a revision. */
static void check_referrers(checker *c, const char *repo, const char *base,
			    const dset *revisions)
{
	char dir[BERTH_PATH_MAX], ldir[BERTH_PATH_MAX], what[BERTH_PATH_MAX];
	join(dir, base, "/_manifests/referrers");
	snprintf(what, sizeof what, "%s: referrer link", repo);
	pathv files = {0};
	if (walk_files(c, repo, dir, &files) == BERTH_OK) {
		size_t skip = strlen(dir) + 1;
		for (size_t i = 0; i < files.n; i++) {
			char rel[BERTH_PATH_MAX], ds[BERTH_DIGEST_MAX];
			snprintf(rel, sizeof rel, "%s", files.v[i] + skip);
			char *p[5];
			berth_digest subject, d;
			if (split(rel, p, 5) != 5 || strcmp(p[4], "link") ||
			    digest_of(p[0], p[1], &subject) ||
			    digest_of(p[2], p[3], &d)) {
				problem(c, NULL, "%s: unexpected file %s",
					repo, files.v[i]);
				continue;
			}
			if (check_link(c, what, files.v[i], &d) <= 0)
				continue;
			digest_format(&d, ds);
			if (!dset_find(revisions, &d))
				problem(c, link_dir(files.v[i], ldir),
					"%s: referrer link %s: manifest "
					"missing", repo, ds);
		}
	}
	pathv_free(&files);
}

/* ---- uploads ---- */

static int64_t parse_started(const char *text)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	if (!strptime(text, "%Y-%m-%dT%H:%M:%S", &tm))
		return -1;
	return (int64_t)timegm(&tm);
}

static void check_uploads(checker *c, const char *repo, const char *base)
{
	char dir[BERTH_PATH_MAX], path[BERTH_PATH_MAX];
	join(dir, base, "/_uploads");
	pathv ids = {0};
	int rc = store_list(&c->reg->store, dir, collect_child, &ids);
	if (ids.oom)
		c->oom = 1;
	if (rc && rc != BERTH_E_NOT_FOUND)
		problem(c, NULL, "%s: cannot list %s: %s", repo, dir,
			store_status_name(rc));
	int64_t now = (int64_t)time(NULL);
	for (size_t i = 0; !rc && i < ids.n; i++) {
		c->st->uploads++;
		char *text = NULL;
		size_t len = 0;
		int64_t started = -1;
		join(path, ids.v[i], "/startedat");
		if (store_get(&c->reg->store, path, &text, &len) == BERTH_OK)
			started = parse_started(text);
		free(text);
		/* An upload without a readable start time (a remove cut
		   short) is abandoned for good: nothing can finish it. */
		int stale = started < 0 || now - started > c->o->upload_age_s;
		if (stale)
			c->st->stale_uploads++;
		if (!c->o->repair || !(stale || c->o->purge_uploads))
			continue;
		int r = store_remove(&c->reg->store, ids.v[i]);
		if (r == BERTH_OK || r == BERTH_E_NOT_FOUND)
			c->st->uploads_removed++;
		else
			problem(c, NULL, "%s: upload %s: cannot remove: %s",
				repo, base_name(ids.v[i]),
				store_status_name(r));
	}
	pathv_free(&ids);
}

/* ---- repositories ---- */

static void check_repo(checker *c, const char *repo)
{
	char base[BERTH_PATH_MAX], dir[BERTH_PATH_MAX];
	dset layers = {0}, revisions = {0};
	layout_repo(base, repo);

	join(dir, base, "/_layers");
	int rc = check_link_tree(c, repo, dir, "layer", &layers);
	c->st->layers += layers.n;
	join(dir, base, "/_manifests/revisions");
	if (!rc)
		rc = check_link_tree(c, repo, dir, "manifest", &revisions);
	for (size_t i = 0; !rc && i < revisions.n; i++)
		check_manifest(c, repo, &revisions.v[i].d, &layers, &revisions);

	pathv tags = {0};
	if (!rc) {
		int lrc = store_list(&c->reg->store, layout_tags_dir(dir, repo),
				     collect_child, &tags);
		if (tags.oom)
			c->oom = 1;
		if (lrc && lrc != BERTH_E_NOT_FOUND)
			problem(c, NULL, "%s: cannot list tags: %s", repo,
				store_status_name(lrc));
		else if (!lrc && tags.n > 1)
			qsort(tags.v, tags.n, sizeof *tags.v, cmp_str);
	}
	for (size_t i = 0; !rc && !c->oom && i < tags.n; i++) {
		const char *tag = base_name(tags.v[i]);
		if (!names_tag_valid(tag)) {
			problem(c, NULL, "%s: unexpected entry %s", repo,
				tags.v[i]);
			continue;
		}
		check_tag(c, repo, tag, &revisions);
	}
	pathv_free(&tags);
	if (!rc && !c->oom)
		check_referrers(c, repo, base, &revisions);
	if (!rc && !c->oom)
		check_uploads(c, repo, base);
	dset_free(&layers);
	dset_free(&revisions);
}

long registry_check_storage(berth_registry *reg, const berth_check_options *o,
			    berth_check_stats *st)
{
	checker c;
	memset(&c, 0, sizeof c);
	memset(st, 0, sizeof *st);
	c.reg = reg;
	c.o = o;
	c.st = st;
	c.buf = malloc(HASH_BUF);
	if (!c.buf)
		return BERTH_E_NOMEM;
	progress(&c, 1);
	check_blobs(&c);
	char **names = NULL;
	size_t n = 0;
	if (!c.oom) {
		int crc = registry_catalog(reg, &names, &n);
		if (crc == BERTH_E_NOMEM)
			c.oom = 1;
		else if (crc)
			problem(&c, NULL, "repositories: cannot walk: %s",
				store_status_name(crc));
	}
	for (size_t i = 0; !c.oom && i < n; i++) {
		check_repo(&c, names[i]);
		st->repos++;
		progress(&c, 0);
	}
	registry_strv_free(names, n);
	if (c.progress_shown) {
		progress(&c, 1);
		fputc('\n', o->err);
	}
	dset_free(&c.blobs);
	free(c.buf);
	if (c.oom)
		return BERTH_E_NOMEM;
	return (long)st->problems;
}

/* ---- the command ---- */
