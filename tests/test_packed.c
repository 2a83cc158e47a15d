/* test_packed.c — codes packed at their bit width (sim_packed): the
 * storage size, get/set and pack/unpack round trips for every width
 * 1..16 over lengths that end inside, at and past word edges, ranges
 * starting at odd offsets that must leave their neighbours alone, codes
 * wider than the width (masked), and reshaping. */
#include <stdlib.h>

#include "sim.h"
#include "testutil.h"

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint32_t rnd(uint32_t n) { /* xorshift64* */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t)((rng_state * 2685821657736338717ULL) >> 33) % n;
}

/* Lengths around the edges of 64-bit words for any width, and odd ones. */
static const int64_t lengths[] = {0,   1,   2,   3,   5,   7,   15,  16,
                                  17,  63,  64,  65,  127, 128, 129, 191,
                                  192, 193, 255, 256, 257, 1001};
enum { N_LENGTHS = sizeof lengths / sizeof lengths[0] };

static sim_packed make(int64_t n, int bits) {
  sim_packed t = {0, 0, NULL, 0};
  wr_err e;
  assert_int_equal(sim_packed_reset(&t, n, bits, &e), WR_OK);
  assert_int_equal(t.bits, bits);
  assert_int_equal(t.count, n);
  return t;
}

/* n random codes of `bits`; every fourth one is the largest. */
static uint16_t *random_codes(int64_t n, int bits) {
  uint16_t *c = malloc((size_t)(n ? n : 1) * sizeof *c);
  assert_non_null(c);
  uint32_t top = (1u << bits) - 1;
  for (int64_t i = 0; i < n; i++)
    c[i] = (uint16_t)(i % 4 == 3 ? top : rnd(top + 1));
  return c;
}

static void storage_size(void **state) {
  (void)state;
  assert_int_equal(sim_packed_words(0, 4), 1);
  assert_int_equal(sim_packed_words(16, 4), 2);
  assert_int_equal(sim_packed_words(17, 4), 3);
  assert_int_equal(sim_packed_words(64, 1), 2);
  assert_int_equal(sim_packed_words(65, 1), 3);
  assert_int_equal(sim_packed_words(3, 16), 2);
  assert_int_equal(sim_packed_words(100, 3), 6); /* 300 bits */
  for (int bits = 1; bits <= 16; bits++)
    assert_int_equal(sim_packed_words(1000, bits), (1000 * bits + 63) / 64 + 1);
}

/* pack all, get each; set each, unpack all; for every width and length */
static void round_trips(void **state) {
  (void)state;
  for (int bits = 1; bits <= 16; bits++)
    for (int l = 0; l < N_LENGTHS; l++) {
      int64_t n = lengths[l];
      uint16_t *c = random_codes(n, bits);
      uint16_t *back = malloc((size_t)(n + 1) * sizeof *back);
      assert_non_null(back);
      sim_packed t = make(n, bits);
      sim_packed_pack(&t, 0, n, c);
      for (int64_t i = 0; i < n; i++)
        if (sim_packed_get(&t, i) != c[i])
          fail_msg("%d bits, %lld codes: get(%lld) = %u, packed %u", bits,
                   (long long)n, (long long)i, sim_packed_get(&t, i), c[i]);
      sim_packed u = make(n, bits);
      for (int64_t i = n - 1; i >= 0; i--) /* backwards: no help from order */
        sim_packed_set(&u, i, c[i]);
      back[n] = 0xbeef;
      sim_packed_unpack(&u, 0, n, back);
      assert_int_equal(back[n], 0xbeef);
      for (int64_t i = 0; i < n; i++)
        if (back[i] != c[i])
          fail_msg("%d bits, %lld codes: unpacked %u at %lld, set %u", bits,
                   (long long)n, back[i], (long long)i, c[i]);
      /* the two ways write the same stream, and nothing past it */
      int64_t used = (n * bits + 63) / 64;
      for (int64_t k = 0; k < sim_packed_words(n, bits); k++)
        assert_true(t.words[k] == u.words[k]);
      assert_true(t.words[used] == 0);
      if (n * bits % 64)
        assert_true(t.words[used - 1] >> (n * bits % 64) == 0);
      sim_packed_free(&t);
      sim_packed_free(&u);
      assert_null(t.words);
      free(c);
      free(back);
    }
}

/* Ranges at odd offsets and of odd lengths change only their codes;
 * set changes only its code, also where it straddles two words. */
static void ranges_keep_neighbours(void **state) {
  (void)state;
  const int64_t n = 300;
  for (int bits = 1; bits <= 16; bits++) {
    uint16_t *c = random_codes(n, bits);
    uint16_t *fresh = random_codes(n, bits);
    uint16_t got[300];
    sim_packed t = make(n, bits);
    sim_packed_pack(&t, 0, n, c);
    for (int rep = 0; rep < 200; rep++) {
      int64_t i0 = rnd((uint32_t)n), len = rnd((uint32_t)(n - i0 + 1));
      sim_packed_pack(&t, i0, len, fresh + i0);
      for (int64_t i = i0; i < i0 + len; i++)
        c[i] = fresh[i];
      int64_t j0 = rnd((uint32_t)n), jl = rnd((uint32_t)(n - j0 + 1));
      sim_packed_unpack(&t, j0, jl, got);
      for (int64_t i = 0; i < jl; i++)
        assert_int_equal(got[i], c[j0 + i]);
      int64_t k = rnd((uint32_t)n);
      uint16_t v = (uint16_t)rnd(1u << bits);
      sim_packed_set(&t, k, v);
      c[k] = v;
      for (int64_t i = 0; i < n; i++)
        if (sim_packed_get(&t, i) != c[i])
          fail_msg("%d bits: code %lld is %u, expected %u (pack [%lld, "
                   "+%lld), set %lld)",
                   bits, (long long)i, sim_packed_get(&t, i), c[i],
                   (long long)i0, (long long)len, (long long)k);
    }
    sim_packed_free(&t);
    free(c);
    free(fresh);
  }
}

/* Codes wider than the width keep their low bits, and touch nothing
 * else: every code at the maximum, then zeros and ones written over it. */
static void wide_codes_masked(void **state) {
  (void)state;
  for (int bits = 1; bits <= 16; bits++) {
    const int64_t n = 131;
    uint32_t top = (1u << bits) - 1;
    sim_packed t = make(n, bits);
    for (int64_t i = 0; i < n; i++)
      sim_packed_set(&t, i, i % 2 ? 0xffffffffu : 0xffff0000u | top);
    for (int64_t i = 0; i < n; i++)
      assert_int_equal(sim_packed_get(&t, i), top);
    uint16_t src[131];
    for (int64_t i = 0; i < n; i++)
      src[i] = (uint16_t)(i % 3 ? 0 : 0xffff);
    sim_packed_pack(&t, 1, n - 2, src + 1);
    assert_int_equal(sim_packed_get(&t, 0), top);
    assert_int_equal(sim_packed_get(&t, n - 1), top);
    for (int64_t i = 1; i < n - 1; i++)
      assert_int_equal(sim_packed_get(&t, i), i % 3 ? 0 : top);
    sim_packed_free(&t);
  }
}

/* Reshaping reuses storage that is large enough and zeroes it; bad
 * shapes are refused and leave the tensor alone. */
static void reshaping(void **state) {
  (void)state;
  wr_err e;
  sim_packed t = make(1000, 16);
  uint64_t *w = t.words;
  int64_t cap = t.cap;
  for (int64_t i = 0; i < 1000; i++)
    sim_packed_set(&t, i, 0xffff);
  assert_int_equal(sim_packed_reset(&t, 3000, 5, &e), WR_OK);
  assert_true(t.words == w && t.cap == cap);
  for (int64_t i = 0; i < 3000; i++)
    assert_int_equal(sim_packed_get(&t, i), 0);
  assert_int_equal(sim_packed_reset(&t, 5000, 16, &e), WR_OK);
  assert_true(t.cap >= sim_packed_words(5000, 16));
  assert_int_equal(sim_packed_reset(&t, 10, 0, &e), WR_EINPUT);
  assert_int_equal(sim_packed_reset(&t, 10, 17, &e), WR_EINPUT);
  assert_int_equal(sim_packed_reset(&t, -1, 4, &e), WR_EINPUT);
  assert_int_equal(t.bits, 16);
  assert_int_equal(t.count, 5000);
  sim_packed_free(&t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(storage_size),
      cmocka_unit_test(round_trips),
      cmocka_unit_test(ranges_keep_neighbours),
      cmocka_unit_test(wide_codes_masked),
      cmocka_unit_test(reshaping),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
