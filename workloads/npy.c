/* npy.c — NumPy arrays on disk: the .npy format (numpy/lib/format.py,
 * versions 1.0, 2.0 and 3.0) and .npz archives, zip files of .npy members
 * as numpy.savez and numpy.savez_compressed write them (PKWARE APPNOTE.TXT
 * 6.3: local headers, central directory, ZIP64 extensions).  Deflated
 * members are inflated and every member's CRC-32 is checked with zlib.
 * Writers go through a temporary file that is renamed into place. */
#define ZLIB_CONST
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "workloads.h"

/* Array data is copied between disk and memory as is: the '<' dtypes are
 * little-endian, so this file needs a little-endian host. */
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "npy.c copies little-endian array data as is: little-endian hosts only"
#endif

/* ---- dtypes ------------------------------------------------------------ */

static const struct dtype_info {
  const char *descr;
  size_t size;
} dtypes[] = {[WR_DT_F32] = {"<f4", 4}, [WR_DT_F64] = {"<f8", 8},
              [WR_DT_I32] = {"<i4", 4}, [WR_DT_I64] = {"<i8", 8},
              [WR_DT_U8] = {"|u1", 1},  [WR_DT_I8] = {"|i1", 1}};

#define N_DTYPES (sizeof dtypes / sizeof dtypes[0])

/* 1 if `t` is one of the wr_dtype values. */
static int dtype_ok(wr_dtype t) { return (unsigned)t < N_DTYPES; }

/* Bytes per element; 0 for a value outside the enum.  Can't fail. */
size_t wr_dtype_size(wr_dtype t) { return dtype_ok(t) ? dtypes[t].size : 0; }

/* NumPy's descr ("<f4", ...); "?" for a value outside the enum. */
const char *wr_dtype_descr(wr_dtype t) {
  return dtype_ok(t) ? dtypes[t].descr : "?";
}

/* ---- little-endian fields ---------------------------------------------- */

static uint16_t get16(const uint8_t *p) {
  return (uint16_t)((unsigned)p[0] | (unsigned)p[1] << 8);
}

static uint32_t get32(const uint8_t *p) {
  return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}

static uint64_t get64(const uint8_t *p) {
  return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void put16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v & 0xff);
  p[1] = (uint8_t)((v >> 8) & 0xff);
}

static void put32(uint8_t *p, uint32_t v) {
  put16(p, v & 0xffff);
  put16(p + 2, v >> 16);
}

/* ---- sizes ------------------------------------------------------------- */

/* Element count and byte size of `ndim` dims of `itemsize`-byte elements.
 * Returns 0 if a dim is negative or the product of the non-zero dims times
 * the item size does not fit both int64_t and size_t (as NumPy, which
 * refuses such shapes even when another dim is 0); 1 on success. */
static int shape_bytes(const int64_t *shape, int ndim, size_t itemsize,
                       int64_t *count, size_t *bytes) {
  uint64_t limit = (uint64_t)INT64_MAX < (uint64_t)SIZE_MAX
                       ? (uint64_t)INT64_MAX
                       : (uint64_t)SIZE_MAX;
  uint64_t prod = itemsize;
  int zero = 0;
  for (int i = 0; i < ndim; i++) {
    if (shape[i] < 0)
      return 0;
    if (shape[i] == 0) {
      zero = 1;
      continue;
    }
    if ((uint64_t)shape[i] > limit / prod)
      return 0;
    prod *= (uint64_t)shape[i];
  }
  *bytes = zero ? 0 : (size_t)prod;
  *count = zero ? 0 : (int64_t)(prod / itemsize);
  return 1;
}

/* Writes "(2, 3)"-style shape text (Python's tuple repr) into buf, which
 * must hold WR_ARRAY_MAX_DIMS * 22 + 4 bytes. */
static void shape_text(const int64_t *shape, int ndim, char *buf, size_t n) {
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; i < ndim && used < n; i++) {
    int w = snprintf(buf + used, n - used, "%s%lld", i ? ", " : "(",
                     (long long)shape[i]);
    used += w > 0 ? (size_t)w : 0;
  }
  if (used < n)
    snprintf(buf + used, n - used, "%s)",
             ndim == 0   ? "("
             : ndim == 1 ? ","
                         : "");
}

/* ---- .npy header ------------------------------------------------------- */

static const uint8_t npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

/* A cursor over the header dict text, for messages that give the byte
 * offset of a syntax error in the file. */
typedef struct hparse {
  const char *start, *p, *end;
  size_t base; /* offset of `start` in the file */
  const char *what;
  wr_err *e;
} hparse;

/* What the header says. */
typedef struct npy_hdr {
  wr_dtype dtype;
  int ndim;
  int64_t shape[WR_ARRAY_MAX_DIMS];
} npy_hdr;

/* Sets a "malformed header" error naming what was expected. */
static int hp_fail(const hparse *h, const char *expected) {
  wr_err_at(h->e, h->what, 0, 0,
            "malformed .npy header at byte %zu: expected %s",
            h->base + (size_t)(h->p - h->start), expected);
  return WR_EINPUT;
}

/* Skips Python whitespace. */
static void hp_ws(hparse *h) {
  while (h->p < h->end &&
         (*h->p == ' ' || *h->p == '\t' || *h->p == '\n' || *h->p == '\r'))
    h->p++;
}

/* 1 (and consumes it) if the next non-blank character is `c`. */
static int hp_eat(hparse *h, char c) {
  hp_ws(h);
  if (h->p < h->end && *h->p == c) {
    h->p++;
    return 1;
  }
  return 0;
}

/* A quoted string without escapes; *s and *n receive its text. */
/* Header text quoted in a message: at most `max` bytes, bytes outside
 * printable ASCII written \xNN (a corrupt header must not put raw bytes on
 * the terminal). */
static const char *shown(const char *s, size_t n, size_t max, char *buf,
                         size_t cap) {
  size_t o = 0;
  for (size_t i = 0; i < n && i < max && o + 5 < cap; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c >= 0x20 && c < 0x7f)
      buf[o++] = (char)c;
    else
      o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", c);
  }
  buf[o] = '\0';
  return buf;
}

static int hp_string(hparse *h, const char *expected, const char **s,
                     size_t *n) {
  hp_ws(h);
  if (h->p >= h->end || (*h->p != '\'' && *h->p != '"'))
    return hp_fail(h, expected);
  char q = *h->p;
  const char *t = h->p + 1;
  while (t < h->end && *t != q && *t != '\\' && *t != '\n')
    t++;
  if (t >= h->end || *t != q)
    return hp_fail(h, "a simple quoted string");
  *s = h->p + 1;
  *n = (size_t)(t - *s);
  h->p = t + 1;
  return WR_OK;
}

/* 1 if the text at the cursor is the word `w` (not followed by a name
 * character); consumes it. */
static int hp_word(hparse *h, const char *w) {
  size_t n = strlen(w);
  if ((size_t)(h->end - h->p) < n || memcmp(h->p, w, n) != 0)
    return 0;
  const char *after = h->p + n;
  if (after < h->end &&
      ((*after >= 'a' && *after <= 'z') || (*after >= 'A' && *after <= 'Z') ||
       *after == '_' || (*after >= '0' && *after <= '9')))
    return 0;
  h->p = after;
  return 1;
}

/* The 'descr' value: one of the six supported dtypes. */
static int hp_descr(hparse *h, npy_hdr *out) {
  hp_ws(h);
  if (h->p < h->end && *h->p == '[')
    return wr_err_at(h->e, h->what, 0, 0,
                     "structured dtypes are not supported");
  const char *s = NULL;
  size_t n = 0;
  char buf[80];
  int rc = hp_string(h, "a dtype string such as '<f4'", &s, &n);
  if (rc)
    return rc;
  for (size_t t = 0; t < N_DTYPES; t++)
    if (strlen(dtypes[t].descr) == n && memcmp(dtypes[t].descr, s, n) == 0) {
      out->dtype = (wr_dtype)t;
      return WR_OK;
    }
  if (n > 0 && s[0] == '>')
    return wr_err_at(h->e, h->what, 0, 0,
                     "big-endian data ('%s') is not supported; save the "
                     "array little-endian",
                     shown(s, n, 16, buf, sizeof buf));
  return wr_err_at(h->e, h->what, 0, 0,
                   "unsupported dtype '%s' (expected <f4, <f8, <i4, <i8, "
                   "|u1 or |i1)",
                   shown(s, n, 16, buf, sizeof buf));
}

/* The 'fortran_order' value: only False is accepted. */
static int hp_fortran(hparse *h) {
  hp_ws(h);
  if (hp_word(h, "False"))
    return WR_OK;
  if (hp_word(h, "True"))
    return wr_err_at(h->e, h->what, 0, 0,
                     "Fortran-order arrays are not supported; save a "
                     "C-contiguous array");
  return hp_fail(h, "True or False");
}

/* One dimension: a decimal integer >= 0 that fits int64_t. */
static int hp_dim(hparse *h, int64_t *out) {
  hp_ws(h);
  if (h->p < h->end && *h->p == '-')
    return wr_err_at(h->e, h->what, 0, 0, "negative dimension in the shape");
  if (h->p >= h->end || *h->p < '0' || *h->p > '9')
    return hp_fail(h, "a dimension (an integer >= 0)");
  int64_t v = 0;
  for (; h->p < h->end && *h->p >= '0' && *h->p <= '9'; h->p++) {
    int d = *h->p - '0';
    if (v > (INT64_MAX - d) / 10)
      return wr_err_at(h->e, h->what, 0, 0,
                       "a dimension of the shape is too large");
    v = v * 10 + d;
  }
  *out = v;
  return WR_OK;
}

/* The 'shape' value: a tuple of dims, "()", "(3,)", "(2, 3)". */
static int hp_shape(hparse *h, npy_hdr *out) {
  out->ndim = 0;
  if (!hp_eat(h, '('))
    return hp_fail(h, "a shape tuple");
  if (hp_eat(h, ')'))
    return WR_OK;
  for (;;) {
    if (out->ndim == WR_ARRAY_MAX_DIMS)
      return wr_err_at(h->e, h->what, 0, 0,
                       "more than %d dimensions are not supported",
                       WR_ARRAY_MAX_DIMS);
    int rc = hp_dim(h, &out->shape[out->ndim++]);
    if (rc)
      return rc;
    int comma = hp_eat(h, ',');
    if (hp_eat(h, ')')) {
      if (out->ndim == 1 && !comma)
        return hp_fail(h, "',' after the only dimension, as in (3,)");
      return WR_OK;
    }
    if (!comma)
      return hp_fail(h, "',' or ')' in the shape");
  }
}

/* One "key: value" pair of the dict; `seen` marks the keys read. */
static int hp_pair(hparse *h, npy_hdr *out, int seen[3]) {
  static const char *const keys[3] = {"descr", "fortran_order", "shape"};
  const char *s = NULL;
  size_t n = 0;
  char buf[180];
  int rc = hp_string(h, "a key string or '}'", &s, &n);
  if (rc)
    return rc;
  int k = 0;
  while (k < 3 && !(strlen(keys[k]) == n && memcmp(keys[k], s, n) == 0))
    k++;
  if (k == 3)
    return wr_err_at(h->e, h->what, 0, 0, "unknown key '%s' in the header",
                     shown(s, n, 40, buf, sizeof buf));
  if (seen[k])
    return wr_err_at(h->e, h->what, 0, 0, "duplicate key '%s' in the header",
                     keys[k]);
  seen[k] = 1;
  if (!hp_eat(h, ':'))
    return hp_fail(h, "':' after the key");
  if (k == 0)
    return hp_descr(h, out);
  return k == 1 ? hp_fortran(h) : hp_shape(h, out);
}

/* The header dict: {'descr': ..., 'fortran_order': ..., 'shape': ...} in
 * any key order, then only blanks. */
static int hp_dict(hparse *h, npy_hdr *out) {
  static const char *const keys[3] = {"descr", "fortran_order", "shape"};
  int seen[3] = {0, 0, 0};
  if (!hp_eat(h, '{'))
    return hp_fail(h, "'{'");
  while (!hp_eat(h, '}')) {
    int rc = hp_pair(h, out, seen);
    if (rc)
      return rc;
    if (hp_eat(h, ','))
      continue;
    if (!hp_eat(h, '}'))
      return hp_fail(h, "',' or '}'");
    break;
  }
  hp_ws(h);
  if (h->p != h->end)
    return hp_fail(h, "the end of the header after '}'");
  for (int k = 0; k < 3; k++)
    if (!seen[k])
      return wr_err_at(h->e, h->what, 0, 0, "the header has no '%s' key",
                       keys[k]);
  return WR_OK;
}

/* Checks the magic number and version; *start and *hlen receive where the
 * header dict text lies. */
static int npy_preamble(const uint8_t *b, size_t len, const char *what,
                        size_t *start, size_t *hlen, wr_err *e) {
  if (len > 0 && memcmp(b, npy_magic, len < 6 ? len : 6) != 0)
    return wr_err_at(e, what, 0, 0, "not a .npy file (bad magic number)");
  if (len < 10)
    return wr_err_at(e, what, 0, 0,
                     "truncated: %zu byte%s, too short for a .npy header", len,
                     wr_plural((long long)len));
  unsigned major = b[6], minor = b[7];
  if (major < 1 || major > 3 || minor != 0)
    return wr_err_at(e, what, 0, 0,
                     "unsupported .npy format version %u.%u (expected 1.0, "
                     "2.0 or 3.0)",
                     major, minor);
  *start = major == 1 ? 10 : 12;
  if (len < *start)
    return wr_err_at(e, what, 0, 0,
                     "truncated: %zu byte%s, too short for a .npy header", len,
                     wr_plural((long long)len));
  *hlen = major == 1 ? get16(b + 8) : get32(b + 8);
  if (*hlen > len - *start)
    return wr_err_at(e, what, 0, 0,
                     "truncated: the header needs %zu bytes, %zu are there",
                     *hlen, len - *start);
  return WR_OK;
}

/* ---- an .npy image arriving in pieces ---------------------------------- */

/* Bytes read (or inflated) at a time: the one buffer a reader holds besides
 * the arrays it keeps. */
#define NPY_CHUNK ((size_t)1 << 16)

/* An .npy image of `total` bytes arriving in pieces (a file read in
 * chunks, an archive member being inflated).  The preamble and header are
 * gathered first; then the data goes straight into the array's own buffer,
 * so reading an image holds the array and the caller's chunk, never a
 * second copy.  The first problem is kept in `err` and later bytes are
 * only counted, so that the caller can still report a corrupt stream or a
 * CRC mismatch first, as a whole-image parse would. */
typedef struct npy_sink {
  const char *what;
  uint64_t total; /* bytes the image has (the file's or member's size) */
  uint64_t got;   /* bytes received */
  uint8_t pre[12];
  size_t pre_need; /* preamble bytes: 10 (format 1.0) or 12 */
  uint8_t *head;   /* preamble + header dict, while it is gathered */
  size_t head_len; /* bytes before the data; 0 until the preamble is read */
  npy_hdr hd;
  int64_t count;
  size_t bytes;  /* data bytes */
  uint8_t *data; /* the array's data, once the header is parsed */
  int failed;    /* `err` holds the first problem */
  wr_err err;
} npy_sink;

static void sink_init(npy_sink *s, const char *what, uint64_t total) {
  memset(s, 0, sizeof *s);
  s->what = what;
  s->total = total;
  s->pre_need = 10;
  wr_err_clear(&s->err);
}

static void sink_free(npy_sink *s) {
  free(s->head);
  free(s->data);
  s->head = NULL;
  s->data = NULL;
}

/* Records a failure (already in s->err) and drops the buffers. */
static int sink_fail(npy_sink *s) {
  s->failed = 1;
  sink_free(s);
  return s->err.status;
}

/* The preamble is complete (s->got >= s->pre_need): sizes the header. */
static int sink_preamble(npy_sink *s) {
  size_t start = 0, hlen = 0;
  size_t len = s->total < SIZE_MAX ? (size_t)s->total : SIZE_MAX;
  int rc = npy_preamble(s->pre, len, s->what, &start, &hlen, &s->err);
  if (rc)
    return sink_fail(s);
  s->head_len = start + hlen;
  if (!(s->head = malloc(s->head_len))) {
    wr_err_set(&s->err, WR_ENOMEM, "%s: out of memory", s->what);
    return sink_fail(s);
  }
  memcpy(s->head, s->pre, start);
  return WR_OK;
}

/* The header is complete: parses it and allocates the data. */
static int sink_header(npy_sink *s) {
  size_t start = s->pre_need;
  const char *text = (const char *)s->head + start;
  hparse h = {text,  text,    (const char *)s->head + s->head_len,
              start, s->what, &s->err};
  int rc = hp_dict(&h, &s->hd);
  free(s->head);
  s->head = NULL;
  if (rc)
    return sink_fail(s);
  if (!shape_bytes(s->hd.shape, s->hd.ndim, dtypes[s->hd.dtype].size, &s->count,
                   &s->bytes)) {
    wr_err_at(&s->err, s->what, 0, 0,
              "the array is too large (size overflows)");
    return sink_fail(s);
  }
  uint64_t have = s->total - s->head_len;
  if (have < s->bytes) {
    wr_err_at(&s->err, s->what, 0, 0,
              "truncated: expected %zu byte%s of data, got %llu", s->bytes,
              wr_plural((long long)s->bytes), (unsigned long long)have);
    return sink_fail(s);
  }
  if (have > s->bytes) {
    wr_err_at(&s->err, s->what, 0, 0,
              "%llu trailing byte%s after the %zu byte%s of data",
              (unsigned long long)(have - s->bytes),
              wr_plural((long long)(have - s->bytes)), s->bytes,
              wr_plural((long long)s->bytes));
    return sink_fail(s);
  }
  if (!(s->data = malloc(s->bytes ? s->bytes : 1))) {
    wr_err_set(&s->err, WR_ENOMEM, "%s: out of memory", s->what);
    return sink_fail(s);
  }
  return WR_OK;
}

/* Takes the next n bytes of the image (the caller never gives more than
 * s->total in all). */
static void sink_put(npy_sink *s, const uint8_t *p, size_t n) {
  while (n > 0 && !s->failed && s->got < s->total) {
    uint64_t at = s->got;
    size_t k;
    if (at < s->pre_need) {
      k = s->pre_need - (size_t)at < n ? s->pre_need - (size_t)at : n;
      memcpy(s->pre + at, p, k);
      if (at < 7 && at + k >= 7 && s->pre[6] >= 2)
        s->pre_need = 12; /* formats 2.0 and 3.0: a 4-byte header length */
    } else if (at < s->head_len) {
      k = s->head_len - (size_t)at < n ? s->head_len - (size_t)at : n;
      memcpy(s->head + at, p, k);
    } else {
      size_t off = (size_t)(at - s->head_len);
      k = s->bytes - off < n ? s->bytes - off : n;
      memcpy(s->data + off, p, k);
    }
    s->got += k;
    p += k;
    n -= k;
    if (at < s->pre_need && s->got >= s->pre_need)
      sink_preamble(s);
    if (!s->failed && s->head && s->got == s->head_len)
      sink_header(s);
  }
  s->got += n; /* bytes not kept: after a failure, or beyond s->total */
}

/* After all s->total bytes came: moves the array into `out` (written only
 * on success) or returns the first problem. */
static int sink_finish(npy_sink *s, wr_array *out, wr_err *e) {
  if (!s->failed && s->got < s->pre_need) {
    /* shorter than a preamble: the checks of a whole image */
    size_t start, hlen;
    npy_preamble(s->pre, (size_t)s->got, s->what, &start, &hlen, &s->err);
    s->failed = 1;
  }
  if (!s->failed && s->got < s->total) {
    /* the caller gave fewer bytes than it announced */
    wr_err_at(&s->err, s->what, 0, 0, "truncated: %llu of %llu bytes",
              (unsigned long long)s->got, (unsigned long long)s->total);
    s->failed = 1;
  }
  if (s->failed) {
    sink_free(s);
    if (e)
      *e = s->err;
    return s->err.status ? s->err.status : WR_EINPUT;
  }
  memset(out, 0, sizeof *out);
  out->dtype = s->hd.dtype;
  out->ndim = s->hd.ndim;
  memcpy(out->shape, s->hd.shape, sizeof s->hd.shape);
  out->count = s->count;
  out->data = s->data;
  s->data = NULL;
  return WR_OK;
}

/* Parses one .npy image; `out` is written only on success. */
int wr_npy_parse(const void *buf, size_t len, const char *what, wr_array *out,
                 wr_err *e) {
  npy_sink s;
  sink_init(&s, what, len);
  if (len)
    sink_put(&s, buf, len);
  return sink_finish(&s, out, e);
}

/* ---- reading files ----------------------------------------------------- */

/* Reads n bytes at `off` of the open file `fd`; WR_EINPUT naming `path`
 * on a read error or if the file ends early (it shrank while read). */
static int read_at(int fd, const char *path, uint64_t off, void *buf, size_t n,
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
static int open_regular(const char *path, int *fd, uint64_t *size, wr_err *e) {
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

/* Reads a .npy file in chunks; `out` is written only on success. */
int wr_npy_read(const char *path, wr_array *out, wr_err *e) {
  int fd;
  uint64_t size;
  int rc = open_regular(path, &fd, &size, e);
  if (rc)
    return rc;
  uint8_t *chunk = malloc(NPY_CHUNK);
  if (!chunk) {
    close(fd);
    return wr_err_set(e, WR_ENOMEM, "%s: out of memory", path);
  }
  npy_sink s;
  sink_init(&s, path, size);
  for (uint64_t off = 0; off < size && !rc && !s.failed;) {
    size_t n = size - off < NPY_CHUNK ? (size_t)(size - off) : NPY_CHUNK;
    if (!(rc = read_at(fd, path, off, chunk, n, e)))
      sink_put(&s, chunk, n);
    off += n;
  }
  free(chunk);
  close(fd);
  if (rc) {
    sink_free(&s);
    return rc;
  }
  return sink_finish(&s, out, e);
}

/* ---- .npz reading ------------------------------------------------------ */

#define ZIP_LOCAL_SIG 0x04034b50u
#define ZIP_CENTRAL_SIG 0x02014b50u
#define ZIP_EOCD_SIG 0x06054b50u
#define ZIP64_LOCATOR_SIG 0x07064b50u
#define ZIP64_EOCD_SIG 0x06064b50u
#define ZIP_LOCAL_LEN 30u
#define ZIP_CENTRAL_LEN 46u
#define ZIP_EOCD_LEN 22u
#define ZIP64_LOCATOR_LEN 20u
#define ZIP64_EOCD_LEN 56u
#define ZIP64_EXTRA_ID 0x0001u
#define ZIP_MAX32 0xffffffffu
#define ZIP_MAX_COMMENT 0xffffu
#define ZIP_FLAG_ENCRYPTED 0x0001u
#define ZIP_FLAG_DESCRIPTOR 0x0008u
#define ZIP_STORED 0
#define ZIP_DEFLATED 8
/* Deflate's largest expansion ratio (zlib's technical notes: 1032:1). */
#define DEFLATE_MAX_RATIO 1032u

/* An archive being read: the open file, and its central directory (read
 * whole: it holds names and sizes, never array data). */
typedef struct zbuf {
  const char *path;
  int fd;
  uint64_t len;
  uint8_t *cd;     /* the central directory, once read */
  uint64_t cd_off; /* its offset in the file */
  wr_err *e;
} zbuf;

/* Where the central directory is. */
typedef struct zdir {
  uint64_t n, off, size;
  uint64_t end; /* where the (ZIP64) end record starts */
} zdir;

/* One member as the central directory describes it. */
typedef struct zentry {
  const uint8_t *name;
  size_t name_len;
  char disp[160]; /* the name, printable, for messages */
  uint16_t flags, method;
  uint32_t crc;
  uint64_t csize, usize, offset;
} zentry;

/* What a member's local header says. */
typedef struct zlocal {
  uint16_t method;
  uint32_t crc;
  uint64_t csize, usize;
} zlocal;

/* Sets e to WR_EINPUT "PATH: message". */
static int zerr(const zbuf *z, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int zerr(const zbuf *z, const char *fmt, ...) {
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  wr_err_set(z->e, WR_EINPUT, "%s: %s", z->path, msg);
  return WR_EINPUT;
}

/* Sets e to WR_EINPUT "PATH: member 'NAME': message". */
static int zmerr(const zbuf *z, const zentry *m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int zmerr(const zbuf *z, const zentry *m, const char *fmt, ...) {
  char msg[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  wr_err_set(z->e, WR_EINPUT, "%s: member '%s': %s", z->path, m->disp, msg);
  return WR_EINPUT;
}

/* Reads n bytes at `off` of the archive. */
static int zread(const zbuf *z, uint64_t off, void *buf, size_t n) {
  return read_at(z->fd, z->path, off, buf, n, z->e);
}

/* Fills m->disp from the name bytes: control bytes as '?', long names cut
 * with "...". */
static void set_disp(zentry *m) {
  size_t cap = sizeof m->disp - 4, n = 0;
  for (; n < m->name_len && n < cap; n++) {
    uint8_t c = m->name[n];
    m->disp[n] = (char)(c < 0x20 || c == 0x7f ? '?' : c);
  }
  if (n < m->name_len) {
    memcpy(m->disp + n, "...", 3);
    n += 3;
  }
  m->disp[n] = '\0';
}

/* Finds the End Of Central Directory record: the last signature in the
 * final 64 KiB + 22 bytes whose comment ends the file. */
static int find_eocd(const zbuf *z, uint64_t *pos) {
  if (z->len < ZIP_EOCD_LEN)
    return zerr(z, "not a zip archive: no end-of-central-directory record "
                   "(truncated?)");
  size_t n = z->len < ZIP_EOCD_LEN + ZIP_MAX_COMMENT
                 ? (size_t)z->len
                 : ZIP_EOCD_LEN + ZIP_MAX_COMMENT;
  uint64_t base = z->len - n;
  uint8_t *t = malloc(n);
  if (!t)
    return wr_err_set(z->e, WR_ENOMEM, "%s: out of memory", z->path);
  int rc = zread(z, base, t, n);
  int found = 0;
  for (size_t i = n - ZIP_EOCD_LEN + 1; !rc && !found && i-- > 0;)
    if (get32(t + i) == ZIP_EOCD_SIG &&
        i + ZIP_EOCD_LEN + get16(t + i + 20) == n) {
      *pos = base + i;
      found = 1;
    }
  free(t);
  if (rc || found)
    return rc;
  return zerr(z, "not a zip archive: no end-of-central-directory record "
                 "(truncated?)");
}

/* Checks that the directory lies before its end record and can hold its
 * entries. */
static int check_dir(const zbuf *z, const zdir *d) {
  if (d->off > d->end || d->size > d->end - d->off)
    return zerr(z,
                "the central directory (%llu bytes at offset %llu) lies "
                "outside the file",
                (unsigned long long)d->size, (unsigned long long)d->off);
  if (d->n > d->size / ZIP_CENTRAL_LEN)
    return zerr(z, "the central directory is too small for %llu entries",
                (unsigned long long)d->n);
  return WR_OK;
}

/* Reads the ZIP64 end record that the locator `l` (at `loc`) points to. */
static int read_dir64(const zbuf *z, uint64_t loc, const uint8_t *l, zdir *d) {
  uint64_t off = get64(l + 8);
  if (get32(l + 4) != 0 || get32(l + 16) > 1)
    return zerr(z, "multi-disk archives are not supported");
  if (off > loc || loc - off < ZIP64_EOCD_LEN)
    return zerr(z, "the ZIP64 end-of-central-directory record lies outside "
                   "the file");
  uint8_t r[ZIP64_EOCD_LEN];
  int rc = zread(z, off, r, sizeof r);
  if (rc)
    return rc;
  if (get32(r) != ZIP64_EOCD_SIG)
    return zerr(z, "bad ZIP64 end-of-central-directory signature");
  if (get32(r + 16) != 0 || get32(r + 20) != 0 ||
      get64(r + 24) != get64(r + 32))
    return zerr(z, "multi-disk archives are not supported");
  d->n = get64(r + 32);
  d->size = get64(r + 40);
  d->off = get64(r + 48);
  d->end = off;
  return check_dir(z, d);
}

/* Finds the central directory from the end record at `eocd` (and the
 * ZIP64 locator before it, if there is one). */
static int read_dir(const zbuf *z, uint64_t eocd, zdir *d) {
  uint8_t r[ZIP64_LOCATOR_LEN + ZIP_EOCD_LEN];
  size_t before = eocd >= ZIP64_LOCATOR_LEN ? ZIP64_LOCATOR_LEN : 0;
  int rc = zread(z, eocd - before, r, before + ZIP_EOCD_LEN);
  if (rc)
    return rc;
  if (before && get32(r) == ZIP64_LOCATOR_SIG)
    return read_dir64(z, eocd - ZIP64_LOCATOR_LEN, r, d);
  const uint8_t *q = r + before;
  if (get16(q + 4) != 0 || get16(q + 6) != 0 || get16(q + 8) != get16(q + 10))
    return zerr(z, "multi-disk archives are not supported");
  d->n = get16(q + 10);
  d->size = get32(q + 12);
  d->off = get32(q + 16);
  d->end = eocd;
  return check_dir(z, d);
}
/* Finds extra field `id` in x[0..len): 1 and *data, *size if found, 0 if
 * not, -1 if the extra fields are malformed. */
static int find_extra(const uint8_t *x, size_t len, uint16_t id,
                      const uint8_t **data, size_t *size) {
  while (len >= 4) {
    size_t n = get16(x + 2);
    if (n > len - 4)
      return -1;
    if (get16(x) == id) {
      *data = x + 4;
      *size = n;
      return 1;
    }
    x += 4 + n;
    len -= 4 + n;
  }
  return len == 0 ? 0 : -1;
}

/* Replaces the central directory's 0xFFFFFFFF (0xFFFF) fields of m by the
 * ZIP64 extra field's values, in the order APPNOTE 4.5.3 gives them. */
static int central_zip64(const zbuf *z, zentry *m, const uint8_t *x,
                         size_t xlen, uint32_t disk) {
  uint64_t *fields[3] = {&m->usize, &m->csize, &m->offset};
  int need = disk == 0xffff;
  for (int i = 0; i < 3; i++)
    need |= *fields[i] == ZIP_MAX32;
  if (!need && disk != 0)
    return zmerr(z, m, "multi-disk archives are not supported");
  if (!need)
    return WR_OK;
  const uint8_t *d = NULL;
  size_t n = 0, used = 0;
  if (find_extra(x, xlen, ZIP64_EXTRA_ID, &d, &n) != 1)
    return zmerr(z, m, "no ZIP64 extra field for its 64-bit sizes");
  for (int i = 0; i < 3; i++) {
    if (*fields[i] != ZIP_MAX32)
      continue;
    if (n - used < 8)
      return zmerr(z, m, "ZIP64 extra field too short");
    *fields[i] = get64(d + used);
    used += 8;
  }
  if (disk == 0xffff)
    disk = n - used >= 4 ? get32(d + used) : 1;
  return disk == 0 ? WR_OK
                   : zmerr(z, m, "multi-disk archives are not supported");
}

/* Reads central directory entry `idx` at *pos (< end; offsets in the
 * file) into m and moves *pos past it. */
static int read_entry(const zbuf *z, uint64_t *pos, uint64_t end, uint64_t idx,
                      zentry *m) {
  const uint8_t *c = z->cd + (*pos - z->cd_off);
  memset(m, 0, sizeof *m);
  if (end - *pos < ZIP_CENTRAL_LEN || get32(c) != ZIP_CENTRAL_SIG)
    return zerr(z, "central directory entry %llu: bad signature or truncated",
                (unsigned long long)idx + 1);
  size_t nl = get16(c + 28), xl = get16(c + 30), cl = get16(c + 32);
  if (end - *pos - ZIP_CENTRAL_LEN < nl + xl + cl)
    return zerr(z, "central directory entry %llu is truncated",
                (unsigned long long)idx + 1);
  m->name = c + ZIP_CENTRAL_LEN;
  m->name_len = nl;
  set_disp(m);
  m->flags = get16(c + 8);
  m->method = get16(c + 10);
  m->crc = get32(c + 16);
  m->csize = get32(c + 20);
  m->usize = get32(c + 24);
  m->offset = get32(c + 42);
  *pos += ZIP_CENTRAL_LEN + nl + xl + cl;
  return central_zip64(z, m, m->name + nl, xl, get16(c + 34));
}

/* A member name seen in the central directory (its bytes stay in z->cd). */
typedef struct zname {
  const uint8_t *p;
  size_t n; /* without ".npy" */
} zname;

/* Checks what the central directory says of m: an .npy name, no
 * encryption, a supported method, a key not among seen[0..n). */
static int check_entry(const zbuf *z, const zentry *m, const zname *seen,
                       size_t n) {
  size_t kl = m->name_len - 4;
  if (m->name_len <= 4 || memcmp(m->name + kl, ".npy", 4) != 0 ||
      memchr(m->name, '\0', m->name_len))
    return zmerr(z, m, "not an .npy array (member names must be KEY.npy)");
  if (m->flags & ZIP_FLAG_ENCRYPTED)
    return zmerr(z, m, "encrypted members are not supported");
  if (m->method != ZIP_STORED && m->method != ZIP_DEFLATED)
    return zmerr(z, m,
                 "compression method %u is not supported (only stored and "
                 "deflated)",
                 (unsigned)m->method);
  for (size_t i = 0; i < n; i++)
    if (seen[i].n == kl && memcmp(seen[i].p, m->name, kl) == 0)
      return zmerr(z, m, "duplicate key '%.*s'", (int)kl,
                   (const char *)m->name);
  return WR_OK;
}

/* Reads the local header's sizes, from its ZIP64 extra field x[0..xlen)
 * when they are 0xFFFFFFFF (which then holds both, uncompressed size
 * first). */
static int local_sizes(const zbuf *z, const zentry *m, const uint8_t *h,
                       const uint8_t *x, size_t xlen, zlocal *lh) {
  lh->method = get16(h + 8);
  lh->crc = get32(h + 14);
  lh->csize = get32(h + 18);
  lh->usize = get32(h + 22);
  if (lh->csize != ZIP_MAX32 && lh->usize != ZIP_MAX32)
    return WR_OK;
  const uint8_t *d = NULL;
  size_t n = 0;
  if (find_extra(x, xlen, ZIP64_EXTRA_ID, &d, &n) != 1 || n < 16)
    return zmerr(z, m, "local header has no ZIP64 extra field for its sizes");
  lh->usize = get64(d);
  lh->csize = get64(d + 8);
  return WR_OK;
}

/* Checks m's local header; *data receives where its data starts, which
 * must lie in the file. */
static int local_header(const zbuf *z, const zentry *m, uint64_t *data,
                        zlocal *lh) {
  if (m->offset > z->len || z->len - m->offset < ZIP_LOCAL_LEN)
    return zmerr(z, m, "local header offset %llu lies outside the file",
                 (unsigned long long)m->offset);
  uint8_t h[ZIP_LOCAL_LEN];
  int rc = zread(z, m->offset, h, sizeof h);
  if (rc)
    return rc;
  if (get32(h) != ZIP_LOCAL_SIG)
    return zmerr(z, m, "bad local header signature");
  size_t nl = get16(h + 26), xl = get16(h + 28);
  uint64_t start = m->offset + ZIP_LOCAL_LEN + nl + xl;
  if (start > z->len || m->csize > z->len - start)
    return zmerr(z, m,
                 "data (%llu bytes at offset %llu) lies outside the "
                 "file (truncated?)",
                 (unsigned long long)m->csize, (unsigned long long)start);
  uint8_t *nx = malloc(nl + xl + 1);
  if (!nx)
    return wr_err_set(z->e, WR_ENOMEM, "%s: out of memory", z->path);
  rc = zread(z, m->offset + ZIP_LOCAL_LEN, nx, nl + xl);
  if (!rc && (nl != m->name_len || memcmp(nx, m->name, nl) != 0))
    rc = zmerr(z, m, "the local header names another member");
  if (!rc)
    rc = local_sizes(z, m, h, nx + nl, xl, lh);
  free(nx);
  *data = start;
  return rc;
}

/* Checks that the local header agrees with the central directory (unless
 * its CRC and sizes are in a data descriptor after the data). */
static int local_agrees(const zbuf *z, const zentry *m, const zlocal *lh) {
  if (lh->method != m->method)
    return zmerr(z, m,
                 "the local header says compression method %u, the "
                 "central directory %u",
                 (unsigned)lh->method, (unsigned)m->method);
  if ((m->flags & ZIP_FLAG_DESCRIPTOR) ||
      (lh->crc == m->crc && lh->csize == m->csize && lh->usize == m->usize))
    return WR_OK;
  return zmerr(z, m,
               "the local header (CRC-32 0x%08x, %llu -> %llu bytes) "
               "disagrees with the central directory (CRC-32 0x%08x, %llu "
               "-> %llu bytes)",
               (unsigned)lh->crc, (unsigned long long)lh->csize,
               (unsigned long long)lh->usize, (unsigned)m->crc,
               (unsigned long long)m->csize, (unsigned long long)m->usize);
}

/* Turns inflate's result `ret` for member m into a status. */
static int inflate_status(const zbuf *z, const zentry *m, const z_stream *s,
                          int ret) {
  if (ret == Z_MEM_ERROR)
    return wr_err_set(z->e, WR_ENOMEM, "%s: out of memory", z->path);
  if (ret == Z_DATA_ERROR || ret == Z_NEED_DICT)
    return zmerr(z, m, "corrupt deflate data: %s",
                 s->msg ? s->msg : "invalid stream");
  if (s->total_out > m->usize)
    return zmerr(z, m, "inflates to more than the %llu bytes the archive says",
                 (unsigned long long)m->usize);
  if (ret != Z_STREAM_END)
    return zmerr(z, m, "the deflate data ends early (truncated)");
  if (s->total_out != m->usize)
    return zmerr(z, m, "inflates to %llu bytes, the archive says %llu",
                 (unsigned long long)s->total_out,
                 (unsigned long long)m->usize);
  if (s->total_in != m->csize)
    return zmerr(z, m, "%llu byte%s follow%s the end of the deflate data",
                 (unsigned long long)(m->csize - s->total_in),
                 wr_plural((long long)(m->csize - s->total_in)),
                 m->csize - s->total_in == 1 ? "s" : "");
  return WR_OK;
}

/* Streams the stored member m (its bytes at `start`) into the sink through
 * `chunk` (NPY_CHUNK bytes); *crc receives the CRC-32 of its bytes. */
static int stream_stored(const zbuf *z, const zentry *m, uint64_t start,
                         uint8_t *chunk, npy_sink *s, uint32_t *crc) {
  uLong c = crc32_z(0, Z_NULL, 0);
  for (uint64_t off = 0; off < m->csize;) {
    size_t n =
        m->csize - off < NPY_CHUNK ? (size_t)(m->csize - off) : NPY_CHUNK;
    int rc = zread(z, start + off, chunk, n);
    if (rc)
      return rc;
    c = crc32_z(c, chunk, n);
    sink_put(s, chunk, n);
    off += n;
  }
  *crc = (uint32_t)c;
  return WR_OK;
}

/* Inflates the deflated member m (its raw deflate data at `start`) into
 * the sink, reading through `in` and inflating through `out` (NPY_CHUNK
 * bytes each); *crc receives the CRC-32 of the inflated bytes. */
static int stream_inflate(const zbuf *z, const zentry *m, uint64_t start,
                          uint8_t *in, uint8_t *out, npy_sink *s,
                          uint32_t *crc) {
  if (m->usize >= SIZE_MAX / 2 || m->usize / DEFLATE_MAX_RATIO > m->csize + 1)
    return zmerr(z, m,
                 "claims %llu bytes from %llu deflated bytes (more than "
                 "deflate can give)",
                 (unsigned long long)m->usize, (unsigned long long)m->csize);
  z_stream st;
  memset(&st, 0, sizeof st);
  if (inflateInit2(&st, -MAX_WBITS) != Z_OK)
    return wr_err_set(z->e, WR_ENOMEM, "%s: out of memory", z->path);
  uint64_t left = m->csize, pos = start;
  uLong c = crc32_z(0, Z_NULL, 0);
  int ret = Z_OK, rc = WR_OK;
  do {
    if (st.avail_in == 0 && left > 0) {
      size_t n = left < NPY_CHUNK ? (size_t)left : NPY_CHUNK;
      if ((rc = zread(z, pos, in, n)))
        break;
      pos += n;
      left -= n;
      st.next_in = in;
      st.avail_in = (uInt)n;
    }
    st.next_out = out;
    st.avail_out = (uInt)NPY_CHUNK;
    ret = inflate(&st, Z_NO_FLUSH);
    size_t made = NPY_CHUNK - st.avail_out;
    c = crc32_z(c, out, made);
    sink_put(s, out, made);
  } while (ret == Z_OK && st.total_out <= m->usize);
  if (!rc)
    rc = inflate_status(z, m, &st, ret);
  inflateEnd(&st);
  *crc = (uint32_t)c;
  return rc;
}

/* Reads member m (already checked by check_entry) into `a`, streaming it
 * through buf (2 * NPY_CHUNK bytes): only the array itself is allocated. */
static int read_member(const zbuf *z, const zentry *m, uint8_t *buf,
                       wr_array *a) {
  uint64_t start = 0;
  zlocal lh = {0, 0, 0, 0};
  int rc = local_header(z, m, &start, &lh);
  if (rc)
    return rc;
  if (m->method == ZIP_STORED && m->csize != m->usize)
    return zmerr(z, m, "stored member of %llu bytes says it holds %llu",
                 (unsigned long long)m->csize, (unsigned long long)m->usize);
  char what[512];
  snprintf(what, sizeof what, "%s: member '%s'", z->path, m->disp);
  npy_sink s;
  sink_init(&s, what, m->usize);
  uint32_t crc = 0;
  rc = m->method == ZIP_DEFLATED
           ? stream_inflate(z, m, start, buf, buf + NPY_CHUNK, &s, &crc)
           : stream_stored(z, m, start, buf, &s, &crc);
  if (!rc && crc != m->crc)
    rc = zmerr(z, m,
               "CRC-32 mismatch: the archive says 0x%08x, the data has "
               "0x%08x",
               (unsigned)m->crc, (unsigned)crc);
  if (!rc)
    rc = local_agrees(z, m, &lh);
  if (rc) {
    sink_free(&s);
    return rc;
  }
  if ((rc = sink_finish(&s, a, z->e)))
    return rc;
  if (!(a->name = strndup((const char *)m->name, m->name_len - 4))) {
    wr_array_free(a);
    rc = wr_err_set(z->e, WR_ENOMEM, "%s: out of memory", z->path);
  }
  return rc;
}

/* 1 if the member named key[0..n) is to be read. */
static int wanted(wr_npz_want_fn want, void *ctx, const uint8_t *key, size_t n,
                  int *keep) {
  *keep = 1;
  if (!want)
    return WR_OK;
  char *k = strndup((const char *)key, n);
  if (!k)
    return WR_ENOMEM;
  *keep = want(k, ctx) != 0;
  free(k);
  return WR_OK;
}

/* Reads the members of the archive in z that `want` keeps (all when it is
 * NULL) into res (which the caller frees with wr_npz_free, also on
 * failure).  Every member's directory entry is checked; the members not
 * kept are never read. */
static int npz_parse(zbuf *z, wr_npz_want_fn want, void *ctx, wr_npz *res) {
  uint64_t eocd = 0;
  zdir d = {0, 0, 0, 0};
  int rc = find_eocd(z, &eocd);
  if (rc || (rc = read_dir(z, eocd, &d)))
    return rc;
  z->cd = malloc(d.size ? (size_t)d.size : 1);
  res->arrays = calloc(d.n ? (size_t)d.n : 1, sizeof *res->arrays);
  zname *seen = calloc(d.n ? (size_t)d.n : 1, sizeof *seen);
  uint8_t *buf = malloc(2 * NPY_CHUNK);
  if (!z->cd || !res->arrays || !seen || !buf)
    rc = wr_err_set(z->e, WR_ENOMEM, "%s: out of memory", z->path);
  z->cd_off = d.off;
  if (!rc)
    rc = zread(z, d.off, z->cd, (size_t)d.size);
  uint64_t pos = d.off, end = d.off + d.size;
  for (uint64_t i = 0; i < d.n && !rc; i++) {
    zentry m;
    int keep = 0;
    if ((rc = read_entry(z, &pos, end, i, &m)) ||
        (rc = check_entry(z, &m, seen, (size_t)i)))
      break;
    seen[i].p = m.name;
    seen[i].n = m.name_len - 4;
    if (wanted(want, ctx, m.name, m.name_len - 4, &keep))
      rc = wr_err_set(z->e, WR_ENOMEM, "%s: out of memory", z->path);
    else if (keep && !(rc = read_member(z, &m, buf, &res->arrays[res->n])))
      res->n++;
  }
  free(buf);
  free(seen);
  return rc;
}

/* Reads the members of an .npz that `want` keeps; `out` is written only
 * on success. */
int wr_npz_read_some(const char *path, wr_npz_want_fn want, void *ctx,
                     wr_npz *out, wr_err *e) {
  int fd = -1;
  uint64_t size = 0;
  int rc = open_regular(path, &fd, &size, e);
  if (rc)
    return rc;
  zbuf z = {path, fd, size, NULL, 0, e};
  wr_npz res = {NULL, 0};
  rc = npz_parse(&z, want, ctx, &res);
  free(z.cd);
  close(fd);
  if (rc)
    wr_npz_free(&res);
  else
    *out = res;
  return rc;
}

/* Reads every member of an .npz archive; `out` is written only on
 * success. */
int wr_npz_read(const char *path, wr_npz *out, wr_err *e) {
  return wr_npz_read_some(path, NULL, NULL, out, e);
}

/* The array named `key`, or NULL.  Can't fail. */
const wr_array *wr_npz_get(const wr_npz *z, const char *key) {
  for (size_t i = 0; z && i < z->n; i++)
    if (z->arrays[i].name && strcmp(z->arrays[i].name, key) == 0)
      return &z->arrays[i];
  return NULL;
}

/* ---- checking values --------------------------------------------------- */

int64_t wr_array_first_nonfinite(const wr_array *a, int64_t limit) {
  int64_t n = limit >= 0 && limit < a->count ? limit : a->count;
  if (a->dtype == WR_DT_F32) {
    const float *v = a->data;
    for (int64_t i = 0; i < n; i++)
      if (!isfinite(v[i]))
        return i;
  } else if (a->dtype == WR_DT_F64) {
    const double *v = a->data;
    for (int64_t i = 0; i < n; i++)
      if (!isfinite(v[i]))
        return i;
  }
  return -1;
}

const char *wr_array_index_str(const wr_array *a, int64_t flat, char *buf,
                               size_t n) {
  int64_t idx[WR_ARRAY_MAX_DIMS];
  int nd = a->ndim < 0                   ? 0
           : a->ndim > WR_ARRAY_MAX_DIMS ? WR_ARRAY_MAX_DIMS
                                         : a->ndim;
  for (int i = nd; i-- > 0;) {
    int64_t d = a->shape[i] > 0 ? a->shape[i] : 1;
    idx[i] = flat % d;
    flat /= d;
  }
  size_t used = (size_t)snprintf(buf, n, "[");
  for (int i = 0; i < nd && used < n; i++)
    used += (size_t)snprintf(buf + used, n - used, "%s%lld", i ? "," : "",
                             (long long)idx[i]);
  if (used < n)
    snprintf(buf + used, n - used, "]");
  return buf;
}

const char *wr_nonfinite_name(double v) {
  return isnan(v) ? "NaN" : v > 0 ? "+inf" : "-inf";
}

/* Frees what `a` owns and zeroes it.  NULL is fine. */
void wr_array_free(wr_array *a) {
  if (!a)
    return;
  free(a->name);
  free(a->data);
  memset(a, 0, sizeof *a);
}

/* Frees every array and the list, and zeroes `z`.  NULL is fine. */
void wr_npz_free(wr_npz *z) {
  if (!z)
    return;
  for (size_t i = 0; i < z->n; i++)
    wr_array_free(&z->arrays[i]);
  free(z->arrays);
  z->arrays = NULL;
  z->n = 0;
}

/* ---- writing ----------------------------------------------------------- */

/* numpy/lib/format.py: headers are padded so data starts at a multiple of
 * ARRAY_ALIGN, and leave room for the first dim to grow to this many
 * digits. */
#define NPY_ARRAY_ALIGN 64
#define NPY_GROWTH_DIGITS 21
/* Enough for any header wr_npy_header writes (8 dims of 19 digits). */
#define NPY_HEADER_MAX 512

/* Writes the format 1.0 header for a's dtype and shape, as numpy's
 * write_array_header_1_0 does.  Returns its length; 0 if it does not fit
 * `cap` bytes or a's dtype, ndim or a dim is invalid. */
size_t wr_npy_header(const wr_array *a, char *buf, size_t cap) {
  if (!dtype_ok(a->dtype) || a->ndim < 0 || a->ndim > WR_ARRAY_MAX_DIMS)
    return 0;
  for (int i = 0; i < a->ndim; i++)
    if (a->shape[i] < 0)
      return 0;
  char shape[WR_ARRAY_MAX_DIMS * 22 + 4], dict[NPY_HEADER_MAX];
  shape_text(a->shape, a->ndim, shape, sizeof shape);
  int grow = 0;
  if (a->ndim > 0) {
    char first[24];
    grow = NPY_GROWTH_DIGITS -
           snprintf(first, sizeof first, "%lld", (long long)a->shape[0]);
  }
  int n = snprintf(dict, sizeof dict,
                   "{'descr': '%s', 'fortran_order': False, 'shape': %s, }"
                   "%*s",
                   dtypes[a->dtype].descr, shape, grow, "");
  if (n < 0 || (size_t)n >= sizeof dict)
    return 0;
  size_t used = 10 + (size_t)n + 1;
  size_t pad = NPY_ARRAY_ALIGN - used % NPY_ARRAY_ALIGN;
  size_t total = used + pad;
  if (total > cap)
    return 0;
  uint8_t *b = (uint8_t *)buf;
  memcpy(b, npy_magic, 6);
  b[6] = 1;
  b[7] = 0;
  put16(b + 8, (uint32_t)(total - 10));
  memcpy(b + 10, dict, (size_t)n);
  memset(b + 10 + n, ' ', pad);
  b[total - 1] = '\n';
  return total;
}

/* Checks that `a` can be written (a known dtype, 0..8 dims >= 0 whose
 * product is a->count, data present) and sets *bytes to its data size.
 * Messages start with `what`. */
static int array_check(const wr_array *a, const char *what, size_t *bytes,
                       wr_err *e) {
  int64_t count = 0;
  if (!dtype_ok(a->dtype))
    return wr_err_set(e, WR_EINPUT, "%s: unknown dtype %d", what,
                      (int)a->dtype);
  if (a->ndim < 0 || a->ndim > WR_ARRAY_MAX_DIMS)
    return wr_err_set(e, WR_EINPUT, "%s: %d dimensions (0..%d supported)", what,
                      a->ndim, WR_ARRAY_MAX_DIMS);
  if (!shape_bytes(a->shape, a->ndim, dtypes[a->dtype].size, &count, bytes))
    return wr_err_set(e, WR_EINPUT,
                      "%s: the shape has a negative dim or is too large", what);
  if (count != a->count)
    return wr_err_set(e, WR_EINPUT,
                      "%s: count %lld is not the product of the shape (%lld)",
                      what, (long long)a->count, (long long)count);
  if (*bytes && !a->data)
    return wr_err_set(e, WR_EINPUT, "%s: no data", what);
  return WR_OK;
}

/* Writes the whole file to `f`; 0, or -1 with errno set. */

/* Writes n bytes; 0, or -1 with errno set.  n may be 0 with p NULL. */
static int put_bytes(FILE *f, const void *p, size_t n) {
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

/* One array ready to be written: its header, data size and CRC. */
typedef struct npy_out {
  const wr_array *a;
  char hdr[NPY_HEADER_MAX];
  size_t hlen, bytes;
  uint32_t crc;    /* of header + data (npz only) */
  uint32_t offset; /* of the local header (npz only) */
} npy_out;

/* Emits a .npy file. */
static int emit_npy(FILE *f, const void *ctx) {
  const npy_out *o = ctx;
  return put_bytes(f, o->hdr, o->hlen) || put_bytes(f, o->a->data, o->bytes)
             ? -1
             : 0;
}

/* Checks `a` and fills `o` with its header and data size. */
static int npy_prepare(const wr_array *a, const char *what, npy_out *o,
                       wr_err *e) {
  memset(o, 0, sizeof *o);
  o->a = a;
  int rc = array_check(a, what, &o->bytes, e);
  if (rc)
    return rc;
  o->hlen = wr_npy_header(a, o->hdr, sizeof o->hdr);
  if (!o->hlen)
    return wr_err_set(e, WR_EINPUT, "%s: cannot write the .npy header", what);
  return WR_OK;
}

/* Writes a .npy file atomically. */
int wr_npy_write(const char *path, const wr_array *a, wr_err *e) {
  npy_out *o = malloc(sizeof *o);
  if (!o)
    return wr_err_set(e, WR_ENOMEM, "%s: out of memory", path);
  int rc = npy_prepare(a, path, o, e);
  if (!rc)
    rc = wr_write_atomic(path, emit_npy, o, e);
  free(o);
  return rc;
}

/* An .npz being written: the members and where the central directory
 * goes. */
typedef struct npz_plan {
  npy_out *m;
  size_t n;
  uint32_t cd_off, cd_size;
} npz_plan;

/* Every offset and size must stay below 0xFFFFFFFF (ZIP64's marker), and
 * the member count below 0xFFFF. */
#define NPZ_MAX_BYTES ((uint64_t)ZIP_MAX32 - 1)
#define NPZ_MAX_MEMBERS 0xfffeu

/* Fixed DOS time stamp of every member (1980-01-01 00:00), so the same
 * arrays give the same bytes. */
#define ZIP_DOS_TIME 0
#define ZIP_DOS_DATE ((0 << 9) | (1 << 5) | 1)
#define ZIP_VERSION 20 /* 2.0: what stored members need */

/* Fills a local (central = 0) or central (central = 1) header of member
 * `o` named `name` into h; returns its fixed length. */
static size_t zip_header(uint8_t *h, const npy_out *o, size_t name_len,
                         int central) {
  uint32_t size = (uint32_t)(o->hlen + o->bytes);
  size_t k = central ? 2 : 0; /* central headers have "version made by" */
  memset(h, 0, ZIP_CENTRAL_LEN);
  put32(h, central ? ZIP_CENTRAL_SIG : ZIP_LOCAL_SIG);
  if (central)
    put16(h + 4, ZIP_VERSION);
  put16(h + 4 + k, ZIP_VERSION);
  put16(h + 10 + k, ZIP_DOS_TIME);
  put16(h + 12 + k, ZIP_DOS_DATE);
  put32(h + 14 + k, o->crc);
  put32(h + 18 + k, size);
  put32(h + 22 + k, size);
  put16(h + 26 + k, (uint32_t)name_len);
  if (central)
    put32(h + 42, o->offset);
  return central ? ZIP_CENTRAL_LEN : ZIP_LOCAL_LEN;
}

/* Writes a member's header and name ("KEY.npy"). */
static int emit_zip_header(FILE *f, const npy_out *o, int central) {
  uint8_t h[ZIP_CENTRAL_LEN];
  size_t nl = strlen(o->a->name);
  size_t hl = zip_header(h, o, nl + 4, central);
  return put_bytes(f, h, hl) || put_bytes(f, o->a->name, nl) ||
                 put_bytes(f, ".npy", 4)
             ? -1
             : 0;
}

/* Emits the whole .npz: members, central directory, end record. */
static int emit_npz(FILE *f, const void *ctx) {
  const npz_plan *p = ctx;
  for (size_t i = 0; i < p->n; i++)
    if (emit_zip_header(f, &p->m[i], 0) || emit_npy(f, &p->m[i]))
      return -1;
  for (size_t i = 0; i < p->n; i++)
    if (emit_zip_header(f, &p->m[i], 1))
      return -1;
  uint8_t end[ZIP_EOCD_LEN];
  memset(end, 0, sizeof end);
  put32(end, ZIP_EOCD_SIG);
  put16(end + 8, (uint32_t)p->n);
  put16(end + 10, (uint32_t)p->n);
  put32(end + 12, p->cd_size);
  put32(end + 16, p->cd_off);
  return put_bytes(f, end, sizeof end);
}

/* Checks arrays[i] for the archive: a name, not a duplicate. */
static int npz_name_check(const char *path, const wr_array *arrays, size_t i,
                          wr_err *e) {
  const char *name = arrays[i].name;
  if (!name || !*name)
    return wr_err_set(e, WR_EINPUT, "%s: array %zu has no name", path, i + 1);
  if (strlen(name) > 0xffff - 4)
    return wr_err_set(e, WR_EINPUT, "%s: array %zu: name too long", path,
                      i + 1);
  for (size_t j = 0; j < i; j++)
    if (strcmp(arrays[j].name, name) == 0)
      return wr_err_set(e, WR_EINPUT, "%s: duplicate array name '%s'", path,
                        name);
  return WR_OK;
}

/* Checks every array and lays out the archive; the sizes must stay below
 * 4 GiB (no ZIP64).  Data sizes are below 2^63, so the sums can't wrap. */
static int npz_plan_sizes(const char *path, npz_plan *p, const wr_array *arrays,
                          wr_err *e) {
  uint64_t off = 0, cd = 0;
  int too_big = 0;
  for (size_t i = 0; i < p->n && !too_big; i++) {
    char what[512];
    int rc = npz_name_check(path, arrays, i, e);
    snprintf(what, sizeof what, "%.300s: array '%.200s'", path,
             arrays[i].name ? arrays[i].name : "?");
    if (rc || (rc = npy_prepare(&arrays[i], what, &p->m[i], e)))
      return rc;
    size_t nl = strlen(arrays[i].name) + 4;
    p->m[i].offset = (uint32_t)off;
    off += ZIP_LOCAL_LEN + nl + p->m[i].hlen + (uint64_t)p->m[i].bytes;
    cd += ZIP_CENTRAL_LEN + nl;
    too_big = off > NPZ_MAX_BYTES;
  }
  if (too_big || off + cd + ZIP_EOCD_LEN > NPZ_MAX_BYTES)
    return wr_err_set(e, WR_EINPUT,
                      "%s: the arrays need 4 GiB or more, too large for an "
                      ".npz without ZIP64",
                      path);
  p->cd_off = (uint32_t)off;
  p->cd_size = (uint32_t)cd;
  return WR_OK;
}

/* CRC-32 of each member's header and data. */
static void npz_crcs(npz_plan *p) {
  for (size_t i = 0; i < p->n; i++) {
    npy_out *o = &p->m[i];
    uLong crc = crc32_z(0, (const Bytef *)o->hdr, o->hlen);
    if (o->bytes)
      crc = crc32_z(crc, o->a->data, o->bytes);
    o->crc = (uint32_t)crc;
  }
}

/* Writes arrays[0..n) as an .npz of stored members, atomically. */
int wr_npz_write(const char *path, const wr_array *arrays, size_t n,
                 wr_err *e) {
  if (n > NPZ_MAX_MEMBERS)
    return wr_err_set(e, WR_EINPUT,
                      "%s: %zu arrays, more than an .npz without ZIP64 holds "
                      "(%u)",
                      path, n, NPZ_MAX_MEMBERS);
  npz_plan p = {calloc(n ? n : 1, sizeof(npy_out)), n, 0, 0};
  if (!p.m)
    return wr_err_set(e, WR_ENOMEM, "%s: out of memory", path);
  int rc = npz_plan_sizes(path, &p, arrays, e);
  if (!rc) {
    npz_crcs(&p);
    rc = wr_write_atomic(path, emit_npz, &p, e);
  }
  free(p.m);
  return rc;
}
