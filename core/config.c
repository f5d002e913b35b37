/*
 * config.c - reads config.yml in the shape of CNCF Distribution's
 * configuration, so an existing Distribution config (or its Helm chart
 * output) starts Berth unchanged.  The one reader of the file: storage,
 * http (TLS included) and auth all end up in berth_settings.
 *
 * The YAML is loaded as a libyaml document (node marks give the line of
 * every key for error messages) and walked section by section, as the
 * section table below describes.  Four kinds of keys exist:
 *   - keys Berth uses: each has a row in the key table naming where its
 *     value goes and the validator that reads and checks it;
 *   - keys Distribution defines that Berth does not use (yet) and whose
 *     absence no client notices: accepted with a warning naming file:line
 *     and key, so migrating does not fail, but nobody believes a setting
 *     is in effect when it is not;
 *   - keys Distribution defines that Berth does not implement (yet) and
 *     whose absence changes what clients see or what is stored (proxy,
 *     notification endpoints, ...): refused, saying so;
 *   - anything else: an error naming file:line and key.  A typo such as
 *     `storage.delete.enable` must not silently keep deletes off.
 * The walk goes on past a problem, so one run reports every one of them
 * (berth check-config), and it records the line of every key so the
 * start-up steps after it can name where a setting came from.
 * Rules across the keys of a section (htpasswd needs realm and path, one
 * storage driver, ...) are the section's check, run after its walk.
 *
 * Everything that ends up in a response header (auth realm and service)
 * is refused at load time if it holds a control character, a quote or a
 * backslash, so the WWW-Authenticate challenge can be built without
 * escaping and can never be split or extended by the configuration.
 *
 * Environment overrides follow Distribution: REGISTRY_<SECTION>_<KEY>
 * (e.g. REGISTRY_HTTP_ADDR, REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY)
 * replace the value from the file, for the keys whose row says F_ENV and
 * for the driver's options.
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

#include <arpa/inet.h>
#include <yaml.h>

#include "common/actions.h"
#include "common/log.h"
#include "config.h"

const char config_default[] =
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
	int failed;        /* problems recorded so far */
	unsigned long driver_line; /* where storage.<driver> was configured */
} ctx;

/* ---- messages ---- */

static unsigned long line_of(const yaml_node_t *n)
{
	return n ? (unsigned long)n->start_mark.line + 1 : 0;
}

/* Records a problem and returns -1.  Problems add up: the walk goes on
   past a bad key, so one run names every problem, a line each. */
BERTH_PRINTF(4, 5)
static int fail(ctx *c, const yaml_node_t *n, const char *key,
		const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	size_t used = c->errlen ? strlen(c->err) : 0;
	if (used + 1 < c->errlen) {
		const char *sep = used ? "\n" : "";
		if (n)
			snprintf(c->err + used, c->errlen - used,
				 "%s%s:%lu: %s: %s", sep, c->source,
				 line_of(n), key, msg);
		else
			snprintf(c->err + used, c->errlen - used, "%s%s: %s: %s",
				 sep, c->source, key, msg);
	}
	c->failed++;
	return -1;
}

static void warn_unused(ctx *c, const yaml_node_t *n, const char *key)
{
	LOG_WARN("%s:%lu: %s: accepted for compatibility with Distribution "
		 "but not used by Berth", c->source, line_of(n), key);
}

/* What a refused key stands for, for its message. */
static const struct {
	const char *key;
	const char *what;
} refused_what[] = {
	{"proxy", "the pull-through cache (proxy)"},
	{"notifications.endpoints", "event notifications"},
	{"validation.manifests", "manifest validation rules (urls allow/deny, "
				 "index platforms)"},
	{"middleware", "middleware (registry, repository and storage)"},
	{"http.tls.letsencrypt", "Let's Encrypt certificates"},
};

static void refuse(ctx *c, const yaml_node_t *k, const char *key)
{
	const char *what = key;
	for (size_t i = 0; i < sizeof refused_what / sizeof refused_what[0];
	     i++)
		if (!strcmp(refused_what[i].key, key))
			what = refused_what[i].what;
	fail(c, k, key, "Berth does not implement %s yet; remove this key "
	     "(clients would see a difference)", what);
}

/* Remembers the line of `key` for messages after the load (config_where). */
static int record_line(ctx *c, const char *key, const yaml_node_t *n)
{
	berth_settings *s = c->s;
	berth_key_line *l = realloc(s->lines, (s->nlines + 1) * sizeof *l);
	if (!l)
		return fail(c, n, key, "out of memory");
	s->lines = l;
	if (!(l[s->nlines].key = strdup(key)))
		return fail(c, n, key, "out of memory");
	l[s->nlines++].line = line_of(n);
	return 0;
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

static void join(char *out, size_t len, const char *a, const char *b)
{
	if (!b)
		b = "";
	if (a && *a)
		snprintf(out, len, "%s.%s", a, b);
	else
		snprintf(out, len, "%s", b);
}

/* Checks that `n` is a map (or null, read as an empty map) whose keys are
   scalars and unique; `key` is the map's dotted path, "" for the top
   level.  Returns 1 for a map, 0 for null, -1 on error. */
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

/* The value of `key` in `map` (a map already checked), or NULL. */
static yaml_node_t *map_get(ctx *c, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++)
		if (!strcmp(scalar(node(c, p->key)), key))
			return node(c, p->value);
	return NULL;
}

static int in_list(const char *k, const char *const *list)
{
	for (; list && *list; list++)
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

static int add_str(berth_strings *l, const char *v)
{
	char **nv = realloc(l->v, (l->n + 1) * sizeof *nv);
	if (!nv)
		return -1;
	l->v = nv;
	if (!(nv[l->n] = strdup(v)))
		return -1;
	l->n++;
	return 0;
}

/* ---- validators ----
 *
 * A validator reads the text of a scalar (or of each item of a list) and
 * stores it at `dst`, or only checks it when `dst` is NULL.  It returns 0;
 * -1 with what was wrong in `why`; -2 when out of memory; or 1 when the
 * value is accepted with the warning in `why`.  The caller adds file,
 * line and key to either.
 */
typedef struct validator validator;
struct validator {
	int (*read)(const validator *vd, const char *v, void *dst, char *why,
		    size_t wlen);
	const char *shape;          /* a value that is not a scalar: "expected
				       <shape>, got a map" (NULL: "a scalar") */
	unsigned flags;             /* V_* below */
	unsigned long min, max;     /* read_count's bounds */
	const char *const *choices; /* read_choice's words */
	const char *what;           /* read_not_true's feature */
};
#define V_LIST 1u     /* a list of scalars is read item by item */
#define V_NOT_NULL 2u /* a null value is read as text ("", "~"), not
			 skipped as "keep the default" */

#define WHY(...) (snprintf(why, wlen, __VA_ARGS__), -1)

static int read_string(const validator *vd, const char *v, void *dst,
		       char *why, size_t wlen)
{
	return dst && set_str(dst, v) ? -2 : 0;
}

/* A non-empty string (a file name, an issuer). */
static int read_text(const validator *vd, const char *v, void *dst,
		     char *why, size_t wlen)
{
	if (!*v)
		return WHY("expected a non-empty string");
	return read_string(vd, v, dst, why, wlen);
}

/* Text that goes into a response header as it is. */
static int read_header_text(const validator *vd, const char *v, void *dst,
			    char *why, size_t wlen)
{
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '"' ||
		    *p == '\\')
			return WHY("must not contain control characters, "
				   "quotes or backslashes");
	return read_text(vd, v, dst, why, wlen);
}

/* One more non-empty string of a berth_strings list. */
static int read_list_item(const validator *vd, const char *v, void *dst,
			  char *why, size_t wlen)
{
	if (!*v)
		return WHY("expected a non-empty string");
	return dst && add_str(dst, v) ? -2 : 0;
}

/* "host:port", ":port" or "[v6]:port", the port from 1 to 65535. */
static int read_addr(const validator *vd, const char *v, void *dst,
		     char *why, size_t wlen)
{
	const char *colon = v[0] == '[' ? strstr(v, "]:") : strrchr(v, ':');
	if (colon && v[0] == '[')
		colon++;
	if (!colon)
		return WHY("expected host:port or :port, got \"%s\"", v);
	const char *port = colon + 1;
	char *end;
	errno = 0;
	unsigned long n = strtoul(port, &end, 10);
	if (!isdigit((unsigned char)*port) || *end || errno || n < 1 ||
	    n > 65535)
		return WHY("the port must be a number from 1 to 65535, got "
			   "\"%s\" in \"%s\"", port, v);
	return read_string(vd, v, dst, why, wlen);
}

/* http.net: Berth listens on TCP. */
static int read_net(const validator *vd, const char *v, void *dst,
		    char *why, size_t wlen)
{
	if (!strcmp(v, "unix"))
		return WHY("Berth does not implement unix sockets yet; remove "
			   "this key or set it to tcp");
	if (strcmp(v, "tcp"))
		return WHY("expected tcp or unix, got \"%s\"", v);
	return 0;
}

/* A switch for a feature Berth does not implement yet: false is fine,
   true refused (vd->what names the feature). */
static int read_not_true(const validator *vd, const char *v, void *dst,
			 char *why, size_t wlen)
{
	int b;
	if (parse_bool(v, &b))
		return WHY("expected a boolean, got \"%s\"", v);
	if (b)
		return WHY("Berth does not implement %s yet; remove this key "
			   "or set it to false", vd->what);
	return 0;
}

static int read_prefix(const validator *vd, const char *v, void *dst,
		       char *why, size_t wlen)
{
	if (*v && *v != '/')
		return WHY("expected a path starting with \"/\", got \"%s\"", v);
	return read_string(vd, v, dst, why, wlen);
}

static int read_url(const validator *vd, const char *v, void *dst,
		    char *why, size_t wlen)
{
	if (*v && ((strncmp(v, "http://", 7) && strncmp(v, "https://", 8)) ||
		   strpbrk(v, " \t\r\n\"\\")))
		return WHY("expected an http:// or https:// URL, got \"%s\"", v);
	return read_string(vd, v, dst, why, wlen);
}

/* One of vd->choices, kept as a string: "expected a, b or c". */
static int read_choice(const validator *vd, const char *v, void *dst,
		       char *why, size_t wlen)
{
	if (in_list(v, vd->choices))
		return read_string(vd, v, dst, why, wlen);
	size_t n = (size_t)snprintf(why, wlen, "expected ");
	for (size_t i = 0; vd->choices[i] && n < wlen; i++)
		n += (size_t)snprintf(why + n, wlen - n, "%s%s",
				      i == 0		     ? ""
				      : vd->choices[i + 1] ? ", "
							   : " or ",
				      vd->choices[i]);
	if (n < wlen)
		snprintf(why + n, wlen - n, ", got \"%s\"", v);
	return -1;
}

/* log.formatter: Berth writes text lines; say so if asked for more. */
static int read_formatter(const validator *vd, const char *v, void *dst,
			  char *why, size_t wlen)
{
	if (read_choice(vd, v, NULL, why, wlen))
		return -1;
	if (strcmp(v, "text")) {
		snprintf(why, wlen, "Berth writes text log lines; \"%s\" is "
			 "not used", v);
		return 1;
	}
	return 0;
}

static int read_bool(const validator *vd, const char *v, void *dst,
		     char *why, size_t wlen)
{
	int b;
	if (parse_bool(v, &b))
		return WHY("expected a boolean, got \"%s\"", v);
	if (dst)
		*(int *)dst = b;
	return 0;
}

/* A positive duration, e.g. "168h" or "1h30m"; int64_t seconds. */
static int read_duration(const validator *vd, const char *v, void *dst,
			 char *why, size_t wlen)
{
	int64_t d;
	if (parse_duration(v, &d))
		return WHY("expected a duration such as \"24h\", \"1h30m\" or "
			   "\"10s\", got \"%s\"", v);
	if (d <= 0)
		return WHY("expected a positive duration, got \"%s\"", v);
	if (dst)
		*(int64_t *)dst = d;
	return 0;
}

/* A positive duration of at most 24h; unsigned seconds. */
static int read_seconds(const validator *vd, const char *v, void *dst,
			char *why, size_t wlen)
{
	int64_t d;
	if (read_duration(vd, v, &d, why, wlen))
		return -1;
	if (d > 86400)
		return WHY("at most 24h, got \"%s\"", v);
	if (dst)
		*(unsigned *)dst = (unsigned)d;
	return 0;
}

/* A duration of at most 24h, 0 allowed (http.draintimeout: 0 stops at
   once); unsigned seconds. */
static int read_seconds0(const validator *vd, const char *v, void *dst,
			 char *why, size_t wlen)
{
	int64_t d;
	if (parse_duration(v, &d))
		return WHY("expected a duration such as \"25s\" or \"0s\", "
			   "got \"%s\"", v);
	if (d > 86400)
		return WHY("at most 24h, got \"%s\"", v);
	if (dst)
		*(unsigned *)dst = (unsigned)d;
	return 0;
}

/* A whole number from vd->min to vd->max; unsigned. */
static int read_count(const validator *vd, const char *v, void *dst,
		      char *why, size_t wlen)
{
	char *end;
	errno = 0;
	unsigned long n = strtoul(v, &end, 10);
	if (!isdigit((unsigned char)*v) || *end || errno || n < vd->min ||
	    n > vd->max)
		return WHY("expected a number from %lu to %lu%s, got \"%s\"",
			   vd->min, vd->max, vd->min ? "" : " (0: no limit)",
			   v);
	if (dst)
		*(unsigned *)dst = (unsigned)n;
	return 0;
}

static int read_level(const validator *vd, const char *v, void *dst,
		      char *why, size_t wlen)
{
	int lv = log_level_parse(v);
	/* logrus levels Distribution configs may carry */
	if (lv < 0 && (!strcasecmp(v, "panic") || !strcasecmp(v, "fatal")))
		lv = BERTH_LOG_ERROR;
	if (lv < 0 && !strcasecmp(v, "trace"))
		lv = BERTH_LOG_DEBUG;
	if (lv < 0)
		return WHY("expected error, warn, info or debug, got \"%s\"", v);
	if (dst)
		*(int *)dst = lv;
	return 0;
}

static int read_version(const validator *vd, const char *v, void *dst,
			char *why, size_t wlen)
{
	return strcmp(v, "0.1") ? WHY("expected 0.1, got \"%s\"", v) : 0;
}

/* One action of an access-list rule, added to the rule's bits. */
static int read_action(const validator *vd, const char *v, void *dst,
		       char *why, size_t wlen)
{
	unsigned a = actions_parse(v);
	if (!a)
		return WHY("expected pull, push, delete or *, got \"%s\"", v);
	if (dst)
		*(unsigned *)dst |= a;
	return 0;
}

#define CHOICES(...) ((const char *const[]){__VA_ARGS__, NULL})
static const validator v_string = {.read = read_string};
static const validator v_text = {.read = read_text,
				 .shape = "a non-empty string",
				 .flags = V_NOT_NULL};
static const validator v_header_text = {.read = read_header_text,
					.shape = "a non-empty string",
					.flags = V_NOT_NULL};
static const validator v_strings = {.read = read_list_item,
				    .shape = "a string or a list of strings",
				    .flags = V_LIST | V_NOT_NULL};
static const validator v_addr = {.read = read_addr};
static const validator v_net = {.read = read_net};
static const validator v_no_schema1 = {
	.read = read_not_true, .what = "schema1 manifests"};
static const validator v_no_autoredirect = {
	.read = read_not_true, .what = "the token auto-redirect"};
static const validator v_prefix = {.read = read_prefix};
static const validator v_url = {.read = read_url};
static const validator v_bool = {.read = read_bool};
static const validator v_duration = {.read = read_duration};
static const validator v_seconds = {.read = read_seconds};
static const validator v_seconds0 = {.read = read_seconds0};
static const validator v_count = {.read = read_count, .min = 1,
				  .max = 1000000};
static const validator v_count0 = {.read = read_count, .min = 0,
				   .max = 1000000};
static const validator v_level = {.read = read_level};
static const validator v_version = {.read = read_version, .shape = "0.1",
				    .flags = V_NOT_NULL};
static const validator v_sendfile = {
	.read = read_choice, .choices = CHOICES("auto", "always", "never")};
static const validator v_formatter = {
	.read = read_formatter, .shape = "text, json or logstash",
	.choices = CHOICES("text", "json", "logstash")};
static const validator v_acl_type = {
	.read = read_choice, .flags = V_NOT_NULL,
	.choices = CHOICES("repository", "registry")};
static const validator v_actions = {.read = read_action,
				    .shape = "an action or a list of actions",
				    .flags = V_LIST | V_NOT_NULL};

/* ---- the key table ---- */

/* One key Berth reads: its dotted path from the top, the validator that
   reads its value, and where the value goes (an offset in the struct its
   section fills, or NOWHERE for a key that is only checked). */
typedef struct field {
	const char *key;
	const validator *v;
	size_t off;
	unsigned flags; /* F_ENV: REGISTRY_<KEY> overrides the file */
} field;
#define F_ENV 1u
#define NOWHERE ((size_t)-1)

#define S(f) offsetof(berth_settings, f)
#define AUTH(f) offsetof(berth_settings, auth.f)
static const field settings_fields[] = {
	{"version", &v_version, NOWHERE, 0},
	{"log.level", &v_level, S(log_level), F_ENV},
	{"log.formatter", &v_formatter, NOWHERE, 0},
	{"log.accesslog.disabled", &v_bool, NOWHERE, 0},
	{"storage.delete.enabled", &v_bool, S(delete_enabled), F_ENV},
	{"storage.redirect.disable", &v_bool, S(redirect_disabled), F_ENV},
	{"storage.maintenance.uploadpurging.enabled", &v_bool,
	 S(purge_enabled), F_ENV},
	{"storage.maintenance.uploadpurging.age", &v_duration,
	 S(purge_age_s), F_ENV},
	{"storage.maintenance.uploadpurging.interval", &v_duration,
	 S(purge_interval_s), F_ENV},
	{"storage.maintenance.uploadpurging.dryrun", &v_bool,
	 S(purge_dryrun), F_ENV},
	{"storage.maintenance.readonly.enabled", &v_bool, S(readonly), F_ENV},
	{"catalog.maxentries", &v_count, S(catalog_max_entries), F_ENV},
	{"http.addr", &v_addr, S(addr), F_ENV},
	{"http.host", &v_url, S(host), F_ENV},
	{"http.prefix", &v_prefix, S(prefix), F_ENV},
	{"http.relativeurls", &v_bool, S(relative_urls), F_ENV},
	{"http.connectionlimit", &v_count, S(connection_limit), F_ENV},
	{"http.timeout", &v_seconds, S(timeout_s), F_ENV},
	{"http.headertimeout", &v_seconds, S(header_timeout_s), F_ENV},
	{"http.minbodyrate", &v_count0, S(min_body_rate), F_ENV},
	{"http.maxconnectionsperip", &v_count0, S(max_connections_per_ip),
	 F_ENV},
	{"http.workers", &v_count, S(workers), F_ENV},
	{"http.draintimeout", &v_seconds0, S(drain_timeout_s), F_ENV},
	{"http.sendfile", &v_sendfile, S(sendfile), F_ENV},
	{"http.net", &v_net, NOWHERE, 0},
	{"compatibility.schema1.enabled", &v_no_schema1, NOWHERE, 0},
	{"auth.token.autoredirect", &v_no_autoredirect, NOWHERE, 0},
	{"http.tls.certificate", &v_string, S(tls_certificate), F_ENV},
	{"http.tls.key", &v_string, S(tls_key), F_ENV},
	{"http.tls.clientcas", &v_strings, S(tls_clientcas), 0},
	{"http.tls.clientauth", &v_text, S(tls_clientauth), 0},
	{"http.tls.minimumtls", &v_text, S(tls_minimum), 0},
	{"auth.htpasswd.realm", &v_header_text, AUTH(htpasswd_realm), 0},
	{"auth.htpasswd.path", &v_text, AUTH(htpasswd_path), 0},
	{"auth.htpasswd.allowinsecure", &v_bool, AUTH(allow_insecure), 0},
	{"auth.token.realm", &v_header_text, AUTH(token_realm), 0},
	{"auth.token.service", &v_header_text, AUTH(token_service), 0},
	{"auth.token.issuer", &v_text, AUTH(token_issuer), 0},
	{"auth.token.rootcertbundle", &v_text, AUTH(token_rootcertbundle), 0},
	{"auth.token.jwks", &v_text, AUTH(token_jwks), 0},
	{"auth.token.builtin", &v_bool, AUTH(token_builtin), 0},
	{"auth.token.signingkey", &v_text, AUTH(token_signingkey), 0},
	{"auth.token.htpasswd", &v_text, AUTH(token_htpasswd), 0},
	{"auth.token.expiration", &v_seconds, AUTH(token_expiration_s), 0},
	{"auth.token.allowinsecure", &v_bool, AUTH(allow_insecure), 0},
	{NULL, NULL, 0, 0},
};

/* The keys of one rule of auth.token.acl (offsets in berth_acl_rule). */
#define RULE(f) offsetof(berth_acl_rule, f)
static const field acl_fields[] = {
	{"auth.token.acl.account", &v_strings, RULE(accounts), 0},
	{"auth.token.acl.type", &v_acl_type, RULE(type), 0},
	{"auth.token.acl.name", &v_text, RULE(name), 0},
	{"auth.token.acl.actions", &v_actions, RULE(actions), 0},
	{NULL, NULL, 0, 0},
};

static const field *find_field(const field *table, const char *key)
{
	for (; table->key; table++)
		if (!strcmp(table->key, key))
			return table;
	return NULL;
}

/* Reads one scalar through `vd`; a warning is logged, an error recorded. */
static int read_scalar(ctx *c, const validator *vd, yaml_node_t *v,
		       const char *key, void *dst)
{
	char why[400];
	int rc = vd->read(vd, scalar(v), dst, why, sizeof why);
	if (rc == 1) {
		LOG_WARN("%s:%lu: %s: %s", c->source, line_of(v), key, why);
		return 0;
	}
	if (rc == -2)
		return fail(c, v, key, "out of memory");
	return rc ? fail(c, v, key, "%s", why) : 0;
}

/* The value `v` of the key `f` names, into the struct at `base`.  A null
   value keeps the default, unless the validator says V_NOT_NULL. */
static int read_field(ctx *c, const field *f, yaml_node_t *v, void *base)
{
	const validator *vd = f->v;
	void *dst = f->off == NOWHERE ? NULL : (char *)base + f->off;
	const char *shape = vd->shape ? vd->shape : "a scalar";
	if (v->type == YAML_SEQUENCE_NODE && (vd->flags & V_LIST)) {
		for (yaml_node_item_t *i = v->data.sequence.items.start;
		     i < v->data.sequence.items.top; i++) {
			yaml_node_t *item = node(c, *i);
			if (item->type != YAML_SCALAR_NODE)
				return fail(c, item, f->key,
					    "expected %s, got %s", shape,
					    kind_name(item));
			if (read_scalar(c, vd, item, f->key, dst))
				return -1;
		}
		return 0;
	}
	if (v->type != YAML_SCALAR_NODE)
		return fail(c, v, f->key, "expected %s, got %s", shape,
			    kind_name(v));
	if (is_null(v) && !(vd->flags & V_NOT_NULL))
		return 0;
	return read_scalar(c, vd, v, f->key, dst);
}

/* ---- sections ---- */

typedef struct section section;
struct section {
	const char *path;            /* dotted; "" for the top level */
	const char *const *sections; /* keys whose value is a section below */
	const char *const *unused;   /* Distribution's keys Berth does not
					use: accepted with a warning */
	const char *const *quiet;    /* accepted without a word */
	const char *const *refused;  /* Distribution's keys whose absence
					clients would notice: refused */
	const field *fields;         /* its keys' table (NULL: the settings') */
	/* a key none of the above knows (NULL: "unknown key") */
	int (*other)(ctx *c, yaml_node_t *k, yaml_node_t *v, const char *key);
	/* rules across its keys, after the walk (`map` may be null) */
	int (*check)(ctx *c, yaml_node_t *map, void *base);
	/* a walk of its own (NULL: walk_map) */
	int (*walk)(ctx *c, yaml_node_t *n, const section *sec, void *base);
};

static int walk_section(ctx *c, yaml_node_t *n, const char *path,
			void *base);

/* Walks a section's map: every key is one the section names, or a leaf
   of its key table; then the section's check.  `base` is the struct the
   leaves' offsets are in. */
static int walk_map(ctx *c, yaml_node_t *map, const section *sec,
		    void *base)
{
	int m = expect_map(c, map, sec->path);
	if (m < 0)
		return -1;
	const field *table = sec->fields ? sec->fields : settings_fields;
	int before = c->failed;
	for (yaml_node_pair_t *p = m ? map->data.mapping.pairs.start : NULL;
	     p && p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		const char *name = scalar(k);
		char key[256];
		join(key, sizeof key, sec->path, name);
		const field *f;
		if (record_line(c, key, k))
			return -1;
		if (in_list(name, sec->quiet))
			continue;
		if (in_list(name, sec->refused))
			refuse(c, k, key);
		else if (in_list(name, sec->unused))
			warn_unused(c, k, key);
		else if (in_list(name, sec->sections))
			walk_section(c, v, key, base);
		else if ((f = find_field(table, key)))
			read_field(c, f, v, base);
		else if (sec->other)
			sec->other(c, k, v, key);
		else
			fail(c, k, key, "unknown key");
	}
	/* the rules across keys only when the keys themselves were right,
	   so one mistake is not reported twice */
	if (c->failed > before)
		return -1;
	return sec->check ? sec->check(c, map, base) : 0;
}

/* -- storage: exactly one driver, its map handed over as options -- */

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
		if (record_line(c, key, k))
			return -1;
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

static int set_driver(ctx *c, yaml_node_t *at, const char *name)
{
	char key[256];
	join(key, sizeof key, "storage", name);
	if (c->s->driver)
		return fail(c, at, key,
			    "a second storage driver (\"%s\" is configured on "
			    "line %lu); configure exactly one",
			    c->s->driver, c->driver_line);
	if (!valid_driver_name(name))
		return fail(c, at, key, "not a valid driver name (lower-case "
			    "letters, digits, '-' and '_')");
	if (set_str(&c->s->driver, name))
		return fail(c, at, key, "out of memory");
	c->driver_line = line_of(at);
	return 0;
}

/* storage.<driver>: any key of storage that is not a section. */
static int storage_driver(ctx *c, yaml_node_t *k, yaml_node_t *v,
			  const char *key)
{
	if (set_driver(c, k, scalar(k)))
		return -1;
	return walk_driver_options(c, v, key, "", 0);
}

/* Distribution also accepts `storage: inmemory`. */
static int walk_storage(ctx *c, yaml_node_t *n, const section *sec,
			void *base)
{
	if (n && n->type == YAML_SCALAR_NODE && !is_null(n)) {
		char key[256];
		join(key, sizeof key, "storage", scalar(n));
		if (record_line(c, key, n))
			return -1;
		return set_driver(c, n, scalar(n));
	}
	return walk_map(c, n, sec, base);
}

static int check_storage(ctx *c, yaml_node_t *map, void *base)
{
	if (!c->s->driver)
		return fail(c, map, "storage", "no storage driver configured "
			    "(e.g. storage.filesystem.rootdirectory)");
	return 0;
}

/* -- auth -- */

static int auth_scheme(ctx *c, yaml_node_t *k, yaml_node_t *v,
		       const char *key)
{
	if (!strcmp(scalar(k), "silly"))
		return fail(c, k, key, "is a test scheme Berth does not offer");
	return fail(c, k, key, "unknown key");
}

static int check_auth(ctx *c, yaml_node_t *map, void *base)
{
	if (map_get(c, map, "htpasswd") && map_get(c, map, "token"))
		return fail(c, map, "auth", "choose one of htpasswd and token");
	return 0;
}

static int check_htpasswd(ctx *c, yaml_node_t *map, void *base)
{
	const auth_settings *a = &c->s->auth;
	if (!a->htpasswd_realm || !a->htpasswd_path)
		return fail(c, map, "auth.htpasswd", "needs realm and path");
	return 0;
}

/* The built-in service answers at the realm URL's path: it must have
   one, outside the API's /v2/. */
static int set_token_path(ctx *c, yaml_node_t *map, auth_settings *a)
{
	const char *r = a->token_realm, *key = "auth.token.realm";
	const char *p = strstr(r, "://");
	p = p ? strchr(p + 3, '/') : (r[0] == '/' ? r : NULL);
	yaml_node_t *at = map_get(c, map, "realm");
	if (!p || !p[1] || strchr(p, '?'))
		return fail(c, at, key, "%s: the built-in token service needs "
			    "a URL with a path, e.g. https://host:5000/token",
			    r);
	if (strncmp(p, "/v2/", 4) == 0 || strcmp(p, "/v2") == 0)
		return fail(c, at, key, "%s: the path must be outside /v2/", r);
	return set_str(&a->token_path, p) ? fail(c, at, key, "out of memory")
					  : 0;
}

static int check_token(ctx *c, yaml_node_t *map, void *base)
{
	const auth_settings *a = &c->s->auth;
	const char *s = "auth.token";
	if (!a->token_realm || !a->token_service || !a->token_issuer)
		return fail(c, map, s, "needs realm, service and issuer");
	if (a->token_builtin) {
		if (!a->token_signingkey || !a->token_htpasswd)
			return fail(c, map, s,
				    "builtin needs signingkey and htpasswd");
	} else if (a->token_signingkey || a->token_htpasswd ||
		   map_get(c, map, "acl")) {
		return fail(c, map, s,
			    "signingkey, htpasswd and acl belong to the "
			    "built-in token service (builtin: true)");
	}
	if (!a->token_builtin && !a->token_rootcertbundle && !a->token_jwks)
		return fail(c, map, s, "needs rootcertbundle or jwks");
	return a->token_builtin ? set_token_path(c, map, &c->s->auth) : 0;
}

/* auth.token.acl: a list of rules, each a map walked with acl_fields. */
static int walk_acl(ctx *c, yaml_node_t *seq, const section *sec,
		    void *base)
{
	auth_settings *a = &c->s->auth;
	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return fail(c, seq, sec->path, "expected a list of rules");
	size_t len = (size_t)(seq->data.sequence.items.top -
			      seq->data.sequence.items.start);
	a->acl = calloc(len ? len : 1, sizeof *a->acl);
	if (!a->acl)
		return fail(c, seq, sec->path, "out of memory");
	int rc = 0;
	for (size_t i = 0; i < len; i++) {
		a->nacl = i + 1;
		if (walk_map(c, node(c, seq->data.sequence.items.start[i]), sec,
			     &a->acl[i]))
			rc = -1;
	}
	return rc;
}

static int check_rule(ctx *c, yaml_node_t *map, void *base)
{
	berth_acl_rule *r = base;
	if (!map_get(c, map, "account") || !map_get(c, map, "actions"))
		return fail(c, map, "auth.token.acl",
			    "each rule needs account and actions");
	if ((!r->type && set_str(&r->type, "repository")) ||
	    (!r->name && set_str(&r->name, "*")))
		return fail(c, map, "auth.token.acl", "out of memory");
	return 0;
}

/* -- http.headers: Berth sends X-Content-Type-Options: nosniff on every
   reply (http/request.c); any other header would be missing -- */

static int http_header(ctx *c, yaml_node_t *k, yaml_node_t *v,
		       const char *key)
{
	const char *val = scalar(v);
	if (v->type == YAML_SEQUENCE_NODE &&
	    v->data.sequence.items.top - v->data.sequence.items.start == 1)
		val = scalar(node(c, *v->data.sequence.items.start));
	if (!strcasecmp(scalar(k), "X-Content-Type-Options") && val &&
	    !strcasecmp(val, "nosniff"))
		return 0;
	return fail(c, k, key, "Berth does not implement configured response "
		    "headers yet (it sends X-Content-Type-Options: nosniff "
		    "only); remove this header");
}

/* -- the top level -- */

static int check_root(ctx *c, yaml_node_t *root, void *base)
{
	if (!map_get(c, root, "version"))
		return fail(c, root, "version",
			    "required (expected version: 0.1)");
	if (!map_get(c, root, "storage"))
		return fail(c, NULL, "storage", "no storage driver configured "
			    "(e.g. storage.filesystem.rootdirectory)");
	return 0;
}

#define KEYS(...) ((const char *const[]){__VA_ARGS__, NULL})
static const section sections[] = {
	{.path = "",
	 .sections = KEYS("log", "storage", "http", "auth", "notifications",
			  "validation", "compatibility", "catalog"),
	 .unused = KEYS("loglevel", "health", "redis", "reporting"),
	 .refused = KEYS("proxy", "middleware"),
	 .check = check_root},
	{.path = "log",
	 .sections = KEYS("accesslog"),
	 .unused = KEYS("hooks", "fields", "reportcaller")},
	{.path = "log.accesslog"},
	{.path = "storage",
	 .sections = KEYS("delete", "redirect", "maintenance"),
	 .unused = KEYS("cache", "tag"),
	 .other = storage_driver,
	 .check = check_storage,
	 .walk = walk_storage},
	{.path = "storage.delete"},
	{.path = "storage.redirect"},
	{.path = "storage.maintenance",
	 .sections = KEYS("uploadpurging", "readonly")},
	{.path = "storage.maintenance.uploadpurging"},
	{.path = "storage.maintenance.readonly"},
	{.path = "catalog"},
	{.path = "http",
	 .sections = KEYS("tls", "headers"),
	 .unused = KEYS("secret", "debug", "http2", "h2c")},
	{.path = "http.tls",
	 .unused = KEYS("ciphersuites"),
	 .refused = KEYS("letsencrypt")},
	{.path = "http.headers", .other = http_header},
	{.path = "notifications",
	 .unused = KEYS("events"),
	 .refused = KEYS("endpoints")},
	{.path = "validation",
	 .unused = KEYS("enabled", "disabled"),
	 .refused = KEYS("manifests")},
	{.path = "compatibility", .sections = KEYS("schema1")},
	{.path = "compatibility.schema1", .unused = KEYS("signingkeyfile")},
	{.path = "auth",
	 .sections = KEYS("htpasswd", "token"),
	 .quiet = KEYS("none"),
	 .other = auth_scheme,
	 .check = check_auth},
	{.path = "auth.htpasswd", .check = check_htpasswd},
	{.path = "auth.token",
	 .sections = KEYS("acl"),
	 .check = check_token},
	{.path = "auth.token.acl",
	 .fields = acl_fields,
	 .check = check_rule,
	 .walk = walk_acl},
};

static int walk_section(ctx *c, yaml_node_t *n, const char *path,
			void *base)
{
	for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++) {
		const section *sec = &sections[i];
		if (!strcmp(sec->path, path))
			return sec->walk ? sec->walk(c, n, sec, base)
					 : walk_map(c, n, sec, base);
	}
	return fail(c, n, path, "unknown key");
}

static int walk_root(ctx *c, yaml_node_t *root)
{
	if (!root || is_null(root))
		return fail(c, NULL, "version",
			    "required (the file is empty; expected version: 0.1)");
	return walk_section(c, root, "", c->s);
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

/* The keys whose row says F_ENV. */
static int apply_env_keys(ctx *c)
{
	char name[300], why[400];
	for (const field *f = settings_fields; f->key; f++) {
		if (!(f->flags & F_ENV))
			continue;
		env_name(name, sizeof name, f->key);
		const char *v = getenv(name);
		if (!v)
			continue;
		int rc = f->v->read(f->v, v, (char *)c->s + f->off, why,
				    sizeof why);
		if (rc < 0) {
			snprintf(c->err, c->errlen, "%s: %s", name,
				 rc == -2 ? "out of memory" : why);
			return -1;
		}
	}
	return 0;
}

/* Sets the driver option `opt` (or driverpath) to `val`; -1 when out of
   memory. */
static int set_option(ctx *c, const char *opt, const char *val)
{
	if (!strcmp(opt, "driverpath"))
		return set_str(&c->s->driver_path, val);
	for (size_t i = 0; i < c->s->noptions; i++)
		if (!strcmp(c->s->options[i].key, opt))
			return set_str(&c->s->options[i].value, val);
	return add_option(c, NULL, opt, val);
}

/* REGISTRY_STORAGE_<DRIVER>_<OPTION>: a driver option, "_" below the
   driver standing for a nested map level. */
static int apply_env_driver(ctx *c)
{
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
		if (set_option(c, opt, eq + 1)) {
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
	s->drain_timeout_s = 25;
	s->auth.token_expiration_s = 300;
}

/* The YAML text as a document; -1 with a message naming the line. */
static int load_document(const char *yaml, size_t len, const char *source,
			 yaml_document_t *doc, char *errbuf, size_t errlen)
{
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser)) {
		snprintf(errbuf, errlen, "%s: out of memory", source);
		return -1;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml, len);
	int rc = 0;
	if (!yaml_parser_load(&parser, doc)) {
		snprintf(errbuf, errlen, "%s:%lu: YAML syntax error: %s%s%s",
			 source, (unsigned long)parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "cannot parse",
			 parser.context ? " " : "",
			 parser.context ? parser.context : "");
		rc = -1;
	}
	yaml_parser_delete(&parser);
	return rc;
}

/* config_parse; with `keep`, settings read up to a problem stay in
   `out` (-1: kept, -2: nothing to keep). */
static int parse(const char *yaml, size_t len, const char *source,
		 berth_settings *out, char *errbuf, size_t errlen, int keep)
{
	set_defaults(out);
	if (!source)
		source = "config";
	if (errlen)
		errbuf[0] = 0;
	yaml_document_t doc;
	if (load_document(yaml, len, source, &doc, errbuf, errlen))
		return keep ? -2 : -1;
	ctx c = {&doc, source, out, errbuf, errlen, 0, 0};
	int rc = -1;
	if (!(out->source = strdup(source))) {
		snprintf(errbuf, errlen, "%s: out of memory", source);
		keep = 0;
		goto done;
	}
	if (walk_root(&c, yaml_document_get_root_node(&doc)) ||
	    apply_env_keys(&c) || apply_env_driver(&c))
		goto done;
	if (!out->addr && set_str(&out->addr, ":5000")) {
		snprintf(errbuf, errlen, "%s: out of memory", source);
		goto done;
	}
	rc = 0;
done:
	yaml_document_delete(&doc);
	if (rc && !keep)
		config_free(out);
	return rc || !keep ? rc : 0;
}

int config_parse(const char *yaml, size_t len, const char *source,
		 berth_settings *out, char *errbuf, size_t errlen)
{
	return parse(yaml, len, source, out, errbuf, errlen, 0);
}

/* The whole file into a malloc'd buffer (at most 16 MiB); -1 with a
   message. */
static int read_file(const char *path, char **buf, size_t *len, char *errbuf,
		     size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(errbuf, errlen, "%s: cannot open: %s", path,
			 strerror(errno));
		return -1;
	}
	size_t cap = 0;
	*buf = NULL;
	*len = 0;
	for (;;) {
		if (*len == cap) {
			if (cap >= (16u << 20)) {
				snprintf(errbuf, errlen, "%s: larger than 16 MiB",
					 path);
				goto fail;
			}
			cap = cap ? cap * 2 : 8192;
			char *nb = realloc(*buf, cap);
			if (!nb) {
				snprintf(errbuf, errlen, "%s: out of memory",
					 path);
				goto fail;
			}
			*buf = nb;
		}
		size_t n = fread(*buf + *len, 1, cap - *len, f);
		*len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		snprintf(errbuf, errlen, "%s: cannot read: %s", path,
			 strerror(errno));
		goto fail;
	}
	fclose(f);
	return 0;
fail:
	fclose(f);
	free(*buf);
	*buf = NULL;
	return -1;
}

/* The file or the default, as config_load or config_load_partial. */
static int load(const char *path, berth_settings *out, char *errbuf,
		size_t errlen, int keep)
{
	if (!path)
		return parse(config_default, strlen(config_default),
			     DEFAULT_SOURCE, out, errbuf, errlen, keep);
	set_defaults(out);
	char *buf;
	size_t len;
	if (read_file(path, &buf, &len, errbuf, errlen))
		return keep ? -2 : -1;
	int rc = parse(buf ? buf : "", len, path, out, errbuf, errlen, keep);
	free(buf);
	return rc;
}

int config_load(const char *path, berth_settings *out, char *errbuf,
		size_t errlen)
{
	return load(path, out, errbuf, errlen, 0);
}

int config_load_partial(const char *path, berth_settings *out,
			char *errbuf, size_t errlen)
{
	return load(path, out, errbuf, errlen, 1);
}

static void free_strings(berth_strings *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static void free_auth(auth_settings *a)
{
	free(a->htpasswd_realm);
	free(a->htpasswd_path);
	free(a->token_realm);
	free(a->token_service);
	free(a->token_issuer);
	free(a->token_rootcertbundle);
	free(a->token_jwks);
	free(a->token_signingkey);
	free(a->token_htpasswd);
	for (size_t i = 0; i < a->nacl; i++) {
		free_strings(&a->acl[i].accounts);
		free(a->acl[i].type);
		free(a->acl[i].name);
	}
	free(a->acl);
	free(a->token_path);
}

void config_free(berth_settings *s)
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
	free_strings(&s->tls_clientcas);
	free(s->tls_clientauth);
	free(s->tls_minimum);
	free(s->sendfile);
	free_auth(&s->auth);
	for (size_t i = 0; i < s->nlines; i++)
		free(s->lines[i].key);
	free(s->lines);
	memset(s, 0, sizeof *s);
}

void config_where(const berth_settings *s, const char *key, char *out,
		  size_t len)
{
	char k[256];
	snprintf(k, sizeof k, "%s", key);
	for (;;) {
		for (size_t i = 0; i < s->nlines; i++)
			if (!strcmp(s->lines[i].key, k)) {
				snprintf(out, len, "%s:%lu: %s", s->source,
					 s->lines[i].line, key);
				return;
			}
		char *dot = strrchr(k, '.');
		if (!dot)
			break;
		*dot = 0;
	}
	snprintf(out, len, "%s: %s", s->source ? s->source : "config", key);
}

int config_addr_is_loopback(const char *addr)
{
	char host[256];
	const char *colon;
	if (!addr)
		return 0;
	if (addr[0] == '[') {
		colon = strstr(addr, "]:");
		if (!colon || (size_t)(colon - addr - 1) >= sizeof host)
			return 0;
		snprintf(host, sizeof host, "%.*s", (int)(colon - addr - 1),
			 addr + 1);
	} else {
		colon = strrchr(addr, ':');
		if (!colon || (size_t)(colon - addr) >= sizeof host)
			return 0;
		snprintf(host, sizeof host, "%.*s", (int)(colon - addr), addr);
	}
	struct in_addr a4;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	return !strcmp(host, "::1") || !strcasecmp(host, "localhost");
}
