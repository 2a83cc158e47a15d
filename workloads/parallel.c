/* parallel.c — the one parallel-for of libwrpnsim: a fixed partition of a
 * range into one slice per thread, the calling thread taking the first.
 * The trainer, the executor and the sweeps fan out through it. */
#include <pthread.h>
#include <stdlib.h>

#include "workloads.h"

/* A slice handed to a thread of its own. */
typedef struct slice {
  wr_slice_fn fn;
  void *ctx;
  int k;
  int64_t lo, hi;
  pthread_t tid;
  int started;
} slice;

static void *slice_main(void *arg) {
  slice *s = arg;
  s->fn(s->ctx, s->k, s->lo, s->hi);
  return NULL;
}

void wr_parallel_for(int64_t n, int threads, wr_slice_fn fn, void *ctx) {
  int T = threads < 1 ? 1 : threads;
  if (T > n)
    T = n > 0 ? (int)n : 1;
  slice *s = T > 1 ? calloc((size_t)T, sizeof *s) : NULL;
  for (int k = 1; s && k < T; k++) {
    s[k] = (slice){
        .fn = fn, .ctx = ctx, .k = k, .lo = n * k / T, .hi = n * (k + 1) / T};
    s[k].started = pthread_create(&s[k].tid, NULL, slice_main, &s[k]) == 0;
  }
  /* a slice without a thread (it could not be started, or there was no
     memory to start any) runs here, before slice 0, which may be waiting
     for the others */
  for (int k = 1; k < T; k++)
    if (!s || !s[k].started)
      fn(ctx, k, n * k / T, n * (k + 1) / T);
  fn(ctx, 0, 0, n / T);
  for (int k = 1; s && k < T; k++)
    if (s[k].started)
      pthread_join(s[k].tid, NULL);
  free(s);
}
