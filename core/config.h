/*
 * config.h - the registry configuration, read from a YAML file in the
 * shape of CNCF Distribution's config.yml, or the embedded default.
 * config.c is the one reader of that file: every section, access control
 * and TLS included, ends up here.
 */
#ifndef BERTH_CORE_CONFIG_H
#define BERTH_CORE_CONFIG_H

#include <stddef.h>
#include <stdint.h>

/** One storage driver option (strings owned by the config). */
typedef struct berth_option {
	char *key;
	char *value;
} berth_option;

/** A list of strings: a YAML string or a list of strings (owned). */
typedef struct berth_strings {
	char **v;
	size_t n;
} berth_strings;

/** One rule of the built-in token service's access list. */
typedef struct berth_acl_rule {
	berth_strings accounts; /* account names; "*" is any authenticated one */
	char *type;        /* "repository" (default) or "registry" */
	char *name;        /* glob (default "*"); "${account}" is the account */
	unsigned actions;  /* BERTH_ACTION_* (auth/actions.h) */
} berth_acl_rule;

/**
 * The auth section.  Realm and service hold no control character, quote
 * or backslash (refused at load), so a challenge header can carry them
 * as they are.
 */
typedef struct auth_settings {
	/* auth.htpasswd */
	char *htpasswd_realm;
	char *htpasswd_path;
	int allow_insecure; /* auth.*.allowinsecure: passwords over HTTP */

	/* auth.token */
	char *token_realm;
	char *token_service;
	char *token_issuer;
	char *token_rootcertbundle;
	char *token_jwks;
	/* the built-in token service (auth.token.builtin) */
	int token_builtin;
	char *token_signingkey;
	char *token_htpasswd;
	unsigned token_expiration_s; /* default 300 */
	berth_acl_rule *acl;
	size_t nacl;
	char *token_path; /* the realm URL's path, where the built-in service
			     answers (api/token.c); NULL without builtin */
} auth_settings;

/** Where a key of the file was (config_where). */
typedef struct berth_key_line {
	char *key;          /* dotted: "storage.filesystem.rootdirectory" */
	unsigned long line; /* 1-based */
} berth_key_line;

typedef struct berth_settings {
	char *source;       /* file name, or "<default>" */
	int log_level;      /* berth_log_level */

	/* storage */
	char *driver;       /* e.g. "filesystem" */
	char *driver_path;  /* storage.<driver>.driverpath, or NULL */
	berth_option *options; /* storage.<driver>.* except driverpath */
	size_t noptions;
	int delete_enabled;          /* storage.delete.enabled */
	int redirect_disabled;       /* storage.redirect.disable */
	int purge_enabled;           /* storage.maintenance.uploadpurging */
	int64_t purge_age_s;         /*   .age (default 168h) */
	int64_t purge_interval_s;    /*   .interval (default 24h) */
	int purge_dryrun;            /*   .dryrun */
	int readonly;                /* storage.maintenance.readonly.enabled */
	unsigned catalog_max_entries; /* catalog.maxentries: the most names
					 one catalog page holds; 0: no cap */

	/* http */
	char *addr;          /* http.addr, "host:port" or ":port" */
	char *host;          /* http.host: external base URL, or NULL */
	char *prefix;        /* http.prefix, or NULL */
	int relative_urls;   /* http.relativeurls */
	char *tls_certificate; /* http.tls.certificate */
	char *tls_key;         /* http.tls.key */
	berth_strings tls_clientcas; /* http.tls.clientcas: PEM CA files */
	char *tls_clientauth;  /* http.tls.clientauth (Distribution's names) */
	char *tls_minimum;     /* http.tls.minimumtls */
	unsigned connection_limit; /* http.connectionlimit (Berth); 0: as
				      many as file descriptors allow */
	unsigned timeout_s;        /* http.timeout (Berth): idle connection,
				      and the wait for the next request */
	unsigned header_timeout_s; /* http.headertimeout (Berth): a new
				      connection's request headers */
	unsigned min_body_rate;    /* http.minbodyrate (Berth): bytes/s a
				      request body must keep up; 0: none */
	unsigned max_connections_per_ip; /* http.maxconnectionsperip (Berth),
					    0: no per-address limit */
	unsigned workers;          /* http.workers (Berth): threads that run
				      requests' storage work */
	unsigned drain_timeout_s;  /* http.draintimeout: on SIGTERM, how long
				      requests under way may take to finish
				      (default 25s; 0: stop at once) */
	char *sendfile; /* http.sendfile (Berth): "auto" (or NULL), "always"
			   or "never"; see api/blobs.c */

	auth_settings auth; /* auth.htpasswd, auth.token */

	berth_key_line *lines; /* every key of the file with its line */
	size_t nlines;
} berth_settings;

/**
 * Load settings from `path`, or the embedded default if `path` is NULL.
 * On error returns -1 and writes every problem found into errbuf, one a
 * line ("file:line: key: what"; no trailing newline, cut at errlen).
 * Warnings (accepted-but-unused Distribution keys) are logged.
 */
int config_load(const char *path, berth_settings *out, char *errbuf,
			size_t errlen);

/**
 * config_load for berth check-config, which goes on to check the rest:
 * 0; -1 with the problems in errbuf and what could be read kept in `out`
 * (config_free it); -2 with the problem in errbuf and nothing kept (the
 * file could not be read or is not YAML).
 */
int config_load_partial(const char *path, berth_settings *out,
			char *errbuf, size_t errlen);

/** Same as config_load but from an in-memory YAML document. */
int config_parse(const char *yaml, size_t len, const char *source,
			 berth_settings *out, char *errbuf, size_t errlen);

void config_free(berth_settings *s);

/**
 * "file:line: key" for `key` (dotted) into `out`: the line of the key
 * itself, else of the nearest enclosing key the file has; "file: key"
 * when neither was in the file (the default, an environment override).
 */
void config_where(const berth_settings *s, const char *key, char *out,
		  size_t len);

/**
 * A predicate: 1 when the host of `addr` (http.addr's "host:port") is a
 * loopback one (127.0.0.0/8, ::1, localhost), so only this machine can
 * connect; 0 otherwise (":port" listens on every interface).
 */
int config_addr_is_loopback(const char *addr);

/** The embedded default configuration text. */
extern const char config_default[];

#endif
