/* npz.c — .npz archives: zip files of .npy members as numpy.savez and
 * numpy.savez_compressed write them (PKWARE APPNOTE.TXT 6.3: local
 * headers, central directory, ZIP64 extensions).  Deflated members are
 * inflated and every member's CRC-32 is checked with zlib; each member is
 * streamed into an .npy image (npy.c).  Archives are written with stored
 * members, atomically (file_io.c). */
#define ZLIB_CONST
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "file_io_internal.h"
#include "npy_internal.h"
#include "workloads.h"

/* ---- zip records ------------------------------------------------------- */

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
/* ---- .npz reading ------------------------------------------------------ */

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
  return file_read_at(z->fd, z->path, off, buf, n, z->e);
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
  if (!rc && (nl != m->name_len || (nl > 0 && memcmp(nx, m->name, nl) != 0)))
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
    npy_sink_put(s, chunk, n);
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
    npy_sink_put(s, out, made);
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
  npy_sink_init(&s, what, m->usize);
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
    npy_sink_free(&s);
    return rc;
  }
  if ((rc = npy_sink_finish(&s, a, z->e)))
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
  int rc = file_open_regular(path, &fd, &size, e);
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
  return file_put_bytes(f, h, hl) || file_put_bytes(f, o->a->name, nl) ||
                 file_put_bytes(f, ".npy", 4)
             ? -1
             : 0;
}

/* Emits the whole .npz: members, central directory, end record. */
static int emit_npz(FILE *f, const void *ctx) {
  const npz_plan *p = ctx;
  for (size_t i = 0; i < p->n; i++)
    if (emit_zip_header(f, &p->m[i], 0) || npy_emit(f, &p->m[i]))
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
  return file_put_bytes(f, end, sizeof end);
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
