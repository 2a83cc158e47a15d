/*
 * weights_internal.h — a network's weight arrays as the sim module reads
 * and writes them (PyTorch state_dict names and shapes): which layers have
 * them, their shapes and batch norm's keys.  The executor's model and
 * weights check (exec.c), synthetic weights (synthetic.c) and the trainer
 * (train.c) share it.
 */
#ifndef WRPNSIM_WEIGHTS_INTERNAL_H
#define WRPNSIM_WEIGHTS_INTERNAL_H

#include <stdint.h>

#include "sim.h"

/* 1 for the layers that hold a weight array: conv and fc. */
static inline int sim_is_compute(const wr_layer *l) {
  return l->kind == WR_CONV || l->kind == WR_FC;
}

/* The shape of a conv or fc layer's weight array as PyTorch stores it,
 * [out, in / groups, kh, kw] (fc: the first two, its geometry's 1x1
 * kernel the last two); returns its rank. */
static inline int sim_weight_shape(const wr_layer *l, int64_t shape[4]) {
  sim_conv_geom g;
  sim_conv_geom_of(l, &g);
  shape[0] = l->out.c;
  shape[1] = g.c_in / g.groups;
  shape[2] = g.kh;
  shape[3] = g.kw;
  return l->kind == WR_FC ? 2 : 4;
}

/* A bn layer's arrays, in the order the executor reads them: "weight"
 * (gamma), "bias" (beta), "running_mean", "running_var". */
extern const char *const sim_bn_keys[4];

/* WR_ENOMEM "out of memory preparing the network" into `e`; returns it. */
int sim_prep_oom(wr_err *e);

#endif
