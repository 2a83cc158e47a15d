/*
 * bench_kernels.c — throughput of the bit-accurate integer conv kernels
 * (GMAC/s) per (activation, weight) bit pair on ResNet-34 layer shapes,
 * against an optimized float32 reference of the same layer on the same
 * core: im2col + OpenBLAS sgemm, one thread each.  Each figure is marked
 * with the kernel sim_wpack_new's automatic choice took (b bit planes,
 * i int8, d direct); the last lines give each bit pair's slowest ratio to
 * float32 over the layers.  Prints figures; never passes or fails.
 *
 * usage: bench_kernels [repeats]
 * BENCH_ISA=portable times the portable C path instead, as a CPU without
 * AVX-512 runs it: the fastest of the three kernels (not the automatic
 * choice, which follows the CPU the bench runs on).
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim.h"

void openblas_set_num_threads(int n);
char *openblas_get_corename(void);

typedef struct shape {
  const char *name;
  int64_t c, h, k_out;
  int k, stride, pad;
} shape;

/* ResNet-34 (He et al. 2016) conv shapes at 224x224, and its classifier
 * as a 1x1 conv on the pooled 512-vector. */
static const shape shapes[] = {
    {"layer1 3x3 64->64 @56", 64, 56, 64, 3, 1, 1},
    {"layer2 3x3 128->128 @28", 128, 28, 128, 3, 1, 1},
    {"layer3 3x3 256->256 @14", 256, 14, 256, 3, 1, 1},
    {"layer4 3x3 512->512 @7", 512, 7, 512, 3, 1, 1},
    {"fc 512->1000", 512, 1, 1000, 1, 1, 0},
};

static void geom_of(const shape *s, sim_conv_geom *g) {
  memset(g, 0, sizeof *g);
  g->c_in = s->c;
  g->h_in = g->w_in = s->h;
  g->c_out = s->k_out;
  g->kh = g->kw = s->k;
  g->sh = g->sw = s->stride;
  g->dh = g->dw = 1;
  g->pad_t = g->pad_l = s->pad;
  g->groups = 1;
  g->h_out = g->w_out = (s->h + 2 * (int64_t)s->pad - s->k) / s->stride + 1;
}

/* im2col + sgemm: out[K_out x P] = W[K_out x K] * col[K x P] */
static double time_sgemm(const sim_conv_geom *g, int reps) {
  int64_t K = g->c_in * g->kh * g->kw, P = g->h_out * g->w_out;
  float *in = malloc((size_t)(g->c_in * g->h_in * g->w_in) * sizeof *in);
  float *col = malloc((size_t)(K * P) * sizeof *col);
  float *w = malloc((size_t)(g->c_out * K) * sizeof *w);
  float *out = malloc((size_t)(g->c_out * P) * sizeof *out);
  for (int64_t i = 0; i < g->c_in * g->h_in * g->w_in; i++)
    in[i] = (float)(i % 7) * 0.1f;
  for (int64_t i = 0; i < g->c_out * K; i++)
    w[i] = (float)(i % 5) * 0.1f - 0.2f;
  double best = 1e30;
  for (int r = 0; r < reps; r++) {
    double t0 = wr_now_s();
    for (int64_t c = 0; c < g->c_in; c++)
      for (int kr = 0; kr < g->kh; kr++)
        for (int kc = 0; kc < g->kw; kc++) {
          float *dst = col + ((c * g->kh + kr) * g->kw + kc) * P;
          for (int64_t y = 0; y < g->h_out; y++) {
            int64_t iy = y * g->sh - g->pad_t + kr;
            for (int64_t x = 0; x < g->w_out; x++) {
              int64_t ix = x * g->sw - g->pad_l + kc;
              dst[y * g->w_out + x] =
                  (iy < 0 || iy >= g->h_in || ix < 0 || ix >= g->w_in)
                      ? 0.0f
                      : in[(c * g->h_in + iy) * g->w_in + ix];
            }
          }
        }
    double t1 = wr_now_s();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)g->c_out,
                (int)P, (int)K, 1.0f, w, (int)K, col, (int)P, 0.0f, out,
                (int)P);
    double t = wr_now_s() - t0;
    if (getenv("BENCH_VERBOSE"))
      fprintf(stderr, "im2col %.3f ms, sgemm %.3f ms\n", (t1 - t0) * 1e3,
              (wr_now_s() - t1) * 1e3);
    if (t < best)
      best = t;
  }
  free(in);
  free(col);
  free(w);
  free(out);
  return best;
}

/* Best time of `reps` convs with weights packed for kernel *kind (AUTO:
 * receives the kernel chosen) on path `isa`. */
static double time_int(const sim_conv_geom *g, int a, int wb, int reps,
                       sim_isa isa, sim_kernel *kind) {
  int64_t n_in = g->c_in * g->h_in * g->w_in,
          n_w = g->c_out * g->c_in * g->kh * g->kw;
  uint16_t *in = malloc((size_t)n_in * sizeof *in);
  int32_t *w = malloc((size_t)n_w * sizeof *w);
  int64_t *out = malloc((size_t)(g->c_out * g->h_out * g->w_out) * sizeof *out);
  int32_t wmax = wb == 1 ? 1 : (1 << (wb - 1)) - 1;
  for (int64_t i = 0; i < n_in; i++)
    in[i] = (uint16_t)((i * 2654435761u) % (1u << a));
  for (int64_t i = 0; i < n_w; i++)
    w[i] = wb == 1 ? ((i * 40503u) & 1 ? 1 : -1)
                   : (int32_t)((i * 40503u) % (uint32_t)(2 * wmax + 1)) - wmax;
  double best = 1e30;
  wr_err e;
  /* weights are prepared once per model, as the executor does */
  sim_wpack *p = sim_wpack_new(g, w, a, wb, *kind, &e);
  if (p) {
    sim_wpack_set_isa(p, isa, &e);
    *kind = sim_wpack_kind(p);
  }
  for (int r = 0; p && r < reps; r++) {
    double t0 = wr_now_s();
    sim_conv_packed(p, in, out, &e);
    double t = wr_now_s() - t0;
    if (t < best)
      best = t;
  }
  sim_wpack_free(p);
  free(in);
  free(w);
  free(out);
  return best;
}

int main(int argc, char **argv) {
  /* OpenBLAS misdetects some AVX-512 CPUs: run again with the core type
     named (sim_blas_coretype) */
  const char *core = sim_blas_coretype();
  if (core) {
    setenv("OPENBLAS_CORETYPE", core, 1);
    execv("/proc/self/exe", argv);
  }
  int reps = argc > 1 ? atoi(argv[1]) : 3;
  const char *isa_env = getenv("BENCH_ISA");
  sim_isa isa = isa_env && strcmp(isa_env, "portable") == 0 ? SIM_ISA_PORTABLE
                                                            : SIM_ISA_AUTO;
  static const int pairs[][2] = {{1, 1}, {2, 2}, {4, 2},
                                 {4, 4}, {8, 8}, {16, 16}};
  enum { NP = sizeof pairs / sizeof pairs[0] };
  double worst[NP];
  for (int p = 0; p < NP; p++)
    worst[p] = 1e30;
  openblas_set_num_threads(1);
  printf("conv throughput, GMAC/s, one thread, best of %d (float32 = im2col + "
         "OpenBLAS sgemm, core %s;\nintegers: %s; "
         "b bit planes, i int8, d direct)\n\n%-26s %9s",
         reps, openblas_get_corename(),
         isa == SIM_ISA_PORTABLE
             ? "portable C path, fastest kernel"
             : "automatic kernel on the best path the CPU supports",
         "layer", "float32");
  for (int p = 0; p < NP; p++)
    printf("    %2d/%-2d", pairs[p][0], pairs[p][1]);
  printf("\n");
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    sim_conv_geom g;
    geom_of(&shapes[s], &g);
    double macs =
        (double)(g.c_out * g.h_out * g.w_out) * (double)(g.c_in * g.kh * g.kw);
    double f32 = macs / time_sgemm(&g, reps) / 1e9;
    printf("%-26s %9.2f", shapes[s].name, f32);
    for (int p = 0; p < NP; p++) {
      sim_kernel kind = SIM_KERNEL_AUTO;
      double t = time_int(&g, pairs[p][0], pairs[p][1], reps, isa, &kind);
      for (int k = SIM_KERNEL_BITPLANE;
           isa == SIM_ISA_PORTABLE && k <= SIM_KERNEL_INT8; k++) {
        sim_kernel other = (sim_kernel)k;
        double t_other =
            time_int(&g, pairs[p][0], pairs[p][1], reps, isa, &other);
        if (t_other < t) {
          t = t_other;
          kind = other;
        }
      }
      double gmac = macs / t / 1e9;
      if (gmac / f32 < worst[p])
        worst[p] = gmac / f32;
      printf(" %8.2f%c", gmac,
             kind == SIM_KERNEL_BITPLANE ? 'b'
             : kind == SIM_KERNEL_INT8   ? 'i'
             : kind == SIM_KERNEL_DIRECT ? 'd'
                                         : '?');
    }
    printf("\n");
    fflush(stdout);
  }
  printf("%-26s %9s", "slowest / float32", "");
  for (int p = 0; p < NP; p++)
    printf(" %8.2fx", worst[p]);
  printf("\n");
  return 0;
}
