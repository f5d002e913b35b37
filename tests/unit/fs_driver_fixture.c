/*
 * fs_driver_fixture.c - see fs_driver_fixture.h.
 */
#include <dlfcn.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs_driver_fixture.h"

const char *test_driver_path(const char *name)
{
	static __thread char path[PATH_MAX + 64];
	const char *dir = getenv("BERTH_DRIVER_DIR");
	if (dir && *dir) {
		snprintf(path, sizeof path, "%s/storage-%s.so", dir, name);
		return path;
	}
	/* <BUILD>/tests/unit-tests -> <BUILD>/lib/berth: the drivers of the
	   build this binary belongs to, never an installed copy. */
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = 0;
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = 0;
	snprintf(path, sizeof path, "%s/../lib/berth/storage-%s.so", exe, name);
	return path;
}

const berth_storage_driver *test_fs_driver(void)
{
	static const berth_storage_driver *d;
	if (d)
		return d;
	const char *path = test_driver_path("filesystem");
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
