/* test_precision.c — A/W parsing and precision policies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "workloads.h"

static void parses_valid_pairs(void **state) {
  (void)state;
  static const struct {
    const char *text;
    int a, w;
  } ok[] = {{"4/2", 4, 2},     {"32/32", 32, 32}, {"1/1", 1, 1},
            {"16/16", 16, 16}, {"8/32", 8, 32},   {"2/4", 2, 4}};
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    wr_prec p = {0, 0};
    wr_err e;
    assert_int_equal(wr_prec_parse(ok[i].text, "--prec", &p, &e), WR_OK);
    assert_int_equal(p.a_bits, ok[i].a);
    assert_int_equal(p.w_bits, ok[i].w);
  }
}

static void rejects_bad_pairs(void **state) {
  (void)state;
  static const char *const bad[] = {"0/4", "17/4", "4",    "4/",    "/4",
                                    "a/b", "4/2x", "-1/2", "033/4", "4/64",
                                    "",    "4//2", " 4/2", "31/31"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    wr_prec p = {7, 7};
    wr_err e;
    assert_int_equal(wr_prec_parse(bad[i], "--prec", &p, &e), WR_EINPUT);
    assert_int_equal(p.a_bits, 7); /* untouched on failure */
    assert_non_null(strstr(e.msg, "--prec"));
  }
}

static void prints_pairs(void **state) {
  (void)state;
  char buf[16];
  wr_prec p = {4, 2};
  assert_string_equal(wr_prec_str(p, buf, sizeof buf), "4/2");
}

static void fp32_lists(void **state) {
  (void)state;
  wr_policy p;
  wr_err e;
  memset(&p, 0, sizeof p);
  assert_int_equal(wr_policy_set_fp32(&p, "first,last,layer4.*", &e), WR_OK);
  assert_true(p.fp32_first && p.fp32_last);
  assert_int_equal(p.n_fp32_patterns, 1);
  assert_string_equal(p.fp32_patterns[0], "layer4.*");
  assert_int_equal(wr_policy_set_fp32(&p, "none", &e), WR_OK);
  assert_false(p.fp32_first || p.fp32_last);
  assert_int_equal(p.n_fp32_patterns, 0);
  assert_int_equal(wr_policy_set_fp32(&p, "first,,last", &e), WR_EINPUT);
  wr_policy_clear(&p);
}

static void copies_deeply(void **state) {
  (void)state;
  wr_policy a, b;
  wr_err e;
  memset(&a, 0, sizeof a);
  wr_prec p8 = {8, 8};
  assert_int_equal(wr_policy_set_fp32(&a, "first,conv*", &e), WR_OK);
  assert_int_equal(wr_policy_add_rule(&a, "fc*", p8, &e), WR_OK);
  assert_int_equal(wr_policy_copy(&b, &a, &e), WR_OK);
  wr_policy_clear(&a);
  assert_string_equal(b.fp32_patterns[0], "conv*");
  assert_string_equal(b.rules[0].pattern, "fc*");
  assert_int_equal(b.rules[0].prec.w_bits, 8);
  assert_true(b.fp32_first);
  wr_policy_clear(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(parses_valid_pairs), cmocka_unit_test(rejects_bad_pairs),
      cmocka_unit_test(prints_pairs),       cmocka_unit_test(fp32_lists),
      cmocka_unit_test(copies_deeply),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
