/*
 * storage/driver_loader.h - load a storage driver .so, check its descriptor head,
 * and create an instance with the core's host services table.
 */
#ifndef BERTH_CORE_STORAGE_DRIVER_LOADER_H
#define BERTH_CORE_STORAGE_DRIVER_LOADER_H

#include <stddef.h>
#include <berth/storage.h>

/** A loaded driver: the descriptor padded to the core's size. */
typedef struct berth_driver {
	void *dl;                     /* dlopen handle */
	berth_storage_driver desc;    /* copy, members beyond struct_size 0 */
	char *file;                   /* path it was loaded from */
} berth_driver;

/**
 * Resolve the file for driver `name`: `explicit_path` if set, else
 * "<dir>/storage-<name>.so" where dir is $BERTH_DRIVER_DIR or the
 * compiled-in default.  Returns a malloc'd string.
 */
char *driver_resolve(const char *name, const char *explicit_path);

/**
 * dlopen `file`, find BERTH_STORAGE_ENTRY and check the descriptor with
 * berth_sdk_descriptor_check (<berth/sdk.h>): refuses another major, a
 * struct_size smaller than the frozen head, a non-zero reserved, a bad
 * name or version, a missing required member, a claimed capability
 * without its member.  On error returns -1 with a message in errbuf.
 */
int driver_load(const char *file, berth_driver **out, char *errbuf,
		      size_t errlen);

void driver_unload(berth_driver *d);

/** The host services table the core hands to drivers. */
const berth_host *driver_host(void);

/** The detail message the calling thread's last driver error recorded. */
const char *driver_host_last_error(void);
/** Clear the calling thread's driver error detail. */
void driver_host_clear_error(void);

#endif
