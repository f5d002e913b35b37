/*
 * buf.c - a growable, always NUL-terminated byte buffer: HTTP bodies,
 * request lines, XML documents being built.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <berth/sdk.h>

static int buf_reserve(berth_sdk_buf *b, size_t extra)
{
	if (extra > SIZE_MAX - b->len - 1)
		return BERTH_E_NOMEM;
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return BERTH_OK;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	char *p = realloc(b->data, cap);
	if (!p)
		return BERTH_E_NOMEM;
	b->data = p;
	b->cap = cap;
	return BERTH_OK;
}

int berth_sdk_buf_reserve(berth_sdk_buf *b, size_t extra)
{
	return buf_reserve(b, extra);
}

int berth_sdk_buf_append(berth_sdk_buf *b, const void *data, size_t len)
{
	if (buf_reserve(b, len))
		return BERTH_E_NOMEM;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = 0;
	return BERTH_OK;
}

int berth_sdk_buf_printf(berth_sdk_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n))
		return BERTH_E_NOMEM;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return BERTH_OK;
}

char *berth_sdk_buf_steal(berth_sdk_buf *b, size_t *len)
{
	if (!b->data && buf_reserve(b, 0))
		return NULL;
	b->data[b->len] = 0;
	char *p = b->data;
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void berth_sdk_buf_free(berth_sdk_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
