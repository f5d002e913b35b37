/*
 * repo_fixture.h - a registry application on the filesystem driver in a
 * scratch directory, for unit tests of the repository layer.
 */
#ifndef BERTH_TESTS_UNIT_REPO_FIXTURE_H
#define BERTH_TESTS_UNIT_REPO_FIXTURE_H

#include "registry/registry.h"
#include "config.h"
#include "storage/driver_loader.h"

typedef struct repo_fixture {
	berth_driver *driver;
	berth_settings cfg;
	berth_registry reg;
	char root[64];
} repo_fixture;

/** Load storage-filesystem.so on a fresh scratch root; 0 or -1. */
int repo_fixture_setup(repo_fixture *f);
/** Remove everything written and release the driver. */
void repo_fixture_teardown(repo_fixture *f);

#endif
