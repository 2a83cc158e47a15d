/*
 * sim.h — the public interface of the sim module: WRPN numerics (the
 * quantizers and rounding of docs/numerics.md), the bit-accurate integer
 * kernels, and, in the headers included at the end, the functional
 * executor that runs a quantized network on real inputs (sim_exec.h), the
 * co-simulation that counts an architecture's work on its codes
 * (sim_cosim.h) and the quantization-aware trainer (sim_train.h).
 * Consumers include this header only; the three topic headers refuse to be
 * included on their own.
 *
 * Conventions as in workloads.h: functions that can fail take a `wr_err *`
 * and return a status; nothing here prints or exits.
 */
#ifndef WRPNSIM_SIM_H
#define WRPNSIM_SIM_H

#include <stdint.h>

#include "arch.h"
#include "workloads.h"

/* ---- numerics ---------------------------------------------------------- */

/* Round half to even (IEEE roundTiesToEven, as torch.round / tf.round). */
double sim_rne(double x);

/* Activation code of a binary32 value: rne(fl32(clip(a, 0, 1) * (2^k-1))),
 * k in 1..16. */
int32_t sim_act_code(float a, int bits);

/* Weight code, k in 2..16: rne(fl32(clip(w, -1, 1) * (2^(k-1) - 1)));
 * k = 1: sign(w) with sign(0) = +1. */
int32_t sim_weight_code(float w, int bits);

/* The value an activation code stands for: fl32(code / (2^k - 1)). */
float sim_act_value(int32_t code, int bits);

/* The scale of a 1-bit layer's weights w[0..n): alpha, the mean of |w|
 * summed in binary64 in index order. */
double sim_weight_alpha(const float *w, int64_t n);

/* The binary32 values the weight codes of w[0..n) at `bits` stand for,
 * into out[0..n) (may be `w`): fl32(code / (2^(k-1) - 1)) for k in 2..16,
 * fl32(alpha * code) for k = 1 (alpha: sim_weight_alpha). */
void sim_weight_dequant(const float *w, int64_t n, int bits, double alpha,
                        float *out);

/* Image `i` of `d` as the network `n` takes it (docs/numerics.md "Network
 * input"), into x[0..c*h*w): pixels become fl32(pixel / 255), normalized
 * to fl32(fl32(x - mean) / std) when the workload has a mean and std;
 * float inputs are used as given.  The image must have the network's
 * input shape (sim_input_check). */
void sim_input_values(const wr_net *n, const wr_dataset *d, int64_t i,
                      float *x);

/* ---- packed codes ------------------------------------------------------- */

/* A tensor of `count` unsigned codes of `bits` (1..16) bits each, packed
 * back to back at `bits` bits a code: code i is bits [i * bits, (i + 1) *
 * bits) of the bit stream in `words`, whose bit j is bit j % 64 of
 * words[j / 64] (so a code may straddle two words).  The stream is
 * followed by one spare word, which lets get and set read and write two
 * whole words without a branch.  The executor keeps every layer output
 * that is codes this way (docs/exec.md).
 *
 * Start from a zeroed struct, shape it with sim_packed_reset, free with
 * sim_packed_free. */
typedef struct sim_packed {
  int bits;        /* 1..16 */
  int64_t count;   /* codes */
  uint64_t *words; /* sim_packed_words(count, bits) of them in use */
  int64_t cap;     /* words allocated */
} sim_packed;

/* Words that `count` codes of `bits` take, the spare word included. */
int64_t sim_packed_words(int64_t count, int bits);

/* Gives `t` `count` codes of `bits` (1..16), all 0, reusing its storage
 * when it is large enough.  WR_EINPUT for bits or count out of range,
 * WR_ENOMEM (t unaltered) on allocation failure. */
int sim_packed_reset(sim_packed *t, int64_t count, int bits, wr_err *e);
void sim_packed_free(sim_packed *t);

/* Code i (0 <= i < count). */
static inline uint32_t sim_packed_get(const sim_packed *t, int64_t i) {
  uint64_t bit = (uint64_t)i * (uint64_t)t->bits;
  const uint64_t *w = t->words + (bit >> 6);
  unsigned off = (unsigned)(bit & 63);
  /* (x << 1) << (63 - off) is x << (64 - off), and 0 for off = 0 */
  uint64_t v = (w[0] >> off) | ((w[1] << 1) << (63 - off));
  return (uint32_t)(v & ((UINT64_C(1) << t->bits) - 1));
}

/* Sets code i to the low `bits` bits of `code`. */
static inline void sim_packed_set(sim_packed *t, int64_t i, uint32_t code) {
  uint64_t bit = (uint64_t)i * (uint64_t)t->bits;
  uint64_t *w = t->words + (bit >> 6);
  unsigned off = (unsigned)(bit & 63);
  uint64_t mask = (UINT64_C(1) << t->bits) - 1, v = code & mask;
  w[0] = (w[0] & ~(mask << off)) | (v << off);
  w[1] = (w[1] & ~((mask >> 1) >> (63 - off))) | ((v >> 1) >> (63 - off));
}

/* Codes [i0, i0 + n) from / into one code per uint16 (pack keeps the low
 * `bits` bits of each). */
void sim_packed_pack(sim_packed *t, int64_t i0, int64_t n, const uint16_t *src);
void sim_packed_unpack(const sim_packed *t, int64_t i0, int64_t n,
                       uint16_t *dst);

/* ---- accumulators ------------------------------------------------------ */

/* The overflow rules and their names are wr_overflow (workloads.h). */

/* Applies an accumulator of `acc_bits` (2..64) to the exact sum `acc`:
 * within [-2^(b-1), 2^(b-1) - 1] it is returned as is; outside, *overflow
 * is incremented and the result saturates or wraps (two's complement), or
 * for WR_OVF_ERROR saturates (the caller reports the error). */
int64_t sim_acc_apply(int64_t acc, int acc_bits, wr_overflow rule,
                      uint64_t *overflows);

/* ---- requantization ---------------------------------------------------- */

/* The requantizer kinds and rounding modes are wr_requant and wr_round
 * (workloads.h), where the architecture's accumulator also finds them. */

/* The fixed-point requantizer: for an integer layer read by an act layer
 * that quantizes to k bits, with the layer's folded binary32 scale m and
 * shift b (docs/numerics.md):
 *   M = round(m * (2^k - 1) * 2^shift), B = round(b * (2^k - 1) * 2^shift)
 *   code = clip(round_shift(acc * M + B, shift), 0, 2^k - 1)
 * M must fit sim_config's `rq_mult_bits` signed bits (else sim_model_new
 * fails naming the layer).  Exported for tests. */
int32_t sim_requant_fixed(int64_t acc, int64_t M, int64_t B, int shift,
                          wr_round mode, int bits);

/* ---- kernels ------------------------------------------------------------ */

/* Geometry of one conv (fc is a 1x1 conv on a C*H*W x 1 x 1 input). */
typedef struct sim_conv_geom {
  int64_t c_in, h_in, w_in; /* input map */
  int64_t c_out, h_out, w_out;
  int kh, kw, sh, sw, dh, dw;
  int pad_t, pad_l; /* bottom/right padding is implied by h_out, w_out */
  int groups;
} sim_conv_geom;

/* The geometry of a conv or fc layer of a network (fc: a 1x1 conv on its
 * flattened input). */
void sim_conv_geom_of(const wr_layer *l, sim_conv_geom *g);

/* Exact integer conv: out[o][y][x] = sum over the group's input channels,
 * kernel rows and columns of in * w (zero outside the input).  Input codes
 * are unsigned (CHW), weight codes signed (O x C/groups x KH x KW, in
 * [-(2^(w_bits-1)-1), 2^(w_bits-1)-1], or +-1 for w_bits = 1).  Sums are
 * exact (int64).  Chooses the kernel by the bit widths, the shape and the
 * CPU (as SIM_KERNEL_AUTO below); every choice gives the same sums.
 * Returns WR_ENOMEM on allocation failure. */
int sim_conv_int(const sim_conv_geom *g, const uint16_t *in, int a_bits,
                 const int32_t *w, int w_bits, int64_t *out, wr_err *e);

/* Kernels, all exact for codes of 1..16 bits:
 * - BITPLANE: AND + popcount over bit planes of 64 channels, one pass per
 *   (activation plane, weight plane) pair; fastest at few plane pairs.
 * - INT8: products of unsigned activation bytes and signed 7-bit weight
 *   digits (one pass each for codes up to 8 bits, AVX-512 VNNI vpdpbusd),
 *   32-bit partial sums over chunks short enough not to overflow.
 * - DIRECT: int32 products summed in int64, plain C (chosen for wide
 *   codes on CPUs without AVX-512 VNNI).
 * AUTO picks the one expected to be fastest for the bits, the shape and
 * the running CPU. */
typedef enum sim_kernel {
  SIM_KERNEL_AUTO,
  SIM_KERNEL_BITPLANE,
  SIM_KERNEL_DIRECT,
  SIM_KERNEL_INT8
} sim_kernel;

/* Instruction-set paths of the bit-plane and int8 kernels: AUTO is the
 * fastest the running CPU supports (checked at run time), PORTABLE plain
 * C for any CPU, AVX512 the AVX-512 code (F, BW, VL and VPOPCNTDQ for
 * bit planes; F, BW, VL and VNNI for int8).  Every path gives the same
 * sums. */
typedef enum sim_isa { SIM_ISA_AUTO, SIM_ISA_PORTABLE, SIM_ISA_AVX512 } sim_isa;

/* Weights prepared once for repeated convs of geometry `g` (copied) at
 * the given bits, for the kernel `kind` (AUTO: chosen as above), re-laid
 * out for that kernel, on the best path the CPU supports.  NULL with `e`
 * set on allocation failure; free with sim_wpack_free. */
typedef struct sim_wpack sim_wpack;
sim_wpack *sim_wpack_new(const sim_conv_geom *g, const int32_t *w, int a_bits,
                         int w_bits, sim_kernel kind, wr_err *e);
void sim_wpack_free(sim_wpack *p);
/* The kernel chosen (never AUTO). */
sim_kernel sim_wpack_kind(const sim_wpack *p);
/* Testing and benchmarking hook: selects the instruction-set path of
 * `p`'s kernel.  AUTO: the best the CPU supports; PORTABLE: plain C;
 * AVX512: WR_EINPUT, leaving `p` unaltered, when the CPU lacks the
 * kernel's features or the kernel is DIRECT (which has only plain C). */
int sim_wpack_set_isa(sim_wpack *p, sim_isa isa, wr_err *e);
/* The path in use: PORTABLE or AVX512 (never AUTO). */
sim_isa sim_wpack_isa(const sim_wpack *p);
/* The conv of sim_conv_int with prepared weights.  WR_ENOMEM on
 * allocation failure of its scratch buffers. */
int sim_conv_packed(const sim_wpack *p, const uint16_t *in, int64_t *out,
                    wr_err *e);

/* The same conv on input codes packed at their bit width (at most the
 * a_bits of `p`; count c_in * h_in * w_in, else WR_EINPUT): the bit-plane
 * and int8 kernels unpack a band of input rows of every channel at a time
 * into a small scratch buffer, the direct kernel reads the codes where
 * they are.  The same sums as sim_conv_packed. */
int sim_conv_packed_in(const sim_wpack *p, const sim_packed *in, int64_t *out,
                       wr_err *e);

/* The kernels sim_conv_int chooses from, exported for tests and benches
 * (each on the best path the CPU supports). */
int sim_conv_bitplane(const sim_conv_geom *g, const uint16_t *in, int a_bits,
                      const int32_t *w, int w_bits, int64_t *out, wr_err *e);
int sim_conv_int8(const sim_conv_geom *g, const uint16_t *in, int a_bits,
                  const int32_t *w, int w_bits, int64_t *out, wr_err *e);
int sim_conv_direct(const sim_conv_geom *g, const uint16_t *in, int a_bits,
                    const int32_t *w, int w_bits, int64_t *out, wr_err *e);

/* FP32 conv: each output the binary64 sum of the exact products of
 * binary32 inputs and weights in the order (input channel, kernel row,
 * kernel column), rounded once to binary32. */
void sim_conv_f32(const sim_conv_geom *g, const float *in, const float *w,
                  float *out);
/* The same on a chosen path: SIM_ISA_PORTABLE, or AVX512 (where the CPU
 * has AVX-512F; else portable) and AUTO (the best); bit-identical. */
void sim_conv_f32_isa(const sim_conv_geom *g, const float *in, const float *w,
                      float *out, sim_isa isa);

/* Output columns [*lo, *hi) of a row of n_out whose input column
 * o * stride + off lies in [0, size). */
void sim_conv_valid_range(int64_t n_out, int stride, int64_t off, int64_t size,
                          int64_t *lo, int64_t *hi);

/* The topic headers, in this order: each uses the ones before it. */
/* the executor */
#include "sim_exec.h"
/* co-simulation: operand statistics of the executor's codes */
#include "sim_cosim.h"
/* the trainer */
#include "sim_train.h"

#endif
