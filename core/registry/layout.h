/*
 * registry/layout.h - CNCF Distribution's storage layout (registry/storage/paths.go),
 * so a directory or bucket written by Distribution can be served by Berth
 * and the other way round.  All paths are absolute driver paths under
 * /docker/registry/v2.  Each function writes into buf (BERTH_PATH_MAX) and
 * returns buf.
 */
#ifndef BERTH_CORE_REGISTRY_LAYOUT_H
#define BERTH_CORE_REGISTRY_LAYOUT_H

#include "common/digest.h"

#define BERTH_PATH_MAX 1024
#define BERTH_ROOT "/docker/registry/v2"

/* blobs/<alg>/<first two hex>/<hex>/data */
char *layout_blob_data(char *buf, const berth_digest *d);
/* blobs/<alg>/<first two hex>/<hex> */
char *layout_blob_dir(char *buf, const berth_digest *d);
/* repositories/<name> */
char *layout_repo(char *buf, const char *name);
/* repositories */
char *layout_repos_root(char *buf);
/* repositories/<name>/_layers/<alg>/<hex>/link */
char *layout_layer_link(char *buf, const char *name, const berth_digest *d);
/* repositories/<name>/_manifests/revisions/<alg>/<hex>/link */
char *layout_revision_link(char *buf, const char *name, const berth_digest *d);
/* repositories/<name>/_manifests/revisions/<alg>/<hex> */
char *layout_revision_dir(char *buf, const char *name, const berth_digest *d);
/* repositories/<name>/_manifests/tags */
char *layout_tags_dir(char *buf, const char *name);
/* repositories/<name>/_manifests/tags/<tag> */
char *layout_tag_dir(char *buf, const char *name, const char *tag);
/* repositories/<name>/_manifests/tags/<tag>/current/link */
char *layout_tag_current(char *buf, const char *name, const char *tag);
/* repositories/<name>/_manifests/tags/<tag>/index/<alg>/<hex>/link */
char *layout_tag_index(char *buf, const char *name, const char *tag,
		       const berth_digest *d);
/* repositories/<name>/_manifests/referrers/<alg>/<hex> (Berth's addition;
   Distribution ignores it) */
char *layout_referrers_dir(char *buf, const char *name,
			   const berth_digest *subject);
/* .../referrers/<alg>/<hex>/<ralg>/<rhex>/link */
char *layout_referrer_link(char *buf, const char *name,
			   const berth_digest *subject,
			   const berth_digest *referrer);
/* repositories/<name>/_uploads/<id> */
char *layout_upload_dir(char *buf, const char *name, const char *id);
/* repositories/<name>/_uploads/<id>/data */
char *layout_upload_data(char *buf, const char *name, const char *id);
/* repositories/<name>/_uploads/<id>/startedat */
char *layout_upload_startedat(char *buf, const char *name, const char *id);
/* repositories/<name>/_uploads/<id>/hashstates/<alg> */
char *layout_upload_hashstates(char *buf, const char *name, const char *id,
			       digest_alg alg);
/* repositories/<name>/_uploads/<id>/hashstates/<alg>/<offset> */
char *layout_upload_hashstate(char *buf, const char *name, const char *id,
			      digest_alg alg, unsigned long long off);
/* repositories/<name>/_uploads/<id>/rehash (Berth's addition): the upload
   met a storage error, so its digest is computed from the stored data */
char *layout_upload_rehash(char *buf, const char *name, const char *id);

/* repositories/<name>/_manifests/revisions/<alg>/<hex>/berth-record:
   Berth's addition, what reads need of the manifest (registry/manifest_record.h).
   Distribution enumerates and reads only the files named "link" in a
   revision directory, so it ignores this one; its delete removes the
   link alone, which leaves the record behind, harmless (a manifest is
   there only while its revision link is, and the record describes bytes
   that never change). */
#define LAYOUT_RECORD_NAME "berth-record"
char *layout_revision_record(char *buf, const char *name,
			     const berth_digest *d);

#endif
