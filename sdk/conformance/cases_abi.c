/*
 * cases_abi.c - conformance cases about the driver as a loadable unit:
 * the descriptor (the loader's own check: head, required members,
 * claimed capabilities' members), capability flags that match behaviour
 * (open_fd, redirect_url fetched with libcurl), configuration errors and
 * error messages that name the driver.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include <berth/sdk.h>

#include "conformance.h"

/* The descriptor passes the check the server's loader makes (the SDK's
   berth_sdk_descriptor_check): the tool loads the driver through that
   loader, so a descriptor it refuses never gets here; the case states
   what was checked, and catches a loader that stopped checking. */
static int c_abi_head(ct_ctx *c)
{
	const berth_storage_driver *d = c->d;
	char err[512];
	int rc = berth_sdk_descriptor_check(d, d->name, NULL, err, sizeof err);
	CT_FAILIF(c, rc != BERTH_OK, "%s", err);
	ct_note(c, "%s %s, ABI %u.%u, %u bytes", d->name, d->version,
		d->abi_major, d->abi_minor, d->struct_size);
out:
	return ct_result(c);
}

static int c_abi_capabilities(ct_ctx *c)
{
	const berth_storage_driver *d = c->d;
	if (!(d->capabilities & BERTH_CAP_REDIRECT) && d->redirect_url) {
		/* Unclaimed: the member may exist but must decline. */
		char *p = ct_path(c, "/f");
		char *url = NULL;
		CT_OK(c, d->put_content(c->in, p, "x", 1), ct_fmt(c, "put_content(%s)", p));
		ct_clear_detail();
		int rc = d->redirect_url(c->in, p, "GET", &url);
		if (rc == BERTH_OK)
			c->host->free(url);
		ct_rm(c, p);
		CT_FAILIF(c, rc != BERTH_E_UNSUPPORTED,
			  "redirect_url without BERTH_CAP_REDIRECT: got %s, want UNSUPPORTED",
			  ct_status_name(rc));
	}
out:
	return ct_result(c);
}

static int c_config_unknown_key(ct_ctx *c)
{
	static const char key[] = "berth-conformance-unknown-key";
	size_t n = c->cfg->count;
	berth_config_item *items = ct_alloc(c, (n + 1) * sizeof *items);
	if (n)
		memcpy(items, c->cfg->items, n * sizeof *items);
	items[n].key = key;
	items[n].value = "1";
	berth_config cfg = {n + 1, items};
	berth_instance *in = NULL;
	ct_clear_detail();
	int rc = c->d->create(&in, c->host, &cfg);
	if (rc == BERTH_OK) {
		c->d->destroy(in);
		ct_fail(c, "create accepted the unknown option \"%s\"", key);
		goto out;
	}
	CT_FAILIF(c, rc != BERTH_E_CONFIG,
		  "create with unknown option \"%s\": got %s (\"%s\"), want CONFIG",
		  key, ct_status_name(rc), ct_detail());
	CT_FAILIF(c, !strstr(ct_detail(), key),
		  "the error message does not name the key \"%s\": \"%s\"", key,
		  ct_detail());
out:
	return ct_result(c);
}

/* The message of the error just returned must name the driver. */
static void expect_named(ct_ctx *c, int rc, int want, const char *what)
{
	if (rc != want) {
		ct_fail_rc(c, rc, want, what);
		return;
	}
	const char *d = ct_detail();
	if (!*d)
		ct_fail(c, "%s returned %s without an error message (host->error "
			"not called)", what, ct_status_name(rc));
	else if (!strstr(d, c->d->name))
		ct_fail(c, "%s: error message does not name the driver \"%s\": \"%s\"",
			what, c->d->name, d);
}

static int c_error_names_driver(ct_ctx *c)
{
	char *missing = ct_path(c, "/missing");
	char *buf = NULL;
	size_t len = 0;
	berth_stat_info st;
	berth_reader *r = NULL;

	ct_clear_detail();
	int rc = c->d->get_content(c->in, missing, &buf, &len);
	if (rc == BERTH_OK)
		c->host->free(buf);
	expect_named(c, rc, BERTH_E_NOT_FOUND, ct_fmt(c, "get_content(%s)", missing));
	CT_BAIL(c);
	ct_clear_detail();
	rc = c->d->stat(c->in, missing, &st);
	expect_named(c, rc, BERTH_E_NOT_FOUND, ct_fmt(c, "stat(%s)", missing));
	CT_BAIL(c);
	ct_clear_detail();
	rc = c->d->reader_open(&r, c->in, missing, 0);
	if (rc == BERTH_OK)
		c->d->reader_close(r);
	expect_named(c, rc, BERTH_E_NOT_FOUND, ct_fmt(c, "reader_open(%s)", missing));
	CT_BAIL(c);
	ct_clear_detail();
	rc = c->d->put_content(c->in, ct_path(c, "//bad"), "x", 1);
	expect_named(c, rc, BERTH_E_INVALID_PATH,
		     ct_fmt(c, "put_content(%s)", ct_path(c, "//bad")));
	CT_BAIL(c);
	ct_clear_detail();
	rc = c->d->remove(c->in, missing);
	expect_named(c, rc, BERTH_E_NOT_FOUND, ct_fmt(c, "remove(%s)", missing));
out:
	return ct_result(c);
}

static int c_open_fd(ct_ctx *c)
{
	if (!(c->d->capabilities & BERTH_CAP_FILE_DESCRIPTOR))
		return ct_skip(c, "driver does not claim BERTH_CAP_FILE_DESCRIPTOR");
	char *p = ct_path(c, "/blob");
	size_t len = c->short_mode ? 70000 : 1100000;
	unsigned char *data = ct_random_data(c, len);
	unsigned char *other = ct_random_data(c, 100);
	unsigned char *got = ct_alloc(c, len);
	int fd = -1;
	uint64_t size = 0;
	CT_OK(c, c->d->put_content(c->in, p, data, len), ct_fmt(c, "put_content(%s)", p));
	CT_OK(c, c->d->open_fd(c->in, p, &fd, &size), ct_fmt(c, "open_fd(%s)", p));
	CT_FAILIF(c, fd < 0, "open_fd returned OK with descriptor %d", fd);
	CT_FAILIF(c, size != len, "open_fd size %llu, want %zu",
		  (unsigned long long)size, len);
	/* The descriptor must survive the path being replaced. */
	CT_OK(c, c->d->put_content(c->in, p, other, 100),
	      ct_fmt(c, "put_content(%s) replacing", p));
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(fd, got + done, len - done, (off_t)done);
		CT_FAILIF(c, n <= 0, "pread on the descriptor at %zu returned %zd",
			  done, n);
		done += (size_t)n;
	}
	CT_FAILIF(c, memcmp(got, data, len),
		  "the descriptor does not read the content it was opened on "
		  "after the path was replaced");
	close(fd);
	fd = -1;
	CT_WANT(c, c->d->open_fd(c->in, ct_path(c, "/missing"), &fd, &size),
		BERTH_E_NOT_FOUND, "open_fd(missing)");
out:
	if (fd >= 0)
		close(fd);
	ct_rm(c, p);
	return ct_result(c);
}

/* ---- redirect, fetched with libcurl ---- */

struct fetch {
	unsigned char *buf;
	size_t len, cap;
};

static size_t fetch_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct fetch *f = ud;
	size_t n = size * nmemb;
	if (f->len + n > f->cap) {
		size_t ncap = (f->len + n) * 2;
		unsigned char *nb = realloc(f->buf, ncap);
		if (!nb)
			return 0;
		f->buf = nb;
		f->cap = ncap;
	}
	memcpy(f->buf + f->len, ptr, n);
	f->len += n;
	return n;
}

static int redirect_case(ct_ctx *c, int head)
{
	if (!(c->d->capabilities & BERTH_CAP_REDIRECT))
		return ct_skip(c, "driver does not claim BERTH_CAP_REDIRECT");
	if (!c->d->redirect_url) {
		ct_fail(c, "claims BERTH_CAP_REDIRECT but redirect_url is NULL");
		return CT_FAIL;
	}
	char *p = ct_path(c, "/blob");
	size_t len = 300001;
	unsigned char *data = ct_random_data(c, len);
	char *url = NULL;
	struct fetch f = {0};
	CURL *h = NULL;
	CT_OK(c, c->d->put_content(c->in, p, data, len), ct_fmt(c, "put_content(%s)", p));
	const char *method = head ? "HEAD" : "GET";
	CT_OK(c, c->d->redirect_url(c->in, p, method, &url),
	      ct_fmt(c, "redirect_url(%s, %s)", p, method));
	CT_FAILIF(c, !url || !url[0], "redirect_url returned OK with no URL");
	h = curl_easy_init();
	CT_FAILIF(c, !h, "curl_easy_init failed");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, fetch_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &f);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	if (head)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	CURLcode cc = curl_easy_perform(h);
	CT_FAILIF(c, cc != CURLE_OK, "%s %s: %s", method, url, curl_easy_strerror(cc));
	long code = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	CT_FAILIF(c, code != 200, "%s %s: HTTP %ld, want 200", method, url, code);
	if (head) {
		curl_off_t cl = -1;
		curl_easy_getinfo(h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
		CT_FAILIF(c, cl != (curl_off_t)len, "HEAD %s: Content-Length %lld, want %zu",
			  url, (long long)cl, len);
	} else {
		CT_FAILIF(c, f.len != len || memcmp(f.buf, data, len),
			  "GET %s: got %zu bytes, want the %zu stored bytes%s", url,
			  f.len, len, f.len == len ? " (content differs)" : "");
	}
out:
	if (h)
		curl_easy_cleanup(h);
	free(f.buf);
	if (url)
		c->host->free(url);
	ct_rm(c, p);
	return ct_result(c);
}

static int c_redirect_get(ct_ctx *c)
{
	return redirect_case(c, 0);
}

static int c_redirect_head(ct_ctx *c)
{
	return redirect_case(c, 1);
}

const ct_case ct_cases_abi[] = {
	{"abi-head", c_abi_head, 0, 0,
	 "the loader's descriptor check: head, required members, claims"},
	{"abi-capabilities", c_abi_capabilities, 0, 0,
	 "an unclaimed redirect_url declines with UNSUPPORTED"},
	{"config-unknown-key", c_config_unknown_key, 0, 0,
	 "create rejects an unknown option with CONFIG naming the key"},
	{"error-names-driver", c_error_names_driver, 0, 0,
	 "error messages (host->error) name the driver"},
	{"open-fd", c_open_fd, 0, 0,
	 "FILE_DESCRIPTOR: open_fd reads the object, survives replacement"},
	{"redirect-get", c_redirect_get, 0, 0,
	 "REDIRECT: the GET URL serves the stored bytes"},
	{"redirect-head", c_redirect_head, 0, 0,
	 "REDIRECT: the HEAD URL answers 200 with the right Content-Length"},
	{NULL, NULL, 0, 0, NULL},
};
