/*
 * evaluate.c — the evaluation of a network on an architecture: each conv
 * or fc layer's mode and geometry, its mapping searched (search.c) and
 * played (timeline.c) into the layer's counts, energy and roofline;
 * pooling and add as one pass through the output unit; the read and
 * stored bits of activations, and the network totals (docs/arch.md, its
 * overview and "Energy and area").
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "arch_internal.h"

/* ---- one layer ----------------------------------------------------------- */

/* Layer `l` run in `mode` (arch_mode) with its output stored at `out_bits`,
 * as the mapper sees it, with the measurements `meas` (may be NULL)
 * through the architecture's value-dependent features.  Can't fail. */
static void layer_geom_init(const arch *a, const wr_layer *l, wr_prec mode,
                            int out_bits, uint64_t batch, const arch_meas *meas,
                            layer_geom *g) {
  memset(g, 0, sizeof *g);
  g->B = (double)batch;
  g->G = l->kind == WR_CONV ? l->groups : 1;
  if (l->kind == WR_CONV) {
    /* per group: the groups divide both channel counts (the net loader
       checks), so these divisions are exact */
    int64_t k_group = l->out.c / l->groups, c_group = l->in.c / l->groups;
    g->K = (double)k_group;
    g->C = (double)c_group;
    g->P = (double)l->out.h;
    g->Q = (double)l->out.w;
    g->R = l->kh;
    g->S = l->kw;
    g->H = (double)l->in.h;
    g->W = (double)l->in.w;
    g->sh = l->sh;
    g->rd = (double)(l->kh - 1) * l->dh + 1;
  } else {
    g->K = (double)l->out.c;
    g->C = (double)wr_shape_elems(l->in);
    g->P = g->Q = g->R = g->S = g->H = g->W = g->sh = g->rd = 1;
  }
  g->abits = mode.a_bits;
  g->wbits = mode.w_bits;
  g->obits = out_bits;
  g->accbits = a->family == ARCH_MAC_FP32 ? 32 : a->acc_bits;
  g->t = arch_macs_per_pe_cycle(a, mode);
  g->kfrac = g->efrac = g->escale = 1;
  g->a_eff = mode.a_bits;
  g->dram_bpc = dram_bytes_per_cycle(a);
  g->dram_lat = dram_latency_cycles(a);
  if (meas) {
    double nza = fmin(1, fmax(0, meas->nz_act));
    double nzm = fmin(1, fmax(0, meas->nz_mac));
    if (a->zero_skipping)
      g->kfrac = g->efrac = nza;
    if (a->zero_gating)
      g->efrac = fmin(g->efrac, nzm);
    if (a->dyn_group > 0 && meas->dyn_a_bits >= 1) {
      /* cycles per group follow the group's widest value */
      g->a_eff = fmin(meas->dyn_a_bits, mode.a_bits);
      g->t = mac_macs_per_pe_cycle(a, g->a_eff, g->wbits);
      /* a bit-serial MAC spends energy per activation bit it processes */
      g->escale = g->a_eff / mode.a_bits;
    }
  }
}

/* Reliability guard (issue 8): counts are modelled in binary64 and stored
 * as uint64_t.  A layer whose cycles, DRAM bytes or MACs reach 2^63 (a huge
 * layer at a huge batch) is refused with WR_EINPUT rather than wrapped or
 * converted out of range (undefined behaviour); 2^63 leaves the network
 * sums room, and those are checked too (net_add). */
#define ARCH_COUNT_LIMIT 0x1p63

static int too_large(const arch *a, const wr_layer *l, uint64_t batch,
                     wr_err *e) {
  return wr_err_set(e, WR_EINPUT,
                    "%s: layer '%s' at batch %llu: cycles, DRAM bytes or MACs "
                    "reach 2^63 (too large; use a smaller batch)",
                    a->file, l->name, (unsigned long long)batch);
}

static int outcome_fits(const outcome *o) {
  double m = fmax(o->cycles, fmax(o->compute, o->wr));
  for (int t = 0; t < ARCH_N_TT; t++)
    m = fmax(m, o->rd[t]);
  return m < ARCH_COUNT_LIMIT; /* false for NaN too */
}

/* The layer's result from its best mapping: counts, energy, mapping and
 * roofline. */
static void fill_result(const arch *a, const layer_geom *g, const wr_layer *l,
                        wr_prec mode, int out_bits, const search_best *best,
                        arch_layer_result *r) {
  const tiling *T = &best->T;
  const outcome *o = &best->o;
  memset(r, 0, sizeof *r);
  r->kind = l->kind;
  r->prec = l->prec;
  r->mode = mode;
  r->in_bits = mode.a_bits;
  r->out_bits = out_bits;
  r->macs = l->macs * (uint64_t)g->B;
  r->compute_cycles = (uint64_t)o->compute - 1;
  r->buffer_stall = (uint64_t)o->buffer_stall;
  r->cycles = (uint64_t)o->cycles - 1;
  r->dram_stall = r->cycles - r->compute_cycles - r->buffer_stall;
  double peak = (double)a->rows * a->cols * g->t;
  r->utilization = (double)r->macs / (((double)r->cycles + 1) * peak);
  for (int t = 0; t < ARCH_N_TT; t++)
    r->dram_read[t] = (uint64_t)o->rd[t];
  r->dram_write = (uint64_t)o->wr;
  for (int b = 0; b < a->n_buffers; b++)
    r->buf_bytes[b] = o->buf_bytes[b];
  r->energy = o->en;
  r->map.tile[ARCH_DIM_K] = (uint64_t)T->kt;
  r->map.tile[ARCH_DIM_C] = (uint64_t)T->ct;
  r->map.tile[ARCH_DIM_Y] = (uint64_t)(T->rows * T->imgs);
  for (int d = 0; d < ARCH_N_DIMS; d++) {
    r->map.trips[d] = (uint64_t)T->trips[d];
    r->map.order[d] = best->ord[d];
  }
  r->candidates = best->candidates;
  r->widest = arch_beyond_modes(a, l->prec);
  r->macs_gated = (double)r->macs * (1 - g->efrac);
  r->macs_skipped = (double)r->macs * (1 - g->kfrac);
  r->a_bits_eff = g->a_eff;
  double bytes = outcome_dram_bytes(o);
  double peak_ops = 2 * peak * a->clock_mhz * 1e6;
  double bw = a->dram.gbps * 1e9 * a->dram.row_efficiency;
  r->intensity = bytes > 0 ? 2.0 * (double)r->macs / bytes : INFINITY;
  r->roof_ops_per_s = fmin(peak_ops, bw * r->intensity);
  r->memory_bound = r->intensity < peak_ops / bw;
}

static void layer_pj_init(const arch *a, wr_prec mode, const layer_geom *g,
                          layer_pj *pj) {
  pj->mac = arch_mac_pj(a, mode);
  pj->rf_bit = arch_rf_pj_per_bit(a);
  for (int b = 0; b < a->n_buffers; b++)
    pj->sram_bit[b] = arch_sram_pj_per_bit(a, a->buffers[b].kib);
  double macs = g->K * g->C * g->R * g->S * g->P * g->Q * g->B * g->G;
  pj->layer_mac = macs * g->efrac * g->escale * pj->mac;
  pj->layer_rf =
      macs * g->efrac * pj->rf_bit * (g->abits + g->wbits + g->accbits / g->t);
}

/* Conv or fc layer `l` in `mode`: its mapping searched (or `fixed`), then
 * evaluated into `r`.  WR_EINPUT when nothing fits or a count reaches
 * 2^63. */
static int eval_compute(const arch *a, const wr_layer *l, wr_prec mode,
                        int out_bits, const arch_eval_opts *opt,
                        const arch_mapping *fixed, const arch_meas *meas,
                        arch_layer_result *r, wr_err *e) {
  layer_geom g;
  layer_geom_init(a, l, mode, out_bits, opt->batch, meas, &g);
  layer_pj pj;
  layer_pj_init(a, mode, &g, &pj);
  search_best best;
  if (search_mapping(a, &g, &pj, opt, fixed, l->name, &best, e))
    return WR_EINPUT;
  uint64_t macs;
  if (!outcome_fits(&best.o) ||
      __builtin_mul_overflow(l->macs, opt->batch, &macs) ||
      (double)macs >= ARCH_COUNT_LIMIT)
    return too_large(a, l, opt->batch, e);
  fill_result(a, &g, l, mode, out_bits, &best, r);
  return WR_OK;
}

int arch_eval_layer_measured(const arch *a, const wr_layer *l, int out_bits,
                             const arch_eval_opts *o, const arch_mapping *fixed,
                             const arch_meas *m, arch_layer_result *out,
                             wr_err *e) {
  if (l->kind != WR_CONV && l->kind != WR_FC)
    return wr_err_set(e, WR_EINPUT, "layer '%s' is not a conv or fc layer",
                      l->name);
  if (o->batch < 1)
    return wr_err_set(e, WR_EINPUT, "batch must be at least 1");
  wr_prec mode;
  if (arch_mode(a, l->prec, l->name, &mode, e))
    return WR_EINPUT;
  return eval_compute(a, l, mode, out_bits, o, fixed, m, out, e);
}

int arch_eval_layer(const arch *a, const wr_layer *l, int out_bits,
                    const arch_eval_opts *o, const arch_mapping *fixed,
                    arch_layer_result *out, wr_err *e) {
  return arch_eval_layer_measured(a, l, out_bits, o, fixed, NULL, out, e);
}

/* ---- pooling and add: one pass through the output unit ------------------ */

static int eval_pass(const arch *a, const wr_net *net, int i, const int *bits,
                     const arch_eval_opts *opt, arch_layer_result *r,
                     wr_err *e) {
  const wr_layer *l = &net->layers[i];
  double B = (double)opt->batch, in_bytes = 0;
  for (int k = 0; k < l->n_inputs; k++) {
    int src = l->inputs[k];
    wr_shape s = src == WR_NET_INPUT ? net->input : net->layers[src].out;
    int b = src == WR_NET_INPUT ? WR_FP32_BITS : bits[src];
    in_bytes += burst(a, bytes_of((double)wr_shape_elems(s) * B, b));
  }
  double outs = (double)wr_shape_elems(l->out) * B;
  double out_bytes = burst(a, bytes_of(outs, bits[i]));
  memset(r, 0, sizeof *r);
  r->layer = i;
  r->kind = l->kind;
  r->in_bits = l->n_inputs && l->inputs[0] != WR_NET_INPUT ? bits[l->inputs[0]]
                                                           : WR_FP32_BITS;
  r->out_bits = bits[i];
  r->prec.a_bits = r->prec.w_bits = r->mode.a_bits = r->mode.w_bits = 0;
  double comp = ceil(outs / a->cols);
  double cyc = comp;
  if (!opt->ideal_memory) {
    double bpc = dram_bytes_per_cycle(a);
    cyc =
        fmax(comp, dram_latency_cycles(a) + ceil((in_bytes + out_bytes) / bpc));
  }
  if (!(fmax(cyc, in_bytes + out_bytes) < ARCH_COUNT_LIMIT)) /* guard */
    return too_large(a, l, opt->batch, e);
  r->compute_cycles = (uint64_t)comp;
  r->cycles = (uint64_t)cyc;
  r->dram_stall = r->cycles - r->compute_cycles;
  r->dram_read[ARCH_TT_INPUT] = (uint64_t)in_bytes;
  r->dram_write = (uint64_t)out_bytes;
  int ob = holder(a, ARCH_TT_OUTPUT);
  r->buf_bytes[ob] = in_bytes + out_bytes;
  r->energy.buf[ob] =
      r->buf_bytes[ob] * 8 * arch_sram_pj_per_bit(a, a->buffers[ob].kib);
  r->energy.dram = (in_bytes + out_bytes) * 8 * a->dram.pj_per_bit;
  r->energy.stat = a->static_mw * 1e-3 * (cyc / (a->clock_mhz * 1e6)) * 1e12;
  r->energy.total = r->energy.buf[ob] + r->energy.dram + r->energy.stat;
  r->intensity = 0;
  r->roof_ops_per_s = 0;
  r->memory_bound = 1;
  return WR_OK;
}

/* ---- a network ----------------------------------------------------------- */

/* Bits at which the architecture stores activations read at `b` bits: the
 * narrowest activation width of its modes that holds them (what its
 * arrays consume). */
static int stored_bits(const arch *a, int b) {
  if (b >= WR_FP32_BITS || a->family == ARCH_MAC_FP32)
    return WR_FP32_BITS;
  if (a->n_precisions == 0)
    return b;
  int best = 0;
  for (int i = 0; i < a->n_precisions; i++) {
    int x = a->precisions[i].a_bits;
    if (x >= b && (!best || x < best))
      best = x;
  }
  return best ? best : b;
}

/* wr_net_read_bits as the architecture reads: a layer no mode covers runs
 * in the widest mode (its `modes` entry, from arch_mode), so its input is
 * read at that mode's activation bits, not at the workload's.  The rule is
 * wr_net_read_bits's, applied to a shallow copy of the layers with those
 * precisions replaced.  WR_ENOMEM on failure. */
static int arch_read_bits(const arch *a, const wr_net *net,
                          const wr_prec *modes, int *bits, wr_err *e) {
  wr_net tmp = *net;
  wr_layer *ls = malloc(sizeof *ls * (size_t)net->n_layers);
  if (!ls)
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  memcpy(ls, net->layers, sizeof *ls * (size_t)net->n_layers);
  for (int j = 0; j < net->n_layers; j++)
    if ((ls[j].kind == WR_CONV || ls[j].kind == WR_FC) &&
        arch_beyond_modes(a, ls[j].prec))
      ls[j].prec = modes[j];
  tmp.layers = ls;
  wr_net_read_bits(&tmp, bits);
  free(ls);
  return WR_OK;
}

/* The options that give layer `l` a precision the architecture runs, for
 * the error when it refuses it.  The applied policy is not kept with the
 * network, so this reads the layers: when every conv and fc layer is FP32
 * the network has no integer precision yet (--prec; --fp32 none too if the
 * workload's own policy keeps layers FP32), else an FP32 layer among
 * integer ones is kept FP32 (--fp32 none), and an integer one is wider
 * than every mode (--prec, --layer-prec). */
static const char *prec_hint(const wr_net *net, const wr_layer *l) {
  int all_fp32 = 1;
  for (int i = 0; i < net->n_layers; i++) {
    const wr_layer *x = &net->layers[i];
    if ((x->kind == WR_CONV || x->kind == WR_FC) &&
        x->prec.a_bits != WR_FP32_BITS)
      all_fp32 = 0;
  }
  const wr_policy *pol = &net->policy;
  if (all_fp32)
    return pol->fp32_first || pol->fp32_last || pol->n_fp32_patterns
               ? "--prec A/W, with --fp32 none if the workload keeps it "
                 "FP32; or --layer-prec"
               : "--prec A/W, or --layer-prec";
  if (l->prec.a_bits == WR_FP32_BITS)
    return "--fp32 none, or --layer-prec";
  return "--prec A/W, or --layer-prec";
}

/* Layers with the same shape, precision and output bits map alike. */
static int same_layer(const wr_layer *x, int xb, const wr_layer *y, int yb) {
  return x->kind == y->kind && xb == yb && x->in.c == y->in.c &&
         x->in.h == y->in.h && x->in.w == y->in.w && x->out.c == y->out.c &&
         x->out.h == y->out.h && x->out.w == y->out.w && x->kh == y->kh &&
         x->kw == y->kw && x->sh == y->sh && x->sw == y->sw && x->dh == y->dh &&
         x->dw == y->dw && x->groups == y->groups &&
         x->prec.a_bits == y->prec.a_bits && x->prec.w_bits == y->prec.w_bits;
}

void arch_energy_add(arch_energy *to, const arch_energy *x) {
  to->mac += x->mac;
  to->rf += x->rf;
  to->dram += x->dram;
  to->stat += x->stat;
  to->total += x->total;
  for (int b = 0; b < ARCH_MAX_BUFFERS; b++)
    to->buf[b] += x->buf[b];
}

void arch_net_result_free(arch_net_result *r) {
  if (!r)
    return;
  free(r->layers);
  r->layers = NULL;
  r->n_layers = 0;
}

int arch_eval_net(const arch *a, const wr_net *net, const arch_eval_opts *o,
                  arch_net_result *out, wr_err *e) {
  return arch_eval_net_measured(a, net, o, NULL, out, e);
}

/* The mode of every conv and fc layer of `net` (arch_mode), once per
 * layer.  WR_EINPUT naming the first layer `a` refuses, with the options
 * that set a precision it runs. */
static int net_modes(const arch *a, const wr_net *net, wr_prec *modes,
                     wr_err *e) {
  for (int i = 0; i < net->n_layers; i++) {
    const wr_layer *l = &net->layers[i];
    if ((l->kind == WR_CONV || l->kind == WR_FC) &&
        arch_mode(a, l->prec, l->name, &modes[i], e)) {
      size_t u = e ? strlen(e->msg) : 0;
      if (e)
        snprintf(e->msg + u, sizeof e->msg - u, " (set its precision: %s)",
                 prec_hint(net, l));
      return WR_EINPUT;
    }
  }
  return WR_OK;
}

/* Adds layer result `r` to the network's counts and energy.  WR_EINPUT
 * when a count would wrap (issue 8). */
static int net_add(const arch *a, const wr_net *net, uint64_t batch,
                   const arch_layer_result *r, arch_net_result *out,
                   wr_err *e) {
  int ovf = __builtin_add_overflow(out->macs, r->macs, &out->macs);
  ovf |= __builtin_add_overflow(out->compute_cycles, r->compute_cycles,
                                &out->compute_cycles);
  ovf |= __builtin_add_overflow(
      out->stall_cycles, r->dram_stall + r->buffer_stall, &out->stall_cycles);
  ovf |= __builtin_add_overflow(out->cycles, r->cycles, &out->cycles);
  for (int t = 0; t < ARCH_N_TT; t++)
    ovf |= __builtin_add_overflow(out->dram_read, r->dram_read[t],
                                  &out->dram_read);
  ovf |=
      __builtin_add_overflow(out->dram_write, r->dram_write, &out->dram_write);
  if (ovf)
    return wr_err_set(e, WR_EINPUT,
                      "%s: network '%s' at batch %llu: total cycles, DRAM "
                      "bytes or MACs exceed 2^64 (too large; use a smaller "
                      "batch)",
                      a->file, net->name, (unsigned long long)batch);
  arch_energy_add(&out->energy, &r->energy);
  return WR_OK;
}

/* Evaluates the layers of `net` into `out` (layers, peak and sums), with
 * `modes` and `bits` of net->n_layers entries as scratch.  On failure
 * `out` is left for the caller to free. */
static int eval_layers(const arch *a, const wr_net *net,
                       const arch_eval_opts *o, const arch_meas *meas,
                       wr_prec *modes, int *bits, arch_net_result *out,
                       wr_err *e) {
  if (net_modes(a, net, modes, e))
    return WR_EINPUT;
  if (arch_read_bits(a, net, modes, bits, e))
    return WR_ENOMEM;
  for (int i = 0; i < net->n_layers; i++)
    bits[i] = stored_bits(a, bits[i]);
  for (int i = 0; i < net->n_layers; i++) {
    const wr_layer *l = &net->layers[i];
    arch_layer_result *r = &out->layers[out->n_layers];
    if (l->kind == WR_CONV || l->kind == WR_FC) {
      int done = 0;
      for (int j = 0; j < out->n_layers && !done && !meas; j++) {
        const arch_layer_result *p = &out->layers[j];
        if ((p->kind == WR_CONV || p->kind == WR_FC) &&
            same_layer(&net->layers[p->layer], p->out_bits, l, bits[i])) {
          *r = *p;
          done = 1;
        }
      }
      if (!done && eval_compute(a, l, modes[i], bits[i], o, NULL,
                                meas ? &meas[i] : NULL, r, e))
        return WR_EINPUT;
      r->layer = i;
      double pk = 2.0 * a->rows * a->cols *
                  arch_macs_per_pe_cycle(a, modes[i]) * a->clock_mhz * 1e6;
      if (pk > out->peak_ops_per_s)
        out->peak_ops_per_s = pk;
    } else if (l->kind == WR_MAXPOOL || l->kind == WR_AVGPOOL ||
               l->kind == WR_ADD) {
      if (eval_pass(a, net, i, bits, o, r, e))
        return WR_EINPUT;
    } else {
      continue; /* bn, act, softmax fold into their producer; concat is
                   free */
    }
    out->n_layers++;
    if (net_add(a, net, o->batch, r, out, e))
      return WR_EINPUT;
  }
  return WR_OK;
}

int arch_eval_net_measured(const arch *a, const wr_net *net,
                           const arch_eval_opts *o, const arch_meas *meas,
                           arch_net_result *out, wr_err *e) {
  memset(out, 0, sizeof *out);
  if (o->batch < 1)
    return wr_err_set(e, WR_EINPUT, "batch must be at least 1");
  wr_prec *modes = malloc(sizeof *modes * (size_t)net->n_layers);
  int *bits = malloc(sizeof *bits * (size_t)net->n_layers);
  out->layers = calloc((size_t)net->n_layers + 1, sizeof *out->layers);
  int rc = !modes || !bits || !out->layers
               ? wr_err_set(e, WR_ENOMEM, "out of memory")
               : eval_layers(a, net, o, meas, modes, bits, out, e);
  free(modes);
  free(bits);
  if (rc) {
    arch_net_result_free(out);
    return rc;
  }
  out->batch = o->batch;
  if (arch_area_of(a, &out->area, e)) {
    arch_net_result_free(out);
    return WR_EINPUT;
  }
  /* the roofs and the rates */
  out->seconds = (double)out->cycles / (a->clock_mhz * 1e6);
  out->inferences_per_s =
      out->seconds > 0 ? (double)o->batch / out->seconds : 0;
  out->tops =
      out->seconds > 0 ? 2.0 * (double)out->macs / out->seconds / 1e12 : 0;
  out->tops_per_w =
      out->energy.total > 0
          ? 2.0 * (double)out->macs / (out->energy.total * 1e-12) / 1e12
          : 0;
  out->dram_bytes_per_s = a->dram.gbps * 1e9 * a->dram.row_efficiency;
  return WR_OK;
}
