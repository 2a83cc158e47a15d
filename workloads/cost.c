/*
 * cost.c — the WRPN paper's first-order models (Mishra et al., WRPN,
 * arXiv:1709.01134): compute cost = FMAs x (activation bits + weight bits)
 * relative to the 1x FP32 network, and the memory footprint of weights and
 * activations for inference and training.  Formulas: docs/models.md.
 */
#include <stdlib.h>

#include "workloads.h"

static int is_compute(const wr_layer *l) {
  return l->kind == WR_CONV || l->kind == WR_FC;
}

double wr_net_cost(const wr_net *n, const wr_prec *uniform,
                   uint64_t base_fmas) {
  double bits = 0;
  for (int i = 0; i < n->n_layers; i++) {
    const wr_layer *l = &n->layers[i];
    if (!is_compute(l))
      continue;
    wr_prec p = uniform ? *uniform : l->prec;
    bits += (double)l->macs * (double)(p.a_bits + p.w_bits);
  }
  return base_fmas ? bits / ((double)base_fmas * 2.0 * WR_FP32_BITS) : 0.0;
}

uint64_t wr_packed_bytes(uint64_t count, int bits, int *overflow) {
  uint64_t b;
  if (__builtin_mul_overflow(count, (uint64_t)bits, &b)) {
    *overflow = 1;
    return 0;
  }
  return b / 8 + (b % 8 != 0);
}

typedef struct acc {
  int overflow;
} acc;

static uint64_t add(acc *a, uint64_t x, uint64_t y) {
  uint64_t r;
  if (__builtin_add_overflow(x, y, &r))
    a->overflow = 1;
  return r;
}

static uint64_t mul(acc *a, uint64_t x, uint64_t y) {
  uint64_t r;
  if (__builtin_mul_overflow(x, y, &r))
    a->overflow = 1;
  return r;
}

static uint64_t max64(uint64_t a, uint64_t b) { return a > b ? a : b; }

void wr_net_read_bits(const wr_net *n, int *bits) {
  /* Producers come before consumers, so one backward pass settles it. */
  for (int j = 0; j < n->n_layers; j++)
    bits[j] = 0;
  for (int j = n->n_layers - 1; j >= 0; j--) {
    const wr_layer *l = &n->layers[j];
    if (bits[j] == 0)
      bits[j] = WR_FP32_BITS;
    int give = is_compute(l) ? l->prec.a_bits : bits[j];
    for (int k = 0; k < l->n_inputs; k++) {
      int src = l->inputs[k];
      if (src >= 0 && bits[src] < give)
        bits[src] = give;
    }
  }
}

int wr_net_footprint(const wr_net *n, uint64_t batch, wr_footprint *out,
                     wr_err *e) {
  if (batch == 0)
    return wr_err_set(e, WR_EINPUT, "batch must be at least 1");
  /* a layer's output is stored at the bits it is read at */
  int *bits = calloc((size_t)n->n_layers + 1, sizeof *bits);
  if (!bits)
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  wr_net_read_bits(n, bits);
  acc a = {0};
  wr_footprint f = {0};
  uint64_t max_ifm = 0, max_ofm = 0, max_grad = 0, all_ifm = 0, last_ofm = 0;
  for (int i = 0; i < n->n_layers; i++) {
    const wr_layer *l = &n->layers[i];
    f.weight_bytes =
        add(&a, f.weight_bytes, mul(&a, (uint64_t)l->extra_params, 4));
    if (!is_compute(l))
      continue;
    f.weight_bytes =
        add(&a, f.weight_bytes,
            wr_packed_bytes((uint64_t)l->weights, l->prec.w_bits, &a.overflow));
    uint64_t in_n = mul(&a, (uint64_t)wr_shape_elems(l->in), batch);
    uint64_t out_n = mul(&a, (uint64_t)wr_shape_elems(l->out), batch);
    uint64_t ifm = wr_packed_bytes(in_n, l->prec.a_bits, &a.overflow);
    uint64_t ofm = wr_packed_bytes(out_n, bits[i], &a.overflow);
    max_ifm = max64(max_ifm, ifm);
    max_ofm = max64(max_ofm, ofm);
    all_ifm = add(&a, all_ifm, ifm);
    max_grad = max64(max_grad, mul(&a, add(&a, in_n, out_n), 4));
    if (l->classifier)
      last_ofm = ofm;
  }
  free(bits);
  f.infer_act_bytes = add(&a, max_ifm, max_ofm);
  f.infer_total_bytes = add(&a, f.infer_act_bytes, f.weight_bytes);
  f.train_act_bytes = add(&a, all_ifm, last_ofm);
  f.train_grad_bytes = max_grad;
  f.train_total_bytes =
      add(&a, add(&a, f.train_act_bytes, f.weight_bytes), max_grad);
  if (a.overflow)
    return wr_err_set(e, WR_EINPUT,
                      "footprint of %s at batch %llu overflows 64-bit byte "
                      "counts",
                      n->name, (unsigned long long)batch);
  *out = f;
  return WR_OK;
}
