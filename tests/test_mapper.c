/* test_mapper.c — the architecture model's evaluation: the bounds that must
 * always hold, as properties over randomized layers and architectures
 * (cycles against the MAC and DRAM roofs, traffic against the tensors'
 * packed sizes, monotonicity in buffer size, bandwidth and bits), SCALE-Sim
 * parity with ideal memory, closed forms of the bit-serial families, the
 * energy and area figures from the technology tables, parameter editing
 * for sweeps, and table PEs restating the built-in families exactly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "arch.h"
#include "testutil.h"

/* ---- random cases -------------------------------------------------------- */

static uint64_t rng = 88172645463325252ULL;
static uint64_t rnd(void) { /* xorshift64 */
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static int pick(int lo, int hi) {
  return lo + (int)(rnd() % (uint64_t)(hi - lo + 1));
}

static const char *const families[] = {"parallel", "simd", "bitserial",
                                       "bitserial2", "bitfusion"};

typedef struct spec {
  int rows, cols, df, fam, bits, rf;
  double kib[3], bpc[3], gbps, lat, eff;
  int burst, unified;
} spec;

static void random_spec(spec *s) {
  s->rows = 1 << pick(0, 6);
  s->cols = 1 << pick(0, 6);
  s->df = pick(0, 2);
  s->fam = pick(0, 4);
  s->bits = pick(0, 1) ? 8 : 16;
  s->rf = pick(0, 3) == 0 ? 64 << pick(0, 3) : 0;
  for (int i = 0; i < 3; i++) {
    s->kib[i] = (double)(1 << pick(2, 10)); /* 4 KiB .. 1 MiB */
    s->bpc[i] = (double)(8 << pick(0, 7));
  }
  s->gbps = 0.5 * (1 << pick(0, 8));
  s->lat = pick(0, 200);
  s->eff = 0.5 + 0.5 * (double)pick(0, 10) / 10;
  s->burst = 8 << pick(0, 4);
  s->unified = pick(0, 4) == 0;
}

static arch *build(const spec *s) {
  static const char *const dfs[] = {"os", "ws", "is"};
  char y[2048], mac[256], bufs[512];
  if (s->fam == 4)
    snprintf(mac, sizeof mac,
             "{family: bitfusion, precisions: {activation: [2, 4, 8, 16], "
             "weight: [2, 4, 8, 16]}}");
  else
    snprintf(mac, sizeof mac, "{family: %s, bits: %d, precisions: any}",
             families[s->fam], s->bits);
  if (s->unified)
    snprintf(bufs, sizeof bufs,
             "  - {name: glb, holds: [input, weight, output], kib: %g, "
             "bytes_per_cycle: %g}\n",
             s->kib[0] * 3, s->bpc[0]);
  else
    snprintf(bufs, sizeof bufs,
             "  - {name: ib, holds: [input], kib: %g, bytes_per_cycle: %g}\n"
             "  - {name: wb, holds: [weight], kib: %g, bytes_per_cycle: %g}\n"
             "  - {name: ob, holds: [output], kib: %g, bytes_per_cycle: %g}\n",
             s->kib[0], s->bpc[0], s->kib[1], s->bpc[1], s->kib[2], s->bpc[2]);
  snprintf(y, sizeof y,
           "name: rand\nclock_mhz: 500\ntech: horowitz45\n"
           "array: {rows: %d, cols: %d, dataflow: %s, rf_bytes: %d}\n"
           "mac: %s\nbuffers:\n%s"
           "dram: {gbps: %g, pj_per_bit: 20, burst_bytes: %d, latency_ns: %g, "
           "row_efficiency: %g}\nstatic_mw: 25\n",
           s->rows, s->cols, dfs[s->df], s->rf, mac, bufs, s->gbps, s->burst,
           s->lat, s->eff);
  return arch_from(y, "rand.yaml");
}

/* A one-layer network: a conv (random geometry, sometimes grouped) or an
 * fc, at precision p. */
static wr_net *random_layer(wr_prec p) {
  char y[512];
  if (pick(0, 4) == 0) {
    snprintf(y, sizeof y,
             "name: r\ninput: {shape: [%d, 1, 1]}\n"
             "layers:\n  - {name: f, fc: {out: %d}}\n",
             pick(1, 2048), pick(1, 1024));
  } else {
    int k = pick(0, 3) * 2 + 1, s = pick(1, 3), h = pick(k, 40);
    int c = pick(1, 96), g = pick(0, 5) == 0 ? (c % 2 ? 1 : 2) : 1;
    int o = pick(1, 64) * g;
    snprintf(y, sizeof y,
             "name: r\ninput: {shape: [%d, %d, %d]}\n"
             "layers:\n  - {name: c, conv: {out: %d, k: %d, stride: %d, "
             "pad: %d, groups: %d}}\n",
             c, h, h + pick(0, 5), o, k, s, pick(0, k / 2), g);
  }
  wr_net *n = load(y);
  wr_policy pol;
  memset(&pol, 0, sizeof pol);
  pol.def = p;
  wr_net_apply_policy(n, &pol);
  return n;
}

static wr_prec random_prec(const arch *a) {
  if (a->family == ARCH_MAC_BITFUSION) {
    wr_prec p = {pick(1, 16), pick(1, 16)};
    return p;
  }
  wr_prec p = {pick(1, a->native_bits), pick(1, a->native_bits)};
  return p;
}

static int eval(const arch *a, const wr_layer *l, int out_bits,
                arch_objective obj, const arch_mapping *fixed,
                arch_layer_result *r) {
  arch_eval_opts o = {1 + (uint64_t)(rnd() % 1 ? 1 : 0), obj, 0};
  o.batch = 1;
  wr_err e;
  int rc = arch_eval_layer(a, l, out_bits, &o, fixed, r, &e);
  if (rc && rc != WR_EINPUT)
    fail_msg("%s", e.msg);
  return rc;
}

static double dram_bytes(const arch_layer_result *r) {
  return (double)(r->dram_read[0] + r->dram_read[1] + r->dram_read[2] +
                  r->dram_write);
}

static double packed(int64_t n, int bits) { return ceil((double)n * bits / 8); }

/* Every bound of the issue over randomized cases. */
static void bounds_hold(void **state) {
  (void)state;
  int checked = 0, refused = 0;
  for (int it = 0; it < 1200; it++) {
    spec s;
    random_spec(&s);
    arch *a = build(&s);
    wr_prec p = random_prec(a);
    wr_net *n = random_layer(p);
    const wr_layer *l = &n->layers[0];
    int ob = pick(1, 8);
    arch_layer_result r;
    if (eval(a, l, ob, ARCH_OBJ_ENERGY, NULL, &r)) {
      refused++; /* no tile fits: a clear error, checked elsewhere */
      wr_net_free(n);
      arch_free(a);
      continue;
    }
    checked++;
    double t = arch_macs_per_pe_cycle(a, r.mode);
    double peak = (double)a->rows * a->cols * t;
    double bpc =
        a->dram.gbps * 1e9 * a->dram.row_efficiency / (a->clock_mhz * 1e6);
    /* cycles >= MACs / peak; cycles >= DRAM bytes / bytes per cycle (the
       reported count is SCALE-Sim's, one less than the cycles played) */
    assert_true(((double)r.cycles + 1) * peak >= (double)r.macs * (1 - 1e-12));
    assert_true(((double)r.cycles + 1) >= dram_bytes(&r) / bpc * (1 - 1e-12));
    assert_true(r.cycles >= r.compute_cycles);
    assert_int_equal(r.cycles,
                     r.compute_cycles + r.dram_stall + r.buffer_stall);
    /* every tensor crosses DRAM at least once, packed */
    int64_t wvals = l->weights;
    assert_true((double)r.dram_read[ARCH_TT_WEIGHT] >=
                packed(wvals, r.mode.w_bits));
    assert_true((double)r.dram_read[ARCH_TT_INPUT] >=
                packed(wr_shape_elems(l->in), r.mode.a_bits));
    assert_true((double)r.dram_write >= packed(wr_shape_elems(l->out), ob));
    /* a larger buffer never raises DRAM traffic (min-traffic mapping) nor
       cycles (min-cycle mapping) */
    arch_layer_result d0, d1, c0, c1;
    assert_int_equal(eval(a, l, ob, ARCH_OBJ_DRAM, NULL, &d0), WR_OK);
    assert_int_equal(eval(a, l, ob, ARCH_OBJ_CYCLES, NULL, &c0), WR_OK);
    arch *big = arch_clone(a, NULL);
    for (int b = 0; b < big->n_buffers; b++)
      big->buffers[b].kib *= 1 + pick(1, 4);
    assert_int_equal(eval(big, l, ob, ARCH_OBJ_DRAM, NULL, &d1), WR_OK);
    assert_int_equal(eval(big, l, ob, ARCH_OBJ_CYCLES, NULL, &c1), WR_OK);
    assert_true(dram_bytes(&d1) <= dram_bytes(&d0));
    assert_true(c1.cycles <= c0.cycles);
    arch_free(big);
    /* more bandwidth never raises cycles: for the chosen mapping, and for
       the min-cycle mapping */
    arch *fast = arch_clone(a, NULL);
    fast->dram.gbps *= 1 + pick(1, 8);
    arch_layer_result f, fc;
    assert_int_equal(eval(fast, l, ob, ARCH_OBJ_ENERGY, &r.map, &f), WR_OK);
    assert_true(f.cycles <= r.cycles);
    assert_int_equal(eval(fast, l, ob, ARCH_OBJ_CYCLES, NULL, &fc), WR_OK);
    assert_true(fc.cycles <= c0.cycles);
    arch_free(fast);
    /* bit-scalable MACs: fewer bits never raise energy */
    if (a->family != ARCH_MAC_PARALLEL) {
      wr_prec q = {pick(1, p.a_bits), pick(1, p.w_bits)};
      wr_net *m = random_layer(q);
      wr_net_free(m);
      wr_policy pol;
      memset(&pol, 0, sizeof pol);
      pol.def = q;
      wr_net_apply_policy(n, &pol);
      arch_layer_result lo;
      assert_int_equal(eval(a, l, ob, ARCH_OBJ_ENERGY, NULL, &lo), WR_OK);
      if (!(lo.energy.total <= r.energy.total * (1 + 1e-12)))
        fail_msg("%s %s: %d/%d costs %g pJ, %d/%d %g pJ", a->name,
                 arch_mac_family_name(a->family), q.a_bits, q.w_bits,
                 lo.energy.total, p.a_bits, p.w_bits, r.energy.total);
    }
    wr_net_free(n);
    arch_free(a);
  }
  assert_true(checked >= 1000);
  (void)refused;
}

/* With ideal memory a layer's compute cycles are SCALE-Sim's for the whole
 * GEMM, and there are no stalls. */
static void ideal_memory_is_scalesim(void **state) {
  (void)state;
  for (int it = 0; it < 1000; it++) {
    spec s;
    random_spec(&s);
    s.fam = 0;
    s.bits = 8;
    arch *a = build(&s);
    wr_prec p = {8, 8};
    wr_net *n = random_layer(p);
    const wr_layer *l = &n->layers[0];
    arch_eval_opts o = {(uint64_t)pick(1, 4), ARCH_OBJ_ENERGY, 1};
    arch_layer_result r;
    wr_err e;
    assert_int_equal(arch_eval_layer(a, l, 8, &o, NULL, &r, &e), WR_OK);
    arch_gemm g = arch_layer_gemm(l, o.batch);
    arch_compute c;
    assert_int_equal(
        arch_compute_cycles(a->rows, a->cols, a->dataflow, &g, 1, &c, &e),
        WR_OK);
    assert_int_equal(r.compute_cycles, c.cycles);
    assert_int_equal(r.cycles, c.cycles);
    wr_net_free(n);
    arch_free(a);
  }
}

/* ---- closed forms and the presets ---------------------------------------- */

static wr_net *net_at(const char *name, wr_prec p) {
  wr_err e;
  wr_net *n = wr_net_open(name, &e);
  if (!n)
    fail_msg("%s", e.msg);
  wr_policy pol;
  memset(&pol, 0, sizeof pol);
  pol.def = p;
  wr_net_apply_policy(n, &pol);
  return n;
}

/* Loom-like (bitserial2, os): a conv's temporal pass is K / (256 / (A W))
 * cycles, so cycles follow A x W; an INT8 parallel array gains nothing
 * below 8 bits, in cycles or energy. */
static void families_closed_forms(void **state) {
  (void)state;
  const char *y = "name: loom\nclock_mhz: 1000\ntech: horowitz45\n"
                  "array: {rows: 16, cols: 16, dataflow: os}\n"
                  "mac: {family: bitserial2, bits: 16, precisions: any}\n"
                  "buffers: [{name: b, holds: [input, weight, output], kib: "
                  "4096, bytes_per_cycle: 4096}]\n"
                  "dram: {gbps: 100, burst_bytes: 64, latency_ns: 0}\n";
  wr_err e;
  arch *loom = arch_from(y, "loom.yaml");
  for (int a = 1; a <= 16; a *= 2)
    for (int w = 1; w <= 16; w *= 2) {
      wr_prec p = {a, w};
      wr_net *n = net_at("resnet18", p);
      const wr_layer *l = layer(n, "layer3.0.conv2"); /* 256x3x3 -> 256 @14 */
      arch_eval_opts o = {1, ARCH_OBJ_CYCLES, 1};
      arch_layer_result r;
      assert_int_equal(arch_eval_layer(loom, l, 8, &o, NULL, &r, &e), WR_OK);
      uint64_t K = (uint64_t)256 * 9, T = (K * (uint64_t)(a * w) + 255) / 256;
      uint64_t folds = (uint64_t)((196 + 15) / 16) * (256 / 16);
      assert_int_equal(r.compute_cycles, folds * (T + 16 + 16 - 2) - 1);
      wr_net_free(n);
    }
  arch_free(loom);
  /* INT8 parallel: 4/4 layers cost what 8/8 layers cost */
  arch *tpu = preset("int8-tpu-like");
  wr_prec p8 = {8, 8}, p4 = {4, 4};
  wr_net *n8 = net_at("resnet34", p8), *n4 = net_at("resnet34", p4);
  arch_eval_opts o = {1, ARCH_OBJ_ENERGY, 0};
  arch_net_result r8, r4;
  assert_int_equal(arch_eval_net(tpu, n8, &o, &r8, &e), WR_OK);
  assert_int_equal(arch_eval_net(tpu, n4, &o, &r4, &e), WR_OK);
  assert_int_equal(r8.cycles, r4.cycles);
  assert_true(r8.energy.total == r4.energy.total);
  arch_net_result_free(&r8);
  arch_net_result_free(&r4);
  wr_net_free(n8);
  wr_net_free(n4);
  arch_free(tpu);
}

/* Energy per MAC and area come from the tables: the Bit Fusion synthesis
 * figures at the bit widths it gives, Horowitz's FP32 operations. */
static void energy_and_area_sources(void **state) {
  (void)state;
  arch *bf = preset("bitfusion-like"), *tpu = preset("int8-tpu-like"),
       *fp = preset("fp32-baseline");
  wr_prec p8 = {8, 8}, p2 = {2, 2}, p32 = {32, 32};
  /* fusion unit: 344300 nW / 500 MHz per cycle, 1 MAC at 8/8, 16 at 2/2 */
  assert_true(fabs(arch_mac_pj(bf, p8) - 0.6886) < 1e-9);
  assert_true(fabs(arch_mac_pj(bf, p2) - 0.6886 / 16) < 1e-9);
  /* fixed 8-bit element: 171800 nW / 500 MHz */
  assert_true(fabs(arch_mac_pj(tpu, p8) - 0.3436) < 1e-9);
  assert_true(fabs(arch_mac_pj(fp, p32) - (0.9 + 3.7)) < 1e-9);
  arch_area ar;
  wr_err e;
  assert_int_equal(arch_area_of(bf, &ar, &e), WR_OK);
  assert_true(fabs(ar.pe_um2 - 1733.13) < 1e-6);
  assert_true(fabs(ar.array_mm2 - 16 * 32 * 1733.13e-6) < 1e-9);
  /* SRAM: Horowitz's 8 KB and 32 KB points per 64-bit access */
  assert_true(fabs(arch_sram_pj_per_bit(bf, 8) - 10.0 / 64) < 1e-12);
  assert_true(fabs(arch_sram_pj_per_bit(bf, 32) - 20.0 / 64) < 1e-12);
  /* between them log-log: 16 KB is the geometric mean */
  assert_true(fabs(arch_sram_pj_per_bit(bf, 16) - sqrt(200.0) / 64) < 1e-12);
  arch_free(bf);
  arch_free(tpu);
  arch_free(fp);
  /* Eyeriss-normalized: a register-file access costs a 16-bit MAC */
  arch *ey = preset("eyeriss-like");
  assert_true(fabs(arch_sram_pj_per_bit(ey, 54) - 6 * 1.0854 / 16) < 1e-9);
  arch_free(ey);
}

/* Energy of a run adds up, and the zero-static presets spend none. */
static void energy_adds_up(void **state) {
  (void)state;
  for (size_t i = 0; i < arch_preset_count(); i++) {
    arch *a = preset(arch_preset_name(i));
    wr_prec want = {4, 4}, m;
    wr_err e;
    if (arch_mode(a, want, "x", &m, &e))
      m.a_bits = m.w_bits = 8;
    wr_net *n = net_at("alexnet", m);
    arch_eval_opts o = {2, ARCH_OBJ_EDP, 0};
    arch_net_result r;
    assert_int_equal(arch_eval_net(a, n, &o, &r, &e), WR_OK);
    double sum = r.energy.mac + r.energy.rf + r.energy.dram + r.energy.stat;
    for (int b = 0; b < a->n_buffers; b++)
      sum += r.energy.buf[b];
    assert_true(fabs(sum - r.energy.total) <= 1e-9 * r.energy.total);
    uint64_t cyc = 0;
    for (int l = 0; l < r.n_layers; l++)
      cyc += r.layers[l].cycles;
    assert_int_equal(cyc, r.cycles);
    assert_true(r.energy.stat == 0 || a->static_mw > 0);
    assert_true(r.area.total_mm2 > 0);
    arch_net_result_free(&r);
    wr_net_free(n);
    arch_free(a);
  }
}

/* A buffer too small for any tile is a clear error naming it. */
static void no_tile_fits(void **state) {
  (void)state;
  const char *y =
      "name: tiny\nclock_mhz: 100\ntech: horowitz45\n"
      "array: {rows: 4, cols: 4, dataflow: ws}\n"
      "mac: {family: parallel, bits: 8, precisions: [8/8]}\n"
      "buffers:\n"
      "  - {name: ib, holds: [input], kib: 0.01, "
      "bytes_per_cycle: 8}\n"
      "  - {name: wb, holds: [weight], kib: 1, bytes_per_cycle: 8}\n"
      "  - {name: ob, holds: [output], kib: 1, bytes_per_cycle: 8}\n"
      "dram: {gbps: 1, burst_bytes: 64, latency_ns: 10}\n";
  wr_err e;
  arch *a = arch_from(y, "tiny.yaml");
  wr_prec p = {8, 8};
  wr_net *n = net_at("alexnet", p);
  arch_eval_opts o = {1, ARCH_OBJ_ENERGY, 0};
  arch_net_result r;
  assert_int_equal(arch_eval_net(a, n, &o, &r, &e), WR_EINPUT);
  if (!strstr(e.msg, "tiny.yaml:7:37: buffer 'ib' (0.01 KiB) is too small "
                     "for layer 'conv0': no tiling fits"))
    fail_msg("%s", e.msg);
  wr_net_free(n);
  arch_free(a);
}

/* Sweeps edit parameters by path; bad paths and values leave the
 * architecture as it was; the canonical text follows every field. */
static void editing(void **state) {
  (void)state;
  arch *a = preset("bitfusion-like");
  wr_err e;
  char *c0 = arch_canonical(a, &e);
  assert_int_equal(arch_set_param(a, "array.rows", "32", &e), WR_OK);
  assert_int_equal(a->rows, 32);
  assert_int_equal(arch_set_param(a, "buffers.wbuf.kib", "128", &e), WR_OK);
  assert_true(a->buffers[1].kib == 128);
  assert_int_equal(arch_set_param(a, "dram.gbps", "12.8", &e), WR_OK);
  assert_true(a->dram.gbps == 12.8);
  assert_int_equal(arch_set_param(a, "array.dataflow", "os", &e), WR_OK);
  assert_int_equal(a->dataflow, ARCH_DF_OS);
  char *c1 = arch_canonical(a, &e);
  assert_true(strcmp(c0, c1) != 0);
  assert_non_null(strstr(c1, "array.rows: 32\n"));
  assert_non_null(strstr(c1, "mac.requant: 0 32 24 0\n")); /* defaults */
  assert_non_null(strstr(c1, "mac.fp32_layers: widest\n"));
  /* a buffer by the tensor it holds */
  assert_int_equal(arch_set_param(a, "buffers[weight].kib", "96", &e), WR_OK);
  assert_true(a->buffers[1].kib == 96);
  assert_int_equal(
      arch_set_param(a, "buffers[output].bytes_per_cycle", "32", &e), WR_OK);
  assert_true(a->buffers[2].bytes_per_cycle == 32);
  assert_int_equal(arch_set_param(a, "buffers[weight].kib", "128", &e), WR_OK);
  assert_int_equal(
      arch_set_param(a, "buffers[output].bytes_per_cycle", "256", &e), WR_OK);
  static const char *const bad[][3] = {
      {"array.rows", "0", "array.rows: 0 is out of range"},
      {"array.rows", "2.5", "array.rows: expected an integer"},
      {"dram.gbps", "fast", "dram.gbps: expected a number, got 'fast'"},
      {"buffers.nope.kib", "4",
       "buffers.nope.kib: bitfusion-like has no such "
       "buffer"},
      {"buffers.wbuf.size", "4", "a buffer's parameters are kib and"},
      {"array.dataflow", "rs", "expected os, ws or is, got 'rs'"},
      {"mac.bits", "8", "the bitfusion family has no bits field"},
      {"array.kib", "8", "array.kib: not a parameter"},
      {"buffers[psum].kib", "8", "expected buffers[input], buffers[weight]"},
      {"buffers[weight", "8", "expected buffers[input], buffers[weight]"},
      {"buffers[weight].size", "8", "a buffer's parameters are kib and"},
      {"buffers[weight].kib", "0", "buffers[weight].kib: 0 is out of range"}};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(arch_set_param(a, bad[i][0], bad[i][1], &e), WR_EINPUT);
    if (!strstr(e.msg, bad[i][2]))
      fail_msg("%s=%s: got '%s'", bad[i][0], bad[i][1], e.msg);
  }
  char *c2 = arch_canonical(a, &e);
  assert_string_equal(c1, c2);
  arch *b = arch_clone(a, &e);
  char *c3 = arch_canonical(b, &e);
  assert_string_equal(c1, c3);
  free(c0);
  free(c1);
  free(c2);
  free(c3);
  arch_free(b);
  arch_free(a);
}

/* Layers no mode covers (FP32 first and last layers on an INT8 array) run
 * in the widest mode, flagged, and read their input at that mode's bits;
 * with fp32_layers: refuse they are an error naming the layer. */
static void fp32_layers_widest(void **state) {
  (void)state;
  arch *a = preset("int8-tpu-like");
  wr_prec p8 = {8, 8}, fp = {32, 32};
  wr_net *n = net_at("alexnet", p8);
  wr_net *q = net_at("alexnet", p8);
  int first = -1, last = -1;
  for (int i = 0; i < n->n_layers; i++)
    if (n->layers[i].kind == WR_CONV || n->layers[i].kind == WR_FC) {
      if (first < 0)
        first = i;
      last = i;
    }
  n->layers[first].prec = n->layers[last].prec = fp;
  arch_eval_opts o = {2, ARCH_OBJ_ENERGY, 0};
  arch_net_result r, rq;
  wr_err e;
  if (arch_eval_net(a, n, &o, &r, &e) || arch_eval_net(a, q, &o, &rq, &e))
    fail_msg("%s", e.msg);
  int flagged = 0;
  for (int i = 0; i < r.n_layers; i++) {
    const arch_layer_result *l = &r.layers[i];
    if (l->widest) {
      flagged++;
      assert_true(l->layer == first || l->layer == last);
      assert_int_equal(l->prec.a_bits, 32);
      assert_int_equal(l->mode.a_bits, 8);
      assert_int_equal(l->mode.w_bits, 8);
      assert_int_equal(l->in_bits, 8);
    }
    /* counted as the all-INT8 network is, layer by layer */
    assert_true(l->cycles == rq.layers[i].cycles);
    assert_true(l->dram_read[ARCH_TT_INPUT] ==
                rq.layers[i].dram_read[ARCH_TT_INPUT]);
    assert_true(l->dram_write == rq.layers[i].dram_write);
    assert_false(rq.layers[i].widest);
  }
  assert_int_equal(flagged, 2);
  arch_net_result_free(&r);
  arch_net_result_free(&rq);
  a->fp32_layers = ARCH_FP32_REFUSE;
  assert_int_equal(arch_eval_net(a, n, &o, &r, &e), WR_EINPUT);
  assert_non_null(strstr(e.msg, "layer 'conv0' runs at 32/32, and no mode of "
                                "int8-tpu-like covers it ('fp32_layers: "
                                "refuse'; its widest mode is 8/8) (set its "
                                "precision: --fp32 none, or --layer-prec)"));
  wr_net_free(n);
  wr_net_free(q);
  arch_free(a);
}

/* Value-dependent features use the measured statistics; without them the
 * counts are those of the data-independent model. */
static void measured_features(void **state) {
  (void)state;
  wr_prec p8 = {8, 8};
  wr_net *n = net_at("resnet18", p8);
  const wr_layer *l = layer(n, "layer3.0.conv2"); /* K = 2304 */
  arch_meas m = {0.4, 0.25, 2.0};
  arch_eval_opts o = {1, ARCH_OBJ_ENERGY, 0};
  arch_layer_result r0, r1;
  wr_err e;
  /* no features: identical */
  for (size_t i = 0; i < arch_preset_count(); i++) {
    arch *a = preset(arch_preset_name(i));
    wr_prec mode;
    int features = a->zero_gating || a->zero_skipping || a->dyn_group;
    if (!features && !arch_mode(a, p8, "x", &mode, &e)) {
      assert_int_equal(arch_eval_layer(a, l, 8, &o, NULL, &r0, &e), WR_OK);
      assert_int_equal(arch_eval_layer_measured(a, l, 8, &o, NULL, &m, &r1, &e),
                       WR_OK);
      assert_memory_equal(&r0, &r1, sizeof r0);
    }
    arch_free(a);
  }
  /* zero gating: MAC energy of the non-zero MACs only, same cycles */
  arch *g = preset("scalesim-32x32");
  assert_int_equal(arch_set_param(g, "features.zero_gating", "true", &e),
                   WR_OK);
  assert_int_equal(arch_eval_layer(g, l, 8, &o, NULL, &r0, &e), WR_OK);
  assert_int_equal(arch_eval_layer_measured(g, l, 8, &o, NULL, &m, &r1, &e),
                   WR_OK);
  assert_int_equal(r1.cycles, r0.cycles);
  double saved = r0.energy.mac - r1.energy.mac;
  assert_true(fabs(saved - 0.75 * (double)l->macs * arch_mac_pj(g, p8)) <
              1e-9 * r0.energy.mac);
  assert_true(fabs(r1.macs_gated - 0.75 * (double)l->macs) < 1e-6);
  arch_free(g);
  /* dynamic precision: codes that fit 2 bits run at 2-bit speed on a
     bit-serial array: a fold holds 64 x 16/2 rows of K */
  arch *st = preset("stripes-like");
  assert_int_equal(arch_set_param(st, "features.dynamic_precision", "16", &e),
                   WR_OK);
  arch_eval_opts ideal = {1, ARCH_OBJ_ENERGY, 1};
  assert_int_equal(arch_eval_layer(st, l, 8, &ideal, NULL, &r0, &e), WR_OK);
  assert_int_equal(
      arch_eval_layer_measured(st, l, 8, &ideal, NULL, &m, &r1, &e), WR_OK);
  uint64_t M = 196, N = 256, K = 2304;
  uint64_t f8 = (K + (uint64_t)64 * 2 - 1) / ((uint64_t)64 * 2),
           f2 = (K + (uint64_t)64 * 8 - 1) / ((uint64_t)64 * 8);
  uint64_t per = M + (uint64_t)2 * 64 + 64 - 2, cf = (N + 63) / 64;
  assert_int_equal(r0.compute_cycles, f8 * cf * per - 1);
  assert_int_equal(r1.compute_cycles, f2 * cf * per - 1);
  assert_true(r1.a_bits_eff == 2.0);
  assert_true(fabs(r1.energy.mac - r0.energy.mac * 2.0 / 8.0) <
              1e-9 * r0.energy.mac);
  /* dynamic precision needs a bit-serial MAC */
  arch *bf = preset("bitfusion-like");
  assert_int_equal(arch_set_param(bf, "features.dynamic_precision", "16", &e),
                   WR_EINPUT);
  assert_non_null(strstr(e.msg, "only bit-serial MACs"));
  arch_free(bf);
  arch_free(st);
  wr_net_free(n);
}

/* ---- a table PE restating a built-in family ------------------------------ */

/* The YAML of `a` with its MAC as a table PE: each mode's MACs per PE per
 * cycle and energy per MAC, and the PE's area, as the built-in family gives
 * them (written with %.17g, so they read back exactly); every other field
 * as `a` has it.  The caller frees. */
static char *restate_as_table(const arch *a) {
  static const char *const dfs[] = {"os", "ws", "is"};
  static const char *const ovf[] = {"saturate", "wrap", "error"};
  static const char *const tensors[] = {"input", "weight", "output"};
  size_t cap = 65536, n = 0;
  char *y = malloc(cap), p[16];
  arch_area ar;
  wr_err e;
  assert_non_null(y);
  assert_int_equal(arch_area_of(a, &ar, &e), WR_OK);
#define PUT(...) (n += (size_t)snprintf(y + n, cap - n, __VA_ARGS__))
  PUT("name: %s\nclock_mhz: %.17g\ntech: %s\nstatic_mw: %.17g\n", a->name,
      a->clock_mhz, a->tech, a->static_mw);
  PUT("array: {rows: %d, cols: %d, dataflow: %s, rf_bytes: %d}\n", a->rows,
      a->cols, dfs[a->dataflow], a->rf_bytes);
  PUT("mac:\n  family: table\n  pe: {um2: %.17g, source: \"%s\"}\n  modes:\n",
      ar.pe_um2, ar.pe_source);
  for (int i = 0; i < a->n_precisions; i++)
    PUT("    - {mode: %s, macs_per_pe_cycle: %.17g, pj_per_mac: %.17g, "
        "source: \"the %s family\"}\n",
        wr_prec_str(a->precisions[i], p, sizeof p),
        arch_macs_per_pe_cycle(a, a->precisions[i]),
        arch_mac_pj(a, a->precisions[i]), arch_mac_family_name(a->family));
  PUT("  unsupported: %s\n  fp32_layers: %s\n  acc_bits: %d\n"
      "  overflow: %s\nbuffers:\n",
      a->unsupported == ARCH_UNSUP_COVER ? "cover" : "refuse",
      a->fp32_layers == ARCH_FP32_WIDEST ? "widest" : "refuse", a->acc_bits,
      ovf[a->overflow]);
  for (int b = 0; b < a->n_buffers; b++) {
    PUT("  - {name: %s, holds: [", a->buffers[b].name);
    for (int t = 0, first = 1; t < 3; t++)
      if (a->buffers[b].holds & (1 << t)) {
        PUT("%s%s", first ? "" : ", ", tensors[t]);
        first = 0;
      }
    PUT("], kib: %.17g, bytes_per_cycle: %.17g}\n", a->buffers[b].kib,
        a->buffers[b].bytes_per_cycle);
  }
  PUT("dram: {gbps: %.17g, pj_per_bit: %.17g, burst_bytes: %d, "
      "latency_ns: %.17g, row_efficiency: %.17g}\n",
      a->dram.gbps, a->dram.pj_per_bit, a->dram.burst_bytes, a->dram.latency_ns,
      a->dram.row_efficiency);
  PUT("features: {zero_gating: %s, zero_skipping: %s}\n",
      a->zero_gating ? "true" : "false", a->zero_skipping ? "true" : "false");
#undef PUT
  assert_true(n < cap);
  return y;
}

/* Every figure of one layer, compared exactly. */
static void same_layer_result(const arch_layer_result *x,
                              const arch_layer_result *y) {
  assert_int_equal(x->mode.a_bits, y->mode.a_bits);
  assert_int_equal(x->mode.w_bits, y->mode.w_bits);
  assert_int_equal(x->compute_cycles, y->compute_cycles);
  assert_int_equal(x->dram_stall, y->dram_stall);
  assert_int_equal(x->buffer_stall, y->buffer_stall);
  assert_int_equal(x->cycles, y->cycles);
  assert_int_equal(x->dram_write, y->dram_write);
  assert_int_equal(x->candidates, y->candidates);
  assert_int_equal(x->widest, y->widest);
  for (int t = 0; t < ARCH_N_TT; t++)
    assert_int_equal(x->dram_read[t], y->dram_read[t]);
  for (int d = 0; d < ARCH_N_DIMS; d++) {
    assert_int_equal(x->map.tile[d], y->map.tile[d]);
    assert_int_equal(x->map.order[d], y->map.order[d]);
  }
  assert_true(x->utilization == y->utilization);
  assert_true(x->macs_gated == y->macs_gated);
  assert_true(x->macs_skipped == y->macs_skipped);
  assert_true(x->roof_ops_per_s == y->roof_ops_per_s);
  assert_true(x->energy.mac == y->energy.mac);
  assert_true(x->energy.rf == y->energy.rf);
  for (int b = 0; b < ARCH_MAX_BUFFERS; b++) {
    assert_true(x->energy.buf[b] == y->energy.buf[b]);
    assert_true(x->buf_bytes[b] == y->buf_bytes[b]);
  }
  assert_true(x->energy.dram == y->energy.dram);
  assert_true(x->energy.stat == y->energy.stat);
  assert_true(x->energy.total == y->energy.total);
}

/* `a` and its table restatement on network `name` at `p` (measured
 * statistics `m` per conv/fc layer when not NULL): every layer and the
 * totals, area included, equal. */
static void same_as_table(const arch *a, const arch *t, const char *name,
                          wr_prec p, const arch_meas *m) {
  wr_net *n = net_at(name, p);
  arch_eval_opts o = {2, ARCH_OBJ_ENERGY, 0};
  arch_net_result ra, rt;
  wr_err e = {0};
  arch_meas *ms = NULL;
  if (m) {
    ms = calloc((size_t)n->n_layers, sizeof *ms);
    assert_non_null(ms);
    for (int i = 0; i < n->n_layers; i++)
      ms[i] = *m;
  }
  if (arch_eval_net_measured(a, n, &o, ms, &ra, &e) ||
      arch_eval_net_measured(t, n, &o, ms, &rt, &e))
    fail_msg("%s on %s: %s", a->name, name, e.msg);
  assert_int_equal(ra.n_layers, rt.n_layers);
  for (int i = 0; i < ra.n_layers; i++)
    same_layer_result(&ra.layers[i], &rt.layers[i]);
  assert_int_equal(ra.cycles, rt.cycles);
  assert_true(ra.energy.total == rt.energy.total);
  assert_true(ra.peak_ops_per_s == rt.peak_ops_per_s);
  assert_true(ra.area.pe_um2 == rt.area.pe_um2);
  assert_true(ra.area.total_mm2 == rt.area.total_mm2);
  assert_string_equal(ra.area.pe_source, rt.area.pe_source);
  arch_net_result_free(&ra);
  arch_net_result_free(&rt);
  free(ms);
  wr_net_free(n);
}

/* A table PE that restates a built-in family gives that family's figures
 * exactly: the presets whose modes are listed (the INT8 TPU-like and
 * SCALE-Sim arrays, Eyeriss with its normalized table, register files and
 * zero gating, Bit Fusion's 16 modes), on AlexNet and ResNet-18 at modes
 * they run, cover and widen, with and without measured statistics; and
 * random arrays of every integer family with listed modes. */
static void table_pe_restates_families(void **state) {
  (void)state;
  static const char *const presets[] = {"int8-tpu-like", "scalesim-32x32",
                                        "eyeriss-like", "bitfusion-like"};
  static const wr_prec precs[] = {{8, 8}, {4, 2}, {16, 16}, {3, 5}};
  static const arch_meas meas = {0.6, 0.45, 0};
  for (size_t i = 0; i < sizeof presets / sizeof presets[0]; i++) {
    arch *a = preset(presets[i]);
    char *y = restate_as_table(a);
    arch *t = arch_from(y, "table.yaml");
    assert_int_equal(t->family, ARCH_MAC_TABLE);
    /* a clone keeps the figures and their sources; the canonical text
       holds them; a table PE has no bits to edit */
    wr_err e;
    arch *c = arch_clone(t, &e);
    assert_non_null(c);
    char *ct = arch_canonical(t, &e), *cc = arch_canonical(c, &e);
    assert_string_equal(ct, cc);
    assert_non_null(strstr(ct, "\nmac.pe: um2 "));
    assert_non_null(strstr(ct, " source the "));
    assert_int_equal(arch_set_param(c, "mac.bits", "8", &e), WR_EINPUT);
    assert_non_null(strstr(e.msg, "the table family has no bits field"));
    free(ct);
    free(cc);
    arch_free(c);
    for (size_t k = 0; k < sizeof precs / sizeof precs[0]; k++) {
      same_as_table(a, t, "alexnet", precs[k], NULL);
      same_as_table(a, t, "resnet18", precs[k], &meas);
    }
    free(y);
    arch_free(t);
    arch_free(a);
  }
  /* random arrays, modes a cross product of bit counts up to N */
  static const int bits[] = {1, 2, 3, 4, 6, 8, 12, 16};
  for (int iter = 0; iter < 60; iter++) {
    spec s;
    random_spec(&s);
    arch *a = build(&s);
    if (a->family != ARCH_MAC_BITFUSION) {
      a->n_precisions = 0;
      for (int x = 0; x < 8; x++)
        for (int w = 0; w < 8; w++)
          if (bits[x] <= a->native_bits && bits[w] <= a->native_bits &&
              pick(0, 2) == 0 && a->n_precisions < ARCH_MAX_PRECISIONS)
            a->precisions[a->n_precisions++] = (wr_prec){bits[x], bits[w]};
      if (a->n_precisions == 0)
        a->precisions[a->n_precisions++] =
            (wr_prec){a->native_bits, a->native_bits};
    }
    char *y = restate_as_table(a);
    arch *t = arch_from(y, "table.yaml");
    for (int k = 0; k < 4; k++) {
      wr_net *n = random_layer(random_prec(a));
      arch_layer_result ra, rt;
      int out_bits = pick(1, 16);
      int rca = eval(a, &n->layers[0], out_bits, ARCH_OBJ_ENERGY, NULL, &ra);
      int rct = eval(t, &n->layers[0], out_bits, ARCH_OBJ_ENERGY, NULL, &rt);
      assert_int_equal(rca, rct);
      if (!rca)
        same_layer_result(&ra, &rt);
      wr_net_free(n);
    }
    free(y);
    arch_free(t);
    arch_free(a);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(bounds_hold),
      cmocka_unit_test(ideal_memory_is_scalesim),
      cmocka_unit_test(families_closed_forms),
      cmocka_unit_test(energy_and_area_sources),
      cmocka_unit_test(energy_adds_up),
      cmocka_unit_test(no_tile_fits),
      cmocka_unit_test(editing),
      cmocka_unit_test(fp32_layers_widest),
      cmocka_unit_test(measured_features),
      cmocka_unit_test(table_pe_restates_families),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
