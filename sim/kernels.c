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

/* Number of bit planes a weight code needs: two's complement for 2..16
 * bits, a single "is +1" plane for binary weights. */
static int weight_planes(int w_bits) { return w_bits == 1 ? 1 : w_bits; }

struct sim_wpack {
  sim_conv_geom g;
  sim_kernel kind;
  int a_bits, w_bits, wp;
  int64_t cg_in, cg_out, words, k_len;
  int32_t *w;    /* direct: the weight codes */
  uint64_t *w_p; /* bit planes: [group][out ch][r][s][w plane][word] */
};

/* ---- direct kernel ------------------------------------------------------ */

static int conv_direct(const sim_wpack *p, const uint16_t *in, int64_t *out,
                       wr_err *e) {
  const sim_conv_geom *g = &p->g;
  const int64_t cg_in = p->cg_in, cg_out = p->cg_out, k_len = p->k_len;
  const int64_t plane = g->h_in * g->w_in, oplane = g->h_out * g->w_out;
  int32_t *col = malloc((size_t)k_len * sizeof *col);
  if (!col)
    return oom(e);
  for (int grp = 0; grp < g->groups; grp++) {
    const uint16_t *gin = in + (int64_t)grp * cg_in * plane;
    for (int64_t oy = 0; oy < g->h_out; oy++)
      for (int64_t ox = 0; ox < g->w_out; ox++) {
        /* im2col of one output pixel, in (channel, row, column) order */
        int32_t *q = col;
        for (int64_t c = 0; c < cg_in; c++)
          for (int r = 0; r < g->kh; r++) {
            int64_t iy = in_coord(oy, g->sh, r, g->dh, g->pad_t, g->h_in);
            for (int s = 0; s < g->kw; s++) {
              int64_t ix = in_coord(ox, g->sw, s, g->dw, g->pad_l, g->w_in);
              *q++ =
                  (iy < 0 || ix < 0) ? 0 : gin[c * plane + iy * g->w_in + ix];
            }
          }
        for (int64_t o = 0; o < cg_out; o++) {
          int64_t oc = (int64_t)grp * cg_out + o;
          const int32_t *wo = p->w + oc * k_len;
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

/* Packs one group's input codes into bit planes: [pixel][a plane][word];
 * for binary weights also counts the ones of each plane. */
static void pack_input(const sim_wpack *p, const uint16_t *gin, uint64_t *in_p,
                       int32_t *in_ones) {
  const sim_conv_geom *g = &p->g;
  const int64_t plane = g->h_in * g->w_in, stride = p->a_bits * p->words;
  memset(in_p, 0, (size_t)(plane * stride) * sizeof *in_p);
  for (int64_t c = 0; c < p->cg_in; c++) {
    uint64_t bit = UINT64_C(1) << (c & 63);
    int64_t word = c >> 6;
    for (int64_t px = 0; px < plane; px++) {
      uint32_t code = gin[c * plane + px];
      uint64_t *dst = in_p + px * stride + word;
      for (int i = 0; code; i++, code >>= 1)
        if (code & 1)
          dst[i * p->words] |= bit;
    }
  }
  if (p->w_bits == 1)
    for (int64_t px = 0; px < plane; px++)
      for (int i = 0; i < p->a_bits; i++) {
        int32_t n = 0;
        for (int64_t wd = 0; wd < p->words; wd++)
          n += __builtin_popcountll(in_p[px * stride + i * p->words + wd]);
        in_ones[px * p->a_bits + i] = n;
      }
}

static void pack_weights(sim_wpack *p, const int32_t *w) {
  const sim_conv_geom *g = &p->g;
  const int64_t taps = (int64_t)g->kh * g->kw, per_tap = p->wp * p->words;
  for (int64_t oc = 0; oc < g->c_out; oc++)
    for (int64_t c = 0; c < p->cg_in; c++)
      for (int64_t t = 0; t < taps; t++) {
        int32_t v = w[(oc * p->cg_in + c) * taps + t];
        uint32_t bits = p->w_bits == 1 ? (v > 0) : (uint32_t)v;
        uint64_t *dst = p->w_p + (oc * taps + t) * per_tap + (c >> 6);
        for (int j = 0; j < p->wp; j++)
          if ((bits >> j) & 1)
            dst[j * p->words] |= UINT64_C(1) << (c & 63);
      }
}

/* popcount of the AND of two plane rows of `n` words */
static inline __attribute__((always_inline)) int64_t
and_count(const uint64_t *x, const uint64_t *y, int64_t n) {
  int64_t s = 0;
  for (int64_t k = 0; k < n; k++)
    s += __builtin_popcountll(x[k] & y[k]);
  return s;
}

static inline __attribute__((always_inline)) int64_t
bp_dot(const sim_wpack *p, const uint64_t *in_p, const int32_t *in_ones,
       int64_t oy, int64_t ox, int64_t oc) {
  const sim_conv_geom *g = &p->g;
  const int64_t in_stride = p->a_bits * p->words, per_tap = p->wp * p->words;
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
      const uint64_t *ip = in_p + px * in_stride;
      const uint64_t *wp =
          p->w_p + (oc * g->kh * g->kw + (int64_t)r * g->kw + s) * per_tap;
      for (int i = 0; i < p->a_bits; i++) {
        const uint64_t *ai = ip + i * p->words;
        if (p->w_bits == 1) {
          int64_t pos = and_count(ai, wp, p->words);
          acc += (2 * pos - in_ones[px * p->a_bits + i]) * (INT64_C(1) << i);
          continue;
        }
        for (int j = 0; j < p->wp; j++) {
          int64_t n = and_count(ai, wp + j * p->words, p->words);
          int64_t term = n * (INT64_C(1) << (i + j));
          acc += j == p->wp - 1 ? -term : term; /* sign plane */
        }
      }
    }
  }
  return acc;
}

/* Compiled for CPUs with and without the POPCNT instruction; the loader
 * picks the clone the running CPU supports (GCC/Clang target_clones). */
__attribute__((target_clones("popcnt", "default"))) static int
conv_bitplane(const sim_wpack *p, const uint16_t *in, int64_t *out, wr_err *e) {
  const sim_conv_geom *g = &p->g;
  const int64_t plane = g->h_in * g->w_in, oplane = g->h_out * g->w_out;
  uint64_t *in_p =
      malloc((size_t)(plane * p->a_bits * p->words) * sizeof *in_p);
  int32_t *in_ones = malloc((size_t)(plane * p->a_bits) * sizeof *in_ones);
  if (!in_p || !in_ones) {
    free(in_p);
    free(in_ones);
    return oom(e);
  }
  for (int grp = 0; grp < g->groups; grp++) {
    pack_input(p, in + (int64_t)grp * p->cg_in * plane, in_p, in_ones);
    for (int64_t o = 0; o < p->cg_out; o++) {
      int64_t oc = (int64_t)grp * p->cg_out + o;
      int64_t *dst = out + oc * oplane;
      for (int64_t oy = 0; oy < g->h_out; oy++)
        for (int64_t ox = 0; ox < g->w_out; ox++)
          dst[oy * g->w_out + ox] = bp_dot(p, in_p, in_ones, oy, ox, oc);
    }
  }
  free(in_p);
  free(in_ones);
  return WR_OK;
}

/* ---- packed weights and the kernel choice ------------------------------- */

sim_wpack *sim_wpack_new(const sim_conv_geom *g, const int32_t *w, int a_bits,
                         int w_bits, sim_kernel kind, wr_err *e) {
  sim_wpack *p = calloc(1, sizeof *p);
  if (!p) {
    oom(e);
    return NULL;
  }
  p->g = *g;
  p->a_bits = a_bits;
  p->w_bits = w_bits;
  p->wp = weight_planes(w_bits);
  p->cg_in = g->c_in / g->groups;
  p->cg_out = g->c_out / g->groups;
  p->k_len = p->cg_in * g->kh * g->kw;
  p->words = (p->cg_in + 63) / 64;
  /* bit planes pay off while the plane pairs stay few and each word
     holds many channels */
  if (kind == SIM_KERNEL_AUTO)
    kind = (a_bits * p->wp <= 16 && p->cg_in >= 16) ? SIM_KERNEL_BITPLANE
                                                    : SIM_KERNEL_DIRECT;
  p->kind = kind;
  size_t n_w = (size_t)(g->c_out * p->k_len);
  if (kind == SIM_KERNEL_DIRECT) {
    p->w = malloc(n_w * sizeof *p->w);
    if (p->w)
      memcpy(p->w, w, n_w * sizeof *p->w);
  } else {
    size_t n = (size_t)(g->c_out * g->kh * g->kw * p->wp * p->words);
    p->w_p = calloc(n, sizeof *p->w_p);
    if (p->w_p)
      pack_weights(p, w);
  }
  if (!p->w && !p->w_p) {
    sim_wpack_free(p);
    oom(e);
    return NULL;
  }
  return p;
}

void sim_wpack_free(sim_wpack *p) {
  if (!p)
    return;
  free(p->w);
  free(p->w_p);
  free(p);
}

sim_kernel sim_wpack_kind(const sim_wpack *p) { return p->kind; }

int sim_conv_packed(const sim_wpack *p, const uint16_t *in, int64_t *out,
                    wr_err *e) {
  return p->kind == SIM_KERNEL_DIRECT ? conv_direct(p, in, out, e)
                                      : conv_bitplane(p, in, out, e);
}

static int conv_once(const sim_conv_geom *g, const uint16_t *in, int a_bits,
                     const int32_t *w, int w_bits, sim_kernel kind,
                     int64_t *out, wr_err *e) {
  sim_wpack *p = sim_wpack_new(g, w, a_bits, w_bits, kind, e);
  if (!p)
    return WR_ENOMEM;
  int rc = sim_conv_packed(p, in, out, e);
  sim_wpack_free(p);
  return rc;
}

int sim_conv_int(const sim_conv_geom *g, const uint16_t *in, int a_bits,
                 const int32_t *w, int w_bits, int64_t *out, wr_err *e) {
  return conv_once(g, in, a_bits, w, w_bits, SIM_KERNEL_AUTO, out, e);
}

int sim_conv_bitplane(const sim_conv_geom *g, const uint16_t *in, int a_bits,
                      const int32_t *w, int w_bits, int64_t *out, wr_err *e) {
  return conv_once(g, in, a_bits, w, w_bits, SIM_KERNEL_BITPLANE, out, e);
}

int sim_conv_direct(const sim_conv_geom *g, const uint16_t *in, int a_bits,
                    const int32_t *w, int w_bits, int64_t *out, wr_err *e) {
  return conv_once(g, in, a_bits, w, w_bits, SIM_KERNEL_DIRECT, out, e);
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
