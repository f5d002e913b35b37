/*
 * test_errors.c - error code table and the JSON error body, checked by
 * parsing the body back with jansson.
 */
#include <jansson.h>
#include <stdlib.h>

#include "http/oci_error.h"
#include "test.h"

TEST(errors_table)
{
	CHECK_STR(oci_error_code(OCI_BLOB_UNKNOWN), "BLOB_UNKNOWN");
	CHECK_EQ_INT(oci_error_status(OCI_BLOB_UNKNOWN), 404);
	CHECK_STR(oci_error_message(OCI_BLOB_UNKNOWN),
		  "blob unknown to registry");
	CHECK_STR(oci_error_code(OCI_MANIFEST_INVALID),
		  "MANIFEST_INVALID");
	CHECK_EQ_INT(oci_error_status(OCI_MANIFEST_INVALID), 400);
	CHECK_EQ_INT(oci_error_status(OCI_MANIFEST_BLOB_UNKNOWN),
		     400);
	CHECK_EQ_INT(oci_error_status(OCI_MANIFEST_UNKNOWN), 404);
	CHECK_EQ_INT(oci_error_status(OCI_NAME_UNKNOWN), 404);
	CHECK_EQ_INT(oci_error_status(OCI_UNAUTHORIZED), 401);
	CHECK_EQ_INT(oci_error_status(OCI_DENIED), 403);
	CHECK_EQ_INT(oci_error_status(OCI_UNSUPPORTED), 405);
	CHECK_EQ_INT(oci_error_status(OCI_TOOMANYREQUESTS), 429);
	CHECK_EQ_INT(oci_error_status(OCI_RANGE_INVALID), 416);
	CHECK_EQ_INT(oci_error_status(OCI_UNKNOWN), 500);
	CHECK_EQ_INT(oci_error_status(OCI_UNAVAILABLE), 503);
	CHECK_STR(oci_error_code(OCI_PAGINATION_NUMBER_INVALID),
		  "PAGINATION_NUMBER_INVALID");
}

TEST(errors_every_code_is_filled)
{
	for (int e = 0; e < OCI__COUNT; e++) {
		CHECK(oci_error_code(e) != NULL);
		CHECK(oci_error_message(e) != NULL);
		unsigned s = oci_error_status(e);
		CHECK(s >= 400 && s < 600);
		/* codes are distinct */
		for (int f = 0; f < e; f++)
			CHECK(strcmp(oci_error_code(e),
				     oci_error_code(f)) != 0);
	}
	/* out of range values answer as UNKNOWN instead of overrunning */
	CHECK_STR(oci_error_code(OCI__COUNT), "UNKNOWN");
	CHECK_STR(oci_error_code((oci_error)-1), "UNKNOWN");
	CHECK_EQ_INT(oci_error_status(OCI__COUNT + 5), 500);
}

/* Parse a body and return errors[0]; *root must be decref'd. */
static json_t *first_error(const char *body, json_t **root)
{
	*root = body ? json_loads(body, 0, NULL) : NULL;
	json_t *errs = json_object_get(*root, "errors");
	CHECK(json_is_array(errs));
	CHECK_EQ_INT(json_array_size(errs), 1);
	return json_array_get(errs, 0);
}

TEST(errors_json_default_message)
{
	char *body = oci_error_json(OCI_BLOB_UNKNOWN, NULL, NULL);
	CHECK(body != NULL);
	json_t *root;
	json_t *e = first_error(body, &root);
	CHECK_STR(json_string_value(json_object_get(e, "code")),
		  "BLOB_UNKNOWN");
	CHECK_STR(json_string_value(json_object_get(e, "message")),
		  "blob unknown to registry");
	CHECK(json_object_get(e, "detail") == NULL);
	CHECK_STR(body, "{\"errors\":[{\"code\":\"BLOB_UNKNOWN\","
			"\"message\":\"blob unknown to registry\"}]}");
	json_decref(root);
	free(body);
}

TEST(errors_json_message_and_detail_escaped)
{
	char *body = oci_error_json(OCI_NAME_INVALID,
					  "bad \"name\"\n", "a\\b\t{}");
	json_t *root;
	json_t *e = first_error(body, &root);
	CHECK_STR(json_string_value(json_object_get(e, "code")),
		  "NAME_INVALID");
	CHECK_STR(json_string_value(json_object_get(e, "message")),
		  "bad \"name\"\n");
	CHECK_STR(json_string_value(json_object_get(e, "detail")),
		  "a\\b\t{}");
	json_decref(root);
	free(body);
}

TEST(errors_json_invalid_utf8_detail)
{
	/* Client bytes that are not UTF-8 must not lose the error body. */
	char *body = oci_error_json(OCI_TAG_INVALID, NULL,
					  "tag \xff\xfe");
	CHECK(body != NULL);
	json_t *root;
	json_t *e = first_error(body, &root);
	CHECK_STR(json_string_value(json_object_get(e, "detail")), "tag ??");
	CHECK_STR(json_string_value(json_object_get(e, "code")),
		  "TAG_INVALID");
	json_decref(root);
	free(body);
}

TEST(errors_json_empty_detail_kept)
{
	char *body = oci_error_json(OCI_UNSUPPORTED, "", "");
	json_t *root;
	json_t *e = first_error(body, &root);
	CHECK_STR(json_string_value(json_object_get(e, "message")), "");
	CHECK_STR(json_string_value(json_object_get(e, "detail")), "");
	json_decref(root);
	free(body);
}
