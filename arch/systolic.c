/*
 * systolic.c — compute cycles of a layer on a systolic array with ideal
 * memory, following SCALE-Sim v2 (scalesim/compute/systolic_compute_*.py;
 * REFERENCE section 3): the layer is a GEMM, its spatial dimensions fold
 * over the array one fold after another, and each fold pays fill and drain.
 */
#include <math.h>

#include "arch.h"

static int mul_ok(uint64_t a, uint64_t b, uint64_t *out) {
  return !__builtin_mul_overflow(a, b, out);
}

static uint64_t ceil_div(uint64_t x, uint64_t y) {
  return x / y + (x % y != 0);
}

int arch_compute_cycles(int rows, int cols, arch_dataflow df,
                        const arch_gemm *g, double t, arch_compute *out,
                        wr_err *e) {
  if (rows < 1 || cols < 1 || !(t > 0) || !g->m || !g->n || !g->k || !g->groups)
    return wr_err_set(e, WR_EINPUT,
                      "compute cycles: empty GEMM or array (M %llu, N %llu, K "
                      "%llu on %dx%d)",
                      (unsigned long long)g->m, (unsigned long long)g->n,
                      (unsigned long long)g->k, rows, cols);
  uint64_t sr, sc, tt;
  switch (df) {
  case ARCH_DF_OS:
    sr = g->m, sc = g->n, tt = g->k;
    break;
  case ARCH_DF_WS:
    sr = g->k, sc = g->n, tt = g->m;
    break;
  default: /* is */
    sr = g->k, sc = g->m, tt = g->n;
    break;
  }
  /* t MACs per PE per cycle: on ws and is a PE's t lanes reduce along K,
     the spatial rows, so the array holds R x t rows of K; on os (K
     temporal) and for t < 1 (a MAC takes 1/t cycles) the temporal pass
     shortens or stretches to ceil(T / t) */
  double rcap = rows, teff = (double)tt;
  if (df != ARCH_DF_OS && t > 1)
    rcap = rows * t;
  else
    teff = ceil((double)tt / t);
  if (!(teff < 9e18))
    return wr_err_set(e, WR_EINPUT, "compute cycles overflow 64 bits");
  uint64_t tp = (uint64_t)teff, folds, per_fold, cycles;
  uint64_t fill = df == ARCH_DF_OS ? (uint64_t)rows + (uint64_t)cols - 2
                                   : 2 * (uint64_t)rows + (uint64_t)cols - 2;
  uint64_t row_folds = (uint64_t)ceil((double)sr / rcap - 1e-12);
  if (row_folds < 1)
    row_folds = 1;
  if (!mul_ok(row_folds, ceil_div(sc, (uint64_t)cols), &folds) ||
      __builtin_add_overflow(tp, fill, &per_fold) ||
      !mul_ok(folds, per_fold, &cycles) || !mul_ok(cycles, g->groups, &cycles))
    return wr_err_set(e, WR_EINPUT, "compute cycles overflow 64 bits");
  out->folds = folds * g->groups;
  out->cycles_per_fold = per_fold;
  out->cycles = cycles - 1;
  out->mapping_efficiency =
      (double)sr * (double)sc / ((double)folds * rcap * (double)cols);
  out->row_capacity = rcap;
  return WR_OK;
}

arch_gemm arch_layer_gemm(const wr_layer *l, uint64_t batch) {
  arch_gemm g = {0, 0, 0, 1};
  if (l->kind == WR_FC) {
    g.m = batch;
    g.n = (uint64_t)l->out.c;
    g.k = (uint64_t)wr_shape_elems(l->in);
  } else if (l->kind == WR_CONV) {
    g.groups = (uint64_t)l->groups;
    g.m = (uint64_t)(l->out.h * l->out.w) * batch;
    g.n = (uint64_t)l->out.c / g.groups;
    g.k = (uint64_t)l->kh * (uint64_t)l->kw * (uint64_t)(l->in.c / l->groups);
  }
  return g;
}
