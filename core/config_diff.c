/*
 * config_diff.c - compare two berth_settings key by key (see
 * config_diff.h).  A table names each scalar setting with its YAML path
 * and how to compare it; the storage driver's options and the token
 * service's access list, which are not scalars, are compared by hand.
 */
#include <stdio.h>
#include <string.h>

#include "config_diff.h"

typedef enum kind { K_INT, K_UNSIGNED, K_INT64, K_STRING, K_STRINGS } kind;

typedef struct key {
	const char *path;
	kind kind;
	size_t off;
} key;

#define S(f) offsetof(berth_settings, f)
#define A(f) offsetof(berth_settings, auth.f)
static const key keys[] = {
	{"log.level", K_INT, S(log_level)},
	{"storage.delete.enabled", K_INT, S(delete_enabled)},
	{"storage.redirect.disable", K_INT, S(redirect_disabled)},
	{"storage.maintenance.uploadpurging.enabled", K_INT,
	 S(purge_enabled)},
	{"storage.maintenance.uploadpurging.age", K_INT64, S(purge_age_s)},
	{"storage.maintenance.uploadpurging.interval", K_INT64,
	 S(purge_interval_s)},
	{"storage.maintenance.uploadpurging.dryrun", K_INT, S(purge_dryrun)},
	{"storage.maintenance.readonly.enabled", K_INT, S(readonly)},
	{"catalog.maxentries", K_UNSIGNED, S(catalog_max_entries)},
	{"http.addr", K_STRING, S(addr)},
	{"http.host", K_STRING, S(host)},
	{"http.prefix", K_STRING, S(prefix)},
	{"http.relativeurls", K_INT, S(relative_urls)},
	{"http.connectionlimit", K_UNSIGNED, S(connection_limit)},
	{"http.timeout", K_UNSIGNED, S(timeout_s)},
	{"http.headertimeout", K_UNSIGNED, S(header_timeout_s)},
	{"http.minbodyrate", K_UNSIGNED, S(min_body_rate)},
	{"http.maxconnectionsperip", K_UNSIGNED, S(max_connections_per_ip)},
	{"http.workers", K_UNSIGNED, S(workers)},
	{"http.draintimeout", K_UNSIGNED, S(drain_timeout_s)},
	{"http.sendfile", K_STRING, S(sendfile)},
	{"http.tls.certificate", K_STRING, S(tls_certificate)},
	{"http.tls.key", K_STRING, S(tls_key)},
	{"http.tls.clientcas", K_STRINGS, S(tls_clientcas)},
	{"http.tls.clientauth", K_STRING, S(tls_clientauth)},
	{"http.tls.minimumtls", K_STRING, S(tls_minimum)},
	{"auth.htpasswd.realm", K_STRING, A(htpasswd_realm)},
	{"auth.htpasswd.path", K_STRING, A(htpasswd_path)},
	{"auth.*.allowinsecure", K_INT, A(allow_insecure)},
	{"auth.token.realm", K_STRING, A(token_realm)},
	{"auth.token.service", K_STRING, A(token_service)},
	{"auth.token.issuer", K_STRING, A(token_issuer)},
	{"auth.token.rootcertbundle", K_STRING, A(token_rootcertbundle)},
	{"auth.token.jwks", K_STRING, A(token_jwks)},
	{"auth.token.builtin", K_INT, A(token_builtin)},
	{"auth.token.signingkey", K_STRING, A(token_signingkey)},
	{"auth.token.htpasswd", K_STRING, A(token_htpasswd)},
	{"auth.token.expiration", K_UNSIGNED, A(token_expiration_s)},
};

/* NULL and "" are the same: an unset key. */
static int str_differ(const char *x, const char *y)
{
	return strcmp(x ? x : "", y ? y : "") != 0;
}

static int strings_differ(const berth_strings *x, const berth_strings *y)
{
	if (x->n != y->n)
		return 1;
	for (size_t i = 0; i < x->n; i++)
		if (str_differ(x->v[i], y->v[i]))
			return 1;
	return 0;
}

static int key_differs(const key *k, const berth_settings *a,
		       const berth_settings *b)
{
	const char *x = (const char *)a + k->off, *y = (const char *)b + k->off;
	switch (k->kind) {
	case K_INT:
		return *(const int *)x != *(const int *)y;
	case K_UNSIGNED:
		return *(const unsigned *)x != *(const unsigned *)y;
	case K_INT64:
		return *(const int64_t *)x != *(const int64_t *)y;
	case K_STRING:
		return str_differ(*(char *const *)x, *(char *const *)y);
	case K_STRINGS:
		return strings_differ((const berth_strings *)x,
				      (const berth_strings *)y);
	}
	return 0;
}

static const char *option_value(const berth_settings *s, const char *k)
{
	for (size_t i = 0; i < s->noptions; i++)
		if (!strcmp(s->options[i].key, k))
			return s->options[i].value;
	return NULL;
}

/* Options of `a` that `b` lacks or sets otherwise; with `only_missing`,
   the ones `b` lacks (the pass from b's side). */
static size_t options_diff(const berth_settings *a, const berth_settings *b,
			   int only_missing, config_diff_fn fn, void *payload)
{
	size_t n = 0;
	char path[256];
	for (size_t i = 0; i < a->noptions; i++) {
		const char *other = option_value(b, a->options[i].key);
		int changed = !other || (!only_missing &&
					 str_differ(other, a->options[i].value));
		if (!changed)
			continue;
		snprintf(path, sizeof path, "storage.%s.%s", a->driver,
			 a->options[i].key);
		fn(path, payload);
		n++;
	}
	return n;
}

static size_t storage_diff(const berth_settings *a, const berth_settings *b,
			   config_diff_fn fn, void *payload)
{
	if (str_differ(a->driver, b->driver)) {
		fn("storage", payload);
		return 1;
	}
	size_t n = 0;
	if (str_differ(a->driver_path, b->driver_path)) {
		char path[256];
		snprintf(path, sizeof path, "storage.%s.driverpath", a->driver);
		fn(path, payload);
		n++;
	}
	n += options_diff(a, b, 0, fn, payload);
	return n + options_diff(b, a, 1, fn, payload);
}

static int acl_differs(const auth_settings *a, const auth_settings *b)
{
	if (a->nacl != b->nacl)
		return 1;
	for (size_t i = 0; i < a->nacl; i++) {
		const berth_acl_rule *x = &a->acl[i], *y = &b->acl[i];
		if (strings_differ(&x->accounts, &y->accounts) ||
		    str_differ(x->type, y->type) ||
		    str_differ(x->name, y->name) || x->actions != y->actions)
			return 1;
	}
	return 0;
}

size_t config_diff(const berth_settings *a, const berth_settings *b,
		   config_diff_fn fn, void *payload)
{
	size_t n = 0;
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (i == 1) /* after log.level, in the file's order */
			n += storage_diff(a, b, fn, payload);
		if (key_differs(&keys[i], a, b)) {
			fn(keys[i].path, payload);
			n++;
		}
	}
	if (acl_differs(&a->auth, &b->auth)) {
		fn("auth.token.acl", payload);
		n++;
	}
	return n;
}
