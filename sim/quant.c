/*
 * quant.c — WRPN numerics (docs/numerics.md):
 * round half to even, the paper's activation and weight quantizers and the
 * values their codes stand for, the network input's normalization, and
 * accumulators of a given width with an overflow rule.
 */
#include <math.h>
#include <string.h>

#include "sim.h"

double sim_rne(double x) {
  /* nearbyint rounds with the current mode, which C programs start in and
     wrpnsim never changes: round-to-nearest, ties to even. */
  return nearbyint(x);
}

int32_t sim_act_code(float a, int bits) {
  float top = (float)((1 << bits) - 1);
  if (!(a > 0.0f)) /* also NaN -> 0 */
    return 0;
  if (a >= 1.0f)
    return (int32_t)top;
  volatile float scaled = a * top; /* one binary32 rounding, no FMA */
  return (int32_t)sim_rne(scaled);
}

int32_t sim_weight_code(float w, int bits) {
  if (bits == 1)
    return w < 0.0f ? -1 : 1;
  float top = (float)((1 << (bits - 1)) - 1);
  if (isnan(w))
    return 0;
  float c = w < -1.0f ? -1.0f : (w > 1.0f ? 1.0f : w);
  volatile float scaled = c * top;
  return (int32_t)sim_rne(scaled);
}

float sim_act_value(int32_t code, int bits) {
  return (float)((double)code / (double)((1 << bits) - 1));
}

double sim_weight_alpha(const float *w, int64_t n) {
  double alpha = 0;
  for (int64_t k = 0; k < n; k++)
    alpha += fabs((double)w[k]);
  return alpha / (double)n;
}

void sim_weight_dequant(const float *w, int64_t n, int bits, double alpha,
                        float *out) {
  if (bits == 1) {
    for (int64_t k = 0; k < n; k++)
      out[k] = (float)(alpha * sim_weight_code(w[k], 1));
    return;
  }
  double top = (double)((1 << (bits - 1)) - 1);
  for (int64_t k = 0; k < n; k++)
    out[k] = (float)((double)sim_weight_code(w[k], bits) / top);
}

void sim_input_values(const wr_net *n, const wr_dataset *d, int64_t i,
                      float *x) {
  int64_t count = wr_shape_elems(n->input), plane = n->input.h * n->input.w;
  for (int64_t k = 0; k < count; k++) {
    float v = d->pixels ? (float)((double)d->pixels[i * count + k] / 255.0)
                        : d->values[i * count + k];
    if (d->pixels && n->mean) {
      int64_t c = k / plane;
      volatile float centred = v - (float)n->mean[c];
      v = centred / (float)n->std[c];
    }
    x[k] = v;
  }
}

int64_t sim_acc_apply(int64_t acc, int acc_bits, wr_overflow rule,
                      uint64_t *overflows) {
  if (acc_bits >= 64)
    return acc;
  int64_t hi = (int64_t)((UINT64_C(1) << (acc_bits - 1)) - 1);
  int64_t lo = -hi - 1;
  if (acc >= lo && acc <= hi)
    return acc;
  (*overflows)++;
  if (rule != WR_OVF_WRAP)
    return acc > hi ? hi : lo;
  /* two's complement wrap to acc_bits */
  uint64_t mask = (UINT64_C(1) << acc_bits) - 1;
  uint64_t u = (uint64_t)acc & mask;
  if (u & (UINT64_C(1) << (acc_bits - 1)))
    return (int64_t)(u | ~mask);
  return (int64_t)u;
}

/* v / 2^s rounded by `mode`, for 128-bit v (|v| < 2^126) */
static __int128 shift_round(__int128 v, int s, wr_round mode) {
  __int128 q = v >> s; /* arithmetic: floor */
  if (mode == WR_ROUND_FLOOR)
    return q;
  __int128 one = (__int128)1 << s;
  __int128 rem = v - q * one, half = one / 2; /* 0 <= rem < 2^s */
  if (rem > half || (rem == half && (mode == WR_ROUND_HALF_UP || (q & 1))))
    q++;
  return q;
}

int32_t sim_requant_fixed(int64_t acc, int64_t M, int64_t B, int shift,
                          wr_round mode, int bits) {
  __int128 v = (__int128)acc * M + B;
  __int128 q = shift_round(v, shift, mode);
  int32_t top = (1 << bits) - 1;
  return q < 0 ? 0 : q > top ? top : (int32_t)q;
}
