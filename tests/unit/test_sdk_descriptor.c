/*
 * test_sdk_descriptor.c - berth_sdk_descriptor_check, the descriptor
 * check the server's loader, the fault driver and the conformance tool
 * share: every refusal with its message, the padded copy, and a
 * BERTH_STORAGE_HEAD descriptor passing.
 */
#include <string.h>

#include <berth/sdk.h>

#include "test.h"

static int nop_create(berth_instance **out, const berth_host *host,
		      const berth_config *config)
{
	return BERTH_E_UNSUPPORTED;
}
static void nop_destroy(berth_instance *inst) {}
static int nop_get(berth_instance *i, const char *p, char **o, size_t *n)
{
	return BERTH_E_UNSUPPORTED;
}
static int nop_put(berth_instance *i, const char *p, const void *d, size_t n)
{
	return BERTH_E_UNSUPPORTED;
}
static int nop_ropen(berth_reader **o, berth_instance *i, const char *p,
		     int64_t off)
{
	return BERTH_E_UNSUPPORTED;
}
static int nop_read(berth_reader *r, void *b, size_t c, size_t *n)
{
	return BERTH_E_UNSUPPORTED;
}
static void nop_rclose(berth_reader *r) {}
static int nop_wopen(berth_writer **o, berth_instance *i, const char *p, int a)
{
	return BERTH_E_UNSUPPORTED;
}
static int nop_write(berth_writer *w, const void *d, size_t n)
{
	return BERTH_E_UNSUPPORTED;
}
static uint64_t nop_wsize(berth_writer *w)
{
	return 0;
}
static int nop_wdone(berth_writer *w)
{
	return BERTH_E_UNSUPPORTED;
}
static int nop_stat(berth_instance *i, const char *p, berth_stat_info *o)
{
	return BERTH_E_NOT_FOUND;
}
static int nop_list(berth_instance *i, const char *p, berth_list_cb cb,
		    void *pl)
{
	return BERTH_E_NOT_FOUND;
}
static int nop_move(berth_instance *i, const char *s, const char *d)
{
	return BERTH_E_UNSUPPORTED;
}
static int nop_remove(berth_instance *i, const char *p)
{
	return BERTH_E_UNSUPPORTED;
}
static int nop_walk(berth_instance *i, const char *p, const char *sa,
		    berth_walk_cb cb, void *pl)
{
	return BERTH_E_UNSUPPORTED;
}

static const berth_storage_driver good = {
	BERTH_STORAGE_HEAD("good", "1.2.3", BERTH_CAP_NATIVE_WALK),
	.create = nop_create, .destroy = nop_destroy, .get_content = nop_get,
	.put_content = nop_put, .reader_open = nop_ropen,
	.reader_read = nop_read, .reader_close = nop_rclose,
	.writer_open = nop_wopen, .writer_write = nop_write,
	.writer_size = nop_wsize, .writer_commit = nop_wdone,
	.writer_cancel = nop_wdone, .writer_close = nop_wdone,
	.stat = nop_stat, .list = nop_list, .move = nop_move,
	.remove = nop_remove, .walk = nop_walk,
};

/* `d` is refused with a message containing `want` and status `code`. */
static void refused(const berth_storage_driver *d, int code, const char *want)
{
	char err[512] = "x";
	berth_storage_driver out;
	memset(&out, 0xab, sizeof out);
	CHECK_EQ_INT(berth_sdk_descriptor_check(d, "/lib/storage-t.so", &out,
						err, sizeof err),
		     code);
	CHECK(strstr(err, "/lib/storage-t.so") != NULL);
	if (!strstr(err, want)) {
		char m[900];
		snprintf(m, sizeof m, "message \"%s\" contains \"%s\"", err, want);
		test_fail(__FILE__, __LINE__, m);
	}
	/* nothing is copied out of a refused descriptor */
	CHECK_EQ_INT(out.abi_major, 0xabababab);
}

TEST(sdk_descriptor_head_macro_passes)
{
	CHECK_EQ_INT(good.abi_major, BERTH_STORAGE_ABI_MAJOR);
	CHECK_EQ_INT(good.abi_minor, BERTH_STORAGE_ABI_MINOR);
	CHECK_EQ_INT(good.struct_size, sizeof(berth_storage_driver));
	CHECK_EQ_INT(good.reserved, 0);
	CHECK_STR(good.name, "good");
	CHECK_STR(good.version, "1.2.3");
	CHECK_EQ_INT(good.capabilities, BERTH_CAP_NATIVE_WALK);

	char err[256] = "x";
	berth_storage_driver out;
	CHECK_EQ_INT(berth_sdk_descriptor_check(&good, "g.so", &out, err,
						sizeof err),
		     BERTH_OK);
	CHECK_STR(err, "");
	CHECK(!memcmp(&out, &good, sizeof out));
	/* no copy wanted, no message buffer */
	CHECK_EQ_INT(berth_sdk_descriptor_check(&good, NULL, NULL, NULL, 0),
		     BERTH_OK);
}

TEST(sdk_descriptor_refusals)
{
	berth_storage_driver d;
	refused(NULL, BERTH_E_INVALID_ARGUMENT, "returned no descriptor");

	d = good;
	d.abi_major = 2;
	d.abi_minor = 3;
	refused(&d, BERTH_E_UNSUPPORTED, "built for storage ABI 2.3; this core "
		"supports 1.x (up to 1.1)");

	d = good;
	d.struct_size = 12;
	refused(&d, BERTH_E_INVALID_ARGUMENT, "smaller than the ABI head");

	d = good;
	d.reserved = 5;
	refused(&d, BERTH_E_INVALID_ARGUMENT, "reserved = 5");

	d = good;
	d.name = NULL;
	refused(&d, BERTH_E_INVALID_ARGUMENT, "lacks the required member name");
	d.name = "";
	refused(&d, BERTH_E_INVALID_ARGUMENT, "lacks the required member name");
	d.name = "two words";
	refused(&d, BERTH_E_INVALID_ARGUMENT, "has a blank");
	d.name = "caf\xc3\xa9";
	refused(&d, BERTH_E_INVALID_ARGUMENT, "non-ASCII");
	d.name = "a2345678901234567890123456789012345678901234567890123456789012345";
	refused(&d, BERTH_E_INVALID_ARGUMENT, "longer than 64 bytes");

	d = good;
	d.version = NULL;
	refused(&d, BERTH_E_INVALID_ARGUMENT, "lacks the required member version");
	d.version = "";
	refused(&d, BERTH_E_INVALID_ARGUMENT, "lacks the required member version");

	d = good;
	d.writer_size = NULL;
	refused(&d, BERTH_E_INVALID_ARGUMENT,
		"lacks the required member writer_size");
	d = good;
	d.remove = NULL;
	refused(&d, BERTH_E_INVALID_ARGUMENT, "lacks the required member remove");
	/* a struct_size ending before a required member: it is missing */
	d = good;
	d.struct_size = offsetof(berth_storage_driver, remove);
	refused(&d, BERTH_E_INVALID_ARGUMENT, "lacks the required member remove");
}

TEST(sdk_descriptor_claims_need_members)
{
	berth_storage_driver d = good;
	d.walk = NULL;
	refused(&d, BERTH_E_INVALID_ARGUMENT,
		"claims BERTH_CAP_NATIVE_WALK but has no walk");
	d = good;
	d.capabilities |= BERTH_CAP_REDIRECT;
	refused(&d, BERTH_E_INVALID_ARGUMENT,
		"claims BERTH_CAP_REDIRECT but has no redirect_url");
	d = good;
	d.capabilities |= BERTH_CAP_FILE_DESCRIPTOR;
	refused(&d, BERTH_E_INVALID_ARGUMENT,
		"claims BERTH_CAP_FILE_DESCRIPTOR but has no open_fd");
	/* the member is set but lies beyond struct_size: missing */
	d = good;
	d.struct_size = offsetof(berth_storage_driver, walk);
	refused(&d, BERTH_E_INVALID_ARGUMENT,
		"claims BERTH_CAP_NATIVE_WALK but has no walk");
	/* each 1.1 capability needs the member of its name, and a 1.0
	   descriptor (shorter) claiming one is refused the same way */
	static const struct {
		uint64_t cap;
		const char *msg;
	} v11[] = {
		{BERTH_CAP_BATCH, "claims BERTH_CAP_BATCH but has no batch"},
		{BERTH_CAP_WRITER_FLUSH,
		 "claims BERTH_CAP_WRITER_FLUSH but has no writer_flush"},
		{BERTH_CAP_MAINTAIN, "claims BERTH_CAP_MAINTAIN but has no maintain"},
		{BERTH_CAP_WRITER_HINTS,
		 "claims BERTH_CAP_WRITER_HINTS but has no writer_open_hinted"},
		{BERTH_CAP_VALIDATE_CONFIG,
		 "claims BERTH_CAP_VALIDATE_CONFIG but has no validate_config"},
		{BERTH_CAP_STAT_VERSION,
		 "claims BERTH_CAP_STAT_VERSION but has no stat_version"},
	};
	for (size_t i = 0; i < sizeof v11 / sizeof *v11; i++) {
		d = good;
		d.capabilities |= v11[i].cap;
		refused(&d, BERTH_E_INVALID_ARGUMENT, v11[i].msg);
		d.abi_minor = 0;
		d.struct_size = BERTH_STORAGE_SIZE_1_0;
		refused(&d, BERTH_E_INVALID_ARGUMENT, v11[i].msg);
	}
	/* claims that promise required members need nothing more, and
	   capability bits this SDK does not know (a later minor's) are
	   ignored */
	d = good;
	d.capabilities |= BERTH_CAP_SERVER_MOVE | BERTH_CAP_RANGE_READ |
			  BERTH_CAP_APPEND | (1ull << 40);
	CHECK_EQ_INT(berth_sdk_descriptor_check(&d, "x.so", NULL, NULL, 0),
		     BERTH_OK);
}

TEST(sdk_descriptor_padded_copy)
{
	/* an older minor: members beyond struct_size read as NULL */
	berth_storage_driver d = good;
	d.capabilities = 0;
	d.struct_size = offsetof(berth_storage_driver, walk);
	berth_storage_driver out;
	CHECK_EQ_INT(berth_sdk_descriptor_check(&d, "old.so", &out, NULL, 0),
		     BERTH_OK);
	CHECK(out.remove == nop_remove);
	CHECK(out.walk == NULL);
	CHECK(out.open_fd == NULL);
	CHECK_EQ_INT(out.struct_size, offsetof(berth_storage_driver, walk));

	/* a later minor: the members after ours are not copied (there is
	   nowhere to copy them to) and do not disturb the check */
	static struct {
		berth_storage_driver d;
		void *later[2];
	} newer;
	newer.d = good;
	newer.d.abi_minor = 9;
	newer.d.struct_size = sizeof newer;
	newer.later[0] = newer.later[1] = (void *)1;
	CHECK_EQ_INT(berth_sdk_descriptor_check(&newer.d, "new.so", &out, NULL,
						0),
		     BERTH_OK);
	CHECK_EQ_INT(out.abi_minor, 9);
	CHECK(out.walk == nop_walk);
}
