/* test_zoo.c — the shipped networks against published figures
 * (REFERENCE: torchvision / paper parameter and MAC counts) and the WRPN
 * paper's compute-cost tables (Mishra et al. 2017, Tables 3-5). */
#include <math.h>

#include "testutil.h"

static wr_net *open_net(const char *name, double width) {
  wr_err e;
  wr_net *n = wr_net_open(name, &e);
  if (!n)
    fail_msg("%s: %s", name, e.msg);
  if (wr_net_widen(n, width, &e))
    fail_msg("%s at %g: %s", name, width, e.msg);
  return n;
}

static void published_sizes(void **state) {
  (void)state;
  /* parameters (millions) within 1 %, MACs (billions) within 2 % */
  static const struct {
    const char *name;
    double params_m, gmacs;
  } ref[] = {
      {"alexnet-torchvision", 61.1, 0.71},
      {"vgg16", 138.4, 15.5},
      {"resnet18", 11.7, 1.82},
      {"resnet34", 21.8, 3.67},
      {"resnet50", 25.6, 4.1},
      {"mobilenet-v1", 4.2, 0.57},
  };
  for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++) {
    wr_net *n = open_net(ref[i].name, 1.0);
    wr_net_totals t = wr_net_sum(n);
    double p = (double)t.params / 1e6, m = (double)t.macs / 1e9;
    if (fabs(p / ref[i].params_m - 1) > 0.01 ||
        fabs(m / ref[i].gmacs - 1) > 0.02)
      fail_msg("%s: %.3f M params, %.4f G MACs; published %.1f M, %.2f G",
               ref[i].name, p, m, ref[i].params_m, ref[i].gmacs);
    wr_net_free(n);
  }
}

static void every_zoo_net_widens(void **state) {
  (void)state;
  static const double widths[] = {0.25, 0.5, 1.0, 2.0, 3.0};
  assert_true(wr_zoo_count() >= 10);
  for (size_t i = 0; i < wr_zoo_count(); i++) {
    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
      wr_net *n = open_net(wr_zoo_name(i), widths[w]);
      assert_string_equal(n->name, wr_zoo_name(i));
      /* the class count is kept */
      const wr_layer *cls = NULL;
      for (int j = 0; j < n->n_layers; j++)
        if (n->layers[j].classifier)
          cls = &n->layers[j];
      if (!cls)
        fail_msg("%s: no classifier layer", wr_zoo_name(i));
      assert_int_equal(cls->out.c, cls->out_base);
      for (int j = 0; j < n->n_layers; j++)
        assert_int_equal(wr_net_find(n, n->layers[j].name), j);
      wr_net_free(n);
    }
  }
}

static void odd_widths_and_groups(void **state) {
  (void)state;
  /* 1.3x works where no grouped conv needs divisible channel counts ... */
  wr_net *n = open_net("resnet34", 1.3);
  assert_int_equal(n->layers[0].out.c, 83);
  wr_net_free(n);
  /* ... and is refused clearly where one does (AlexNet's split convs) */
  wr_err e;
  n = open_net("alexnet", 1.0);
  assert_int_equal(wr_net_widen(n, 1.3, &e), WR_EINPUT);
  assert_non_null(strstr(e.msg, "groups 2 must divide the input channels "
                                "(125)"));
  wr_net_free(n);
}

static double growth(const char *name, double width) {
  wr_net *a = open_net(name, 1.0), *b = open_net(name, width);
  double g = (double)wr_net_sum(b).macs / (double)wr_net_sum(a).macs;
  wr_net_free(a);
  wr_net_free(b);
  return g;
}

static double cost(const char *name, double width, int a, int w) {
  wr_net *base = open_net(name, 1.0), *n = open_net(name, width);
  wr_prec p = {a, w};
  double c = wr_net_cost(n, &p, wr_net_sum(base).macs);
  wr_net_free(base);
  wr_net_free(n);
  return c;
}

static void paper_table3(void **state) {
  (void)state;
  /* AlexNet 2x wide, rows weight bits, columns activation bits */
  static const int bits[5] = {32, 8, 4, 2, 1};
  static const double table3[5][5] = {{3.9, 2.4, 2.2, 2.1, 2.0},
                                      {2.4, 1.0, 0.7, 0.6, 0.6},
                                      {2.2, 0.7, 0.5, 0.4, 0.3},
                                      {2.1, 0.6, 0.4, 0.2, 0.2},
                                      {2.0, 0.6, 0.3, 0.2, 0.1}};
  assert_true(fabs(growth("alexnet", 2.0) - 3.9) <= 0.05);
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 5; j++) {
      double c = cost("alexnet", 2.0, bits[j], bits[i]);
      if (fabs(c - table3[i][j]) > 0.06)
        fail_msg("W%d A%d: %.3f, paper %.1f", bits[i], bits[j], c,
                 table3[i][j]);
    }
}

static void paper_tables_4_5(void **state) {
  (void)state;
  static const struct {
    const char *net;
    double width;
    int a, w;
    double cost;
  } rows[] = {
      {"resnet34", 1, 1, 1, 0.03},     {"resnet34", 2, 4, 8, 0.74},
      {"resnet34", 2, 4, 4, 0.50},     {"resnet34", 2, 4, 2, 0.39},
      {"resnet34", 2, 2, 4, 0.39},     {"resnet34", 2, 2, 2, 0.27},
      {"resnet34", 2, 1, 1, 0.15},     {"resnet34", 3, 1, 1, 0.30},
      {"inception-bn", 2, 4, 4, 0.50}, {"inception-bn", 2, 4, 2, 0.38},
      {"inception-bn", 2, 2, 2, 0.25}, {"inception-bn", 2, 1, 1, 0.13},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    double c = cost(rows[i].net, rows[i].width, rows[i].a, rows[i].w);
    if (fabs(c - rows[i].cost) > 0.03)
      fail_msg("%s %gx %d/%d: %.3f, paper %.2f", rows[i].net, rows[i].width,
               rows[i].a, rows[i].w, c, rows[i].cost);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(published_sizes),
      cmocka_unit_test(every_zoo_net_widens),
      cmocka_unit_test(odd_widths_and_groups),
      cmocka_unit_test(paper_table3),
      cmocka_unit_test(paper_tables_4_5),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
