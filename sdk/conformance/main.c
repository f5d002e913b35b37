/*
 * main.c - berth-driver-test: the storage driver conformance tool.
 *
 *   berth-driver-test [options] <driver.so> [config.yml]
 *
 * Loads the driver with the server's own loader, gives it the options of
 * the config file's storage.<name> map (parsed by the server's own config
 * reader; without a file the driver gets no options), creates instances
 * with the core's host table and runs every case under a random test root
 * so it never touches real data.  Each case runs under a watchdog: a hung
 * driver is reported as a failing case and the tool exits non-zero rather
 * than hanging; a crash is reported the same way.
 */
#include <fnmatch.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "config.h"
#include "conformance.h"
#include "storage/driver_loader.h"

static const ct_case *const tables[] = {
	ct_cases_abi, ct_cases_basic, ct_cases_stream, ct_cases_tree,
	ct_cases_concurrency, ct_cases_rules, ct_cases_v11,
};

/* Watchdog and crash reporting state (read from another thread or a
   signal handler, so only plain values and preformatted text). */
static pthread_mutex_t wd_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wd_cv = PTHREAD_COND_INITIALIZER;
static const char *volatile wd_case;
static int64_t wd_deadline_ms; /* 0 = idle */
static unsigned wd_timeout_s;
static volatile int n_passed, n_failed, n_skipped;

static void write_str(const char *s)
{
	size_t n = strlen(s);
	while (n) {
		ssize_t w = write(STDOUT_FILENO, s, n);
		if (w <= 0)
			return;
		s += w;
		n -= (size_t)w;
	}
}

/* Async-signal-safe decimal. */
static void fmt_uint(char *buf, unsigned long v)
{
	char tmp[24];
	int i = 0;
	do {
		tmp[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i)
		*buf++ = tmp[--i];
	*buf = 0;
}

static void write_summary_raw(int extra_failed)
{
	char num[24];
	fmt_uint(num, (unsigned long)n_passed);
	write_str(num);
	write_str(" passed, ");
	fmt_uint(num, (unsigned long)(n_failed + extra_failed));
	write_str(num);
	write_str(" failed");
	if (n_skipped) {
		write_str(", ");
		fmt_uint(num, (unsigned long)n_skipped);
		write_str(num);
		write_str(" skipped");
	}
	write_str("\n");
}

static void *watchdog(void *arg)
{
	pthread_mutex_lock(&wd_mu);
	for (;;) {
		if (!wd_deadline_ms) {
			pthread_cond_wait(&wd_cv, &wd_mu);
			continue;
		}
		int64_t now = ct_now_ms();
		if (now >= wd_deadline_ms)
			break;
		int64_t wait = wd_deadline_ms - now;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += wait / 1000;
		ts.tv_nsec += (wait % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&wd_cv, &wd_mu, &ts);
	}
	char num[24];
	fflush(stdout);
	write_str("FAIL ");
	write_str(wd_case ? wd_case : "?");
	write_str(": timed out after ");
	fmt_uint(num, (unsigned long)wd_timeout_s);
	write_str(num);
	write_str(" s (the driver hung or is far too slow); stopping\n");
	write_summary_raw(1);
	_exit(1);
	return NULL;
}

static void wd_arm(const char *name, unsigned seconds)
{
	pthread_mutex_lock(&wd_mu);
	wd_case = name;
	wd_timeout_s = seconds;
	wd_deadline_ms = ct_now_ms() + (int64_t)seconds * 1000;
	pthread_cond_signal(&wd_cv);
	pthread_mutex_unlock(&wd_mu);
}

static void wd_disarm(void)
{
	pthread_mutex_lock(&wd_mu);
	wd_deadline_ms = 0;
	pthread_cond_signal(&wd_cv);
	pthread_mutex_unlock(&wd_mu);
}

static void on_crash(int sig)
{
	write_str("FAIL ");
	write_str(wd_case ? wd_case : "(setup)");
	write_str(": crashed with signal ");
	char num[24];
	fmt_uint(num, (unsigned long)sig);
	write_str(num);
	write_str("\n");
	write_summary_raw(1);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: berth-driver-test [options] <driver.so> [config.yml]\n"
		"\n"
		"Runs the storage driver conformance cases against a driver.  The\n"
		"driver gets the options of the config file's storage.<name> map\n"
		"(the same file the server reads); without a file it gets none.\n"
		"\n"
		"  --list           list the cases and exit\n"
		"  --run PATTERN    run only cases matching PATTERN (substring, or\n"
		"                   a glob when it contains * ? [)\n"
		"  --short          small sizes for quick loops\n"
		"  --long           also run the long cases (the 5 GiB stream)\n"
		"  --seed N         seed for random data and paths (printed)\n"
		"  --root PATH      prefix of every test path (default: a random\n"
		"                   /berth-conformance-<hex>)\n"
		"  --timeout SEC    per-case timeout (default 120)\n"
		"  -h, --help       this text\n");
}

static int matches(const char *name, const char *pattern)
{
	if (!pattern)
		return 1;
	if (strpbrk(pattern, "*?["))
		return fnmatch(pattern, name, 0) == 0;
	return strstr(name, pattern) != NULL;
}

static int valid_root(const char *r)
{
	/* ^(/[A-Za-z0-9._-]+)+$ without "." or ".." components */
	if (r[0] != '/')
		return 0;
	const char *p = r;
	while (*p == '/') {
		const char *s = ++p;
		while (*p && strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-", *p))
			p++;
		size_t n = (size_t)(p - s);
		if (!n || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return 0;
	}
	return *p == 0;
}

/* Remove everything left under the root so later cases start clean. */
static void force_clean(ct_ctx *c)
{
	c->d->remove(c->in, c->root);
}

/* After a case: the test root must be absent or empty. */
static void check_residue(ct_ctx *c)
{
	char **v;
	size_t n;
	int rc = ct_tree(c, c->root, &v, &n);
	if (rc != BERTH_OK) {
		ct_fail(c, "could not check for leftovers: list under %s: %s (%s)",
			c->root, ct_status_name(rc), ct_detail());
		force_clean(c);
		return;
	}
	if (n == 0)
		return;
	char buf[600] = "";
	size_t len = 0;
	for (size_t i = 0; i < n && len < 480; i++)
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s",
					i ? ", " : "", v[i]);
	if (!c->failed)
		ct_fail(c, "left behind after cleanup: %s%s", buf,
			n > 8 ? ", ..." : "");
	force_clean(c);
}

static void print_caps(uint64_t caps)
{
	static const char *const names[] = {
		"redirect", "native-walk", "server-move", "range-read",
		"append", "file-descriptor",
		/* ABI 1.1 */
		"batch", "writer-flush", "maintain", "writer-hints",
		"validate-config", "stat-version"};
	const unsigned known = sizeof names / sizeof *names;
	int any = 0;
	for (unsigned i = 0; i < known; i++)
		if (caps & (1ull << i)) {
			printf("%s%s", any ? " " : "", names[i]);
			any = 1;
		}
	/* Bits this tool does not know: shown, and ignored as the loader
	   ignores them. */
	if (caps >> known)
		printf("%s0x%llx", any ? " " : "",
		       (unsigned long long)(caps >> known << known));
	else if (!any)
		printf("none");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"list", no_argument, NULL, 'l'},
		{"run", required_argument, NULL, 'r'},
		{"short", no_argument, NULL, 's'},
		{"long", no_argument, NULL, 'L'},
		{"seed", required_argument, NULL, 'S'},
		{"root", required_argument, NULL, 'R'},
		{"timeout", required_argument, NULL, 't'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int list_only = 0, short_mode = 0, long_mode = 0, have_seed = 0;
	const char *pattern = NULL, *root_opt = NULL;
	unsigned long long seed = 0;
	unsigned timeout = 120;
	int o;
	while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		char *end;
		switch (o) {
		case 'l': list_only = 1; break;
		case 'r': pattern = optarg; break;
		case 's': short_mode = 1; break;
		case 'L': long_mode = 1; break;
		case 'S':
			seed = strtoull(optarg, &end, 0);
			if (*end || end == optarg) {
				fprintf(stderr, "berth-driver-test: bad --seed %s\n", optarg);
				return 2;
			}
			have_seed = 1;
			break;
		case 'R': root_opt = optarg; break;
		case 't': {
			long v = strtol(optarg, &end, 10);
			if (*end || v <= 0 || v > 86400) {
				fprintf(stderr, "berth-driver-test: bad --timeout %s\n", optarg);
				return 2;
			}
			timeout = (unsigned)v;
			break;
		}
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (list_only) {
		for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
			for (const ct_case *k = tables[t]; k->name; k++)
				if (matches(k->name, pattern))
					printf("%-34s %s%s\n", k->name,
					       k->flags & CT_LONG ? "(--long) " : "", k->doc);
		return 0;
	}
	if (optind >= argc || argc - optind > 2) {
		usage(stderr);
		return 2;
	}
	const char *so = argv[optind];
	const char *cfgfile = optind + 1 < argc ? argv[optind + 1] : NULL;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!have_seed) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		seed = ((unsigned long long)ts.tv_sec * 1000000007ull) ^
		       (unsigned long long)ts.tv_nsec ^ ((unsigned long long)getpid() << 32);
	}

	/* Options from the config file's storage.<name> map. */
	berth_settings settings;
	int have_settings = 0;
	char err[512];
	berth_config_item *items = NULL;
	berth_config cfg = {0, NULL};
	if (cfgfile) {
		if (config_load(cfgfile, &settings, err, sizeof err) != 0) {
			fprintf(stderr, "berth-driver-test: %s\n", err);
			return 2;
		}
		have_settings = 1;
		items = calloc(settings.noptions + 1, sizeof *items);
		if (!items)
			return 2;
		for (size_t i = 0; i < settings.noptions; i++) {
			items[i].key = settings.options[i].key;
			items[i].value = settings.options[i].value;
		}
		cfg.count = settings.noptions;
		cfg.items = items;
	}

	berth_driver *drv = NULL;
	if (driver_load(so, &drv, err, sizeof err) != 0) {
		fprintf(stderr, "berth-driver-test: cannot load %s: %s\n", so, err);
		return 2;
	}
	const berth_storage_driver *d = &drv->desc;
	if (have_settings && settings.driver && d->name &&
	    strcmp(settings.driver, d->name))
		fprintf(stderr,
			"berth-driver-test: note: %s configures storage.%s, the "
			"driver is \"%s\"; passing the storage.%s options\n",
			cfgfile, settings.driver, d->name, settings.driver);

	char rootbuf[64];
	uint64_t rs = seed ^ 0x5bd1e9955bd1e995ull;
	if (!root_opt) {
		snprintf(rootbuf, sizeof rootbuf, "/berth-conformance-%016llx",
			 (unsigned long long)ct_rand(&rs));
		root_opt = rootbuf;
	} else if (!valid_root(root_opt)) {
		fprintf(stderr, "berth-driver-test: --root %s is not a valid "
			"storage path (^(/[A-Za-z0-9._-]+)+$)\n", root_opt);
		return 2;
	}

	curl_global_init(CURL_GLOBAL_DEFAULT);
	signal(SIGSEGV, on_crash);
	signal(SIGBUS, on_crash);
	signal(SIGABRT, on_crash);
	signal(SIGFPE, on_crash);
	signal(SIGILL, on_crash);
	signal(SIGPIPE, SIG_IGN);

	printf("berth-driver-test: driver \"%s\" %s (ABI %u.%u) from %s\n",
	       d->name ? d->name : "", d->version ? d->version : "",
	       d->abi_major, d->abi_minor, drv->file ? drv->file : so);
	printf("berth-driver-test: capabilities: ");
	print_caps(d->capabilities);
	printf("\nberth-driver-test: seed %llu, root %s, %s%s, timeout %u s, "
	       "%zu option(s) from %s\n",
	       seed, root_opt, short_mode ? "short" : "normal sizes",
	       long_mode ? " + long" : "", timeout, cfg.count,
	       cfgfile ? cfgfile : "(no config file)");

	ct_ctx c;
	memset(&c, 0, sizeof c);
	pthread_mutex_init(&c.mu, NULL);
	c.d = d;
	c.host = driver_host();
	c.cfg = &cfg;
	c.root = root_opt;
	c.short_mode = short_mode;
	c.long_mode = long_mode;

	driver_host_clear_error();
	int rc = d->create(&c.in, c.host, &cfg);
	if (rc != BERTH_OK) {
		printf("FAIL create: %s (%s)\n", ct_status_name(rc),
		       driver_host_last_error() ? driver_host_last_error() : "");
		printf("0 passed, 1 failed\n");
		return 1;
	}

	pthread_t wd;
	pthread_create(&wd, NULL, watchdog, NULL);
	pthread_detach(wd);

	/* A leftover root from an interrupted run with the same seed. */
	c.dir = NULL;
	force_clean(&c);

	int ran = 0;
	unsigned idx = 0;
	for (size_t t = 0; t < sizeof tables / sizeof *tables; t++) {
		for (const ct_case *k = tables[t]; k->name; k++, idx++) {
			if (!matches(k->name, pattern))
				continue;
			if ((k->flags & CT_LONG) && !long_mode)
				continue;
			ran++;
			c.name = k->name;
			c.failed = 0;
			c.reason[0] = 0;
			c.note[0] = 0;
			c.rng = seed * 0x9e3779b97f4a7c15ull + idx + 1;
			c.dir = ct_fmt(&c, "%s/%s", c.root, k->name);
			wd_arm(k->name, timeout * (k->timeout_weight ? k->timeout_weight : 1));
			int64_t t0 = ct_now_ms();
			int res = k->fn(&c);
			int64_t ms = ct_now_ms() - t0;
			if (res == CT_PASS && c.failed)
				res = CT_FAIL; /* a helper recorded one */
			check_residue(&c);
			wd_disarm();
			if (res != CT_SKIP && c.failed)
				res = CT_FAIL;
			if (res == CT_PASS) {
				n_passed++;
				printf("ok   %s (%lld ms%s%s)\n", k->name, (long long)ms,
				       c.note[0] ? "; " : "", c.note);
			} else if (res == CT_SKIP && !c.failed) {
				n_skipped++;
				printf("skip %s: %s\n", k->name, c.reason);
			} else {
				n_failed++;
				printf("FAIL %s: %s\n", k->name,
				       c.reason[0] ? c.reason : "(no reason recorded)");
			}
			ct_free_all(&c);
		}
	}
	if (!ran)
		fprintf(stderr, "berth-driver-test: no case matches \"%s\"\n",
			pattern ? pattern : "");
	wd_case = NULL;

	d->destroy(c.in);
	if (n_skipped)
		printf("%d passed, %d failed, %d skipped\n", n_passed, n_failed,
		       n_skipped);
	else
		printf("%d passed, %d failed\n", n_passed, n_failed);
	fflush(stdout);

	curl_global_cleanup();
	free(items);
	if (have_settings)
		config_free(&settings);
	driver_unload(drv);
	pthread_mutex_destroy(&c.mu);
	return n_failed || !ran ? 1 : 0;
}
