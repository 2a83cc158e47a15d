/*
 * mapper.c — per-layer evaluation on an architecture: the tiling search
 * (mapper), the double-buffered tile timeline with DRAM and buffer-port
 * stalls, DRAM traffic of packed tensors, energy by component, and the
 * network totals with area and roofline (docs/arch.md, "Mapper",
 * "Timeline", "Energy and area").
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "arch_internal.h"

static const char dim_letter[ARCH_N_DIMS] = {'K', 'C', 'Y'};

const char *arch_objective_name(arch_objective o) {
  static const char *const n[] = {"energy", "cycles", "edp", "dram"};
  return (unsigned)o < 4 ? n[o] : "?";
}

int arch_objective_parse(const char *s, const char *what, arch_objective *o,
                         wr_err *e) {
  for (int i = 0; i < 4; i++)
    if (strcmp(s, arch_objective_name((arch_objective)i)) == 0) {
      *o = (arch_objective)i;
      return WR_OK;
    }
  return wr_err_set(e, WR_EINPUT,
                    "%s: '%s' is not an objective (energy, cycles, edp, dram)",
                    what, s);
}

const char *arch_mapping_str(const arch_mapping *m, char *buf, size_t n) {
  snprintf(buf, n, "K%llu C%llu Y%llu | %c>%c>%c",
           (unsigned long long)m->tile[ARCH_DIM_K],
           (unsigned long long)m->tile[ARCH_DIM_C],
           (unsigned long long)m->tile[ARCH_DIM_Y], dim_letter[m->order[0]],
           dim_letter[m->order[1]], dim_letter[m->order[2]]);
  return buf;
}

/* ---- the layer as the mapper sees it ------------------------------------ */

/* A conv or fc layer per group: K filters, C channels, P x Q outputs from
 * H x W inputs, R x S kernel; B images. */
typedef struct geom {
  double K, C, P, Q, R, S, H, W, B, G;
  double sh, rd; /* row stride, dilated kernel height */
  double abits, wbits, obits, accbits;
  double t; /* MACs per PE per cycle */
  /* measured data (arch_meas) through the value-dependent features */
  double kfrac;  /* share of the reduction performed (zero skipping) */
  double efrac;  /* share of MACs that spend energy (gating, skipping) */
  double a_eff;  /* activation bits the cycles follow */
  double escale; /* MAC energy scale (dynamic precision: A_eff / A) */
} geom;

/* One tile shape along a dimension: its size and how many tiles have it. */
typedef struct part {
  double size[2], count[2];
} part;

static part split(double total, double tile) {
  part p;
  double n = floor(total / tile);
  double rest = total - n * tile;
  p.size[0] = tile;
  p.count[0] = n;
  p.size[1] = rest;
  p.count[1] = rest > 0 ? 1 : 0;
  return p;
}

/* A candidate tiling (order independent parts). */
typedef struct tiling {
  double kt, ct, rows, imgs; /* Y tile: rows of one image, or whole images */
  double trips[ARCH_N_DIMS];
  double tiles; /* per group */
  /* bytes of one tile (largest), and average bytes per distinct tile */
  double w_tile, i_tile, o_tile_acc, o_tile_out;
  double w_avg, i_avg, o_avg_acc, o_avg_out;
  /* per group, summed over the tiles */
  double compute;                   /* sum of folds x cycles per fold */
  double rd_in, rd_w, wr_ps, rd_ps; /* array-side accesses (values) */
  /* over all groups: compute cycles, array-side bytes per buffer, and per
     tile the compute and the compute-or-port bound */
  double comp, port[ARCH_MAX_BUFFERS], cbar, step;
} tiling;

static double bytes_of(double values, double bits) {
  return ceil(values * bits / 8);
}

static double burst(const arch *a, double bytes) {
  double b = a->dram.burst_bytes;
  return ceil(bytes / b) * b;
}

/* Folds x cycles per fold of one m x n x k GEMM tile, and its array-side
 * buffer accesses (values) by dataflow (docs/arch.md). */
static int tile_gemm(const arch *a, const geom *g, double m, double n, double k,
                     double *cyc, double acc[4], wr_err *e) {
  k = fmax(1, ceil(k * g->kfrac)); /* zero skipping compacts K */
  arch_gemm gm = {(uint64_t)m, (uint64_t)n, (uint64_t)k, 1};
  arch_compute c;
  if (arch_compute_cycles(a->rows, a->cols, a->dataflow, &gm, g->t, &c, e))
    return WR_EINPUT;
  *cyc = (double)c.cycles + 1;
  double R = c.row_capacity, Cc = a->cols;
  switch (a->dataflow) {
  case ARCH_DF_WS: { /* rows: k, cols: n, stream m */
    double fr = ceil(k / R), fc = ceil(n / Cc);
    acc[0] = fc * m * k;       /* inputs, once per column fold */
    acc[1] = k * n;            /* weights, once */
    acc[2] = fr * m * n;       /* partial sums out of each row fold */
    acc[3] = (fr - 1) * m * n; /* read back to accumulate */
    break;
  }
  case ARCH_DF_OS: { /* rows: m, cols: n, stream k */
    double fr = ceil(m / R), fc = ceil(n / Cc);
    acc[0] = fc * m * k;
    acc[1] = fr * n * k;
    acc[2] = m * n;
    acc[3] = 0;
    break;
  }
  default: { /* is: rows k, cols m, stream n */
    double fr = ceil(k / R), fc = ceil(m / Cc);
    acc[0] = k * m;
    acc[1] = fc * k * n;
    acc[2] = fr * m * n;
    acc[3] = (fr - 1) * m * n;
    break;
  }
  }
  return WR_OK;
}

/* The holder of a tensor (defined below). */
static int holder(const arch *a, int t);

/* Fills T for the given tile sizes.  Returns 0, 1 when the tiles can't
 * fit the buffers even once (*tight: the buffer; not with `ideal`), or
 * WR_EINPUT (as -1) with `e` set. */
static int make_tiling(const arch *a, const geom *g, double kt, double ct,
                       double rows, double imgs, int ideal, tiling *T,
                       int *tight, wr_err *e) {
  memset(T, 0, sizeof *T);
  T->kt = kt;
  T->ct = ct;
  T->rows = rows;
  T->imgs = imgs;
  double ny_img = ceil(g->P / rows); /* y tiles per image (rows < P) */
  T->trips[ARCH_DIM_K] = ceil(g->K / kt);
  T->trips[ARCH_DIM_C] = ceil(g->C / ct);
  T->trips[ARCH_DIM_Y] = rows < g->P ? g->B * ny_img : ceil(g->B / imgs);
  T->tiles = T->trips[0] * T->trips[1] * T->trips[2];
  /* input rows a tile reads: its window with halo, at least its share */
  double rin =
      rows < g->P
          ? fmin(g->H, fmax(ceil(g->H / ny_img), (rows - 1) * g->sh + g->rd))
          : g->H;
  double in_rows_total = rows < g->P ? g->B * ny_img * rin : g->B * g->H;
  double ktiles = T->trips[0], ctiles = T->trips[1], ytiles = T->trips[2];
  T->w_tile = bytes_of(kt * ct * g->R * g->S, g->wbits);
  T->i_tile = bytes_of(ct * rin * g->W * imgs, g->abits);
  T->o_tile_acc = bytes_of(kt * rows * g->Q * imgs, g->accbits);
  T->o_tile_out = bytes_of(kt * rows * g->Q * imgs, g->obits);
  T->w_avg = bytes_of(g->K * g->C * g->R * g->S / (ktiles * ctiles), g->wbits);
  T->i_avg =
      bytes_of(g->C * in_rows_total * g->W / (ctiles * ytiles), g->abits);
  double outs = g->K * g->P * g->Q * g->B / (ktiles * ytiles);
  T->o_avg_acc = bytes_of(outs, g->accbits);
  T->o_avg_out = bytes_of(outs, g->obits);
  /* a tiling whose tiles don't fit even once can't fit double-buffered:
     skip the compute model (the mapper's most common rejection) */
  if (!ideal) {
    double need[ARCH_MAX_BUFFERS] = {0};
    need[holder(a, ARCH_TT_INPUT)] += T->i_tile;
    need[holder(a, ARCH_TT_WEIGHT)] += T->w_tile;
    need[holder(a, ARCH_TT_OUTPUT)] +=
        T->trips[ARCH_DIM_C] > 1 ? T->o_tile_acc : T->o_tile_out;
    for (int b = 0; b < a->n_buffers; b++)
      if (need[b] > a->buffers[b].kib * 1024) {
        *tight = b;
        return 1;
      }
  }
  /* compute and array-side accesses over the (up to 8) tile shapes */
  part pk = split(g->K, kt), pc = split(g->C, ct), py;
  if (rows < g->P) {
    part r = split(g->P, rows);
    for (int i = 0; i < 2; i++) {
      py.size[i] = r.size[i] * g->Q;
      py.count[i] = r.count[i] * g->B;
    }
  } else {
    part b = split(g->B, imgs);
    for (int i = 0; i < 2; i++) {
      py.size[i] = b.size[i] * g->P * g->Q;
      py.count[i] = b.count[i];
    }
  }
  for (int i = 0; i < 2; i++)
    for (int j = 0; j < 2; j++)
      for (int k = 0; k < 2; k++) {
        double cnt = pk.count[i] * pc.count[j] * py.count[k];
        if (cnt == 0)
          continue;
        double cyc, acc[4];
        if (tile_gemm(a, g, py.size[k], pk.size[i], pc.size[j] * g->R * g->S,
                      &cyc, acc, e))
          return -1;
        T->compute += cnt * cyc;
        T->rd_in += cnt * acc[0];
        T->rd_w += cnt * acc[1];
        T->wr_ps += cnt * acc[2];
        T->rd_ps += cnt * acc[3];
      }
  double steps = g->G * T->tiles;
  double ab = g->abits / 8, wb = g->wbits / 8, accb = g->accbits / 8;
  double cross = g->K * g->P * g->Q * g->B * g->G * (T->trips[ARCH_DIM_C] - 1);
  T->comp = g->G * T->compute;
  T->port[holder(a, ARCH_TT_INPUT)] += g->G * T->rd_in * ab;
  T->port[holder(a, ARCH_TT_WEIGHT)] += g->G * T->rd_w * wb;
  T->port[holder(a, ARCH_TT_OUTPUT)] +=
      (g->G * (T->wr_ps + T->rd_ps) + cross) * accb;
  T->cbar = T->comp / steps;
  double pbar = 0;
  for (int b = 0; b < a->n_buffers; b++) {
    double x = T->port[b] / steps / a->buffers[b].bytes_per_cycle;
    if (x > pbar)
      pbar = x;
  }
  T->step = fmax(T->cbar, pbar);
  return WR_OK;
}

/* ---- loop orders, traffic and the timeline ------------------------------ */

static const int orders[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2},
                                 {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};

/* relevant dimensions of each tensor */
static int relevant(int tensor, int dim) {
  switch (tensor) {
  case ARCH_TT_INPUT:
    return dim != ARCH_DIM_K;
  case ARCH_TT_WEIGHT:
    return dim != ARCH_DIM_Y;
  default:
    return dim != ARCH_DIM_C;
  }
}

typedef struct outcome {
  double cycles, compute, dram_stall, buffer_stall;
  double rd[ARCH_N_TT], wr; /* DRAM bytes */
  double buf_bytes[ARCH_MAX_BUFFERS];
  arch_energy en;
} outcome;

/* The buffer holding tensor `t`. */
static int holder(const arch *a, int t) {
  for (int b = 0; b < a->n_buffers; b++)
    if (a->buffers[b].holds & (1 << t))
      return b;
  return 0;
}

/* Whether tiling T with loop order `ord` fits the buffers (double buffers
 * for tensors fetched more than once).  Sets *tight to the first buffer
 * that overflows. */
static int fits(const arch *a, const tiling *T, const double fetch[3],
                int *tight) {
  double need[ARCH_MAX_BUFFERS] = {0};
  double psum = T->trips[ARCH_DIM_C] > 1;
  need[holder(a, ARCH_TT_INPUT)] += (fetch[0] > 1 ? 2 : 1) * T->i_tile;
  need[holder(a, ARCH_TT_WEIGHT)] += (fetch[1] > 1 ? 2 : 1) * T->w_tile;
  need[holder(a, ARCH_TT_OUTPUT)] +=
      (fetch[2] > 1 ? 2 : 1) * (psum ? T->o_tile_acc : T->o_tile_out);
  for (int b = 0; b < a->n_buffers; b++)
    if (need[b] > a->buffers[b].kib * 1024) {
      *tight = b;
      return 0;
    }
  return 1;
}

/* Plays tiling T in order `ord` (outer to inner) on `a`: DRAM traffic,
 * the double-buffered timeline and energy.  `ideal`: unbounded bandwidth,
 * no latency, no fit check.  Returns 0 if it does not fit. */
static int play(const arch *a, const geom *g, const tiling *T, const int *ord,
                int ideal, double mac_pj, double rf_pj_bit,
                const double *sram_pj_bit, outcome *o, int *tight) {
  /* loops outer to inner: groups, then ord */
  double trips[4] = {g->G, T->trips[ord[0]], T->trips[ord[1]],
                     T->trips[ord[2]]};
  int dim[4] = {-1, ord[0], ord[1], ord[2]};
  double count[4], outer = 1;
  for (int j = 0; j < 4; j++) {
    count[j] = outer * (trips[j] - 1); /* transitions where j advances */
    outer *= trips[j];
  }
  double steps = outer;
  /* which tensors change at a transition of class j */
  int change[4][3];
  double fetch[3] = {1, 1, 1};
  for (int j = 0; j < 4; j++)
    for (int t = 0; t < 3; t++) {
      int c = j == 0;
      for (int q = j; q < 4 && !c; q++)
        c = q > 0 && trips[q] > 1 && relevant(t, dim[q]);
      change[j][t] = c;
      if (c)
        fetch[t] += count[j];
    }
  if (!ideal && !fits(a, T, fetch, tight))
    return 0;
  /* DRAM bytes */
  double visits = fetch[ARCH_TT_OUTPUT];
  double finals = g->G * T->trips[ARCH_DIM_K] * T->trips[ARCH_DIM_Y];
  double psums = visits - finals;
  double i_b = burst(a, T->i_avg), w_b = burst(a, T->w_avg);
  double ofin = burst(a, T->o_avg_out), opart = burst(a, T->o_avg_acc);
  memset(o, 0, sizeof *o);
  o->rd[ARCH_TT_INPUT] = fetch[0] * i_b;
  o->rd[ARCH_TT_WEIGHT] = fetch[1] * w_b;
  o->rd[ARCH_TT_OUTPUT] = psums * opart;
  o->wr = finals * ofin + psums * opart;
  double wr_avg = o->wr / visits;
  double ps_rd_avg = visits > 1 ? o->rd[ARCH_TT_OUTPUT] / (visits - 1) : 0;
  /* per tile: compute, and the buffer-port bound (order independent) */
  double comp = T->comp, step = ideal ? T->cbar : T->step;
  const double *port = T->port;
  /* timeline: first loads, then each transition's DMA (next tile's reads
     and the previous output's write-back) against one tile of compute,
     then the last tile and its write-back */
  double total;
  if (ideal) {
    total = steps * step;
  } else {
    double bpc =
        a->dram.gbps * 1e9 * a->dram.row_efficiency / (a->clock_mhz * 1e6);
    double lat = ceil(a->dram.latency_ns * a->clock_mhz / 1000);
    total = lat + (i_b + w_b) / bpc + step + wr_avg / bpc;
    for (int j = 0; j < 4; j++) {
      if (count[j] == 0)
        continue;
      double d = change[j][0] * i_b + change[j][1] * w_b +
                 change[j][2] * (wr_avg + ps_rd_avg);
      total += count[j] * fmax(step, d / bpc);
    }
  }
  o->compute = comp;
  o->buffer_stall = steps * step - comp;
  o->cycles = ceil(total - 1e-9);
  o->dram_stall = o->cycles - comp - o->buffer_stall;
  if (o->dram_stall < 0)
    o->dram_stall = 0;
  /* buffer traffic: array side plus DRAM fills and drains */
  for (int b = 0; b < a->n_buffers; b++)
    o->buf_bytes[b] = port[b];
  o->buf_bytes[holder(a, ARCH_TT_INPUT)] += o->rd[ARCH_TT_INPUT];
  o->buf_bytes[holder(a, ARCH_TT_WEIGHT)] += o->rd[ARCH_TT_WEIGHT];
  o->buf_bytes[holder(a, ARCH_TT_OUTPUT)] += o->rd[ARCH_TT_OUTPUT] + o->wr;
  /* energy */
  double macs = g->K * g->C * g->R * g->S * g->P * g->Q * g->B * g->G;
  o->en.mac = macs * g->efrac * g->escale * mac_pj;
  o->en.rf =
      macs * g->efrac * rf_pj_bit * (g->abits + g->wbits + g->accbits / g->t);
  o->en.dram =
      (o->rd[0] + o->rd[1] + o->rd[2] + o->wr) * 8 * a->dram.pj_per_bit;
  o->en.stat = a->static_mw * 1e-3 * (o->cycles / (a->clock_mhz * 1e6)) * 1e12;
  o->en.total = o->en.mac + o->en.rf + o->en.dram + o->en.stat;
  for (int b = 0; b < a->n_buffers; b++) {
    o->en.buf[b] = o->buf_bytes[b] * 8 * sram_pj_bit[b];
    o->en.total += o->en.buf[b];
  }
  return 1;
}

static double dram_total(const outcome *o) {
  return o->rd[0] + o->rd[1] + o->rd[2] + o->wr;
}

/* Whether x beats y under the objective (ties broken by the other
 * criteria, then by the earlier candidate). */
static int better(arch_objective obj, const outcome *x, const outcome *y) {
  double kx[3], ky[3];
  switch (obj) {
  case ARCH_OBJ_CYCLES:
    kx[0] = x->cycles, kx[1] = x->en.total, kx[2] = dram_total(x);
    ky[0] = y->cycles, ky[1] = y->en.total, ky[2] = dram_total(y);
    break;
  case ARCH_OBJ_EDP:
    kx[0] = x->cycles * x->en.total, kx[1] = x->en.total, kx[2] = x->cycles;
    ky[0] = y->cycles * y->en.total, ky[1] = y->en.total, ky[2] = y->cycles;
    break;
  case ARCH_OBJ_DRAM:
    kx[0] = dram_total(x), kx[1] = x->cycles, kx[2] = x->en.total;
    ky[0] = dram_total(y), ky[1] = y->cycles, ky[2] = y->en.total;
    break;
  default:
    kx[0] = x->en.total, kx[1] = x->cycles, kx[2] = dram_total(x);
    ky[0] = y->en.total, ky[1] = y->cycles, ky[2] = dram_total(y);
    break;
  }
  for (int i = 0; i < 3; i++) {
    /* relative tolerance: equal up to rounding */
    double tol = 1e-12 * fmax(fabs(kx[i]), fabs(ky[i]));
    if (kx[i] < ky[i] - tol)
      return 1;
    if (kx[i] > ky[i] + tol)
      return 0;
  }
  return 0;
}

/* Tile sizes tried along a dimension of `n`: ceil(n / 2^i). */
static int sizes(double n, double *out, int cap) {
  int k = 0;
  for (double d = 1; k < cap; d *= 2) {
    double s = ceil(n / d);
    if (k == 0 || s < out[k - 1])
      out[k++] = s;
    if (s <= 1)
      break;
  }
  return k;
}

/* ---- one layer ----------------------------------------------------------- */

static int setup_geom(const arch *a, const wr_layer *l, int out_bits,
                      uint64_t batch, const arch_meas *meas, wr_prec *mode,
                      geom *g, wr_err *e) {
  if (arch_mode(a, l->prec, l->name, mode, e))
    return WR_EINPUT;
  memset(g, 0, sizeof *g);
  g->B = (double)batch;
  g->G = l->kind == WR_CONV ? l->groups : 1;
  if (l->kind == WR_CONV) {
    g->K = (double)(l->out.c / l->groups);
    g->C = (double)(l->in.c / l->groups);
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
  g->abits = mode->a_bits;
  g->wbits = mode->w_bits;
  g->obits = out_bits;
  g->accbits = a->family == ARCH_MAC_FP32 ? 32 : a->acc_bits;
  g->t = arch_macs_per_pe_cycle(a, *mode);
  g->kfrac = g->efrac = g->escale = 1;
  g->a_eff = mode->a_bits;
  if (meas) {
    double nza = fmin(1, fmax(0, meas->nz_act));
    double nzm = fmin(1, fmax(0, meas->nz_mac));
    if (a->zero_skipping)
      g->kfrac = g->efrac = nza;
    if (a->zero_gating)
      g->efrac = fmin(g->efrac, nzm);
    if (a->dyn_group > 0 && meas->dyn_a_bits >= 1) {
      /* cycles per group follow the group's widest value */
      g->a_eff = fmin(meas->dyn_a_bits, mode->a_bits);
      g->t = mac_macs_per_pe_cycle(a, g->a_eff, g->wbits);
      /* a bit-serial MAC spends energy per activation bit it processes */
      g->escale = g->a_eff / mode->a_bits;
    }
  }
  return WR_OK;
}

/* Reliability guard (issue 8): counts are modelled in binary64 and stored
 * as uint64_t.  A layer whose cycles, DRAM bytes or MACs reach 2^63 (a huge
 * layer at a huge batch) is refused with WR_EINPUT rather than wrapped or
 * converted out of range (undefined behaviour); 2^63 leaves the network
 * sums room, and those are checked too (arch_eval_net_measured). */
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

static void fill_result(const arch *a, const geom *g, const wr_layer *l,
                        wr_prec mode, int out_bits, const tiling *T,
                        const int *ord, const outcome *o, uint64_t cands,
                        arch_layer_result *r) {
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
    r->map.order[d] = ord[d];
  }
  r->candidates = cands;
  r->widest = arch_beyond_modes(a, l->prec);
  r->macs_gated = (double)r->macs * (1 - g->efrac);
  r->macs_skipped = (double)r->macs * (1 - g->kfrac);
  r->a_bits_eff = g->a_eff;
  double bytes = dram_total(o);
  double peak_ops = 2 * peak * a->clock_mhz * 1e6;
  double bw = a->dram.gbps * 1e9 * a->dram.row_efficiency;
  r->intensity = bytes > 0 ? 2.0 * (double)r->macs / bytes : INFINITY;
  r->roof_ops_per_s = fmin(peak_ops, bw * r->intensity);
  r->memory_bound = r->intensity < peak_ops / bw;
}

typedef struct layer_ctx {
  double mac_pj, rf_pj_bit, sram_pj_bit[ARCH_MAX_BUFFERS];
} layer_ctx;

static void ctx_init(const arch *a, wr_prec mode, layer_ctx *c) {
  c->mac_pj = arch_mac_pj(a, mode);
  c->rf_pj_bit = arch_rf_pj_per_bit(a);
  for (int b = 0; b < a->n_buffers; b++)
    c->sram_pj_bit[b] = arch_sram_pj_per_bit(a, a->buffers[b].kib);
}

static int eval_compute(const arch *a, const wr_layer *l, int out_bits,
                        const arch_eval_opts *opt, const arch_mapping *fixed,
                        const arch_meas *meas, arch_layer_result *r,
                        wr_err *e) {
  geom g;
  wr_prec mode;
  if (setup_geom(a, l, out_bits, opt->batch, meas, &mode, &g, e))
    return WR_EINPUT;
  layer_ctx cx;
  ctx_init(a, mode, &cx);
  /* candidate tile sizes; Y tiles are rows of one image (rows < P) or
     whole images */
  double ks[24], cs[24], rs[24], bs[24], yr[48], yb[48];
  int nk, nc, ny = 0;
  if (opt->ideal_memory) { /* one tile: SCALE-Sim's view */
    ks[0] = g.K, cs[0] = g.C, yr[0] = g.P, yb[0] = g.B;
    nk = nc = ny = 1;
  } else if (fixed) {
    double y = (double)fixed->tile[ARCH_DIM_Y];
    ks[0] = fmax(1, fmin(g.K, (double)fixed->tile[ARCH_DIM_K]));
    cs[0] = fmax(1, fmin(g.C, (double)fixed->tile[ARCH_DIM_C]));
    yr[0] = fmax(1, fmin(y, g.P));
    yb[0] = y < g.P ? 1 : fmax(1, fmin(g.B, floor(y / g.P)));
    nk = nc = ny = 1;
  } else {
    nk = sizes(g.K, ks, 24);
    nc = sizes(g.C, cs, 24);
    int nr = sizes(g.P, rs, 24), nb = sizes(g.B, bs, 24);
    for (int i = 0; i < nr; i++)
      if (rs[i] < g.P)
        yr[ny] = rs[i], yb[ny++] = 1;
    for (int i = 0; i < nb; i++)
      yr[ny] = g.P, yb[ny++] = bs[i];
  }
  int found = 0, tight = -1;
  tiling best_t = {0}, T;
  outcome best_o = {0}, o;
  const int *best_ord = orders[0];
  uint64_t cands = 0;
  for (int yi = 0; yi < ny; yi++) {
    double rows = yr[yi], imgs = yb[yi];
    for (int ki = 0; ki < nk; ki++)
      for (int ci = 0; ci < nc; ci++) {
        int mt = make_tiling(a, &g, ks[ki], cs[ci], rows, imgs,
                             opt->ideal_memory, &T, &tight, e);
        if (mt < 0)
          return WR_EINPUT;
        if (mt > 0)
          continue;
        int n_ord = 6;
        const int(*ords)[3] = orders;
        int fixed_ord[1][3];
        if (fixed && !opt->ideal_memory) {
          memcpy(fixed_ord[0], fixed->order, sizeof fixed_ord[0]);
          ords = (const int(*)[3])fixed_ord;
          n_ord = 1;
        }
        for (int oi = 0; oi < n_ord; oi++) {
          /* orders that differ only in where single-trip loops sit are
             the same schedule */
          int dup = 0;
          for (int pj = 0; pj < oi && !dup; pj++) {
            int same = 1, qa = 0, qb = 0;
            while (same) {
              while (qa < 3 && T.trips[ords[oi][qa]] <= 1)
                qa++;
              while (qb < 3 && T.trips[ords[pj][qb]] <= 1)
                qb++;
              if (qa == 3 || qb == 3) {
                same = qa == 3 && qb == 3;
                break;
              }
              same = ords[oi][qa++] == ords[pj][qb++];
            }
            dup = same;
          }
          if (dup)
            continue;
          cands++;
          if (!play(a, &g, &T, ords[oi], opt->ideal_memory, cx.mac_pj,
                    cx.rf_pj_bit, cx.sram_pj_bit, &o, &tight))
            continue;
          if (!found || better(opt->objective, &o, &best_o)) {
            found = 1;
            best_o = o;
            best_t = T;
            best_ord = fixed && !opt->ideal_memory ? fixed->order : orders[oi];
          }
        }
      }
  }
  if (!found) {
    const arch_buffer *b = &a->buffers[tight < 0 ? 0 : tight];
    return wr_err_at(e, a->file, b->line, b->col,
                     "buffer '%s' (%g KiB) is too small for layer '%s': %s",
                     b->name, b->kib, l->name,
                     fixed ? "the given mapping does not fit"
                           : "no tiling fits, not even 1 filter x 1 channel "
                             "x 1 output row (double-buffered)");
  }
  uint64_t macs;
  if (!outcome_fits(&best_o) ||
      __builtin_mul_overflow(l->macs, opt->batch, &macs) ||
      (double)macs >= ARCH_COUNT_LIMIT)
    return too_large(a, l, opt->batch, e);
  fill_result(a, &g, l, mode, out_bits, &best_t, best_ord, &best_o, cands, r);
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
  return eval_compute(a, l, out_bits, o, fixed, m, out, e);
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
    double bpc =
        a->dram.gbps * 1e9 * a->dram.row_efficiency / (a->clock_mhz * 1e6);
    cyc = fmax(comp, ceil(a->dram.latency_ns * a->clock_mhz / 1000) +
                         ceil((in_bytes + out_bytes) / bpc));
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

/* ---- a network ------------------------------------------------------------
 */

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
 * in the widest mode (arch_mode), so its input is read at that mode's
 * activation bits, not at the workload's.  The rule is wr_net_read_bits's,
 * applied to a shallow copy of the layers with those precisions replaced.
 * WR_ENOMEM on failure. */
static int arch_read_bits(const arch *a, const wr_net *net, int *bits,
                          wr_err *e) {
  wr_net tmp = *net;
  wr_layer *ls = malloc(sizeof *ls * (size_t)net->n_layers);
  if (!ls)
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  memcpy(ls, net->layers, sizeof *ls * (size_t)net->n_layers);
  for (int j = 0; j < net->n_layers; j++) {
    wr_prec m;
    if ((ls[j].kind == WR_CONV || ls[j].kind == WR_FC) &&
        arch_beyond_modes(a, ls[j].prec) &&
        !arch_mode(a, ls[j].prec, ls[j].name, &m, NULL))
      ls[j].prec = m;
  }
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

int arch_eval_net_measured(const arch *a, const wr_net *net,
                           const arch_eval_opts *o, const arch_meas *meas,
                           arch_net_result *out, wr_err *e) {
  memset(out, 0, sizeof *out);
  if (o->batch < 1)
    return wr_err_set(e, WR_EINPUT, "batch must be at least 1");
  int *bits = malloc(sizeof *bits * (size_t)net->n_layers);
  out->layers = calloc((size_t)net->n_layers + 1, sizeof *out->layers);
  if (!bits || !out->layers) {
    free(bits);
    arch_net_result_free(out);
    return wr_err_set(e, WR_ENOMEM, "out of memory");
  }
  for (int i = 0; i < net->n_layers; i++) {
    const wr_layer *l = &net->layers[i];
    wr_prec m;
    if ((l->kind == WR_CONV || l->kind == WR_FC) &&
        arch_mode(a, l->prec, l->name, &m, e)) {
      size_t u = e ? strlen(e->msg) : 0;
      if (e)
        snprintf(e->msg + u, sizeof e->msg - u, " (set its precision: %s)",
                 prec_hint(net, l));
      free(bits);
      arch_net_result_free(out);
      return WR_EINPUT;
    }
  }
  if (arch_read_bits(a, net, bits, e)) {
    free(bits);
    arch_net_result_free(out);
    return WR_ENOMEM;
  }
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
      if (!done &&
          eval_compute(a, l, bits[i], o, NULL, meas ? &meas[i] : NULL, r, e)) {
        free(bits);
        arch_net_result_free(out);
        return WR_EINPUT;
      }
      r->layer = i;
      wr_prec m;
      if (!arch_mode(a, l->prec, l->name, &m, NULL)) {
        double pk = 2.0 * a->rows * a->cols * arch_macs_per_pe_cycle(a, m) *
                    a->clock_mhz * 1e6;
        if (pk > out->peak_ops_per_s)
          out->peak_ops_per_s = pk;
      }
    } else if (l->kind == WR_MAXPOOL || l->kind == WR_AVGPOOL ||
               l->kind == WR_ADD) {
      if (eval_pass(a, net, i, bits, o, r, e)) {
        free(bits);
        arch_net_result_free(out);
        return WR_EINPUT;
      }
    } else {
      continue; /* bn, act, softmax fold into their producer; concat is
                   free */
    }
    out->n_layers++;
    /* guard (issue 8): network sums that would wrap are refused */
    int ovf = __builtin_add_overflow(out->macs, r->macs, &out->macs);
    ovf |= __builtin_add_overflow(out->compute_cycles, r->compute_cycles,
                                  &out->compute_cycles);
    ovf |= __builtin_add_overflow(
        out->stall_cycles, r->dram_stall + r->buffer_stall, &out->stall_cycles);
    ovf |= __builtin_add_overflow(out->cycles, r->cycles, &out->cycles);
    for (int t = 0; t < ARCH_N_TT; t++)
      ovf |= __builtin_add_overflow(out->dram_read, r->dram_read[t],
                                    &out->dram_read);
    ovf |= __builtin_add_overflow(out->dram_write, r->dram_write,
                                  &out->dram_write);
    if (ovf) {
      free(bits);
      arch_net_result_free(out);
      return wr_err_set(e, WR_EINPUT,
                        "%s: network '%s' at batch %llu: total cycles, DRAM "
                        "bytes or MACs exceed 2^64 (too large; use a smaller "
                        "batch)",
                        a->file, net->name, (unsigned long long)o->batch);
    }
    arch_energy_add(&out->energy, &r->energy);
  }
  free(bits);
  out->batch = o->batch;
  if (arch_area_of(a, &out->area, e)) {
    arch_net_result_free(out);
    return WR_EINPUT;
  }
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
