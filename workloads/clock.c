/* clock.c — the one clock of libwrpnsim: monotonic seconds, for the
 * progress figures and timings the modules above report. */
#include <time.h>

#include "workloads.h"

double wr_now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}
