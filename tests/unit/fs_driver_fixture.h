/*
 * fs_driver_fixture.h - the filesystem driver loaded straight through its
 * ABI entry point, and scratch-tree removal, for unit tests that drive
 * storage-filesystem.so with a host of their own.
 */
#ifndef BERTH_TEST_FS_DRIVER_FIXTURE_H
#define BERTH_TEST_FS_DRIVER_FIXTURE_H

#include <berth/storage.h>

/** storage-filesystem.so from $BERTH_DRIVER_DIR (else build/lib/berth),
    loaded once and kept loaded; NULL (reported on stderr) if it fails. */
const berth_storage_driver *test_fs_driver(void);

/** rm -r of `dir` (best effort, never follows symlinks). */
void test_rm_tree(const char *dir);

#endif
