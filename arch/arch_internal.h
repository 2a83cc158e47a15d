/*
 * arch_internal.h — shared inside the arch module only: the technology
 * table's layout and its interpolated curves, and the MAC families' table
 * (arch/mac.c).
 */
#ifndef WRPNSIM_ARCH_INTERNAL_H
#define WRPNSIM_ARCH_INTERNAL_H

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

#endif
