/*
 * fs_driver.c - the filesystem storage driver: descriptor, configuration
 * and the whole-object methods (get/put content, stat, list, move,
 * remove, open_fd).  Streams live in fs_stream.c, walk and recursive
 * delete in fs_walk.c.
 *
 * Semantics follow CNCF Distribution's filesystem driver, with two
 * deliberate differences: writers keep uncommitted data in a sidecar file
 * (so data is invisible until commit), and remove() prunes directories it
 * left empty (so list() never shows a directory with nothing in it).
 *
 * The instance's only mutable state is the cache of sorted directory
 * listings walk uses (fs_listing.c), which has its own lock; every method
 * is thread-safe.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"

#define FS_DEFAULT_ROOT "/var/lib/registry"
#define FS_MIN_THREADS 25

static int64_t mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* Create the root and prove it writable with a probe file whose '~' name
   no listing ever shows. */
static int check_root(struct berth_instance *in)
{
	const char *root = in->rootlen ? in->root : "/";
	char *probe = fs_full(in, "/.probe", NULL);
	if (!probe)
		return fs_fail(in, BERTH_E_NOMEM, "out of memory");
	int err = fs_mkdir_parent(probe);
	if (err) {
		free(probe);
		int code = berth_sdk_errno_status(err);
		if (code == BERTH_E_NOT_FOUND)
			code = BERTH_E_CONFIG;
		char buf[256];
		return fs_fail(in, code, "cannot create rootdirectory %s: %s",
			       root, strerror_r(err, buf, sizeof buf));
	}
	char *tmp = NULL;
	int fd = fs_open_temp(probe, &tmp);
	err = errno;
	free(probe);
	if (fd < 0) {
		int code = berth_sdk_errno_status(err);
		if (code == BERTH_E_NOT_FOUND)
			code = BERTH_E_CONFIG;
		char buf[256];
		return fs_fail(in, code, "rootdirectory %s is not writable: %s",
			       root, strerror_r(err, buf, sizeof buf));
	}
	close(fd);
	unlink(tmp);
	free(tmp);
	return BERTH_OK;
}

/* The options as create takes them, shared with validate_config so both
   refuse the same ones: *root is the rootdirectory (borrowed from
   `config`).  BERTH_OK or a reported BERTH_E_CONFIG naming the key. */
static int parse_options(const berth_host *host, const berth_config *config,
			 const char **root)
{
	*root = FS_DEFAULT_ROOT;
	for (size_t i = 0; config && i < config->count; i++) {
		const berth_config_item *it = &config->items[i];
		if (!strcmp(it->key, "rootdirectory")) {
			if (!it->value[0])
				return berth_sdk_error(
					host, FS_NAME, BERTH_E_CONFIG,
					"rootdirectory must not be empty");
			*root = it->value;
		} else if (!strcmp(it->key, "maxthreads")) {
			/* Accepted for Distribution compatibility; this
			   driver blocks the calling thread instead. */
			int64_t v;
			if (berth_sdk_parse_int(it->value, FS_MIN_THREADS,
						INT64_MAX, &v) != BERTH_OK)
				return berth_sdk_error(
					host, FS_NAME, BERTH_E_CONFIG,
					"maxthreads must be an integer >= %d, "
					"got \"%s\"",
					FS_MIN_THREADS, it->value);
		} else {
			return berth_sdk_error(host, FS_NAME, BERTH_E_CONFIG,
					       "unknown option \"%s\"",
					       it->key);
		}
	}
	return BERTH_OK;
}

/* BERTH_CAP_VALIDATE_CONFIG: the options alone; the root is neither
   created nor probed (that is create's start-up check). */
static int fs_validate_config(const berth_host *host,
			      const berth_config *config)
{
	const char *root;
	return parse_options(host, config, &root);
}

static int fs_create(berth_instance **out, const berth_host *host,
		     const berth_config *config)
{
	const char *root;
	int rc = parse_options(host, config, &root);
	if (rc)
		return rc;
	struct berth_instance *in = calloc(1, sizeof *in);
	if (!in)
		return berth_sdk_error(host, FS_NAME, BERTH_E_NOMEM,
				       "out of memory");
	in->host = host;
	size_t n = strlen(root);
	while (n > 0 && root[n - 1] == '/')
		n--; /* "/srv/reg/" -> "/srv/reg", "/" -> "" */
	in->root = strndup(root, n);
	if (!in->root) {
		rc = fs_fail(in, BERTH_E_NOMEM, "out of memory");
		goto fail;
	}
	in->rootlen = n;
	rc = check_root(in);
	if (rc != BERTH_OK)
		goto fail;
	in->listings = fs_listing_cache_new();
	if (!in->listings) {
		rc = fs_fail(in, BERTH_E_NOMEM, "out of memory");
		goto fail;
	}
	*out = in;
	return BERTH_OK;
fail:
	free(in->root);
	free(in);
	return rc;
}

static void fs_destroy(berth_instance *in)
{
	if (!in)
		return;
	fs_listing_cache_free(in->listings);
	free(in->sweep_cursor);
	free(in->root);
	free(in);
}

static int fs_get_content(berth_instance *in, const char *path, char **out,
			  size_t *out_len)
{
	int rc = fs_check_path(in, path, 0);
	if (rc)
		return rc;
	char *full = fs_full(in, path, NULL);
	if (!full)
		return fs_fail(in, BERTH_E_NOMEM, "out of memory reading %s",
			       path);
	int fd = open(full, O_RDONLY | O_CLOEXEC);
	free(full);
	if (fd < 0)
		return fs_sys_fail(in, errno, "open", path);
	struct stat st;
	if (fstat(fd, &st) != 0) {
		rc = fs_sys_fail(in, errno, "stat", path);
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = fs_fail(in, BERTH_E_NOT_FOUND, "%s is a directory", path);
		goto out;
	}
	size_t size = (size_t)st.st_size;
	char *buf = in->host->alloc(size + 1);
	if (!buf) {
		rc = fs_fail(in, BERTH_E_NOMEM, "out of memory reading %s",
			     path);
		goto out;
	}
	/* Objects are replaced by rename, never rewritten in place, so the
	   open file keeps the size fstat saw. */
	size_t got = 0;
	while (got < size) {
		ssize_t r = read(fd, buf + got, size - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = fs_sys_fail(in, errno, "read", path);
			in->host->free(buf);
			goto out;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	buf[got] = '\0';
	*out = buf;
	*out_len = got;
out:
	close(fd);
	return rc;
}

static int fs_put_content(berth_instance *in, const char *path,
			  const void *data, size_t len)
{
	int rc = fs_check_path(in, path, 0);
	if (rc)
		return rc;
	char *full = fs_full(in, path, NULL);
	if (!full)
		return fs_fail(in, BERTH_E_NOMEM, "out of memory writing %s",
			       path);
	char *tmp = NULL;
	int fd = -1, err = 0;
	/* A concurrent remove() may prune the directory between our mkdir
	   and open; then simply create it again. */
	for (int i = 0; i < FS_MKDIR_RETRIES; i++) {
		err = fs_mkdir_parent(full);
		if (!err) {
			fd = fs_open_temp(full, &tmp);
			err = fd >= 0 ? 0 : errno;
		}
		if (err != ENOENT)
			break;
	}
	if (fd < 0) {
		rc = fs_sys_fail(in, err, "create", path);
		free(full);
		return rc;
	}
	err = fs_write_all(fd, data, len);
	if (!err && fsync(fd) != 0)
		err = errno;
	if (close(fd) != 0 && !err)
		err = errno;
	if (!err && rename(tmp, full) != 0)
		err = errno;
	if (err) {
		unlink(tmp);
		rc = fs_sys_fail(in, err, "write", path);
	} else if ((err = fs_sync_parent(full)) != 0) {
		rc = fs_sys_fail(in, err, "sync directory of", path);
	}
	free(tmp);
	free(full);
	return rc;
}

static int fs_stat(berth_instance *in, const char *path, berth_stat_info *out)
{
	int rc = fs_check_path(in, path, 1);
	if (rc)
		return rc;
	char *full = fs_full(in, path, NULL);
	if (!full)
		return fs_fail(in, BERTH_E_NOMEM, "out of memory");
	struct stat st;
	int r = stat(full, &st);
	int err = errno;
	free(full);
	memset(out, 0, sizeof *out);
	if (r != 0) {
		if (!strcmp(path, "/") && (err == ENOENT)) {
			out->is_dir = 1; /* "/" always exists */
			return BERTH_OK;
		}
		return fs_sys_fail(in, err, "stat", path);
	}
	out->is_dir = S_ISDIR(st.st_mode) ? 1 : 0;
	out->size = out->is_dir ? 0 : (uint64_t)st.st_size;
	out->mtime_ns = mtime_ns(&st);
	return BERTH_OK;
}

/*
 * BERTH_CAP_STAT_VERSION.  An object is never rewritten in place:
 * put_content, writer_commit and move all rename a file of their own over
 * the path, so replacing an object always puts another inode there.  The
 * inode number alone could repeat (the replaced file's number is free
 * again once it is gone, and the next temporary may get it), so the
 * version also has the inode's generation (FS_IOC_GETVERSION: ext4, xfs,
 * btrfs and tmpfs draw a new one when a number is reused), its mtime in
 * ns and its size.  Only a filesystem without generations, reusing the
 * number within one mtime tick for an object of the same size, could
 * repeat a version.  No device number: it differs between the hosts of a
 * shared (NFS) root, the other three do not, so every instance on the
 * root agrees.  All from one open file, so they describe one inode.
 */
static int fs_stat_version(berth_instance *in, const char *path,
			   berth_stat_info *out, char *out_version)
{
	memset(out, 0, sizeof *out);
	out_version[0] = 0;
	int rc = fs_check_path(in, path, 1);
	if (rc)
		return rc;
	char *full = fs_full(in, path, NULL);
	if (!full)
		return fs_fail(in, BERTH_E_NOMEM, "out of memory");
	int fd = open(full, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	int err = errno;
	free(full);
	if (fd < 0) {
		if (!strcmp(path, "/") && err == ENOENT) {
			out->is_dir = 1; /* "/" always exists */
			return BERTH_OK;
		}
		return fs_sys_fail(in, err, "stat", path);
	}
	struct stat st;
	if (fstat(fd, &st) != 0) {
		rc = fs_sys_fail(in, errno, "stat", path);
		close(fd);
		return rc;
	}
	out->is_dir = S_ISDIR(st.st_mode) ? 1 : 0;
	out->size = out->is_dir ? 0 : (uint64_t)st.st_size;
	out->mtime_ns = mtime_ns(&st);
	if (!out->is_dir) {
		unsigned int gen = 0;
		if (ioctl(fd, FS_IOC_GETVERSION, &gen) != 0)
			gen = 0; /* no generations here: see above */
		snprintf(out_version, BERTH_VERSION_MAX, "%llx.%x.%llx.%llx",
			 (unsigned long long)st.st_ino, gen,
			 (unsigned long long)out->mtime_ns,
			 (unsigned long long)out->size);
	}
	close(fd);
	return BERTH_OK;
}

static int fs_list(berth_instance *in, const char *path, berth_list_cb cb,
		   void *payload)
{
	int rc = fs_check_path(in, path, 1);
	if (rc)
		return rc;
	int is_root = !strcmp(path, "/");
	char *full = fs_full(in, path, NULL);
	if (!full)
		return fs_fail(in, BERTH_E_NOMEM, "out of memory");
	DIR *d = opendir(full);
	int err = errno;
	free(full);
	if (!d) {
		if (is_root && err == ENOENT)
			return BERTH_OK;
		return fs_sys_fail(in, err, "list", path);
	}
	size_t plen = is_root ? 0 : strlen(path);
	char *child = malloc(plen + NAME_MAX + 2);
	if (!child) {
		closedir(d);
		return fs_fail(in, BERTH_E_NOMEM, "out of memory listing %s",
			       path);
	}
	memcpy(child, path, plen);
	child[plen] = '/';
	for (;;) {
		errno = 0;
		struct dirent *e = readdir(d);
		if (!e) {
			if (errno)
				rc = fs_sys_fail(in, errno, "list", path);
			break;
		}
		/* Hides ".", "..", '~' helpers and foreign names alike. */
		if (!berth_sdk_path_name_valid(e->d_name)) {
			fs_sweep_temp(in, dirfd(d), e->d_name,
				      is_root ? "" : path);
			continue;
		}
		strcpy(child + plen + 1, e->d_name);
		if (cb(child, payload))
			break;
	}
	free(child);
	closedir(d);
	return rc;
}

static int fs_move(berth_instance *in, const char *src, const char *dst)
{
	int rc = fs_check_path(in, src, 0);
	if (rc)
		return rc;
	if ((rc = fs_check_path(in, dst, 0)) != 0)
		return rc;
	char *fsrc = fs_full(in, src, NULL), *fdst = fs_full(in, dst, NULL);
	if (!fsrc || !fdst) {
		rc = fs_fail(in, BERTH_E_NOMEM, "out of memory moving %s", src);
		goto out;
	}
	struct stat st;
	int err = 0;
	for (int i = 0; i < FS_MKDIR_RETRIES; i++) {
		/* Check first, so a missing source leaves no directories
		   behind on the destination side. */
		if (lstat(fsrc, &st) != 0) {
			err = errno;
			break;
		}
		err = fs_mkdir_parent(fdst);
		if (!err && rename(fsrc, fdst) != 0)
			err = errno;
		if (err != ENOENT)
			break;
	}
	if (err) {
		rc = berth_sdk_error_errno(in->host, FS_NAME, err,
					   "move %s to %s", src, dst);
		goto out;
	}
	if ((err = fs_sync_parent(fdst)) != 0) {
		rc = fs_sys_fail(in, err, "sync directory of", dst);
		goto out;
	}
	fs_prune_parents(in, src);
out:
	free(fsrc);
	free(fdst);
	return rc;
}

static int fs_remove(berth_instance *in, const char *path)
{
	int rc = fs_check_path(in, path, 0);
	if (rc)
		return rc;
	char *full = fs_full(in, path, NULL);
	if (!full)
		return fs_fail(in, BERTH_E_NOMEM, "out of memory removing %s",
			       path);
	struct stat st;
	int err = 0;
	if (lstat(full, &st) != 0)
		err = errno;
	else if (S_ISDIR(st.st_mode))
		err = fs_remove_tree(full);
	else if (unlink(full) != 0)
		err = errno;
	if (err) {
		rc = fs_sys_fail(in, err, "remove", path);
	} else {
		if (!S_ISDIR(st.st_mode)) {
			/* Uncommitted writer data belongs to the object. */
			char *side = fs_full(in, path, FS_PARTIAL_SUFFIX);
			if (side)
				unlink(side);
			free(side);
		}
		fs_prune_parents(in, path);
	}
	free(full);
	return rc;
}

static int fs_open_fd(berth_instance *in, const char *path, int *out_fd,
		      uint64_t *out_size)
{
	int rc = fs_check_path(in, path, 0);
	return rc ? rc : fs_open_regular(in, path, "opening", out_fd, out_size);
}

static const berth_storage_driver fs_desc = {
	/* No BERTH_CAP_BATCH: renames of several files cannot be made
	   all or nothing, nor atomic for readers.  No
	   BERTH_CAP_WRITER_HINTS: see fs_stream.c. */
	BERTH_STORAGE_HEAD(FS_NAME, "1.1.0",
			   BERTH_CAP_NATIVE_WALK | BERTH_CAP_SERVER_MOVE |
				   BERTH_CAP_RANGE_READ | BERTH_CAP_APPEND |
				   BERTH_CAP_FILE_DESCRIPTOR |
				   BERTH_CAP_WRITER_FLUSH | BERTH_CAP_MAINTAIN |
				   BERTH_CAP_VALIDATE_CONFIG |
				   BERTH_CAP_STAT_VERSION),
	.create = fs_create,
	.destroy = fs_destroy,
	.get_content = fs_get_content,
	.put_content = fs_put_content,
	.reader_open = fs_reader_open,
	.reader_read = fs_reader_read,
	.reader_close = fs_reader_close,
	.writer_open = fs_writer_open,
	.writer_write = fs_writer_write,
	.writer_size = fs_writer_size,
	.writer_commit = fs_writer_commit,
	.writer_cancel = fs_writer_cancel,
	.writer_close = fs_writer_close,
	.stat = fs_stat,
	.list = fs_list,
	.move = fs_move,
	.remove = fs_remove,
	.redirect_url = NULL, /* files have no URL a client could fetch */
	.walk = fs_walk,
	.open_fd = fs_open_fd,
	.batch = NULL,
	.writer_flush = fs_writer_flush,
	.maintain = fs_maintain,
	.validate_config = fs_validate_config,
	.stat_version = fs_stat_version,
};

BERTH_STORAGE_DRIVER(&fs_desc)
