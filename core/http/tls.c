/*
 * http/tls.c - server-side TLS through libmicrohttpd's GnuTLS back end.
 *
 * The certificate is handed to GnuTLS by a retrieve callback rather than
 * once at start-up, so SIGHUP can load a renewed certificate and key and
 * every handshake after that uses them, while connections already open
 * keep going.  Older certificate generations are kept until shutdown
 * because a session may still refer to them; renewals are rare, so this
 * costs a few kilobytes per SIGHUP at most (an unchanged file is not
 * loaded again).
 *
 * Client certificates: the CA files become libmicrohttpd's trust list.
 * With require-and-verify the handshake itself demands a certificate and
 * verifies it, and every request checks the verification result again,
 * so a request can never pass on a connection whose client is unverified.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "http/tls.h"

typedef struct generation {
	gnutls_pcert_st *pcerts;
	unsigned npcerts;
	gnutls_privkey_t key;
	gnutls_datum_t cert_pem, key_pem; /* to recognise unchanged files */
	struct generation *older;
} generation;

static struct {
	int enabled;
	pthread_mutex_t mu;
	generation *current;
	char *cert_path, *key_path;
	char *trust_pem; /* concatenated client CAs, or NULL */
	const char *priorities;
	http_tls_clientauth clientauth;
} tls = {.mu = PTHREAD_MUTEX_INITIALIZER};

static const char *const auth_names[] = {
	[BERTH_TLS_CLIENT_REQUEST] = "request-client-cert",
	[BERTH_TLS_CLIENT_REQUIRE_ANY] = "require-any-client-cert",
	[BERTH_TLS_CLIENT_VERIFY_IF_GIVEN] = "verify-client-cert-if-given",
	[BERTH_TLS_CLIENT_REQUIRE_VERIFY] = "require-and-verify-client-cert",
};

int http_tls_clientauth_parse(const char *name, size_t nclientcas)
{
	if (!name || !*name)
		return nclientcas ? BERTH_TLS_CLIENT_REQUIRE_VERIFY
				  : BERTH_TLS_CLIENT_NONE;
	for (int i = BERTH_TLS_CLIENT_REQUEST;
	     i <= BERTH_TLS_CLIENT_REQUIRE_VERIFY; i++)
		if (strcmp(name, auth_names[i]) == 0)
			return i;
	return -1;
}

static void free_generation(generation *g)
{
	if (!g)
		return;
	for (unsigned i = 0; i < g->npcerts; i++)
		gnutls_pcert_deinit(&g->pcerts[i]);
	gnutls_free(g->pcerts);
	gnutls_privkey_deinit(g->key);
	gnutls_free(g->cert_pem.data);
	gnutls_free(g->key_pem.data);
	free(g);
}

static int same_datum(const gnutls_datum_t *a, const gnutls_datum_t *b)
{
	return a->size == b->size && memcmp(a->data, b->data, a->size) == 0;
}

/* Load certificate chain and key; NULL with a message. */
static generation *load_generation(char *err, size_t errlen)
{
	generation *g = calloc(1, sizeof *g);
	gnutls_x509_crt_t *crts = NULL;
	unsigned ncrts = 0;
	gnutls_certificate_credentials_t check = NULL;
	int rc;
	if (!g) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (gnutls_load_file(tls.cert_path, &g->cert_pem) < 0) {
		snprintf(err, errlen, "http.tls.certificate: cannot read %s",
			 tls.cert_path);
		goto fail;
	}
	if (gnutls_load_file(tls.key_path, &g->key_pem) < 0) {
		snprintf(err, errlen, "http.tls.key: cannot read %s",
			 tls.key_path);
		goto fail;
	}
	/* Let GnuTLS confirm that the key belongs to the certificate. */
	gnutls_certificate_allocate_credentials(&check);
	rc = gnutls_certificate_set_x509_key_mem2(check, &g->cert_pem,
						  &g->key_pem,
						  GNUTLS_X509_FMT_PEM, NULL, 0);
	gnutls_certificate_free_credentials(check);
	if (rc < 0) {
		snprintf(err, errlen, "http.tls: %s and %s: %s", tls.cert_path,
			 tls.key_path, gnutls_strerror(rc));
		goto fail;
	}
	rc = gnutls_x509_crt_list_import2(&crts, &ncrts, &g->cert_pem,
					  GNUTLS_X509_FMT_PEM, 0);
	if (rc < 0 || ncrts == 0) {
		snprintf(err, errlen, "http.tls.certificate %s: %s",
			 tls.cert_path, gnutls_strerror(rc));
		goto fail;
	}
	g->pcerts = gnutls_calloc(ncrts, sizeof *g->pcerts);
	if (!g->pcerts) {
		snprintf(err, errlen, "out of memory");
		goto fail_crts;
	}
	unsigned n = ncrts;
	rc = gnutls_pcert_import_x509_list(g->pcerts, crts, &n, 0);
	if (rc < 0) {
		snprintf(err, errlen, "http.tls.certificate %s: %s",
			 tls.cert_path, gnutls_strerror(rc));
		gnutls_free(g->pcerts);
		g->pcerts = NULL;
		goto fail_crts;
	}
	g->npcerts = n;
	if (gnutls_privkey_init(&g->key) < 0 ||
	    (rc = gnutls_privkey_import_x509_raw(g->key, &g->key_pem,
						 GNUTLS_X509_FMT_PEM, NULL,
						 0)) < 0) {
		snprintf(err, errlen, "http.tls.key %s: %s", tls.key_path,
			 gnutls_strerror(rc));
		goto fail_crts;
	}
	for (unsigned i = 0; i < ncrts; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
	return g;
fail_crts:
	for (unsigned i = 0; i < ncrts; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
fail:
	free_generation(g);
	return NULL;
}

/* Called by GnuTLS in every handshake: hand out the current pair. */
static int retrieve_cert(gnutls_session_t session,
			 const gnutls_datum_t *req_ca_rdn, int nreqs,
			 const gnutls_pk_algorithm_t *pk_algos,
			 int pk_algos_length, gnutls_pcert_st **pcert,
			 unsigned int *pcert_length, gnutls_privkey_t *privkey)
{
	switch (tls.clientauth) {
	case BERTH_TLS_CLIENT_NONE:
		break;
	case BERTH_TLS_CLIENT_REQUEST:
	case BERTH_TLS_CLIENT_VERIFY_IF_GIVEN:
		/* verified per request (http_tls_check_client) */
		gnutls_certificate_server_set_request(session,
						      GNUTLS_CERT_REQUEST);
		break;
	case BERTH_TLS_CLIENT_REQUIRE_ANY:
		gnutls_certificate_server_set_request(session,
						      GNUTLS_CERT_REQUIRE);
		break;
	case BERTH_TLS_CLIENT_REQUIRE_VERIFY:
		/* the handshake fails without a trusted certificate */
		gnutls_certificate_server_set_request(session,
						      GNUTLS_CERT_REQUIRE);
		gnutls_session_set_verify_cert(session, NULL, 0);
		break;
	}
	pthread_mutex_lock(&tls.mu);
	generation *g = tls.current;
	pthread_mutex_unlock(&tls.mu);
	if (!g)
		return -1;
	*pcert = g->pcerts;
	*pcert_length = g->npcerts;
	*privkey = g->key;
	return 0;
}

static int read_file(const char *path, char **buf, size_t *len)
{
	gnutls_datum_t d;
	if (gnutls_load_file(path, &d) < 0)
		return -1;
	char *nb = realloc(*buf, *len + d.size + 2);
	if (!nb) {
		gnutls_free(d.data);
		return -1;
	}
	memcpy(nb + *len, d.data, d.size);
	*len += d.size;
	nb[(*len)++] = '\n';
	nb[*len] = 0;
	*buf = nb;
	gnutls_free(d.data);
	return 0;
}

int http_tls_init(const http_tls_options *o, char *err, size_t errlen)
{
	if (!o->certificate || !*o->certificate || !o->key || !*o->key) {
		snprintf(err, errlen,
			 "http.tls needs both certificate and key");
		return -1;
	}
	int ca = http_tls_clientauth_parse(o->clientauth, o->nclientcas);
	if (ca < 0) {
		snprintf(err, errlen, "http.tls.clientauth: unknown value %s",
			 o->clientauth);
		return -1;
	}
	if ((ca == BERTH_TLS_CLIENT_REQUIRE_VERIFY ||
	     ca == BERTH_TLS_CLIENT_VERIFY_IF_GIVEN) && !o->nclientcas) {
		snprintf(err, errlen,
			 "http.tls.clientauth %s needs http.tls.clientcas",
			 o->clientauth);
		return -1;
	}
	const char *min = o->minimum && *o->minimum ? o->minimum : "tls1.2";
	if (strcmp(min, "tls1.2") == 0)
		tls.priorities = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2";
	else if (strcmp(min, "tls1.3") == 0)
		tls.priorities = "NORMAL:-VERS-ALL:+VERS-TLS1.3";
	else {
		snprintf(err, errlen,
			 "http.tls.minimumtls: %s is not accepted (tls1.2 or "
			 "tls1.3)", min);
		return -1;
	}
	tls.clientauth = (http_tls_clientauth)ca;
	tls.cert_path = strdup(o->certificate);
	tls.key_path = strdup(o->key);
	size_t len = 0;
	for (size_t i = 0; i < o->nclientcas; i++) {
		if (read_file(o->clientcas[i], &tls.trust_pem, &len)) {
			snprintf(err, errlen,
				 "http.tls.clientcas: cannot read %s",
				 o->clientcas[i]);
			goto fail;
		}
		/* Make sure the file holds at least one certificate. */
		gnutls_datum_t d;
		gnutls_x509_crt_t *crts = NULL;
		unsigned n = 0;
		if (gnutls_load_file(o->clientcas[i], &d) < 0)
			goto fail;
		int rc = gnutls_x509_crt_list_import2(&crts, &n, &d,
						      GNUTLS_X509_FMT_PEM, 0);
		gnutls_free(d.data);
		for (unsigned j = 0; j < n; j++)
			gnutls_x509_crt_deinit(crts[j]);
		gnutls_free(crts);
		if (rc < 0 || n == 0) {
			snprintf(err, errlen,
				 "http.tls.clientcas: %s holds no PEM "
				 "certificate", o->clientcas[i]);
			goto fail;
		}
	}
	if (!tls.cert_path || !tls.key_path ||
	    !(tls.current = load_generation(err, errlen)))
		goto fail;
	tls.enabled = 1;
	return 0;
fail:
	http_tls_fini();
	return -1;
}

int http_tls_enabled(void)
{
	return tls.enabled;
}

unsigned http_tls_mhd_flags(void)
{
	return tls.enabled ? MHD_USE_TLS : 0;
}

void http_tls_mhd_options(struct MHD_OptionItem *opts)
{
	size_t i = 0;
	if (tls.enabled) {
		opts[i++] = (struct MHD_OptionItem){
			MHD_OPTION_HTTPS_CERT_CALLBACK, 0, (void *)retrieve_cert};
		opts[i++] = (struct MHD_OptionItem){
			MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)tls.priorities};
		if (tls.trust_pem)
			opts[i++] = (struct MHD_OptionItem){
				MHD_OPTION_HTTPS_MEM_TRUST, 0, tls.trust_pem};
	}
	opts[i] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
}

int http_tls_check_client(struct MHD_Connection *conn, char *err,
			   size_t errlen)
{
	if (!tls.enabled || tls.clientauth == BERTH_TLS_CLIENT_NONE ||
	    tls.clientauth == BERTH_TLS_CLIENT_REQUEST)
		return 0;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session) {
		snprintf(err, errlen, "no TLS session");
		return -1;
	}
	gnutls_session_t s = (gnutls_session_t)ci->tls_session;
	unsigned n = 0;
	const gnutls_datum_t *peer = gnutls_certificate_get_peers(s, &n);
	if (!peer || n == 0) {
		if (tls.clientauth == BERTH_TLS_CLIENT_VERIFY_IF_GIVEN)
			return 0;
		snprintf(err, errlen, "a client certificate is required");
		return -1;
	}
	if (tls.clientauth == BERTH_TLS_CLIENT_REQUIRE_ANY)
		return 0;
	unsigned status = 0;
	int rc = gnutls_certificate_verify_peers2(s, &status);
	if (rc < 0 || status != 0) {
		snprintf(err, errlen, "the client certificate is not trusted");
		return -1;
	}
	return 0;
}

int http_tls_reload(char *err, size_t errlen)
{
	if (!tls.enabled)
		return 0;
	generation *g = load_generation(err, errlen);
	if (!g)
		return -1;
	pthread_mutex_lock(&tls.mu);
	if (same_datum(&g->cert_pem, &tls.current->cert_pem) &&
	    same_datum(&g->key_pem, &tls.current->key_pem)) {
		pthread_mutex_unlock(&tls.mu);
		free_generation(g);
		return 0;
	}
	g->older = tls.current;
	tls.current = g;
	pthread_mutex_unlock(&tls.mu);
	return 0;
}

void http_tls_fini(void)
{
	pthread_mutex_lock(&tls.mu);
	generation *g = tls.current;
	tls.current = NULL;
	pthread_mutex_unlock(&tls.mu);
	while (g) {
		generation *older = g->older;
		free_generation(g);
		g = older;
	}
	free(tls.cert_path);
	free(tls.key_path);
	free(tls.trust_pem);
	tls.cert_path = tls.key_path = tls.trust_pem = NULL;
	tls.enabled = 0;
}
