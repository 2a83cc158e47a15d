/* dataset.c — input images for the simulator: IDX files (Yann LeCun's
 * MNIST format, gzip-compressed or plain, read through zlib's gz*
 * functions), the Fashion-MNIST splits as the Debian package
 * dataset-fashion-mnist ships them, and image stacks from a .npy file. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "workloads.h"

/* IDX magic: two zero bytes, the data type, the number of dims. */
#define IDX_UBYTE 0x08
#define IDX_MAX_DIMS 4
/* gzread counts in int: read at most this much per call. */
#define GZ_CHUNK ((size_t)1 << 30)
/* The data buffer grows in steps from this size, so a header that claims
 * more data than the file holds doesn't allocate it all up front. */
#define IDX_FIRST_ALLOC ((size_t)1 << 20)

/* Fashion-MNIST (Xiao, Rasul and Vollgraf 2017): 28x28 grey images of 10
 * classes. */
#define FMNIST_SIDE 28
#define FMNIST_CLASSES 10

/* ---- IDX --------------------------------------------------------------- */

/* Sets e from the gz stream's error state after a failed or short read:
 * "corrupt gzip data: MESSAGE" (zlib's message without the path zlib puts
 * in front), a read error, or out of memory.  Returns WR_OK if the stream
 * has no error (a plain short read, end of file). */
static int gz_status(gzFile f, const char *path, wr_err *e) {
  int num = Z_OK;
  const char *msg = gzerror(f, &num);
  size_t pl = strlen(path);
  if (num == Z_OK || num == Z_BUF_ERROR)
    return WR_OK;
  if (num == Z_MEM_ERROR)
    return wr_err_set(e, WR_ENOMEM, "%s: out of memory", path);
  if (num == Z_ERRNO)
    return wr_err_set(e, WR_EINPUT, "%s: read error: %s", path,
                      strerror(errno));
  if (strncmp(msg, path, pl) == 0 && strncmp(msg + pl, ": ", 2) == 0)
    msg += pl + 2;
  return wr_err_set(e, WR_EINPUT, "%s: corrupt gzip data: %s", path, msg);
}

/* Reads up to n bytes into buf; *got receives how many were read (fewer at
 * the end of the data).  Fails only on corrupt data or a read error. */
static int gz_read_upto(gzFile f, const char *path, uint8_t *buf, size_t n,
                        size_t *got, wr_err *e) {
  *got = 0;
  while (*got < n) {
    size_t want = n - *got < GZ_CHUNK ? n - *got : GZ_CHUNK;
    int r = gzread(f, buf + *got, (unsigned)want);
    if (r < 0) {
      int rc = gz_status(f, path, e);
      return rc ? rc : wr_err_set(e, WR_EINPUT, "%s: read error", path);
    }
    *got += (size_t)r;
    if ((size_t)r < want)
      return gz_status(f, path, e);
  }
  return WR_OK;
}

/* Reads the magic number and dims of an IDX file. */
static int idx_header(gzFile f, const char *path, int *ndim,
                      int64_t dims[IDX_MAX_DIMS], wr_err *e) {
  uint8_t h[4 + 4 * IDX_MAX_DIMS];
  size_t got;
  int rc = gz_read_upto(f, path, h, 4, &got, e);
  if (rc)
    return rc;
  if (got < 4)
    return wr_err_set(e, WR_EINPUT,
                      "%s: truncated: %zu byte%s, too short for an IDX header",
                      path, got, wr_plural((long long)got));
  uint32_t magic =
      (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
  if (h[0] != 0 || h[1] != 0 || h[3] < 1 || h[3] > IDX_MAX_DIMS)
    return wr_err_set(e, WR_EINPUT,
                      "%s: bad magic number 0x%08x (not an IDX file of 1 to "
                      "4 dimensions)",
                      path, (unsigned)magic);
  if (h[2] != IDX_UBYTE)
    return wr_err_set(e, WR_EINPUT,
                      "%s: IDX data type 0x%02x is not supported (only 0x08, "
                      "unsigned bytes)",
                      path, (unsigned)h[2]);
  *ndim = h[3];
  size_t need = 4 * (size_t)*ndim;
  if ((rc = gz_read_upto(f, path, h + 4, need, &got, e)))
    return rc;
  if (got < need)
    return wr_err_set(e, WR_EINPUT,
                      "%s: truncated: the IDX header ends after %zu bytes",
                      path, 4 + got);
  for (int i = 0; i < *ndim; i++) {
    const uint8_t *d = h + 4 + (size_t)4 * (size_t)i;
    dims[i] = (int64_t)((uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 |
                        (uint32_t)d[2] << 8 | d[3]);
  }
  return WR_OK;
}

/* Reads exactly `size` bytes into a new buffer (the caller frees *data),
 * growing it as data arrives. */
static int idx_data(gzFile f, const char *path, size_t size, uint8_t **data,
                    wr_err *e) {
  size_t cap = size < IDX_FIRST_ALLOC ? size : IDX_FIRST_ALLOC, have = 0;
  uint8_t *buf = malloc(cap ? cap : 1);
  int rc = buf ? WR_OK : wr_err_set(e, WR_ENOMEM, "%s: out of memory", path);
  while (rc == WR_OK && have < size) {
    if (have == cap) {
      cap = size - cap < cap ? size : 2 * cap;
      uint8_t *nb = realloc(buf, cap);
      if (!nb) {
        rc = wr_err_set(e, WR_ENOMEM, "%s: out of memory", path);
        break;
      }
      buf = nb;
    }
    size_t got;
    rc = gz_read_upto(f, path, buf + have, cap - have, &got, e);
    have += got;
    if (rc == WR_OK && have < cap)
      rc = wr_err_set(e, WR_EINPUT,
                      "%s: truncated: expected %zu byte%s of data, got %zu",
                      path, size, wr_plural((long long)size), have);
  }
  if (rc)
    free(buf);
  else
    *data = buf;
  return rc;
}

/* Checks that nothing follows the data (and lets zlib check the gzip
 * trailer's CRC and length). */
static int idx_end(gzFile f, const char *path, size_t size, wr_err *e) {
  uint8_t tail[4096];
  uint64_t extra = 0;
  size_t got;
  do {
    int rc = gz_read_upto(f, path, tail, sizeof tail, &got, e);
    if (rc)
      return rc;
    extra += got;
  } while (got == sizeof tail);
  int num = Z_OK;
  gzerror(f, &num);
  if (num == Z_BUF_ERROR)
    return wr_err_set(e, WR_EINPUT,
                      "%s: corrupt gzip data: unexpected end of file", path);
  if (extra)
    return wr_err_set(
        e, WR_EINPUT, "%s: %llu trailing byte%s after the %zu byte%s of data",
        path, (unsigned long long)extra, wr_plural((long long)extra), size,
        wr_plural((long long)size));
  return WR_OK;
}

/* Product of the dims as a byte count; 0 if it overflows size_t. */
static int idx_size(const int64_t *dims, int ndim, size_t *size) {
  uint64_t n = 1;
  for (int i = 0; i < ndim; i++) {
    if (dims[i] != 0 && n > (uint64_t)SIZE_MAX / 2 / (uint64_t)dims[i])
      return 0;
    n *= (uint64_t)dims[i];
  }
  *size = (size_t)n;
  return 1;
}

/* Reads an IDX file of unsigned bytes from the open stream f. */
static int idx_read_open(gzFile f, const char *path, int *ndim,
                         int64_t dims[IDX_MAX_DIMS], uint8_t **data,
                         wr_err *e) {
  int nd = 0;
  int64_t d[IDX_MAX_DIMS] = {0, 0, 0, 0};
  size_t size = 0;
  uint8_t *buf = NULL;
  int rc = idx_header(f, path, &nd, d, e);
  if (rc)
    return rc;
  if (!idx_size(d, nd, &size))
    return wr_err_set(e, WR_EINPUT, "%s: the IDX dims are too large", path);
  if ((rc = idx_data(f, path, size, &buf, e)))
    return rc;
  if ((rc = idx_end(f, path, size, e))) {
    free(buf);
    return rc;
  }
  *ndim = nd;
  memcpy(dims, d, sizeof d);
  *data = buf;
  return WR_OK;
}

/* Reads an IDX file (gzip or plain) of unsigned bytes; the outputs are
 * written only on success and the caller frees *data.  A missing,
 * truncated or corrupt file, a bad magic number, another data type, or
 * bytes after the data are WR_EINPUT naming the file. */
int wr_idx_read(const char *path, int *ndim, int64_t dims[4], uint8_t **data,
                wr_err *e) {
  errno = 0;
  gzFile f = gzopen(path, "rb");
  if (!f)
    return errno ? wr_err_set(e, WR_EINPUT, "%s: cannot open: %s", path,
                              strerror(errno))
                 : wr_err_set(e, WR_ENOMEM, "%s: out of memory", path);
  gzbuffer(f, 1 << 17);
  int rc = idx_read_open(f, path, ndim, dims, data, e);
  gzclose_r(f);
  return rc;
}

/* ---- datasets ---------------------------------------------------------- */

/* Frees what `d` owns and zeroes it.  NULL is fine. */
void wr_dataset_free(wr_dataset *d) {
  if (!d)
    return;
  free(d->pixels);
  free(d->values);
  free(d->labels);
  free(d->source);
  memset(d, 0, sizeof *d);
}

/* Checks a `limit` argument: 0 (all) or positive. */
static int limit_check(int64_t limit, wr_err *e) {
  if (limit < 0)
    return wr_err_set(e, WR_EINPUT,
                      "image limit %lld: expected 0 (all) or a positive count",
                      (long long)limit);
  return WR_OK;
}

/* Shrinks a buffer to `bytes` after a limit cut it (keeps it if realloc
 * fails). */
static void *shrink(void *p, size_t bytes) {
  void *np = realloc(p, bytes ? bytes : 1);
  return np ? np : p;
}

/* "DIR/NAME" in a new string (the caller frees), or NULL. */
static char *join_path(const char *dir, const char *name) {
  size_t n = strlen(dir) + strlen(name) + 2;
  char *p = malloc(n);
  if (p)
    snprintf(p, n, "%s/%s", dir, name);
  return p;
}

/* Writes "[a, b, c]" into buf (4 * 24 bytes hold any IDX shape). */
static void dims_text(const int64_t *d, int nd, char *buf, size_t n) {
  size_t used = 0;
  for (int i = 0; i < nd && used < n; i++) {
    int w = snprintf(buf + used, n - used, "%s%lld", i ? ", " : "[",
                     (long long)d[i]);
    used += w > 0 ? (size_t)w : 0;
  }
  if (used < n)
    snprintf(buf + used, n - used, "]");
}

/* Reads the Fashion-MNIST images file: [N, 28, 28] unsigned bytes. */
static int fmnist_images(const char *path, uint8_t **px, int64_t *n,
                         wr_err *e) {
  int nd = 0;
  int64_t d[IDX_MAX_DIMS] = {0, 0, 0, 0};
  int rc = wr_idx_read(path, &nd, d, px, e);
  if (rc)
    return rc;
  if (nd != 3 || d[1] != FMNIST_SIDE || d[2] != FMNIST_SIDE) {
    char got[4 * 24];
    dims_text(d, nd, got, sizeof got);
    free(*px);
    *px = NULL;
    return wr_err_set(e, WR_EINPUT,
                      "%s: expected images of shape [N, 28, 28], got %s", path,
                      got);
  }
  *n = d[0];
  return WR_OK;
}

/* Reads the Fashion-MNIST labels file: n labels in 0..9, as int32. */
static int fmnist_labels(const char *path, const char *images_path, int64_t n,
                         int32_t **labels, int *n_classes, wr_err *e) {
  int nd = 0;
  int64_t d[IDX_MAX_DIMS] = {0, 0, 0, 0};
  uint8_t *raw = NULL;
  int rc = wr_idx_read(path, &nd, d, &raw, e);
  if (rc)
    return rc;
  if (nd != 1)
    rc = wr_err_set(e, WR_EINPUT,
                    "%s: expected labels of shape [N], got %d dimensions", path,
                    nd);
  else if (d[0] != n)
    rc = wr_err_set(e, WR_EINPUT, "%s: %lld label%s, but %s has %lld image%s",
                    path, (long long)d[0], wr_plural(d[0]), images_path,
                    (long long)n, wr_plural(n));
  int max = -1;
  for (int64_t i = 0; rc == WR_OK && i < n; i++) {
    if (raw[i] >= FMNIST_CLASSES)
      rc = wr_err_set(e, WR_EINPUT,
                      "%s: label %u of image %lld is out of range (0..%d)",
                      path, (unsigned)raw[i], (long long)i, FMNIST_CLASSES - 1);
    else if (raw[i] > max)
      max = raw[i];
  }
  int32_t *l = rc ? NULL : malloc((size_t)(n ? n : 1) * sizeof *l);
  if (rc == WR_OK && !l)
    rc = wr_err_set(e, WR_ENOMEM, "%s: out of memory", path);
  for (int64_t i = 0; rc == WR_OK && i < n; i++)
    l[i] = raw[i];
  free(raw);
  if (rc == WR_OK) {
    *labels = l;
    *n_classes = max + 1;
  }
  return rc;
}

/* Reads a Fashion-MNIST split from `dir`; `out` is written only on
 * success.  n_classes is 1 + the largest label of the whole file, whatever
 * `limit` keeps. */
int wr_dataset_fashion_mnist(const char *dir, int train, int64_t limit,
                             wr_dataset *out, wr_err *e) {
  const char *split = train ? "train" : "t10k";
  char names[2][40];
  snprintf(names[0], sizeof names[0], "%s-images-idx3-ubyte.gz", split);
  snprintf(names[1], sizeof names[1], "%s-labels-idx1-ubyte.gz", split);
  char *ipath = join_path(dir, names[0]), *lpath = join_path(dir, names[1]);
  wr_dataset d;
  memset(&d, 0, sizeof d);
  int rc = limit_check(limit, e);
  if (rc == WR_OK && (!ipath || !lpath)) {
    wr_err_set(e, WR_ENOMEM, "out of memory");
    rc = WR_ENOMEM;
  }
  if (rc == WR_OK)
    rc = fmnist_images(ipath, &d.pixels, &d.n, e);
  if (rc == WR_OK)
    rc = fmnist_labels(lpath, ipath, d.n, &d.labels, &d.n_classes, e);
  free(ipath);
  free(lpath);
  if (rc) {
    wr_dataset_free(&d);
    return rc;
  }
  d.c = 1;
  d.h = d.w = FMNIST_SIDE;
  d.source = join_path(dir, names[0]);
  if (!d.source) {
    wr_dataset_free(&d);
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  }
  if (limit > 0 && limit < d.n) {
    d.n = limit;
    d.pixels = shrink(d.pixels, (size_t)d.n * FMNIST_SIDE * FMNIST_SIDE);
    d.labels = shrink(d.labels, (size_t)d.n * sizeof *d.labels);
  }
  *out = d;
  return WR_OK;
}

/* Sets n, c, h, w from a .npy image stack's shape: [N, C, H, W];
 * [C, H, W] (one image) when a 3-d array's first dim is 3, as an RGB
 * image; [N, H, W] (C = 1) for any other 3-d array.  Both 3-d readings
 * lay the values out the same way. */
static int npy_geometry(const char *path, const wr_array *a, wr_dataset *d,
                        wr_err *e) {
  if (a->ndim == 4) {
    d->n = a->shape[0];
    d->c = a->shape[1];
  } else if (a->ndim == 3) {
    int rgb = a->shape[0] == 3;
    d->n = rgb ? 1 : a->shape[0];
    d->c = rgb ? 3 : 1;
  } else {
    return wr_err_set(e, WR_EINPUT,
                      "%s: expected images of shape [N, C, H, W], [N, H, W] "
                      "or [C, H, W], got %d dimensions",
                      path, a->ndim);
  }
  d->h = a->shape[a->ndim - 2];
  d->w = a->shape[a->ndim - 1];
  if (d->n == 0 || d->c == 0 || d->h == 0 || d->w == 0)
    return wr_err_set(e, WR_EINPUT, "%s: no images (a dimension is 0)", path);
  return WR_OK;
}

/* Turns the array's data into pixels (uint8) or values (float32, float64
 * narrowed), taking over a->data where it can; `count` values are kept.
 * The values must be finite and fit float32: the first that does not is
 * WR_EINPUT at its index in the file's array. */
static int npy_take_data(const char *path, wr_array *a, int64_t count,
                         wr_dataset *d, wr_err *e) {
  char at[WR_ARRAY_MAX_DIMS * 21 + 3];
  int64_t bad = wr_array_first_nonfinite(a, count);
  if (bad >= 0) {
    double v = a->dtype == WR_DT_F32 ? ((const float *)a->data)[bad]
                                     : ((const double *)a->data)[bad];
    return wr_err_set(e, WR_EINPUT,
                      "%s: image data holds a non-finite value (%s) at index "
                      "%s",
                      path, wr_nonfinite_name(v),
                      wr_array_index_str(a, bad, at, sizeof at));
  }
  if (a->dtype == WR_DT_U8 || a->dtype == WR_DT_F32) {
    size_t bytes = (size_t)count * wr_dtype_size(a->dtype);
    void *p = shrink(a->data, bytes);
    a->data = NULL;
    if (a->dtype == WR_DT_U8)
      d->pixels = p;
    else
      d->values = p;
    return WR_OK;
  }
  if (a->dtype != WR_DT_F64)
    return wr_err_set(e, WR_EINPUT,
                      "%s: images of dtype %s are not supported (expected "
                      "uint8, float32 or float64)",
                      path, wr_dtype_descr(a->dtype));
  const double *src = a->data;
  for (int64_t i = 0; i < count; i++)
    if (fabs(src[i]) > FLT_MAX)
      return wr_err_set(e, WR_EINPUT,
                        "%s: value %g at index %s does not fit float32", path,
                        src[i], wr_array_index_str(a, i, at, sizeof at));
  d->values = malloc((size_t)(count ? count : 1) * sizeof *d->values);
  if (!d->values)
    return wr_err_set(e, WR_ENOMEM, "%s: out of memory", path);
  for (int64_t i = 0; i < count; i++)
    d->values[i] = (float)src[i];
  return WR_OK;
}

/* Reads input images from a .npy; `out` is written only on success.  See
 * npy_geometry for how a 3-d shape is read. */
int wr_dataset_npy(const char *path, int64_t limit, wr_dataset *out,
                   wr_err *e) {
  int rc = limit_check(limit, e);
  if (rc)
    return rc;
  wr_array a;
  if ((rc = wr_npy_read(path, &a, e)))
    return rc;
  wr_dataset d;
  memset(&d, 0, sizeof d);
  rc = npy_geometry(path, &a, &d, e);
  if (rc == WR_OK && limit > 0 && limit < d.n)
    d.n = limit;
  if (rc == WR_OK)
    rc = npy_take_data(path, &a, d.n * d.c * d.h * d.w, &d, e);
  if (rc == WR_OK && !(d.source = strdup(path)))
    rc = wr_err_set(e, WR_ENOMEM, "%s: out of memory", path);
  wr_array_free(&a);
  if (rc)
    wr_dataset_free(&d);
  else
    *out = d;
  return rc;
}
