/*
 * registry/status.h - what a storage status tells a client: the status's
 * name and the detail message the driver left for the calling thread.
 * The endpoints reach storage only through the registry; this is how
 * they explain its errors.
 */
#ifndef BERTH_CORE_REGISTRY_STATUS_H
#define BERTH_CORE_REGISTRY_STATUS_H

/** Name of a berth_status ("BERTH_E_NO_SPACE" reads "no space"). */
const char *registry_status_name(int status);

/** The driver's message for this thread's last error, or "". */
const char *registry_status_detail(void);

#endif
