/*
 * sim.h — the public interface of the sim module: WRPN numerics (the
 * quantizers and rounding of docs/numerics.md), the bit-accurate integer
 * kernels, and the functional executor that runs a quantized network on
 * real inputs.
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

/* Parses "saturate", "wrap" or "error". */
int sim_overflow_parse(const char *s, wr_overflow *out, wr_err *e);
const char *sim_overflow_name(wr_overflow o);

/* Applies an accumulator of `acc_bits` (2..64) to the exact sum `acc`:
 * within [-2^(b-1), 2^(b-1) - 1] it is returned as is; outside, *overflow
 * is incremented and the result saturates or wraps (two's complement), or
 * for WR_OVF_ERROR saturates (the caller reports the error). */
int64_t sim_acc_apply(int64_t acc, int acc_bits, wr_overflow rule,
                      uint64_t *overflows);

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

/* ---- the executor ------------------------------------------------------- */

/* Parses "rne", "half-up" or "floor". */
int sim_round_parse(const char *s, wr_round *out, wr_err *e);

typedef struct sim_config {
  int acc_bits;         /* accumulator width, 2..64 (default 32) */
  wr_overflow overflow; /* default saturate */
  wr_requant requant;   /* default WR_RQ_FLOAT */
  int rq_shift;         /* fixed: fraction bits of M and B, 1..62 (24) */
  int rq_mult_bits;     /* fixed: signed width of M, 2..63 (32) */
  wr_round rq_round;    /* fixed: rounding of the shift (rne) */
} sim_config;

/* Defaults: 32-bit saturating accumulators, the binary32 requantization
 * rule; for the fixed-point one a 32-bit multiplier with 24 fraction bits
 * and round-half-to-even. */
sim_config sim_config_default(void);

/* The fixed-point requantizer: for an integer layer read by an act layer
 * that quantizes to k bits, with the layer's folded binary32 scale m and
 * shift b (docs/numerics.md):
 *   M = round(m * (2^k - 1) * 2^shift), B = round(b * (2^k - 1) * 2^shift)
 *   code = clip(round_shift(acc * M + B, shift), 0, 2^k - 1)
 * M must fit `rq_mult_bits` signed bits (else sim_model_new fails naming
 * the layer).  Exported for tests. */
int32_t sim_requant_fixed(int64_t acc, int64_t M, int64_t B, int shift,
                          wr_round mode, int bits);

/* Per-layer statistics over the images run. */
/* Operand statistics of an integer conv or fc layer's input codes (what an
 * architecture's value-dependent features count with; sim/cosim.c):
 * sums, so that they add over images. */
typedef struct sim_operand_stats {
  uint64_t macs, nz_macs; /* MACs, and those whose activation and weight
                             codes are both non-zero (padding is zero) */
  uint64_t act, nz_act;   /* input codes, and the non-zero ones */
  uint64_t groups;        /* groups of `group` consecutive input channels
                             at one pixel */
  uint64_t group_bits;    /* sum over groups of the widest code's bit
                             length (at least 1) */
  /* input codes by effective bit length */
  uint64_t bitlen[WR_MAX_INT_BITS + 1];
} sim_operand_stats;

/* Adds every count of `x` to `to`. */
void sim_operand_add(sim_operand_stats *to, const sim_operand_stats *x);

/* Non-zero weight codes per (group, input channel of the group, kernel
 * row, column), counted over the group's filters (weights O x C/groups x
 * KH x KW).  The caller frees.  NULL with `e` set on allocation failure. */
int64_t *sim_weight_nz(const sim_conv_geom *g, const int32_t *w, wr_err *e);

/* The statistics of one input (`in`, CHW codes) of a conv with geometry
 * `g` and weight counts `wnz` (sim_weight_nz); `group` > 0 also measures
 * groups.  `scratch` holds c_in x h_in x w_in bytes.  The non-zero MACs are
 * counted exactly: for each input channel and kernel tap, the output
 * positions reading a non-zero code times the filters with a non-zero
 * weight there. */
void sim_operand_count(const sim_conv_geom *g, const sim_packed *in,
                       const int64_t *wnz, int group, sim_operand_stats *st,
                       uint8_t *scratch);

typedef struct sim_layer_stats {
  uint64_t values;     /* output values seen (codes or floats) */
  uint64_t zero_codes; /* outputs that are activation code 0 */
  /* codes by effective bit length 0..WR_MAX_INT_BITS */
  uint64_t bitlen[WR_MAX_INT_BITS + 1];
  uint64_t overflows;    /* accumulator overflows (conv, fc) */
  uint64_t requantized;  /* codes requantized to other bits on the way in */
  uint64_t rq_mismatch;  /* act: fixed-point codes that differ from the
                            binary32 rule */
  int out_bits;          /* 1..16 codes, 32 binary32 values */
  sim_operand_stats ops; /* integer conv/fc inputs, when the model
                            collects them (sim_model_operand_stats) */
} sim_layer_stats;

typedef struct sim_model sim_model;

/* Prepares `net` (widened, with precisions applied; borrowed, must outlive
 * the model) for execution with the weights in `w`: quantizes weights,
 * folds batch norm and biases into per-channel binary32 scales and shifts.
 * Arrays are looked up by layer name (PyTorch state_dict keys:
 * "conv1.weight", "bn1.running_var", ...); a missing or mis-shaped array
 * is WR_EINPUT naming `wsrc` (the weights file; NULL: "weights"), the key,
 * the expected and the found shape.  `wsrc` is borrowed for the model's
 * life.  The caller frees with sim_model_free. */
sim_model *sim_model_new(const wr_net *net, const wr_npz *w, const char *wsrc,
                         const sim_config *cfg, wr_err *e);
void sim_model_free(sim_model *m);

/* 1 if sim_model_new reads the array `key` for `net` ("conv1.weight",
 * "bn1.running_var", ...: a conv or fc layer's weight and, with a bias,
 * bias; a bn layer's weight, bias, running_mean and running_var).  Can't
 * fail. */
int sim_weight_key(const wr_net *net, const char *key);
/* Reads from the .npz `path` the arrays sim_model_new reads for `net` and
 * no other member (wr_npz_read_some): an archive may hold large arrays
 * the network does not need.  The caller frees with wr_npz_free. */
int sim_weights_read(const wr_net *net, const char *path, wr_npz *out,
                     wr_err *e);
/* Checks that `w` holds every array sim_model_new reads for `net` with the
 * shape the network needs, a float dtype, finite values and non-negative
 * batch-norm variances: sim_model_new's checks, with its messages (naming
 * `wsrc`, the array, both shapes or the first bad index), without
 * preparing a model.  WR_EINPUT on the first problem. */
int sim_weights_check(const wr_net *net, const wr_npz *w, const char *wsrc,
                      wr_err *e);
/* Checks that the images of `d` have the shape the network's input takes;
 * WR_EINPUT naming the images' file (d->source) and both shapes if not.
 * The executor and the trainer share it. */
int sim_input_check(const wr_net *n, const wr_dataset *d, wr_err *e);

/* A model for another thread: shares the prepared weights of `m` (which
 * must outlive it and is only read while runs go on) and has buffers of
 * its own.  NULL with `e` set on allocation failure; free with
 * sim_model_free. */
sim_model *sim_model_clone(const sim_model *m, wr_err *e);

/* Representation of a layer's output: 1..16 (codes) or 32 (binary32). */
int sim_model_out_bits(const sim_model *m, int layer);

/* Bytes a model (or each clone) holds for activations while it runs. */
typedef struct sim_act_bytes {
  int64_t codes;   /* layer outputs held as codes (and codes handed from
                      a conv/fc to the act that reads it) */
  int64_t values;  /* layer outputs held as binary32, the network input */
  int64_t scratch; /* accumulators and a conv's converted input */
} sim_act_bytes;
sim_act_bytes sim_model_act_bytes(const sim_model *m);

/* Synthetic weights for `net` as an .npz image (arrays named as
 * sim_model_new expects), from a GSL mt19937 generator seeded with `seed`:
 * conv/fc weights uniform in [-1, 1] for quantized layers and in
 * +-sqrt(6 / fan_in) for FP32 layers, biases 0, batch norm gamma 1,
 * beta 0, running mean 0, running variance 1.  The caller frees with
 * wr_npz_free. */
int sim_synthetic_weights(const wr_net *net, unsigned long seed, wr_npz *out,
                          wr_err *e);

/* Runs image `i` of `data` through the model.  `top1` receives the index
 * of the largest output (ties: the lowest), stats (n_layers entries, may be
 * NULL) are accumulated, and `dump` (may be NULL) is called with every
 * layer's output.  Inputs: pixels become binary32 pixel/255 (normalized
 * by the workload's mean and std if it has them); float inputs are used
 * as given.  Returns WR_ERUNTIME for an accumulator overflow under the
 * `error` rule (naming the layer and output), WR_EINPUT if the image's
 * shape is not the network's input. */
typedef struct sim_output {
  int layer; /* index in the network */
  int bits;  /* 1..16: codes are set; 32: values are set */
  const sim_packed *codes;
  const float *values;
  int64_t count;
} sim_output;
typedef int (*sim_dump_fn)(void *ctx, const sim_output *o, wr_err *e);

int sim_run_image(sim_model *m, const wr_dataset *data, int64_t i, int *top1,
                  sim_layer_stats *stats, sim_dump_fn dump, void *dump_ctx,
                  wr_err *e);

/* Adds the statistics of src[0..n) to dst[0..n). */
void sim_stats_add(sim_layer_stats *dst, const sim_layer_stats *src, int n);

/* Runs every image of `d` with weights `w` (default sim_config) on
 * `threads` model clones: top-1 hits into *correct and, when `stats` is not
 * NULL, the layer statistics summed into stats[0..n_layers), with operand
 * statistics in groups of `group` when group >= 0 (0: no groups). */
int sim_exec_run(const wr_net *net, const wr_npz *w, const char *wsrc,
                 const wr_dataset *d, int threads, int group,
                 sim_layer_stats *stats, int64_t *correct, wr_err *e);

/* ---- co-simulation (sim/cosim.c; docs/exec.md "Counts from real data") - */

/* Makes `m` (and clones made from it afterwards) collect the operand
 * statistics of every integer conv and fc layer into the stats given to
 * sim_run_image, with groups of `group` input channels (0: none).  An
 * allocation failure is WR_ENOMEM. */
int sim_model_operand_stats(sim_model *m, int group, wr_err *e);

/* What the architecture counts with, from operand statistics (one image's,
 * or sums over images). */
arch_meas sim_meas_of(const sim_operand_stats *s);

/* A network's counts on an architecture, both ways: data-independent
 * (`base`, as `wrpnsim run` gives them) and measured from each image's
 * codes with the same mappings, averaged over the images with min and
 * max. */
typedef struct sim_cosim_layer {
  double cycles_sum, cycles_min, cycles_max;
  double energy_sum, energy_min, energy_max;
  arch_energy energy;                          /* sums of the components */
  double macs_gated, macs_skipped, a_bits_eff; /* sums */
  sim_operand_stats ops;                       /* sums */
} sim_cosim_layer;

typedef struct sim_cosim {
  const arch *a;
  const wr_net *net;
  arch_eval_opts opts;
  arch_net_result base;
  sim_cosim_layer *layers; /* one per base.layers entry */
  uint64_t images;
  double cycles_sum, cycles_min, cycles_max; /* network, per image */
  double energy_sum, energy_min, energy_max;
} sim_cosim;

/* Evaluates the data-independent counts.  WR_EINPUT (unsupported layers,
 * no tiling) as arch_eval_net; free with sim_cosim_free. */
int sim_cosim_init(sim_cosim *c, const arch *a, const wr_net *net,
                   const arch_eval_opts *o, wr_err *e);
/* Adds one image: `st` are that image's layer statistics (n_layers
 * entries, operand statistics collected). */
int sim_cosim_add(sim_cosim *c, const sim_layer_stats *st, wr_err *e);
/* Adds what another accumulator (same network and architecture) saw. */
void sim_cosim_merge(sim_cosim *dst, const sim_cosim *src);
void sim_cosim_free(sim_cosim *c);

/* ==== training (sim/train.c; docs/train.md) ============================== */

/* Quantization-aware training from scratch as the WRPN paper does it:
 * FP32 shadow weights (quantized layers': uniform in [-1, 1] at the start,
 * clamped to [-1, 1] after every step), weights and activations quantized
 * in the forward pass with the executor's quantizers and the network's
 * precision policy, straight-through estimators, FP32 gradients, batch
 * norm on batch statistics (running statistics exported), softmax
 * cross-entropy on the last layer (or on the input of a final softmax).
 * Layers: conv (any stride, padding, dilation, groups), fc, maxpool,
 * avgpool, bn, act, add, and a softmax as the last layer. */

typedef enum sim_optim { SIM_OPT_ADAM, SIM_OPT_SGD } sim_optim;

typedef struct sim_train_opts {
  int epochs;         /* passes over the training images (10) */
  int batch;          /* images per step (128) */
  sim_optim optim;    /* Adam (default) or SGD with momentum */
  double lr;          /* peak learning rate, cosine-annealed to 0 (1e-3) */
  double momentum;    /* SGD momentum (0.9) */
  double bn_momentum; /* running-statistics update, PyTorch's (0.1) */
  unsigned long seed; /* GSL mt19937: initial weights and shuffling (1) */
  int threads;        /* 1..64 (1); results depend on seed and threads */
} sim_train_opts;

sim_train_opts sim_train_opts_default(void);

/* One epoch's progress. */
typedef struct sim_train_epoch {
  int epoch, epochs;
  double loss;      /* mean training loss over the epoch */
  double train_acc; /* training top-1 during the epoch (batch statistics) */
  double test_acc;  /* float path on the test images (running statistics);
                       -1 without test images */
  double images_per_s, seconds;
} sim_train_epoch;
typedef void (*sim_train_progress_fn)(void *ctx, const sim_train_epoch *ep);

typedef struct sim_train_result {
  double loss, train_acc; /* the last epoch's */
  double float_test_acc;  /* the float path's, last epoch */
  double test_acc;        /* the bit-accurate executor's on the exported
                             weights (default sim_config) */
  int64_t test_correct, test_n;
  double train_seconds, images_per_s, exec_seconds;
} sim_train_result;

/* Trains `net` (widened, precisions applied; borrowed) on `train`, then
 * exports the weights into `out` (arrays named and shaped as
 * sim_model_new reads them; the caller frees with wr_npz_free) and, when
 * `test` is given, measures its top-1 accuracy with the executor.
 * `progress` (may be NULL) is called after every epoch.  WR_EINPUT for a
 * layer training does not support (naming it at file:line:col), bad
 * options, unlabelled data or labels beyond the network's outputs. */
int sim_train(const wr_net *net, const wr_dataset *train,
              const wr_dataset *test, const sim_train_opts *o,
              sim_train_progress_fn progress, void *ctx, wr_npz *out,
              sim_train_result *res, wr_err *e);

/* OpenBLAS 0.3.21 (Debian 12) takes some AVX-512 CPUs (virtual "Intel
 * Xeon Processor" models) for a Prescott and runs its generic kernels,
 * several times slower.  The core type a process should set in
 * OPENBLAS_CORETYPE before OpenBLAS starts (then run itself again), or
 * NULL when no such re-run is needed (already set, or detected right). */
const char *sim_blas_coretype(void);

/* Top-1 accuracy of the executor (default sim_config) with weights `w` on
 * labelled images, run on `threads` model clones. */
int sim_exec_accuracy(const wr_net *net, const wr_npz *w, const char *wsrc,
                      const wr_dataset *d, int threads, int64_t *correct,
                      wr_err *e);

/* The trainer underneath, for tests and benchmarks. */
typedef struct sim_trainer sim_trainer;
sim_trainer *sim_trainer_new(const wr_net *net, const sim_train_opts *o,
                             wr_err *e);
void sim_trainer_free(sim_trainer *t);
/* Forward and backward on images idx[0..nb) of `d` (nb <= batch): the
 * mean loss into *loss, correct answers added to *correct (either may be
 * NULL), gradients kept; no update. */
int sim_trainer_grad(sim_trainer *t, const wr_dataset *d, const int64_t *idx,
                     int nb, double *loss, int64_t *correct, wr_err *e);
/* sim_trainer_grad, then one optimizer step at learning rate `lr`. */
int sim_trainer_step(sim_trainer *t, const wr_dataset *d, const int64_t *idx,
                     int nb, double lr, double *loss, int64_t *correct,
                     wr_err *e);
/* The float path on every image of `d` with running statistics. */
int sim_trainer_eval(sim_trainer *t, const wr_dataset *d, int64_t *correct,
                     double *loss, wr_err *e);
/* The weights as sim_model_new reads them. */
int sim_trainer_export(const sim_trainer *t, wr_npz *out, wr_err *e);

/* Parameters in export order: values and (for trained ones) gradients;
 * grad is NULL for batch norm's running statistics. */
typedef struct sim_train_param {
  const char *name;
  float *value;
  const float *grad;
  int64_t count;
} sim_train_param;
int sim_trainer_n_params(const sim_trainer *t);
sim_train_param sim_trainer_param(sim_trainer *t, int i);
/* Testing hooks: `surrogate` makes every quantizer the identity within its
 * clipping range (the function the straight-through estimators
 * differentiate), so finite differences can check their gradients;
 * train mode 0 uses running statistics in batch norm. */
void sim_trainer_set_surrogate(sim_trainer *t, int on);
void sim_trainer_set_train_mode(sim_trainer *t, int on);

#endif
