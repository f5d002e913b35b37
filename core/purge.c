/*
 * purge.c - the upload purger: walks repositories/ for
 * _uploads/<id>/startedat, and removes uploads older than the cut-off.
 * Layer and manifest directories are skipped, so the walk costs one visit
 * per repository plus one per upload.
 */
#define _XOPEN_SOURCE 700
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "layout.h"
#include "log.h"
#include "purge.h"

typedef struct purge_walk {
	berth_app *app;
	int64_t cutoff;
	int dryrun;
	long found;
	char (*victims)[BERTH_PATH_MAX];
	size_t n, cap;
} purge_walk;

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

/* Parse Distribution's RFC 3339 `startedat` ("2006-01-02T15:04:05Z",
   possibly with fractional seconds); returns -1 if it does not parse. */
static int64_t parse_started(const char *text)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *end = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		return -1;
	return (int64_t)timegm(&tm);
}

static berth_walk_action visit(const char *path, const berth_stat_info *info,
			       void *payload)
{
	purge_walk *w = payload;
	const char *name = base_name(path);
	if (info->is_dir) {
		if (!strcmp(name, "_layers") || !strcmp(name, "_manifests") ||
		    !strcmp(name, "hashstates"))
			return BERTH_WALK_SKIP_DIR;
		return BERTH_WALK_CONTINUE;
	}
	if (strcmp(name, "startedat") || !strstr(path, "/_uploads/"))
		return BERTH_WALK_CONTINUE;
	char *text = NULL;
	size_t len = 0;
	if (store_get(&w->app->store, path, &text, &len) != BERTH_OK)
		return BERTH_WALK_CONTINUE;
	int64_t started = parse_started(text);
	free(text);
	if (started < 0 || started >= w->cutoff)
		return BERTH_WALK_CONTINUE;
	w->found++;
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		void *v = realloc(w->victims, cap * sizeof *w->victims);
		if (!v)
			return BERTH_WALK_STOP;
		w->victims = v;
		w->cap = cap;
	}
	/* the upload directory: strip "/startedat" */
	snprintf(w->victims[w->n], BERTH_PATH_MAX, "%.*s",
		 (int)(name - path - 1), path);
	w->n++;
	return BERTH_WALK_CONTINUE;
}

long berth_purge_uploads(berth_app *app, int64_t cutoff, int dryrun)
{
	char root[BERTH_PATH_MAX];
	purge_walk w = {.app = app, .cutoff = cutoff, .dryrun = dryrun};
	int rc = store_walk(&app->store, layout_repos_root(root), NULL, visit,
			    &w);
	if (rc && rc != BERTH_E_NOT_FOUND) {
		free(w.victims);
		return rc;
	}
	/* Remove after the walk, so the walk never sees a tree it is
	   changing. */
	for (size_t i = 0; i < w.n; i++) {
		if (dryrun) {
			LOG_INFO("purge (dry run): would remove %s",
				 w.victims[i]);
			continue;
		}
		rc = store_remove(&app->store, w.victims[i]);
		if (rc && rc != BERTH_E_NOT_FOUND)
			LOG_WARN("purge: cannot remove %s: %s", w.victims[i],
				 berth_status_name(rc));
		else
			LOG_INFO("purge: removed abandoned upload %s",
				 w.victims[i]);
	}
	free(w.victims);
	return w.found;
}

static pthread_t purge_thread;
static int purge_running;
static pthread_mutex_t purge_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t purge_cv = PTHREAD_COND_INITIALIZER;
static int purge_stop_flag;

static void *purge_main(void *arg)
{
	berth_app *app = arg;
	const berth_settings *cfg = app->cfg;
	for (;;) {
		int64_t now = (int64_t)time(NULL);
		long n = berth_purge_uploads(app, now - cfg->purge_age_s,
					     cfg->purge_dryrun);
		if (n < 0)
			LOG_WARN("purge: walking the uploads failed: %s",
				 berth_status_name((int)n));
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += cfg->purge_interval_s > 0 ? cfg->purge_interval_s
							  : 86400;
		pthread_mutex_lock(&purge_mu);
		while (!purge_stop_flag &&
		       pthread_cond_timedwait(&purge_cv, &purge_mu, &until) == 0)
			;
		int stop = purge_stop_flag;
		pthread_mutex_unlock(&purge_mu);
		if (stop)
			return NULL;
	}
}

int berth_purge_start(berth_app *app)
{
	if (!app->cfg->purge_enabled || app->cfg->readonly)
		return 0;
	purge_stop_flag = 0;
	if (pthread_create(&purge_thread, NULL, purge_main, app))
		return -1;
	purge_running = 1;
	return 0;
}

void berth_purge_stop(void)
{
	if (!purge_running)
		return;
	pthread_mutex_lock(&purge_mu);
	purge_stop_flag = 1;
	pthread_cond_broadcast(&purge_cv);
	pthread_mutex_unlock(&purge_mu);
	pthread_join(purge_thread, NULL);
	purge_running = 0;
}
