/*
 * kernels_int8.c — the int8 kernel: products of unsigned activation bytes
 * and signed weight digits, summed four at a time into 32-bit lanes (the
 * shape of AVX-512 VNNI vpdpbusd).  Codes of up to 8 bits are one byte /
 * one digit; wider codes split into bytes a = sum_d a_d 2^(8d) and signed
 * 7-bit digits w = sum_e w_e 2^(7e) (low digits 0..127, the top one
 * signed), one pass per digit pair.  32-bit partial sums run over chunks
 * of the reduction short enough that they can't overflow and are added
 * into int64, so the sums are exact.  Weights are packed once (sim_wpack),
 * the input once per call; blocks of pixels x output channels go to the
 * AVX-512 or the portable block function.
 */
#include <stdlib.h>
#include <string.h>

#include "kernels_internal.h"

/* Signed 7-bit digits of weight codes of `w_bits`: 1 up to 8 bits (the
 * code itself fits int8), 2 up to 15 bits (top digit within +-128), 3
 * for 16 bits. */
static int weight_digits(int w_bits) {
  return w_bits <= 8 ? 1 : w_bits <= 15 ? 2 : 3;
}

/* Digit e of code v split into `n` digits: low digits in 0..127, the top
 * digit signed (exact division, no shifts of negative values). */
static int8_t weight_digit(int32_t v, int n, int e) {
  for (int k = 0; k < n - 1; k++) {
    int32_t d = ((v % 128) + 128) % 128;
    if (k == e)
      return (int8_t)d;
    v = (v - d) / 128;
  }
  return (int8_t)v;
}

/* Sets the chunks of the reduction (taps x quads) over which 32-bit
 * partial sums can't overflow: chunk_taps * chunk_quads * 4 products of
 * at most max|a digit| * max|w digit| each stay below 2^31. */
static void set_chunks(sim_wpack *p) {
  int64_t a_max = p->digits == 1 ? (INT64_C(1) << p->a_bits) - 1 : 255;
  int64_t w_max = p->wdigits > 1   ? 128
                  : p->w_bits == 1 ? 1
                                   : (INT64_C(1) << (p->w_bits - 1)) - 1;
  int64_t max_quads = INT32_MAX / (4 * a_max * w_max);
  if (p->quads == 0) {
    p->chunk_quads = 1;
    p->chunk_taps = p->taps > 0 ? p->taps : 1;
  } else if (p->quads <= max_quads) {
    p->chunk_quads = p->quads;
    p->chunk_taps = max_quads / p->quads;
  } else {
    p->chunk_quads = max_quads;
    p->chunk_taps = 1;
  }
}

/* Packs the weight codes `w` into w_i8: [grp][blk][w digit][tap][quad]
 * [lane][4], zero in lanes and channels past the group's.  Can't fail. */
static void pack_weights(sim_wpack *p, const int32_t *w) {
  const int64_t L = p->blk_oc;
  for (int64_t oc = 0; oc < p->g.c_out; oc++) {
    int64_t grp = oc / p->cg_out, o = oc % p->cg_out;
    int8_t *wb = p->w_i8 + (grp * p->n_blk + o / L) * p->blk_len + o % L * 4;
    for (int64_t c = 0; c < p->cg_in; c++)
      for (int64_t t = 0; t < p->taps; t++) {
        int32_t v = w[(oc * p->cg_in + c) * p->taps + t];
        for (int d = 0; d < p->wdigits; d++)
          wb[((d * p->taps + t) * p->quads + c / 4) * L * 4 + c % 4] =
              weight_digit(v, p->wdigits, d);
      }
  }
}

int sim_i8_prepare(sim_wpack *p, const int32_t *w, wr_err *e) {
  p->wdigits = weight_digits(p->w_bits);
  p->quads = (p->cg_in + 3) / 4;
  int64_t vecs = (p->cg_out + SIM_I8_LANES - 1) / SIM_I8_LANES;
  p->vecs = vecs < SIM_BLOCK_VECS ? (vecs > 0 ? (int)vecs : 1) : SIM_BLOCK_VECS;
  p->blk_oc = (int64_t)p->vecs * SIM_I8_LANES;
  p->n_blk = (p->cg_out + p->blk_oc - 1) / p->blk_oc;
  p->blk_len = p->wdigits * p->taps * p->quads * p->blk_oc * 4;
  int64_t digits = (p->a_bits + 7) / 8;
  int rc = sim_layout_init(p, 4 * p->quads, digits * p->quads, e);
  if (rc != WR_OK)
    return rc;
  set_chunks(p);
  int64_t n = p->g.groups * p->n_blk * p->blk_len;
  p->w_i8 = sim_alloc64(n, 1);
  if (!p->w_i8)
    return sim_kernel_oom(e);
  memset(p->w_i8, 0, (size_t)n);
  pack_weights(p, w);
  return WR_OK;
}

/* One chunk of one digit pair: acc[pixel][lane] (int32, zeroed here) =
 * sum over taps [range[0], range[1]) and quads [range[2], range[3]) of
 * the four byte products; `d_off` selects the activation byte, `w` the
 * weight digit.  Can't fail. */
static void i8_chunk_portable(const sim_wpack *p, const uint32_t *in,
                              const int64_t *pix, int n_pix, const int8_t *w,
                              int64_t d_off, const int64_t range[4],
                              int32_t *acc) {
  const int64_t L = p->blk_oc;
  memset(acc, 0, (size_t)(n_pix * L) * sizeof *acc);
  for (int64_t t = range[0]; t < range[1]; t++)
    for (int64_t q = range[2]; q < range[3]; q++) {
      const int8_t *wq = w + (t * p->quads + q) * L * 4;
      for (int i = 0; i < n_pix; i++) {
        uint32_t a = in[pix[i] + p->tap_off[t] + d_off + q];
        int32_t a0 = (int32_t)(a & 255), a1 = (int32_t)((a >> 8) & 255);
        int32_t a2 = (int32_t)((a >> 16) & 255), a3 = (int32_t)(a >> 24);
        int32_t *ac = acc + i * L;
        for (int64_t l = 0; l < L; l++)
          ac[l] += a0 * wq[4 * l] + a1 * wq[4 * l + 1] + a2 * wq[4 * l + 2] +
                   a3 * wq[4 * l + 3];
      }
    }
}

void sim_i8_block_portable(const sim_wpack *p, const uint32_t *in,
                           const int64_t *pix, int n_pix, const int8_t *w,
                           int64_t *tile) {
  const int64_t L = p->blk_oc;
  int32_t acc[SIM_BLOCK_PIX * SIM_BLOCK_VECS * SIM_I8_LANES];
  memset(tile, 0, (size_t)(n_pix * L) * sizeof *tile);
  for (int64_t d = 0; d < p->digits; d++)
    for (int e = 0; e < p->wdigits; e++) {
      const int8_t *we = w + e * p->taps * p->quads * L * 4;
      int64_t f = INT64_C(1) << (8 * d + 7 * (int64_t)e);
      for (int64_t t0 = 0; t0 < p->taps; t0 += p->chunk_taps)
        for (int64_t q0 = 0; q0 < p->quads; q0 += p->chunk_quads) {
          int64_t range[4] = {t0, t0 + p->chunk_taps, q0, q0 + p->chunk_quads};
          if (range[1] > p->taps)
            range[1] = p->taps;
          if (range[3] > p->quads)
            range[3] = p->quads;
          i8_chunk_portable(p, in, pix, n_pix, we, d * p->quads, range, acc);
          for (int64_t k = 0; k < n_pix * L; k++)
            tile[k] += acc[k] * f;
        }
    }
}

int sim_i8_conv(const sim_wpack *p, const sim_src *in, int64_t *out,
                wr_err *e) {
  const sim_conv_geom *g = &p->g;
  const int avx = p->isa == SIM_ISA_AVX512;
  sim_pack_row_fn pack = avx ? sim_pack_row_avx512 : sim_pack_row_portable;
  sim_i8_block_fn block = avx ? sim_i8_block_avx512 : sim_i8_block_portable;
  sim_store_fn store = avx ? sim_tile_store_avx512 : sim_tile_store;
  uint32_t *quads = sim_alloc64(p->hp * p->wp * p->digits, p->cp);
  int row_ok;
  uint16_t *row = sim_row_scratch(p, in, &row_ok);
  if (!quads || !row_ok) {
    free(quads);
    free(row);
    return sim_kernel_oom(e);
  }
  int64_t tile[SIM_BLOCK_PIX * SIM_BLOCK_VECS * SIM_I8_LANES];
  for (int grp = 0; grp < g->groups; grp++) {
    sim_pack_hwc(p, in, grp, pack, row, (uint8_t *)quads);
    for (int64_t b = 0; b < p->n_blk; b++) {
      const int8_t *wb = p->w_i8 + (grp * p->n_blk + b) * p->blk_len;
      for (int64_t q = 0; q < p->n_pix; q += SIM_BLOCK_PIX) {
        int n =
            p->n_pix - q < SIM_BLOCK_PIX ? (int)(p->n_pix - q) : SIM_BLOCK_PIX;
        block(p, quads, p->pix_off + q, n, wb, tile);
        store(p, tile, grp, b, q, n, NULL, out);
      }
    }
  }
  free(quads);
  free(row);
  return WR_OK;
}
