/* test_parallel.c — the parallel-for and the clock of workloads/: the fixed
 * partition (every index in exactly one slice, slice k = [n*k/T,
 * n*(k+1)/T) whatever the timing), slice 0 on the calling thread and able
 * to wait for the others, and a clock that does not go back. */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include "testutil.h"

#define MAX_SLICES 16

typedef struct seen {
  pthread_mutex_t lock;
  int calls[MAX_SLICES];
  int64_t lo[MAX_SLICES], hi[MAX_SLICES];
  pthread_t thread[MAX_SLICES];
  int done; /* slices 1.. that have returned */
} seen;

static void record(void *ctx, int k, int64_t lo, int64_t hi) {
  seen *s = ctx;
  pthread_mutex_lock(&s->lock);
  s->calls[k]++;
  s->lo[k] = lo;
  s->hi[k] = hi;
  s->thread[k] = pthread_self();
  pthread_mutex_unlock(&s->lock);
}

static void partitions(void **state) {
  (void)state;
  static const struct {
    int64_t n;
    int threads, slices;
  } cases[] = {{10, 3, 3}, {7, 7, 7},  {2, 5, 2},     {0, 4, 1},
               {5, 0, 1},  {5, -2, 1}, {1000, 16, 16}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    seen s = {.lock = PTHREAD_MUTEX_INITIALIZER};
    int64_t n = cases[c].n;
    int T = cases[c].slices;
    wr_parallel_for(n, cases[c].threads, record, &s);
    for (int k = 0; k < MAX_SLICES; k++) {
      assert_int_equal(s.calls[k], k < T);
      if (k < T) {
        assert_int_equal(s.lo[k], n * k / T);
        assert_int_equal(s.hi[k], n * (k + 1) / T);
      }
    }
    assert_true(pthread_equal(s.thread[0], pthread_self()));
  }
}

/* Slice 0 waits until every other slice has returned (as the sweep's
 * writer waits for its workers). */
static void waits(void *ctx, int k, int64_t lo, int64_t hi) {
  (void)lo;
  (void)hi;
  seen *s = ctx;
  if (k > 0) {
    pthread_mutex_lock(&s->lock);
    s->done++;
    pthread_mutex_unlock(&s->lock);
    return;
  }
  for (;;) {
    pthread_mutex_lock(&s->lock);
    int all = s->done == MAX_SLICES - 1;
    pthread_mutex_unlock(&s->lock);
    if (all)
      break;
    sched_yield();
  }
}

static void slice0_waits(void **state) {
  (void)state;
  seen s = {.lock = PTHREAD_MUTEX_INITIALIZER};
  wr_parallel_for(MAX_SLICES, MAX_SLICES, waits, &s);
  assert_int_equal(s.done, MAX_SLICES - 1);
}

static void clock_goes_on(void **state) {
  (void)state;
  double t0 = wr_now_s();
  for (int i = 0; i < 1000; i++) {
    double t = wr_now_s();
    assert_true(t >= t0);
    t0 = t;
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(partitions),
      cmocka_unit_test(slice0_waits),
      cmocka_unit_test(clock_goes_on),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
