/*
 * auth/auth_config.c - reads the auth section and the http.tls extras of the
 * configuration file with libyaml's document API.
 *
 * Everything that ends up in a response header (realm, service) is
 * refused at load time if it holds a control character, a quote or a
 * backslash, so the WWW-Authenticate challenge can be built without
 * escaping and can never be split or extended by the configuration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "auth/auth_config.h"

typedef struct ctx {
	yaml_document_t *doc;
	char *err;
	size_t errlen;
} ctx;

static int fail(ctx *c, yaml_node_t *n, const char *key, const char *what)
{
	snprintf(c->err, c->errlen, "line %lu: %s: %s",
		 n ? (unsigned long)n->start_mark.line + 1 : 0UL, key, what);
	return -1;
}

static yaml_node_t *node(ctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
						: NULL;
}

static yaml_node_t *map_get(ctx *c, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		const char *k = scalar(node(c, p->key));
		if (k && strcmp(k, key) == 0)
			return node(c, p->value);
	}
	return NULL;
}

/* Fail on any key of `map` not in the NULL-terminated `known`. */
static int only_keys(ctx *c, yaml_node_t *map, const char *section,
		     const char *const *known)
{
	if (map->type != YAML_MAPPING_NODE)
		return fail(c, map, section, "expected a mapping");
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *kn = node(c, p->key);
		const char *k = scalar(kn);
		int ok = 0;
		for (size_t i = 0; k && known[i]; i++)
			ok |= strcmp(k, known[i]) == 0;
		if (!ok) {
			char full[160];
			snprintf(full, sizeof full, "%s.%s", section,
				 k ? k : "?");
			return fail(c, kn, full, "unknown key");
		}
	}
	return 0;
}

static int header_safe(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '"' ||
		    *s == '\\')
			return 0;
	return 1;
}

/* A string member; `safe` requires header_safe. */
static int get_str(ctx *c, yaml_node_t *map, const char *section,
		   const char *key, int safe, char **out)
{
	yaml_node_t *n = map_get(c, map, key);
	if (!n)
		return 0;
	char full[160];
	snprintf(full, sizeof full, "%s.%s", section, key);
	const char *v = scalar(n);
	if (!v || !*v)
		return fail(c, n, full, "expected a non-empty string");
	if (safe && !header_safe(v))
		return fail(c, n, full,
			    "must not contain control characters, quotes or "
			    "backslashes");
	free(*out);
	*out = strdup(v);
	return *out ? 0 : fail(c, n, full, "out of memory");
}

static int get_bool(ctx *c, yaml_node_t *map, const char *section,
		    const char *key, int *out)
{
	yaml_node_t *n = map_get(c, map, key);
	if (!n)
		return 0;
	const char *v = scalar(n);
	char full[160];
	snprintf(full, sizeof full, "%s.%s", section, key);
	if (v && (!strcmp(v, "true") || !strcmp(v, "yes")))
		*out = 1;
	else if (v && (!strcmp(v, "false") || !strcmp(v, "no")))
		*out = 0;
	else
		return fail(c, n, full, "expected true or false");
	return 0;
}

/* A string or a sequence of strings. */
static int get_list(ctx *c, yaml_node_t *n, const char *key, char ***out,
		    size_t *count)
{
	if (n->type == YAML_SCALAR_NODE) {
		*out = calloc(1, sizeof **out);
		if (!*out || !(**out = strdup(scalar(n))))
			return fail(c, n, key, "out of memory");
		*count = 1;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return fail(c, n, key, "expected a string or a list");
	size_t len = n->data.sequence.items.top - n->data.sequence.items.start;
	*out = calloc(len ? len : 1, sizeof **out);
	if (!*out)
		return fail(c, n, key, "out of memory");
	for (size_t i = 0; i < len; i++) {
		const char *v = scalar(node(c, n->data.sequence.items.start[i]));
		if (!v || !*v)
			return fail(c, n, key, "expected strings");
		if (!((*out)[i] = strdup(v)))
			return fail(c, n, key, "out of memory");
		*count = i + 1;
	}
	return 0;
}

unsigned berth_auth_action_parse(const char *name)
{
	if (strcmp(name, "pull") == 0)
		return BERTH_ACTION_PULL;
	if (strcmp(name, "push") == 0)
		return BERTH_ACTION_PUSH;
	if (strcmp(name, "delete") == 0)
		return BERTH_ACTION_DELETE;
	if (strcmp(name, "*") == 0)
		return BERTH_ACTION_ALL;
	return 0;
}

static int parse_duration(const char *s, long *out)
{
	char *end = NULL;
	long v = strtol(s, &end, 10);
	if (end == s || v <= 0)
		return -1;
	if (*end == 0 || strcmp(end, "s") == 0)
		*out = v;
	else if (strcmp(end, "m") == 0)
		*out = v * 60;
	else if (strcmp(end, "h") == 0)
		*out = v * 3600;
	else
		return -1;
	return *out > 0 && *out <= 86400 ? 0 : -1;
}

static int parse_acl(ctx *c, yaml_node_t *seq, berth_auth_config *o)
{
	const char *key = "auth.token.acl";
	if (seq->type != YAML_SEQUENCE_NODE)
		return fail(c, seq, key, "expected a list of rules");
	size_t len = seq->data.sequence.items.top -
		     seq->data.sequence.items.start;
	o->acl = calloc(len ? len : 1, sizeof *o->acl);
	if (!o->acl)
		return fail(c, seq, key, "out of memory");
	static const char *const known[] = {"account", "type", "name",
					    "actions", NULL};
	for (size_t i = 0; i < len; i++) {
		yaml_node_t *r = node(c, seq->data.sequence.items.start[i]);
		berth_acl_rule *rule = &o->acl[i];
		o->nacl = i + 1;
		if (only_keys(c, r, key, known))
			return -1;
		yaml_node_t *acc = map_get(c, r, "account");
		yaml_node_t *acts = map_get(c, r, "actions");
		if (!acc || !acts)
			return fail(c, r, key,
				    "each rule needs account and actions");
		if (get_list(c, acc, "auth.token.acl.account",
			     &rule->accounts, &rule->naccounts) ||
		    get_str(c, r, key, "type", 0, &rule->type) ||
		    get_str(c, r, key, "name", 0, &rule->name))
			return -1;
		if (!rule->type && !(rule->type = strdup("repository")))
			return fail(c, r, key, "out of memory");
		if (strcmp(rule->type, "repository") &&
		    strcmp(rule->type, "registry"))
			return fail(c, r, "auth.token.acl.type",
				    "repository or registry");
		if (!rule->name && !(rule->name = strdup("*")))
			return fail(c, r, key, "out of memory");
		char **names = NULL;
		size_t n = 0;
		int rc = get_list(c, acts, "auth.token.acl.actions", &names, &n);
		for (size_t j = 0; j < n; j++) {
			unsigned a = berth_auth_action_parse(names[j]);
			if (!a && !rc)
				rc = fail(c, acts, "auth.token.acl.actions",
					  "pull, push, delete or *");
			rule->actions |= a;
			free(names[j]);
		}
		free(names);
		if (rc)
			return -1;
	}
	return 0;
}

static int parse_tls(ctx *c, yaml_node_t *t, berth_auth_config *o)
{
	yaml_node_t *cas = map_get(c, t, "clientcas");
	if (cas && get_list(c, cas, "http.tls.clientcas", &o->tls_clientcas,
			    &o->ntls_clientcas))
		return -1;
	return get_str(c, t, "http.tls", "clientauth", 0, &o->tls_clientauth) ||
	       get_str(c, t, "http.tls", "minimumtls", 0, &o->tls_minimum);
}

static int parse_htpasswd(ctx *c, yaml_node_t *h, berth_auth_config *o)
{
	static const char *const known[] = {"realm", "path", "allowinsecure",
					    NULL};
	const char *s = "auth.htpasswd";
	if (only_keys(c, h, s, known) ||
	    get_str(c, h, s, "realm", 1, &o->htpasswd_realm) ||
	    get_str(c, h, s, "path", 0, &o->htpasswd_path) ||
	    get_bool(c, h, s, "allowinsecure", &o->allow_insecure))
		return -1;
	if (!o->htpasswd_realm || !o->htpasswd_path)
		return fail(c, h, s, "needs realm and path");
	return 0;
}

static int parse_token(ctx *c, yaml_node_t *t, berth_auth_config *o)
{
	static const char *const known[] = {
		"realm", "service", "issuer", "rootcertbundle", "jwks",
		"autoredirect", "builtin", "signingkey", "htpasswd",
		"expiration", "acl", "allowinsecure", NULL};
	const char *s = "auth.token";
	if (only_keys(c, t, s, known) ||
	    get_str(c, t, s, "realm", 1, &o->token_realm) ||
	    get_str(c, t, s, "service", 1, &o->token_service) ||
	    get_str(c, t, s, "issuer", 0, &o->token_issuer) ||
	    get_str(c, t, s, "rootcertbundle", 0, &o->token_rootcertbundle) ||
	    get_str(c, t, s, "jwks", 0, &o->token_jwks) ||
	    get_bool(c, t, s, "builtin", &o->token_builtin) ||
	    get_str(c, t, s, "signingkey", 0, &o->token_signingkey) ||
	    get_str(c, t, s, "htpasswd", 0, &o->token_htpasswd) ||
	    get_bool(c, t, s, "allowinsecure", &o->allow_insecure))
		return -1;
	if (!o->token_realm || !o->token_service || !o->token_issuer)
		return fail(c, t, s, "needs realm, service and issuer");
	yaml_node_t *exp = map_get(c, t, "expiration");
	o->token_expiration_s = 300;
	if (exp && (!scalar(exp) ||
		    parse_duration(scalar(exp), &o->token_expiration_s)))
		return fail(c, exp, "auth.token.expiration",
			    "a duration like 300s or 5m (at most 24h)");
	yaml_node_t *acl = map_get(c, t, "acl");
	if (acl && parse_acl(c, acl, o))
		return -1;
	if (o->token_builtin) {
		if (!o->token_signingkey || !o->token_htpasswd)
			return fail(c, t, s,
				    "builtin needs signingkey and htpasswd");
	} else if (o->token_signingkey || o->token_htpasswd || acl) {
		return fail(c, t, s,
			    "signingkey, htpasswd and acl belong to the "
			    "built-in token service (builtin: true)");
	}
	if (!o->token_builtin && !o->token_rootcertbundle && !o->token_jwks)
		return fail(c, t, s, "needs rootcertbundle or jwks");
	return 0;
}

int berth_auth_config_load(const char *path, berth_auth_config *out,
			   char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (!path)
		return 0;
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open", path);
		return -1;
	}
	yaml_parser_t parser;
	yaml_document_t doc;
	char msg[400] = "";
	int rc = -1;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(msg, sizeof msg, "line %lu: %s",
			 (unsigned long)parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "YAML error");
		yaml_parser_delete(&parser);
		fclose(f);
		snprintf(err, errlen, "%s: %s", path, msg);
		return -1;
	}
	ctx c = {&doc, msg, sizeof msg};
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	yaml_node_t *tls = map_get(&c, map_get(&c, root, "http"), "tls");
	yaml_node_t *auth = map_get(&c, root, "auth");
	if (tls && parse_tls(&c, tls, out))
		goto out;
	if (auth) {
		static const char *const known[] = {"htpasswd", "token",
						    "silly", "none", NULL};
		if (only_keys(&c, auth, "auth", known))
			goto out;
		yaml_node_t *h = map_get(&c, auth, "htpasswd");
		yaml_node_t *t = map_get(&c, auth, "token");
		if (map_get(&c, auth, "silly")) {
			fail(&c, auth, "auth.silly",
			     "is a test scheme Berth does not offer");
			goto out;
		}
		if (h && t) {
			fail(&c, auth, "auth",
			     "choose one of htpasswd and token");
			goto out;
		}
		if ((h && parse_htpasswd(&c, h, out)) ||
		    (t && parse_token(&c, t, out)))
			goto out;
	}
	rc = 0;
out:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	if (rc) {
		snprintf(err, errlen, "%s: %s", path, msg);
		berth_auth_config_free(out);
	}
	return rc;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void berth_auth_config_free(berth_auth_config *c)
{
	free_list(c->tls_clientcas, c->ntls_clientcas);
	free(c->tls_clientauth);
	free(c->tls_minimum);
	free(c->htpasswd_realm);
	free(c->htpasswd_path);
	free(c->token_realm);
	free(c->token_service);
	free(c->token_issuer);
	free(c->token_rootcertbundle);
	free(c->token_jwks);
	free(c->token_signingkey);
	free(c->token_htpasswd);
	for (size_t i = 0; i < c->nacl; i++) {
		free_list(c->acl[i].accounts, c->acl[i].naccounts);
		free(c->acl[i].type);
		free(c->acl[i].name);
	}
	free(c->acl);
	memset(c, 0, sizeof *c);
}
