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
  if (bits < 1 || bits > WR_MAX_INT_BITS || count < 0 ||
      count > (INT64_MAX - 64) / WR_MAX_INT_BITS)
    return wr_err_set(e, WR_EINPUT,
                      "packed codes: %lld code%s of %d bit%s: expected 1..16 "
                      "bits and a count below 2^59",
                      (long long)count, wr_plural(count), bits,
                      wr_plural(bits));
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

/* The bodies below are instantiated for each width (a constant there), so
 * that a group of codes that fills whole words (64 / gcd(64, bits) codes
 * in bits / gcd(64, bits) words: 16 codes a word at 4 bits, 64 codes in 3
 * words at 3) becomes straight-line shifts and masks. */
#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* Codes of such a group. */
ALWAYS_INLINE unsigned group_codes(unsigned bits) {
  return 64 / (bits & -bits); /* gcd(64, bits) for bits <= 64 */
}

/* The code at word q, bit off, moving q and off to the next one. */
ALWAYS_INLINE uint16_t next_code(const uint64_t *w, int64_t *q, unsigned *off,
                                 unsigned bits) {
  uint64_t v = (w[*q] >> *off) | ((w[*q + 1] << 1) << (63 - *off));
  *off += bits;
  *q += *off >> 6;
  *off &= 63;
  return (uint16_t)(v & ((UINT64_C(1) << bits) - 1));
}

ALWAYS_INLINE void unpack_bits(const uint64_t *w, int64_t q, unsigned off,
                               int64_t n, uint16_t *dst, const unsigned bits) {
  const uint64_t mask = (UINT64_C(1) << bits) - 1;
  int64_t k = 0;
  for (; k < n && off; k++) /* up to a word edge */
    dst[k] = next_code(w, &q, &off, bits);
  const unsigned G = group_codes(bits);
  for (; n - k >= G; k += G, q += G * bits / 64) {
    const uint64_t *g = w + q;
#pragma GCC unroll 64
    for (unsigned j = 0; j < G; j++) {
      unsigned pos = j * bits, o = pos & 63;
      uint64_t v = g[pos >> 6] >> o;
      if (o + bits > 64)
        v |= g[(pos >> 6) + 1] << (64 - o);
      dst[k + j] = (uint16_t)(v & mask);
    }
  }
  for (; k < n; k++)
    dst[k] = next_code(w, &q, &off, bits);
}

/* Writes the low `bits` bits of code v at word q, bit off (keeping the
 * other bits), moving q and off on. */
ALWAYS_INLINE void put_code(uint64_t *w, int64_t *q, unsigned *off, uint64_t v,
                            unsigned bits) {
  const uint64_t mask = (UINT64_C(1) << bits) - 1;
  w[*q] = (w[*q] & ~(mask << *off)) | (v << *off);
  w[*q + 1] =
      (w[*q + 1] & ~((mask >> 1) >> (63 - *off))) | ((v >> 1) >> (63 - *off));
  *off += bits;
  *q += *off >> 6;
  *off &= 63;
}

ALWAYS_INLINE void pack_bits(uint64_t *w, int64_t q, unsigned off, int64_t n,
                             const uint16_t *src, const unsigned bits) {
  const uint64_t mask = (UINT64_C(1) << bits) - 1;
  int64_t k = 0;
  for (; k < n && off; k++)
    put_code(w, &q, &off, src[k] & mask, bits);
  const unsigned G = group_codes(bits);
  for (; n - k >= G; k += G, q += G * bits / 64) {
    uint64_t g[17] = {0};
#pragma GCC unroll 64
    for (unsigned j = 0; j < G; j++) {
      unsigned pos = j * bits, o = pos & 63;
      uint64_t v = src[k + j] & mask;
      g[pos >> 6] |= v << o;
      if (o + bits > 64)
        g[(pos >> 6) + 1] |= v >> (64 - o);
    }
    for (unsigned j = 0; j < G * bits / 64; j++)
      w[q + j] = g[j];
  }
  for (; k < n; k++)
    put_code(w, &q, &off, src[k] & mask, bits);
}

/* Runs body(args..., b) on codes [i0, i0 + n) of t, with its width b a
 * constant in each case and q, off the position of code i0. */
/* clang-format off */
#define FOR_WIDTH(t, i0, body, ...)                                            \
  do {                                                                         \
    int64_t q;                                                                 \
    unsigned off;                                                              \
    locate(t, i0, &q, &off);                                                   \
    switch ((t)->bits) {                                                       \
    case 1: body(__VA_ARGS__, 1); break;                                       \
    case 2: body(__VA_ARGS__, 2); break;                                       \
    case 3: body(__VA_ARGS__, 3); break;                                       \
    case 4: body(__VA_ARGS__, 4); break;                                       \
    case 5: body(__VA_ARGS__, 5); break;                                       \
    case 6: body(__VA_ARGS__, 6); break;                                       \
    case 7: body(__VA_ARGS__, 7); break;                                       \
    case 8: body(__VA_ARGS__, 8); break;                                       \
    case 9: body(__VA_ARGS__, 9); break;                                       \
    case 10: body(__VA_ARGS__, 10); break;                                     \
    case 11: body(__VA_ARGS__, 11); break;                                     \
    case 12: body(__VA_ARGS__, 12); break;                                     \
    case 13: body(__VA_ARGS__, 13); break;                                     \
    case 14: body(__VA_ARGS__, 14); break;                                     \
    case 15: body(__VA_ARGS__, 15); break;                                     \
    default: body(__VA_ARGS__, 16); break;                                     \
    }                                                                          \
  } while (0)
/* clang-format on */

void sim_packed_unpack(const sim_packed *t, int64_t i0, int64_t n,
                       uint16_t *dst) {
  FOR_WIDTH(t, i0, unpack_bits, t->words, q, off, n, dst);
}

void sim_packed_pack(sim_packed *t, int64_t i0, int64_t n,
                     const uint16_t *src) {
  FOR_WIDTH(t, i0, pack_bits, t->words, q, off, n, src);
}
