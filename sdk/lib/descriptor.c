/*
 * descriptor.c - the check a program makes of a driver's descriptor
 * before it calls anything through it: the one Berth's loader makes, so
 * the server, a driver that loads another one (the fault driver) and the
 * conformance tool refuse exactly the same descriptors.
 *
 * The descriptor is copied FUSE-style into a zeroed struct of this
 * header's size: a driver built against an older minor has NULL for the
 * members it does not know, one built against a newer minor gets its
 * extra members ignored.  The members are checked on that copy, so a
 * member lying beyond the driver's struct_size counts as missing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <berth/sdk.h>

#define NAME_MAX_LEN 64

/* Printable ASCII without blanks: the name is a configuration key
   (storage.<name>) and part of a file name (storage-<name>.so). */
static const char *name_problem(const char *name)
{
	size_t n = 0;
	for (; name[n]; n++)
		if ((unsigned char)name[n] <= ' ' || (unsigned char)name[n] > '~')
			return "has a blank, control or non-ASCII byte";
	if (n > NAME_MAX_LEN)
		return "is longer than 64 bytes";
	return NULL;
}

/* The first required ABI 1.0 member `d` lacks, or NULL. */
static const char *missing_member(const berth_storage_driver *d)
{
	return !d->create          ? "create"
	       : !d->destroy       ? "destroy"
	       : !d->get_content   ? "get_content"
	       : !d->put_content   ? "put_content"
	       : !d->reader_open   ? "reader_open"
	       : !d->reader_read   ? "reader_read"
	       : !d->reader_close  ? "reader_close"
	       : !d->writer_open   ? "writer_open"
	       : !d->writer_write  ? "writer_write"
	       : !d->writer_size   ? "writer_size"
	       : !d->writer_commit ? "writer_commit"
	       : !d->writer_cancel ? "writer_cancel"
	       : !d->writer_close  ? "writer_close"
	       : !d->stat          ? "stat"
	       : !d->list          ? "list"
	       : !d->move          ? "move"
	       : !d->remove        ? "remove"
				   : NULL;
}

/* The claim `d` makes without the member it promises, or NULL.  Only
   these capabilities promise an optional member; SERVER_MOVE, RANGE_READ
   and APPEND are promises about required ones. */
static const char *unbacked_claim(const berth_storage_driver *d)
{
	uint64_t caps = d->capabilities;
	if ((caps & BERTH_CAP_REDIRECT) && !d->redirect_url)
		return "BERTH_CAP_REDIRECT but has no redirect_url";
	if ((caps & BERTH_CAP_NATIVE_WALK) && !d->walk)
		return "BERTH_CAP_NATIVE_WALK but has no walk";
	if ((caps & BERTH_CAP_FILE_DESCRIPTOR) && !d->open_fd)
		return "BERTH_CAP_FILE_DESCRIPTOR but has no open_fd";
	if ((caps & BERTH_CAP_BATCH) && !d->batch)
		return "BERTH_CAP_BATCH but has no batch";
	if ((caps & BERTH_CAP_WRITER_FLUSH) && !d->writer_flush)
		return "BERTH_CAP_WRITER_FLUSH but has no writer_flush";
	if ((caps & BERTH_CAP_MAINTAIN) && !d->maintain)
		return "BERTH_CAP_MAINTAIN but has no maintain";
	if ((caps & BERTH_CAP_WRITER_HINTS) && !d->writer_open_hinted)
		return "BERTH_CAP_WRITER_HINTS but has no writer_open_hinted";
	if ((caps & BERTH_CAP_VALIDATE_CONFIG) && !d->validate_config)
		return "BERTH_CAP_VALIDATE_CONFIG but has no validate_config";
	if ((caps & BERTH_CAP_STAT_VERSION) && !d->stat_version)
		return "BERTH_CAP_STAT_VERSION but has no stat_version";
	return NULL;
}

static int refuse(char *err, size_t errlen, int code, const char *fmt, ...)
	BERTH_PRINTF(4, 5);

static int refuse(char *err, size_t errlen, int code, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

int berth_sdk_descriptor_check(const berth_storage_driver *desc,
			       const char *file, berth_storage_driver *out,
			       char *err, size_t errlen)
{
	const int bad = BERTH_E_INVALID_ARGUMENT;
	if (!file || !*file)
		file = "(unnamed)";
	if (err && errlen)
		err[0] = 0;
	if (!desc)
		return refuse(err, errlen, bad,
			      "storage driver %s returned no descriptor", file);
	if (desc->abi_major != BERTH_STORAGE_ABI_MAJOR)
		return refuse(err, errlen, BERTH_E_UNSUPPORTED,
			      "storage driver %s was built for storage ABI %u.%u; "
			      "this core supports %d.x (up to %d.%d)",
			      file, desc->abi_major, desc->abi_minor,
			      BERTH_STORAGE_ABI_MAJOR, BERTH_STORAGE_ABI_MAJOR,
			      BERTH_STORAGE_ABI_MINOR);
	size_t head = offsetof(berth_storage_driver, create);
	if (desc->struct_size < head)
		return refuse(err, errlen, bad,
			      "storage driver %s has a descriptor of %u bytes, "
			      "smaller than the ABI head (%zu)",
			      file, desc->struct_size, head);
	if (desc->reserved != 0)
		return refuse(err, errlen, bad,
			      "storage driver %s has reserved = %u in its "
			      "descriptor head, which must be 0",
			      file, desc->reserved);

	berth_storage_driver d;
	memset(&d, 0, sizeof d);
	memcpy(&d, desc, desc->struct_size < sizeof d ? desc->struct_size
						      : sizeof d);
	const char *why;
	if (!d.name || !*d.name)
		return refuse(err, errlen, bad,
			      "storage driver %s lacks the required member name",
			      file);
	if ((why = name_problem(d.name)) != NULL)
		return refuse(err, errlen, bad,
			      "storage driver %s: its name \"%.80s\" %s", file,
			      d.name, why);
	if (!d.version || !*d.version)
		return refuse(err, errlen, bad,
			      "storage driver %s lacks the required member version",
			      file);
	if ((why = missing_member(&d)) != NULL)
		return refuse(err, errlen, bad,
			      "storage driver %s lacks the required member %s",
			      file, why);
	if ((why = unbacked_claim(&d)) != NULL)
		return refuse(err, errlen, bad, "storage driver %s claims %s",
			      file, why);
	if (out)
		*out = d;
	return BERTH_OK;
}
