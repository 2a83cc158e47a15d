/*
 * bench_arch.c — time to evaluate whole networks on the architecture model
 * (mapper search, tile timeline, energy and area included): ResNet-34 and
 * AlexNet, batch 1, every layer quantized, on each preset.  Prints the
 * median and 90th percentile over repeated evaluations on one core, and
 * the mappings compared per evaluation.  Prints figures; never passes or
 * fails.
 *
 * usage: bench_arch [repeats]   (default 200)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"

static int cmp_double(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return (a > b) - (a < b);
}

/* The network with every conv and fc layer at `p` (the first and last
 * too: integer arrays refuse FP32 layers). */
static wr_net *quantized(const char *name, wr_prec p, wr_err *e) {
  wr_net *n = wr_net_open(name, e);
  if (!n)
    return NULL;
  wr_policy pol;
  memset(&pol, 0, sizeof pol);
  pol.def = p;
  wr_net_apply_policy(n, &pol);
  return n;
}

int main(int argc, char **argv) {
  int reps = argc > 1 ? atoi(argv[1]) : 200;
  if (reps < 1)
    reps = 1;
  const char *nets[] = {"resnet34", "alexnet"};
  double *t = malloc(sizeof *t * (size_t)reps);
  if (!t)
    return 1;
  printf("%-16s %-10s %6s %12s %12s %12s %14s\n", "preset", "network", "prec",
         "median_ms", "p90_ms", "layers", "mappings");
  for (size_t i = 0; i < arch_preset_count(); i++) {
    wr_err e;
    arch *a = arch_open(arch_preset_name(i), &e);
    if (!a) {
      fprintf(stderr, "%s\n", e.msg);
      free(t);
      return 1;
    }
    /* the preset's narrowest mode that covers 4/4 (8/8 on INT8 arrays) */
    wr_prec want = {4, 4}, mode;
    if (arch_mode(a, want, "bench", &mode, &e))
      mode.a_bits = mode.w_bits = 8;
    for (size_t k = 0; k < sizeof nets / sizeof nets[0]; k++) {
      wr_net *n = quantized(nets[k], mode, &e);
      if (!n) {
        fprintf(stderr, "%s\n", e.msg);
        arch_free(a);
        free(t);
        return 1;
      }
      arch_eval_opts o = {1, ARCH_OBJ_ENERGY, 0};
      uint64_t cands = 0;
      int layers = 0;
      for (int r = 0; r < reps; r++) {
        arch_net_result res;
        double t0 = wr_now_s();
        if (arch_eval_net(a, n, &o, &res, &e)) {
          fprintf(stderr, "%s\n", e.msg);
          wr_net_free(n);
          arch_free(a);
          free(t);
          return 1;
        }
        t[r] = (wr_now_s() - t0) * 1e3;
        if (r == 0) {
          layers = res.n_layers;
          for (int l = 0; l < res.n_layers; l++)
            cands += res.layers[l].candidates;
        }
        arch_net_result_free(&res);
      }
      qsort(t, (size_t)reps, sizeof *t, cmp_double);
      char p[16];
      printf("%-16s %-10s %6s %12.3f %12.3f %12d %14llu\n", a->name, nets[k],
             wr_prec_str(mode, p, sizeof p), t[reps / 2], t[reps * 9 / 10],
             layers, (unsigned long long)cands);
      wr_net_free(n);
    }
    arch_free(a);
  }
  free(t);
  return 0;
}
