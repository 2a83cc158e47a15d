/*
 * kernels_avx512.c — AVX-512 bodies of the bit-plane and int8 kernels
 * (contracts in kernels_internal.h), compiled with per-function target
 * attributes so that the rest of the library runs on any x86-64 CPU; the
 * callers check sim_cpu_has_* at run time.  Each block keeps its sums in
 * registers: up to 8 pixels x 2 vectors of output channels, the weights
 * of a vector loaded once per step and each pixel's input broadcast.
 *
 * - bit planes: 8 channels a vector of 64-bit words; AND + VPOPCNTQ +
 *   add per (pixel, vector), one pass per plane pair.
 * - int8: 16 channels a vector of 4 int8 weights; VPDPBUSD per (pixel,
 *   vector) with the pixel's 4 activation bytes broadcast.
 *
 * On other architectures the bodies fall back to the portable ones and
 * the CPU checks say no.
 */
#include <string.h>

#include "kernels_internal.h"

#if defined(__x86_64__) || defined(__i386__)

#include <immintrin.h>

#define BP_TARGET __attribute__((target("avx512f,avx512bw,avx512vpopcntdq")))
#define I8_TARGET __attribute__((target("avx512f,avx512bw,avx512vnni")))
#define PACK_TARGET __attribute__((target("avx512f,avx512bw,avx512vl")))
#define INLINE static inline __attribute__((always_inline))

int sim_cpu_has_bp_avx512(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512vpopcntdq");
}

int sim_cpu_has_i8_avx512(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("avx512vnni");
}

int sim_cpu_has_f32_avx512(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f");
}

/* ---- FP32 rows ---------------------------------------------------------- */

/* Eight positions a vector: each binary32 input widened once, then one
 * fused multiply-add per output channel (exact product, one rounding: the
 * same bits as the portable multiply then add). */
__attribute__((target("avx512f"))) void
sim_f32_row_avx512(double *acc, int64_t ld, int nj, const float *x, int64_t n,
                   const double *wv) {
  __m512d w[8];
  for (int j = 0; j < nj && j < 8; j++)
    w[j] = _mm512_set1_pd(wv[j]);
  for (int64_t k = 0; k < n; k += 8) {
    __mmask8 m = n - k >= 8 ? (__mmask8)0xff : (__mmask8)((1u << (n - k)) - 1);
    __m512d xv = _mm512_cvtps_pd(
        _mm512_castps512_ps256(_mm512_maskz_loadu_ps((__mmask16)m, x + k)));
    for (int j = 0; j < nj && j < 8; j++) {
      double *a = acc + j * ld + k;
      __m512d s = _mm512_maskz_loadu_pd(m, a);
      _mm512_mask_storeu_pd(a, m, _mm512_fmadd_pd(xv, w[j], s));
    }
  }
}

/* ---- bit planes --------------------------------------------------------- */

/* One plane pair: tile[pixel][lane] +=, or with `neg` -=, 2^shift times
 * the sum over taps and words of popcount(a & w), for NP pixels and NV
 * vectors (constants after inlining, so the counts stay in registers);
 * `plane_off` selects the activation plane, `w` the weight plane. */
INLINE BP_TARGET void bp_pair(const sim_wpack *p, const uint64_t *in,
                              const int64_t *pix, const uint64_t *w,
                              int64_t plane_off, int shift, int neg,
                              int64_t *tile, const int NP, const int NV) {
  const int64_t words = p->words, L = (int64_t)NV * SIM_BP_LANES;
  __m512i cnt[SIM_BLOCK_PIX][SIM_BLOCK_VECS];
  const uint64_t *a[SIM_BLOCK_PIX];
#pragma GCC unroll 8
  for (int i = 0; i < NP; i++) {
#pragma GCC unroll 2
    for (int v = 0; v < NV; v++)
      cnt[i][v] = _mm512_setzero_si512();
    a[i] = in + pix[i] + plane_off;
  }
  for (int64_t t = 0; t < p->taps; t++) {
    const int64_t off = p->tap_off[t];
    const uint64_t *wt = w + t * words * L;
    for (int64_t k = 0; k < words; k++) {
      __m512i wv[SIM_BLOCK_VECS];
#pragma GCC unroll 2
      for (int v = 0; v < NV; v++)
        wv[v] = _mm512_load_si512(wt + k * L + (int64_t)v * SIM_BP_LANES);
#pragma GCC unroll 8
      for (int i = 0; i < NP; i++) {
        __m512i b = _mm512_set1_epi64((long long)a[i][off + k]);
#pragma GCC unroll 2
        for (int v = 0; v < NV; v++)
          cnt[i][v] = _mm512_add_epi64(
              cnt[i][v], _mm512_popcnt_epi64(_mm512_and_si512(b, wv[v])));
      }
    }
  }
  const __m128i sh = _mm_cvtsi32_si128(shift);
#pragma GCC unroll 8
  for (int i = 0; i < NP; i++)
#pragma GCC unroll 2
    for (int v = 0; v < NV; v++) {
      int64_t *tp = tile + i * L + (int64_t)v * SIM_BP_LANES;
      __m512i s = _mm512_sll_epi64(cnt[i][v], sh), cur = _mm512_loadu_si512(tp);
      _mm512_storeu_si512(tp, neg ? _mm512_sub_epi64(cur, s)
                                  : _mm512_add_epi64(cur, s));
    }
}

/* The bit-plane block for NP pixels and NV vectors: every plane pair. */
INLINE BP_TARGET void bp_block(const sim_wpack *p, const uint64_t *in,
                               const int64_t *pix, const uint64_t *w,
                               int64_t *tile, const int NP, const int NV) {
  const int64_t L = (int64_t)NV * SIM_BP_LANES;
  const int64_t w_plane = p->taps * p->words * L;
  memset(tile, 0, (size_t)(NP * L) * sizeof *tile);
  for (int i = 0; i < p->a_bits; i++)
    for (int j = 0; j < p->wplanes; j++) {
      /* binary weights: 2 * 2^i * positives; else the sign plane counts
         negative */
      int shift = p->w_bits == 1 ? i + 1 : i + j;
      int neg = p->w_bits > 1 && j == p->wplanes - 1;
      bp_pair(p, in, pix, w + j * w_plane, i * p->words, shift, neg, tile, NP,
              NV);
    }
}

#define BP_FN(NP, NV)                                                          \
  static BP_TARGET void bp_block_##NP##_##NV(                                  \
      const sim_wpack *p, const uint64_t *in, const int64_t *pix,              \
      const uint64_t *w, int64_t *tile) {                                      \
    bp_block(p, in, pix, w, tile, NP, NV);                                     \
  }
#define BP_FNS(NP) BP_FN(NP, 1) BP_FN(NP, 2)
BP_FNS(1)
BP_FNS(2)
BP_FNS(3)
BP_FNS(4)
BP_FNS(5)
BP_FNS(6)
BP_FNS(7)
BP_FNS(8)

typedef void (*bp_fn)(const sim_wpack *, const uint64_t *, const int64_t *,
                      const uint64_t *, int64_t *);
#define BP_ROW(NP)                                                             \
  { bp_block_##NP##_1, bp_block_##NP##_2 }
static const bp_fn bp_fns[SIM_BLOCK_PIX][SIM_BLOCK_VECS] = {
    BP_ROW(1), BP_ROW(2), BP_ROW(3), BP_ROW(4),
    BP_ROW(5), BP_ROW(6), BP_ROW(7), BP_ROW(8)};

void sim_bp_block_avx512(const sim_wpack *p, const uint64_t *in,
                         const int64_t *pix, int n_pix, const uint64_t *w,
                         int64_t *tile) {
  bp_fns[n_pix - 1][p->vecs - 1](p, in, pix, w, tile);
}

/* ---- int8 --------------------------------------------------------------- */

/* One chunk of one digit pair: tile[pixel][lane] += 2^shift times the
 * sum over taps [r[0], r[1]) and quads [r[2], r[3]) of the four byte
 * products, summed in int32 lanes (the chunk bounds them); `d_off`
 * selects the activation byte, `w` the weight digit. */
INLINE I8_TARGET void i8_chunk(const sim_wpack *p, const uint32_t *in,
                               const int64_t *pix, const int8_t *w,
                               int64_t d_off, const int64_t r[4], int shift,
                               int64_t *tile, const int NP, const int NV) {
  const int64_t L = (int64_t)NV * SIM_I8_LANES, quads = p->quads;
  __m512i acc[SIM_BLOCK_PIX][SIM_BLOCK_VECS];
  const uint32_t *a[SIM_BLOCK_PIX];
#pragma GCC unroll 8
  for (int i = 0; i < NP; i++) {
#pragma GCC unroll 2
    for (int v = 0; v < NV; v++)
      acc[i][v] = _mm512_setzero_si512();
    a[i] = in + pix[i] + d_off;
  }
  for (int64_t t = r[0]; t < r[1]; t++) {
    const int64_t off = p->tap_off[t];
    const int8_t *wt = w + t * quads * L * 4;
    for (int64_t q = r[2]; q < r[3]; q++) {
      __m512i wv[SIM_BLOCK_VECS];
#pragma GCC unroll 2
      for (int v = 0; v < NV; v++)
        wv[v] = _mm512_load_si512(wt + (q * L + (int64_t)v * SIM_I8_LANES) * 4);
#pragma GCC unroll 8
      for (int i = 0; i < NP; i++) {
        __m512i b = _mm512_set1_epi32((int)a[i][off + q]);
#pragma GCC unroll 2
        for (int v = 0; v < NV; v++)
          acc[i][v] = _mm512_dpbusd_epi32(acc[i][v], b, wv[v]);
      }
    }
  }
  const __m128i sh = _mm_cvtsi32_si128(shift);
#pragma GCC unroll 8
  for (int i = 0; i < NP; i++)
#pragma GCC unroll 2
    for (int v = 0; v < NV; v++) {
      int64_t *tp = tile + i * L + (int64_t)v * SIM_I8_LANES;
      __m512i lo = _mm512_cvtepi32_epi64(_mm512_castsi512_si256(acc[i][v]));
      __m512i hi =
          _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(acc[i][v], 1));
      _mm512_storeu_si512(tp, _mm512_add_epi64(_mm512_loadu_si512(tp),
                                               _mm512_sll_epi64(lo, sh)));
      _mm512_storeu_si512(tp + 8, _mm512_add_epi64(_mm512_loadu_si512(tp + 8),
                                                   _mm512_sll_epi64(hi, sh)));
    }
}

/* The int8 block for NP pixels and NV vectors: every digit pair and
 * chunk. */
INLINE I8_TARGET void i8_block(const sim_wpack *p, const uint32_t *in,
                               const int64_t *pix, const int8_t *w,
                               int64_t *tile, const int NP, const int NV) {
  const int64_t L = (int64_t)NV * SIM_I8_LANES;
  const int64_t w_digit = p->taps * p->quads * L * 4;
  memset(tile, 0, (size_t)(NP * L) * sizeof *tile);
  for (int64_t d = 0; d < p->digits; d++)
    for (int e = 0; e < p->wdigits; e++)
      for (int64_t t0 = 0; t0 < p->taps; t0 += p->chunk_taps)
        for (int64_t q0 = 0; q0 < p->quads; q0 += p->chunk_quads) {
          int64_t r[4] = {t0, t0 + p->chunk_taps, q0, q0 + p->chunk_quads};
          if (r[1] > p->taps)
            r[1] = p->taps;
          if (r[3] > p->quads)
            r[3] = p->quads;
          i8_chunk(p, in, pix, w + e * w_digit, d * p->quads, r,
                   (int)(8 * d + 7 * (int64_t)e), tile, NP, NV);
        }
}

#define I8_FN(NP, NV)                                                          \
  static I8_TARGET void i8_block_##NP##_##NV(                                  \
      const sim_wpack *p, const uint32_t *in, const int64_t *pix,              \
      const int8_t *w, int64_t *tile) {                                        \
    i8_block(p, in, pix, w, tile, NP, NV);                                     \
  }
#define I8_FNS(NP) I8_FN(NP, 1) I8_FN(NP, 2)
I8_FNS(1)
I8_FNS(2)
I8_FNS(3)
I8_FNS(4)
I8_FNS(5)
I8_FNS(6)
I8_FNS(7)
I8_FNS(8)

typedef void (*i8_fn)(const sim_wpack *, const uint32_t *, const int64_t *,
                      const int8_t *, int64_t *);
#define I8_ROW(NP)                                                             \
  { i8_block_##NP##_1, i8_block_##NP##_2 }
static const i8_fn i8_fns[SIM_BLOCK_PIX][SIM_BLOCK_VECS] = {
    I8_ROW(1), I8_ROW(2), I8_ROW(3), I8_ROW(4),
    I8_ROW(5), I8_ROW(6), I8_ROW(7), I8_ROW(8)};

void sim_i8_block_avx512(const sim_wpack *p, const uint32_t *in,
                         const int64_t *pix, int n_pix, const int8_t *w,
                         int64_t *tile) {
  i8_fns[n_pix - 1][p->vecs - 1](p, in, pix, w, tile);
}

/* ---- storing the sums --------------------------------------------------- */

/* Transposes the 8 x 8 int64 matrix r (rows) in place into columns. */
INLINE PACK_TARGET void transpose8(__m512i r[8]) {
  __m512i t[8], u[8];
  for (int k = 0; k < 8; k += 2) {
    t[k] = _mm512_unpacklo_epi64(r[k], r[k + 1]);
    t[k + 1] = _mm512_unpackhi_epi64(r[k], r[k + 1]);
  }
  /* u: columns {0,4}, {2,6} of rows 0-3 (from t0, t2), {1,5}, {3,7}
     (t1, t3), then the same for rows 4-7 */
  for (int h = 0; h < 2; h++)
    for (int k = 0; k < 2; k++) {
      u[4 * h + 2 * k] =
          _mm512_shuffle_i64x2(t[4 * h + k], t[4 * h + k + 2], 0x88);
      u[4 * h + 2 * k + 1] =
          _mm512_shuffle_i64x2(t[4 * h + k], t[4 * h + k + 2], 0xdd);
    }
  static const int col[4][2] = {{0, 4}, {2, 6}, {1, 5}, {3, 7}};
  for (int k = 0; k < 4; k++) {
    r[col[k][0]] = _mm512_shuffle_i64x2(u[k], u[k + 4], 0x88);
    r[col[k][1]] = _mm512_shuffle_i64x2(u[k], u[k + 4], 0xdd);
  }
}

PACK_TARGET void sim_tile_store_avx512(const sim_wpack *p, const int64_t *tile,
                                       int grp, int64_t blk, int64_t p0,
                                       int n_pix, const int64_t *ones,
                                       int64_t *out) {
  int64_t n_oc = p->cg_out - blk * p->blk_oc;
  if (n_oc > p->blk_oc)
    n_oc = p->blk_oc;
  const int64_t oc0 = (int64_t)grp * p->cg_out + blk * p->blk_oc;
  const __mmask8 m = (__mmask8)((1u << n_pix) - 1);
  const __m512i sub =
      ones ? _mm512_maskz_loadu_epi64(m, ones) : _mm512_setzero_si512();
  for (int64_t l0 = 0; l0 < n_oc; l0 += 8) {
    __m512i r[8];
    for (int i = 0; i < 8; i++)
      r[i] = i < n_pix ? _mm512_loadu_si512(tile + i * p->blk_oc + l0)
                       : _mm512_setzero_si512();
    transpose8(r);
    for (int64_t l = 0; l < 8 && l0 + l < n_oc; l++)
      _mm512_mask_storeu_epi64(out + (oc0 + l0 + l) * p->n_pix + p0, m,
                               _mm512_sub_epi64(r[l], sub));
  }
}

/* ---- packing ------------------------------------------------------------ */

PACK_TARGET void sim_planes_avx512(const sim_wpack *p, const uint8_t *bytes,
                                   uint64_t *planes) {
  const int64_t n_px = p->hp * p->wp, words = p->words;
  for (int64_t px = 0; px < n_px; px++)
    for (int64_t d = 0; d < p->digits; d++)
      for (int64_t k = 0; k < words; k++) {
        __m512i v =
            _mm512_load_si512(bytes + (px * p->digits + d) * p->cp + k * 64);
        uint64_t *dst = planes + px * p->pix_len + 8 * d * words + k;
        int n = p->a_bits - 8 * (int)d < 8 ? p->a_bits - 8 * (int)d : 8;
        for (int b = 0; b < n; b++)
          dst[b * words] =
              _mm512_test_epi8_mask(v, _mm512_set1_epi8((char)(1 << b)));
      }
}

/* Byte digit `d` of the 4 channels from `c` (zero past cg_in) of the
 * pixels in mask `m` (at most 16) from `row` (channel 0 of the group;
 * channels `cstride` codes apart), as 16 quads with channel c in the low
 * byte. */
INLINE PACK_TARGET __m512i pack_quads(const sim_wpack *p, const uint16_t *row,
                                      int64_t cstride, int64_t c, int64_t d,
                                      __mmask16 m) {
  __m512i q = _mm512_setzero_si512();
  const __m128i sh = _mm_cvtsi64_si128(8 * d);
  for (int j = 0; j < 4 && c + j < p->cg_in; j++) {
    __m256i v = _mm256_maskz_loadu_epi16(m, row + (c + j) * cstride);
    __m512i b = _mm512_and_si512(_mm512_srl_epi32(_mm512_cvtepu16_epi32(v), sh),
                                 _mm512_set1_epi32(255));
    q = _mm512_or_si512(q, _mm512_slli_epi32(b, 8 * j));
  }
  return q;
}

/* One padded row of the input: interior pixels by 16, channel quads
 * scattered to their pixels (zeros past cg_in); border pixels zeroed. */
PACK_TARGET void sim_pack_row_avx512(const sim_wpack *p, const uint16_t *row0,
                                     int64_t cstride, uint8_t *drow) {
  const sim_conv_geom *g = &p->g;
  const int64_t px_bytes = p->digits * p->cp;
  /* 32-bit scatter offsets; negative padding (never from the workloads)
     goes the portable way */
  if (g->pad_l < 0 || g->pad_l > p->wp || 16 * px_bytes > INT32_MAX) {
    sim_pack_row_portable(p, row0, cstride, drow);
    return;
  }
  int64_t x_end = g->w_in < p->wp - g->pad_l ? g->w_in : p->wp - g->pad_l;
  if (x_end < 0)
    x_end = 0;
  memset(drow, 0, (size_t)(g->pad_l * px_bytes));
  memset(drow + (g->pad_l + x_end) * px_bytes, 0,
         (size_t)((p->wp - g->pad_l - x_end) * px_bytes));
  const __m512i idx = _mm512_mullo_epi32(
      _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
      _mm512_set1_epi32((int)px_bytes));
  for (int64_t x = 0; x < x_end; x += 16) {
    int n = x_end - x < 16 ? (int)(x_end - x) : 16;
    __mmask16 m = (__mmask16)((1u << n) - 1);
    const uint16_t *row = row0 + x;
    uint8_t *dst = drow + (g->pad_l + x) * px_bytes;
    for (int64_t d = 0; d < p->digits; d++)
      for (int64_t c = 0; c < p->cp; c += 4)
        _mm512_mask_i32scatter_epi32(dst + d * p->cp + c, m, idx,
                                     pack_quads(p, row, cstride, c, d, m), 1);
  }
}

#else /* not x86 */

int sim_cpu_has_f32_avx512(void) { return 0; }

void sim_f32_row_avx512(double *acc, int64_t ld, int nj, const float *x,
                        int64_t n, const double *wv) {
  sim_f32_row_portable(acc, ld, nj, x, 1, n, wv);
}

int sim_cpu_has_bp_avx512(void) { return 0; }
int sim_cpu_has_i8_avx512(void) { return 0; }

void sim_bp_block_avx512(const sim_wpack *p, const uint64_t *in,
                         const int64_t *pix, int n_pix, const uint64_t *w,
                         int64_t *tile) {
  sim_bp_block_portable(p, in, pix, n_pix, w, tile);
}

void sim_i8_block_avx512(const sim_wpack *p, const uint32_t *in,
                         const int64_t *pix, int n_pix, const int8_t *w,
                         int64_t *tile) {
  sim_i8_block_portable(p, in, pix, n_pix, w, tile);
}

void sim_pack_row_avx512(const sim_wpack *p, const uint16_t *row,
                         int64_t cstride, uint8_t *drow) {
  sim_pack_row_portable(p, row, cstride, drow);
}

void sim_planes_avx512(const sim_wpack *p, const uint8_t *bytes,
                       uint64_t *planes) {
  sim_planes_portable(p, bytes, planes);
}

void sim_tile_store_avx512(const sim_wpack *p, const int64_t *tile, int grp,
                           int64_t blk, int64_t p0, int n_pix,
                           const int64_t *ones, int64_t *out) {
  sim_tile_store(p, tile, grp, blk, p0, n_pix, ones, out);
}

#endif
