/* test_cosim.c — co-simulation: the executor's operand statistics against
 * an independent naive count (MACs with two non-zero operand codes, zero
 * activations, groups' widest bit lengths) on randomized convolutions, and
 * the architecture's counts from them: identical to the data-independent
 * ones without value-dependent features, and with zero gating the saved
 * MAC energy equal to the zero-operand MACs times the energy of one. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim.h"
#include "testutil.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static int pick(int lo, int hi) {
  return lo + (int)(rnd() % (uint64_t)(hi - lo + 1));
}

static int bitlen(uint32_t v) { return v ? 32 - __builtin_clz(v) : 0; }

/* Operand statistics against loops written straight from the definition. */
static void counts_match_naive(void **state) {
  (void)state;
  for (int it = 0; it < 300; it++) {
    sim_conv_geom g;
    memset(&g, 0, sizeof g);
    g.groups = pick(1, 3);
    g.c_in = (int64_t)g.groups * pick(1, 6);
    g.c_out = (int64_t)g.groups * pick(1, 5);
    g.kh = pick(1, 4);
    g.kw = pick(1, 4);
    g.sh = pick(1, 3);
    g.sw = pick(1, 3);
    g.dh = pick(1, 2);
    g.dw = pick(1, 2);
    g.pad_t = pick(0, 2);
    g.pad_l = pick(0, 2);
    int span_h = (g.kh - 1) * g.dh + 1, span_w = (g.kw - 1) * g.dw + 1;
    g.h_in = pick(span_h, 12);
    g.w_in = pick(span_w, 12);
    g.h_out = (g.h_in + 2 * (int64_t)g.pad_t - span_h) / g.sh + 1;
    g.w_out = (g.w_in + 2 * (int64_t)g.pad_l - span_w) / g.sw + 1;
    int bits = pick(1, 8), group = pick(1, 5);
    int64_t n_in = g.c_in * g.h_in * g.w_in;
    int64_t cg = g.c_in / g.groups, og = g.c_out / g.groups;
    int64_t n_w = g.c_out * cg * g.kh * g.kw;
    int zero_pct = pick(0, 100);
    sim_packed in;
    memset(&in, 0, sizeof in);
    wr_err e;
    assert_int_equal(sim_packed_reset(&in, n_in, bits, &e), WR_OK);
    uint32_t *a = calloc((size_t)n_in, sizeof *a);
    int32_t *w = calloc((size_t)n_w, sizeof *w);
    for (int64_t i = 0; i < n_in; i++) {
      a[i] = pick(0, 99) < zero_pct ? 0 : (uint32_t)pick(0, (1 << bits) - 1);
      sim_packed_set(&in, i, a[i]);
    }
    for (int64_t i = 0; i < n_w; i++)
      w[i] = pick(0, 2) == 0 ? 0 : pick(-3, 3);
    /* naive */
    uint64_t nz = 0, macs = 0, nza = 0, groups = 0, gbits = 0;
    for (int64_t o = 0; o < g.c_out; o++)
      for (int64_t y = 0; y < g.h_out; y++)
        for (int64_t x = 0; x < g.w_out; x++)
          for (int64_t c = 0; c < cg; c++)
            for (int r = 0; r < g.kh; r++)
              for (int s = 0; s < g.kw; s++) {
                macs++;
                int64_t iy = y * g.sh - g.pad_t + (int64_t)r * g.dh;
                int64_t ix = x * g.sw - g.pad_l + (int64_t)s * g.dw;
                int64_t ci = (o / og) * cg + c;
                if (iy < 0 || iy >= g.h_in || ix < 0 || ix >= g.w_in)
                  continue;
                uint32_t av = a[(ci * g.h_in + iy) * g.w_in + ix];
                int32_t wv = w[((o * cg + c) * g.kh + r) * g.kw + s];
                nz += av != 0 && wv != 0;
              }
    uint64_t hist[17] = {0};
    for (int64_t i = 0; i < n_in; i++) {
      nza += a[i] != 0;
      hist[bitlen(a[i])]++;
    }
    for (int64_t p = 0; p < g.h_in * g.w_in; p++)
      for (int64_t c0 = 0; c0 < g.c_in; c0 += group) {
        int widest = 1;
        for (int64_t c = c0; c < c0 + group && c < g.c_in; c++)
          if (bitlen(a[c * g.h_in * g.w_in + p]) > widest)
            widest = bitlen(a[c * g.h_in * g.w_in + p]);
        groups++;
        gbits += (uint64_t)widest;
      }
    int64_t *wnz = sim_weight_nz(&g, w, &e);
    uint8_t *scratch = malloc((size_t)n_in);
    sim_operand_stats st;
    sim_operand_count(&g, &in, wnz, group, &st, scratch);
    assert_int_equal(st.macs, macs);
    assert_int_equal(st.nz_macs, nz);
    assert_int_equal(st.act, (uint64_t)n_in);
    assert_int_equal(st.nz_act, nza);
    assert_int_equal(st.groups, groups);
    assert_int_equal(st.group_bits, gbits);
    assert_memory_equal(st.bitlen, hist, sizeof hist);
    free(scratch);
    free(wnz);
    free(a);
    free(w);
    sim_packed_free(&in);
  }
}

/* A small network run on Fashion-MNIST-sized synthetic images. */
static wr_net *cnn(void) {
  wr_net *n = load("name: c\ninput: {shape: [1, 12, 12]}\n"
                   "layers:\n"
                   "  - {name: conv1, conv: {out: 8, k: 3, pad: 1}}\n"
                   "  - {name: bn1, bn: {}}\n"
                   "  - {name: act1, act: {}}\n"
                   "  - {name: pool1, maxpool: {k: 2}}\n"
                   "  - {name: conv2, conv: {out: 16, k: 3, pad: 1}}\n"
                   "  - {name: act2, act: {}}\n"
                   "  - {name: fc, fc: {out: 10}}\n");
  wr_policy pol;
  memset(&pol, 0, sizeof pol);
  pol.def.a_bits = pol.def.w_bits = 4;
  wr_net_apply_policy(n, &pol);
  return n;
}

static void images(wr_dataset *d, int count) {
  memset(d, 0, sizeof *d);
  d->n = count;
  d->c = 1;
  d->h = d->w = 12;
  d->pixels = malloc((size_t)count * 144);
  for (int i = 0; i < count * 144; i++)
    d->pixels[i] = pick(0, 3) == 0 ? 0 : (uint8_t)pick(0, 255);
}

/* Runs `count` images through the co-simulation of `a`. */
static void cosim_run(const arch *a, const wr_net *net, int count,
                      sim_cosim *cs) {
  wr_npz w;
  wr_err e;
  assert_int_equal(sim_synthetic_weights(net, 7, &w, &e), WR_OK);
  sim_config cfg = sim_config_default();
  sim_model *m = sim_model_new(net, &w, "w", &cfg, &e);
  assert_non_null(m);
  assert_int_equal(sim_model_operand_stats(m, 16, &e), WR_OK);
  arch_eval_opts o = {1, ARCH_OBJ_ENERGY, 0};
  assert_int_equal(sim_cosim_init(cs, a, net, &o, &e), WR_OK);
  wr_dataset d;
  images(&d, count);
  sim_layer_stats *st = calloc((size_t)net->n_layers, sizeof *st);
  for (int i = 0; i < count; i++) {
    int top1;
    memset(st, 0, sizeof *st * (size_t)net->n_layers);
    assert_int_equal(sim_run_image(m, &d, i, &top1, st, NULL, NULL, &e), WR_OK);
    assert_int_equal(sim_cosim_add(cs, st, &e), WR_OK);
  }
  free(st);
  free(d.pixels);
  sim_model_free(m);
  wr_npz_free(&w);
}

static arch *preset_arch(const char *name) {
  wr_err e;
  arch *a = arch_open(name, &e);
  if (!a)
    fail_msg("%s", e.msg);
  return a;
}

static void no_features_same_counts(void **state) {
  (void)state;
  wr_net *net = cnn();
  arch *a = preset_arch("bitfusion-like");
  sim_cosim cs;
  cosim_run(a, net, 12, &cs);
  for (int j = 0; j < cs.base.n_layers; j++) {
    assert_true(cs.layers[j].cycles_min == (double)cs.base.layers[j].cycles);
    assert_true(cs.layers[j].cycles_max == (double)cs.base.layers[j].cycles);
    assert_true(
        fabs(cs.layers[j].energy_sum / 12 - cs.base.layers[j].energy.total) <=
        1e-9 * cs.base.layers[j].energy.total);
  }
  sim_cosim_free(&cs);
  arch_free(a);
  wr_net_free(net);
}

static void zero_gating_saves_zero_macs(void **state) {
  (void)state;
  wr_net *net = cnn();
  arch *a = preset_arch("scalesim-32x32");
  wr_err e;
  assert_int_equal(arch_set_param(a, "features.zero_gating", "true", &e),
                   WR_OK);
  sim_cosim cs;
  cosim_run(a, net, 10, &cs);
  wr_prec mode = {8, 8};
  double e_mac = arch_mac_pj(a, mode);
  for (int j = 0; j < cs.base.n_layers; j++) {
    const arch_layer_result *b = &cs.base.layers[j];
    const sim_cosim_layer *L = &cs.layers[j];
    if (b->kind != WR_CONV && b->kind != WR_FC)
      continue;
    assert_true(L->ops.nz_macs < L->ops.macs); /* there are zeros */
    double zero_macs = (double)(L->ops.macs - L->ops.nz_macs);
    double saved = (double)cs.images * b->energy.mac - L->energy.mac;
    assert_true(fabs(saved - zero_macs * e_mac) <= 1e-9 * b->energy.mac * 10);
    assert_true(L->cycles_min == (double)b->cycles); /* gating saves no time */
  }
  sim_cosim_free(&cs);
  arch_free(a);
  wr_net_free(net);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(counts_match_naive),
      cmocka_unit_test(no_features_same_counts),
      cmocka_unit_test(zero_gating_saves_zero_macs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
