/*
 * fs_driver_fixture.c - see fs_driver_fixture.h.
 */
#include <dlfcn.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "fs_driver_fixture.h"

const berth_storage_driver *test_fs_driver(void)
{
	static const berth_storage_driver *d;
	if (d)
		return d;
	const char *dir = getenv("BERTH_DRIVER_DIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/storage-filesystem.so",
		 dir && *dir ? dir : "build/lib/berth");
	/* Kept loaded for the whole run: unloading buys nothing here. */
	void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		fprintf(stderr, "    dlopen %s: %s\n", path, dlerror());
		return NULL;
	}
	berth_storage_entry_fn entry =
		(berth_storage_entry_fn)dlsym(handle, BERTH_STORAGE_ENTRY);
	d = entry ? entry() : NULL;
	return d;
}

static int rm_entry(const char *p, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	return remove(p);
}

void test_rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
