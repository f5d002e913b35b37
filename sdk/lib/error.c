/*
 * error.c - error reporting through the host table with the driver's name
 * in front (the ABI asks for it, and the conformance suite checks it),
 * errno and status-name mapping, logging, and host->alloc copies.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <berth/sdk.h>

int berth_sdk_verror(const berth_host *host, const char *driver, int code,
		     const char *fmt, va_list ap)
{
	if (!host || !host->error)
		return code;
	char msg[1024];
	vsnprintf(msg, sizeof msg, fmt, ap);
	if (driver && *driver)
		host->error(host, code, "%s: %s", driver, msg);
	else
		host->error(host, code, "%s", msg);
	return code;
}

int berth_sdk_error(const berth_host *host, const char *driver, int code,
		    const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	berth_sdk_verror(host, driver, code, fmt, ap);
	va_end(ap);
	return code;
}

int berth_sdk_error_errno(const berth_host *host, const char *driver,
			  int err, const char *fmt, ...)
{
	int code = berth_sdk_errno_status(err);
	if (code == BERTH_OK)
		code = BERTH_E_IO; /* reporting an error with errno 0 */
	char msg[768], ebuf[128];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	const char *es = strerror_r(err, ebuf, sizeof ebuf);
	return berth_sdk_error(host, driver, code, "%s: %s", msg, es);
}

int berth_sdk_errno_status(int err)
{
	switch (err) {
	case 0:
		return BERTH_OK;
	case ENOENT:
	case ENOTDIR:
		return BERTH_E_NOT_FOUND;
	case EACCES:
	case EPERM:
	case EROFS:
		return BERTH_E_PERMISSION;
	case ENOSPC:
	case EDQUOT:
	case EFBIG:
		return BERTH_E_NO_SPACE;
	case ENOMEM:
		return BERTH_E_NOMEM;
	case ENAMETOOLONG:
		return BERTH_E_INVALID_PATH;
	case ETIMEDOUT:
	case ECONNREFUSED:
	case ECONNRESET:
	case ECONNABORTED:
	case ENOTCONN:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case ENETDOWN:
	case EHOSTDOWN:
	case ESTALE:
		return BERTH_E_UNAVAILABLE;
	case EAGAIN:
	case EBUSY:
		return BERTH_E_THROTTLED;
	default:
		return BERTH_E_IO;
	}
}

static const struct {
	int code;
	const char *name;
} status_names[] = {
	{BERTH_OK, "OK"},
	{BERTH_E_NOT_FOUND, "NOT_FOUND"},
	{BERTH_E_INVALID_PATH, "INVALID_PATH"},
	{BERTH_E_INVALID_OFFSET, "INVALID_OFFSET"},
	{BERTH_E_UNSUPPORTED, "UNSUPPORTED"},
	{BERTH_E_IO, "IO"},
	{BERTH_E_NOMEM, "NOMEM"},
	{BERTH_E_THROTTLED, "THROTTLED"},
	{BERTH_E_CONFIG, "CONFIG"},
	{BERTH_E_PERMISSION, "PERMISSION"},
	{BERTH_E_NO_SPACE, "NO_SPACE"},
	{BERTH_E_UNAVAILABLE, "UNAVAILABLE"},
	{BERTH_E_INVALID_ARGUMENT, "INVALID_ARGUMENT"},
	{BERTH_E_STATE, "STATE"},
	{BERTH_E_CONFLICT, "CONFLICT"},
};

const char *berth_sdk_status_name(int code)
{
	for (size_t i = 0; i < sizeof status_names / sizeof *status_names; i++)
		if (status_names[i].code == code)
			return status_names[i].name;
	return "UNKNOWN";
}

/* "Not-Found" -> "NOTFOUND": case and separators do not matter. */
static void squash(const char *in, char *out, size_t cap)
{
	size_t o = 0;
	for (; *in && o + 1 < cap; in++) {
		if (*in == '_' || *in == '-' || *in == ' ')
			continue;
		out[o++] = (char)(*in >= 'a' && *in <= 'z' ? *in - 32 : *in);
	}
	out[o] = 0;
}

int berth_sdk_status_parse(const char *name)
{
	if (!name)
		return BERTH_OK;
	char want[32], have[32];
	squash(name, want, sizeof want);
	for (size_t i = 1; i < sizeof status_names / sizeof *status_names; i++) {
		squash(status_names[i].name, have, sizeof have);
		if (!strcmp(want, have))
			return status_names[i].code;
	}
	return BERTH_OK;
}

void berth_sdk_log(const berth_host *host, const char *driver,
		   berth_log_level level, const char *fmt, ...)
{
	if (!host || !host->log)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	host->log(host, level, "%s: %s", driver ? driver : "driver", msg);
}

char *berth_sdk_host_dup(const berth_host *host, const void *data,
			 size_t len)
{
	if (!host || !host->alloc || len == SIZE_MAX)
		return NULL;
	char *p = host->alloc(len + 1);
	if (!p)
		return NULL;
	if (len)
		memcpy(p, data, len);
	p[len] = 0;
	return p;
}
