/* file_io.c — the file I/O the array formats share: a regular file
 * opened for positioned reads, and files written atomically (to a
 * temporary file in the same folder that is synced and renamed into
 * place). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_io_internal.h"
#include "workloads.h"

/* ---- reading ----------------------------------------------------------- */

/* Reads n bytes at `off` of the open file `fd`; WR_EINPUT naming `path`
 * on a read error or if the file ends early (it shrank while read). */
int file_read_at(int fd, const char *path, uint64_t off, void *buf, size_t n,
                 wr_err *e) {
  uint8_t *p = buf;
  while (n > 0) {
    ssize_t got = pread(fd, p, n, (off_t)off);
    if (got < 0 && errno == EINTR)
      continue;
    if (got <= 0)
      return wr_err_set(e, WR_EINPUT, "%s: read error%s%s", path,
                        got < 0 ? ": " : " (file shrank while reading)",
                        got < 0 ? strerror(errno) : "");
    p += got;
    n -= (size_t)got;
    off += (uint64_t)got;
  }
  return WR_OK;
}

/* Opens `path` for reading as a regular file; *fd and *size receive it. */
int file_open_regular(const char *path, int *fd, uint64_t *size, wr_err *e) {
  int d = open(path, O_RDONLY | O_CLOEXEC);
  if (d < 0)
    return wr_err_set(e, WR_EINPUT, "%s: cannot open: %s", path,
                      strerror(errno));
  struct stat st;
  int rc = WR_OK;
  if (fstat(d, &st) != 0)
    rc = wr_err_set(e, WR_EINPUT, "%s: cannot read: %s", path, strerror(errno));
  else if (!S_ISREG(st.st_mode))
    rc = wr_err_set(e, WR_EINPUT, "%s: not a regular file", path);
  else if (st.st_size < 0 || (uint64_t)st.st_size >= (uint64_t)SIZE_MAX / 2)
    rc = wr_err_set(e, WR_EINPUT, "%s: file too large", path);
  if (rc) {
    close(d);
    return rc;
  }
  *fd = d;
  *size = (uint64_t)st.st_size;
  return WR_OK;
}

/* ---- writing ----------------------------------------------------------- */

/* Writes n bytes; 0, or -1 with errno set.  n may be 0 with p NULL. */
int file_put_bytes(FILE *f, const void *p, size_t n) {
  if (n == 0 || fwrite(p, 1, n, f) == n)
    return 0;
  if (errno == 0)
    errno = EIO;
  return -1;
}

/* The message of a failed write of `path`: errno's, or EIO if unset. */
static int write_failed(const char *path, int err, wr_err *e) {
  return wr_err_set(e, WR_ERUNTIME, "%s: cannot write: %s", path,
                    strerror(err ? err : EIO));
}

/* Creates "PATH.tmpXXXXXX" in the same folder, with a data file's usual
 * mode. */
int wr_atomic_open(wr_atomic_file *f, const char *path, wr_err *e) {
  size_t n = strlen(path) + sizeof ".tmpXXXXXX";
  f->fd = -1;
  f->path = strdup(path);
  f->tmp = malloc(n);
  if (!f->path || !f->tmp) {
    free(f->path);
    free(f->tmp);
    wr_err_set(e, WR_ENOMEM, "%s: out of memory", path);
    return WR_ENOMEM;
  }
  snprintf(f->tmp, n, "%s.tmpXXXXXX", path);
  f->fd = mkstemp(f->tmp);
  if (f->fd < 0) {
    wr_err_set(e, WR_EINPUT, "%s: cannot create a temporary file: %s", path,
               strerror(errno));
    free(f->path);
    free(f->tmp);
    return WR_EINPUT;
  }
  /* mkstemp creates the file 0600 */
  if (fchmod(f->fd, 0644) != 0) {
    write_failed(path, errno, e);
    wr_atomic_discard(f);
    return WR_ERUNTIME;
  }
  return WR_OK;
}

int wr_atomic_write_at(const wr_atomic_file *f, const void *p, size_t n,
                       int64_t offset, wr_err *e) {
  const char *c = p;
  while (n) {
    ssize_t k = pwrite(f->fd, c, n, (off_t)offset);
    if (k <= 0)
      return write_failed(f->path, k < 0 ? errno : 0, e);
    c += k;
    n -= (size_t)k;
    offset += k;
  }
  return WR_OK;
}

int wr_atomic_commit(wr_atomic_file *f, wr_err *e) {
  errno = 0;
  int bad = fsync(f->fd) != 0;
  int err = errno;
  if (close(f->fd) != 0 && !bad) {
    bad = 1;
    err = errno;
  }
  f->fd = -1;
  int rc = bad ? write_failed(f->path, err, e) : WR_OK;
  if (rc == WR_OK && rename(f->tmp, f->path) != 0)
    rc = wr_err_set(e, WR_ERUNTIME,
                    "%s: cannot rename the temporary file "
                    "into place: %s",
                    f->path, strerror(errno));
  if (rc)
    unlink(f->tmp);
  free(f->path);
  free(f->tmp);
  return rc;
}

void wr_atomic_discard(wr_atomic_file *f) {
  if (f->fd >= 0)
    close(f->fd);
  unlink(f->tmp);
  free(f->path);
  free(f->tmp);
}

/* Emits into the temporary file through a stream of its own and flushes
 * it. */
static int emit_into(const wr_atomic_file *f, wr_emit_fn emit, const void *ctx,
                     wr_err *e) {
  int fd = dup(f->fd);
  FILE *fp = fd >= 0 ? fdopen(fd, "wb") : NULL;
  if (!fp) {
    int err = errno;
    if (fd >= 0)
      close(fd);
    return write_failed(f->path, err, e);
  }
  errno = 0;
  int bad = emit(fp, ctx) != 0 || fflush(fp) != 0;
  int err = errno;
  if (fclose(fp) != 0 && !bad) {
    bad = 1;
    err = errno;
  }
  return bad ? write_failed(f->path, err, e) : WR_OK;
}

/* Writes `path` atomically: emits into the temporary file, syncs it and
 * renames it over `path`.  On failure the temporary file is removed and
 * `path` is left as it was. */
int wr_write_atomic(const char *path, wr_emit_fn emit, const void *ctx,
                    wr_err *e) {
  wr_atomic_file f;
  if (wr_atomic_open(&f, path, e))
    return e->status;
  if (emit_into(&f, emit, ctx, e)) {
    wr_atomic_discard(&f);
    return e->status;
  }
  return wr_atomic_commit(&f, e);
}
