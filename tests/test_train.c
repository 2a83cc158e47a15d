/* test_train.c — the trainer (sim/train.c): gradients of every layer type
 * against central finite differences (conv with stride, padding, groups
 * and dilation, fc, max and average pooling, batch norm on batch
 * statistics, the activation's ReLU and clip, residual add, the softmax
 * cross-entropy), the straight-through estimators through their
 * surrogate (quantizers replaced by the identity within their clipping
 * range), the quantized forward pass, determinism (same seed and threads:
 * the same weights bit for bit), the export read back by the executor,
 * and unsupported layers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim.h"
#include "testutil.h"

static uint64_t seed_state = 0x9E3779B97F4A7C15ULL;
static double urand(void) {
  seed_state ^= seed_state << 13;
  seed_state ^= seed_state >> 7;
  seed_state ^= seed_state << 17;
  return (double)(seed_state >> 11) / 9007199254740992.0;
}

/* n random labelled images of c x h x w float values in [0, 1). */
static wr_dataset random_data(int64_t n, int64_t c, int64_t h, int64_t w,
                              int classes) {
  wr_dataset d;
  memset(&d, 0, sizeof d);
  d.n = n;
  d.c = c;
  d.h = h;
  d.w = w;
  d.values = malloc((size_t)(n * c * h * w) * sizeof *d.values);
  d.labels = malloc((size_t)n * sizeof *d.labels);
  for (int64_t i = 0; i < n * c * h * w; i++)
    d.values[i] = (float)urand();
  for (int64_t i = 0; i < n; i++)
    d.labels[i] = (int32_t)(i % classes);
  d.n_classes = classes;
  return d;
}

static wr_net *net_at(const char *yaml, const char *prec) {
  wr_net *n = load(yaml);
  wr_err e;
  wr_policy p;
  assert_int_equal(wr_policy_copy(&p, &n->policy, &e), WR_OK);
  assert_int_equal(wr_prec_parse(prec, "prec", &p.def, &e), WR_OK);
  assert_int_equal(wr_net_widen(n, 1, &e), WR_OK);
  wr_net_apply_policy(n, &p);
  wr_policy_clear(&p);
  return n;
}

static double loss_at(sim_trainer *t, const wr_dataset *d, const int64_t *idx,
                      int nb) {
  wr_err e;
  double l;
  if (sim_trainer_grad(t, d, idx, nb, &l, NULL, &e))
    fail_msg("%s", e.msg);
  return l;
}

/* Checks up to `per` entries of every trained parameter's gradient
 * against central differences of the loss. */
static void grad_check(const char *yaml, const char *prec, int surrogate,
                       int64_t c, int64_t h, int64_t w) {
  wr_net *net = net_at(yaml, prec);
  sim_train_opts o = sim_train_opts_default();
  o.batch = 6;
  wr_err e;
  sim_trainer *t = sim_trainer_new(net, &o, &e);
  if (!t)
    fail_msg("%s", e.msg);
  sim_trainer_set_surrogate(t, surrogate);
  wr_dataset d = random_data(6, c, h, w, 4);
  int64_t idx[6] = {0, 1, 2, 3, 4, 5};
  loss_at(t, &d, idx, 6);
  int checked = 0;
  for (int p = 0; p < sim_trainer_n_params(t); p++) {
    sim_train_param par = sim_trainer_param(t, p);
    if (!par.grad)
      continue;
    float *g = malloc((size_t)par.count * sizeof *g);
    loss_at(t, &d, idx, 6);
    memcpy(g, par.grad, (size_t)par.count * sizeof *g);
    int per = par.count < 5 ? (int)par.count : 5;
    for (int k = 0; k < per; k++) {
      int64_t j = (int64_t)(urand() * (double)par.count);
      /* a step that crosses no kink (ReLU, clip, max) matches: try steps
         from 2e-3 down to 1.6e-5 (where the binary32 rounding of the loss
         starts to dominate) */
      double best = INFINITY, best_fd = 0;
      for (float hs = 2e-3f; hs > 1e-5f && best > 0; hs /= 2) {
        float v = par.value[j];
        par.value[j] = v + hs;
        double lp = loss_at(t, &d, idx, 6);
        par.value[j] = v - hs;
        double lm = loss_at(t, &d, idx, 6);
        par.value[j] = v;
        double fd = (lp - lm) / (2.0 * (double)hs);
        double tol = 1e-3 + 0.03 * fmax(fabs(fd), fabs((double)g[j]));
        double miss = fabs(fd - (double)g[j]) - tol;
        if (miss < best) {
          best = miss > 0 ? miss : 0;
          best_fd = fd;
        }
      }
      if (best > 0)
        fail_msg("%s at %s: %s[%lld]: backward %.6g, finite differences "
                 "%.6g at best",
                 net->name, prec, par.name, (long long)j, (double)g[j],
                 best_fd);
      checked++;
    }
    free(g);
  }
  assert_true(checked > 0);
  sim_trainer_free(t);
  wr_dataset_free(&d);
  wr_net_free(net);
}

/* conv (stride, padding, groups, bias), bn, act, maxpool, conv
 * (dilation), avgpool with padding, global avgpool, fc, softmax */
static const char *const net_conv =
    "name: gconv\ninput: {shape: [2, 9, 9]}\nlayers:\n"
    "  - {name: c1, conv: {out: 4, k: 3, stride: 2, pad: 1, groups: 2}}\n"
    "  - {name: b1, bn: {}}\n"
    "  - {name: a1, act: {}}\n"
    "  - {name: p1, maxpool: {k: 2, stride: 1}}\n"
    "  - {name: c2, conv: {out: 6, k: 2, dilation: 2, pad: 1, bias: false}}\n"
    "  - {name: b2, bn: {}}\n"
    "  - {name: a2, act: {}}\n"
    "  - {name: p2, avgpool: {k: 2, stride: 1, pad: 1}}\n"
    "  - {name: c3, conv: {out: 5, k: 1}}\n"
    "  - {name: p3, avgpool: {global: true}}\n"
    "  - {name: fc, fc: {out: 4}}\n"
    "  - {name: sm, softmax: {}}\n"
    "precision: {default: 32/32, fp32: [first, last]}\n";

/* a residual block and an fc stack with batch norm over features */
static const char *const net_res =
    "name: res\ninput: {shape: [1, 6, 6]}\nlayers:\n"
    "  - {name: c1, conv: {out: 4, k: 3, pad: 1}}\n"
    "  - {name: b1, bn: {}}\n"
    "  - {name: a1, act: {}}\n"
    "  - {name: c2, conv: {out: 4, k: 3, pad: 1, bias: false}}\n"
    "  - {name: b2, bn: {}}\n"
    "  - {name: a2, act: {}}\n"
    "  - {name: c3, conv: {out: 4, k: 3, pad: 1, bias: false}}\n"
    "  - {name: b3, bn: {}}\n"
    "  - {name: add, add: {inputs: [b3, a1]}}\n"
    "  - {name: a3, act: {}}\n"
    "  - {name: fc1, fc: {out: 7, bias: false}}\n"
    "  - {name: b4, bn: {}}\n"
    "  - {name: a4, act: {}}\n"
    "  - {name: fc2, fc: {out: 4}}\n"
    "precision: {default: 32/32, fp32: [first, last]}\n";

/* an inception-style block: three branches concatenated by channel, then
 * a concat with the network input (binary32) before the classifier */
static const char *const net_cat =
    "name: cat\ninput: {shape: [1, 6, 6]}\nlayers:\n"
    "  - {name: c1, conv: {out: 3, k: 3, pad: 1}}\n"
    "  - {name: b1, bn: {}}\n"
    "  - {name: a1, act: {}}\n"
    "  - {name: c2, conv: {out: 2, k: 1, bias: false}}\n"
    "  - {name: b2, bn: {}}\n"
    "  - {name: a2, act: {}}\n"
    "  - {name: c3, input: a1, conv: {out: 3, k: 3, pad: 1, bias: false}}\n"
    "  - {name: b3, bn: {}}\n"
    "  - {name: a3, act: {}}\n"
    "  - {name: p3, maxpool: {k: 3, stride: 1, pad: 1}}\n"
    "  - {name: cat, concat: {inputs: [a2, p3, a1]}}\n"
    "  - {name: c4, conv: {out: 4, k: 1, bias: false}}\n"
    "  - {name: b4, bn: {}}\n"
    "  - {name: a4, act: {}}\n"
    "  - {name: cat2, concat: {inputs: [a4, input]}}\n"
    "  - {name: fc, fc: {out: 4}}\n"
    "precision: {default: 32/32, fp32: [first, last]}\n";
/* the same with c2 at 8/8 (integer, not differentiable: forward only) */
#define NET_CAT_8BIT_C2                                                        \
  "precision: {default: 32/32, fp32: [first, last], layers: {c2: 8/8}}\n"

static void grads_fp32(void **state) {
  (void)state;
  grad_check(net_conv, "32/32", 0, 2, 9, 9);
  grad_check(net_res, "32/32", 0, 1, 6, 6);
  grad_check(net_cat, "32/32", 0, 1, 6, 6);
}

/* Quantized networks through the straight-through surrogate: clip
 * activations, input quantizers of integer layers, weight quantizers at
 * 2..8 bits and binary. */
static void grads_ste(void **state) {
  (void)state;
  static const char *const precs[] = {"4/4", "2/2", "8/8", "4/2", "2/1"};
  for (int p = 0; p < 5; p++) {
    grad_check(net_conv, precs[p], 1, 2, 9, 9);
    grad_check(net_res, precs[p], 1, 1, 6, 6);
    grad_check(net_cat, precs[p], 1, 1, 6, 6);
  }
}

/* The quantized forward pass uses the executor's quantizers: the first
 * conv of an all-quantized layer sees its weights as codes / (2^(k-1)-1),
 * and with every quantizer the identity the loss is that of FP32 weights
 * equal to the codes' values. */
static void quantized_forward(void **state) {
  (void)state;
  wr_net *net = net_at(net_res, "4/4");
  sim_train_opts o = sim_train_opts_default();
  o.batch = 4;
  wr_err e;
  sim_trainer *t = sim_trainer_new(net, &o, &e);
  wr_dataset d = random_data(4, 1, 6, 6, 4);
  int64_t idx[4] = {0, 1, 2, 3};
  double lq = loss_at(t, &d, idx, 4);
  /* snap every quantized layer's weights to their 4-bit values: the
     quantizer then changes nothing, so the surrogate gives the same loss
     up to the activations, which are quantized too: compare the
     activation-only difference by snapping weights in both */
  for (int p = 0; p < sim_trainer_n_params(t); p++) {
    sim_train_param par = sim_trainer_param(t, p);
    if (strcmp(par.name, "c2.weight") != 0 &&
        strcmp(par.name, "c3.weight") != 0 &&
        strcmp(par.name, "fc1.weight") != 0)
      continue;
    for (int64_t k = 0; k < par.count; k++)
      par.value[k] = (float)(sim_weight_code(par.value[k], 4) / 7.0);
  }
  double lq2 = loss_at(t, &d, idx, 4);
  assert_true(lq == lq2); /* quantization is idempotent */
  sim_trainer_set_surrogate(t, 1);
  double ls = loss_at(t, &d, idx, 4);
  assert_true(ls != lq2); /* activations are quantized in the real pass */
  assert_true(isfinite(lq) && isfinite(ls));
  sim_trainer_free(t);
  wr_dataset_free(&d);
  wr_net_free(net);
}

static void train_net(const char *yaml, const char *prec, int threads,
                      unsigned long seed, int64_t n_test, wr_npz *out) {
  wr_net *net = net_at(yaml, prec);
  sim_train_opts o = sim_train_opts_default();
  o.batch = 8;
  o.epochs = 2;
  o.threads = threads;
  o.seed = seed;
  seed_state = 12345;
  wr_dataset d = random_data(40, 1, 6, 6, 4);
  wr_dataset test = random_data(n_test, 1, 6, 6, 4);
  sim_train_result r;
  wr_err e;
  if (sim_train(net, &d, &test, &o, NULL, NULL, out, &r, &e))
    fail_msg("%s", e.msg);
  assert_int_equal(r.test_n, n_test);
  /* the trainer's own forward pass (running statistics) answers as the
     executor does: the same quantizers, so the same top-1 hits */
  if (n_test > 10 &&
      llround(r.float_test_acc * (double)n_test) != r.test_correct)
    fail_msg("%s at %s: float path %.0f hits, executor %lld", net->name, prec,
             r.float_test_acc * (double)n_test, (long long)r.test_correct);
  /* the reported accuracy is the executor's on the exported weights */
  int64_t c;
  assert_int_equal(sim_exec_accuracy(net, out, "w", &test, 1, &c, &e), WR_OK);
  assert_int_equal(c, r.test_correct);
  wr_dataset_free(&d);
  wr_dataset_free(&test);
  wr_net_free(net);
}

static void train_some(const char *prec, int threads, unsigned long seed,
                       wr_npz *out) {
  train_net(net_res, prec, threads, seed, 10, out);
}

/* Concat in training: the executor on the exported weights agrees with the
 * trainer's reported accuracy (train_net checks it), with codes copied
 * through the concat and, with c2 at 8/8 (so a1 holds 8-bit codes, which
 * the concat requantizes to 4 or 2 bits), requantized. */
static void concat_trains(void **state) {
  (void)state;
  char yaml[2048];
  const char *body_end = strstr(net_cat, "precision:");
  int body = (int)(body_end - net_cat);
  snprintf(yaml, sizeof yaml, "%.*s%s", body, net_cat, NET_CAT_8BIT_C2);
  static const char *const precs[] = {"32/32", "4/4", "2/2"};
  for (int p = 0; p < 3; p++)
    for (int v = 0; v < 2; v++) {
      wr_npz w;
      train_net(v ? yaml : net_cat, precs[p], 2, 5, 300, &w);
      assert_non_null(wr_npz_get(&w, "c4.weight"));
      wr_npz_free(&w);
    }
}

static int same_npz(const wr_npz *a, const wr_npz *b) {
  if (a->n != b->n)
    return 0;
  for (size_t i = 0; i < a->n; i++)
    if (strcmp(a->arrays[i].name, b->arrays[i].name) != 0 ||
        a->arrays[i].count != b->arrays[i].count ||
        memcmp(a->arrays[i].data, b->arrays[i].data,
               (size_t)a->arrays[i].count * 4) != 0)
      return 0;
  return 1;
}

static void deterministic(void **state) {
  (void)state;
  static const char *const precs[] = {"32/32", "4/4", "2/1"};
  for (int p = 0; p < 3; p++)
    for (int threads = 1; threads <= 3; threads += 2) {
      wr_npz a, b, c;
      train_some(precs[p], threads, 7, &a);
      train_some(precs[p], threads, 7, &b);
      train_some(precs[p], threads, 8, &c);
      assert_true(same_npz(&a, &b));
      assert_false(same_npz(&a, &c));
      wr_npz_free(&a);
      wr_npz_free(&b);
      wr_npz_free(&c);
    }
}

/* Export: the executor's names and shapes; quantized layers' shadow
 * weights stay in [-1, 1]. */
static void export_format(void **state) {
  (void)state;
  wr_npz w;
  train_some("2/2", 1, 3, &w);
  const wr_array *a = wr_npz_get(&w, "c2.weight");
  assert_non_null(a);
  assert_int_equal(a->ndim, 4);
  assert_int_equal(a->shape[0], 4);
  assert_int_equal(a->shape[1], 4);
  assert_int_equal(a->shape[2], 3);
  const float *v = a->data;
  float mx = 0;
  for (int64_t k = 0; k < a->count; k++)
    mx = fmaxf(mx, fabsf(v[k]));
  assert_true(mx <= 1.0f);
  a = wr_npz_get(&w, "fc1.weight");
  assert_non_null(a);
  assert_int_equal(a->ndim, 2);
  assert_int_equal(a->shape[1], 4 * 36);
  assert_non_null(wr_npz_get(&w, "b4.running_var"));
  assert_non_null(wr_npz_get(&w, "fc2.bias"));
  assert_null(wr_npz_get(&w, "c2.bias"));
  wr_npz_free(&w);
}

static void unsupported(void **state) {
  (void)state;
  wr_net *net = net_at("name: sm\ninput: {shape: [1, 4, 4]}\nlayers:\n"
                       "  - {name: c1, conv: {out: 2, k: 1}}\n"
                       "  - {name: c2, conv: {out: 2, k: 1}}\n"
                       "  - {name: mid, softmax: {}}\n"
                       "  - {name: fc, fc: {out: 3}}\n",
                       "32/32");
  sim_train_opts o = sim_train_opts_default();
  wr_err e;
  assert_null(sim_trainer_new(net, &o, &e));
  assert_int_equal(e.status, WR_EINPUT);
  if (!strstr(e.msg, "t.yaml:6:") || !strstr(e.msg, "softmax 'mid'"))
    fail_msg("got '%s'", e.msg);
  wr_net_free(net);
  net = net_at(net_res, "4/4");
  o.batch = 0;
  assert_null(sim_trainer_new(net, &o, &e));
  assert_int_equal(e.status, WR_EINPUT);
  wr_net_free(net);
}

/* A short run on Fashion-MNIST learns (far above chance). */
static void learns_fashion_mnist(void **state) {
  (void)state;
  wr_err e;
  wr_dataset train, test;
  if (wr_dataset_fashion_mnist(WR_FASHION_MNIST_DIR, 1, 2000, &train, &e) ||
      wr_dataset_fashion_mnist(WR_FASHION_MNIST_DIR, 0, 500, &test, &e))
    fail_msg("%s", e.msg);
  wr_net *net = wr_net_open("fmnist-mlp", &e);
  wr_policy p;
  assert_int_equal(wr_policy_copy(&p, &net->policy, &e), WR_OK);
  assert_int_equal(wr_prec_parse("4/4", "prec", &p.def, &e), WR_OK);
  wr_net_apply_policy(net, &p);
  wr_policy_clear(&p);
  sim_train_opts o = sim_train_opts_default();
  o.epochs = 2;
  o.batch = 64;
  o.threads = 2;
  wr_npz w;
  sim_train_result r;
  if (sim_train(net, &train, &test, &o, NULL, NULL, &w, &r, &e))
    fail_msg("%s", e.msg);
  if (r.test_acc < 0.6)
    fail_msg("test accuracy %.3f after 2 epochs on 2000 images", r.test_acc);
  wr_npz_free(&w);
  wr_net_free(net);
  wr_dataset_free(&train);
  wr_dataset_free(&test);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(grads_fp32),
      cmocka_unit_test(grads_ste),
      cmocka_unit_test(quantized_forward),
      cmocka_unit_test(deterministic),
      cmocka_unit_test(concat_trains),
      cmocka_unit_test(export_format),
      cmocka_unit_test(unsupported),
      cmocka_unit_test(learns_fashion_mnist),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
