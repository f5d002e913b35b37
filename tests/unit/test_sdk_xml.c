/*
 * test_sdk_xml.c - the driver SDK's XML helpers on an S3-style listing
 * with a default namespace: text by path, iteration of repeated
 * elements, early stop, and refusal of malformed documents and entities.
 */
#include <stdlib.h>
#include <string.h>

#include <berth/sdk.h>

#include "test.h"

static const char listing[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	"<Name>bucket</Name><IsTruncated>true</IsTruncated>"
	"<Contents><Key>a/1</Key><Size>10</Size></Contents>"
	"<Contents><Key>a/2</Key><Size>20</Size></Contents>"
	"<Contents><Key>a/3 &amp; b</Key><Size>30</Size></Contents>"
	"<CommonPrefixes><Prefix>a/d1/</Prefix></CommonPrefixes>"
	"<CommonPrefixes><Prefix>a/d2/</Prefix></CommonPrefixes>"
	"</ListBucketResult>";

struct keys {
	char all[256];
	int stop_after;
	int seen;
};

static int collect(berth_sdk_xml_node *n, void *payload)
{
	struct keys *k = payload;
	char *t = berth_sdk_xml_text(n, "Key");
	if (!t)
		t = berth_sdk_xml_text(n, NULL);
	strncat(k->all, t ? t : "?", sizeof k->all - strlen(k->all) - 2);
	strcat(k->all, ",");
	free(t);
	return ++k->seen == k->stop_after;
}

TEST(sdk_xml_listing)
{
	berth_sdk_xml *doc = NULL;
	CHECK_EQ_INT(berth_sdk_xml_parse(NULL, "s3", listing, strlen(listing), &doc),
		     BERTH_OK);
	if (!doc)
		return;
	berth_sdk_xml_node *root = berth_sdk_xml_root(doc);
	CHECK_STR(berth_sdk_xml_name(root), "ListBucketResult");
	char *t = berth_sdk_xml_text(root, "IsTruncated");
	CHECK_STR(t, "true");
	free(t);
	t = berth_sdk_xml_text(root, "Contents/Key");
	CHECK_STR(t, "a/1");
	free(t);
	CHECK(berth_sdk_xml_text(root, "Contents/Missing") == NULL);
	CHECK(berth_sdk_xml_find(root, "Nope") == NULL);

	struct keys k = {{0}, 0, 0};
	CHECK_EQ_INT(berth_sdk_xml_each(root, "Contents", collect, &k), 3);
	CHECK_STR(k.all, "a/1,a/2,a/3 & b,");
	struct keys p = {{0}, 0, 0};
	CHECK_EQ_INT(berth_sdk_xml_each(root, "CommonPrefixes/Prefix", collect, &p), 2);
	CHECK_STR(p.all, "a/d1/,a/d2/,");
	struct keys s = {{0}, 2, 0};
	berth_sdk_xml_each(root, "Contents", collect, &s);
	CHECK_STR(s.all, "a/1,a/2,");
	berth_sdk_xml_free(doc);
}

TEST(sdk_xml_refuses)
{
	berth_sdk_xml *doc = NULL;
	const char *bad = "<a><b></a>";
	CHECK_EQ_INT(berth_sdk_xml_parse(NULL, "s3", bad, strlen(bad), &doc), BERTH_E_IO);
	CHECK_EQ_INT(berth_sdk_xml_parse(NULL, "s3", "", 0, &doc), BERTH_E_IO);
	/* An external entity is neither fetched nor expanded. */
	const char *xxe = "<?xml version=\"1.0\"?><!DOCTYPE a ["
			  "<!ENTITY e SYSTEM \"file:///etc/passwd\">]><a>&e;</a>";
	if (berth_sdk_xml_parse(NULL, "s3", xxe, strlen(xxe), &doc) == BERTH_OK) {
		char *t = berth_sdk_xml_text(berth_sdk_xml_root(doc), NULL);
		CHECK(t == NULL || strstr(t, "root:") == NULL);
		free(t);
		berth_sdk_xml_free(doc);
	}
}
