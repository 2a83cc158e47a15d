/* npy.c — NumPy's .npy format (numpy/lib/format.py, versions 1.0, 2.0
 * and 3.0): the dtypes, parsing a header, an image arriving in pieces (a
 * file read in chunks, an .npz member being inflated: npz.c), and writing
 * a file.  Files are opened and written through file_io.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file_io_internal.h"
#include "npy_internal.h"
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

/* A quoted string without escapes; *s and *n receive its text. */
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

void npy_sink_init(npy_sink *s, const char *what, uint64_t total) {
  memset(s, 0, sizeof *s);
  s->what = what;
  s->total = total;
  s->pre_need = 10;
  wr_err_clear(&s->err);
}

void npy_sink_free(npy_sink *s) {
  free(s->head);
  free(s->data);
  s->head = NULL;
  s->data = NULL;
}

/* Records a failure (already in s->err) and drops the buffers. */
static int sink_fail(npy_sink *s) {
  s->failed = 1;
  npy_sink_free(s);
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
void npy_sink_put(npy_sink *s, const uint8_t *p, size_t n) {
  while (n > 0 && !s->failed && s->got < s->total) {
    uint64_t at = s->got;
    size_t k;
    if (at < s->pre_need) {
      k = s->pre_need - (size_t)at < n ? s->pre_need - (size_t)at : n;
      memcpy(s->pre + at, p, k);
      if (at < 7 && at + k >= 7 && s->pre[6] >= 2)
        s->pre_need = 12; /* formats 2.0 and 3.0: a 4-byte header length */
    } else if (s->head) { /* set by sink_preamble, freed at got == head_len */
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
int npy_sink_finish(npy_sink *s, wr_array *out, wr_err *e) {
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
    npy_sink_free(s);
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
  npy_sink_init(&s, what, len);
  if (len)
    npy_sink_put(&s, buf, len);
  return npy_sink_finish(&s, out, e);
}

/* Reads a .npy file in chunks; `out` is written only on success. */
int wr_npy_read(const char *path, wr_array *out, wr_err *e) {
  int fd;
  uint64_t size;
  int rc = file_open_regular(path, &fd, &size, e);
  if (rc)
    return rc;
  uint8_t *chunk = malloc(NPY_CHUNK);
  if (!chunk) {
    close(fd);
    return wr_err_set(e, WR_ENOMEM, "%s: out of memory", path);
  }
  npy_sink s;
  npy_sink_init(&s, path, size);
  for (uint64_t off = 0; off < size && !rc && !s.failed;) {
    size_t n = size - off < NPY_CHUNK ? (size_t)(size - off) : NPY_CHUNK;
    if (!(rc = file_read_at(fd, path, off, chunk, n, e)))
      npy_sink_put(&s, chunk, n);
    off += n;
  }
  free(chunk);
  close(fd);
  if (rc) {
    npy_sink_free(&s);
    return rc;
  }
  return npy_sink_finish(&s, out, e);
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

/* ---- writing ----------------------------------------------------------- */

/* numpy/lib/format.py: headers are padded so data starts at a multiple of
 * ARRAY_ALIGN, and leave room for the first dim to grow to this many
 * digits. */
#define NPY_ARRAY_ALIGN 64
#define NPY_GROWTH_DIGITS 21
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

/* Emits a .npy file. */
int npy_emit(FILE *f, const void *ctx) {
  const npy_out *o = ctx;
  return file_put_bytes(f, o->hdr, o->hlen) ||
                 file_put_bytes(f, o->a->data, o->bytes)
             ? -1
             : 0;
}

/* Checks `a` and fills `o` with its header and data size. */
int npy_prepare(const wr_array *a, const char *what, npy_out *o, wr_err *e) {
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
    rc = wr_write_atomic(path, npy_emit, o, e);
  free(o);
  return rc;
}
