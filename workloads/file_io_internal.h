/* file_io_internal.h — internal to the workloads module: the file I/O
 * (file_io.c) that the .npy and .npz readers and writers share. */
#ifndef WRPNSIM_FILE_IO_INTERNAL_H
#define WRPNSIM_FILE_IO_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "workloads.h"

/* Opens `path` for reading as a regular file; *fd and *size receive it
 * (the caller closes *fd).  WR_EINPUT naming `path` if it cannot be
 * opened, is not a regular file or is too large. */
int file_open_regular(const char *path, int *fd, uint64_t *size, wr_err *e);
/* Reads n bytes at `off` of the open file `fd`; WR_EINPUT naming `path`
 * on a read error or if the file ends early (it shrank while read). */
int file_read_at(int fd, const char *path, uint64_t off, void *buf, size_t n,
                 wr_err *e);
/* Writes n bytes to f (for a wr_emit_fn); 0, or -1 with errno set.  n may
 * be 0 with p NULL. */
int file_put_bytes(FILE *f, const void *p, size_t n);

#endif
