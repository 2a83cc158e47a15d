/* npy_internal.h — internal to the workloads module: what the .npy code
 * (npy.c) shares with the .npz container (npz.c): little-endian fields, an
 * .npy image arriving in pieces, and an array ready to be written. */
#ifndef WRPNSIM_NPY_INTERNAL_H
#define WRPNSIM_NPY_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "workloads.h"

/* ---- little-endian fields ---------------------------------------------- */

static inline uint16_t get16(const uint8_t *p) {
  return (uint16_t)((unsigned)p[0] | (unsigned)p[1] << 8);
}

static inline uint32_t get32(const uint8_t *p) {
  return (uint32_t)get16(p) | (uint32_t)get16(p + 2) << 16;
}

static inline uint64_t get64(const uint8_t *p) {
  return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static inline void put16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v & 0xff);
  p[1] = (uint8_t)((v >> 8) & 0xff);
}

static inline void put32(uint8_t *p, uint32_t v) {
  put16(p, v & 0xffff);
  put16(p + 2, v >> 16);
}

/* ---- an .npy image arriving in pieces ---------------------------------- */

/* Bytes read (or inflated) at a time: the one buffer a reader holds besides
 * the arrays it keeps. */
#define NPY_CHUNK ((size_t)1 << 16)

/* What the header says. */
typedef struct npy_hdr {
  wr_dtype dtype;
  int ndim;
  int64_t shape[WR_ARRAY_MAX_DIMS];
} npy_hdr;

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

/* Starts a sink for an image of `total` bytes; `what` names it in
 * errors.  Can't fail. */
void npy_sink_init(npy_sink *s, const char *what, uint64_t total);
/* Takes the next n bytes of the image (the caller never gives more than
 * s->total in all). */
void npy_sink_put(npy_sink *s, const uint8_t *p, size_t n);
/* After all s->total bytes came: moves the array into `out` (written only
 * on success) or returns the first problem. */
int npy_sink_finish(npy_sink *s, wr_array *out, wr_err *e);
/* Drops what the sink holds (for a caller giving up early).  Can't
 * fail. */
void npy_sink_free(npy_sink *s);

/* ---- writing ----------------------------------------------------------- */

/* Enough for any header wr_npy_header writes (8 dims of 19 digits). */
#define NPY_HEADER_MAX 512

/* One array ready to be written: its header, data size and CRC. */
typedef struct npy_out {
  const wr_array *a;
  char hdr[NPY_HEADER_MAX];
  size_t hlen, bytes;
  uint32_t crc;    /* of header + data (npz only) */
  uint32_t offset; /* of the local header (npz only) */
} npy_out;

/* Checks `a` and fills `o` with its header and data size; messages start
 * with `what`. */
int npy_prepare(const wr_array *a, const char *what, npy_out *o, wr_err *e);
/* Writes o's header and data to f (a wr_emit_fn); 0, or -1 with errno
 * set. */
int npy_emit(FILE *f, const void *ctx);

#endif
