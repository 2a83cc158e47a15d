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

/* Emits into the temporary file `fd` (closing it in every case), flushes
 * and syncs it. */
static int write_fd(int fd, const char *path, wr_emit_fn emit, const void *ctx,
                    wr_err *e) {
  FILE *f = fdopen(fd, "wb");
  if (!f) {
    int err = errno;
    close(fd);
    return wr_err_set(e, WR_ERUNTIME, "%s: cannot write: %s", path,
                      strerror(err));
  }
  /* mkstemp creates the file 0600; give it a data file's usual mode */
  errno = 0;
  int bad = fchmod(fd, 0644) != 0 || emit(f, ctx) != 0 || fflush(f) != 0 ||
            fsync(fd) != 0;
  int err = errno;
  if (fclose(f) != 0 && !bad) {
    bad = 1;
    err = errno;
  }
  if (bad)
    return wr_err_set(e, WR_ERUNTIME, "%s: cannot write: %s", path,
                      strerror(err ? err : EIO));
  return WR_OK;
}

/* Writes `path` atomically: emits into "PATH.tmpXXXXXX" in the same
 * folder, syncs it and renames it over `path`.  On failure the temporary
 * file is removed and `path` is left as it was. */
int wr_write_atomic(const char *path, wr_emit_fn emit, const void *ctx,
                    wr_err *e) {
  size_t n = strlen(path) + sizeof ".tmpXXXXXX";
  char *tmp = malloc(n);
  if (!tmp)
    return wr_err_set(e, WR_ENOMEM, "%s: out of memory", path);
  snprintf(tmp, n, "%s.tmpXXXXXX", path);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    int rc = wr_err_set(e, WR_EINPUT, "%s: cannot create a temporary file: %s",
                        path, strerror(errno));
    free(tmp);
    return rc;
  }
  int rc = write_fd(fd, path, emit, ctx, e);
  if (rc == WR_OK && rename(tmp, path) != 0)
    rc = wr_err_set(e, WR_ERUNTIME,
                    "%s: cannot rename the temporary file "
                    "into place: %s",
                    path, strerror(errno));
  if (rc)
    unlink(tmp);
  free(tmp);
  return rc;
}
