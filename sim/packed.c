/*
 * packed.c — tensors of codes packed at their bit width (sim_packed in
 * sim.h): shaping, and streaming pack / unpack of ranges.
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"

int64_t sim_packed_words(int64_t count, int bits) {
  return (count * bits + 63) / 64 + 1;
}

int sim_packed_reset(sim_packed *t, int64_t count, int bits, wr_err *e) {
  if (bits < 1 || bits > 16 || count < 0 || count > (INT64_MAX - 64) / 16)
    return wr_err_set(e, WR_EINPUT,
                      "packed codes: %lld codes of %d bits: expected 1..16 "
                      "bits and a count below 2^59",
                      (long long)count, bits);
  int64_t n = sim_packed_words(count, bits);
  if (n > t->cap) {
    uint64_t *w = malloc((size_t)n * sizeof *w);
    if (!w)
      return wr_err_set(e, WR_ENOMEM, "out of memory for packed codes");
    free(t->words);
    t->words = w;
    t->cap = n;
  }
  memset(t->words, 0, (size_t)n * sizeof *t->words);
  t->bits = bits;
  t->count = count;
  return WR_OK;
}

void sim_packed_free(sim_packed *t) {
  free(t->words);
  memset(t, 0, sizeof *t);
}

/* Word and bit offset of code i. */
static void locate(const sim_packed *t, int64_t i, int64_t *q, unsigned *off) {
  uint64_t bit = (uint64_t)i * (uint64_t)t->bits;
  *q = (int64_t)(bit >> 6);
  *off = (unsigned)(bit & 63);
}

void sim_packed_unpack(const sim_packed *t, int64_t i0, int64_t n,
                       uint16_t *dst) {
  const unsigned bits = (unsigned)t->bits;
  const uint64_t mask = (UINT64_C(1) << bits) - 1;
  const uint64_t *w = t->words;
  int64_t q;
  unsigned off;
  locate(t, i0, &q, &off);
  for (int64_t k = 0; k < n; k++) {
    uint64_t v = (w[q] >> off) | ((w[q + 1] << 1) << (63 - off));
    dst[k] = (uint16_t)(v & mask);
    off += bits;
    q += off >> 6;
    off &= 63;
  }
}

void sim_packed_pack(sim_packed *t, int64_t i0, int64_t n,
                     const uint16_t *src) {
  const unsigned bits = (unsigned)t->bits;
  const uint64_t mask = (UINT64_C(1) << bits) - 1;
  uint64_t *w = t->words;
  int64_t q;
  unsigned off;
  locate(t, i0, &q, &off);
  /* the word being filled is kept in `cur`, with the bits below `off`
     (and, at the end, those past the range) taken from memory */
  uint64_t cur = w[q] & ((UINT64_C(1) << off) - 1);
  for (int64_t k = 0; k < n; k++) {
    uint64_t v = src[k] & mask;
    unsigned o = off;
    cur |= v << o;
    off = o + bits;
    if (off >= 64) { /* then o >= 48: the spill shift is 1..16 */
      w[q++] = cur;
      off -= 64;
      cur = v >> (64 - o);
    }
  }
  if (off)
    w[q] = cur | (w[q] & ~((UINT64_C(1) << off) - 1));
}
