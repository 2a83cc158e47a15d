/*
 * kernels_hwc.c — the padded channels-last input layout of the bit-plane
 * and int8 kernels (see kernels_internal.h): its geometry and offsets,
 * the portable packing of CHW codes into it, and the store of a block's
 * sums into the CHW output.
 */
#include <stdlib.h>
#include <string.h>

#include "kernels_internal.h"

void *sim_alloc64(int64_t n, int64_t size) {
  int64_t bytes;
  if (n < 0 || size < 0 || __builtin_mul_overflow(n, size, &bytes) ||
      bytes > INT64_MAX - 128)
    return NULL;
  bytes = (bytes + 127) / 64 * 64; /* at least 64, a multiple of 64 */
  return aligned_alloc(64, (size_t)bytes);
}

/* Padded extent of one input axis: the span of the windows of `n_out`
 * outputs (at least 1). */
static int64_t padded_extent(int64_t n_out, int stride, int k, int dil) {
  if (n_out < 1)
    return 1;
  return (n_out - 1) * stride + (int64_t)(k - 1) * dil + 1;
}

int sim_layout_init(sim_wpack *p, int64_t cp, int64_t pix_len, wr_err *e) {
  const sim_conv_geom *g = &p->g;
  p->hp = padded_extent(g->h_out, g->sh, g->kh, g->dh);
  p->wp = padded_extent(g->w_out, g->sw, g->kw, g->dw);
  p->digits = (p->a_bits + 7) / 8;
  p->cp = cp;
  p->pix_len = pix_len;
  p->pix_off = sim_alloc64(p->n_pix, sizeof *p->pix_off);
  p->tap_off = sim_alloc64(p->taps, sizeof *p->tap_off);
  if (!p->pix_off || !p->tap_off)
    return sim_kernel_oom(e);
  for (int64_t oy = 0; oy < g->h_out; oy++)
    for (int64_t ox = 0; ox < g->w_out; ox++)
      p->pix_off[oy * g->w_out + ox] =
          (oy * g->sh * p->wp + ox * g->sw) * pix_len;
  for (int r = 0; r < g->kh; r++)
    for (int s = 0; s < g->kw; s++)
      p->tap_off[r * g->kw + s] =
          ((int64_t)r * g->dh * p->wp + (int64_t)s * g->dw) * pix_len;
  return WR_OK;
}

void sim_pack_row_portable(const sim_wpack *p, const uint16_t *row,
                           int64_t cstride, uint8_t *drow) {
  const sim_conv_geom *g = &p->g;
  const int64_t px_bytes = p->digits * p->cp;
  memset(drow, 0, (size_t)(p->wp * px_bytes));
  for (int64_t c = 0; c < p->cg_in; c++)
    for (int64_t ix = 0; ix < g->w_in; ix++) {
      int64_t px = ix + g->pad_l;
      if (px < 0 || px >= p->wp)
        continue;
      uint32_t v = row[c * cstride + ix];
      uint8_t *d = drow + px * px_bytes + c;
      for (int64_t k = 0; k < p->digits; k++)
        d[k * p->cp] = (uint8_t)(v >> (8 * k));
    }
}

/* Input rows unpacked at a time: at least 256 codes of each channel (so
 * that unpacking runs over whole words), at most the input's rows. */
static int64_t band_rows(const sim_wpack *p) {
  int64_t r = (256 + p->g.w_in - 1) / (p->g.w_in > 0 ? p->g.w_in : 1);
  return r < p->g.h_in ? r : (p->g.h_in > 0 ? p->g.h_in : 1);
}

uint16_t *sim_row_scratch(const sim_wpack *p, const sim_src *in, int *ok) {
  if (in->codes) {
    *ok = 1;
    return NULL;
  }
  uint16_t *row = sim_alloc64(p->cg_in * band_rows(p) * p->g.w_in, sizeof *row);
  *ok = row != NULL;
  return row;
}

/* Unpacks input rows [iy, iy + rows) of every channel of the group from
 * channel c0 into band[channel][row][x] (`R` rows a channel). */
static void unpack_band(const sim_wpack *p, const sim_packed *in, int64_t c0,
                        int64_t iy, int64_t rows, int64_t R, uint16_t *band) {
  const sim_conv_geom *g = &p->g;
  const int64_t plane = g->h_in * g->w_in;
  if (R == g->h_in) { /* whole planes: adjacent in both */
    sim_packed_unpack(in, c0 * plane, p->cg_in * plane, band);
    return;
  }
  for (int64_t c = 0; c < p->cg_in; c++)
    sim_packed_unpack(in, (c0 + c) * plane + iy * g->w_in, rows * g->w_in,
                      band + c * R * g->w_in);
}

void sim_pack_hwc(const sim_wpack *p, const sim_src *in, int grp,
                  sim_pack_row_fn row_fn, uint16_t *band, uint8_t *dst) {
  const sim_conv_geom *g = &p->g;
  const int64_t row_bytes = p->wp * p->digits * p->cp;
  const int64_t plane = g->h_in * g->w_in, c0 = (int64_t)grp * p->cg_in;
  const int64_t R = band_rows(p);
  int64_t band0 = -1; /* the first input row in `band`, or none */
  for (int64_t py = 0; py < p->hp; py++) {
    int64_t iy = py - g->pad_t;
    uint8_t *drow = dst + py * row_bytes;
    if (iy < 0 || iy >= g->h_in) {
      memset(drow, 0, (size_t)row_bytes);
    } else if (in->codes) {
      row_fn(p, in->codes + c0 * plane + iy * g->w_in, plane, drow);
    } else {
      if (band0 < 0 || iy < band0 || iy >= band0 + R) {
        band0 = R == g->h_in ? 0 : iy;
        int64_t rows = g->h_in - band0 < R ? g->h_in - band0 : R;
        unpack_band(p, in->packed, c0, band0, rows, R, band);
      }
      row_fn(p, band + (iy - band0) * g->w_in, R * g->w_in, drow);
    }
  }
}

void sim_tile_store(const sim_wpack *p, const int64_t *tile, int grp,
                    int64_t blk, int64_t p0, int n_pix, const int64_t *ones,
                    int64_t *out) {
  int64_t n_oc = p->cg_out - blk * p->blk_oc;
  if (n_oc > p->blk_oc)
    n_oc = p->blk_oc;
  int64_t oc0 = (int64_t)grp * p->cg_out + blk * p->blk_oc;
  for (int64_t l = 0; l < n_oc; l++) {
    int64_t *dst = out + (oc0 + l) * p->n_pix + p0;
    for (int i = 0; i < n_pix; i++)
      dst[i] = tile[i * p->blk_oc + l] - (ones ? ones[i] : 0);
  }
}
