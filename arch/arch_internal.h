/*
 * arch_internal.h — shared inside the arch module only: the technology
 * table's layout and its interpolated curves, the MAC families' table
 * (arch/mac.c), and the pieces of the architecture model that its files
 * pass to one another: a layer as the mapper sees it, a tiling, the
 * outcome of playing one (timeline.c), the mapping search (search.c) and
 * the evaluation that drives both (evaluate.c).
 */
#ifndef WRPNSIM_ARCH_INTERNAL_H
#define WRPNSIM_ARCH_INTERNAL_H

#include <math.h>

#include <gsl/gsl_interp.h>

#include "arch.h"
#include "yaml_util.h" /* the module's YAML readers */

#define TECH_MAX_POINTS 16

/* y(x) given at n points, interpolated linearly in log-log space (GSL)
 * and extended beyond its ends along the end segments' slopes; one point
 * is a constant. */
typedef struct tech_curve {
  int n;
  double lx[TECH_MAX_POINTS], ly[TECH_MAX_POINTS];
  gsl_interp *interp;
} tech_curve;

double tech_curve_at(const tech_curve *c, double x);

struct arch_tech {
  char *name, *source;
  int node_nm;
  tech_curve int_add, int_mult; /* pJ by operand bits */
  double fp32_add_pj, fp32_mult_pj, fp32_add_um2, fp32_mult_um2;
  tech_curve sram_pj64;           /* pJ per 64-bit access by KiB */
  tech_curve sram_mm2;            /* mm^2 by KiB */
  double dram_pj_per_bit;         /* the table's DRAM figure (low end) */
  tech_curve fixed_pj, fixed_um2; /* fixed-precision element by bits */
  tech_curve flex_pj, flex_um2;   /* precision-flexible element by bits */
  /* a normalized table: per 16-bit access in units of the 16-bit MAC */
  int normalized;
  double rel_rf, rel_buffer, rel_dram;
};

/* ---- MAC families (arch/mac.c) ------------------------------------------ */

#define MAC_N_FAMILIES (ARCH_MAC_TABLE + 1)

/* Everything the model asks of a MAC family, in one entry per family. */
typedef struct mac_family {
  const char *name;      /* as the YAML's mac.family names it */
  int has_bits;          /* takes a 'bits' field: the native width N */
  int max_bits;          /* widest A or W it runs (0: its bits field) */
  int follows_data_bits; /* bit-serial: dynamic precision applies */
  /* 1 when the family runs mode `p`; else 0 with the reason (the mode, then
     what is wrong) in `why` */
  int (*legal)(const arch *a, wr_prec p, char *why, size_t n);
  /* MACs per PE per cycle at A, W bits (real-valued: dynamic precision's
     mean bits); a table PE at one of its modes */
  double (*macs)(const arch *a, double a_bits, double w_bits);
  double (*pj)(const arch *a, wr_prec mode); /* energy per MAC, pJ */
  double (*pe_um2)(const arch *a);           /* one PE's area */
  const char *pe_source; /* where that area comes from (NULL: the
                            architecture's pe_source) */
} mac_family;

/* The entry of family `f`, NULL for a value outside the enum. */
const mac_family *mac_family_of(arch_mac_family f);
/* arch_macs_per_pe_cycle at real-valued bits (dynamic precision). */
double mac_macs_per_pe_cycle(const arch *a, double a_bits, double w_bits);
/* One PE's area (um^2) and, in *source, where it comes from. */
double mac_pe_um2(const arch *a, const char **source);

/* Energy per bit of a per-PE register-file access (0 without one). */
double arch_rf_pj_per_bit(const arch *a);
/* The table's DRAM energy per bit (default of dram.pj_per_bit). */
double arch_tech_dram_pj_per_bit(const arch_tech *t);

/* ---- the layer as the mapper sees it ------------------------------------ */

/* A conv or fc layer per group: K filters, C channels, P x Q outputs from
 * H x W inputs, R x S kernel; B images. */
typedef struct layer_geom {
  double K, C, P, Q, R, S, H, W, B, G;
  double sh, rd; /* row stride, dilated kernel height */
  double abits, wbits, obits, accbits;
  double t; /* MACs per PE per cycle */
  /* measured data (arch_meas) through the value-dependent features */
  double kfrac;  /* share of the reduction performed (zero skipping) */
  double efrac;  /* share of MACs that spend energy (gating, skipping) */
  double a_eff;  /* activation bits the cycles follow */
  double escale; /* MAC energy scale (dynamic precision: A_eff / A) */
  /* the architecture's DRAM: bytes per cycle and latency in cycles */
  double dram_bpc, dram_lat;
} layer_geom;

/* Energy per operation of one layer's mode on the architecture, and the
 * layer's MAC and register-file energy, which no mapping changes (pJ). */
typedef struct layer_pj {
  double mac, rf_bit, sram_bit[ARCH_MAX_BUFFERS];
  double layer_mac, layer_rf;
} layer_pj;

/* A candidate tiling (order independent parts). */
typedef struct tiling {
  double kt, ct, rows, imgs; /* Y tile: rows of one image, or whole images */
  double trips[ARCH_N_DIMS];
  double tiles; /* per group */
  /* bytes of one tile (largest), and average bytes per distinct tile */
  double w_tile, i_tile, o_tile_acc, o_tile_out;
  double w_avg, i_avg, o_avg_acc, o_avg_out;
  double w_b, i_b, o_b_acc, o_b_out; /* the averages in whole bursts */
  /* per group, summed over the tiles */
  double compute;                   /* sum of folds x cycles per fold */
  double rd_in, rd_w, wr_ps, rd_ps; /* array-side accesses (values) */
  /* over all groups: compute cycles, array-side bytes per buffer, and per
     tile the compute and the compute-or-port bound */
  double comp, port[ARCH_MAX_BUFFERS], cbar, step;
} tiling;

/* A tiling played in one loop order: cycles, DRAM and buffer traffic,
 * energy. */
typedef struct outcome {
  double cycles, compute, dram_stall, buffer_stall;
  double rd[ARCH_N_TT], wr; /* DRAM bytes */
  double buf_bytes[ARCH_MAX_BUFFERS];
  arch_energy en;
} outcome;

/* Bytes of `values` values of `bits` bits, rounded up. */
static inline double bytes_of(double values, double bits) {
  return ceil(values * bits / 8);
}

/* `bytes` rounded up to whole DRAM bursts. */
static inline double burst(const arch *a, double bytes) {
  double b = a->dram.burst_bytes;
  return ceil(bytes / b) * b;
}

/* DRAM bytes per clock cycle at the architecture's row efficiency. */
static inline double dram_bytes_per_cycle(const arch *a) {
  return a->dram.gbps * 1e9 * a->dram.row_efficiency / (a->clock_mhz * 1e6);
}

/* DRAM latency in whole clock cycles. */
static inline double dram_latency_cycles(const arch *a) {
  return ceil(a->dram.latency_ns * a->clock_mhz / 1000);
}

/* The buffer holding tensor `t` (ARCH_TT_*). */
static inline int holder(const arch *a, int t) {
  for (int b = 0; b < a->n_buffers; b++)
    if (a->buffers[b].holds & (1 << t))
      return b;
  return 0;
}

/* DRAM bytes read and written. */
static inline double outcome_dram_bytes(const outcome *o) {
  return o->rd[ARCH_TT_INPUT] + o->rd[ARCH_TT_WEIGHT] + o->rd[ARCH_TT_OUTPUT] +
         o->wr;
}

/* ---- the tile timeline (timeline.c) ------------------------------------- */

/* Fills T for the given tile sizes.  Returns 0, 1 when the tiles can't
 * fit the buffers even once (*tight: the buffer; not with `ideal`), or
 * WR_EINPUT (as -1) with `e` set. */
int timeline_tiling(const arch *a, const layer_geom *g, double kt, double ct,
                    double rows, double imgs, int ideal, tiling *T, int *tight,
                    wr_err *e);

/* Plays tiling T in order `ord` (outer to inner) on `a`: DRAM traffic,
 * the double-buffered timeline and energy.  `ideal`: unbounded bandwidth,
 * no latency, no fit check.  Returns 0 if it does not fit (*tight: the
 * first buffer that overflows), else 1 with `o` filled. */
int timeline_play(const arch *a, const layer_geom *g, const tiling *T,
                  const int *ord, int ideal, const layer_pj *pj, outcome *o,
                  int *tight);

/* ---- the mapping search (search.c) -------------------------------------- */

/* The best mapping the search found. */
typedef struct search_best {
  tiling T;
  const int *ord; /* loop order, outer to inner (static, or fixed->order) */
  outcome o;
  uint64_t candidates; /* mappings compared */
} search_best;

/* Searches the tilings and loop orders of layer `g` that fit the buffers
 * and keeps the best by opt->objective (docs/arch.md, "Mapper"); with
 * `fixed`, only its tiles and order; with opt->ideal_memory, one tile of
 * the whole layer.  WR_EINPUT naming the architecture file's buffer and
 * `layer` when nothing fits, or from the compute model. */
int search_mapping(const arch *a, const layer_geom *g, const layer_pj *pj,
                   const arch_eval_opts *opt, const arch_mapping *fixed,
                   const char *layer, search_best *best, wr_err *e);

#endif
