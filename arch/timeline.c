/*
 * timeline.c — the tile timeline of one conv or fc layer: a tiling's tile
 * shapes and sizes, each tile's GEMM on the array with its array-side
 * buffer accesses, and the double-buffered play of the tiles in a loop
 * order with DRAM traffic of packed tensors, DRAM and buffer-port stalls
 * and energy by component (docs/arch.md, "DRAM traffic", "Tile timeline",
 * "Buffer accesses", "Energy and area").
 */
#include <math.h>
#include <string.h>

#include "arch_internal.h"

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

/* The array-side buffer accesses of a GEMM tile (values). */
enum {
  ACC_RD_INPUT,  /* inputs read */
  ACC_RD_WEIGHT, /* weights read */
  ACC_WR_PSUM,   /* partial sums written */
  ACC_RD_PSUM,   /* partial sums read back to accumulate */
  ACC_N
};

/* Folds x cycles per fold of one m x n x k GEMM tile, and its array-side
 * buffer accesses (values) by dataflow (docs/arch.md). */
static int tile_gemm(const arch *a, const layer_geom *g, double m, double n,
                     double k, double *cyc, double acc[ACC_N], wr_err *e) {
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
    acc[ACC_RD_INPUT] = fc * m * k;      /* once per column fold */
    acc[ACC_RD_WEIGHT] = k * n;          /* once */
    acc[ACC_WR_PSUM] = fr * m * n;       /* out of each row fold */
    acc[ACC_RD_PSUM] = (fr - 1) * m * n; /* read back to accumulate */
    break;
  }
  case ARCH_DF_OS: { /* rows: m, cols: n, stream k */
    double fr = ceil(m / R), fc = ceil(n / Cc);
    acc[ACC_RD_INPUT] = fc * m * k;
    acc[ACC_RD_WEIGHT] = fr * n * k;
    acc[ACC_WR_PSUM] = m * n;
    acc[ACC_RD_PSUM] = 0;
    break;
  }
  default: { /* is: rows k, cols m, stream n */
    double fr = ceil(k / R), fc = ceil(m / Cc);
    acc[ACC_RD_INPUT] = k * m;
    acc[ACC_RD_WEIGHT] = fc * k * n;
    acc[ACC_WR_PSUM] = fr * m * n;
    acc[ACC_RD_PSUM] = (fr - 1) * m * n;
    break;
  }
  }
  return WR_OK;
}

int timeline_tiling(const arch *a, const layer_geom *g, double kt, double ct,
                    double rows, double imgs, int ideal, tiling *T, int *tight,
                    wr_err *e) {
  memset(T, 0, sizeof *T);
  T->kt = kt;
  T->ct = ct;
  T->rows = rows;
  T->imgs = imgs;
  double ny_img = ceil(g->P / rows); /* y tiles per image (rows < P) */
  T->trips[ARCH_DIM_K] = ceil(g->K / kt);
  T->trips[ARCH_DIM_C] = ceil(g->C / ct);
  T->trips[ARCH_DIM_Y] = rows < g->P ? g->B * ny_img : ceil(g->B / imgs);
  T->tiles = T->trips[ARCH_DIM_K] * T->trips[ARCH_DIM_C] * T->trips[ARCH_DIM_Y];
  /* input rows a tile reads: its window with halo, at least its share */
  double rin =
      rows < g->P
          ? fmin(g->H, fmax(ceil(g->H / ny_img), (rows - 1) * g->sh + g->rd))
          : g->H;
  double in_rows_total = rows < g->P ? g->B * ny_img * rin : g->B * g->H;
  double ktiles = T->trips[ARCH_DIM_K], ctiles = T->trips[ARCH_DIM_C],
         ytiles = T->trips[ARCH_DIM_Y];
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
        double cyc, acc[ACC_N];
        if (tile_gemm(a, g, py.size[k], pk.size[i], pc.size[j] * g->R * g->S,
                      &cyc, acc, e))
          return -1;
        T->compute += cnt * cyc;
        T->rd_in += cnt * acc[ACC_RD_INPUT];
        T->rd_w += cnt * acc[ACC_RD_WEIGHT];
        T->wr_ps += cnt * acc[ACC_WR_PSUM];
        T->rd_ps += cnt * acc[ACC_RD_PSUM];
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
  T->i_b = burst(a, T->i_avg);
  T->w_b = burst(a, T->w_avg);
  T->o_b_out = burst(a, T->o_avg_out);
  T->o_b_acc = burst(a, T->o_avg_acc);
  return WR_OK;
}

/* ---- loop orders, traffic and the timeline ------------------------------ */

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

/* Whether tiling T with loop order `ord` fits the buffers (double buffers
 * for tensors fetched more than once).  Sets *tight to the first buffer
 * that overflows. */
static int fits(const arch *a, const tiling *T, const double fetch[ARCH_N_TT],
                int *tight) {
  double need[ARCH_MAX_BUFFERS] = {0};
  double psum = T->trips[ARCH_DIM_C] > 1;
  need[holder(a, ARCH_TT_INPUT)] +=
      (fetch[ARCH_TT_INPUT] > 1 ? 2 : 1) * T->i_tile;
  need[holder(a, ARCH_TT_WEIGHT)] +=
      (fetch[ARCH_TT_WEIGHT] > 1 ? 2 : 1) * T->w_tile;
  need[holder(a, ARCH_TT_OUTPUT)] += (fetch[ARCH_TT_OUTPUT] > 1 ? 2 : 1) *
                                     (psum ? T->o_tile_acc : T->o_tile_out);
  for (int b = 0; b < a->n_buffers; b++)
    if (need[b] > a->buffers[b].kib * 1024) {
      *tight = b;
      return 0;
    }
  return 1;
}

int timeline_play(const arch *a, const layer_geom *g, const tiling *T,
                  const int *ord, int ideal, const layer_pj *pj, outcome *o,
                  int *tight) {
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
  int change[4][ARCH_N_TT];
  double fetch[ARCH_N_TT] = {1, 1, 1};
  for (int j = 0; j < 4; j++)
    for (int t = 0; t < ARCH_N_TT; t++) {
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
  double i_b = T->i_b, w_b = T->w_b;
  double ofin = T->o_b_out, opart = T->o_b_acc;
  memset(o, 0, sizeof *o);
  o->rd[ARCH_TT_INPUT] = fetch[ARCH_TT_INPUT] * i_b;
  o->rd[ARCH_TT_WEIGHT] = fetch[ARCH_TT_WEIGHT] * w_b;
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
    double bpc = g->dram_bpc, lat = g->dram_lat;
    total = lat + (i_b + w_b) / bpc + step + wr_avg / bpc;
    for (int j = 0; j < 4; j++) {
      if (count[j] == 0)
        continue;
      double d = change[j][ARCH_TT_INPUT] * i_b +
                 change[j][ARCH_TT_WEIGHT] * w_b +
                 change[j][ARCH_TT_OUTPUT] * (wr_avg + ps_rd_avg);
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
  o->en.mac = pj->layer_mac;
  o->en.rf = pj->layer_rf;
  o->en.dram = outcome_dram_bytes(o) * 8 * a->dram.pj_per_bit;
  o->en.stat = a->static_mw * 1e-3 * (o->cycles / (a->clock_mhz * 1e6)) * 1e12;
  o->en.total = o->en.mac + o->en.rf + o->en.dram + o->en.stat;
  for (int b = 0; b < a->n_buffers; b++) {
    o->en.buf[b] = o->buf_bytes[b] * 8 * pj->sram_bit[b];
    o->en.total += o->en.buf[b];
  }
  return 1;
}
