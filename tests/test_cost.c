/* test_cost.c — the paper's compute-cost model and the memory footprint
 * model on small networks whose answers are worked out by hand. */
#include "testutil.h"

static void packing(void **state) {
  (void)state;
  int ovf = 0;
  assert_int_equal(wr_packed_bytes(10, 4, &ovf), 5);
  assert_int_equal(wr_packed_bytes(3, 3, &ovf), 2); /* 9 bits */
  assert_int_equal(wr_packed_bytes(1, 1, &ovf), 1);
  assert_int_equal(wr_packed_bytes(0, 8, &ovf), 0);
  assert_int_equal(wr_packed_bytes(7, 32, &ovf), 28);
  assert_int_equal(ovf, 0);
  wr_packed_bytes(UINT64_MAX / 2, 4, &ovf);
  assert_int_equal(ovf, 1);
}

/* fc 16 -> 8 -> 4 on a 1x4x4 input: 128 + 32 FMAs */
static const char two_fc[] = "name: t\ninput: {shape: [1, 4, 4]}\nlayers:\n"
                             "  - {name: fc1, fc: {out: 8}}\n"
                             "  - {name: bn, bn: {}}\n"
                             "  - {name: act, act: {}}\n"
                             "  - {name: fc2, fc: {out: 4, bias: false}}\n";

static void compute_cost(void **state) {
  (void)state;
  wr_net *n = load(two_fc);
  uint64_t base = wr_net_sum(n).macs;
  assert_int_equal(base, 160);
  wr_prec p = {4, 2};
  assert_true(wr_net_cost(n, &p, base) == 6.0 / 64.0);
  wr_err e;
  assert_int_equal(wr_net_widen(n, 2.0, &e), WR_OK);
  /* fc1 doubles (256), fc2 reads twice the inputs (64): growth 2 */
  assert_int_equal(wr_net_sum(n).macs, 320);
  wr_prec fp = {32, 32};
  assert_true(wr_net_cost(n, &fp, base) == 2.0);
  /* the applied policy (first and last FP32 by default) */
  assert_true(wr_net_cost(n, NULL, base) == 2.0);
  wr_net_free(n);
}

static void footprint(void **state) {
  (void)state;
  wr_net *n = load(two_fc);
  wr_policy p;
  wr_err e;
  memset(&p, 0, sizeof p);
  p.def.a_bits = 4;
  p.def.w_bits = 2;
  wr_net_apply_policy(n, &p); /* every layer 4/2 */
  wr_footprint f;
  assert_int_equal(wr_net_footprint(n, 3, &f, &e), WR_OK);
  /* weights: fc1 128 x 2 bits = 32 B, bias 8 x 4 B, bn 16 x 4 B;
     fc2 32 x 2 bits = 8 B */
  assert_int_equal(f.weight_bytes, 32 + 32 + 64 + 8);
  /* fc1: IFM 3 x 16 x 4 bits = 24 B, OFM 3 x 8 at fc2's 4 bits = 12 B;
     fc2: IFM 3 x 8 x 4 bits = 12 B, OFM 3 x 4 x 32 bits = 48 B */
  assert_int_equal(f.infer_act_bytes, 24 + 48);
  assert_int_equal(f.infer_total_bytes, 24 + 48 + 136);
  assert_int_equal(f.train_act_bytes, 24 + 12 + 48);
  /* largest IFM + OFM gradient maps in FP32: 3 x (16 + 8) x 4 */
  assert_int_equal(f.train_grad_bytes, 288);
  assert_int_equal(f.train_total_bytes, 84 + 136 + 288);
  assert_int_equal(wr_net_footprint(n, 0, &f, &e), WR_EINPUT);
  assert_int_equal(wr_net_footprint(n, UINT64_MAX / 4, &f, &e), WR_EINPUT);
  assert_non_null(strstr(e.msg, "overflows"));
  wr_policy_clear(&p);
  wr_net_free(n);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(packing),
      cmocka_unit_test(compute_cost),
      cmocka_unit_test(footprint),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
