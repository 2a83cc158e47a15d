/*
 * sim_cosim.h — co-simulation (sim/cosim.c; docs/exec.md "Counts from real
 * data"): operand statistics of the executor's codes and an architecture's
 * counts measured from them.
 * Part of sim.h, which includes it; include sim.h instead.
 */
#ifndef WRPNSIM_SIM_COSIM_H
#define WRPNSIM_SIM_COSIM_H

#ifndef WRPNSIM_SIM_H
#error "sim_cosim.h is part of sim.h: include sim.h"
#endif

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

#endif
