/*
 * sim_exec.h — the functional executor (sim/exec.c; docs/exec.md): a quantized
 * network prepared from its weights and run image by image, bit-accurately,
 * and runs over a whole dataset on several threads (sim/run.c).
 * Part of sim.h, which includes it; include sim.h instead.
 */
#ifndef WRPNSIM_SIM_EXEC_H
#define WRPNSIM_SIM_EXEC_H

#ifndef WRPNSIM_SIM_H
#error "sim_exec.h is part of sim.h: include sim.h"
#endif

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

/* Operand statistics of an integer conv or fc layer's input codes (what an
 * architecture's value-dependent features count with; sim_operand_count in
 * sim_cosim.h counts them): sums, so that they add over images. */
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

/* Per-layer statistics over the images run. */
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

/* Synthetic weights (sim/synthetic.c) for `net` as an .npz image (arrays named
 * as sim_model_new expects), from a GSL mt19937 generator seeded with `seed`:
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

/* ---- runs over a dataset (sim/run.c) ---- */

/* Progress of sim_exec_images: called after each image with the images
 * run so far of `total` (final 0), and once more when all have run
 * (done = total, final 1).  Calls come one at a time (under the run's
 * lock), from whichever thread ran the image; the callback decides what
 * to show and when. */
typedef void (*sim_progress_fn)(void *ctx, int64_t done, int64_t total,
                                int final);

typedef struct sim_exec_opts {
  int jobs;                 /* images run in parallel, each on a model of its
                               own (the model, then clones); < 1 counts as 1 */
  const char *dump_dir;     /* not NULL: every layer's outputs of every image
                               into DIR/<layer>.npy, [N, C, H, W], codes as
                               int32, binary32 values as float32; DIR exists */
  struct sim_cosim *cosim;  /* not NULL (sim_cosim_init done, same net):
                               every image counted on its architecture
                               too (needs sim_model_operand_stats) */
  sim_progress_fn progress; /* may be NULL */
  void *progress_ctx;
} sim_exec_opts;

/* Runs every image of `d` through `m` (prepared for `net`) on o->jobs
 * threads (wr_parallel_for; job k runs images k, k + jobs, ...): top-1
 * hits added to *correct and, when `stats` is not NULL, the layer
 * statistics added to stats[0..n_layers); o->cosim accumulates each job's
 * counts, merged in job order.  A failing image stops the jobs at the
 * images above it; the error is that of the lowest failing image, so it
 * does not depend on timing.  Dumps are written atomically, renamed into
 * place only when the whole run succeeded (else removed). */
int sim_exec_images(sim_model *m, const wr_net *net, const wr_dataset *d,
                    const sim_exec_opts *o, sim_layer_stats *stats,
                    int64_t *correct, wr_err *e);

/* Runs every image of `d` with weights `w` (default sim_config) on
 * `threads` model clones (at most 64; sim_exec_images): top-1 hits into
 * *correct and, when `stats` is not NULL, the layer statistics summed into
 * stats[0..n_layers), with operand statistics in groups of `group` when
 * group >= 0 (0: no groups). */
int sim_exec_run(const wr_net *net, const wr_npz *w, const char *wsrc,
                 const wr_dataset *d, int threads, int group,
                 sim_layer_stats *stats, int64_t *correct, wr_err *e);

/* Top-1 accuracy of the executor (default sim_config) with weights `w` on
 * labelled images, run on `threads` model clones. */
int sim_exec_accuracy(const wr_net *net, const wr_npz *w, const char *wsrc,
                      const wr_dataset *d, int threads, int64_t *correct,
                      wr_err *e);

#endif
