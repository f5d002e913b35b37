/*
 * registry/layout.c - driver paths of CNCF Distribution's storage layout
 * (registry/storage/paths.go), so either registry can serve the other's
 * data.
 *
 * Every builder writes into a BERTH_PATH_MAX buffer.  Validated names,
 * tags and upload ids always fit; if a path would not, the buffer is set
 * to the empty string instead of being truncated, because a truncated
 * path is a prefix of the intended one and a remove() on it would delete
 * far more than meant.  Drivers reject "" as an invalid path.
 */
#include <stdarg.h>
#include <stdio.h>

#include "registry/layout.h"

__attribute__((format(printf, 2, 3))) static char *
path_fmt(char *buf, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, BERTH_PATH_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= BERTH_PATH_MAX)
		buf[0] = '\0';
	return buf;
}

#define ALG(d) digest_alg_name((d)->alg)

char *layout_blob_data(char *buf, const berth_digest *d)
{
	return path_fmt(buf, BERTH_ROOT "/blobs/%s/%.2s/%s/data", ALG(d),
			d->hex, d->hex);
}

char *layout_blob_dir(char *buf, const berth_digest *d)
{
	return path_fmt(buf, BERTH_ROOT "/blobs/%s/%.2s/%s", ALG(d), d->hex,
			d->hex);
}

char *layout_repo(char *buf, const char *name)
{
	return path_fmt(buf, BERTH_ROOT "/repositories/%s", name);
}

char *layout_repos_root(char *buf)
{
	return path_fmt(buf, "%s", BERTH_ROOT "/repositories");
}

char *layout_layer_link(char *buf, const char *name, const berth_digest *d)
{
	return path_fmt(buf, BERTH_ROOT "/repositories/%s/_layers/%s/%s/link",
			name, ALG(d), d->hex);
}

char *layout_revision_link(char *buf, const char *name, const berth_digest *d)
{
	return path_fmt(buf,
			BERTH_ROOT
			"/repositories/%s/_manifests/revisions/%s/%s/link",
			name, ALG(d), d->hex);
}

char *layout_revision_dir(char *buf, const char *name, const berth_digest *d)
{
	return path_fmt(buf,
			BERTH_ROOT "/repositories/%s/_manifests/revisions/%s/%s",
			name, ALG(d), d->hex);
}

char *layout_tags_dir(char *buf, const char *name)
{
	return path_fmt(buf, BERTH_ROOT "/repositories/%s/_manifests/tags",
			name);
}

char *layout_tag_dir(char *buf, const char *name, const char *tag)
{
	return path_fmt(buf, BERTH_ROOT "/repositories/%s/_manifests/tags/%s",
			name, tag);
}

char *layout_tag_current(char *buf, const char *name, const char *tag)
{
	return path_fmt(buf,
			BERTH_ROOT
			"/repositories/%s/_manifests/tags/%s/current/link",
			name, tag);
}

char *layout_tag_index(char *buf, const char *name, const char *tag,
		       const berth_digest *d)
{
	return path_fmt(buf,
			BERTH_ROOT "/repositories/%s/_manifests/tags/%s/index/"
				   "%s/%s/link",
			name, tag, ALG(d), d->hex);
}

char *layout_referrers_dir(char *buf, const char *name,
			   const berth_digest *subject)
{
	return path_fmt(buf,
			BERTH_ROOT
			"/repositories/%s/_manifests/referrers/%s/%s",
			name, ALG(subject), subject->hex);
}

char *layout_referrer_link(char *buf, const char *name,
			   const berth_digest *subject,
			   const berth_digest *referrer)
{
	return path_fmt(buf,
			BERTH_ROOT "/repositories/%s/_manifests/referrers/"
				   "%s/%s/%s/%s/link",
			name, ALG(subject), subject->hex, ALG(referrer),
			referrer->hex);
}

char *layout_upload_dir(char *buf, const char *name, const char *id)
{
	return path_fmt(buf, BERTH_ROOT "/repositories/%s/_uploads/%s", name,
			id);
}

char *layout_upload_data(char *buf, const char *name, const char *id)
{
	return path_fmt(buf, BERTH_ROOT "/repositories/%s/_uploads/%s/data",
			name, id);
}

char *layout_upload_startedat(char *buf, const char *name, const char *id)
{
	return path_fmt(buf,
			BERTH_ROOT "/repositories/%s/_uploads/%s/startedat",
			name, id);
}

char *layout_upload_hashstates(char *buf, const char *name, const char *id,
			       digest_alg alg)
{
	return path_fmt(buf,
			BERTH_ROOT "/repositories/%s/_uploads/%s/hashstates/%s",
			name, id, digest_alg_name(alg));
}

char *layout_upload_hashstate(char *buf, const char *name, const char *id,
			      digest_alg alg, unsigned long long off)
{
	return path_fmt(buf,
			BERTH_ROOT
			"/repositories/%s/_uploads/%s/hashstates/%s/%llu",
			name, id, digest_alg_name(alg), off);
}

char *layout_upload_rehash(char *buf, const char *name, const char *id)
{
	return path_fmt(buf, BERTH_ROOT "/repositories/%s/_uploads/%s/rehash",
			name, id);
}

char *layout_revision_record(char *buf, const char *name,
			     const berth_digest *d)
{
	return path_fmt(buf,
			BERTH_ROOT "/repositories/%s/_manifests/revisions/%s/"
				   "%s/" LAYOUT_RECORD_NAME,
			name, ALG(d), d->hex);
}
