/*
 * config.c - reads config.yml in the shape of CNCF Distribution's
 * configuration, so an existing Distribution config (or its Helm chart
 * output) starts Berth unchanged.
 *
 * The YAML is loaded as a libyaml document (node marks give the line of
 * every key for error messages) and walked section by section.  Three kinds
 * of keys exist:
 *   - keys Berth uses: type-checked, stored in berth_settings;
 *   - keys Distribution defines that Berth does not use (yet): accepted with
 *     a warning naming file:line and key, so migrating does not fail, but
 *     nobody believes a setting is in effect when it is not;
 *   - anything else: an error naming file:line and key.  A typo such as
 *     `storage.delete.enable` must not silently keep deletes off.
 * The `auth` section and http.tls client settings are validated by
 * auth/auth_config.c, which reads the same file; they are accepted here.
 *
 * Environment overrides follow Distribution: REGISTRY_<SECTION>_<KEY>
 * (e.g. REGISTRY_HTTP_ADDR, REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY)
 * replace the value from the file.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <yaml.h>

#include "common/log.h"
#include "config.h"

const char berth_default_config[] =
	"version: 0.1\n"
	"log:\n"
	"  level: info\n"
	"storage:\n"
	"  filesystem:\n"
	"    rootdirectory: ./data\n"
	"  delete:\n"
	"    enabled: false\n"
	"http:\n"
	"  addr: 127.0.0.1:5000\n";

#define DEFAULT_SOURCE "<default>"

typedef struct ctx {
	yaml_document_t *doc;
	const char *source;
	berth_settings *s;
	char *err;
	size_t errlen;
	int failed;
} ctx;

/* ---- messages ---- */

static unsigned long line_of(const yaml_node_t *n)
{
	return n ? (unsigned long)n->start_mark.line + 1 : 0;
}

BERTH_PRINTF(4, 5)
static int fail(ctx *c, const yaml_node_t *n, const char *key,
		const char *fmt, ...)
{
	if (c->failed)
		return -1;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n)
		snprintf(c->err, c->errlen, "%s:%lu: %s: %s", c->source,
			 line_of(n), key, msg);
	else
		snprintf(c->err, c->errlen, "%s: %s: %s", c->source, key, msg);
	c->failed = 1;
	return -1;
}

static void warn_unused(ctx *c, const yaml_node_t *n, const char *key)
{
	LOG_WARN("%s:%lu: %s: accepted for compatibility with Distribution "
		 "but not used by Berth", c->source, line_of(n), key);
}

/* ---- node helpers ---- */

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
						: NULL;
}

/* A plain empty, "~" or "null" scalar: YAML's null. */
static int is_null(const yaml_node_t *n)
{
	if (!n)
		return 1;
	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	const char *v = scalar(n);
	return !*v || !strcmp(v, "~") || !strcasecmp(v, "null");
}

static const char *kind_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a map";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a scalar";
	}
}

static yaml_node_t *node(ctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

/* Checks that `n` is a map (or null, read as an empty map) whose keys are
   scalars and unique.  Returns 1 for a map, 0 for null, -1 on error. */
static void join(char *out, size_t len, const char *a, const char *b);

/* `key` is the map's dotted path, "" for the top level. */
static int expect_map(ctx *c, yaml_node_t *n, const char *key)
{
	if (is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return fail(c, n, *key ? key : "(top level)",
			    "expected a map, got %s", kind_name(n));
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(c, p->key);
		if (!scalar(k))
			return fail(c, k, key, "map keys must be scalars");
		for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p;
		     q++)
			if (scalar(node(c, q->key)) &&
			    !strcmp(scalar(node(c, q->key)), scalar(k))) {
				char full[256];
				join(full, sizeof full, key, scalar(k));
				return fail(c, k, full,
					    "duplicate key (first on line %lu)",
					    line_of(node(c, q->key)));
			}
	}
	return 1;
}

static void join(char *out, size_t len, const char *a, const char *b)
{
	if (!b)
		b = "";
	if (a && *a)
		snprintf(out, len, "%s.%s", a, b);
	else
		snprintf(out, len, "%s", b);
}

static int in_list(const char *k, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(k, *list))
			return 1;
	return 0;
}

/* ---- value parsers (shared by YAML and the environment) ---- */

static int parse_bool(const char *v, int *out)
{
	static const char *const yes[] = {"true", "yes", "on", "y", NULL};
	static const char *const no[] = {"false", "no", "off", "n", NULL};
	for (int i = 0; yes[i]; i++)
		if (!strcasecmp(v, yes[i]))
			return *out = 1, 0;
	for (int i = 0; no[i]; i++)
		if (!strcasecmp(v, no[i]))
			return *out = 0, 0;
	return -1;
}

/* Go's time.ParseDuration grammar without a sign ("168h", "1h30m",
   "1.5s", "300ms"), or a bare number of seconds.  Result in seconds,
   rounded up so that a positive duration never becomes 0. */
static int parse_duration(const char *v, int64_t *out)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = {
		{"ns", 1},	   {"us", 1e3},	      {"\xc2\xb5s", 1e3},
		{"\xce\xbcs", 1e3}, {"ms", 1e6},      {"s", 1e9},
		{"m", 60e9},	   {"h", 3600e9},
	};
	const char *p = v;
	if (!*p)
		return -1;
	/* a bare integer: seconds */
	char *end;
	errno = 0;
	long long secs = strtoll(v, &end, 10);
	if (isdigit((unsigned char)*v) && !*end) {
		if (errno || secs < 0)
			return -1;
		*out = secs;
		return 0;
	}
	double total = 0;
	while (*p) {
		if (!isdigit((unsigned char)*p) && *p != '.')
			return -1;
		const char *num = p;
		while (isdigit((unsigned char)*p))
			p++;
		if (*p == '.') {
			p++;
			while (isdigit((unsigned char)*p))
				p++;
		}
		if (p - num == 1 && *num == '.')
			return -1;
		double x = strtod(num, NULL);
		size_t best = 0;
		double mult = 0;
		for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
			size_t l = strlen(units[i].unit);
			/* longest match: "ms" before "m" */
			if (l > best && !strncmp(p, units[i].unit, l)) {
				best = l;
				mult = units[i].ns;
			}
		}
		if (!best)
			return -1;
		p += best;
		total += x * mult;
	}
	if (total > 9.2e18)
		return -1;
	int64_t s = (int64_t)(total / 1e9);
	if (total > 0 && (double)s * 1e9 < total)
		s++;
	*out = s;
	return 0;
}

static int set_str(char **dst, const char *v)
{
	char *d = strdup(v);
	if (!d)
		return -1;
	free(*dst);
	*dst = d;
	return 0;
}

/* Applies one Berth-used leaf setting, named by its dotted key, from the
   text `v`; `why` gets what was wrong.  Used for YAML and environment. */
/* K_SECONDS: a duration of at most 24h kept as unsigned seconds;
   K_UINT: 1 to 1000000; K_UINT0: the same, or 0 to switch a limit off. */
typedef enum {
	K_STR,
	K_BOOL,
	K_DURATION,
	K_SECONDS,
	K_UINT,
	K_UINT0,
	K_LEVEL
} kind;

typedef struct leaf {
	const char *key;
	kind k;
	size_t off;
} leaf;

#define OFF(f) offsetof(berth_settings, f)
static const leaf leaves[] = {
	{"log.level", K_LEVEL, OFF(log_level)},
	{"storage.delete.enabled", K_BOOL, OFF(delete_enabled)},
	{"storage.redirect.disable", K_BOOL, OFF(redirect_disabled)},
	{"storage.maintenance.uploadpurging.enabled", K_BOOL,
	 OFF(purge_enabled)},
	{"storage.maintenance.uploadpurging.age", K_DURATION, OFF(purge_age_s)},
	{"storage.maintenance.uploadpurging.interval", K_DURATION,
	 OFF(purge_interval_s)},
	{"storage.maintenance.uploadpurging.dryrun", K_BOOL, OFF(purge_dryrun)},
	{"storage.maintenance.readonly.enabled", K_BOOL, OFF(readonly)},
	{"http.addr", K_STR, OFF(addr)},
	{"http.host", K_STR, OFF(host)},
	{"http.prefix", K_STR, OFF(prefix)},
	{"http.relativeurls", K_BOOL, OFF(relative_urls)},
	{"http.tls.certificate", K_STR, OFF(tls_certificate)},
	{"http.tls.key", K_STR, OFF(tls_key)},
	{"http.connectionlimit", K_UINT, OFF(connection_limit)},
	{"http.timeout", K_SECONDS, OFF(timeout_s)},
	{"http.headertimeout", K_SECONDS, OFF(header_timeout_s)},
	{"http.minbodyrate", K_UINT0, OFF(min_body_rate)},
	{"http.maxconnectionsperip", K_UINT0, OFF(max_connections_per_ip)},
	{"http.workers", K_UINT, OFF(workers)},
	{"http.sendfile", K_STR, OFF(sendfile)},
};

static const leaf *find_leaf(const char *key)
{
	for (size_t i = 0; i < sizeof leaves / sizeof leaves[0]; i++)
		if (!strcmp(leaves[i].key, key))
			return &leaves[i];
	return NULL;
}

/* Returns 0, or -1 with `why` set (or -2 for out of memory). */
static int apply_leaf(berth_settings *s, const leaf *l, const char *v,
		      char *why, size_t wlen)
{
	char *base = (char *)s;
	switch (l->k) {
	case K_STR:
		if (!strcmp(l->key, "http.prefix") && *v && *v != '/') {
			snprintf(why, wlen, "expected a path starting with "
				 "\"/\", got \"%s\"", v);
			return -1;
		}
		if (!strcmp(l->key, "http.host") && *v &&
		    ((strncmp(v, "http://", 7) && strncmp(v, "https://", 8)) ||
		     strpbrk(v, " \t\r\n\"\\"))) {
			snprintf(why, wlen, "expected an http:// or https:// "
				 "URL, got \"%s\"", v);
			return -1;
		}
		if (!strcmp(l->key, "http.sendfile") && strcmp(v, "auto") &&
		    strcmp(v, "always") && strcmp(v, "never")) {
			snprintf(why, wlen, "expected auto, always or never, "
				 "got \"%s\"", v);
			return -1;
		}
		if (!strcmp(l->key, "http.addr") && !*v) {
			snprintf(why, wlen, "expected host:port, got \"\"");
			return -1;
		}
		return set_str((char **)(base + l->off), v) ? -2 : 0;
	case K_BOOL:
		if (parse_bool(v, (int *)(base + l->off))) {
			snprintf(why, wlen, "expected a boolean, got \"%s\"",
				 v);
			return -1;
		}
		return 0;
	case K_DURATION:
	case K_SECONDS: {
		int64_t d;
		if (parse_duration(v, &d)) {
			snprintf(why, wlen, "expected a duration such as "
				 "\"24h\", \"1h30m\" or \"10s\", got \"%s\"", v);
			return -1;
		}
		if (d <= 0) {
			snprintf(why, wlen, "expected a positive duration, "
				 "got \"%s\"", v);
			return -1;
		}
		if (l->k == K_DURATION) {
			*(int64_t *)(base + l->off) = d;
			return 0;
		}
		if (d > 86400) {
			snprintf(why, wlen, "at most 24h, got \"%s\"", v);
			return -1;
		}
		*(unsigned *)(base + l->off) = (unsigned)d;
		return 0;
	}
	case K_UINT:
	case K_UINT0: {
		char *end;
		unsigned long min = l->k == K_UINT0 ? 0 : 1;
		errno = 0;
		unsigned long n = strtoul(v, &end, 10);
		if (!isdigit((unsigned char)*v) || *end || errno || n < min ||
		    n > 1000000) {
			snprintf(why, wlen, "expected a number from %lu to "
				 "1000000%s, got \"%s\"", min,
				 min ? "" : " (0: no limit)", v);
			return -1;
		}
		*(unsigned *)(base + l->off) = (unsigned)n;
		return 0;
	}
	case K_LEVEL: {
		int lv = berth_log_level_parse(v);
		/* logrus levels Distribution configs may carry */
		if (lv < 0 && (!strcasecmp(v, "panic") || !strcasecmp(v, "fatal")))
			lv = BERTH_LOG_ERROR;
		if (lv < 0 && !strcasecmp(v, "trace"))
			lv = BERTH_LOG_DEBUG;
		if (lv < 0) {
			snprintf(why, wlen, "expected error, warn, info or "
				 "debug, got \"%s\"", v);
			return -1;
		}
		s->log_level = lv;
		return 0;
	}
	}
	return -1;
}

/* A leaf from YAML: must be a scalar; null keeps the default. */
static int yaml_leaf(ctx *c, yaml_node_t *v, const char *key)
{
	const leaf *l = find_leaf(key);
	if (!l)
		return fail(c, v, key, "unknown key");
	if (v->type != YAML_SCALAR_NODE)
		return fail(c, v, key, "expected a scalar, got %s",
			    kind_name(v));
	if (is_null(v))
		return 0;
	char why[400];
	int rc = apply_leaf(c->s, l, scalar(v), why, sizeof why);
	if (rc == -2)
		return fail(c, v, key, "out of memory");
	if (rc)
		return fail(c, v, key, "%s", why);
	return 0;
}

/*
 * Walks a map whose keys are Berth leaves, nested sections, or
 * accepted-but-unused keys.  `sections` lists keys whose value is a map
 * walked recursively; `unused` keys get a warning; `silent` keys are
 * accepted as they are (validated elsewhere).
 */
typedef struct schema {
	const char *const *sections;
	const char *const *unused;
	const char *const *silent;
} schema;

static int walk_section(ctx *c, yaml_node_t *map, const char *path);

static int walk_map(ctx *c, yaml_node_t *map, const char *path,
		    const schema *sc)
{
	int m = expect_map(c, map, path);
	if (m <= 0)
		return m;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		char key[256];
		join(key, sizeof key, path, scalar(k));
		if (sc->silent && in_list(scalar(k), sc->silent))
			continue;
		if (sc->unused && in_list(scalar(k), sc->unused)) {
			warn_unused(c, k, key);
			continue;
		}
		if (sc->sections && in_list(scalar(k), sc->sections)) {
			if (walk_section(c, v, key))
				return -1;
			continue;
		}
		if (!find_leaf(key))
			return fail(c, k, key, "unknown key");
		if (yaml_leaf(c, v, key))
			return -1;
	}
	return 0;
}

/* ---- sections ---- */

static int walk_log(ctx *c, yaml_node_t *map)
{
	static const char *const unused[] = {"hooks", "fields", "reportcaller",
					     NULL};
	int m = expect_map(c, map, "log");
	if (m <= 0)
		return m;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		char key[256];
		join(key, sizeof key, "log", scalar(k));
		if (in_list(scalar(k), unused)) {
			warn_unused(c, k, key);
		} else if (!strcmp(scalar(k), "accesslog")) {
			if (walk_section(c, v, key))
				return -1;
		} else if (!strcmp(scalar(k), "formatter")) {
			/* Berth writes text lines; say so if asked for more */
			const char *f = scalar(v);
			if (!f || (!is_null(v) && strcmp(f, "text") &&
				   strcmp(f, "json") && strcmp(f, "logstash")))
				return fail(c, v, key, "expected text, json or "
					    "logstash, got %s%s%s",
					    f ? "\"" : "", f ? f : kind_name(v),
					    f ? "\"" : "");
			if (!is_null(v) && strcmp(f, "text"))
				LOG_WARN("%s:%lu: %s: Berth writes text log "
					 "lines; \"%s\" is not used",
					 c->source, line_of(k), key, f);
		} else if (yaml_leaf(c, v, key)) {
			return -1;
		}
	}
	return 0;
}

static int walk_accesslog(ctx *c, yaml_node_t *map)
{
	int m = expect_map(c, map, "log.accesslog");
	if (m <= 0)
		return m;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		char key[256];
		join(key, sizeof key, "log.accesslog", scalar(k));
		int b;
		if (strcmp(scalar(k), "disabled"))
			return fail(c, k, key, "unknown key");
		if (v->type != YAML_SCALAR_NODE)
			return fail(c, v, key, "expected a boolean, got %s",
				    kind_name(v));
		if (!is_null(v) && parse_bool(scalar(v), &b))
			return fail(c, v, key, "expected a boolean, got \"%s\"",
				    scalar(v));
	}
	return 0;
}

/* Copies the driver map into options, flattening nested maps into
   dotted keys ("credentials.type"). */
static int add_option(ctx *c, yaml_node_t *k, const char *key,
		      const char *value)
{
	berth_settings *s = c->s;
	for (size_t i = 0; i < s->noptions; i++)
		if (!strcmp(s->options[i].key, key))
			return fail(c, k, key, "duplicate option");
	berth_option *o = realloc(s->options, (s->noptions + 1) * sizeof *o);
	if (!o)
		return fail(c, k, key, "out of memory");
	s->options = o;
	o[s->noptions].key = strdup(key);
	o[s->noptions].value = strdup(value);
	if (!o[s->noptions].key || !o[s->noptions].value) {
		free(o[s->noptions].key);
		free(o[s->noptions].value);
		return fail(c, k, key, "out of memory");
	}
	s->noptions++;
	return 0;
}

static int walk_driver_options(ctx *c, yaml_node_t *map, const char *path,
			       const char *prefix, int depth)
{
	int m = expect_map(c, map, path);
	if (m <= 0)
		return m;
	if (depth > 8)
		return fail(c, map, path, "options nested too deeply");
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		char key[256], opt[256];
		join(key, sizeof key, path, scalar(k));
		join(opt, sizeof opt, prefix, scalar(k));
		if (v->type == YAML_MAPPING_NODE) {
			if (walk_driver_options(c, v, key, opt, depth + 1))
				return -1;
			continue;
		}
		if (v->type != YAML_SCALAR_NODE)
			return fail(c, v, key, "expected a scalar or a map, "
				    "got %s", kind_name(v));
		if (depth == 0 && !strcmp(scalar(k), "driverpath")) {
			if (set_str(&c->s->driver_path, scalar(v)))
				return fail(c, v, key, "out of memory");
			continue;
		}
		if (add_option(c, k, opt, is_null(v) ? "" : scalar(v)))
			return -1;
	}
	return 0;
}

static int valid_driver_name(const char *n)
{
	if (!*n || strlen(n) > 64 || !isalnum((unsigned char)*n))
		return 0;
	for (; *n; n++)
		if (!islower((unsigned char)*n) && !isdigit((unsigned char)*n) &&
		    *n != '-' && *n != '_')
			return 0;
	return 1;
}

static int set_driver(ctx *c, yaml_node_t *at, const char *name,
		      unsigned long *driver_line)
{
	char key[256];
	join(key, sizeof key, "storage", name);
	if (c->s->driver)
		return fail(c, at, key,
			    "a second storage driver (\"%s\" is configured on "
			    "line %lu); configure exactly one",
			    c->s->driver, *driver_line);
	if (!valid_driver_name(name))
		return fail(c, at, key, "not a valid driver name (lower-case "
			    "letters, digits, '-' and '_')");
	if (set_str(&c->s->driver, name))
		return fail(c, at, key, "out of memory");
	*driver_line = line_of(at);
	return 0;
}

static int walk_storage(ctx *c, yaml_node_t *map)
{
	static const char *const sections[] = {"delete", "redirect",
					       "maintenance", NULL};
	static const char *const unused[] = {"cache", "tag", NULL};
	unsigned long driver_line = 0;
	/* Distribution also accepts `storage: inmemory` */
	if (map && map->type == YAML_SCALAR_NODE && !is_null(map))
		return set_driver(c, map, scalar(map), &driver_line);
	int m = expect_map(c, map, "storage");
	if (m < 0)
		return -1;
	if (m == 0)
		return fail(c, map, "storage", "no storage driver configured "
			    "(e.g. storage.filesystem.rootdirectory)");
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		const char *name = scalar(k);
		char key[256];
		join(key, sizeof key, "storage", name);
		if (in_list(name, unused)) {
			warn_unused(c, k, key);
		} else if (in_list(name, sections)) {
			if (walk_section(c, v, key))
				return -1;
		} else {
			if (set_driver(c, k, name, &driver_line) ||
			    walk_driver_options(c, v, key, "", 0))
				return -1;
		}
	}
	if (!c->s->driver)
		return fail(c, map, "storage", "no storage driver configured "
			    "(e.g. storage.filesystem.rootdirectory)");
	return 0;
}

/* Named sections whose contents are all Berth leaves (or lists below). */
static int walk_section(ctx *c, yaml_node_t *map, const char *path)
{
	static const char *const none[] = {NULL};
	if (!strcmp(path, "log"))
		return walk_log(c, map);
	if (!strcmp(path, "log.accesslog"))
		return walk_accesslog(c, map);
	if (!strcmp(path, "storage"))
		return walk_storage(c, map);
	if (!strcmp(path, "storage.maintenance")) {
		static const char *const sec[] = {"uploadpurging", "readonly",
						  NULL};
		static const schema sc = {sec, NULL, NULL};
		return walk_map(c, map, path, &sc);
	}
	if (!strcmp(path, "http")) {
		static const char *const sec[] = {"tls", NULL};
		static const char *const unused[] = {
			"secret", "headers", "debug", "http2", "h2c",
			"draintimeout", "net", NULL};
		static const schema sc = {sec, unused, NULL};
		return walk_map(c, map, path, &sc);
	}
	if (!strcmp(path, "http.tls")) {
		static const char *const unused[] = {"letsencrypt",
						     "ciphersuites", NULL};
		/* validated by auth/auth_config.c */
		static const char *const silent[] = {"clientcas", "clientauth",
						     "minimumtls", NULL};
		static const schema sc = {NULL, unused, silent};
		return walk_map(c, map, path, &sc);
	}
	static const schema leaves_only = {none, none, none};
	return walk_map(c, map, path, &leaves_only);
}

static int walk_root(ctx *c, yaml_node_t *root, int need_version)
{
	static const char *const sections[] = {"log", "storage", "http", NULL};
	static const char *const unused[] = {
		"loglevel",   "health",	  "notifications", "redis",
		"reporting",  "proxy",	  "validation",	   "compatibility",
		"middleware", "catalog", NULL};
	/* validated by auth/auth_config.c */
	static const char *const silent[] = {"auth", NULL};
	if (!root || is_null(root))
		return fail(c, NULL, "version",
			    "required (the file is empty; expected version: 0.1)");
	int m = expect_map(c, root, "");
	if (m <= 0)
		return -1;
	yaml_node_t *version = NULL, *storage = NULL;
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		const char *name = scalar(k);
		if (!strcmp(name, "version")) {
			version = v;
			if (!scalar(v) || strcmp(scalar(v), "0.1"))
				return fail(c, v, "version",
					    "expected 0.1, got %s%s%s",
					    scalar(v) ? "\"" : "",
					    scalar(v) ? scalar(v) : kind_name(v),
					    scalar(v) ? "\"" : "");
		} else if (in_list(name, silent)) {
			continue;
		} else if (in_list(name, unused)) {
			warn_unused(c, k, name);
		} else if (in_list(name, sections)) {
			if (!strcmp(name, "storage"))
				storage = v;
			if (walk_section(c, v, name))
				return -1;
		} else {
			return fail(c, k, name, "unknown key");
		}
	}
	if (!version && need_version)
		return fail(c, root, "version", "required (expected version: 0.1)");
	if (!storage)
		return fail(c, NULL, "storage", "no storage driver configured "
			    "(e.g. storage.filesystem.rootdirectory)");
	return 0;
}

/* ---- environment overrides ---- */

/* "storage.delete.enabled" -> "REGISTRY_STORAGE_DELETE_ENABLED" */
static void env_name(char *out, size_t len, const char *key)
{
	size_t n = (size_t)snprintf(out, len, "REGISTRY_");
	for (; *key && n + 1 < len; key++)
		out[n++] = *key == '.' ? '_' : (char)toupper((unsigned char)*key);
	out[n] = 0;
}

static int apply_env(ctx *c)
{
	char name[300], why[400];
	for (size_t i = 0; i < sizeof leaves / sizeof leaves[0]; i++) {
		env_name(name, sizeof name, leaves[i].key);
		const char *v = getenv(name);
		if (!v)
			continue;
		int rc = apply_leaf(c->s, &leaves[i], v, why, sizeof why);
		if (rc) {
			snprintf(c->err, c->errlen, "%s: %s", name,
				 rc == -2 ? "out of memory" : why);
			return -1;
		}
	}
	/* REGISTRY_STORAGE_<DRIVER>_<OPTION>: a driver option, "_" below
	   the driver standing for a nested map level. */
	if (!c->s->driver)
		return 0;
	char prefix[300];
	char skey[200];
	snprintf(skey, sizeof skey, "storage.%s.", c->s->driver);
	env_name(prefix, sizeof prefix, skey);
	size_t plen = strlen(prefix);
	for (char **e = environ; *e; e++) {
		const char *eq = strchr(*e, '=');
		if (!eq || strncmp(*e, prefix, plen) || (size_t)(eq - *e) == plen)
			continue;
		char opt[256];
		size_t n = 0;
		for (const char *q = *e + plen; q < eq && n + 1 < sizeof opt; q++)
			opt[n++] = *q == '_' ? '.' : (char)tolower((unsigned char)*q);
		opt[n] = 0;
		const char *val = eq + 1;
		int rc = 0;
		if (!strcmp(opt, "driverpath")) {
			rc = set_str(&c->s->driver_path, val);
		} else {
			size_t i;
			for (i = 0; i < c->s->noptions; i++)
				if (!strcmp(c->s->options[i].key, opt))
					break;
			if (i < c->s->noptions) {
				rc = set_str(&c->s->options[i].value, val);
			} else {
				rc = add_option(c, NULL, opt, val);
			}
		}
		if (rc) {
			snprintf(c->err, c->errlen, "%.*s: out of memory",
				 (int)(eq - *e), *e);
			return -1;
		}
	}
	return 0;
}

/* ---- entry points ---- */

static void set_defaults(berth_settings *s)
{
	memset(s, 0, sizeof *s);
	s->log_level = BERTH_LOG_INFO;
	s->purge_enabled = 1;
	s->purge_age_s = 168 * 3600;
	s->purge_interval_s = 24 * 3600;
	s->connection_limit = 0; /* as many as descriptors allow (http/server.c) */
	s->timeout_s = 60;
	s->header_timeout_s = 20;
	s->min_body_rate = 1024;
	s->max_connections_per_ip = 256;
	s->workers = 32;
}

int berth_settings_parse(const char *yaml, size_t len, const char *source,
			 berth_settings *out, char *errbuf, size_t errlen)
{
	set_defaults(out);
	if (!source)
		source = "config";
	if (errlen)
		errbuf[0] = 0;
	yaml_parser_t parser;
	yaml_document_t doc;
	if (!yaml_parser_initialize(&parser)) {
		snprintf(errbuf, errlen, "%s: out of memory", source);
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(errbuf, errlen, "%s:%lu: YAML syntax error: %s%s%s",
			 source, (unsigned long)parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "cannot parse",
			 parser.context ? " " : "",
			 parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return -1;
	}
	yaml_parser_delete(&parser);

	ctx c = {&doc, source, out, errbuf, errlen, 0};
	int rc = -1;
	if (!(out->source = strdup(source))) {
		snprintf(errbuf, errlen, "%s: out of memory", source);
		goto done;
	}
	if (walk_root(&c, yaml_document_get_root_node(&doc), 1))
		goto done;
	if (apply_env(&c))
		goto done;
	if (!out->addr && set_str(&out->addr, ":5000")) {
		snprintf(errbuf, errlen, "%s: out of memory", source);
		goto done;
	}
	rc = 0;
done:
	yaml_document_delete(&doc);
	if (rc)
		berth_settings_free(out);
	return rc;
}

int berth_settings_load(const char *path, berth_settings *out, char *errbuf,
			size_t errlen)
{
	if (!path)
		return berth_settings_parse(berth_default_config,
					    strlen(berth_default_config),
					    DEFAULT_SOURCE, out, errbuf, errlen);
	set_defaults(out);
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(errbuf, errlen, "%s: cannot open: %s", path,
			 strerror(errno));
		return -1;
	}
	char *buf = NULL;
	size_t len = 0, cap = 0;
	for (;;) {
		if (len == cap) {
			if (cap >= (16u << 20)) {
				snprintf(errbuf, errlen, "%s: larger than 16 MiB",
					 path);
				goto fail;
			}
			cap = cap ? cap * 2 : 8192;
			char *nb = realloc(buf, cap);
			if (!nb) {
				snprintf(errbuf, errlen, "%s: out of memory",
					 path);
				goto fail;
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			if (ferror(f)) {
				snprintf(errbuf, errlen, "%s: cannot read: %s",
					 path, strerror(errno));
				goto fail;
			}
			break;
		}
	}
	fclose(f);
	int rc = berth_settings_parse(buf ? buf : "", len, path, out, errbuf,
				      errlen);
	free(buf);
	return rc;
fail:
	fclose(f);
	free(buf);
	return -1;
}

void berth_settings_free(berth_settings *s)
{
	if (!s)
		return;
	free(s->source);
	free(s->driver);
	free(s->driver_path);
	for (size_t i = 0; i < s->noptions; i++) {
		free(s->options[i].key);
		free(s->options[i].value);
	}
	free(s->options);
	free(s->addr);
	free(s->host);
	free(s->prefix);
	free(s->tls_certificate);
	free(s->tls_key);
	free(s->sendfile);
	memset(s, 0, sizeof *s);
}
