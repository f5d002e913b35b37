/*
 * fuzz_manifest.c - registry_manifest_parse on arbitrary bytes: the manifest
 * body of a PUT is the largest piece of untrusted structured input the
 * registry reads.  The first byte picks the request's Content-Type (none,
 * each manifest type, a generic type, or a wrong one), the rest is the
 * body.  A manifest that parses must satisfy what the handlers rely on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/json_limits.h"
#include "registry/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	json_limits_init(); /* as main() does, before any jansson use */
	return 0;
}

static const char *const content_types[] = {
	NULL,
	MT_OCI_MANIFEST,
	MT_OCI_INDEX,
	MT_DOCKER_MANIFEST,
	MT_DOCKER_LIST,
	"application/json",
	"application/octet-stream",
	"Application/VND.OCI.image.manifest.v1+json ; charset=utf-8",
	"text/plain",
	"",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > BERTH_MANIFEST_MAX)
		return 0;
	const char *ct = content_types[data[0] % (sizeof content_types /
						  sizeof content_types[0])];
	/* exact-size copy: the parser must not need a terminator */
	size_t len = size - 1;
	char *body = malloc(len ? len : 1);
	if (!body)
		return 0;
	memcpy(body, data + 1, len);
	berth_manifest m;
	char err[256];
	err[0] = 0;
	int rc = registry_manifest_parse(body, len, ct, &m, err, sizeof err);
	if (rc == 0) {
		if (!registry_manifest_media_type_known(m.media_type))
			abort();
		if (m.nrefs && !m.refs)
			abort();
		for (size_t i = 0; i < m.nrefs; i++) {
			char s[BERTH_DIGEST_MAX];
			berth_digest back;
			digest_format(&m.refs[i].digest, s);
			if (digest_parse(s, &back) ||
			    !digest_equal(&back, &m.refs[i].digest))
				abort();
			if (m.refs[i].size < 0)
				abort();
			if (m.refs[i].is_manifest !=
			    (m.kind == BERTH_MANIFEST_INDEX))
				abort();
		}
		registry_manifest_free(&m);
	} else if (rc != -1 && rc != -2) {
		abort();
	} else if (!err[0]) {
		abort(); /* every rejection says why */
	}
	free(body);
	return 0;
}
