/* test_reports.c — reports/: Pareto fronts against brute force on
 * randomized point sets with heavy ties, duplicates and missing values
 * (k = 1..4), objectives, filters, best designs under a constraint,
 * baselines, and the output formats (escaping included). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "reports.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return rng_state * 2685821657736338717ULL;
}
static int rnd_int(int n) { return (int)(rnd() % (uint64_t)n); }

/* The definition, literally: p is on the front unless some q is no worse
 * everywhere and better somewhere; NaN rows are out. */
static void brute(const double *v, size_t n, int k, const int *mx,
                  unsigned char *on, size_t *missing) {
  *missing = 0;
  for (size_t p = 0; p < n; p++) {
    int nan = 0;
    for (int j = 0; j < k; j++)
      nan |= isnan(v[p * (size_t)k + (size_t)j]);
    if (nan) {
      on[p] = 0;
      (*missing)++;
      continue;
    }
    on[p] = 1;
    for (size_t q = 0; q < n && on[p]; q++) {
      int worse = 0, better = 0, nanq = 0;
      for (int j = 0; j < k; j++) {
        double a = v[q * (size_t)k + (size_t)j],
               b = v[p * (size_t)k + (size_t)j];
        nanq |= isnan(a);
        if (mx[j]) {
          a = -a;
          b = -b;
        }
        worse |= a > b;
        better |= a < b;
      }
      if (!nanq && !worse && better)
        on[p] = 0;
    }
  }
}

/* A random point set: values from a few levels (heavy ties), copies of
 * earlier points, some NaN, some infinities. */
static size_t random_set(double *v, int k, int *mx, int levels, int nan_pct) {
  size_t n = (size_t)rnd_int(80);
  for (int j = 0; j < k; j++)
    mx[j] = rnd_int(2);
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && rnd_int(4) == 0) { /* duplicate */
      size_t src = (size_t)rnd_int((int)i);
      memcpy(v + i * (size_t)k, v + src * (size_t)k, (size_t)k * sizeof *v);
      continue;
    }
    for (int j = 0; j < k; j++) {
      double x = levels ? (double)rnd_int(levels)
                        : (double)(rnd() >> 11) / 9007199254740992.0;
      int r = rnd_int(100);
      if (r < nan_pct)
        x = NAN;
      else if (r == 99)
        x = rnd_int(2) ? INFINITY : -INFINITY;
      else if (r == 98)
        x = -0.0;
      v[i * (size_t)k + (size_t)j] = x;
    }
  }
  return n;
}

static void test_pareto_brute_force(void **state) {
  (void)state;
  double v[80 * 4];
  unsigned char on[80], want[80];
  int mx[4];
  int sets = 0;
  for (int k = 1; k <= 4; k++) {
    for (int it = 0; it < 700; it++) {
      int levels = it % 7 == 6 ? 0 : 2 + it % 5; /* 0: continuous */
      int nan_pct = it % 3 == 0 ? 0 : 5;
      size_t n = random_set(v, k, mx, levels, nan_pct);
      size_t miss = 99, wmiss;
      wr_err e;
      long f = rp_pareto_values(v, n, k, mx, on, &miss, &e);
      brute(v, n, k, mx, want, &wmiss);
      long wf = 0;
      for (size_t i = 0; i < n; i++) {
        wf += want[i];
        if (on[i] != want[i])
          fail_msg("k=%d set %d point %zu: on_front %d, brute force %d", k, it,
                   i, on[i], want[i]);
      }
      assert_int_equal(f, wf);
      assert_int_equal(miss, wmiss);
      sets++;
    }
  }
  assert_true(sets >= 1000);
}

/* Hand-made cases whose fronts are known. */
static void test_pareto_ties(void **state) {
  (void)state;
  wr_err e;
  unsigned char on[8];
  size_t miss;
  /* duplicates on the front: both stay; an equal copy of a dominated
   * point goes with it */
  const double a[] = {1, 5, 1, 5, 2, 2, 3, 3, 3, 3, 5, 1};
  assert_int_equal(rp_pareto_values(a, 6, 2, NULL, on, &miss, &e), 4);
  const unsigned char wa[] = {1, 1, 1, 0, 0, 1};
  assert_memory_equal(on, wa, 6);
  /* same first objective: only the smallest second survives */
  const double b[] = {1, 3, 1, 2, 1, 2, 0, 9};
  assert_int_equal(rp_pareto_values(b, 4, 2, NULL, on, &miss, &e), 3);
  const unsigned char wb[] = {0, 1, 1, 1};
  assert_memory_equal(on, wb, 4);
  /* maximize the second; NaN excluded and counted */
  const double c[] = {1, 70, 2, 80, 2, NAN, 3, 80};
  const int mx[] = {0, 1};
  assert_int_equal(rp_pareto_values(c, 4, 2, mx, on, &miss, &e), 2);
  assert_int_equal(miss, 1);
  const unsigned char wc[] = {1, 1, 0, 0};
  assert_memory_equal(on, wc, 4);
  /* three objectives: a point equal to a front point in all three */
  const double d[] = {1, 2, 3, 1, 2, 3, 3, 2, 1, 2, 2, 2, 3, 3, 3};
  assert_int_equal(rp_pareto_values(d, 5, 3, NULL, on, &miss, &e), 4);
  const unsigned char wd[] = {1, 1, 1, 1, 0};
  assert_memory_equal(on, wd, 5);
  /* nothing, and a bad k */
  assert_int_equal(rp_pareto_values(d, 0, 3, NULL, on, &miss, &e), 0);
  assert_int_equal(rp_pareto_values(d, 5, 0, NULL, on, &miss, &e), -1);
  assert_int_equal(e.status, WR_EINPUT);
}

/* A small design space: 3 archs x 2 widths x 2 precisions on 2 nets. */
static rp_set *sample_set(void) {
  wr_err e;
  rp_set *s = rp_set_new();
  assert_non_null(s);
  const char *archs[] = {"base<&>\"'", "bitfusion-like", "stripes-like"};
  const char *nets[] = {"alexnet", "resnet34"};
  const char *precs[] = {"4/4", "2/2"};
  const char *widths[] = {"1", "2"};
  for (int n = 0; n < 2; n++)
    for (int a = 0; a < 3; a++)
      for (int w = 0; w < 2; w++)
        for (int q = 0; q < 2; q++) {
          int p = rp_add_point(s, &e);
          assert_true(p >= 0);
          assert_int_equal(rp_set_attr(s, p, RP_WORKLOAD, nets[n], &e), 0);
          assert_int_equal(rp_set_attr(s, p, RP_ARCH, archs[a], &e), 0);
          assert_int_equal(rp_set_attr(s, p, RP_WIDTH, widths[w], &e), 0);
          assert_int_equal(rp_set_attr(s, p, RP_PRECISION, precs[q], &e), 0);
          double scale = (1 + n) * (1 + w) * (q ? 0.5 : 1.0);
          double energy = 1e-3 * scale * (a == 0 ? 2.0 : 1.0 + 0.1 * a);
          double lat = 1e-3 * scale * (a == 2 ? 0.5 : 1.0);
          rp_set_metric(s, p, RP_ENERGY, energy, &e);
          rp_set_metric(s, p, RP_LATENCY, lat, &e);
          rp_set_metric(s, p, RP_DRAM, 1e6 * scale, &e);
          rp_set_metric(s, p, RP_AREA, 1.0 + a, &e);
          rp_set_metric(s, p, RP_PEAK_OPS, 1e12, &e);
          rp_set_metric(s, p, RP_DRAM_BW, 25.6e9, &e);
          if (n == 0)
            rp_set_metric(s, p, RP_ACCURACY, 50 + 5 * w - 3 * q, &e);
          rp_set_energy(s, p, "mac", 0.6 * energy, &e);
          rp_set_energy(s, p, "dram", 0.4 * energy, &e);
          for (int l = 0; l < 3; l++) {
            char name[16];
            snprintf(name, sizeof name, "conv%d", l + 1);
            int li = rp_add_layer(s, p, name, &e);
            assert_true(li >= 0);
            rp_set_layer_metric(s, p, li, RP_LATENCY, lat / 3, &e);
            rp_set_layer_metric(s, p, li, RP_ENERGY, energy / 3, &e);
            rp_set_layer_metric(s, p, li, RP_DRAM, 1e6 * scale / 3, &e);
            rp_set_layer_metric(s, p, li, RP_OPS, 1e9 * (l + 1), &e);
            rp_set_layer_energy(s, p, li, "mac", 0.6 * energy / 3, &e);
            rp_set_layer_energy(s, p, li, "dram", 0.4 * energy / 3, &e);
          }
        }
  return s;
}

static void test_objectives_and_front(void **state) {
  (void)state;
  rp_set *s = sample_set();
  wr_err e;
  rp_objective o[4];
  int k;
  assert_int_equal(rp_objectives_parse(s, "energy, latency ,accuracy",
                                       "--pareto", o, 4, &k, &e),
                   0);
  assert_int_equal(k, 3);
  assert_int_equal(o[0].maximize, 0);
  assert_int_equal(o[2].maximize, 1);
  assert_int_equal(
      rp_objectives_parse(s, "max:area_mm2", "--pareto", o, 4, &k, &e), 0);
  assert_int_equal(o[0].maximize, 1);
  assert_int_equal(
      rp_objectives_parse(s, "energy,nope", "--pareto", o, 4, &k, &e),
      WR_EINPUT);
  assert_non_null(strstr(e.msg, "unknown metric 'nope'"));
  assert_int_equal(
      rp_objectives_parse(s, "energy,,latency", "--pareto", o, 4, &k, &e),
      WR_EINPUT);
  assert_int_equal(
      rp_objectives_parse(s, "energy,energy_j", "--pareto", o, 4, &k, &e),
      WR_EINPUT);

  int idx[64], front[64], nf, miss;
  int n = rp_select(s, NULL, idx);
  assert_int_equal(n, 24);
  assert_int_equal(rp_objectives_parse(s, "energy,accuracy", "x", o, 4, &k, &e),
                   0);
  assert_int_equal(rp_pareto(s, idx, n, o, k, front, &nf, &miss, &e), 0);
  assert_int_equal(miss, 12); /* resnet34 has no accuracy */
  assert_true(nf >= 1);
  for (int i = 1; i < nf; i++) /* sorted by energy */
    assert_true(rp_metric(s, front[i - 1], o[0].metric) <=
                rp_metric(s, front[i], o[0].metric));
  char lab[128];
  assert_string_equal(rp_point_label(s, 0, lab, sizeof lab),
                      "base<&>\"' alexnet x1 4/4");
  rp_set_free(s);
}

static void test_filter_best_baseline(void **state) {
  (void)state;
  rp_set *s = sample_set();
  wr_err e;
  rp_filter *f = rp_filter_parse(s, "workload=res*, area <= 2 and width>=2",
                                 "--where", &e);
  assert_non_null(f);
  int idx[64];
  int n = rp_select(s, f, idx);
  assert_int_equal(n,
                   4); /* resnet34, 2 archs with area <= 2, width 2, 2 precs */
  for (int i = 0; i < n; i++)
    assert_string_equal(rp_attr(s, idx[i], rp_col(&s->attrs, RP_WORKLOAD)),
                        "resnet34");
  rp_filter_free(f);
  assert_null(rp_filter_parse(s, "colour=red", "--where", &e));
  assert_int_equal(e.status, WR_EINPUT);
  assert_null(rp_filter_parse(s, "area<=big", "--where", &e));
  assert_null(rp_filter_parse(s, "area", "--where", &e));
  assert_null(rp_filter_parse(s, "area<=1,", "--where", &e));
  /* a missing metric never matches */
  f = rp_filter_parse(s, "accuracy>0", "--where", &e);
  assert_int_equal(rp_select(s, f, idx), 12);
  rp_filter_free(f);

  /* best energy per workload with area <= 2.5: never stripes-like */
  n = rp_select(s, NULL, idx);
  rp_filter *c = rp_filter_parse(s, "area<=2.5", "--best-under", &e);
  rp_objective o = {rp_metric_col(s, "energy"), 0};
  int first[64], best[64];
  int ng = rp_best(s, idx, n, rp_col(&s->attrs, RP_WORKLOAD), c, &o, first,
                   best, &e);
  assert_int_equal(ng, 2);
  for (int g = 0; g < ng; g++) {
    assert_true(best[g] >= 0);
    assert_string_equal(rp_attr(s, best[g], rp_col(&s->attrs, RP_ARCH)),
                        "bitfusion-like");
  }
  rp_filter_free(c);
  c = rp_filter_parse(s, "area<=0.5", "--best-under", &e);
  ng = rp_best(s, idx, n, rp_col(&s->attrs, RP_WORKLOAD), c, &o, first, best,
               &e);
  assert_int_equal(ng, 2); /* the groups stay, with no design under 0.5 */
  assert_int_equal(best[0], -1);
  rp_filter_free(c);
  /* an objective or a group that is not a column of the set is an error */
  rp_objective bad = {s->metrics.n, 0};
  assert_int_equal(rp_best(s, idx, n, -1, NULL, &bad, first, best, &e), -1);
  assert_int_equal(e.status, WR_EINPUT);
  assert_int_equal(rp_best(s, idx, n, s->attrs.n, NULL, &o, first, best, &e),
                   -1);
  assert_int_equal(e.status, WR_EINPUT);
  /* group -1: every point in one group */
  assert_int_equal(rp_best(s, idx, n, -1, NULL, &o, first, best, &e), 1);
  assert_int_equal(first[0], idx[0]);

  /* the baseline of a point shares workload, width and precision */
  int match[] = {rp_col(&s->attrs, RP_WORKLOAD), rp_col(&s->attrs, RP_WIDTH),
                 rp_col(&s->attrs, RP_PRECISION)};
  int b = rp_find_baseline(s, 5, rp_col(&s->attrs, RP_ARCH), "base<&>\"'",
                           match, 3);
  assert_int_equal(b, 1);
  assert_int_equal(
      rp_find_baseline(s, 5, rp_col(&s->attrs, RP_ARCH), "none", match, 3), -1);
  rp_set_free(s);
}

/* Writes a report to memory. */
static char *report(const rp_set *s, const rp_report_opts *o, rp_format f,
                    int *rc) {
  char *buf = NULL;
  size_t len = 0;
  FILE *m = open_memstream(&buf, &len);
  assert_non_null(m);
  wr_err e;
  *rc = rp_report_write(s, o, f, m, &e);
  fclose(m);
  return buf;
}

static void test_report_formats(void **state) {
  (void)state;
  rp_set *s = sample_set();
  wr_err e;
  int idx[64], rc;
  int n = rp_select(s, NULL, idx);
  rp_objective ob[2];
  int k;
  assert_int_equal(rp_objectives_parse(s, "energy,latency", "x", ob, 2, &k, &e),
                   0);
  int match[] = {rp_col(&s->attrs, RP_WORKLOAD), rp_col(&s->attrs, RP_WIDTH),
                 rp_col(&s->attrs, RP_PRECISION)};
  rp_filter *c = rp_filter_parse(s, "area<=2.5", "--best-under", &e);
  rp_report_opts o = {.title = "t",
                      .idx = idx,
                      .n_idx = n,
                      .pareto = ob,
                      .n_pareto = k,
                      .breakdown = 1};
  rp_format fmts[] = {RP_FMT_TABLE, RP_FMT_CSV, RP_FMT_JSON, RP_FMT_MD,
                      RP_FMT_HTML};
  for (int i = 0; i < 5; i++) {
    o.breakdown = fmts[i] != RP_FMT_CSV;
    char *out = report(s, &o, fmts[i], &rc);
    assert_int_equal(rc, 0);
    assert_non_null(strstr(out, "bitfusion-like"));
    free(out);
  }
  /* escaping of names */
  o.best_under = c;
  o.best_text = "area<=2.5";
  o.best_group = rp_col(&s->attrs, RP_WORKLOAD);
  o.best_obj = ob[0];
  o.baseline = "base<&>\"'";
  o.baseline_attr = rp_col(&s->attrs, RP_ARCH);
  o.match = match;
  o.n_match = 3;
  char *html = report(s, &o, RP_FMT_HTML, &rc);
  assert_int_equal(rc, 0);
  assert_null(strstr(html, "base<&>"));
  assert_non_null(strstr(html, "base&lt;&amp;&gt;&quot;&#39;"));
  assert_non_null(strstr(html, "<svg"));
  assert_null(strstr(html, "<script"));
  free(html);
  char *json = report(s, &o, RP_FMT_JSON, &rc);
  assert_int_equal(rc, 0);
  assert_non_null(strstr(json, "\"base<&>\\\"'"));
  assert_non_null(strstr(json, "\"comparison\""));
  free(json);
  /* CSV holds one table */
  char *csv = report(s, &o, RP_FMT_CSV, &rc);
  assert_int_equal(rc, WR_EINPUT);
  free(csv);
  o.best_under = NULL;
  o.best_text = NULL;
  o.breakdown = 0;
  csv = report(s, &o, RP_FMT_CSV, &rc);
  assert_int_equal(rc, 0);
  assert_non_null(strstr(csv, "design,baseline,layer,"));
  free(csv);
  rp_filter_free(c);
  rp_set_free(s);
}

/* Designs that differ only in a varied parameter: labels name it (and any
 * other varied attribute), and each design's baseline is the baseline
 * point with the same parameters; a design without one gets a row that
 * says so. */
static void test_varied_labels_baselines(void **state) {
  (void)state;
  wr_err e;
  rp_set *s = rp_set_new();
  const char *archs[] = {"base", "bitfusion-like"};
  const char *params[] = {"buffers.wbuf.kib=64", "buffers[weight].kib=128"};
  for (int a = 0; a < 2; a++)
    for (int k = 0; k < 2; k++) {
      if (a == 0 && k == 1)
        continue; /* the baseline lacks the second value */
      int p = rp_add_point(s, &e);
      rp_set_attr(s, p, RP_WORKLOAD, "alexnet", &e);
      rp_set_attr(s, p, RP_ARCH, archs[a], &e);
      rp_set_attr(s, p, RP_PARAMS, params[k], &e);
      rp_set_attr(s, p, RP_WIDTH, "1", &e);
      rp_set_attr(s, p, RP_PRECISION, "4/4", &e);
      rp_set_attr(s, p, "batch", "8", &e);
      rp_set_attr(s, p, RP_ACC_SOURCE, "paper", &e);
      rp_set_metric(s, p, RP_ENERGY, 1e-3 * (1 + a + k), &e);
      rp_set_metric(s, p, RP_LATENCY, 1e-3 * (3 - a - k), &e);
      rp_set_metric(s, p, RP_AREA, 1.0 + a + 2 * k, &e);
    }
  char lab[RP_LABEL_MAX];
  assert_string_equal(rp_point_label(s, 2, lab, sizeof lab),
                      "bitfusion-like buffers[weight].kib=128 alexnet x1 4/4 "
                      "batch=8");
  int match[] = {rp_col(&s->attrs, RP_WORKLOAD), rp_col(&s->attrs, RP_WIDTH),
                 rp_col(&s->attrs, RP_PRECISION), rp_col(&s->attrs, RP_PARAMS)};
  int ac = rp_col(&s->attrs, RP_ARCH);
  assert_int_equal(rp_find_baseline(s, 1, ac, "base", match, 4), 0);
  assert_int_equal(rp_find_baseline(s, 2, ac, "base", match, 4), -1);
  int idx[3] = {0, 1, 2}, rc;
  rp_report_opts o = {.idx = idx,
                      .n_idx = 3,
                      .baseline = "base",
                      .baseline_attr = ac,
                      .match = match,
                      .n_match = 4};
  char *csv = report(s, &o, RP_FMT_CSV, &rc);
  assert_int_equal(rc, 0);
  assert_non_null(strstr(csv, "bitfusion-like buffers.wbuf.kib=64 alexnet x1 "
                              "4/4 batch=8,base buffers.wbuf.kib=64 alexnet "
                              "x1 4/4 batch=8,total,1.5,2,,2\n"));
  assert_non_null(strstr(csv, "bitfusion-like buffers[weight].kib=128 alexnet "
                              "x1 4/4 batch=8,\"(none: no arch = base with "
                              "the same workload, width, precision, "
                              "params)\",total,,,,\n"));
  free(csv);
  rp_set_free(s);
}

static int count(const char *s, const char *what) {
  int n = 0;
  for (const char *p = s; (p = strstr(p, what)); p += strlen(what))
    n++;
  return n;
}

/* The HTML scatters: every marker has a tooltip naming its design and
 * figures, colour encodes the architecture, front points are all labelled
 * (numbered and listed when names would collide), and a linear axis of
 * non-negative figures does not go below 0. */
static void test_html_plots(void **state) {
  (void)state;
  rp_set *s = sample_set();
  wr_err e;
  int idx[64], rc, k;
  int n = rp_select(s, NULL, idx);
  rp_objective ob[2];
  assert_int_equal(rp_objectives_parse(s, "energy,latency", "x", ob, 2, &k, &e),
                   0);
  rp_report_opts o = {.idx = idx, .n_idx = n, .pareto = ob, .n_pareto = k};
  char *html = report(s, &o, RP_FMT_HTML, &rc);
  assert_int_equal(rc, 0);
  /* 24 designs on energy vs latency, 12 with accuracy (alexnet) */
  assert_int_equal(count(html, "<g class=\"point"), 36);
  assert_int_equal(count(html, "<g class=\"point\"><title>") +
                       count(html, "<g class=\"point front\"><title>"),
                   36);
  assert_non_null(strstr(html, "<title>stripes-like alexnet x1 2/2: energy "));
  assert_non_null(strstr(html, ">architecture</text>"));
  /* linear axes (energy spans less than two decades here) start at 0 */
  assert_null(strstr(html, ">-"));
  assert_null(strstr(html, ">\xe2\x88\x92"));
  /* every front point labelled: as many labels as front markers */
  assert_int_equal(count(html, "class=\"front-label\""),
                   count(html, "<g class=\"point front\">"));
  /* colliding names: numbered and listed under the plot */
  assert_null(strstr(html, "<ol class=\"front-list\">")); /* names fit */
  free(html);
  rp_set_free(s);
  /* six front points close together: their names would collide */
  s = rp_set_new();
  for (int i = 0; i < 6; i++) {
    int p = rp_add_point(s, &e);
    rp_set_attr(s, p, RP_WORKLOAD, "alexnet", &e);
    rp_set_attr(s, p, RP_ARCH, i % 2 ? "bitfusion-like" : "stripes-like", &e);
    rp_set_attr(s, p, RP_WIDTH, "1", &e);
    rp_set_attr(s, p, RP_PRECISION, "4/4", &e);
    char v[32];
    snprintf(v, sizeof v, "array.rows=%d", 16 + i);
    rp_set_attr(s, p, RP_PARAMS, v, &e);
    rp_set_metric(s, p, RP_ENERGY, 1e-3 * (1 + 0.01 * i), &e);
    rp_set_metric(s, p, RP_LATENCY, 1e-3 * (1 - 0.01 * i), &e);
  }
  n = rp_select(s, NULL, idx);
  assert_int_equal(rp_objectives_parse(s, "energy,latency", "x", ob, 2, &k, &e),
                   0);
  o.n_idx = n;
  html = report(s, &o, RP_FMT_HTML, &rc);
  assert_int_equal(rc, 0);
  assert_int_equal(count(html, "<g class=\"point front\">"), 6);
  assert_int_equal(count(html, "class=\"front-label\""), 6);
  assert_int_equal(count(html, "<ol class=\"front-list\">"), 1);
  assert_int_equal(count(html, "<li>"), 6);
  assert_non_null(strstr(html, "<li>stripes-like array.rows=16 alexnet x1 4/4: "
                               "energy 1 mJ, latency 1 ms</li>"));
  assert_null(strstr(html, ">-"));
  free(html);
  rp_set_free(s);
  /* 0.15 to 10 mJ: linear, and the axis used to be padded to -2 mJ */
  s = rp_set_new();
  for (int i = 0; i < 2; i++) {
    int p = rp_add_point(s, &e);
    rp_set_attr(s, p, RP_ARCH, i ? "a" : "b", &e);
    rp_set_metric(s, p, RP_ENERGY, i ? 10e-3 : 0.15e-3, &e);
    rp_set_metric(s, p, RP_LATENCY, i ? 1e-3 : 2e-3, &e);
  }
  n = rp_select(s, NULL, idx);
  assert_int_equal(rp_objectives_parse(s, "energy,latency", "x", ob, 2, &k, &e),
                   0);
  o.n_idx = n;
  html = report(s, &o, RP_FMT_HTML, &rc);
  assert_int_equal(rc, 0);
  assert_null(strstr(html, ">-"));
  assert_int_equal(count(html, ">0</text>"), 2); /* both axes start at 0 */
  free(html);
  rp_set_free(s);
  /* nine architectures: the caption says colours repeat */
  s = rp_set_new();
  for (int i = 0; i < 9; i++) {
    int p = rp_add_point(s, &e);
    char a[16];
    snprintf(a, sizeof a, "arch%d", i);
    rp_set_attr(s, p, RP_ARCH, a, &e);
    rp_set_metric(s, p, RP_ENERGY, 1e-3 * (1 + i), &e);
    rp_set_metric(s, p, RP_LATENCY, 1e-3 * (9 - i), &e);
  }
  n = rp_select(s, NULL, idx);
  assert_int_equal(rp_objectives_parse(s, "energy,latency", "x", ob, 2, &k, &e),
                   0);
  o.n_idx = n;
  html = report(s, &o, RP_FMT_HTML, &rc);
  assert_int_equal(rc, 0);
  assert_non_null(strstr(html, "; 9 architectures share 8 colours"));
  assert_int_equal(count(html, "<g class=\"point"), 9);
  free(html);
  rp_set_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_pareto_brute_force),
      cmocka_unit_test(test_pareto_ties),
      cmocka_unit_test(test_objectives_and_front),
      cmocka_unit_test(test_filter_best_baseline),
      cmocka_unit_test(test_report_formats),
      cmocka_unit_test(test_varied_labels_baselines),
      cmocka_unit_test(test_html_plots),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
