/*
 * fs_stream.c - readers and writers of the filesystem driver.
 *
 * A writer never touches `path` before commit: it writes "<path>~partial"
 * in the same directory and commit renames that over `path` (atomic, and
 * durable thanks to the fsyncs).  Closing without commit keeps the sidecar
 * on disk, so a writer reopened with append -- even by a restarted
 * process -- continues it; appending to a committed object first copies
 * it into a sidecar (copy_file_range, so usually without moving the bytes
 * through user space).
 *
 * Small writes are gathered in a 64 KiB buffer: clients and the core often
 * write in small pieces, and a system call per piece would dominate.
 *
 * Every FS_WRITEBACK bytes the writer asks the kernel to start writing
 * them to disk (sync_file_range, without waiting).  A blob then goes to
 * disk while it is still arriving, instead of all at once in the fsync
 * that makes it durable, which otherwise stalls the request for as long
 * as the disk needs for everything the page cache collected.  2 MiB rather
 * than 8: a 16 MiB PATCH then starts its write-back sooner, leaving less
 * for the fsync that closes it (1 GiB in 16 MiB chunks, six alternating
 * runs: 517 MB/s median against 484; monolithic pushes unchanged).
 *
 * writer_flush (ABI 1.1) is the close's durability without the close:
 * the buffer written out, the data fdatasync'd, and a new sidecar's
 * directory entry synced, so a crash keeps every byte for an append.
 * Hinted writers (BERTH_CAP_WRITER_HINTS) are not offered: the only use
 * a filesystem has for a size is reserving blocks, and a size is the
 * client's word -- 2,000 slow uploads announcing 10 GiB each filled the
 * disk through such reservations before a byte arrived (the slow-client
 * suite, test_slow_clients.sh, caught it).
 */
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"

#define FS_WBUF (64 * 1024)
#define FS_WRITEBACK (2u << 20)

struct berth_reader {
	struct berth_instance *in;
	char *path;
	int fd;
};

enum { W_OPEN, W_COMMITTED, W_CANCELLED, W_FAILED };

struct berth_writer {
	struct berth_instance *in;
	char *path;     /* storage path, for messages and pruning */
	char *full;     /* where commit puts the data */
	char *partial;  /* the sidecar holding uncommitted data */
	int fd;         /* open on the sidecar, or -1 */
	int state;
	int created;    /* the sidecar's name is new: sync its directory */
	uint64_t size;  /* bytes accepted so far, buffered ones included */
	uint64_t writeback; /* file offset up to which write-back started */
	char *buf;      /* FS_WBUF bytes, allocated on the first small write */
	size_t buflen;
};

/* ---- readers ---- */

int fs_open_regular(berth_instance *in, const char *path, const char *verb,
		    int *out_fd, uint64_t *out_size)
{
	char *full = fs_full(in, path, NULL);
	if (!full)
		return fs_fail(in, BERTH_E_NOMEM, "out of memory %s %s", verb,
			       path);
	int fd = open(full, O_RDONLY | O_CLOEXEC);
	int err = errno;
	free(full);
	if (fd < 0)
		return fs_sys_fail(in, err, "open", path);
	struct stat st;
	int rc = BERTH_OK;
	if (fstat(fd, &st) != 0)
		rc = fs_sys_fail(in, errno, "stat", path);
	else if (S_ISDIR(st.st_mode))
		rc = fs_fail(in, BERTH_E_NOT_FOUND, "%s is a directory", path);
	if (rc) {
		close(fd);
		return rc;
	}
	*out_fd = fd;
	*out_size = (uint64_t)st.st_size;
	return BERTH_OK;
}

int fs_reader_open(berth_reader **out, berth_instance *in, const char *path,
		   int64_t offset)
{
	int rc = fs_check_path(in, path, 0);
	if (rc)
		return rc;
	if (offset < 0)
		return fs_fail(in, BERTH_E_INVALID_OFFSET,
			       "invalid offset %lld reading %s",
			       (long long)offset, path);
	int fd;
	uint64_t size;
	rc = fs_open_regular(in, path, "reading", &fd, &size);
	if (rc)
		return rc;
	if ((uint64_t)offset > size) {
		rc = fs_fail(in, BERTH_E_INVALID_OFFSET,
			     "offset %lld beyond the end (%llu) of %s",
			     (long long)offset, (unsigned long long)size, path);
		goto fail;
	}
	if (offset > 0 && lseek(fd, offset, SEEK_SET) < 0) {
		rc = fs_sys_fail(in, errno, "seek", path);
		goto fail;
	}
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	berth_reader *r = calloc(1, sizeof *r);
	char *copy = strdup(path);
	if (!r || !copy) {
		free(r);
		free(copy);
		rc = fs_fail(in, BERTH_E_NOMEM, "out of memory reading %s",
			     path);
		goto fail;
	}
	r->in = in;
	r->path = copy;
	r->fd = fd;
	*out = r;
	return BERTH_OK;
fail:
	close(fd);
	return rc;
}

int fs_reader_read(berth_reader *r, void *buf, size_t cap, size_t *out_n)
{
	for (;;) {
		ssize_t n = read(r->fd, buf, cap);
		if (n >= 0) {
			*out_n = (size_t)n;
			return BERTH_OK;
		}
		if (errno != EINTR)
			return fs_sys_fail(r->in, errno, "read", r->path);
	}
}

void fs_reader_close(berth_reader *r)
{
	if (!r)
		return;
	close(r->fd);
	free(r->path);
	free(r);
}

/* ---- writers ---- */

/* Copy the rest of `src` to `dst` from their current offsets. */
static int copy_fd(int src, int dst, uint64_t *copied)
{
	uint64_t done = 0;
	for (;;) {
		ssize_t n = copy_file_range(src, NULL, dst, NULL, 1u << 30, 0);
		if (n > 0) {
			done += (uint64_t)n;
			continue;
		}
		if (n == 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno != ENOSYS && errno != EXDEV && errno != EINVAL &&
		    errno != EOPNOTSUPP && errno != EPERM)
			return errno;
		/* Not supported here: fall back to read/write, which
		   continues from wherever copy_file_range stopped. */
		char buf[65536];
		for (;;) {
			ssize_t r = read(src, buf, sizeof buf);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				return errno;
			if (r == 0)
				break;
			int err = fs_write_all(dst, buf, (size_t)r);
			if (err)
				return err;
			done += (uint64_t)r;
		}
		break;
	}
	*copied = done;
	return 0;
}

/* Open (or create) the writer's sidecar; 0 or an errno (ENOENT when the
   directory vanished, so the caller recreates it). */
static int open_sidecar(berth_writer *w, int append)
{
	struct stat st;
	if (!append) {
		w->fd = open(w->partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			     0666);
		if (w->fd < 0)
			return errno;
		w->created = 1;
		w->size = 0;
		return 0;
	}
	/* 1. Continue data an earlier writer left behind. */
	w->fd = open(w->partial, O_WRONLY | O_CLOEXEC);
	if (w->fd < 0 && errno != ENOENT)
		return errno;
	if (w->fd < 0) {
		int src = open(w->full, O_RDONLY | O_CLOEXEC);
		if (src < 0 && errno != ENOENT)
			return errno;
		if (src < 0) {
			/* 3. Nothing to continue: start empty. */
			w->fd = open(w->partial,
				     O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
			if (w->fd < 0)
				return errno;
			w->created = 1;
		} else {
			/* 2. Continue the committed object: copy it into a
			   temporary first and rename that into place, so a
			   crash never leaves a truncated copy as sidecar. */
			int err = 0;
			char *tmp = NULL;
			if (fstat(src, &st) != 0)
				err = errno;
			else if (S_ISDIR(st.st_mode))
				err = EISDIR;
			int fd = err ? -1 : fs_open_temp(w->full, &tmp);
			if (!err && fd < 0)
				err = errno;
			uint64_t copied = 0;
			if (!err)
				err = copy_fd(src, fd, &copied);
			if (!err && fsync(fd) != 0)
				err = errno;
			if (!err && rename(tmp, w->partial) != 0)
				err = errno;
			close(src);
			if (err) {
				if (fd >= 0) {
					close(fd);
					unlink(tmp);
				}
				free(tmp);
				return err;
			}
			free(tmp);
			w->fd = fd;
			w->created = 1;
		}
	}
	if (fstat(w->fd, &st) != 0 || lseek(w->fd, 0, SEEK_END) < 0) {
		int err = errno;
		close(w->fd);
		w->fd = -1;
		return err;
	}
	w->size = (uint64_t)st.st_size;
	w->writeback = w->size; /* the earlier writer synced it */
	return 0;
}

static void writer_free(berth_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	free(w->path);
	free(w->full);
	free(w->partial);
	free(w->buf);
	free(w);
}

int fs_writer_open(berth_writer **out, berth_instance *in, const char *path,
		   int append)
{
	int rc = fs_check_path(in, path, 0);
	if (rc)
		return rc;
	berth_writer *w = calloc(1, sizeof *w);
	if (!w)
		return fs_fail(in, BERTH_E_NOMEM, "out of memory writing %s",
			       path);
	w->in = in;
	w->fd = -1;
	w->path = strdup(path);
	w->full = fs_full(in, path, NULL);
	w->partial = fs_full(in, path, FS_PARTIAL_SUFFIX);
	if (!w->path || !w->full || !w->partial) {
		writer_free(w);
		return fs_fail(in, BERTH_E_NOMEM, "out of memory writing %s",
			       path);
	}
	int err = 0;
	/* Retry when a concurrent remove() prunes the fresh directory. */
	for (int i = 0; i < FS_MKDIR_RETRIES; i++) {
		err = fs_mkdir_parent(w->full);
		if (!err)
			err = open_sidecar(w, append);
		if (err != ENOENT)
			break;
	}
	if (err) {
		rc = fs_sys_fail(in, err, "open writer on", path);
		writer_free(w);
		return rc;
	}
	*out = w;
	return BERTH_OK;
}

static int state_fail(berth_writer *w, const char *op)
{
	const char *why = w->state == W_COMMITTED   ? "was committed"
			  : w->state == W_CANCELLED ? "was cancelled"
						    : "failed earlier";
	return fs_fail(w->in, BERTH_E_STATE, "%s on writer for %s, which %s",
		       op, w->path, why);
}

static int flush(berth_writer *w)
{
	if (w->buflen == 0)
		return 0;
	int err = fs_write_all(w->fd, w->buf, w->buflen);
	w->buflen = 0;
	return err;
}

int fs_writer_write(berth_writer *w, const void *data, size_t len)
{
	if (w->state != W_OPEN)
		return state_fail(w, "write");
	if (len == 0)
		return BERTH_OK;
	int err = 0;
	if (w->buflen + len <= FS_WBUF) {
		if (!w->buf && !(w->buf = malloc(FS_WBUF)))
			return fs_fail(w->in, BERTH_E_NOMEM,
				       "out of memory writing %s", w->path);
		memcpy(w->buf + w->buflen, data, len);
		w->buflen += len;
		if (w->buflen == FS_WBUF)
			err = flush(w);
	} else {
		/* Large pieces go straight to the file after what is
		   buffered, keeping the order. */
		err = flush(w);
		if (!err)
			err = fs_write_all(w->fd, data, len);
	}
	if (err) {
		w->state = W_FAILED;
		return fs_sys_fail(w->in, err, "write", w->path);
	}
	w->size += len;
	uint64_t in_file = w->size - w->buflen;
	if (in_file - w->writeback >= FS_WRITEBACK) {
		/* A hint: its failure shows up in the fsync that follows. */
		(void)sync_file_range(w->fd, (off64_t)w->writeback,
				      (off64_t)(in_file - w->writeback),
				      SYNC_FILE_RANGE_WRITE);
		w->writeback = in_file;
	}
	return BERTH_OK;
}

int fs_writer_flush(berth_writer *w)
{
	if (w->state != W_OPEN)
		return state_fail(w, "flush");
	int err = flush(w);
	if (!err && fdatasync(w->fd) != 0)
		err = errno;
	/* A resume needs the sidecar's name as much as its bytes. */
	if (!err && w->created) {
		err = fs_sync_parent(w->partial);
		if (!err)
			w->created = 0;
	}
	if (err) {
		w->state = W_FAILED;
		return fs_sys_fail(w->in, err, "flush", w->path);
	}
	w->writeback = w->size;
	return BERTH_OK;
}

uint64_t fs_writer_size(berth_writer *w)
{
	return w->size;
}

int fs_writer_commit(berth_writer *w)
{
	if (w->state != W_OPEN)
		return state_fail(w, "commit");
	int err = flush(w);
	if (!err && fsync(w->fd) != 0)
		err = errno;
	if (close(w->fd) != 0 && !err)
		err = errno;
	w->fd = -1;
	if (!err && rename(w->partial, w->full) != 0)
		err = errno;
	if (!err)
		err = fs_sync_parent(w->full);
	if (err) {
		w->state = W_FAILED;
		return fs_sys_fail(w->in, err, "commit", w->path);
	}
	w->state = W_COMMITTED;
	return BERTH_OK;
}

int fs_writer_cancel(berth_writer *w)
{
	/* A failed writer may still be cancelled: that is how its
	   half-written data gets discarded. */
	if (w->state != W_OPEN && w->state != W_FAILED)
		return state_fail(w, "cancel");
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	w->buflen = 0;
	w->state = W_CANCELLED;
	if (unlink(w->partial) != 0 && errno != ENOENT)
		return fs_sys_fail(w->in, errno, "cancel", w->path);
	fs_prune_parents(w->in, w->path);
	return BERTH_OK;
}

int fs_writer_close(berth_writer *w)
{
	if (!w)
		return BERTH_OK;
	int rc = BERTH_OK;
	if (w->state == W_OPEN) {
		/* Keep the data durably for a later append. */
		int err = flush(w);
		if (!err && fsync(w->fd) != 0)
			err = errno;
		if (!err && w->created)
			err = fs_sync_parent(w->partial);
		if (err)
			rc = fs_sys_fail(w->in, err, "keep uncommitted data of",
					 w->path);
	} else if (w->state == W_FAILED) {
		rc = fs_fail(w->in, BERTH_E_IO,
			     "writer for %s failed earlier; its uncommitted "
			     "data may be incomplete",
			     w->path);
	}
	writer_free(w);
	return rc;
}
