/*
 * test_errors.c - error code table and the JSON error body, checked by
 * parsing the body back with jansson.
 */
#include <jansson.h>
#include <stdlib.h>

#include "http/errors.h"
#include "test.h"

TEST(errors_table)
{
	CHECK_STR(berth_api_error_code(BERTH_ERR_BLOB_UNKNOWN), "BLOB_UNKNOWN");
	CHECK_EQ_INT(berth_api_error_status(BERTH_ERR_BLOB_UNKNOWN), 404);
	CHECK_STR(berth_api_error_message(BERTH_ERR_BLOB_UNKNOWN),
		  "blob unknown to registry");
	CHECK_STR(berth_api_error_code(BERTH_ERR_MANIFEST_INVALID),
		  "MANIFEST_INVALID");
	CHECK_EQ_INT(berth_api_error_status(BERTH_ERR_MANIFEST_INVALID), 400);
	CHECK_EQ_INT(berth_api_error_status(BERTH_ERR_MANIFEST_BLOB_UNKNOWN),
		     400);
	CHECK_EQ_INT(berth_api_error_status(BERTH_ERR_MANIFEST_UNKNOWN), 404);
	CHECK_EQ_INT(berth_api_error_status(BERTH_ERR_NAME_UNKNOWN), 404);
	CHECK_EQ_INT(berth_api_error_status(BERTH_ERR_UNAUTHORIZED), 401);
	CHECK_EQ_INT(berth_api_error_status(BERTH_ERR_DENIED), 403);
	CHECK_EQ_INT(berth_api_error_status(BERTH_ERR_UNSUPPORTED), 405);
	CHECK_EQ_INT(berth_api_error_status(BERTH_ERR_TOOMANYREQUESTS), 429);
	CHECK_EQ_INT(berth_api_error_status(BERTH_ERR_RANGE_INVALID), 416);
	CHECK_EQ_INT(berth_api_error_status(BERTH_ERR_UNKNOWN), 500);
	CHECK_EQ_INT(berth_api_error_status(BERTH_ERR_UNAVAILABLE), 503);
	CHECK_STR(berth_api_error_code(BERTH_ERR_PAGINATION_NUMBER_INVALID),
		  "PAGINATION_NUMBER_INVALID");
}

TEST(errors_every_code_is_filled)
{
	for (int e = 0; e < BERTH_ERR__COUNT; e++) {
		CHECK(berth_api_error_code(e) != NULL);
		CHECK(berth_api_error_message(e) != NULL);
		unsigned s = berth_api_error_status(e);
		CHECK(s >= 400 && s < 600);
		/* codes are distinct */
		for (int f = 0; f < e; f++)
			CHECK(strcmp(berth_api_error_code(e),
				     berth_api_error_code(f)) != 0);
	}
	/* out of range values answer as UNKNOWN instead of overrunning */
	CHECK_STR(berth_api_error_code(BERTH_ERR__COUNT), "UNKNOWN");
	CHECK_STR(berth_api_error_code((berth_api_error)-1), "UNKNOWN");
	CHECK_EQ_INT(berth_api_error_status(BERTH_ERR__COUNT + 5), 500);
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
	char *body = berth_api_error_json(BERTH_ERR_BLOB_UNKNOWN, NULL, NULL);
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
	char *body = berth_api_error_json(BERTH_ERR_NAME_INVALID,
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
	char *body = berth_api_error_json(BERTH_ERR_TAG_INVALID, NULL,
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
	char *body = berth_api_error_json(BERTH_ERR_UNSUPPORTED, "", "");
	json_t *root;
	json_t *e = first_error(body, &root);
	CHECK_STR(json_string_value(json_object_get(e, "message")), "");
	CHECK_STR(json_string_value(json_object_get(e, "detail")), "");
	json_decref(root);
	free(body);
}
