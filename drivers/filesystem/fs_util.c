/*
 * fs_util.c - helpers shared by the filesystem driver's methods: mapping
 * storage paths onto the root directory, mkdir -p, pruning of empty
 * directories, temporary files.
 *
 * Every method validates its path first (fs_check_path, the SDK's path
 * grammar), so nothing outside the grammar (no "..", no '~' helper
 * names) ever reaches a system call.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"

char *fs_full(const struct berth_instance *in, const char *path,
	      const char *suffix)
{
	if (!strcmp(path, "/"))
		path = in->rootlen ? "" : "/";
	size_t pl = strlen(path), sl = suffix ? strlen(suffix) : 0;
	char *full = malloc(in->rootlen + pl + sl + 1);
	if (!full)
		return NULL;
	memcpy(full, in->root, in->rootlen);
	memcpy(full + in->rootlen, path, pl);
	if (sl)
		memcpy(full + in->rootlen + pl, suffix, sl);
	full[in->rootlen + pl + sl] = '\0';
	return full;
}

/* mkdir -p `dir` (modified temporarily, restored before returning). */
static int mkdir_p(char *dir)
{
	if (mkdir(dir, 0777) == 0 || errno == EEXIST)
		return 0;
	if (errno != ENOENT)
		return errno;
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return ENOENT;
	*slash = '\0';
	int err = mkdir_p(dir);
	*slash = '/';
	if (err)
		return err;
	if (mkdir(dir, 0777) == 0 || errno == EEXIST)
		return 0;
	return errno;
}

int fs_mkdir_parent(const char *full)
{
	const char *slash = strrchr(full, '/');
	if (!slash || slash == full)
		return 0;
	size_t n = (size_t)(slash - full);
	char *dir = malloc(n + 1);
	if (!dir)
		return ENOMEM;
	memcpy(dir, full, n);
	dir[n] = '\0';
	int err = mkdir_p(dir);
	free(dir);
	return err;
}

int fs_sync_parent(const char *full)
{
	const char *slash = strrchr(full, '/');
	char *dir;
	if (!slash)
		dir = strdup(".");
	else if (slash == full)
		dir = strdup("/");
	else
		dir = strndup(full, (size_t)(slash - full));
	if (!dir)
		return ENOMEM;
	int err = 0;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		err = errno;
	else {
		/* Some filesystems cannot fsync a directory; they need not. */
		if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
			err = errno;
		close(fd);
	}
	free(dir);
	return err;
}

void fs_prune_parents(const struct berth_instance *in, const char *path)
{
	char *full = fs_full(in, path, NULL);
	if (!full)
		return;
	/* Strip one component per step; stop at the root.  A concurrent
	   writer that re-creates a directory just removed here retries its
	   mkdir, and a directory that gained a child makes rmdir fail with
	   ENOTEMPTY, which ends the pruning harmlessly. */
	for (;;) {
		char *slash = strrchr(full, '/');
		if (!slash || (size_t)(slash - full) <= in->rootlen)
			break;
		*slash = '\0';
		if (rmdir(full) != 0)
			break;
	}
	free(full);
}

int fs_open_temp(const char *full, char **tmp_out)
{
	static atomic_ulong counter;
	size_t n = strlen(full) + 64;
	char *tmp = malloc(n);
	if (!tmp) {
		errno = ENOMEM;
		return -1;
	}
	for (int tries = 0; tries < 100; tries++) {
		unsigned long c = atomic_fetch_add(&counter, 1);
		snprintf(tmp, n, "%s~tmp.%ld.%lu", full, (long)getpid(), c);
		int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC,
			      0666);
		if (fd >= 0) {
			*tmp_out = tmp;
			return fd;
		}
		/* A stale temporary of an earlier process with our pid. */
		if (errno != EEXIST)
			break;
	}
	int err = errno;
	free(tmp);
	errno = err;
	return -1;
}

void fs_sweep_temp(const struct berth_instance *in, int dirfd,
		   const char *name, const char *dir)
{
	if (!strstr(name, "~tmp."))
		return;
	struct stat st;
	struct timespec now;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
	    !S_ISREG(st.st_mode) || clock_gettime(CLOCK_REALTIME, &now) != 0 ||
	    now.tv_sec - st.st_mtim.tv_sec < FS_TEMP_STALE_S)
		return;
	/* ENOENT: another server swept it, or its writer renamed it */
	if (unlinkat(dirfd, name, 0) == 0)
		berth_sdk_log(in->host, FS_NAME, BERTH_LOG_INFO,
			      "removed %s%s%s, the temporary of a write that "
			      "did not finish",
			      dir ? dir : "", dir ? "/" : "", name);
}

int fs_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (n == 0)
			return EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
