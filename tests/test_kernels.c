/* test_kernels.c — the numeric contract's building blocks: rounding, the
 * quantizers (ties, saturation), accumulators under each overflow rule,
 * and the optimized conv kernels against a golden model written straight
 * from the contract (naive loops, int64) on randomized shapes for every
 * (activation, weight) bit pair in 1..8 x 1..8, 16/16 and a few wider
 * pairs: every kernel (bit planes, int8, direct, and the automatic
 * choice) on every instruction-set path (AVX-512 where the CPU has it,
 * and portable C), and sums past the range of the int8 kernel's 32-bit
 * partial sums. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim.h"
#include "testutil.h"

/* ---- quantizers --------------------------------------------------------- */

static void rounding_ties_to_even(void **state) {
  (void)state;
  assert_true(sim_rne(0.5) == 0.0);
  assert_true(sim_rne(1.5) == 2.0);
  assert_true(sim_rne(2.5) == 2.0);
  assert_true(sim_rne(-0.5) == 0.0);
  assert_true(sim_rne(-1.5) == -2.0);
  assert_true(sim_rne(2.4999999) == 2.0);
}

static void activation_codes(void **state) {
  (void)state;
  assert_int_equal(sim_act_code(0.5f, 1), 0); /* tie -> even */
  assert_int_equal(sim_act_code(0.50001f, 1), 1);
  assert_int_equal(sim_act_code(0.5f, 2), 2); /* 1.5 -> 2 */
  /* fl32(fl32(1/6) * 3) is exactly 0.5, a tie that rounds to 0 */
  assert_int_equal(sim_act_code(1.0f / 6.0f, 2), 0);
  assert_int_equal(sim_act_code(2.5f / 15.0f, 4), 2); /* 2.5 -> 2 */
  assert_int_equal(sim_act_code(-3.0f, 4), 0);        /* clip at 0 */
  assert_int_equal(sim_act_code(1.0f, 4), 15);
  assert_int_equal(sim_act_code(7.0f, 8), 255); /* clip at 1 */
  assert_int_equal(sim_act_code(1.0f, 16), 65535);
  assert_int_equal(sim_act_code(0.0f / 0.0f, 4), 0);
  assert_true(sim_act_value(5, 4) == (float)(5.0 / 15.0));
}

static void weight_codes(void **state) {
  (void)state;
  assert_int_equal(sim_weight_code(0.5f, 2), 0); /* ternary tie -> 0 */
  assert_int_equal(sim_weight_code(0.51f, 2), 1);
  assert_int_equal(sim_weight_code(-0.7f, 2), -1);
  assert_int_equal(sim_weight_code(0.5f, 3), 2); /* 1.5 -> 2 */
  assert_int_equal(sim_weight_code(-0.5f, 3), -2);
  assert_int_equal(sim_weight_code(1.0f / 6.0f, 3), 0);
  assert_int_equal(sim_weight_code(1.7f, 4), 7);   /* saturate at +1 */
  assert_int_equal(sim_weight_code(-3.0f, 4), -7); /* and at -1 */
  assert_int_equal(sim_weight_code(-1.0f, 16), -32767);
  assert_int_equal(sim_weight_code(0.0f, 1), 1); /* sign(0) = +1 */
  assert_int_equal(sim_weight_code(-0.0f, 1), 1);
  assert_int_equal(sim_weight_code(-1e-30f, 1), -1);
}

static void accumulators(void **state) {
  (void)state;
  uint64_t n = 0;
  assert_int_equal(sim_acc_apply(127, 8, WR_OVF_SATURATE, &n), 127);
  assert_int_equal(n, 0);
  assert_int_equal(sim_acc_apply(200, 8, WR_OVF_SATURATE, &n), 127);
  assert_int_equal(sim_acc_apply(-200, 8, WR_OVF_SATURATE, &n), -128);
  assert_int_equal(sim_acc_apply(200, 8, WR_OVF_WRAP, &n), -56);
  assert_int_equal(sim_acc_apply(-200, 8, WR_OVF_WRAP, &n), 56);
  assert_int_equal(sim_acc_apply(-129, 8, WR_OVF_ERROR, &n), -128);
  assert_int_equal(n, 5);
  assert_int_equal(sim_acc_apply(INT64_MIN, 64, WR_OVF_WRAP, &n), INT64_MIN);
  assert_int_equal(sim_acc_apply((INT64_C(1) << 40) + 5, 32, WR_OVF_WRAP, &n),
                   5);
  wr_overflow o;
  wr_err e;
  assert_int_equal(wr_overflow_parse("wrap", &o, &e), WR_OK);
  assert_int_equal(o, WR_OVF_WRAP);
  assert_int_equal(wr_overflow_parse("clamp", &o, &e), WR_EINPUT);
}

/* ---- golden conv -------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(uint32_t n) { /* xorshift64*, uniform enough here */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (uint32_t)((rng_state * 2685821657736338717ULL) >> 33) % n;
}

/* Index of the input under kernel tap (r, s) of output (y, x) in channel
 * c, or -1 where it falls in the padding. */
static int64_t tap(const sim_conv_geom *g, int64_t c, int64_t y, int64_t x,
                   int64_t r, int64_t s) {
  int64_t iy = y * g->sh - g->pad_t + r * g->dh;
  int64_t ix = x * g->sw - g->pad_l + s * g->dw;
  if (iy < 0 || iy >= g->h_in || ix < 0 || ix >= g->w_in)
    return -1;
  return (c * g->h_in + iy) * g->w_in + ix;
}

/* Straight from the contract: out = sum over the group's channels and the
 * kernel window of code_a * code_w, zero outside the input. */
static void golden_conv(const sim_conv_geom *g, const uint16_t *in,
                        const int32_t *w, int64_t *out) {
  int64_t cg_in = g->c_in / g->groups, cg_out = g->c_out / g->groups;
  for (int64_t o = 0; o < g->c_out; o++)
    for (int64_t y = 0; y < g->h_out; y++)
      for (int64_t x = 0; x < g->w_out; x++) {
        int64_t acc = 0, grp = o / cg_out;
        for (int64_t c = 0; c < cg_in; c++)
          for (int64_t r = 0; r < g->kh; r++)
            for (int64_t s = 0; s < g->kw; s++) {
              int64_t i = tap(g, grp * cg_in + c, y, x, r, s);
              if (i >= 0)
                acc += (int64_t)in[i] *
                       (int64_t)w[((o * cg_in + c) * g->kh + r) * g->kw + s];
            }
        out[(o * g->h_out + y) * g->w_out + x] = acc;
      }
}

static void random_geom(sim_conv_geom *g) {
  memset(g, 0, sizeof *g);
  g->groups = 1 + (int)rnd(3);
  g->c_in = (int64_t)g->groups * (1 + rnd(70)); /* crosses 64-bit word edges */
  g->c_out =
      (int64_t)g->groups * (1 + rnd(40)); /* one and more blocks, tails */
  g->kh = 1 + (int)rnd(3);
  g->kw = 1 + (int)rnd(3);
  g->sh = 1 + (int)rnd(2);
  g->sw = 1 + (int)rnd(2);
  g->dh = 1 + (int)rnd(2);
  g->dw = 1;
  g->pad_t = (int)rnd(2);
  g->pad_l = (int)rnd(2);
  g->h_in = 1 + rnd(7) + (g->kh - 1) * g->dh;
  g->w_in = 1 + rnd(7) + (g->kw - 1) * g->dw;
  int pad_b = (int)rnd(2), pad_r = (int)rnd(2);
  g->h_out =
      (g->h_in + g->pad_t + pad_b - (int64_t)g->dh * (g->kh - 1) - 1) / g->sh +
      1;
  g->w_out =
      (g->w_in + g->pad_l + pad_r - (int64_t)g->dw * (g->kw - 1) - 1) / g->sw +
      1;
}

typedef int (*conv_fn)(const sim_conv_geom *, const uint16_t *, int,
                       const int32_t *, int, int64_t *, wr_err *);

/* Fails unless got[n_out] equals want; `what` names the kernel. */
static void expect_sums(const char *what, const sim_conv_geom *g, int a_bits,
                        int w_bits, const int64_t *got, const int64_t *want) {
  int64_t n_out = g->c_out * g->h_out * g->w_out;
  for (int64_t i = 0; i < n_out; i++)
    if (got[i] != want[i])
      fail_msg("%s, %d/%d bits, output %lld: %lld, golden %lld (c_in %lld "
               "c_out %lld groups %d k %dx%d out %lldx%lld)",
               what, a_bits, w_bits, (long long)i, (long long)got[i],
               (long long)want[i], (long long)g->c_in, (long long)g->c_out,
               g->groups, g->kh, g->kw, (long long)g->h_out,
               (long long)g->w_out);
}

/* Runs every kernel on every instruction-set path, with the input one
 * code a uint16 and packed at a_bits, and compares each with the golden
 * sums `want`. */
static void check_kernels(const sim_conv_geom *g, const uint16_t *in,
                          int a_bits, const int32_t *w, int w_bits,
                          const int64_t *want) {
  int64_t n_out = g->c_out * g->h_out * g->w_out;
  int64_t *got = malloc((size_t)n_out * sizeof *got);
  if (!got) {
    fail_msg("out of memory");
    return;
  }
  wr_err e;
  static const conv_fn fns[] = {sim_conv_int, sim_conv_bitplane, sim_conv_int8,
                                sim_conv_direct};
  static const char *const fn_names[] = {"sim_conv_int", "sim_conv_bitplane",
                                         "sim_conv_int8", "sim_conv_direct"};
  for (int k = 0; k < 4; k++) {
    memset(got, 0x55, (size_t)n_out * sizeof *got);
    assert_int_equal(fns[k](g, in, a_bits, w, w_bits, got, &e), WR_OK);
    expect_sums(fn_names[k], g, a_bits, w_bits, got, want);
  }
  static const sim_kernel kinds[] = {SIM_KERNEL_AUTO, SIM_KERNEL_BITPLANE,
                                     SIM_KERNEL_INT8, SIM_KERNEL_DIRECT};
  static const char *const kind_names[] = {"auto", "bitplane", "int8",
                                           "direct"};
  static const char *const isa_names[] = {"auto", "portable", "avx512"};
  int64_t n_in = g->c_in * g->h_in * g->w_in;
  sim_packed packed = {0, 0, NULL, 0};
  assert_int_equal(sim_packed_reset(&packed, n_in, a_bits, &e), WR_OK);
  sim_packed_pack(&packed, 0, n_in, in);
  for (int k = 0; k < 4; k++)
    for (int isa = SIM_ISA_AUTO; isa <= SIM_ISA_PORTABLE; isa++) {
      sim_wpack *p = sim_wpack_new(g, w, a_bits, w_bits, kinds[k], &e);
      assert_non_null(p);
      assert_true(sim_wpack_kind(p) != SIM_KERNEL_AUTO);
      assert_int_equal(sim_wpack_set_isa(p, (sim_isa)isa, &e), WR_OK);
      char what[96];
      snprintf(what, sizeof what, "kernel %s, path %s (%s)", kind_names[k],
               isa_names[isa], isa_names[sim_wpack_isa(p)]);
      memset(got, 0x55, (size_t)n_out * sizeof *got);
      assert_int_equal(sim_conv_packed(p, in, got, &e), WR_OK);
      expect_sums(what, g, a_bits, w_bits, got, want);
      memset(got, 0x55, (size_t)n_out * sizeof *got);
      assert_int_equal(sim_conv_packed_in(p, &packed, got, &e), WR_OK);
      size_t len = strlen(what);
      snprintf(what + len, sizeof what - len, ", packed input");
      expect_sums(what, g, a_bits, w_bits, got, want);
      sim_wpack_free(p);
    }
  sim_packed_free(&packed);
  free(got);
}

/* A k x k conv of c_in channels of size x size into c_out, stride and
 * dilation 1, no padding, one group. */
static sim_conv_geom square_geom(int64_t c_in, int64_t size, int k,
                                 int64_t c_out) {
  sim_conv_geom g = {.c_in = c_in,
                     .h_in = size,
                     .w_in = size,
                     .c_out = c_out,
                     .h_out = size - k + 1,
                     .w_out = size - k + 1,
                     .kh = k,
                     .kw = k,
                     .sh = 1,
                     .sw = 1,
                     .dh = 1,
                     .dw = 1,
                     .groups = 1};
  return g;
}

/* fill: 0 random, 1 all zero, 2 all at their extremes; g NULL: a random
 * geometry */
static void check_pair_in(const sim_conv_geom *shape, int a_bits, int w_bits,
                          int fill) {
  sim_conv_geom g;
  if (shape)
    g = *shape;
  else
    random_geom(&g);
  int64_t n_in = g.c_in * g.h_in * g.w_in;
  int64_t n_w = g.c_out * (g.c_in / g.groups) * g.kh * g.kw;
  int64_t n_out = g.c_out * g.h_out * g.w_out;
  uint16_t *in = calloc((size_t)n_in, sizeof *in);
  int32_t *w = calloc((size_t)n_w, sizeof *w);
  int64_t *want = calloc((size_t)n_out, sizeof *want);
  assert_true(in && w && want);
  uint32_t amax = (1u << a_bits) - 1;
  int32_t wmax = w_bits == 1 ? 1 : (1 << (w_bits - 1)) - 1;
  for (int64_t k = 0; k < n_in; k++)
    in[k] = fill == 1   ? 0
            : fill == 2 ? (uint16_t)amax
                        : (uint16_t)rnd(amax + 1);
  for (int64_t k = 0; k < n_w; k++) {
    int32_t v = (int32_t)rnd((uint32_t)(2 * wmax + 1)) - wmax;
    if (w_bits == 1)
      v = rnd(2) ? 1 : -1;
    if (fill == 2)
      v = rnd(2) ? wmax : -wmax;
    w[k] = v;
  }
  golden_conv(&g, in, w, want);
  check_kernels(&g, in, a_bits, w, w_bits, want);
  free(in);
  free(w);
  free(want);
}

static void check_pair(int a_bits, int w_bits, int fill) {
  check_pair_in(NULL, a_bits, w_bits, fill);
}

/* Inputs of more than 256 codes a channel: packed input is unpacked in
 * bands of rows (the last one short), with padding and strides. */
static void kernels_packed_bands(void **state) {
  (void)state;
  sim_conv_geom g = square_geom(5, 40, 3, 9);
  g.w_in = 23;
  g.sh = 2;
  g.pad_t = g.pad_l = 1;
  g.h_out = (40 + 2 - 3) / 2 + 1;
  g.w_out = 23 + 2 - 3 + 1;
  for (int a = 1; a <= 16; a += 3)
    check_pair_in(&g, a, 3, 0);
  check_pair_in(&g, 4, 1, 2);
}

static void kernels_match_golden(void **state) {
  (void)state;
  for (int a = 1; a <= 8; a++)
    for (int w = 1; w <= 8; w++)
      for (int rep = 0; rep < 6; rep++)
        check_pair(a, w, rep == 0 ? 2 : 0);
  for (int rep = 0; rep < 6; rep++)
    check_pair(16, 16, rep == 0 ? 2 : 0);
  /* wider codes: two activation bytes, two or three weight digits */
  static const int wide[][2] = {{9, 9}, {12, 15}, {16, 8}, {8, 16}, {15, 14}};
  for (int k = 0; k < 5; k++)
    for (int rep = 0; rep < 3; rep++)
      check_pair(wide[k][0], wide[k][1], rep == 0 ? 2 : 0);
}

static void kernels_all_zero_inputs(void **state) {
  (void)state;
  for (int a = 1; a <= 8; a += 3)
    for (int w = 1; w <= 8; w += 3)
      check_pair(a, w, 1);
}

/* Sums beyond 32 bits: the int8 kernel's 32-bit partial sums must be
 * split into chunks (by channels for a 1x1 kernel over 70000 channels, by
 * taps for 3x3 over 8000), for one-digit (8/8) and multi-digit (16/16)
 * codes.  Output channel 0 has every weight at +max, channel 1 at -max,
 * channel 2 random signs; every input is at its maximum. */
static void check_large(int64_t c_in, int k, int bits) {
  sim_conv_geom g = square_geom(c_in, k, k, 3);
  int64_t n_in = c_in * k * k;
  uint16_t *in = malloc((size_t)n_in * sizeof *in);
  int32_t *w = malloc((size_t)(3 * n_in) * sizeof *w);
  assert_true(in && w);
  int32_t wmax = (1 << (bits - 1)) - 1;
  for (int64_t i = 0; i < n_in; i++) {
    in[i] = (uint16_t)((1u << bits) - 1);
    w[i] = wmax;
    w[n_in + i] = -wmax;
    w[2 * n_in + i] = rnd(2) ? wmax : -wmax;
  }
  int64_t want[3];
  golden_conv(&g, in, w, want);
  assert_true(want[0] > INT32_MAX && want[1] < INT32_MIN);
  check_kernels(&g, in, bits, w, bits, want);
  free(in);
  free(w);
}

static void kernels_sums_beyond_32_bits(void **state) {
  (void)state;
  check_large(70000, 1, 8);
  check_large(8000, 3, 8);
  check_large(70000, 1, 16);
}

/* Packed input of another shape or of more bits than the layer takes is
 * refused; fewer bits are fine. */
static void packed_input_checked(void **state) {
  (void)state;
  sim_conv_geom g = square_geom(3, 2, 1, 2);
  int32_t w[6] = {1, -1, 1, 1, 1, 1};
  int64_t out[8];
  wr_err e;
  sim_wpack *p = sim_wpack_new(&g, w, 4, 2, SIM_KERNEL_AUTO, &e);
  assert_non_null(p);
  sim_packed in = {0, 0, NULL, 0};
  assert_int_equal(sim_packed_reset(&in, 12, 5, &e), WR_OK);
  assert_int_equal(sim_conv_packed_in(p, &in, out, &e), WR_EINPUT);
  assert_int_equal(sim_packed_reset(&in, 11, 4, &e), WR_OK);
  assert_int_equal(sim_conv_packed_in(p, &in, out, &e), WR_EINPUT);
  assert_int_equal(sim_packed_reset(&in, 12, 3, &e), WR_OK);
  for (int64_t i = 0; i < 12; i++)
    sim_packed_set(&in, i, (uint32_t)(i % 8));
  assert_int_equal(sim_conv_packed_in(p, &in, out, &e), WR_OK);
  /* out[0][pixel 0] = a0 - a4 + a8, out[1][pixel 0] = a0 + a4 + a8 */
  assert_int_equal(out[0], 0 - 4 + 0);
  assert_int_equal(out[4], 0 + 4 + 0);
  sim_packed_free(&in);
  sim_wpack_free(p);
}

/* The automatic path is the AVX-512 one exactly when the CPU has the
 * kernel's features (so the golden checks above ran both paths here);
 * the direct kernel has only plain C. */
static void isa_paths_follow_cpu(void **state) {
  (void)state;
  sim_conv_geom g = square_geom(64, 3, 3, 8);
  int32_t w[8 * 64 * 9];
  for (int i = 0; i < 8 * 64 * 9; i++)
    w[i] = i % 2 ? 1 : -1;
  int cpu_avx512 = 0, cpu_bp = 0, cpu_i8 = 0;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  cpu_avx512 = __builtin_cpu_supports("avx512f") &&
               __builtin_cpu_supports("avx512bw") &&
               __builtin_cpu_supports("avx512vl");
  cpu_bp = cpu_avx512 && __builtin_cpu_supports("avx512vpopcntdq");
  cpu_i8 = cpu_avx512 && __builtin_cpu_supports("avx512vnni");
#endif
  static const sim_kernel kinds[] = {SIM_KERNEL_BITPLANE, SIM_KERNEL_INT8,
                                     SIM_KERNEL_DIRECT};
  const int has[] = {cpu_bp, cpu_i8, 0};
  wr_err e;
  for (int k = 0; k < 3; k++) {
    sim_wpack *p = sim_wpack_new(&g, w, 1, 1, kinds[k], &e);
    assert_non_null(p);
    assert_int_equal(sim_wpack_isa(p),
                     has[k] ? SIM_ISA_AVX512 : SIM_ISA_PORTABLE);
    assert_int_equal(sim_wpack_set_isa(p, SIM_ISA_PORTABLE, &e), WR_OK);
    assert_int_equal(sim_wpack_isa(p), SIM_ISA_PORTABLE);
    assert_int_equal(sim_wpack_set_isa(p, SIM_ISA_AVX512, &e),
                     has[k] ? WR_OK : WR_EINPUT);
    assert_int_equal(sim_wpack_isa(p),
                     has[k] ? SIM_ISA_AVX512 : SIM_ISA_PORTABLE);
    sim_wpack_free(p);
  }
}

/* The FP32 kernel sums exact products in binary64 in (channel, row,
 * column) order and rounds once: 1 + 2^-24 + 2^-24 gives 1 + 2^-23, where
 * binary32 accumulation would give 1. */
static void fp32_sums_in_binary64(void **state) {
  (void)state;
  sim_conv_geom g = square_geom(3, 1, 1, 1);
  float in[3] = {1.0f, 0x1p-24f, 0x1p-24f}, w[3] = {1.0f, 1.0f, 1.0f}, out;
  sim_conv_f32(&g, in, w, &out);
  assert_true(out == 1.0f + 0x1p-23f);
}

/* The contract's FP32 conv, straight: each output the binary64 sum in
 * (channel, row, column) order, terms outside the input skipped. */
static void golden_f32(const sim_conv_geom *g, const float *in, const float *w,
                       float *out) {
  int64_t cg_in = g->c_in / g->groups, cg_out = g->c_out / g->groups;
  for (int64_t o = 0; o < g->c_out; o++)
    for (int64_t y = 0; y < g->h_out; y++)
      for (int64_t x = 0; x < g->w_out; x++) {
        double acc = 0.0;
        int64_t grp = o / cg_out;
        for (int64_t c = 0; c < cg_in; c++)
          for (int64_t r = 0; r < g->kh; r++)
            for (int64_t s = 0; s < g->kw; s++) {
              int64_t i = tap(g, grp * cg_in + c, y, x, r, s);
              if (i >= 0)
                acc += (double)in[i] *
                       (double)w[((o * cg_in + c) * g->kh + r) * g->kw + s];
            }
        out[(o * g->h_out + y) * g->w_out + x] = (float)acc;
      }
}

/* A value whose sums are order-sensitive in binary64: random sign, 24-bit
 * mantissa, exponent over 2^-40..2^40. */
static float rnd_f32(void) {
  float m = (float)(1 + rnd(1u << 23)) * 0x1p-23f;
  return (rnd(2) ? -1.0f : 1.0f) * ldexpf(m, (int)rnd(81) - 40);
}

static void check_f32(const sim_conv_geom *g) {
  int64_t n_in = g->c_in * g->h_in * g->w_in;
  int64_t n_w = g->c_out * (g->c_in / g->groups) * g->kh * g->kw;
  int64_t n_out = g->c_out * g->h_out * g->w_out;
  float *in = calloc((size_t)n_in, sizeof *in);
  float *w = calloc((size_t)n_w, sizeof *w);
  float *want = malloc((size_t)n_out * sizeof *want);
  float *got = malloc((size_t)n_out * sizeof *got);
  assert_true(in && w && want && got);
  for (int64_t k = 0; k < n_in; k++)
    in[k] = rnd_f32();
  for (int64_t k = 0; k < n_w; k++)
    w[k] = rnd_f32();
  golden_f32(g, in, w, want);
  static const sim_isa isas[] = {SIM_ISA_PORTABLE, SIM_ISA_AVX512,
                                 SIM_ISA_AUTO};
  for (int k = 0; k < 3; k++) {
    memset(got, 0xff, (size_t)n_out * sizeof *got);
    sim_conv_f32_isa(g, in, w, got, isas[k]);
    if (memcmp(got, want, (size_t)n_out * sizeof *got) != 0)
      fail_msg("fp32 conv path %d differs: %lldx%lldx%lld -> %lldx%lldx%lld "
               "k %dx%d s %d,%d d %d,%d pad %d,%d groups %d",
               k, (long long)g->c_in, (long long)g->h_in, (long long)g->w_in,
               (long long)g->c_out, (long long)g->h_out, (long long)g->w_out,
               g->kh, g->kw, g->sh, g->sw, g->dh, g->dw, g->pad_t, g->pad_l,
               g->groups);
  }
  free(in);
  free(w);
  free(want);
  free(got);
}

/* Every path of the FP32 conv equals the contract bit for bit: random
 * small geometries (strides, dilation, padding, groups, channel tails),
 * rows wider than a tile, several row tiles, and fully connected layers. */
static void fp32_paths_match_golden(void **state) {
  (void)state;
  for (int rep = 0; rep < 300; rep++) {
    sim_conv_geom g;
    random_geom(&g);
    g.dw = 1 + (int)rnd(2);
    g.w_in += (int64_t)(g.kw - 1) * (g.dw - 1);
    check_f32(&g);
  }
  sim_conv_geom wide = square_geom(3, 1, 1, 11);
  wide.w_in = 700;
  wide.w_out = 700 - 2;
  wide.kw = 3;
  check_f32(&wide); /* a row over two column tiles */
  sim_conv_geom tall = square_geom(5, 40, 5, 9);
  tall.pad_t = tall.pad_l = 2;
  tall.h_out = tall.w_out = 40;
  check_f32(&tall); /* 'same' padding, four row tiles */
  sim_conv_geom fc = square_geom(1000, 1, 1, 21);
  check_f32(&fc);
  fc.groups = 4;
  fc.c_in = (int64_t)fc.groups * 37;
  fc.c_out = (int64_t)fc.groups * 5;
  check_f32(&fc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(rounding_ties_to_even),
      cmocka_unit_test(activation_codes),
      cmocka_unit_test(weight_codes),
      cmocka_unit_test(accumulators),
      cmocka_unit_test(kernels_match_golden),
      cmocka_unit_test(kernels_all_zero_inputs),
      cmocka_unit_test(kernels_sums_beyond_32_bits),
      cmocka_unit_test(packed_input_checked),
      cmocka_unit_test(kernels_packed_bands),
      cmocka_unit_test(isa_paths_follow_cpu),
      cmocka_unit_test(fp32_sums_in_binary64),
      cmocka_unit_test(fp32_paths_match_golden),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
