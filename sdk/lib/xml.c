/*
 * xml.c - the little XML most object store APIs need (S3, GCS XML, Azure,
 * Swift errors): parse a response, find an element's text by a path of
 * local names, iterate repeated elements.  Over libxml2, with network
 * access, DTD loading and entity substitution off, so a hostile response
 * cannot make the parser fetch or expand anything.
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <berth/sdk.h>

struct berth_sdk_xml {
	xmlDocPtr doc;
};

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
	xmlInitParser();
}

int berth_sdk_xml_parse(const berth_host *host, const char *driver,
			const char *data, size_t len, berth_sdk_xml **out)
{
	pthread_once(&xml_once, xml_init);
	if (len > INT_MAX)
		return berth_sdk_error(host, driver, BERTH_E_IO,
				       "XML document too large (%zu bytes)", len);
	berth_sdk_xml *x = calloc(1, sizeof *x);
	if (!x)
		return berth_sdk_error(host, driver, BERTH_E_NOMEM, "out of memory");
	x->doc = xmlReadMemory(data ? data : "", (int)len, "response.xml", NULL,
			       XML_PARSE_NONET | XML_PARSE_NOERROR |
				       XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS);
	if (!x->doc || !xmlDocGetRootElement(x->doc)) {
		const xmlError *e = xmlGetLastError();
		char msg[160] = "no root element";
		if (e && e->message) {
			size_t n = strlen(e->message);
			while (n && (e->message[n - 1] == '\n'))
				n--;
			if (n >= sizeof msg)
				n = sizeof msg - 1;
			memcpy(msg, e->message, n);
			msg[n] = 0;
		}
		if (x->doc)
			xmlFreeDoc(x->doc);
		free(x);
		return berth_sdk_error(host, driver, BERTH_E_IO,
				       "malformed XML response: %s", msg);
	}
	*out = x;
	return BERTH_OK;
}

void berth_sdk_xml_free(berth_sdk_xml *x)
{
	if (!x)
		return;
	xmlFreeDoc(x->doc);
	free(x);
}

berth_sdk_xml_node *berth_sdk_xml_root(berth_sdk_xml *x)
{
	return (berth_sdk_xml_node *)xmlDocGetRootElement(x->doc);
}

const char *berth_sdk_xml_name(const berth_sdk_xml_node *node)
{
	const xmlNode *n = (const xmlNode *)node;
	return n ? (const char *)n->name : NULL;
}

/* Does element `n` have local name seg[0..len)? */
static int name_is(const xmlNode *n, const char *seg, size_t len)
{
	return n->type == XML_ELEMENT_NODE &&
	       strlen((const char *)n->name) == len &&
	       !memcmp(n->name, seg, len);
}

/* Visit elements matching `path` below `n`, depth-first in document
   order; stops early when `fn` says so (then *stop is set). */
static size_t each(xmlNode *n, const char *path, berth_sdk_xml_each_fn fn,
		   void *payload, int *stop)
{
	while (*path == '/')
		path++;
	if (!*path) {
		if (fn && fn((berth_sdk_xml_node *)n, payload))
			*stop = 1;
		return 1;
	}
	const char *slash = strchr(path, '/');
	size_t len = slash ? (size_t)(slash - path) : strlen(path);
	const char *rest = path + len;
	size_t count = 0;
	for (xmlNode *ch = n->children; ch && !*stop; ch = ch->next)
		if (name_is(ch, path, len))
			count += each(ch, rest, fn, payload, stop);
	return count;
}

static int first_cb(berth_sdk_xml_node *node, void *payload)
{
	*(berth_sdk_xml_node **)payload = node;
	return 1;
}

berth_sdk_xml_node *berth_sdk_xml_find(berth_sdk_xml_node *node,
				       const char *path)
{
	if (!node)
		return NULL;
	berth_sdk_xml_node *found = NULL;
	int stop = 0;
	each((xmlNode *)node, path ? path : "", first_cb, &found, &stop);
	return found;
}

char *berth_sdk_xml_text(berth_sdk_xml_node *node, const char *path)
{
	xmlNode *n = (xmlNode *)berth_sdk_xml_find(node, path);
	if (!n)
		return NULL;
	xmlChar *t = xmlNodeGetContent(n);
	if (!t)
		return strdup("");
	/* libxml2 memory is freed with xmlFree; callers get malloc memory. */
	char *s = strdup((const char *)t);
	xmlFree(t);
	return s;
}

size_t berth_sdk_xml_each(berth_sdk_xml_node *node, const char *path,
			  berth_sdk_xml_each_fn fn, void *payload)
{
	if (!node)
		return 0;
	int stop = 0;
	return each((xmlNode *)node, path ? path : "", fn, payload, &stop);
}
