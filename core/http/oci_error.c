/*
 * http/oci_error.c - the distribution API's error codes, their default HTTP
 * statuses and messages (from the OCI distribution spec and, for the
 * codes the spec does not list, CNCF Distribution), and the JSON error
 * body.  The body is built with jansson so messages and details are
 * always escaped correctly.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "http/oci_error.h"

static const struct {
	const char *code;
	unsigned status;
	const char *message;
} table[OCI__COUNT] = {
	[OCI_BLOB_UNKNOWN] = {"BLOB_UNKNOWN", 404,
				    "blob unknown to registry"},
	[OCI_BLOB_UPLOAD_INVALID] = {"BLOB_UPLOAD_INVALID", 400,
					   "blob upload invalid"},
	[OCI_BLOB_UPLOAD_UNKNOWN] = {"BLOB_UPLOAD_UNKNOWN", 404,
					   "blob upload unknown to registry"},
	[OCI_DIGEST_INVALID] = {"DIGEST_INVALID", 400,
				      "provided digest did not match uploaded "
				      "content"},
	[OCI_MANIFEST_BLOB_UNKNOWN] = {"MANIFEST_BLOB_UNKNOWN", 400,
					     "manifest references a manifest "
					     "or blob unknown to registry"},
	[OCI_MANIFEST_INVALID] = {"MANIFEST_INVALID", 400,
					"manifest invalid"},
	[OCI_MANIFEST_UNKNOWN] = {"MANIFEST_UNKNOWN", 404,
					"manifest unknown to registry"},
	[OCI_NAME_INVALID] = {"NAME_INVALID", 400,
				    "invalid repository name"},
	[OCI_NAME_UNKNOWN] = {"NAME_UNKNOWN", 404,
				    "repository name not known to registry"},
	[OCI_SIZE_INVALID] = {"SIZE_INVALID", 400,
				    "provided length did not match content "
				    "length"},
	[OCI_UNAUTHORIZED] = {"UNAUTHORIZED", 401,
				    "authentication required"},
	[OCI_DENIED] = {"DENIED", 403,
			      "requested access to the resource is denied"},
	[OCI_UNSUPPORTED] = {"UNSUPPORTED", 405,
				   "the operation is unsupported"},
	[OCI_TOOMANYREQUESTS] = {"TOOMANYREQUESTS", 429,
				       "too many requests"},
	[OCI_RANGE_INVALID] = {"RANGE_INVALID", 416,
				     "invalid content range"},
	[OCI_PAGINATION_NUMBER_INVALID] = {
		"PAGINATION_NUMBER_INVALID", 400,
		"invalid number of results requested"},
	[OCI_TAG_INVALID] = {"TAG_INVALID", 400, "invalid tag"},
	[OCI_UNKNOWN] = {"UNKNOWN", 500, "unknown error"},
	[OCI_UNAVAILABLE] = {"UNAVAILABLE", 503, "service unavailable"},
};

/* An out-of-range value is a programming error; answer it as UNKNOWN
   rather than reading outside the table. */
static oci_error clamp(oci_error e)
{
	return ((int)e < 0 || e >= OCI__COUNT) ? OCI_UNKNOWN : e;
}

const char *oci_error_code(oci_error e)
{
	return table[clamp(e)].code;
}

unsigned oci_error_status(oci_error e)
{
	return table[clamp(e)].status;
}

const char *oci_error_message(oci_error e)
{
	return table[clamp(e)].message;
}

/* A JSON string for `s`.  Messages may quote client input (a name, a
   header) that is not valid UTF-8, which jansson refuses; such bytes are
   replaced by '?' so the error body can always be built. */
static json_t *safe_string(const char *s)
{
	json_t *j = json_string(s);
	if (j)
		return j;
	char *copy = strdup(s);
	if (!copy)
		return NULL;
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

char *oci_error_json(oci_error e, const char *message,
			   const char *detail)
{
	e = clamp(e);
	json_t *err = json_object();
	json_t *msg = safe_string(message ? message : table[e].message);
	json_t *det = detail ? safe_string(detail) : NULL;
	char *out = NULL;
	if (!err || !msg || (detail && !det))
		goto done;
	if (json_object_set_new(err, "code", json_string(table[e].code)) ||
	    json_object_set(err, "message", msg) ||
	    (det && json_object_set(err, "detail", det)))
		goto done;
	json_t *body = json_pack("{s:[O]}", "errors", err);
	if (body) {
		out = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(body);
	}
done:
	json_decref(det);
	json_decref(msg);
	json_decref(err);
	return out;
}
