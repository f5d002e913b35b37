/*
 * repo_manifests.c - manifests, tags, the catalog and referrers in CNCF
 * Distribution's storage layout.
 *
 * A manifest is a blob in the shared content-addressed store; repository
 * R holds it when R's revision link names it.  A tag is a directory with
 * a "current" link (the digest it names now) and an "index" of every
 * digest it has named.  Referrers are Berth's addition: a link per
 * referring manifest under the subject's digest, so the referrers API
 * needs no scan of every revision.
 *
 * Crash and concurrency safety come from the order of writes (every link
 * is written only after what it points at exists, a tag's current link
 * last) and from each write being atomic (put_content).  Changes to one
 * repository's links are serialised by an app lock, so a delete that
 * removes the tags naming a manifest cannot remove a tag a concurrent
 * PUT has just moved to another manifest.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "layout.h"
#include "names.h"
#include "repo.h"
#include "repo_manifests.h"

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

void repo_strv_free(char **v, size_t n)
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

static void lock_repo(berth_app *app, const char *name, char *key,
		      size_t cap)
{
	snprintf(key, cap, "manifests:%s", name);
	app_lock(app, key);
}

/* ---- manifests ---- */

int repo_manifest_exists(berth_app *app, const char *name,
			 const berth_digest *d)
{
	char path[BERTH_PATH_MAX];
	berth_digest linked;
	int rc = repo_read_link(app, layout_revision_link(path, name, d),
				&linked);
	if (rc == BERTH_E_NOT_FOUND || rc == REPO_E_CORRUPT_LINK ||
	    (rc == BERTH_OK && !berth_digest_equal(&linked, d)))
		return 0; /* a corrupt link does not make it present */
	if (rc)
		return rc;
	uint64_t size;
	rc = repo_blob_size(app, d, &size);
	if (rc == BERTH_E_NOT_FOUND)
		return 0;
	return rc ? rc : 1;
}

int repo_manifest_resolve(berth_app *app, const char *name, const char *ref,
			  berth_digest *out)
{
	char path[BERTH_PATH_MAX];
	int rc;
	if (strchr(ref, ':')) {
		if (berth_digest_parse(ref, out))
			return BERTH_E_INVALID_ARGUMENT;
	} else {
		if (!berth_tag_valid(ref))
			return BERTH_E_INVALID_ARGUMENT;
		rc = repo_read_link(app, layout_tag_current(path, name, ref),
				    out);
		if (rc == REPO_E_CORRUPT_LINK)
			return BERTH_E_NOT_FOUND; /* corrupt tag link */
		if (rc)
			return rc;
	}
	rc = repo_manifest_exists(app, name, out);
	if (rc < 0)
		return rc;
	return rc ? BERTH_OK : BERTH_E_NOT_FOUND;
}

int repo_manifest_read(berth_app *app, const berth_digest *d, char **data,
		       size_t *len)
{
	char path[BERTH_PATH_MAX];
	return store_get(&app->store, layout_blob_data(path, d), data, len);
}

const char *repo_manifest_media_type(const char *data, size_t len, char *buf,
				     size_t cap)
{
	const char *mt = "application/json";
	json_t *root = json_loadb(data, len, JSON_DECODE_ANY, NULL);
	json_t *member = json_object_get(root, "mediaType");
	json_t *sv = json_object_get(root, "schemaVersion");
	if (json_is_string(member) && json_string_length(member) > 0)
		mt = json_string_value(member);
	else if (json_is_integer(sv) && json_integer_value(sv) == 1)
		mt = json_object_get(root, "signatures")
			     ? "application/vnd.docker.distribution.manifest.v1+prettyjws"
			     : "application/vnd.docker.distribution.manifest.v1+json";
	else if (json_object_get(root, "manifests"))
		mt = MT_OCI_INDEX;
	else if (json_object_get(root, "config"))
		mt = MT_OCI_MANIFEST;
	snprintf(buf, cap, "%s", mt);
	/* A stored type with bytes that could split a header line is not
	   repeated to clients. */
	if (strpbrk(buf, "\r\n"))
		snprintf(buf, cap, "application/json");
	json_decref(root);
	return buf;
}

/* 1 if every reference of `m` is present, 0 with *missing, or <0. */
static int refs_present(berth_app *app, const char *name,
			const berth_manifest *m, berth_digest *missing)
{
	for (size_t i = 0; i < m->nrefs; i++) {
		const berth_manifest_ref *r = &m->refs[i];
		int rc = r->is_manifest
				 ? repo_manifest_exists(app, name, &r->digest)
				 : repo_blob_linked(app, name, &r->digest);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			*missing = r->digest;
			return 0;
		}
	}
	return 1;
}

int repo_manifest_put(berth_app *app, const char *name, const char *tag,
		      const berth_digest *d, const char *data, size_t len,
		      const berth_manifest *m, berth_digest *missing)
{
	char path[BERTH_PATH_MAX], key[BERTH_PATH_MAX];
	int rc = refs_present(app, name, m, missing);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return 1;

	/* Content-addressed: existing data with this digest is these bytes. */
	layout_blob_data(path, d);
	rc = store_exists(&app->store, path);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		rc = store_put(&app->store, path, data, len);
		if (rc)
			return rc;
	}

	lock_repo(app, name, key, sizeof key);
	rc = repo_write_link(app, layout_revision_link(path, name, d), d);
	if (!rc && m->has_subject)
		rc = repo_write_link(
			app, layout_referrer_link(path, name, &m->subject, d),
			d);
	if (!rc && tag)
		rc = repo_write_link(
			app, layout_tag_index(path, name, tag, d), d);
	if (!rc && tag)
		rc = repo_write_link(app, layout_tag_current(path, name, tag),
				     d);
	app_unlock(app, key);
	return rc;
}

/*
 * Remove tag `tag`: its current link first, then the rest of its
 * directory.  A recursive remove is not atomic, so a crash part-way
 * must not leave a current link behind with half an index: without its
 * current link a tag is invisible (repo_tags_list skips it) whatever else
 * is left.  BERTH_E_NOT_FOUND if the tag had no current link.
 */
static int remove_tag(berth_app *app, const char *name, const char *tag)
{
	char path[BERTH_PATH_MAX];
	int rc = store_remove(&app->store, layout_tag_current(path, name, tag));
	if (rc && rc != BERTH_E_NOT_FOUND)
		return rc;
	int rc2 = store_remove(&app->store, layout_tag_dir(path, name, tag));
	if (rc2 && rc2 != BERTH_E_NOT_FOUND)
		return rc2;
	return rc;
}

typedef struct tag_scan {
	berth_app *app;
	const char *name;
	const berth_digest *d;
	strv doomed; /* tag names whose current link names d */
	int err;     /* a tag that could not be read: delete nothing */
} tag_scan;

static int scan_tag(const char *child, void *p)
{
	tag_scan *s = p;
	const char *tag = base_name(child);
	char path[BERTH_PATH_MAX];
	berth_digest cur;
	if (!berth_tag_valid(tag))
		return 0;
	int rc = repo_read_link(s->app, layout_tag_current(path, s->name, tag),
				&cur);
	if (rc == BERTH_OK && berth_digest_equal(&cur, s->d))
		return strv_push(&s->doomed, tag, strlen(tag));
	/* A tag we cannot read may name d: removing the revision anyway
	   would leave it dangling. */
	if (rc && rc != BERTH_E_NOT_FOUND && rc != REPO_E_CORRUPT_LINK) {
		s->err = rc;
		return 1;
	}
	return 0;
}

int repo_manifest_delete(berth_app *app, const char *name,
			 const berth_digest *d)
{
	char path[BERTH_PATH_MAX], key[BERTH_PATH_MAX];
	lock_repo(app, name, key, sizeof key);
	int rc = repo_manifest_exists(app, name, d);
	if (rc <= 0) {
		app_unlock(app, key);
		return rc < 0 ? rc : BERTH_E_NOT_FOUND;
	}

	/* Tags first: a crash part-way leaves a manifest without some of
	   its tags, never a tag naming a deleted manifest. */
	tag_scan s = {app, name, d, {0}, 0};
	rc = store_list(&app->store, layout_tags_dir(path, name), scan_tag,
			&s);
	if (rc == BERTH_E_NOT_FOUND)
		rc = BERTH_OK;
	if (!rc && s.err)
		rc = s.err;
	if (!rc && s.doomed.oom)
		rc = BERTH_E_NOMEM;
	for (size_t i = 0; !rc && i < s.doomed.n; i++) {
		rc = remove_tag(app, name, s.doomed.v[i]);
		if (rc == BERTH_E_NOT_FOUND)
			rc = BERTH_OK;
	}
	repo_strv_free(s.doomed.v, s.doomed.n);

	if (!rc) {
		char *data = NULL;
		size_t len = 0;
		berth_manifest m;
		if (repo_manifest_read(app, d, &data, &len) == BERTH_OK &&
		    berth_manifest_parse(data, len, NULL, &m, NULL, 0) == 0) {
			if (m.has_subject) {
				layout_referrer_link(path, name, &m.subject, d);
				strip_last(path);
				rc = store_remove(&app->store, path);
				if (rc == BERTH_E_NOT_FOUND)
					rc = BERTH_OK;
			}
			berth_manifest_free(&m);
		}
		free(data);
	}
	if (!rc) {
		rc = store_remove(&app->store,
				  layout_revision_dir(path, name, d));
		if (rc == BERTH_E_NOT_FOUND)
			rc = BERTH_OK;
	}
	app_unlock(app, key);
	return rc;
}

int repo_tag_delete(berth_app *app, const char *name, const char *tag)
{
	char key[BERTH_PATH_MAX];
	if (!berth_tag_valid(tag))
		return BERTH_E_NOT_FOUND;
	lock_repo(app, name, key, sizeof key);
	int rc = remove_tag(app, name, tag);
	app_unlock(app, key);
	return rc;
}

/* ---- tags and catalog ---- */

int repo_exists(berth_app *app, const char *name)
{
	static const char *const kids[] = {"_manifests", "_layers",
					   "_uploads"};
	char path[BERTH_PATH_MAX], repo[BERTH_PATH_MAX];
	layout_repo(repo, name);
	for (size_t i = 0; i < sizeof kids / sizeof kids[0]; i++) {
		int n = snprintf(path, sizeof path, "%s/%s", repo, kids[i]);
		if (n < 0 || (size_t)n >= sizeof path)
			return 0;
		int rc = store_exists(&app->store, path);
		if (rc)
			return rc;
	}
	return 0;
}

typedef struct tags_walk {
	berth_app *app;
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
	if (!berth_tag_valid(tag) || (t->last && strcmp(tag, t->last) <= 0))
		return BERTH_WALK_SKIP_DIR;
	/* A tag exists once its current link does: a crash between the
	   index link and the current link of a first tag write, or in the
	   middle of a tag delete, leaves a directory without one, which
	   must not be listed as a tag that then answers 404. */
	int e = store_exists(&t->app->store,
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

int repo_tags_page(berth_app *app, const char *name, const char *last,
		   size_t limit, char ***out, size_t *n, int *more)
{
	char dir[BERTH_PATH_MAX], after[BERTH_PATH_MAX];
	tags_walk t = {.app = app, .name = name, .last = last,
		       .limit = limit};
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
	int rc = store_walk(&app->store, dir, start, tag_entry, &t);
	if (!rc)
		rc = t.rc;
	if (!rc && t.tags.oom)
		rc = BERTH_E_NOMEM;
	/* No tags directory (or one a driver reports as empty, as object
	   stores do for a missing prefix): the repository may still exist
	   without tags. */
	if (rc == BERTH_E_NOT_FOUND || (!rc && !t.seen)) {
		repo_strv_free(t.tags.v, t.tags.n);
		t.tags = (strv){0};
		t.more = 0;
		rc = repo_exists(app, name);
		rc = rc < 0 ? rc : rc ? BERTH_OK : BERTH_E_NOT_FOUND;
	}
	if (rc) {
		repo_strv_free(t.tags.v, t.tags.n);
		return rc;
	}
	*out = t.tags.v;
	*n = t.tags.n;
	*more = t.more;
	return BERTH_OK;
}

int repo_tags_list(berth_app *app, const char *name, char ***out, size_t *n)
{
	int more;
	return repo_tags_page(app, name, NULL, SIZE_MAX, out, n, &more);
}

typedef struct catalog_walk {
	size_t root_len; /* strlen of ".../repositories/" */
	strv names;
	const char *last; /* the previous page's last name, or NULL */
	size_t limit;     /* names wanted */
	int more;         /* a name beyond the page exists */
	berth_app *app;
	int rc;           /* storage error met during the walk */
} catalog_walk;

/* A directory is a repository when it holds _manifests, _layers or
   _uploads. */
static int is_repository(berth_app *app, const char *dir)
{
	static const char *const marks[] = {"_manifests", "_layers",
					    "_uploads"};
	char path[BERTH_PATH_MAX];
	for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
		if (snprintf(path, sizeof path, "%s/%s", dir, marks[i]) >=
		    (int)sizeof path)
			return 0;
		int rc = store_exists(&app->store, path);
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
	if (!berth_name_valid(name, len))
		return BERTH_WALK_SKIP_DIR;
	if (c->last && !strcmp(c->last, name))
		return BERTH_WALK_CONTINUE;
	int rc = is_repository(c->app, path);
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

int repo_catalog_page(berth_app *app, const char *last, size_t limit,
		      char ***out, size_t *n, int *more)
{
	char root[BERTH_PATH_MAX], after[BERTH_PATH_MAX];
	catalog_walk c = {.last = last, .limit = limit, .app = app};
	*out = NULL;
	*n = 0;
	*more = 0;
	layout_repos_root(root);
	c.root_len = strlen(root) + 1;
	/* The walk resumes after `last` and stops once the page is full, so
	   a page costs the same whatever the number of repositories. */
	const char *start = page_start(after, root, last);
	int rc = store_walk(&app->store, root, start, catalog_entry, &c);
	if (rc == BERTH_E_NOT_FOUND)
		rc = BERTH_OK;
	if (!rc)
		rc = c.rc;
	if (!rc && c.names.oom)
		rc = BERTH_E_NOMEM;
	if (rc) {
		repo_strv_free(c.names.v, c.names.n);
		return rc;
	}
	/* Keep the walk's order, which is the order `last` resumes in
	   (sorting by bytes would put "a-b" before "a/b"). */
	*out = c.names.v;
	*n = c.names.n;
	*more = c.more;
	return BERTH_OK;
}

int repo_catalog(berth_app *app, char ***out, size_t *n)
{
	int more;
	return repo_catalog_page(app, NULL, SIZE_MAX, out, n, &more);
}

/* ---- referrers ---- */

static berth_walk_action referrer_link(const char *path,
				       const berth_stat_info *info, void *p)
{
	if (!info->is_dir && strcmp(base_name(path), "link") == 0 &&
	    strv_push(p, path, strlen(path)))
		return BERTH_WALK_STOP;
	return BERTH_WALK_CONTINUE;
}

static int cmp_referrer(const void *a, const void *b)
{
	const repo_referrer *x = a, *y = b;
	if (x->digest.alg != y->digest.alg)
		return x->digest.alg < y->digest.alg ? -1 : 1;
	return strcmp(x->digest.hex, y->digest.hex);
}

void repo_referrers_free(repo_referrer *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].media_type);
		free(v[i].artifact_type);
		free(v[i].annotations_json);
	}
	free(v);
}

/* Describe the referrer behind one link; 1 if added, 0 if skipped (a
   stale link or a manifest that no longer names the subject), <0. */
static int describe_referrer(berth_app *app, const char *name,
			     const berth_digest *subject, const char *link,
			     repo_referrer *r)
{
	berth_digest d;
	int rc = repo_read_link(app, link, &d);
	if (rc == BERTH_E_NOT_FOUND || rc == REPO_E_CORRUPT_LINK)
		return 0;
	if (rc)
		return rc;
	rc = repo_manifest_exists(app, name, &d);
	if (rc <= 0)
		return rc;
	char *data = NULL;
	size_t len = 0;
	rc = repo_manifest_read(app, &d, &data, &len);
	if (rc)
		return rc == BERTH_E_NOT_FOUND ? 0 : rc;
	berth_manifest m;
	int ok = berth_manifest_parse(data, len, NULL, &m, NULL, 0) == 0;
	free(data);
	if (!ok)
		return 0;
	if (!m.has_subject || !berth_digest_equal(&m.subject, subject)) {
		berth_manifest_free(&m);
		return 0;
	}
	memset(r, 0, sizeof *r);
	r->digest = d;
	r->size = len;
	/* Ownership of the strings moves to the referrer. */
	r->media_type = m.media_type;
	r->artifact_type = m.artifact_type;
	r->annotations_json = m.annotations_json;
	m.media_type = m.artifact_type = m.annotations_json = NULL;
	berth_manifest_free(&m);
	return 1;
}

int repo_referrers(berth_app *app, const char *name,
		   const berth_digest *subject, repo_referrer **out,
		   size_t *n)
{
	char path[BERTH_PATH_MAX];
	strv links = {0};
	*out = NULL;
	*n = 0;
	int rc = store_walk(&app->store,
			    layout_referrers_dir(path, name, subject), NULL,
			    referrer_link, &links);
	if (rc == BERTH_E_NOT_FOUND)
		rc = BERTH_OK;
	if (!rc && links.oom)
		rc = BERTH_E_NOMEM;
	repo_referrer *v = NULL;
	size_t count = 0;
	if (!rc && links.n) {
		v = calloc(links.n, sizeof *v);
		if (!v)
			rc = BERTH_E_NOMEM;
	}
	for (size_t i = 0; !rc && i < links.n; i++) {
		int got = describe_referrer(app, name, subject, links.v[i],
					    &v[count]);
		if (got < 0)
			rc = got;
		else
			count += (size_t)got;
	}
	repo_strv_free(links.v, links.n);
	if (rc) {
		repo_referrers_free(v, count);
		return rc;
	}
	if (count > 1)
		qsort(v, count, sizeof *v, cmp_referrer);
	*out = v;
	*n = count;
	return BERTH_OK;
}
