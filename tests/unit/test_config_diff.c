/*
 * test_config_diff.c - config_diff names each changed key by its YAML
 * path, storage driver options included, and nothing when the files
 * mean the same.
 */
#include <string.h>

#include "config.h"
#include "config_diff.h"
#include "test.h"

static void collect(const char *key, void *payload)
{
	char *out = payload;
	strcat(out, key);
	strcat(out, " ");
}

static int parse(const char *y, berth_settings *s)
{
	char err[512];
	int rc = config_parse(y, strlen(y), "diff.yml", s, err, sizeof err);
	if (rc)
		fprintf(stderr, "%s\n", err);
	return rc;
}

TEST(config_diff_same)
{
	berth_settings a, b;
	const char *y = "version: 0.1\nstorage:\n  filesystem:\n"
			"    rootdirectory: /r\nhttp:\n  addr: :5000\n";
	CHECK_EQ_INT(parse(y, &a), 0);
	CHECK_EQ_INT(parse(y, &b), 0);
	char out[1024] = "";
	CHECK_EQ_INT(config_diff(&a, &b, collect, out), 0);
	CHECK_STR(out, "");
	config_free(&a);
	config_free(&b);
}

TEST(config_diff_keys)
{
	berth_settings a, b;
	CHECK_EQ_INT(parse("version: 0.1\nlog:\n  level: info\nstorage:\n"
			   "  filesystem:\n    rootdirectory: /r\n"
			   "    maxthreads: 100\nhttp:\n  addr: :5000\n",
			   &a), 0);
	CHECK_EQ_INT(parse("version: 0.1\nlog:\n  level: debug\nstorage:\n"
			   "  filesystem:\n    rootdirectory: /s\n"
			   "  delete:\n    enabled: true\n"
			   "http:\n  addr: :5001\n  draintimeout: 3s\n",
			   &b), 0);
	char out[1024] = "";
	CHECK_EQ_INT(config_diff(&a, &b, collect, out), 6);
	CHECK_STR(out, "log.level storage.filesystem.rootdirectory "
		       "storage.filesystem.maxthreads storage.delete.enabled "
		       "http.addr http.draintimeout ");
	config_free(&a);
	config_free(&b);
}

TEST(config_diff_driver)
{
	berth_settings a, b;
	CHECK_EQ_INT(parse("version: 0.1\nstorage:\n  filesystem:\n"
			   "    rootdirectory: /r\n", &a), 0);
	CHECK_EQ_INT(parse("version: 0.1\nstorage: inmemory\n", &b), 0);
	char out[1024] = "";
	CHECK_EQ_INT(config_diff(&a, &b, collect, out), 1);
	CHECK_STR(out, "storage ");
	config_free(&a);
	config_free(&b);
}
