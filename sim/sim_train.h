/*
 * sim_train.h — quantization-aware training (sim/train.c; docs/train.md).
 * Part of sim.h, which includes it; include sim.h instead.
 */
#ifndef WRPNSIM_SIM_TRAIN_H
#define WRPNSIM_SIM_TRAIN_H

#ifndef WRPNSIM_SIM_H
#error "sim_train.h is part of sim.h: include sim.h"
#endif

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
