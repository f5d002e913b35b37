/*
 * http/request.c - request helpers and replies shared by every API handler.
 *
 * Every reply goes through http_reply_response, which adds the headers the
 * Docker and OCI clients expect on all responses, so no handler can forget
 * them.  Replies are recorded on the request and queued by the server once
 * the request body has been consumed (see http/request.h).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "http/request.h"

const char *http_header(berth_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_query(berth_request *req, const char *key)
{
	const char *v = NULL;
	size_t len = 0;
	if (MHD_lookup_connection_value_n(req->conn, MHD_GET_ARGUMENT_KIND, key,
					  strlen(key), &v, &len) != MHD_YES)
		return NULL;
	return v ? v : "";
}

typedef struct query_each {
	const char *key;
	void (*fn)(void *cls, const char *value);
	void *cls;
} query_each;

static enum MHD_Result query_value(void *cls, enum MHD_ValueKind kind,
				   const char *key, const char *value)
{
	query_each *q = cls;
	if (key && strcmp(key, q->key) == 0)
		q->fn(q->cls, value ? value : "");
	return MHD_YES;
}

void http_query_each(berth_request *req, const char *key,
		     void (*fn)(void *cls, const char *value), void *cls)
{
	query_each q = {key, fn, cls};
	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND,
				  query_value, &q);
}

void http_expect_body(berth_request *req, berth_body_cb on_body,
		      berth_end_cb on_end)
{
	req->on_body = on_body;
	req->on_end = on_end;
}

void http_reply_response(berth_request *req, unsigned status,
			 struct MHD_Response *resp, const char *const *headers)
{
	if (!resp) {
		LOG_ERROR("could not create a response for %s %s", req->method,
			  req->path);
		return;
	}
	if (req->response) /* a later reply replaces an earlier one */
		MHD_destroy_response(req->response);
	MHD_add_response_header(resp, "Docker-Distribution-API-Version",
				"registry/2.0");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	for (size_t i = 0; headers && headers[i] && headers[i + 1]; i += 2)
		MHD_add_response_header(resp, headers[i], headers[i + 1]);
	req->response = resp;
	req->status = status;
	req->replied = 1;
}

void http_reply_buffer(berth_request *req, unsigned status,
		       const char *content_type, const void *body, size_t len,
		       const char *const *headers)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (resp && content_type)
		MHD_add_response_header(resp, "Content-Type", content_type);
	http_reply_response(req, status, resp, headers);
}

void http_reply_empty(berth_request *req, unsigned status,
		      const char *const *headers)
{
	http_reply_buffer(req, status, NULL, "", 0, headers);
}

void http_reply_error_status(berth_request *req, unsigned status,
			     oci_error err, const char *detail)
{
	char *body = oci_error_json(err, NULL, detail);
	if (!body) {
		http_reply_empty(req, status, NULL);
		return;
	}
	http_reply_buffer(req, status, "application/json; charset=utf-8", body,
			  strlen(body), NULL);
	free(body);
	if (status >= 500)
		LOG_WARN("%s %s: %u %s %s", req->method, req->path, status,
			 oci_error_code(err), detail ? detail : "");
}

void http_reply_error(berth_request *req, oci_error err,
		      const char *detail)
{
	http_reply_error_status(req, oci_error_status(err), err, detail);
}

char *http_location(berth_request *req, const char *path)
{
	const berth_settings *cfg = req->cfg;
	const char *prefix = cfg->prefix ? cfg->prefix : "";
	size_t plen = strlen(prefix);
	while (plen && prefix[plen - 1] == '/')
		plen--;
	char *out = NULL;
	int n;
	if (cfg->relative_urls) {
		n = asprintf(&out, "%.*s%s", (int)plen, prefix, path);
	} else if (cfg->host && *cfg->host) {
		size_t hlen = strlen(cfg->host);
		while (hlen && cfg->host[hlen - 1] == '/')
			hlen--;
		n = asprintf(&out, "%.*s%.*s%s", (int)hlen, cfg->host,
			     (int)plen, prefix, path);
	} else {
		const char *host = http_header(req, "Host");
		const char *proto = http_header(req, "X-Forwarded-Proto");
		if (!proto || (strcmp(proto, "https") && strcmp(proto, "http")))
			proto = req->tls ? "https" : "http";
		/* A Host header with characters that could split the header
		   line or the URL falls back to a relative URL. */
		if (!host || !*host || strpbrk(host, "\r\n /?#@\\\"") )
			n = asprintf(&out, "%.*s%s", (int)plen, prefix, path);
		else
			n = asprintf(&out, "%s://%s%.*s%s", proto, host,
				     (int)plen, prefix, path);
	}
	return n < 0 ? NULL : out;
}

int http_addr_is_loopback(const struct sockaddr *sa)
{
	if (!sa)
		return 0;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a =
			&((const struct sockaddr_in6 *)sa)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return 0;
}

int http_peer_is_loopback(berth_request *req)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	return ci && http_addr_is_loopback(ci->client_addr);
}
