/*
 * kernels.c — exact convolution kernels: the packed-weights object, the
 * kernel choice, and the plain kernels.  Integer kernels compute
 * sum(a_code * w_code) exactly in int64: the bit-plane kernel
 * (kernels_bitplane.c), the int8 kernel (kernels_int8.c), both with an
 * AVX-512 path (kernels_avx512.c) chosen at run time, and the direct
 * kernel here.  The FP32 kernel sums exact binary32 products in binary64
 * in a fixed order and rounds once.
 */
#include <stdlib.h>
#include <string.h>

#include "kernels_internal.h"

/* Input pixel index of output coordinate o and kernel offset k, or -1
 * when it falls in the padding. */
static inline int64_t in_coord(int64_t o, int stride, int k, int dil, int pad,
                               int64_t size) {
  int64_t i = o * stride - pad + (int64_t)k * dil;
  return (i >= 0 && i < size) ? i : -1;
}

int sim_kernel_oom(wr_err *e) {
  return wr_err_set(e, WR_ENOMEM, "out of memory in a conv kernel");
}

/* ---- direct kernel ------------------------------------------------------ */

/* im2col of output pixel (oy, ox) of one group, in (channel, row, column)
 * order.  Can't fail. */
static void direct_col(const sim_wpack *p, const sim_src *in, int grp,
                       int64_t oy, int64_t ox, int32_t *col) {
  const sim_conv_geom *g = &p->g;
  const int64_t plane = g->h_in * g->w_in;
  const int64_t base = (int64_t)grp * p->cg_in * plane;
  for (int64_t c = 0; c < p->cg_in; c++)
    for (int r = 0; r < g->kh; r++) {
      int64_t iy = in_coord(oy, g->sh, r, g->dh, g->pad_t, g->h_in);
      for (int s = 0; s < g->kw; s++) {
        int64_t ix = in_coord(ox, g->sw, s, g->dw, g->pad_l, g->w_in);
        *col++ = (iy < 0 || ix < 0)
                     ? 0
                     : (int32_t)sim_src_get(in, base + c * plane +
                                                    iy * g->w_in + ix);
      }
    }
}

static int conv_direct(const sim_wpack *p, const sim_src *in, int64_t *out,
                       wr_err *e) {
  const sim_conv_geom *g = &p->g;
  int32_t *col = sim_alloc64(p->k_len, sizeof *col);
  if (!col)
    return sim_kernel_oom(e);
  for (int grp = 0; grp < g->groups; grp++) {
    for (int64_t oy = 0; oy < g->h_out; oy++)
      for (int64_t ox = 0; ox < g->w_out; ox++) {
        direct_col(p, in, grp, oy, ox, col);
        for (int64_t o = 0; o < p->cg_out; o++) {
          int64_t oc = (int64_t)grp * p->cg_out + o;
          const int32_t *wo = p->w + oc * p->k_len;
          int64_t acc = 0;
          /* |a*w| < 2^31 for codes of at most 16 bits */
          for (int64_t k = 0; k < p->k_len; k++)
            acc += (int64_t)(col[k] * wo[k]);
          out[oc * p->n_pix + oy * g->w_out + ox] = acc;
        }
      }
  }
  free(col);
  return WR_OK;
}

/* ---- the kernel choice -------------------------------------------------- */

/* Pixels of a block that share each load of the weights: 1..8. */
static double block_pixels(const sim_wpack *p) {
  return (double)(p->n_pix < 1 ? 1 : p->n_pix > 8 ? 8 : p->n_pix);
}

/* Estimated cost of one output of the bit-plane kernel, in cycles of the
 * machine this was tuned on (a Xeon with AVX-512 VPOPCNTDQ): per plane
 * pair, tap and 64-channel word, an AND + VPOPCNTQ + add of 8 lanes (1.5
 * cycles, ports 0 and 5) or the weights' 64 bytes from L2 (~32 bytes a
 * cycle) shared by the block's pixels, whichever is slower, plus ~0.1 a
 * tap for the loop; scalar code takes ~2.5 cycles a word. */
static double cost_bitplane(const sim_wpack *p, int avx512) {
  int64_t words = (p->cg_in + 63) / 64;
  double pairs = (double)p->a_bits * (p->w_bits == 1 ? 1 : p->w_bits);
  double steps = pairs * (double)p->taps * (double)words;
  if (!avx512)
    return steps * 2.5;
  double compute = 1.5 / 8, load = 64.0 / 32 / 8 / block_pixels(p);
  return steps * (compute > load ? compute : load) +
         pairs * (double)p->taps * 0.1;
}

/* The same for the int8 kernel: per digit pair, tap and quad of
 * channels, a VPDPBUSD of 16 lanes (0.5 cycles, two ports) or the
 * weights' 64 bytes from L2, whichever is slower; scalar code takes ~7
 * cycles a quad. */
static double cost_int8(const sim_wpack *p, int avx512) {
  int64_t quads = (p->cg_in + 3) / 4, a_digits = (p->a_bits + 7) / 8;
  int64_t w_digits = p->w_bits <= 8 ? 1 : p->w_bits <= 15 ? 2 : 3;
  double steps =
      (double)(a_digits * w_digits) * (double)p->taps * (double)quads;
  if (!avx512)
    return steps * 7;
  double compute = 0.5 / 16, load = 64.0 / 32 / 16 / block_pixels(p);
  return steps * (compute > load ? compute : load);
}

/* The same for the direct kernel (plain C only): ~2.6 cycles a product,
 * which beats portable int8 code once codes need several digits. */
static double cost_direct(const sim_wpack *p) {
  return (double)p->taps * (double)p->cg_in * 2.6;
}

/* The kernel AUTO stands for: the cheapest estimate on the running CPU. */
static sim_kernel choose_kernel(const sim_wpack *p) {
  double bp = cost_bitplane(p, sim_cpu_has_bp_avx512());
  double i8 = cost_int8(p, sim_cpu_has_i8_avx512());
  double direct = cost_direct(p);
  if (direct < bp && direct < i8)
    return SIM_KERNEL_DIRECT;
  return bp <= i8 ? SIM_KERNEL_BITPLANE : SIM_KERNEL_INT8;
}

/* ---- packed weights ----------------------------------------------------- */

/* Whether the running CPU supports the AVX-512 path of p's kernel. */
static int has_avx512(const sim_wpack *p) {
  switch (p->kind) {
  case SIM_KERNEL_BITPLANE:
    return sim_cpu_has_bp_avx512();
  case SIM_KERNEL_INT8:
    return sim_cpu_has_i8_avx512();
  default:
    return 0;
  }
}

sim_wpack *sim_wpack_new(const sim_conv_geom *g, const int32_t *w, int a_bits,
                         int w_bits, sim_kernel kind, wr_err *e) {
  sim_wpack *p = calloc(1, sizeof *p);
  if (!p) {
    sim_kernel_oom(e);
    return NULL;
  }
  p->g = *g;
  p->a_bits = a_bits;
  p->w_bits = w_bits;
  p->cg_in = g->c_in / g->groups;
  p->cg_out = g->c_out / g->groups;
  p->taps = (int64_t)g->kh * g->kw;
  p->k_len = p->cg_in * p->taps;
  p->n_pix = g->h_out * g->w_out;
  p->kind = kind == SIM_KERNEL_AUTO ? choose_kernel(p) : kind;
  int rc = WR_OK;
  if (p->kind == SIM_KERNEL_BITPLANE) {
    rc = sim_bp_prepare(p, w, e);
  } else if (p->kind == SIM_KERNEL_INT8) {
    rc = sim_i8_prepare(p, w, e);
  } else {
    p->w = sim_alloc64(g->c_out * p->k_len, sizeof *p->w);
    if (p->w)
      memcpy(p->w, w, (size_t)(g->c_out * p->k_len) * sizeof *p->w);
    else
      rc = sim_kernel_oom(e);
  }
  if (rc != WR_OK) {
    sim_wpack_free(p);
    return NULL;
  }
  p->isa = has_avx512(p) ? SIM_ISA_AVX512 : SIM_ISA_PORTABLE;
  return p;
}

void sim_wpack_free(sim_wpack *p) {
  if (!p)
    return;
  free(p->w);
  free(p->w_p);
  free(p->w_i8);
  free(p->pix_off);
  free(p->tap_off);
  free(p);
}

sim_kernel sim_wpack_kind(const sim_wpack *p) { return p->kind; }

int sim_wpack_set_isa(sim_wpack *p, sim_isa isa, wr_err *e) {
  if (isa == SIM_ISA_AVX512 && !has_avx512(p))
    return wr_err_set(e, WR_EINPUT,
                      "no AVX-512 path for this kernel on this CPU");
  if (isa == SIM_ISA_AUTO)
    isa = has_avx512(p) ? SIM_ISA_AVX512 : SIM_ISA_PORTABLE;
  p->isa = isa;
  return WR_OK;
}

sim_isa sim_wpack_isa(const sim_wpack *p) { return p->isa; }

static int conv_src(const sim_wpack *p, const sim_src *in, int64_t *out,
                    wr_err *e) {
  switch (p->kind) {
  case SIM_KERNEL_BITPLANE:
    return sim_bp_conv(p, in, out, e);
  case SIM_KERNEL_INT8:
    return sim_i8_conv(p, in, out, e);
  default:
    return conv_direct(p, in, out, e);
  }
}

int sim_conv_packed(const sim_wpack *p, const uint16_t *in, int64_t *out,
                    wr_err *e) {
  sim_src src = {in, NULL};
  return conv_src(p, &src, out, e);
}

int sim_conv_packed_in(const sim_wpack *p, const sim_packed *in, int64_t *out,
                       wr_err *e) {
  const sim_conv_geom *g = &p->g;
  if (in->bits > p->a_bits || in->count != g->c_in * g->h_in * g->w_in)
    return wr_err_set(e, WR_EINPUT,
                      "conv input: %lld code%s of %d bit%s, the layer takes "
                      "%lld code%s of at most %d bit%s",
                      (long long)in->count, wr_plural(in->count), in->bits,
                      wr_plural(in->bits),
                      (long long)g->c_in * g->h_in * g->w_in,
                      wr_plural(g->c_in * g->h_in * g->w_in), p->a_bits,
                      wr_plural(p->a_bits));
  sim_src src = {NULL, in};
  return conv_src(p, &src, out, e);
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

int sim_conv_int8(const sim_conv_geom *g, const uint16_t *in, int a_bits,
                  const int32_t *w, int w_bits, int64_t *out, wr_err *e) {
  return conv_once(g, in, a_bits, w, w_bits, SIM_KERNEL_INT8, out, e);
}

int sim_conv_direct(const sim_conv_geom *g, const uint16_t *in, int a_bits,
                    const int32_t *w, int w_bits, int64_t *out, wr_err *e) {
  return conv_once(g, in, a_bits, w, w_bits, SIM_KERNEL_DIRECT, out, e);
}

/* ---- FP32 kernel -------------------------------------------------------- */

void sim_conv_valid_range(int64_t n_out, int stride, int64_t off, int64_t size,
                          int64_t *lo, int64_t *hi) {
  /* o * stride + off >= 0 and <= size - 1 */
  int64_t a = off >= 0 ? 0 : (-off + stride - 1) / stride;
  int64_t b = size - 1 - off < 0 ? -1 : (size - 1 - off) / stride;
  *lo = a;
  *hi = b + 1 < n_out ? b + 1 : n_out;
  if (*hi < *lo)
    *hi = *lo;
}

/* Outputs are computed F32_OB channels x a tile of at most F32_TILE
 * positions at a time, their sums in a binary64 tile: for each (channel,
 * row, column) of the kernel in the contract's order, each row of the
 * tile adds its products (sim_f32_row_*).  Every output still adds its
 * products in that order, so the tiling and the instruction set leave the
 * bits unchanged (the product of two binary32 values is exact in
 * binary64, so a fused multiply-add rounds as the add alone).  Terms
 * outside the input (padding) are skipped, not added as zero. */
enum { F32_OB = 8, F32_TILE = 512 };

void sim_f32_row_portable(double *acc, int64_t ld, int nj, const float *x,
                          int sw, int64_t n, const double *wv) {
  for (int j = 0; j < nj; j++) {
    double *a = acc + j * ld;
    for (int64_t k = 0; k < n; k++)
      a[k] += (double)x[k * sw] * wv[j];
  }
}

/* A fully connected layer (one output position, 1 x 1 kernel): F32_OB
 * independent sums a step, each over its weight row in order. */
static void fc_f32(const sim_conv_geom *g, const float *in, const float *w,
                   float *out) {
  const int64_t cg_in = g->c_in / g->groups, cg_out = g->c_out / g->groups;
  for (int64_t oc = 0; oc < g->c_out;) {
    int64_t grp = oc / cg_out;
    int nj = (int)((grp + 1) * cg_out - oc < F32_OB ? (grp + 1) * cg_out - oc
                                                    : F32_OB);
    const float *x = in + grp * cg_in;
    const float *wr[F32_OB];
    for (int j = 0; j < F32_OB; j++)
      wr[j] = w + (oc + (j < nj ? j : 0)) * cg_in;
    /* written out so that the eight sums stay in registers */
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
    const float *w0 = wr[0], *w1 = wr[1], *w2 = wr[2], *w3 = wr[3];
    const float *w4 = wr[4], *w5 = wr[5], *w6 = wr[6], *w7 = wr[7];
    for (int64_t c = 0; c < cg_in; c++) {
      double xv = (double)x[c];
      a0 += xv * (double)w0[c];
      a1 += xv * (double)w1[c];
      a2 += xv * (double)w2[c];
      a3 += xv * (double)w3[c];
      a4 += xv * (double)w4[c];
      a5 += xv * (double)w5[c];
      a6 += xv * (double)w6[c];
      a7 += xv * (double)w7[c];
    }
    double a[F32_OB] = {a0, a1, a2, a3, a4, a5, a6, a7};
    for (int j = 0; j < nj; j++)
      out[oc + j] = (float)a[j];
    oc += nj;
  }
}

void sim_conv_f32_isa(const sim_conv_geom *g, const float *in, const float *w,
                      float *out, sim_isa isa) {
  if (g->h_out == 1 && g->w_out == 1 && g->kh == 1 && g->kw == 1 &&
      g->h_in == 1 && g->w_in == 1) {
    fc_f32(g, in, w, out);
    return;
  }
  int wide = isa != SIM_ISA_PORTABLE && sim_cpu_has_f32_avx512();
  const int64_t cg_in = g->c_in / g->groups, cg_out = g->c_out / g->groups;
  const int64_t plane = g->h_in * g->w_in, oplane = g->h_out * g->w_out;
  const int64_t ksz = (int64_t)g->kh * g->kw;
  /* a tile: rows [oy0, oy1) x columns [xa, xb) */
  int64_t tw = g->w_out < F32_TILE ? g->w_out : F32_TILE;
  int64_t th = F32_TILE / tw;
  double acc[F32_OB * F32_TILE];
  double wv[F32_OB];
  for (int64_t oc = 0; oc < g->c_out;) {
    int64_t grp = oc / cg_out;
    int nj = (int)((grp + 1) * cg_out - oc < F32_OB ? (grp + 1) * cg_out - oc
                                                    : F32_OB);
    const float *gin = in + grp * cg_in * plane;
    for (int64_t oy0 = 0; oy0 < g->h_out; oy0 += th)
      for (int64_t xa = 0; xa < g->w_out; xa += tw) {
        int64_t oy1 = oy0 + th < g->h_out ? oy0 + th : g->h_out;
        int64_t xb = xa + tw < g->w_out ? xa + tw : g->w_out;
        int64_t ld = (oy1 - oy0) * (xb - xa);
        memset(acc, 0, sizeof *acc * (size_t)(nj * ld));
        for (int64_t c = 0; c < cg_in; c++)
          for (int r = 0; r < g->kh; r++)
            for (int s = 0; s < g->kw; s++) {
              const int64_t tap = (int64_t)r * g->kw + s;
              for (int j = 0; j < nj; j++)
                wv[j] = (double)w[((oc + j) * cg_in + c) * ksz + tap];
              int64_t off = (int64_t)s * g->dw - g->pad_l, x0, x1;
              sim_conv_valid_range(g->w_out, g->sw, off, g->w_in, &x0, &x1);
              if (x0 < xa)
                x0 = xa;
              if (x1 > xb)
                x1 = xb;
              if (x1 <= x0)
                continue;
              for (int64_t oy = oy0; oy < oy1; oy++) {
                int64_t iy = in_coord(oy, g->sh, r, g->dh, g->pad_t, g->h_in);
                if (iy < 0)
                  continue;
                const float *xr =
                    gin + c * plane + iy * g->w_in + x0 * g->sw + off;
                double *a = acc + (oy - oy0) * (xb - xa) + (x0 - xa);
                if (wide && g->sw == 1)
                  sim_f32_row_avx512(a, ld, nj, xr, x1 - x0, wv);
                else
                  sim_f32_row_portable(a, ld, nj, xr, g->sw, x1 - x0, wv);
              }
            }
        for (int j = 0; j < nj; j++)
          for (int64_t oy = oy0; oy < oy1; oy++)
            for (int64_t ox = xa; ox < xb; ox++)
              out[(oc + j) * oplane + oy * g->w_out + ox] =
                  (float)acc[j * ld + (oy - oy0) * (xb - xa) + (ox - xa)];
      }
    oc += nj;
  }
}

void sim_conv_f32(const sim_conv_geom *g, const float *in, const float *w,
                  float *out) {
  sim_conv_f32_isa(g, in, w, out, SIM_ISA_AUTO);
}
