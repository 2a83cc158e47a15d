/* test_arch.c — the architecture model so far: presets, precision modes,
 * MAC-family throughput, SCALE-Sim's compute-cycle formulas (its public
 * AlexNet conv1 figure, and os/ws/is on randomized shapes against the
 * formulas written out independently), and the bounds that must hold. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "arch.h"
#include "testutil.h"

static void presets_load(void **state) {
  (void)state;
  assert_true(arch_preset_count() >= 6);
  static const char *const want[] = {"fp32-baseline",  "int8-tpu-like",
                                     "eyeriss-like",   "stripes-like",
                                     "bitfusion-like", "scalesim-32x32"};
  for (size_t i = 0; i < 6; i++)
    arch_free(preset(want[i]));
  for (size_t i = 0; i < arch_preset_count(); i++) {
    arch *a = preset(arch_preset_name(i));
    assert_string_equal(a->name, arch_preset_name(i));
    assert_non_null(a->source);
    arch_free(a);
  }
}

static void scalesim_alexnet_conv1(void **state) {
  (void)state;
  scalesim_run r;
  wr_err e;
  int rc = scalesim_load(TEST_DATA_DIR "/scalesim/scale_32x32_ws.cfg",
                         TEST_DATA_DIR "/scalesim/alexnet_conv1.csv", &r, &e);
  if (rc)
    fail_msg("%s", e.msg);
  assert_int_equal(r.n_layers, 1);
  assert_int_equal(r.layers[0].out_h, 55);
  arch_gemm g = scalesim_gemm(&r.layers[0]);
  assert_int_equal(g.m, 3025);
  assert_int_equal(g.k, 363);
  arch_compute c;
  assert_int_equal(
      arch_compute_cycles(r.rows, r.cols, r.dataflow, &g, 1.0, &c, &e), WR_OK);
  assert_int_equal(c.folds, 36);
  assert_int_equal(c.cycles_per_fold, 3119);
  assert_int_equal(c.cycles, 112283); /* SCALE-Sim v2's own figure */
  assert_true(fabs(c.mapping_efficiency - 0.9453) < 5e-5);
  scalesim_free(&r);
}

static uint64_t rs = 0x2545F4914F6CDD1DULL;
static uint64_t rnd(uint64_t n) {
  rs ^= rs << 13;
  rs ^= rs >> 7;
  rs ^= rs << 17;
  return rs % n;
}

static uint64_t cdiv(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

/* SCALE-Sim v2's rules, as REFERENCE section 3 writes them. */
/* Topology rows as CSV (RFC 4180): names are kept whole and unquoted. */
static void scalesim_names(void **state) {
  (void)state;
  char path[] = "/tmp/wrpnsim-test-arch-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  char longname[301];
  for (int i = 0; i < 300; i++)
    longname[i] = (char)('a' + i % 26);
  longname[300] = '\0';
  fprintf(f,
          "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter "
          "Width, Channels, Num Filter, Strides,\n"
          "%s, 8, 8, 3, 3, 4, 8, 1,\n"
          " \"Conv1\" , 8, 8, 3, 3, 4, 8, 1,\n"
          "\"a \"\"b\"\", c\",8,8,3,3,4,8,1\n"
          "\"\",8,8,3,3,4,8,1,\n",
          longname);
  fclose(f);
  scalesim_run r;
  wr_err e;
  int rc =
      scalesim_load(TEST_DATA_DIR "/scalesim/scale_32x32_ws.cfg", path, &r, &e);
  remove(path);
  if (rc)
    fail_msg("%s", e.msg);
  assert_int_equal(r.n_layers, 4);
  assert_string_equal(r.layers[0].name, longname);
  assert_string_equal(r.layers[1].name, "Conv1");
  assert_string_equal(r.layers[2].name, "a \"b\", c");
  assert_string_equal(r.layers[3].name, "");
  assert_int_equal(r.layers[2].line, 4);
  assert_true(r.layers[2].filters == 8 && r.layers[2].stride == 1);
  arch_gemm g;
  arch_compute c;
  assert_int_equal(scalesim_layer_cycles(&r, 1, &g, &c, &e), WR_OK);
  assert_true(g.m == 36 && g.n == 8 && g.k == 36);
  scalesim_free(&r);
}

static uint64_t scalesim_cycles(uint64_t R, uint64_t C, int df, uint64_t M,
                                uint64_t N, uint64_t K) {
  if (df == ARCH_DF_OS)
    return cdiv(M, R) * cdiv(N, C) * (K + R + C - 2) - 1;
  if (df == ARCH_DF_WS)
    return cdiv(K, R) * cdiv(N, C) * (2 * R + C + M - 2) - 1;
  return cdiv(K, R) * cdiv(M, C) * (2 * R + C + N - 2) - 1;
}

static void dataflows_match_scalesim(void **state) {
  (void)state;
  for (int i = 0; i < 3000; i++) {
    uint64_t R = 1 + rnd(64), C = 1 + rnd(64);
    arch_gemm g = {1 + rnd(5000), 1 + rnd(600), 1 + rnd(5000), 1};
    int df = (int)rnd(3);
    arch_compute c;
    wr_err e;
    assert_int_equal(
        arch_compute_cycles((int)R, (int)C, (arch_dataflow)df, &g, 1.0, &c, &e),
        WR_OK);
    uint64_t want = scalesim_cycles(R, C, df, g.m, g.n, g.k);
    if (c.cycles != want)
      fail_msg("%s %llux%llu M %llu N %llu K %llu: %llu, SCALE-Sim %llu",
               arch_dataflow_name((arch_dataflow)df), (unsigned long long)R,
               (unsigned long long)C, (unsigned long long)g.m,
               (unsigned long long)g.n, (unsigned long long)g.k,
               (unsigned long long)c.cycles, (unsigned long long)want);
    /* bound: no faster than the MACs over the peak MACs per cycle */
    assert_true((double)c.cycles + 1 >=
                (double)g.m * g.n * g.k / ((double)R * C));
    assert_true(c.mapping_efficiency > 0 && c.mapping_efficiency <= 1);
  }
}

static void throughput_by_family(void **state) {
  (void)state;
  arch *bf = preset("bitfusion-like");
  static const int modes[][3] = {{2, 2, 1600}, {4, 4, 400}, {8, 8, 100},
                                 {16, 16, 25}, {2, 8, 400}, {8, 2, 400}};
  for (int i = 0; i < 6; i++) {
    wr_prec p = {modes[i][0], modes[i][1]};
    assert_true(fabs(arch_macs_per_pe_cycle(bf, p) * 100 - modes[i][2]) < 1e-9);
  }
  wr_prec m, three = {3, 3};
  wr_err e;
  assert_int_equal(arch_mode(bf, three, "x", &m, &e), WR_OK);
  assert_int_equal(m.a_bits, 4); /* the next mode up */
  assert_int_equal(m.w_bits, 4);
  /* FP32 (or wider than every mode): the widest mode, 16/16 */
  wr_prec fp = {32, 32}, wide = {16, 32};
  assert_int_equal(arch_beyond_modes(bf, fp), 1);
  assert_int_equal(arch_beyond_modes(bf, three), 0);
  assert_int_equal(arch_mode(bf, fp, "conv1", &m, &e), WR_OK);
  assert_int_equal(m.a_bits, 16);
  assert_int_equal(m.w_bits, 16);
  assert_int_equal(arch_mode(bf, wide, "conv1", &m, &e), WR_OK);
  assert_int_equal(m.a_bits * m.w_bits, 256);
  /* unless the architecture refuses them, at its fp32_layers line */
  bf->fp32_layers = ARCH_FP32_REFUSE;
  bf->fp32l_line = 7, bf->fp32l_col = 3;
  assert_int_equal(arch_mode(bf, fp, "conv1", &m, &e), WR_EINPUT);
  assert_non_null(strstr(e.msg, ":7:3: layer 'conv1' runs at 32/32, and no "
                                "mode of bitfusion-like covers it "
                                "('fp32_layers: refuse'; its widest mode is "
                                "16/16)"));
  arch_free(bf);
  /* a parallel INT8 array gains nothing from 4-bit layers */
  arch *tpu = preset("int8-tpu-like");
  wr_prec p4 = {4, 4};
  assert_int_equal(arch_mode(tpu, p4, "x", &m, &e), WR_OK);
  assert_int_equal(m.a_bits, 8);
  assert_true(arch_macs_per_pe_cycle(tpu, m) == 1.0);
  /* the widest listed mode: the most a*w bits, the first on a tie */
  wr_prec w = arch_widest_mode(tpu);
  assert_int_equal(w.a_bits * 100 + w.w_bits, 808);
  tpu->precisions[0] = (wr_prec){4, 8};
  tpu->precisions[1] = (wr_prec){8, 4};
  tpu->precisions[2] = (wr_prec){2, 2};
  tpu->n_precisions = 3;
  w = arch_widest_mode(tpu);
  assert_int_equal(w.a_bits * 100 + w.w_bits, 408);
  arch_free(tpu);
  arch *fp32 = preset("fp32-baseline");
  assert_int_equal(arch_beyond_modes(fp32, fp), 0);
  assert_int_equal(arch_mode(fp32, p4, "x", &m, &e), WR_OK);
  assert_int_equal(m.a_bits, 32);
  arch_free(fp32);
}

/* Stripes: time proportional to activation bits; Loom: to A x W. */
static void bit_serial_closed_forms(void **state) {
  (void)state;
  arch *st = preset("stripes-like");
  arch_gemm g = {3136, 64, 576, 1}; /* ResNet layer1 3x3 64->64 at 56x56 */
  uint64_t prev = 0;
  for (int a = 1; a <= 16; a++) {
    wr_prec p = {a, 8};
    arch_compute c;
    wr_err e;
    assert_int_equal(arch_compute_cycles(st->rows, st->cols, st->dataflow, &g,
                                         arch_macs_per_pe_cycle(st, p), &c, &e),
                     WR_OK);
    /* 16/a lanes per PE reduce along K: a fold holds 64 x 16/a rows */
    uint64_t rf = (uint64_t)ceil((double)g.k / (64.0 * 16 / a) - 1e-12);
    uint64_t want = rf * cdiv(g.n, 64) * (g.m + (uint64_t)2 * 64 + 64 - 2) - 1;
    assert_int_equal(c.cycles, want);
    assert_true(c.cycles >= prev); /* more bits never run faster */
    prev = c.cycles;
  }
  /* Loom-like: a bitserial2 MAC of 16 bits does 256 / (A*W) per cycle */
  arch *loom = NULL;
  const char *y = "name: loom\nclock_mhz: 1000\ntech: horowitz45\n"
                  "array: {rows: 16, cols: 16, dataflow: os}\n"
                  "mac: {family: bitserial2, bits: 16, precisions: any}\n"
                  "buffers: [{name: b, holds: [input, weight, output], kib: "
                  "64, bytes_per_cycle: 64}]\n"
                  "dram: {gbps: 10, pj_per_bit: 20, burst_bytes: 64, "
                  "latency_ns: 50}\n";
  wr_err e;
  loom = arch_load_string(y, strlen(y), "loom.yaml", &e);
  if (!loom)
    fail_msg("%s", e.msg);
  for (int a = 1; a <= 16; a *= 2)
    for (int w = 1; w <= 16; w *= 2) {
      wr_prec p = {a, w};
      assert_true(arch_macs_per_pe_cycle(loom, p) == 256.0 / (a * w));
    }
  arch_free(loom);
  arch_free(st);
}

static void arch_errors(void **state) {
  (void)state;
  static const struct {
    const char *yaml, *want;
  } cases[] = {
      {"name: x\nclock_mhz: 500\ntech: horowitz45\narray: {rows: 0, cols: 4, "
       "dataflow: ws}\n",
       "t.yaml:4:15: array field 'rows': 0 is out of range"},
      {"name: x\nclock_mhz: 500\ntech: horowitz45\narray: {rows: 4, cols: 4, "
       "dataflow: rs}\n",
       "t.yaml:4:37: array field 'dataflow': expected one of os, ws, is, got "
       "'rs'"},
      {"name: x\nclock_mhz: 500\ntech: horowitz28\n",
       "t.yaml:3:7: tech: no technology table 'horowitz28'"},
      {"name: x\nclock_mhz: -5\n", "t.yaml:2:12: architecture field "
                                   "'clock_mhz': -5 is out of range"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    wr_err e;
    arch *a =
        arch_load_string(cases[i].yaml, strlen(cases[i].yaml), "t.yaml", &e);
    assert_null(a);
    if (!strstr(e.msg, cases[i].want))
      fail_msg("got '%s', want '%s'", e.msg, cases[i].want);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(presets_load),
      cmocka_unit_test(scalesim_alexnet_conv1),
      cmocka_unit_test(scalesim_names),
      cmocka_unit_test(dataflows_match_scalesim),
      cmocka_unit_test(throughput_by_family),
      cmocka_unit_test(bit_serial_closed_forms),
      cmocka_unit_test(arch_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
