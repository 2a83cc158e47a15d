/* bench_sweep.c — sweep throughput: ResNet-34 on a grid of architectures
 * (array sizes, buffer sizes, DRAM bandwidths of two presets) at several
 * widths and precisions, evaluated by 2 jobs and stored in a fresh SQLite
 * database; prints points per second, storage included.
 *
 * usage: bench_sweep [JOBS] [DB]  (defaults: 2, a temporary file) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sweep.h"

static const char spec[] = "name: bench-resnet34\n"
                           "workloads: [resnet34]\n"
                           "width: [1, 2]\n"
                           "precision: [8/8, 4/4, 2/2]\n"
                           "arch:\n"
                           "  base: [bitfusion-like, scalesim-32x32]\n"
                           "  vary:\n"
                           "    array.rows: [8, 16, 32, 64]\n"
                           "    array.cols: [16, 32]\n"
                           "    dram.gbps: [6.4, 12.8, 25.6, 51.2]\n"
                           "    clock_mhz: [500, 1000]\n";

int main(int argc, char **argv) {
  int jobs = argc > 1 ? atoi(argv[1]) : 2;
  char path[256];
  if (argc > 2)
    snprintf(path, sizeof path, "%s", argv[2]);
  else
    snprintf(path, sizeof path, "/tmp/bench_sweep-%ld.db", (long)getpid());
  sweep_spec s;
  wr_err e;
  if (sweep_spec_load_string(spec, strlen(spec), "bench_sweep", &s, &e)) {
    fprintf(stderr, "bench_sweep: %s\n", e.msg);
    return 1;
  }
  sweep_db_remove(path);
  sweep_run_opts o = {jobs < 1 ? 1 : jobs, 0, 0, NULL, NULL, NULL, NULL};
  sweep_progress p;
  int rc = sweep_run(&s, path, &o, &p, &e);
  if (rc) {
    fprintf(stderr, "bench_sweep: %s\n", e.msg);
  } else {
    printf("sweep of ResNet-34 on %llu architectures x 2 widths x 3 "
           "precisions: %llu points (%llu infeasible), %d jobs, %.2f s, "
           "%.1f points/s (SQLite storage included)\n",
           (unsigned long long)(p.total / 6), (unsigned long long)p.total,
           (unsigned long long)p.infeasible, o.jobs, p.elapsed_s,
           (double)p.total / p.elapsed_s);
  }
  sweep_spec_free(&s);
  if (argc <= 2)
    sweep_db_remove(path);
  return rc ? 1 : 0;
}
