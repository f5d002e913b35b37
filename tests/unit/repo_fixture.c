/*
 * repo_fixture.c - see repo_fixture.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs_driver_fixture.h"
#include "repo_fixture.h"
#include "storage/store.h"

int repo_fixture_setup(repo_fixture *f)
{
	char err[512] = "";
	memset(f, 0, sizeof *f);
	snprintf(f->root, sizeof f->root, "/tmp/berth-repo-XXXXXX");
	if (!mkdtemp(f->root))
		return -1;
	int rc = driver_load(test_driver_path("filesystem"), &f->driver,
				   err, sizeof err);
	if (rc)
		return -1;
	berth_config_item items[] = {{"rootdirectory", f->root}};
	berth_config c = {1, items};
	registry_init(&f->reg, &f->cfg);
	if (store_open(&f->reg.store, f->driver, &c, err, sizeof err)) {
		driver_unload(f->driver);
		f->driver = NULL;
		return -1;
	}
	return 0;
}

void repo_fixture_teardown(repo_fixture *f)
{
	store_remove(&f->reg.store, "/docker");
	store_close(&f->reg.store);
	registry_fini(&f->reg);
	driver_unload(f->driver);
	rmdir(f->root);
}
