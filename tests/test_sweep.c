/* test_sweep.c — the sweep module without a database: spec parsing and
 * defaults, grid enumeration, FNV-1a and point keys (stable, and equal
 * exactly when the resolved configurations are), shards partitioning the
 * points, random sampling and Latin-hypercube properties, the paper's
 * accuracy table. */
#include <stdio.h>
#include <stdlib.h>

#include "sweep.h"
#include "testutil.h"

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static void spec_load(sweep_spec *s, const char *yaml) {
  wr_err e;
  if (sweep_spec_load_string(yaml, strlen(yaml), "s.yaml", s, &e))
    fail_msg("spec: %s", e.msg);
}

static void spec_err(const char *yaml, const char *want) {
  sweep_spec s;
  wr_err e;
  assert_int_equal(sweep_spec_load_string(yaml, strlen(yaml), "s.yaml", &s, &e),
                   WR_EINPUT);
  if (!strstr(e.msg, want))
    fail_msg("got '%s', want '%s'", e.msg, want);
}

static const char small[] =
    "name: t\n"
    "workloads: [fmnist-cnn, resnet18]\n"
    "width: [1, 2, 3]\n"
    "precision: [8/8, 4/4]\n"
    "arch:\n"
    "  base: [bitfusion-like, scalesim-32x32]\n"
    "  vary: {array.rows: [8, 16], dram.gbps: [12.8, 25.6, 51.2]}\n";

static void fnv_vectors(void **state) {
  (void)state;
  /* the published FNV-1a 64 test vectors */
  assert_true(sweep_fnv1a64("", 0, SWEEP_FNV_INIT) == 0xcbf29ce484222325ULL);
  assert_true(sweep_fnv1a64("a", 1, SWEEP_FNV_INIT) == 0xaf63dc4c8601ec8cULL);
  assert_true(sweep_fnv1a64("foobar", 6, SWEEP_FNV_INIT) ==
              0x85944171f73967e8ULL);
  /* incremental = whole */
  assert_true(
      sweep_fnv1a64("bar", 3, sweep_fnv1a64("foo", 3, SWEEP_FNV_INIT)) ==
      0x85944171f73967e8ULL);
  char buf[24];
  assert_string_equal(sweep_key_str(0xabcULL, buf, sizeof buf),
                      "0000000000000abc");
}

static void spec_fields_and_defaults(void **state) {
  (void)state;
  sweep_spec s;
  spec_load(&s, small);
  assert_string_equal(s.name, "t");
  assert_int_equal(s.n_workloads, 2);
  assert_string_equal(s.workloads[1].network, "resnet18");
  assert_int_equal(s.n_widths, 3);
  assert_int_equal(s.n_precs, 2);
  assert_int_equal(s.precs[1].a_bits, 4);
  assert_int_equal(s.n_batches, 1);
  assert_true(s.batches[0] == 1);
  assert_int_equal(s.n_objectives, 1);
  assert_int_equal(s.objectives[0], ARCH_OBJ_ENERGY);
  assert_string_equal(s.fp32, "none");
  assert_int_equal(s.n_bases, 2);
  assert_int_equal(s.n_vary, 2);
  assert_string_equal(s.vary[1].path, "dram.gbps");
  assert_int_equal(s.vary[1].n, 3);
  assert_int_equal(s.sampling, SWEEP_GRID);
  assert_int_equal(s.n_acc, 1); /* the shipped table by default */
  assert_true(s.max_area_mm2 == 0);
  sweep_spec_free(&s);

  spec_load(&s, "name: u\nworkloads: alexnet\nprecision: 4/2\nbatch: [1, 8]\n"
                "objective: [energy, edp]\nfp32: [first, last]\n"
                "arch: {base: stripes-like}\n"
                "constraints: {max_area_mm2: 12.5, max_latency_ms: 3}\n"
                "sampling: {method: lhs, points: 5, seed: 9}\n"
                "accuracy: []\nobjectives: [min energy, max accuracy]\n");
  assert_int_equal(s.n_workloads, 1);
  assert_int_equal(s.n_widths, 1);
  assert_true(s.widths[0] == 1);
  assert_int_equal(s.n_batches, 2);
  assert_int_equal(s.objectives[1], ARCH_OBJ_EDP);
  assert_string_equal(s.fp32, "first,last");
  assert_true(s.max_area_mm2 == 12.5 && s.max_latency_ms == 3);
  assert_int_equal(s.sampling, SWEEP_LHS);
  assert_true(s.sample_points == 5 && s.seed == 9);
  assert_int_equal(s.n_acc, 0);
  assert_string_equal(s.report_objectives, "min energy, max accuracy");
  sweep_spec_free(&s);
}

static void spec_errors(void **state) {
  (void)state;
  spec_err("name: t\nworkloads: [alexnet]\nprecision: [4/4]\n"
           "arch: {base: [stripes-like], vary: {array.rows: []}}\n",
           "s.yaml:4:49: arch.vary: array.rows: empty list");
  spec_err("name: t\nworkloads: [alexnet]\nprecision: [4/4]\n"
           "arch: {base: [stripes-like], vary: {array.row: [8]}}\n",
           "s.yaml:4:49: arch.vary: array.row: not a parameter");
  spec_err("name: t\nworkloads: [alexnet]\nprecision: [4/4]\nwidth: [2, 2.0]\n"
           "arch: {base: [stripes-like]}\n",
           "s.yaml:4:12: width: 2.0 is listed twice (as 2)");
  spec_err("name: t\nworkloads: [alexnet]\nprecision: [4/4]\n"
           "arch: {base: [stripes-like]}\nsampling: {method: lhs}\n",
           "s.yaml:5:11: sampling: lhs needs 'points'");
  spec_err("name: t\nworkloads: [alexnet]\narch: {base: [stripes-like]}\n",
           "s.yaml:1:1: sweep: missing field 'precision'");
}

static void enumeration(void **state) {
  (void)state;
  sweep_spec s;
  spec_load(&s, small);
  int sizes[SWEEP_MAX_AXES];
  assert_int_equal(sweep_axes(&s, sizes), SWEEP_AX_VARY0 + 2);
  assert_true(sweep_grid_size(&s) == (uint64_t)2 * 3 * 2 * 1 * 1 * 2 * 2 * 3);
  uint64_t *idx;
  size_t n;
  wr_err e;
  assert_int_equal(sweep_points(&s, &idx, &n, &e), WR_OK);
  assert_true(n == sweep_grid_size(&s));
  /* decoding is a bijection onto the level combinations, the last axis
     fastest */
  int na = sweep_axes(&s, sizes);
  for (size_t i = 0; i < n; i++) {
    assert_true(idx[i] == i);
    sweep_point p;
    sweep_point_at(&s, idx[i], &p);
    uint64_t g = 0;
    for (int k = 0; k < na; k++) {
      assert_true(p.ax[k] >= 0 && p.ax[k] < sizes[k]);
      g = g * (uint64_t)sizes[k] + (uint64_t)p.ax[k];
    }
    assert_true(g == i);
  }
  sweep_point p;
  sweep_point_at(&s, 1, &p);
  assert_int_equal(p.ax[SWEEP_AX_VARY0 + 1], 1);
  free(idx);
  sweep_spec_free(&s);
}

static void keys(void **state) {
  (void)state;
  sweep_spec s, t;
  spec_load(&s, small);
  /* the same design space written differently: axes reordered, varied
     parameters swapped, a base's own value listed */
  spec_load(&t,
            "name: other\nworkloads: [resnet18, fmnist-cnn]\n"
            "width: [3, 2, 1]\nprecision: [4/4, 8/8]\n"
            "arch:\n  base: [scalesim-32x32, bitfusion-like]\n"
            "  vary: {dram.gbps: [51.2, 25.6, 12.8], array.rows: [16, 8]}\n");
  uint64_t g = sweep_grid_size(&s);
  uint64_t *ks = malloc(sizeof *ks * g), *kt = malloc(sizeof *kt * g);
  assert_non_null(ks);
  assert_non_null(kt);
  wr_err e;
  for (uint64_t i = 0; i < g; i++) {
    sweep_point p;
    sweep_config c, c2;
    sweep_point_at(&s, i, &p);
    assert_int_equal(sweep_resolve(&s, &p, &c, &e), WR_OK);
    assert_null(c.invalid);
    /* stable: resolving again gives the same text and key */
    assert_int_equal(sweep_resolve(&s, &p, &c2, &e), WR_OK);
    assert_string_equal(c.text, c2.text);
    assert_true(c.key == c2.key);
    ks[i] = c.key;
    sweep_config_free(&c);
    sweep_config_free(&c2);
    sweep_point_at(&t, i, &p);
    assert_int_equal(sweep_resolve(&t, &p, &c, &e), WR_OK);
    kt[i] = c.key;
    sweep_config_free(&c);
  }
  qsort(ks, g, sizeof *ks, cmp_u64);
  qsort(kt, g, sizeof *kt, cmp_u64);
  for (uint64_t i = 0; i < g; i++) {
    assert_true(ks[i] == kt[i]); /* same points, same keys */
    if (i)
      assert_true(ks[i] != ks[i - 1]); /* distinct points, distinct keys */
  }
  free(ks);
  free(kt);
  sweep_spec_free(&s);
  sweep_spec_free(&t);
}

/* A buffer varied by the tensor it holds: one spec varies the weight
 * buffer of bases whose buffers have different names; the parameter is
 * stored as written, and the key equals the one by name. */
static void vary_by_tensor(void **state) {
  (void)state;
  sweep_spec s, t;
  spec_load(&s, "name: t\nworkloads: [alexnet]\nprecision: [8/8]\n"
                "arch:\n  base: [bitfusion-like, stripes-like, int8-tpu-like]\n"
                "  vary:\n    buffers[weight].kib: [48, 96]\n");
  spec_load(&t, "name: t\nworkloads: [alexnet]\nprecision: [8/8]\n"
                "arch: {base: [bitfusion-like], vary: {buffers.wbuf.kib: "
                "[48]}}\n");
  assert_true(sweep_grid_size(&s) == 6);
  wr_err e;
  int seen = 0;
  for (uint64_t i = 0; i < 6; i++) {
    sweep_point p;
    sweep_config c;
    sweep_point_at(&s, i, &p);
    assert_int_equal(sweep_resolve(&s, &p, &c, &e), WR_OK);
    assert_null(c.invalid);
    const char *want = p.ax[SWEEP_AX_VARY0] ? "96" : "48";
    char label[64];
    snprintf(label, sizeof label, "buffers[weight].kib=%s", want);
    assert_string_equal(c.params, label);
    for (int b = 0; b < c.a->n_buffers; b++)
      if (c.a->buffers[b].holds & ARCH_T_WEIGHT) {
        assert_true(c.a->buffers[b].kib == atof(want));
        seen++;
      }
    if (p.ax[SWEEP_AX_BASE] == 0 && !p.ax[SWEEP_AX_VARY0]) {
      sweep_config d;
      sweep_point q;
      sweep_point_at(&t, 0, &q);
      assert_int_equal(sweep_resolve(&t, &q, &d, &e), WR_OK);
      assert_true(c.key == d.key); /* the same design */
      sweep_config_free(&d);
    }
    sweep_config_free(&c);
  }
  assert_int_equal(seen, 6);
  sweep_spec_free(&s);
  sweep_spec_free(&t);
  spec_err("name: t\nworkloads: [alexnet]\nprecision: [4/4]\n"
           "arch: {base: [stripes-like], vary: {\"buffers[psum].kib\": "
           "[8]}}\n",
           "s.yaml:4:59: arch.vary: buffers[psum].kib: expected "
           "buffers[input], buffers[weight] or buffers[output]");
}

static void shards_partition(void **state) {
  (void)state;
  for (int n = 1; n <= 9; n++) {
    for (size_t pos = 0; pos < 200; pos++) {
      int owners = 0;
      for (int i = 1; i <= n; i++)
        owners += sweep_in_shard(pos, i, n);
      assert_int_equal(owners, 1);
    }
  }
  assert_true(sweep_in_shard(17, 0, 0));
  int i, n;
  wr_err e;
  assert_int_equal(sweep_shard_parse("3/8", &i, &n, &e), WR_OK);
  assert_true(i == 3 && n == 8);
  static const char *const bad[] = {"0/4",  "5/4", "1/0", "a/b",
                                    "1/2x", "2",   "-1/3"};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
    assert_int_equal(sweep_shard_parse(bad[k], &i, &n, &e), WR_EINPUT);
}

static void lhs_properties(void **state) {
  (void)state;
  int sizes[] = {12, 4, 3, 1, 7};
  size_t n = 12;
  int *lv, *again, *other;
  wr_err e;
  assert_int_equal(sweep_lhs(sizes, 5, n, 42, &lv, &e), WR_OK);
  assert_int_equal(sweep_lhs(sizes, 5, n, 42, &again, &e), WR_OK);
  assert_int_equal(sweep_lhs(sizes, 5, n, 43, &other, &e), WR_OK);
  assert_memory_equal(lv, again, sizeof *lv * n * 5); /* reproducible */
  assert_memory_not_equal(lv, other, sizeof *lv * n * 5);
  for (int k = 0; k < 5; k++) {
    int count[12] = {0};
    for (size_t i = 0; i < n; i++) {
      int l = lv[i * 5 + (size_t)k];
      assert_true(l >= 0 && l < sizes[k]);
      count[l]++;
    }
    /* one point per stratum: a level covering n/size strata gets exactly
       that many points (sizes dividing n), else fewer than two off */
    for (int l = 0; l < sizes[k]; l++) {
      if (n % (size_t)sizes[k] == 0)
        assert_int_equal(count[l], (int)n / sizes[k]);
      else
        assert_true(abs(count[l] * sizes[k] - (int)n) < 2 * sizes[k]);
    }
  }
  free(lv);
  free(again);
  free(other);

  /* a spec sampled by LHS and at random: distinct grid points, sorted */
  for (int m = 0; m < 2; m++) {
    sweep_spec s;
    char yaml[600];
    snprintf(yaml, sizeof yaml,
             "%ssampling: {method: %s, points: 20, seed: 5}\n", small,
             m ? "random" : "lhs");
    spec_load(&s, yaml);
    uint64_t *idx;
    size_t k;
    assert_int_equal(sweep_points(&s, &idx, &k, &e), WR_OK);
    assert_true(k <= 20 && k >= (m ? 20u : 10u));
    for (size_t i = 0; i < k; i++) {
      assert_true(idx[i] < sweep_grid_size(&s));
      if (i)
        assert_true(idx[i] > idx[i - 1]);
    }
    free(idx);
    sweep_spec_free(&s);
  }
}

static void accuracy_table(void **state) {
  (void)state;
  sweep_acc_table t;
  wr_err e;
  assert_int_equal(sweep_acc_open("wrpn-imagenet", &t, &e), WR_OK);
  assert_int_equal(t.n_rows, 25);
  assert_true(t.fp32_first && t.fp32_last);
  assert_non_null(strstr(t.source, "arXiv:1709.01134"));
  wr_prec p = {2, 4};
  const sweep_acc_row *r = sweep_acc_find(&t, "alexnet", 2, p);
  assert_non_null(r);
  assert_true(r->accuracy == 57.3);
  wr_prec q = {4, 8};
  assert_true(sweep_acc_find(&t, "resnet34", 2, q)->accuracy == 74.48);
  assert_null(sweep_acc_find(&t, "resnet34", 3, q));
  assert_null(sweep_acc_find(&t, "alexnet-torchvision", 2, p));
  sweep_acc_free(&t);
  assert_int_equal(sweep_acc_open("no-such-table", &t, &e), WR_EINPUT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fnv_vectors),
      cmocka_unit_test(spec_fields_and_defaults),
      cmocka_unit_test(spec_errors),
      cmocka_unit_test(enumeration),
      cmocka_unit_test(keys),
      cmocka_unit_test(vary_by_tensor),
      cmocka_unit_test(shards_partition),
      cmocka_unit_test(lhs_properties),
      cmocka_unit_test(accuracy_table),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
