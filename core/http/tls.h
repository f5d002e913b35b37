/*
 * http/tls.h - HTTPS for the server: certificate and key, minimum protocol
 * version, client certificates (mutual TLS), and certificate reload
 * without dropping connections.  The only module that knows the TLS
 * library; the server only passes the options this module fills in.
 */
#ifndef BERTH_CORE_HTTP_TLS_H
#define BERTH_CORE_HTTP_TLS_H

#include <stddef.h>
#include <microhttpd.h>

typedef enum http_tls_clientauth {
	BERTH_TLS_CLIENT_NONE,            /* no client certificate asked */
	BERTH_TLS_CLIENT_REQUEST,         /* request-client-cert */
	BERTH_TLS_CLIENT_REQUIRE_ANY,     /* require-any-client-cert */
	BERTH_TLS_CLIENT_VERIFY_IF_GIVEN, /* verify-client-cert-if-given */
	BERTH_TLS_CLIENT_REQUIRE_VERIFY,  /* require-and-verify-client-cert */
} http_tls_clientauth;

typedef struct http_tls_options {
	const char *certificate;        /* PEM chain, leaf first */
	const char *key;                /* PEM private key */
	char *const *clientcas;         /* PEM CA files for client certs */
	size_t nclientcas;
	const char *clientauth;         /* Distribution's names, or NULL */
	const char *minimum;            /* "tls1.2" (default) or "tls1.3" */
} http_tls_options;

/** Parse a clientauth name (NULL: the default for the CA list); -1 if
    unknown. */
int http_tls_clientauth_parse(const char *name, size_t nclientcas);

/**
 * Load the certificate, key and client CAs.  Returns 0 with TLS enabled,
 * or -1 with a message naming the file.  Call once before the server
 * starts; the state is process-wide.
 */
int http_tls_init(const http_tls_options *o, char *err, size_t errlen);

/** Non-zero once http_tls_init succeeded. */
int http_tls_enabled(void);

/** Daemon flags to add (MHD_USE_TLS) when enabled, else 0. */
unsigned http_tls_mhd_flags(void);

/**
 * Fill libmicrohttpd options (terminated by MHD_OPTION_END) for
 * MHD_OPTION_ARRAY.  `opts` needs room for 8 entries.
 */
void http_tls_mhd_options(struct MHD_OptionItem *opts);

/**
 * Check the client certificate of a connection as clientauth says.
 * Returns 0 if the request may go on, -1 (with a reason) if not.
 */
int http_tls_check_client(struct MHD_Connection *conn, char *err,
			   size_t errlen);

/**
 * Re-read the certificate and key; new handshakes use them, open
 * connections keep theirs.  On error the previous pair stays in use and
 * -1 is returned with a message.
 */
int http_tls_reload(char *err, size_t errlen);

void http_tls_fini(void);

#endif
