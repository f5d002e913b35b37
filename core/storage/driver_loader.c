/*
 * storage/driver_loader.c - loads storage drivers and offers them the core's
 * host services.
 *
 * The descriptor is checked and copied by the driver SDK's
 * berth_sdk_descriptor_check, FUSE-style into a zeroed struct of the
 * core's size: a driver built against an older minor simply has NULL for
 * the members it does not know, and one built against a newer minor gets
 * its extra members ignored (and an info line logged).  Another major is refused, with both
 * versions in the message, because member meanings may differ; so is a
 * descriptor lacking a required member or claiming a capability without
 * the member it promises.
 */
#include <dlfcn.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <berth/sdk.h>

#include "common/log.h"
#include "storage/driver_loader.h"

#ifndef BERTH_DEFAULT_DRIVER_DIR
#define BERTH_DEFAULT_DRIVER_DIR "/usr/local/lib/berth"
#endif

static __thread char last_error[1024];

const char *driver_host_last_error(void)
{
	return last_error;
}

void driver_host_clear_error(void)
{
	last_error[0] = 0;
}

static void host_log(const berth_host *host, berth_log_level level,
		     const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	log_write(level, "driver: %s", buf);
}

static int host_error(const berth_host *host, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof last_error, fmt, ap);
	va_end(ap);
	return code;
}

static void *host_alloc(size_t size)
{
	return malloc(size ? size : 1);
}

static void host_free(void *p)
{
	free(p);
}

static int64_t host_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const berth_host core_host = {
	.struct_size = sizeof(berth_host),
	.abi_minor = BERTH_STORAGE_ABI_MINOR,
	.opaque = NULL,
	.log = host_log,
	.error = host_error,
	.alloc = host_alloc,
	.free = host_free,
	.now_ns = host_now_ns,
};

const berth_host *driver_host(void)
{
	return &core_host;
}

/* Directory of the running executable's "../lib/berth", if it exists. */
static char *exe_relative_dir(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = 0;
	char *dir = NULL;
	if (asprintf(&dir, "%s/../lib/berth", exe) < 0)
		return NULL;
	if (access(dir, F_OK) != 0) {
		free(dir);
		return NULL;
	}
	return dir;
}

char *driver_resolve(const char *name, const char *explicit_path)
{
	if (explicit_path && *explicit_path)
		return strdup(explicit_path);
	const char *env = getenv("BERTH_DRIVER_DIR");
	char *dir = env && *env ? strdup(env) : exe_relative_dir();
	if (!dir)
		dir = strdup(BERTH_DEFAULT_DRIVER_DIR);
	char *file = NULL;
	if (!dir || asprintf(&file, "%s/storage-%s.so", dir, name) < 0)
		file = NULL;
	free(dir);
	return file;
}

int driver_load(const char *file, berth_driver **out, char *errbuf,
		      size_t errlen)
{
	*out = NULL;
	void *dl = dlopen(file, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		snprintf(errbuf, errlen, "cannot load storage driver %s: %s",
			 file, dlerror());
		return -1;
	}
	berth_storage_entry_fn entry;
	*(void **)&entry = dlsym(dl, BERTH_STORAGE_ENTRY);
	if (!entry) {
		snprintf(errbuf, errlen,
			 "%s is not a Berth storage driver (no symbol %s)",
			 file, BERTH_STORAGE_ENTRY);
		dlclose(dl);
		return -1;
	}
	/* The SDK's check, the one the conformance tool and drivers that
	   load drivers make too; it pads the descriptor to our size. */
	berth_driver *d = calloc(1, sizeof *d);
	if (!d) {
		snprintf(errbuf, errlen, "out of memory");
		dlclose(dl);
		return -1;
	}
	const berth_storage_driver *desc = entry();
	if (berth_sdk_descriptor_check(desc, file, &d->desc, errbuf,
				       errlen) != BERTH_OK) {
		free(d);
		dlclose(dl);
		return -1;
	}
	/* Loads, as the ABI promises; said once, so an operator knows the
	   driver offers members this core does not use. */
	if (desc->abi_minor > BERTH_STORAGE_ABI_MINOR)
		log_write(BERTH_LOG_INFO,
			  "storage driver %s (\"%s\" %s) was built for storage ABI "
			  "%u.%u, newer than this core's %d.%d: members added "
			  "after %d.%d are not used", file, d->desc.name,
			  d->desc.version, desc->abi_major, desc->abi_minor,
			  BERTH_STORAGE_ABI_MAJOR, BERTH_STORAGE_ABI_MINOR,
			  BERTH_STORAGE_ABI_MAJOR, BERTH_STORAGE_ABI_MINOR);
	d->dl = dl;
	d->file = strdup(file);
	*out = d;
	return 0;
}

void driver_unload(berth_driver *d)
{
	if (!d)
		return;
	if (d->dl)
		dlclose(d->dl);
	free(d->file);
	free(d);
}
