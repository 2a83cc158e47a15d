/*
 * bench_train.c — training throughput (images per second, forward +
 * backward + Adam step) of the zoo's fmnist-cnn at widths 1 and 2, at
 * FP32 and 4/4, on Fashion-MNIST batches of 128, on 1 and 2 threads.
 * Prints figures; never passes or fails.
 *
 * usage: bench_train [steps]      (default 20 steps after 2 warm-up steps)
 * The CBLAS is the one linked (OpenBLAS ahead of GSL's reference CBLAS);
 * LD_PRELOAD=libgslcblas.so.0 times GSL's instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim.h"

char *openblas_get_corename(void);

int main(int argc, char **argv) {
  /* OpenBLAS misdetects some AVX-512 CPUs: run again with the core type
     named (sim_blas_coretype) */
  const char *core = sim_blas_coretype();
  if (core) {
    setenv("OPENBLAS_CORETYPE", core, 1);
    execv("/proc/self/exe", argv);
  }
  int steps = argc > 1 ? atoi(argv[1]) : 20;
  if (steps < 1)
    steps = 1;
  enum { B = 128 };
  wr_err e;
  wr_dataset d;
  if (wr_dataset_fashion_mnist(WR_FASHION_MNIST_DIR, 1, (int64_t)B * 8, &d,
                               &e)) {
    fprintf(stderr, "bench_train: %s\n", e.msg);
    return 1;
  }
  printf("training throughput, fmnist-cnn, batch %d, images/s (best of "
         "%d-step runs; BLAS core %s)\n\n%-8s %-6s %10s %10s\n",
         B, steps, openblas_get_corename(), "width", "prec", "1 thread",
         "2 threads");
  static const double widths[] = {1, 2};
  static const char *const precs[] = {"32/32", "4/4"};
  for (int wi = 0; wi < 2; wi++)
    for (int pi = 0; pi < 2; pi++) {
      wr_net *net = wr_net_open("fmnist-cnn", &e);
      wr_policy pol;
      if (!net || wr_policy_copy(&pol, &net->policy, &e) ||
          wr_prec_parse(precs[pi], "prec", &pol.def, &e) ||
          wr_net_widen(net, widths[wi], &e)) {
        fprintf(stderr, "bench_train: %s\n", e.msg);
        return 1;
      }
      wr_net_apply_policy(net, &pol);
      wr_policy_clear(&pol);
      printf("%-8g %-6s", widths[wi], precs[pi]);
      for (int threads = 1; threads <= 2; threads++) {
        sim_train_opts o = sim_train_opts_default();
        o.threads = threads;
        o.batch = B;
        sim_trainer *t = sim_trainer_new(net, &o, &e);
        if (!t) {
          fprintf(stderr, "bench_train: %s\n", e.msg);
          return 1;
        }
        int64_t idx[B];
        double best = 0;
        for (int s = 0; s < steps + 2; s++) {
          for (int b = 0; b < B; b++)
            idx[b] = (s % 8) * B + b;
          double t0 = wr_now_s();
          if (sim_trainer_step(t, &d, idx, B, 1e-3, NULL, NULL, &e)) {
            fprintf(stderr, "bench_train: %s\n", e.msg);
            return 1;
          }
          double rate = B / (wr_now_s() - t0);
          if (s >= 2 && rate > best)
            best = rate;
        }
        printf(" %10.0f", best);
        fflush(stdout);
        sim_trainer_free(t);
      }
      printf("\n");
      wr_net_free(net);
    }
  wr_dataset_free(&d);
  return 0;
}
