/* test_exec.c — the functional executor against references computed
 * straight from docs/numerics.md: a conv + bn + act chain at random bit
 * widths (golden conv, binary64 scale folding, binary32 rounding), the
 * exact fake-quant case, accumulator overflow rules, weight errors, and
 * determinism of synthetic weights. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim.h"
#include "testutil.h"

static uint64_t seed_state = 88172645463325252ULL;
static double urand(void) { /* xorshift64 in [0, 1) */
  seed_state ^= seed_state << 13;
  seed_state ^= seed_state >> 7;
  seed_state ^= seed_state << 17;
  return (double)(seed_state >> 11) / 9007199254740992.0;
}

/* Appends a float32 array named `name` with the given shape and values
 * (NULL: uniform in [lo, hi)). */
static float *put(wr_npz *z, const char *name, int ndim, const int64_t *shape,
                  double lo, double hi) {
  z->arrays = realloc(z->arrays, (z->n + 1) * sizeof *z->arrays);
  wr_array *a = &z->arrays[z->n++];
  memset(a, 0, sizeof *a);
  a->name = strdup(name);
  a->dtype = WR_DT_F32;
  a->ndim = ndim;
  a->count = 1;
  for (int i = 0; i < ndim; i++)
    a->count *= a->shape[i] = shape[i];
  float *d = malloc((size_t)a->count * sizeof *d);
  for (int64_t i = 0; i < a->count; i++)
    d[i] = (float)(lo + (hi - lo) * urand());
  a->data = d;
  return d;
}

static wr_dataset one_image(int64_t c, int64_t h, int64_t w) {
  wr_dataset d;
  memset(&d, 0, sizeof d);
  d.n = 1;
  d.c = c;
  d.h = h;
  d.w = w;
  d.values = malloc((size_t)(c * h * w) * sizeof *d.values);
  for (int64_t i = 0; i < c * h * w; i++)
    d.values[i] = (float)(1.2 * urand() - 0.1);
  return d;
}

/* Dump callback: keeps the codes of one layer. */
typedef struct grab {
  int layer;
  int bits;
  int64_t count;
  int32_t *codes;
} grab;

static int grab_cb(void *ctx, const sim_output *o, wr_err *e) {
  (void)e;
  grab *g = ctx;
  if (o->layer != g->layer)
    return WR_OK;
  g->bits = o->bits;
  g->count = o->count;
  g->codes = realloc(g->codes, (size_t)o->count * sizeof *g->codes);
  for (int64_t i = 0; i < o->count; i++)
    g->codes[i] = o->bits <= 16 ? (int32_t)sim_packed_get(o->codes, i) : -1;
  return WR_OK;
}

/* conv (A/W) -> bn -> act (read at 8 bits by the fc) -> fc (8/8) */
static uint64_t total_mismatches;

static void chain_matches_reference(int a, int w, int fixed) {
  char yaml[1024];
  snprintf(yaml, sizeof yaml,
           "name: chain\ninput: {shape: [5, 7, 6]}\nlayers:\n"
           "  - {name: conv, conv: {out: 4, k: 3, stride: 2, pad: 1, bias: "
           "true}}\n"
           "  - {name: bn, bn: {eps: 0.001}}\n"
           "  - {name: act, act: {}}\n"
           "  - {name: fc, fc: {out: 3}}\n"
           "precision: {default: 8/8, fp32: [], layers: {conv: %d/%d}}\n",
           a, w);
  wr_net *n = load(yaml);
  wr_npz z = {NULL, 0};
  int64_t ws[4] = {4, 5, 3, 3}, c4 = 4, fs[2] = {3, (int64_t)4 * 4 * 3};
  float *wt = put(&z, "conv.weight", 4, ws, -1.1, 1.1);
  float *bias = put(&z, "conv.bias", 1, &c4, -0.2, 0.2);
  float *gamma = put(&z, "bn.weight", 1, &c4, 0.5, 2.0);
  float *beta = put(&z, "bn.bias", 1, &c4, -0.2, 0.5);
  float *mean = put(&z, "bn.running_mean", 1, &c4, -0.3, 0.3);
  float *var = put(&z, "bn.running_var", 1, &c4, 0.2, 3.0);
  put(&z, "fc.weight", 2, fs, -1, 1);
  put(&z, "fc.bias", 1, &fs[0], -1, 1);
  wr_dataset d = one_image(5, 7, 6);
  wr_err e;
  sim_config cfg = sim_config_default();
  if (fixed) {
    cfg.requant = WR_RQ_FIXED;
    cfg.rq_shift = 8 + 2 * a; /* coarse to fine: some codes differ */
    cfg.rq_mult_bits = 48;
    cfg.rq_round = (wr_round)(a % 3);
  }
  sim_model *m = sim_model_new(n, &z, NULL, &cfg, &e);
  if (!m)
    fail_msg("%s", e.msg);
  grab g = {wr_net_find(n, "act"), 0, 0, NULL};
  int top1;
  sim_layer_stats st[5];
  memset(st, 0, sizeof st);
  assert_int_equal(sim_run_image(m, &d, 0, &top1, st, grab_cb, &g, &e), WR_OK);
  uint64_t mismatches = 0;
  assert_int_equal(g.bits, 8);
  /* the reference, from the contract */
  double alpha = 0;
  for (int i = 0; i < 180; i++)
    alpha += fabs((double)wt[i]) / 180.0;
  double top_a = (double)((1 << a) - 1);
  double S =
      w == 1 ? alpha / top_a : 1.0 / (top_a * (double)((1 << (w - 1)) - 1));
  for (int64_t o = 0; o < 4; o++)
    for (int64_t y = 0; y < 4; y++)
      for (int64_t x = 0; x < 3; x++) {
        int64_t acc = 0;
        for (int64_t c = 0; c < 5; c++)
          for (int r = 0; r < 3; r++)
            for (int s = 0; s < 3; s++) {
              int64_t iy = y * 2 - 1 + r, ix = x * 2 - 1 + s;
              if (iy < 0 || iy >= 7 || ix < 0 || ix >= 6)
                continue;
              int32_t qa = sim_act_code(d.values[(c * 7 + iy) * 6 + ix], a);
              int32_t qw =
                  sim_weight_code(wt[((o * 5 + c) * 3 + r) * 3 + s], w);
              acc += (int64_t)qa * qw;
            }
        uint64_t ovf = 0; /* the default 32-bit saturating accumulator */
        acc = sim_acc_apply(acc, 32, WR_OVF_SATURATE, &ovf);
        double sc = (double)gamma[o] / sqrt((double)var[o] + 0.001);
        float mm = (float)(S * sc);
        float bb = (float)((double)beta[o] - sc * (double)mean[o] +
                           sc * (double)bias[o]);
        volatile float p = (float)acc * mm;
        volatile float yv = p + bb;
        int32_t want = sim_act_code(yv, 8);
        if (fixed) {
          double sc8 = ldexp(255.0, cfg.rq_shift);
          int32_t fx = sim_requant_fixed(acc, (int64_t)nearbyint(mm * sc8),
                                         (int64_t)nearbyint(bb * sc8),
                                         cfg.rq_shift, cfg.rq_round, 8);
          mismatches += fx != want;
          want = fx;
        }
        int32_t got = g.codes[(o * 4 + y) * 3 + x];
        if (got != want)
          fail_msg("%d/%d: output (%lld,%lld,%lld): %d, reference %d", a, w,
                   (long long)o, (long long)y, (long long)x, got, want);
      }
  assert_int_equal(st[2].rq_mismatch, mismatches);
  total_mismatches += mismatches;
  free(g.codes);
  free(d.values);
  sim_model_free(m);
  wr_npz_free(&z);
  wr_net_free(n);
}

static void conv_bn_act_all_bit_pairs(void **state) {
  (void)state;
  for (int fixed = 0; fixed < 2; fixed++) {
    for (int a = 1; a <= 8; a++)
      for (int w = 1; w <= 8; w++)
        chain_matches_reference(a, w, fixed);
    chain_matches_reference(16, 16, fixed);
  }
  assert_true(total_mismatches > 0); /* the count was exercised */
}

static void fixed_point_rounding(void **state) {
  (void)state;
  /* shift 2: v / 4 for v = acc * M + B */
  static const struct {
    int64_t v;
    int rne, up, floor_;
  } cases[] = {{6, 2, 2, 1},  {2, 0, 1, 0}, {10, 2, 3, 2},   {7, 2, 2, 1},
               {-2, 0, 0, 0}, {5, 1, 1, 1}, {64, 15, 15, 15}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    assert_int_equal(sim_requant_fixed(cases[i].v, 1, 0, 2, WR_ROUND_RNE, 4),
                     cases[i].rne);
    assert_int_equal(
        sim_requant_fixed(cases[i].v, 1, 0, 2, WR_ROUND_HALF_UP, 4),
        cases[i].up);
    assert_int_equal(sim_requant_fixed(cases[i].v, 1, 0, 2, WR_ROUND_FLOOR, 4),
                     cases[i].floor_);
  }
  /* products beyond 64 bits are exact */
  assert_int_equal(sim_requant_fixed(INT64_C(1) << 40, INT64_C(1) << 30, 0, 62,
                                     WR_ROUND_RNE, 16),
                   256);
  wr_round r;
  wr_err e;
  assert_int_equal(wr_round_parse("half-up", &r, &e), WR_OK);
  assert_int_equal(r, WR_ROUND_HALF_UP);
  assert_int_equal(wr_round_parse("ceil", &r, &e), WR_EINPUT);
}

/* 1-bit activations and ternary weights make S = 1; batch norm with
 * var + eps = 1/16 and gamma = 1/8 makes s = 1/2: every step is exact, so
 * codes equal a float fake-quant reference in exact arithmetic. */
static void exact_fake_quant(void **state) {
  (void)state;
  wr_net *n =
      load("name: fq\ninput: {shape: [3, 6, 6]}\nlayers:\n"
           "  - {name: conv, conv: {out: 2, k: 3, bias: false}}\n"
           "  - {name: bn, bn: {eps: 0.0625}}\n"
           "  - {name: act, act: {}}\n"
           "  - {name: fc, fc: {out: 2}}\n"
           "precision: {default: 4/4, fp32: [], layers: {conv: 1/2}}\n");
  wr_npz z = {NULL, 0};
  int64_t ws[4] = {2, 3, 3, 3}, c2 = 2, fs[2] = {2, 32};
  float *wt = put(&z, "conv.weight", 4, ws, -1.5, 1.5);
  for (int i = 0; i < 54; i++) /* exactly representable ternary values */
    wt[i] = wt[i] < -0.5f ? -1.0f : wt[i] > 0.5f ? 1.0f : 0.0f;
  float *gm = put(&z, "bn.weight", 1, &c2, 0.125, 0.125);
  float *bt = put(&z, "bn.bias", 1, &c2, 0.25, 0.25);
  put(&z, "bn.running_mean", 1, &c2, 0, 0);
  put(&z, "bn.running_var", 1, &c2, 0, 0);
  put(&z, "fc.weight", 2, fs, -1, 1);
  put(&z, "fc.bias", 1, &fs[0], 0, 0);
  wr_dataset d = one_image(3, 6, 6);
  wr_err e;
  sim_config cfg = sim_config_default();
  sim_model *m = sim_model_new(n, &z, NULL, &cfg, &e);
  assert_non_null(m);
  grab g = {2, 0, 0, NULL};
  assert_int_equal(sim_run_image(m, &d, 0, NULL, NULL, grab_cb, &g, &e), WR_OK);
  for (int o = 0; o < 2; o++)
    for (int y = 0; y < 4; y++)
      for (int x = 0; x < 4; x++) {
        double sum = 0; /* fake-quant values, exact in binary64 */
        for (int c = 0; c < 3; c++)
          for (int r = 0; r < 3; r++)
            for (int s = 0; s < 3; s++) {
              double av = d.values[(c * 6 + y + r) * 6 + x + s] >= 0.5 ? 1 : 0;
              if (d.values[(c * 6 + y + r) * 6 + x + s] == 0.5f)
                av = 0; /* rne(0.5) = 0 */
              sum += av * wt[((o * 3 + c) * 3 + r) * 3 + s];
            }
        double yv = sum * ((double)gm[o] / 0.25) + bt[o];
        double cl = yv < 0 ? 0 : yv > 1 ? 1 : yv;
        int want = (int)nearbyint(cl * 15);
        assert_int_equal(g.codes[(o * 4 + y) * 4 + x], want);
      }
  free(g.codes);
  free(d.values);
  sim_model_free(m);
  wr_npz_free(&z);
  wr_net_free(n);
}

static const char small[] = "name: small\ninput: {shape: [2, 5, 5]}\nlayers:\n"
                            "  - {name: conv, conv: {out: 3, k: 3, pad: 1}}\n"
                            "  - {name: act, act: {}}\n"
                            "  - {name: pool, maxpool: {k: 2, ceil: true}}\n"
                            "  - {name: gap, avgpool: {global: true}}\n"
                            "  - {name: fc, fc: {out: 4}}\n"
                            "precision: {default: 8/8, fp32: []}\n";

static void overflow_rules(void **state) {
  (void)state;
  wr_net *n = load(small);
  wr_npz z = {NULL, 0};
  int64_t ws[4] = {3, 2, 3, 3}, c3 = 3, fs[2] = {4, 3}, c4 = 4;
  put(&z, "conv.weight", 4, ws, 0.9, 1.0); /* large positive sums */
  put(&z, "conv.bias", 1, &c3, 0, 0);
  put(&z, "fc.weight", 2, fs, -1, 1);
  put(&z, "fc.bias", 1, &c4, 0, 0);
  wr_dataset d = one_image(2, 5, 5);
  for (int i = 0; i < 50; i++)
    d.values[i] = 1.0f;
  wr_err e;
  sim_layer_stats st[5];
  sim_config cfg = sim_config_default();
  cfg.acc_bits = 12; /* 255 * 127 * 18 >> 2^11 */
  for (int rule = 0; rule < 3; rule++) {
    cfg.overflow = (wr_overflow)rule;
    sim_model *m = sim_model_new(n, &z, NULL, &cfg, &e);
    assert_non_null(m);
    memset(st, 0, sizeof st);
    int rc = sim_run_image(m, &d, 0, NULL, st, NULL, NULL, &e);
    if (rule == WR_OVF_ERROR) {
      assert_int_equal(rc, WR_ERUNTIME);
      assert_non_null(strstr(e.msg, "conv 'conv': accumulator overflow (12 "
                                    "bits)"));
    } else {
      assert_int_equal(rc, WR_OK);
      assert_int_equal(st[0].overflows, 3 * 25); /* every output */
    }
    sim_model_free(m);
  }
  cfg.requant = WR_RQ_FIXED; /* a multiplier too wide for its bits */
  cfg.rq_shift = 40;
  cfg.rq_mult_bits = 8;
  assert_null(sim_model_new(n, &z, NULL, &cfg, &e));
  assert_non_null(strstr(e.msg, "fixed-point requantizer: conv 'conv' "
                                "channel 0 needs a multiplier of"));
  cfg = sim_config_default();
  sim_model *m = sim_model_new(n, &z, NULL, &cfg, &e);
  memset(st, 0, sizeof st);
  assert_int_equal(sim_run_image(m, &d, 0, NULL, st, NULL, NULL, &e), WR_OK);
  assert_int_equal(st[0].overflows, 0);
  assert_int_equal(st[1].out_bits, 8);
  assert_int_equal(st[2].values, 3 * 3 * 3); /* ceil mode: 5 -> 3 */
  assert_int_equal(st[3].out_bits, 32);
  sim_model_free(m);
  free(d.values);
  wr_npz_free(&z);
  wr_net_free(n);
}

static void weight_errors(void **state) {
  (void)state;
  wr_net *n = load(small);
  wr_npz z = {NULL, 0};
  int64_t ws[4] = {3, 2, 3, 3}, bad[4] = {3, 2, 1, 3}, c3 = 3;
  wr_err e;
  sim_config cfg = sim_config_default();
  assert_null(sim_model_new(n, &z, NULL, &cfg, &e));
  assert_string_equal(
      e.msg, "weights: missing array 'conv.weight' of shape [3, 2, 3, 3]");
  put(&z, "conv.weight", 4, bad, 0, 1);
  assert_null(sim_model_new(n, &z, NULL, &cfg, &e));
  assert_string_equal(e.msg, "weights: array 'conv.weight' has shape [3, 2, "
                             "1, 3], the network needs [3, 2, 3, 3]");
  wr_npz_free(&z);
  z.arrays = NULL;
  z.n = 0;
  put(&z, "conv.weight", 4, ws, 0, 1);
  assert_null(sim_model_new(n, &z, NULL, &cfg, &e));
  assert_string_equal(e.msg, "weights: missing array 'conv.bias' of shape [3]");
  put(&z, "conv.bias", 1, &c3, 0, 0);
  ((float *)z.arrays[1].data)[1] = NAN;
  assert_null(sim_model_new(n, &z, NULL, &cfg, &e));
  assert_non_null(strstr(e.msg, "'conv.bias' holds a non-finite value"));
  wr_npz_free(&z);
  wr_net_free(n);
}

static void synthetic_is_deterministic(void **state) {
  (void)state;
  wr_err e;
  wr_net *n = wr_net_open("fmnist-cnn", &e);
  assert_non_null(n);
  wr_policy p;
  assert_int_equal(wr_policy_copy(&p, &n->policy, &e), WR_OK);
  p.def.a_bits = p.def.w_bits = 2;
  wr_net_apply_policy(n, &p);
  wr_policy_clear(&p);
  int64_t zeros[2];
  int tops[2];
  for (int run = 0; run < 2; run++) {
    seed_state = 88172645463325252ULL; /* the same image both times */
    wr_npz z;
    assert_int_equal(sim_synthetic_weights(n, 7, &z, &e), WR_OK);
    sim_config cfg = sim_config_default();
    sim_model *m = sim_model_new(n, &z, NULL, &cfg, &e);
    assert_non_null(m);
    wr_dataset d = one_image(1, 28, 28);
    sim_layer_stats st[32];
    memset(st, 0, sizeof st);
    assert_int_equal(sim_run_image(m, &d, 0, &tops[run], st, NULL, NULL, &e),
                     WR_OK);
    zeros[run] = (int64_t)st[2].zero_codes;
    assert_int_equal(st[2].out_bits, 2);
    free(d.values);
    sim_model_free(m);
    wr_npz_free(&z);
  }
  assert_int_equal(zeros[0], zeros[1]);
  assert_int_equal(tops[0], tops[1]);
  wr_net_free(n);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(conv_bn_act_all_bit_pairs),
      cmocka_unit_test(fixed_point_rounding),
      cmocka_unit_test(exact_fake_quant),
      cmocka_unit_test(overflow_rules),
      cmocka_unit_test(weight_errors),
      cmocka_unit_test(synthetic_is_deterministic),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
