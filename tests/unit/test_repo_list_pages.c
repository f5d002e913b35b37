/*
 * test_repo_list_pages.c - tag list and catalog pages over directories
 * large enough for the filesystem driver to cache their sorted listings:
 * exact pages (strcmp order, `last` exclusive, `more` only when another
 * entry follows, tags without a current link left out), and a tag or
 * repository added or removed right after a page was served -- through
 * the repository layer or by plain system calls, as another process
 * would -- shows on the very next page.
 *
 * The layout is written with plain mkdir/open (fast, no fsync), then the
 * case waits until it is more than 2 s old: the driver keeps a listing
 * only then, so every later page really is served from the cache.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "registry/blobs.h"
#include "registry/layout.h"
#include "registry/manifests.h"
#include "repo_fixture.h"
#include "test.h"

#define NTAGS 300
#define NREPOS 300

static const char LINK[] =
	"sha256:0000000000000000000000000000000000000000000000000000000000000000";

/* mkdir -p of <root><path>, and a "link" file in it when `link`. */
static void make(repo_fixture *f, const char *path, int link)
{
	char p[1024];
	int n = snprintf(p, sizeof p, "%s%s", f->root, path);
	for (char *s = p + strlen(f->root) + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			mkdir(p, 0755);
			*s = '/';
		}
	CHECK(mkdir(p, 0755) == 0 || errno == EEXIST);
	if (!link)
		return;
	snprintf(p + n, sizeof p - (size_t)n, "/link");
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK(write(fd, LINK, sizeof LINK - 1) == sizeof LINK - 1);
		close(fd);
	}
}

static void make_tag(repo_fixture *f, const char *repo, const char *tag)
{
	char p[BERTH_PATH_MAX];
	layout_tag_current(p, repo, tag);
	*strrchr(p, '/') = 0; /* ".../current" */
	make(f, p, 1);
}

static void make_repo(repo_fixture *f, const char *name)
{
	char p[BERTH_PATH_MAX];
	snprintf(p, sizeof p, BERTH_ROOT "/repositories/%s/_manifests", name);
	make(f, p, 0);
}

/* Write the page as "a,b,c" plus ";more" when more is set; frees it. */
static void page_text(char **v, size_t n, int more, char *out, size_t cap)
{
	out[0] = 0;
	for (size_t i = 0; i < n; i++)
		snprintf(out + strlen(out), cap - strlen(out), "%s%s",
			 i ? "," : "", v[i]);
	if (more)
		snprintf(out + strlen(out), cap - strlen(out), ";more");
	registry_strv_free(v, n);
}

/* A tag page as page_text writes it. */
static void tags_page(repo_fixture *f, const char *repo, const char *last,
		      size_t limit, int want_rc, char *out, size_t cap)
{
	char **v = NULL;
	size_t n = 0;
	int more = 0;
	CHECK_EQ_INT(
		registry_tags_page(&f->reg, repo, last, limit, &v, &n, &more),
		want_rc);
	page_text(v, n, more, out, cap);
}

static void catalog_page(repo_fixture *f, const char *last, size_t limit,
			 char *out, size_t cap)
{
	char **v = NULL;
	size_t n = 0;
	int more = 0;
	CHECK_EQ_INT(registry_catalog_page(&f->reg, last, limit, &v, &n, &more),
		     BERTH_OK);
	page_text(v, n, more, out, cap);
}

/* The first `k` comma-separated items of `s`. */
static const char *head(const char *s, int k, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s", s);
	char *c = buf;
	for (int i = 0; i < k && c; i++) {
		c = strchr(c, ',');
		if (c && i < k - 1)
			c++;
	}
	if (c)
		*c = 0;
	return buf;
}

TEST(repo_list_pages_see_changes_at_once)
{
	repo_fixture f;
	CHECK(repo_fixture_setup(&f) == 0);
	if (f.driver == NULL)
		return;
	berth_registry *reg = &f.reg;
	char name[32], out[1024], h[256], p[BERTH_PATH_MAX];
	for (int i = 0; i < NTAGS; i++) {
		snprintf(name, sizeof name, "t%03d", i);
		make_tag(&f, "big", name);
	}
	/* a tag directory without its current link is no tag */
	layout_tag_dir(p, "big", "t1006");
	make(&f, p, 0);
	make_repo(&f, "small");
	for (int i = 0; i < NREPOS; i++) {
		snprintf(name, sizeof name, "many/r%03d", i);
		make_repo(&f, name);
	}
	sleep(3); /* older than the driver's 2 s margin: listings cached */

	tags_page(&f, "big", NULL, 100, BERTH_OK, out, sizeof out);
	CHECK_STR(head(out, 3, h, sizeof h), "t000,t001,t002");
	CHECK(strstr(out, ",t099;more") && !strstr(out, "t100"));
	tags_page(&f, "big", "t099", 100, BERTH_OK, out, sizeof out);
	CHECK_STR(head(out, 2, h, sizeof h), "t100,t101");
	CHECK(strstr(out, ",t199;more") != NULL);

	/* Added through the driver right after the page was served. */
	CHECK_EQ_INT(store_put(&reg->store,
			       layout_tag_current(p, "big", "t0995"), LINK,
			       sizeof LINK - 1),
		     BERTH_OK);
	tags_page(&f, "big", "t099", 3, BERTH_OK, out, sizeof out);
	CHECK_STR(out, "t0995,t100,t101;more");
	/* Deleted through the repository layer. */
	CHECK_EQ_INT(registry_tag_delete(reg, "big", "t100"), BERTH_OK);
	tags_page(&f, "big", "t0995", 2, BERTH_OK, out, sizeof out);
	CHECK_STR(out, "t101,t102;more");
	/* Added and removed by another process. */
	make_tag(&f, "big", "t1005");
	tags_page(&f, "big", "t100", 2, BERTH_OK, out, sizeof out);
	CHECK_STR(out, "t1005,t101;more"); /* t1006 has no current link */
	layout_tag_dir(p, "big", "t1005");
	CHECK_EQ_INT(store_remove(&reg->store, p), BERTH_OK);
	tags_page(&f, "big", "t100", 2, BERTH_OK, out, sizeof out);
	CHECK_STR(out, "t101,t102;more");

	/* The end of the list: `more` only when another tag follows. */
	tags_page(&f, "big", "t289", 10, BERTH_OK, out, sizeof out);
	CHECK_STR(out, "t290,t291,t292,t293,t294,t295,t296,t297,t298,t299");
	tags_page(&f, "big", "t288", 10, BERTH_OK, out, sizeof out);
	CHECK(strstr(out, "t289,") == out && strstr(out, "t298;more"));
	tags_page(&f, "big", "t299", 10, BERTH_OK, out, sizeof out);
	CHECK_STR(out, "");
	tags_page(&f, "big", "zzz", 10, BERTH_OK, out, sizeof out);
	CHECK_STR(out, "");
	tags_page(&f, "big", "t1", 1, BERTH_OK, out, sizeof out);
	CHECK_STR(out, "t101;more"); /* a `last` that is no tag */
	tags_page(&f, "big", NULL, 0, BERTH_OK, out, sizeof out);
	CHECK_STR(out, ";more");
	/* No tags: an existing repository lists none, a missing one is
	   not found. */
	tags_page(&f, "small", NULL, 10, BERTH_OK, out, sizeof out);
	CHECK_STR(out, "");
	tags_page(&f, "small", "a", 10, BERTH_OK, out, sizeof out);
	CHECK_STR(out, "");
	tags_page(&f, "nope", NULL, 10, BERTH_E_NOT_FOUND, out, sizeof out);
	tags_page(&f, "nope", "a", 10, BERTH_E_NOT_FOUND, out, sizeof out);

	/* Every tag, in order. */
	char **v = NULL;
	size_t n = 0;
	CHECK_EQ_INT(registry_tags_list(reg, "big", &v, &n), BERTH_OK);
	CHECK_EQ_INT(n, NTAGS); /* + t0995 - t100 */
	for (size_t i = 1; i < n; i++)
		CHECK(strcmp(v[i - 1], v[i]) < 0);
	registry_strv_free(v, n);

	/* The catalog, with the repositories' parent cached. */
	catalog_page(&f, NULL, 3, out, sizeof out);
	CHECK_STR(out, "big,many/r000,many/r001;more");
	catalog_page(&f, "many/r149", 2, out, sizeof out);
	CHECK_STR(out, "many/r150,many/r151;more");
	make_repo(&f, "many/r1495"); /* another process, same second */
	catalog_page(&f, "many/r149", 2, out, sizeof out);
	CHECK_STR(out, "many/r1495,many/r150;more");
	CHECK_EQ_INT(
		store_remove(&reg->store, BERTH_ROOT "/repositories/many/r150"),
		BERTH_OK);
	catalog_page(&f, "many/r1495", 2, out, sizeof out);
	CHECK_STR(out, "many/r151,many/r152;more");
	catalog_page(&f, "many/r298", 2, out, sizeof out);
	CHECK_STR(out, "many/r299,small");
	repo_fixture_teardown(&f);
}
