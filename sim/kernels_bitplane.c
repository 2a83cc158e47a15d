/*
 * kernels_bitplane.c — the bit-plane kernel: codes split into bit planes
 * of 64 channels a word, sum(a * w) = sum over plane pairs (i, j) of
 * +-2^(i+j) * popcount(a_i & w_j) (the weights' top plane is the two's
 * complement sign plane; binary weights are one "is +1" plane, with
 * a * (+-1) = 2 * [w = +1] * a - a).  Weights are packed once (sim_wpack),
 * the input once per call; blocks of pixels x output channels go to the
 * AVX-512 (VPOPCNTDQ) or the portable block function.
 */
#include <stdlib.h>
#include <string.h>

#include "kernels_internal.h"

/* Packs the weight codes `w` into w_p: [grp][blk][w plane][tap][word]
 * [lane], zero in lanes past the group's output channels.  Can't fail. */
static void pack_weights(sim_wpack *p, const int32_t *w) {
  const int64_t L = p->blk_oc, words = p->words;
  for (int64_t oc = 0; oc < p->g.c_out; oc++) {
    int64_t grp = oc / p->cg_out, o = oc % p->cg_out;
    uint64_t *wb = p->w_p + (grp * p->n_blk + o / L) * p->blk_len + o % L;
    for (int64_t c = 0; c < p->cg_in; c++)
      for (int64_t t = 0; t < p->taps; t++) {
        int32_t v = w[(oc * p->cg_in + c) * p->taps + t];
        uint32_t bits = p->w_bits == 1 ? (v > 0) : (uint32_t)v;
        for (int j = 0; j < p->wplanes; j++)
          if ((bits >> j) & 1)
            wb[((j * p->taps + t) * words + (c >> 6)) * L] |= UINT64_C(1)
                                                              << (c & 63);
      }
  }
}

int sim_bp_prepare(sim_wpack *p, const int32_t *w, wr_err *e) {
  p->wplanes = p->w_bits == 1 ? 1 : p->w_bits;
  p->words = (p->cg_in + 63) / 64;
  int64_t vecs = (p->cg_out + SIM_BP_LANES - 1) / SIM_BP_LANES;
  p->vecs = vecs < SIM_BLOCK_VECS ? (vecs > 0 ? (int)vecs : 1) : SIM_BLOCK_VECS;
  p->blk_oc = (int64_t)p->vecs * SIM_BP_LANES;
  p->n_blk = (p->cg_out + p->blk_oc - 1) / p->blk_oc;
  p->blk_len = p->wplanes * p->taps * p->words * p->blk_oc;
  int rc = sim_layout_init(p, 64 * p->words, p->a_bits * p->words, e);
  if (rc != WR_OK)
    return rc;
  int64_t n = p->g.groups * p->n_blk * p->blk_len;
  p->w_p = sim_alloc64(n, sizeof *p->w_p);
  if (!p->w_p)
    return sim_kernel_oom(e);
  memset(p->w_p, 0, (size_t)n * sizeof *p->w_p);
  pack_weights(p, w);
  return WR_OK;
}

/* Eight channels' bit `b` of eight bytes (little-endian in x), as bits
 * 0..7: the mask isolates the bit of each byte, the multiplication
 * gathers byte j's bit into bit 56 + j without carries. */
static inline uint64_t byte_bits(uint64_t x, int b) {
  return (((x >> b) & UINT64_C(0x0101010101010101)) *
          UINT64_C(0x0102040810204080)) >>
         56;
}

void sim_planes_portable(const sim_wpack *p, const uint8_t *bytes,
                         uint64_t *planes) {
  const int64_t n_px = p->hp * p->wp, words = p->words;
  for (int64_t px = 0; px < n_px; px++)
    for (int i = 0; i < p->a_bits; i++)
      for (int64_t k = 0; k < words; k++) {
        const uint8_t *src = bytes + (px * p->digits + i / 8) * p->cp + k * 64;
        uint64_t word = 0;
        for (int64_t q = 0; q < 8; q++) {
          uint64_t x;
          memcpy(&x, src + 8 * q, sizeof x);
          word |= byte_bits(x, i % 8) << (8 * q);
        }
        planes[px * p->pix_len + i * words + k] = word;
      }
}

/* The input's weighted ones under each output pixel's window,
 * sum_i 2^i * popcount(a_i) (for binary weights), into ones[n_pix];
 * `px_ones` is scratch of hp * wp.  Can't fail. */
__attribute__((target_clones("popcnt", "default"))) static void
window_ones(const sim_wpack *p, const uint64_t *planes, int64_t *px_ones,
            int64_t *ones) {
  const int64_t n_px = p->hp * p->wp;
  for (int64_t px = 0; px < n_px; px++) {
    int64_t s = 0;
    for (int i = 0; i < p->a_bits; i++)
      for (int64_t k = 0; k < p->words; k++)
        s += (int64_t)__builtin_popcountll(
                 planes[px * p->pix_len + i * p->words + k])
             << i;
    px_ones[px] = s;
  }
  const sim_conv_geom *g = &p->g;
  for (int64_t oy = 0; oy < g->h_out; oy++)
    for (int64_t ox = 0; ox < g->w_out; ox++) {
      const int64_t *win = px_ones + oy * g->sh * p->wp + ox * g->sw;
      int64_t s = 0;
      for (int r = 0; r < g->kh; r++)
        for (int c = 0; c < g->kw; c++)
          s += win[(int64_t)r * g->dh * p->wp + (int64_t)c * g->dw];
      ones[oy * g->w_out + ox] = s;
    }
}

/* Compiled for CPUs with and without the POPCNT instruction; the loader
 * picks the clone the running CPU supports (GCC/Clang target_clones). */
__attribute__((target_clones("popcnt", "default"))) void
sim_bp_block_portable(const sim_wpack *p, const uint64_t *in,
                      const int64_t *pix, int n_pix, const uint64_t *w,
                      int64_t *tile) {
  const int64_t L = p->blk_oc, words = p->words, taps = p->taps;
  uint64_t cnt[SIM_BLOCK_PIX * SIM_BLOCK_VECS * SIM_BP_LANES];
  memset(tile, 0, (size_t)(n_pix * L) * sizeof *tile);
  for (int i = 0; i < p->a_bits; i++)
    for (int j = 0; j < p->wplanes; j++) {
      memset(cnt, 0, sizeof cnt);
      const uint64_t *wj = w + j * taps * words * L;
      for (int64_t t = 0; t < taps; t++)
        for (int64_t k = 0; k < words; k++) {
          const uint64_t *wk = wj + (t * words + k) * L;
          for (int q = 0; q < n_pix; q++) {
            uint64_t a = in[pix[q] + p->tap_off[t] + i * words + k];
            for (int64_t l = 0; l < L; l++)
              cnt[q * L + l] += (uint64_t)__builtin_popcountll(a & wk[l]);
          }
        }
      /* binary weights: 2 * 2^i * positives; else the sign plane counts
         negative */
      int64_t f = p->w_bits == 1 ? INT64_C(2) << i : INT64_C(1) << (i + j);
      if (p->w_bits > 1 && j == p->wplanes - 1)
        f = -f;
      for (int64_t k = 0; k < n_pix * L; k++)
        tile[k] += (int64_t)cnt[k] * f;
    }
}

int sim_bp_conv(const sim_wpack *p, const sim_src *in, int64_t *out,
                wr_err *e) {
  const sim_conv_geom *g = &p->g;
  const int avx = p->isa == SIM_ISA_AVX512;
  sim_pack_row_fn pack = avx ? sim_pack_row_avx512 : sim_pack_row_portable;
  sim_planes_fn to_planes = avx ? sim_planes_avx512 : sim_planes_portable;
  sim_bp_block_fn block = avx ? sim_bp_block_avx512 : sim_bp_block_portable;
  sim_store_fn store = avx ? sim_tile_store_avx512 : sim_tile_store;
  const int64_t n_px = p->hp * p->wp, binary = p->w_bits == 1;
  uint8_t *bytes = sim_alloc64(n_px * p->digits, p->cp);
  uint64_t *planes = sim_alloc64(n_px * p->pix_len, sizeof *planes);
  int64_t *px_ones = binary ? sim_alloc64(n_px, sizeof *px_ones) : NULL;
  int64_t *ones = binary ? sim_alloc64(p->n_pix, sizeof *ones) : NULL;
  int row_ok;
  uint16_t *row = sim_row_scratch(p, in, &row_ok);
  int64_t tile[SIM_BLOCK_PIX * SIM_BLOCK_VECS * SIM_BP_LANES];
  int rc = WR_OK;
  if (!bytes || !planes || !row_ok || (binary && (!px_ones || !ones)))
    rc = sim_kernel_oom(e);
  for (int grp = 0; rc == WR_OK && grp < g->groups; grp++) {
    sim_pack_hwc(p, in, grp, pack, row, bytes);
    to_planes(p, bytes, planes);
    if (binary)
      window_ones(p, planes, px_ones, ones);
    for (int64_t b = 0; b < p->n_blk; b++) {
      const uint64_t *wb = p->w_p + (grp * p->n_blk + b) * p->blk_len;
      for (int64_t q = 0; q < p->n_pix; q += SIM_BLOCK_PIX) {
        int n =
            p->n_pix - q < SIM_BLOCK_PIX ? (int)(p->n_pix - q) : SIM_BLOCK_PIX;
        block(p, planes, p->pix_off + q, n, wb, tile);
        store(p, tile, grp, b, q, n, binary ? ones + q : NULL, out);
      }
    }
  }
  free(bytes);
  free(row);
  free(planes);
  free(px_ones);
  free(ones);
  return rc;
}
