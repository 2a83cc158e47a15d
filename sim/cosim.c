/*
 * cosim.c — statistics of a layer's real operands that an architecture's
 * value-dependent features count with (arch_meas, docs/arch.md "Value-
 * dependent features"): the share of non-zero input activation codes, the
 * exact number of MACs whose two operand codes are both non-zero, and the
 * mean over groups of input codes of the widest code's bit length.
 */
#include <stdlib.h>
#include <string.h>

#include "sim.h"

int64_t *sim_weight_nz(const sim_conv_geom *g, const int32_t *w, wr_err *e) {
  int64_t cg = g->c_in / g->groups, og = g->c_out / g->groups;
  int64_t taps = (int64_t)g->kh * g->kw, per = cg * taps;
  int64_t *nz = calloc((size_t)(g->groups * per), sizeof *nz);
  if (!nz) {
    wr_err_set(e, WR_ENOMEM, "out of memory");
    return NULL;
  }
  for (int64_t o = 0; o < g->c_out; o++) {
    int64_t *dst = nz + (o / og) * per;
    const int32_t *src = w + o * per;
    for (int64_t i = 0; i < per; i++)
      dst[i] += src[i] != 0;
  }
  return nz;
}

/* Bit length of a code: 0 for 0, else the position of its top bit + 1. */
static int bit_length(uint32_t v) { return v ? 32 - __builtin_clz(v) : 0; }

/* Counts, for each input channel, how many output positions read a
 * non-zero code at kernel tap (r, s): the rows and columns a tap reaches
 * are independent, so the count is (non-zero codes at the rows and columns
 * the tap reads) summed over those positions. */
void sim_operand_count(const sim_conv_geom *g, const sim_packed *in,
                       const int64_t *wnz, int group, sim_operand_stats *st,
                       uint8_t *scratch) {
  int64_t H = g->h_in, W = g->w_in, C = g->c_in, plane = H * W;
  int64_t cg = C / g->groups, taps = (int64_t)g->kh * g->kw;
  memset(st, 0, sizeof *st);
  st->macs = (uint64_t)g->c_out * (uint64_t)cg * (uint64_t)taps *
             (uint64_t)(g->h_out * g->w_out);
  st->act = (uint64_t)(C * plane);
  /* non-zero indicator of every input code, CHW */
  for (int64_t i = 0; i < C * plane; i++) {
    uint32_t v = sim_packed_get(in, i);
    scratch[i] = v != 0;
    st->nz_act += scratch[i];
    st->bitlen[bit_length(v)]++;
  }
  for (int64_t c = 0; c < C; c++) {
    const uint8_t *nzp = scratch + c * plane;
    const int64_t *wn = wnz + (c / cg) * cg * taps + (c % cg) * taps;
    for (int r = 0; r < g->kh; r++)
      for (int s = 0; s < g->kw; s++) {
        int64_t wcount = wn[r * g->kw + s];
        if (!wcount)
          continue;
        uint64_t hits = 0;
        for (int64_t y = 0; y < g->h_out; y++) {
          int64_t iy = y * g->sh - g->pad_t + (int64_t)r * g->dh;
          if (iy < 0 || iy >= H)
            continue;
          const uint8_t *row = nzp + iy * W;
          for (int64_t x = 0; x < g->w_out; x++) {
            int64_t ix = x * g->sw - g->pad_l + (int64_t)s * g->dw;
            if (ix >= 0 && ix < W)
              hits += row[ix];
          }
        }
        st->nz_macs += hits * (uint64_t)wcount;
      }
  }
  /* groups of `group` consecutive channels at each pixel */
  if (group > 0) {
    for (int64_t p = 0; p < plane; p++)
      for (int64_t c0 = 0; c0 < C; c0 += group) {
        int widest = 1; /* a group costs at least one cycle */
        int64_t c1 = c0 + group < C ? c0 + group : C;
        for (int64_t c = c0; c < c1; c++) {
          int b = bit_length(sim_packed_get(in, c * plane + p));
          if (b > widest)
            widest = b;
        }
        st->group_bits += (uint64_t)widest;
        st->groups++;
      }
  }
}

/* ---- the engine: the architecture's counts from real data ---------------- */

arch_meas sim_meas_of(const sim_operand_stats *s) {
  arch_meas m = {1, 1, 0};
  if (s->act)
    m.nz_act = (double)s->nz_act / (double)s->act;
  if (s->macs)
    m.nz_mac = (double)s->nz_macs / (double)s->macs;
  if (s->groups)
    m.dyn_a_bits = (double)s->group_bits / (double)s->groups;
  return m;
}

void sim_cosim_free(sim_cosim *c) {
  arch_net_result_free(&c->base);
  free(c->layers);
  c->layers = NULL;
}

int sim_cosim_init(sim_cosim *c, const arch *a, const wr_net *net,
                   const arch_eval_opts *o, wr_err *e) {
  memset(c, 0, sizeof *c);
  c->a = a;
  c->net = net;
  c->opts = *o;
  if (arch_eval_net(a, net, o, &c->base, e))
    return e->status;
  c->layers = calloc((size_t)c->base.n_layers + 1, sizeof *c->layers);
  if (!c->layers) {
    sim_cosim_free(c);
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  }
  return WR_OK;
}

static void minmax(double x, uint64_t n, double *sum, double *lo, double *hi) {
  *sum += x;
  if (n == 0 || x < *lo)
    *lo = x;
  if (n == 0 || x > *hi)
    *hi = x;
}

void sim_operand_add(sim_operand_stats *to, const sim_operand_stats *x) {
  to->macs += x->macs;
  to->nz_macs += x->nz_macs;
  to->act += x->act;
  to->nz_act += x->nz_act;
  to->groups += x->groups;
  to->group_bits += x->group_bits;
  for (int b = 0; b <= WR_MAX_INT_BITS; b++)
    to->bitlen[b] += x->bitlen[b];
}

int sim_cosim_add(sim_cosim *c, const sim_layer_stats *st, wr_err *e) {
  double cyc = 0, en = 0;
  for (int j = 0; j < c->base.n_layers; j++) {
    const arch_layer_result *b = &c->base.layers[j];
    const wr_layer *l = &c->net->layers[b->layer];
    sim_cosim_layer *L = &c->layers[j];
    arch_layer_result r = *b;
    if ((l->kind == WR_CONV || l->kind == WR_FC) && st[b->layer].ops.macs) {
      /* the same mapping as the data-independent run: a design maps a
         layer once, whatever the images */
      arch_meas m = sim_meas_of(&st[b->layer].ops);
      if (arch_eval_layer_measured(c->a, l, b->out_bits, &c->opts, &b->map, &m,
                                   &r, e))
        return e->status;
    }
    minmax((double)r.cycles, c->images, &L->cycles_sum, &L->cycles_min,
           &L->cycles_max);
    minmax(r.energy.total, c->images, &L->energy_sum, &L->energy_min,
           &L->energy_max);
    arch_energy_add(&L->energy, &r.energy);
    L->macs_gated += r.macs_gated;
    L->macs_skipped += r.macs_skipped;
    L->a_bits_eff += r.a_bits_eff;
    sim_operand_add(&L->ops, &st[b->layer].ops);
    cyc += (double)r.cycles;
    en += r.energy.total;
  }
  minmax(cyc, c->images, &c->cycles_sum, &c->cycles_min, &c->cycles_max);
  minmax(en, c->images, &c->energy_sum, &c->energy_min, &c->energy_max);
  c->images++;
  return WR_OK;
}

static void merge_minmax(double *sum, double *lo, double *hi, uint64_t n,
                         double ssum, double slo, double shi, uint64_t sn) {
  if (!sn)
    return;
  *sum += ssum;
  if (!n || slo < *lo)
    *lo = slo;
  if (!n || shi > *hi)
    *hi = shi;
}

void sim_cosim_merge(sim_cosim *d, const sim_cosim *s) {
  for (int j = 0; j < d->base.n_layers; j++) {
    sim_cosim_layer *L = &d->layers[j];
    const sim_cosim_layer *S = &s->layers[j];
    merge_minmax(&L->cycles_sum, &L->cycles_min, &L->cycles_max, d->images,
                 S->cycles_sum, S->cycles_min, S->cycles_max, s->images);
    merge_minmax(&L->energy_sum, &L->energy_min, &L->energy_max, d->images,
                 S->energy_sum, S->energy_min, S->energy_max, s->images);
    arch_energy_add(&L->energy, &S->energy);
    L->macs_gated += S->macs_gated;
    L->macs_skipped += S->macs_skipped;
    L->a_bits_eff += S->a_bits_eff;
    sim_operand_add(&L->ops, &S->ops);
  }
  merge_minmax(&d->cycles_sum, &d->cycles_min, &d->cycles_max, d->images,
               s->cycles_sum, s->cycles_min, s->cycles_max, s->images);
  merge_minmax(&d->energy_sum, &d->energy_min, &d->energy_max, d->images,
               s->energy_sum, s->energy_min, s->energy_max, s->images);
  d->images += s->images;
}
