/* test_net.c — shape inference (PyTorch and TensorFlow rules), the width
 * transform and the precision policy on the IR. */
#include <stdio.h>

#include "testutil.h"

/* One pooling layer on an HxW map; returns its output height. */
static int64_t pool_out(int h, const char *fields) {
  char y[512];
  snprintf(y, sizeof y,
           "name: p\ninput: {shape: [1, %d, %d]}\nlayers:\n"
           "  - {name: pool, maxpool: {%s}}\n  - {fc: {out: 2}}\n",
           h, h, fields);
  wr_net *n = load(y);
  int64_t o = layer(n, "pool")->out.h;
  wr_net_free(n);
  return o;
}

static void pooling_sizes(void **state) {
  (void)state;
  assert_int_equal(pool_out(8, "k: 3, stride: 2"), 3);
  assert_int_equal(pool_out(8, "k: 3, stride: 2, ceil: true"), 4);
  assert_int_equal(pool_out(8, "k: 3, stride: 2, pad: 1, ceil: true"), 5);
  /* PyTorch drops a last window that would start in the padding */
  assert_int_equal(pool_out(5, "k: 2, stride: 2, pad: 1, ceil: true"), 3);
  /* TensorFlow SAME: ceil(in / stride) */
  assert_int_equal(pool_out(54, "k: 3, stride: 2, pad: same"), 27);
  assert_int_equal(pool_out(27, "k: 3, stride: 2, pad: same"), 14);
  assert_int_equal(pool_out(14, "k: 3, stride: 2, pad: valid"), 6);
  assert_int_equal(pool_out(7, "global: true"), 1);
}

static void conv_sizes_and_counts(void **state) {
  (void)state;
  wr_net *n = load("name: c\ninput: {shape: [3, 224, 224]}\nlayers:\n"
                   "  - {name: c0, conv: {out: 96, k: 12, stride: 4, pad: "
                   "valid}}\n"
                   "  - {name: c1, conv: {out: 256, k: 5, pad: same, groups: "
                   "2, bias: false}}\n"
                   "  - {name: c2, conv: {out: 8, k: 3, dilation: 2, pad: [1, "
                   "2, 0, 3]}}\n"
                   "  - {name: dw, conv: {k: 3, pad: 1, groups: dw}}\n"
                   "  - {name: fc, fc: {out: 10}}\n");
  const wr_layer *c0 = layer(n, "c0"), *c1 = layer(n, "c1");
  assert_int_equal(c0->out.h, 54);
  assert_int_equal(c0->macs, 54ULL * 54 * 96 * 12 * 12 * 3);
  assert_int_equal(c0->extra_params, 96);
  assert_int_equal(c1->out.h, 54);
  assert_int_equal(c1->pad_t, 2);
  assert_int_equal(c1->weights, 256LL * 48 * 25);
  assert_int_equal(c1->extra_params, 0);
  /* dilated 3x3 spans 5: (54 + 3 - 5) + 1 rows, (54 + 3 - 5) + 1 cols */
  const wr_layer *c2 = layer(n, "c2");
  assert_int_equal(c2->out.h, 53);
  assert_int_equal(c2->out.w, 53);
  const wr_layer *dw = layer(n, "dw");
  assert_int_equal(dw->groups, 8);
  assert_int_equal(dw->out.c, 8);
  assert_int_equal(dw->weights, 8 * 9);
  wr_net_totals t = wr_net_sum(n);
  assert_int_equal(t.n_compute, 5);
  wr_net_free(n);
}

static const char mlp[] = "name: m\ninput: {shape: [1, 28, 28]}\nlayers:\n"
                          "  - {name: c1, conv: {out: 3, k: 3, groups: 1}}\n"
                          "  - {name: dw, conv: {k: 3, groups: dw}}\n"
                          "  - {name: g, conv: {out: 4, k: 1, groups: 1}}\n"
                          "  - {name: fc1, fc: {out: 64}}\n"
                          "  - {name: fc2, fc: {out: 10}}\n"
                          "  - {softmax: {}}\n";

static void widening(void **state) {
  (void)state;
  wr_net *n = load(mlp);
  wr_err e;
  assert_int_equal(wr_net_widen(n, 2.0, &e), WR_OK);
  assert_int_equal(layer(n, "c1")->out.c, 6);
  assert_int_equal(layer(n, "c1")->in.c, 1);  /* the network input stays */
  assert_int_equal(layer(n, "dw")->out.c, 6); /* depthwise follows */
  assert_int_equal(layer(n, "fc1")->out.c, 128);
  assert_int_equal(layer(n, "fc2")->out.c, 10); /* classifier keeps */
  assert_int_equal(layer(n, "fc2")->in.c, 128);
  assert_int_equal(wr_net_widen(n, 1.3, &e), WR_OK);
  assert_int_equal(layer(n, "fc1")->out.c, 83); /* round(83.2) */
  assert_int_equal(wr_net_widen(n, 0.5, &e), WR_OK);
  assert_int_equal(layer(n, "c1")->out.c, 2); /* round(1.5): half away */
  /* widening is always from the network as written */
  assert_int_equal(wr_net_widen(n, 1.0, &e), WR_OK);
  assert_int_equal(layer(n, "fc1")->out.c, 64);
  assert_int_equal(wr_net_widen(n, 0.1, &e), WR_EINPUT);
  assert_non_null(strstr(e.msg, "t.yaml:4:16: conv 'c1': width 0.1 leaves"));
  assert_int_equal(wr_net_widen(n, 0.0, &e), WR_EINPUT);
  assert_int_equal(wr_net_widen(n, -2.0, &e), WR_EINPUT);
  assert_int_equal(wr_net_widen(n, 0.0 / 0.0, &e), WR_EINPUT);
  wr_net_free(n);
}

static void widening_grouped(void **state) {
  (void)state;
  wr_net *n = load("name: g\ninput: {shape: [4, 8, 8]}\nlayers:\n"
                   "  - {name: a, conv: {out: 4, k: 1}}\n"
                   "  - {name: b, conv: {out: 4, k: 1, groups: 2}}\n"
                   "  - {fc: {out: 2}}\n");
  wr_err e;
  assert_int_equal(wr_net_widen(n, 2.0, &e), WR_OK);
  assert_int_equal(layer(n, "b")->weights, 8 * 4);
  assert_int_equal(wr_net_widen(n, 1.25, &e), WR_EINPUT);
  assert_non_null(strstr(e.msg, "t.yaml:5:15: conv 'b': groups 2 must divide "
                                "the input channels (5)"));
  wr_net_free(n);
}

static void policies(void **state) {
  (void)state;
  wr_net *n = load(mlp);
  wr_policy p;
  wr_err e;
  memset(&p, 0, sizeof p);
  p.def.a_bits = 4;
  p.def.w_bits = 2;
  p.fp32_first = p.fp32_last = 1;
  wr_net_apply_policy(n, &p);
  assert_int_equal(layer(n, "c1")->prec.a_bits, 32);
  assert_int_equal(layer(n, "dw")->prec.a_bits, 4);
  assert_int_equal(layer(n, "fc2")->prec.w_bits, 32);
  wr_prec p8 = {8, 8};
  assert_int_equal(wr_policy_add_rule(&p, "fc?", p8, &e), WR_OK);
  assert_int_equal(wr_policy_set_fp32(&p, "none", &e), WR_OK);
  wr_net_apply_policy(n, &p);
  assert_int_equal(layer(n, "c1")->prec.a_bits, 4);
  assert_int_equal(layer(n, "fc1")->prec.a_bits, 8);
  assert_int_equal(layer(n, "fc2")->prec.a_bits, 8);
  wr_policy_clear(&p);
  wr_net_free(n);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(pooling_sizes), cmocka_unit_test(conv_sizes_and_counts),
      cmocka_unit_test(widening),      cmocka_unit_test(widening_grouped),
      cmocka_unit_test(policies),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
