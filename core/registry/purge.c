/*
 * registry/purge.c - the upload purger: walks repositories/ for _uploads/<id>/,
 * and removes uploads older than the cut-off.  An upload's age is its
 * `startedat`; an upload without one (a monolithic POST cut short, which
 * writes none, or a removal cut short) is aged by the newest of its
 * files, the way Distribution ages an upload by its data.  Layer and
 * manifest directories and hash states are skipped, so the walk costs
 * one visit per repository plus a few per upload.
 *
 * The same thread runs the storage driver's housekeeping
 * (registry/maintain.h) after each purge, and sooner while the driver
 * says work is left; it runs even with purging off when the driver has
 * it.  Read-only registries do neither.
 */
#define _XOPEN_SOURCE 700
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "registry/layout.h"
#include "registry/maintain.h"
#include "registry/purge.h"

typedef struct purge_walk {
	berth_registry *reg;
	int64_t cutoff;
	int dryrun;
	long found;
	char (*victims)[BERTH_PATH_MAX];
	size_t n, cap;
	/* the upload directory the walk is in ("" outside one) */
	char cur[BERTH_PATH_MAX];
	int cur_started;     /* it has a startedat */
	int64_t cur_newest;  /* newest mtime (ns) in it; 0: unknown */
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

/* Add the upload directory `dir` to the victims; 0, or -1 when out of
   memory. */
static int add_victim(purge_walk *w, const char *dir)
{
	w->found++;
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		void *v = realloc(w->victims, cap * sizeof *w->victims);
		if (!v)
			return -1;
		w->victims = v;
		w->cap = cap;
	}
	snprintf(w->victims[w->n], BERTH_PATH_MAX, "%s", dir);
	w->n++;
	return 0;
}

/* The walk left the current upload directory: without a startedat, it
   is a victim once nothing in it changed since the cut-off.  A driver
   that reports no times leaves it to `berth check --repair`. */
static int upload_done(purge_walk *w)
{
	int rc = 0;
	if (w->cur[0] && !w->cur_started && w->cur_newest > 0 &&
	    w->cur_newest / 1000000000 < w->cutoff)
		rc = add_victim(w, w->cur);
	w->cur[0] = 0;
	return rc;
}

/* 1 if `path` is an upload directory: .../_uploads/<id> */
static int is_upload_dir(const char *path)
{
	const char *u = strstr(path, "/_uploads/");
	return u && u[10] && !strchr(u + 10, '/');
}

static berth_walk_action visit(const char *path, const berth_stat_info *info,
			       void *payload)
{
	purge_walk *w = payload;
	const char *name = base_name(path);
	size_t cl = strlen(w->cur);
	int inside = cl && !strncmp(path, w->cur, cl) && path[cl] == '/';
	if (!inside && upload_done(w))
		return BERTH_WALK_STOP;
	if (info->is_dir) {
		if (!strcmp(name, "_layers") || !strcmp(name, "_manifests") ||
		    !strcmp(name, "hashstates"))
			return BERTH_WALK_SKIP_DIR;
		if (!inside && is_upload_dir(path) &&
		    strlen(path) < sizeof w->cur) {
			strcpy(w->cur, path);
			w->cur_started = 0;
			w->cur_newest = info->mtime_ns;
		}
		return BERTH_WALK_CONTINUE;
	}
	if (!inside)
		return BERTH_WALK_CONTINUE;
	if (info->mtime_ns > w->cur_newest)
		w->cur_newest = info->mtime_ns;
	if (strcmp(name, "startedat"))
		return BERTH_WALK_CONTINUE;
	w->cur_started = 1;
	char *text = NULL;
	size_t len = 0;
	if (store_get(&w->reg->store, path, &text, &len) != BERTH_OK)
		return BERTH_WALK_CONTINUE;
	int64_t started = parse_started(text);
	free(text);
	if (started < 0 || started >= w->cutoff)
		return BERTH_WALK_CONTINUE;
	return add_victim(w, w->cur) ? BERTH_WALK_STOP : BERTH_WALK_CONTINUE;
}

long registry_purge_uploads(berth_registry *reg, int64_t cutoff, int dryrun)
{
	char root[BERTH_PATH_MAX];
	purge_walk w = {.reg = reg, .cutoff = cutoff, .dryrun = dryrun};
	int rc = store_walk(&reg->store, layout_repos_root(root), NULL, visit,
			    &w);
	if (rc == BERTH_OK)
		upload_done(&w);
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
		rc = store_remove(&reg->store, w.victims[i]);
		if (rc && rc != BERTH_E_NOT_FOUND)
			LOG_WARN("purge: cannot remove %s: %s", w.victims[i],
				 store_status_name(rc));
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

/* A maintenance round's share of the purger's thread; one with work left
   comes back after MAINTAIN_SOON_S rather than a whole interval. */
#define MAINTAIN_ROUND_NS (10 * 1000000000LL)
#define MAINTAIN_SOON_S 60

static int purge_stopping(void)
{
	pthread_mutex_lock(&purge_mu);
	int stop = purge_stop_flag;
	pthread_mutex_unlock(&purge_mu);
	return stop;
}

static void purge_round(berth_registry *reg)
{
	const berth_settings *cfg = reg->cfg;
	int64_t now = (int64_t)time(NULL);
	long n = registry_purge_uploads(reg, now - cfg->purge_age_s,
					cfg->purge_dryrun);
	if (n < 0)
		LOG_WARN("purge: walking the uploads failed: %s",
			 store_status_name((int)n));
}

/* Purge every interval (if enabled) and run the driver's maintenance on
   the same schedule, sooner while it has work left.  Returns when asked
   to stop. */
static void *purge_main(void *arg)
{
	berth_registry *reg = arg;
	const berth_settings *cfg = reg->cfg;
	int64_t interval = cfg->purge_interval_s > 0 ? cfg->purge_interval_s
						     : 86400;
	time_t next_purge = 0;
	for (;;) {
		if (cfg->purge_enabled && time(NULL) >= next_purge) {
			purge_round(reg);
			next_purge = time(NULL) + interval;
		}
		int more = registry_maintain(reg, MAINTAIN_ROUND_NS,
					     purge_stopping);
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		time_t wait = cfg->purge_enabled ? next_purge - time(NULL)
						 : (time_t)interval;
		if (more && wait > MAINTAIN_SOON_S)
			wait = MAINTAIN_SOON_S;
		until.tv_sec += wait > 0 ? wait : 1;
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

int registry_purge_start(berth_registry *reg)
{
	if (reg->cfg->readonly || (!reg->cfg->purge_enabled &&
				   !store_has(&reg->store, BERTH_CAP_MAINTAIN)))
		return 0;
	purge_stop_flag = 0;
	if (pthread_create(&purge_thread, NULL, purge_main, reg))
		return -1;
	purge_running = 1;
	return 0;
}

void registry_purge_stop(void)
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
