/*
 * main.c - the `berth` command: serve, check, check-config, --version,
 * --help.  Commands only: what they run is app.c (start-up) and the
 * layers below it.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "auth/auth.h"
#include "common/json_limits.h"
#include "common/log.h"
#include "config.h"
#include "config_diff.h"
#include "http/tls.h"
#include "registry/check.h"
#include "storage/store.h"

#ifndef BERTH_VERSION
#define BERTH_VERSION "0.0.0"
#endif

static void usage(FILE *out)
{
	fprintf(out,
		"usage: berth <command> [arguments]\n"
		"\n"
		"commands:\n"
		"  serve [config.yml]        serve the registry (embedded default\n"
		"                            configuration without a file)\n"
		"  check-config config.yml   validate a configuration file\n"
		"  check [--repair] [--fast] config.yml\n"
		"                            verify (and repair) the storage\n"
		"  <command> --help          the command's arguments\n"
		"  --version                 print the version and storage ABI\n"
		"  --help                    print this help\n");
}

/* Each line of `problems` on stderr, "berth: " before it. */
static void print_problems(const char *problems)
{
	const char *p = problems;
	while (*p) {
		size_t n = strcspn(p, "\n");
		fprintf(stderr, "berth: %.*s\n", (int)n, p);
		p += n + (p[n] == '\n');
	}
}

/* berth check-config: what serve would do short of listening (app_check),
   every problem on its own line. */
static int check_config(const char *path)
{
	berth_settings s;
	char err[16384];
	int rc = config_load_partial(path, &s, err, sizeof err);
	if (rc == -2) {
		print_problems(err);
		return 1;
	}
	if (rc)
		print_problems(err);
	else
		log_set_level((berth_log_level)s.log_level);
	/* the steps after the file's own problems, with what it did say */
	if (s.driver && app_check(&s, err, sizeof err)) {
		print_problems(err);
		rc = -1;
	}
	if (!rc)
		printf("%s: OK (storage driver %s)\n", s.source, s.driver);
	config_free(&s);
	return rc ? 1 : 0;
}

/* One changed key from config_diff: log.level and http.draintimeout are
   applied by reload(); every other key is read once, at start. */
static void note_change(const char *key, void *payload)
{
	size_t *restart = payload;
	if (!strcmp(key, "log.level") || !strcmp(key, "http.draintimeout"))
		return;
	LOG_WARN("SIGHUP: %s changed; restart to apply", key);
	(*restart)++;
}

/* SIGHUP: reload the TLS certificate and key and the password files, and
   re-read the configuration file `path` into what can change live in
   `cur` (log.level, http.draintimeout); a file that does not load leaves
   `cur` as it is. */
static void reload(const char *path, berth_settings *cur)
{
	char err[1024];
	if (http_tls_reload(err, sizeof err))
		LOG_ERROR("SIGHUP: %s; keeping the previous certificate", err);
	auth_reload();
	if (!path) {
		LOG_INFO("SIGHUP: certificate and password files reloaded (the "
			 "embedded configuration has no file to re-read)");
		return;
	}
	berth_settings next;
	if (config_load(path, &next, err, sizeof err)) {
		LOG_ERROR("SIGHUP: %s; keeping the configuration in use", err);
		return;
	}
	size_t restart = 0;
	config_diff(cur, &next, note_change, &restart);
	if (cur->log_level != next.log_level) {
		cur->log_level = next.log_level;
		log_set_level((berth_log_level)cur->log_level);
		LOG_INFO("SIGHUP: log.level applied");
	}
	if (cur->drain_timeout_s != next.drain_timeout_s) {
		cur->drain_timeout_s = next.drain_timeout_s;
		LOG_INFO("SIGHUP: http.draintimeout applied (%us)",
			 cur->drain_timeout_s);
	}
	LOG_INFO("SIGHUP: reloaded %s%s", path,
		 restart ? "; some changes need a restart (above)" : "");
	config_free(&next);
}

/* Wait for SIGINT or SIGTERM and return it; SIGHUP reloads what can be
   reloaded (reload()). */
static int wait_for_signals(const sigset_t *set, const char *path,
			    berth_settings *cur)
{
	for (;;) {
		int sig = 0;
		if (sigwait(set, &sig))
			continue;
		if (sig != SIGHUP)
			return sig;
		reload(path, cur);
	}
}

static long elapsed_ms(const struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000L +
	       (now.tv_nsec - since->tv_nsec) / 1000000L;
}

/* After SIGINT or SIGTERM: refuse new connections and give the requests
   under way http.draintimeout to finish; another SIGINT or SIGTERM cuts
   the wait short. */
static void drain(berth_app *app, const sigset_t *set, int sig)
{
	unsigned timeout = app->cfg->drain_timeout_s;
	app_quiesce(app);
	unsigned long n = app_inflight(app);
	LOG_INFO("signal %d: shutting down; no new connections, %lu "
		 "request%s under way (http.draintimeout %us)",
		 sig, n, n == 1 ? "" : "s", timeout);
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	const char *why = "http.draintimeout passed";
	while ((n = app_inflight(app)) > 0) {
		if (elapsed_ms(&start) >= (long)timeout * 1000L)
			break;
		struct timespec tick = {0, 50 * 1000 * 1000};
		int again = sigtimedwait(set, NULL, &tick);
		if (again == SIGINT || again == SIGTERM) {
			why = "a second signal";
			break;
		}
		if (again == SIGHUP)
			LOG_INFO("SIGHUP: ignored while shutting down");
	}
	if (n)
		LOG_WARN("shutdown: %lu request%s under way cut short (%s)", n,
			 n == 1 ? "" : "s", why);
	else
		LOG_INFO("shutdown: every request finished");
}

/* Serve until a terminating signal. */
static int serve(const char *path)
{
	berth_settings s;
	char err[1024];
	if (config_load(path, &s, err, sizeof err)) {
		fprintf(stderr, "berth: %s\n", err);
		return 1;
	}
	log_set_level((berth_log_level)s.log_level);

	/* Every thread started from here on inherits the mask, so the
	   signals reach sigwait alone. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	int rc = 1;
	berth_app app;
	if (app_open(&app, &s, err, sizeof err)) {
		fprintf(stderr, "berth: %s\n", err);
	} else {
		if (app_serve(&app, err, sizeof err)) {
			LOG_ERROR("%s", err);
		} else {
			drain(&app, &set, wait_for_signals(&set, path, &s));
			app_unserve(&app);
			LOG_INFO("stopped");
			rc = 0;
		}
		app_close(&app);
	}
	config_free(&s);
	return rc;
}

static void serve_usage(FILE *f)
{
	fprintf(f, "usage: berth serve [config.yml]\n"
		   "  serve the registry as config.yml says (without it, the "
		   "embedded default\n"
		   "  configuration)\n"
		   "signals: SIGTERM or SIGINT stop accepting connections and "
		   "wait up to\n"
		   "  http.draintimeout (default 25s) for the requests under "
		   "way; a second one\n"
		   "  stops at once.  SIGHUP re-reads config.yml, applies "
		   "log.level and\n"
		   "  http.draintimeout, reloads the TLS certificate and "
		   "password files, and\n"
		   "  names every other changed key, which needs a restart.\n");
}

static void check_config_usage(FILE *f)
{
	fprintf(f, "usage: berth check-config config.yml\n"
		   "  validate a configuration file\n");
}

/* The arguments of a command taking options and at most one file (at
   least one with `need_file`): -1 to carry on with *file (NULL if none),
   else the exit status. */
static int file_args(const char *cmd, void (*help)(FILE *), int need_file,
		     int argc, char **argv, const char **file)
{
	*file = NULL;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			help(stdout);
			return 0;
		}
		if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "berth %s: unknown option %s\n", cmd,
				argv[i]);
			help(stderr);
			return 2;
		}
		if (*file) {
			fprintf(stderr, "berth %s: unexpected argument %s\n",
				cmd, argv[i]);
			help(stderr);
			return 2;
		}
		*file = argv[i];
	}
	if (need_file && !*file) {
		fprintf(stderr, "berth %s: a configuration file is required\n",
			cmd);
		help(stderr);
		return 2;
	}
	return -1;
}

static void check_usage(FILE *f)
{
	fprintf(f, "usage: berth check [--repair [--purge-uploads]] [--fast] "
		   "config.yml\n"
		   "  --repair         remove dangling links, uploads older "
		   "than\n"
		   "                   storage.maintenance.uploadpurging.age "
		   "and uploads\n"
		   "                   without startedat (never blob data)\n"
		   "  --purge-uploads  with --repair: remove every upload\n"
		   "  --fast           do not re-hash blob contents\n"
		   "exit status: 0 clean, 1 problems found, 2 usage or "
		   "configuration error\n");
}

/* The arguments of berth check into `o` and `*cfgpath`: -1 to carry on,
   else the exit status. */
static int check_args(int argc, char **argv, berth_check_options *o,
		      const char **cfgpath)
{
	memset(o, 0, sizeof *o);
	*cfgpath = NULL;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--repair")) {
			o->repair = 1;
		} else if (!strcmp(argv[i], "--fast")) {
			o->fast = 1;
		} else if (!strcmp(argv[i], "--purge-uploads")) {
			o->purge_uploads = 1;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			check_usage(stdout);
			return 0;
		} else if (argv[i][0] == '-' || *cfgpath) {
			fprintf(stderr, "berth check: %s %s\n",
				argv[i][0] == '-' ? "unknown option"
						  : "unexpected argument",
				argv[i]);
			check_usage(stderr);
			return 2;
		} else {
			*cfgpath = argv[i];
		}
	}
	if (!*cfgpath || (o->purge_uploads && !o->repair)) {
		fprintf(stderr, "berth check: %s\n",
			*cfgpath ? "--purge-uploads needs --repair"
				 : "a configuration file is required");
		check_usage(stderr);
		return 2;
	}
	return -1;
}

static void check_report(const berth_check_options *o,
			 const berth_check_stats *st)
{
	printf("checked %lu repositories, %lu blobs%s, %lu manifests, "
	       "%lu tags, %lu layer links, %lu uploads (%lu stale), "
	       "%lu interrupted tag writes: %lu problem%s",
	       st->repos, st->blobs, o->fast ? " (not re-hashed)" : "",
	       st->manifests, st->tags, st->layers, st->uploads,
	       st->stale_uploads, st->leftover_tags, st->problems,
	       st->problems == 1 ? "" : "s");
	if (o->repair)
		printf(", %lu repaired, %lu uploads removed, %lu "
		       "interrupted tag writes removed",
		       st->repaired, st->uploads_removed,
		       st->leftovers_removed);
	printf("\n");
}

/* berth check: verify (and repair) the storage of a configuration. */
static int check(int argc, char **argv)
{
	berth_check_options o;
	const char *cfgpath;
	int rc = check_args(argc, argv, &o, &cfgpath);
	if (rc >= 0)
		return rc;
	berth_settings s;
	char err[1024];
	if (config_load(cfgpath, &s, err, sizeof err)) {
		fprintf(stderr, "berth: %s\n", err);
		return 2;
	}
	log_set_level((berth_log_level)s.log_level);
	berth_app app;
	rc = 2;
	if (app_open(&app, &s, err, sizeof err)) {
		fprintf(stderr, "berth: %s\n", err);
	} else {
		o.upload_age_s = s.purge_age_s > 0 ? s.purge_age_s : 168 * 3600;
		o.out = stdout;
		o.err = stderr;
		o.progress = isatty(fileno(stderr));
		berth_check_stats st;
		long n = registry_check_storage(&app.reg, &o, &st);
		if (n < 0) {
			fprintf(stderr, "berth check: %s\n",
				store_status_name((int)n));
		} else {
			check_report(&o, &st);
			rc = n > 0 ? 1 : 0;
		}
		app_close(&app);
	}
	config_free(&s);
	return rc;
}

int main(int argc, char **argv)
{
	/* Before anything uses jansson (configuration, tokens, manifests). */
	json_limits_init();
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
		printf("berth %s, storage ABI %d.%d\n", BERTH_VERSION,
		       BERTH_STORAGE_ABI_MAJOR, BERTH_STORAGE_ABI_MINOR);
		return 0;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") ||
	    !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	const char *file;
	int rc;
	if (!strcmp(cmd, "serve"))
		return (rc = file_args(cmd, serve_usage, 0, argc - 2, argv + 2,
				       &file)) >= 0 ? rc : serve(file);
	if (!strcmp(cmd, "check-config"))
		return (rc = file_args(cmd, check_config_usage, 1, argc - 2,
				       argv + 2, &file)) >= 0
			       ? rc
			       : check_config(file);
	if (!strcmp(cmd, "check"))
		return check(argc - 2, argv + 2);
	fprintf(stderr, "berth: unknown command or arguments: %s\n", cmd);
	usage(stderr);
	return 2;
}
