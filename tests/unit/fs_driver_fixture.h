/*
 * fs_driver_fixture.h - the filesystem driver loaded straight through its
 * ABI entry point, and scratch-tree removal, for unit tests that drive
 * storage-filesystem.so with a host of their own.
 */
#ifndef BERTH_TESTS_UNIT_FS_DRIVER_FIXTURE_H
#define BERTH_TESTS_UNIT_FS_DRIVER_FIXTURE_H

#include <berth/storage.h>

/** The file of driver `name` in the build this binary belongs to:
    $BERTH_DRIVER_DIR/storage-<name>.so, else
    <dir of this binary>/../lib/berth/storage-<name>.so (so the unit tests
    of build-asan load build-asan's drivers).  Thread-local storage. */
const char *test_driver_path(const char *name);

/** storage-filesystem.so from test_driver_path, loaded once and kept
    loaded; NULL (reported on stderr) if it fails. */
const berth_storage_driver *test_fs_driver(void);

/** rm -r of `dir` (best effort, never follows symlinks). */
void test_rm_tree(const char *dir);

#endif
