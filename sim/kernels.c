/*
 * kernels.c — exact convolution kernels.  Integer kernels compute
 * sum(a_code * w_code) exactly in int64: a bit-plane kernel (AND +
 * popcount over packed bit planes, for low bit widths) and a direct
 * kernel (int32 products, for wider codes).  The FP32 kernel sums exact
 * binary32 products in binary64 in a fixed order and rounds once.
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"

/* Input pixel index of output coordinate o and kernel offset k, or -1
 * when it falls in the padding. */
static inline int64_t in_coord(int64_t o, int stride, int k, int dil, int pad,
                               int64_t size) {
  int64_t i = o * stride - pad + (int64_t)k * dil;
  return (i >= 0 && i < size) ? i : -1;
}

static int oom(wr_err *e) {
  return wr_err_set(e, WR_ENOMEM, "out of memory in a conv kernel");
}

/* ---- direct kernel ------------------------------------------------------ */

int sim_conv_direct(const sim_conv_geom *g, const uint16_t *in, int a_bits,
                    const int32_t *w, int w_bits, int64_t *out, wr_err *e) {
  (void)a_bits;
  (void)w_bits;
  const int64_t cg_in = g->c_in / g->groups, cg_out = g->c_out / g->groups;
  const int64_t k_len = cg_in * g->kh * g->kw;
  const int64_t plane = g->h_in * g->w_in, oplane = g->h_out * g->w_out;
  int32_t *col = malloc((size_t)k_len * sizeof *col);
  if (!col)
    return oom(e);
  for (int grp = 0; grp < g->groups; grp++) {
    const uint16_t *gin = in + (int64_t)grp * cg_in * plane;
    for (int64_t oy = 0; oy < g->h_out; oy++)
      for (int64_t ox = 0; ox < g->w_out; ox++) {
        /* im2col of one output pixel, in (channel, row, column) order */
        int32_t *p = col;
        for (int64_t c = 0; c < cg_in; c++)
          for (int r = 0; r < g->kh; r++) {
            int64_t iy = in_coord(oy, g->sh, r, g->dh, g->pad_t, g->h_in);
            for (int s = 0; s < g->kw; s++) {
              int64_t ix = in_coord(ox, g->sw, s, g->dw, g->pad_l, g->w_in);
              *p++ =
                  (iy < 0 || ix < 0) ? 0 : gin[c * plane + iy * g->w_in + ix];
            }
          }
        for (int64_t o = 0; o < cg_out; o++) {
          int64_t oc = (int64_t)grp * cg_out + o;
          const int32_t *wo = w + oc * k_len;
          int64_t acc = 0;
          /* |a*w| < 2^31 for codes of at most 16 bits */
          for (int64_t k = 0; k < k_len; k++)
            acc += (int64_t)(col[k] * wo[k]);
          out[oc * oplane + oy * g->w_out + ox] = acc;
        }
      }
  }
  free(col);
  return WR_OK;
}

/* ---- bit-plane kernel --------------------------------------------------- */

/* Number of bit planes a weight code needs: two's complement for 2..16
 * bits, a single "is +1" plane for binary weights. */
static int weight_planes(int w_bits) { return w_bits == 1 ? 1 : w_bits; }

typedef struct bp_ctx {
  const sim_conv_geom *g;
  int a_bits, w_bits, wp;
  int64_t words;    /* 64-bit words per plane of one group's channels */
  uint64_t *in_p;   /* [pixel][a plane][word] */
  uint64_t *w_p;    /* [out ch][r][s][w plane][word] */
  int32_t *in_ones; /* binary weights: popcount of each input plane */
} bp_ctx;

static void pack_input(bp_ctx *b, const uint16_t *gin, int64_t cg_in) {
  const sim_conv_geom *g = b->g;
  const int64_t plane = g->h_in * g->w_in, stride = b->a_bits * b->words;
  memset(b->in_p, 0, (size_t)(plane * stride) * sizeof *b->in_p);
  for (int64_t c = 0; c < cg_in; c++) {
    uint64_t bit = UINT64_C(1) << (c & 63);
    int64_t word = c >> 6;
    for (int64_t px = 0; px < plane; px++) {
      uint32_t code = gin[c * plane + px];
      uint64_t *dst = b->in_p + px * stride + word;
      for (int i = 0; code; i++, code >>= 1)
        if (code & 1)
          dst[i * b->words] |= bit;
    }
  }
  if (b->w_bits == 1)
    for (int64_t px = 0; px < plane; px++)
      for (int i = 0; i < b->a_bits; i++) {
        int32_t n = 0;
        for (int64_t wd = 0; wd < b->words; wd++)
          n += __builtin_popcountll(b->in_p[px * stride + i * b->words + wd]);
        b->in_ones[px * b->a_bits + i] = n;
      }
}

static void pack_weights(bp_ctx *b, const int32_t *w, int64_t cg_in,
                         int64_t cg_out, int64_t first_out) {
  const sim_conv_geom *g = b->g;
  const int64_t taps = (int64_t)g->kh * g->kw, per_tap = b->wp * b->words;
  memset(b->w_p, 0, (size_t)(cg_out * taps * per_tap) * sizeof *b->w_p);
  for (int64_t o = 0; o < cg_out; o++)
    for (int64_t c = 0; c < cg_in; c++)
      for (int64_t t = 0; t < taps; t++) {
        int32_t v = w[((first_out + o) * cg_in + c) * taps + t];
        uint32_t bits = b->w_bits == 1 ? (v > 0) : (uint32_t)v;
        uint64_t *dst = b->w_p + (o * taps + t) * per_tap + (c >> 6);
        for (int j = 0; j < b->wp; j++)
          if ((bits >> j) & 1)
            dst[j * b->words] |= UINT64_C(1) << (c & 63);
      }
}

/* popcount of the AND of two plane rows of `n` words */
static inline int64_t and_count(const uint64_t *x, const uint64_t *y,
                                int64_t n) {
  int64_t s = 0;
  for (int64_t k = 0; k < n; k++)
    s += __builtin_popcountll(x[k] & y[k]);
  return s;
}

static int64_t bp_dot(const bp_ctx *b, int64_t oy, int64_t ox, int64_t o) {
  const sim_conv_geom *g = b->g;
  const int64_t in_stride = b->a_bits * b->words, per_tap = b->wp * b->words;
  int64_t acc = 0;
  for (int r = 0; r < g->kh; r++) {
    int64_t iy = in_coord(oy, g->sh, r, g->dh, g->pad_t, g->h_in);
    if (iy < 0)
      continue;
    for (int s = 0; s < g->kw; s++) {
      int64_t ix = in_coord(ox, g->sw, s, g->dw, g->pad_l, g->w_in);
      if (ix < 0)
        continue;
      int64_t px = iy * g->w_in + ix;
      const uint64_t *ip = b->in_p + px * in_stride;
      const uint64_t *wp =
          b->w_p + (o * g->kh * g->kw + (int64_t)r * g->kw + s) * per_tap;
      for (int i = 0; i < b->a_bits; i++) {
        const uint64_t *ai = ip + i * b->words;
        if (b->w_bits == 1) {
          int64_t pos = and_count(ai, wp, b->words);
          acc += (2 * pos - b->in_ones[px * b->a_bits + i]) * (INT64_C(1) << i);
          continue;
        }
        for (int j = 0; j < b->wp; j++) {
          int64_t n = and_count(ai, wp + j * b->words, b->words);
          int64_t term = n * (INT64_C(1) << (i + j));
          acc += j == b->wp - 1 ? -term : term; /* sign plane */
        }
      }
    }
  }
  return acc;
}

int sim_conv_bitplane(const sim_conv_geom *g, const uint16_t *in, int a_bits,
                      const int32_t *w, int w_bits, int64_t *out, wr_err *e) {
  const int64_t cg_in = g->c_in / g->groups, cg_out = g->c_out / g->groups;
  const int64_t plane = g->h_in * g->w_in, oplane = g->h_out * g->w_out;
  bp_ctx b = {.g = g, .a_bits = a_bits, .w_bits = w_bits};
  b.wp = weight_planes(w_bits);
  b.words = (cg_in + 63) / 64;
  b.in_p = malloc((size_t)(plane * a_bits * b.words) * sizeof *b.in_p);
  b.w_p =
      malloc((size_t)(cg_out * g->kh * g->kw * b.wp * b.words) * sizeof *b.w_p);
  b.in_ones = malloc((size_t)(plane * a_bits) * sizeof *b.in_ones);
  if (!b.in_p || !b.w_p || !b.in_ones) {
    free(b.in_p);
    free(b.w_p);
    free(b.in_ones);
    return oom(e);
  }
  for (int grp = 0; grp < g->groups; grp++) {
    pack_input(&b, in + (int64_t)grp * cg_in * plane, cg_in);
    pack_weights(&b, w, cg_in, cg_out, (int64_t)grp * cg_out);
    for (int64_t o = 0; o < cg_out; o++) {
      int64_t *dst = out + ((int64_t)grp * cg_out + o) * oplane;
      for (int64_t oy = 0; oy < g->h_out; oy++)
        for (int64_t ox = 0; ox < g->w_out; ox++)
          dst[oy * g->w_out + ox] = bp_dot(&b, oy, ox, o);
    }
  }
  free(b.in_p);
  free(b.w_p);
  free(b.in_ones);
  return WR_OK;
}

int sim_conv_int(const sim_conv_geom *g, const uint16_t *in, int a_bits,
                 const int32_t *w, int w_bits, int64_t *out, wr_err *e) {
  /* bit planes pay off while the plane pairs stay few and each word holds
     many channels */
  int pairs = a_bits * weight_planes(w_bits);
  if (pairs <= 16 && g->c_in / g->groups >= 16)
    return sim_conv_bitplane(g, in, a_bits, w, w_bits, out, e);
  return sim_conv_direct(g, in, a_bits, w, w_bits, out, e);
}

/* ---- FP32 kernel -------------------------------------------------------- */

void sim_conv_f32(const sim_conv_geom *g, const float *in, const float *w,
                  float *out) {
  const int64_t cg_in = g->c_in / g->groups, cg_out = g->c_out / g->groups;
  const int64_t plane = g->h_in * g->w_in, oplane = g->h_out * g->w_out;
  for (int64_t oc = 0; oc < g->c_out; oc++) {
    int64_t grp = oc / cg_out;
    const float *gin = in + grp * cg_in * plane;
    const float *wo = w + oc * cg_in * g->kh * g->kw;
    for (int64_t oy = 0; oy < g->h_out; oy++)
      for (int64_t ox = 0; ox < g->w_out; ox++) {
        double acc = 0.0;
        for (int64_t c = 0; c < cg_in; c++)
          for (int r = 0; r < g->kh; r++) {
            int64_t iy = in_coord(oy, g->sh, r, g->dh, g->pad_t, g->h_in);
            if (iy < 0)
              continue;
            for (int s = 0; s < g->kw; s++) {
              int64_t ix = in_coord(ox, g->sw, s, g->dw, g->pad_l, g->w_in);
              if (ix < 0)
                continue;
              /* the product of two binary32 values is exact in binary64 */
              acc += (double)gin[c * plane + iy * g->w_in + ix] *
                     (double)wo[(c * g->kh + r) * g->kw + s];
            }
          }
        out[oc * oplane + oy * g->w_out + ox] = (float)acc;
      }
  }
}
