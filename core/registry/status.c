/*
 * registry/status.c - storage statuses explained (see registry/status.h).
 */
#include "registry/status.h"
#include "storage/driver_loader.h"
#include "storage/store.h"

const char *registry_status_name(int status)
{
	return store_status_name(status);
}

const char *registry_status_detail(void)
{
	const char *d = driver_host_last_error();
	return d ? d : "";
}
